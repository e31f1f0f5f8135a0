"""Interactive figures that work live in Jupyter and precomputed in the static book.

One notebook cell, one object::

    InteractiveFigure(draw, {"position": Slider(range(16)), "kernel": Dropdown(KERNELS)})

``draw(fig, **values)`` draws on a cleared matplotlib ``Figure`` for one combination of control
values and may return a short caption (plain text) shown under the figure. The same function
serves both worlds:

- In Jupyter with a kernel, the object displays as an ipywidgets box (controls and an ``Image``
  widget). Moving a control calls ``draw`` again and swaps the image bytes: the figure is redrawn
  in place, never stacked.
- In the rendered book there is no kernel. At execution time the object also renders ``draw``
  for every combination of the controls' (static) values, and emits them as ``text/html``: a
  plain ``<input type=range>``/``<select>`` player whose frames are switched in the browser by
  ``book/_static/cnn_widgets.js``. The book is configured to prefer ``text/html`` over the
  widget view; JupyterLab prefers the widget view.

Both parts travel in one mime bundle (see ``InteractiveFigure._repr_mimebundle_``). Its
``text/plain`` part is a fixed description, so strict nbval can compare it; the base64 frame
bytes inside ``text/html`` are replaced by a placeholder by the sanitizer in
``tests/nbval_sanitize.cfg``.

Both follow the course's figure style (``widgets.style``): the figure is drawn at
``style.SCALE`` x its CSS size and shown at that size (sharp, not stretched); the book's
frames are lossless WebP; each frame's alt text and each slider's ``aria-valuetext`` say in
words what the controls select (``Control.texts``); a control the book keeps at one value is
shown as text, not as a control.
"""

import base64
import html
import io
import itertools
import json

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from cnn_course.widgets.style import PHONE_MIN_SCALE, SCALE, shows_values

__all__ = ["MAX_FRAMES", "Scene", "Control", "Slider", "Dropdown", "Checkbox", "FrozenBackground",
           "freeze_background", "figure_png", "figure_webp", "InteractiveFigure"]

#: Upper bound on precomputed frames per figure: keeps pages light (each frame is a PNG).
MAX_FRAMES = 160


class Scene:
    """A figure drawn once and then updated: the fast alternative to a draw function.

    Subclasses create their axes and artists in ``setup(fig)`` and change them (``set_data``,
    ``set_text``, ...) in ``update(**values)``, which may return a caption. Updating artists is
    about three times faster than clearing and redrawing the figure.
    """

    def setup(self, fig):
        raise NotImplementedError

    def update(self, **values):
        raise NotImplementedError


class Control:
    """A control over a finite list of values (the live widget may offer the same list)."""

    def __init__(self, values, labels=None, *, value=None, description="", static_values=None,
                 texts=None):
        self.values = list(values)
        if not self.values:
            raise ValueError(f"{type(self).__name__} needs at least one value")
        self.labels = [str(v) for v in self.values] if labels is None else [str(l) for l in labels]
        if len(self.labels) != len(self.values):
            raise ValueError(
                f"{len(self.labels)} labels for {len(self.values)} values in {description!r}")
        self.value = self.values[0] if value is None else value
        if self.value not in self.values:
            raise ValueError(f"default {self.value!r} is not one of the values {self.values!r}")
        self.description = description
        static = self.values if static_values is None else list(static_values)
        missing = [v for v in static if v not in self.values]
        if missing:
            raise ValueError(f"static_values {missing!r} are not among the values")
        if self.value not in static:
            static = sorted(set(static) | {self.value}, key=self.values.index)
        self.static_values = static
        if texts is not None and len(list(texts)) != len(self.values):
            raise ValueError(f"{len(list(texts))} texts for {len(self.values)} values in "
                             f"{description!r}")
        self.texts = None if texts is None else [str(t) for t in texts]

    def label_of(self, value):
        return self.labels[self.values.index(value)]

    def text_of(self, value, name=""):
        """The value in words, as a screen reader says it (a slider's aria-valuetext and the
        frame's alt text): ``texts`` if given, else "description: label"."""
        if self.texts is not None:
            return self.texts[self.values.index(value)]
        return f"{self.description or name}: {self.label_of(value)}"


