"""The Chinese edition's Sphinx side (README, "The Chinese edition").

Both editions are built from the same notebooks; the Chinese one replaces the prose through
Sphinx's gettext catalogs (``book/locale/zh_CN/LC_MESSAGES/book/*.po``). This extension makes that
complete and keeps it honest:

- **Hint buttons.** The label of a hint cell's button ("Show hint 1") is cell metadata: it is
  extracted into the page's catalog and translated from it like any message.
- **Exercise titles.** sphinx-exercise parses an exercise's title without a source position,
  so Sphinx's gettext builder skips it and the Chinese book would keep it in English. The
  directive is wrapped to give the title its source text and position; after translation the
  registry copy that solution titles read from ("Solution to Exercise 2.3 (...)") is refreshed.
- **Display math** is shared, not translated: a ``$$ ... $$`` block is not a message.
- **Table cells** inside a directive get their table's source position, without which gettext
  skips them (the notation table sits in an admonition).
- **The language switch.** Every page links to the same page in the other edition
  (``_build/html/book/x.html`` <-> ``_build/html/zh_CN/book/x.html``), in the article header,
  and says so to search engines with ``<link rel="alternate" hreflang>``.
- **Emphasis.** Chinese emphasis is upright with emphasis dots (cnn_widgets.css); emphasised
  words with no Chinese in them are marked to stay italic instead.
- **Chinese search.** Sphinx splits Chinese text into words with jieba; a user dictionary made
  from the glossary's Chinese terms keeps terms such as 卷积核 whole (``html_search_options``).
"""

from pathlib import Path

from babel.messages.pofile import read_po
from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx_exercise.directive import ExerciseDirective
from sphinx_exercise.nodes import (exercise_enumerable_node, exercise_node, exercise_subtitle,
                                   solution_node)

logger = logging.getLogger(__name__)

# The editions: language code -> (path of the edition's root below the English root, label
# of the link that leads to it, its tooltip (in the language it leads to), lang attribute).
# The English book is the root of _build/html.
EDITIONS = {
    "en": ("", "English", "This page in English", "en"),
    "zh_CN": ("zh_CN/", "中文", "本页的中文版", "zh-CN"),
}
TEMPLATES = Path(__file__).parent / "templates"


def _has_chinese(text):
    """Whether text holds a Chinese character (CJK Unified Ideographs)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


class TranslatableExercise(ExerciseDirective):
    """sphinx-exercise's ``exercise``, with a title that gettext extracts."""

    def run(self):
        result = super().run()
        if self.arguments:
            source, line = self.state_machine.get_source_and_line(self.lineno)
            for node in result:
                for subtitle in node.findall(exercise_subtitle):
                    subtitle.rawsource = self.arguments[0]
                    subtitle.source, subtitle.line = source, line
        return result


class SharedMath(SphinxTransform):
    """Display math is the same in both editions: not a message to translate."""

    default_priority = 10  # before sphinx.transforms.i18n.Locale (20)

    def apply(self, **kwargs):
        for node in self.document.findall(nodes.math_block):
            node["translatable"] = False


class TableCellSources(SphinxTransform):
    """Table cells inside a directive (the notation table in an admonition) are parsed without
    a source position, so gettext would skip them as built-in text: give them their table's."""

    default_priority = 10  # before sphinx.transforms.i18n.Locale (20)

    def apply(self, **kwargs):
        for table in self.document.findall(nodes.table):
            source = table.source or self.document.get("source")
            for paragraph in table.findall(nodes.paragraph):
                if paragraph.rawsource and not paragraph.source:
                    paragraph.source, paragraph.line = source, table.line


class RefreshExerciseRegistry(SphinxTransform):
    """After translation, let solution titles read the translated exercise title."""

    default_priority = 25  # after Locale (20)

    def apply(self, **kwargs):
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in self.document.findall(
                lambda n: isinstance(n, (exercise_node, exercise_enumerable_node))):
            entry = registry.get(node.get("label"))
            if entry is not None and entry.get("docname") == self.env.docname:
                entry["node"] = node.deepcopy()


PROMPTS = ("prompt_show", "prompt_hide")


def _has_prompts(node):
    return isinstance(node, nodes.Element) and any(key in node.attributes for key in PROMPTS)


def extract_unlisted_messages(app, doctree):
    """gettext: add the exercise titles and the hint buttons' labels to the page's catalog.

    The gettext builder extracts messages from the page as written, after sphinx-exercise's
    post-transforms have rebuilt every exercise title ("Exercise 2.3 (...)") from nodes that
    have no source; so the titles are collected here, from the page as read. The labels of a
    hidden cell's button ("Show hint 1", "Hide hints": the hint cells' ``code_prompt_show``
    metadata) are node attributes, not text, and are collected here too.
    """
    if app.builder.name != "gettext":
        return
    from sphinx.builders.gettext import MsgOrigin
    from sphinx.util.i18n import docname_to_domain

    docname = app.env.docname
    catalog = app.builder.catalogs[docname_to_domain(docname, app.config.gettext_compact)]
    for subtitle in doctree.findall(exercise_subtitle):
        if subtitle.rawsource and subtitle.source:
            subtitle.uid = getattr(subtitle, "uid", "")  # Catalog.add skips nodes without one
            catalog.add(subtitle.rawsource, subtitle)
    for node in doctree.findall(_has_prompts):
        for key in PROMPTS:
            if node.get(key):
                catalog.add(node[key], MsgOrigin(node.source or app.env.doc2path(docname),
                                                 node.line or 0))


