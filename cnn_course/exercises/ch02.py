"""Chapter 2 exercises: output sizes, AlexNet's first layer, "same" padding (with and without
dilation), asymmetric padding, shapes and receptive fields through a stack.

Reference solutions and the registered mistakes are in ``ch02_solutions``; the checkers find
a mistake's message through ``known_mistakes`` and never repeat it here."""

import numpy as np

from cnn_course.exercises import ch02_solutions as sol
from cnn_course.exercises.core import (call, exercise, expect_array, expect_int, expect_value,
                                       fail, known_mistakes)

__all__ = ["OUTPUT_SIZE_CASES", "check_output_size", "ALEXNET_PARTS", "check_alexnet_input",
           "check_same_padding", "DILATION_CASES", "check_dilation_padding", "PAD_CASES",
           "check_pad_asymmetric", "STACK_NAMES", "check_stack_shapes", "RF_NAMES",
           "check_receptive_field"]


def _pair(got, what, case):
    """got as a tuple of two items, or a Fail naming the case."""
    if isinstance(got, (str, bytes)) or not isinstance(got, (tuple, list, np.ndarray)) \
            or len(got) != 2:
        fail(f"case {case}: expected {what}, a pair of two ints, got {got!r}.")
    return tuple(got)


def _pairs(answer, count, what, case):
    """answer as a list of ``count`` pairs (tuples), or a Fail naming the case."""
    if isinstance(answer, np.ndarray):
        answer = answer.tolist()
    if not isinstance(answer, (list, tuple)) or len(answer) != count:
        fail(f"case {case}: expected a list of {count} {what} pairs, one per layer, "
             f"got {answer!r}.")
    if not any(isinstance(item, (tuple, list, np.ndarray)) for item in answer):
        fail(f"case {case}: each layer needs two numbers, {what}: give a list of {count} "
             f"pairs such as [{what}, {what}, ...], got {answer!r}.")
    return [_pair(item, what, f"{case}, layer {i + 1}") for i, item in enumerate(answer)]


def _ints(values, names, case):
    """Every value a whole number given as an int (the answer policy), else a Fail."""
    for value, name in zip(values, names):
        expect_int(value, what=name, case=case)


def _join(names):
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _chain_detail(got, expected, step, fields):
    """Where a layer-by-layer answer first goes wrong, without saying any right value.

    got, expected: lists of tuples, one per layer; step(i, previous) gives layer i's right
    values computed from the previous layer's values (``None`` for the first layer's input);
    fields: the names of a layer's values. Names the first wrong layer and which of its values
    are off, and the later layers that follow correctly from the learner's own layer before.
    """
    wrong_layers = [i for i, (g, e) in enumerate(zip(got, expected)) if tuple(g) != tuple(e)]
    if not wrong_layers:
        return ""
    first = wrong_layers[0]
    off = [f for f, a, b in zip(fields, got[first], expected[first]) if a != b]
    fine = [f for f in fields if f not in off]
    text = (f"Layer {first + 1} is the first wrong one: its {_join(off)} "
            f"{'is' if len(off) == 1 else 'are'} off"
            + (f" (its {_join(fine)} {'is' if len(fine) == 1 else 'are'} right)." if fine
               else "."))
    follows = [i + 1 for i in wrong_layers[1:] if tuple(step(i, tuple(got[i - 1]))) ==
               tuple(got[i])]
    if follows:
        names = _join(f"layer {i}" for i in follows)
        text += (f" Your {names} {'follows' if len(follows) == 1 else 'follow'} correctly from "
                 "the layer before, so recompute from there once the first wrong layer is "
                 "fixed.")
    return text


# --- 1. conv_output_size ---------------------------------------------------------------------

OUTPUT_SIZE_CASES = [  # (H, W, FH, FW, P, S)
    (7, 7, 3, 3, 0, 2),     # Saito's second example (ch. 7)
    (4, 4, 3, 3, 1, 1),     # the first
    (28, 31, 5, 5, 2, 3),   # the third: H != W
    (8, 10, 3, 5, 0, 2),    # H != W and FH != FW; the stride does not divide the height
    (9, 6, 4, 2, 1, 3),     # an even, non-square kernel; the stride does not divide the height
    (12, 20, 5, 3, 1, 4),   # the stride divides neither axis
]
DEFAULTS_CASE = (6, 9, 3, 2)  # H, W, FH, FW with P and S left at their defaults (0 and 1)


