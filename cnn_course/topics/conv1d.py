"""1-D convolution and its gradients, written as the loops chapter 5 derives.

A 1-D "convolution" here is the cross-correlation deep-learning libraries compute: with the
input padded by ``pad`` zeros at both ends,

    y[o] = sum_k w[k] * x_pad[o + k],        o = 0 .. L + 2*pad - K,

for an input ``x`` of length L and a kernel ``w`` of length K (stride 1). Its two gradients,
given the upstream gradient ``dy = dLoss/dy``, are

    dx_pad[i] = sum_k dy_full[i + K - 1 - k] * w[k]    (dy padded by K - 1: a *full*
                                                        correlation with the flipped kernel)
    dw[k]     = sum_o x_pad[o + k] * dy[o]             (a *valid* correlation of x_pad with dy)

and ``dx`` is ``dx_pad`` without its first and last ``pad`` entries (the padded zeros are not
inputs). The batch versions take x of shape (N, L): the input gradient is computed sample by
sample, the filter gradient is summed over the batch (the same w meets every sample).

The loops are the lesson; ``np.correlate`` gives the same numbers and the tests compare them.
``nudge_sum`` is the "sum of outputs" check: nudge one entry and watch how much sum(y) moves.
"""

import numpy as np

from cnn_course._validation import as_int, check_float_array, check_same_dtype, check_shape

__all__ = ["pad1d", "conv1d", "conv1d_input_grad", "conv1d_filter_grad", "conv1d_batch",
           "conv1d_batch_input_grad", "conv1d_batch_filter_grad", "nudge_sum"]


def pad1d(x, pad):
    """Pad a 1-D array with ``pad`` zeros at both ends.

    Inputs:
    - x: input, of shape (L,)
    - pad: number of zeros on each side (int >= 0)

    Returns:
    - x_pad: of shape (L + 2*pad,), same dtype as x
    """
    pad = as_int(pad, "pad", minimum=0)
    x = np.asarray(x)
    zeros = np.zeros(pad, dtype=x.dtype)
    return np.concatenate([zeros, x, zeros])


def _check(x, w, pad, where, x_ndim=1):
    check_float_array(x, "x", x_ndim, where=where)
    check_float_array(w, "w", 1, where=where)
    check_same_dtype(where, x=x, w=w)
    pad = as_int(pad, "pad", minimum=0)
    out_len = x.shape[-1] + 2 * pad - w.shape[0] + 1
    if out_len < 1:
        raise ValueError(f"{where}: kernel of length {w.shape[0]} is longer than the padded "
                         f"input (x.shape={x.shape}, pad={pad})")
    return pad, out_len


def _check_dy(dy, shape, where):
    check_float_array(dy, "dy", len(shape), where=where)
    check_shape(dy, shape, "dy", where=where)


def conv1d(x, w, pad=0):
    """1-D cross-correlation of one sequence with one kernel, stride 1.

    Inputs:
    - x: input, of shape (L,)
    - w: kernel, of shape (K,)
    - pad: zeros added at both ends of x

    Returns:
    - y: of shape (L + 2*pad - K + 1,), y[o] = sum_k w[k] * x_pad[o + k]
    """
    pad, out_len = _check(x, w, pad, "conv1d")
    x_pad = pad1d(x, pad)
    y = np.zeros(out_len, dtype=x.dtype)
    for o in range(out_len):
        for k in range(len(w)):
            y[o] += w[k] * x_pad[o + k]
    return y


def conv1d_input_grad(x, w, dy, pad=0):
    """Gradient of the loss with respect to the input of conv1d(x, w, pad).

    Input x[i] sits at x_pad[i + pad]; it meets output o through weight
    w[k] whenever o + k = i + pad. Summing dy[o] * w[k] over those pairs
    is a correlation of dy, padded by K - 1 ("full"), with the flipped
    kernel.

    Inputs:
    - x: input of the forward pass, of shape (L,) (only its shape counts)
    - w: kernel, of shape (K,)
    - dy: upstream gradient, of shape (L + 2*pad - K + 1,)
    - pad: the forward pass's padding

    Returns:
    - dx: of shape (L,)
    """
    pad, out_len = _check(x, w, pad, "conv1d_input_grad")
    _check_dy(dy, (out_len,), "conv1d_input_grad")
    K = len(w)
    dy_full = pad1d(dy, K - 1)
    dx_pad = np.zeros(len(x) + 2 * pad, dtype=x.dtype)
    for i in range(len(dx_pad)):
        for k in range(K):
            dx_pad[i] += dy_full[i + K - 1 - k] * w[k]
    return dx_pad[pad:pad + len(x)]


