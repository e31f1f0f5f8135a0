"""Pure array operations: cross-correlation, convolution, pooling, im2col and col2im.

Every function takes numpy arrays and returns new ones; nothing is stored between calls. The
backward helpers (``conv2d_backward``, ``max_pool2d_backward``, ``avg_pool2d_backward``) turn the
gradient of a loss with respect to an op's output into gradients with respect to its inputs;
the layer classes in ``cnn_course.layers`` are thin wrappers around them.

Array letters (fixed throughout):

- x: data of shape (N, C, H, W): batch, channels, height, width
- W: filters of shape (FN, C, FH, FW): number of filters, channels, filter height and width
- y: outputs of shape (N, FN, OH, OW) for a convolution, (N, C, OH, OW) for pooling

``stride``, ``padding``, ``kernel_size`` and ``dilation`` are an int or an (h, w) pair. Output
sizes are floored, as in PyTorch and TensorFlow:
``OH = floor((H + 2*padding - dilation*(FH - 1) - 1) / stride) + 1``.

Float inputs keep their dtype: float32 in, float32 out; float32 and float64 are never mixed.

How the fast versions work (the loop versions in ``cnn_course.naive`` say *what* is computed):
a window view built with ``np.lib.stride_tricks.as_strided`` lists every receptive field without
copying; one copy of that view is the im2col matrix, and one matrix product does the whole
convolution. The backward pass reuses that matrix for the filter gradient, and scatters the
input gradient back with a loop over the FH*FW kernel offsets (col2im), a few output rows at
a time so that the data is still in the cache. Pooling takes the maximum (or the sum) of
KH*KW strided views of the input, one per kernel offset; its backward pass compares the
input with the output to find each window's (first) maximum, never calling argmax.

Memory layout. Internally the convolution stores images "batch-last", as (C, H, W, N) in
memory: its patch matrix has shape (C*FH*FW, OH*OW*N), its output comes straight out of the
product as (FN, OH*OW*N), and it is returned as an (N, FN, OH, OW) *view* of that buffer.
With the batch innermost, every strided copy and every shifted add runs over long contiguous
stretches (OW*N numbers) instead of rows of OW, which is what makes numpy fast here. Results
are therefore not always C-contiguous; every op accepts any memory layout, and elementwise
numpy operations keep the layout they are given. ``im2col`` and ``col2im`` keep the book's
(Saito's) row and column order.
"""

import numbers

import numpy as np
from numpy.lib.stride_tricks import as_strided

from cnn_course._validation import (as_int, as_pair, check_float_array, check_same_dtype,
                                    check_shape)

__all__ = [
    "conv_output_size", "pad2d",
    "corr1d", "convolve1d_true", "corr2d", "convolve2d_true",
    "conv2d", "conv2d_forward", "conv2d_backward",
    "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
    "im2col", "col2im", "softmax", "log_softmax",
]


# Size of the blocks of patch gradients in conv2d_backward (floats): about 1 MB in float32.
_BLOCK_FLOATS = 1 << 18


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

def _alloc_like(x, shape, value=None):
    """A new array of the given shape laid out in memory in x's axis order (outermost axis
    first), filled with value (left uninitialised if None)."""
    order = sorted(range(x.ndim), key=lambda a: -abs(x.strides[a]))
    buf = np.empty([shape[a] for a in order], dtype=x.dtype)
    if value is not None:
        buf.fill(value)
    return buf.transpose(np.argsort(order))


