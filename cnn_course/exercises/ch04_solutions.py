"""Reference solutions for chapter 4 (pooling), shown in the book; known wrong answers below.

The solutions are plain numpy, written to be read. Each ``*_MISTAKES`` list holds realistic
wrong answers that the checkers in ``ch04`` must recognise (tests/test_exercises.py proves it).
"""

import numpy as np

from cnn_course import functional as F
from cnn_course.exercises.core import Mistake

__all__ = ["max_pool2d_loops", "avg_pool_via_conv", "max_pool2d_backward_loops", "POOL_SHAPES",
           "MAX_POOL_MISTAKES", "AVG_CONV_MISTAKES", "MAX_BACKWARD_MISTAKES",
           "POOL_SHAPES_MISTAKES"]


def max_pool2d_loops(x, pool_size, stride):
    """Max pooling of x, shape (C, H, W) or (H, W), with square windows of side pool_size."""
    single = x.ndim == 2
    if single:
        x = x[None]                                   # (1, H, W): one channel
    C, H, W = x.shape
    OH = (H - pool_size) // stride + 1                # floor, then + 1
    OW = (W - pool_size) // stride + 1
    out = np.empty((C, OH, OW), dtype=x.dtype)
    for c in range(C):                                # every channel on its own
        for i in range(OH):
            for j in range(OW):
                top, left = i * stride, j * stride
                out[c, i, j] = x[c, top:top + pool_size, left:left + pool_size].max()
    return out[0] if single else out


def avg_pool_via_conv(x, pool_size):
    """Average pooling of x (N, C, H, W) as one conv2d call with a constant, per-channel kernel."""
    C = x.shape[1]
    W = np.zeros((C, C, pool_size, pool_size), dtype=x.dtype)
    for c in range(C):
        W[c, c] = 1.0 / pool_size**2                  # output channel c reads input channel c only
    return F.conv2d(x, W, stride=pool_size)


def max_pool2d_backward_loops(dout, x, pool_size, stride):
    """Gradient of max pooling of x (H, W): each dout[i, j] goes to the first maximum of its window."""
    dx = np.zeros_like(x)
    OH, OW = dout.shape
    for i in range(OH):
        for j in range(OW):
            top, left = i * stride, j * stride
            window = x[top:top + pool_size, left:left + pool_size]
            a, b = np.unravel_index(np.argmax(window), window.shape)   # first max, row by row
            dx[top + a, left + b] += dout[i, j]       # += : overlapping windows accumulate
    return dx


#: Output shapes for the four pooling layers of exercise ch4-pool-shapes.
POOL_SHAPES = ((64, 6, 14, 14), (1, 3, 3, 3), (10, 16, 3, 3), (2, 8, 7, 7))


# --------------------------------------------------------------------------- known mistakes

def _as_chw(x):
    return (x[None], True) if x.ndim == 2 else (x, False)


def _loops(x, pool_size, stride, reduce=np.max, size_fix=1, across_channels=False, start=None):
    x, single = _as_chw(x)
    C, H, W = x.shape
    OH = (H - pool_size) // stride + size_fix
    OW = (W - pool_size) // stride + size_fix
    out = np.zeros((C, OH, OW), dtype=x.dtype)
    for c in range(C):
        for i in range(OH):
            for j in range(OW):
                t, l = i * stride, j * stride
                block = x[:, t:t + pool_size, l:l + pool_size] if across_channels else \
                    x[c, t:t + pool_size, l:l + pool_size]
                out[c, i, j] = reduce(block) if start is None else max(start, block.max())
    return out[0] if single else out


def _stride_ignored(x, pool_size, stride):
    return _loops(x, pool_size, 1)


def _off_by_one(x, pool_size, stride):
    return _loops(x, pool_size, stride, size_fix=0)


def _mean_not_max(x, pool_size, stride):
    return _loops(x, pool_size, stride, reduce=np.mean)


def _across_channels(x, pool_size, stride):
    return _loops(x, pool_size, stride, across_channels=True)


def _max_started_at_zero(x, pool_size, stride):
    return _loops(x, pool_size, stride, start=0.0)


