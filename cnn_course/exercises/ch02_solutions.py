"""Reference solutions for chapter 2 (padding and stride), and the usual wrong answers.

The book shows these solutions in its dropdowns, and ``solution(id)`` prints them: a function's
source, or a value's assignment named like the notebook's answer variable. The Mistake lists
at the bottom are realistic wrong answers, each registered once with the message it earns; the
checkers in ``ch02`` find them through ``known_mistakes`` and the tests prove each is rejected
with its message.
"""

import math

import numpy as np

from cnn_course.exercises.core import Mistake, reference

__all__ = ["conv_output_size", "alexnet_sizes", "same_pads", "dilated_same_padding",
           "pad_asymmetric", "stack_shapes", "rf_jumps", "STACK", "RF_STACK",
           "CONV_OUTPUT_SIZE_MISTAKES", "ALEXNET_SIZES_MISTAKES", "SAME_PADS_MISTAKES",
           "DILATED_SAME_PADDING_MISTAKES", "PAD_ASYMMETRIC_MISTAKES", "STACK_SHAPES_MISTAKES",
           "RF_JUMPS_MISTAKES"]


# --- reference solutions ---------------------------------------------------------------

def conv_output_size(H, W, FH, FW, P=0, S=1):
    """Output size (OH, OW): input (H, W), filter (FH, FW), padding P on every side, stride S."""
    OH = (H + 2 * P - FH) // S + 1  # // floors: a window that would overhang is dropped
    OW = (W + 2 * P - FW) // S + 1  # the width uses W and FW, never H or FH
    return OH, OW


# AlexNet's first layer: 11x11 kernel, stride 4. (OH, rows never read) for a 224-row input
# with no padding, a 227-row input with no padding and a 224-row input with padding 2:
# OH = (n + 2P - 11) // 4 + 1, unread = (n + 2P - 11) % 4. Then the input sizes from 220 to 230
# that leave no row unread without padding: (n - 11) % 4 == 0.
alexnet_sizes = ((54, 1), (55, 0), (55, 1), (223, 227))

# Input 10x12 (H x W), stride 1, a 6x5 kernel (FH = 6, FW = 5): ((top, bottom), (left, right)).
# 6 - 1 = 5 rows: 2 above, 3 below (the extra one at the bottom); 5 - 1 = 4 columns: 2 and 2.
same_pads = ((2, 3), (2, 2))


def dilated_same_padding(k, d=1):
    """(top, bottom) padding that keeps the size of one axis at stride 1: kernel k, dilation d."""
    total = d * (k - 1)      # the kernel spans d*(k - 1) + 1 pixels: the output loses d*(k - 1)
    top = total // 2
    return top, total - top    # when the total is odd, the extra row goes at the bottom


def pad_asymmetric(x, top, bottom, left, right):
    """Zero-pad the height and width of x (N, C, H, W) by a different amount on each side."""
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + top + bottom, W + left + right), dtype=x.dtype)
    out[:, :, top:top + H, left:left + W] = x
    return out


# Input (32, 27): conv 5x5 P2 S1, conv 3x3 P0 S2, max pool 2x2 S2, conv 3x3 P1 stride (1, 2).
stack_shapes = [(32, 27), (15, 13), (7, 6), (7, 3)]

# conv 3x3; max pool 2x2 stride 2; conv 3x3 dilation 3; conv 3x3 stride 2; conv 3x3:
# (receptive field, jump) after each layer, from r = 1, j = 1: r += d*(k - 1)*j, then j *= s.
rf_jumps = [(3, 1), (4, 2), (16, 2), (20, 4), (28, 4)]


# --- 1. the usual mistakes: conv_output_size ---------------------------------------------

def _size_true_division(H, W, FH, FW, P=0, S=1):
    return (H + 2 * P - FH) / S + 1, (W + 2 * P - FW) / S + 1


def _size_ceil(H, W, FH, FW, P=0, S=1):
    return math.ceil((H + 2 * P - FH) / S) + 1, math.ceil((W + 2 * P - FW) / S) + 1


def _size_round(H, W, FH, FW, P=0, S=1):
    return round((H + 2 * P - FH) / S) + 1, round((W + 2 * P - FW) / S) + 1


def _size_no_plus_one(H, W, FH, FW, P=0, S=1):
    return (H + 2 * P - FH) // S, (W + 2 * P - FW) // S


def _size_padding_once(H, W, FH, FW, P=0, S=1):
    return (H + P - FH) // S + 1, (W + P - FW) // S + 1


def _size_height_for_width(H, W, FH, FW, P=0, S=1):
    return (H + 2 * P - FH) // S + 1, (H + 2 * P - FW) // S + 1


def _size_square_kernel(H, W, FH, FW, P=0, S=1):
    return (H + 2 * P - FH) // S + 1, (W + 2 * P - FH) // S + 1


