"""Loop versions of the ops in ``cnn_course.functional``: slow, but they read like the maths.

Each function visits every output position with plain Python loops and computes it from
its window, exactly as the definitions say. The book shows them before the im2col versions,
and the tests use them as oracles for both other tiers: ``functional.conv2d`` (the reference)
and ``fast.conv2d`` (what the layers train with) must agree with ``conv2d_naive``.

Shapes: x (N, C, H, W), W (FN, C, FH, FW), y (N, FN, OH, OW) (pooling: (N, C, OH, OW)).
``stride``, ``padding``, ``kernel_size`` and ``dilation`` are an int or an (h, w) pair.
"""

import numpy as np

from cnn_course._validation import as_pair, check_float_array

__all__ = ["corr2d_naive", "conv2d_naive", "conv2d_backward_naive",
           "max_pool2d_naive", "max_pool2d_backward_naive",
           "avg_pool2d_naive", "avg_pool2d_backward_naive", "im2col_naive", "col2im_naive"]


def _out_size(n, k, pad, stride, dilation, where):
    span = dilation * (k - 1) + 1
    if n + 2 * pad < span:
        raise ValueError(f"{where}: a window of span {span} does not fit in n={n} with "
                         f"padding={pad}")
    return (n + 2 * pad - span) // stride + 1


