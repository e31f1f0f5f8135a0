"""The Chinese edition: complete catalogs, kept in step with the English text, and applied.

- Every message of every page is translated and none is fuzzy (`.ci/translation.py check`), so
  CI fails the moment the editions drift apart. The checker's rules are tested here too: each
  must be able to fail.
- The catalogs hold exactly the messages the book has now (a fresh gettext extraction, after
  the book build, compared with the .po files): an English edit that was not carried into the
  catalogs (`.ci/translation.py update`) fails, instead of silently showing English.
- The built Chinese pages are in Chinese: no prose paragraph, heading or list item of the
  article is left in English, exercise and solution titles included.
"""

import html.parser
import re
import runpy
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
translation = runpy.run_path(str(REPO / ".ci" / "translation.py"))
problems = translation["problems"]


# ------------------------------------------------------------------ the checker's own rules

GOOD = ("The output has $OH \\times OW$ values; see {term}`stride` and `F.conv2d`.",
        "输出有 $OH \\times OW$ 个值；参见{term}`步幅 <stride>`和 `F.conv2d`。")


def test_a_faithful_translation_passes():
    assert problems(*GOOD) == []


@pytest.mark.parametrize("wrong, expected", [
    ("", "untranslated"),
    ("输出有 $OH \\times W$ 个值；参见{term}`步幅 <stride>`和 `F.conv2d`。", "inline math"),
    ("输出有 $OH \\times OW$ 个值；参见{term}`步幅 <stride>`和 `conv2d`。", "code spans"),
    ("输出有 $OH \\times OW$ 个值；参见{term}`步幅 <padding>`和 `F.conv2d`。", "roles"),
    ("输出有 $OH \\times OW$ 个值；参见步幅和 `F.conv2d`。", "roles"),
    ("The output has $OH \\times OW$ values; see {term}`stride` and `F.conv2d`.", "no Chinese"),
])
def test_the_checker_rejects(wrong, expected):
    found = problems(GOOD[0], wrong)
    assert any(expected in p for p in found), found


def test_the_checker_wants_numbered_titles_escaped():
    assert any("numbered list" in p for p in problems("2. Padding and Stride", "2. 填充与步幅"))
    assert problems("2. Padding and Stride", "2\\. 填充与步幅") == []


def test_the_checker_wants_link_targets_kept():
    english = "See the [glossary](glossary.md) and <https://d2l.ai>."
    assert problems(english, "参见[术语表](glossary.md)和 <https://d2l.ai>。") == []
    assert any("link" in p for p in problems(english, "参见[术语表](intro.md)和 <https://d2l.ai>。"))


def test_an_english_translation_needs_a_reason():
    entry = "Krizhevsky, A. (2012). ImageNet classification. *NIPS 2012*."
    assert problems(entry, entry)
    assert problems(entry, entry, ["english: bibliographic entry"]) == []


# ------------------------------------------------------------------ the catalogs themselves

def test_every_message_is_translated_and_none_is_fuzzy():
    failures = translation["check"]()
    assert not failures, f"{len(failures)} problem(s) in the Chinese catalogs " \
        "(.ci/translation.py check; README, 'The Chinese edition'):\n" + "\n".join(failures[:40])


def test_there_is_one_catalog_per_page():
    expected = {p.relative_to(REPO) for p in translation["expected_catalogs"]()}
    present = {p.relative_to(REPO) for p in translation["CATALOGS"].rglob("*.po")}
    assert expected == present


def _msgids(path):
    from babel.messages.pofile import read_po

    with open(path, "rb") as handle:
        return {m.id for m in read_po(handle) if m.id}


