"""Figures and explorers for chapter 5 (Implementing convolution).

- ``plot_4d_array``: a (N, C, H, W) array drawn as N blocks of C stacked planes, and the same
  data after ``transpose(0, 2, 3, 1)`` (channels last: every pixel holds its C values).
- ``im2col_explorer``: pick an output position; its receptive field lights up on the (padded)
  input and its row lights up in the unfolded matrix.
- ``gradient_flow_explorer``: a 1-D convolution as a graph; pick an input element and see
  which outputs it feeds and through which weights (the index pattern of the input gradient).
- ``plot_images`` (from ``widgets.draw``): a row of small images side by side (e.g.
  before/after upsampling).

Static figures return a matplotlib Figure; end the notebook cell with ``plt.show()``.
"""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from cnn_course import functional as F
from cnn_course.widgets.core import (Dropdown, InteractiveFigure, Scene, Slider,
                                     freeze_background)
from cnn_course.widgets.draw import number_grid, number_text, panel_off, plot_images
from cnn_course.widgets.style import (BLUE, FONT, GREEN, ORANGE, PURPLE, SKY, VERMILLION,
                                      pastel, set_alt)

__all__ = ["plot_4d_array", "plot_images", "im2col_explorer", "gradient_flow_explorer",
           "plot_polyphase"]

#: One colour per channel (Okabe-Ito): the channel's cells are a pale tint of it, and its
#: label sits on the same tint, so label and cells match; every label also says its number.
CHANNEL_COLORS = [BLUE, ORANGE, GREEN, PURPLE, SKY]
HIGHLIGHT = VERMILLION
GREY_TEXT = "#6b6b6b"      # the zeros of the padding


# --------------------------------------------------------------------------------------
# 4-D arrays as blocks

def _pastel(color, amount=0.35):
    """An opaque colour between ``color`` (amount=1) and white (amount=0)."""
    return pastel(color, amount)


def _tag(c):
    """A label box in channel c's tint (the tint of its cells)."""
    return {"boxstyle": "round,pad=0.2", "facecolor": _pastel(CHANNEL_COLORS[c % 5], 0.45),
            "edgecolor": CHANNEL_COLORS[c % 5], "linewidth": 1.0}


