"""Checkers for chapter 4 (pooling).

- ch4-max-pool-loops: max pooling by loops, (C, H, W) or (H, W), any stride
- ch4-avg-pool-conv: average pooling as one conv2d with a constant per-channel kernel
- ch4-max-pool-backward: the backward pass of max pooling (argmax routing, ties, overlaps)
- ch4-pool-shapes: predict the output shapes of four pooling layers
"""

import math

import numpy as np

from cnn_course import functional as F
from cnn_course.exercises import ch04_solutions as sol
from cnn_course.exercises.core import Fail, call, exercise, expect_array, fail

__all__ = ["check_max_pool_loops", "check_avg_pool_conv", "check_max_pool_backward",
           "check_pool_shapes"]

_SIZE_HINT = "Output size: OH = floor((H - pool_size) / stride) + 1 (and OW likewise)."


def _pool_ref(x, k, s, kind="max"):
    """Independent reference through the engine (which needs (N, C, H, W))."""
    x4 = x[None, None] if x.ndim == 2 else x[None]
    pool = F.max_pool2d if kind == "max" else F.avg_pool2d
    y = pool(x4, k, s)[0]
    return y[0] if x.ndim == 2 else y


def _check_pool_shape(got, expected, x, k, s, case):
    """Specific messages for the usual shape mistakes of a pooling loop."""
    if not isinstance(got, np.ndarray) or got.shape == expected.shape:
        return
    spatial_got, spatial_exp = got.shape[-2:], expected.shape[-2:]
    if x.ndim == 3 and got.ndim == 2 and spatial_got == spatial_exp:
        fail(f"case {case}: expected shape {expected.shape}, got {got.shape}: the channel axis "
             "is gone. Pooling keeps every channel: (C, H, W) in, (C, OH, OW) out.")
    if got.ndim == expected.ndim and all(abs(a - b) == 1 for a, b in
                                         zip(spatial_got, spatial_exp)):
        fail(f"case {case}: expected shape {expected.shape}, got {got.shape}: your output "
             f"size is off by one. {_SIZE_HINT}")
    if got.ndim == expected.ndim and x.ndim >= 2 and k != s:
        same_as_stride_k = _pool_ref(x, k, k).shape
        if got.shape == same_as_stride_k:
            fail(f"case {case}: expected shape {expected.shape}, got {got.shape}: it looks like "
                 f"you moved the window by pool_size={k} instead of stride={s}.")


@exercise("ch4-max-pool-loops", title="Max pooling by loops",
          hints=(
              "Pooling is like a convolution without weights: slide a square window over each "
              "channel and keep the largest value in it. Channels never mix.",
              "OH = (H - pool_size) // stride + 1, and OW likewise. The window of output (i, j) "
              "starts at row i * stride and column j * stride and is pool_size wide. A 2-D "
              "input is one channel: add a channel axis first and remove it at the end.",
              "`x[None]` turns (H, W) into (1, H, W). Loop over c, i and j, and set `out[c, i, "
              "j] = x[c, top:top + pool_size, left:left + pool_size].max()` with `top, left = i "
              "* stride, j * stride`; return `out[0]` for a 2-D input.",
          ),
          solution=sol.max_pool2d_loops, mistakes=sol.MAX_POOL_MISTAKES)
def check_max_pool_loops(max_pool2d_loops):
    rng = np.random.default_rng(4)
    cases = [
        ("(4, 4) input, pool_size=2, stride=2", rng.integers(-9, 10, (4, 4)).astype(float), 2, 2),
        ("(2, 5, 5) input, pool_size=2, stride=2 (the last row and column are left over)",
         rng.standard_normal((2, 5, 5)), 2, 2),
        ("(3, 7, 7) input, pool_size=3, stride=2 (overlapping windows)",
         rng.standard_normal((3, 7, 7)), 3, 2),
        ("(2, 6, 6) input, all values negative, pool_size=2, stride=2",
         -rng.uniform(1, 5, (2, 6, 6)), 2, 2),
    ]
    for case, x, k, s in cases:
        got = call(max_pool2d_loops, x, k, s, case=case)
        expected = _pool_ref(x, k, s)
        mistakes = {
            "the window moved by 1 instead of by the stride (stride ignored: overlapping "
            "windows)": _pool_ref(x, k, 1),
            "you took the mean of each window instead of its maximum": _pool_ref(x, k, s, "avg"),
            "your running maximum starts at 0, so windows of negative values give 0: start "
            "from the window's first value, or use .max()": np.maximum(expected, 0),
        }
        if x.ndim == 3:
            across = np.broadcast_to(expected.max(axis=0), expected.shape)
            mistakes["each output took the maximum across all channels: pool every channel "
                     "on its own (x[c, rows, cols], not x[:, rows, cols])"] = across
        try:
            expect_array(got, expected, case=case, mistakes=mistakes, shape_hint=_SIZE_HINT)
        except Fail as failure:
            if "it looks like" not in str(failure):
                _check_pool_shape(got, expected, x, k, s, case)   # a more specific message
            raise
    return "correct: windows, stride, output size and channels all right."


