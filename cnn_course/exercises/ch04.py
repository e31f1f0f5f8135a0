"""Checkers for chapter 4 (pooling), in the order of the chapter's exercises.

- ch4-max-pool-loops: max pooling by loops, (N, C, H, W), any window and stride
- ch4-pool-shapes: predict the output shapes of five pooling layers (by hand)
- ch4-avg-pool-conv: average pooling as one conv2d with a constant depthwise kernel
- ch4-shift-invariance: how many max-pooled values survive each one-pixel shift
- ch4-max-pool-backward: the backward pass of max pooling (argmax routing, ties, overlaps)

Expected values come from private copies of the engine (``core.reference``), never from the
``cnn_course.functional`` a notebook imports (and may have changed). The usual mistakes and
their messages are registered in ``ch04_solutions``; the checkers find them with
``known_mistakes``.
"""

import numpy as np

from cnn_course.exercises import ch04_solutions as sol
from cnn_course.exercises.core import (call, exercise, expect_array, expect_int, fail,
                                       known_mistakes, reference)

__all__ = ["check_max_pool_loops", "check_pool_shapes", "check_avg_pool_conv",
           "check_shift_invariance", "check_max_pool_backward"]


def _F():
    return reference("cnn_course.functional")


def _shift_image():
    return reference("cnn_course.topics.invariance").shift_image


def _pool_cases(seed):
    """Inputs (N, C, H, W) for the pooling checkers: non-square, several channels and images,
    windows and strides that differ per axis and do not divide the size, real values."""
    rng = np.random.default_rng(seed)
    return [
        ("x of shape (2, 3, 5, 6), pool_size=(2, 2), stride=(2, 2): the last row is left over",
         rng.standard_normal((2, 3, 5, 6)), (2, 2), (2, 2)),
        ("x of shape (2, 2, 7, 9), pool_size=(3, 2), stride=(2, 3): overlapping rows, a "
         "non-square window, strides that do not divide", rng.standard_normal((2, 2, 7, 9)),
         (3, 2), (2, 3)),
        ("x of shape (3, 2, 9, 6), pool_size=(2, 3), stride=(3, 1): H > W, overlapping columns",
         rng.standard_normal((3, 2, 9, 6)), (2, 3), (3, 1)),
        ("x of shape (2, 3, 6, 7), every value negative, pool_size=(2, 2), stride=(2, 2)",
         -rng.uniform(0.5, 5, (2, 3, 6, 7)), (2, 2), (2, 2)),
    ]


# --- 4.1 max pooling by loops -----------------------------------------------------------------

@exercise("ch4-max-pool-loops", title="Max pooling by loops",
          hints=(
              "Pooling is like a convolution without weights: slide a window over each channel "
              "of each image and keep the largest value in it. Images and channels never mix, "
              "and the height and the width each have their own window side and stride.",
              "The output size is OH = (H - KH) // SH + 1 along the rows and OW = (W - KW) // SW "
              "+ 1 along the columns. The window of output (n, c, i, j) starts at row i * SH "
              "and column j * SW of image n, channel c.",
              "Unpack `KH, KW = pool_size` and `SH, SW = stride`, build the output with "
              "`np.empty((N, C, OH, OW), dtype=x.dtype)`, loop over n, c, i and j, and take "
              "`.max()` of the slice `x[n, c, top:top + KH, left:left + KW]`.",
          ),
          solution=sol.max_pool2d_loops, mistakes=sol.MAX_POOL_MISTAKES)
def check_max_pool_loops(max_pool2d_loops):
    for case, x, k, s in _pool_cases(4):
        got = call(max_pool2d_loops, x, k, s, case=case)
        expect_array(got, _F().max_pool2d(x, k, s), case=case,
                     mistakes=known_mistakes(x, k, s),
                     shape_hint="Output size: OH = (H - KH) // SH + 1, OW = (W - KW) // SW + 1; "
                                "the batch and channel axes stay.")
    return ("correct: windows, strides, output size, channels and batch all right, on square "
            "and non-square inputs.")