class Slider(Control):
    """A slider over ``values`` (e.g. ``range(16)``); ``static_values`` may thin it for the book.

    ``labels`` are shown beside the slider (book and JupyterLab alike); ``texts`` are the
    values in words for screen readers (``aria-valuetext``), e.g. "shift: 2 pixels right"."""


class Dropdown(Control):
    """A drop-down menu. ``options`` is a list of values or a dict {label: value}."""

    def __init__(self, options, *, value=None, description="", static_values=None, texts=None):
        if isinstance(options, dict):
            labels, values = list(options), list(options.values())
        else:
            labels, values = None, list(options)
        super().__init__(values, labels, value=value, description=description,
                         static_values=static_values, texts=texts)


class Checkbox(Control):
    """A yes/no toggle."""

    def __init__(self, *, value=False, description=""):
        super().__init__([False, True], ["off", "on"], value=value, description=description)


class FrozenBackground(Artist):
    """The pixels of a figure's unchanging artists, pasted under the dynamic ones at each draw.

    Made by ``freeze_background``; it is the figure's lowest artist. Each draw copies the
    cached pixels into the renderer (a memory copy), then the figure draws what is still
    visible: the dynamic artists.
    """

    def __init__(self, pixels, size):
        super().__init__()
        self.pixels = pixels      # a BufferRegion of the whole figure
        self.size = size          # (width, height) in pixels
        self.set_zorder(-np.inf)

    def draw(self, renderer):
        if not self.get_visible():
            return
        size = (int(renderer.width), int(renderer.height))
        if size != self.size:
            raise ValueError(
                f"freeze_background: the background was rendered at {self.size[0]}x"
                f"{self.size[1]} px but the figure is drawn at {size[0]}x{size[1]} px; "
                "freeze with the dpi (and figure size) the figure is rendered at")
        renderer.restore_region(self.pixels)


def freeze_background(fig, dynamic, dpi=None):
    """Draw every artist of ``fig`` except ``dynamic`` once; later draws reuse those pixels.

    Text, ticks and many small artists are the slow part of a matplotlib frame. A ``Scene``
    whose update changes only a few artists calls this at the end of ``setup``: everything
    else (titles, numbers that never change, axes, legends) is rendered once at ``dpi``, the
    pixels are kept, and those artists are hidden. Every later draw pastes the pixels and
    draws only the dynamic artists on top, so each frame costs what its dynamic artists cost.

    Inputs:
    - fig: a Figure with a canvas (e.g. the one ``InteractiveFigure`` gives ``Scene.setup``)
    - dynamic: the artists that ``update`` changes; each must be a figure-level artist or a
      direct child of an Axes (an image, line, patch, collection or text added to it)
    - dpi: the resolution the figure is rendered at; by default ``fig.dpi`` (an
      ``InteractiveFigure`` makes its figure at the dpi it renders with)

    Returns the ``FrozenBackground`` artist added to ``fig``.

    Rules (what the speed costs):
    - Dynamic artists are always drawn above the background. A static artist that must cover
      a dynamic one (a grid line over an image that changes, the spines of its Axes) has to
      be listed as dynamic, or switched off (``ax.set_axis_off()``).
    - Static artists must not change after the freeze; they are hidden, so ``set_visible``
      on them later would draw them twice. Dynamic artists keep their own visibility.
    - Draw the figure at the same size afterwards: another pixel size raises ValueError.
    """
    dynamic = list(dynamic)
    ids = {id(a) for a in dynamic}
    axes_children = {id(child): ax for ax in fig.axes for child in ax.get_children()}
    figure_level = {id(a) for a in fig.get_children()}
    stray = [a for a in dynamic if id(a) not in axes_children and id(a) not in figure_level]
    if stray:
        raise ValueError(f"freeze_background: {stray[0]!r} is neither a figure-level artist "
                         "nor a direct child of one of the figure's Axes")
    if dpi is not None and fig.dpi != dpi:
        fig.set_dpi(dpi)
    shown = [a.get_visible() for a in dynamic]
    for a in dynamic:
        a.set_visible(False)
    fig.canvas.draw()
    size = (int(fig.canvas.get_renderer().width), int(fig.canvas.get_renderer().height))
    pixels = fig.canvas.copy_from_bbox(fig.bbox)
    for a, visible in zip(dynamic, shown):
        a.set_visible(visible)
    holders = {id(axes_children[i]) for i in ids if i in axes_children}
    for ax in fig.axes:
        if id(ax) in ids:
            continue                      # a whole dynamic Axes is drawn as it is
        if id(ax) not in holders:
            ax.set_visible(False)         # nothing in it moves: skip the whole Axes
            continue
        for child in ax.get_children():
            if id(child) not in ids:
                child.set_visible(False)
    for artist in fig.texts + fig.legends + fig.images + fig.lines + fig.patches + fig.artists:
        if id(artist) not in ids:
            artist.set_visible(False)
    background = FrozenBackground(pixels, size)
    fig.add_artist(background)
    return background