def conv1d_filter_grad(x, w, dy, pad=0):
    """Gradient of the loss with respect to the kernel of conv1d(x, w, pad).

    Inputs:
    - x: input, of shape (L,)
    - w: kernel, of shape (K,) (only its shape is used)
    - dy: upstream gradient, of shape (L + 2*pad - K + 1,)
    - pad: the forward pass's padding

    Returns:
    - dw: of shape (K,), dw[k] = sum_o x_pad[o + k] * dy[o]
    """
    pad, out_len = _check(x, w, pad, "conv1d_filter_grad")
    _check_dy(dy, (out_len,), "conv1d_filter_grad")
    x_pad = pad1d(x, pad)
    dw = np.zeros(len(w), dtype=x.dtype)
    for k in range(len(w)):
        for o in range(out_len):
            dw[k] += x_pad[o + k] * dy[o]
    return dw


def conv1d_batch(x, w, pad=0):
    """``conv1d`` applied to every sequence of a batch.

    Inputs:
    - x: inputs, of shape (N, L)
    - w: kernel, of shape (K,)
    - pad: zeros added at both ends of each sequence

    Returns:
    - y: of shape (N, L + 2*pad - K + 1)
    """
    _check(x, w, pad, "conv1d_batch", x_ndim=2)
    return np.stack([conv1d(x_n, w, pad) for x_n in x])


def conv1d_batch_input_grad(x, w, dy, pad=0):
    """Input gradient of ``conv1d_batch``: each sample's own gradient, stacked.

    Inputs:
    - x: inputs, of shape (N, L); w: kernel, of shape (K,)
    - dy: upstream gradient, of shape (N, L + 2*pad - K + 1)

    Returns:
    - dx: of shape (N, L)
    """
    pad, out_len = _check(x, w, pad, "conv1d_batch_input_grad", x_ndim=2)
    _check_dy(dy, (x.shape[0], out_len), "conv1d_batch_input_grad")
    return np.stack([conv1d_input_grad(x_n, w, dy_n, pad) for x_n, dy_n in zip(x, dy)])


def conv1d_batch_filter_grad(x, w, dy, pad=0):
    """Filter gradient of ``conv1d_batch``: the per-sample gradients, summed over the batch.

    Inputs:
    - x: inputs, of shape (N, L); w: kernel, of shape (K,)
    - dy: upstream gradient, of shape (N, L + 2*pad - K + 1)

    Returns:
    - dw: of shape (K,)
    """
    pad, out_len = _check(x, w, pad, "conv1d_batch_filter_grad", x_ndim=2)
    _check_dy(dy, (x.shape[0], out_len), "conv1d_batch_filter_grad")
    dw = np.zeros(len(w), dtype=x.dtype)
    for x_n, dy_n in zip(x, dy):
        dw += conv1d_filter_grad(x_n, w, dy_n, pad)
    return dw


def nudge_sum(f, a, index, alpha=1.0):
    """The "sum of outputs" check: how fast does sum(f(a)) grow when a[index] grows?

    If the loss is L = sum(y), then dL/dy is all ones, and the change of sum(f(a)) when one
    entry of ``a`` moves by ``alpha``, divided by alpha, is that entry's gradient. For a
    convolution (linear in each argument) the quotient is exact for any alpha.

    Inputs:
    - f: a function of one array returning an array (e.g. ``lambda x: conv1d(x, w, 1)``)
    - a: the array to nudge (not modified)
    - index: an index into ``a`` (int or tuple)
    - alpha: the size of the nudge

    Returns:
    - (sum(f(a + alpha*e_index)) - sum(f(a))) / alpha, a Python float
    """
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"nudge_sum: a must be a float array, got {a.dtype}")
    if alpha == 0:
        raise ValueError("nudge_sum: alpha must be non-zero")
    nudged = a.copy()
    nudged[index] += alpha
    return float((np.sum(f(nudged)) - np.sum(f(a))) / alpha)