# --- 4.2 pooled shapes, by hand ---------------------------------------------------------------

_PARTS = ("(a)", "(b)", "(c)", "(d)", "(e)")
_AXES = ((2, "height OH"), (3, "width OW"))


def _part_feedback(label, got, expected, wrong_parts):
    """Messages for part ``label`` (none when it is right); ``wrong_parts``: the registered
    mistakes' values for this part, as (value, message) pairs."""
    if not isinstance(got, (tuple, list, np.ndarray)):
        return [f"part {label}: expected a shape such as (N, C, OH, OW), got {got!r}."]
    got = tuple(got.tolist() if isinstance(got, np.ndarray) else got)
    for entry in got:
        expect_int(entry, what=f"an entry of part {label}, {entry!r},")
    if got == expected:
        return []
    for wrong, message in wrong_parts:                 # the whole part matches a known slip
        if got == tuple(wrong) and got != expected:
            return [f"part {label}: {got} — {message}"]
    if len(got) != 4:
        return [f"part {label}: {got} has {len(got)} entries; a pooled batch has four, "
                "(N, C, OH, OW)."]
    if got[:2] != expected[:2]:
        return [f"part {label}: {got} — pooling never changes the batch size N or the number "
                "of channels C: copy them from the input."]
    problems = []
    for axis, name in _AXES:                           # height and width, each on its own
        if got[axis] == expected[axis]:
            continue
        known = [m for w, m in wrong_parts
                 if len(w) == 4 and w[axis] == got[axis] != expected[axis]]
        problems.append(f"part {label}, {name} = {got[axis]}: "
                        + (known[0] if known else
                           "not right. Use O = floor((H + 2P - K) / S) + 1 along this axis, "
                           "with this axis's size, window side, stride and padding."))
    return problems


@exercise("ch4-pool-shapes", title="Predict pooled shapes",
          hints=(
              "Pooling never touches the batch and channel axes: N and C stay. Only the height "
              "and the width shrink, each by the convolution's size formula, with its own "
              "size, window side and stride.",
              "Along each axis: O = (H + 2P - K) // S + 1 with window side K, stride S and "
              "padding P. Floor, not round: a window that does not fit is dropped (part (b) "
              "has 7 rows). A 2 x 3 window is 2 rows by 3 columns. Check a part yourself with "
              "`F.conv_output_size`.",
          ),
          solution=sol.pooled_shapes, mistakes=sol.POOL_SHAPES_MISTAKES)
def check_pool_shapes(answer):
    if callable(answer) or not isinstance(answer, (tuple, list, np.ndarray)):
        fail(f"expected a tuple of {len(_PARTS)} shapes, one per part (a)-(e), each "
             f"(N, C, OH, OW); got {type(answer).__name__}.")
    if len(answer) != len(_PARTS):
        fail(f"expected {len(_PARTS)} shapes, one per part (a)-(e), got {len(answer)}.")
    mistakes = [(wrong, message) for wrong, message in known_mistakes()
                if isinstance(wrong, tuple) and len(wrong) == len(_PARTS)]
    problems = []
    for index, (label, got) in enumerate(zip(_PARTS, answer)):
        expected = _pooled_shape(*sol.POOL_SHAPES_PARTS[index])
        problems += _part_feedback(label, got, expected,
                                   [(wrong[index], message) for wrong, message in mistakes])
    if problems:
        fail("\n".join(problems))
    return "correct: all five shapes right (N and C kept, floor, each axis on its own)."


def _pooled_shape(x_shape, window, stride, padding):
    N, C, H, W = x_shape
    return (N, C) + tuple((n + 2 * padding - k) // s + 1
                          for n, k, s in zip((H, W), window, stride))


# --- 4.3 average pooling as a convolution -----------------------------------------------------

