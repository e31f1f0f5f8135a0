"""Reference solutions for chapter 2 (padding and stride), and the usual wrong answers.

The book shows these functions in its solution dropdowns (``literalinclude``). The Mistake
lists at the bottom are realistic wrong answers; the tests prove each is rejected with a
message that names the mistake.
"""

import math

import numpy as np

from cnn_course.exercises.core import Mistake

__all__ = ["conv_output_size", "SAME_PADDING", "STACK_SHAPES", "RECEPTIVE_FIELDS",
           "pad_asymmetric", "CONV_OUTPUT_SIZE_MISTAKES", "SAME_PADDING_MISTAKES", "STACK",
           "STACK_SHAPES_MISTAKES", "RECEPTIVE_FIELDS_MISTAKES", "PAD_ASYMMETRIC_MISTAKES"]


# --- reference solutions ---------------------------------------------------------------

def conv_output_size(H, W, FH, FW, P=0, S=1):
    """Output size (OH, OW) of a convolution: input (H, W), filter (FH, FW), padding P, stride S."""
    OH = (H + 2 * P - FH) // S + 1  # // floors: a window that would overhang is dropped
    OW = (W + 2 * P - FW) // S + 1  # width uses W and FW, never H
    return OH, OW


# Input 10x10, stride 1: the (top, bottom) padding for a 5x5 kernel, then for a 4x4 kernel.
# 5 - 1 = 4 rows split evenly; 4 - 1 = 3 rows split 1 above, 2 below (the extra one at the bottom).
SAME_PADDING = ((2, 2), (1, 2))

# Input (32, 27): conv 5x5 P2 S1, conv 3x3 P0 S2, max pool 2x2 S2, conv 3x3 P1 stride (1, 2).
STACK_SHAPES = [(32, 27), (15, 13), (7, 6), (7, 3)]

# conv 3x3; conv 3x3 stride 2; conv 3x3; conv 3x3 dilation 2: receptive field after each.
RECEPTIVE_FIELDS = (3, 5, 9, 17)


def pad_asymmetric(x, top, bottom, left, right):
    """Zero-pad the height and width of x (N, C, H, W) by a different amount on each side."""
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + top + bottom, W + left + right), dtype=x.dtype)
    out[:, :, top:top + H, left:left + W] = x
    return out


# --- the usual mistakes ------------------------------------------------------------------

def _size_true_division(H, W, FH, FW, P=0, S=1):
    return (H + 2 * P - FH) / S + 1, (W + 2 * P - FW) / S + 1


def _size_ceil(H, W, FH, FW, P=0, S=1):
    return math.ceil((H + 2 * P - FH) / S) + 1, math.ceil((W + 2 * P - FW) / S) + 1


def _size_no_plus_one(H, W, FH, FW, P=0, S=1):
    return (H + 2 * P - FH) // S, (W + 2 * P - FW) // S


def _size_padding_once(H, W, FH, FW, P=0, S=1):
    return (H + P - FH) // S + 1, (W + P - FW) // S + 1


def _size_height_for_width(H, W, FH, FW, P=0, S=1):
    return (H + 2 * P - FH) // S + 1, (H + 2 * P - FW) // S + 1


CONV_OUTPUT_SIZE_MISTAKES = [
    Mistake(_size_true_division, expect="floor division",
            why="/ instead of //: a float, 3.5 rows"),
    Mistake(_size_ceil, expect="rounded up", why="ceil keeps a window that overhangs"),
    Mistake(_size_no_plus_one, expect="+1", why="counts the steps, not the windows"),
    Mistake(_size_padding_once, expect="both sides", why="adds P instead of 2P"),
    Mistake(_size_height_for_width, expect="use W", why="the notes' typo: OW from H"),
]

SAME_PADDING_MISTAKES = [
    Mistake(((2, 2), (2, 2)), expect="11 rows", why="k // 2 on both sides of an even kernel"),
    Mistake(((2, 2), (1, 1)), expect="9 rows", why="(k - 1) // 2 on both sides"),
    Mistake(((2, 2), (2, 1)), expect="on top", why="d2l's convention, not TensorFlow's"),
    Mistake(((4, 4), (3, 3)), expect="full padding", why="k - 1 on each side"),
    Mistake(((2, 2), (1.5, 1.5)), expect="whole number", why="(k - 1) / 2 for an even kernel"),
]

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
            expect="rounded up", why="ceil instead of floor"),
    Mistake(_run_stack(lambda n, k, p, s: (n - k) // s + 1), expect="padding",
            why="padding ignored"),
    Mistake(_run_stack(lambda n, k, p, s: (n + 2 * p - k) // s + 1,
                       stack=[*STACK[:3], (3, 1, (2, 1))]),
            expect="(1, 2)", why="the stride pair read as (width, height)"),
    Mistake(_run_stack(lambda n, k, p, s: (n + 2 * p - k) // s),
            expect="+1", why="forgot the +1"),
    Mistake([(32, 32), (15, 15), (7, 7), (7, 4)], expect="use W", why="H used for the width"),
]

RECEPTIVE_FIELDS_MISTAKES = [
    Mistake((3, 5, 7, 11), expect="jump", why="adds d*(k-1) but forgets the stride before it"),
    Mistake((3, 5, 9, 13), expect="dilation", why="ignores the dilation"),
    Mistake((3, 7, 11, 19), expect="own window", why="applies a layer's stride to itself"),
    Mistake((3, 5, 7, 9), expect="jump", why="adds k-1 each layer"),
]


def _pad_upcasts(x, top, bottom, left, right):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + top + bottom, W + left + right))  # float64 always
    out[:, :, top:top + H, left:left + W] = x
    return out


def _pad_top_bottom_swapped(x, top, bottom, left, right):
    return np.pad(x, ((0, 0), (0, 0), (bottom, top), (right, left)))


def _pad_axes_swapped(x, top, bottom, left, right):
    return np.pad(x, ((0, 0), (0, 0), (left, right), (top, bottom)))


def _pad_all_axes(x, top, bottom, left, right):
    return np.pad(x, ((top, bottom), (left, right), (0, 0), (0, 0)))


def _pad_negative_slices(x, top, bottom, left, right):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + top + bottom, W + left + right), dtype=x.dtype)
    out[:, :, top:-bottom, left:-right] = x  # -0 is 0: an empty slice when bottom == 0
    return out


PAD_ASYMMETRIC_MISTAKES = [
    Mistake(_pad_upcasts, expect="dtype", why="np.zeros without dtype=x.dtype"),
    Mistake(_pad_top_bottom_swapped, expect="top and bottom", why="sides swapped"),
    Mistake(_pad_axes_swapped, expect="height", why="(left, right) padded onto the height"),
    Mistake(_pad_all_axes, expect="last two axes", why="padded N and C instead of H and W"),
    Mistake(_pad_negative_slices, expect="-0", why="top:-bottom is empty when bottom is 0"),
]
