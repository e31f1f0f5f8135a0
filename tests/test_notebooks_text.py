"""The chapters' Markdown reads the same in the book (Sphinx) and in JupyterLab (jupyterlab-myst).

jupyterlab-myst renders admonitions, exercises, solutions and {term} roles, but it cannot run
Sphinx-only machinery, so the chapters do without it (tests/test_jupyterlab.py checks the
rendered result in a real JupyterLab):

- no ``{glue}`` roles (JupyterLab shows the key, not the value): a number the text states is
  written in the text, and ``NUMBERS`` below checks each one against the computation;
- no ``{literalinclude}`` (JupyterLab drops it silently): the code is a fenced block, preceded by
  a hidden MyST comment ``% source: <module>.<name>``; the block must equal that object's source
  (``inspect.getsource`` for a function or class; for a constant, its assignment with the comment
  lines right above it). A solution's block must show the object that ``solution(label)``
  prints. When a source changes, refresh the blocks with
  ``.venv/bin/python tests/test_notebooks_text.py --fix`` (it rewrites only those blocks);
- no ``{doc}`` and no ``{ref}``/``{numref}`` to a label of another page (JupyterLab cannot
  resolve them): link the page instead, ``[References](references.md)``.
"""

import ast
import importlib
import inspect
import json
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BOOK = REPO / "book"
CHAPTERS = sorted(BOOK.glob("0*.ipynb"))

SOURCE_MARKER = re.compile(r"^% source: ([\w.]+)[^\n]*\n(`{3,})python\n(.*?)\n\2$",
                           re.M | re.S)
ROLE = re.compile(r"\{([\w:-]+)\}`([^`]*)`")
LABEL = re.compile(r"^\(([\w-]+)\)=|^:label: ([\w-]+)", re.M)