@exercise("ch4-avg-pool-conv", title="Average pooling as a convolution",
          hints=(
              "Average pooling multiplies every value of a window by the same number and adds "
              "them up: a convolution with a constant kernel. But a convolution sums over the "
              "input channels, while pooling keeps each channel apart. Which entries of the "
              "filter bank W may be non-zero?",
              "Three choices: the weight (the mean of KH * KW values), which input channels "
              "output channel c may read (only its own: every weight linking c to another "
              "channel is 0), and the stride (pooling windows tile the input, so the stride is "
              "the window).",
              "Start from `W = np.zeros((C, C, KH, KW), dtype=x.dtype)` and fill only the "
              "diagonal blocks `W[c, c]`, one per channel; then one `F.conv2d` call with the "
              "right `stride`.",
          ),
          solution=sol.avg_pool_via_conv, mistakes=sol.AVG_CONV_MISTAKES)
def check_avg_pool_conv(avg_pool_via_conv):
    rng = np.random.default_rng(5)
    cases = [
        ("x of shape (2, 3, 6, 8), pool_size=(2, 2)", rng.standard_normal((2, 3, 6, 8)), (2, 2)),
        ("x of shape (3, 2, 7, 10), pool_size=(3, 2): 7 rows, the last one left over",
         rng.uniform(-1, 2, (3, 2, 7, 10)), (3, 2)),
        ("x of shape (2, 4, 9, 5), pool_size=(2, 3): rows and columns left over",
         rng.standard_normal((2, 4, 9, 5)), (2, 3)),
    ]
    for case, x, k in cases:
        got = call(avg_pool_via_conv, x, k, case=case)
        expect_array(got, _F().avg_pool2d(x, k), case=case, mistakes=known_mistakes(x, k),
                     shape_hint="Pooling windows tile the input: stride = pool_size, so "
                                "OH = (H - KH) // KH + 1 and OW = (W - KW) // KW + 1.")
    return ("correct: average pooling is a convolution with a fixed depthwise kernel of "
            "1 / (KH * KW) and stride = window.")


# --- 4.4 which shifts leave max pooling unchanged ---------------------------------------------

def _unchanged_counts(x, pool_size):
    F, shift = _F(), _shift_image()
    pooled = F.max_pool2d(x, pool_size)
    return np.array([int((F.max_pool2d(shift(x, dy, dx), pool_size) == pooled).sum())
                     for dy, dx in [(0, 1), (0, -1), (1, 0), (-1, 0)]])


def _feature_maps(rng, shape):
    """Feature maps after a ReLU: non-negative real values, about a third of them 0."""
    return np.maximum(rng.standard_normal(shape) + 0.5, 0.0)


@exercise("ch4-shift-invariance", title="Which one-pixel shifts leave max pooling unchanged?",
          hints=(
              "Invariance compares pool(shift(x)) with pool(x) itself, position by position "
              "(not with a shifted copy of pool(x)). A pooled value survives when its window "
              "still holds the same maximum after the shift.",
              "Pool x once. Then, for each of the four shifts in the order right, left, down, "
              "up, shift x by one pixel with zeros coming in (nothing wraps around), pool it "
              "with the same window, and count the positions where the two pooled arrays are "
              "equal.",
              "The four shifts as (rows, columns) are `[(0, 1), (0, -1), (1, 0), (-1, 0)]`; "
              "`shift_image(x, dy, dx)` from section 4.3 does the shift, and "
              "`int((a == b).sum())` counts equal entries.",
          ),
          solution=sol.unchanged_after_shift, mistakes=sol.SHIFT_MISTAKES)
