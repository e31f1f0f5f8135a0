"""Chapter 5 exercises: im2col, convolution by one matrix product, and backward passes.

The expected answers come from the engine (``cnn_course.functional``) and, for every exercise
about gradients, ALSO from central differences (``cnn_course.gradcheck.numerical_gradient``):
a gradient is accepted only if it matches the numerical one.
"""

import numpy as np

from cnn_course import functional as F
from cnn_course.topics.conv1d import conv1d
from cnn_course.gradcheck import numerical_gradient, rel_error
from cnn_course.exercises import ch05_solutions as sol
from cnn_course.exercises.core import Fail, call, exercise, expect_array

__all__ = ["check_im2col", "check_conv_forward", "check_conv1d_input_grad",
           "check_conv1d_filter_grad", "check_max_pool_backward"]


def _numeric(loss, a):
    """Central-difference gradient of the scalar loss(a) at a (float64, a is not kept)."""
    a = np.array(a, dtype=np.float64)
    return numerical_gradient(lambda _: loss(a), a, h=1e-5)


def _gradient_case(got, numeric, case, mistakes, shape_hint=""):
    """Compare a gradient with its central-difference value; name the usual mistakes."""
    expect_array(got, numeric, case=case, rtol=1e-5, atol=1e-6, mistakes=mistakes,
                 shape_hint=shape_hint)
    return rel_error(np.asarray(got, dtype=np.float64), numeric)


# --------------------------------------------------------------------------------------
# 1. im2col by loops

@exercise(
    "ch5-im2col", title="im2col by loops",
    hints=(
        "im2col turns every window the filter will see into one row of a matrix, so that the "
        "convolution becomes a single matrix product. The rows must come in the order of the "
        "output positions: image by image, then row by row, then column by column.",
        "Pad x on the last two axes only, compute OH and OW, and allocate (N*OH*OW, C*FH*FW). "
        "Loop over n, then i (output row), then j (output column); the window under (i, j) "
        "covers rows i*stride to i*stride + FH and columns j*stride to j*stride + FW of every "
        "channel.",
        "`np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))` pads only the height and width. "
        "The window is `xp[n, :, top:top + FH, left:left + FW]`, of shape (C, FH, FW), and "
        "`window.reshape(-1)` flattens it in (c, fh, fw) order into row `n * OH * OW + i * OW + "
        "j`.",
    ),
    solution=sol.im2col, mistakes=sol.IM2COL_MISTAKES)
def check_im2col(im2col):
    rng = np.random.default_rng(5)
    cases = [
        ("x.shape=(1, 2, 4, 4) (values 0..31), 3x3 kernel, stride 1, pad 1",
         np.arange(32.0).reshape(1, 2, 4, 4), 3, 3, 1, 1),
        ("x.shape=(2, 3, 5, 6), FH=2, FW=3, stride 2, pad 1",
         rng.normal(size=(2, 3, 5, 6)), 2, 3, 2, 1),
        ("x.shape=(1, 3, 7, 7), 5x5 kernel (the (9, 75) example)",
         rng.normal(size=(1, 3, 7, 7)), 5, 5, 1, 0),
    ]
    for case, x, FH, FW, stride, pad in cases:
        got = call(im2col, x, FH, FW, stride, pad, case=case)
        expected = F.im2col(x, FH, FW, stride, pad)
        N, C = x.shape[:2]
        expect_array(got, expected, case=case, mistakes={
            "each window was flattened in (fh, fw, c) order (channel last); the book's order "
            "is (c, fh, fw): window.reshape(-1) on the (C, FH, FW) window":
                sol._im2col_channel_last(x, FH, FW, stride, pad),
            "the output positions were visited column by column (j outside, i inside); rows "
            "must follow reading order, row = n*OH*OW + i*OW + j":
                sol._im2col_column_major_positions(x, FH, FW, stride, pad),
            "the input was not padded: pad x with np.pad(x, ((0, 0), (0, 0), (pad, pad), "
            "(pad, pad))) and use the padded size in OH, OW":
                sol._im2col_no_padding(x, FH, FW, stride, pad),
        }, shape_hint=f"One row per (image, output position), one column per (channel, fh, fw): "
                      f"{N}*OH*OW rows and {C}*{FH}*{FW} = {C * FH * FW} columns, with "
                      f"OH = (H + 2*pad - FH)//stride + 1.")
    return "correct: all three cases match cnn_course.functional.im2col."


