"""Figures and explorers for chapter 3 (multiple input and output channels).

- ``plot_channels(x)``: an RGB image beside its three channels (a static pyplot figure).
- ``block_explorer()``: the "block" view of a convolution layer: input (N, C, H, W), filter
  bank (FN, C, FH, FW), bias (FN, 1, 1) and output (N, FN, OH, OW) drawn as boxes, with C, FN
  and N as controls.
- ``channel_explorer(x, W, b)``: pick an output channel of a filter bank applied to an RGB
  image; see each input channel, its kernel, its per-channel correlation map and their sum
  plus the bias. Per-channel checkboxes zero a channel's kernel. A ``Scene``: set up once,
  then only image data and texts change.
- ``demo_filter_bank()``: the three hand-made filters the chapter uses.
"""

import numpy as np
from matplotlib.patches import Polygon

from cnn_course import functional as F
from cnn_course.topics.images import LUMA_WEIGHTS, to_hwc
from cnn_course.widgets.core import (Checkbox, Dropdown, InteractiveFigure, Scene, Slider,
                                     freeze_background)
from cnn_course.widgets.draw import panel_off, panel_title
from cnn_course.widgets.style import DIVERGING, FONT, keep_colours, set_alt

__all__ = ["CHANNEL_NAMES", "FILTER_NAMES", "demo_filter_bank", "plot_channels",
           "block_explorer", "draw_blocks", "channel_explorer"]

CHANNEL_NAMES = ("R", "G", "B")
FILTER_NAMES = ("vertical edges", "red minus green", "blurred brightness")

# Sobel's vertical-edge kernel with chapter 1's sign (``kernels.get_kernel("vertical edge")``,
# [-1, 0, 1] in each row): positive where the value rises from left to right. Many texts
# print it the other way round, [[1, 0, -1], ...]; that only flips the sign of the map.
_SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
_BOX = np.full((3, 3), 1 / 9)


def demo_filter_bank(dtype=np.float32):
    """A hand-made filter bank for RGB images: 3 filters of shape (3, 3, 3), and their biases.

    - filter 0, vertical edges: the same Sobel kernel (divided by 4) on every channel, so it
      sums the edges of R, G and B; its sign is chapter 1's "vertical edge" kernel's
      ([-1, 0, 1] in each row): positive where a channel rises from left to right;
    - filter 1, red minus green: a 3x3 average of R minus the same average of G (B ignored);
      positive on red, negative on green, about zero where both are bright (yellow);
    - filter 2, blurred brightness: the average of each channel weighted by its luma weight
      (0.299, 0.587, 0.114), with a bias of -0.3 that shifts the whole map down.

    Returns a tuple of:
    - W: filters of shape (FN, C, FH, FW) = (3, 3, 3, 3)
    - b: biases of shape (FN,) = (3,)
    """
    W = np.zeros((3, 3, 3, 3))
    W[0] = _SOBEL_X / 4
    W[1, 0], W[1, 1] = _BOX, -_BOX
    W[2] = LUMA_WEIGHTS.astype(np.float64)[:, None, None] * _BOX
    b = np.array([0.0, 0.1, -0.3])
    return W.astype(dtype), b.astype(dtype)


