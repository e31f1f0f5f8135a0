"""The committed notebooks store text outputs only: no image bytes, no widget views.

Policy (README, "Refreshing the notebooks' stored outputs"): strict nbval compares the stored
TEXT outputs with a fresh run, and the book build executes the notebooks itself (_config.yml,
execute_notebooks: cache), so git needs no image bytes. .ci/execute_notebooks.py strips them
when it writes a notebook: image/png and image/jpeg outputs are removed, and every base64 data
URI inside an HTML output (the frames of an interactive figure) becomes one constant 1x1
placeholder. These tests keep it so, and check that the stripping changes nothing that nbval
compares (tests/nbval_sanitize.cfg). Fix a failure with:

    .venv/bin/python .ci/execute_notebooks.py --strip-only book/NN_name.ipynb
"""

import base64
import copy
import importlib.util
import io
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "book").glob("*.ipynb"))
SANITIZE_CFG = Path(__file__).with_name("nbval_sanitize.cfg")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ANY_DATA_URI = re.compile(r"data:image/([\w.+-]+);base64,([A-Za-z0-9+/=]*)")
FIX = "fix: .venv/bin/python .ci/execute_notebooks.py --strip-only {path}"


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "execute_notebooks", REPO / ".ci" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _load_script()


def sanitize(text):
    """Apply tests/nbval_sanitize.cfg exactly as nbval does (same parser, same order)."""
    for regex, replace in get_sanitize_patterns(SANITIZE_CFG.read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


def _outputs(nb):
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            yield index, output


def _strings(value):
    """Every string inside an output's data (values may be strings, lists, dicts)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _rel(path):
    return path.relative_to(REPO).as_posix()


def test_book_has_notebooks():
    assert NOTEBOOKS, "no notebooks in book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebook_has_no_image_payload(path):
    nb = nbformat.read(path, as_version=4)
    problems = []
    for index, output in _outputs(nb):
        data = output.get("data", {})
        for kind in script.IMAGE_OUTPUTS:
            if kind in data:
                problems.append(f"cell {index}: {kind} output")
        for text in _strings(data):
            for m in ANY_DATA_URI.finditer(text):
                if m.group(0) != script.placeholder_uri(m.group(1)):
                    problems.append(f"cell {index}: data:image/{m.group(1)} URI of "
                                    f"{len(m.group(2))} base64 characters")
    assert not problems, (f"{_rel(path)} stores image bytes ({len(problems)}): {problems[:5]}; "
                          + FIX.format(path=_rel(path)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebook_has_no_widget_view_or_state(path):
    nb = nbformat.read(path, as_version=4)
    views = [index for index, output in _outputs(nb) if WIDGET_VIEW in output.get("data", {})]
    assert not views, f"{_rel(path)}: widget views in cells {views}; " + FIX.format(path=_rel(path))
    assert "widgets" not in nb.metadata, (f"{_rel(path)}: stores widget state; "
                                          + FIX.format(path=_rel(path)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebook_is_already_stripped(path):
    """--strip-only would change nothing: no volatile metadata, no image, no widget view."""
    nb = nbformat.read(path, as_version=4)
    stripped = script.strip(copy.deepcopy(nb))
    assert json.dumps(stripped, sort_keys=True) == json.dumps(nb, sort_keys=True), (
        f"{_rel(path)} was not written by .ci/execute_notebooks.py; " + FIX.format(path=_rel(path)))


def test_placeholder_is_a_valid_1x1_transparent_png():
    from PIL import Image

    image = Image.open(io.BytesIO(base64.b64decode(script.PLACEHOLDER_PNG)))
    assert image.format == "PNG" and image.size == (1, 1)
    assert image.convert("RGBA").getpixel((0, 0))[3] == 0
    assert len(script.PLACEHOLDER_PNG) < 100


def _png_uri(color):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), color).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure_notebook():
    """A notebook shaped like the chapters' outputs: a plot (image/png + text/plain) and an
    interactive figure (text/html player with frames, text/plain), and an image-only output."""
    from cnn_course.widgets.core import InteractiveFigure, Slider

    def draw(fig, shift):
        fig.add_subplot().plot([0, 1], [shift, shift + 1])
        return f"shift {shift}"

    figure = InteractiveFigure(draw, {"shift": Slider(range(3))}, title="test", figsize=(2, 1))
    plot = nbformat.v4.new_output(
        "display_data", data={"image/png": _png_uri("red").split(",", 1)[1],
                              "text/plain": "<Figure size 200x100 with 1 Axes>"},
        metadata={"image/png": {"width": 4, "height": 3}})
    player = nbformat.v4.new_output(
        "execute_result", data={"text/html": figure.static_html(),
                                "text/plain": figure.describe()}, execution_count=2)
    image_only = nbformat.v4.new_output("display_data",
                                        data={"image/jpeg": "/9j/4AAQSkZJRgABAQ=="})
    stream = nbformat.v4.new_output("stream", name="stdout", text="hello\n")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("plot()", outputs=[plot, stream], execution_count=1),
        nbformat.v4.new_code_cell("figure", outputs=[player], execution_count=2),
        nbformat.v4.new_code_cell("show()", outputs=[image_only], execution_count=3),
    ])
    return nb


def test_strip_removes_every_image_byte_and_keeps_what_nbval_compares():
    nb = _figure_notebook()
    before = copy.deepcopy(nb)
    script.strip(nb)
    plot, stream = nb.cells[0].outputs
    assert "image/png" not in plot.data and "image/png" not in plot.metadata
    assert plot.data["text/plain"] == "<Figure size 200x100 with 1 Axes>"
    assert stream.text == "hello\n"
    assert nb.cells[2].outputs == [], "an output that held only an image is dropped"

    html_before = before.cells[1].outputs[0].data["text/html"]
    html_after = nb.cells[1].outputs[0].data["text/html"]
    frames = ANY_DATA_URI.findall(html_before)
    assert len(frames) >= 2 and len(set(frames)) >= 2
    assert set(ANY_DATA_URI.findall(html_after)) == {("webp", script.PLACEHOLDER_PNG)}
    assert len(ANY_DATA_URI.findall(html_after)) == len(frames), "one placeholder per frame"
    # What strict nbval sees is unchanged: the sanitizer maps both to the same text.
    assert sanitize(html_after) == sanitize(html_before)
    assert "<IMAGE-BYTES>" in sanitize(html_after)
    assert nb.cells[1].outputs[0].data["text/plain"] == before.cells[1].outputs[0].data["text/plain"]


def test_strip_keeps_the_data_uri_type_for_the_sanitizer():
    """The sanitizer keeps the image type (data:image/\\1;...): the placeholder must too."""
    for kind in ("png", "jpeg", "gif", "webp", "svg+xml"):
        html = f'<img src="data:image/{kind};base64,AAAABBBBCCCC+/==">'
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": html})])])
        stripped = script.strip(nb).cells[0].outputs[0].data["text/html"]
        assert stripped == f'<img src="{script.placeholder_uri(kind)}">'
        assert sanitize(stripped) == sanitize(html)


def test_strip_is_idempotent():
    nb = script.strip(_figure_notebook())
    again = script.strip(copy.deepcopy(nb))
    assert json.dumps(again, sort_keys=True) == json.dumps(nb, sort_keys=True)


# --- hints, solutions and checks: nothing stored gives an answer away ---------------------------
# JupyterLab shows a notebook's stored outputs before anything runs (it ignores hide-output), so
# a stored hint or solution would be read before it is asked for, and a stored verdict would
# judge code the learner has not written. The book executes the notebooks itself and shows the
# hints there behind toggles.

CHECK_CALL = re.compile(r"""^check\(\s*["']([\w-]+)["']""", re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebook_keeps_no_hint_or_solution_output(path):
    nb = nbformat.read(path, as_version=4)
    problems = []
    for index, cell in enumerate(nb.cells):
        if not script.asks_for_help(cell):
            continue
        if cell.outputs:
            problems.append(f"cell {index} ({cell.source.strip()[:40]}) stores its output")
        if script.IGNORE_OUTPUT_TAG not in cell.metadata.get("tags", []):
            problems.append(f"cell {index} is not tagged {script.IGNORE_OUTPUT_TAG}")
        if "hint(" in cell.source and "hide-output" not in cell.metadata.get("tags", []):
            problems.append(f"cell {index} lost its hide-output tag (the book's toggle)")
    assert not problems, f"{_rel(path)}: {problems}; " + FIX.format(path=_rel(path))


def test_every_exercise_hint_cell_is_checked():
    """The hint cells exist, so the test above really looks at them."""
    cells = [cell for path in NOTEBOOKS for cell in nbformat.read(path, as_version=4).cells
             if script.asks_for_help(cell) and "hint(" in cell.source]
    assert len(cells) >= 28


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_check_outputs_are_to_do(path):
    """Every stored check( output is the "to do" feedback of the untouched stub: no verdict,
    no expected value, no fix. (A failure: the notebook's starting code is not read as "to do";
    make the checker recognise it, then re-execute the notebook.)"""
    from cnn_course.exercises import core

    nb = nbformat.read(path, as_version=4)
    problems, seen = [], 0
    for index, cell in enumerate(nb.cells):
        match = CHECK_CALL.search(cell.source) if cell.cell_type == "code" else None
        if not match:
            continue
        seen += 1
        exercise_id = match.group(1)
        texts = [output.get("data", {}).get("text/plain", "") for output in cell.outputs]
        pages = [output.get("data", {}).get("text/html", "") for output in cell.outputs]
        texts = ["".join(t) if isinstance(t, list) else t for t in texts]
        pages = ["".join(p) if isinstance(p, list) else p for p in pages]
        todo = core.Feedback(exercise_id, "not attempted", "").label
        if len(cell.outputs) != 1 or not texts[0].startswith(f"{todo} — {exercise_id}: "):
            problems.append(f"cell {index} ({exercise_id}) stores {texts or 'no output'}")
            continue
        if ('class="cnn-feedback not-attempted"' not in pages[0]
                or "not attempted" not in texts[0]):
            problems.append(f"cell {index} ({exercise_id}): not the to-do feedback: {texts[0]}")
        for word in ("expected", "got ", "Stuck?", "Passed", "Not yet"):
            if word in texts[0]:
                problems.append(f"cell {index} ({exercise_id}) mentions {word!r}: {texts[0]}")
    assert seen, f"{_rel(path)} has no check cells"
    assert not problems, (f"{_rel(path)}: {problems}; re-execute it: .venv/bin/python "
                          f".ci/execute_notebooks.py {_rel(path)}")


def _help_notebook():
    hint_out = nbformat.v4.new_output("execute_result", data={"text/plain": "Hint 1 of 3"},
                                      execution_count=1)
    printed = nbformat.v4.new_output("stream", name="stdout", text="def f(): ...\n")
    check_out = nbformat.v4.new_output("execute_result", data={"text/plain": "○ To do"},
                                       execution_count=3)
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('hint("ch1-corr2d")', outputs=[hint_out], execution_count=1,
                                  metadata={"tags": ["hide-output"]}),
        nbformat.v4.new_code_cell('solution("ch1-corr2d", reveal=True)', outputs=[printed],
                                  execution_count=2),
        nbformat.v4.new_code_cell('check("ch1-corr2d", corr2d)', outputs=[check_out],
                                  execution_count=3),
        nbformat.v4.new_code_cell("expect_array(x, y, shape_hint='s')", outputs=[printed],
                                  execution_count=4),
    ])


def test_strip_drops_hint_and_solution_outputs_and_tags_them_for_nbval():
    nb = script.strip(_help_notebook())
    hint_cell, solution_cell, check_cell, other = nb.cells
    assert hint_cell.outputs == [] and solution_cell.outputs == []
    assert hint_cell.metadata["tags"] == ["hide-output", "nbval-ignore-output"]
    assert solution_cell.metadata["tags"] == ["nbval-ignore-output"]
    assert len(check_cell.outputs) == 1 and "tags" not in check_cell.metadata
    assert len(other.outputs) == 1 and "tags" not in other.metadata, "shape_hint( is no hint("
    again = script.strip(copy.deepcopy(nb))
    assert json.dumps(again, sort_keys=True) == json.dumps(nb, sort_keys=True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_hint_cells_are_labelled_as_hints_in_the_book(path):
    """The book collapses a hint cell's output behind "Show hint 1", not "Show code cell
    outputs" (myst-nb's per-cell prompt, set by .ci/execute_notebooks.py)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    hint_cells = [c for c in nb["cells"] if c["cell_type"] == "code"
                  and re.search(r"(?<![\w])hint\s*\(", "".join(c["source"]))]
    for cell in hint_cells:
        prompts = cell["metadata"].get("mystnb", {})
        assert prompts.get("code_prompt_show") == "Show hint 1", "".join(cell["source"])
        assert "hide-output" in cell["metadata"].get("tags", [])


def test_strip_joins_a_cells_stream_split_by_chance_and_nothing_else():
    """The kernel splits printed text wherever it flushed (differently on every run): strip
    joins consecutive outputs to the same stream, and keeps stdout, stderr and the outputs
    between them apart."""
    def stream(name, text):
        return nbformat.v4.new_output("stream", name=name, text=text)
    result = nbformat.v4.new_output("execute_result", data={"text/plain": "1"},
                                    execution_count=1)
    cell = nbformat.v4.new_code_cell("run()", execution_count=1, outputs=[
        stream("stdout", "a: 1 ms"), stream("stdout", "\n"), stream("stdout", "b\n"),
        stream("stderr", "warning\n"), stream("stdout", "c\n"), result, stream("stdout", "d\n")])
    nb = script.strip(nbformat.v4.new_notebook(cells=[cell]))
    outputs = nb.cells[0].outputs
    assert [(o.output_type, o.get("name"), o.get("text")) for o in outputs] == [
        ("stream", "stdout", "a: 1 ms\nb\n"), ("stream", "stderr", "warning\n"),
        ("stream", "stdout", "c\n"), ("execute_result", None, None),
        ("stream", "stdout", "d\n")]
