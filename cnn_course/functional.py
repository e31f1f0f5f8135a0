"""Pure array operations, the reference tier: cross-correlation, im2col and col2im, and the
convolution and pooling forward and backward passes built on them, exactly as chapter 5
derives them (the im2col method of Saito's *Deep Learning from Scratch*).

- ``im2col`` unfolds every receptive field into one row of a matrix, one loop step per
  kernel offset; ``col2im`` is its adjoint, the same loop with ``+=``.
- ``conv2d`` is im2col, one matrix product and the bias; ``conv2d_backward`` gets dW from
  ``col.T @ dy``, db as a sum and dx as ``col2im(dy @ W)``.
- The pooling ops unfold with im2col too, one window per row, and take its max or mean.

Every function takes numpy arrays and returns new ones (or views of them); nothing is stored
between calls. The layer classes in ``cnn_course.layers`` train with the fast twin of these
ops, ``cnn_course.fast`` (same names and results, rearranged for speed; its docstring says
how), and ``cnn_course.naive`` has the plain loop versions. Tests assert that the three agree.

Array letters (fixed throughout):

- x: data of shape (N, C, H, W): batch, channels, height, width
- W: filters of shape (FN, C, FH, FW): number of filters, channels, filter height and width
- y: outputs of shape (N, FN, OH, OW) for a convolution, (N, C, OH, OW) for pooling
- col: im2col's matrix, shape (N*OH*OW, C*FH*FW): row ``n*OH*OW + oh*OW + ow`` is the window
  under output pixel (oh, ow) of image n, flattened in (c, fh, fw) order

``stride``, ``padding``, ``kernel_size`` and ``dilation`` are an int or an (h, w) pair. Output
sizes are floored, as in PyTorch and TensorFlow:
``OH = floor((H + 2*padding - dilation*(FH - 1) - 1) / stride) + 1``.

Float inputs keep their dtype: float32 in, float32 out; float32 and float64 are never mixed.
Outputs may be transposed views (``conv2d`` returns ``out.reshape(N, OH, OW, FN)
.transpose(0, 3, 1, 2)``, as the book writes it); every op accepts any memory layout.
"""

import numbers

import numpy as np

from cnn_course._validation import (as_int, as_pair, as_shape, check_float_array,
                                    check_real_array, check_same_dtype, check_shape)

__all__ = [
    "conv_output_size", "pad2d", "corr2d", "convolve2d_true", "im2col", "col2im",
    "conv2d", "conv2d_forward", "conv2d_backward",
    "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
    "softmax", "log_softmax",
]


# --------------------------------------------------------------------------- output sizes

def _output_size_1d(n, k, padding, stride, dilation, where, axis=""):
    """Output length along one axis, or ValueError naming every quantity involved."""
    span = dilation * (k - 1) + 1
    if n + 2 * padding < span:
        on = f" along the {axis}" if axis else ""
        dil = f", dilation={dilation} (the window spans {span})" if dilation != 1 else ""
        raise ValueError(
            f"{where}: the window does not fit even once{on}: n={n}, k={k}{dil}, "
            f"padding={padding}, stride={stride}; n + 2*padding = {n + 2 * padding} < {span}")
    return (n + 2 * padding - span) // stride + 1


def conv_output_size(n, k, padding=0, stride=1, dilation=1):
    """Output size of a convolution or pooling window sliding over an input of size n.

    ``floor((n + 2*padding - dilation*(k - 1) - 1) / stride) + 1``, as frameworks compute it.
    Each argument is an int or an (h, w) pair; if any is a pair, an (OH, OW) pair is returned.

    Inputs:
    - n: input size (H or W), or an (H, W) pair
    - k: kernel size (FH or FW), or a pair
    - padding: zeros added on each side (>= 0)
    - stride: step between windows (>= 1)
    - dilation: spacing between kernel taps (>= 1)

    Returns the output size OH (an int), or (OH, OW).

    >>> conv_output_size(7, 3, padding=0, stride=2)
    3
    >>> conv_output_size((28, 31), 5, padding=2, stride=3)
    (10, 11)
    """
    args = (n, k, padding, stride, dilation)
    pair_given = any(isinstance(a, (tuple, list)) for a in args)
    n2 = as_pair(n, "n", minimum=1)
    k2 = as_pair(k, "k", minimum=1)
    p2 = as_pair(padding, "padding", minimum=0)
    s2 = as_pair(stride, "stride", minimum=1)
    d2 = as_pair(dilation, "dilation", minimum=1)
    where = "conv_output_size"
    if not pair_given:
        return _output_size_1d(n2[0], k2[0], p2[0], s2[0], d2[0], where)
    return tuple(_output_size_1d(n2[a], k2[a], p2[a], s2[a], d2[a], where, axis)
                 for a, axis in ((0, "height"), (1, "width")))


