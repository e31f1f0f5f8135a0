"""Chapter 1 exercises: cross-correlation by loops, true convolution, a convolution as a matrix,
where translation equivariance holds, a hand-made anti-diagonal edge kernel, and parameter
counts. Reference solutions and known mistakes: ``ch01_solutions``.

Expected answers come from private code: ``reference("cnn_course.functional").corr2d`` (a copy
of the engine that a notebook cannot reassign) and the reference solutions. The cases are
non-square (inputs and kernels, FH > FW and FH < FW) and hold non-integer values.
"""

import warnings

import numpy as np

from cnn_course.exercises import ch01_solutions as sol
from cnn_course.exercises.core import (Fail, call, exercise, expect_array, expect_int,
                                       expect_value, fail, known_mistakes, reference)

__all__ = ["check_corr2d", "check_convolve2d_true", "check_conv_matrix", "check_equivariance",
           "SELECTIVITY", "check_diagonal_kernel", "check_param_counts"]

_OUTPUT_SIZE = "A valid output is (H - FH + 1) x (W - FW + 1)."


def _corr(X, K):
    return reference("cnn_course.functional").corr2d(X, K)


def _matches(got, wrong):
    """True when an answer equals a registered wrong answer (same shape, same values)."""
    try:
        got, wrong = np.asarray(got, dtype=float), np.asarray(wrong, dtype=float)
    except (TypeError, ValueError):
        return False
    return got.shape == wrong.shape and np.allclose(got, wrong)


def _pairs(seed):
    """(case, X, K) with non-square inputs and kernels and non-integer values."""
    rng = np.random.default_rng(seed)
    return [
        ("X 5x6 random, K 3x2 random (FH > FW)",
         rng.normal(size=(5, 6)), rng.normal(size=(3, 2))),
        ("X 4x7 random, K 2x4 random (FH < FW)",
         rng.normal(size=(4, 7)), rng.normal(size=(2, 4))),
        ("X 6x3 random, K 1x3 random (one output column)",
         rng.normal(size=(6, 3)), rng.normal(size=(1, 3))),
    ]


@exercise(
    "ch1-corr2d",
    title="Cross-correlation by loops",
    hints=(
        "Think of the kernel as a small window that slides over X. Every output value Y[i, j] "
        "belongs to one position of the window: how many positions are there along each axis, "
        "and what do you compute at each one?",
        "The window fits at H - FH + 1 row positions and W - FW + 1 column positions: that is "
        "the output's shape (the height uses the kernel's height, the width its width). At "
        "position (i, j), multiply the part of X under the window by K, element by element, "
        "and add everything up. No flipping, no bias.",
        "Allocate a float output with `np.zeros((H - FH + 1, W - FW + 1))`, loop over every "
        "`i` and `j` of it, and set `Y[i, j]` to the sum of `X[i:i + FH, j:j + FW] * K`.",
    ),
    solution=sol.corr2d,
    mistakes=sol.CORR2D_MISTAKES,
)
def check_corr2d(corr2d):
    example = ("X 3x4 = arange(12), K 2x2 = [[0, 1], [2, 3]] (the example)",
               np.arange(12.0).reshape(3, 4), np.array([[0.0, 1.0], [2.0, 3.0]]))
    for case, X, K in [example] + _pairs(1):
        got = call(corr2d, X, K, case=case)
        expect_array(got, _corr(X, K), case=case, shape_hint=_OUTPUT_SIZE,
                     mistakes=known_mistakes(X, K))
    return "correct: Y[i, j] is the sum of the window X[i:i+FH, j:j+FW] times K."


@exercise(
    "ch1-true-conv",
    title="True convolution by flipping the kernel",
    hints=(
        "True convolution and cross-correlation differ only in how the kernel is laid over each "
        "window: convolution uses the kernel turned by 180 degrees. So you need no new loops: "
        "reuse your corr2d.",
        "Turning by 180 degrees means upside down AND left to right: flip both axes. Flipping "
        "one axis gives a mirror image, not a turn, and a transpose (`K.T`) mirrors across the "
        "diagonal, which is something else again.",
        "`K[::-1]` reverses the rows and `K[:, ::-1]` the columns; one slice can do both (or "
        "`np.flip(K)`). Call your `corr2d` on X with the turned kernel.",
    ),
    solution=sol.convolve2d_true,
    mistakes=sol.CONVOLVE_MISTAKES,
)
def check_convolve2d_true(convolve2d_true):
    example = ("X 4x5 = arange(20), K 2x3 = [[1, 2, 3], [4, 5, 6]]",
               np.arange(20.0).reshape(4, 5), np.arange(1.0, 7.0).reshape(2, 3))
    for case, X, K in [example] + _pairs(2)[:2]:
        got = call(convolve2d_true, X, K, case=case)
        expect_array(got, _corr(X, K[::-1, ::-1]), case=case, mistakes=known_mistakes(X, K),
                     shape_hint=_OUTPUT_SIZE + " A kernel whose height and width were swapped "
                     "(a transpose, or a turn by 90 degrees) changes it; a turn by 180 degrees "
                     "keeps the kernel's shape.")
    return "correct: convolution = cross-correlation with the kernel turned by 180 degrees."


