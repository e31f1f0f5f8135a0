"""Chapter 3 exercises: a multi-channel filter as one block (batch and stride), a filter bank in
TensorFlow's channels-last layout, the bias by broadcasting, 1x1 convolution as a matrix
product, the cost of a conv layer, three 3x3 layers against one 7x7, and two stacked
convolutions composed into one. Reference solutions and the registered mistakes (each with its
message): ``ch03_solutions``.

Expected values come from private code: the reference solutions, and the engine's ``conv2d``
through ``reference`` (a copy a notebook cannot reassign). Every case has non-integer values;
the cases are non-square, with several channels and a batch larger than 1 where the function
takes them, and strides that do not divide.
"""

import numpy as np

from cnn_course import functional as _live_engine
from cnn_course.exercises import ch03_solutions as sol
from cnn_course.exercises.core import (Fail, call, exercise, expect_array, expect_int,
                                       expect_value, fail, known_mistakes, reference,
                                       switched_off)

__all__ = ["check_corr2d_multi_in", "check_corr2d_multi_in_out", "check_add_bias",
           "check_conv1x1", "COST_CASES", "check_conv_cost", "check_stack_vs_7x7",
           "check_compose_kernels"]

#: The engine functions an exercise that asks for the computation itself switches off while the
#: learner's function runs.
_ENGINE_CONV = ("conv2d", "conv2d_forward")


def _engine():
    return reference("cnn_course.functional")


def _without_engine_conv():
    """While the block runs, ``F.conv2d`` (and ``F.conv2d_forward``) raise a RuntimeError that
    says the exercise asks for the computation itself; the originals come back afterwards."""
    return switched_off(_live_engine, _ENGINE_CONV,
                        "it asks you to compute the convolution yourself (F.corr2d, slicing, "
                        "np.sum, np.tensordot and np.einsum are all fine).")


def _call_own(function, *args, case, **kwargs):
    """``call`` with the engine's convolution switched off."""
    with _without_engine_conv():
        return call(function, *args, case=case, **kwargs)


def _floats(rng, shape):
    """Random values rounded to quarters: not whole numbers, yet short to read in feedback."""
    return np.round(rng.normal(size=shape) * 4) / 4 + 0.125


def _explain_parts(got, expected, pairs):
    """The messages of the registered wrong answers that explain the learner's wrong parts:
    a mistake explains them when the learner's answer agrees with it on every part where the
    mistake differs from the right answer (so two mistakes at once are both named)."""
    messages = []
    for wrong, message in pairs:
        try:
            differ = [k for k in range(len(expected)) if wrong[k] != expected[k]]
            if differ and all(got[k] == wrong[k] for k in differ):
                messages.append(message)
        except (TypeError, IndexError, ValueError):
            continue
    return messages


def _expect_parts(got, expected, *, case, parts, pairs):
    """``expect_value`` on a tuple answer with named parts; when no registered mistake matches
    the whole answer, the mistakes that explain some of its wrong parts are named as well."""
    try:
        expect_value(got, expected, case=case, mistakes=pairs, parts=parts)
    except Fail as e:
        if any(message in str(e) for _, message in pairs):
            raise
        explained = _explain_parts(got, expected, pairs)
        if not explained:
            raise
        raise Fail(" ".join([str(e)] + explained)) from None


# --- 1. one filter as a block: batch, channels, stride ----------------------------------------

def _multi_in_cases():
    rng = np.random.default_rng(3)
    return [  # (case, X (N, C, H, W), K (C, FH, FW), stride); the first case has H < W
        ("N=2, C=3, X 5x7, K 3x2, stride 1", _floats(rng, (2, 3, 5, 7)), _floats(rng, (3, 3, 2)),
         1),
        ("N=3, C=2, X 7x6, K 2x3, stride 2", _floats(rng, (3, 2, 7, 6)), _floats(rng, (2, 2, 3)),
         2),
        ("N=2, C=4, X 8x10, K 3x3, stride 3", rng.normal(size=(2, 4, 8, 10)),
         rng.normal(size=(4, 3, 3)), 3),
    ]


