"""Chapter 2 exercises: output sizes, "same" padding, shapes through a stack, asymmetric
padding and receptive fields. Reference solutions and known mistakes: ``ch02_solutions``."""

import math
import numbers

import numpy as np

from cnn_course.exercises import ch02_solutions as sol
from cnn_course.exercises.core import call, exercise, expect_array, expect_value, fail

__all__ = ["OUTPUT_SIZE_CASES", "check_output_size", "check_same_padding", "STACK_NAMES",
           "check_stack_shapes", "PAD_CASES", "check_pad_asymmetric", "check_receptive_field"]


def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _pair(got, what, case):
    """got as a 2-tuple, or a Fail naming the case."""
    if not isinstance(got, (tuple, list, np.ndarray)) or len(got) != 2:
        fail(f"case {case}: expected {what}, a pair of two ints, got {got!r}.")
    return tuple(got)


# --- 1. conv_output_size ---------------------------------------------------------------------

OUTPUT_SIZE_CASES = [  # (H, W, FH, FW, P, S)
    (7, 7, 3, 3, 0, 2),     # the notes' second example
    (4, 4, 3, 3, 1, 1),     # the first
    (28, 31, 5, 5, 2, 3),   # the third: H != W
    (8, 10, 3, 3, 0, 2),    # the stride does not divide (H + 2P - FH)
    (9, 6, 4, 4, 1, 3),     # nor here, with padding and an even kernel
]


def _size_mistakes(H, W, FH, FW, P, S):
    """{wrong (OH, OW): message} for the usual slips, first-listed wins on a tie."""
    wrong = {}
    slips = [
        (sol._size_ceil, "You rounded up. When the stride does not divide H + 2P - FH, the "
                         "last window would overhang the padded input, so it is dropped: floor."),
        (sol._size_padding_once, "Padding is added on both sides of the input: use 2*P."),
        (sol._size_no_plus_one, "You forgot the +1: (H + 2P - FH) // S counts the steps "
                                "between windows; the windows are one more (the first one "
                                "sits at position 0)."),
        (sol._size_height_for_width, "OW must use W (and FW), not H. One of the notes writes "
                                     "OW = (H + 2P - FW)/S + 1: that is a typo."),
    ]
    for rule, message in slips:
        wrong.setdefault(tuple(int(v) for v in rule(H, W, FH, FW, P, S)), message)
    return wrong


@exercise("ch2-output-size", title="The output-size formula",
          hints=(
              "Padding makes the input bigger, the stride makes the window jump. Picture the "
              "padded input and count the positions where the window can start along the "
              "height.",
              "The padded height is H + 2P. The window's top can sit at 0, S, 2S, ... as long "
              "as the window still fits, so the last start is at most H + 2P - FH. Count the "
              "multiples of S from 0 up to that number: round down, because a window that would "
              "overhang is dropped.",
              "`OH = (H + 2 * P - FH) // S + 1`: floor division counts the jumps, + 1 the start "
              "at 0. Write OW the same way with W and FW, and return the pair of ints.",
          ),
          solution=sol.conv_output_size, mistakes=sol.CONV_OUTPUT_SIZE_MISTAKES)
def check_output_size(conv_output_size):
    for H, W, FH, FW, P, S in OUTPUT_SIZE_CASES:
        case = f"H={H}, W={W}, FH={FH}, FW={FW}, P={P}, S={S}"
        got = _pair(call(conv_output_size, H, W, FH, FW, P, S, case=case), "(OH, OW)", case)
        expected = sol.conv_output_size(H, W, FH, FW, P, S)
        for v in got:
            if isinstance(v, (float, np.floating)):
                fail(f"case {case}: got {got!r}, which contains a float. Output sizes count "
                     "windows, so they are ints: use floor division `//` (the remainder "
                     "is dropped), not `/`.")
            if not _is_int(v):
                fail(f"case {case}: OH and OW must be ints, got {got!r}.")
        expect_value(got, expected, case=case, mistakes=_size_mistakes(H, W, FH, FW, P, S))
    return "correct: all five cases, including two where the stride does not divide."


# --- 2. same padding ---------------------------------------------------------------------------

@exercise("ch2-same-padding", title="Padding that keeps the size",
          hints=(
              "At stride 1 a k x k kernel makes the output k - 1 rows shorter than its input. "
              "To keep the 10 rows, the padding must add exactly those rows back, top and "
              "bottom together.",
              "top + bottom = k - 1. For the 5x5 kernel that is 4 rows, split evenly; for the "
              "4x4 kernel it is 3, an odd number, so one side gets one row more: this course "
              "(like TensorFlow) puts the extra row at the bottom. Answer `((top, bottom), "
              "(top, bottom))`.",
          ),
          solution=sol.SAME_PADDING, mistakes=sol.SAME_PADDING_MISTAKES)