def _where_in_matrix(index, OW, W):
    """'output (i, j), input pixel (k, l)' for an index (row, column) of the matrix."""
    r, c = index
    return (f"row {r} is output ({r // OW}, {r % OW}), column {c} is input pixel "
            f"({c // W}, {c % W})")


@exercise(
    "ch1-conv-as-matrix",
    title="A convolution as a matrix",
    hints=(
        "A valid cross-correlation is a dense layer in disguise: every output is a weighted sum "
        "of all H*W input pixels, with most weights zero. Which weights are not zero for output "
        "(i, j), and what are they?",
        "Number the outputs and the pixels the way `ravel` does, row by row: output (i, j) is "
        "row i*OW + j of M, input pixel (k, l) is column k*W + l. Output (i, j) reads pixel "
        "(i + a, j + b) with weight K[a, b], for every offset (a, b) of the kernel; every other "
        "entry of its row is 0.",
        "Start from `M = np.zeros((OH * OW, H * W))`, loop over the outputs (i, j) and the "
        "kernel offsets (a, b), and write K[a, b] into row `i * OW + j`, at the column of pixel "
        "(i + a, j + b).",
    ),
    solution=sol.conv_matrix,
    mistakes=sol.CONV_MATRIX_MISTAKES,
)
def check_conv_matrix(conv_matrix):
    rng = np.random.default_rng(3)
    cases = [
        ("K 2x3 random, H=4, W=6 (FH < FW, H < W)", rng.normal(size=(2, 3)), 4, 6),
        ("K 3x2 random, H=6, W=4 (FH > FW, H > W)", rng.normal(size=(3, 2)), 6, 4),
        ("K 1x1 = [[2.5]], H=2, W=3", np.array([[2.5]]), 2, 3),
    ]
    for case, K, H, W in cases:
        OH, OW = H - K.shape[0] + 1, W - K.shape[1] + 1
        # Column c of the matrix is the response to the unit image with a 1 at pixel c.
        expected = np.stack([_corr(e.reshape(H, W), K).ravel() for e in np.eye(H * W)],
                            axis=1)
        got = call(conv_matrix, K, H, W, case=case)
        try:
            expect_array(got, expected, case=case, mistakes=known_mistakes(K, H, W),
                         shape_hint=f"M has one row per output and one column per input "
                                    f"pixel: (OH*OW, H*W) = ({OH * OW}, {H * W}) here.")
        except Fail as e:
            diff = np.abs(np.asarray(got, dtype=float) - expected) if (
                np.shape(got) == expected.shape) else None
            if diff is None or "wrong values" not in str(e):
                raise
            where = np.unravel_index(np.argmax(diff), diff.shape)
            raise Fail(f"{e} ({_where_in_matrix(where, OW, W)}.)") from None
    return ("correct: each row is the kernel placed over one window, zeros elsewhere; "
            "M @ X.ravel() is corr2d(X, K).ravel(). Try plt.imshow(M) to see the band.")


def _equivariance_cases():
    rng = np.random.default_rng(4)
    return [
        ("X 6x7 random, K 1x3 random, (dy, dx) = (2, 1)",
         rng.normal(size=(6, 7)), rng.normal(size=(1, 3)), 2, 1),
        ("X 7x8 random, K 3x2 random, (dy, dx) = (1, 2)",
         rng.normal(size=(7, 8)), rng.normal(size=(3, 2)), 1, 2),
        ("X 6x9 random, K 2x3 random, (dy, dx) = (-2, 1)",
         rng.normal(size=(6, 9)), rng.normal(size=(2, 3)), -2, 1),
        ("X 9x7 random, K 2x2 random, (dy, dx) = (4, -3): a shift larger than the kernel",
         rng.normal(size=(9, 7)), rng.normal(size=(2, 2)), 4, -3),
        ("X 5x6 random, K 3x3 random, (dy, dx) = (0, 0)",
         rng.normal(size=(5, 6)), rng.normal(size=(3, 3)), 0, 0),
    ]


