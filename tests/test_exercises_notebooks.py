"""The exercises as they stand in the chapters.

1. Every solution, exactly as ``solution(id)`` prints it (and the book shows it: the code block
   under ``% source:`` is the package source, tests/test_notebooks_text.py), passes its check
   when pasted into its chapter: each chapter is executed with every exercise's starting cell
   replaced by its printed solution, and every check cell must answer "✓ Passed". (A solution
   that calls a helper only the solutions module has, or that names its function or variable
   differently from the notebook's check cell, fails here.)
2. Nothing in a chapter hands over an exercise's answer before the exercise: no code cell or
   code block before it holds most of the solution's lines, no text or stored output before it
   states a value answer, and no earlier code block shows the solution's source.
"""

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from cnn_course.exercises import core

REPO = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((REPO / "book").glob("0*.ipynb"))
EXERCISE = re.compile(r"^`{3,}\{exercise\}[^\n]*\n:label: ([\w-]+)", re.M)
CHECK = re.compile(r"""^check\(\s*["']([\w-]+)["']\s*,\s*([A-Za-z_]\w*)\s*\)""", re.M)
FENCE = re.compile(r"^(`{3,})(?:python|\{code-cell\}[^\n]*)?\n(.*?)^\1", re.M | re.S)
SOURCE_MARKER = re.compile(r"^% source: ([\w.]+)", re.M)

core._load_all()


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell):
    return "".join(cell["source"])


def exercises_in(path):
    """[(label, index of its {exercise} cell, index of its check cell, answer name)]."""
    cells = _cells(path)
    found = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        for label in EXERCISE.findall(_source(cell)):
            checks = [(j, m.group(2)) for j, c in enumerate(cells) if j > i
                      and c["cell_type"] == "code" for m in CHECK.finditer(_source(c))
                      if m.group(1) == label]
            assert checks, f"{path.name}: exercise {label} has no check cell after it"
            found.append((label, i, checks[0][0], checks[0][1]))
    return found


ALL = [(path, *ex) for path in CHAPTERS for ex in exercises_in(path)]


def test_every_registered_exercise_stands_in_a_chapter():
    in_chapters = sorted(label for _, label, *_ in ALL)
    assert in_chapters == sorted(core.REGISTRY), "registered and shown exercises differ"
    assert len(in_chapters) >= 32
    for path in CHAPTERS:
        assert len(exercises_in(path)) >= 5, f"{path.name} has fewer than 5 exercises"


# --- 1. the printed solutions, pasted into their chapters --------------------------------------

def _pasted(path):
    """The chapter with each exercise's starting cell (the code cell before its check cell)
    replaced by the solution as solution(id) prints it; help cells dropped."""
    nb = nbformat.read(path, as_version=4)
    replaced = {}
    for label, _, check_index, name in exercises_in(path):
        stub = check_index - 1
        assert nb.cells[stub].cell_type == "code", f"{label}: no starting cell before its check"
        printed = core.solution_source(core.get(label))
        nb.cells[stub].source = printed
        replaced[check_index] = (label, name)
    for cell in nb.cells:
        if cell.cell_type == "code" and re.search(r"^\s*(hint|solution)\(", cell.source, re.M):
            cell.source = "pass"
    return nb, replaced


# Executes a notebook in place with the course's kernel and environment, in its own process:
# jupyter_client leaves zmq sockets for the garbage collector, and their ResourceWarnings would
# otherwise surface in whichever test of this worker runs next.
_EXECUTE = """
import importlib.util, sys
import nbformat
from nbclient import NotebookClient
spec = importlib.util.spec_from_file_location("execute_notebooks", sys.argv[1])
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)
nb = nbformat.read(sys.argv[2], as_version=4)
NotebookClient(nb, km=runner.native_kernel_manager(), timeout=600, allow_errors=False,
               record_timing=False, store_widget_state=False,
               resources={"metadata": {"path": sys.argv[3]}}).execute(
                   env=runner.kernel_environment())
nbformat.write(nb, sys.argv[2])
"""