def _size_swapped(H, W, FH, FW, P=0, S=1):
    return (W + 2 * P - FW) // S + 1, (H + 2 * P - FH) // S + 1


def _size_strings(H, W, FH, FW, P=0, S=1):
    return str((H + 2 * P - FH) // S + 1), str((W + 2 * P - FW) // S + 1)


CONV_OUTPUT_SIZE_MISTAKES = [
    Mistake(_size_height_for_width,
            "OW must use W, not H: the width of the output depends on the width of the input. "
            "A common typo writes OW = (H + 2P - FW)/S + 1; only a square input hides it.",
            why="a common typo: OW from H"),
    Mistake(_size_square_kernel,
            "OW must use the filter's width FW, not its height FH: a filter need not be "
            "square.", why="OW from FH"),
    Mistake(_size_swapped,
            "Your OH and OW are swapped: return (OH, OW), the height first, as shapes are "
            "written (H before W).", why="returns (OW, OH)"),
    Mistake(_size_ceil,
            "You rounded up. When the stride does not divide H + 2P - FH, the last window "
            "would overhang the padded input, so it is dropped: round down (floor).",
            why="ceil keeps a window that overhangs"),
    Mistake(_size_round,
            "You rounded to the nearest integer. Frameworks always round down: a window that "
            "would overhang the padded input is dropped, however little it overhangs.",
            why="round() instead of floor"),
    Mistake(_size_padding_once,
            "Padding is added on both sides of the input (top and bottom, left and right): "
            "use 2*P.", why="adds P instead of 2P"),
    Mistake(_size_no_plus_one,
            "You forgot the +1: (H + 2P - FH) // S counts the jumps between windows; the "
            "windows are one more (the first one sits at position 0).",
            why="counts the steps, not the windows"),
    Mistake(_size_true_division, "a float", rule=True, why="/ instead of //: 3.5 rows"),
    Mistake(_size_strings, "a string", rule=True, why="returns the sizes as text"),
]


# --- 2. AlexNet's first layer ----------------------------------------------------------------

ALEXNET_SIZES_MISTAKES = [
    Mistake(((55, 1), (55, 0), (56, 1), (223, 227)),
            "You rounded up for the inputs where the stride does not divide n + 2P - 11: the "
            "last window would stick out, so it is dropped (floor), and the rows after the "
            "last window are never read.", why="ceil instead of floor"),
    Mistake(((53, 1), (54, 0), (54, 1), (223, 227)),
            "Your output sizes are one short: (n + 2P - 11) // 4 counts the jumps of the "
            "window; the windows are one more (+1, the first sits at position 0).",
            why="forgot the +1"),
    Mistake(((54, 3), (55, 0), (55, 3), (223, 227)),
            "Rows never read are the remainder (n + 2P - 11) % 4: the rows after the last "
            "window. You counted the rows one more window would be missing (4 minus the "
            "remainder).", why="the overhang instead of the leftover"),
    Mistake(((54, 1), (55, 0), (54, 3), (223, 227)),
            "With padding 2 the input grows by 2 on each side, 4 rows in all: n + 2P.",
            why="padding added once"),
    Mistake(((54, 1), (55, 0), (55, 1), (220, 224, 228)),
            "Those are the sizes the stride divides. What must be a whole number of strides "
            "is n - 11, the distance the window travels from the first position to the last.",
            why="n % 4 == 0 instead of (n - 11) % 4 == 0"),
]


# --- 3. same padding -----------------------------------------------------------------------

SAME_PADS_MISTAKES = [
    Mistake(((3, 2), (2, 2)),
            "That keeps the size too, and it is d2l's convention: "
            "the extra row on top. This exercise asks for the course's convention, which is "
            "also TensorFlow's padding='SAME' and PyTorch's padding='same': the extra row at "
            "the bottom. Swap the two values for the rows.",
            why="the extra row on top (d2l's convention)"),
    Mistake(((3, 3), (2, 2)),
            "k // 2 on each side is right for an odd kernel, but for the 6-row kernel it adds "
            "one row too many: the output would have 11 rows.", why="k // 2 on both sides"),
    Mistake(((2, 2), (2, 2)),
            "(k - 1) // 2 on each side drops a row for the 6-row kernel: the output would have "
            "9 rows. The two sides must add up to k - 1, so one of them gets one more.",
            why="(k - 1) // 2 on both sides"),
    Mistake(((2.5, 2.5), (2, 2)),
            "(k - 1) / 2 = 2.5 rows cannot be padded: padding is a whole number of rows. When "
            "k - 1 is odd the two sides cannot be equal, so one side gets one row more.",
            why="(k - 1) / 2 for the even side"),
    Mistake(((2, 2), (2, 3)),
            "Your rows and columns are swapped: (top, bottom) depends on the kernel's height "
            "FH = 6 (its rows), (left, right) on its width FW = 5.",
            why="FH and FW swapped"),
    Mistake(((5, 5), (4, 4)),
            "That is full padding, k - 1 on each side: every overlap of kernel and input gets "
            "an output, and the output grows. Keeping the size needs k - 1 in total, split "
            "between the two sides.", why="full padding"),
    Mistake(((0, 5), (0, 4)),
            "The totals keep the size, but all the padding sits on one side, so the output is "
            "shifted against the input by half a kernel. Split each total as evenly as "
            "possible.", why="all the padding on one side"),
]


# --- 4. padding under dilation ----------------------------------------------------------------

def _dilated_ignores_dilation(k, d=1):
    total = k - 1
    return total // 2, total - total // 2


def _dilated_split_then_scale(k, d=1):
    top = d * ((k - 1) // 2)
    return top, d * (k - 1) - top


def _dilated_extra_on_top(k, d=1):
    total = d * (k - 1)
    return total - total // 2, total // 2


def _dilated_span(k, d=1):
    total = d * (k - 1) + 1
    return total // 2, total - total // 2


def _dilated_half_each(k, d=1):
    return d * (k - 1) / 2, d * (k - 1) / 2


def _dilated_engine_form(k, d=1):
    return reference("cnn_course.topics.receptive_field").same_padding(k, d)


DILATED_SAME_PADDING_MISTAKES = [
    Mistake(_dilated_ignores_dilation,
            "You left out the dilation: the taps are d pixels apart, so the kernel spans "
            "d*(k - 1) + 1 pixels and the output loses d*(k - 1) rows, not k - 1.",
            why="k - 1 whatever d"),
    Mistake(_dilated_span,
            "d*(k - 1) + 1 is the span of the dilated kernel. The rows lost, which the padding "
            "must add back, are one fewer: span - 1 = d*(k - 1).",
            why="pads the span, not the rows lost"),
    Mistake(_dilated_split_then_scale,
            "You split k - 1 first and multiplied by d after: top = d*((k - 1)//2). The total "
            "is right but the split is not as even as it can be (the output shifts). Multiply "
            "first, then split the total d*(k - 1).", why="splits k - 1, then scales"),
    Mistake(_dilated_extra_on_top,
            "That keeps the size, with the extra row on top (d2l's convention). This course, "
            "like TensorFlow and PyTorch, puts the extra row at the bottom: top = total // 2.",
            why="the extra row on top"),
    Mistake(_dilated_half_each, "a float", rule=True, why="d*(k - 1) / 2 on each side"),
    Mistake(_dilated_engine_form, "one axis", rule=True,
            why="returns ((top, bottom), (left, right)) as the engine's same_padding"),
]


# --- 5. asymmetric padding --------------------------------------------------------------------

def _pad_upcasts(x, top, bottom, left, right):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + top + bottom, W + left + right))  # float64 always
    out[:, :, top:top + H, left:left + W] = x
    return out


