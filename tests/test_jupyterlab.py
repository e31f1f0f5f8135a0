"""The live path of an interactive figure, in a real JupyterLab with a running kernel.

The book shows each figure's precomputed text/html view; JupyterLab must instead show the live
ipywidgets view of the same output (the widget renderer outranks HTML), and moving its slider
must redraw the figure in place. JupyterLab runs on 127.0.0.1 with a throwaway notebook that
makes chapter 1's sliding-window explorer; headless chromium drives it like a learner.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

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


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                           "outputs": [], "source": CELL}],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                            "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    (root / "live.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    port = _free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={root}",
               "--LabApp.news_url=None", "--ServerApp.open_browser=False"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(root / "lab.log", "w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text())
                time.sleep(0.5)
        yield f"{base}/lab/tree/live.ipynb?token={TOKEN}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


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
        assert len(page.locator(".jp-OutputArea-output img").all()) == 1, "figures stacked"
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot_dir / "jupyterlab_live_widget.png"))
    finally:
        page.close()
