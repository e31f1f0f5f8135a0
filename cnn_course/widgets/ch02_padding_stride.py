"""Chapter 2 figures: padding, stride and dilation on a grid, and receptive fields.

- ``padding_stride_explorer``: sliders for input size, kernel size, padding, stride and
  dilation; the padded grid with every window's top-left corner, the last window, the cells
  no window reads, and the output grid; the output-size formula with the numbers filled in.
- ``window_stepper``: one window at a time over a small numeric input, filling the output.
- ``receptive_field_explorer``: the input pixels one output pixel depends on, found by sending
  a gradient back through real ``conv2d`` calls, beside the size ``receptive_field`` predicts.
- ``plot_coverage`` / ``plot_receptive_field_growth``: static figures (return a matplotlib
  Figure; end the notebook cell with ``plt.show()``).

The geometry they draw (``window_geometry``, ``input_gradient_support``) lives in
``cnn_course.topics.receptive_field``.
"""

import numpy as np
from matplotlib.patches import Rectangle

from cnn_course import functional as F
from cnn_course.topics.receptive_field import (input_gradient_support, receptive_field,
                                               window_geometry)
from cnn_course.widgets.core import (Dropdown, InteractiveFigure, Scene, Slider,
                                     freeze_background)
from cnn_course.widgets.draw import number_grid, number_text, panel_off
from cnn_course.widgets.style import FONT, ORANGE, PURPLE, pastel, set_alt

__all__ = ["padding_stride_explorer", "window_stepper", "receptive_field_explorer",
           "plot_coverage", "plot_receptive_field_growth", "RF_STACKS"]

# Okabe-Ito hues (style.OKABE_ITO): "never read" (purple) and the last window (orange) differ
# in lightness too, and the legend names each.
INPUT = (0.62, 0.79, 0.88)        # input pixels (blue)
PAD = (0.90, 0.90, 0.90)          # padding zeros (light grey)
UNREAD_INPUT = pastel(PURPLE, 0.85)  # input pixels no window reads (purple)
UNREAD_PAD = pastel(PURPLE, 0.35)    # padding no window reads (pale purple)
OUTPUT = (0.63, 0.85, 0.61)       # output pixels (green)
WINDOW = ORANGE                   # the highlighted window (orange)


# --------------------------------------------------------------------------- geometry

def _formula(n, k, p, s, d, g, axis="OH = OW"):
    """The output-size formula with the numbers filled in, and what the windows leave unread.

    The warning comes from the taps' coverage (``g["read"]``, ``g["unread"]``), the same cells
    the figure paints purple: input pixels after the last window, and those skipped between
    windows when the stride is larger than the window's span.
    """
    if d == 1:
        inside = f"{n} + 2·{p} − {k}"
    else:
        inside = f"{n} + 2·{p} − {g['span']}"
    num = g["padded"] - g["span"]
    if g["out"] == 0:
        return (f"no output: the window spans {g['span']} but the padded input has only "
                f"{g['padded']} pixels ({inside} = {num} < 0), so all {n * n} input pixels "
                "are never read (purple); conv_output_size raises.")
    text = f"{axis} = floor(({inside}) / {s}) + 1 = floor({num}/{s}) + 1 = {g['out']}"
    if d != 1:
        text += f"   (dilated span d(k−1)+1 = {d}·{k - 1}+1 = {g['span']})"
    r, unread = g["leftover"], g["unread"]
    if r:
        tail = sum(1 for i in range(g["padded"] - r, g["padded"]) if p <= i < p + n)
        text += (f"   ⚠ {s} does not divide {num}: the last {r} row(s)/column(s) of the padded "
                 "input are never read (" + (f"{tail} of them input" if tail else
                                             "only padding") + ")")
        if not unread:
            text += "; no input lost"
    if unread:
        lost = n * n - (n - len(unread)) ** 2
        which = ("rows and columns " if len(unread) > 1 else "row and column ")
        text += (f"   ⚠ {lost} of the {n * n} input pixels are never read (purple): input "
                 + which + ", ".join(map(str, unread)))
        last_tap = max(i for i, read in enumerate(g["read"]) if read)
        if any(p + i < last_tap for i in unread):
            if s > g["span"]:
                text += (f"; the stride {s} is larger than the window's span {g['span']}, so "
                         "the windows skip the pixels between them")
            else:
                text += "; the holes between the dilated taps are never filled"
    return text


# --------------------------------------------------------------------------- explorer 1

