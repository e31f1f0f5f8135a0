"""The course in a real JupyterLab, driven by headless chromium like a learner.

- The live path of an interactive figure: the book shows each figure's precomputed text/html
  view; JupyterLab must instead show the live ipywidgets view of the same output (the widget
  renderer outranks HTML), and moving its slider must redraw the figure in place (a throwaway
  notebook that makes chapter 1's sliding-window explorer).
- Every chapter reads as in the book (jupyterlab-myst): no raw MyST (directive, role, option,
  label, glue key) in the rendered markdown, every admonition and exercise rendered with its
  title, every solution collapsed until opened and holding its code. JupyterLab renders only
  the cells in view by default, so this server runs with windowing off (a settings folder).
- `.ci/lab`, the learner's command, starts a server that answers (then the test stops it).
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BOOK = REPO / "book"
CHAPTERS = sorted(BOOK.glob("0*.ipynb"))

pytestmark = pytest.mark.browser

TOKEN = "cnn-course-test"
CELL = ("import numpy as np\n"
        "from cnn_course.widgets.ch01_convolution import sliding_window_explorer\n"
        "X = np.arange(25.0).reshape(5, 5)\n"
        "K = np.array([[1., 0, -1], [2, 0, -2], [1, 0, -1]])\n"
        "sliding_window_explorer(X, K)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_answering(base, server, log_path, seconds=90):
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + log_path.read_text())
            time.sleep(0.5)


def _stop(server):
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@contextlib.contextmanager
def _lab(root, *extra):
    """A JupyterLab server on 127.0.0.1 serving ``root``; yields its base URL."""
    port = _free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={root}",
               "--LabApp.news_url=None", "--ServerApp.open_browser=False", *extra]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_path = root.parent / f"{root.name}-lab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=root)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_answering(base, server, log_path)
            yield base
        finally:
            _stop(server)


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                           "outputs": [], "source": CELL}],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                            "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    (root / "live.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    with _lab(root) as base:
        yield f"{base}/lab/tree/live.ipynb?token={TOKEN}"


def _run_first_cell(page, attempts=6):
    """Run the notebook's cell until its widget shows.

    A Shift+Enter that arrives while JupyterLab is still wiring up the notebook is sometimes
    dropped; running the cell again is harmless, so try a few times before giving up.
    """
    page.wait_for_selector(".jp-Cell .jp-InputArea-editor .cm-content", timeout=60_000)
    for _ in range(attempts):
        page.click(".jp-Cell .jp-InputArea-editor")
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_selector(".jp-OutputArea-output .widget-hslider", timeout=15_000)
            return
        except Exception:  # playwright's TimeoutError
            continue
    pytest.fail(f"the cell's widget did not appear after {attempts} runs")


def test_live_widget_redraws_when_its_slider_moves(browser, jupyterlab, screenshot_dir):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    try:
        page.goto(jupyterlab, timeout=60_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        _run_first_cell(page)
        image = page.locator(".jp-OutputArea-output img").first
        image.wait_for(timeout=30_000)
        assert page.locator(".jp-OutputArea-output .cnn-widget").count() == 0, \
            "JupyterLab showed the static player instead of the live widget"
        before = image.get_attribute("src")
        page.locator(".jp-OutputArea-output .widget-hslider .noUi-handle").first.focus()
        for _ in range(4):
            page.keyboard.press("ArrowRight")
        # four steps right: output position 4 of the 3x3 output, i.e. Y[1, 1]
        page.wait_for_function(
            "() => (document.querySelector('.jp-OutputArea-output .cnn-widget-caption') || {})"
            ".innerText?.startsWith('Y[1, 1] =')", timeout=30_000)
        assert image.get_attribute("src") != before, "the caption changed but the image did not"
        # ipywidgets has no aria-valuetext: the values in words reach a screen reader through
        # a polite live region (and each control's tooltip)
        status = page.locator(".jp-OutputArea-output .cnn-widget-status").first
        assert status.get_attribute("aria-live") == "polite"
        words = status.text_content()
        assert words == "output position: row 1, column 1", words
        handle_title = page.locator(".jp-OutputArea-output .widget-hslider .widget-label") \
            .first.get_attribute("title")
        assert handle_title and handle_title in words, (handle_title, words)
        assert len(page.locator(".jp-OutputArea-output img").all()) == 1, "figures stacked"
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot_dir / "jupyterlab_live_widget.png"))
    finally:
        page.close()


# --- every chapter, rendered by jupyterlab-myst -----------------------------------------------

# The notebook tracker's settings: render every cell, not only those in view (windowing), so
# the test can read the whole chapter.
NO_WINDOWING = {"windowingMode": "none"}


@pytest.fixture(scope="module")
def course_lab(tmp_path_factory):
    """JupyterLab serving a copy of book/'s chapters and pages (the repository is never
    touched: opening a notebook may write checkpoints); yields its base URL."""
    root = tmp_path_factory.mktemp("course")
    for path in [*CHAPTERS, *BOOK.glob("*.md")]:
        shutil.copy(path, root / path.name)
    settings = tmp_path_factory.mktemp("settings")
    tracker = settings / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps(NO_WINDOWING),
                                                         encoding="utf-8")
    with _lab(root, f"--LabApp.user_settings_dir={settings}") as base:
        yield base


def _expected(path):
    """What the chapter's source says JupyterLab must show."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    markdown = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"]
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    text = "\n\n".join(markdown)
    return {
        "markdown_cells": len(markdown),
        # (MyST typesets straight quotes as curly ones)
        "exercise_titles": [title.replace("'", "’") for title in
                            re.findall(r"^`{3,}\{exercise\} (.+)$", text, re.M)],
        "solutions": len(re.findall(r"^`{3,}\{solution\} ", text, re.M)),
        "admonitions": len(re.findall(r"^`{3,}\{(?:admonition|note|tip|warning|important|"
                                      r"caution|attention|danger|error|hint|seealso)\}",
                                      text, re.M)),
        "glue_keys": re.findall(r"""glue\(\s*["'](\w+)["']""", code),
    }


