"""Reference solutions for chapter 5 (Implementing convolution), shown in the book.

Plain numpy, written the way a learner would: loops where the lesson is the index pattern,
one matrix product where the lesson is im2col. Each solution uses only the names the chapter's
notebook defines (``np``, ``F``), so ``solution(id)`` prints code that runs when pasted there.
The known wrong answers (the mistakes the checkers in ``ch05`` recognise, each with the message
it earns) are at the bottom; they compute with a private copy of the engine
(``core.reference``), so a notebook that reassigns ``F.im2col`` cannot change them.
"""

import numpy as np

from cnn_course import functional as F
from cnn_course.exercises.core import Mistake, reference

__all__ = ["im2col", "conv_forward", "conv1d_input_grad", "conv1d_filter_grad",
           "conv2d_backward", "conv_transpose2d", "IM2COL_MISTAKES", "CONV_FORWARD_MISTAKES",
           "INPUT_GRAD_MISTAKES", "FILTER_GRAD_MISTAKES", "CONV2D_BACKWARD_MISTAKES",
           "TRANSPOSED_MISTAKES"]


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
    col = F.im2col(x, FH, FW, stride, pad)        # (N*OH*OW, C*FH*FW)
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


def conv2d_backward(x, W, b, dout, stride=1, pad=0):
    """Gradients of y = conv2d(x, W, b, stride, pad): dout (N, FN, OH, OW) -> (dx, dW, db)."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = dout.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros(xp.shape)                   # gradient w.r.t. the padded input
    dW = np.zeros(W.shape)
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                rows = slice(i * stride, i * stride + FH)       # the window that made
                cols = slice(j * stride, j * stride + FW)       # output (i, j)
                for f in range(FN):
                    g = dout[n, f, i, j]
                    dW[f] += g * xp[n, :, rows, cols]           # W[f] met this window
                    dx_pad[n, :, rows, cols] += g * W[f]        # += : windows overlap
    db = dout.sum(axis=(0, 2, 3))                 # b[f] was added at every (n, i, j)
    dx = dx_pad[:, :, pad:pad + H, pad:pad + Wd]  # the padded zeros are not inputs
    return dx, dW, db


def conv_transpose2d(y, W, stride=1, pad=0, output_padding=0):
    """Transposed convolution of y (N, FN, H, W) with W (FN, C, FH, FW): the adjoint of
    conv2d(., W, stride, pad) on inputs of size (H - 1)*stride - 2*pad + FH + output_padding."""
    N, FN, H, Wd = y.shape
    _, C, FH, FW = W.shape
    OH = (H - 1) * stride - 2 * pad + FH + output_padding
    OW = (Wd - 1) * stride - 2 * pad + FW + output_padding
    out = np.zeros((N, C, OH + 2 * pad, OW + 2 * pad))   # the padded frame
    for n in range(N):
        for f in range(FN):
            for i in range(H):
                for j in range(Wd):               # pixel (i, j) stamps W[f], scaled by it
                    top, left = i * stride, j * stride
                    out[n, :, top:top + FH, left:left + FW] += y[n, f, i, j] * W[f]
    return out[:, :, pad:pad + OH, pad:pad + OW]  # drop the frame, keep the extra rows


# --------------------------------------------------------------------------------------
# Known wrong answers: each is recognised by its checker with a specific message.

_F = reference("cnn_course.functional")


def _sizes(x, FH, FW, stride, pad):
    N, C, H, W = x.shape
    return N, C, H, W, (H + 2 * pad - FH) // stride + 1, (W + 2 * pad - FW) // stride + 1


def _pad4(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def _unfold(xp, N, OH, OW, FH, FW, stride, order=(1, 2, 0), width_first=False, step=None):
    """im2col rows of the padded xp, with the usual bugs as switches."""
    step = stride if step is None else step
    rows = []
    for n in range(N):
        pairs = ([(i, j) for j in range(OW) for i in range(OH)] if width_first
                 else [(i, j) for i in range(OH) for j in range(OW)])
        for i, j in pairs:
            window = xp[n, :, i * step:i * step + FH, j * step:j * step + FW]
            rows.append(window.transpose(*order).reshape(-1) if order != (0, 1, 2)
                        else window.reshape(-1))
    return np.array(rows)


def _im2col_channel_last(x, FH, FW, stride=1, pad=0):
    N, C, H, W, OH, OW = _sizes(x, FH, FW, stride, pad)
    return _unfold(_pad4(x, pad), N, OH, OW, FH, FW, stride, order=(1, 2, 0))


def _im2col_column_major_positions(x, FH, FW, stride=1, pad=0):
    N, C, H, W, OH, OW = _sizes(x, FH, FW, stride, pad)
    return _unfold(_pad4(x, pad), N, OH, OW, FH, FW, stride, order=(0, 1, 2), width_first=True)


def _im2col_no_padding(x, FH, FW, stride=1, pad=0):
    N, C, H, W, OH, OW = _sizes(x, FH, FW, stride, 0)
    return _unfold(x, N, OH, OW, FH, FW, stride, order=(0, 1, 2))


def _im2col_square(x, FH, FW, stride=1, pad=0):
    N, C, H, W, OH, _ = _sizes(x, FH, FW, stride, pad)
    return _unfold(_pad4(x, pad), N, OH, OH, FH, FW, stride, order=(0, 1, 2))  # OW = OH


def _im2col_stride_ignored(x, FH, FW, stride=1, pad=0):
    N, C, H, W, OH, OW = _sizes(x, FH, FW, stride, pad)
    return _unfold(_pad4(x, pad), N, OH, OW, FH, FW, stride, order=(0, 1, 2), step=1)


def _im2col_int_dtype(x, FH, FW, stride=1, pad=0):
    return im2col(x, FH, FW, stride, pad).astype(np.int64)   # np.zeros(..., dtype=int)


IM2COL_MISTAKES = [
    Mistake(_im2col_channel_last,
            "each window was flattened in (fh, fw, c) order (channel last); the book's order "
            "is (c, fh, fw): `window.reshape(-1)` on the (C, FH, FW) window.",
            why="window flattened channel-last"),
    Mistake(_im2col_column_major_positions,
            "the output positions were visited column by column (j outside, i inside); rows "
            "must follow reading order, row = n*OH*OW + i*OW + j: loop over i outside, j inside.",
            why="output positions visited width-first"),
    Mistake(_im2col_no_padding,
            "the input was not padded: pad x with `np.pad(x, ((0, 0), (0, 0), (pad, pad), "
            "(pad, pad)))` and use the padded size in OH and OW.", why="forgot to pad"),
    Mistake(_im2col_square,
            "OW was computed like OH, from H (a formula for square images only). The width has "
            "its own: OW = (W + 2*pad - FW) // stride + 1.", why="square-only OW"),
    Mistake(_im2col_stride_ignored,
            "the windows start at (i, j), one pixel apart, so the stride was ignored: the window "
            "of output (i, j) starts at row i*stride and column j*stride of the padded input.",
            why="window at (i, j), not (i*stride, j*stride)"),
    Mistake(_im2col_int_dtype,
            "your matrix holds whole numbers where x has fractions: it was allocated with an "
            "integer dtype (dtype=int, or np.zeros_like of an integer array), so every value "
            "copied into it was truncated. Allocate it with dtype=x.dtype.",
            why="integer col truncates"),
]


def _conv_parts(x, W, b, stride, pad):
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = (H + 2 * pad - FH) // stride + 1, (Wd + 2 * pad - FW) // stride + 1
    return _F.im2col(x, FH, FW, stride, pad), N, FN, OH, OW


def _conv_forward_no_transpose(x, W, b, stride=1, pad=0):
    col, N, FN, OH, OW = _conv_parts(x, W, b, stride, pad)
    return (col @ W.reshape(FN, -1).T + b).reshape(N, FN, OH, OW)


def _conv_forward_filter_reshaped_wrong(x, W, b, stride=1, pad=0):
    col, N, FN, OH, OW = _conv_parts(x, W, b, stride, pad)
    out = col @ W.reshape(-1, FN) + b
    return out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


def _conv_forward_bias_on_last_axis(x, W, b, stride=1, pad=0):
    col, N, FN, OH, OW = _conv_parts(x, W, b, stride, pad)
    out = (col @ W.reshape(FN, -1).T).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)
    return out + b                    # broadcasts b along the width axis, not the channels


def _conv_forward_no_bias(x, W, b, stride=1, pad=0):
    col, N, FN, OH, OW = _conv_parts(x, W, b, stride, pad)
    return (col @ W.reshape(FN, -1).T).reshape(N, OH, OW, FN).transpose(0, 3, 1, 2)


def _conv_forward_height_width_swapped(x, W, b, stride=1, pad=0):
    col, N, FN, OH, OW = _conv_parts(x, W, b, stride, pad)
    return (col @ W.reshape(FN, -1).T + b).reshape(N, OH, OW, FN).transpose(0, 3, 2, 1)


CONV_FORWARD_MISTAKES = [
    Mistake(_conv_forward_no_transpose,
            "the (N*OH*OW, FN) product was reshaped straight to (N, FN, OH, OW); its rows are "
            "positions and its columns filters, so reshape to (N, OH, OW, FN), then "
            "`transpose(0, 3, 1, 2)`.", why="reshaped straight to (N, FN, OH, OW)"),
    Mistake(_conv_forward_filter_reshaped_wrong,
            "the filters were unfolded with `W.reshape(-1, FN)`, which mixes the filters; each "
            "filter must become one column: `W.reshape(FN, -1).T`.",
            why="W.reshape(-1, FN) mixes filters"),
    Mistake(_conv_forward_bias_on_last_axis,
            "the bias was broadcast along the last axis (the width), not per channel: add b to "
            "the (N*OH*OW, FN) product, or use `b.reshape(FN, 1, 1)` on the 4-D output.",
            why="bias broadcast along the width"),
    Mistake(_conv_forward_no_bias,
            "the bias is missing: every output of filter f must include b[f]. Add b to the "
            "(N*OH*OW, FN) product, where column f belongs to filter f.", why="forgot + b"),
    Mistake(_conv_forward_height_width_swapped,
            "height and width were swapped: from (N, OH, OW, FN) the channel axis moves to "
            "second place with `transpose(0, 3, 1, 2)`; `transpose(0, 3, 2, 1)` also turns each "
            "feature map on its side.", why="transpose(0, 3, 2, 1)"),
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
    dy_pad = np.pad(dy, pad)                  # padded like the input: right only if K = 2*pad + 1
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


def _input_grad_not_cropped(x, w, dy, pad=0):
    K = len(w)
    dy_full = np.pad(dy, K - 1)
    dx_pad = np.zeros(len(x) + 2 * pad)
    for i in range(len(dx_pad)):
        for k in range(K):
            dx_pad[i] += dy_full[i + K - 1 - k] * w[k]
    return dx_pad                                  # the padded entries kept


INPUT_GRAD_MISTAKES = [
    Mistake(_input_grad_not_flipped,
            "the kernel was not flipped: output o + k used w[k], but then input i meets w[k] at "
            "output i + pad - k, so dy runs backwards against w (use dy_full[i + K - 1 - k]).",
            why="correlated with w, not w[::-1]"),
    Mistake(_input_grad_notes_padding,
            "dy was padded by pad, as the input was; that lines up only when K = 2*pad + 1. Pad "
            "dy by K - 1 - pad on each side (or by K - 1, and crop pad entries at the end).",
            why="padded dy by pad (Weidman's recipe, ch. 5) instead of K - 1 - pad"),
    Mistake(_input_grad_no_sum,
            "only one term reached each input (= instead of +=?): an input meets up to K outputs "
            "and its gradient is the sum of dy[o] * w[k] over all of them.",
            why="kept one term instead of adding all"),
    Mistake(_input_grad_not_cropped,
            "you returned the gradient of the padded input: its first and last pad entries "
            "belong to the zeros of the padding, not to x. Return `dx_pad[pad:pad + L]`.",
            why="returned dx_pad"),
]


def _filter_grad_samples(x, w, dy, pad):
    return [conv1d_filter_grad(x[n:n + 1], w, dy[n:n + 1], pad) for n in range(len(x))]


def _filter_grad_last_sample_only(x, w, dy, pad=0):
    return _filter_grad_samples(x, w, dy, pad)[-1]    # dw reset inside the loop over n


def _filter_grad_first_sample_only(x, w, dy, pad=0):
    return _filter_grad_samples(x, w, dy, pad)[0]     # returned inside the loop over n


def _filter_grad_batch_mean(x, w, dy, pad=0):
    return np.mean(_filter_grad_samples(x, w, dy, pad), axis=0)


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
    Mistake(_filter_grad_last_sample_only,
            "only the last sample's gradient is left: was dw reset inside the loop over n? The "
            "same w meets every sample, so create dw once, before the loop, and add them all.",
            why="dw reset per sample"),
    Mistake(_filter_grad_first_sample_only,
            "only the first sample's gradient is there: did the function return inside the "
            "loop over n? Sum the gradients of all the samples.", why="return inside the loop"),
    Mistake(_filter_grad_batch_mean,
            "you averaged over the batch; the loss adds the samples' outputs, so sum over the "
            "batch.", why="mean over the batch"),
    Mistake(_filter_grad_dy_flipped,
            "dy was flipped: dw[k] = sum_o x_pad[o + k] * dy[o], indices moving in the same "
            "direction (only the input gradient flips something).", why="flipped dy"),
    Mistake(_filter_grad_off_by_one,
            "the window is shifted by one (x_pad[o + k - 1]?): output o saw x_pad[o : o + K], "
            "so dw[k] pairs dy[o] with x_pad[o + k].", why="x_pad[o + k - 1]"),
]


def _backward(x, W, dout, stride, pad, *, step=None, assign=False, flip=False, reset=False):
    """conv2d_backward with the usual bugs as switches; returns (dxp, dW) before cropping."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    OH, OW = dout.shape[2:]
    step = stride if step is None else step
    xp = _pad4(x, pad)
    dxp, dW = np.zeros(xp.shape), np.zeros(W.shape)
    Wk = W[:, :, ::-1, ::-1] if flip else W
    for n in range(N):
        if reset:
            dW = np.zeros(W.shape)
        for i in range(OH):
            for j in range(OW):
                rows, cols = slice(i * step, i * step + FH), slice(j * step, j * step + FW)
                for f in range(FN):
                    g = dout[n, f, i, j]
                    dW[f] += g * xp[n, :, rows, cols]
                    if assign:
                        dxp[n, :, rows, cols] = g * Wk[f]
                    else:
                        dxp[n, :, rows, cols] += g * Wk[f]
    return dxp, dW


