"""Reference solutions for chapter 5 (Implementing convolution), shown in the book.

Plain numpy, written the way a learner would: loops where the lesson is the index pattern,
one matrix product where the lesson is im2col. The known wrong answers (the mistakes the
checkers in ``ch05`` recognise) are at the bottom.
"""

import numpy as np

from cnn_course.exercises.core import Mistake
from cnn_course.functional import im2col as im2col_fast

__all__ = ["im2col", "conv_forward", "conv1d_input_grad", "conv1d_filter_grad",
           "max_pool_backward", "IM2COL_MISTAKES", "CONV_FORWARD_MISTAKES", "INPUT_GRAD_MISTAKES",
           "FILTER_GRAD_MISTAKES", "MAX_POOL_BACKWARD_MISTAKES"]


def im2col(x, FH, FW, stride=1, pad=0):
    """Unfold every FH x FW window of x (N, C, H, W) into a row: (N*OH*OW, C*FH*FW)."""
    N, C, H, W = x.shape
    OH = (H + 2 * pad - FH) // stride + 1
    OW = (W + 2 * pad - FW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((N * OH * OW, C * FH * FW), dtype=x.dtype)
    row = 0
    for n in range(N):
        for i in range(OH):                  # rows of positions in reading order:
            for j in range(OW):              # i (height) outside, j (width) inside
                top, left = i * stride, j * stride
                window = xp[n, :, top:top + FH, left:left + FW]    # (C, FH, FW)
                col[row] = window.reshape(-1)                       # (c, fh, fw) order
                row += 1
    return col


def conv_forward(x, W, b, stride=1, pad=0):
    """Convolution of x (N, C, H, W) with filters W (FN, C, FH, FW) and biases b (FN,)."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH = (H + 2 * pad - FH) // stride + 1
    OW = (Wd + 2 * pad - FW) // stride + 1
    col = im2col_fast(x, FH, FW, stride, pad)     # (N*OH*OW, C*FH*FW)
    col_W = W.reshape(FN, -1).T                   # (C*FH*FW, FN): one column per filter
    out = col @ col_W + b                         # (N*OH*OW, FN): b[f] lands in column f
    return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


def conv1d_input_grad(x, w, dy, pad=0):
    """dLoss/dx for y = conv1d(x, w, pad) (x: (L,), w: (K,), dy: (L + 2*pad - K + 1,))."""
    K = len(w)
    dy_full = np.pad(dy, K - 1)                   # every output an input can meet, plus zeros
    dx_pad = np.zeros(len(x) + 2 * pad)           # gradient w.r.t. the padded input
    for i in range(len(dx_pad)):
        for k in range(K):                        # x_pad[i] met y[o] through w[k] when o = i - k
            dx_pad[i] += dy_full[i + K - 1 - k] * w[k]
    return dx_pad[pad:pad + len(x)]               # the padded zeros are not inputs


def conv1d_filter_grad(x, w, dy, pad=0):
    """dLoss/dw for a batch: x (N, L), w (K,), dy (N, L + 2*pad - K + 1) -> dw (K,)."""
    K = len(w)
    dw = np.zeros(K)
    for n in range(len(x)):                       # the same w meets every sample: sum them
        x_pad = np.pad(x[n], pad)
        for k in range(K):
            for o in range(dy.shape[1]):          # output o saw x_pad[o : o + K]
                dw[k] += x_pad[o + k] * dy[n, o]
    return dw


def max_pool_backward(x, dy, size=2, stride=2):
    """dLoss/dx for y = max_pool(x) with size x size windows; x (N, C, H, W), dy (N, C, OH, OW)."""
    N, C, OH, OW = dy.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    top, left = i * stride, j * stride
                    window = x[n, c, top:top + size, left:left + size]
                    a, b = np.unravel_index(np.argmax(window), window.shape)  # first maximum
                    dx[n, c, top + a, left + b] += dy[n, c, i, j]   # += : windows may overlap
    return dx


# --------------------------------------------------------------------------------------
# Known wrong answers: each is recognised by its checker with a specific message.

def _im2col_channel_last(x, FH, FW, stride=1, pad=0):
    N, C, H, W = x.shape
    OH, OW = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    rows = []
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                window = xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
                rows.append(window.transpose(1, 2, 0).reshape(-1))   # (fh, fw, c) order
    return np.array(rows)


def _im2col_column_major_positions(x, FH, FW, stride=1, pad=0):
    N, C, H, W = x.shape
    OH, OW = (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    rows = []
    for n in range(N):
        for j in range(OW):                     # width outside, height inside
            for i in range(OH):
                rows.append(xp[n, :, i * stride:i * stride + FH,
                               j * stride:j * stride + FW].reshape(-1))
    return np.array(rows)


def _im2col_no_padding(x, FH, FW, stride=1, pad=0):
    N, C, H, W = x.shape
    OH, OW = (H - FH) // stride + 1, (W - FW) // stride + 1
    rows = []
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                rows.append(x[n, :, i * stride:i * stride + FH,
                              j * stride:j * stride + FW].reshape(-1))
    return np.array(rows)


IM2COL_MISTAKES = [
    Mistake(_im2col_channel_last, expect="(fh, fw, c) order",
            why="window flattened channel-last"),
    Mistake(_im2col_column_major_positions, expect="column by column",
            why="output positions visited width-first"),
    Mistake(_im2col_no_padding, expect="was not padded", why="forgot to pad"),
]


def _conv_forward_parts(x, W, stride, pad):
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = (H + 2 * pad - FH) // stride + 1, (Wd + 2 * pad - FW) // stride + 1
    return im2col_fast(x, FH, FW, stride, pad), N, FN, OH, OW


def _conv_forward_no_transpose(x, W, b, stride=1, pad=0):
    col, N, FN, OH, OW = _conv_forward_parts(x, W, stride, pad)
    out = col @ W.reshape(FN, -1).T + b
    return out.reshape(N, FN, OH, OW)


def _conv_forward_filter_reshaped_wrong(x, W, b, stride=1, pad=0):
    col, N, FN, OH, OW = _conv_forward_parts(x, W, stride, pad)
    out = col @ W.reshape(-1, FN) + b
    return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


def _conv_forward_bias_on_last_axis(x, W, b, stride=1, pad=0):
    col, N, FN, OH, OW = _conv_forward_parts(x, W, stride, pad)
    out = (col @ W.reshape(FN, -1).T).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
    return out + b                    # broadcasts b along the width axis, not the channels


CONV_FORWARD_MISTAKES = [
    Mistake(_conv_forward_no_transpose, expect="transpose(0, 3, 1, 2)",
            why="reshaped straight to (N, FN, OH, OW)"),
    Mistake(_conv_forward_filter_reshaped_wrong, expect="W.reshape(FN, -1).T",
            why="W.reshape(-1, FN) mixes filters"),
    Mistake(_conv_forward_bias_on_last_axis, expect="bias",
            why="bias broadcast along the width"),
]


def _input_grad_not_flipped(x, w, dy, pad=0):
    K = len(w)
    dy_full = np.pad(dy, K - 1)
    dx_pad = np.zeros(len(x) + 2 * pad)
    for i in range(len(dx_pad)):
        for k in range(K):
            dx_pad[i] += dy_full[i + k] * w[k]
    return dx_pad[pad:pad + len(x)]


def _input_grad_notes_padding(x, w, dy, pad=0):
    K = len(w)
    dy_pad = np.pad(dy, pad)                       # padded like the input: right only if K = 2*pad + 1
    dx = np.zeros(len(x))
    for i in range(len(x)):
        for k in range(K):
            j = i + K - 1 - k
            if 0 <= j < len(dy_pad):
                dx[i] += dy_pad[j] * w[k]
    return dx


def _input_grad_no_sum(x, w, dy, pad=0):
    K = len(w)
    dy_full = np.pad(dy, K - 1)
    dx_pad = np.zeros(len(x) + 2 * pad)
    for i in range(len(dx_pad)):
        for k in range(K):
            dx_pad[i] = dy_full[i + K - 1 - k] * w[k]   # = instead of +=
    return dx_pad[pad:pad + len(x)]


INPUT_GRAD_MISTAKES = [
    Mistake(_input_grad_not_flipped, expect="not flipped", why="correlated with w, not w[::-1]"),
    Mistake(_input_grad_notes_padding, expect="K - 1 - pad",
            why="padded dy by pad (the notes' recipe) instead of K - 1 - pad"),
    Mistake(_input_grad_no_sum, expect="sum", why="kept one term instead of adding all"),
]


def _filter_grad_last_sample_only(x, w, dy, pad=0):
    K = len(w)
    for n in range(len(x)):
        dw = np.zeros(K)                           # reset inside the loop: only the last survives
        x_pad = np.pad(x[n], pad)
        for k in range(K):
            for o in range(dy.shape[1]):
                dw[k] += x_pad[o + k] * dy[n, o]
    return dw


def _filter_grad_dy_flipped(x, w, dy, pad=0):
    return conv1d_filter_grad(x, w, dy[:, ::-1], pad)


def _filter_grad_off_by_one(x, w, dy, pad=0):
    K = len(w)
    dw = np.zeros(K)
    for n in range(len(x)):
        x_pad = np.pad(x[n], pad)
        for k in range(K):
            for o in range(dy.shape[1]):
                dw[k] += x_pad[o + k - 1] * dy[n, o]    # window starts one too early
    return dw


FILTER_GRAD_MISTAKES = [
    Mistake(_filter_grad_last_sample_only, expect="sum over the batch",
            why="dw reset per sample"),
    Mistake(_filter_grad_dy_flipped, expect="dy was flipped", why="flipped dy"),
    Mistake(_filter_grad_off_by_one, expect="shifted by one", why="x_pad[o + k - 1]"),
]


def _pool_backward_every_element(x, dy, size=2, stride=2):
    N, C, OH, OW = dy.shape
    dx = np.zeros_like(x)
    for i in range(OH):
        for j in range(OW):
            dx[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += \
                dy[:, :, i:i + 1, j:j + 1]
    return dx


def _pool_backward_average(x, dy, size=2, stride=2):
    return _pool_backward_every_element(x, dy / (size * size), size, stride)


def _pool_backward_ties_doubled(x, dy, size=2, stride=2):
    N, C, OH, OW = dy.shape
    dx = np.zeros_like(x)
    for i in range(OH):
        for j in range(OW):
            sl = (slice(None), slice(None), slice(i * stride, i * stride + size),
                  slice(j * stride, j * stride + size))
            window = x[sl]
            mask = window == window.max(axis=(2, 3), keepdims=True)   # every tied maximum
            dx[sl] += mask * dy[:, :, i:i + 1, j:j + 1]
    return dx


MAX_POOL_BACKWARD_MISTAKES = [
    Mistake(_pool_backward_every_element, expect="every element",
            why="copied dy to the whole window"),
    Mistake(_pool_backward_average, expect="average pooling",
            why="spread dy evenly"),
    Mistake(_pool_backward_ties_doubled, expect="tie", why="all tied maxima got dy"),
]
