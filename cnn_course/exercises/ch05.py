"""Chapter 5 exercises: im2col, convolution by one matrix product, backward passes in 1-D and
2-D, and the transposed convolution.

Expected answers come from private copies of the engine (``core.reference``), never from the
modules a notebook imports, so a cell such as ``F.im2col = im2col`` cannot change what "right"
means. Every exercise about gradients is ALSO checked against central differences
(``cnn_course.gradcheck.numerical_gradient``): a gradient is accepted only if it matches the
numerical one. The known wrong answers and their messages live in ``ch05_solutions``.
"""

import numpy as np

from cnn_course.exercises import ch05_solutions as sol
from cnn_course.exercises.core import (Fail, call, exercise, expect_array, known_mistakes,
                                       reference, switched_off)
from cnn_course.gradcheck import numerical_gradient, rel_error

__all__ = ["check_im2col", "check_conv_forward", "check_conv1d_input_grad",
           "check_conv1d_filter_grad", "check_conv2d_backward", "check_transposed"]

_F = reference("cnn_course.functional")
_C1 = reference("cnn_course.topics.conv1d")


def _transposed():
    """A private copy of cnn_course.topics.transposed that computes with the private
    functional (its own ``F`` would be the notebook's)."""
    module = reference("cnn_course.topics.transposed")
    module.F = _F
    return module


def _numeric(loss, a):
    """Central-difference gradient of the scalar loss(a) at a (float64, a is not kept)."""
    a = np.array(a, dtype=np.float64)
    return numerical_gradient(lambda _: loss(a), a, h=1e-5)


def _agrees(reference_value, numeric, what):
    if rel_error(reference_value, numeric) > 1e-6:   # pragma: no cover - an engine bug
        raise RuntimeError(f"the engine's {what} disagrees with central differences")


# --------------------------------------------------------------------------------------
# 1. im2col by loops