@exercise(
    "ch3-corr2d-multi-in",
    title="One filter over a batch, with a stride",
    hints=(
        "Read the left-hand side of the formula in section 3.2: at each output position the "
        "filter, one (C, FH, FW) block, is laid over the block of input under it, and ONE "
        "number comes out: the sum of all C * FH * FW products. With a stride s the window "
        "jumps s pixels between neighbouring outputs; with a batch, the same happens for "
        "every sample.",
        "First the output size, as in chapter 2 (no padding): OH = (H - FH) // s + 1 and "
        "OW = (W - FW) // s + 1. Output (n, i, j) reads the window of sample n whose top-left "
        "corner is at row i * s and column j * s, through all C channels.",
        "Loop over i and j only; the slice `X[:, :, i * stride:i * stride + FH, ...]` (and "
        "likewise for the columns) is the (N, C, FH, FW) block of every sample at once. "
        "Multiply it by K, which broadcasts over N, and sum over the axes (1, 2, 3), so that "
        "each sample keeps its own sum.",
    ),
    solution=sol.corr2d_multi_in,
    mistakes=sol.CORR2D_MULTI_IN_MISTAKES,
)
def check_corr2d_multi_in(corr2d_multi_in):
    for case, X, K, s in _multi_in_cases():
        expected = _engine().conv2d(X, K[None], stride=s)[:, 0]
        kwargs = {} if s == 1 else {"stride": s}
        got = _call_own(corr2d_multi_in, X, K, case=case, **kwargs)
        expect_array(got, expected, case=case, mistakes=known_mistakes(X, K, **kwargs),
                     shape_hint="One map per sample, no channel axis: (N, OH, OW), with "
                     "OH = (H - FH) // stride + 1 and OW = (W - FW) // stride + 1.")
    return ("correct: one dot product of the whole (C, FH, FW) block per output value, for "
            "every sample, the window stepping by the stride.")


# --- 2. a filter bank, channels last -----------------------------------------------------------

def _multi_out_cases():
    rng = np.random.default_rng(4)
    return [  # (case, X (N, H, W, C), K (FH, FW, C, FN)); the first case has C == FN
        ("N=2, X 5x6 with C=3, K 2x3 with FN=3", _floats(rng, (2, 5, 6, 3)),
         _floats(rng, (2, 3, 3, 3))),
        ("N=3, X 6x4 with C=2, K 3x2 with FN=4", _floats(rng, (3, 6, 4, 2)),
         _floats(rng, (3, 2, 2, 4))),
        ("N=2, X 4x7 with C=1, K 1x3 with FN=2", rng.normal(size=(2, 4, 7, 1)),
         rng.normal(size=(1, 3, 1, 2))),
    ]


@exercise(
    "ch3-corr2d-multi-in-out",
    title="A filter bank stored channels last",
    hints=(
        "Nothing about the computation changes, only where each number is stored. Name every "
        "axis: X is (N, H, W, C), K is (FH, FW, C, FN). Filter f is everything K holds for "
        "output channel f, and each filter gives one output channel, which this layout puts "
        "LAST.",
        "Output (n, i, j, f) is the sum over a, b, c of X[n, i + a, j + b, c] * K[a, b, c, f]. "
        "At a position (i, j), the window X[:, i:i + FH, j:j + FW, :] has shape "
        "(N, FH, FW, C), and its first axes after N line up with K's first three axes.",
        "Loop over i and j. Contract the window's last three axes with K's first three, "
        "`np.tensordot(window, K, axes=3)`, which gives every sample's FN values at that "
        "position. (Converting with transposes is fine too, but the axis orders are the "
        "exercise: a reshape would scramble them.)",
    ),
    solution=sol.corr2d_multi_in_out,
    mistakes=sol.CORR2D_MULTI_IN_OUT_MISTAKES,
)
def check_corr2d_multi_in_out(corr2d_multi_in_out):
    for case, X, K in _multi_out_cases():
        expected = _engine().conv2d(X.transpose(0, 3, 1, 2),
                                    K.transpose(3, 2, 0, 1)).transpose(0, 2, 3, 1)
        got = _call_own(corr2d_multi_in_out, X, K, case=case)
        expect_array(got, expected, case=case, mistakes=known_mistakes(X, K),
                     shape_hint="Channels last: (N, OH, OW, FN), with OH = H - FH + 1 and "
                     "OW = W - FW + 1.")
    return ("correct: each of the FN filters K[:, :, :, f] gives output channel f, and the "
            "layout stayed channels last from input to output.")