# --------------------------------------------------------------------------------------
# 2. convolution forward with im2col

@exercise(
    "ch5-conv-forward", title="Convolution forward via im2col",
    hints=(
        "im2col has done the hard part: each row of `F.im2col(x, ...)` is one window, so every "
        "output value is the dot product of a row with a filter. All of them at once are one "
        "matrix product.",
        "Flatten each filter into a column: W becomes a (C*FH*FW, FN) matrix. col (N*OH*OW, "
        "C*FH*FW) times it is (N*OH*OW, FN), one column per filter, and b adds one bias per "
        "column. The rows come in (n, i, j) order, so reshape to (N, OH, OW, FN) before you "
        "move the channel axis.",
        "`col = F.im2col(x, FH, FW, stride, pad)` and `out = col @ W.reshape(FN, -1).T + b`. "
        "Reshaping out straight to (N, FN, OH, OW) scrambles the values: reshape to (N, OH, OW, "
        "FN) first, then `.transpose(0, 3, 1, 2)`.",
    ),
    solution=sol.conv_forward, mistakes=sol.CONV_FORWARD_MISTAKES)
def check_conv_forward(conv_forward):
    rng = np.random.default_rng(6)
    cases = [  # the first case has FN == OW, so a bias broadcast along the width does not crash
        ("x (2, 3, 5, 5), W (3, 3, 3, 3), stride 1, pad 0", (2, 3, 5, 5), (3, 3, 3, 3), 1, 0),
        ("x (2, 2, 6, 5), W (4, 2, 3, 3), stride 2, pad 1", (2, 2, 6, 5), (4, 2, 3, 3), 2, 1),
        ("x (1, 3, 4, 4), W (2, 3, 1, 1), stride 1, pad 0", (1, 3, 4, 4), (2, 3, 1, 1), 1, 0),
    ]
    for case, x_shape, w_shape, stride, pad in cases:
        x, W = rng.normal(size=x_shape), rng.normal(size=w_shape)
        b = rng.normal(size=w_shape[0])
        got = call(conv_forward, x, W, b, stride, pad, case=case)
        expected = F.conv2d(x, W, b, stride=stride, padding=pad)
        mistakes = {
            "the (N*OH*OW, FN) product was reshaped straight to (N, FN, OH, OW); its rows are "
            "positions and its columns filters, so reshape to (N, OH, OW, FN), then "
            "transpose(0, 3, 1, 2)": sol._conv_forward_no_transpose(x, W, b, stride, pad),
            "the filters were unfolded with W.reshape(-1, FN), which mixes the filters; each "
            "filter must become one column: W.reshape(FN, -1).T":
                sol._conv_forward_filter_reshaped_wrong(x, W, b, stride, pad),
        }
        if w_shape[0] == expected.shape[3]:
            mistakes["the bias was broadcast along the last axis (the width), not per "
                     "channel: add b to the (N*OH*OW, FN) product, or use "
                     "b.reshape(FN, 1, 1) on the 4-D output"] = \
                sol._conv_forward_bias_on_last_axis(x, W, b, stride, pad)
        expect_array(got, expected, case=case, mistakes=mistakes,
                     shape_hint="The output is (N, FN, OH, OW).")
    return "correct: your im2col convolution matches cnn_course.functional.conv2d."


# --------------------------------------------------------------------------------------
# 3. the 1-D input gradient

def _indexerror_nudge(fn, *args, case):
    try:
        return call(fn, *args, case=case)
    except Fail as e:
        if "IndexError" in str(e):
            raise Fail(f"{e} An index ran past the end of the padded dy: pad dy by K - 1 - pad "
                       "on each side (K - 1 if you compute the gradient of the padded input "
                       "and crop it), not by pad.") from None
        raise


@exercise(
    "ch5-conv1d-input-grad", title="The input gradient of a 1-D convolution",
    hints=(
        "Every input value took part in several outputs, once through each kernel weight it "
        "met. Its gradient collects dy[o] * w[k] over all the (o, k) pairs where it met output "
        "o through weight w[k].",
        "With padding, x[i] sits at x_pad[i + pad], and output o read x_pad[o : o + K], so "
        "x_pad[i] met y[o] through w[k] when o + k = i. Compute the gradient of the padded "
        "input first, then drop the first and last pad entries: they were zeros, not inputs.",
        "Pad dy with K - 1 zeros on both ends, `dy_full = np.pad(dy, K - 1)`, so every index "
        "exists; then `dx_pad[i] += dy_full[i + K - 1 - k] * w[k]` for every i and k. The "
        "output index runs down while k runs up: the kernel is flipped.",
    ),
    solution=sol.conv1d_input_grad, mistakes=sol.INPUT_GRAD_MISTAKES)