class _PaddingStrideScene(Scene):
    """A square input, padded, with every window position; the output grid beside it."""

    def __init__(self, fixed, dpi=80):
        self.fixed = dict(fixed)
        self.dpi = dpi

    def setup(self, fig):
        self.ax_in = fig.add_axes([0.02, 0.13, 0.55, 0.79])
        self.ax_out = fig.add_axes([0.62, 0.13, 0.36, 0.79])
        # Cells are unit squares with corners on whole numbers; update() sets the sizes.
        cells = {"colors": INPUT, "fmt": None, "line_color": "white", "line_width": 1.0,
                 "origin": (0, 0), "fit": False}
        self.grid_in = number_grid(self.ax_in, np.zeros((1, 1)), **cells)
        self.corners, = self.ax_in.plot([], [], "o", color="black", markersize=3.5)
        self.taps, = self.ax_in.plot([], [], "s", color=WINDOW, alpha=0.45, markersize=6)
        self.first = Rectangle((0, 0), 1, 1, fill=False, edgecolor="black", linestyle="--",
                               linewidth=1.2, clip_on=False)
        self.last = Rectangle((0, 0), 1, 1, fill=False, edgecolor=WINDOW, linewidth=2.5,
                              clip_on=False)
        self.ax_in.add_patch(self.first)
        self.ax_in.add_patch(self.last)
        self.grid_out = number_grid(self.ax_out, np.zeros((1, 1)), **cells)
        for ax in (self.ax_in, self.ax_out):
            panel_off(ax)
        self.none_text = self.ax_out.text(0.5, 0.5, "no output", ha="center", va="center",
                                          transform=self.ax_out.transAxes, color="0.3")
        fig.text(0.02, 0.95, "padded input", fontsize=FONT["title"])
        fig.text(0.62, 0.95, "output", fontsize=FONT["title"])
        fig.text(0.02, 0.01, "blue: input   grey: padding (zeros)   purple: never read\n"
                 "dots: each window's top-left corner   dashed: first window   "
                 "orange: last window", fontsize=FONT["small"], color="0.2")
        freeze_background(fig, [*self.grid_in.artists, self.corners, self.taps, self.first,
                                self.last, *self.grid_out.artists, self.none_text])

    def update(self, **values):
        v = {**self.fixed, **values}
        n, k, p, s, d = v["size"], v["kernel_size"], v["padding"], v["stride"], v["dilation"]
        g = window_geometry(n, k, p, s, d)
        m = g["padded"]
        rgb = np.empty((m, m, 3))
        inside = np.zeros(m, bool)
        inside[p:p + n] = True
        read = np.array(g["read"])
        both_inside = inside[:, None] & inside[None, :]
        both_read = read[:, None] & read[None, :]
        rgb[:] = PAD
        rgb[both_inside] = INPUT
        rgb[~both_read & both_inside] = UNREAD_INPUT
        rgb[~both_read & ~both_inside] = UNREAD_PAD
        self.grid_in.set_colors(rgb)
        lim = max(m, g["span"])
        self.ax_in.set_xlim(-0.05, lim + 0.05)
        self.ax_in.set_ylim(lim + 0.05, -0.05)
        self.ax_out.set_xlim(-0.05, lim + 0.05)
        self.ax_out.set_ylim(lim + 0.05, -0.05)
        starts = g["starts"]
        xs = [c + 0.5 for r in starts for c in starts]
        ys = [r + 0.5 for r in starts for c in starts]
        self.corners.set_data(xs, ys)
        last = starts[-1] if starts else 0
        self.first.set_bounds(0, 0, g["span"], g["span"])
        self.last.set_bounds(last, last, g["span"], g["span"])
        self.first.set_visible(len(starts) > 1)
        taps = [last + a * d + 0.5 for a in range(k)]
        self.taps.set_data([x for _ in taps for x in taps], [y for y in taps for _ in taps])
        o = g["out"]
        self.none_text.set_visible(o == 0)
        if o:
            out_rgb = np.empty((o, o, 3))
            out_rgb[:] = OUTPUT
            out_rgb[-1, -1] = pastel(ORANGE, 0.7)
            self.grid_out.set_colors(out_rgb)
        for artist in self.grid_out.artists:
            artist.set_visible(o > 0)
        sizes = f"padded input {m}×{m} (input {n}, padding {p}) → "
        sizes += f"output {o}×{o}. " if o else ""
        return sizes + _formula(n, k, p, s, d, g)


