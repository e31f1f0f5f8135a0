"""Explorers for chapter 4 (pooling).

- ``pooling_explorer(image)``: max or average pooling of a digit's edge map, with window size,
  stride and a horizontal shift of the digit; shows the feature map, the pooled output and how
  the pooled output differs from the unshifted one, with the measured change in the caption.
- ``pool_backward_explorer()``: a small integer input; pick an output cell and see which input
  cell(s) its gradient reaches in the backward pass of ``layers.MaxPool2D``/``AvgPool2D``
  (ties, and overlapping windows that accumulate).

Both are ``Scene``s: set up once, then only image data, rectangles and texts change.
"""

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import Rectangle

from cnn_course import functional as F
from cnn_course import layers
from cnn_course.topics.invariance import edge_map, feature_change, shift_image
from cnn_course.topics.kernels import get_kernel
from cnn_course.widgets.core import Dropdown, InteractiveFigure, Scene, Slider
from cnn_course.widgets.draw import number_grid, number_raster, number_text, panel_off, panel_title
from cnn_course.widgets.style import BLUE, DIVERGING, FONT, ORANGE, SCALE, VERMILLION

__all__ = ["pooling_explorer", "pool_backward_explorer", "backward_demo_input"]

_POOL = {"max": F.max_pool2d, "avg": F.avg_pool2d}
_NAME = {"max": "max", "avg": "average"}


def _image_2d(image):
    x = np.asarray(image, dtype=np.float32)
    x = x.reshape(x.shape[-2:]) if x.ndim > 2 and np.prod(x.shape[:-2]) == 1 else x
    if x.ndim != 2:
        raise ValueError(f"expected one image (H, W) or (1, 1, H, W), got shape {np.shape(image)}")
    return x


def _titled_panel(fig, ax, title):
    """No ticks, a light frame, and a title at the top of the figure (figure text: fast)."""
    panel_off(ax, frame=True)
    panel_title(fig, ax, title, y=0.97)


class _PoolingScene(Scene):
    def __init__(self, image, kernel, shifts):
        self.image = _image_2d(image)
        self.kernel = np.asarray(kernel, dtype=np.float32)
        self.maps = {s: edge_map(shift_image(self.image, 0, s), self.kernel)[0, 0]
                     for s in shifts}
        self.vmax = float(max(m.max() for m in self.maps.values())) or 1.0

    def setup(self, fig):
        fig.subplots_adjust(left=0.01, right=0.99, top=0.88, bottom=0.02, wspace=0.08)
        axes = fig.subplots(1, 3)
        # images whose size follows the pooling: CellGrids without numbers or borders
        fmap, pixels = self.maps[0], {"fmt": None, "line_color": None, "vmax": self.vmax}
        self.im_in = number_grid(axes[0], fmap, cmap="gray_r", vmin=0, **pixels)
        self.im_out = number_grid(axes[1], fmap, cmap="gray_r", vmin=0, **pixels)
        self.im_diff = number_grid(axes[2], fmap, cmap=DIVERGING, vmin=-self.vmax, **pixels)
        self.grid = LineCollection([], colors=ORANGE, linewidths=0.8, alpha=0.9)
        axes[0].add_collection(self.grid)
        # the first two windows: two colours and two line styles (solid, dashed)
        self.windows = [Rectangle((0, 0), 1, 1, fill=False, lw=3, ec=c, ls=ls)
                        for c, ls in ((VERMILLION, "-"), (BLUE, "--"))]
        for r in self.windows:
            axes[0].add_patch(r)
        for ax, text in zip(axes, ["edge map, shifted", "pooled", "change in pooled"]):
            _titled_panel(fig, ax, text)   # short and fixed: text is the slow part of a frame

    def update(self, mode, window, stride, shift):
        s = window if stride == 0 else stride
        fmap, base = self.maps[shift], self.maps[0]
        pool = _POOL[mode]
        out = pool(fmap[None, None], window, s)[0, 0]
        ref = pool(base[None, None], window, s)[0, 0]
        self.im_in.set_values(fmap)
        self.im_out.set_values(out)
        self.im_diff.set_values(out - ref)
        H, W = fmap.shape
        OH, OW = out.shape
        segments = []
        if s == window:  # non-overlapping: draw the grid of windows actually used
            for k in range(OH + 1):
                segments.append([(-0.5, k * s - 0.5), (OW * s - 0.5, k * s - 0.5)])
            for k in range(OW + 1):
                segments.append([(k * s - 0.5, -0.5), (k * s - 0.5, OH * s - 0.5)])
        self.grid.set_segments(segments)
        for r, j in zip(self.windows, (0, 1)):
            r.set_xy((j * s - 0.5, -0.5))
            r.set_width(window)
            r.set_height(window)
        active = (ref != 0) | (out != 0)       # pooled cells that see some of the digit
        changed = int((ref != out)[active].sum())
        return (f"{_NAME[mode]} pooling, window {window}x{window}, stride {s}: "
                f"{H}x{W} -> {OH}x{OW}. Shift {shift} px: the pooled output changed by "
                f"{feature_change(ref, out):.2f} (relative L2), the edge map itself by "
                f"{feature_change(base, fmap):.2f}; {changed} of the {int(active.sum())} pooled "
                "values that see the digit changed. Boxes: the first two windows (solid, "
                "dashed); right panel: pooled output minus that of the unshifted digit (red: "
                "grew, blue: shrank).")