@exercise("ch2-output-size", title="The output-size formula",
          hints=(
              "Padding makes the input bigger, the stride makes the window jump. Picture the "
              "padded input and count the positions where the window can start along the "
              "height; then do the width on its own, with its own sizes.",
              "The padded height is H + 2P. The window's top can sit at 0, S, 2S, ... as long "
              "as the window still fits, so the last start is at most H + 2P - FH. Count the "
              "multiples of S from 0 up to that number: round down, because a window that would "
              "overhang is dropped. The width is the same count with W and FW.",
              "`OH = (H + 2 * P - FH) // S + 1`: floor division counts the jumps, + 1 the start "
              "at 0. Write OW the same way from the width's own two sizes, and return the pair "
              "`(OH, OW)` of ints.",
          ),
          solution=sol.conv_output_size, mistakes=sol.CONV_OUTPUT_SIZE_MISTAKES)
def check_output_size(conv_output_size):
    cases = [(args, "H={}, W={}, FH={}, FW={}, P={}, S={}".format(*args))
             for args in OUTPUT_SIZE_CASES]
    cases.append((DEFAULTS_CASE, "H={}, W={}, FH={}, FW={} (P and S left at their "
                                 "defaults)".format(*DEFAULTS_CASE)))
    for args, case in cases:
        got = _pair(call(conv_output_size, *args, case=case), "(OH, OW)", case)
        _ints(got, ("OH", "OW"), case)
        expect_value(got, sol.conv_output_size(*args), case=case,
                     mistakes=known_mistakes(*args), parts=["OH", "OW"],
                     hint="Count the window positions along each axis on its own: the height "
                          "with H and FH, the width with W and FW.")
    return ("correct: seven cases, non-square inputs and kernels among them, and four where "
            "the stride does not divide.")


# --- 2. AlexNet's first layer ----------------------------------------------------------------

ALEXNET_PARTS = ["part (a)", "part (b)", "part (c)", "part (d)"]


def _alexnet_detail(got):
    expected = sol.alexnet_sizes
    off = []
    for name, g, e in zip(ALEXNET_PARTS[:3], got[:3], expected[:3]):
        fields = [f for f, a, b in zip(("OH", "the rows never read"), g, e) if a != b]
        if fields:
            off.append(f"{_join(fields)} for {name}")
    if tuple(got[3]) != expected[3]:
        off.append("the sizes of part (d) (every n in the range with no row left unread; "
                   "any order)")
    return ("Not right: " + "; ".join(off) + ". For each input: OH = (n + 2P - 11) // 4 + 1, "
            "and the rows never read are what is left after the last window.") if off else ""


@exercise("ch2-alexnet-input", title="AlexNet's first layer: 224 or 227?",
          hints=(
              "The first layer of AlexNet slides an 11x11 window with stride 4. Along one axis "
              "the window starts at 0, 4, 8, ...: it fits a whole number of times only if the "
              "distance from the first start to the last possible one, n + 2P - 11, is a "
              "multiple of 4.",
              "For each input: OH = (n + 2P - 11) // 4 + 1, and the rows after the last window, "
              "never read, are (n + 2P - 11) % 4. For the list, look for every n from 220 to "
              "230 where (n - 11) % 4 is 0: one in every four sizes.",
          ),
          solution=sol.alexnet_sizes, mistakes=sol.ALEXNET_SIZES_MISTAKES)
