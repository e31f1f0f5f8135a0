"""Sphinx extension: a notebook figure's alt text (and dark-page class) from its PNG.

myst-nb writes each image output of a notebook to a file and gives the <img> no alt text
(the HTML writer then uses the file's path). The course's figures carry their description
inside the PNG, as a ``Description`` text chunk (``cnn_course.widgets.style.set_alt`` /
``png_bytes``), and a ``cnn-class`` chunk for figures whose colours must not be inverted on
a dark page. This copies them onto the image node: alt text that says what the figure shows.
"""

from pathlib import Path

from docutils import nodes
from PIL import Image


def _png_text(path):
    try:
        with Image.open(path) as image:
            return dict(getattr(image, "text", {}) or {})
    except (OSError, ValueError):
        return {}


def _image_path(app, docname, uri):
    """The file an image node points at: relative to the document's folder, or the source
    folder, or absolute."""
    source = Path(app.srcdir)
    for candidate in (source / Path(docname).parent / uri, source / uri.lstrip("/"), Path(uri)):
        if candidate.is_file():
            return candidate
    return None


def _describe_images(app, doctree):
    docname = app.env.docname
    for node in doctree.findall(nodes.image):
        uri = node.get("uri", "")
        if node.get("alt") or not uri.lower().endswith(".png"):
            continue
        path = _image_path(app, docname, uri)
        if path is None:
            continue
        text = _png_text(path)
        if text.get("Description"):
            node["alt"] = text["Description"]
        if text.get("cnn-class"):
            node["classes"] = list(node.get("classes", [])) + [text["cnn-class"]]


def setup(app):
    app.connect("doctree-read", _describe_images)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
