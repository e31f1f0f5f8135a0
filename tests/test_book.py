"""The book builds with warnings as errors, lists every page, and references nothing off-site.

The build executes the notebooks (_config.yml, execute_notebooks: cache): the committed ones
store no image bytes, so every figure of the book is computed at build time.
The browser tests (tests/test_browser.py) check the same built pages in headless chromium.
"""

import importlib.util
import re

import pytest

# <script src=...>, <link href=...>, <img src=...>, <iframe src=...> etc. pointing at another host
EXTERNAL_RESOURCE = re.compile(
    r"<(script|link|img|iframe|source|video|audio|embed)\b[^>]*?\b(src|href)=\"(https?:)?//", re.I)


def test_book_builds_with_warnings_as_errors(built_book):
    assert built_book.ok, (
        "jupyter-book build -W -n --keep-going --all . failed "
        f"(exit {built_book.returncode}); end of its log:\n{built_book.log_tail()}")


def test_toc_and_book_folder_list_the_same_pages(toc, repo_root):
    """Every page in the toc exists, and every page in book/ is in the toc (an unlisted page
    would be silently left out of the book, because only_build_toc_files is on)."""
    missing = [p for p in toc
               if not any((repo_root / f"{p}{s}").is_file() for s in (".md", ".ipynb"))]
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"
    on_disk = sorted(p.relative_to(repo_root).with_suffix("").as_posix()
                     for p in (repo_root / "book").glob("*") if p.suffix in (".md", ".ipynb"))
    unlisted = [p for p in on_disk if p not in toc]
    assert not unlisted, f"pages in book/ missing from _toc.yml (uncomment or add them): {unlisted}"


def test_every_toc_page_is_built(built_book, toc, editions):
    """In both editions: English in _build/html/, Chinese in _build/html/zh_CN/."""
    if not built_book.ok:
        pytest.fail("the book did not build; see test_book_builds_with_warnings_as_errors")
    for root in editions:
        for page in toc:
            assert (built_book.html_dir / f"{root}{page}.html").is_file(), \
                f"{root}{page} has no HTML page"


def test_every_page_names_its_icon_so_no_browser_asks_for_a_missing_one(built_book, toc,
                                                                        editions):
    """Without <link rel="icon"> a browser asks the server for /favicon.ico, which the book
    does not have (a 404 in every reader's console)."""
    if not built_book.ok:
        pytest.fail("the book did not build; see test_book_builds_with_warnings_as_errors")
    for root in editions:
        for page in toc:
            path = built_book.html_dir / f"{root}{page}.html"
            icon = re.search(r'<link rel="icon" href="([^"]+)"', path.read_text(encoding="utf-8"))
            assert icon, f"{root}{page} names no icon"
            assert (path.parent / icon.group(1)).is_file(), f"{root}{page}: {icon.group(1)}"


def test_built_pages_load_no_resource_from_another_host(built_book):
    """A static check of the HTML; the browser test watches the actual requests."""
    if not built_book.ok:
        pytest.fail("the book did not build; see test_book_builds_with_warnings_as_errors")
    offenders = {}
    for html in sorted(built_book.html_dir.rglob("*.html")):
        found = [m.group(0) for m in EXTERNAL_RESOURCE.finditer(html.read_text(encoding="utf-8"))]
        if found:
            offenders[str(html.relative_to(built_book.html_dir))] = found[:3]
    assert not offenders, f"pages that load resources from other hosts: {offenders}"


def test_interactive_figures_render_their_static_html_view(built_book, toc, repo_root,
                                                          editions):
    """myst-nb prefers text/html over the ipywidgets view (nb_mime_priority_overrides): no page
    may contain a widget view, which would need the ipywidgets HTML manager and a kernel.
    Both editions."""
    if not built_book.ok:
        pytest.fail("the book did not build; see test_book_builds_with_warnings_as_errors")
    for root, page in [(root, page) for root in editions for page in toc]:
        text = (built_book.html_dir / f"{root}{page}.html").read_text(encoding="utf-8")
        assert "application/vnd.jupyter.widget-view+json" not in text, (
            f"{page}: a widget view was rendered instead of its static text/html version")
        assert "require.min.js" not in text and "embed-amd" not in text, (
            f"{page}: loads require.js or the ipywidgets HTML manager")
        source = repo_root / f"{page}.ipynb"
        if source.is_file() and "cnn-widget" in source.read_text(encoding="utf-8"):
            assert re.search(r'class="cnn-widget[" ]', text), (
                f"{page}: its interactive figures are missing")


def _placeholder_payload(repo_root):
    spec = importlib.util.spec_from_file_location(
        "execute_notebooks", repo_root / ".ci" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PLACEHOLDER_PNG


def test_figures_are_computed_at_build_time_not_the_stored_placeholders(built_book, toc,
                                                                         repo_root, editions):
    """The stored notebooks carry a 1x1 placeholder instead of each frame (tests/
    test_notebooks_stored.py); the book must show the frames its own execution computed, in
    both editions."""
    if not built_book.ok:
        pytest.fail("the book did not build; see test_book_builds_with_warnings_as_errors")
    placeholder = _placeholder_payload(repo_root)
    for page in [root + page for root in editions for page in toc]:
        text = (built_book.html_dir / f"{page}.html").read_text(encoding="utf-8")
        assert placeholder not in text, (
            f"{page}: shows the stored placeholder instead of a computed figure (is "
            "execute_notebooks still 'cache' in _config.yml?)")
        if re.search(r'class="cnn-widget[" ]', text):
            frames = set(re.findall(r"data:image/(?:png|webp);base64,([A-Za-z0-9+/=]{200,})",
                                    text))
            assert len(frames) >= 2, f"{page}: its interactive figures have no computed frames"


def test_exercises_are_numbered_per_chapter(built_book, toc):
    """book/_ext/exercise_numbers.py: the k-th exercise of chapter N is "Exercise N.k" (as
    JupyterLab counts within a notebook), not a number counted through the whole book."""
    if not built_book.ok:
        pytest.skip("the book did not build")
    chapters = [page for page in toc if re.search(r"/0(\d)_", page)]
    assert chapters
    for page in chapters:
        chapter = int(re.search(r"/0(\d)_", page).group(1))
        text = (built_book.html_dir / f"{page}.html").read_text(encoding="utf-8")
        titles = re.findall(r'<p class="admonition-title"><span class="caption-number">'
                            r'Exercise ([\d.]+)', text)
        assert titles == [f"{chapter}.{k}" for k in range(1, len(titles) + 1)], (page, titles)
        assert len(titles) >= 5, f"{page}: {len(titles)} numbered exercises"
        # the Chinese edition numbers the same exercises the same way ("练习 2.3")
        chinese = (built_book.html_dir / "zh_CN" / f"{page}.html").read_text(encoding="utf-8")
        assert re.findall(r'<p class="admonition-title"><span class="caption-number">'
                          r'练习 ([\d.]+)', chinese) == titles, page