def check_alexnet_input(answer):
    case = "AlexNet's first layer (11x11 kernel, stride 4)"
    if isinstance(answer, np.ndarray):
        answer = answer.tolist()
    if not isinstance(answer, (list, tuple)) or len(answer) != 4:
        fail(f"case {case}: expected 4 parts: the pairs (OH, rows never read) of parts (a), (b) "
             f"and (c), then the tuple of sizes of part (d); got {answer!r}.")
    got = [_pair(part, "(OH, rows never read)", f"{case}, {name}")
           for part, name in zip(answer[:3], ALEXNET_PARTS)]
    sizes = answer[3]
    if isinstance(sizes, np.ndarray):
        sizes = sizes.tolist()
    if isinstance(sizes, (set, frozenset)):
        sizes = sorted(sizes)
    if not isinstance(sizes, (list, tuple)):
        fail(f"case {case}: part (d) should be a tuple of input sizes, got {sizes!r}.")
    for part, name in zip(got, ALEXNET_PARTS):
        _ints(part, (f"OH for {name}", f"the rows never read for {name}"), case)
    _ints(sizes, ["a size in part (d)"] * len(sizes), case)
    got = (*got, tuple(sorted(sizes)))
    expect_value(got, sol.alexnet_sizes, case=case, mistakes=known_mistakes(),
                 parts=ALEXNET_PARTS, hint=_alexnet_detail(got))
    return ("correct: at 224 the last window would overhang by 3 rows, so 1 row is never read "
            "and the output has 54 rows; 227 fits exactly (55). With padding 2, as many "
            "reimplementations do, 224 also gives 55, and the unread row is a row of zeros.")


# --- 3. same padding ---------------------------------------------------------------------------

SAME_CASE = "a 6x5 kernel (FH=6, FW=5) on a 10x12 input at stride 1"


def _same_detail(got):
    (t, b), (l, r) = got
    values = (t, b, l, r)
    if not all(isinstance(v, (int, np.integer)) for v in values):
        return "Padding is a whole number of rows or columns on each side."
    if min(values) < 0:
        return "Padding adds rows and columns: none of the four can be negative."
    rows, cols = 10 + t + b - 6 + 1, 12 + l + r - 5 + 1
    if (rows, cols) != (10, 12):
        return (f"With your padding the output would be {rows}x{cols}, not 10x12: each pair "
                "must add back the rows (columns) the kernel loses at stride 1.")
    if abs(t - b) > 1 or abs(l - r) > 1:
        return ("Your totals keep the 10x12 size, but a pair is split unevenly, which shifts "
                "the output: the two sides may differ by one row at most.")
    return ("Your padding keeps the size; where the two sides of a pair differ, put the extra "
            "row (column) after the input: at the bottom (right).")


@exercise("ch2-same-padding", title="Padding that keeps the size",
          hints=(
              "At stride 1 a kernel with FH rows makes the output FH - 1 rows shorter than its "
              "input. To keep the size, the padding must add exactly those rows back, top and "
              "bottom together; the columns are the same story with FW.",
              "top + bottom = FH - 1 and left + right = FW - 1. An even total splits evenly; an "
              "odd total cannot, so one side gets one more: this course (like TensorFlow and "
              "PyTorch) puts the extra one at the bottom (right). Answer `((top, bottom), "
              "(left, right))`.",
          ),
          solution=sol.same_pads, mistakes=sol.SAME_PADS_MISTAKES)
def check_same_padding(answer):
    rows, cols = _pair(answer, "((top, bottom), (left, right))", SAME_CASE)
    got = (_pair(rows, "(top, bottom)", SAME_CASE), _pair(cols, "(left, right)", SAME_CASE))
    expect_value(got, sol.same_pads, case=SAME_CASE, mistakes=known_mistakes(),
                 parts=["(top, bottom)", "(left, right)"], hint=_same_detail(got))
    _ints((*got[0], *got[1]), ("top", "bottom", "left", "right"), SAME_CASE)
    return ("correct: the odd width splits evenly (2, 2); the even height cannot, so the extra "
            "row goes at the bottom (2, 3).")


# --- 4. padding under dilation ---------------------------------------------------------------

DILATION_CASES = [  # (k, d); d None: left at its default, 1
    (3, None), (5, 1), (4, 1), (3, 2), (4, 2), (2, 3), (4, 3), (5, 3), (1, 4), (6, 1), (7, 2),
]


