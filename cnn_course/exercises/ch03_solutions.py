"""Reference solutions for chapter 3 (multiple input and output channels), and the usual wrong
answers.

The book shows these functions and values in its solution dropdowns; ``solution(id)`` prints
them, and each can be pasted into the chapter's notebook as it stands (it uses only ``np`` and
``F`` from the chapter's import cell). Each ``*_MISTAKES`` list holds realistic wrong answers,
each with the message it earns: the checkers in ``ch03`` find them through ``known_mistakes``,
and the tests prove each is rejected with its message.
"""

import numpy as np

from cnn_course.exercises.core import Mistake

__all__ = ["corr2d_multi_in", "corr2d_multi_in_out", "add_bias", "conv1x1", "conv_layer_cost",
           "stack_vs_7x7", "compose_kernels", "CORR2D_MULTI_IN_MISTAKES",
           "CORR2D_MULTI_IN_OUT_MISTAKES", "ADD_BIAS_MISTAKES", "CONV1X1_MISTAKES",
           "CONV_COST_MISTAKES", "STACK_VS_7X7_MISTAKES", "COMPOSE_KERNELS_MISTAKES"]


# --- reference solutions ---------------------------------------------------------------

def corr2d_multi_in(X, K, stride=1):
    """Correlate each sample of X (N, C, H, W) with one filter K (C, FH, FW): (N, OH, OW)."""
    N, C, H, W = X.shape
    _, FH, FW = K.shape
    OH = (H - FH) // stride + 1
    OW = (W - FW) // stride + 1
    Y = np.zeros((N, OH, OW))
    for i in range(OH):
        for j in range(OW):
            block = X[:, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
            Y[:, i, j] = np.sum(block * K, axis=(1, 2, 3))   # one dot product per sample
    return Y


def corr2d_multi_in_out(X, K):
    """X (N, H, W, C) channels last, K (FH, FW, C, FN) as TensorFlow stores a filter bank:
    returns (N, OH, OW, FN), channels last."""
    N, H, W, C = X.shape
    FH, FW, _, FN = K.shape
    Y = np.zeros((N, H - FH + 1, W - FW + 1, FN))
    for i in range(H - FH + 1):
        for j in range(W - FW + 1):
            block = X[:, i:i + FH, j:j + FW, :]              # (N, FH, FW, C)
            Y[:, i, j, :] = np.tensordot(block, K, axes=3)   # (N, FN): every filter at once
    return Y


def add_bias(Y, b):
    """Add the bias b (FN,) of each output channel to Y (N, FN, OH, OW)."""
    return Y + b.reshape(1, -1, 1, 1)    # broadcast over the batch, height and width


def conv1x1(X, W):
    """A 1x1 convolution of X (N, C, H, W) with W (FN, C, 1, 1) as one matrix product."""
    N, C, H, Wd = X.shape
    FN = W.shape[0]
    pixels = X.transpose(0, 2, 3, 1).reshape(N * H * Wd, C)   # one row per pixel
    Y = pixels @ W.reshape(FN, C).T                            # (N*H*W, FN)
    return Y.reshape(N, H, Wd, FN).transpose(0, 3, 1, 2)       # back to (N, FN, H, W)


def conv_layer_cost(C, H, W, FN, FH, FW, stride=1, padding=0):
    """(params, MACs) of FN filters of size FH x FW applied to one (C, H, W) input."""
    OH = (H + 2 * padding - FH) // stride + 1
    OW = (W + 2 * padding - FW) // stride + 1   # from W and FW, never from H or FH
    params = FN * C * FH * FW + FN       # the weights, plus one bias per filter
    macs = FN * OH * OW * C * FH * FW    # one C*FH*FW dot product per OUTPUT value
    return params, macs


# Three 3x3 layers (stride 1, same padding), then one 7x7 layer, 64 -> 64 channels, 56 x 40 map:
# (receptive field, weights, MACs). Each 3x3 layer widens the view by 3 - 1 = 2; each layer
# holds 64 filters of 64 x k x k weights; same padding keeps every output at 56 x 40.
stack_vs_7x7 = (1 + 3 * 2, 3 * 64 * 64 * 3 * 3, 3 * 64 * 64 * 3 * 3 * 56 * 40,
                7, 64 * 64 * 7 * 7, 64 * 64 * 7 * 7 * 56 * 40)


def compose_kernels(W1, W2):
    """The one filter bank (C3, C1, FH1+FH2-1, FW1+FW2-1) that does what W1 (C2, C1, FH1, FW1)
    followed by W2 (C3, C2, FH2, FW2) does (stride 1, no padding, no bias, nothing between)."""
    C2, C1, FH1, FW1 = W1.shape
    C3, _, FH2, FW2 = W2.shape
    W = np.zeros((C3, C1, FH1 + FH2 - 1, FW1 + FW2 - 1))
    for p in range(FH2):
        for q in range(FW2):
            # tap (p, q) of W2 mixes the C2 maps of layer 1, read (p, q) further on
            W[:, :, p:p + FH1, q:q + FW1] += np.tensordot(W2[:, :, p, q], W1, axes=1)
    return W


# --- the usual mistakes ------------------------------------------------------------------
# Each wrong answer is written as a learner would write it; a function that does not fit a
# case's shapes simply raises there, and known_mistakes leaves it out of that case.

def _windows(X, FH, FW, stride):
    """(N, C, OH, OW, FH, FW) windows of X, with the given stride (a helper of the mistakes)."""
    win = np.lib.stride_tricks.sliding_window_view(X, (FH, FW), axis=(2, 3))
    return win[:, :, ::stride, ::stride]


def _multi_in_not_summed(X, K, stride=1):
    return np.einsum("ncijab,cab->ncij", _windows(X, *K.shape[1:], stride), K)


def _multi_in_batch_summed(X, K, stride=1):
    # np.sum(block * K) without axis=: the N samples are added together as well
    one = np.einsum("ncijab,cab->ij", _windows(X, *K.shape[1:], stride), K)
    return np.broadcast_to(one, (X.shape[0],) + one.shape).copy()


def _multi_in_mean(X, K, stride=1):
    return _multi_in_not_summed(X, K, stride).mean(axis=1)


def _multi_in_stride_in_size_only(X, K, stride=1):
    # the output has the strided size, but window (i, j) starts at (i, j), not (i*s, j*s)
    N, C, H, W = X.shape
    _, FH, FW = K.shape
    OH, OW = (H - FH) // stride + 1, (W - FW) // stride + 1
    return np.einsum("ncijab,cab->nij", _windows(X, FH, FW, 1)[:, :, :OH, :OW], K)


def _multi_in_ow_from_h(X, K, stride=1):
    N, C, H, W = X.shape
    _, FH, FW = K.shape
    OH, OW = (H - FH) // stride + 1, (H - FW) // stride + 1
    Y = np.einsum("ncijab,cab->nij", _windows(X, FH, FW, stride), K)
    if OW > Y.shape[2]:
        raise ValueError("the windows run off the input")
    return Y[:, :OH, :OW]


def _multi_in_no_plus_one(X, K, stride=1):
    N, C, H, W = X.shape
    _, FH, FW = K.shape
    Y = np.einsum("ncijab,cab->nij", _windows(X, FH, FW, stride), K)
    return Y[:, :(H - FH) // stride, :(W - FW) // stride]


def _multi_in_flipped(X, K, stride=1):
    return np.einsum("ncijab,cab->nij", _windows(X, *K.shape[1:], stride), K[:, ::-1, ::-1])


CORR2D_MULTI_IN_MISTAKES = [
    Mistake(_multi_in_not_summed,
            "you returned one map per input channel, (N, C, OH, OW). The filter is one block "
            "as deep as the input: its dot product runs over the channels too, so add them "
            "(sum over the channel, height and width axes of the block).",
            why="summed the window but not the channels"),
    Mistake(_multi_in_batch_summed,
            "every sample got the same map, the sum over the whole batch: np.sum(block * K) "
            "without axis= adds the N samples together too. Sum over the last three axes only "
            "(axis=(1, 2, 3)), one dot product per sample.",
            why="np.sum without axis="),
    Mistake(_multi_in_mean,
            "the channels were averaged (divided by C). A multi-channel filter ADDS its "
            "channels' contributions: sum, not mean.",
            why="mean over the channels"),
    Mistake(_multi_in_stride_in_size_only,
            "the output has the right size, but its windows overlap as if the stride were 1: "
            "output position (i, j) reads the window that starts at row i * stride and column "
            "j * stride of the input.",
            why="stride used in the size, not in the slices"),
    Mistake(_multi_in_ow_from_h,
            "the output width was computed from the height H: OW = (W - FW) // stride + 1 "
            "uses the input's width (this case is not square).",
            why="OW from H"),
    Mistake(_multi_in_no_plus_one,
            "the output is one row and one column short: OH = (H - FH) // stride + 1 counts "
            "the first window too (the + 1).",
            why="forgot the + 1"),
    Mistake(_multi_in_flipped,
            "the kernel was flipped (that is a true convolution). Deep-learning layers "
            "cross-correlate: multiply X[n, c, i*s + a, j*s + b] by K[c, a, b], unflipped.",
            why="flipped kernel"),
]


def _nchw(X, K):
    """The correct channels-first result (N, FN, OH, OW) of channels-last X and HWIO K."""
    win = np.lib.stride_tricks.sliding_window_view(X, K.shape[:2], axis=(1, 2))
    return np.einsum("nijcab,abcf->nfij", win, K)     # win: (N, OH, OW, C, FH, FW)


def _bank_in_out_swapped(X, K):
    # reads K as (FH, FW, FN, C): "filter f" is K[:, :, f, :]
    return np.moveaxis(_nchw(X, K.transpose(0, 1, 3, 2)), 1, -1)


def _bank_channels_first(X, K):
    return _nchw(X, K)                               # left as (N, FN, OH, OW)


def _bank_output_reshaped(X, K):
    Y = _nchw(X, K)
    return Y.reshape(Y.shape[0], Y.shape[2], Y.shape[3], Y.shape[1])   # reshape, not transpose


def _bank_input_reshaped(X, K):
    N, H, W, C = X.shape
    Xc = X.reshape(N, C, H, W)                       # reshape, not transpose
    return np.moveaxis(_nchw(Xc.transpose(0, 2, 3, 1), K), 1, -1)


def _bank_kernel_transposed(X, K):
    # moved the axes with K.transpose(3, 2, 1, 0): the kernels are read as (FW, FH)
    return np.moveaxis(_nchw(X, K.transpose(1, 0, 2, 3)), 1, -1)


def _bank_one_filter(X, K):
    Y = np.moveaxis(_nchw(X, K[:, :, :, :1]), 1, -1)
    return np.repeat(Y, K.shape[3], axis=-1)         # filter 0 for every output channel


CORR2D_MULTI_IN_OUT_MISTAKES = [
    Mistake(_bank_in_out_swapped,
            "the bank was read as (FH, FW, FN, C): you took K[:, :, f, :] as filter f. "
            "TensorFlow stores (FH, FW, C, FN), in before out, so filter f is K[:, :, :, f] "
            "(this case has C == FN, where the wrong order runs without an error).",
            why="in/out channels swapped"),
    Mistake(_bank_channels_first,
            "the values are right but the result is channels first, (N, FN, OH, OW). This "
            "exercise works channels last throughout: return (N, OH, OW, FN).",
            why="forgot to move the channels last"),
    Mistake(_bank_output_reshaped,
            "the output was reshaped from (N, FN, OH, OW) to (N, OH, OW, FN). A reshape keeps "
            "the memory order and scrambles the values; moving an axis is a transpose: "
            "Y.transpose(0, 2, 3, 1).",
            why="reshape instead of transpose (output)"),
    Mistake(_bank_input_reshaped,
            "the input was reshaped from (N, H, W, C) to (N, C, H, W): a reshape keeps the "
            "memory order, so the 'channels' it gives are strips of pixels. Moving the channel "
            "axis is a transpose: X.transpose(0, 3, 1, 2).",
            why="reshape instead of transpose (input)"),
    Mistake(_bank_kernel_transposed,
            "each kernel was transposed (its height and width swapped): the filter's first "
            "two axes are (FH, FW). K.transpose(3, 2, 0, 1) gives (FN, C, FH, FW); "
            "K.transpose(3, 2, 1, 0) gives (FN, C, FW, FH).",
            why="FH and FW swapped"),
    Mistake(_bank_one_filter,
            "every output channel is the same: the same filter K[..., 0] was used for all of "
            "them. Output channel f uses the filter K[:, :, :, f].",
            why="one filter for every output"),
]


def _bias_last_axis(Y, b):
    return Y + b                                   # broadcasts along the width


def _bias_height(Y, b):
    return Y + b.reshape(-1, 1)                    # broadcasts along the height


def _bias_batch_axis(Y, b):
    return Y + b[:, None, None, None]              # (FN, 1, 1, 1) lines up with the batch


def _bias_in_place(Y, b):
    Y += b.reshape(1, -1, 1, 1)                    # changes the caller's array
    return Y


def _bias_summed(Y, b):
    return Y + b.sum()


ADD_BIAS_MISTAKES = [
    Mistake(_bias_last_axis,
            "the bias was added along the last axis (the width): NumPy lines shapes up from "
            "the right, so Y + b with b of shape (FN,) adds b[j] to column j. Reshape b to "
            "(1, FN, 1, 1).",
            why="Y + b with b of shape (FN,)"),
    Mistake(_bias_height,
            "the bias was added along the height: b of shape (FN, 1), or (1, FN, 1), lines up "
            "its FN values with OH, counting axes from the right. Reshape b to (1, FN, 1, 1).",
            why="b.reshape(FN, 1)"),
    Mistake(_bias_batch_axis,
            "the bias was added per sample: b of shape (FN, 1, 1, 1) lines up with the batch "
            "axis, so sample n got b[n]. The channel axis of (N, FN, OH, OW) is axis 1: "
            "b.reshape(1, FN, 1, 1).",
            why="b[:, None, None, None]"),
    Mistake(_bias_in_place, "changed one of its input arrays in place", why="Y += ...",
            rule=True),
    Mistake(_bias_summed,
            "every channel got the same number, the sum of all biases: add b[f] to channel f "
            "only.",
            why="b.sum()"),
]


def _conv1x1_no_transpose(X, W):
    N, C, H, Wd = X.shape
    FN = W.shape[0]
    Y = X.reshape(N * H * Wd, C) @ W.reshape(FN, C).T        # rows are not pixels
    return Y.reshape(N, H, Wd, FN).transpose(0, 3, 1, 2)


def _conv1x1_weights_transposed(X, W):
    N, C, H, Wd = X.shape
    FN = W.shape[0]
    Y = X.transpose(0, 2, 3, 1).reshape(N * H * Wd, C) @ W.reshape(C, FN)
    return Y.reshape(N, H, Wd, FN).transpose(0, 3, 1, 2)


def _conv1x1_output_reshape(X, W):
    N, C, H, Wd = X.shape
    FN = W.shape[0]
    Y = X.transpose(0, 2, 3, 1).reshape(N * H * Wd, C) @ W.reshape(FN, C).T
    return Y.reshape(N, FN, H, Wd)                            # skipped the transpose back


def _conv1x1_flat(X, W):
    N, C, H, Wd = X.shape
    return X.transpose(0, 2, 3, 1).reshape(N * H * Wd, C) @ W.reshape(W.shape[0], C).T


def _conv1x1_wrong_axes_back(X, W):
    N, C, H, Wd = X.shape
    FN = W.shape[0]
    Y = X.transpose(0, 2, 3, 1).reshape(N * H * Wd, C) @ W.reshape(FN, C).T
    return Y.reshape(N, H, Wd, FN).transpose(0, 3, 2, 1)      # (N, FN, W, H)


CONV1X1_MISTAKES = [
    Mistake(_conv1x1_no_transpose,
            "X.reshape(N*H*W, C) scrambles the pixels: in (N, C, H, W) order the C values of "
            "one pixel are not next to each other. Move the channel axis last with a "
            "transpose before reshaping.",
            why="X.reshape(N*H*W, C) without moving C last"),
    Mistake(_conv1x1_weights_transposed,
            "the weights are transposed: W.reshape(C, FN) is not the transpose of "
            "W.reshape(FN, C), it reads the same numbers in the wrong places. Reshape to "
            "(FN, C) and transpose that.",
            why="W.reshape(C, FN) is not W's transpose"),
    Mistake(_conv1x1_output_reshape,
            "you reshaped the result straight to (N, FN, H, W). The product's rows are pixels "
            "and its columns channels, (N*H*W, FN): reshape it to (N, H, W, FN) first, then "
            "move the channel axis to position 1 with a transpose.",
            why="output reshape without the transpose"),
    Mistake(_conv1x1_flat,
            "you returned the (N*H*W, FN) matrix product itself; rearrange it back to "
            "(N, FN, H, W).",
            why="forgot to reshape back"),
    Mistake(_conv1x1_wrong_axes_back,
            "the output's height and width are swapped: from (N, H, W, FN) the channels go to "
            "axis 1 and H, W keep their order, transpose(0, 3, 1, 2).",
            why="transpose(0, 3, 2, 1) on the way back"),
]


def _out(n, k, stride, padding):
    return (n + 2 * padding - k) // stride + 1


def _cost_no_bias(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, macs = conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
    return params - FN, macs


def _cost_no_channels(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, macs = conv_layer_cost(1, H, W, FN, FH, FW, stride, padding)
    return params, macs


def _cost_input_size(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, _ = conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
    return params, FN * H * W * C * FH * FW


def _cost_one_filter_macs(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, macs = conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
    return params, macs // FN


def _cost_flops(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, macs = conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
    return params, 2 * macs


def _cost_ow_from_h(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, _ = conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
    OH, OW = _out(H, FH, stride, padding), _out(H, FW, stride, padding)
    return params, FN * OH * OW * C * FH * FW


def _cost_ow_from_fh(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, _ = conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
    OH, OW = _out(H, FH, stride, padding), _out(W, FH, stride, padding)
    return params, FN * OH * OW * C * FH * FW


def _cost_square_output(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, _ = conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
    OH = _out(H, FH, stride, padding)
    return params, FN * OH * OH * C * FH * FW                      # OW = OH


def _cost_ceil(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, _ = conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
    OH = -(-(H + 2 * padding - FH) // stride) + 1                  # rounds up
    OW = -(-(W + 2 * padding - FW) // stride) + 1
    return params, FN * OH * OW * C * FH * FW


def _cost_square_kernel(C, H, W, FN, FH, FW, stride=1, padding=0):
    return conv_layer_cost(C, H, W, FN, FH, FH, stride, padding)     # FH * FH everywhere


def _cost_bias_as_mac(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, macs = conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
    OH, OW = _out(H, FH, stride, padding), _out(W, FW, stride, padding)
    return params, macs + FN * OH * OW


def _cost_padding_once(C, H, W, FN, FH, FW, stride=1, padding=0):
    params, _ = conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
    OH = (H + padding - FH) // stride + 1
    OW = (W + padding - FW) // stride + 1
    return params, FN * OH * OW * C * FH * FW


def _cost_true_division(C, H, W, FN, FH, FW, stride=1, padding=0):
    OH = (H + 2 * padding - FH) / stride + 1
    OW = (W + 2 * padding - FW) / stride + 1
    return FN * C * FH * FW + FN, FN * OH * OW * C * FH * FW


CONV_COST_MISTAKES = [
    Mistake(_cost_no_bias,
            "The parameter count has only the weights: each of the FN filters also has one "
            "bias, which is a parameter too.",
            why="forgot the biases"),
    Mistake(_cost_no_channels,
            "A filter is a block as deep as the input: it has C * FH * FW weights, and each "
            "output value is a dot product over all C input channels. You left out C.",
            why="a filter is C x FH x FW"),
    Mistake(_cost_input_size,
            "The MACs used the input size H x W; they are counted per OUTPUT value, and the "
            "output size depends on the kernel, the stride and the padding.",
            why="H*W instead of OH*OW"),
    Mistake(_cost_one_filter_macs,
            "The MACs are those of one output channel; every one of the FN filters does that "
            "work.",
            why="MACs of one filter"),
    Mistake(_cost_flops,
            "The MACs are twice too many: that is the FLOP count, which counts the multiply "
            "and the add of each w * x separately. A multiply-add (MAC) is the pair: count "
            "one per product.",
            why="FLOPs instead of MACs"),
    Mistake(_cost_ow_from_h,
            "The MACs come from an output width computed from the height H (a square-input "
            "formula). OW = (W + 2 * padding - FW) // stride + 1 uses the width.",
            why="OW from H"),
    Mistake(_cost_ow_from_fh,
            "The MACs come from an output width computed with the kernel's height FH (a "
            "square-kernel formula). The width goes with the kernel's width FW.",
            why="OW from FH"),
    Mistake(_cost_square_output,
            "The MACs count an OH x OH output, as if it were square. The width has its own "
            "output size, OW = (W + 2 * padding - FW) // stride + 1.",
            why="OW = OH"),
    Mistake(_cost_ceil,
            "The output size was rounded up. When the stride does not divide, the last "
            "window would overhang the padded input and is dropped: floor division, "
            "(H + 2 * padding - FH) // stride + 1.",
            why="ceil instead of floor"),
    Mistake(_cost_square_kernel,
            "You used FH * FH for the kernel's area (a square kernel). The kernel is FH x FW: "
            "its area is FH * FW, in the parameters and in the MACs.",
            why="FH * FH"),
    Mistake(_cost_bias_as_mac,
            "The MACs include one per output value for the bias. Adding the bias is an "
            "addition, not a multiply-add: leave it out of the MAC count.",
            why="bias counted as a MAC"),
    Mistake(_cost_padding_once,
            "The padding was added once; it goes on both sides, so the padded height is "
            "H + 2 * padding (and the width W + 2 * padding).",
            why="padding on one side only"),
    Mistake(_cost_true_division, "use floor division", why="/ instead of //", rule=True),
]


_C, _H, _W = 64, 56, 40
_W3, _W7 = 3 * _C * _C * 3 * 3, _C * _C * 7 * 7   # weights of the stack, of the 7x7 layer


def _valid_stack_macs():
    # the same stack without padding: 54 x 38, then 52 x 36, then 50 x 34
    return sum(_C * _C * 9 * (_H - 2 * i) * (_W - 2 * i) for i in (1, 2, 3))


STACK_VS_7X7_MISTAKES = [
    Mistake((9, _W3, _W3 * _H * _W, 7, _W7, _W7 * _H * _W),
            "Receptive fields do not add kernel sizes: the first 3x3 layer sees 3 pixels, and "
            "each next stride-1 layer adds k - 1 = 2, not 3 (neighbouring windows overlap).",
            why="RF 3 + 3 + 3"),
    Mistake((7, 3 * 3 * 3 * _C, 3 * 3 * 3 * _C * _H * _W, 7, 7 * 7 * _C, 7 * 7 * _C * _H * _W),
            "The weights are C times too few: a layer from C to C channels has C filters, "
            "each a block of C x k x k weights, so C * C * k * k per layer.",
            why="forgot one factor C"),
    Mistake((7, _W3 + 3 * _C, _W3 * _H * _W, 7, _W7 + _C, _W7 * _H * _W),
            "The weight counts include the biases (one per filter). The question asks for the "
            "weights only, C * C * k * k per layer.",
            why="counted the biases"),
    Mistake((7, _W3, _W3 * _H * _H, 7, _W7, _W7 * _H * _H),
            "The MACs use a 56 x 56 map. The map is 56 x 40, and same padding keeps it that "
            "size: H * W, not H * H.",
            why="square map"),
    Mistake((7, _W3, _W3 // 3 * _H * _W, 7, _W7, _W7 * _H * _W),
            "The stack's MACs are those of one layer: each of the three layers does its own "
            "multiply-adds, C * C * 3 * 3 per output pixel.",
            why="one layer's MACs"),
    Mistake((7, _W3, _valid_stack_macs(), 7, _W7, _W7 * _H * _W),
            "The stack's MACs shrink the map at each layer, as without padding. With same "
            "padding every layer's output stays 56 x 40.",
            why="valid instead of same padding"),
    Mistake((7, _W3, 2 * _W3 * _H * _W, 7, _W7, 2 * _W7 * _H * _W),
            "The MACs are twice too many: that is the FLOP count (a multiply and an add per "
            "product). Count one multiply-add per product w * x.",
            why="FLOPs instead of MACs"),
]


def _compose_flipped(W1, W2):
    # "correlate the kernels": tap (p, q) of W2 lands at (FH2-1-p, FW2-1-q)
    return compose_kernels(W1, W2[:, :, ::-1, ::-1])


def _compose_out_in_swapped(W1, W2):
    return compose_kernels(W1, W2).transpose(1, 0, 2, 3)       # (C1, C3, ...)


def _compose_mixing_transposed(W1, W2):
    return compose_kernels(W1, W2.transpose(1, 0, 2, 3))       # W2[:, :, p, q].T


def _compose_no_overlap(W1, W2):
    # allocated (FH1 + FH2, FW1 + FW2): one row and one column too many, left at zero
    C3, C1 = W2.shape[0], W1.shape[1]
    W = np.zeros((C3, C1, W1.shape[2] + W2.shape[2], W1.shape[3] + W2.shape[3]))
    K = compose_kernels(W1, W2)
    W[:, :, :K.shape[2], :K.shape[3]] = K
    return W


def _compose_assigned(W1, W2):
    C2, C1, FH1, FW1 = W1.shape
    C3, _, FH2, FW2 = W2.shape
    W = np.zeros((C3, C1, FH1 + FH2 - 1, FW1 + FW2 - 1))
    for p in range(FH2):
        for q in range(FW2):
            W[:, :, p:p + FH1, q:q + FW1] = np.tensordot(W2[:, :, p, q], W1, axes=1)  # not +=
    return W


COMPOSE_KERNELS_MISTAKES = [
    Mistake(_compose_flipped,
            "W2's taps were flipped: you cross-correlated the kernels. Offsets add up along "
            "the stack: tap (a, b) of W1 under tap (p, q) of W2 reaches input offset "
            "(p + a, q + b), so W2[:, :, p, q] lands on the block starting at (p, q).",
            why="correlated the kernels"),
    Mistake(_compose_out_in_swapped,
            "the result is (C1, C3, ...): a filter bank is (out, in, FH, FW), here "
            "(C3, C1, FH1 + FH2 - 1, FW1 + FW2 - 1), filter g of layer 2 over channel c of "
            "the input.",
            why="output axes (in, out)"),
    Mistake(_compose_mixing_transposed,
            "W2's channel axes were swapped: W2[g, f] weighs the map of layer-1 filter f for "
            "output channel g, so the sum over f pairs W2[g, f, p, q] with W1[f, c].",
            why="W2[:, :, p, q].T"),
    Mistake(_compose_no_overlap,
            "the composed kernel is one row and one column too big: an output of layer 2 sees "
            "FH2 neighbouring rows of layer 1, each of which sees FH1 input rows; neighbouring "
            "windows share all but one row, so together they span FH1 + FH2 - 1 rows.",
            why="size k1 + k2"),
    Mistake(_compose_assigned,
            "the blocks of different taps overlap, and only the last one written survives: "
            "an entry of the composed kernel is a SUM over every pair of taps that reaches it. "
            "Accumulate with += into a zero array.",
            why="= instead of +="),
]
