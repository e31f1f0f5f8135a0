"""Every page of the built book, both editions, in headless chromium, served from 127.0.0.1.

For each page in the toc, in English and in Chinese (_build/html/zh_CN/): no console errors, no
request to any host but 127.0.0.1, math typeset by the vendored MathJax, every image decoded,
the right `<html lang>`, and a language switch that leads to the same page in the other
edition; on each chapter page, moving a slider of a precomputed interactive figure
(book/_static/cnn_widgets.js) swaps the figure. Search finds Chinese words in the Chinese
edition. A screenshot of every page is saved in _build/screenshots/ (kept by CI as an
artefact).

Uses Debian's chromium (/usr/bin/chromium), never `playwright install`. Without it the tests are
skipped, except in CI (CI=true), where a missing browser is a failure.
"""

import functools
import http.server
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

HOST = "127.0.0.1"
TIMEOUT_MS = 30_000

# Text left in the page (outside code and MathJax output) that means math was not typeset.
RAW_TEX_JS = r"""() => {
  const root = document.querySelector("main") || document.body;
  const clone = root.cloneNode(true);
  clone.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight")
       .forEach(e => e.remove());
  const text = clone.textContent;
  return ["\\(", "\\)", "\\[", "\\]", "$$", "\\begin{"].filter(s => text.includes(s));
}"""

MATH_JS = """() => {
  const math = Array.from(document.querySelectorAll("span.math, div.math"));
  return {math: math.length,
          typeset: math.filter(m => m.querySelector("mjx-container")).length,
          containers: document.querySelectorAll("mjx-container").length};
}"""

