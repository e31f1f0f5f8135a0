"""Chapter 1 exercises: cross-correlation by loops, true convolution, the valid output size,
a hand-made diagonal-edge kernel, and parameter counts.

Expected answers are computed here independently of the reference solutions (with
``cnn_course.topics.kernels.apply_kernel``, a vectorised cross-correlation).
"""

import numpy as np

from cnn_course.exercises import ch01_solutions as solutions
from cnn_course.exercises.core import Fail, call, exercise, expect_array, expect_value, fail
from cnn_course.topics.kernels import apply_kernel, edge_image

__all__ = ["check_corr2d", "check_convolve2d_true", "check_valid_output_size", "SELECTIVITY",
           "check_diagonal_kernel", "check_param_counts"]

_OUTPUT_SIZE = "A valid output is (H - FH + 1) x (W - FW + 1)."


def _corr2d_cases():
    rng = np.random.default_rng(1)
    return [
        ("X 3x4 = arange(12), K 2x2 = [[0, 1], [2, 3]]",
         np.arange(12.0).reshape(3, 4), np.array([[0.0, 1.0], [2.0, 3.0]])),
        ("X 5x4 random, K 2x3 random",
         rng.integers(-3, 4, size=(5, 4)).astype(float),
         rng.integers(-3, 4, size=(2, 3)).astype(float)),
    ]


@exercise(
    "ch1-corr2d",
    title="Cross-correlation by loops",
    hints=(
        "Think of the kernel as a small window that slides over X. Every output value Y[i, j] "
        "belongs to one position of the window: how many positions are there along each axis, "
        "and what do you compute at each one?",
        "The window fits at H - FH + 1 row positions and W - FW + 1 column positions: that is "
        "the output's shape. At position (i, j), multiply the part of X under the window by K, "
        "element by element, and add everything up. No flipping, no bias.",
        "Allocate the output with `np.zeros((H - FH + 1, W - FW + 1))`, loop over every `i` and "
        "`j`, and set `Y[i, j] = np.sum(X[i:i + FH, j:j + FW] * K)`.",
    ),
    solution=solutions.corr2d,
    mistakes=solutions.CORR2D_MISTAKES,
)
def check_corr2d(corr2d):
    for case, X, K in _corr2d_cases():
        expected = apply_kernel(X, K)
        padded = np.zeros_like(X)
        padded[:expected.shape[0], :expected.shape[1]] = expected
        got = call(corr2d, X, K, case=case)
        expect_array(got, expected, case=case, shape_hint=_OUTPUT_SIZE, mistakes={
            "the kernel was flipped: that is true convolution; cross-correlation uses K as it "
            "is": apply_kernel(X, K[::-1, ::-1]),
            "your output is one row and one column short. A window fits at H - FH + 1 "
            "positions, so loop over range(H - FH + 1)": expected[:-1, :-1],
            "your output has the input's size, with zeros where no window fits. Allocate "
            "(H - FH + 1) x (W - FW + 1)": padded,
            "rows and columns are swapped: your output is the transpose of the right one "
            "(index Y[i, j] with i for rows, j for columns)": expected.T,
        })
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
        "`K[::-1]` reverses the rows and `K[:, ::-1]` the columns; `K[::-1, ::-1]` (or "
        "`np.flip(K)`) does both. Call your `corr2d` on X with that flipped kernel.",
    ),
    solution=solutions.convolve2d_true,
    mistakes=solutions.CONVOLVE_MISTAKES,
)
def check_convolve2d_true(convolve2d_true):
    rng = np.random.default_rng(2)
    cases = [
        ("X 4x5 = arange(20), K 2x3 = [[1, 2, 3], [4, 5, 6]]",
         np.arange(20.0).reshape(4, 5), np.arange(1.0, 7.0).reshape(2, 3)),
        ("X 5x5 random, K 3x3 random", rng.normal(size=(5, 5)), rng.normal(size=(3, 3))),
    ]
    for case, X, K in cases:
        expected = apply_kernel(X, K[::-1, ::-1])
        got = call(convolve2d_true, X, K, case=case)
        expect_array(got, expected, case=case, shape_hint=_OUTPUT_SIZE, mistakes={
            "the kernel is not flipped: this is plain cross-correlation. Flip K in both "
            "axes first": apply_kernel(X, K),
            "you flipped only one axis (the rows, K[::-1]); flip both: "
            "K[::-1, ::-1]": apply_kernel(X, K[::-1, :]),
            "you flipped only one axis (the columns, K[:, ::-1]); flip both: "
            "K[::-1, ::-1]": apply_kernel(X, K[:, ::-1]),
            "you transposed the kernel (K.T): a transpose mirrors across the diagonal, a "
            "flip turns the kernel by 180 degrees (K[::-1, ::-1])": apply_kernel(X, K.T),
        })
    return "correct: convolution = cross-correlation with the kernel turned by 180 degrees."