@exercise(
    "ch5-im2col", title="im2col by loops",
    hints=(
        "im2col turns every window the filter will see into one row of a matrix, so that the "
        "convolution becomes a single matrix product. The rows must come in the order of the "
        "output positions: image by image, then row by row, then column by column.",
        "Pad x on the last two axes only, compute OH and OW (each from its own side: H with FH, "
        "W with FW), and allocate (N*OH*OW, C*FH*FW). Loop over n, then i (output row), then j "
        "(output column); the window under (i, j) covers rows i*stride to i*stride + FH and "
        "columns j*stride to j*stride + FW of every channel.",
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
        ("x.shape=(3, 2, 7, 8), FH=3, FW=2, stride 3, pad 0 (the stride does not divide)",
         rng.normal(size=(3, 2, 7, 8)), 3, 2, 3, 0),
        ("x.shape=(1, 3, 7, 7), 5x5 kernel (the (9, 75) example)",
         rng.normal(size=(1, 3, 7, 7)), 5, 5, 1, 0),
    ]
    for case, x, FH, FW, stride, pad in cases:
        got = call(im2col, x, FH, FW, stride, pad, case=case)
        N, C = x.shape[:2]
        expect_array(got, _F.im2col(x, FH, FW, stride, pad), case=case,
                     mistakes=known_mistakes(x, FH, FW, stride, pad),
                     shape_hint=f"One row per (image, output position), one column per (channel, "
                                f"fh, fw): {N}*OH*OW rows and {C}*{FH}*{FW} = {C * FH * FW} "
                                "columns, with OH = (H + 2*pad - FH)//stride + 1 and OW = "
                                "(W + 2*pad - FW)//stride + 1.")
    return f"correct: all {len(cases)} cases match the engine's im2col."


# --------------------------------------------------------------------------------------
# 2. convolution forward with im2col

def _reshape_nudge(fn, x, W, b, stride, pad, *, case):
    try:
        return call(fn, x, W, b, stride, pad, case=case)
    except Fail as e:
        if "reshape" in str(e):
            H, Wd = x.shape[2:]
            FH, FW = W.shape[2:]
            raise Fail(f"{e}. The product has one row per (image, output position): here OH = "
                       f"({H} + 2*{pad} - {FH})//{stride} + 1 = "
                       f"{(H + 2 * pad - FH) // stride + 1} and OW = ({Wd} + 2*{pad} - {FW})"
                       f"//{stride} + 1 = {(Wd + 2 * pad - FW) // stride + 1}, each from its "
                       "own side.") from None
        raise


@exercise(
    "ch5-conv-forward", title="Convolution forward via im2col",
    hints=(
        "im2col has done the hard part: each row of `F.im2col(x, ...)` is one window, so every "
        "output value is the dot product of a row with a filter. All of them at once are one "
        "matrix product; what is left is putting its numbers where (N, FN, OH, OW) wants them.",
        "Flatten each filter into a column: W becomes a (C*FH*FW, FN) matrix. col (N*OH*OW, "
        "C*FH*FW) times it is (N*OH*OW, FN), one column per filter, and b adds one bias per "
        "column. The rows came in (n, i, j) order, so a reshape can only split them into "
        "(N, OH, OW); the filter axis is last and must move to second place.",
        "`out = col @ W.reshape(FN, -1).T + b` with `col = F.im2col(x, FH, FW, stride, pad)`. "
        "Reshaping out straight to (N, FN, OH, OW) scrambles the values: reshape to (N, OH, OW, "
        "FN) first, then move the last axis to position 1 with a transpose.",
    ),
    solution=sol.conv_forward, mistakes=sol.CONV_FORWARD_MISTAKES)
def check_conv_forward(conv_forward):
    rng = np.random.default_rng(6)
    cases = [  # the first case has FN == OW, so a bias broadcast along the width does not crash
        ("x (2, 3, 5, 5), W (3, 3, 3, 3), stride 1, pad 0", (2, 3, 5, 5), (3, 3, 3, 3), 1, 0),
        ("x (2, 2, 8, 5), W (4, 2, 3, 2), stride 2, pad 1 (the stride does not divide)",
         (2, 2, 8, 5), (4, 2, 3, 2), 2, 1),
        ("x (3, 3, 6, 8), W (2, 3, 1, 3), stride 3, pad 1", (3, 3, 6, 8), (2, 3, 1, 3), 3, 1),
    ]
    for case, x_shape, w_shape, stride, pad in cases:
        x, W = rng.normal(size=x_shape), rng.normal(size=w_shape)
        b = rng.normal(size=w_shape[0])
        got = _reshape_nudge(conv_forward, x, W, b, stride, pad, case=case)
        expect_array(got, _F.conv2d(x, W, b, stride=stride, padding=pad), case=case,
                     mistakes=known_mistakes(x, W, b, stride, pad),
                     shape_hint="The output is (N, FN, OH, OW), with OH = (H + 2*pad - FH)"
                                "//stride + 1 and OW = (W + 2*pad - FW)//stride + 1.")
    return "correct: your im2col convolution matches the engine's conv2d in every case."


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
             ("L=8, K=4, pad=1 (an even kernel)", 8, 4, 1), ("L=5, K=2, pad=0", 5, 2, 0),
             ("L=4, K=5, pad=2 (a kernel longer than the input)", 4, 5, 2)]
    worst = 0.0
    for case, L, K, pad in cases:
        x, w = rng.normal(size=L), rng.normal(size=K)
        dy = rng.normal(size=L + 2 * pad - K + 1)
        got = _indexerror_nudge(conv1d_input_grad, x, w, dy, pad, case=case)
        numeric = _numeric(lambda a: float(np.sum(_C1.conv1d(a, w, pad) * dy)), x)
        _agrees(_C1.conv1d_input_grad(x, w, dy, pad), numeric, "conv1d_input_grad")
        expect_array(got, numeric, case=case, mistakes=known_mistakes(x, w, dy, pad),
                     shape_hint=f"dx has the shape of x: ({L},).")
        worst = max(worst, rel_error(np.asarray(got, dtype=np.float64), numeric))
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
             ("N=4, L=5, K=2, pad=2", 4, 5, 2, 2),
             ("N=5, L=4, K=5, pad=2 (a kernel longer than the input)", 5, 4, 5, 2)]
    worst = 0.0
    for case, N, L, K, pad in cases:
        x, w = rng.normal(size=(N, L)), rng.normal(size=K)
        dy = rng.normal(size=(N, L + 2 * pad - K + 1))
        got = call(conv1d_filter_grad, x, w, dy, pad, case=case)
        numeric = _numeric(
            lambda a: float(sum(np.sum(_C1.conv1d(x[n], a, pad) * dy[n]) for n in range(N))), w)
        _agrees(_C1.conv1d_batch_filter_grad(x, w, dy, pad), numeric, "conv1d_batch_filter_grad")
        expect_array(got, numeric, case=case, mistakes=known_mistakes(x, w, dy, pad),
                     shape_hint=f"dw has the shape of w: ({K},); if you got ({N}, {K}), sum "
                                "over the batch axis.")
        worst = max(worst, rel_error(np.asarray(got, dtype=np.float64), numeric))
    return (f"correct: matches the central-difference gradient in all {len(cases)} cases "
            f"(largest relative error {worst:.0e}).")


