"""Chapter 3 exercises: multi-input-channel correlation, a filter bank (multiple output
channels), 1x1 convolution as a matrix product, the cost of a conv layer, and adding the bias
with broadcasting. Reference solutions and known mistakes: ``ch03_solutions``.

Expected answers are computed here independently of the reference solutions: with
``functional.conv2d`` (the engine), ``cnn_course.topics.costs`` and explicit loops.
"""

import numbers

import numpy as np

from cnn_course.topics import costs
from cnn_course import functional as F
from cnn_course.exercises import ch03_solutions as sol
from cnn_course.exercises.core import Fail, call, exercise, expect_array, expect_value, fail

__all__ = ["check_corr2d_multi_in", "check_corr2d_multi_in_out", "check_conv1x1", "COST_CASES",
           "check_conv_cost", "check_add_bias"]


def _ints(rng, shape):
    """Small random integers as float64 (exact sums, readable failures)."""
    return rng.integers(-3, 4, size=shape).astype(np.float64)


def _conv(X, K):
    """Reference: the engine's conv2d on one sample, X (C, H, W), K (FN, C, FH, FW)."""
    return F.conv2d(X[None], K)[0]


def _per_channel(X, K):
    """(C, OH, OW): each channel's own correlation map (independent of the solutions)."""
    return np.stack([_conv(X[c:c + 1], K[None, c:c + 1])[0] for c in range(X.shape[0])])


_OUTPUT_SIZE = "A valid output is (H - FH + 1) x (W - FW + 1), with no channel axis."


# --- 1. multiple input channels ----------------------------------------------------------------

def _multi_in_cases():
    rng = np.random.default_rng(3)
    return [
        ("C=2, X 3x3, K 2x2 (small integers)", _ints(rng, (2, 3, 3)), _ints(rng, (2, 2, 2))),
        ("C=3, X 5x6, K 3x2 (small integers)", _ints(rng, (3, 5, 6)), _ints(rng, (3, 3, 2))),
        ("C=4, X 6x6, K 3x3 (random floats)", rng.normal(size=(4, 6, 6)),
         rng.normal(size=(4, 3, 3))),
    ]


@exercise(
    "ch3-corr2d-multi-in",
    title="Cross-correlation with several input channels",
    hints=(
        "With several input channels, channel c of the input only ever meets channel c of the "
        "filter. Each pair is an ordinary 2-D cross-correlation, and the filter's single output "
        "map combines them.",
        "Cross-correlate X[c] with K[c] for every channel c (each gives an (OH, OW) map) and "
        "ADD the C maps. The result has no channel axis: its shape is (H - FH + 1, W - FW + 1).",
        "`F.corr2d(X[c], K[c])` is channel c's map. Add the maps up in a loop over "
        "`range(X.shape[0])`, or stack them into a (C, OH, OW) array and sum over axis 0.",
    ),
    solution=sol.corr2d_multi_in,
    mistakes=sol.CORR2D_MULTI_IN_MISTAKES,
)
def check_corr2d_multi_in(corr2d_multi_in):
    for case, X, K in _multi_in_cases():
        expected = _conv(X, K[None])[0]
        maps = _per_channel(X, K)
        got = call(corr2d_multi_in, X, K, case=case)
        expect_array(got, expected, case=case, shape_hint=_OUTPUT_SIZE, mistakes={
            "the channels were not summed: you returned one map per channel, shape (C, OH, "
            "OW). Add the C maps together (sum over axis 0)": maps,
            "the maps were summed on the wrong axis: axis 0 is the channel axis of a (C, OH, "
            "OW) stack; sum(axis=1) adds up rows instead": maps.sum(axis=1),
            "the channel maps were averaged (divided by C). A multi-channel filter ADDS its "
            "channels' contributions: sum, not mean": maps.mean(axis=0),
            "only the first channel was used: loop over all C channels, X[c] with K[c]":
                maps[0],
            "the same kernel K[0] was used for every channel. Channel c of X goes with channel "
            "c of K": sum(_conv(X[c:c + 1], K[None, 0:1])[0] for c in range(X.shape[0])),
        })
    return "correct: one 2-D correlation per channel, added up into a single map."