def check_same_padding(answer):
    parts = _pair(answer, "((top, bottom) for 5x5, (top, bottom) for 4x4)", "answer")
    for k, got in zip((5, 4), parts):
        case = f"{k}x{k} kernel on a 10x10 input"
        top, bottom = _pair(got, "(top, bottom)", case)
        for v in (top, bottom):
            if not _is_int(v) and isinstance(v, (float, np.floating)) and v == v:
                fail(f"case {case}: got {got!r}. Padding is a whole number of rows; "
                     f"(k - 1)/2 = {(k - 1) / 2} is not, so split k - 1 = {k - 1} unevenly.")
            if not _is_int(v) or v < 0:
                fail(f"case {case}: padding must be two non-negative ints, got {got!r}.")
        rows = 10 + top + bottom - k + 1
        if top + bottom == 2 * (k - 1) and k > 1:
            fail(f"case {case}: {got!r} is full padding (k - 1 on each side): the output grows "
                 f"to {rows} rows. Keeping 10 rows needs k - 1 = {k - 1} rows in total.")
        if rows != 10:
            fail(f"case {case}: with padding {got!r} the output has 10 + {top} + {bottom} - "
                 f"{k} + 1 = {rows} rows, not 10. The two sides must add up to k - 1 = {k - 1}.")
        if top > bottom:
            fail(f"case {case}: {got!r} keeps 10 rows but puts the extra row on top (the "
                 "convention of d2l and one of the notes). This course, like TensorFlow's "
                 "'SAME' and PyTorch's padding='same', puts it at the bottom.")
        if top != bottom and k % 2 == 1:
            fail(f"case {case}: {got!r} keeps the size, but an odd kernel splits k - 1 evenly.")
    return "correct: an odd kernel pads (k-1)/2 on each side; an even one cannot be symmetric."


# --- 3. shapes through a stack ----------------------------------------------------------------

STACK_NAMES = ["conv 5x5, padding 2, stride 1", "conv 3x3, padding 0, stride 2",
               "max pool 2x2, stride 2", "conv 3x3, padding 1, stride (1, 2)"]


@exercise("ch2-stack-shapes", title="Shapes through a stack of layers",
          hints=(
              "Go one layer at a time: each layer's output shape is the next layer's input "
              "shape. Height and width are computed separately, each with its own kernel size, "
              "padding and stride.",
              "Use OH = (H + 2P - FH) // S + 1 and OW = (W + 2P - FW) // S + 1. Pooling uses "
              "the same formula (window 2, stride 2, P = 0). Layer 4's stride (1, 2) means S = "
              "1 for the height and S = 2 for the width.",
              "Layer 1: (32 + 2*2 - 5) // 1 + 1 = 32 and (27 + 2*2 - 5) // 1 + 1 = 27, so (32, "
              "27). Feed (32, 27) into layer 2 the same way, then its result into layer 3, and "
              "so on.",
          ),
          solution=sol.STACK_SHAPES, mistakes=sol.STACK_SHAPES_MISTAKES)