# --------------------------------------------------------------------------------------
# 5. the backward pass of a 2-D convolution layer

def _numeric_sampled(loss, a, rng, count=40):
    """Central differences of the scalar loss(a) at ``count`` entries of a drawn by rng (all of
    them when a has no more): (indices, values). Enough to catch any wrong index pattern,
    at a fraction of the cost of every entry."""
    a = np.array(a, dtype=np.float64)
    flat = np.arange(a.size) if a.size <= count else rng.choice(a.size, count, replace=False)
    values = np.empty(len(flat))
    for k, i in enumerate(flat):
        idx = np.unravel_index(i, a.shape)
        old = a[idx]
        a[idx] = old + 1e-5
        plus = loss(a)
        a[idx] = old - 1e-5
        minus = loss(a)
        a[idx] = old
        values[k] = (plus - minus) / 2e-5
    return np.unravel_index(flat, a.shape), values


def _three_arrays(got, case):
    """The learner's (dx, dW, db), or a Fail saying what came back instead."""
    if isinstance(got, dict):
        raise Fail(f"case {case}: your function returned a dict; return the tuple "
                   "(dx, dW, db), e.g. `return dx, dW, db`.")
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        what = (f"{len(got)} values" if isinstance(got, (tuple, list))
                else f"one array of shape {got.shape}" if isinstance(got, np.ndarray)
                else f"a {type(got).__name__}" if got is not None else "None")
        raise Fail(f"case {case}: your function returned {what}; return the three gradients "
                   "as one tuple, `return dx, dW, db`.")
    return got



#: The engine's ready-made routes to a transposed convolution: switched off while the learner's
#: conv_transpose2d runs, since the exercise asks for the stamps themselves.
_TRANSPOSED_ROUTES = ("conv2d_input_grad", "conv_transpose2d", "conv_transpose2d_dilated")
_OWN_STAMPS = ("the exercise asks you to stamp the kernel yourself (loops, slicing and np.einsum "
               "are all fine).")

@exercise(
    "ch5-conv2d-backward", title="The backward pass of a 2-D convolution layer",
    hints=(
        "Go back through the forward pass one output at a time. Output (n, f, i, j) was b[f] "
        "plus the sum of W[f] times one window of the padded input, the window that starts at "
        "(i*stride, j*stride). Its gradient dout[n, f, i, j] flows back to everything that made "
        "it: to that window through W[f], to W[f] through the window, and to b[f] as it is.",
        "Pad x as the forward pass did, and start dx_pad (the padded shape) and dW (the shape "
        "of W) at zero, once. For every n, i, j and f, with g = dout[n, f, i, j]: dW[f] collects "
        "g times the window, and the window's place in dx_pad collects g times W[f]. Collect "
        "means add: windows overlap, and all the images share the filters. db[f] adds dout "
        "over the batch and every position. Finally cut the padding off dx_pad.",
        "With `rows = slice(i * stride, i * stride + FH)` and `cols = slice(j * stride, j * "
        "stride + FW)`: `dW[f] += g * xp[n, :, rows, cols]` and `dx_pad[n, :, rows, cols] += g "
        "* W[f]`. After the loops, `dx = dx_pad[:, :, pad:pad + H, pad:pad + W]` (use another "
        "name than W for the width).",
    ),
    solution=sol.conv2d_backward, mistakes=sol.CONV2D_BACKWARD_MISTAKES)