# --- 3. bias and broadcasting ------------------------------------------------------------------

def _bias_cases():
    rng = np.random.default_rng(6)
    return [  # the first case has N == FN == OH == OW, where every wrong broadcast runs
        ("Y (3, 3, 3, 3), b (3,)", _floats(rng, (3, 3, 3, 3)), np.array([10.5, 20.25, -30.0])),
        ("Y (2, 4, 3, 5), b (4,)", _floats(rng, (2, 4, 3, 5)),
         np.array([1.5, -2.0, 0.25, 3.0])),
        ("Y (4, 2, 5, 2), b (2,)", rng.normal(size=(4, 2, 5, 2)), np.array([0.3, -0.7])),
    ]


@exercise(
    "ch3-add-bias",
    title="Adding one bias per output channel",
    hints=(
        "Each output channel f gets its own number b[f], added to every value of that channel, "
        "for every sample and position. Which axis of Y is the channel axis, and how does NumPy "
        "line b up with Y when you add them?",
        "Broadcasting matches shapes from the RIGHT: a plain `Y + b` pairs b (FN,) with the "
        "width axis (and runs without an error whenever FN equals the width). b has to line up "
        "with axis 1 of (N, FN, OH, OW), with axes of size 1 everywhere else.",
        "Reshape b so that its FN values sit on axis 1 of a 4-D shape whose other axes have "
        "size 1, then add. `Y + ...` makes a new array; `Y += ...` would change the caller's "
        "Y.",
    ),
    solution=sol.add_bias,
    mistakes=sol.ADD_BIAS_MISTAKES,
)
def check_add_bias(add_bias):
    for case, Y, b in _bias_cases():
        expected = Y.copy()
        for f in range(b.shape[0]):
            expected[:, f, :, :] += b[f]
        try:
            got = call(add_bias, Y, b, case=case)
        except Fail as e:
            if "broadcast" in str(e):
                raise Fail(f"{e}\nNumPy lines shapes up from the right: b must have shape "
                           "(1, FN, 1, 1) (or (FN, 1, 1)) to be added per channel.") from None
            raise
        expect_array(got, expected, case=case, mistakes=known_mistakes(Y, b),
                     shape_hint="Adding the bias does not change the shape of Y.")
    return "correct: b reshaped to (1, FN, 1, 1) is broadcast over N, OH and OW."


# --- 4. 1x1 convolution as a matrix product -----------------------------------------------------

def _conv1x1_cases():
    rng = np.random.default_rng(5)
    return [  # FN == C first, so transposed weights give values rather than an error
        ("N=2, C=3, H=2, W=3, FN=3", rng.normal(size=(2, 3, 2, 3)), rng.normal(size=(3, 3, 1, 1))),
        ("N=3, C=4, H=3, W=5, FN=2", rng.normal(size=(3, 4, 3, 5)), rng.normal(size=(2, 4, 1, 1))),
        ("N=3, C=2, H=4, W=2, FN=5", rng.normal(size=(3, 2, 4, 2)), rng.normal(size=(5, 2, 1, 1))),
    ]


@exercise(
    "ch3-conv1x1",
    title="1x1 convolution as a matrix product",
    hints=(
        "A 1x1 convolution looks at one pixel at a time: each output pixel is a weighted sum of "
        "that pixel's C channel values, with the same FN x C weights everywhere. That is a "
        "dense layer applied to every pixel: a matrix of pixels times a weight matrix.",
        "Build a matrix with one ROW per pixel (N*H*W rows) holding its C channel values: the "
        "channel axis must come last before you reshape, or values of different pixels get "
        "mixed. W (FN, C, 1, 1) is really an (FN, C) matrix. The product is (N*H*W, FN); undo "
        "the rearrangement in reverse order.",
        "Section 3.8 builds the pixel matrix with `transpose(0, 2, 3, 1)` then "
        "`reshape(-1, C)`, and the weights with `W.reshape(FN, C).T`. On the way back, the "
        "product's rows are still ordered (n, i, j): reshape to (N, H, W, FN) first, then move "
        "the FN axis to position 1.",
    ),
    solution=sol.conv1x1,
    mistakes=sol.CONV1X1_MISTAKES,
)
def check_conv1x1(conv1x1):
    for case, X, W in _conv1x1_cases():
        expected = _engine().conv2d(X, W)
        try:
            got = _call_own(conv1x1, X, W, case=case)
        except Fail as e:
            if "matmul" in str(e) or "shapes" in str(e) or "align" in str(e):
                raise Fail(f"{e}\nThe matrix product needs (N*H*W, C) @ (C, FN): check that "
                           "your pixel matrix has C columns and that the weight matrix is "
                           "the transpose of W.reshape(FN, C).") from None
            raise
        expect_array(got, expected, case=case, mistakes=known_mistakes(X, W),
                     shape_hint="A 1x1 convolution keeps H and W: (N, FN, H, W).")
    return "correct: a 1x1 convolution is a dense layer applied to every pixel's channels."