def plot_channels(x):
    """Show an RGB image (3, H, W) and its three channels side by side; returns the Figure.

    Each channel is drawn in gray from 0 (black) to 1 (white): a channel is just an (H, W)
    array. End the notebook cell with ``plt.show()``.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(x)
    if x.ndim != 3 or x.shape[0] != 3:
        raise ValueError(f"plot_channels: expected an RGB image (3, H, W), got shape {x.shape}")
    fig, axes = plt.subplots(1, 4, figsize=(8.6, 2.5))
    axes[0].imshow(to_hwc(x), interpolation="nearest")
    axes[0].set_title(f"RGB image, shape {x.shape}", fontsize=FONT["small"])
    for c, ax in enumerate(axes[1:]):
        ax.imshow(x[c], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"x[{c}]: channel {CHANNEL_NAMES[c]}", fontsize=FONT["small"])
    for ax in axes:
        panel_off(ax)
    fig.tight_layout()
    keep_colours(fig)               # an RGB picture: not inverted on a dark page
    return set_alt(fig, f"An RGB image of shape {x.shape}, then each of its three channels "
                   "(red, green, blue) as a grey-level image: white where the channel is 1, "
                   "black where it is 0.")


# --------------------------------------------------------------------------- block view

_DEPTH = np.array([0.7, 0.55])          # screen offset of one unit of depth (a channel)
_RGB = ("#e8474a", "#4cbf5a", "#4a78e8")
_FILTER_COLOURS = ("#f0a030", "#9b59b6", "#1abc9c", "#e377c2")
_GRAY = "#b8c4d6"


def _cuboid(ax, x, y, w, h, colour, *, edge="0.25", lw=0.8):
    """A slab of depth 1 whose front face has lower-left corner (x, y), width w, height h."""
    dx, dy = _DEPTH
    faces = [
        [(x, y), (x + w, y), (x + w, y + h), (x, y + h)],                              # front
        [(x, y + h), (x + w, y + h), (x + w + dx, y + h + dy), (x + dx, y + h + dy)],  # top
        [(x + w, y), (x + w + dx, y + dy), (x + w + dx, y + h + dy), (x + w, y + h)],  # side
    ]
    for face, shade in zip(faces, (1.0, 0.8, 0.65)):
        ax.add_patch(Polygon(face, closed=True, fc=_shade(colour, shade), ec=edge, lw=lw))


def _shade(colour, factor):
    from matplotlib.colors import to_rgb

    return tuple(min(1.0, c * factor + (1 - factor) * 0.15) for c in to_rgb(colour))


def _stack(ax, x, y, w, h, colours, **kw):
    """len(colours) slabs, the first in front; returns the top-right corner of the back slab."""
    n = len(colours)
    for k in reversed(range(n)):
        _cuboid(ax, x + k * _DEPTH[0], y + k * _DEPTH[1], w, h, colours[k], **kw)
    return x + w + n * _DEPTH[0], y + h + n * _DEPTH[1]


def _channel_colours(C):
    return list(_RGB) if C == 3 else [_GRAY] * C


def draw_blocks(fig, C=3, FN=2, N=1, H=7, W=7, FH=3, FW=3):
    """Draw the block view of one conv layer on ``fig``; returns a caption.

    Input x (N, C, H, W), filters (FN, C, FH, FW), bias (FN, 1, 1), output (N, FN, OH, OW):
    every filter is a block as deep as the input; filter f makes output channel f (same
    colour); with N > 1 the same filters are applied to every sample.
    """
    OH, OW = F.conv_output_size((H, W), (FH, FW))
    ax = fig.add_axes((0, 0, 1, 1))
    panel_off(ax)
    ax.set_aspect("equal")
    row = H + 4.5                                   # vertical distance between samples
    ys = [-n * row for n in range(N)]
    mid = (ys[0] + ys[-1]) / 2
    x_star = W + C * _DEPTH[0] + 0.9
    x_f = x_star + 3.8                              # where the filter column starts
    pitch = FH + C * _DEPTH[1] + 1.3                # vertical distance between filters
    f_top = mid + H / 2 + (FN - 1) * pitch / 2 - FH / 2
    x_b = x_f + FW + C * _DEPTH[0] + 2.0
    x_o = x_b + 1 + _DEPTH[0] + 2.5
    for n, y in enumerate(ys):
        _stack(ax, 0, y, W, H, _channel_colours(C))
        tag = f"x[{n}]" if N > 1 else "x"
        ax.text(W / 2, y - 0.9, f"{tag}: ({C}, {H}, {W})", ha="center", va="top", fontsize=11)
        y_o = y + (H - OH) / 2
        _stack(ax, x_o, y_o, OW, OH, _FILTER_COLOURS[:FN])
        tag = f"y[{n}]" if N > 1 else "y"
        ax.text(x_o + OW / 2, y_o - 0.9, f"{tag}: ({FN}, {OH}, {OW})", ha="center", va="top",
                fontsize=11)
        ax.text(x_o - 1.3, y + H / 2, "=", ha="center", va="center", fontsize=20)
    for f in range(FN):
        y = f_top - f * pitch
        _stack(ax, x_f, y, FW, FH, _channel_colours(C), edge=_FILTER_COLOURS[f], lw=1.6)
        ax.text(x_f - 0.4, y + FH / 2, f"W[{f}]", ha="right", va="center", fontsize=10,
                color=_FILTER_COLOURS[f])
        _cuboid(ax, x_b, y + FH / 2 - 0.5, 1, 1, _FILTER_COLOURS[f])
        ax.text(x_b + 0.5, y + FH / 2 - 0.9, f"b[{f}]", ha="center", va="top",
                fontsize=FONT["small"])
    y_low = f_top - (FN - 1) * pitch
    ax.text(x_f + FW / 2, y_low - 1.2, f"W: ({FN}, {C}, {FH}, {FW})", ha="center", va="top",
            fontsize=11)
    ax.text(x_b + 0.5, y_low - 2.4, f"b: ({FN}, 1, 1)", ha="center", va="top", fontsize=11)
    # the notation box's star: cross-correlation, what the layer computes (* is true convolution)
    ax.text(x_star, mid + H / 2, r"$\star$", ha="center", va="center", fontsize=34)
    ax.text(x_b - 0.9, mid + H / 2, "+", ha="center", va="center", fontsize=18)
    top = max(ys[0] + H + C * _DEPTH[1], f_top + FH + C * _DEPTH[1]) + 0.8
    bottom = min(ys[-1] - 2.4, y_low - 4.0)
    ax.set_xlim(-0.8, x_o + OW + FN * _DEPTH[0] + 0.8)
    ax.set_ylim(bottom, top)
    batch = (f" The same {FN} filters are applied to each of the {N} samples: x is "
             f"({N}, {C}, {H}, {W}) and y is ({N}, {FN}, {OH}, {OW})." if N > 1 else "")
    return (f"Each filter is as deep as the input ({C} channel{'s' if C > 1 else ''}) and "
            f"makes one output channel: {FN} filter{'s' if FN > 1 else ''} -> {FN} output "
            f"channel{'s' if FN > 1 else ''}, each shifted by its own bias." + batch)


def block_explorer():
    """The block view with controls for C (1, 3, 4), FN (1-4) and the batch size N (1, 2).

    24 precomputed frames for the book. Returns an InteractiveFigure.
    """
    controls = {
        "C": Slider([1, 3, 4], value=3, description="input channels C",
                    texts=[f"input channels C: {c}" for c in (1, 3, 4)]),
        "FN": Slider([1, 2, 3, 4], value=2, description="filters FN",
                     texts=[f"filters FN: {f}" for f in (1, 2, 3, 4)]),
        "N": Slider([1, 2], description="batch size N",
                    texts=["batch size N: 1 sample", "batch size N: 2 samples"]),
    }
    return InteractiveFigure(draw_blocks, controls, figsize=(7.5, 4.0),
                             title="block view: input, filter bank, bias and output")


# --------------------------------------------------------------------------- channel explorer

class _ChannelScene(Scene):
    """Rows: the input channels, their kernels W[f, c], their correlation maps; last column:
    the RGB image, the bias, and the output channel (sum of the maps plus the bias)."""

    def __init__(self, x, W, b, pixel, filter_names):
        self.x, self.W, self.b = x, W, b
        self.C = x.shape[0]
        self.names = filter_names
        # per-channel maps for every filter: (FN, C, OH, OW)
        self.maps = np.stack([[F.corr2d(x[c], W[f, c]) for c in range(self.C)]
                              for f in range(W.shape[0])])
        full = self.maps.sum(axis=1) + b[:, None, None]
        self.limit = np.maximum(np.abs(self.maps).max(axis=(1, 2, 3)),
                                np.abs(full).max(axis=(1, 2))) + 1e-6
        self.klimit = np.abs(W).max(axis=(1, 2, 3)) + 1e-6       # one scale per filter
        self.pixel = pixel

    def setup(self, fig):
        C = self.C
        gs = fig.add_gridspec(3, C + 1, height_ratios=[1, 0.5, 1], left=0.01, right=0.99,
                              top=0.93, bottom=0.01, hspace=0.28, wspace=0.08)
        cmaps = ("Reds", "Greens", "Blues") if C == 3 else ("gray",) * C
        self.kernels, self.contrib, self.ktitles, self.ctitles = [], [], [], []
        markers = []                      # the marked pixel, above each map
        i, j = self.pixel
        for c in range(C):
            ax = fig.add_subplot(gs[0, c])
            ax.imshow(self.x[c], cmap=cmaps[c], vmin=0, vmax=1, interpolation="nearest")
            panel_title(fig, ax, f"input x[{c}] ({self._cname(c)})", fontsize=FONT["small"])
            ax = fig.add_subplot(gs[1, c])
            self.kernels.append(ax.imshow(self.W[0, c], cmap=DIVERGING, interpolation="nearest"))
            self.ktitles.append(panel_title(fig, ax, fontsize=FONT["small"]))
            ax = fig.add_subplot(gs[2, c])
            self.contrib.append(ax.imshow(self.maps[0, c], cmap=DIVERGING, interpolation="nearest"))
            markers += ax.plot([j], [i], marker="s", ms=5, mfc="none", mec="k", mew=1.2)
            self.ctitles.append(panel_title(fig, ax, fontsize=FONT["small"]))
        ax = fig.add_subplot(gs[0, C])
        ax.imshow(to_hwc(self.x) if C == 3 else self.x.mean(axis=0), cmap="gray",
                  interpolation="nearest")
        panel_title(fig, ax, "the image", fontsize=FONT["small"])
        ax = fig.add_subplot(gs[1, C])
        self.bias_text = ax.text(0.5, 0.5, "", ha="center", va="center", fontsize=11,
                                 transform=ax.transAxes)
        ax = fig.add_subplot(gs[2, C])
        self.out = ax.imshow(self.maps[0].sum(axis=0), cmap=DIVERGING, interpolation="nearest")
        markers += ax.plot([j], [i], marker="s", ms=5, mfc="none", mec="k", mew=1.2)
        self.otitle = panel_title(fig, ax, fontsize=FONT["small"])
        for a in fig.axes:
            panel_off(a)
        # The input channels, the image and their labels are drawn once.
        freeze_background(fig, [*self.kernels, *self.ktitles, *self.contrib, *self.ctitles,
                                *markers, self.bias_text, self.out, self.otitle])

    def _cname(self, c):
        return CHANNEL_NAMES[c] if self.C == 3 else str(c)

    def update(self, out, **use):
        f = out
        on = [use[f"use_{self._cname(c).lower()}"] for c in range(self.C)]
        lim = self.limit[f]
        total = np.full(self.maps.shape[2:], self.b[f], dtype=self.maps.dtype)
        i, j = self.pixel
        parts = []
        for c in range(self.C):
            k = self.W[f, c] if on[c] else np.zeros_like(self.W[f, c])
            m = self.maps[f, c] if on[c] else np.zeros_like(self.maps[f, c])
            total += m
            self.kernels[c].set_data(k)
            self.kernels[c].set_clim(-self.klimit[f], self.klimit[f])
            self.ktitles[c].set_text(f"W[{f}, {c}]" + ("" if on[c] else " (zeroed)"))
            self.contrib[c].set_data(m)
            self.contrib[c].set_clim(-lim, lim)
            self.ctitles[c].set_text(f"corr2d(x[{c}], W[{f}, {c}])")
            parts.append(f"{self._cname(c)} {m[i, j]:+.3f}")
        self.out.set_data(total)
        self.out.set_clim(-lim, lim)
        self.bias_text.set_text(f"+ b[{f}] = {self.b[f]:+.2f}")
        self.otitle.set_text(f"y[{f}] = sum + b[{f}]")
        off = [self._cname(c) for c in range(self.C) if not on[c]]
        note = f" ({', '.join(off)} kernel zeroed)" if off else ""
        return (f"output channel {f} ({self.names[f]}){note}. At the marked pixel ({i}, {j}): "
                f"{' '.join(parts)} + bias {self.b[f]:+.3f} = {total[i, j]:+.3f}. "
                "Blue < 0 < red; all maps of one output channel share one colour scale.")


def channel_explorer(x, W=None, b=None, *, pixel=(24, 20), filter_names=None):
    """Explore how one output channel is built from every input channel.

    Inputs:
    - x: image of shape (C, H, W) with C <= 3 (e.g. ``images.rgb_shapes()``)
    - W: filter bank of shape (FN, C, FH, FW) and b: biases of shape (FN,); by default
      ``demo_filter_bank()``
    - pixel: the output position (i, j) whose numbers the caption adds up
    - filter_names: a label per filter (default: ``FILTER_NAMES`` for the demo bank)

    Controls: the output channel f, and one checkbox per input channel that keeps or zeroes
    its kernel W[f, c]. FN x 2**C precomputed frames (24 for the demo). Returns an
    InteractiveFigure.
    """
    x = np.asarray(x)
    if W is None:
        W, b = demo_filter_bank(x.dtype)
        filter_names = FILTER_NAMES if filter_names is None else filter_names
    if x.ndim != 3 or not 1 <= x.shape[0] <= 3:
        raise ValueError(f"channel_explorer: x must be (C, H, W) with C <= 3, got {x.shape}")
    if W.ndim != 4 or W.shape[1] != x.shape[0]:
        raise ValueError(f"channel_explorer: W must be (FN, C, FH, FW) with C = {x.shape[0]}, "
                         f"got W.shape={W.shape}")
    FN = W.shape[0]
    b = np.zeros(FN, dtype=W.dtype) if b is None else np.asarray(b)
    if b.shape != (FN,):
        raise ValueError(f"channel_explorer: b must have shape ({FN},), got {b.shape}")
    names = list(filter_names) if filter_names is not None else [f"filter {f}" for f in range(FN)]
    OH, OW = F.conv_output_size(x.shape[1:], W.shape[2:])
    if not (0 <= pixel[0] < OH and 0 <= pixel[1] < OW):
        raise ValueError(f"channel_explorer: pixel {pixel} is outside the {OH}x{OW} output")
    scene = _ChannelScene(x, W, b, tuple(pixel), names)
    controls = {"out": Dropdown({f"{f}: {names[f]}": f for f in range(FN)},
                                description="output channel")}
    for c in range(x.shape[0]):
        name = scene._cname(c)
        controls[f"use_{name.lower()}"] = Checkbox(value=True, description=f"{name} kernel")
    figure = InteractiveFigure(scene, controls, figsize=(8.0, 5.6),
                               title="one output channel = sum over input channels + bias",
                               keep_colours=True)    # an RGB picture and its channels
    return figure
