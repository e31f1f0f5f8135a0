"""The course's one figure style: text sizes, resolution, colours, descriptions.

Every figure of the course (the explorers and the static ``plot_*`` figures) takes its sizes
and colours from here, so that figure text is readable wherever the course shows it:

- **Text size.** No figure text is smaller than ``MIN_FONT_PT`` points. A figure is laid out at
  ``CSS_DPI`` CSS pixels per inch (so 1 pt of text is ``CSS_DPI / 72`` CSS px at full size) and
  drawn at ``SCALE`` times that (sharp on high-density screens); the book and JupyterLab show
  it at its CSS size (``width`` = drawn width / ``SCALE``). Where the figure is wider than the
  page it shrinks to the page width, never below ``PHONE_MIN_SCALE`` of its CSS size: a wider
  figure scrolls sideways inside its own box. ``text_px`` computes the CSS pixels a text gets;
  ``tests/test_figure_style.py`` checks every figure against ``CONTENT_PX``.
- **Colour.** ``OKABE_ITO`` (Okabe & Ito's colour-blind-safe palette) for categories and
  highlights; ``DIVERGING`` (RdBu_r) for signed values. No meaning is carried by red against
  green alone: a second cue (a label, a hatch, a line style) always goes with it.
- **Descriptions.** ``set_alt(fig, text)`` gives a static figure its alt text, saying what it
  shows; it travels inside the PNG (a ``Description`` text chunk) and
  ``book/_ext/figure_alt.py`` puts it on the book's ``<img>``. ``describe(fig)`` is the
  fallback for a figure without one (its titles and axis labels).
- **Dark pages.** Figures keep a white background; ``book/_static/cnn_widgets.css`` shows
  them with inverted lightness (hues kept) on a dark page, except figures marked as
  ``KEEP_COLOURS``, which are shown as they are, dimmed on a frame: true-colour pictures
  (``keep_colours``) and every figure whose colours carry values (``shows_values``: an image
  or colour mesh, such as a digit or a feature map), whose meaning inversion would flip.

In IPython (Jupyter, and the book's execution) ``use_course_style()`` also makes matplotlib's
inline figures use this style: ``SCALE``x PNGs with their CSS size and alt text in the output.
The chapter widget modules call it on import, so a notebook needs no setup cell.
"""

import importlib
import io
import sys
from binascii import b2a_base64

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image, PngImagePlugin

__all__ = ["CSS_DPI", "SCALE", "MIN_FONT_PT", "FONT", "CONTENT_PX", "WIDGET_PAD_PX",
           "PHONE_MIN_SCALE", "OKABE_ITO", "ORANGE", "SKY", "GREEN", "YELLOW", "BLUE",
           "VERMILLION", "PURPLE", "BLACK", "GREY", "DIVERGING", "pastel", "RC", "text_px",
           "css_width", "smallest_text", "set_alt", "get_alt", "describe", "KEEP_COLOURS",
           "shows_values", "keep_colours", "png_bytes", "use_course_style"]

#: CSS pixels per inch of figure: a figure of W inches is shown W * CSS_DPI CSS px wide.
CSS_DPI = 80
#: Drawn at SCALE x the CSS size (2: sharp on high-density screens, shown at half size).
SCALE = 2
#: The smallest text a figure may contain, in points (10 pt = 11.1 CSS px at full size).
MIN_FONT_PT = 10
#: Named font sizes (points) the figures use; nothing below MIN_FONT_PT.
FONT = {"small": 10, "normal": 11, "title": 11, "large": 13}
#: Width of the book's text column (CSS px), measured in chromium: the desktop layout at a
#: 1280 px window, and a 390 px phone. Figures inside an interactive player lose its padding.
CONTENT_PX = {1280: 688, 390: 358}
WIDGET_PAD_PX = 28
#: On a narrow screen a figure shrinks to at most this fraction of its CSS size, then scrolls
#: sideways in its box (min-width in cnn_widgets.js/.css): 10 pt stays >= 8 CSS px.
PHONE_MIN_SCALE = 0.75

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour
#: vision deficiency.
OKABE_ITO = {"orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
             "black": "#000000"}