def figure_png(fig, dpi, *, colors=256):
    """Render a matplotlib Figure to PNG bytes.

    The course's figures are flat-coloured diagrams, so the image is stored with a palette of
    at most ``colors`` colours: about 3x smaller than full RGB at the same drawing time, which
    keeps pages with many precomputed frames light. ``colors=None`` keeps full RGB.
    """
    buffer = io.BytesIO()
    _drawn(fig, dpi, colors).save(buffer, format="PNG")
    return buffer.getvalue()


def figure_webp(fig, dpi, *, colors=256):
    """Render a matplotlib Figure to lossless WebP bytes: the book's precomputed frames.

    The same palette of at most ``colors`` colours as ``figure_png``, stored as lossless WebP:
    0.5-0.7x the bytes of the PNG (measured on chapters 2 and 5; the frames are most of a
    chapter page's weight). Every current browser shows it.
    """
    buffer = io.BytesIO()
    _drawn(fig, dpi, colors).save(buffer, format="WEBP", lossless=True, method=4, quality=25)
    return buffer.getvalue()


def _drawn(fig, dpi, colors):
    """``fig`` drawn at ``dpi`` as a PIL image, with a palette of at most ``colors`` colours
    (None: full RGB)."""
    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    fig.canvas.draw()
    image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])
    if colors is not None:
        image = image.quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    return image