# --- 2. multiple output channels ---------------------------------------------------------------

def _multi_out_cases():
    rng = np.random.default_rng(4)
    return [  # the first case has FN == C, so a bank read in the wrong order gives values
        ("C=2, FN=2, X 4x5, K 2x2", _ints(rng, (2, 4, 5)), _ints(rng, (2, 2, 2, 2))),
        ("C=3, FN=4, X 5x5, K 3x3", _ints(rng, (3, 5, 5)), _ints(rng, (4, 3, 3, 3))),
        ("C=1, FN=3, X 4x4, K 2x3", rng.normal(size=(1, 4, 4)), rng.normal(size=(3, 1, 2, 3))),
    ]


@exercise(
    "ch3-corr2d-multi-in-out",
    title="A filter bank: multiple output channels",
    hints=(
        "A filter bank is FN complete filters side by side. Each filter makes one output "
        "channel, exactly as in the previous exercise, and the output puts those channels "
        "together.",
        "K[f], of shape (C, FH, FW), is one complete filter, so `corr2d_multi_in(X, K[f])` is "
        "output channel f. Do that for every f and put the FN maps together along a NEW first "
        "axis: (FN, OH, OW).",
        "Collect the FN maps in a list (a loop over `range(K.shape[0])`), then `np.stack(maps, "
        "axis=0)`. `np.concatenate` would glue them along the height, and a sum would merge "
        "them into one map.",
    ),
    solution=sol.corr2d_multi_in_out,
    mistakes=sol.CORR2D_MULTI_IN_OUT_MISTAKES,
)
def check_corr2d_multi_in_out(corr2d_multi_in_out):
    for case, X, K in _multi_out_cases():
        expected = _conv(X, K)
        FN, C = K.shape[:2]
        mistakes = {
            "the output channels were stacked on the last axis, (OH, OW, FN). Channels come "
            "first: np.stack(maps, axis=0) gives (FN, OH, OW)": np.moveaxis(expected, 0, -1),
            "every output channel is the same: the same filter K[0] was used for all of them. "
            "Output channel f uses K[f]": np.repeat(expected[:1], FN, axis=0),
            "you summed the output channels into one map. Each filter gives its own output "
            "channel: stack the FN maps, do not add them": expected.sum(axis=0),
        }
        if FN == C:
            mistakes["the bank was read as (C, FN, FH, FW): you took K[:, f] as filter f. "
                     "This course (like PyTorch and Saito's book) stores filters as "
                     "(FN, C, FH, FW), so filter f is K[f]"] = _conv(X, K.transpose(1, 0, 2, 3))
        got = call(corr2d_multi_in_out, X, K, case=case)
        expect_array(got, expected, case=case, mistakes=mistakes,
                     shape_hint="The result has one map per filter: (FN, OH, OW).")
    return "correct: FN filters, FN output channels, each the sum over all input channels."


# --- 3. 1x1 convolution as a matrix product -----------------------------------------------------

def _conv1x1_cases():
    rng = np.random.default_rng(5)
    return [  # FN == C first, so transposed weights give values rather than an error
        ("N=2, C=3, H=2, W=3, FN=3", rng.normal(size=(2, 3, 2, 3)), rng.normal(size=(3, 3, 1, 1))),
        ("N=1, C=4, H=3, W=3, FN=2", rng.normal(size=(1, 4, 3, 3)), rng.normal(size=(2, 4, 1, 1))),
        ("N=3, C=2, H=4, W=2, FN=5", rng.normal(size=(3, 2, 4, 2)), rng.normal(size=(5, 2, 1, 1))),
    ]


