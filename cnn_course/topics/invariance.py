"""How much do features change when the input moves by a pixel or two?

Chapter 4 uses these functions to *measure* the claim that pooling makes features robust to
small shifts, instead of asserting it:

- ``shift_image(x, dy, dx)`` moves an image (or a stack of them) by whole pixels, filling the
  uncovered border with zeros (nothing wraps around);
- ``feature_change(before, after)`` is the relative L2 change ``||after - before|| / ||before||``
  between two feature arrays compared *at the same positions*;
- ``fraction_changed(before, after)`` is the share of entries that changed at all;
- ``pooling_shift_study(images, kernel, pool_size, shifts)`` runs the whole experiment: feature
  map of the image and of its shifted copies, then max- and average-pooled versions of both,
  and reports the change of each.

A convolution is *equivariant* (shift the input, the feature map shifts by the same amount), so
compared position by position its output changes a lot under a shift. A perfectly *invariant*
feature would not change at all (change 0). Pooling sits in between: the numbers say where.

Array letters as in ``cnn_course.functional``: images (N, 1, H, W) or (H, W); FH, FW for the
kernel; OH, OW for outputs.
"""

import dataclasses

import numpy as np

from cnn_course import functional as F
from cnn_course._validation import as_int

__all__ = ["shift_image", "equivariance_agreement", "distinct_responses", "feature_change",
           "fraction_changed",
           "edge_map", "ShiftStudy", "pooling_shift_study", "shift_table"]


def shift_image(x, dy, dx):
    """Shift the last two axes of x by (dy, dx) whole pixels, filling with zeros (no wrap).

    Positive dy moves the content down, positive dx moves it right; what leaves the frame is
    lost and what enters is zero.

    Inputs:
    - x: array of shape (..., H, W) (e.g. (H, W), (C, H, W) or (N, C, H, W))
    - dy, dx: ints, the shift in rows and columns (may be negative)

    Returns an array of the same shape and dtype as x.

    >>> shift_image(np.array([[1, 2, 3]]), 0, 1)
    array([[0, 1, 2]])
    """
    if not isinstance(x, np.ndarray) or x.ndim < 2:
        raise ValueError(f"shift_image: x must be an array with at least 2 dimensions (..., H, W), "
                         f"got {type(x).__name__} {getattr(x, 'shape', '')}")
    dy, dx = as_int(dy, "dy"), as_int(dx, "dx")
    H, W = x.shape[-2:]
    out = np.zeros_like(x)
    if abs(dy) >= H or abs(dx) >= W:
        return out
    src_rows = slice(max(0, -dy), H - max(0, dy))
    dst_rows = slice(max(0, dy), H - max(0, -dy))
    src_cols = slice(max(0, -dx), W - max(0, dx))
    dst_cols = slice(max(0, dx), W - max(0, -dx))
    out[..., dst_rows, dst_cols] = x[..., src_rows, src_cols]
    return out


def _check_pair(before, after, where):
    before = np.asarray(before, dtype=np.float64)
    after = np.asarray(after, dtype=np.float64)
    if before.shape != after.shape:
        raise ValueError(f"{where}: before.shape={before.shape} and after.shape={after.shape} "
                         "differ; compare features of the same shape")
    return before, after


def equivariance_agreement(image, kernel, dy, dx):
    """How far a cross-correlation is shift-equivariant on ``image``: (agree, total).

    Shift the image by (dy, dx) and correlate it with ``kernel``, or correlate first and shift
    the feature map (``shift_image``: zeros enter, what leaves is lost); ``agree`` counts the
    positions where the two feature maps are equal (to float tolerance), of ``total``.

    Inputs:
    - image: array of shape (H, W); kernel: array of shape (FH, FW)
    - dy, dx: the shift in whole pixels (down and right when positive)
    """
    image, kernel = np.asarray(image), np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"equivariance_agreement: image and kernel must be 2-D, got shapes "
                         f"{image.shape} and {kernel.shape}")
    first_shift = F.corr2d(shift_image(image, dy, dx), kernel)
    first_correlate = shift_image(F.corr2d(image, kernel), dy, dx)
    agree = np.isclose(first_shift, first_correlate)
    return int(agree.sum()), int(agree.size)