def _pad_hw(x, padding, value=0):
    """Pad the last two axes symmetrically by padding=(ph, pw), keeping x's memory layout;
    return x itself if (0, 0)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    *lead, H, W = x.shape
    out = _alloc_like(x, (*lead, H + 2 * ph, W + 2 * pw), value)
    out[..., ph:ph + H, pw:pw + W] = x
    return out


def _batch_last(x, padding):
    """x (N, C, H, W), any layout -> zero-padded C-contiguous buffer (C, H+2ph, W+2pw, N).

    No copy at all when x is already a batch-last view and padding is (0, 0).
    """
    xt = x.transpose(1, 2, 3, 0)
    ph, pw = padding
    if ph == 0 and pw == 0:
        return np.ascontiguousarray(xt)
    C, H, W, N = xt.shape
    out = np.zeros((C, H + 2 * ph, W + 2 * pw, N), dtype=x.dtype)
    out[:, ph:ph + H, pw:pw + W] = xt
    return out


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


# --------------------------------------------------------------------------- one channel, 1-D and 2-D

def _check_numeric(a, name, ndim, where):
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{where}: {name} must be a numpy array, got {type(a).__name__}")
    if a.ndim != ndim:
        raise ValueError(f"{where}: {name} must have {ndim} dimensions, got shape {a.shape}")
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise TypeError(f"{where}: {name} must hold integers or floats, got {a.dtype}")


def _check_pair_dtypes(a, b, names, where):
    if (np.issubdtype(a.dtype, np.floating) and np.issubdtype(b.dtype, np.floating)
            and a.dtype != b.dtype):
        check_same_dtype(where, **{names[0]: a, names[1]: b})


def corr1d(x, k, padding=0, stride=1):
    """1-D cross-correlation: ``y[i] = sum_j x[i*stride + j - padding] * k[j]``.

    Inputs:
    - x: array of shape (L,)
    - k: kernel of shape (F,), F <= L + 2*padding
    - padding: zeros added at both ends (>= 0); stride: step (>= 1)

    Returns y of shape (floor((L + 2*padding - F) / stride) + 1,).
    """
    where = "corr1d"
    _check_numeric(x, "x", 1, where)
    _check_numeric(k, "k", 1, where)
    _check_pair_dtypes(x, k, ("x", "k"), where)
    padding = as_int(padding, "padding", minimum=0)
    stride = as_int(stride, "stride", minimum=1)
    if k.shape[0] == 0:
        raise ValueError(f"{where}: k is empty (k.shape={k.shape})")
    try:
        L_out = _output_size_1d(x.shape[0], k.shape[0], padding, stride, 1, where)
    except ValueError as err:
        raise ValueError(f"{err} (x.shape={x.shape}, k.shape={k.shape})") from None
    if padding:
        x = np.concatenate([np.zeros(padding, x.dtype), x, np.zeros(padding, x.dtype)])
    windows = np.lib.stride_tricks.sliding_window_view(x, k.shape[0])[::stride][:L_out]
    return windows @ k


def convolve1d_true(x, k):
    """True 1-D convolution ("valid"): the kernel is flipped before sliding.

    ``y[i] = sum_j x[i + j] * k[F - 1 - j]``; x of shape (L,), k of shape (F,) -> (L - F + 1,).
    Compare ``numpy.convolve(x, k, mode="valid")``.
    """
    _check_numeric(k, "k", 1, "convolve1d_true")
    return corr1d(x, k[::-1])


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
    _check_numeric(X, "X", 2, where)
    _check_numeric(K, "K", 2, where)
    _check_pair_dtypes(X, K, ("X", "K"), where)
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
    _check_numeric(K, "K", 2, "convolve2d_true")
    return corr2d(X, K[::-1, ::-1])


# --------------------------------------------------------------------------- window views

def _windows(xp, kernel, out_hw, stride, dilation):
    """A read-only view of every receptive field of the padded input xp (N, C, Hp, Wp), any
    layout, of shape (N, OH, OW, C, FH, FW): im2col's rows, then its columns."""
    sN, sC, sH, sW = xp.strides
    N, C = xp.shape[:2]
    (FH, FW), (OH, OW), (sh, sw), (dh, dw) = kernel, out_hw, stride, dilation
    return as_strided(xp, shape=(N, OH, OW, C, FH, FW),
                      strides=(sN, sh * sH, sw * sW, sC, dh * sH, dw * sW), writeable=False)


def _windows_batch_last(xb, kernel, out_hw, stride, dilation):
    """The same windows for a batch-last buffer xb (C, Hp, Wp, N), as a view of shape
    (C, FH, FW, OH, OW, N): conv2d's patch matrix before it is copied."""
    sC, sH, sW, sN = xb.strides
    C, N = xb.shape[0], xb.shape[3]
    (FH, FW), (OH, OW), (sh, sw), (dh, dw) = kernel, out_hw, stride, dilation
    return as_strided(xb, shape=(C, FH, FW, OH, OW, N),
                      strides=(sC, dh * sH, dw * sW, sh * sH, sw * sW, sN), writeable=False)