EXPLORER_DEFAULTS = {"size": 7, "kernel_size": 3, "padding": 1, "stride": 2, "dilation": 1}
EXPLORER_RANGES = {"size": range(3, 11), "kernel_size": range(1, 6), "padding": range(0, 4),
                   "stride": range(1, 4), "dilation": range(1, 5)}
#: The book's precomputed grid: 4 * 4 * 3 * 3 * 1 = 144 frames (the live sliders cover more).
EXPLORER_STATIC = {"size": [5, 6, 7, 8], "kernel_size": [1, 2, 3, 4], "padding": [0, 1, 2],
                   "stride": [1, 2, 3], "dilation": [1]}
LABELS = {"size": "input size", "kernel_size": "kernel", "padding": "padding",
          "stride": "stride", "dilation": "dilation"}


def padding_stride_explorer(controls=("size", "kernel_size", "padding", "stride", "dilation"),
                            static=None, **values):
    """Explore how padding, stride and dilation set the output size of a square input.

    Inputs:
    - controls: which quantities get a slider; the others stay at their value
    - static: {name: list of values} for the book's precomputed frames (defaults thin the
      grid to 144 frames); the live sliders always cover the full ranges
    - values: starting values, e.g. ``size=7, kernel_size=3, padding=1, stride=2, dilation=1``

    Returns an InteractiveFigure.
    """
    unknown = set(values) - set(EXPLORER_DEFAULTS)
    if unknown:
        raise ValueError(f"padding_stride_explorer: unknown values {sorted(unknown)}; "
                         f"known: {sorted(EXPLORER_DEFAULTS)}")
    start = {**EXPLORER_DEFAULTS, **values}
    thin = {**EXPLORER_STATIC, **(static or {})}
    sliders = {}
    for name in controls:
        allowed = list(EXPLORER_RANGES[name])
        in_pixels = name in ("size", "kernel_size", "padding")
        sliders[name] = Slider(allowed, value=start[name], description=LABELS[name],
                               static_values=[v for v in thin[name] if v in allowed],
                               texts=[f"{LABELS[name]}: {v}"
                                      + (f" pixel{'' if v == 1 else 's'}" if in_pixels else "")
                                      for v in allowed])
    fixed = {name: v for name, v in start.items() if name not in sliders}
    return InteractiveFigure(_PaddingStrideScene(fixed), sliders,
                             title="padding, stride and output size", figsize=(7.2, 4.2))


# --------------------------------------------------------------------------- explorer 2

class _WindowStepperScene(Scene):
    """A numeric input and kernel; the window steps through the output positions."""

    def __init__(self, X, K, padding, stride, dpi=80):
        self.X, self.K, self.dpi = X, K, dpi
        self.padding, self.stride = padding, stride
        x4 = X[None, None].astype(np.float64)
        self.Y = F.conv2d(x4, K[None, None].astype(np.float64), stride=stride,
                          padding=padding)[0, 0]
        self.Xp = F.pad2d(X, padding)

    def setup(self, fig):
        Hp, Wp = self.Xp.shape
        FH, FW = self.K.shape
        OH, OW = self.Y.shape
        total = Wp + FW + OW + 2
        left = 0.02
        widths = [0.96 * w / total for w in (Wp, FW, OW)]
        axes = []
        for w, rows in zip(widths, (Hp, FH, OH)):
            height = 0.80 * rows / max(Hp, FH, OH)
            axes.append(fig.add_axes([left, 0.9 - height, w, height]))
            left += w + 0.96 / total
        self.ax_x, self.ax_k, self.ax_y = axes
        ph, pw = self.padding
        colours = np.empty((Hp, Wp, 3))
        colours[:] = PAD
        colours[ph:Hp - ph, pw:Wp - pw] = INPUT
        self._panel(self.ax_x, self.Xp, "padded input", colors=colours)
        self._panel(self.ax_k, self.K, "kernel", colors=(0.99, 0.85, 0.70))
        # the output's numbers appear one by one: blank (NaN) cells, filled in by update()
        self.output = self._panel(self.ax_y, self.Y, "output", colors=OUTPUT,
                                  numbers=np.full(self.Y.shape, np.nan))
        self.window = Rectangle((0, 0), FW, FH, fill=False, edgecolor=WINDOW, linewidth=2.5)
        self.ax_x.add_patch(self.window)
        self.cell = Rectangle((0, 0), 1, 1, fill=False, edgecolor=WINDOW, linewidth=2.5)
        self.ax_y.add_patch(self.cell)
        freeze_background(fig, [self.window, self.cell, *self.output.texts.flat])

    @staticmethod
    def _panel(ax, values, title, **options):
        """Cells with corners on whole numbers (window (i, j) starts at (i*sh, j*sw))."""
        grid = number_grid(ax, values, line_color="white", line_width=1.0, origin=(0, 0),
                           **options)
        panel_off(ax)
        ax.set_title(title, fontsize=FONT["title"])
        return grid

    def update(self, position):
        OH, OW = self.Y.shape
        i, j = divmod(position, OW)
        (sh, sw), (FH, FW) = self.stride, self.K.shape
        top, left = i * sh, j * sw
        self.window.set_xy((left, top))
        self.cell.set_xy((j, i))
        done = (np.arange(OH * OW) <= position).reshape(OH, OW)
        self.output.set_numbers(np.where(done, self.Y, np.nan))      # NaN: a blank cell
        patch = self.Xp[top:top + FH, left:left + FW]
        return (f"output ({i}, {j}): window rows {top}–{top + FH - 1}, columns {left}–"
                f"{left + FW - 1} of the padded input (top-left = ({i}·{sh}, {j}·{sw})); "
                f"sum(window × kernel) = {number_text(np.sum(patch * self.K))}")