@exercise(
    "ch3-conv1x1",
    title="1x1 convolution as a matrix product",
    hints=(
        "A 1x1 convolution looks at one pixel at a time: each output pixel is a weighted sum of "
        "that pixel's C channel values, with the same FN x C weights everywhere. That is a "
        "dense layer applied to every pixel: a matrix of pixels times a weight matrix.",
        "Build a matrix with one ROW per pixel (N*H*W rows) holding its C channel values. The "
        "channel axis must come last before you reshape, or values of different pixels get "
        "mixed. W (FN, C, 1, 1) is really an (FN, C) matrix. The product is (N*H*W, FN); then "
        "undo the rearrangement in reverse order.",
        "`X.transpose(0, 2, 3, 1).reshape(N * H * W, C)` gives the rows and `W.reshape(FN, "
        "C).T` the (C, FN) weight matrix. Reshape the product to (N, H, W, FN) before you move "
        "the channel axis back to position 1 with a transpose.",
    ),
    solution=sol.conv1x1,
    mistakes=sol.CONV1X1_MISTAKES,
)
def check_conv1x1(conv1x1):
    for case, X, W in _conv1x1_cases():
        N, C, H, Wd = X.shape
        FN = W.shape[0]
        expected = F.conv2d(X, W)
        rows = X.transpose(0, 2, 3, 1).reshape(-1, C)
        mistakes = {
            "X.reshape(N*H*W, C) scrambles the pixels: in (N, C, H, W) order the C values of "
            "one pixel are not next to each other. Transpose to (N, H, W, C) before "
            "reshaping": (X.reshape(-1, C) @ W.reshape(FN, C).T).reshape(N, H, Wd, FN)
            .transpose(0, 3, 1, 2),
            "you reshaped the result straight to (N, FN, H, W). The product's rows are "
            "pixels and its columns channels, (N*H*W, FN): reshape to (N, H, W, FN), then "
            "transpose(0, 3, 1, 2)": (rows @ W.reshape(FN, C).T).reshape(N, FN, H, Wd),
            f"you returned the (N*H*W, FN) = ({N * H * Wd}, {FN}) matrix product; reshape "
            "it back to (N, H, W, FN) and move the channels to axis 1":
                rows @ W.reshape(FN, C).T,
        }
        if FN == C:
            mistakes["the weights are transposed: W.reshape(C, FN) is not the transpose of "
                     "W.reshape(FN, C), it reads the same numbers in the wrong places. Use "
                     "W.reshape(FN, C).T"] = (rows @ W.reshape(C, FN)).reshape(
                         N, H, Wd, FN).transpose(0, 3, 1, 2)
        try:
            got = call(conv1x1, X, W, case=case)
        except Fail as e:
            if "matmul" in str(e) or "shapes" in str(e) or "align" in str(e):
                raise Fail(f"{e}\nThe matrix product needs (N*H*W, C) @ (C, FN): check that "
                           "your pixel matrix has C columns and that you use "
                           "W.reshape(FN, C).T (not W.reshape(C, FN)).") from None
            raise
        expect_array(got, expected, case=case, mistakes=mistakes,
                     shape_hint="A 1x1 convolution keeps H and W: (N, FN, H, W).")
    return "correct: a 1x1 convolution is a dense layer applied to every pixel's channels."


# --- 4. the cost of a conv layer ----------------------------------------------------------------

COST_CASES = [  # (C, H, W, FN, k, stride, padding)
    (3, 32, 32, 16, 5, 1, 0),
    (64, 14, 14, 128, 3, 1, 1),
    (17, 19, 19, 8, 3, 2, 0),
    (1, 28, 28, 6, 5, 1, 2),
]


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