def _offset_slices(i, j, out_hw, stride, dilation=(1, 1)):
    """Slices picking, for kernel offset (i, j), the input pixel each output position sees."""
    (OH, OW), (sh, sw), (dh, dw) = out_hw, stride, dilation
    top, left = i * dh, j * dw
    return (slice(top, top + sh * (OH - 1) + 1, sh), slice(left, left + sw * (OW - 1) + 1, sw))


def _scatter_windows(d6, dxp, stride, dilation, row0=0):
    """col2im core: add window gradients back onto the input grid, one kernel offset at a time.

    d6 (C, FH, FW, R, OW, N), any strides, holds the gradients of the windows of output rows
    row0 .. row0 + R - 1; they are added into dxp (C, Hp, Wp, N), the padded input's gradient
    stored batch-last.
    """
    FH, FW, R, OW = d6.shape[1:5]
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(FH):
        top = row0 * sh + i * dh
        rows = slice(top, top + sh * (R - 1) + 1, sh)
        for j in range(FW):
            cols = slice(j * dw, j * dw + sw * (OW - 1) + 1, sw)
            dxp[:, rows, cols] += d6[:, i, j]


# --------------------------------------------------------------------------- im2col / col2im

def _im2col_args(x_shape, FH, FW, stride, pad, dilation, where, shapes):
    FH = as_int(FH, "FH", minimum=1)
    FW = as_int(FW, "FW", minimum=1)
    stride = as_pair(stride, "stride", minimum=1)
    pad = as_pair(pad, "pad", minimum=0)
    dilation = as_pair(dilation, "dilation", minimum=1)
    out_hw = _out_hw(x_shape[2], x_shape[3], (FH, FW), stride, pad, dilation, where, shapes)
    return (FH, FW), stride, pad, dilation, out_hw


def im2col(x, FH, FW, stride=1, pad=0, dilation=1):
    """Unfold every receptive field of x into one row of a matrix (image to column).

    Row ``n*OH*OW + oh*OW + ow`` holds the window under output pixel (oh, ow) of image n,
    flattened in (c, fh, fw) order, as in *Deep Learning from Scratch*. A convolution is then
    ``im2col(x, ...) @ W.reshape(FN, -1).T``.

    Inputs:
    - x: data of shape (N, C, H, W)
    - FH, FW: filter height and width
    - stride, pad, dilation: ints or (h, w) pairs

    Returns col of shape (N*OH*OW, C*FH*FW), same dtype as x (integers are allowed, to show
    small examples exactly).
    """
    _check_numeric(x, "x", 4, "im2col")
    kernel, stride, pad, dilation, out_hw = _im2col_args(
        x.shape, FH, FW, stride, pad, dilation, "im2col", f"x.shape={x.shape}")
    N, C = x.shape[:2]
    xp = _pad_hw(x, pad)
    view = _windows(xp, kernel, out_hw, stride, dilation)
    return view.reshape(N * out_hw[0] * out_hw[1], C * kernel[0] * kernel[1])


def col2im(col, x_shape, FH, FW, stride=1, pad=0, dilation=1):
    """Fold an im2col matrix back onto the input grid, summing where windows overlap.

    col2im is the adjoint (transpose) of im2col: ``<im2col(x), c> == <x, col2im(c)>``. It is
    not its inverse: a pixel seen by k windows receives the sum of k entries.

    Inputs:
    - col: array of shape (N*OH*OW, C*FH*FW), rows and columns ordered as im2col makes them
    - x_shape: (N, C, H, W), the shape of the data that was unfolded
    - FH, FW, stride, pad, dilation: as given to im2col

    Returns dx of shape (N, C, H, W), same dtype as col.
    """
    _check_numeric(col, "col", 2, "col2im")
    if not (isinstance(x_shape, (tuple, list)) and len(x_shape) == 4):
        raise ValueError(f"col2im: x_shape must be (N, C, H, W), got {x_shape!r}")
    x_shape = tuple(as_int(v, "x_shape entries", minimum=1) for v in x_shape)
    kernel, stride, pad, dilation, out_hw = _im2col_args(
        x_shape, FH, FW, stride, pad, dilation, "col2im", f"x_shape={x_shape}")
    N, C, _, _ = x_shape
    (FH, FW), (OH, OW) = kernel, out_hw
    check_shape(col, (N * OH * OW, C * FH * FW), "col", where="col2im")
    d6 = col.reshape(N, OH, OW, C, FH, FW).transpose(3, 4, 5, 1, 2, 0)
    (H, W), (ph, pw) = x_shape[2:], pad
    dxp = np.zeros((C, H + 2 * ph, W + 2 * pw, N), dtype=col.dtype)
    _scatter_windows(d6, dxp, stride, dilation)
    return np.ascontiguousarray(dxp[:, ph:ph + H, pw:pw + W].transpose(3, 0, 1, 2))