def distinct_responses(layer, x, *, decimals=4):
    """How many kinds of position a layer tells apart on one input: the number of different
    output vectors (all channels at one position, rounded to ``decimals``) across the positions.

    On a constant input a convolution gives the same vector everywhere it sees only the input;
    zero padding makes the border positions differ, so the count measures what the layer knows
    about where it is.

    Inputs:
    - layer: anything with ``forward`` mapping (1, C, H, W) to (1, FN, OH, OW), e.g. a Conv2D
    - x: array of shape (1, C, H, W)
    """
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"distinct_responses: x must have shape (1, C, H, W), got {x.shape}")
    y = layer.forward(x)[0]
    per_position = y.reshape(y.shape[0], -1).T            # (OH*OW, FN): one row per position
    return int(len(np.unique(per_position.round(decimals), axis=0)))


def feature_change(before, after):
    """Relative L2 change between two feature arrays compared position by position.

    ``||after - before|| / ||before||`` (Frobenius norms over all entries): 0 means nothing
    changed; 1 means the change is as large as the features themselves (e.g. a single bright
    pixel that moved to a neighbouring position gives sqrt(2) = 1.414).

    Inputs:
    - before, after: arrays of the same shape (any number of dimensions)

    Returns a Python float (0.0 if both are all zero; inf if only ``before`` is).
    """
    before, after = _check_pair(before, after, "feature_change")
    diff = np.linalg.norm(after - before)
    norm = np.linalg.norm(before)
    if norm == 0:
        return 0.0 if diff == 0 else float("inf")
    return float(diff / norm)


def fraction_changed(before, after, tol=1e-6):
    """Fraction of entries whose value changed by more than ``tol`` (a number in [0, 1]).

    Inputs:
    - before, after: arrays of the same shape
    - tol: absolute tolerance below which a difference counts as "unchanged"

    Returns a Python float.
    """
    before, after = _check_pair(before, after, "fraction_changed")
    if before.size == 0:
        return 0.0
    return float(np.mean(np.abs(after - before) > tol))


def edge_map(images, kernel, relu=True):
    """Feature map of single-channel images: valid cross-correlation with ``kernel``, then ReLU.

    Inputs:
    - images: (H, W), (N, H, W) or (N, 1, H, W) float array
    - kernel: (FH, FW) array (converted to the images' dtype)
    - relu: apply max(., 0), as in the usual Conv-ReLU-Pool block

    Returns the feature maps with shape (N, 1, OH, OW), OH = H - FH + 1 (and OW likewise).
    """
    x = _as_batch(images, "edge_map")
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"edge_map: kernel must be 2-D (FH, FW), got shape {kernel.shape}")
    y = F.conv2d(x, kernel.astype(x.dtype)[None, None])
    return np.maximum(y, 0) if relu else y


def _as_batch(images, where):
    x = np.asarray(images)
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    if x.ndim == 2:
        x = x[None, None]
    elif x.ndim == 3:
        x = x[:, None]
    elif x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"{where}: images must be (H, W), (N, H, W) or (N, 1, H, W), "
                         f"got shape {x.shape}")
    return x


def _as_shift(s):
    """An int s means a horizontal shift (0, s); a pair is (dy, dx)."""
    if isinstance(s, (tuple, list)):
        if len(s) != 2:
            raise ValueError(f"a shift must be an int (dx) or a (dy, dx) pair, got {s!r}")
        return as_int(s[0], "dy"), as_int(s[1], "dx")
    return 0, as_int(s, "shift")