def _as_mask(got, shape, case):
    """The learner's mask as a bool array, or a Fail that says what is wrong with it."""
    if got is None:
        fail(f"case {case}: your function returned None. Did you forget `return`?")
    try:
        mask = np.asarray(got)
    except (TypeError, ValueError):
        fail(f"case {case}: expected a boolean array, got {type(got).__name__}.")
    if mask.dtype != bool:
        if mask.dtype.kind in "iuf" and np.isin(mask, (0, 1)).all():
            mask = mask.astype(bool)
        else:
            fail(f"case {case}: expected a boolean array (True where the two sides agree), "
                 f"got an array of dtype {mask.dtype}. np.isclose(a, b) gives one.")
    if mask.shape != shape:
        fail(f"case {case}: expected a mask of corr2d(X, K)'s shape {shape}, got "
             f"{mask.shape}. Compare the two outputs position by position.")
    return mask


@exercise(
    "ch1-equivariance",
    title="Where is a convolution equivariant?",
    hints=(
        "Compute both sides and compare them: shift X, then correlate; correlate X, then shift "
        "the output by the same (dy, dx). Write the shift first and test it on a small array "
        "whose values you can follow.",
        "The shift moves the content dy rows down and dx columns right: the value at (r, c) "
        "lands at (r + dy, c + dx), and the rows and columns that enter are zero. Read the "
        "other way round: out[r, c] = A[r - dy, c - dx] when that index is inside A, else 0. "
        "Use the same shift on X and on the output.",
        "With a helper `shift(A)` that does this (two loops, or slices), the answer is "
        "`np.isclose(corr2d(shift(X), K), shift(corr2d(X, K)))`.",
    ),
    solution=sol.equivariance_mask,
    mistakes=sol.EQUIVARIANCE_MISTAKES,
)
def check_equivariance(equivariance_mask):
    for case, X, K, dy, dx in _equivariance_cases():
        expected = _reference_mask(X, K, dy, dx)
        got = _as_mask(call(equivariance_mask, X, K, dy, dx, case=case), expected.shape, case)
        if np.array_equal(got, expected):
            continue
        for wrong, message in known_mistakes(X, K, dy, dx):
            if np.shape(wrong) == got.shape and np.array_equal(got, wrong):
                fail(f"case {case}: {message}")
        bad = np.argwhere(got != expected)
        i, j = (int(v) for v in bad[0])
        fail(f"case {case}: your mask is wrong at {len(bad)} of {got.size} positions, first at "
             f"({i}, {j}): expected {bool(expected[i, j])}, got {bool(got[i, j])}. Compute "
             "corr2d(shift(X), K) and shift(corr2d(X, K)) with the same shift and compare "
             "them entry by entry.")
    return ("correct: the two sides agree everywhere except in a band along the border the "
            "shift comes from, where the window straddles the zeros that entered and X's "
            "pixels; the band is at most FH - 1 rows and FW - 1 columns wide.")