def window_stepper(X, K, padding=0, stride=1):
    """Step a kernel's window over a small input, one output position per slider step.

    Inputs:
    - X: input of shape (H, W) (small integers read best)
    - K: kernel of shape (FH, FW)
    - padding, stride: ints or (h, w) pairs

    Returns an InteractiveFigure with one "output position" slider (row-major order).
    """
    X, K = np.asarray(X), np.asarray(K)
    pad = padding if isinstance(padding, tuple) else (padding, padding)
    st = stride if isinstance(stride, tuple) else (stride, stride)
    scene = _WindowStepperScene(X, K, pad, st)
    OH, OW = scene.Y.shape
    positions = list(range(OH * OW))
    slider = Slider(positions, [f"({p // OW}, {p % OW})" for p in positions],
                    description="output position",
                    texts=[f"output position: row {p // OW}, column {p % OW}" for p in positions])
    return InteractiveFigure(
        scene, {"position": slider},
        title=f"window stepping over a {X.shape[0]}x{X.shape[1]} input, stride {st}",
        figsize=(7.2, 3.0))


# --------------------------------------------------------------------------- receptive fields

RF_STACKS = {
    "3x3 convs": [(3, 1, 1)] * 6,
    "3x3 conv + 2x2 pool (stride 2)": [(3, 1, 1), (2, 2, 1)] * 3,
    "dilated 3x3 (d = 1, 2, 4, 8)": [(3, 1, 2 ** i) for i in range(4)],
}


class _ReceptiveFieldScene(Scene):
    """The input gradient of one output pixel, with the predicted receptive field outlined."""

    def __init__(self, stacks, size, dpi=80):
        self.stacks, self.size, self.dpi = stacks, size, dpi
        self._cache = {}

    def setup(self, fig):
        self.ax = fig.add_axes([0.02, 0.02, 0.55, 0.88])
        panel_off(self.ax)
        self.im = self.ax.imshow(np.zeros((self.size, self.size)), cmap="Blues", vmin=0,
                                 vmax=1, extent=(0, self.size, self.size, 0),
                                 interpolation="nearest")
        self.box = Rectangle((0, 0), 1, 1, fill=False, edgecolor=WINDOW, linewidth=2)
        self.ax.add_patch(self.box)
        self.ax.set_title("input pixels that reach one output pixel", fontsize=FONT["title"])
        self.ax_plot = fig.add_axes([0.68, 0.17, 0.30, 0.7])
        self.ax_plot.set_xlabel("depth (layers)", fontsize=FONT["small"])
        self.ax_plot.set_ylabel("receptive field (pixels)", fontsize=FONT["small"])
        self.ax_plot.tick_params(labelsize=FONT["small"])
        self.curve, = self.ax_plot.plot([], [], "o-", color="0.4", markersize=4)
        self.here, = self.ax_plot.plot([], [], "o", color=WINDOW, markersize=8)
        longest = max(len(v) for v in self.stacks.values())
        largest = max(receptive_field(v)[-1].size for v in self.stacks.values())
        self.ax_plot.set_xlim(0.5, longest + 0.5)
        self.ax_plot.set_ylim(0, largest * 1.1)
        self.ax_plot.grid(alpha=0.3)
        freeze_background(fig, [self.im, self.box, self.curve, self.here])

    def _gradient(self, name, depth):
        key = (name, depth)
        if key not in self._cache:
            self._cache[key] = input_gradient_support(self.stacks[name][:depth], self.size)
        return self._cache[key]

    def update(self, stack, depth):
        specs = self.stacks[stack]
        note = f" (this stack has {len(specs)} layers)" if depth > len(specs) else ""
        depth = min(depth, len(specs))
        g, _ = self._gradient(stack, depth)
        self.im.set_data(g / g.max())
        rows, cols = np.nonzero(g)
        top, left = rows.min(), cols.min()
        seen = rows.max() - top + 1
        rf = receptive_field(specs[:depth])
        size = rf[-1].size
        self.box.set_bounds(left, top, size, size)
        sizes = [r.size for r in receptive_field(specs)]
        self.curve.set_data(range(1, len(sizes) + 1), sizes)
        self.here.set_data([depth], [size])
        k, s, d = specs[depth - 1]
        return (f"layer {depth} (k={k}, stride={s}, dilation={d}): receptive_field() says "
                f"{size}×{size}, jump {rf[-1].jump}; the gradient through conv2d reaches "
                f"{seen}×{seen} input pixels (orange box: the predicted field){note}")