def _out_hw(H, W, kernel, stride, padding, dilation, where, shapes):
    """(OH, OW) for a 2-D window, with the arrays' shapes added to the error message."""
    try:
        return (_output_size_1d(H, kernel[0], padding[0], stride[0], dilation[0], where, "height"),
                _output_size_1d(W, kernel[1], padding[1], stride[1], dilation[1], where, "width"))
    except ValueError as err:
        raise ValueError(f"{err} ({shapes})") from None


# --------------------------------------------------------------------------- padding

def pad2d(x, padding, value=0):
    """Pad the last two axes (height and width) of x with a constant.

    Inputs:
    - x: array of shape (..., H, W), at least 2-D (e.g. (H, W) or (N, C, H, W))
    - padding: p (all four sides), (ph, pw) (top/bottom, left/right), or
      ((top, bottom), (left, right)) for asymmetric padding; all >= 0
    - value: the constant written into the border (0 for convolution, -inf for max pooling)

    Returns a new array of shape (..., H + top + bottom, W + left + right), same dtype as x.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"pad2d: x must be a numpy array, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"pad2d: x must have at least 2 dimensions (..., H, W), "
                         f"got shape {x.shape}")
    if (isinstance(padding, (tuple, list)) and len(padding) == 2
            and all(isinstance(p, (tuple, list)) for p in padding)):
        top, bottom = as_pair(padding[0], "padding (top, bottom)", minimum=0)
        left, right = as_pair(padding[1], "padding (left, right)", minimum=0)
    else:
        (top, left) = (bottom, right) = as_pair(padding, "padding", minimum=0)
    if not isinstance(value, numbers.Real):
        raise TypeError(f"pad2d: value must be a real number, got {value!r}")
    *lead, H, W = x.shape
    out = np.full((*lead, H + top + bottom, W + left + right), value, dtype=x.dtype)
    out[..., top:top + H, left:left + W] = x
    return out


# --------------------------------------------------------------------------- one channel

def corr2d(X, K):
    """2-D cross-correlation of one channel, "valid" mode (no padding, stride 1).

    ``Y[i, j] = sum_{a, b} X[i + a, j + b] * K[a, b]``: what deep-learning libraries call
    convolution.

    Inputs:
    - X: input of shape (H, W)
    - K: kernel of shape (FH, FW), FH <= H and FW <= W

    Returns Y of shape (H - FH + 1, W - FW + 1). Integer inputs give an integer result.
    """
    where = "corr2d"
    check_real_array(X, "X", 2, where=where)
    check_real_array(K, "K", 2, where=where)
    check_same_dtype(where, **{k: a for k, a in (("X", X), ("K", K)) if a.dtype.kind == "f"})
    if K.shape[0] == 0 or K.shape[1] == 0:
        raise ValueError(f"{where}: K is empty (K.shape={K.shape})")
    if K.shape[0] > X.shape[0] or K.shape[1] > X.shape[1]:
        raise ValueError(f"{where}: the kernel is larger than the input "
                         f"(X.shape={X.shape}, K.shape={K.shape})")
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)   # (OH, OW, FH, FW)
    return np.tensordot(windows, K, axes=([2, 3], [0, 1]))


def convolve2d_true(X, K):
    """True 2-D convolution, "valid" mode: cross-correlation with the kernel flipped in both
    axes, ``Y[i, j] = sum_{a, b} X[i + a, j + b] * K[FH-1-a, FW-1-b]``.

    X of shape (H, W), K of shape (FH, FW) -> (H - FH + 1, W - FW + 1), like
    ``scipy.signal.convolve2d(X, K, mode="valid")``.
    """
    check_real_array(K, "K", 2, where="convolve2d_true")
    return corr2d(X, K[::-1, ::-1])


# --------------------------------------------------------------------------- im2col / col2im

def _im2col_args(x_shape, FH, FW, stride, pad, dilation, where, shapes):
    """Check im2col's settings; return (FH, FW), stride, pad, dilation, (OH, OW)."""
    FH = as_int(FH, "FH", minimum=1)
    FW = as_int(FW, "FW", minimum=1)
    stride = as_pair(stride, "stride", minimum=1)
    pad = as_pair(pad, "pad", minimum=0)
    dilation = as_pair(dilation, "dilation", minimum=1)
    out_hw = _out_hw(x_shape[2], x_shape[3], (FH, FW), stride, pad, dilation, where, shapes)
    return (FH, FW), stride, pad, dilation, out_hw