def _pad_top_bottom_swapped(x, top, bottom, left, right):
    return np.pad(x, ((0, 0), (0, 0), (bottom, top), (right, left)))


def _pad_axes_swapped(x, top, bottom, left, right):
    return np.pad(x, ((0, 0), (0, 0), (left, right), (top, bottom)))


def _pad_edge(x, top, bottom, left, right):
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), mode="edge")


def _pad_all_axes(x, top, bottom, left, right):
    return np.pad(x, ((top, bottom), (left, right), (0, 0), (0, 0)))


def _pad_negative_slices(x, top, bottom, left, right):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + top + bottom, W + left + right), dtype=x.dtype)
    out[:, :, top:-bottom, left:-right] = x  # -0 is 0: an empty slice when bottom == 0
    return out


def _pad_returns_input(x, top, bottom, left, right):
    if top == bottom == left == right == 0:
        return x  # nothing to pad: but the caller gets x itself, not a new array
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


PAD_ASYMMETRIC_MISTAKES = [
    Mistake(_pad_top_bottom_swapped,
            "Top and bottom (or left and right) are swapped: the first amount goes before the "
            "first row (above x), the second after its last row.", why="sides swapped"),
    Mistake(_pad_axes_swapped,
            "The (left, right) padding went onto the height and (top, bottom) onto the width: "
            "top and bottom add rows (axis 2), left and right add columns (axis 3).",
            why="(left, right) padded onto the height"),
    Mistake(_pad_edge,
            "The border is filled with copies of x's edge pixels (np.pad's mode='edge'), not "
            "with zeros.", why="edge padding instead of zeros"),
    Mistake(_pad_upcasts, "dtype", rule=True, why="np.zeros without dtype=x.dtype"),
    Mistake(_pad_all_axes, "last two axes", rule=True, why="padded N and C instead of H and W"),
    Mistake(_pad_negative_slices, "-0 is 0", rule=True,
            why="top:-bottom is empty when bottom is 0"),
    Mistake(_pad_returns_input, "shares memory", rule=True,
            why="returns x itself when there is nothing to pad"),
]