class InteractiveFigure:
    """A matplotlib figure driven by controls; live in Jupyter, precomputed in the book.

    Inputs:
    - draw: a function ``draw(fig, **values) -> str | None`` drawing on a cleared Figure, or
      a ``Scene`` (set up once, then updated for each combination of values)
    - controls: dict {name: Control}; names are the keyword arguments of ``draw``
    - title: short description of what the figure shows (text/plain, and the start of each
      frame's alt text, which adds what the controls select)
    - figsize, dpi: size of the figure in inches, and its CSS pixels per inch (the course's
      ``style.CSS_DPI``): the figure is shown figsize * dpi CSS px large and drawn at
      ``style.SCALE`` times that, so ``self.figure.dpi`` is dpi * SCALE
    - layout: matplotlib layout engine ("constrained" is tidy but costs ~2x render time)
    - keep_colours: the colours are the content (an RGB picture): on a dark page the book
      shows the frames as they are (dimmed, framed), not with their lightness inverted

    ``n_frames`` is the number of frames the static book precomputes (at most MAX_FRAMES).
    """

    def __init__(self, draw, controls, *, title, figsize=(6.4, 3.2), dpi=80, layout=None,
                 keep_colours=False):
        self.draw = draw
        self.keep_colours = keep_colours
        self.controls = dict(controls)
        self.title = title
        self.dpi = dpi
        self.figure = Figure(figsize=figsize, dpi=dpi * SCALE, layout=layout)
        FigureCanvasAgg(self.figure)
        self._scene_ready = False
        #: How many frames the static book precomputes: the product of the controls' numbers
        #: of static values.
        self.n_frames = 1
        for control in self.controls.values():
            self.n_frames *= len(control.static_values)
        if self.n_frames > MAX_FRAMES:
            raise ValueError(
                f"{title!r}: {self.n_frames} precomputed frames exceed MAX_FRAMES={MAX_FRAMES}; "
                "give the controls coarser static_values")

    # --- rendering ---------------------------------------------------------------------
    def render(self, *, _encode=None, **values):
        """Draw for one combination of values; return (png_bytes, caption)."""
        full = {name: c.value for name, c in self.controls.items()}
        unknown = set(values) - set(full)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; known: {sorted(full)}")
        full.update(values)
        if isinstance(self.draw, Scene):
            if not self._scene_ready:
                self.draw.setup(self.figure)
                self._scene_ready = True
            caption = self.draw.update(**full)
        else:
            self.figure.clear()
            caption = self.draw(self.figure, **full)
        encode = figure_png if _encode is None else _encode
        return (encode(self.figure, self.figure.dpi),
                "" if caption is None else str(caption))

    @property
    def css_size(self):
        """(width, height) in CSS px the figure is shown at: the drawn size / SCALE."""
        w, h = self.figure.get_size_inches() * self.dpi
        return int(round(w)), int(round(h))

    def alt_text(self, **values):
        """What a frame shows: the title, then what each control selects, in words."""
        full = {name: c.value for name, c in self.controls.items()}
        full.update(values)
        chosen = "; ".join(c.text_of(full[name], name) for name, c in self.controls.items())
        return f"{self.title}. {chosen}" if chosen else self.title

    # --- the static (book) version -----------------------------------------------------
    def frames(self):
        """Yield (key, image, caption) for every combination of static values.

        key is the controls' indices into their ``static_values``, joined with "|"; image is
        lossless WebP bytes (``figure_webp``).
        """
        names = list(self.controls)
        grids = [range(len(self.controls[n].static_values)) for n in names]
        for indices in itertools.product(*grids):
            values = {n: self.controls[n].static_values[i] for n, i in zip(names, indices)}
            image, caption = self.render(_encode=figure_webp, **values)
            yield "|".join(map(str, indices)), image, caption

    def static_html(self):
        """The precomputed player: controls, one <img>, a caption, and the frames as JSON.

        The <img> is shown at the figure's CSS size (``width``/``height``; it is drawn at
        SCALE x) and its alt text says what the controls select; the caption is a polite
        live region. A control the book keeps at one value is written as text, not as a
        control. cnn_widgets.js keeps the alt text and each slider's aria-valuetext in step.
        """
        images, captions, index = [], [], {}
        seen = {}
        for key, png, caption in self.frames():
            uri = "data:image/webp;base64," + base64.b64encode(png).decode("ascii")
            if uri not in seen:
                seen[uri] = len(images)
                images.append(uri)
            index[key] = [seen[uri], len(captions)]
            captions.append(caption)
        default_key = "|".join(
            str(c.static_values.index(c.value)) for c in self.controls.values())
        first_image, first_caption = index[default_key]
        data = {"index": index, "images": images, "captions": captions, "title": self.title}
        width, height = self.css_size
        keep = self.keep_colours or shows_values(self.figure)   # colours that carry values
        root = "cnn-widget cnn-keep-colours" if keep else "cnn-widget"
        parts = [f'<div class="{root}">', '<div class="cnn-widget-controls">']
        for name, control in self.controls.items():
            parts.append(_static_control_html(name, control))
        parts.append("</div>")
        parts.append('<div class="cnn-widget-figure">')
        parts.append(f'<img class="cnn-widget-frame" alt="{html.escape(self.alt_text())}" '
                     f'width="{width}" height="{height}" '
                     f'style="min-width: {int(PHONE_MIN_SCALE * width)}px" '
                     f'src="{images[first_image]}">')
        parts.append("</div>")
        parts.append('<div class="cnn-widget-caption" aria-live="polite">'
                     f"{html.escape(captions[first_caption])}</div>")
        payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
        parts.append(f'<script type="application/json" class="cnn-widget-data">{payload}</script>')
        parts.append("</div>")
        return "\n".join(parts)

    # --- the live (Jupyter) version ----------------------------------------------------
    def widget(self):
        """An ipywidgets VBox: the controls above an Image that is redrawn on every change.

        The image is shown at its CSS size (drawn at SCALE x: sharp, not stretched), at most
        the cell's width; the controls show the same labels as the book's player."""
        import ipywidgets as widgets

        png, caption = self.render()
        width, _ = self.css_size
        image = widgets.Image(value=png, format="png",
                              layout=widgets.Layout(width=f"{width}px", max_width="100%",
                                                    height="auto"))
        caption_box = widgets.HTML(value=_caption_html(caption))
        controls = {name: _live_control(name, c) for name, c in self.controls.items()}

        def describe(values):
            # ipywidgets offers no alt text or aria-valuetext: a control's tooltip (the title
            # attribute: shown on hover, read as the element's description) carries the words,
            # and a polite live region, visible to screen readers only, says them on a change.
            # (The Image view cannot take a tooltip: ipywidgets 8's ImageView then fails.)
            words = [self.controls[name].text_of(values[name], name) for name in controls]
            for w, text in zip(controls.values(), words):
                w.tooltip = text
            return _status_html("; ".join(words))

        def redraw(_change=None):
            values = {name: _live_value(self.controls[name], w) for name, w in controls.items()}
            image.value, text = self.render(**values)
            caption_box.value = _caption_html(text) + describe(values)

        caption_box.value += describe({name: c.value for name, c in self.controls.items()})
        for w in controls.values():
            w.observe(redraw, names="value")
        box = widgets.VBox([widgets.HBox(list(controls.values()),
                                         layout=widgets.Layout(flex_flow="row wrap")),
                            image, caption_box])
        box.redraw = redraw
        return box

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget()._repr_mimebundle_(include=include, exclude=exclude) or {}
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle = bundle[0]
        bundle = dict(bundle)
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = self.describe()
        return bundle

    def describe(self):
        """A fixed one-line description (the text/plain part of the output)."""
        parts = []
        for name, c in self.controls.items():
            parts.append(f"{name} ({len(c.values)} values)")
        return f"Interactive figure: {self.title} | controls: " + ", ".join(parts)

    def __repr__(self):
        return self.describe()