def _offset_slices(i, j, out_hw, stride, dilation):
    """Rows and columns of the padded input that kernel tap (i, j) meets, one per output pixel
    (Saito's ``img[:, :, y:y_max:stride, x:x_max:stride]``)."""
    (OH, OW), (sh, sw), (dh, dw) = out_hw, stride, dilation
    top, left = i * dh, j * dw
    return slice(top, top + sh * OH, sh), slice(left, left + sw * OW, sw)


def im2col(x, FH, FW, stride=1, pad=0, dilation=1):
    """Unfold every receptive field of x into one row of a matrix (image to column).

    Row ``n*OH*OW + oh*OW + ow`` holds the window under output pixel (oh, ow) of image n,
    flattened in (c, fh, fw) order, as in *Deep Learning from Scratch*. A convolution is then
    ``im2col(x, ...) @ W.reshape(FN, -1).T``. The loop runs over the FH*FW kernel taps: tap
    (i, j) sees one strided slice of the padded input, one value per output pixel.

    Inputs:
    - x: data of shape (N, C, H, W)
    - FH, FW: filter height and width
    - stride, pad, dilation: ints or (h, w) pairs

    Returns col of shape (N*OH*OW, C*FH*FW), same dtype as x (integers are allowed, to show
    small examples exactly).
    """
    check_real_array(x, "x", 4, where="im2col")
    (FH, FW), stride, pad, dilation, (OH, OW) = _im2col_args(
        x.shape, FH, FW, stride, pad, dilation, "im2col", f"x.shape={x.shape}")
    N, C = x.shape[:2]
    xp = pad2d(x, pad)
    col = np.empty((N, C, FH, FW, OH, OW), dtype=x.dtype)
    for i in range(FH):
        for j in range(FW):
            rows, cols = _offset_slices(i, j, (OH, OW), stride, dilation)
            col[:, :, i, j] = xp[:, :, rows, cols]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, C * FH * FW)


def col2im(col, x_shape, FH, FW, stride=1, pad=0, dilation=1):
    """Fold an im2col matrix back onto the input grid, summing where windows overlap.

    col2im is the adjoint (transpose) of im2col: ``<im2col(x), c> == <x, col2im(c)>``. It is
    not its inverse: a pixel seen by k windows receives the sum of k entries. Same loop over
    the kernel taps as im2col, with ``+=`` instead of ``=``.

    Inputs:
    - col: array of shape (N*OH*OW, C*FH*FW), rows and columns ordered as im2col makes them
    - x_shape: (N, C, H, W), the shape of the data that was unfolded
    - FH, FW, stride, pad, dilation: as given to im2col

    Returns dx of shape (N, C, H, W), same dtype as col.
    """
    check_real_array(col, "col", 2, where="col2im")
    x_shape = as_shape(x_shape, "x_shape", where="col2im")
    (FH, FW), stride, (ph, pw), dilation, (OH, OW) = _im2col_args(
        x_shape, FH, FW, stride, pad, dilation, "col2im", f"x_shape={x_shape}")
    N, C, H, W = x_shape
    check_shape(col, (N * OH * OW, C * FH * FW), "col", where="col2im")
    col = col.reshape(N, OH, OW, C, FH, FW).transpose(0, 3, 4, 5, 1, 2)
    xp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=col.dtype)
    for i in range(FH):
        for j in range(FW):
            rows, cols = _offset_slices(i, j, (OH, OW), stride, dilation)
            xp[:, :, rows, cols] += col[:, :, i, j]
    return xp[:, :, ph:ph + H, pw:pw + W]