IMAGES_JS = """async () => {
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  return images.filter(img => !(img.complete && img.naturalWidth > 0))
               .map(img => (img.currentSrc || img.src || "").slice(0, 120) || img.outerHTML.slice(0, 120));
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built_book):
    if not built_book.ok:
        pytest.fail("the book did not build; see tests/test_book.py")
    handler = functools.partial(_QuietHandler, directory=str(built_book.html_dir))
    httpd = http.server.ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@dataclass
class PageVisit:
    page: object                       # playwright Page, still open
    console_errors: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    bad_responses: list = field(default_factory=list)
    failed_requests: list = field(default_factory=list)


def _offsite(url):
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return False
    return parts.scheme not in ("http", "https") or parts.hostname != HOST


def _open(browser, server, page_path, screenshot_dir=None):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    visit = PageVisit(page)
    page.on("console", lambda m: m.type == "error" and visit.console_errors.append(
        f"{m.text} ({m.location.get('url', '')})"))
    page.on("pageerror", lambda e: visit.console_errors.append(f"uncaught: {e}"))
    context.on("request", lambda r: visit.requests.append(r.url))
    context.on("requestfailed", lambda r: visit.failed_requests.append(
        f"{r.url}: {r.failure}"))
    context.on("response", lambda r: r.status >= 400 and visit.bad_responses.append(
        f"{r.status} {r.url}"))
    # record every request (above), but never let one leave the machine
    context.route(lambda url: _offsite(url), lambda route: route.abort())
    page.goto(f"{server}/{page_path}.html", wait_until="load")
    page.evaluate("() => (window.MathJax && MathJax.startup && MathJax.startup.promise) || null")
    page.evaluate("() => document.fonts.ready.then(() => null)")
    if screenshot_dir is not None:
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        name = page_path.replace("/", "__")
        page.screenshot(path=str(screenshot_dir / f"{name}.png"), full_page=True)
    return visit


@pytest.fixture(scope="module")
def visit(browser, server, edition_page, screenshot_dir):
    visit = _open(browser, server, edition_page, screenshot_dir)
    yield visit
    visit.page.context.close()


@pytest.fixture(scope="module")
def chapter_visit(browser, server, edition_chapter):
    visit = _open(browser, server, edition_chapter)
    yield visit
    visit.page.context.close()


def test_page_has_no_console_errors(visit, edition_page):
    problems = visit.console_errors + visit.bad_responses + visit.failed_requests
    assert not problems, f"{edition_page}: " + "\n".join(problems)


def test_page_requests_nothing_off_127_0_0_1(visit, edition_page):
    offsite = [url for url in visit.requests if _offsite(url)]
    assert visit.requests, f"{edition_page}: no request recorded at all (is the recorder working?)"
    assert not offsite, f"{edition_page} requested other hosts: {offsite}"


def test_page_math_is_typeset(visit, edition_page):
    counts = visit.page.evaluate(MATH_JS)
    assert counts["typeset"] == counts["math"], (
        f"{edition_page}: {counts['math']} formulas, only {counts['typeset']} typeset by MathJax")
    if counts["math"]:
        assert counts["containers"] >= counts["math"]
    leftovers = visit.page.evaluate(RAW_TEX_JS)
    assert not leftovers, f"{edition_page}: raw TeX delimiters left in the page: {leftovers}"


def test_page_images_are_displayed(visit, edition_page):
    broken = visit.page.evaluate(IMAGES_JS)
    assert not broken, f"{edition_page}: images not displayed (naturalWidth 0): {broken}"


LANGUAGE_JS = """() => {
  const link = document.querySelector("a.cnn-lang-switch");
  return {lang: document.documentElement.lang,
          href: link ? link.href : null,
          hreflang: link ? link.getAttribute("hreflang") : null,
          label: link ? link.textContent.trim() : null,
          visible: link ? link.getBoundingClientRect().width > 0 : false};
}"""


def _edition(page_path, editions):
    """("zh_CN/", "book/x") for "zh_CN/book/x"; ("", "book/x") for "book/x"."""
    for root in editions:
        if root and page_path.startswith(root):
            return root, page_path[len(root):]
    return "", page_path


def test_page_language_and_switch(visit, edition_page, server, editions):
    """`<html lang>` names the edition's language, and the switch in the header leads to the
    same page in the other edition, which exists and names its own language."""
    root, page_path = _edition(edition_page, editions)
    other = next(r for r in editions if r != root)
    info = visit.page.evaluate(LANGUAGE_JS)
    assert info["lang"] == editions[root], f"{edition_page}: <html lang={info['lang']!r}>"
    assert info["href"], f"{edition_page}: no language switch (a.cnn-lang-switch)"
    assert info["visible"], f"{edition_page}: the language switch is not shown"
    assert info["hreflang"] == editions[other]
    assert info["href"] == f"{server}/{other}{page_path}.html", (
        f"{edition_page}: the switch leads to {info['href']}, not the same page in the other "
        "edition")
    response = visit.page.request.get(info["href"])
    assert response.ok, f"{info['href']}: HTTP {response.status}"
    assert f'lang="{editions[other]}"' in response.text()


def test_language_switch_keeps_the_readers_place(browser, server):
    """From a glossary term (#term-stride) or a search (?q=...), the switch leads to the same
    place in the other edition (book/_static/cnn_widgets.js keeps the hash and the query)."""
    context = browser.new_context(service_workers="block")
    context.route(lambda url: _offsite(url), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        for start, expected in (("zh_CN/book/glossary.html#term-stride",
                                 "/book/glossary.html#term-stride"),
                                ("book/glossary.html#term-padding",
                                 "/zh_CN/book/glossary.html#term-padding"),
                                ("zh_CN/search.html?q=stride", "/search.html?q=stride")):
            page.goto(f"{server}/{start}", wait_until="load")
            page.locator("a.cnn-lang-switch").first.click()
            page.wait_for_load_state("load")
            assert page.url == f"{server}{expected}", f"{start} -> {page.url}"
    finally:
        context.close()


def test_chinese_search_finds_chinese_terms(browser, server):
    """The Chinese edition's search splits Chinese text into words (jieba, with the glossary's
    terms as a user dictionary): searching 卷积核 (kernel) and 步幅 (stride) finds pages."""
    context = browser.new_context(service_workers="block")
    context.route(lambda url: _offsite(url), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        for word in ("卷积核", "步幅"):
            page.goto(f"{server}/zh_CN/search.html?q={word}", wait_until="load")
            page.wait_for_function(
                "() => document.querySelectorAll('#search-results li').length > 0 || "
                "/0|没有/.test((document.querySelector('#search-results p') || {}).textContent || '')")
            hits = page.locator("#search-results li").count()
            assert hits >= 3, f"searching {word} in the Chinese edition found {hits} pages"
    finally:
        context.close()


FRAME_SRC_JS = "el => el.closest('.cnn-widget').querySelector('img.cnn-widget-frame').src"
FRAME_SHOWN_JS = ("el => { const img = el.closest('.cnn-widget').querySelector('img.cnn-widget-frame');"
                  " return img.decode().then(() => img.naturalWidth, () => 0); }")


def _move_a_slider(page, tried):
    """Press End (Home if at the end) on each slider in turn; return the first that swaps its
    figure's image, or None."""
    sliders = page.locator(".cnn-widget input[type=range]")
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        before = slider.evaluate(FRAME_SRC_JS)
        at_max = slider.input_value() == slider.get_attribute("max")
        slider.focus()
        page.keyboard.press("Home" if at_max else "End")
        changed = slider.evaluate(FRAME_SRC_JS) != before
        tried.append(f"slider {i} ({slider.get_attribute('data-control')}) -> "
                     f"{slider.input_value()}: image changed: {changed}")
        if changed:
            return slider
    return None