# --------------------------------------------------------------------------- conv2d

def _conv_args(x, W, b, stride, padding, dilation, where):
    """Check conv2d inputs; return (stride, padding, dilation, (OH, OW)) as pairs."""
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


def _conv2d_cols(x, kernel, out_hw, stride, padding, dilation):
    """The batch-last patch matrix, shape (C*FH*FW, OH*OW*N) (a copy)."""
    N, C = x.shape[:2]
    view = _windows_batch_last(_batch_last(x, padding), kernel, out_hw, stride, dilation)
    return view.reshape(C * kernel[0] * kernel[1], out_hw[0] * out_hw[1] * N)


def conv2d_forward(x, W, b=None, stride=1, padding=0, dilation=1):
    """conv2d that also returns its patch matrix, for ``conv2d_backward`` to reuse.

    Returns a tuple of:
    - y: output of shape (N, FN, OH, OW)
    - cols: patch matrix of shape (C*FH*FW, OH*OW*N): im2col's matrix transposed, with its
      columns in (oh, ow, n) order (batch last)
    """
    stride, padding, dilation, out_hw = _conv_args(x, W, b, stride, padding, dilation,
                                                   "conv2d")
    N = x.shape[0]
    FN, C, FH, FW = W.shape
    cols = _conv2d_cols(x, (FH, FW), out_hw, stride, padding, dilation)
    y = W.reshape(FN, C * FH * FW) @ cols                     # (FN, OH*OW*N)
    if b is not None:
        y += b[:, None]
    return y.reshape(FN, *out_hw, N).transpose(3, 0, 1, 2), cols


def conv2d(x, W, b=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation, as in every framework) over a batch.

    ``y[n, f, i, j] = b[f] + sum_{c, a, d} xp[n, c, i*sh + a*dh, j*sw + d*dw] * W[f, c, a, d]``
    where xp is x zero-padded by ``padding`` on each side.

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

    Inputs:
    - dy: upstream gradient of shape (N, FN, OH, OW)
    - x: the forward input, shape (N, C, H, W)
    - W: the filters, shape (FN, C, FH, FW)
    - stride, padding, dilation: as in the forward call
    - need_dx: if False, skip the input gradient (the first layer does not need it)
    - cols: the patch matrix returned by ``conv2d_forward`` (recomputed if None), shape
      (C*FH*FW, OH*OW*N)

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
    kernel = (FH, FW)
    if cols is None:
        cols = _conv2d_cols(x, kernel, out_hw, stride, padding, dilation)
    else:
        check_shape(cols, (C * FH * FW, out_hw[0] * out_hw[1] * N), "cols", where=where)
    dy2 = dy.transpose(1, 2, 3, 0).reshape(FN, -1)            # (FN, OH*OW*N), free if batch-last
    db = dy2.sum(axis=1)
    dW = (cols @ dy2.T).T.reshape(W.shape)                    # this order is the faster product
    if not need_dx:
        return None, dW, db
    return _conv2d_input_grad(dy2, W, x.shape, out_hw, stride, padding, dilation), dW, db