def check_conv1d_input_grad(conv1d_input_grad):
    rng = np.random.default_rng(7)
    cases = [("L=7, K=3, pad=1", 7, 3, 1), ("L=6, K=3, pad=2", 6, 3, 2),
             ("L=8, K=4, pad=1 (an even kernel)", 8, 4, 1), ("L=5, K=2, pad=0", 5, 2, 0)]
    worst = 0.0
    for case, L, K, pad in cases:
        x, w = rng.normal(size=L), rng.normal(size=K)
        dy = rng.normal(size=L + 2 * pad - K + 1)
        got = _indexerror_nudge(conv1d_input_grad, x, w, dy, pad, case=case)
        numeric = _numeric(lambda a: float(np.sum(conv1d(a, w, pad) * dy)), x)
        worst = max(worst, _gradient_case(got, numeric, case, {
            "the kernel was not flipped: output o + k used w[k], but then input i meets w[k] "
            "at output i + pad - k, so dy runs backwards against w (use dy_full[i + K - 1 - k])":
                sol._input_grad_not_flipped(x, w, dy, pad),
            "dy was padded by pad, as the input was; that lines up only when K = 2*pad + 1. "
            "Pad dy by K - 1 - pad on each side (or by K - 1 and crop pad entries)":
                sol._input_grad_notes_padding(x, w, dy, pad),
            "only one term reached each input (= instead of +=?): an input meets up to K "
            "outputs and its gradient is the sum of dy[o] * w[k] over all of them":
                sol._input_grad_no_sum(x, w, dy, pad),
        }, shape_hint="dx has the shape of x: (L,)."))
    return (f"correct: matches the central-difference gradient in all {len(cases)} cases "
            f"(largest relative error {worst:.0e}).")


# --------------------------------------------------------------------------------------
# 4. the 1-D filter gradient, batched

@exercise(
    "ch5-conv1d-filter-grad", title="The filter gradient of a batched 1-D convolution",
    hints=(
        "The weight w[k] was used at every output position of every sample in the batch. Its "
        "gradient adds up all those uses.",
        "Output y[n, o] read the window x_pad[n, o : o + K], so it used w[k] on x_pad[n, o + "
        "k]: that use contributes dy[n, o] * x_pad[n, o + k] to dw[k]. Sum over all n and o; "
        "the result is one (K,) array for the whole batch.",
        "Create `dw = np.zeros(K)` once, BEFORE the loop over the samples (not inside it). For "
        "each n, pad with `x_pad = np.pad(x[n], pad)`, then `dw[k] += x_pad[o + k] * dy[n, o]` "
        "for every k and o.",
    ),
    solution=sol.conv1d_filter_grad, mistakes=sol.FILTER_GRAD_MISTAKES)
def check_conv1d_filter_grad(conv1d_filter_grad):
    rng = np.random.default_rng(8)
    cases = [("N=3, L=6, K=3, pad=1", 3, 6, 3, 1), ("N=2, L=7, K=4, pad=0", 2, 7, 4, 0),
             ("N=4, L=5, K=2, pad=2", 4, 5, 2, 2)]
    worst = 0.0
    for case, N, L, K, pad in cases:
        x, w = rng.normal(size=(N, L)), rng.normal(size=K)
        dy = rng.normal(size=(N, L + 2 * pad - K + 1))
        got = call(conv1d_filter_grad, x, w, dy, pad, case=case)
        numeric = _numeric(
            lambda a: float(sum(np.sum(conv1d(x[n], a, pad) * dy[n]) for n in range(N))), w)
        per_sample = [sol.conv1d_filter_grad(x[n:n + 1], w, dy[n:n + 1], pad) for n in range(N)]
        worst = max(worst, _gradient_case(got, numeric, case, {
            "you did not sum over the batch: only the last sample's gradient is left "
            "(was dw reset inside the loop over n?)": per_sample[-1],
            "you did not sum over the batch: only the first sample's gradient is there":
                per_sample[0],
            "you averaged over the batch; the loss adds the samples' outputs, so sum over "
            "the batch": np.mean(per_sample, axis=0),
            "dy was flipped: dw[k] = sum_o x_pad[o + k] * dy[o], indices moving in the same "
            "direction (only the input gradient flips something)":
                sol._filter_grad_dy_flipped(x, w, dy, pad),
            "the window is shifted by one (x_pad[o + k - 1]?): output o saw x_pad[o : o + K], "
            "so dw[k] pairs dy[o] with x_pad[o + k]": sol._filter_grad_off_by_one(x, w, dy, pad),
        }, shape_hint=f"dw has the shape of w: ({K},); if you got ({N}, {K}), sum over the "
                      "batch axis."))
    return (f"correct: matches the central-difference gradient in all {len(cases)} cases "
            f"(largest relative error {worst:.0e}).")