def test_the_catalogs_hold_the_books_current_messages(built_book, tmp_path):
    """A fresh extraction of the English messages (gettext builder; the book build has warmed
    the execution cache, so nothing runs) matches the msgids of the catalogs exactly."""
    if not built_book.ok:
        pytest.fail("the book did not build; see tests/test_book.py")
    result = translation["extract"](tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    pots = sorted((tmp_path / "_build" / "gettext" / "book").glob("*.pot"))
    assert len(pots) == len(translation["expected_catalogs"]())
    stale = []
    for pot in pots:
        po = translation["CATALOGS"] / "book" / f"{pot.stem}.po"
        current, catalog = _msgids(pot), _msgids(po)
        for message in sorted(current - catalog):
            stale.append(f"{po.relative_to(REPO)}: new English text not in the catalog: "
                         f"{message[:80]!r}")
        for message in sorted(catalog - current):
            stale.append(f"{po.relative_to(REPO)}: the catalog holds text the book no longer "
                         f"has: {message[:80]!r}")
    assert not stale, "run `.venv/bin/python .ci/translation.py update`, then translate " \
        "(README, 'The Chinese edition'):\n" + "\n".join(stale[:40])


# ------------------------------------------------------------------ the built Chinese pages

class _ProseText(html.parser.HTMLParser):
    """The prose blocks (p, li, h1-h6, dt, dd, th, td) of the article, without code, cell
    outputs, math or the interactive figures."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "th", "td"}
    SKIP_CLASSES = {"cell_output", "highlight", "math", "cnn-widget", "cell_input",
                    "headerlink", "toctree-wrapper"}
    VOID = {"br", "img", "hr", "input", "meta", "link", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.in_article = 0
        self.stack = []        # (tag, skipping?)
        self.blocks = []
        self.current = None

    def _skipping(self):
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        skip = (tag in ("script", "style", "pre", "code", "mjx-container")
                or any(c in self.SKIP_CLASSES for c in classes))
        if tag == "article":
            self.in_article += 1
        self.stack.append((tag, skip))
        if self.in_article and tag in self.BLOCKS and not self._skipping():
            self.current = [tag, ""]

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break
        if tag == "article":
            self.in_article -= 1
        if self.current and tag == self.current[0]:
            self.blocks.append(self.current[1].strip())
            self.current = None

    def handle_data(self, data):
        if self.current is not None and not self._skipping():
            self.current[1] += data


CJK = re.compile(r"[\u4e00-\u9fff]")


def _english_blocks(html_text):
    parser = _ProseText()
    parser.feed(html_text)
    english = []
    for block in parser.blocks:
        words = re.findall(r"[A-Za-z]{3,}", re.sub(r"https?://\S+", " ", block))
        if len(words) >= 4 and not CJK.search(block):
            english.append(block[:100])
    return english, parser.blocks


def test_the_chinese_pages_are_in_chinese(built_book, toc):
    """No prose block of a Chinese page is left in English, the buttons myst-nb adds included
    (a bibliographic entry is the exception: authors and titles stay as published)."""
    if not built_book.ok:
        pytest.fail("the book did not build; see tests/test_book.py")
    left = {}
    for page in toc:
        text = (built_book.html_dir / "zh_CN" / f"{page}.html").read_text(encoding="utf-8")
        english, blocks = _english_blocks(text)
        assert len(blocks) >= 3, f"{page}: the checker found no prose at all"
        # a bibliographic entry (in References or a chapter's further reading): "... (2015). ..."
        english = [b for b in english if not re.search(r"\(\d{4}\)\.", b)]
        if english:
            left[page] = english[:5]
    assert not left, f"English left in the Chinese edition: {left}"


def test_the_english_pages_are_caught_by_that_check(built_book, toc):
    """The same check finds English on the English pages (so it can fail)."""
    if not built_book.ok:
        pytest.fail("the book did not build; see tests/test_book.py")
    text = (built_book.html_dir / f"{toc[1]}.html").read_text(encoding="utf-8")
    english, _ = _english_blocks(text)
    assert len(english) > 10


def test_exercise_solution_and_hint_titles_are_translated(built_book, toc):
    if not built_book.ok:
        pytest.fail("the book did not build; see tests/test_book.py")
    for page in toc:
        if not Path(page).name.startswith("0"):
            continue
        text = (built_book.html_dir / "zh_CN" / f"{page}.html").read_text(encoding="utf-8")
        titles = re.findall(r"练习 \d+\.\d+ \(([^)<]*)\)", text)
        assert titles, f"{page}: no exercise title '练习 N.k (...)' in the Chinese page"
        untranslated = [t for t in titles if not CJK.search(t)]
        assert not untranslated, f"{page}: exercise titles left in English: {untranslated}"
        assert re.search(r"解答：(<a [^>]*>)?练习 \d", text), \
            f"{page}: no solution title '解答：练习 N.k' in Chinese"
        # the hint cells' buttons, labelled from the catalog (book/_ext/translation.py)
        labels = re.findall(r'<p class="collapsed admonition-title">([^<]*)</p>', text)
        assert "显示提示 1" in labels, f"{page}: hint buttons {sorted(set(labels))}"
        english = [label for label in labels if not CJK.search(label)]
        assert not english, f"{page}: buttons labelled in English: {sorted(set(english))}"


def test_chinese_emphasis_on_latin_words_is_marked_to_stay_italic(built_book, toc):
    """In the Chinese edition an emphasised word with no Chinese in it (*valid*, a book's
    title) has the class cnn-latin (italic, no emphasis dots), every other emphasis has not;
    the English edition has no such class."""
    if not built_book.ok:
        pytest.fail("the book did not build; see tests/test_book.py")
    latin = chinese = 0
    for page in toc:
        zh = (built_book.html_dir / "zh_CN" / f"{page}.html").read_text(encoding="utf-8")
        for classes, inner in re.findall(r'<em(?: class="([^"]*)")?>(.*?)</em>', zh, re.S):
            words = re.sub(r"<[^>]+>", "", inner)
            marked = "cnn-latin" in classes.split()
            assert marked == (not CJK.search(words)), f"{page}: <em class={classes!r}>{words}"
            latin, chinese = latin + marked, chinese + (not marked)
        en = (built_book.html_dir / f"{page}.html").read_text(encoding="utf-8")
        assert "cnn-latin" not in en, f"{page}: the English edition marks Latin emphasis"
    assert latin >= 10 and chinese >= 10, (latin, chinese)