# --------------------------------------------------------------------------- conv2d

def _conv_args(x, W, b, stride, padding, dilation, where):
    """Check conv2d inputs; return (stride, padding, dilation, (OH, OW)) as pairs.

    Shared with ``cnn_course.fast``, so both tiers reject bad input with the same messages.
    """
    check_float_array(x, "x", 4, where=where)
    check_float_array(W, "W", 4, where=where)
    shapes = f"x.shape={x.shape}, W.shape={W.shape}"
    if b is not None:
        check_float_array(b, "b", 1, where=where)
        if b.shape != (W.shape[0],):
            raise ValueError(f"{where}: b must have shape (FN,) = ({W.shape[0]},) to match "
                             f"W, got b.shape={b.shape} ({shapes})")
    check_same_dtype(where, x=x, W=W, b=b)
    if x.shape[1] != W.shape[1]:
        raise ValueError(f"{where}: x has {x.shape[1]} channels but W expects {W.shape[1]} "
                         f"({shapes})")
    if 0 in W.shape or 0 in x.shape:
        raise ValueError(f"{where}: empty array ({shapes})")
    stride = as_pair(stride, "stride", minimum=1)
    padding = as_pair(padding, "padding", minimum=0)
    dilation = as_pair(dilation, "dilation", minimum=1)
    out_hw = _out_hw(x.shape[2], x.shape[3], W.shape[2:], stride, padding, dilation, where,
                     shapes)
    return stride, padding, dilation, out_hw


def conv2d_forward(x, W, b=None, stride=1, padding=0, dilation=1):
    """conv2d that also returns im2col's matrix, for ``conv2d_backward`` to reuse.

    Returns a tuple of:
    - y: output of shape (N, FN, OH, OW)
    - col: im2col matrix of shape (N*OH*OW, C*FH*FW). (The fast tier's cache differs: it is
      this matrix transposed, with its columns in (oh, ow, n) order; pass each tier's cache
      only to the same tier's ``conv2d_backward``.)
    """
    stride, padding, dilation, (OH, OW) = _conv_args(x, W, b, stride, padding, dilation,
                                                     "conv2d")
    N = x.shape[0]
    FN, C, FH, FW = W.shape
    col = im2col(x, FH, FW, stride, padding, dilation)       # (N*OH*OW, C*FH*FW)
    col_W = W.reshape(FN, -1).T                               # (C*FH*FW, FN)
    out = col @ col_W                                         # (N*OH*OW, FN)
    if b is not None:
        out += b
    return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2), col