MAX_POOL_MISTAKES = [
    Mistake(_stride_ignored, expect="stride",
            why="the loop moves the window by 1 whatever the stride (overlapping windows)"),
    Mistake(_off_by_one, expect="off by one", why="OH = (H - pool_size) // stride, no + 1"),
    Mistake(_mean_not_max, expect="mean", why="np.mean instead of np.max"),
    Mistake(_across_channels, expect="channel", why="x[:, window].max() mixes all channels"),
    Mistake(_max_started_at_zero, expect="negative",
            why="the running maximum starts at 0, so all-negative windows give 0"),
]


def _conv_with(x, W, stride):
    return F.conv2d(x, W.astype(x.dtype), stride=stride)


def _kernel_not_normalised(x, pool_size):
    C = x.shape[1]
    W = np.zeros((C, C, pool_size, pool_size))
    for c in range(C):
        W[c, c] = 1.0
    return _conv_with(x, W, pool_size)


def _channels_mixed(x, pool_size):
    C = x.shape[1]
    W = np.full((C, C, pool_size, pool_size), 1.0 / pool_size**2)
    return _conv_with(x, W, pool_size)


def _stride_one(x, pool_size):
    C = x.shape[1]
    W = np.zeros((C, C, pool_size, pool_size))
    for c in range(C):
        W[c, c] = 1.0 / pool_size**2
    return _conv_with(x, W, 1)


AVG_CONV_MISTAKES = [
    Mistake(_kernel_not_normalised, expect="not normalised",
            why="kernel of ones: window sums instead of means"),
    Mistake(_channels_mixed, expect="mixes the channels",
            why="a full (C, C, K, K) kernel of 1/K^2 adds every input channel into each output"),
    Mistake(_stride_one, expect="stride", why="conv2d's default stride 1 gives overlapping windows"),
]


def _backward_loops(dout, x, pool_size, stride, route, accumulate=True):
    dx = np.zeros_like(x)
    OH, OW = dout.shape
    for i in range(OH):
        for j in range(OW):
            t, l = i * stride, j * stride
            window = x[t:t + pool_size, l:l + pool_size]
            share = route(window) * dout[i, j]
            if accumulate:
                dx[t:t + pool_size, l:l + pool_size] += share
            else:
                target = dx[t:t + pool_size, l:l + pool_size]
                target[share != 0] = share[share != 0]
    return dx


def _first_max(window):
    mask = np.zeros_like(window)
    mask[np.unravel_index(np.argmax(window), window.shape)] = 1.0
    return mask


def _whole_window(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, lambda w: np.ones_like(w))


def _spread_evenly(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, lambda w: np.full_like(w, 1 / w.size))


def _ties_double_counted(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, lambda w: (w == w.max()).astype(w.dtype))


def _overwrite(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, _first_max, accumulate=False)


MAX_BACKWARD_MISTAKES = [
    Mistake(_whole_window, expect="every element of the window",
            why="dx[window] += dout[i, j]: the forward max picked one element"),
    Mistake(_spread_evenly, expect="average pooling",
            why="dout / K^2 everywhere: that is average pooling's backward"),
    Mistake(_ties_double_counted, expect="tie",
            why="mask = (window == window.max()) sends the gradient to every tied maximum"),
    Mistake(_overwrite, expect="accumulate",
            why="dx[...] = dout overwrites what an overlapping window already sent"),
]


POOL_SHAPES_MISTAKES = [
    Mistake(((64, 14, 14), (1, 3, 3), (10, 3, 3), (2, 7, 7)), expect="channel",
            why="dropped the channel axis"),
    Mistake(((64, 6, 14, 14), (1, 3, 4, 4), (10, 16, 3, 3), (2, 8, 8, 8)), expect="rounded up",
            why="ceil instead of floor"),
    Mistake(((64, 6, 14, 14), (1, 3, 3, 3), (10, 16, 4, 4), (2, 8, 7, 7)), expect="divided",
            why="H / stride instead of the formula"),
    Mistake(((64, 6, 14, 14), (1, 3, 3, 3), (10, 16, 3, 3), (2, 8, 6, 6)), expect="padding",
            why="forgot the padding in part (d)"),
    Mistake(((64, 6, 14, 14), (1, 3, 3.5, 3.5), (10, 16, 3, 3), (2, 8, 7, 7)), expect="whole",
            why="kept the fraction (7 - 2) / 2 + 1 = 3.5"),
]