def check_conv2d_backward(conv2d_backward):
    rng = np.random.default_rng(10)
    cases = [
        ("x (2, 3, 5, 4), W (4, 3, 3, 2), stride 1, pad 1", (2, 3, 5, 4), (4, 3, 3, 2), 1, 1),
        ("x (2, 2, 6, 8), W (3, 2, 3, 3), stride 2, pad 1 (the stride does not divide)",
         (2, 2, 6, 8), (3, 2, 3, 3), 2, 1),
        ("x (2, 1, 5, 6), W (2, 1, 4, 3), stride 2, pad 2", (2, 1, 5, 6), (2, 1, 4, 3), 2, 2),
        ("x (3, 2, 7, 8), W (2, 2, 2, 3), stride 3, pad 0", (3, 2, 7, 8), (2, 2, 2, 3), 3, 0),
    ]
    worst = 0.0
    for case, x_shape, w_shape, stride, pad in cases:
        x, W = rng.normal(size=x_shape), rng.normal(size=w_shape)
        b = rng.normal(size=w_shape[0])
        dout = rng.normal(size=_F.conv2d(x, W, b, stride, pad).shape)
        got = _three_arrays(call(conv2d_backward, x, W, b, dout, stride, pad, case=case), case)

        def loss(x_, W_, b_):
            return float(np.sum(_F.conv2d(x_, W_, b_, stride=stride, padding=pad) * dout))

        numeric = (_numeric_sampled(lambda a: loss(a, W, b), x, rng),
                   _numeric_sampled(lambda a: loss(x, a, b), W, rng),
                   _numeric_sampled(lambda a: loss(x, W, a), b, rng))
        engine = _F.conv2d_backward(dout, x, W, stride, pad)
        for name, ref, (where, num) in zip(("dx", "dW", "db"), engine, numeric):
            _agrees(ref[where], num, f"conv2d_backward ({name})")
        wrong = [(w, message) for w, message in known_mistakes(x, W, b, dout, stride, pad)
                 if isinstance(w, tuple) and len(w) == 3]
        hints = (f"dx has the shape of x, {x_shape}.", f"dW has the shape of W, {w_shape}.",
                 f"db has one number per filter, shape ({w_shape[0]},) like b: b[f] was "
                 "added at every position of every image, so add dout up over the batch "
                 "and both spatial axes.")
        for k, name in enumerate(("dx", "dW", "db")):
            expect_array(got[k], engine[k], case=f"{case}, {name}",
                         mistakes=[(w[k], message) for w, message in wrong],
                         shape_hint=hints[k])
            where, num = numeric[k]
            worst = max(worst, rel_error(np.asarray(got[k], dtype=np.float64)[where], num))
    return (f"correct: dx, dW and db match the engine and central differences in all "
            f"{len(cases)} cases (largest relative error {worst:.0e}).")


# --------------------------------------------------------------------------------------
# 6. the transposed convolution, with the output size chosen