def _reference_mask(X, K, dy, dx):
    """The right mask, with the engine's private corr2d and a zero-filled shift."""
    def shift(A):
        H, W = A.shape
        out = np.zeros_like(A)
        out[max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            A[max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
        return out
    return np.isclose(_corr(shift(X), K), shift(_corr(X, K)))


def _response(K, kind):
    """The strongest absolute response of K on an 8x8 test image of ``kind``."""
    image = reference("cnn_course.topics.kernels").edge_image(kind, 8)
    return float(np.abs(_corr(image, K)).max())


#: The anti-diagonal response must beat every other edge by this factor.
SELECTIVITY = 1.25


@exercise(
    "ch1-diagonal-kernel",
    title="A kernel for anti-diagonal edges",
    hints=(
        "An edge detector compares the two sides of an edge: negative weights on one side, "
        "positive weights on the other, zeros along the edge itself. On a flat region the two "
        "sides cancel, so the weights must sum to 0.",
        "Start from the vertical-edge kernel `[[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]`: its zeros "
        "run down the middle column. Turn the pattern so that the zeros lie along the "
        "anti-diagonal (top-right to bottom-left), with negatives above-left of it and "
        "positives below-right. Try it in the kernel explorer of section 1.7.",
    ),
    solution=sol.kernel,
    mistakes=sol.DIAGONAL_KERNEL_MISTAKES,
)
def check_diagonal_kernel(kernel):
    case = "the kernel"
    if callable(kernel):
        fail(f"expected a 3x3 array of numbers, got {type(kernel).__name__}.")
    try:
        with warnings.catch_warnings():      # a complex kernel is refused just below
            warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
            K = np.asarray(kernel, dtype=float)
    except (TypeError, ValueError):
        K = np.zeros((3, 3))
    if not np.isfinite(K).all():
        fail(f"your kernel contains NaN or infinity; use ordinary numbers.")
    # Compared with its own float copy, expect_array applies the answer policy (strings,
    # complex numbers, booleans and arrays of objects are refused, saying why).
    expect_array(kernel, K, case=case)
    if K.shape != (3, 3):
        fail(f"expected a 3x3 kernel, got an array of shape {K.shape}.")
    for wrong, message in known_mistakes():
        if _matches(K, wrong):
            fail(message)
    scale = np.abs(K).sum()
    if scale == 0:
        fail("your kernel is all zeros: it responds to nothing.")
    flat = _response(K, "flat")
    if flat > 1e-9 * scale:
        message = (f"on a flat region (a constant image of ones) your kernel gives {flat:.3g}, "
                   f"because its weights sum to {K.sum():.3g}. An edge detector must give 0 "
                   "where nothing changes: make the weights sum to 0.")
        if (K >= 0).all() or (K <= 0).all():
            message += (" All your weights have the same sign, so the kernel blurs "
                        "(averages neighbours) instead of comparing them.")
        fail(message)
    wanted = _response(K, "anti-diagonal")
    others = {"a vertical edge": _response(K, "vertical"),
              "a horizontal edge": _response(K, "horizontal"),
              "an edge along the other diagonal (\\)": _response(K, "diagonal")}
    rival, strongest = max(others.items(), key=lambda item: item[1])
    if wanted < SELECTIVITY * strongest or wanted == 0:
        detail = ", ".join(f"{name}: {value:.3g}" for name, value in others.items())
        fail(f"strongest responses: anti-diagonal edge (/): {wanted:.3g}; {detail}. "
             f"Your kernel responds to {rival} at least as much as to the anti-diagonal one "
             f"(it must give at least {SELECTIVITY}x more for the anti-diagonal edge). Put the "
             "kernel's zeros along the anti-diagonal, with opposite signs on either side.")
    return (f"correct: anti-diagonal edge {wanted:.3g}, strongest other edge "
            f"{strongest:.3g}, flat region 0.")


_PARTS = ("conv_params", "dense_params")


@exercise(
    "ch1-param-count",
    title="Parameters of a convolutional and a dense layer",
    hints=(
        "Parameters are the numbers a layer learns: weights and biases. A convolution's weights "
        "are its kernels, shared by every position of the image, so the image's size does not "
        "enter; a dense layer has one weight for every (input value, unit) connection.",
        "Convolution: each of the 16 filters has a 3x3 kernel for each of the 3 input channels, "
        "plus one bias. Dense: first find its number of units, the number of values the "
        "convolution outputs (how many 3x3 windows fit in 32 x 32, times 16 filters); then one "
        "weight per (input value, unit) pair, the input having 3 x 32 x 32 values, plus one bias "
        "per unit.",
    ),
    solution=sol.param_counts,
    mistakes=sol.PARAM_COUNT_MISTAKES,
)
def check_param_counts(answer):
    case = "Conv2D(3 -> 16, 3x3, valid) and Dense(3x32x32 -> one unit per conv output)"
    expected = sol.param_counts
    if isinstance(answer, (tuple, list, np.ndarray)) and np.ndim(answer) == 1 and len(answer) == 2:
        for name, value in zip(_PARTS, answer):
            expect_int(value, what=name, case=case)
        wrong = [k for k in range(2) if answer[k] != expected[k]]
        said = []
        for k in wrong:   # the registered mistakes each get one part wrong: say why, per part
            said += [message for value, message in known_mistakes()
                     if value[k] == answer[k] and message not in said][:1]
        if wrong and said:
            unexplained = [_PARTS[k] for k in wrong
                           if not any(m.startswith(_PARTS[k]) for m in said)]
            fail(f"case {case}: got {tuple(int(v) for v in answer)!r}. " + " ".join(said)
                 + "".join(f" {name} is not right either." for name in unexplained)
                 + ("" if len(wrong) == 2 else
                    f" ({_PARTS[1 - wrong[0]]} is right.)"))
    expect_value(answer, expected, case=case, mistakes=known_mistakes(), parts=_PARTS,
                 hint="Give the pair (conv_params, dense_params), biases included.")
    conv, dense = expected
    return (f"correct: the convolution makes 16 x 30 x 30 outputs from {conv} parameters; "
            f"the dense layer needs {dense:,} to make the same number.")
