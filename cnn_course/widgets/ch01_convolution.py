"""Chapter 1 figures: the sliding window of a cross-correlation, and hand-made kernels on digits.

Explorers (one notebook cell each; live in Jupyter, precomputed in the book):

- ``sliding_window_explorer(X, K, bias)``: a slider walks the window over the input; the
  element-wise products and their sum fill the output one cell at a time.
- ``kernel_explorer(images)``: pick a hand-made 3x3 kernel, turn it in 45-degree steps, pick
  a digit, and see its feature map.

Static figures (return a matplotlib Figure; end the notebook cell with ``plt.show()``):
``plot_images`` (from ``widgets.draw``), ``plot_feature_maps``.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

from cnn_course.topics import kernels
from cnn_course.widgets.core import (MAX_FRAMES, Dropdown, InteractiveFigure, Scene, Slider,
                                     freeze_background)
from cnn_course.widgets.draw import number_grid, number_text, panel_off, plot_images
from cnn_course.widgets.style import DIVERGING, FONT, ORANGE, set_alt

__all__ = ["sliding_window_explorer", "kernel_explorer", "plot_images", "plot_feature_maps"]


def _term(v):
    """A factor inside a sum, with negatives in parentheses."""
    text = number_text(v)
    return f"({text})" if v < 0 else text


def _grid_panel(ax, values, title, fontsize=FONT["normal"], **options):
    """A numbered grid filling ``ax``, no ticks, a title above; returns the CellGrid."""
    grid = number_grid(ax, values, fontsize=fontsize, **options)
    panel_off(ax)
    ax.set_title(title, fontsize=FONT["title"], y=1.0)  # drawn once (frozen); a fixed y skips a layout step
    return grid


class _SlidingWindowScene(Scene):
    """Input with the current window, kernel, products, and the output filled so far."""

    def __init__(self, X, K, bias=0.0):
        self.X = np.asarray(X, dtype=float)
        self.K = np.asarray(K, dtype=float)
        self.bias = float(bias)
        self.Y = kernels.apply_kernel(self.X, self.K, self.bias)
        self.FH, self.FW = self.K.shape

    def setup(self, fig):
        X, K, Y = self.X, self.K, self.Y
        widths = [X.shape[1], K.shape[1], K.shape[1], Y.shape[1]]
        ax_x, ax_k, ax_p, ax_y = fig.subplots(1, 4, gridspec_kw={"width_ratios": widths})
        dynamic = []           # redrawn each frame; everything else is drawn once

        span = max(np.abs(X).max(), 1.0)
        _grid_panel(ax_x, X, "input X", cmap="Greys", vmin=-span, vmax=3 * span)
        self.window = Rectangle((-0.5, -0.5), self.FW, self.FH, fill=False, edgecolor=ORANGE,
                                linewidth=3)
        dynamic.append(ax_x.add_patch(self.window))

        kspan = max(np.abs(K).max(), 1e-12) * 2.5
        _grid_panel(ax_k, K, "kernel K", cmap=DIVERGING, vmin=-kspan, vmax=kspan)

        products = X[:self.FH, :self.FW] * K
        pspan = max(np.abs(X).max() * np.abs(K).max(), 1e-12) * 2.5
        self.products = _grid_panel(ax_p, products, "window * K", cmap=DIVERGING,
                                    vmin=-pspan, vmax=pspan)
        dynamic += self.products.artists

        # The whole output is drawn once; a white cover hides the cells not computed yet.
        yspan = max(np.abs(Y).max(), 1e-12) * 2.5
        output = _grid_panel(ax_y, Y, "output Y", cmap=DIVERGING, vmin=-yspan, vmax=yspan)
        self.cover = ax_y.imshow(np.ones(Y.shape + (4,)), zorder=2)
        lines = output.lines
        lines.set_zorder(3)
        self.current = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor=ORANGE, linewidth=3,
                                 zorder=4)
        ax_y.add_patch(self.current)
        dynamic += [self.cover, lines, self.current]
        fig.subplots_adjust(left=0.01, right=0.99, top=0.86, bottom=0.03, wspace=0.15)
        freeze_background(fig, dynamic)

    def update(self, position):
        OH, OW = self.Y.shape
        i, j = divmod(int(position), OW)
        window = self.X[i:i + self.FH, j:j + self.FW]
        products = window * self.K
        self.window.set_xy((j - 0.5, i - 0.5))
        self.products.set_values(products)
        cover = np.ones(self.Y.shape + (4,))
        cover.reshape(-1, 4)[:position + 1, 3] = 0.0      # computed cells become see-through
        self.cover.set_data(cover)
        self.current.set_xy((j - 0.5, i - 0.5))
        terms = " + ".join(f"{_term(x)}×{_term(k)}" for x, k in zip(window.flat, self.K.flat))
        bias = f" + {_term(self.bias)}" if self.bias else ""
        return f"Y[{i}, {j}] = {terms}{bias} = {number_text(self.Y[i, j])}"


def sliding_window_explorer(X, K, bias=0.0):
    """Walk a kernel over a small input, one output position per slider step.

    Inputs:
    - X: input of shape (H, W), small (e.g. 5x5) so every value can be printed in its cell
    - K: kernel of shape (FH, FW)
    - bias: a number added to every output

    Returns an InteractiveFigure with one slider over the OH * OW output positions (row by
    row); the static book holds every position.
    """
    scene = _SlidingWindowScene(X, K, bias)
    OH, OW = scene.Y.shape
    positions = list(range(OH * OW))
    labels = [f"Y[{p // OW}, {p % OW}]" for p in positions]
    texts = [f"output position: row {p // OW}, column {p % OW}" for p in positions]
    return InteractiveFigure(
        scene, {"position": Slider(positions, labels, description="output position",
                                   texts=texts)},
        title=f"a {scene.FH}x{scene.FW} kernel sliding over a {X.shape[0]}x{X.shape[1]} input",
        figsize=(8.4, 2.5))


class _KernelScene(Scene):
    """A digit, a (turned) hand-made kernel, and the feature map it makes."""

    def __init__(self, images):
        self.images = [np.asarray(img, dtype=np.float64) for img in images]

    def setup(self, fig):
        axes = fig.subplots(1, 3, gridspec_kw={"width_ratios": [28, 14, 26]})
        ax_x, ax_k, ax_y = axes
        self.digit = ax_x.imshow(self.images[0], cmap="gray_r", vmin=0, vmax=1)
        ax_x.set_title("input digit", fontsize=FONT["title"], y=1.0)
        self.kernel = _grid_panel(ax_k, np.zeros((3, 3)), "kernel", fontsize=FONT["normal"],
                                  cmap=DIVERGING, vmin=-1, vmax=1)
        H, W = self.images[0].shape
        self.feature = ax_y.imshow(np.zeros((H - 2, W - 2)), cmap=DIVERGING, vmin=-1, vmax=1)
        ax_y.set_title("feature map (red +, blue −)", fontsize=FONT["title"], y=1.0)
        for ax in (ax_x, ax_y):
            panel_off(ax)
        fig.subplots_adjust(left=0.01, right=0.99, top=0.88, bottom=0.02, wspace=0.08)
        freeze_background(fig, [self.digit, *self.kernel.artists, self.feature])  # titles stay

    def update(self, kernel, turn, digit):
        K = kernels.rotate45(kernels.get_kernel(kernel), turn)
        image = self.images[digit]
        Y = kernels.apply_kernel(image, K)
        self.digit.set_data(image)
        kspan = np.abs(K).max() * 2
        self.kernel.set_values(K)
        self.kernel.image.set_clim(-kspan, kspan)
        span = max(np.abs(Y).max(), 1e-12)
        self.feature.set_data(Y)
        self.feature.set_clim(-span, span)
        turned = f" turned {45 * turn} degrees" if turn % 8 else ""
        return (f"{kernel}{turned}: weights sum to {number_text(K.sum())}; "
                f"feature map from {Y.min():.2f} to {Y.max():.2f}")


def kernel_explorer(images, labels=None, static_digits=None):
    """Apply hand-made 3x3 kernels to digits.

    Inputs:
    - images: a sequence of 2-D images (e.g. MNIST digits of shape (28, 28))
    - labels: names shown in the digit menu (default "image 0", "image 1", ...)
    - static_digits: how many of the images the static book precomputes (the live widget
      offers all of them); by default as many as MAX_FRAMES allows (2: 7 x 8 x 2 frames)

    Controls: the kernel (``kernels.KERNEL_NAMES``), a turn in 45-degree steps (clockwise),
    and the digit.
    """
    images = [np.asarray(image) for image in images]
    if not images:
        raise ValueError("kernel_explorer needs at least one image")
    bad = [image.shape for image in images if image.ndim != 2]
    if bad:
        raise ValueError(f"kernel_explorer: every image must be 2-D (H, W), got shape {bad[0]}; "
                         "for MNIST images of shape (N, 1, 28, 28) pass images[:, 0]")
    labels = [f"image {i}" for i in range(len(images))] if labels is None else list(labels)
    if len(labels) != len(images):
        raise ValueError(f"kernel_explorer: {len(labels)} labels for {len(images)} images")
    digits = {label: i for i, label in enumerate(labels)}
    if static_digits is None:
        static_digits = max(1, MAX_FRAMES // (len(kernels.KERNEL_NAMES) * 8))
    controls = {
        "kernel": Dropdown(list(kernels.KERNEL_NAMES), value="vertical edge",
                           description="kernel"),
        "turn": Slider(range(8), [f"{45 * t} deg" for t in range(8)], description="turn",
                       texts=[f"turn: {45 * t} degrees clockwise" for t in range(8)]),
        "digit": Dropdown(digits, description="digit",
                          static_values=list(range(min(static_digits, len(images))))),
    }
    return InteractiveFigure(_KernelScene(images), controls,
                             title="a hand-made 3x3 kernel applied to a digit",
                             figsize=(7.0, 2.6))


def plot_feature_maps(image, names):
    """The image, then its feature map under each named hand-made kernel; return the Figure."""
    maps = [kernels.apply_kernel(image, kernels.get_kernel(name)) for name in names]
    n = len(names) + 1
    width = min(2.2, 8.4 / n)             # at most 8.4 in: the text column, not shrunk
    fig, axes = plt.subplots(1, n, figsize=(width * n, width + 0.4))
    axes[0].imshow(image, cmap="gray_r")
    axes[0].set_title("input", fontsize=FONT["title"])
    for ax, name, Y in zip(axes[1:], names, maps):
        span = max(np.abs(Y).max(), 1e-12)
        ax.imshow(Y, cmap=DIVERGING, vmin=-span, vmax=span)
        ax.set_title(name, fontsize=FONT["title"])
    for ax in axes:
        panel_off(ax)
    fig.tight_layout()
    return set_alt(fig, "A digit, then its feature map under each hand-made kernel ("
                   + ", ".join(names) + "); red where the response is positive, blue where "
                   "negative, white near zero.")