def _notebook(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _markdown_cells(path):
    return [("".join(cell["source"]), index)
            for index, cell in enumerate(_notebook(path)["cells"])
            if cell["cell_type"] == "markdown"]


def _markdown(path):
    return "\n\n".join(source for source, _ in _markdown_cells(path))


# ------------------------------------------------------------ code blocks and their sources


def _resolve(dotted):
    """(module, object, name) for 'package.module.name' (the longest importable module)."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            module = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        obj = module
        for part in parts[cut:]:
            obj = getattr(obj, part)
        return module, obj, parts[-1]
    raise ModuleNotFoundError(dotted)


def expected_source(dotted):
    """The code a block marked ``% source: dotted`` must show.

    A function or class: its source (``inspect.getsource``). A constant: the statement that
    assigns it at the module's top level, with the comment lines directly above it.
    """
    module, obj, name = _resolve(dotted)
    if inspect.isfunction(obj) or inspect.isclass(obj):
        return inspect.getsource(obj).rstrip("\n")
    text = inspect.getsource(module)
    lines = text.splitlines()
    for node in ast.parse(text).body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            start = node.lineno - 1
            while start > 0 and lines[start - 1].lstrip().startswith("#"):
                start -= 1
            return "\n".join(lines[start:node.end_lineno])
    raise LookupError(f"{dotted}: no top-level assignment of {name} in {module.__file__}")


def code_blocks():
    """[(notebook name, cell index, dotted source, block text)] of every marked code block."""
    found = []
    for path in CHAPTERS:
        for source, index in _markdown_cells(path):
            for match in SOURCE_MARKER.finditer(source):
                found.append((path.name, index, match.group(1), match.group(3)))
    return found


def fix_code_blocks():
    """Rewrite every marked code block from its source (notebook JSON otherwise untouched)."""
    changed = []
    for path in CHAPTERS:
        notebook = _notebook(path)
        dirty = False
        for cell in notebook["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            source = "".join(cell["source"])

            def refresh(match):
                fence = match.group(2)
                code = expected_source(match.group(1))
                while fence in code:
                    fence += "`"
                head = match.group(0).split("\n", 1)[0]
                return f"{head}\n{fence}python\n{code}\n{fence}"

            new = SOURCE_MARKER.sub(refresh, source)
            if new != source:
                cell["source"] = new.splitlines(keepends=True)
                dirty = True
        if dirty:
            path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
            changed.append(path.name)
    return changed


BLOCKS = code_blocks()


def test_there_are_code_blocks():
    assert len(BLOCKS) >= 33, f"only {len(BLOCKS)} marked code blocks found"


@pytest.mark.parametrize("notebook, cell, dotted, block", BLOCKS,
                         ids=[f"{nb}-{dotted.rsplit('.', 1)[-1]}" for nb, _, dotted, _ in BLOCKS])
def test_code_block_is_its_source(notebook, cell, dotted, block):
    assert block == expected_source(dotted), (
        f"{notebook}, cell {cell}: the code block differs from {dotted}; refresh the blocks with "
        "`.venv/bin/python tests/test_notebooks_text.py --fix`")


def _solution_directives(path):
    """[(label, body)] of every ``{solution} label`` directive in the notebook's markdown."""
    found = []
    for source, _ in _markdown_cells(path):
        for match in re.finditer(r"^(`{3,}|:{3,})\{solution\} ([\w-]+)\n(.*?)^\1$", source,
                                 re.M | re.S):
            found.append((match.group(2), match.group(3)))
    return found


SOLUTIONS = [(path.name, label, body) for path in CHAPTERS
             for label, body in _solution_directives(path)]


def test_every_exercise_has_a_solution_block():
    exercises = [label for path in CHAPTERS
                 for label in re.findall(r"^`{3,}\{exercise\}[^\n]*\n:label: ([\w-]+)",
                                         _markdown(path), re.M)]
    assert len(exercises) >= 32
    assert sorted(exercises) == sorted(label for _, label, _ in SOLUTIONS)


@pytest.mark.parametrize("notebook, label, body", SOLUTIONS,
                         ids=[label for _, label, _ in SOLUTIONS])
def test_solution_block_shows_the_registered_solution(notebook, label, body):
    from cnn_course.exercises import get

    markers = [match.group(1) for match in SOURCE_MARKER.finditer(body)]
    assert len(markers) == 1, f"{notebook}: solution {label} needs one marked code block"
    _, obj, _ = _resolve(markers[0])
    assert obj is get(label).solution, (
        f"{notebook}: the solution block of {label} shows {markers[0]}, but "
        f'solution("{label}") prints another object')


# ------------------------------------------------------------ MyST that JupyterLab can render


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_only_myst_that_jupyterlab_renders(path):
    text = _markdown(path)
    labels = {a or b for a, b in LABEL.findall(text)}
    problems = []
    if "{literalinclude}" in text:
        problems.append("{literalinclude} (JupyterLab drops it): use a marked code block")
    for role, target in ROLE.findall(text):
        if role.startswith("glue"):
            problems.append(f"{{{role}}}`{target}` (JupyterLab shows the key): write the number")
        elif role == "doc":
            problems.append(f"{{doc}}`{target}`: link the page, [{target}]({target}.md)")
        elif role in ("ref", "numref"):
            label = re.sub(r"^.*<(.*)>$", r"\1", target)
            if label not in labels:
                problems.append(f"{{{role}}}`{target}` points to another page: link the page")
    assert not problems, f"{path.name}: " + "; ".join(problems)


# ------------------------------------------------------------ numbers stated in the text


def _stored_output(notebook, snippet):
    """The text outputs of the code cell whose source contains ``snippet`` (strict nbval keeps
    them equal to a fresh run)."""
    cells = [cell for cell in _notebook(BOOK / notebook)["cells"]
             if cell["cell_type"] == "code" and snippet in "".join(cell["source"])]
    assert len(cells) == 1, f"{notebook}: {len(cells)} code cells contain {snippet!r}"
    texts = []
    for output in cells[0]["outputs"]:
        if output["output_type"] == "stream":
            texts.append("".join(output["text"]))
        elif "text/plain" in output.get("data", {}):
            texts.append("".join(output["data"]["text/plain"]))
    return "\n".join(texts)


def _ch1_param_counts():
    import numpy as np

    from cnn_course.layers import Conv2D, Dense

    conv = Conv2D.create(1, 32, 5, padding=2, rng=np.random.default_rng(0))
    dense = Dense.create(784, 32, rng=np.random.default_rng(0))
    conv_out = conv.forward(np.zeros((1, 1, 28, 28), dtype=np.float32)).shape
    return {"conv_weights": conv.params["W"].size, "conv_outputs": int(np.prod(conv_out[1:])),
            "dense_weights": dense.params["W"].size, "dense_outputs": dense.params["b"].size,
            "valid_outputs": 32 * (28 - 5 + 1) ** 2}


def _ch1_receptive_field():
    import numpy as np

    from cnn_course import functional as F

    seen = np.zeros((7, 7), dtype=bool)
    for k, l in np.ndindex(7, 7):
        impulse = np.zeros((7, 7))
        impulse[k, l] = 1.0
        seen[k, l] = F.corr2d(F.corr2d(impulse, np.ones((3, 3))), np.ones((3, 3)))[0, 0] != 0
    return int(seen[0].sum())


def _ch4_studies():
    import numpy as np

    from cnn_course.data import load_mnist
    from cnn_course.topics.invariance import pooling_shift_study
    from cnn_course.topics.kernels import get_kernel

    images, _ = load_mnist("test", subset=100, download=False)
    K = get_kernel("vertical edge", dtype=np.float32)
    return [pooling_shift_study(images, K, pool_size=p, shifts=range(4)) for p in (2, 3, 4)]


def _ch4(pick):
    def value():
        studies = _ch4_studies()
        return f"{round(float(pick(studies)), 4):.2f}"
    return value


def _ch4_max_changes_more():
    """How many of the 100 digits max pooling (4x4 windows) changes more than average pooling
    does, after a one-pixel shift, computed digit by digit."""
    import numpy as np

    from cnn_course.data import load_mnist
    from cnn_course.topics.invariance import pooling_shift_study
    from cnn_course.topics.kernels import get_kernel

    images, _ = load_mnist("test", subset=100, download=False)
    K = get_kernel("vertical edge", dtype=np.float32)
    studies = [pooling_shift_study(im, K, pool_size=4, shifts=range(4)) for im in images]
    return str(int(sum(s.max[1] > s.avg[1] for s in studies)))


def _ch4_digit(kind):
    def value():
        import numpy as np

        from cnn_course.data import load_mnist
        from cnn_course.topics.invariance import pooling_shift_study
        from cnn_course.topics.kernels import get_kernel

        images, labels = load_mnist("test", subset=100, download=False)
        digit = _ch4_explorer_digit(images, labels)
        study = pooling_shift_study(digit, get_kernel("vertical edge", dtype=np.float32),
                                    pool_size=4, shifts=range(3))
        return f"{float(getattr(study, kind)[1]):.3f}"
    return value


def _ch4_explorer_digit(images, labels):
    """The digit chapter 4's explorer and tables use: the cell that defines ``digit``."""
    nb = _notebook(BOOK / "04_pooling.ipynb")
    source = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"
                  and re.search(r"^digit = ", "".join(c["source"]), re.M))
    line = re.search(r"^digit = (.*)$", source, re.M).group(1)
    return eval(line, {"images": images, "labels": labels, "np": __import__("numpy")})