@exercise("ch2-dilation-padding", title="Same padding under dilation",
          hints=(
              "A dilated kernel is a bigger kernel with holes: the taps are d pixels apart. "
              "What matters for the padding is how many pixels the window spans, and so how "
              "many rows the output loses at stride 1.",
              "A k-tap kernel with dilation d spans d*(k - 1) + 1 pixels, so the output loses "
              "d*(k - 1) rows: that is the total padding. Split it as for an undilated kernel: "
              "half each, and when the total is odd (d odd and k even) the extra row at the "
              "bottom.",
              "Compute `total = d * (k - 1)`, then `top = total // 2`; the bottom is what is "
              "left of the total. Return the pair `(top, bottom)` of ints.",
          ),
          solution=sol.dilated_same_padding, mistakes=sol.DILATED_SAME_PADDING_MISTAKES)
def check_dilation_padding(dilated_same_padding):
    for k, d in DILATION_CASES:
        args = (k,) if d is None else (k, d)
        case = f"k={k}" + (" (d left at its default, 1)" if d is None else f", d={d}")
        got = call(dilated_same_padding, *args, case=case)
        if (isinstance(got, (tuple, list)) and len(got) == 2
                and all(isinstance(g, (tuple, list)) for g in got)):
            fail(f"case {case}: got {got!r}, a pair of pairs as the engine's same_padding "
                 "returns. This function pads one axis only: return (top, bottom).")
        got = _pair(got, "(top, bottom)", case)
        _ints(got, ("top", "bottom"), case)
        expected = sol.dilated_same_padding(*args)
        expect_value(got, expected, case=case, mistakes=known_mistakes(*args),
                     parts=["top", "bottom"],
                     hint=f"Expected {expected}: the kernel spans {(d or 1) * (k - 1) + 1} "
                          "pixels here.")
    return ("correct: the total d*(k - 1) is odd only for an odd dilation of an even kernel; "
            "a 4x4 kernel with dilation 2 pads symmetrically (3, 3).")


# --- 5. asymmetric padding ---------------------------------------------------------------------

PAD_CASES = [  # (shape, dtype, (top, bottom, left, right))
    ((2, 3, 4, 5), np.float32, (1, 2, 0, 3)),
    ((3, 2, 5, 3), np.float64, (2, 0, 1, 0)),
    ((2, 4, 3, 6), np.float32, (0, 1, 2, 2)),
    ((4, 3, 2, 2), np.int32, (3, 1, 0, 2)),
    ((2, 2, 3, 5), np.float64, (0, 0, 0, 0)),
]


@exercise("ch2-pad-asymmetric", title="Asymmetric zero padding",
          hints=(
              "Padding does not change x: it builds a bigger array of zeros and places x inside "
              "it. Work out the bigger array's shape and where x's top-left corner lands in it.",
              "The result has shape (N, C, H + top + bottom, W + left + right) and x's dtype. x "
              "fills the rows from top to top + H and the columns from left to left + W; N and "
              "C are not padded. Beware of slices like `top:-bottom`: when bottom is 0, -0 is 0 "
              "and the slice is empty.",
              "Create the result with `np.zeros(new_shape, dtype=x.dtype)`, then assign x to "
              "its slice `[:, :, top:top + H, left:left + W]`.",
          ),
          solution=sol.pad_asymmetric, mistakes=sol.PAD_ASYMMETRIC_MISTAKES)
def check_pad_asymmetric(pad_asymmetric):
    rng = np.random.default_rng(2)
    for shape, dtype, (t, b, l, r) in PAD_CASES:
        if np.issubdtype(dtype, np.integer):
            x = rng.integers(-9, 10, size=shape).astype(dtype)
        else:
            x = (rng.standard_normal(shape) * 3).astype(dtype)
        case = (f"x of shape {shape} ({np.dtype(dtype).name}), top={t}, bottom={b}, "
                f"left={l}, right={r}")
        try:
            got = call(pad_asymmetric, x, t, b, l, r, case=case)
        except Exception as err:
            if 0 in (b, r) and "raised" in str(err):
                fail(f"{err}. Note: a slice like top:-bottom is empty when bottom = 0 "
                     "(-0 is 0 in Python); write top:top + H instead.")
            raise
        expected = sol.pad_asymmetric(x, t, b, l, r)
        expect_array(got, expected, case=case, dtype=dtype,
                     mistakes=known_mistakes(x, t, b, l, r),
                     shape_hint=("Pad only the last two axes (H and W): the result should be "
                                 f"(N, C, H + top + bottom, W + left + right) = "
                                 f"{expected.shape}."))
    return "correct: every side its own amount, zeros around, and the dtype kept."