@exercise("ch4-avg-pool-conv", title="Average pooling as a convolution",
          hints=(
              "Average pooling multiplies every value of a K x K window by the same weight and "
              "adds them up: a convolution with a constant kernel. But a convolution also sums "
              "over the input channels, while pooling keeps the channels apart.",
              "Three choices: the weight (the mean of K*K values), which input channels output "
              "channel c may read (only its own: the weights linking c to any other channel are "
              "0), and the stride (pooling windows do not overlap: stride = K).",
              "Start from `W = np.zeros((C, C, K, K), dtype=x.dtype)` (K = pool_size), fill "
              "only the blocks `W[c, c]` with 1 / K**2, then call `F.conv2d` with `stride=K`.",
          ),
          solution=sol.avg_pool_via_conv, mistakes=sol.AVG_CONV_MISTAKES)
def check_avg_pool_conv(avg_pool_via_conv):
    rng = np.random.default_rng(5)
    cases = [
        ("x of shape (2, 3, 6, 6), pool_size=2", rng.standard_normal((2, 3, 6, 6)), 2),
        ("x of shape (1, 2, 9, 9), pool_size=3", rng.uniform(0, 1, (1, 2, 9, 9)), 3),
    ]
    for case, x, k in cases:
        got = call(avg_pool_via_conv, x, k, case=case)
        expected = F.avg_pool2d(x, k)
        channel_sum = np.broadcast_to(expected.sum(axis=1, keepdims=True), expected.shape)
        mistakes = {
            f"the kernel is not normalised: its weights are 1, so each output is the window's "
            f"sum, {k * k} times the mean. Use 1 / K**2": expected * k * k,
            "your kernel mixes the channels: every W[f] has 1/K**2 in all C input channels, so "
            "each output channel adds up the averages of all channels. Put the weights only in "
            "W[c, c] (a depthwise kernel)": channel_sum,
            "your kernel mixes the channels (it averages over the channels too): put the "
            "weights only in W[c, c]": channel_sum / x.shape[1],
            "conv2d ran with stride 1 (its default), so the windows overlap: pass "
            "stride=pool_size": F.avg_pool2d(x, k, 1),
        }
        expect_array(got, expected, case=case, mistakes=mistakes,
                     shape_hint="Average pooling with a K x K window uses stride K: "
                                "OH = floor((H - K) / K) + 1.")
    return ("correct: average pooling is a convolution with a fixed depthwise kernel of "
            "1/K^2 and stride K.")


@exercise("ch4-max-pool-backward", title="The backward pass of max pooling",
          hints=(
              "In the forward pass only the maximum of each window reached the output. So only "
              "that input receives the window's upstream gradient; the others in the window get "
              "nothing from it.",
              "Start from zeros shaped like x. For each output (i, j), find the position of the "
              "first maximum of its window and ADD dout[i, j] there. Add, do not assign: when "
              "windows overlap, one input can be the maximum of several windows.",
              "`a, b = np.unravel_index(np.argmax(window), window.shape)` gives the row and "
              "column of the first maximum inside the window; with `top, left = i * stride, j * "
              "stride` the update is `dx[top + a, left + b] += dout[i, j]`.",
          ),
          solution=sol.max_pool2d_backward_loops, mistakes=sol.MAX_BACKWARD_MISTAKES)
def check_max_pool_backward(max_pool2d_backward_loops):
    x_plain = np.array([[1, 4, 2, 0],
                        [3, 2, 5, 7],
                        [0, 6, 1, 2],
                        [8, 1, 3, 9]], dtype=float)
    x_ties = np.array([[5, 5, 1, 2],
                       [0, 3, 4, 4],
                       [2, 7, 6, 1],
                       [7, 0, 6, 0]], dtype=float)
    x_overlap = np.array([[1, 2, 0, 1, 3],
                          [0, 3, 1, 2, 0],
                          [2, 1, 9, 0, 1],
                          [0, 2, 1, 3, 1],
                          [1, 0, 2, 1, 2]], dtype=float)
    cases = [
        ("4x4 input without ties, pool_size=2, stride=2", x_plain, 2, 2),
        ("4x4 input with ties (e.g. two 5s in the first window), pool_size=2, stride=2",
         x_ties, 2, 2),
        ("5x5 input, pool_size=3, stride=2: the 9 at (2, 2) is the maximum of all four "
         "overlapping windows", x_overlap, 3, 2),
    ]
    for case, x, k, s in cases:
        OH = (x.shape[0] - k) // s + 1
        dout = np.arange(1.0, OH * OH + 1).reshape(OH, OH) * 1.5
        got = call(max_pool2d_backward_loops, dout, x, k, s, case=case)
        expected = F.max_pool2d_backward(dout[None, None], x[None, None], k, s)[0, 0]
        mistakes = {
            "every element of the window received the gradient: only the maximum influenced "
            "the output, so only it gets dout[i, j]": sol._whole_window(dout, x, k, s),
            "you spread dout[i, j] evenly over the window: that is average pooling's "
            "backward, not max pooling's": sol._spread_evenly(dout, x, k, s),
            "at a tie every tied maximum got the gradient (a mask window == window.max() "
            "double-counts): send it to the first maximum only (np.argmax)":
                sol._ties_double_counted(dout, x, k, s),
            "a later window overwrote what an earlier one sent: with overlapping windows "
            "an input can win several windows, so accumulate with +=":
                sol._overwrite(dout, x, k, s),
            "at a tie you sent the gradient to the last maximum: use the first one, row by row "
            "(what np.argmax returns and what cnn_course's MaxPool2D does)":
                _last_max_route(dout, x, k, s),
        }
        expect_array(got, expected, case=case, mistakes=mistakes,
                     shape_hint="dx has the shape of x.")
    return "correct: each gradient goes to its window's (first) maximum, and overlaps add up."