def pooling_explorer(image, kernel=None):
    """Explore max/average pooling of ``image``'s edge map under small shifts.

    Inputs:
    - image: one digit, shape (H, W) or (1, 1, H, W)
    - kernel: (FH, FW) filter making the edge map, followed by ReLU (default: chapter 1's
      "vertical edge" kernel, which responds where the image gets brighter to the right)

    Controls: pooling (max/average), window (2-4), stride ("= window", 1, 2), shift (0-3 px to
    the right). The book precomputes 2 x 3 x 2 x 4 = 48 frames (stride "= window" and 1).
    Returns an InteractiveFigure.
    """
    shifts = [0, 1, 2, 3]
    kernel = get_kernel("vertical edge") if kernel is None else kernel
    scene = _PoolingScene(image, kernel, shifts)
    controls = {
        "mode": Dropdown({"max": "max", "average": "avg"}, description="pooling"),
        "window": Slider([2, 3, 4], description="window"),
        "stride": Dropdown({"= window": 0, "1": 1, "2": 2}, description="stride",
                           static_values=[0, 1]),
        "shift": Slider(shifts, description="shift (px)",
                        texts=[f"shift: {s} pixel{'s' if s != 1 else ''} right" if s
                               else "shift: none" for s in shifts]),
    }
    return InteractiveFigure(scene, controls, title="pooling explorer: window, stride and shift",
                             figsize=(8.4, 3.0))


# --------------------------------------------------------------------------- backward pass

def backward_demo_input():
    """The 7x7 input of the backward explorer: small integers with ties (float64, (1, 1, 7, 7)).

    Built so that the 2x2 windows include ties and, with 3x3 windows and stride 2, the 8 at
    (4, 2) lies in four overlapping windows: the only maximum of three, tied in the fourth.
    """
    x = np.array([[1, 3, 2, 2, 0, 1, 4],
                  [2, 9, 5, 4, 6, 6, 1],
                  [0, 4, 7, 1, 6, 2, 2],
                  [3, 2, 1, 8, 5, 5, 0],
                  [5, 1, 8, 3, 4, 5, 2],
                  [2, 6, 2, 0, 1, 7, 3],
                  [1, 0, 3, 2, 4, 1, 9]], dtype=np.float64)
    return x[None, None]


_CONFIGS = {"2x2, stride 2": (2, 2), "3x3, stride 2 (overlapping)": (3, 2)}
_CELLS = {f"output ({i}, {j})": (i, j) for i in range(3) for j in range(3)}
_CELLS["every output (dy = 1)"] = "all"


_CELL_PX, _DPI = 35, 80   # the backward explorer's cell size in pixels, and its resolution


