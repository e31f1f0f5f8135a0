"""Shared fixtures: the built book (built once per test run) and the pages of the table of contents.

The book is built by the session fixture `built_book`. Under pytest-xdist every worker has its
own session, so the build is guarded by a file lock and stamped with the run's id: whichever
worker asks first builds, the others wait and reuse the result.
"""

import fcntl
import json
import os
import runpy
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO / "_build"
HTML_DIR = BUILD_DIR / "html"
SCREENSHOT_DIR = BUILD_DIR / "screenshots"
VENDORED_MATHJAX = REPO / "book" / "_vendor" / "mathjax" / "tex-mml-chtml.js"

# Both editions (.ci/build_book.py: English in _build/html/, Chinese in _build/html/zh_CN/).
# --all: a fresh Sphinx environment, so warnings of unchanged pages are reported again
BUILD_COMMAND = [str(REPO / ".ci" / "build_book.py"), "-W", "-n", "--keep-going", "--all"]
# The editions' roots below _build/html/ ("" is the English book), and their <html lang>.
EDITIONS = {"": "en", "zh_CN/": "zh-CN"}


def toc_pages():
    """Every page in _toc.yml, in order, as paths relative to the repo without suffix."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return pages


def is_chapter(page):
    """Chapter pages are the notebooks book/0*.ipynb (they hold the interactive figures)."""
    return Path(page).name.startswith("0") and (REPO / f"{page}.ipynb").is_file()


# Tests that need the built book, a browser or JupyterLab (minutes, not seconds) get the `book`
# marker from the fixtures they use, so `pytest -m "not book"` runs the quick unit tests alone.
BOOK_FIXTURES = {"built_book", "browser", "jupyterlab", "course_lab", "ci_lab"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BOOK_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.book)


def pytest_generate_tests(metafunc):
    """`toc_page`: every page in the toc; `chapter_page`: every chapter page (one test each)."""
    if "toc_page" in metafunc.fixturenames:
        metafunc.parametrize("toc_page", toc_pages(), scope="module")
    if "chapter_page" in metafunc.fixturenames:
        metafunc.parametrize("chapter_page", [p for p in toc_pages() if is_chapter(p)],
                             scope="module")
    # the same pages in both editions: "book/04_pooling" and "zh_CN/book/04_pooling"
    if "edition_page" in metafunc.fixturenames:
        metafunc.parametrize("edition_page", [e + p for e in EDITIONS for p in toc_pages()],
                             scope="module")
    if "edition_chapter" in metafunc.fixturenames:
        metafunc.parametrize("edition_chapter", [e + p for e in EDITIONS for p in toc_pages()
                                                 if is_chapter(p)], scope="module")


@pytest.fixture(scope="session")
def repo_root():
    return REPO


@pytest.fixture(scope="session")
def editions():
    """The book's editions: root below _build/html/ ("" is English) -> its <html lang>."""
    return dict(EDITIONS)


@pytest.fixture(scope="session")
def toc():
    """The pages of _toc.yml, in order (paths relative to the repo, no suffix)."""
    return toc_pages()


@pytest.fixture(scope="session")
def screenshot_dir():
    return SCREENSHOT_DIR


@dataclass
class BookBuild:
    returncode: int
    log: str
    seconds: float
    html_dir: Path = HTML_DIR

    @property
    def ok(self):
        return self.returncode == 0

    def log_tail(self, lines=60):
        return "\n".join(self.log.splitlines()[-lines:])


def _run_build():
    start = time.perf_counter()
    log = ""
    if not VENDORED_MATHJAX.is_file():
        vendor = subprocess.run([sys.executable, str(REPO / ".ci" / "vendor_assets.py")],
                                cwd=REPO, capture_output=True, text=True)
        log += vendor.stdout + vendor.stderr
        if vendor.returncode != 0:
            return BookBuild(vendor.returncode, log, time.perf_counter() - start)
    build = subprocess.run([sys.executable, *BUILD_COMMAND], cwd=REPO,
                           capture_output=True, text=True)
    log += build.stdout + build.stderr
    return BookBuild(build.returncode, log, time.perf_counter() - start)


@pytest.fixture(scope="session")
def built_book():
    """Build the book once per test run, both editions (`.ci/build_book.py -W -n --keep-going
    --all`)."""
    BUILD_DIR.mkdir(exist_ok=True)
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    stamp = BUILD_DIR / ".test-build.json"
    with open(BUILD_DIR / ".test-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if stamp.is_file():
                previous = json.loads(stamp.read_text(encoding="utf-8"))
                if previous.get("run_id") == run_id:
                    return BookBuild(previous["returncode"], previous["log"], 0.0)
            result = _run_build()
            stamp.write_text(json.dumps({"run_id": run_id, "returncode": result.returncode,
                                         "log": result.log}), encoding="utf-8")
            return result
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --- headless chromium (tests/test_browser.py, tests/test_jupyterlab.py) ---------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _chromium_or_skip():
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing; in CI the browser tests must run (.ci/run installs it)")
    pytest.skip(f"{CHROMIUM} not found (apt-get install chromium); browser tests need it")


@pytest.fixture(scope="module")
def browser():
    _chromium_or_skip()
    if os.environ.get("CI") == "true":
        from playwright.sync_api import sync_playwright
    else:
        sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# --- the shared datasets (tests/test_data.py, tests/test_train.py) -------------------------------

# Where the datasets are: $CNN_COURSE_DATA, else ../shared/data beside the repository (CI
# clones it with ../shared beside it), as .ci/environment.py, the one place this is written, says.
DATA_DIR = runpy.run_path(str(REPO / ".ci" / "environment.py"))["data_dir"]()


@pytest.fixture(scope="session")
def shared_data_dir():
    """The read-only copy of the datasets (never written to; tests pass download=False)."""
    if DATA_DIR is None or not (DATA_DIR / "mnist").is_dir():
        pytest.fail(f"datasets not found at {DATA_DIR or REPO.parent / 'shared' / 'data'}: "
                    "set CNN_COURSE_DATA to the folder holding mnist/ and fashion-mnist/")
    return DATA_DIR


@pytest.fixture
def shared_data(monkeypatch, shared_data_dir):
    """Point CNN_COURSE_DATA at the shared read-only copy of the datasets."""
    from cnn_course import data

    monkeypatch.setenv(data.ENV_VAR, str(shared_data_dir))
    return shared_data_dir


@pytest.fixture(scope="session")
def torch():
    """PyTorch, the optional oracle: tests that use it are skipped where it is not installed,
    except under .ci/oracle (CNN_COURSE_ORACLE=1), where a missing torch is an error."""
    if os.environ.get("CNN_COURSE_ORACLE") == "1":
        import torch

        return torch
    return pytest.importorskip(
        "torch", reason="PyTorch is not installed: run .ci/oracle (it installs torch==2.13.0)")