RENDERED_JS = """() => {
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-MarkdownCell')];
  const markdown = cells.map(cell => {
    const rendered = cell.querySelector('.jp-Cell-inputWrapper .myst');
    if (!rendered) return null;
    const copy = rendered.cloneNode(true);
    copy.querySelectorAll('.katex').forEach(e => e.replaceWith(' '));
    const code = [...copy.querySelectorAll('pre, code')].map(e => e.textContent);
    copy.querySelectorAll('pre, code').forEach(e => e.replaceWith(' '));
    return {prose: copy.textContent, code: code};
  });
  // checkVisibility: false inside a closed <details> (its content is content-visibility:
  // hidden, yet still has a layout box)
  const shown = e => !!e && e.checkVisibility({visibilityProperty: true}) &&
                   e.getBoundingClientRect().height > 0;
  const exercises = [...document.querySelectorAll('.jp-MarkdownCell aside.myst-exercise')].map(
    a => ({title: (a.querySelector('.myst-exercise-title') || {}).textContent || '',
           visible: shown(a.querySelector('.myst-exercise-title'))}));
  const solutions = [...document.querySelectorAll('.jp-MarkdownCell details.myst-exercise')].map(
    d => ({summary: d.querySelector('summary').textContent, open: d.open,
           body_visible: shown(d.querySelector('.details-body')),
           code: [...d.querySelectorAll('pre')].map(e => e.textContent).join('\\n')}));
  return {
    markdown: markdown, exercises: exercises, solutions: solutions,
    admonitions: document.querySelectorAll('.jp-MarkdownCell aside.myst-admonition').length,
    unresolved: [...document.querySelectorAll('.jp-MarkdownCell [title]')]
      .map(e => e.getAttribute('title')).filter(t => /not found|unknown|error/i.test(t)),
  };
}"""

# Raw MyST a learner must never see in rendered prose (code excluded): a role or directive
# name in braces, a code fence, a directive option line, a target label, a hidden comment.
RAW_PROSE = [(r"\{[a-z][\w:-]*\}", "a role or directive name"), (r"```|~~~", "a code fence"),
             (r"(?m)^\s*:[a-z][\w-]*:\s", "a directive option"),
             (r"\([\w-]+\)=", "a target label"), (r"(?m)^%\s", "a MyST comment")]
# ...nor inside a rendered code block (an unrendered directive shows up as one).
RAW_CODE = [(r"(?m)^\s*(`{3,}|:{3,})\{", "a directive"),
            (r"(?m)^:(?:class|label|pyobject|start-at|end-at|name):", "a directive option")]