def _crop(dxp, x, pad):
    H, W = x.shape[2:]
    return dxp[:, :, pad:pad + H, pad:pad + W]


def _conv2d_backward_dw_last_sample(x, W, b, dout, stride=1, pad=0):
    dxp, dW = _backward(x, W, dout, stride, pad, reset=True)
    return _crop(dxp, x, pad), dW, dout.sum(axis=(0, 2, 3))


def _conv2d_backward_dx_assigned(x, W, b, dout, stride=1, pad=0):
    dxp, dW = _backward(x, W, dout, stride, pad, assign=True)
    return _crop(dxp, x, pad), dW, dout.sum(axis=(0, 2, 3))


def _conv2d_backward_not_cropped(x, W, b, dout, stride=1, pad=0):
    dxp, dW = _backward(x, W, dout, stride, pad)
    return dxp, dW, dout.sum(axis=(0, 2, 3))


def _conv2d_backward_cropped_at_end(x, W, b, dout, stride=1, pad=0):
    dxp, dW = _backward(x, W, dout, stride, pad)
    H, Wd = x.shape[2:]
    return dxp[:, :, :H, :Wd], dW, dout.sum(axis=(0, 2, 3))


def _conv2d_backward_db_per_sample(x, W, b, dout, stride=1, pad=0):
    dxp, dW = _backward(x, W, dout, stride, pad)
    return _crop(dxp, x, pad), dW, dout.sum(axis=(2, 3))