def check_stack_shapes(answer):
    if not isinstance(answer, (list, tuple)) or len(answer) != len(sol.STACK):
        fail(f"expected a list of {len(sol.STACK)} (OH, OW) pairs, one per layer, "
             f"got {answer!r}.")
    shape = (32, 27)
    for i, ((k, p, (sh, sw)), got) in enumerate(zip(sol.STACK, answer)):
        case = f"layer {i + 1} ({STACK_NAMES[i]}) on an input of shape {shape}"
        got = _pair(got, "(OH, OW)", case)
        if not all(_is_int(v) for v in got):
            fail(f"case {case}: sizes are ints (floor the division), got {got!r}.")
        H, W = shape
        size = lambda n, s, pad=p: (n + 2 * pad - k) // s + 1  # noqa: E731
        expected = (size(H, sh), size(W, sw))
        mistakes = {}
        mistakes.setdefault((math.ceil((H + 2 * p - k) / sh) + 1,
                             math.ceil((W + 2 * p - k) / sw) + 1),
                            "You rounded up; the formula floors (a window that would overhang "
                            "is dropped).")
        mistakes.setdefault((size(H, sh, 0), size(W, sw, 0)),
                            f"That ignores this layer's padding of {p} on each side.")
        mistakes.setdefault((size(H, sw), size(W, sh)),
                            "Stride (1, 2) is (along the height, along the width): 1 down, "
                            "2 across. You swapped the two.")
        mistakes.setdefault((size(H, sh), (H + 2 * p - k) // sw + 1),
                            "OW must use W, not H.")
        mistakes.setdefault(((H + 2 * p - k) // sh, (W + 2 * p - k) // sw),
                            "You forgot the +1 (the first window sits at position 0).")
        mistakes.pop(expected, None)
        expect_value(got, expected, case=case, mistakes=mistakes)
        shape = expected
    return "correct: (32, 27) -> (32, 27) -> (15, 13) -> (7, 6) -> (7, 3)."


# --- 4. asymmetric padding ---------------------------------------------------------------------

PAD_CASES = [  # (shape, dtype, (top, bottom, left, right))
    ((2, 3, 4, 5), np.float32, (1, 2, 0, 3)),
    ((1, 2, 3, 3), np.float64, (2, 0, 1, 0)),
    ((2, 1, 5, 4), np.float32, (0, 1, 2, 2)),
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
        x = rng.standard_normal(shape).astype(dtype)
        case = (f"x of shape {shape} ({np.dtype(dtype).name}), top={t}, bottom={b}, "
                f"left={l}, right={r}")
        try:
            got = call(pad_asymmetric, x, t, b, l, r, case=case)
        except Exception as err:
            if 0 in (b, r) and "raised" in str(err):
                fail(f"{err}. Note: a slice like top:-bottom is empty when bottom = 0 "
                     "(-0 is 0); write top:top + H instead.")
            raise
        expected = sol.pad_asymmetric(x, t, b, l, r)
        expect_array(
            got, expected, case=case, dtype=dtype,
            mistakes={
                "top and bottom (or left and right) are swapped":
                    np.pad(x, ((0, 0), (0, 0), (b, t), (r, l))),
                "the (left, right) padding went onto the height and (top, bottom) onto the width":
                    np.pad(x, ((0, 0), (0, 0), (l, r), (t, b))),
            },
            shape_hint=(f"Pad only the last two axes (H and W): the result should be "
                        f"(N, C, H + top + bottom, W + left + right) = {expected.shape}."))
    return "correct, and the dtype is kept."


# --- 5. receptive field --------------------------------------------------------------------------

@exercise("ch2-receptive-field", title="Receptive field through a stack",
          hints=(
              "The receptive field grows with every layer, and faster after a stride: once "
              "neighbouring outputs are s input pixels apart, each extra kernel tap reaches s "
              "pixels further. Track two numbers through the stack.",
              "Keep the receptive field r and the jump j (how many input pixels apart "
              "neighbouring outputs of the current layer are); start with r = 1, j = 1. For "
              "each layer with kernel k, stride s and dilation d: first r = r + d*(k - 1)*j, "
              "then j = j*s (a layer's own stride only affects the layers after it).",
          ),
          solution=sol.RECEPTIVE_FIELDS, mistakes=sol.RECEPTIVE_FIELDS_MISTAKES)
def check_receptive_field(answer):
    if not isinstance(answer, (list, tuple)) or len(answer) != 4:
        fail(f"expected a tuple of 4 ints (the receptive field after each layer), got {answer!r}.")
    if not all(_is_int(v) for v in answer):
        fail(f"receptive fields are whole numbers of pixels, got {answer!r}.")
    expect_value(tuple(answer), sol.RECEPTIVE_FIELDS, case="the four-layer stack", mistakes={
        (3, 5, 7, 11): "You forgot the jump: after the stride-2 layer, each step of the kernel "
                       "moves 2 input pixels, so layers 3 and 4 add d*(k - 1)*2.",
        (3, 5, 7, 9): "Each layer added k - 1, but after the stride-2 layer neighbouring "
                      "outputs are 2 input pixels apart (the jump), and the last layer is "
                      "dilated.",
        (3, 5, 9, 13): "You left out the dilation: a dilation-2 3x3 kernel spans 5 of its "
                       "input pixels, so it adds d*(k - 1) = 4 of them, times the jump.",
        (3, 7, 11, 19): "The stride of layer 2 does not widen layer 2's own window; it spreads "
                        "the windows of the layers after it (update j after r).",
    }, hint="Recompute layer by layer with r += d*(k - 1)*j, then j *= s.")
    return "correct: 3, 5, 9, 17."