@exercise(
    "ch3-conv-cost",
    title="Parameters and multiply-adds of a conv layer",
    hints=(
        "Two separate counts. The parameters are what the filters store: they do not depend on "
        "the image. The multiply-adds are the work of computing every output value: they depend "
        "on the output's size.",
        "One filter has C*k*k weights plus one bias, and there are FN filters. Every output "
        "value (FN*OH*OW of them) is a dot product of length C*k*k, one multiply-add per "
        "product. Use the OUTPUT size, which depends on the stride and the padding.",
        "First the output size: `OH = (H + 2 * padding - k) // stride + 1`, and OW likewise "
        "with W. Each count is then one product of the numbers in hint 2; return the pair "
        "`(params, macs)`.",
    ),
    solution=sol.conv_layer_cost,
    mistakes=sol.CONV_COST_MISTAKES,
)
def check_conv_cost(conv_layer_cost):
    for C, H, W, FN, k, s, p in COST_CASES:
        case = f"C={C}, H={H}, W={W}, FN={FN}, k={k}, stride={s}, padding={p}"
        got = call(conv_layer_cost, C, H, W, FN, k, s, p, case=case)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(f"case {case}: expected a pair (params, macs), got {got!r}.")
        if not all(_is_int(v) for v in got):
            fail(f"case {case}: counts are whole numbers; got {got!r}. Use // for the output "
                 "size, not /.")
        layer = costs.conv2d_cost((C, H, W), FN, k, stride=s, padding=p)
        OH, OW = layer.output_shape[1:]
        params, macs = layer.params, layer.macs
        expect_value(got[0], params, case=case + " (params)", mistakes={
            params - FN: "that counts only the weights: each of the FN filters also has one "
                         "bias.",
            FN * k * k + FN: "a filter is a block as deep as the input: it has C * k * k "
                             "weights, not k * k. You forgot the input channels.",
            FN * k * k: "a filter has C * k * k weights (you forgot the input channels) plus "
                        "one bias.",
            C * k * k + 1: "that is one filter; the layer has FN of them.",
        })
        expect_value(got[1], macs, case=case + " (MACs)", mistakes={
            FN * H * W * C * k * k: f"you used the input size {H}x{W}; MACs are counted per "
                                    f"output value: use the output size {OH}x{OW}.",
            FN * OH * OW * k * k: "each output value is a dot product over all C input "
                                  "channels too: C * k * k multiply-adds. You forgot the input "
                                  "channels.",
            OH * OW * C * k * k: "that is the work of one output channel; do it for every one "
                                 "of the FN filters.",
            FN * OH * OW * (C * k * k + 1): "the bias is an addition, not a multiply-add: "
                                            "leave it out of the MAC count.",
        })
    return "correct: params = FN*(C*k*k + 1) and MACs = FN*OH*OW*C*k*k."


# --- 5. bias and broadcasting ---------------------------------------------------------------------

def _bias_cases():
    rng = np.random.default_rng(6)
    return [  # the first case is square (FN == OH == OW), where wrong broadcasts run silently
        ("Y (2, 3, 3, 3), b (3,)", _ints(rng, (2, 3, 3, 3)), np.array([10.0, 20.0, 30.0])),
        ("Y (1, 4, 2, 5), b (4,)", _ints(rng, (1, 4, 2, 5)), np.array([1.0, -2.0, 0.5, 3.0])),
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
        "Give b the shape (1, FN, 1, 1), with `b.reshape(1, -1, 1, 1)` or `b[None, :, None, "
        "None]`, and add it to Y. `Y + ...` makes a new array; `Y += ...` would change the "
        "caller's Y.",
    ),
    solution=sol.add_bias,
    mistakes=sol.ADD_BIAS_MISTAKES,
)
def check_add_bias(add_bias):
    for case, Y, b in _bias_cases():
        expected = Y.copy()
        for f in range(b.shape[0]):
            expected[:, f, :, :] += b[f]
        mistakes = {"every channel got the same number, the sum of all biases: add b[f] to "
                    "channel f only": Y + b.sum()}
        if Y.shape[3] == b.shape[0]:
            mistakes["the bias was added along the last axis (the width): NumPy lines shapes "
                     "up from the right, so Y + b with b of shape (FN,) adds b[j] to column j. "
                     "Reshape b to (1, FN, 1, 1)"] = Y + b
        if Y.shape[2] == b.shape[0]:
            mistakes["the bias was added along the height: b.reshape(FN, 1) lines up with "
                     "(OH, OW). Reshape b to (1, FN, 1, 1)"] = Y + b.reshape(-1, 1)
        try:
            got = call(add_bias, Y, b, case=case)
        except Fail as e:
            if "broadcast" in str(e):
                raise Fail(f"{e}\nNumPy lines shapes up from the right: b must have shape "
                           "(1, FN, 1, 1) (or (FN, 1, 1)) to be added per channel.") from None
            raise
        expect_array(got, expected, case=case, mistakes=mistakes,
                     shape_hint="Adding the bias does not change the shape of Y.")
    return "correct: b reshaped to (1, FN, 1, 1) is broadcast over N, OH and OW."