def _conv2d_backward_db_over_filters(x, W, b, dout, stride=1, pad=0):
    dxp, dW = _backward(x, W, dout, stride, pad)
    return _crop(dxp, x, pad), dW, dout.sum(axis=(0, 1))


def _conv2d_backward_averaged(x, W, b, dout, stride=1, pad=0):
    dxp, dW = _backward(x, W, dout, stride, pad)
    N = len(x)
    return _crop(dxp, x, pad), dW / N, dout.sum(axis=(0, 2, 3)) / N


def _conv2d_backward_stride_ignored(x, W, b, dout, stride=1, pad=0):
    dxp, dW = _backward(x, W, dout, stride, pad, step=1)
    return _crop(dxp, x, pad), dW, dout.sum(axis=(0, 2, 3))


def _conv2d_backward_kernel_rotated(x, W, b, dout, stride=1, pad=0):
    dxp, dW = _backward(x, W, dout, stride, pad, flip=True)
    return _crop(dxp, x, pad), dW, dout.sum(axis=(0, 2, 3))


def _conv2d_backward_order_swapped(x, W, b, dout, stride=1, pad=0):
    dx, dW, db = conv2d_backward(x, W, b, dout, stride, pad)
    return dW, dx, db


CONV2D_BACKWARD_MISTAKES = [
    Mistake(_conv2d_backward_dw_last_sample,
            "dW holds only the last image's gradient: was it reset inside the loop over n? "
            "Every image uses the same filters, so dW is the sum over the whole batch: create "
            "it once, before the loops.", why="dW not summed over the batch"),
    Mistake(_conv2d_backward_dx_assigned,
            "dx was assigned (=) onto each window instead of added (+=): a pixel inside several "
            "windows (they overlap when the kernel is larger than the stride) influenced the "
            "loss through each of them, so its gradient is the sum over all of them, as col2im "
            "adds the overlaps.", why="dx without col2im accumulation"),
    Mistake(_conv2d_backward_not_cropped,
            "dx has the shape of the padded input: its border belongs to the zeros of the "
            "padding, which are not inputs. Crop it: `dx_pad[:, :, pad:pad + H, pad:pad + W]`.",
            why="padding not cropped"),
    Mistake(_conv2d_backward_cropped_at_end,
            "the padding was cut from the bottom and right only (`dx_pad[:, :, :H, :W]`): pixel "
            "(h, w) of x sits at (h + pad, w + pad) of the padded input, so crop pad rows and "
            "columns at both ends.", why="cropped the wrong border"),
    Mistake(_conv2d_backward_db_per_sample,
            "db has one number per image and filter: it was summed over the positions but not "
            "over the batch. b[f] was added at every position of every image, so db = "
            "`dout.sum(axis=(0, 2, 3))`, shape (FN,).", why="db kept the batch axis"),
    Mistake(_conv2d_backward_db_over_filters,
            "db was summed over the batch and the filters (axes 0 and 1): it must keep one "
            "number per filter and add up the batch and the positions, `axis=(0, 2, 3)`.",
            why="db summed over the wrong axes"),
    Mistake(_conv2d_backward_averaged,
            "dW and db were divided by the batch size. The loss here is sum(y * dout), and any "
            "averaging is already inside dout, so the gradients are plain sums.",
            why="averaged over the batch"),
    Mistake(_conv2d_backward_stride_ignored,
            "the windows were taken one pixel apart, so the stride was ignored: output (i, j) "
            "was made from the window starting at (i*stride, j*stride) of the padded input, and "
            "its gradient goes back to that same window.", why="stride ignored"),
    Mistake(_conv2d_backward_kernel_rotated,
            "the kernel was rotated by 180 degrees in dx. Added back window by window, output "
            "(i, j) sends dout * W[f] onto its window unrotated; the rotation appears only when "
            "dx is written as a correlation over dout.", why="flipped kernel in dx"),
    Mistake(_conv2d_backward_order_swapped,
            "the first value returned is dW: the gradients must come in the order (dx, dW, db), "
            "the order of the inputs x, W, b.", why="returned (dW, dx, db)"),
]


