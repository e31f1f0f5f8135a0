"""The drawing kit shared by the chapters' figures and explorers.

- ``number_text(v)``: the one number format (``2``, ``-1``, ``0.25``, never ``-0``; NaN is "").
- ``number_grid(ax, values)``: a 2-D array as a grid of cells, coloured (by a colour map, one
  colour, or an RGB array), with thin borders and each number written in its cell. Returns
  a ``CellGrid`` whose ``set_values`` / ``set_colors`` / ``set_numbers`` update it in place
  (a ``Scene`` lists ``grid.artists`` as dynamic in ``freeze_background``).
- ``number_raster(values)``: the same grid rendered once into an RGBA array, for a panel of
  many numbers that a ``Scene`` swaps with ``imshow(...).set_data`` (text is the slow part of a
  matplotlib frame; an image is not).
- ``panel_title(fig, ax, text)``: a title above ``ax`` as figure text (much faster to render
  than ``ax.set_title``, and ``set_text`` updates it).
- ``panel_off(ax)``: no ticks (and no frame, or a light grey one).
- ``plot_images(images, titles)``: a row of images, each at the same pixel scale (a static
  figure: returns the Figure; the notebook cell calls ``plt.show()``).

Coordinates follow ``imshow``: y points down and, by default, cell (i, j) is centred on
(x = j, y = i). ``origin`` moves the grid's top-left corner, so several grids can share one
Axes.
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

from cnn_course.widgets.style import DIVERGING, FONT, set_alt

__all__ = ["number_text", "number_grid", "CellGrid", "grid_segments", "number_raster",
           "panel_title", "panel_off", "plot_images", "DIVERGING"]


def number_text(v, digits=2):
    """A number as short text: integers without a decimal point, never "-0"; others with
    ``digits`` significant digits ("0.11", "-2.5", "1e+03"); NaN as "" (a blank cell)."""
    v = float(v) + 0.0
    if np.isnan(v):
        return ""
    if v == round(v) and abs(v) < 1e6:
        return f"{v:.0f}"
    return f"{v:.{digits}g}"


def grid_segments(rows, cols, origin=(-0.5, -0.5)):
    """The border lines of a rows x cols grid of unit cells whose top-left corner is origin."""
    x0, y0 = origin
    segments = [[(x0, y0 + r), (x0 + cols, y0 + r)] for r in range(rows + 1)]
    segments += [[(x0 + c, y0), (x0 + c, y0 + rows)] for c in range(cols + 1)]
    return segments


def _is_colour(spec):
    """One colour ("C1", "#e6550d", (0.6, 0.8, 0.9)) rather than an array of them."""
    if isinstance(spec, str):
        return True
    a = np.asarray(spec)
    return a.ndim == 1 and a.size in (3, 4)


def _cell_colours(colors, shape):
    """An (H, W, 4) float array from one colour or an (H, W, 3 or 4) array."""
    if _is_colour(colors):
        return np.broadcast_to(np.array(to_rgba(colors)), shape + (4,)).copy()
    rgb = np.asarray(colors, dtype=np.float64)
    if rgb.shape[:2] != tuple(shape) or rgb.shape[2:] not in ((3,), (4,)):
        raise ValueError(f"number_grid: colors must be one colour or an array of shape "
                         f"{tuple(shape) + (3,)}, got shape {rgb.shape}")
    if rgb.shape[2] == 3:
        rgb = np.concatenate([rgb, np.ones(rgb.shape[:2] + (1,))], axis=2)
    return rgb


def _auto_text_colours(rgba):
    """White on dark cells, black on light ones (perceived luminance of the cell colour)."""
    luminance = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    return np.where(luminance < 0.5, "white", "black")


class CellGrid:
    """The artists of a ``number_grid`` and the methods that update them in place.

    Attributes: ``image`` (the cells' colours, an AxesImage), ``lines`` (the borders, a
    LineCollection, or None), ``texts`` (an (H, W) object array of Text, or None).
    """

    def __init__(self, ax, image, lines, texts, *, origin, fmt, fit, coloured):
        self.ax, self.image, self.lines, self.texts = ax, image, lines, texts
        self.origin, self.fmt, self.fit = origin, fmt, fit
        self.coloured = coloured          # True: cells have their own colours, not a cmap
        self.shape = image.get_array().shape[:2]

    @property
    def artists(self):
        """Every artist of the grid (pass them to ``freeze_background`` if they change)."""
        found = [self.image] + ([self.lines] if self.lines is not None else [])
        return found + (list(self.texts.flat) if self.texts is not None else [])

    def set_values(self, values, *, numbers=None):
        """New values: recolour the cells (if a colour map colours them) and rewrite the numbers.

        ``values`` may have another shape than before: the cells and borders follow it (the
        numbers need a grid of the same shape)."""
        values = np.asarray(values)
        if not self.coloured:
            self._reshape(values.shape)
            self.image.set_data(values)
        if self.texts is not None:
            self.set_numbers(values if numbers is None else numbers)

    def set_colors(self, colors):
        """New cell colours: one colour or an (H, W, 3 or 4) array (any H, W)."""
        shape = self.shape if _is_colour(colors) else np.shape(colors)[:2]
        self._reshape(shape)
        self.image.set_data(_cell_colours(colors, shape))

    def set_numbers(self, numbers):
        """Rewrite the numbers (NaN leaves a cell blank)."""
        numbers = np.asarray(numbers)
        if numbers.shape != self.texts.shape:
            raise ValueError(f"CellGrid.set_numbers: the grid has {self.texts.shape} cells, "
                             f"got numbers of shape {numbers.shape}")
        for (i, j), v in np.ndenumerate(numbers):
            self.texts[i, j].set_text(self.fmt(v))

    def _reshape(self, shape):
        shape = tuple(shape)
        if shape == self.shape:
            return
        self.shape = shape
        rows, cols = shape
        x0, y0 = self.origin
        self.image.set_extent((x0, x0 + cols, y0 + rows, y0))
        if self.lines is not None:
            self.lines.set_segments(grid_segments(rows, cols, self.origin))
        if self.fit:
            self.ax.set_xlim(x0, x0 + cols)
            self.ax.set_ylim(y0 + rows, y0)


def number_grid(ax, values, *, cmap="Greys", vmin=None, vmax=None, colors=None, numbers=None,
                fmt=number_text, fontsize=FONT["small"], text_color="black", line_color="0.6",
                line_width=0.6, origin=(-0.5, -0.5), fit=True, aspect=None, zorder=None):
    """Draw a 2-D array as a grid of cells with their numbers written in; return a CellGrid.

    Inputs:
    - ax: the Axes to draw on (``panel_off(ax)`` hides its ticks; this function does not)
    - values: array of shape (H, W)
    - cmap, vmin, vmax: how values colour the cells (ignored when ``colors`` is given)
    - colors: one colour for every cell, or an (H, W, 3 or 4) array of cell colours
    - numbers: the numbers written in the cells (default: ``values``)
    - fmt: number -> text (default ``number_text``); None writes no numbers; a function that
      returns "" draws empty texts to fill in later (``CellGrid.set_numbers``)
    - fontsize; text_color: one colour, an (H, W) array of colours, or "auto" (white on dark
      cells, black on light ones)
    - line_color, line_width: the cell borders (line_color=None: no borders)
    - origin: the grid's top-left corner; cell (i, j) spans x in [x0 + j, x0 + j + 1] and
      y in [y0 + i, y0 + i + 1] (y pointing down). The default centres cells on (j, i), as
      ``imshow`` does
    - fit: set the Axes limits to the grid (y pointing down); False to place several grids
      on one Axes and set the limits yourself
    - aspect: passed to ``imshow`` ("auto" stretches the cells to the Axes)
    - zorder: draw the grid at this height (cells, then borders, then numbers just above it),
      e.g. to stack grids that overlap
    """
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"number_grid: values must be 2-D (H, W), got shape {values.shape}")
    rows, cols = values.shape
    x0, y0 = origin
    extent = (x0, x0 + cols, y0 + rows, y0)
    options = {"extent": extent, "interpolation": "nearest", "aspect": aspect}
    if zorder is not None:
        options["zorder"] = zorder
    if colors is None:
        image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, **options)
    else:
        image = ax.imshow(_cell_colours(colors, values.shape), **options)
    lines = None
    if line_color is not None:
        lines = LineCollection(grid_segments(rows, cols, origin), colors=line_color,
                               linewidths=line_width, clip_on=False)
        if zorder is not None:
            lines.set_zorder(zorder + 0.01)
        ax.add_collection(lines, autolim=False)
    texts = None
    if fmt is not None:
        numbers = values if numbers is None else np.asarray(numbers)
        if isinstance(text_color, str) and text_color == "auto":
            rgba = (image.to_rgba(values) if colors is None
                    else _cell_colours(colors, values.shape))
            text_color = _auto_text_colours(np.asarray(rgba, dtype=np.float64))
        per_cell = not _is_colour(text_color)
        texts = np.empty((rows, cols), dtype=object)
        for (i, j), v in np.ndenumerate(numbers):
            texts[i, j] = ax.text(x0 + j + 0.5, y0 + i + 0.5, fmt(v), ha="center",
                                  va="center", fontsize=fontsize,
                                  color=text_color[i][j] if per_cell else text_color)
            if zorder is not None:
                texts[i, j].set_zorder(zorder + 0.02)
    if fit:
        ax.set_xlim(x0, x0 + cols)
        ax.set_ylim(y0 + rows, y0)
    return CellGrid(ax, image, lines, texts, origin=origin, fmt=fmt, fit=fit,
                    coloured=colors is not None)


def number_raster(values, *, cell_px=35, dpi=80, fontsize=None, line_color=None, **options):
    """A ``number_grid`` rendered once into an RGBA array of shape (H * cell_px, W * cell_px, 4).

    Show it with ``ax.imshow(raster, extent=..., interpolation="none")`` in an Axes of
    exactly that many pixels (crisp, 1:1). ``options`` are those of ``number_grid``; the
    numbers are 0.3 * cell_px points by default.
    """
    values = np.asarray(values)
    h, w = values.shape
    fig = Figure(figsize=(w * cell_px / dpi, h * cell_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    number_grid(ax, values, fontsize=cell_px * 0.3 if fontsize is None else fontsize,
                line_color=line_color, **options)
    ax.set_axis_off()
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


def panel_title(fig, ax, text="", *, fontsize=FONT["title"], y=None, ha="center", pad=0.008, **kw):
    """A title above ``ax``, drawn as figure text; return the Text (``set_text`` updates it).

    Much faster to render than ``ax.set_title`` (no layout step). Place the Axes first
    (``subplots_adjust``, a gridspec): the title is put where the Axes is now.

    - y: None puts the title's bottom ``pad`` above the Axes; a number puts its top there
      (figure coordinates; e.g. one row of titles at the same height, y=0.97)
    - ha: "center" (centred on the Axes) or "left" (at its left edge)
    """
    box = ax.get_position()
    x = box.x0 if ha == "left" else (box.x0 + box.x1) / 2
    if y is None:
        y, va = box.y1 + pad, "bottom"
    else:
        va = "top"
    return fig.text(x, y, text, ha=ha, va=va, fontsize=fontsize, **kw)


def panel_off(ax, *, frame=False):
    """Hide the ticks of a picture panel; keep a light grey frame if ``frame``, else nothing.

    Ticks and their labels are the slowest part of drawing an Axes.
    """
    if not frame:
        ax.set_axis_off()
        return
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_color("0.7")


def plot_images(images, titles, *, cmap="gray_r", symmetric=False, figsize=None):
    """Show 2-D images side by side, all at the same pixel scale, axes off; return the Figure.

    Inputs:
    - images: a list of 2-D arrays (they may have different sizes: each panel is as wide
      as its image has columns)
    - titles: one title per image
    - cmap: colour map of the images (default light background, dark ink)
    - symmetric: each image in a diverging map centred on 0 (red +, blue -) instead
    - figsize: (width, height) in inches; default 2.2 inches per image, 2.4 high

    End the notebook cell with ``plt.show()``.
    """
    import matplotlib.pyplot as plt

    images = [np.asarray(image) for image in images]
    if len(images) != len(titles):
        raise ValueError(f"plot_images: {len(images)} images but {len(titles)} titles")
    bad = [image.shape for image in images if image.ndim != 2]
    if bad:
        raise ValueError(f"plot_images: every image must be 2-D (H, W), got shape {bad[0]}")
    n = len(images)
    fig, axes = plt.subplots(1, n, figsize=figsize or (2.2 * n, 2.4), squeeze=False,
                             gridspec_kw={"width_ratios": [im.shape[1] for im in images]})
    for ax, image, title in zip(axes[0], images, titles):
        if symmetric:
            span = max(np.abs(image).max(), 1e-12)
            ax.imshow(image, cmap=DIVERGING, vmin=-span, vmax=span)
        else:
            ax.imshow(image, cmap=cmap)
        ax.set_title(title, fontsize=FONT["title"])
        panel_off(ax)
    fig.tight_layout()
    shading = ("in a diverging colour map (red positive, blue negative)" if symmetric
               else "in grey levels")
    what = "An image" if n == 1 else f"{n} images side by side"
    return set_alt(fig, f"{what}, {shading}: " + "; ".join(str(t) for t in titles))