ORANGE, SKY, GREEN, YELLOW = (OKABE_ITO[k] for k in ("orange", "sky", "green", "yellow"))
BLUE, VERMILLION, PURPLE, BLACK = (OKABE_ITO[k] for k in ("blue", "vermillion", "purple",
                                                          "black"))
GREY = "#767676"          # 4.5:1 on white
#: The colour map of signed values: red positive, blue negative, white zero (CVD-safe).
DIVERGING = "RdBu_r"

#: matplotlib settings of every course figure (``matplotlib.rc_context(RC)`` or the
#: global rcParams in IPython, set by ``use_course_style``).
RC = {
    "figure.dpi": CSS_DPI,
    "savefig.dpi": "figure",
    "font.size": FONT["normal"],
    "axes.titlesize": FONT["title"],
    "axes.labelsize": FONT["normal"],
    "xtick.labelsize": FONT["small"],
    "ytick.labelsize": FONT["small"],
    "legend.fontsize": FONT["small"],
    "figure.titlesize": FONT["large"],
    "axes.prop_cycle": matplotlib.cycler(color=[BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY,
                                                YELLOW, BLACK]),
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


def pastel(colour, amount=0.35):
    """An opaque colour between ``colour`` (amount=1) and white (amount=0)."""
    rgb = np.array(matplotlib.colors.to_rgb(colour))
    return tuple(1 - amount * (1 - rgb))


# --------------------------------------------------------------------------- text size

def css_width(fig, tight=False):
    """The CSS width (px) a figure is shown at when it fits: its drawn width / SCALE.

    ``tight``: the width of the tight bounding box (how the inline backend crops static
    figures) instead of the figure's own width."""
    if tight:
        if fig.canvas is None or not hasattr(fig.canvas, "get_renderer"):
            FigureCanvasAgg(fig)
        width_in = fig.get_tightbbox(fig.canvas.get_renderer()).width + 0.2   # pad_inches=0.1
    else:
        width_in = fig.get_figwidth()
    return width_in * CSS_DPI


def text_px(font_pt, width_css, screen=1280, *, in_widget=False):
    """CSS pixels of ``font_pt`` text in a figure of CSS width ``width_css`` on a screen.

    font px = pt * CSS_DPI / 72 * displayed width / CSS width, where the displayed width is
    the CSS width, shrunk to the text column if wider, but never below PHONE_MIN_SCALE of it
    (the figure scrolls instead)."""
    column = CONTENT_PX[screen] - (WIDGET_PAD_PX if in_widget else 0)
    shown = max(min(width_css, column), PHONE_MIN_SCALE * width_css)
    return font_pt * CSS_DPI / 72 * shown / width_css


def smallest_text(fig):
    """The smallest font size (pt) of the texts ``fig`` draws: figure texts, titles, axis
    labels, tick labels (of Axes whose axis is on), legends and texts in the Axes.

    Visibility is not asked: ``freeze_background`` hides the texts it has drawn into the
    background, and a Scene hides texts it does not need in one frame."""
    if fig.canvas is None or not hasattr(fig.canvas, "get_renderer"):
        FigureCanvasAgg(fig)
    fig.canvas.draw()          # makes the tick labels
    texts = list(fig.texts)
    if fig._suptitle is not None:
        texts.append(fig._suptitle)
    for legend in fig.legends:
        texts += legend.get_texts()
    for ax in fig.axes:
        texts += [*ax.texts, ax.title, ax._left_title, ax._right_title]
        if ax.axison:
            texts += [ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(),
                      *ax.get_yticklabels()]
        if ax.get_legend() is not None:
            texts += ax.get_legend().get_texts()
    sizes = [t.get_fontsize() for t in texts if t.get_text().strip()]
    return min(sizes) if sizes else None


# --------------------------------------------------------------------------- descriptions

#: Figures whose colours are the content (true-colour pictures): not inverted on dark pages.
KEEP_COLOURS = "cnn-keep-colours"


def set_alt(fig, text):
    """Give a figure its alt text (what it shows, in words); returns the figure."""
    fig._cnn_alt = " ".join(str(text).split())
    return fig


def get_alt(fig):
    """The figure's alt text: the one ``set_alt`` gave it, else ``describe(fig)``."""
    return getattr(fig, "_cnn_alt", None) or describe(fig)


def shows_values(fig):
    """True when colours in ``fig`` carry values (an image or a colour mesh: a digit, a feature
    map, a colour scale): inverting its lightness on a dark page would invert their meaning,
    so such a figure is shown as it is, dimmed on a frame, like ``keep_colours``."""
    from matplotlib.collections import QuadMesh

    return any(ax.images or any(isinstance(c, QuadMesh) for c in ax.collections)
               for ax in fig.axes)


def keep_colours(fig):
    """Mark a figure whose colours are its content: shown as is on dark pages (framed)."""
    fig._cnn_keep_colours = True
    return fig


def describe(fig):
    """A plain description from a figure's texts: its title(s) and axis labels."""
    parts = []
    if fig._suptitle is not None and fig._suptitle.get_text():
        parts.append(fig._suptitle.get_text())
    for ax in fig.axes:
        bits = [t for t in (ax.get_title(),) if t]
        labels = [lab for lab in (ax.get_xlabel(), ax.get_ylabel()) if lab]
        if len(labels) == 2:
            bits.append(f"{labels[1]} against {labels[0]}")
        elif labels:
            bits.append(labels[0])
        if bits:
            parts.append(": ".join(bits))
    text = "; ".join(dict.fromkeys(" ".join(p.split()) for p in parts))
    return f"Figure: {text}" if text else "Figure"


# --------------------------------------------------------------------------- PNG output

def png_bytes(fig, *, dpi=None, tight=False, colors=256, alt=None):
    """Render ``fig`` to PNG bytes at ``dpi`` (default SCALE * fig.dpi).

    Stored with a palette of at most ``colors`` colours (the course's figures are flat
    diagrams: about 3x smaller than RGB); ``colors=None`` keeps full RGB (photographs). ``alt``
    is written into the PNG as its Description text chunk (read by book/_ext/figure_alt.py).
    ``tight`` crops to the tight bounding box, as the inline backend does.
    """
    dpi = SCALE * fig.dpi if dpi is None else dpi
    buffer = io.BytesIO()
    options = {"bbox_inches": "tight", "pad_inches": 0.1} if tight else {}
    if fig.canvas is None or not hasattr(fig.canvas, "print_figure"):
        FigureCanvasAgg(fig)
    fig.canvas.print_figure(buffer, format="png", dpi=dpi, facecolor=fig.get_facecolor(),
                            edgecolor="none", **options)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    if colors is not None:
        image = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    info = PngImagePlugin.PngInfo()
    if alt:
        info.add_text("Description", alt)
    if getattr(fig, "_cnn_keep_colours", False) or shows_values(fig):
        info.add_text("cnn-class", KEEP_COLOURS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, pnginfo=info)
    return out.getvalue()


def _inline_png(fig, base64=False):
    """The inline backend's PNG of a static figure: SCALE x, cropped, with its CSS size and
    alt text in the output's metadata (JupyterLab shows it at that size: sharp, not
    stretched; myst-nb writes width and height on the book's <img>)."""
    if not fig.axes and not fig.lines and not fig.images and not fig.texts:
        return None
    alt = get_alt(fig)
    data = png_bytes(fig, tight=True, alt=alt)
    with Image.open(io.BytesIO(data)) as image:
        w, h = image.size
    metadata = {"width": w // SCALE, "height": h // SCALE, "alt": alt}
    if base64:
        data = b2a_base64(data, newline=False).decode("ascii")
    return data, metadata


_STYLED = False


def use_course_style():
    """Apply ``RC`` to matplotlib and, in IPython, format inline figures with ``_inline_png``.

    Idempotent; called by every chapter widget module on import. Outside IPython it only
    updates rcParams (figure dpi and font sizes)."""
    global _STYLED
    if _STYLED:
        return
    matplotlib.rcParams.update(RC)
    _STYLED = True
    ipython = sys.modules.get("IPython")          # imported by every Jupyter kernel
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    backend = str(matplotlib.rcParams["backend"])
    if backend.startswith("module://"):
        try:
            # Load the inline backend now: when first loaded it registers its own PNG
            # formatter for Figure, which would replace ours.
            importlib.import_module(backend[len("module://"):])
        except ImportError:
            return
    from matplotlib.figure import Figure

    formatter = shell.display_formatter.formatters["image/png"]
    formatter.for_type(Figure, lambda fig: _inline_png(fig, base64=True))