def _stamp(y, W, stride, pad, extra, *, step=None, assign=False, flip=False, at=0):
    """The padded frame of a transposed convolution, with the usual bugs as switches."""
    N, FN, H, Wd = y.shape
    _, C, FH, FW = W.shape
    step = stride if step is None else step
    OH = (H - 1) * stride - 2 * pad + FH + extra
    OW = (Wd - 1) * stride - 2 * pad + FW + extra
    out = np.zeros((N, C, OH + 2 * pad, OW + 2 * pad))
    Wk = W[:, :, ::-1, ::-1] if flip else W
    for n in range(N):
        for f in range(FN):
            for i in range(H):
                for j in range(Wd):
                    rows = slice(at + i * step, at + i * step + FH)
                    cols = slice(at + j * step, at + j * step + FW)
                    if assign:
                        out[n, :, rows, cols] = y[n, f, i, j] * Wk[f]
                    else:
                        out[n, :, rows, cols] += y[n, f, i, j] * Wk[f]
    return out, OH, OW


def _transposed_extra_at_top(y, W, stride=1, pad=0, output_padding=0):
    out, OH, OW = _stamp(y, W, stride, pad, output_padding, at=output_padding)
    return out[:, :, pad:pad + OH, pad:pad + OW]


def _transposed_output_padding_ignored(y, W, stride=1, pad=0, output_padding=0):
    out, OH, OW = _stamp(y, W, stride, pad, 0)
    return out[:, :, pad:pad + OH, pad:pad + OW]