def plot_4d_array(x):
    """Draw x (N, C, H, W) as N blocks of C planes, then x.transpose(0, 2, 3, 1)[0] (channels
    last); return the Figure (end the notebook cell with ``plt.show()``).

    Each plane of a block is one channel (x[n, c], an H x W image); the planes are drawn
    slightly offset, back to front, with the numbers of x[n, 0] on the front plane. The lower
    panel shows image 0 after the transpose: an H x W grid whose every cell holds the C
    channel values of that pixel (x[0, :, h, w], now x.transpose(0, 2, 3, 1)[0, h, w, :]).
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"plot_4d_array: x must have 4 dimensions (N, C, H, W), got {x.shape}")
    N, C, H, W = x.shape
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6.2), dpi=80,
                                      gridspec_kw={"height_ratios": [1, 1.15]})
    # y points down (as in every number grid); the planes behind go up and to the right
    off = 0.6
    block_w = W + off * (C - 1) + 2
    for n in range(N):
        x0 = n * block_w + 1
        for c in reversed(range(C)):             # back planes first, channel 0 in front
            number_grid(top, x[n, c], colors=_pastel(CHANNEL_COLORS[c % 5]),
                        fontsize=FONT["small"], fmt=None if c else number_text,
                        line_color="black", origin=(x0 + off * c, -off * c), fit=False,
                        zorder=1 + C - c)
            top.text(x0 + off * c - 0.25, off / 2 - off * c, f"c={c}", ha="right",
                     va="center", fontsize=FONT["small"], bbox=_tag(c))
        top.text(x0 + W / 2 + off * (C - 1) / 2, H + 0.8, f"x[{n}]: shape {x[n].shape}",
                 ha="center", fontsize=FONT["small"])
    top.set_title(f"x.shape = {x.shape}: {N} images, each {C} channels of {H}x{W} "
                  "(front plane: channel 0)", fontsize=FONT["title"])
    top.set_xlim(0, N * block_w + 0.5)
    top.set_ylim(H + 1.3, -off * (C - 1) - 0.5)
    top.set_aspect("equal")
    panel_off(top)

    xt = x.transpose(0, 2, 3, 1)
    cell = C + 0.6
    colours = np.array([[_pastel(CHANNEL_COLORS[c % 5], 0.3) for c in range(C)]])
    for h in range(H):
        for w in range(W):
            number_grid(bottom, xt[0, h, w][None], colors=colours, fontsize=FONT["small"],
                        line_color=(0, 0, 0, 0.3), origin=(w * cell, h * 1.3), fit=False)
    bottom.set_title(f"x.transpose(0, 2, 3, 1)[0]: shape {xt[0].shape}: a {H}x{W} grid of\n"
                     f"pixels, each holding its {C} channel values side by side",
                     fontsize=FONT["title"])
    bottom.set_xlim(-0.5, W * cell)
    bottom.set_ylim(H * 1.3 + 0.2, -0.5)
    bottom.set_aspect("equal")
    panel_off(bottom)
    fig.tight_layout()
    return set_alt(fig, f"Top: an array of shape {x.shape} drawn as {N} blocks, each a stack of "
                   f"{C} coloured {H}x{W} planes (one per channel, channel 0 in front with its "
                   f"numbers). Bottom: image 0 after transpose(0, 2, 3, 1), a {H}x{W} grid whose "
                   f"every cell holds that pixel's {C} channel values side by side.")


# --------------------------------------------------------------------------------------
# im2col explorer

class _Im2colScene(Scene):
    """The numbers never change, only the highlights move: the numbers are drawn once into a
    frozen background (``freeze_background``), and each update moves the rectangles over it
    (a few ms instead of re-rendering ~400 text labels)."""

    def __init__(self, x, FH, FW, stride, pad, dpi):
        self.x, self.FH, self.FW, self.stride, self.pad = x, FH, FW, stride, pad
        self.dpi = dpi
        self.xp = np.pad(x[0], ((0, 0), (pad, pad), (pad, pad)))
        self.col = F.im2col(x[:1], FH, FW, stride, pad)
        self.OH, self.OW = F.conv_output_size(x.shape[2:], (FH, FW), pad, stride)

    def _draw_numbers(self, fig):
        """Draw the padded input planes and the matrix; return their axes."""
        C, Hp, Wp = self.xp.shape
        rows, cols = self.col.shape
        grid = fig.add_gridspec(C, 2, width_ratios=[1, 2.6], left=0.02, right=0.99,
                                top=0.86, bottom=0.02, wspace=0.16, hspace=0.3)
        planes = []
        for c in range(C):
            ax = fig.add_subplot(grid[c, 0])
            inside = np.zeros((Hp, Wp), dtype=bool)
            inside[self.pad:Hp - self.pad, self.pad:Wp - self.pad] = True
            # light grey cells inside, white padding with grey zeros; corners on whole numbers
            tint = np.array(_pastel(CHANNEL_COLORS[c % 5], 0.3))
            cells = np.where(inside[..., None], tint, 1.0)      # padding: white, grey zeros
            number_grid(ax, inside.astype(float), colors=cells, numbers=self.xp[c],
                        fontsize=FONT["small"], line_color=None, origin=(0, 0),
                        text_color=np.where(inside, "black", GREY_TEXT))
            ax.set_title(f"channel {c} (padded by {self.pad})", fontsize=FONT["small"],
                         bbox=_tag(c))
            panel_off(ax)
            planes.append(ax)
        ax = fig.add_subplot(grid[:, 1])
        block = self.FH * self.FW
        chan = np.repeat(np.arange(C), block)               # tint columns by channel
        tints = np.array([_pastel(CHANNEL_COLORS[c % 5], 0.3) for c in range(C)])
        number_grid(ax, np.tile(chan, (rows, 1)), colors=tints[np.tile(chan, (rows, 1))],
                    numbers=self.col, fontsize=FONT["small"], line_color=None, origin=(0, 0),
                    aspect="auto")
        for c in range(C):                                  # a label over each channel block
            ax.text(c * block + block / 2, -0.3, f"channel {c}", ha="center", va="bottom",
                    fontsize=FONT["small"], bbox=_tag(c))
        ax.set_xticks([])
        ax.set_yticks(np.arange(rows) + 0.5, [f"row {r}" for r in range(rows)],
                      fontsize=FONT["small"])
        ax.tick_params(length=0, pad=2)
        ax.set_title(f"col = im2col(x, {self.FH}, {self.FW}, stride={self.stride}, "
                     f"pad={self.pad}): shape {self.col.shape}; columns in (c, fh, fw) order",
                     fontsize=FONT["small"], pad=22)
        return planes, ax

    def setup(self, fig):
        planes, matrix = self._draw_numbers(fig)
        style = {"fill": False, "edgecolor": HIGHLIGHT, "linewidth": 2.5, "clip_on": False}
        self.windows = [ax.add_patch(Rectangle((0, 0), self.FW, self.FH, **style))
                        for ax in planes]
        self.row_rect = matrix.add_patch(Rectangle((0, 0), self.col.shape[1], 1, **style))
        freeze_background(fig, [*self.windows, self.row_rect])

    def update(self, position):
        i, j = divmod(position, self.OW)
        for rect in self.windows:
            rect.set_xy((j * self.stride, i * self.stride))
        self.row_rect.set_y(position)
        return (f"output position (i, j) = ({i}, {j}) -> row i*OW + j = {i}*{self.OW} + {j} = "
                f"{position} of col: the {self.x.shape[1]}x{self.FH}x{self.FW} window, "
                "flattened channel by channel")


def im2col_explorer(x=None, FH=3, FW=3, stride=1, pad=1):
    """Explore im2col: an output position's receptive field and its row of the unfolded matrix.

    Inputs:
    - x: one small image batch of shape (1, C, H, W) (default: the values 0..31 as (1, 2, 4, 4))
    - FH, FW, stride, pad: the window and how it moves

    Returns an InteractiveFigure with one slider, the output position (row-major order).
    """
    if x is None:
        x = np.arange(32.0).reshape(1, 2, 4, 4)
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"im2col_explorer: x must have shape (1, C, H, W), got {x.shape}")
    scene = _Im2colScene(x, FH, FW, stride, pad, dpi=80)
    positions = list(range(scene.OH * scene.OW))
    labels = [f"({p // scene.OW}, {p % scene.OW})" for p in positions]
    texts = [f"output position: row {p // scene.OW}, column {p % scene.OW} (row {p} of col)"
             for p in positions]
    return InteractiveFigure(
        scene, {"position": Slider(positions, labels, description="output position",
                                   texts=texts)},
        title="im2col: a receptive field and its row", figsize=(8.6, 5.4))


# --------------------------------------------------------------------------------------
# gradient flow in a 1-D convolution

class _GradientFlowScene(Scene):
    def __init__(self, L, K, pads):
        self.L, self.K, self.pads = L, K, pads
        self.max_pad = max(pads)

    def setup(self, fig):
        L, K, P = self.L, self.K, self.max_pad
        ax = fig.add_axes([0.01, 0.02, 0.98, 0.9])
        self.ax = ax
        n_in, n_out = L + 2 * P, L + 2 * P - K + 1
        self.in_boxes = [ax.add_patch(Rectangle((0, 0), 0.9, 0.9, edgecolor="black"))
                         for _ in range(n_in)]
        self.in_text = [ax.text(0, 0, "", ha="center", va="center", fontsize=FONT["small"])
                        for _ in range(n_in)]
        self.out_boxes = [ax.add_patch(Rectangle((0, 0), 0.9, 0.9, edgecolor="black"))
                          for _ in range(n_out)]
        self.out_text = [ax.text(0, 0, "", ha="center", va="center", fontsize=FONT["small"])
                         for _ in range(n_out)]
        colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, K))
        self.lines = [ax.plot([], [], color=colors[k], linewidth=2.5)[0] for k in range(K)]
        self.line_text = [ax.text(0, 0, "", ha="center", va="center", fontsize=FONT["small"],
                                  color=colors[k], fontweight="bold",
                                  bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
                          for k in range(K)]
        ax.text(-0.2, 0.45, "x_pad", ha="right", va="center", fontsize=FONT["small"])
        ax.text(-0.2, 3.45, "y", ha="right", va="center", fontsize=FONT["small"])
        ax.set_xlim(-1.3, n_in + 0.1)
        ax.set_ylim(-0.4, 4.4)
        panel_off(ax)

    def update(self, i, pad):
        L, K = self.L, self.K
        n_in, n_out = L + 2 * pad, L + 2 * pad - K + 1
        shift = self.max_pad - pad                 # centre the picture
        for p, (box, text) in enumerate(zip(self.in_boxes, self.in_text)):
            show = p < n_in
            box.set_visible(show)
            text.set_visible(show)
            if not show:
                continue
            box.set_xy((p + shift, 0))
            is_pad = p < pad or p >= pad + L
            box.set_facecolor("#dddddd" if is_pad else
                              (HIGHLIGHT if p == i + pad else "#fff5e6"))
            text.set_position((p + shift + 0.45, 0.45))
            text.set_text("0" if is_pad else f"x[{p - pad}]")
        touched = {i + pad - k: k for k in range(K) if 0 <= i + pad - k < n_out}
        for o, (box, text) in enumerate(zip(self.out_boxes, self.out_text)):
            show = o < n_out
            box.set_visible(show)
            text.set_visible(show)
            if not show:
                continue
            x0 = o + shift + (K - 1) / 2
            box.set_xy((x0, 3))
            box.set_facecolor("#c7e9c0" if o in touched else "white")
            text.set_position((x0 + 0.45, 3.45))
            text.set_text(f"y[{o}]")
        for k, (line, label) in enumerate(zip(self.lines, self.line_text)):
            o = i + pad - k
            if o in touched:
                xa, xb = i + pad + shift + 0.45, o + shift + (K - 1) / 2 + 0.45
                line.set_data([xa, xb], [0.9, 3.0])
                label.set_position((xa + 0.85 * (xb - xa), 0.9 + 0.85 * 2.1))
                label.set_text(f"w[{k}]")
                line.set_visible(True)
                label.set_visible(True)
            else:
                line.set_visible(False)
                label.set_visible(False)
        terms = " + ".join(f"dy[{o}]*w[{touched[o]}]" for o in sorted(touched))
        return (f"x[{i}] sits at x_pad[{i + pad}] and meets {len(touched)} of the "
                f"{n_out} outputs: dL/dx[{i}] = {terms}  (output index up, weight index down: "
                "the kernel is flipped)")


def gradient_flow_explorer(L=7, K=3, pads=(0, 1, 2)):
    """Explore which outputs and weights one input element of a 1-D convolution meets.

    y[o] = sum_k w[k] * x_pad[o + k]; input x[i] = x_pad[i + pad] feeds y[o] through w[k]
    exactly when o = i + pad - k, so dL/dx[i] = sum_k dy[i + pad - k] * w[k].

    Inputs:
    - L: input length; K: kernel length; pads: the paddings offered

    Returns an InteractiveFigure with a slider for i and a drop-down for the padding.
    """
    scene = _GradientFlowScene(L, K, list(pads))
    default_pad = 1 if 1 in pads else pads[0]
    return InteractiveFigure(
        scene, {"i": Slider(range(L), [f"x[{i}]" for i in range(L)], value=L // 2,
                            description="input element i",
                            texts=[f"input element: x[{i}]" for i in range(L)]),
                "pad": Dropdown(list(pads), value=default_pad, description="padding")},
        title="gradient flow in a 1-D convolution", figsize=(7, 2.4))


_PHASE_COLOURS = ("#8fb8de", "#f2b880", "#a8d5a2", "#e3a3c7")


def plot_polyphase(size=8):
    """The four phases of a convolution output under 2x2 max pooling (section 5.8).

    Left: a size x size convolution output; every cell shows its phase a*2 + b, where
    (oh, ow) = (2p + a, 2q + b), and the 2x2 pooling windows are outlined: each window holds
    one cell of every phase. Right: the four phases pulled apart, each a (size/2) x (size/2)
    map; cell (p, q) of every phase belongs to pooling window (p, q), and all four come from
    the same (FH+1) x (FW+1) input window, so one matrix product with 4x the rows computes
    them. Returns the Figure (two Axes).
    """
    if size < 2 or size % 2:
        raise ValueError(f"plot_polyphase: size must be even and at least 2, got {size}")
    oh, ow = np.mgrid[0:size, 0:size]
    phase = (oh % 2) * 2 + ow % 2
    colours = np.array([matplotlib.colors.to_rgb(c) for c in _PHASE_COLOURS])
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 4.2),
                                      gridspec_kw={"width_ratios": [1, 1.15]})
    number_grid(left, phase, colors=colours[phase], fmt=lambda v: f"{int(v)}",
                fontsize=FONT["small"])
    for p in range(size // 2):
        for q in range(size // 2):
            left.add_patch(Rectangle((2 * q - 0.5, 2 * p - 0.5), 2, 2, fill=False, lw=2,
                                     ec="black"))
    panel_off(left)
    left.set_title(f"conv output {size}x{size}: phase a*2+b of (2p+a, 2q+b)\n"
                   "bold squares: 2x2 pooling windows", fontsize=FONT["small"])
    half = size // 2
    gap = 1
    for k in range(4):
        a, b = divmod(k, 2)
        x0, y0 = a * 0 + (k % 2) * (half + gap) - 0.5, (k // 2) * (half + gap) - 0.5
        block = np.full((half, half), k)
        number_grid(right, block, colors=_PHASE_COLOURS[k], fmt=None, origin=(x0, y0),
                    fit=False)
        right.text(x0 + half / 2, y0 - 0.15, f"phase ({a}, {b})\nrows {k}·FN…{k + 1}·FN−1",
                   ha="center", va="bottom", fontsize=FONT["small"])
    right.set_xlim(-0.6, 2 * half + gap - 0.4)
    right.set_ylim(2 * half + gap - 0.4, -1.6)
    right.set_aspect("equal")
    panel_off(right)
    right.set_title(f"four {half}x{half} phases: one product, 4x the rows;\n"
                    "pooling = max over the four phases, cell by cell", fontsize=FONT["small"])
    fig.tight_layout()
    return set_alt(fig, f"Left: a {size}x{size} convolution output whose cells are numbered "
                   "and coloured by their phase 0-3 (row parity times 2 plus column parity), "
                   "with the 2x2 pooling windows outlined: each window holds one cell of every "
                   f"phase. Right: the four phases pulled apart into {half}x{half} maps, in the "
                   "same four colours.")