# --- 6. shapes through a stack ----------------------------------------------------------------

# The stack of the exercise: (kernel, padding, (stride along H, stride along W)) per layer.
STACK = [(5, 2, (1, 1)), (3, 0, (2, 2)), (2, 0, (2, 2)), (3, 1, (1, 2))]


def _run_stack(size_rule, shape=(32, 27), stack=STACK):
    """Shapes after each layer when every size is computed with ``size_rule`` (one axis)."""
    shapes = []
    for k, p, (sh, sw) in stack:
        shape = (size_rule(shape[0], k, p, sh), size_rule(shape[1], k, p, sw))
        shapes.append(shape)
    return shapes


STACK_SHAPES_MISTAKES = [
    Mistake(_run_stack(lambda n, k, p, s: math.ceil((n + 2 * p - k) / s) + 1),
            "You rounded up where the stride does not divide: the formula floors (a window "
            "that would overhang is dropped).", why="ceil instead of floor"),
    Mistake(_run_stack(lambda n, k, p, s: (n - k) // s + 1),
            "You left out the padding: layers 1 and 4 pad 2 and 1 zeros on each side, which "
            "add 2P rows and 2P columns before the window slides.", why="padding ignored"),
    Mistake(_run_stack(lambda n, k, p, s: (n + p - k) // s + 1),
            "Padding goes on both sides: add 2P, not P.", why="padding added once"),
    Mistake(_run_stack(lambda n, k, p, s: (n + 2 * p - k) // s + 1,
                       stack=[*STACK[:3], (3, 1, (2, 1))]),
            "Stride (1, 2) is (along the height, along the width): 1 down, 2 across. You "
            "swapped the two.", why="the stride pair read as (width, height)"),
    Mistake(_run_stack(lambda n, k, p, s: (n + 2 * p - k) // s),
            "Every size is one short: you forgot the +1 (the first window sits at position 0).",
            why="forgot the +1"),
    Mistake([(32, 32), (15, 15), (7, 7), (7, 4)],
            "Your widths were computed from the heights: OW uses W, and the input is 27 "
            "pixels wide, not 32.", why="H used for the width"),
]


# --- 7. receptive field and jump ----------------------------------------------------------------

# The stack of the exercise: (kernel, stride, dilation) per layer.
RF_STACK = [(3, 1, 1), (2, 2, 1), (3, 1, 3), (3, 2, 1), (3, 1, 1)]


def _run_rf(add, stack=RF_STACK, stride_first=False):
    """(r, j) after each layer when layer l adds ``add(k, d, j)`` to r."""
    r, j, out = 1, 1, []
    for k, s, d in stack:
        if stride_first:
            j *= s
        r += add(k, d, j)
        if not stride_first:
            j *= s
        out.append((r, j))
    return out


RF_JUMPS_MISTAKES = [
    Mistake(_run_rf(lambda k, d, j: d * (k - 1)),
            "Your receptive fields grow by d*(k - 1) per layer whatever the jump: after the "
            "stride-2 pooling, neighbouring taps of the next kernel are j = 2 input pixels "
            "apart, so a layer adds d*(k - 1)*j.", why="forgets the jump"),
    Mistake(_run_rf(lambda k, d, j: (k - 1) * j),
            "You left out the dilation: the dilation-3 layer's taps are 3 of its input pixels "
            "apart, so it adds d*(k - 1) = 6 of them, times the jump.", why="ignores dilation"),
    Mistake(_run_rf(lambda k, d, j: d * (k - 1) * j, stride_first=True),
            "A layer's stride does not widen its own window; it spreads the windows of the "
            "layers after it. Update r with the jump from before the layer, then j *= s.",
            why="applies a layer's stride to itself"),
    Mistake(_run_rf(lambda k, d, j: 0 if k == 2 else d * (k - 1) * j),
            "The pooling layer widens the receptive field too: its 2x2 window reads 2 "
            "neighbouring pixels, so it adds (2 - 1)*j like a 2x2 convolution would. Having no "
            "weights does not make a window narrower.", why="pooling adds nothing"),
    Mistake(_run_rf(lambda k, d, j: (d * (k - 1) + 1) * j),
            "Each layer adds its kernel's span minus one, d*(k - 1), times the jump: the "
            "first tap of the window is already counted in the receptive field so far.",
            why="adds the span d*(k - 1) + 1"),
    Mistake(_run_rf(lambda k, d, j: k - 1),
            "Your receptive fields grow by k - 1 per layer. That holds only for stride 1 and "
            "dilation 1: a layer adds d*(k - 1)*j, where j is the jump so far.",
            why="adds k - 1 each layer"),
]