@exercise(
    "ch5-transposed", title="Transposed convolution, and which size it returns",
    hints=(
        "Run the convolution's picture backwards: every input pixel (i, j) of channel f "
        "stamps a copy of the filter W[f], scaled by its value, onto the output, and "
        "overlapping stamps add up. The output has the size of the convolution's input, and "
        "since a stride-s convolution maps s different sizes to the same one, output_padding "
        "says which of them you want.",
        "Size first: OH = (H - 1)*stride - 2*pad + FH + output_padding, and OW likewise. Stamp "
        "into a padded frame of zeros, (N, C, OH + 2*pad, OW + 2*pad): pixel (i, j) puts "
        "y[n, f, i, j] * W[f], a (C, FH, FW) block, at rows i*stride to i*stride + FH and "
        "columns j*stride to j*stride + FW. Then cut pad rows and columns off the top and "
        "left and keep OH x OW: the output_padding rows are the last ones.",
        "Loop over n, f, i and j: `out[n, :, top:top + FH, left:left + FW] += y[n, f, i, j] * "
        "W[f]` with `top, left = i * stride, j * stride`, and at the end return "
        "`out[:, :, pad:pad + OH, pad:pad + OW]`.",
    ),
    solution=sol.conv_transpose2d, mistakes=sol.TRANSPOSED_MISTAKES)
def check_transposed(conv_transpose2d):
    rng = np.random.default_rng(11)
    transposed = _transposed()
    cases = [
        ("y (2, 3, 3, 3), W (3, 2, 3, 3), stride 2, pad 1, output_padding 0 (a 5x5 output)",
         (2, 3, 3, 3), (3, 2, 3, 3), 2, 1, 0),
        ("y (2, 3, 3, 3), W (3, 2, 3, 3), stride 2, pad 1, output_padding 1 (a 6x6 output)",
         (2, 3, 3, 3), (3, 2, 3, 3), 2, 1, 1),
        ("y (2, 4, 3, 2), W (4, 3, 2, 3), stride 3, pad 1, output_padding 2",
         (2, 4, 3, 2), (4, 3, 2, 3), 3, 1, 2),
        ("y (1, 2, 4, 5), W (2, 2, 3, 2), stride 1, pad 0, output_padding 0",
         (1, 2, 4, 5), (2, 2, 3, 2), 1, 0, 0),
    ]
    worst = 0.0
    for case, y_shape, w_shape, stride, pad, extra in cases:
        y, W = rng.normal(size=y_shape), rng.normal(size=w_shape)
        N, FN, H, Wd = y_shape
        _, C, FH, FW = w_shape
        OH = (H - 1) * stride - 2 * pad + FH + extra
        OW = (Wd - 1) * stride - 2 * pad + FW + extra
        with switched_off("cnn_course.topics.transposed", _TRANSPOSED_ROUTES, _OWN_STAMPS), \
                switched_off("cnn_course.functional", ("conv2d_backward",), _OWN_STAMPS), \
                switched_off("cnn_course.fast", ("conv2d_backward",), _OWN_STAMPS):
            got = call(conv_transpose2d, y, W, stride, pad, extra, case=case)
        expected = transposed.conv2d_input_grad(y, W, (N, C, OH, OW), stride, pad)
        expect_array(got, expected, case=case,
                     mistakes=known_mistakes(y, W, stride, pad, extra),
                     shape_hint=f"The output is (N, C, OH, OW) with OH = (H - 1)*stride - "
                                f"2*pad + FH + output_padding = ({H} - 1)*{stride} - 2*{pad} + "
                                f"{FH} + {extra} = {OH}, and OW likewise from W and FW: "
                                f"({Wd} - 1)*{stride} - 2*{pad} + {FW} + {extra} = {OW}.")
        z = rng.normal(size=(N, C, OH, OW))        # the adjoint property, for the message
        lhs = float(np.sum(_F.conv2d(z, W, stride=stride, padding=pad) * y))
        rhs = float(np.sum(z * np.asarray(got, dtype=np.float64)))
        worst = max(worst, abs(lhs - rhs) / max(abs(lhs), 1e-12))
    return (f"correct in all {len(cases)} cases: your output has the size a convolution maps "
            "back to y's, and it is the convolution's adjoint, <conv2d(z, W), y> = "
            f"<z, conv_transpose2d(y, W)> (largest relative gap {worst:.0e}).")
