"""Reference solutions for chapter 3 (multiple input and output channels), and the usual wrong
answers.

The book shows these functions in its solution dropdowns (``literalinclude``). The Mistake
lists at the bottom are realistic wrong answers; the tests prove each is rejected with a
message that names the mistake.
"""

import numpy as np

from cnn_course import functional as F
from cnn_course.exercises.core import Mistake

__all__ = ["corr2d_multi_in", "corr2d_multi_in_out", "conv1x1", "conv_layer_cost", "add_bias",
           "CORR2D_MULTI_IN_MISTAKES", "CORR2D_MULTI_IN_OUT_MISTAKES", "CONV1X1_MISTAKES",
           "CONV_COST_MISTAKES", "ADD_BIAS_MISTAKES"]


# --- reference solutions ---------------------------------------------------------------

def corr2d_multi_in(X, K):
    """Cross-correlate X (C, H, W) with K (C, FH, FW): one 2-D map per channel, summed."""
    C = X.shape[0]
    Y = F.corr2d(X[0], K[0])
    for c in range(1, C):
        Y = Y + F.corr2d(X[c], K[c])    # channel c's contribution
    return Y                            # (OH, OW): the channels are summed away


def corr2d_multi_in_out(X, K):
    """Apply a filter bank K (FN, C, FH, FW) to X (C, H, W): returns (FN, OH, OW)."""
    return np.stack([corr2d_multi_in(X, K[f]) for f in range(K.shape[0])], axis=0)


def conv1x1(X, W):
    """A 1x1 convolution of X (N, C, H, W) with W (FN, C, 1, 1) as one matrix product."""
    N, C, H, Wd = X.shape
    FN = W.shape[0]
    pixels = X.transpose(0, 2, 3, 1).reshape(N * H * Wd, C)   # one row per pixel
    Y = pixels @ W.reshape(FN, C).T                            # (N*H*W, FN)
    return Y.reshape(N, H, Wd, FN).transpose(0, 3, 1, 2)       # back to (N, FN, H, W)


def conv_layer_cost(C, H, W, FN, k, stride=1, padding=0):
    """(params, MACs) of a k x k conv layer with FN filters on one (C, H, W) input."""
    OH = (H + 2 * padding - k) // stride + 1
    OW = (W + 2 * padding - k) // stride + 1
    params = FN * C * k * k + FN         # the weights, plus one bias per filter
    macs = FN * OH * OW * C * k * k      # one C*k*k dot product per OUTPUT value
    return params, macs


def add_bias(Y, b):
    """Add the bias b (FN,) of each output channel to Y (N, FN, OH, OW)."""
    return Y + b.reshape(1, -1, 1, 1)    # broadcast over the batch, height and width


# --- the usual mistakes ------------------------------------------------------------------

def _per_channel(X, K):
    return np.stack([F.corr2d(X[c], K[c]) for c in range(X.shape[0])])


def _multi_in_not_summed(X, K):
    return _per_channel(X, K)                      # (C, OH, OW)


def _multi_in_wrong_axis(X, K):
    return _per_channel(X, K).sum(axis=1)          # sums over rows: (C, OW)


def _multi_in_mean(X, K):
    return _per_channel(X, K).mean(axis=0)


def _multi_in_first_channel(X, K):
    return F.corr2d(X[0], K[0])


def _multi_in_one_kernel(X, K):
    return sum(F.corr2d(X[c], K[0]) for c in range(X.shape[0]))


CORR2D_MULTI_IN_MISTAKES = [
    Mistake(_multi_in_not_summed, expect="not summed", why="returns (C, OH, OW)"),
    Mistake(_multi_in_wrong_axis, expect="wrong axis", why="sum(axis=1) on the stack"),
    Mistake(_multi_in_mean, expect="averaged", why="mean instead of sum"),
    Mistake(_multi_in_first_channel, expect="only the first channel", why="forgot the loop"),
    Mistake(_multi_in_one_kernel, expect="same kernel", why="K[0] for every channel"),
]