def _status_html(words):
    """The controls' values in words, in a live region only a screen reader shows."""
    hidden = ("position: absolute; width: 1px; height: 1px; overflow: hidden; "
              "clip: rect(0 0 0 0); white-space: nowrap;")
    return (f'<div class="cnn-widget-status" role="status" aria-live="polite" '
            f'style="{hidden}">{html.escape(words)}</div>')


def _caption_html(text):
    return f'<div class="cnn-widget-caption">{html.escape(text)}</div>' if text else ""


def _static_control_html(name, control):
    label = html.escape(control.description or name)
    default = control.static_values.index(control.value)
    labels = [control.label_of(v) for v in control.static_values]
    texts = [control.text_of(v, name) for v in control.static_values]
    attrs = (f'data-control="{html.escape(name)}" '
             f'data-texts="{html.escape(json.dumps(texts))}"')
    if len(labels) == 1:
        # one value in the book: say it, do not offer a control that changes nothing
        return (f'<span class="cnn-widget-fixed" {attrs} data-value="0">{label}: '
                f"<output>{html.escape(labels[0])}</output></span>")
    if isinstance(control, Checkbox):
        checked = " checked" if control.value else ""
        return (f'<label><input type="checkbox" class="cnn-widget-checkbox" {attrs}{checked}> '
                f"{label}</label>")
    if isinstance(control, Slider):
        return (f'<label>{label} <input type="range" class="cnn-widget-slider" {attrs} '
                f'min="0" max="{len(labels) - 1}" step="1" value="{default}" '
                f'aria-valuetext="{html.escape(texts[default])}" '
                f'data-labels="{html.escape(json.dumps(labels))}"> '
                f"<output>{html.escape(labels[default])}</output></label>")
    options = "".join(
        f'<option value="{i}"{" selected" if i == default else ""}>{html.escape(l)}</option>'
        for i, l in enumerate(labels))
    return f'<label>{label} <select class="cnn-widget-select" {attrs}>{options}</select></label>'


def _live_control(name, control):
    """The ipywidgets control: the same description and value labels as the book's player."""
    import ipywidgets as widgets

    description = control.description or name
    options = {"description": description, "style": {"description_width": "initial"},
               "description_allow_html": False}
    if isinstance(control, Checkbox):
        return widgets.Checkbox(value=control.value, indent=False, **options)
    values = control.values
    default_labels = control.labels == [str(v) for v in values]
    if isinstance(control, Slider):
        if default_labels and all(isinstance(v, int) for v in values) and values == list(
                range(values[0], values[-1] + 1, (values[1] - values[0]) if len(values) > 1 else 1)):
            step = values[1] - values[0] if len(values) > 1 else 1
            return widgets.IntSlider(value=control.value, min=values[0], max=values[-1],
                                     step=step, **options)
        return widgets.SelectionSlider(options=list(zip(control.labels, range(len(values)))),
                                       value=values.index(control.value), **options)
    return widgets.Dropdown(options=list(zip(control.labels, range(len(control.values)))),
                            value=control.values.index(control.value), **options)


def _live_value(control, w):
    if isinstance(w.value, bool) or (isinstance(control, Slider) and
                                     not hasattr(w, "options")):
        return w.value
    return control.values[w.value]