def _pick_another_option(page, tried):
    """Choose each other option of each drop-down in turn; return the first select that swaps
    its figure's image, or None."""
    selects = page.locator(".cnn-widget select")
    for i in range(selects.count()):
        select = selects.nth(i)
        before = select.evaluate(FRAME_SRC_JS)
        values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
        for value in [v for v in values if v != select.input_value()]:
            select.select_option(value)
            changed = select.evaluate(FRAME_SRC_JS) != before
            tried.append(f"select {i} ({select.get_attribute('data-control')}) -> {value}: "
                         f"image changed: {changed}")
            if changed:
                return select
    return None


def test_chapter_slider_changes_the_figure(chapter_visit, edition_chapter):
    """Moving a slider of a precomputed figure (keyboard End/Home, as a reader would) swaps the
    figure's image, and the new image is displayed. Only a chapter whose figures have no slider
    at all is tested with their drop-down menus instead."""
    page = chapter_visit.page
    assert page.locator(".cnn-widget").count() > 0, (
        f"{edition_chapter}: no interactive figure (.cnn-widget) on the page; are the explorer "
        "cells executed and their outputs stored?")
    tried = []
    control = _move_a_slider(page, tried)
    if control is None and page.locator(".cnn-widget input[type=range]").count() == 0:
        control = _pick_another_option(page, tried)
    if control is None:
        pytest.fail(f"{edition_chapter}: no control changed its figure:\n" + "\n".join(tried))
    assert control.evaluate(FRAME_SHOWN_JS) > 0, f"{edition_chapter}: the new frame is not displayed"
    assert not chapter_visit.console_errors, chapter_visit.console_errors


# --------------------------------------------------------------------------- readable figures
# Issue 13: every figure readable on a desktop, on a phone, on a dark page, with a screen
# reader. Figures are the notebook outputs' images and the players' frames.

FIGURES = ".bd-content .cell_output img, .bd-content img.cnn-widget-frame"

ALTS_JS = """sel => Array.from(document.querySelectorAll(sel)).map(img => ({
  alt: img.getAttribute('alt') || '', src: (img.getAttribute('src') || '').slice(0, 60)}))"""

SIZES_JS = """sel => Array.from(document.querySelectorAll(sel)).map(img => ({
  src: (img.getAttribute('src') || '').slice(-40),
  css: parseFloat(img.getAttribute('width')) || parseFloat(img.style.width) || 0,
  shown: img.getBoundingClientRect().width}))"""