def _ch6_subset_test_acc():
    output = _stored_output("06_lenet.ipynb", "history.test_acc[e]")
    return re.findall(r"test acc (\d\.\d+)", output)[-1]


def _ch6_full(key):
    def value():
        from cnn_course.widgets.timing import load_measured

        run = load_measured("full_training")["runs"][0]
        return f"{run['test_acc'][-1]:g}" if key == "acc" else str(run["epochs"])
    return value


def _selectivity():
    from cnn_course.exercises.ch01 import SELECTIVITY

    return f"{SELECTIVITY:g}"


def _n_pixels():
    output = _stored_output("01_dense_to_conv.ipynb", 'load_mnist("test", subset=10)')
    return re.search(r"\(28, 28\) (\d+)", output).group(1)


# (notebook, the sentence with {} where the number stands, how the number is computed,
#  needs the datasets). The sentence is matched with its whitespace collapsed.
NUMBERS = [
    ("01_dense_to_conv", "unrolled into {} numbers", _n_pixels, False),
    ("01_dense_to_conv", "a square block {} pixels wide", lambda: str(_ch1_receptive_field()),
     False),
    ("01_dense_to_conv", "The convolution's {} weights make",
     lambda: f"{_ch1_param_counts()['conv_weights']:,}", False),
    ("01_dense_to_conv", "make {} output values, one per filter and pixel",
     lambda: f"{_ch1_param_counts()['conv_outputs']:,}", False),
    ("01_dense_to_conv", "the dense layer needs {} weights",
     lambda: f"{_ch1_param_counts()['dense_weights']:,}", False),
    ("01_dense_to_conv", "weights to make {}: the same two numbers",
     lambda: f"{_ch1_param_counts()['dense_outputs']:,}", False),
    ("01_dense_to_conv", "giving {} outputs from the same weights",
     lambda: f"{_ch1_param_counts()['valid_outputs']:,}", False),
    ("01_dense_to_conv", "to the anti-diagonal edge is at least {} times", _selectivity, False),
    ("04_pooling", "averaged over all {} digits of the subset",
     lambda: str(_ch4_studies()[0].n_images), True),
    ("04_pooling", "the edge map changes by {},", _ch4(lambda s: s[0].raw[1]), True),
    ("04_pooling", "its $2 \\times 2$ max-pooled version by {},", _ch4(lambda s: s[0].max[1]),
     True),
    ("04_pooling", "4$ max-pooled version by {}. In every row", _ch4(lambda s: s[2].max[1]),
     True),
    ("04_pooling", "a single pixel changes the pooled features by {} of their size",
     _ch4(lambda s: s[2].max[1]), True),
    ("04_pooling", "changes the pooled features by {}, not far from",
     _ch4(lambda s: s[0].max[2]), True),
    ("04_pooling", "not far from the {} of the raw map", _ch4(lambda s: s[0].raw[2]), True),
    ("04_pooling", "than average pooling for {} of the 100 digits", _ch4_max_changes_more, True),
    ("04_pooling", "is one of them ({} against", _ch4_digit("max"), True),
    ("04_pooling", "against {} in the last table", _ch4_digit("avg"), True),
    ("06_lenet", "classified correctly, is {}.", _ch6_subset_test_acc, False),
    ("06_lenet", "With all the data, {} epochs", _ch6_full("epochs"), False),
    ("06_lenet", "give a test accuracy of {}.", _ch6_full("acc"), False),
]


@pytest.mark.parametrize("notebook, sentence, compute, needs_data", NUMBERS,
                         ids=[f"{nb}-{i}" for i, (nb, *_) in enumerate(NUMBERS)])
def test_number_in_text_is_the_computed_one(notebook, sentence, compute, needs_data, request):
    if needs_data:
        request.getfixturevalue("shared_data")
    text = " ".join(_markdown(BOOK / f"{notebook}.ipynb").replace("’", "'").split())
    expected = sentence.format(compute())
    assert expected in text, (
        f"{notebook}: the text should say {expected!r} (the computed value); "
        f"found: {[m for m in re.findall(re.escape(sentence).replace(re.escape('{}'), '(.{1,12}?)'), text)]}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--fix"]:
        print("rewrote the code blocks of:", ", ".join(fix_code_blocks()) or "nothing")
    else:
        sys.exit("usage: python tests/test_notebooks_text.py --fix")