class _BackwardScene(Scene):
    def __init__(self, x):
        self.x = x
        self._rasters = {}

    def _raster(self, key, values, digits=2):
        """Numbered cells drawn once into pixels (many small texts are the slow part of a
        frame), one raster per pooling and window configuration."""
        if key not in self._rasters:
            # drawn at SCALE x, like the figure: shown 1:1 in its Axes
            self._rasters[key] = number_raster(
                values, cell_px=_CELL_PX * SCALE, dpi=_DPI * SCALE, fontsize=_CELL_PX * 0.3,
                cmap="Greys", vmin=0, vmax=14, fmt=lambda v: number_text(v, digits))
        return self._rasters[key]

    def setup(self, fig):
        # Axes placed in whole pixels, so the number rasters are shown 1:1 (crisp, small PNGs).
        W_px, H_px = fig.get_size_inches() * _DPI
        c = _CELL_PX
        boxes = [(10, 10, 7 * c, 7 * c), (7 * c + 50, 10 + 2 * c, 3 * c, 3 * c),
                 (10 * c + 90, 10, 7 * c, 7 * c)]
        axes = [fig.add_axes((l / W_px, b / H_px, w / W_px, h / H_px)) for l, b, w, h in boxes]
        x = self.x[0, 0]
        axes[0].imshow(self._raster("x", x), extent=(-0.5, 6.5, 6.5, -0.5),
                       interpolation="none")
        self.im_y = axes[1].imshow(self._raster("x", x)[:3 * c * SCALE, :3 * c * SCALE],
                                   extent=(-0.5, 2.5, 2.5, -0.5), interpolation="none")
        # dx: blank (NaN) numbers until update() writes the nonzero ones
        self.dx = number_grid(axes[2], np.zeros_like(x), numbers=np.full(x.shape, np.nan),
                              cmap="Oranges", vmin=0, vmax=4, fontsize=FONT["small"],
                              line_color="0.85",
                              line_width=0.5)
        self.box_x = Rectangle((0, 0), 1, 1, fill=False, lw=3, ec=BLUE)
        self.box_y = Rectangle((0, 0), 1, 1, fill=False, lw=3, ec=BLUE)
        axes[0].add_patch(self.box_x)
        axes[1].add_patch(self.box_y)
        titles = ["input x", "output y", "gradient dx"]
        for ax, t in zip(axes, titles):
            _titled_panel(fig, ax, t)

    def update(self, mode, config, cell):
        k, s = config
        layer = (layers.MaxPool2D if mode == "max" else layers.AvgPool2D)(k, s)
        y = layer.forward(self.x)
        dy = np.zeros_like(y)
        if cell == "all":
            dy[...] = 1.0
        else:
            dy[0, 0][cell] = 1.0
        dx = layer.backward(dy)[0, 0]
        self.im_y.set_data(self._raster((mode, config), y[0, 0], digits=3))
        self.dx.set_values(dx, numbers=np.where(dx == 0, np.nan, dx))   # zeros stay blank
        show = cell != "all"
        self.box_x.set_visible(show)
        self.box_y.set_visible(show)
        if not show:
            return self._caption_all(mode, k, s, dx)
        i, j = cell
        self.box_x.set_xy((j * s - 0.5, i * s - 0.5))
        self.box_x.set_width(k)
        self.box_x.set_height(k)
        self.box_y.set_xy((j - 0.5, i - 0.5))
        return self._caption_cell(mode, k, s, cell, dx)

    def _caption_cell(self, mode, k, s, cell, dx):
        i, j = cell
        window = self.x[0, 0, i * s:i * s + k, j * s:j * s + k]
        if mode == "avg":
            return (f"average pooling: dy = 1 at output {cell} is shared equally by its {k * k} "
                    f"inputs: each gets 1/{k * k} = {1 / (k * k):.3g}.")
        (r, c), = np.argwhere(dx != 0)
        n_max = int((window == window.max()).sum())
        tie = (f" The maximum {window.max():g} appears {n_max} times in this window; only the "
               "first (row by row) receives the gradient, the others get 0.") if n_max > 1 else ""
        return (f"max pooling: dy = 1 at output {cell} goes to input ({r}, {c}), the maximum "
                f"{window.max():g} of its window; the other {k * k - 1} inputs get 0.{tie}")

    def _caption_all(self, mode, k, s, dx):
        overlap = s < k
        if mode == "avg":
            extra = (" Where windows overlap, an input collects a share from each window "
                     f"(up to {dx.max():.3g}).") if overlap else ""
            uncovered = int((dx == 0).sum())
            rest = (f"; the {uncovered} inputs that no window covers (the last row and column) "
                    "get 0") if uncovered else ""
            return (f"average pooling with dy = 1 everywhere: each input gets 1/{k * k} = "
                    f"{1 / (k * k):.3g} from every window that covers it{rest}.{extra}")
        winners = int((dx > 0).sum())
        most = dx.max()
        extra = (f" With overlapping windows one input can win several windows: the largest "
                 f"gradient here is {most:g}, the sum over the windows it wins.") if overlap else ""
        return (f"max pooling with dy = 1 everywhere: only the {winners} winning inputs receive "
                f"a gradient; the other {dx.size - winners} get 0.{extra}")


def pool_backward_explorer():
    """Explore where the gradient goes in the backward pass of max and average pooling.

    Controls: pooling (max/average), windows ("2x2, stride 2" or the overlapping "3x3,
    stride 2"), and which output receives dy = 1 (or every output). Uses
    ``layers.MaxPool2D``/``AvgPool2D`` on ``backward_demo_input()``; 2 x 2 x 10 = 40 frames.
    Returns an InteractiveFigure.
    """
    controls = {
        "mode": Dropdown({"max": "max", "average": "avg"}, description="pooling"),
        "config": Dropdown(_CONFIGS, description="windows"),
        "cell": Dropdown(_CELLS, description="dy = 1 at"),
    }
    c = _CELL_PX
    size = ((17 * c + 100) / _DPI, (7 * c + 40) / _DPI)
    return InteractiveFigure(_BackwardScene(backward_demo_input()), controls,
                             title="pooling backward: where the gradient goes",
                             figsize=size, dpi=_DPI)