@dataclasses.dataclass
class ShiftStudy:
    """Measured feature changes under shifts (one row per shift); see ``pooling_shift_study``.

    - shifts: list of (dy, dx) pairs
    - raw, max, avg, strided: arrays of shape (len(shifts),): the mean over images of
      ``feature_change`` for the feature map, its max-pooled and avg-pooled versions, and the
      feature map sampled with stride pool_size (what a strided convolution computes)
    - pool_size: the pooling window (stride = pool_size)
    - n_images: how many images were averaged
    """

    shifts: list
    raw: np.ndarray
    max: np.ndarray
    avg: np.ndarray
    strided: np.ndarray
    pool_size: int
    n_images: int

    def table(self):
        """The results as a small text table (one line per shift)."""
        lines = [f"{'shift (dy, dx)':>14} | {'feature map':>11} | {'max pool':>8} | "
                 f"{'avg pool':>8} | {'strided':>8}"]
        for s, r, m, a, t in zip(self.shifts, self.raw, self.max, self.avg, self.strided):
            lines.append(f"{str(tuple(s)):>14} | {r:11.3f} | {m:8.3f} | {a:8.3f} | {t:8.3f}")
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def pooling_shift_study(images, kernel, pool_size, shifts, relu=True):
    """Measure how much features change when the input image shifts.

    For each shift, the image is moved with ``shift_image`` (zero fill), its feature map is
    recomputed with ``edge_map`` and pooled with non-overlapping windows (stride = pool_size);
    the feature map is also sampled with stride pool_size (a strided convolution's output).
    Each of the four representations is compared, position by position, with the same
    representation of the unshifted image by ``feature_change``. With several images the
    changes are averaged (images whose feature map is all zero are skipped).

    Inputs:
    - images: (H, W), (N, H, W) or (N, 1, H, W) float array
    - kernel: (FH, FW) array
    - pool_size: int, window and stride of both poolings
    - shifts: iterable of ints (horizontal shifts dx) or (dy, dx) pairs
    - relu: apply ReLU to the feature map before pooling

    Returns a ShiftStudy with ``raw``, ``max``, ``avg`` and ``strided`` arrays of shape (len(shifts),).
    """
    pool_size = as_int(pool_size, "pool_size", minimum=1)
    x = _as_batch(images, "pooling_shift_study")
    pairs = [_as_shift(s) for s in shifts]
    base = edge_map(x, kernel, relu)
    keep = np.linalg.norm(base.reshape(len(base), -1), axis=1) > 0
    if not keep.any():
        raise ValueError("pooling_shift_study: every feature map is all zero; "
                         "pick images or a kernel that respond")
    x, base = x[keep], base[keep]

    def representations(fmap):
        return {"raw": fmap,
                "max": F.max_pool2d(fmap, pool_size),
                "avg": F.avg_pool2d(fmap, pool_size),
                "strided": fmap[..., ::pool_size, ::pool_size]}

    before = representations(base)
    results = {name: [] for name in before}
    for dy, dx in pairs:
        after = representations(edge_map(shift_image(x, dy, dx), kernel, relu))
        for name in results:
            per_image = [feature_change(b, a) for b, a in zip(before[name], after[name])]
            results[name].append(float(np.mean(per_image)))
    arrays = {name: np.array(values) for name, values in results.items()}
    return ShiftStudy(pairs, pool_size=pool_size, n_images=int(keep.sum()), **arrays)


def shift_table(studies, kinds=("max", "avg")):
    """One text table comparing several ShiftStudy results (e.g. one per pool size).

    Columns: the feature map's change ("map", the same in every study), then one column per study
    and kind (``"max"``, ``"avg"`` or ``"strided"``), headed e.g. "max 2x2". The studies must
    use the same shifts.

    Returns the table as a string.
    """
    studies = list(studies)
    if not studies:
        raise ValueError("shift_table: give at least one ShiftStudy")
    shifts = studies[0].shifts
    if any(s.shifts != shifts for s in studies):
        raise ValueError("shift_table: the studies use different shifts")
    heads = ["map"] + [f"{k} {s.pool_size}x{s.pool_size}" for k in kinds for s in studies]
    columns = [studies[0].raw] + [getattr(s, k) for k in kinds for s in studies]
    width = max(5, *(len(h) for h in heads))
    lines = [f"{'shift':>5} |" + "|".join(f"{h:>{width + 1}}" for h in heads)]
    for i, (dy, dx) in enumerate(shifts):
        label = f"{dx}" if dy == 0 else f"({dy},{dx})"
        lines.append(f"{label:>5} |" + "|".join(f"{c[i]:>{width + 1}.3f}" for c in columns))
    return "\n".join(lines)