# --- 5. the cost of a conv layer ----------------------------------------------------------------

COST_CASES = [  # (C, H, W, FN, FH, FW, stride, padding): non-square inputs and kernels
    (3, 32, 24, 16, 5, 3, 1, 0),
    (17, 20, 23, 8, 3, 4, 2, 0),       # the stride divides neither H - FH nor W - FW
    (64, 14, 10, 128, 3, 3, 1, 1),
    (8, 11, 13, 4, 3, 2, 3, 1),
    (1, 28, 30, 6, 5, 5, 1, 2),
]

_COST_PARTS = ["params", "MACs"]


@exercise(
    "ch3-conv-cost",
    title="Parameters and multiply-adds of a conv layer",
    hints=(
        "Two separate counts. The parameters are what the filters store: they do not depend on "
        "the image. The multiply-adds are the work of computing every output value: they depend "
        "on how many output values there are, so on the output's size.",
        "A filter is a block as deep as the input, plus one bias, and there are FN filters. "
        "Every output value (FN * OH * OW of them) is one dot product of the filter's weights "
        "with an input block: one multiply-add per weight. The output size follows chapter 2, "
        "height and width each with their own numbers.",
        "Compute OH from H, FH, the stride and the padding (padding on both sides, floor "
        "division), and OW the same way from W and FW. Then params and MACs are each one "
        "product of the numbers in hint 2; return the pair `(params, macs)`.",
    ),
    solution=sol.conv_layer_cost,
    mistakes=sol.CONV_COST_MISTAKES,
)
def check_conv_cost(conv_layer_cost):
    costs = reference("cnn_course.topics.costs")
    for n, (C, H, W, FN, FH, FW, s, p) in enumerate(COST_CASES):
        case = f"C={C}, H={H}, W={W}, FN={FN}, FH={FH}, FW={FW}, stride={s}, padding={p}"
        kwargs = {} if n == 0 else {"stride": s, "padding": p}   # the first uses the defaults
        got = call(conv_layer_cost, C, H, W, FN, FH, FW, case=case, **kwargs)
        if isinstance(got, np.ndarray):
            got = tuple(got.tolist())
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(f"case {case}: expected a pair (params, macs), got {got!r}.")
        for name, value in zip(_COST_PARTS, got):
            expect_int(value, what=name, case=case)
        layer = costs.conv2d_cost((C, H, W), FN, (FH, FW), stride=s, padding=p)
        _expect_parts(tuple(got), (layer.params, layer.macs), case=case, parts=_COST_PARTS,
                      pairs=known_mistakes(C, H, W, FN, FH, FW, **kwargs))
    return ("correct: params = FN * (C * FH * FW + 1) and MACs = FN * OH * OW * C * FH * FW, "
            "with OW from W and FW.")


# --- 6. three 3x3 layers against one 7x7 ----------------------------------------------------

_STACK_PARTS = ["the stack's receptive field", "the stack's weights", "the stack's MACs",
                "the 7x7 layer's receptive field", "the 7x7 layer's weights",
                "the 7x7 layer's MACs"]