def receptive_field_explorer(stacks=None, size=40):
    """Pick a stack and a depth; see which input pixels one output pixel depends on.

    The shading is |d output / d input| found by backpropagating through ``conv2d`` with
    all-equal weights; the orange square is the size ``receptive_field`` predicts.
    """
    stacks = RF_STACKS if stacks is None else stacks
    depth = max(len(v) for v in stacks.values())
    return InteractiveFigure(
        _ReceptiveFieldScene(stacks, size),
        {"stack": Dropdown(list(stacks), description="stack"),
         "depth": Slider(range(1, depth + 1), value=3, description="depth",
                         texts=[f"depth: {d} layer{'s' if d > 1 else ''}"
                                for d in range(1, depth + 1)])},
        title="receptive field growth", figsize=(7.2, 3.6))


# --------------------------------------------------------------------------- static figures

def plot_coverage(size=8, kernel_size=3, paddings=(0, 1, 2), *, figsize=None):
    """How many windows read each input pixel, for a few paddings (stride 1); return the Figure.

    The count is the input gradient of conv2d with an all-ones kernel and an all-ones upstream
    gradient: each window adds 1 to every pixel it covers. End the notebook cell with
    ``plt.show()``.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(paddings), squeeze=False,
                             figsize=figsize or (8 / 3 * len(paddings), 3))
    k = kernel_size
    for ax, p in zip(axes[0], paddings):
        x = np.zeros((1, 1, size, size))
        W = np.ones((1, 1, k, k))
        y = F.conv2d(x, W, padding=p)
        count = F.conv2d_backward(np.ones_like(y), x, W, padding=p)[0][0, 0]
        number_grid(ax, count, cmap="viridis", vmin=0, vmax=k * k, fontsize=FONT["small"],
                    text_color="auto", line_color=None)
        ax.set_title(f"padding {p}: output {y.shape[2]}×{y.shape[3]}", fontsize=FONT["title"])
        panel_off(ax)
    fig.suptitle(f"how many {k}×{k} windows read each pixel of an {size}×{size} input",
                 fontsize=FONT["large"])
    return set_alt(fig, f"{len(paddings)} grids of an {size}×{size} input, one per padding ("
                   + ", ".join(str(p) for p in paddings) + f"), each pixel showing how many "
                   f"{k}×{k} windows (stride 1) read it: with padding 0 the border pixels are "
                   "read fewer times than the centre; more padding evens the counts out.")


def plot_receptive_field_growth(stacks=None, *, figsize=(6.4, 3.4)):
    """Receptive field size against depth for several stacks (from ``receptive_field``);
    return the Figure (end the notebook cell with ``plt.show()``)."""
    import matplotlib.pyplot as plt

    stacks = RF_STACKS if stacks is None else stacks
    fig, ax = plt.subplots(figsize=figsize)
    for (name, specs), marker in zip(stacks.items(), "osd^v"):
        sizes = [r.size for r in receptive_field(specs)]
        ax.plot(range(1, len(sizes) + 1), sizes, marker=marker, label=name)
    ax.set_xlabel("depth (layers)")
    ax.set_ylabel("receptive field (input pixels)")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    sizes = "; ".join(f"{name}: " + ", ".join(str(r.size) for r in receptive_field(specs))
                      for name, specs in stacks.items())
    return set_alt(fig, "Line plot of the receptive field size (input pixels) against depth "
                   f"(layers), layer by layer, for each stack. {sizes}.")