@exercise(
    "ch1-output-size",
    title="The size of a valid output",
    hints=(
        "Count window positions along one axis at a time: in how many places can a window of FH "
        "rows start so that it still fits inside H rows?",
        "The window's top row can be at 0, 1, ..., H - FH. Count those numbers (a range from 0 "
        "to n inclusive holds n + 1 numbers). The width works the same way with W and FW.",
        "`OH = H - FH + 1`. Write OW the same way for the width and return the pair `(OH, OW)`, "
        "not their product.",
    ),
    solution=solutions.valid_output_size,
    mistakes=solutions.OUTPUT_SIZE_MISTAKES,
)
def check_valid_output_size(valid_output_size):
    for H, W, FH, FW in [(5, 7, 2, 3), (28, 28, 5, 5), (6, 4, 1, 4)]:
        case = f"H={H}, W={W}, FH={FH}, FW={FW}"
        got = call(valid_output_size, H, W, FH, FW, case=case)
        expected = (H - FH + 1, W - FW + 1)
        mistakes = {
            (H - FH, W - FW): "That is one too few along each axis: the window's top row can "
                              "be at 0, 1, ..., H - FH, which is H - FH + 1 positions.",
            (H + FH - 1, W + FW - 1): "That is the size of a full convolution (every partial "
                                      "overlap counted); a valid one keeps only windows that "
                                      "fit inside the input, so it shrinks.",
            (H - FW + 1, W - FH + 1): "Height and width are swapped: pair H with the kernel's "
                                      "height FH, and W with FW.",
            (H - FH + 1) * (W - FW + 1): "That is the number of outputs; return the pair "
                                         "(OH, OW) instead.",
        }
        expect_value(got, expected, case=case, mistakes=mistakes, hint=_OUTPUT_SIZE)
    return "correct: OH = H - FH + 1 and OW = W - FW + 1."


def _response(kernel, kind):
    """The strongest absolute response of ``kernel`` on an 8x8 test image of ``kind``."""
    return float(np.abs(apply_kernel(edge_image(kind, 8), kernel)).max())


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
    solution=solutions.ANTI_DIAGONAL_KERNEL,
    mistakes=solutions.DIAGONAL_KERNEL_MISTAKES,
)
def check_diagonal_kernel(kernel):
    if callable(kernel) or isinstance(kernel, (str, bytes)):
        fail(f"expected a 3x3 array of numbers, got {type(kernel).__name__}.")
    try:
        K = np.asarray(kernel, dtype=float)
    except (TypeError, ValueError):
        raise Fail(f"expected a 3x3 array of numbers, got {type(kernel).__name__}.") from None
    if K.shape != (3, 3):
        fail(f"expected a 3x3 kernel, got an array of shape {K.shape}.")
    if not np.isfinite(K).all():
        fail("your kernel contains NaN or infinity; use ordinary numbers.")
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


@exercise(
    "ch1-param-count",
    title="Parameters of a convolutional and a dense layer",
    hints=(
        "Parameters are the numbers a layer learns: weights and biases. A convolution's weights "
        "are its kernels, shared by every position of the image; a dense layer has one weight "
        "for every connection.",
        "Convolution: 32 filters, each a 5x5 kernel over the single input channel, plus one "
        "bias per filter; the 28x28 image size does not enter. Dense: one weight per (input "
        "pixel, unit) pair, 784 x 32, plus one bias per unit.",
    ),
    solution=solutions.PARAM_COUNTS,
    mistakes=solutions.PARAM_COUNT_MISTAKES,
)
def check_param_counts(answer):
    conv, dense = solutions.PARAM_COUNTS
    conv_weights, dense_weights = 32 * 5 * 5, 784 * 32
    expect_value(answer, (conv, dense), case="Conv2D(1 -> 32, 5x5) and Dense(784 -> 32)",
                 mistakes={
                     (conv_weights, dense_weights): "Those are the weights only: add the "
                                                    "biases, one per filter and one per output "
                                                    "unit.",
                     (32 * 28 * 28, 32): "Those are the numbers of outputs each layer "
                                         "makes, not its parameters.",
                     (conv_weights + 32 * 28 * 28, dense): "The convolution has one bias per "
                                                           "filter, shared by every position, "
                                                           "not one per output value.",
                     (5 * 5 + 1, dense): "The layer has 32 filters, each with its own 5x5 "
                                         "kernel and bias.",
                 },
                 hint="Give a pair (conv_params, dense_params), biases included.")
    return f"correct: {conv} parameters make 32x28x28 outputs; {dense} make only 32."