def _multi_out_last_axis(X, K):
    return np.stack([corr2d_multi_in(X, K[f]) for f in range(K.shape[0])], axis=-1)


def _multi_out_one_kernel(X, K):
    return np.stack([corr2d_multi_in(X, K[0]) for f in range(K.shape[0])])


def _multi_out_summed(X, K):
    return sum(corr2d_multi_in(X, K[f]) for f in range(K.shape[0]))


def _multi_out_in_out_order(X, K):
    # reads K as (C, FN, FH, FW), as one of the notes' code does: K[:, f] is "filter f"
    return np.stack([corr2d_multi_in(X, K[:, f]) for f in range(K.shape[1])])


CORR2D_MULTI_IN_OUT_MISTAKES = [
    Mistake(_multi_out_last_axis, expect="last axis", why="np.stack(..., axis=-1)"),
    Mistake(_multi_out_one_kernel, expect="same filter", why="K[0] for every output"),
    Mistake(_multi_out_summed, expect="summed the output channels", why="sum, not stack"),
    Mistake(_multi_out_in_out_order, expect="(FN, C, FH, FW)",
            why="indexed the bank as (in, out, h, w)"),
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


CONV1X1_MISTAKES = [
    Mistake(_conv1x1_no_transpose, expect="scrambles the pixels",
            why="X.reshape(N*H*W, C) without moving C last"),
    Mistake(_conv1x1_weights_transposed, expect="weights are transposed",
            why="W.reshape(C, FN) is not W's transpose"),
    Mistake(_conv1x1_output_reshape, expect="reshaped the result straight to (N, FN, H, W)",
            why="output reshape without the transpose"),
    Mistake(_conv1x1_flat, expect="(N*H*W, FN)", why="forgot to reshape back"),
]


def _cost_no_bias(C, H, W, FN, k, stride=1, padding=0):
    params, macs = conv_layer_cost(C, H, W, FN, k, stride, padding)
    return params - FN, macs


def _cost_no_channels(C, H, W, FN, k, stride=1, padding=0):
    OH = (H + 2 * padding - k) // stride + 1
    OW = (W + 2 * padding - k) // stride + 1
    return FN * k * k + FN, FN * OH * OW * k * k


def _cost_input_size(C, H, W, FN, k, stride=1, padding=0):
    return FN * C * k * k + FN, FN * H * W * C * k * k


def _cost_macs_from_params(C, H, W, FN, k, stride=1, padding=0):
    OH = (H + 2 * padding - k) // stride + 1
    OW = (W + 2 * padding - k) // stride + 1
    return FN * C * k * k + FN, OH * OW * C * k * k        # one filter's work only


CONV_COST_MISTAKES = [
    Mistake(_cost_no_bias, expect="bias", why="weights only"),
    Mistake(_cost_no_channels, expect="input channels", why="a filter is C x k x k"),
    Mistake(_cost_input_size, expect="output size", why="H*W instead of OH*OW"),
    Mistake(_cost_macs_from_params, expect="every one of the FN filters",
            why="MACs of one output channel"),
]


def _bias_last_axis(Y, b):
    return Y + b                                   # broadcasts along the width


def _bias_height(Y, b):
    return Y + b.reshape(-1, 1)                    # broadcasts along the height


def _bias_in_place(Y, b):
    Y += b.reshape(1, -1, 1, 1)                    # changes the caller's array
    return Y


def _bias_summed(Y, b):
    return Y + b.sum()


ADD_BIAS_MISTAKES = [
    Mistake(_bias_last_axis, expect="last axis", why="Y + b with b of shape (FN,)"),
    Mistake(_bias_height, expect="height", why="b.reshape(FN, 1)"),
    Mistake(_bias_in_place, expect="in place", why="Y += ..."),
    Mistake(_bias_summed, expect="every channel got the same", why="b.sum()"),
]
