"""Small sample images for the chapters on channels, made by code (no files, no download).

Images are float32 arrays of shape (C, H, W) with values in [0, 1], the layout every op of the
course uses (channels first, like PyTorch; matplotlib's ``imshow`` wants (H, W, C): use
``to_hwc``).
"""

import numpy as np

__all__ = ["LUMA_WEIGHTS", "rgb_shapes", "to_grayscale", "to_hwc"]

#: ITU-R BT.601 weights of (R, G, B) in the luma (brightness) of a pixel.
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def rgb_shapes(size=48):
    """A synthetic RGB picture whose three channels differ visibly.

    A red disc (top left), a green square (right) overlapping it in a yellow region, a blue
    triangle (bottom) and a white bar across the bottom edge (bright in all three channels),
    on a dark background with a faint blue gradient from left to right.

    Inputs:
    - size: height and width in pixels (>= 16)

    Returns x of shape (3, size, size), float32, values in [0, 1]. Deterministic.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 16:
        raise ValueError(f"rgb_shapes: size must be an int >= 16, got {size!r}")
    s = int(size)
    i, j = np.mgrid[0:s, 0:s].astype(np.float32) / s      # row and column in [0, 1)
    disc = (i - 0.33) ** 2 + (j - 0.33) ** 2 < 0.22 ** 2
    square = (np.abs(i - 0.36) < 0.2) & (np.abs(j - 0.63) < 0.2)
    triangle = (i > 0.58) & (i < 0.86) & (np.abs(j - 0.45) < (i - 0.58) * 0.9)
    bar = (i > 0.9) & (i < 0.96) & (j > 0.1) & (j < 0.9)
    x = np.full((3, s, s), 0.08, dtype=np.float32)
    x[2] += 0.25 * j                                        # faint blue gradient
    x[0][disc] = 0.95
    x[1][square] = 0.85
    x[2][triangle] = 0.95
    x[:, bar] = 0.9
    return np.clip(x, 0.0, 1.0)


def to_grayscale(x, weights=LUMA_WEIGHTS):
    """Brightness of an RGB image (or a batch): a weighted sum over the channel axis.

    Inputs:
    - x: RGB data of shape (3, H, W) or (N, 3, H, W), float
    - weights: the (R, G, B) weights (default: ``LUMA_WEIGHTS``)

    Returns shape (H, W) or (N, H, W), same dtype as x.
    """
    x = np.asarray(x)
    if x.ndim not in (3, 4) or x.shape[-3] != 3:
        raise ValueError(f"to_grayscale: expected (3, H, W) or (N, 3, H, W), got shape {x.shape}")
    w = np.asarray(weights, dtype=x.dtype)
    if w.shape != (3,):
        raise ValueError(f"to_grayscale: weights must have shape (3,), got {w.shape}")
    return np.tensordot(w, x, axes=([0], [x.ndim - 3]))


def to_hwc(x):
    """(C, H, W) -> (H, W, C) for ``matplotlib.pyplot.imshow`` (a view, no copy)."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"to_hwc: expected (C, H, W), got shape {x.shape}")
    return x.transpose(1, 2, 0)