def _view(browser, server, page_path, width, scheme):
    context = browser.new_context(viewport={"width": width, "height": 900},
                                  color_scheme=scheme, service_workers="block")
    context.route(lambda url: _offsite(url), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{server}/{page_path}.html", wait_until="load")
    page.evaluate("() => document.fonts.ready.then(() => null)")
    page.evaluate(IMAGES_JS)          # decode every image (lazy ones too)
    return page


def _shot(page, screenshot_dir, page_path, width, scheme):
    screenshot_dir.mkdir(parents=True, exist_ok=True)
    name = f"{page_path.replace('/', '__')}-{width}-{scheme}.png"
    page.screenshot(path=str(screenshot_dir / name), full_page=True)


def test_chapter_figures_say_what_they_show(chapter_visit, edition_chapter):
    """Every figure has alt text, and it is words, not the image file's path."""
    figures = chapter_visit.page.evaluate(ALTS_JS, FIGURES)
    assert figures, f"{edition_chapter}: no figure found"
    bad = [f for f in figures
           if len(f["alt"].strip()) < 15 or re.search(r"\.(png|webp|jpe?g)\b|_images/", f["alt"])]
    assert not bad, f"{edition_chapter}: figures without a description: {bad}"


def test_chapter_sliders_say_their_value_in_words(chapter_visit, edition_chapter):
    """Each slider has an aria-valuetext that changes with its value, and the frame's alt text
    follows what the controls select."""
    page = chapter_visit.page
    sliders = page.locator(".cnn-widget input[type=range]")
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        before = slider.get_attribute("aria-valuetext")
        alt_before = slider.evaluate(
            "el => el.closest('.cnn-widget').querySelector('img.cnn-widget-frame').alt")
        assert before and not before.strip().isdigit(), \
            f"{edition_chapter}: slider {i} says {before!r}, not its value in words"
        at_max = slider.input_value() == slider.get_attribute("max")
        slider.focus()
        page.keyboard.press("Home" if at_max else "End")
        after = slider.get_attribute("aria-valuetext")
        alt_after = slider.evaluate(
            "el => el.closest('.cnn-widget').querySelector('img.cnn-widget-frame').alt")
        assert after and after != before, f"{edition_chapter}: slider {i} aria-valuetext stays"
        assert alt_after != alt_before and after in alt_after, \
            f"{edition_chapter}: slider {i}: the alt text does not follow ({alt_after!r})"
        box = slider.bounding_box()
        assert box["height"] >= 24, f"{edition_chapter}: slider {i} is {box['height']} px high"


def _background_luminance(png_bytes):
    """Luminance (0-1, of the gamma-encoded colour) of an element screenshot's background:
    the most frequent colour of its outermost pixels."""
    import io

    import numpy as np
    from PIL import Image

    a = np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB"))
    edge = np.concatenate([a[:3].reshape(-1, 3), a[-3:].reshape(-1, 3),
                           a[:, :3].reshape(-1, 3), a[:, -3:].reshape(-1, 3)])
    colours, counts = np.unique(edge // 8, axis=0, return_counts=True)
    background = (colours[counts.argmax()] * 8 + 4) / 255
    return float(background @ np.array([0.2126, 0.7152, 0.0722]))


def test_chapter_follows_a_dark_system_setting(browser, server, chapter_page, screenshot_dir):
    """With the system set to dark the page is dark, and no figure sits on a glaring light
    background (true-colour pictures, .cnn-keep-colours, are shown dimmed on a frame)."""
    for width in (1280, 390):
        page = _view(browser, server, chapter_page, width, "dark")
        try:
            assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
            if width == 1280:
                glaring = []
                figures = page.locator(FIGURES)
                for i in range(figures.count()):
                    img = figures.nth(i)
                    keep = img.evaluate("el => !!el.closest('.cnn-keep-colours') || "
                                        "el.classList.contains('cnn-keep-colours')")
                    luminance = _background_luminance(img.screenshot())
                    limit = 0.8 if keep else 0.3
                    if luminance > limit:
                        glaring.append(f"figure {i} ({img.get_attribute('alt')[:50]}): "
                                       f"background luminance {luminance:.2f} > {limit}")
                assert not glaring, f"{chapter_page} (dark): " + "; ".join(glaring)
            _shot(page, screenshot_dir, chapter_page, width, "dark")
        finally:
            page.context.close()


# A slider's readout ("(3, 3)") on one line: the text of every <output> of a figure's controls,
# as the lines its rectangles occupy (those of more than one line are returned).
READOUT_LINES_JS = """() => [...document.querySelectorAll('.cnn-widget output')].map(el => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return {text: el.textContent, lines: tops.size};
}).filter(r => r.lines > 1)"""


# Every interactive figure's box, at its start and scrolled to its end: which edge it fades
# (cnn_widgets.js, .cnn-more-right/-left) against which edge has more to see, and whether the
# fade is painted (a mask).
SCROLL_CUES_JS = """() => [...document.querySelectorAll('.cnn-widget-figure')].flatMap(box => {
  function state(at) {
    box.scrollLeft = at;
    box.dispatchEvent(new Event('scroll'));
    const hidden = box.scrollWidth - box.clientWidth;
    const expected = [hidden - box.scrollLeft > 2 ? 'right' : '',
                      hidden > 2 && box.scrollLeft > 2 ? 'left' : ''].join(' ').trim();
    const cue = ['right', 'left'].filter(e => box.classList.contains('cnn-more-' + e)).join(' ');
    const masked = getComputedStyle(box).maskImage !== 'none';
    return {at, expected: expected || 'none', cue: masked ? (cue || 'mask only') : (cue ?
            cue + ' (not painted)' : 'none')};
  }
  const result = [state(0), state(box.scrollWidth)];
  box.scrollLeft = 0;
  box.dispatchEvent(new Event('scroll'));
  return result;
})"""


def test_chapter_figures_keep_their_size_on_a_phone(browser, server, chapter_page,
                                                    screenshot_dir):
    """On a 390 px phone no figure shrinks below 3/4 of its CSS size (so its 10 pt text stays
    >= 8 px: style.PHONE_MIN_SCALE); a wider figure scrolls inside its own box, the page
    itself never scrolls sideways, and the edge with more to see fades out (a scroll cue) until
    the reader reaches it. On a 1280 px desktop the figures are shown at their CSS size or the
    text column's width."""
    for width, scheme in ((390, "light"), (1280, "light")):
        page = _view(browser, server, chapter_page, width, scheme)
        try:
            sizes = page.evaluate(SIZES_JS, FIGURES)
            small = [s for s in sizes if s["css"] and s["shown"] < 0.75 * s["css"] - 1]
            assert not small, f"{chapter_page} at {width} px: figures shrunk too far: {small}"
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width
            wrapped = page.evaluate(READOUT_LINES_JS)
            assert not wrapped, f"{chapter_page} at {width} px: readouts wrap: {wrapped}"
            cues = page.evaluate(SCROLL_CUES_JS)
            wrong = [c for c in cues if c["cue"] != c["expected"]]
            assert not wrong, f"{chapter_page} at {width} px: scroll cues wrong: {wrong}"
            if width == 390:
                assert any(c["expected"] != "none" for c in cues), \
                    f"{chapter_page}: no figure scrolls on a phone (is the check working?)"
            _shot(page, screenshot_dir, chapter_page, width, scheme)
        finally:
            page.context.close()


# Every visible heading of the article: its tag, font size (px) and text (not its "#" link) as
# the lines it takes on the screen.
HEADING_LINES_JS = """() => [...document.querySelectorAll('article :is(h1, h2, h3)')]
  .filter(h => h.getClientRects().length).map(h => {
  const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    n.parentElement.closest('.headerlink') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const lines = [];
  let top = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      if (top === null || Math.abs(rect.top - top) > rect.height / 2) {
        lines.push('');
        top = rect.top;
      }
      lines[lines.length - 1] += node.data[i];
    }
  }
  return {tag: h.tagName.toLowerCase(), size: parseFloat(getComputedStyle(h).fontSize), lines};
})"""

CJK = "\u4e00-\u9fff"


def test_chapter_headings_fit_a_phone(browser, server, edition_chapter):
    """On a 390 px phone a chapter's title takes at most four lines, section headings are
    smaller than the title and sub-section headings smaller still, and no heading breaks
    inside a run of Chinese characters that fits a line (at the theme's sizes "1. 从全连接层到卷 / 积", "(卷积的实
    / 现)" in the English edition, and "4.1 最大池化与平均池 / 化")."""
    page = _view(browser, server, edition_chapter, 390, "light")
    try:
        headings = page.evaluate(HEADING_LINES_JS)
        title = [h for h in headings if h["tag"] == "h1"]
        assert len(title) == 1 and 1 <= len(title[0]["lines"]) <= 4, \
            f"{edition_chapter}: title on several lines: {title}"
        sizes = {tag: max(h["size"] for h in headings if h["tag"] == tag)
                 for tag in {h["tag"] for h in headings}}
        assert sizes["h1"] > sizes.get("h2", 0) > sizes.get("h3", 0) >= 0, \
            f"{edition_chapter}: heading sizes out of order on a phone: {sizes}"
        # a break between two characters is allowed only inside a run longer than a line
        split = [h["lines"] for h in headings
                 for a, b in zip(h["lines"], h["lines"][1:])
                 if re.search(f"[{CJK}]$", a.rstrip()) and re.match(f"[{CJK}]", b)
                 and not re.fullmatch(f"[{CJK}]+", a.strip())]
        assert not split, f"{edition_chapter}: headings break inside a word: {split}"
    finally:
        page.context.close()