def _conv2d_input_grad(dy2, W, x_shape, out_hw, stride, padding, dilation):
    """dx = col2im(W^T @ dy2), computed a few output rows at a time.

    dy2 is the output gradient as (FN, OH*OW*N). Each block of patch gradients (about 1 MB)
    is still in the cache when it is scattered back, which beats one big product followed by
    one big scatter. Returns dx (N, C, H, W), a view of a batch-last buffer.
    """
    (N, C, H, Wd), (OH, OW), (ph, pw) = x_shape, out_hw, padding
    FN, _, FH, FW = W.shape
    Wt = W.reshape(FN, -1).T                                   # (C*FH*FW, FN)
    dy3 = dy2.reshape(FN, OH, OW * N)
    dxp = np.zeros((C, H + 2 * ph, Wd + 2 * pw, N), dtype=dy2.dtype)
    rows_per_block = max(1, _BLOCK_FLOATS // (Wt.shape[0] * OW * N))
    for r0 in range(0, OH, rows_per_block):
        r1 = min(OH, r0 + rows_per_block)
        d6 = (Wt @ dy3[:, r0:r1].reshape(FN, -1)).reshape(C, FH, FW, r1 - r0, OW, N)
        _scatter_windows(d6, dxp, stride, dilation, r0)
    return dxp[:, ph:ph + H, pw:pw + Wd].transpose(3, 0, 1, 2)


# --------------------------------------------------------------------------- pooling

def _pool_args(x, kernel_size, stride, padding, where):
    """Check pooling inputs; return (kernel, stride, padding, (OH, OW)) as pairs."""
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


def _offsets(kernel):
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max pooling: the largest value in each window, channel by channel.

    Inputs:
    - x: data of shape (N, C, H, W)
    - kernel_size: window size, int or (KH, KW)
    - stride: defaults to kernel_size (non-overlapping windows)
    - padding: border filled with -inf (so it never wins), at most kernel_size // 2

    Returns y of shape (N, C, OH, OW), same dtype as x.
    """
    kernel, stride, padding, out_hw = _pool_args(x, kernel_size, stride, padding, "max_pool2d")
    xp = _pad_hw(x, padding, -np.inf)
    y = None
    for i, j in _offsets(kernel):
        view = xp[(Ellipsis, *_offset_slices(i, j, out_hw, stride))]
        y = view.copy(order="K") if y is None else np.maximum(y, view, out=y)
    return y


def _like_layout(a, like):
    """a itself if its axes are laid out in memory like those of ``like``, else a copy that is
    (elementwise numpy ops are slow when their operands disagree)."""
    def order(arr):
        return sorted(range(arr.ndim), key=lambda ax: -abs(arr.strides[ax]))
    if order(a) == order(like):
        return a
    out = _alloc_like(like, a.shape)
    out[...] = a
    return out


def _max_pool_backward_tiled(dy, x, y, kernel):
    """max_pool2d_backward when the windows tile the input (stride == kernel_size, no padding).

    Views x as (N, C, OH, KH, OW, KW) blocks and finds every window's first maximum with a
    few whole-array operations instead of one pass per kernel offset.
    """
    (N, C, H, W), (OH, OW), (KH, KW) = x.shape, y.shape[2:], kernel

    def blocks(a):                                     # a view, never a copy
        sN, sC, sH, sW = a.strides
        return as_strided(a, shape=(N, C, OH, KH, OW, KW),
                          strides=(sN, sC, KH * sH, sH, KW * sW, sW))

    x6 = blocks(x)
    hit = x6 == y[:, :, :, None, :, None]              # every maximum of every window
    taken = None                                       # windows whose first maximum is known
    for i, j in _offsets(kernel):
        h = hit[:, :, :, i, :, j]
        if taken is None:
            taken = h.copy(order="K")
        else:
            np.greater(h, taken, out=h)                # h and not taken
            taken |= h
    exact = OH * KH == H and OW * KW == W
    dx = _alloc_like(x, x.shape, None if exact else 0)
    np.multiply(hit, dy[:, :, :, None, :, None], out=blocks(dx))
    return dx


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0, *, y=None):
    """Gradient of max pooling: each window sends its gradient to its maximum.

    On ties the *first* maximum in the window (row-major order) gets the whole gradient, as
    in PyTorch; the others get zero. With overlapping windows an input pixel collects the
    gradients of every window it wins.

    Inputs:
    - dy: upstream gradient of shape (N, C, OH, OW)
    - x: the forward input, shape (N, C, H, W)
    - kernel_size, stride, padding: as in the forward call
    - y: the forward output (recomputed if None)

    Returns dx of shape (N, C, H, W).
    """
    where = "max_pool2d_backward"
    kernel, stride, padding, out_hw = _pool_args(x, kernel_size, stride, padding, where)
    check_float_array(dy, "dy", 4, where=where)
    check_shape(dy, (*x.shape[:2], *out_hw), "dy", where=where)
    check_same_dtype(where, dy=dy, x=x)
    if y is None:
        y = max_pool2d(x, kernel, stride, padding)
    else:
        check_shape(y, dy.shape, "y", where=where)
    dy = _like_layout(dy, y)
    if stride == kernel and padding == (0, 0):
        return _max_pool_backward_tiled(dy, x, y, kernel)
    xp = _pad_hw(x, padding, -np.inf)
    dxp = np.zeros_like(xp)
    overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
    offsets = _offsets(kernel)
    pending = None                 # windows whose maximum has not been found yet
    for k, (i, j) in enumerate(offsets):
        sl = (Ellipsis, *_offset_slices(i, j, out_hw, stride))
        hit = xp[sl] == y
        if pending is None:
            pending = ~hit
        else:
            hit &= pending
            if k < len(offsets) - 1:
                pending ^= hit
        if overlapping:
            dxp[sl] += dy * hit
        else:
            np.multiply(dy, hit, out=dxp[sl])
    ph, pw = padding
    return dxp[..., ph:ph + x.shape[2], pw:pw + x.shape[3]]


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Average pooling: the mean of each window, channel by channel.

    Zero padding counts in the average (PyTorch's default, count_include_pad=True).

    Inputs:
    - x: data of shape (N, C, H, W)
    - kernel_size, stride (defaults to kernel_size), padding (at most kernel_size // 2)

    Returns y of shape (N, C, OH, OW), same dtype as x.
    """
    kernel, stride, padding, out_hw = _pool_args(x, kernel_size, stride, padding, "avg_pool2d")
    xp = _pad_hw(x, padding)
    y = None
    for i, j in _offsets(kernel):
        view = xp[(Ellipsis, *_offset_slices(i, j, out_hw, stride))]
        y = view.copy(order="K") if y is None else np.add(y, view, out=y)
    y *= 1.0 / (kernel[0] * kernel[1])
    return y


def avg_pool2d_backward(dy, x_shape, kernel_size, stride=None, padding=0):
    """Gradient of average pooling: each window spreads dy / (KH*KW) over its pixels.

    Inputs:
    - dy: upstream gradient of shape (N, C, OH, OW)
    - x_shape: (N, C, H, W), the shape of the forward input
    - kernel_size, stride, padding: as in the forward call

    Returns dx of shape x_shape, same dtype as dy.
    """
    where = "avg_pool2d_backward"
    check_float_array(dy, "dy", 4, where=where)
    if not (isinstance(x_shape, (tuple, list)) and len(x_shape) == 4):
        raise ValueError(f"{where}: x_shape must be (N, C, H, W), got {x_shape!r}")
    x_shape = tuple(as_int(v, "x_shape entries", minimum=1) for v in x_shape)
    probe = np.broadcast_to(np.zeros((), dy.dtype), x_shape)
    kernel, stride, padding, out_hw = _pool_args(probe, kernel_size, stride, padding, where)
    check_shape(dy, (*x_shape[:2], *out_hw), "dy", where=where)
    (ph, pw), (N, C, H, W) = padding, x_shape
    dxp = _alloc_like(dy, (N, C, H + 2 * ph, W + 2 * pw), 0)     # in dy's memory layout
    g = dy * (1.0 / (kernel[0] * kernel[1]))
    overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
    for i, j in _offsets(kernel):
        sl = (Ellipsis, *_offset_slices(i, j, out_hw, stride))
        if overlapping:
            dxp[sl] += g
        else:
            dxp[sl] = g
    return dxp[..., ph:ph + H, pw:pw + W]


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