def _pad(x, ph, pw, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _window(i, j, kh, kw, stride, dilation=(1, 1)):
    """Rows and columns of the window under output pixel (i, j)."""
    (sh, sw), (dh, dw) = stride, dilation
    top, left = i * sh, j * sw
    return (slice(top, top + dh * (kh - 1) + 1, dh), slice(left, left + dw * (kw - 1) + 1, dw))


def corr2d_naive(X, K):
    """2-D cross-correlation of one channel ("valid"), two loops over the output.

    X of shape (H, W), K of shape (FH, FW) -> Y of shape (H - FH + 1, W - FW + 1).
    """
    if np.ndim(X) != 2 or np.ndim(K) != 2:
        raise ValueError(f"corr2d_naive: X and K must be 2-D, got shapes {np.shape(X)} and "
                         f"{np.shape(K)}")
    FH, FW = K.shape
    OH = _out_size(X.shape[0], FH, 0, 1, 1, "corr2d_naive")
    OW = _out_size(X.shape[1], FW, 0, 1, 1, "corr2d_naive")
    Y = np.zeros((OH, OW), dtype=np.result_type(X, K))
    for i in range(OH):
        for j in range(OW):
            Y[i, j] = (X[i:i + FH, j:j + FW] * K).sum()
    return Y


def conv2d_naive(x, W, b=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation) over a batch, one output value at a time.

    Inputs:
    - x: data of shape (N, C, H, W)
    - W: filters of shape (FN, C, FH, FW)
    - b: biases of shape (FN,), or None

    Returns y of shape (N, FN, OH, OW).
    """
    check_float_array(x, "x", 4, where="conv2d_naive")
    check_float_array(W, "W", 4, where="conv2d_naive")
    if x.shape[1] != W.shape[1]:
        raise ValueError(f"conv2d_naive: x has {x.shape[1]} channels but W expects "
                         f"{W.shape[1]} (x.shape={x.shape}, W.shape={W.shape})")
    stride = as_pair(stride, "stride", minimum=1)
    dilation = as_pair(dilation, "dilation", minimum=1)
    ph, pw = as_pair(padding, "padding", minimum=0)
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH = _out_size(H, FH, ph, stride[0], dilation[0], "conv2d_naive")
    OW = _out_size(Wd, FW, pw, stride[1], dilation[1], "conv2d_naive")
    xp = _pad(x, ph, pw)
    y = np.zeros((N, FN, OH, OW), dtype=x.dtype)
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    rows, cols = _window(i, j, FH, FW, stride, dilation)
                    y[n, f, i, j] = np.sum(xp[n, :, rows, cols] * W[f])
            if b is not None:
                y[n, f] += b[f]
    return y


def conv2d_backward_naive(dy, x, W, stride=1, padding=0, dilation=1):
    """Gradients of conv2d by the chain rule, one output value at a time.

    Output value y[n, f, i, j] used the window xp[n, :, rows, cols] and filter W[f], so it
    sends dy[n, f, i, j] * window to dW[f] and dy[n, f, i, j] * W[f] to that window of dx.

    Returns a tuple (dx of shape (N, C, H, W), dW of shape (FN, C, FH, FW), db of shape (FN,)).
    """
    check_float_array(dy, "dy", 4, where="conv2d_backward_naive")
    stride = as_pair(stride, "stride", minimum=1)
    dilation = as_pair(dilation, "dilation", minimum=1)
    ph, pw = as_pair(padding, "padding", minimum=0)
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    xp = _pad(x, ph, pw)
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    for n in range(N):
        for f in range(FN):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    rows, cols = _window(i, j, FH, FW, stride, dilation)
                    dW[f] += dy[n, f, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dy[n, f, i, j] * W[f]
    db = dy.sum(axis=(0, 2, 3))
    return dxp[:, :, ph:ph + H, pw:pw + Wd], dW, db


def _pool_setup(x, kernel_size, stride, padding, where):
    check_float_array(x, "x", 4, where=where)
    kernel = as_pair(kernel_size, "kernel_size", minimum=1)
    stride = kernel if stride is None else as_pair(stride, "stride", minimum=1)
    padding = as_pair(padding, "padding", minimum=0)
    OH = _out_size(x.shape[2], kernel[0], padding[0], stride[0], 1, where)
    OW = _out_size(x.shape[3], kernel[1], padding[1], stride[1], 1, where)
    return kernel, stride, padding, OH, OW


def max_pool2d_naive(x, kernel_size, stride=None, padding=0):
    """Max pooling, one window at a time; padding is -inf. Returns y (N, C, OH, OW)."""
    (KH, KW), stride, (ph, pw), OH, OW = _pool_setup(x, kernel_size, stride, padding,
                                                     "max_pool2d_naive")
    xp = _pad(x, ph, pw, -np.inf)
    N, C = x.shape[:2]
    y = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    y[n, c, i, j] = xp[(n, c, *_window(i, j, KH, KW, stride))].max()
    return y


def max_pool2d_backward_naive(dy, x, kernel_size, stride=None, padding=0):
    """Gradient of max pooling: each window's dy goes to its first maximum (row-major).

    Returns dx of shape (N, C, H, W).
    """
    (KH, KW), stride, (ph, pw), OH, OW = _pool_setup(x, kernel_size, stride, padding,
                                                     "max_pool2d_backward_naive")
    xp = _pad(x, ph, pw, -np.inf)
    dxp = np.zeros_like(xp)
    N, C = x.shape[:2]
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    rows, cols = _window(i, j, KH, KW, stride)
                    a, b = np.unravel_index(np.argmax(xp[n, c, rows, cols]), (KH, KW))
                    dxp[n, c, rows.start + a, cols.start + b] += dy[n, c, i, j]
    return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]


def avg_pool2d_naive(x, kernel_size, stride=None, padding=0):
    """Average pooling, one window at a time; zero padding counts in the mean."""
    (KH, KW), stride, (ph, pw), OH, OW = _pool_setup(x, kernel_size, stride, padding,
                                                     "avg_pool2d_naive")
    xp = _pad(x, ph, pw)
    N, C = x.shape[:2]
    y = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    y[n, c, i, j] = xp[(n, c, *_window(i, j, KH, KW, stride))].mean()
    return y


def avg_pool2d_backward_naive(dy, x, kernel_size, stride=None, padding=0):
    """Gradient of average pooling: each window spreads dy / (KH*KW) over its pixels."""
    (KH, KW), stride, (ph, pw), OH, OW = _pool_setup(x, kernel_size, stride, padding,
                                                     "avg_pool2d_backward_naive")
    dxp = np.zeros_like(_pad(x, ph, pw))
    N, C = x.shape[:2]
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    dxp[(n, c, *_window(i, j, KH, KW, stride))] += dy[n, c, i, j] / (KH * KW)
    return dxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]


def im2col_naive(x, FH, FW, stride=1, pad=0):
    """im2col with loops: one row per (image, output pixel), the window flattened as (c, fh, fw).

    Returns col of shape (N*OH*OW, C*FH*FW).
    """
    check_float_array(x, "x", 4, where="im2col_naive")
    stride = as_pair(stride, "stride", minimum=1)
    ph, pw = as_pair(pad, "pad", minimum=0)
    N, C, H, W = x.shape
    OH = _out_size(H, FH, ph, stride[0], 1, "im2col_naive")
    OW = _out_size(W, FW, pw, stride[1], 1, "im2col_naive")
    xp = _pad(x, ph, pw)
    col = np.zeros((N * OH * OW, C * FH * FW), dtype=x.dtype)
    row = 0
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                col[row] = xp[(n, slice(None), *_window(i, j, FH, FW, stride))].reshape(-1)
                row += 1
    return col


def col2im_naive(col, x_shape, FH, FW, stride=1, pad=0):
    """col2im with loops: add each row of col back onto the window it came from."""
    check_float_array(col, "col", 2, where="col2im_naive")
    stride = as_pair(stride, "stride", minimum=1)
    ph, pw = as_pair(pad, "pad", minimum=0)
    N, C, H, W = x_shape
    OH = _out_size(H, FH, ph, stride[0], 1, "col2im_naive")
    OW = _out_size(W, FW, pw, stride[1], 1, "col2im_naive")
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=col.dtype)
    row = 0
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                dxp[(n, slice(None), *_window(i, j, FH, FW, stride))] += \
                    col[row].reshape(C, FH, FW)
                row += 1
    return dxp[:, :, ph:ph + H, pw:pw + W]