def _last_max_route(dout, x, k, s):
    dx = np.zeros_like(x)
    for (i, j), g in np.ndenumerate(dout):
        window = x[i * s:i * s + k, j * s:j * s + k]
        flat = window.size - 1 - np.argmax(window.ravel()[::-1])
        a, b = np.unravel_index(flat, window.shape)
        dx[i * s + a, j * s + b] += g
    return dx


_SHAPE_PARTS = [  # (label, x shape, window, stride, padding)
    ("(a)", (64, 6, 28, 28), 2, 2, 0),
    ("(b)", (1, 3, 7, 7), 2, 2, 0),
    ("(c)", (10, 16, 8, 8), 4, 2, 0),
    ("(d)", (2, 8, 14, 14), 3, 2, 1),
]


def _shape_feedback(label, got, x_shape, k, s, p):
    """None if ``got`` is right for this part, else a specific message."""
    N, C, H, W = x_shape
    o = (H + 2 * p - k) // s + 1
    expected = (N, C, o, o)
    formula = f"floor(({H} + 2*{p} - {k}) / {s}) + 1"
    try:
        got = tuple(got)
        values = [float(v) for v in got]
    except (TypeError, ValueError):
        return f"part {label}: expected a shape tuple such as (N, C, OH, OW), got {got!r}."
    if tuple(values) == tuple(float(e) for e in expected):
        return None
    if not all(v.is_integer() for v in values):
        return (f"part {label}: {got} contains a fraction; a size must be a whole number. "
                f"Frameworks floor: OH = {formula}.")
    if len(got) == 3:
        return (f"part {label}: {got} has no channel axis. Pooling keeps the batch and the "
                f"channels: (N, C, H, W) -> (N, C, OH, OW).")
    if len(got) != 4:
        return f"part {label}: expected a 4-entry shape (N, C, OH, OW), got {got}."
    if tuple(values[:2]) != (N, C):
        return f"part {label}: {got}: pooling never changes N or C (here {N} and {C})."
    ceil = math.ceil((H + 2 * p - k) / s) + 1
    if values[2] == ceil:
        return (f"part {label}: {got}: you rounded up. Frameworks floor "
                f"((H + 2P - K) / S) (PyTorch's ceil_mode=True would give your answer): "
                f"OH = {formula}.")
    if values[2] == H // s or values[2] == math.ceil(H / s):
        return (f"part {label}: {got}: it looks like you divided H by the stride. H // S is "
                f"right only when the window equals the stride and there is no padding; use "
                f"the formula OH = {formula}.")
    if p and values[2] == (H - k) // s + 1:
        return (f"part {label}: {got}: you forgot the padding (P = {p} on each side): "
                f"OH = {formula}.")
    return f"part {label}: {got} is not right. Use OH = {formula}."


@exercise("ch4-pool-shapes", title="Predict pooled shapes",
          hints=(
              "Pooling never touches the batch and channel axes: N and C stay. Only the spatial "
              "sizes shrink, by the same formula as for a convolution.",
              "For each spatial size: OH = (H + 2P - K) // S + 1, with window K, stride S and "
              "padding P. Floor, not round: a window that does not fit is dropped (think of "
              "case (b), 7 rows). Check yourself with `F.conv_output_size`.",
          ),
          solution=sol.POOL_SHAPES, mistakes=sol.POOL_SHAPES_MISTAKES)
def check_pool_shapes(answer):
    if callable(answer) or isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__"):
        fail("expected a tuple of four shapes, one per part, e.g. ((64, 6, 14, 14), ...), "
             f"got {type(answer).__name__}.")
    if len(answer) != len(_SHAPE_PARTS):
        fail(f"expected {len(_SHAPE_PARTS)} shapes, one per part (a)-(d), got {len(answer)}.")
    problems = []
    for (label, x_shape, k, s, p), got in zip(_SHAPE_PARTS, answer):
        message = _shape_feedback(label, got, x_shape, k, s, p)
        if message:
            problems.append(message)
    if problems:
        fail("\n".join(problems))
    return "correct: all four shapes right (N and C kept, floor in the formula)."