@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_chapter_renders_as_in_the_book(browser, course_lab, chapter, screenshot_dir):
    expected = _expected(BOOK / chapter)
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    try:
        # a workspace of its own: JupyterLab would otherwise reopen the chapters opened before
        page.goto(f"{course_lab}/lab/workspaces/{Path(chapter).stem}/tree/{chapter}"
                  f"?token={TOKEN}", timeout=60_000)
        page.wait_for_function(
            "n => document.querySelectorAll("
            "'.jp-Notebook .jp-MarkdownCell .jp-Cell-inputWrapper .myst').length >= n",
            arg=expected["markdown_cells"], timeout=90_000)
        page.wait_for_timeout(500)    # let the last cells finish (math, cross-references)
        found = page.evaluate(RENDERED_JS)

        missing = [i for i, cell in enumerate(found["markdown"]) if cell is None]
        assert not missing and len(found["markdown"]) == expected["markdown_cells"], (
            f"markdown cells not rendered by jupyterlab-myst: {missing}")
        problems = []
        for i, cell in enumerate(found["markdown"]):
            for pattern, what in RAW_PROSE:
                for match in re.finditer(pattern, cell["prose"]):
                    start = max(0, match.start() - 40)
                    problems.append(f"markdown cell {i}: {what} {cell['prose'][start:match.end() + 40]!r}")
            for block in cell["code"]:
                for pattern, what in RAW_CODE:
                    if re.search(pattern, block):
                        problems.append(f"markdown cell {i}: {what} in a code block {block[:80]!r}")
            for key in expected["glue_keys"]:
                if key in cell["prose"]:
                    problems.append(f"markdown cell {i}: the glue key {key} instead of a number")
        problems += [f"unresolved: {title}" for title in found["unresolved"]]
        assert not problems, f"{chapter} shows raw MyST:\n" + "\n".join(problems)

        assert found["admonitions"] == expected["admonitions"]
        titles = [e["title"] for e in found["exercises"]]
        assert len(titles) == len(expected["exercise_titles"]), titles
        for exercise, title in zip(found["exercises"], expected["exercise_titles"]):
            assert exercise["visible"] and re.fullmatch(
                rf"Exercise \d+ \({re.escape(title.strip())}\)", exercise["title"].strip()), (
                f"{chapter}: exercise title {exercise} should show {title!r}")

        solutions = found["solutions"]
        assert len(solutions) == expected["solutions"] == len(titles)
        for solution in solutions:
            assert solution["summary"].strip().startswith("Solution to Exercise"), solution
            assert not solution["open"] and not solution["body_visible"], (
                f"{chapter}: {solution['summary']} is open before the learner asks")
            assert solution["code"].strip(), f"{chapter}: {solution['summary']} has no code"

        # opening a solution shows its code
        first = page.locator(".jp-MarkdownCell details.myst-exercise").first
        first.locator("summary").click()
        first.locator("pre").first.wait_for(state="visible", timeout=10_000)
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"jupyterlab_{Path(chapter).stem}.png"))
    finally:
        page.close()


# --- .ci/lab, the learner's command ----------------------------------------------------------

@pytest.fixture
def ci_lab(tmp_path):
    """Run `.ci/lab` (its set-up is a no-op on a set-up machine) on a free port; yields
    (base URL, log path). Stops the server, and only it, afterwards."""
    port = _free_port()
    log_path = tmp_path / "ci-lab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            ["bash", str(REPO / ".ci" / "lab"), "--no-browser", "--ip=127.0.0.1",
             f"--port={port}", f"--ServerApp.token={TOKEN}", "--LabApp.news_url=None"],
            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_answering(base, server, log_path, seconds=600)  # pip only if stale
            yield base, log_path
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


def test_ci_lab_serves_the_course_folder(ci_lab):
    base, log_path = ci_lab
    with urllib.request.urlopen(f"{base}/api/contents?token={TOKEN}", timeout=10) as answer:
        listing = {item["name"] for item in json.load(answer)["content"]}
    assert {p.name for p in CHAPTERS} | {"intro.md", "glossary.md"} <= listing, listing
    clutter = listing & {"_ext", "_static", "_vendor", "measured", "_build", "__pycache__"}
    assert not clutter, f"the file browser shows build folders: {sorted(clutter)}"
    with urllib.request.urlopen(f"{base}/lab?token={TOKEN}", timeout=10) as answer:
        assert answer.status == 200
    log = log_path.read_text()
    assert f"127.0.0.1:{base.rsplit(':', 1)[1]}/lab" in log, "the URL was not printed:\n" + log
    assert "CNN_COURSE_DATA=" in log, log