def _transposed_kernel_rotated(y, W, stride=1, pad=0, output_padding=0):
    out, OH, OW = _stamp(y, W, stride, pad, output_padding, flip=True)
    return out[:, :, pad:pad + OH, pad:pad + OW]


def _transposed_assigned(y, W, stride=1, pad=0, output_padding=0):
    out, OH, OW = _stamp(y, W, stride, pad, output_padding, assign=True)
    return out[:, :, pad:pad + OH, pad:pad + OW]


def _transposed_stride_ignored(y, W, stride=1, pad=0, output_padding=0):
    out, OH, OW = _stamp(y, W, stride, pad, output_padding, step=1)
    return out[:, :, pad:pad + OH, pad:pad + OW]


def _transposed_cropped_at_end(y, W, stride=1, pad=0, output_padding=0):
    out, OH, OW = _stamp(y, W, stride, pad, output_padding)
    return out[:, :, :OH, :OW]


def _transposed_zero_rows_appended(y, W, stride=1, pad=0, output_padding=0):
    out, OH, OW = _stamp(y, W, stride, pad, 0)
    smallest = out[:, :, pad:pad + OH, pad:pad + OW]
    extra = ((0, 0), (0, 0), (0, output_padding), (0, output_padding))
    return np.pad(smallest, extra)               # zeros where stamps still reach