def check_shift_invariance(unchanged_after_shift):
    rng = np.random.default_rng(44)
    cases = [
        ("x of shape (2, 3, 6, 8), pool_size=2", _feature_maps(rng, (2, 3, 6, 8)), 2),
        ("x of shape (1, 2, 7, 9), pool_size=(2, 3): a non-square window, rows and columns "
         "left over", _feature_maps(rng, (1, 2, 7, 9)), (2, 3)),
        ("x of shape (3, 2, 9, 6), pool_size=3", _feature_maps(rng, (3, 2, 9, 6)), 3),
    ]
    for case, x, k in cases:
        got = call(unchanged_after_shift, x, k, case=case)
        expect_array(got, _unchanged_counts(x, k), case=case, mistakes=known_mistakes(x, k),
                     shape_hint="Return four counts, one per shift: right, left, down, up.")
        for count in np.asarray(got).ravel():
            expect_int(count.item() if isinstance(count, np.generic) else count,
                       what="a count", case=case)
    return ("correct. Now try it on the edge map `fmap` of section 4.3: how many of its "
            "pooled values survive each shift, out of how many?")


# --- 4.5 the backward pass of max pooling -----------------------------------------------------

def _backward_cases():
    rng = np.random.default_rng(45)
    overlap = rng.uniform(0, 1, (1, 2, 5, 7))
    overlap[0, 0, 2, 2] = overlap[0, 1, 2, 4] = 5.0     # each the maximum of several windows
    ties = np.maximum(rng.integers(-2, 3, (2, 2, 4, 6)), 0).astype(float)
    ties[0, 0, :2, :3] = [[3, 1, 3], [0, 3, 2]]          # three tied 3s in the first window
    return [
        ("x of shape (2, 3, 6, 7) without ties, pool_size=(2, 2), stride=(2, 2): the last row "
         "and column are left over", rng.standard_normal((2, 3, 6, 7)), (2, 2), (2, 2)),
        ("x of shape (2, 2, 7, 8) without ties, pool_size=(2, 3), stride=(2, 2): overlapping "
         "columns, a non-square window", rng.standard_normal((2, 2, 7, 8)), (2, 3), (2, 2)),
        ("x of shape (1, 2, 5, 7), pool_size=(3, 2), stride=(2, 1): the 5.0 at (0, 0, 2, 2) is "
         "the maximum of four overlapping windows", overlap, (3, 2), (2, 1)),
        ("x of shape (2, 2, 4, 6) after a ReLU, whole numbers with ties (three 3s in the first "
         "window, windows of zeros), pool_size=(2, 3), stride=(2, 3)", ties, (2, 3), (2, 3)),
    ]


@exercise("ch4-max-pool-backward", title="The backward pass of max pooling",
          hints=(
              "In the forward pass only the maximum of each window reached the output. So only "
              "that input receives the window's upstream gradient; the others in the window "
              "get nothing from it. Which maximum, at a tie? The exercise fixes the "
              "convention.",
              "Start from zeros shaped like x. For each output (n, c, i, j), find the position "
              "of the first maximum of its window (the same window as in the forward pass) and "
              "ADD dout[n, c, i, j] there. Add, do not assign: when windows overlap, one input "
              "can be the maximum of several windows.",
              "`for n, c, i, j in np.ndindex(*dout.shape):` visits every pooled value. Inside, "
              "`a, b = np.unravel_index(np.argmax(window), window.shape)` gives the row and "
              "column of the first maximum inside the window (row by row); the input it names "
              "is `x[n, c, top + a, left + b]`.",
          ),
          solution=sol.max_pool2d_backward_loops, mistakes=sol.MAX_BACKWARD_MISTAKES)
def check_max_pool_backward(max_pool2d_backward_loops):
    rng = np.random.default_rng(46)
    for case, x, k, s in _backward_cases():
        out_shape = _F().max_pool2d(x, k, s).shape
        dout = rng.uniform(0.5, 2.0, out_shape).round(2)      # real values, all positive
        got = call(max_pool2d_backward_loops, dout, x, k, s, case=case)
        expect_array(got, _F().max_pool2d_backward(dout, x, k, s), case=case,
                     mistakes=known_mistakes(dout, x, k, s),
                     shape_hint="dx has the shape of x.")
    return ("correct: each gradient goes to its window's first maximum, and overlapping "
            "windows add up.")