@exercise(
    "ch3-three-3x3-vs-7x7",
    title="Three 3x3 layers against one 7x7 layer",
    hints=(
        "Compare what each design sees and what it costs. The receptive field is the input "
        "region one output value depends on (chapter 2). The weights are what the filters "
        "store (a layer from C to C channels has C filters, each as deep as its input). The "
        "multiply-adds are one per weight per output position; same padding keeps every map "
        "at 56 x 40.",
        "Receptive field: a stride-1 layer with a k x k kernel widens the view by k - 1. "
        "Weights: C * C * k * k per layer, and the stack has three layers. MACs: a layer's "
        "weights times its output positions, 56 * 40 here, for each of the three layers.",
    ),
    solution=sol.stack_vs_7x7,
    mistakes=sol.STACK_VS_7X7_MISTAKES,
)
def check_stack_vs_7x7(answer):
    case = "three 3x3 layers vs one 7x7, 64 -> 64 channels, 56 x 40 map"
    if isinstance(answer, np.ndarray):
        answer = tuple(answer.tolist())
    if not isinstance(answer, (tuple, list)) or len(answer) != len(_STACK_PARTS):
        fail(f"case {case}: give six numbers, (receptive field, weights, MACs) of the stack "
             f"and then of the 7x7 layer; got {answer!r}.")
    for name, value in zip(_STACK_PARTS, answer):
        expect_int(value, what=name, case=case)
    _expect_parts(tuple(answer), sol.stack_vs_7x7, case=case, parts=_STACK_PARTS,
                  pairs=known_mistakes())
    return ("correct: both see 7 x 7 pixels, but the stack has 27 C^2 weights against 49 C^2, "
            "so about 45% fewer weights and multiply-adds, and it puts two more "
            "nonlinearities between input and output.")


# --- 7. two convolutions composed into one --------------------------------------------------

def _compose_cases():
    rng = np.random.default_rng(7)
    return [  # (case, W1 (C2, C1, FH1, FW1), W2 (C3, C2, FH2, FW2)); C1 == C2 == C3 first
        ("W1 (2, 2, 2, 3), W2 (2, 2, 3, 2)", _floats(rng, (2, 2, 2, 3)),
         _floats(rng, (2, 2, 3, 2))),
        ("W1 (3, 1, 3, 2), W2 (2, 3, 2, 2)", _floats(rng, (3, 1, 3, 2)),
         _floats(rng, (2, 3, 2, 2))),
        ("W1 (4, 3, 1, 3), W2 (5, 4, 3, 1)", rng.normal(size=(4, 3, 1, 3)),
         rng.normal(size=(5, 4, 3, 1))),
    ]


@exercise(
    "ch3-compose-kernels",
    title="Two stacked convolutions are one",
    hints=(
        "Without a nonlinearity between them, two convolutions are linear maps applied one "
        "after the other, so together they are one linear map, and it is again a "
        "convolution. Follow one output value back: which input pixels does it reach, and by "
        "which products of weights?",
        "Layer 2's tap (p, q) reads layer 1's map at offset (p, q); layer 1's tap (a, b) adds "
        "an offset (a, b) on top. So the pair of taps reaches the input at (p + a, q + b), "
        "with weight W2[g, f, p, q] * W1[f, c, a, b], summed over the middle channel f and "
        "over every pair of taps that lands on the same offset.",
        "Start from zeros of shape (C3, C1, FH1 + FH2 - 1, FW1 + FW2 - 1). For each tap "
        "(p, q) of W2, mix W1's filters with the (C3, C2) matrix `W2[:, :, p, q]` "
        "(`np.tensordot(..., W1, axes=1)` gives a (C3, C1, FH1, FW1) block) and ADD it into "
        "the block that starts at row p and column q.",
    ),
    solution=sol.compose_kernels,
    mistakes=sol.COMPOSE_KERNELS_MISTAKES,
)
def check_compose_kernels(compose_kernels):
    for case, W1, W2 in _compose_cases():
        expected = sol.compose_kernels(W1, W2)
        got = _call_own(compose_kernels, W1, W2, case=case)
        expect_array(got, expected, case=case, mistakes=known_mistakes(W1, W2),
                     shape_hint="The composed bank is (C3, C1, FH1 + FH2 - 1, "
                     "FW1 + FW2 - 1): out channels of W2, in channels of W1.")
    return ("correct: conv(conv(x, W1), W2) equals conv(x, W) for your W. With ReLUs between "
            "the layers this no longer holds, which is why deep stacks need them.")