def _transposed_times_stride(y, W, stride=1, pad=0, output_padding=0):
    N, FN, H, Wd = y.shape
    OH, OW = H * stride, Wd * stride              # "stride times larger"
    out = np.zeros((N, W.shape[1], OH + 2 * pad + W.shape[2], OW + 2 * pad + W.shape[3]))
    for i in range(H):
        for j in range(Wd):
            out[:, :, i * stride:i * stride + W.shape[2], j * stride:j * stride + W.shape[3]] += \
                np.einsum("nf,fchw->nchw", y[:, :, i, j], W)
    return out[:, :, pad:pad + OH, pad:pad + OW]


TRANSPOSED_MISTAKES = [
    Mistake(_transposed_extra_at_top,
            "the output_padding rows and columns were put at the top and left. They extend the "
            "output at the bottom and right: the stamps still start at (i*stride - pad, "
            "j*stride - pad), and the extra rows are the ones a strided convolution never "
            "reaches.", why="output_padding on the wrong side"),
    Mistake(_transposed_output_padding_ignored,
            "output_padding was ignored: your output has the smallest size, "
            "(H - 1)*stride - 2*pad + FH. A stride-s convolution maps s different input sizes "
            "to the same output size, and output_padding says which one to return: add it to "
            "OH and OW.", why="output_padding ignored"),
    Mistake(_transposed_kernel_rotated,
            "the kernel was rotated by 180 degrees: each input pixel stamps W[f] as it is, "
            "scaled by its value. (The rotation appears only when the transposed convolution is "
            "written as a correlation.)", why="flipped kernel"),
    Mistake(_transposed_assigned,
            "overlapping stamps replaced each other (=) instead of adding up (+=): where two "
            "stamps overlap (the kernel is larger than the stride), the output is their sum.",
            why="= instead of +="),
    Mistake(_transposed_stride_ignored,
            "the stamps were placed one pixel apart: input pixel (i, j) stamps at (i*stride, "
            "j*stride) of the padded output, so the stride spreads them out.",
            why="stride ignored"),
    Mistake(_transposed_cropped_at_end,
            "the padding was cut from the bottom and right only: the stamps land in a frame "
            "padded by pad on every side, so crop pad rows and columns at the top and left too "
            "(`out[:, :, pad:pad + OH, pad:pad + OW]`).", why="cropped the wrong border"),
    Mistake(_transposed_zero_rows_appended,
            "you padded the smallest output with output_padding rows and columns of zeros. But "
            "the stamps reach into them (the smallest output had cut them off with the "
            "padding): stamp into a frame of the full size, (OH + 2*pad, OW + 2*pad) with "
            "output_padding inside OH and OW, and crop that.", why="zeros appended"),
    Mistake(_transposed_times_stride, "OH = (H - 1)*stride - 2*pad + FH + output_padding",
            why="OH = H * stride", rule=True),
]