def conv2d(x, W, b=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation, as in every framework) over a batch.

    ``y[n, f, i, j] = b[f] + sum_{c, a, d} xp[n, c, i*sh + a*dh, j*sw + d*dw] * W[f, c, a, d]``
    where xp is x zero-padded by ``padding`` on each side. Computed as
    ``im2col(x) @ W.reshape(FN, -1).T + b``, reshaped back to (N, FN, OH, OW).

    Inputs:
    - x: data of shape (N, C, H, W)
    - W: filters of shape (FN, C, FH, FW)
    - b: biases of shape (FN,), or None
    - stride, padding, dilation: ints or (h, w) pairs

    Returns y of shape (N, FN, OH, OW), same dtype as x, with
    ``OH = floor((H + 2*ph - dh*(FH - 1) - 1) / sh) + 1`` (and OW likewise).
    """
    return conv2d_forward(x, W, b, stride, padding, dilation)[0]


def conv2d_backward(dy, x, W, stride=1, padding=0, need_dx=True, *, dilation=1, cols=None):
    """Gradients of a conv2d with respect to its input, filters and biases.

    With dy2 = dy as a matrix (N*OH*OW, FN) and W2 = W.reshape(FN, -1), the forward pass was
    ``y2 = col @ W2.T + b``, so ``dW2 = dy2.T @ col``, ``db = dy2.sum(0)`` and
    ``dcol = dy2 @ W2``, which col2im folds back onto the input.

    Inputs:
    - dy: upstream gradient of shape (N, FN, OH, OW)
    - x: the forward input, shape (N, C, H, W)
    - W: the filters, shape (FN, C, FH, FW)
    - stride, padding, dilation: as in the forward call
    - need_dx: if False, skip the input gradient (the first layer does not need it)
    - cols: the im2col matrix returned by ``conv2d_forward`` (recomputed if None), shape
      (N*OH*OW, C*FH*FW)

    Returns a tuple of:
    - dx: gradient of shape (N, C, H, W), or None when need_dx is False
    - dW: gradient of shape (FN, C, FH, FW)
    - db: gradient of shape (FN,)
    """
    where = "conv2d_backward"
    stride, padding, dilation, out_hw = _conv_args(x, W, None, stride, padding, dilation, where)
    check_float_array(dy, "dy", 4, where=where)
    N = x.shape[0]
    FN, C, FH, FW = W.shape
    check_shape(dy, (N, FN, *out_hw), "dy", where=where)
    check_same_dtype(where, dy=dy, x=x)
    if cols is None:
        cols = im2col(x, FH, FW, stride, padding, dilation)
    check_shape(cols, (N * out_hw[0] * out_hw[1], C * FH * FW), "cols", where=where)
    dy2 = dy.transpose(0, 2, 3, 1).reshape(-1, FN)           # (N*OH*OW, FN)
    db = dy2.sum(axis=0)
    dW = (cols.T @ dy2).T.reshape(FN, C, FH, FW)
    if not need_dx:
        return None, dW, db
    dcol = dy2 @ W.reshape(FN, -1)                            # (N*OH*OW, C*FH*FW)
    return col2im(dcol, x.shape, FH, FW, stride, padding, dilation), dW, db


# --------------------------------------------------------------------------- pooling

def _pool_args(x, kernel_size, stride, padding, where):
    """Check pooling inputs; return (kernel, stride, padding, (OH, OW)) as pairs.

    Shared with ``cnn_course.fast``, so both tiers reject bad input with the same messages.
    """
    check_float_array(x, "x", 4, where=where)
    kernel = as_pair(kernel_size, "kernel_size", minimum=1)
    stride = kernel if stride is None else as_pair(stride, "stride", minimum=1)
    padding = as_pair(padding, "padding", minimum=0)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{where}: padding={padding} must be at most half of "
                         f"kernel_size={kernel} (otherwise a window could hold only padding)")
    out_hw = _out_hw(x.shape[2], x.shape[3], kernel, stride, padding, (1, 1), where,
                     f"x.shape={x.shape}, kernel_size={kernel}")
    return kernel, stride, padding, out_hw


def _pool_windows(x, kernel, stride, padding, fill):
    """One pooling window per row: im2col of x padded with ``fill``, reshaped to
    (N*OH*OW*C, KH*KW), rows in (n, oh, ow, c) order."""
    (KH, KW) = kernel
    return im2col(pad2d(x, padding, fill), KH, KW, stride).reshape(-1, KH * KW)


def _pool_fold(dwin, x_shape, kernel, stride, padding):
    """The adjoint of ``_pool_windows``: col2im of the window gradients (N*OH*OW*C, KH*KW),
    without the padding. Returns dx of shape x_shape."""
    (N, C, H, W), (KH, KW), (ph, pw) = x_shape, kernel, padding
    dxp = col2im(dwin.reshape(-1, C * KH * KW), (N, C, H + 2 * ph, W + 2 * pw), KH, KW, stride)
    return dxp[:, :, ph:ph + H, pw:pw + W]


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max pooling: the largest value in each window, channel by channel.

    Inputs:
    - x: data of shape (N, C, H, W)
    - kernel_size: window size, int or (KH, KW)
    - stride: defaults to kernel_size (non-overlapping windows)
    - padding: border filled with -inf (so it never wins), at most kernel_size // 2

    Returns y of shape (N, C, OH, OW), same dtype as x.
    """
    kernel, stride, padding, (OH, OW) = _pool_args(x, kernel_size, stride, padding,
                                                   "max_pool2d")
    N, C = x.shape[:2]
    win = _pool_windows(x, kernel, stride, padding, -np.inf)
    return win.max(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0, *, y=None):
    """Gradient of max pooling: each window sends its gradient to its maximum.

    On ties the *first* maximum in the window (row-major order, what ``argmax`` returns) gets
    the whole gradient, as in PyTorch; the others get zero. With overlapping windows an input
    pixel collects the gradients of every window it wins.

    Inputs:
    - dy: upstream gradient of shape (N, C, OH, OW)
    - x: the forward input, shape (N, C, H, W)
    - kernel_size, stride, padding: as in the forward call
    - y: the forward output; only checked here (argmax finds the maximum from x), the fast
      tier uses it

    Returns dx of shape (N, C, H, W).
    """
    where = "max_pool2d_backward"
    kernel, stride, padding, out_hw = _pool_args(x, kernel_size, stride, padding, where)
    check_float_array(dy, "dy", 4, where=where)
    check_shape(dy, (*x.shape[:2], *out_hw), "dy", where=where)
    check_same_dtype(where, dy=dy, x=x)
    if y is not None:
        check_shape(y, dy.shape, "y", where=where)
    win = _pool_windows(x, kernel, stride, padding, -np.inf)    # (N*OH*OW*C, KH*KW)
    arg_max = win.argmax(axis=1)
    dwin = np.zeros_like(win)
    dwin[np.arange(len(win)), arg_max] = dy.transpose(0, 2, 3, 1).reshape(-1)
    return _pool_fold(dwin, x.shape, kernel, stride, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Average pooling: the mean of each window, channel by channel.

    Zero padding counts in the average (PyTorch's default, count_include_pad=True).

    Inputs:
    - x: data of shape (N, C, H, W)
    - kernel_size, stride (defaults to kernel_size), padding (at most kernel_size // 2)

    Returns y of shape (N, C, OH, OW), same dtype as x.
    """
    kernel, stride, padding, (OH, OW) = _pool_args(x, kernel_size, stride, padding,
                                                   "avg_pool2d")
    N, C = x.shape[:2]
    win = _pool_windows(x, kernel, stride, padding, 0)
    return win.mean(axis=1).reshape(N, OH, OW, C).transpose(0, 3, 1, 2)


def _avg_pool_backward_args(dy, x_shape, kernel_size, stride, padding):
    """Check avg_pool2d_backward's inputs (both tiers); return x_shape, kernel, stride,
    padding and (OH, OW), the pairs as tuples."""
    where = "avg_pool2d_backward"
    check_float_array(dy, "dy", 4, where=where)
    x_shape = as_shape(x_shape, "x_shape", where=where)
    probe = np.broadcast_to(np.zeros((), dy.dtype), x_shape)
    kernel, stride, padding, out_hw = _pool_args(probe, kernel_size, stride, padding, where)
    check_shape(dy, (*x_shape[:2], *out_hw), "dy", where=where)
    return x_shape, kernel, stride, padding, out_hw


def avg_pool2d_backward(dy, x_shape, kernel_size, stride=None, padding=0):
    """Gradient of average pooling: each window spreads dy / (KH*KW) over its pixels.

    Inputs:
    - dy: upstream gradient of shape (N, C, OH, OW)
    - x_shape: (N, C, H, W), the shape of the forward input
    - kernel_size, stride, padding: as in the forward call

    Returns dx of shape x_shape, same dtype as dy.
    """
    x_shape, kernel, stride, padding, out_hw = _avg_pool_backward_args(
        dy, x_shape, kernel_size, stride, padding)
    size = kernel[0] * kernel[1]
    g = dy.transpose(0, 2, 3, 1).reshape(-1, 1) * (1.0 / size)   # (N*OH*OW*C, 1)
    dwin = np.repeat(g, size, axis=1)                             # (N*OH*OW*C, KH*KW)
    return _pool_fold(dwin, x_shape, kernel, stride, padding)


# --------------------------------------------------------------------------- softmax

def softmax(logits):
    """Softmax over the last axis, computed stably (the row maximum is subtracted first).

    Inputs:
    - logits: array of shape (N, K) (any leading shape works)

    Returns probabilities of the same shape and dtype; each row sums to 1.
    """
    check_float_array(logits, "logits", where="softmax")
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def log_softmax(logits):
    """log(softmax(logits)) over the last axis, without overflow or log(0).

    Returns an array of the same shape and dtype as logits.
    """
    check_float_array(logits, "logits", where="log_softmax")
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