# --- 6. shapes through a stack ----------------------------------------------------------------

STACK_NAMES = ["conv 5x5, padding 2, stride 1", "conv 3x3, padding 0, stride 2",
               "max pool 2x2, stride 2", "conv 3x3, padding 1, stride (1, 2)"]


def _stack_step(i, previous):
    """The right (OH, OW) of layer i, from the (H, W) it receives."""
    H, W = (32, 27) if previous is None else previous
    k, p, (sh, sw) = sol.STACK[i]
    return (H + 2 * p - k) // sh + 1, (W + 2 * p - k) // sw + 1


@exercise("ch2-stack-shapes", title="Shapes through a stack of layers",
          hints=(
              "Go one layer at a time: each layer's output shape is the next layer's input "
              "shape. Height and width are computed separately, each with its own size, "
              "padding and stride.",
              "Use OH = (H + 2P - FH) // S + 1 and OW = (W + 2P - FW) // S + 1. Pooling uses "
              "the same formula (window 2, stride 2, P = 0). Layer 4's stride (1, 2) means S = "
              "1 for the height and S = 2 for the width.",
              "Layer 1 keeps the size: 5x5 with padding 2 at stride 1 is same padding, so its "
              "output is the input's (32, 27). Feed that into layer 2's formula, then its "
              "result into layer 3, and so on.",
          ),
          solution=sol.stack_shapes, mistakes=sol.STACK_SHAPES_MISTAKES)
def check_stack_shapes(answer):
    case = "the four-layer stack"
    got = _pairs(answer, len(sol.STACK), "(OH, OW)", case)
    for i, pair in enumerate(got):
        _ints(pair, (f"OH of layer {i + 1}", f"OW of layer {i + 1}"), case)
    detail = _chain_detail(got, sol.stack_shapes, _stack_step, ("height", "width"))
    expect_value(got, sol.stack_shapes, case=case, mistakes=known_mistakes(),
                 parts=[f"layer {i + 1}" for i in range(len(got))], hint=detail)
    return "correct: (32, 27) -> (32, 27) -> (15, 13) -> (7, 6) -> (7, 3)."


# --- 7. receptive field and jump -----------------------------------------------------------------

RF_NAMES = ["conv 3x3", "max pool 2x2, stride 2", "conv 3x3, dilation 3", "conv 3x3, stride 2",
            "conv 3x3"]


def _rf_step(i, previous):
    """The right (r, j) after layer i, from the (r, j) before it."""
    r, j = (1, 1) if previous is None else previous
    k, s, d = sol.RF_STACK[i]
    return r + d * (k - 1) * j, j * s


@exercise("ch2-receptive-field", title="Receptive field and jump through a stack",
          hints=(
              "Track two numbers through the stack: the receptive field r (how many input "
              "pixels one output pixel sees) and the jump j (how many input pixels apart "
              "neighbouring outputs of the current layer are). A pooling layer is a window "
              "too.",
              "Start with r = 1, j = 1. For each layer with kernel k, stride s and dilation d: "
              "first r = r + d*(k - 1)*j, then j = j*s (a layer's own stride only affects the "
              "layers after it). Write (r, j) down after every layer.",
          ),
          solution=sol.rf_jumps, mistakes=sol.RF_JUMPS_MISTAKES)
def check_receptive_field(answer):
    case = "the five-layer stack"
    got = _pairs(answer, len(sol.RF_STACK), "(r, j)", case)
    for i, pair in enumerate(got):
        _ints(pair, (f"r after layer {i + 1}", f"j after layer {i + 1}"), case)
    detail = _chain_detail(got, sol.rf_jumps, _rf_step, ("receptive field", "jump"))
    expect_value(got, sol.rf_jumps, case=case, mistakes=known_mistakes(),
                 parts=[f"layer {i + 1}" for i in range(len(got))], hint=detail)
    return ("correct: the pooling layer adds 1 and doubles the jump, so the dilated layer adds "
            "3*2*2 = 12; the last layer, after two strides of 2, adds 2*4 = 8: 28 pixels.")
