"""The Chinese edition's Sphinx side (README, "The Chinese edition").

Both editions are built from the same notebooks; the Chinese one replaces the prose through
Sphinx's gettext catalogs (``book/locale/zh_CN/LC_MESSAGES/book/*.po``). This extension makes that
complete and keeps it honest:

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
- **Chinese search.** Sphinx splits Chinese text into words with jieba; a user dictionary made
  from the glossary's Chinese terms keeps terms such as 卷积核 whole (``html_search_options``).
"""

from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx_exercise.directive import ExerciseDirective
from sphinx_exercise.nodes import exercise_enumerable_node, exercise_node, exercise_subtitle

logger = logging.getLogger(__name__)

# The editions: language code -> (path of the edition's root below the English root, label
# of the link that leads to it, its tooltip (in the language it leads to), lang attribute).
# The English book is the root of _build/html.
EDITIONS = {
    "en": ("", "English", "This page in English", "en"),
    "zh_CN": ("zh_CN/", "中文", "本页的中文版", "zh-CN"),
}
TEMPLATES = Path(__file__).parent / "templates"


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


def extract_exercise_titles(app, doctree):
    """gettext: add the exercise titles to the page's catalog.

    The gettext builder extracts messages from the page as written, after sphinx-exercise's
    post-transforms have rebuilt every exercise title ("Exercise 2.3 (...)") from nodes that
    have no source; so the titles are collected here, from the page as read.
    """
    if app.builder.name != "gettext":
        return
    from sphinx.util.i18n import docname_to_domain

    docname = app.env.docname
    catalog = app.builder.catalogs[docname_to_domain(docname, app.config.gettext_compact)]
    for subtitle in doctree.findall(exercise_subtitle):
        if subtitle.rawsource and subtitle.source:
            subtitle.uid = getattr(subtitle, "uid", "")  # Catalog.add skips nodes without one
            catalog.add(subtitle.rawsource, subtitle)


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
    catalog = Path(app.srcdir) / "book" / "locale" / config.language / "LC_MESSAGES" / "book" / "glossary.po"
    words = set()
    if catalog.is_file():
        import babel.messages.pofile as pofile

        with open(catalog, "rb") as handle:
            for message in pofile.read_po(handle):
                text = message.string if isinstance(message.string, str) else ""
                # a term's entry reads "卷积核 (kernel)": its Chinese part is the word
                head = text.split("(")[0].split("（")[0].strip()
                if head and len(head) <= 12 and all(
                        "\u4e00" <= ch <= "\u9fff" or ch.isalnum() for ch in head):
                    if any("\u4e00" <= ch <= "\u9fff" for ch in head):
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
    app.connect("config-inited", header_button)
    app.connect("config-inited", search_dictionary)
    app.connect("doctree-read", extract_exercise_titles)
    app.connect("html-page-context", add_language_switch)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