@pytest.mark.book
@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_printed_solutions_pass_when_pasted_into_the_chapter(path, tmp_path):
    import subprocess
    import sys

    nb, replaced = _pasted(path)
    pasted = tmp_path / path.name
    nbformat.write(nb, pasted)
    runner = REPO / ".ci" / "execute_notebooks.py"
    run = subprocess.run([sys.executable, "-c", _EXECUTE, str(runner), str(pasted),
                          str(path.parent)],
                         capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, f"{path.name} with the pasted solutions did not run:\n" + \
        run.stderr[-3000:]
    nb = nbformat.read(pasted, as_version=4)
    for index, (label, name) in replaced.items():
        texts = [out.get("data", {}).get("text/plain", "") for out in nb.cells[index].outputs]
        shown = "\n".join(texts)
        assert shown.startswith("✓ Passed"), (
            f"{path.name}: solution({label!r}) pasted as the starting cell of `{name}` does not "
            f"pass: {shown or nb.cells[index].outputs}")


# --- 2. no answer before its exercise ---------------------------------------------------------

def _squash(text):
    return re.sub(r"\s+", "", text)


def _solution_lines(function):
    """The solution's significant code lines, whitespace removed (no def line, docstring,
    comments, bare returns or short lines such as `out = []`)."""
    import inspect

    lines = inspect.getsource(function).splitlines()[1:]
    doc = _squash(function.__doc__ or "")
    keep = []
    for line in lines:
        code = _squash(line.split("#")[0])
        if (len(code) >= 14 and not code.strip("\"'") in doc
                and not re.fullmatch(r"return[\w,()]*", code)):
            keep.append(code)
    return keep


def _before(path, index):
    """(code, text, outputs) of the cells before cell ``index``: code cells and fenced code
    blocks; markdown text; stored text outputs."""
    code, text, outputs = [], [], []
    for cell in _cells(path)[:index]:
        source = _source(cell)
        if cell["cell_type"] == "code":
            code.append(source)
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                outputs.append(out.get("text", "") if isinstance(out.get("text", ""), str)
                               else "".join(out["text"]))
                outputs.append("".join(data.get("text/plain", "")))
        else:
            text.append(source)
            code.extend(block for _, block in FENCE.findall(source))
    return code, text, outputs


def _value_forms(value):
    """Ways a value answer would be written in text or printed."""
    forms = set()
    if isinstance(value, (tuple, list)) and value:
        forms.add(_squash(repr(tuple(value))))
        forms.add(_squash(repr(list(value))))
        flat = list(np.ravel(np.asarray(value, dtype=object)))
        if len(flat) >= 3:
            forms.add(_squash(", ".join(str(v) for v in flat)))
    elif (isinstance(value, (int, np.integer)) and not isinstance(value, bool)
          and abs(value) >= 100):
        forms.update({str(value), f"{value:,}"})
    return forms


@pytest.mark.parametrize("path, label, index", [(p, label, i) for p, label, i, *_ in ALL],
                         ids=[label for _, label, *_ in ALL])
def test_no_answer_stands_before_its_exercise(path, label, index):
    ref = core.get(label).solution
    code, text, outputs = _before(path, index)
    markers = [m for block in text for m in SOURCE_MARKER.findall(block)]
    shown = [m for m in markers if m.startswith("cnn_course.exercises.")
             and m.endswith("." + getattr(ref, "__name__", "\0"))]
    assert not shown, f"{path.name}: the solution of {label} is shown before the exercise"
    if callable(ref):
        lines = _solution_lines(ref)
        earlier = _squash("\n".join(code))
        given = [line for line in lines if line in earlier]
        assert len(lines) < 2 or len(given) < max(2, (len(lines) + 1) // 2), (
            f"{path.name}: {len(given)} of the {len(lines)} lines of {label}'s solution stand in "
            f"the chapter before the exercise, e.g. {given[:3]}")
    else:
        earlier = {"text": _squash("\n".join(text)), "stored outputs": _squash("\n".join(outputs)),
                   "code": _squash("\n".join(code))}
        for form in _value_forms(ref):
            for where, body in earlier.items():
                if where == "text" and re.fullmatch(r"[\d,]+", form):
                    found = re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d,]|\.\d)",
                                      "\n".join(text))
                else:
                    found = form in body
                assert not found, (f"{path.name}: the answer of {label} ({form}) stands in the "
                                   f"chapter's {where} before the exercise")