class TranslatePrompts(SphinxTransform):
    """The hint buttons' labels from the page's catalog (see extract_unlisted_messages)."""

    default_priority = 25  # after Locale (20)

    def apply(self, **kwargs):
        language = self.config.language or "en"
        if language == "en":
            return
        from sphinx.locale import init as init_locale
        from sphinx.util.i18n import docname_to_domain

        dirs = [str(Path(self.env.srcdir) / d) for d in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, has_catalog = init_locale(dirs, language, domain)
        if not has_catalog:
            return
        for node in self.document.findall(_has_prompts):
            for key in PROMPTS:
                if node.get(key):
                    node[key] = catalog.gettext(node[key])


class SolutionTitles(SphinxPostTransform):
    """Chinese: "解答：练习 2.3 (...)", not sphinx-exercise's "解答 练习 2.3 (...)"."""

    default_priority = 23  # after sphinx-exercise's ResolveTitlesInSolutions (21)

    def run(self, **kwargs):
        if not (self.config.language or "").startswith("zh"):
            return
        for node in self.document.findall(solution_node):
            title = node.children[0] if node.children else None
            if not isinstance(title, nodes.title) or not title.children:
                continue
            first = title.children[0]
            if isinstance(first, nodes.Text) and not str(first).endswith("："):
                title.replace(first, nodes.Text(f"{first}："))
                for text in title.findall(nodes.Text):
                    if text is not title.children[0] and str(text).startswith(" "):
                        text.parent.replace(text, nodes.Text(str(text).lstrip()))
                        break


class LatinEmphasis(SphinxPostTransform):
    """Chinese: emphasis on words with no Chinese character in them (*valid*, *same*) gets the
    class ``cnn-latin``, so that it stays italic instead of taking the emphasis dots that
    Chinese emphasis gets (cnn_widgets.css): dots under Latin letters read as noise."""

    default_priority = 24

    def run(self, **kwargs):
        if not (self.config.language or "").startswith("zh"):
            return
        for node in self.document.findall(nodes.emphasis):
            if not _has_chinese(node.astext()):
                node["classes"].append("cnn-latin")


def _other_edition(app):
    language = app.config.language or "en"
    return "zh_CN" if language == "en" else "en"


def add_language_switch(app, pagename, templatename, context, doctree):
    """Put ``lang_switch`` (href, label, hreflang) in the page context for lang-switch.html."""
    language = app.config.language or "en"
    if language not in EDITIONS or app.builder.format != "html":
        return
    other = _other_edition(app)
    # relative path from this page to its edition's root, then to the other edition's root
    to_root = context["pathto"]("", 1) if pagename != "index" else ""
    to_root = to_root.rstrip("/") + "/" if to_root else ""
    if language == "en":
        href = f"{to_root}{EDITIONS[other][0]}{pagename}.html"
    else:
        href = f"{to_root}../{pagename}.html"
    _, label, title, hreflang = EDITIONS[other]
    context["lang_switch"] = {"href": href, "label": label, "title": title,
                              "hreflang": hreflang}
    context["metatags"] = context.get("metatags", "") + (
        f'\n<link rel="alternate" hreflang="{hreflang}" href="{href}" />')


def header_button(app, config):
    """The switch sits in the article header, before the theme's own buttons."""
    config.templates_path = [*config.templates_path, str(TEMPLATES)]
    options = dict(config.html_theme_options or {})
    end = options.get("article_header_end") or ["article-header-buttons.html"]
    if isinstance(end, str):
        end = [item.strip() for item in end.split(",") if item.strip()]
    if "lang-switch.html" not in end:
        options["article_header_end"] = ["lang-switch.html", *end]
    if (config.language or "").startswith("zh"):
        options["search_bar_text"] = "搜索本书……"
    config.html_theme_options = options


def search_dictionary(app, config):
    """Chinese search: a jieba user dictionary from the glossary's translated terms."""
    if not (config.language or "").startswith("zh"):
        return
    words = set()
    for folder in config.locale_dirs:                  # the glossary page's catalog
        catalog = Path(app.srcdir, folder, config.language, "LC_MESSAGES", "book", "glossary.po")
        if not catalog.is_file():
            continue
        with open(catalog, "rb") as handle:
            for message in read_po(handle):
                text = message.string if isinstance(message.string, str) else ""
                # a term reads "卷积核（kernel）", its English term last in the parentheses;
                # the Chinese before them is the word (kept only if it has no spaces)
                if not (message.id and text.endswith(f"{message.id}）")):
                    continue
                head = text.split("（")[0].strip()
                if head.isalnum() and _has_chinese(head):
                    words.add(head)
    path = Path(app.outdir).parent / "jieba_user_dict.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{word} 1000 n\n" for word in sorted(words)), encoding="utf-8")
    config.html_search_language = "zh"
    config.html_search_options = {**(config.html_search_options or {}), "dict": str(path)}
    logger.info(f"[translation] Chinese search: {len(words)} glossary terms in {path}")


def setup(app):
    app.add_directive("exercise", TranslatableExercise, override=True)
    app.add_transform(SharedMath)
    app.add_transform(TableCellSources)
    app.add_transform(RefreshExerciseRegistry)
    app.add_transform(TranslatePrompts)
    app.add_post_transform(SolutionTitles)
    app.add_post_transform(LatinEmphasis)
    app.connect("config-inited", header_button)
    app.connect("config-inited", search_dictionary)
    app.connect("doctree-read", extract_unlisted_messages)
    app.connect("html-page-context", add_language_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