# --------------------------------------------------------------------------------------
# 5. max-pool backward

def _tied_input(rng):
    x = rng.integers(0, 4, size=(2, 2, 4, 4)).astype(np.float64)
    x[0, 0, :2, :2] = [[3.0, 3.0], [1.0, 3.0]]           # a window with a three-way tie
    return x


@exercise(
    "ch5-maxpool-backward", title="Max-pool backward",
    hints=(
        "Max pooling passes only each window's maximum forward, so in the backward pass only "
        "that position receives the window's gradient; every other input of the window gets "
        "nothing from it.",
        "Start from zeros shaped like x. For each n, c and output (i, j), find the first "
        "maximum of the window (row-major, as `np.argmax` does) and add dy[n, c, i, j] there. "
        "Add, do not assign: with stride < size the windows overlap and one input can win "
        "several of them.",
        "With `top, left = i * stride, j * stride` and `window = x[n, c, top:top + size, "
        "left:left + size]`, `a, b = np.unravel_index(np.argmax(window), window.shape)` locates "
        "the maximum; then `dx[n, c, top + a, left + b] += dy[n, c, i, j]`.",
    ),
    solution=sol.max_pool_backward, mistakes=sol.MAX_POOL_BACKWARD_MISTAKES)
def check_max_pool_backward(max_pool_backward):
    rng = np.random.default_rng(9)
    cases = [
        ("x (2, 2, 4, 4) with distinct values, size 2, stride 2",
         rng.permutation(64).reshape(2, 2, 4, 4) / 7.0, 2, 2),
        ("x (2, 2, 4, 4) with tied maxima (values 0..3), size 2, stride 2", _tied_input(rng), 2, 2),
        ("x (1, 2, 5, 5) with distinct values, size 3, stride 2 (overlapping windows)",
         rng.permutation(50).reshape(1, 2, 5, 5) / 7.0, 3, 2),
    ]
    for case, x, size, stride in cases:
        dy = rng.normal(size=F.max_pool2d(x, size, stride).shape)
        got = call(max_pool_backward, x, dy, size, stride, case=case)
        expected = F.max_pool2d_backward(dy, x, size, stride)
        mistakes = {
            "every element of each window received the gradient; only the maximum changed the "
            "output, the others get 0": sol._pool_backward_every_element(x, dy, size, stride),
            "the gradient was spread evenly over the window: that is average pooling's "
            "backward; max pooling sends all of it to the maximum":
                sol._pool_backward_average(x, dy, size, stride),
            "in a window with a tie every tied maximum received the gradient, so it was counted "
            "several times; give it to one of them (the first, as np.argmax does)":
                sol._pool_backward_ties_doubled(x, dy, size, stride),
        }
        if stride < size:
            mistakes["a pixel that wins two overlapping windows kept only one gradient: use "
                     "dx[...] += dy[...], not ="] = _pool_backward_assign(x, dy, size, stride)
        if "distinct" in case:   # no ties: the gradient is defined, check it numerically too
            numeric = _numeric(lambda a: float(np.sum(F.max_pool2d(a, size, stride) * dy)), x)
            if rel_error(expected, numeric) > 1e-6:   # pragma: no cover - engine bug
                raise RuntimeError("max_pool2d_backward disagrees with central differences")
            expected = numeric
        _gradient_case(got, expected, case, mistakes, shape_hint="dx has the shape of x.")
    return ("correct: matches the central-difference gradient where it is defined (no ties) "
            "and sends a tied window's gradient to its first maximum.")


def _pool_backward_assign(x, dy, size, stride):
    N, C, OH, OW = dy.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = x[n, c, i * stride:i * stride + size, j * stride:j * stride + size]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + a, j * stride + b] = dy[n, c, i, j]
    return dx
