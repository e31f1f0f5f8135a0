"""Reference solutions for chapter 4 (pooling), shown in the book; known wrong answers below.

The solutions are plain numpy, written to be read, and use only the names the chapter's
notebook defines (np, F, shift_image), so each one can be pasted there. Each ``*_MISTAKES``
list registers realistic wrong answers with the message the learner gets; the checkers in
``ch04`` find them through ``core.known_mistakes`` (tests/test_exercises.py proves that every
one is rejected with its message).
"""

import numpy as np

from cnn_course import functional as F
from cnn_course.exercises.core import Mistake
from cnn_course.topics.invariance import shift_image

__all__ = ["max_pool2d_loops", "pooled_shapes", "avg_pool_via_conv", "unchanged_after_shift",
           "max_pool2d_backward_loops", "MAX_POOL_MISTAKES", "POOL_SHAPES_PARTS",
           "POOL_SHAPES_MISTAKES", "AVG_CONV_MISTAKES", "SHIFT_MISTAKES",
           "MAX_BACKWARD_MISTAKES"]


# --- reference solutions ---------------------------------------------------------------------

def max_pool2d_loops(x, pool_size, stride):
    """Max pooling of x (N, C, H, W), windows pool_size = (KH, KW) moved by stride = (SH, SW)."""
    N, C, H, W = x.shape
    KH, KW = pool_size
    SH, SW = stride
    OH = (H - KH) // SH + 1                           # floor, then + 1
    OW = (W - KW) // SW + 1                           # the width from W, KW and SW (never H)
    out = np.empty((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):                            # every channel on its own
            for i in range(OH):
                for j in range(OW):
                    top, left = i * SH, j * SW
                    out[n, c, i, j] = x[n, c, top:top + KH, left:left + KW].max()
    return out


# (a) 28 -> (28 - 2) // 2 + 1 = 14 both ways.  (b) rows (7 - 2) // 2 + 1 = 3: the last row is
# dropped; columns (10 - 2) // 2 + 1 = 5.  (c) (8 - 4) // 2 + 1 = 3 and (12 - 4) // 2 + 1 = 5.
# (d) with the padding: (14 + 2 - 3) // 2 + 1 = 7 and (9 + 2 - 3) // 2 + 1 = 5.
# (e) the window is 2 rows by 3 columns: (12 - 2) // 2 + 1 = 6 and (9 - 3) // 3 + 1 = 3.
pooled_shapes = ((64, 6, 14, 14), (1, 3, 3, 5), (10, 16, 3, 5), (2, 8, 7, 5), (8, 32, 6, 3))


def avg_pool_via_conv(x, pool_size):
    """Average pooling of x (N, C, H, W) with windows pool_size = (KH, KW), as one conv2d call."""
    C = x.shape[1]
    KH, KW = pool_size
    W = np.zeros((C, C, KH, KW), dtype=x.dtype)
    for c in range(C):
        W[c, c] = 1.0 / (KH * KW)                     # output channel c reads input channel c only
    return F.conv2d(x, W, stride=(KH, KW))            # the windows tile: stride = window


def unchanged_after_shift(x, pool_size):
    """How many max-pooled values of x (N, C, H, W) survive each one-pixel shift."""
    pooled = F.max_pool2d(x, pool_size)
    counts = []
    for dy, dx in [(0, 1), (0, -1), (1, 0), (-1, 0)]:     # right, left, down, up
        moved = F.max_pool2d(shift_image(x, dy, dx), pool_size)
        counts.append(int((moved == pooled).sum()))       # compared position by position
    return np.array(counts)


def max_pool2d_backward_loops(dout, x, pool_size, stride):
    """dx of max pooling of x (N, C, H, W): dout[n, c, i, j] goes to its window's first maximum."""
    KH, KW = pool_size
    SH, SW = stride
    dx = np.zeros_like(x)
    for n, c, i, j in np.ndindex(*dout.shape):       # every pooled value, one at a time
        top, left = i * SH, j * SW
        window = x[n, c, top:top + KH, left:left + KW]                # as in the forward pass
        a, b = np.unravel_index(np.argmax(window), window.shape)      # first max, row by row
        dx[n, c, top + a, left + b] += dout[n, c, i, j]               # +=: overlaps add up
    return dx


# --- known mistakes: max pooling by loops ------------------------------------------------------

def _pool_loops(x, pool_size, stride, *, reduce=np.max, plus_one=1, ow_from_h=False,
                oh_from_w=False, mix=None, start=None, dtype=None, swap=False):
    N, C, H, W = x.shape
    (KH, KW), (SH, SW) = pool_size, stride
    if swap:
        (KH, KW), (SH, SW) = (KW, KH), (SW, SH)
    OH = ((W if oh_from_w else H) - KH) // SH + plus_one
    OW = ((H if ow_from_h else W) - KW) // SW + plus_one
    out = np.zeros((N, C, OH, OW), dtype=x.dtype if dtype is None else dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    rows, cols = slice(i * SH, i * SH + KH), slice(j * SW, j * SW + KW)
                    block = (x[n, :, rows, cols] if mix == "channels" else
                             x[:, c, rows, cols] if mix == "batch" else x[n, c, rows, cols])
                    out[n, c, i, j] = reduce(block) if start is None else max(start, block.max())
    return out


def _stride_ignored(x, pool_size, stride):
    return _pool_loops(x, pool_size, (1, 1))


def _moved_by_pool_size(x, pool_size, stride):
    return _pool_loops(x, pool_size, pool_size)


def _ow_from_h(x, pool_size, stride):
    return _pool_loops(x, pool_size, stride, ow_from_h=True)


def _oh_from_w(x, pool_size, stride):
    return _pool_loops(x, pool_size, stride, oh_from_w=True)


def _pool_axes_swapped(x, pool_size, stride):
    return _pool_loops(x, pool_size, stride, swap=True)


def _off_by_one(x, pool_size, stride):
    return _pool_loops(x, pool_size, stride, plus_one=0)


def _mean_not_max(x, pool_size, stride):
    return _pool_loops(x, pool_size, stride, reduce=np.mean)


def _across_channels(x, pool_size, stride):
    return _pool_loops(x, pool_size, stride, mix="channels")


def _across_batch(x, pool_size, stride):
    return _pool_loops(x, pool_size, stride, mix="batch")


def _max_started_at_zero(x, pool_size, stride):
    return _pool_loops(x, pool_size, stride, start=0.0)


def _int_output(x, pool_size, stride):
    return _pool_loops(x, pool_size, stride, dtype=int)


MAX_POOL_MISTAKES = [
    Mistake(_stride_ignored, why="the window moves by 1 whatever the stride",
            message="your window moved by one pixel at a time, whatever the stride. Output "
                    "(i, j) reads the window that starts at row i * SH and column j * SW."),
    Mistake(_moved_by_pool_size, why="the window moves by pool_size instead of stride",
            message="your window moved by pool_size instead of by stride: here they differ. "
                    "Output (i, j) starts at row i * SH and column j * SW (SH, SW = stride), "
                    "and the output size uses the stride too."),
    Mistake(_ow_from_h, why="OW computed from H (a square-only formula)",
            message="your output width was computed from the height H: OW = (W - KW) // SW + 1 "
                    "uses the width W. With square inputs the slip is invisible; here H != W."),
    Mistake(_oh_from_w, why="OH computed from W (a square-only formula)",
            message="your output height was computed from the width W: OH = (H - KH) // SH + 1 "
                    "uses the height H. With square inputs the slip is invisible; here H != W."),
    Mistake(_pool_axes_swapped, why="pool_size and stride read as (width, height)",
            message="you read pool_size and stride as (width, height): they are (rows, "
                    "columns), KH, KW = pool_size and SH, SW = stride, as shapes are (H, W)."),
    Mistake(_off_by_one, why="OH = (H - KH) // SH, no + 1",
            message="your output is one row and one column short: (H - KH) // SH counts the "
                    "steps between windows, and the windows are one more (the first starts at "
                    "0): OH = (H - KH) // SH + 1."),
    Mistake(_mean_not_max, why="np.mean instead of np.max",
            message="you took the mean of each window: that is average pooling. Max pooling "
                    "keeps the window's largest value."),
    Mistake(_across_channels, why="x[n, :, window].max() mixes all channels",
            message="each output took the maximum across all channels: pool every channel on "
                    "its own (x[n, c, rows, cols], not x[n, :, rows, cols])."),
    Mistake(_across_batch, why="x[:, c, window].max() mixes the images of the batch",
            message="each output took the maximum across all images of the batch: pool every "
                    "image on its own (x[n, c, rows, cols], not x[:, c, rows, cols])."),
    Mistake(_max_started_at_zero, why="the running maximum starts at 0",
            message="your running maximum starts at 0, so a window of negative values gives 0: "
                    "start from the window's first value, or use .max()."),
    Mistake(_int_output, why="the output array has an integer dtype",
            message="your values are cut to whole numbers: the output array was created with an "
                    "integer dtype (e.g. np.zeros(shape, dtype=int)), so every maximum was "
                    "truncated. Create it with dtype=x.dtype."),
]


# --- known mistakes: pooled shapes (by hand) ----------------------------------------------------

#: The five layers of ch4-pool-shapes: (x shape, window (KH, KW), stride (SH, SW), padding).
POOL_SHAPES_PARTS = (
    ((64, 6, 28, 28), (2, 2), (2, 2), 0),
    ((1, 3, 7, 10), (2, 2), (2, 2), 0),
    ((10, 16, 8, 12), (4, 4), (2, 2), 0),
    ((2, 8, 14, 9), (3, 3), (2, 2), 1),
    ((8, 32, 12, 9), (2, 3), (2, 3), 0),
)


def _shapes_with(size):
    """The five shapes with the spatial size computed by ``size(n, k, s, p)`` for each axis."""
    return tuple((N, C, size(H, KH, SH, p), size(W, KW, SW, p))
                 for (N, C, H, W), (KH, KW), (SH, SW), p in POOL_SHAPES_PARTS)


POOL_SHAPES_MISTAKES = [
    Mistake(tuple((N, OH, OW) for N, C, OH, OW in pooled_shapes),
            why="dropped the channel axis",
            message="the shape has no channel axis. Pooling keeps the batch and the channels: "
                    "(N, C, H, W) in, (N, C, OH, OW) out."),
    Mistake(_shapes_with(lambda n, k, s, p: -(-(n + 2 * p - k) // s) + 1),
            why="ceil instead of floor",
            message="you rounded up. Frameworks floor (H + 2P - K) / S: a window that would "
                    "overhang the input is dropped (PyTorch's ceil_mode=True keeps it)."),
    Mistake(_shapes_with(lambda n, k, s, p: n // s),
            why="H // S instead of the formula",
            message="it looks like you divided the size by the stride. That is right only "
                    "when the window equals the stride and there is no padding; use "
                    "O = floor((H + 2P - K) / S) + 1."),
    Mistake(_shapes_with(lambda n, k, s, p: (n - k) // s + 1),
            why="forgot the padding in part (d)",
            message="you left out the padding: it adds P rows (or columns) on each side, "
                    "O = floor((H + 2P - K) / S) + 1."),
    Mistake(_shapes_with(lambda n, k, s, p: n + 2 * p - k + 1),
            why="ignored the stride",
            message="you ignored the stride, as if the window moved one pixel at a time: "
                    "divide (H + 2P - K) by the stride S, floor, then add 1."),
    Mistake(tuple((N, C, OH, OH) for N, C, OH, OW in pooled_shapes),
            why="OW = OH (square-only)",
            message="you gave the width the height's value: here the inputs (and, in (e), "
                    "the window and stride) are not square. Compute OW from W, KW and SW."),
    Mistake(tuple((N, C, OW, OH) for N, C, OH, OW in pooled_shapes),
            why="(N, C, OW, OH): height and width swapped",
            message="the height and the width are swapped: a shape lists the rows first, "
                    "(N, C, OH, OW)."),
    Mistake(pooled_shapes[:4] + ((8, 32, (12 - 3) // 3 + 1, (9 - 2) // 2 + 1),),
            why="the (2, 3) window read as 3 rows by 2 columns",
            message="you swapped the window's sides: a 2 x 3 window is 2 rows by 3 columns, "
                    "(KH, KW) like a shape (H, W); the stride (2, 3) is likewise (rows, columns)."),
    Mistake(((64, 6, 14, 14), (1, 3, 3.5, 5), (10, 16, 3, 5), (2, 8, 7.5, 5), (8, 32, 6, 3)),
            why="kept the fraction (7 - 2) / 2 + 1 = 3.5", rule=True,
            message="a float"),
]


# --- known mistakes: average pooling as a convolution -----------------------------------------

def _conv_with(x, weight, pool_size, stride):
    C = x.shape[1]
    KH, KW = pool_size
    W = np.zeros((C, C, KH, KW), dtype=x.dtype)
    for c in range(C):
        W[c, c] = weight
    return F.conv2d(x, W, stride=stride)


def _kernel_not_normalised(x, pool_size):
    return _conv_with(x, 1.0, pool_size, pool_size)


def _normalised_by_square(x, pool_size):
    return _conv_with(x, 1.0 / pool_size[0] ** 2, pool_size, pool_size)


def _channels_mixed(x, pool_size):
    C = x.shape[1]
    KH, KW = pool_size
    return F.conv2d(x, np.full((C, C, KH, KW), 1.0 / (KH * KW), dtype=x.dtype), stride=pool_size)


def _channels_averaged(x, pool_size):
    C = x.shape[1]
    KH, KW = pool_size
    return F.conv2d(x, np.full((C, C, KH, KW), 1.0 / (C * KH * KW), dtype=x.dtype),
                    stride=pool_size)


def _stride_one(x, pool_size):
    return _conv_with(x, 1.0 / (pool_size[0] * pool_size[1]), pool_size, 1)


def _square_stride(x, pool_size):
    return _conv_with(x, 1.0 / (pool_size[0] * pool_size[1]), pool_size, pool_size[0])


def _square_window(x, pool_size):
    K = pool_size[0]
    return _conv_with(x, 1.0 / K**2, (K, K), K)


AVG_CONV_MISTAKES = [
    Mistake(_kernel_not_normalised, why="kernel of ones: window sums instead of means",
            message="the kernel is not normalised: its weights are 1, so each output is the "
                    "window's sum, KH * KW times the mean. Each weight is 1 / (KH * KW)."),
    Mistake(_normalised_by_square, why="1 / KH**2: the square window's weight",
            message="your weights are 1 / KH**2, the weight of a square window. This window has "
                    "KH * KW values, so each weight is 1 / (KH * KW)."),
    Mistake(_channels_mixed, why="a full (C, C, KH, KW) kernel of 1 / (KH KW)",
            message="your kernel mixes the channels: every W[f] has weights in all C input "
                    "channels, so each output channel adds up the averages of all channels. "
                    "Put the weights only in W[c, c] (a depthwise kernel); the rest stay 0."),
    Mistake(_channels_averaged, why="a full kernel of 1 / (C KH KW): averages over channels too",
            message="your kernel averages over the channels too (weights 1 / (C * KH * KW) "
                    "everywhere): output channel c must read input channel c only, so put the "
                    "weights only in W[c, c]."),
    Mistake(_stride_one, why="conv2d's default stride 1",
            message="conv2d ran with stride 1 (its default), so the windows overlap: pooling "
                    "windows tile the input, stride = pool_size."),
    Mistake(_square_window, why="K = pool_size[0] for both sides: a square window and stride",
            message="you pooled with a square KH x KH window and stride KH (pool_size[0] for "
                    "both sides): the window is KH rows by KW columns, W has shape "
                    "(C, C, KH, KW), and the stride is (KH, KW)."),
    Mistake(_square_stride, why="stride = KH in both directions",
            message="your stride is KH in both directions: the windows must tile the input, "
                    "so the stride is (KH, KW), the window itself."),
]


# --- known mistakes: which shifts leave max pooling unchanged ----------------------------------

_SHIFTS = [(0, 1), (0, -1), (1, 0), (-1, 0)]       # right, left, down, up


def _count_with(x, pool_size, shift, shifts=_SHIFTS, compare=None):
    pooled = F.max_pool2d(x, pool_size)
    counts = []
    for dy, dx in shifts:
        moved = shift(x, dy, dx)
        if compare is None:
            counts.append(int((F.max_pool2d(moved, pool_size) == pooled).sum()))
        else:
            counts.append(compare(x, moved, pool_size, dy, dx))
    return np.array(counts)


def _roll(x, dy, dx):
    return np.roll(x, (dy, dx), axis=(-2, -1))


def _shift_rolled(x, pool_size):
    return _count_with(x, pool_size, _roll)


def _shift_direction_flipped(x, pool_size):
    return _count_with(x, pool_size, shift_image, shifts=[(-dy, -dx) for dy, dx in _SHIFTS])


def _shift_axes_swapped(x, pool_size):
    return _count_with(x, pool_size, shift_image, shifts=[(dx, dy) for dy, dx in _SHIFTS])


def _counted_changed(x, pool_size):
    total = F.max_pool2d(x, pool_size).size
    return total - unchanged_after_shift(x, pool_size)


def _compared_maps(x, pool_size):
    return _count_with(x, pool_size, shift_image,
                       compare=lambda x, moved, k, dy, dx: int((moved == x).sum()))


def _compared_with_shifted_pool(x, pool_size):
    def equivariance(x, moved, k, dy, dx):
        return int((F.max_pool2d(moved, k) == shift_image(F.max_pool2d(x, k), dy, dx)).sum())
    return _count_with(x, pool_size, shift_image, compare=equivariance)


def _fractions(x, pool_size):
    return unchanged_after_shift(x, pool_size) / F.max_pool2d(x, pool_size).size


SHIFT_MISTAKES = [
    Mistake(_shift_rolled, why="np.roll wraps around",
            message="your shift wraps around (np.roll): what leaves the map at one side comes "
                    "back at the other. A shifted image loses it, and zeros come in: use "
                    "shift_image, or slicing into np.zeros_like(x)."),
    Mistake(_shift_direction_flipped, why="right and left (down and up) swapped",
            message="your shifts go the other way: right and left (and down and up) are "
                    "swapped. \"Right\" moves the content to the right, so x[..., j] lands in "
                    "column j + 1: shift_image(x, 0, 1)."),
    Mistake(_shift_axes_swapped, why="dy applied to the columns",
            message="your shifts move the wrong axis: right and left move the columns (the last "
                    "axis), down and up the rows. shift_image(x, dy, dx) takes the rows first."),
    Mistake(_counted_changed, why="counted the values that changed",
            message="you counted the pooled values that changed: the exercise asks for those "
                    "that stayed the same (the two counts add up to the number of pooled values)."),
    Mistake(_compared_maps, why="compared the feature maps, not their pooled versions",
            message="you compared the shifted feature map with the original one, not their "
                    "max-pooled versions: pool both with F.max_pool2d(., pool_size) first, then "
                    "compare position by position."),
    Mistake(_compared_with_shifted_pool, why="compared with the shifted pooled map (equivariance)",
            message="you compared pool(shift(x)) with shift(pool(x)): that tests equivariance "
                    "(would the pooled map move along?), and a one-cell move of the pooled map "
                    "is a shift of a whole window. Invariance asks whether pool(shift(x)) "
                    "equals pool(x) itself."),
    Mistake(_fractions, why="fractions instead of counts",
            message="you returned fractions: the exercise asks for counts, the number of "
                    "pooled values (over the whole batch and every channel) that did not change."),
]


# --- known mistakes: the backward pass of max pooling ------------------------------------------

def _backward_loops(dout, x, pool_size, stride, route, accumulate=True, stride_as=None):
    (KH, KW), (SH, SW) = pool_size, stride_as or stride
    N, C, OH, OW = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    t, l = i * SH, j * SW
                    window = x[n, c, t:t + KH, l:l + KW]
                    share = route(window) * dout[n, c, i, j]
                    target = dx[n, c, t:t + KH, l:l + KW]
                    if accumulate:
                        target += share
                    else:
                        target[share != 0] = share[share != 0]
    return dx


def _first_max(window):
    mask = np.zeros_like(window)
    mask[np.unravel_index(np.argmax(window), window.shape)] = 1.0
    return mask


def _last_max(window):
    mask = np.zeros_like(window)
    flat = window.size - 1 - np.argmax(window.ravel()[::-1])
    mask[np.unravel_index(flat, window.shape)] = 1.0
    return mask


def _whole_window(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, lambda w: np.ones_like(w))


def _spread_evenly(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, lambda w: np.full_like(w, 1 / w.size))


def _ties_double_counted(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, lambda w: (w == w.max()).astype(w.dtype))


def _ties_split_equally(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride,
                           lambda w: (w == w.max()) / np.count_nonzero(w == w.max()))


def _ties_to_last_max(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, _last_max)


def _overwrite(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, _first_max, accumulate=False)


def _backward_stride_ignored(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, _first_max, stride_as=(1, 1))


def _backward_moved_by_pool_size(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size, stride, _first_max, stride_as=pool_size)


def _backward_axes_swapped(dout, x, pool_size, stride):
    return _backward_loops(dout, x, pool_size[::-1], stride, _first_max,
                           stride_as=tuple(stride[::-1]))


def _int_dx(dout, x, pool_size, stride):
    return _flat_index_by(dout, x, pool_size, stride, divisor=pool_size[1], dtype=int)


def _flat_index_by(dout, x, pool_size, stride, divisor, dtype=None):
    KH, KW = pool_size
    SH, SW = stride
    N, C, OH, OW = dout.shape
    dx = np.zeros(x.shape, dtype=x.dtype if dtype is None else dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    t, l = i * SH, j * SW
                    a, b = divmod(int(np.argmax(x[n, c, t:t + KH, l:l + KW])), divisor)
                    dx[n, c, t + a, l + b] += dout[n, c, i, j]
    return dx


def _flat_index_by_height(dout, x, pool_size, stride):
    return _flat_index_by(dout, x, pool_size, stride, divisor=pool_size[0])


MAX_BACKWARD_MISTAKES = [
    Mistake(_whole_window, why="dx[window] += dout[i, j]: the forward max picked one element",
            message="every element of the window received the gradient: only the maximum "
                    "reached the output, so only it gets dout[n, c, i, j]."),
    Mistake(_spread_evenly, why="dout / (KH KW) everywhere: average pooling's backward",
            message="you spread dout[n, c, i, j] evenly over the window: that is average "
                    "pooling's backward, not max pooling's."),
    Mistake(_backward_stride_ignored, why="window (i, j) taken at row i, column j",
            message="your windows start at row i and column j: window (i, j) starts at row "
                    "i * SH and column j * SW, as in the forward pass."),
    Mistake(_backward_moved_by_pool_size, why="window (i, j) taken at i * KH, j * KW",
            message="your windows move by pool_size instead of by stride: here they differ. "
                    "Window (i, j) starts at row i * SH and column j * SW."),
    Mistake(_backward_axes_swapped, why="pool_size and stride read as (width, height)",
            message="you read pool_size and stride as (width, height): they are (rows, "
                    "columns), KH, KW = pool_size and SH, SW = stride, as shapes are (H, W)."),
    Mistake(_int_dx, why="dx created with an integer dtype",
            message="your gradients are cut to whole numbers: dx was created with an integer "
                    "dtype (e.g. np.zeros(x.shape, dtype=int)), so every dout value added to it "
                    "was truncated. Start from np.zeros_like(x)."),
    Mistake(_flat_index_by_height, why="divmod(np.argmax(window), KH): unravelled by the height",
            message="np.argmax(window) is a flat index into the window, row by row: its row is "
                    "index // KW and its column index % KW, with the window's width KW "
                    "(np.unravel_index(index, window.shape) does it). You divided by the height."),
    Mistake(_overwrite, why="dx[...] = dout overwrites what an overlapping window sent",
            message="a later window overwrote what an earlier one sent: with overlapping "
                    "windows an input can be the maximum of several windows, so accumulate "
                    "with +=."),
    Mistake(_ties_double_counted, why="mask = (window == window.max()) at a tie",
            message="at a tie every tied maximum got the whole gradient (a mask window == "
                    "window.max()), so the window sends out more than dout[n, c, i, j]: send it "
                    "to the first maximum only (np.argmax)."),
    Mistake(_ties_split_equally, why="an equal split between tied maxima (a valid subgradient)",
            message="at a tie you split dout[n, c, i, j] equally between the tied maxima. That "
                    "is a valid subgradient (section 4.5: any split into non-negative shares of the "
                    "window's gradient is), so your reasoning is right; but this exercise asks for the "
                    "convention of layers.MaxPool2D and PyTorch, the whole gradient to the first "
                    "maximum row by row (np.argmax), so that dx equals the engine's."),
    Mistake(_ties_to_last_max, why="the last tied maximum gets the gradient (a valid subgradient)",
            message="at a tie you sent the gradient to the last maximum. That is a valid "
                    "subgradient too (section 4.5), but this exercise asks for the convention of "
                    "layers.MaxPool2D and PyTorch: the first maximum row by row, what np.argmax "
                    "returns."),
]
