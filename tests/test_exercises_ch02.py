"""Chapter 2's exercises tried as a learner would: the narrow answers (square-only formulas,
a wrong split that keeps the size, the old receptive-field answer) are rejected, correct
answers written differently pass, and the by-hand feedback names the wrong part only."""

import math

import numpy as np
import pytest

from cnn_course.exercises import ch02, ch02_solutions as sol, core  # noqa: F401 (registers)


def _check(exercise_id, answer):
    return core.get(exercise_id).check(answer)


# --- ch2-output-size -------------------------------------------------------------------------

def _square_only(H, W, FH, FW, P=0, S=1):
    size = (H + 2 * P - FH) // S + 1
    return size, size


def _ow_from_fh_and_h(H, W, FH, FW, P=0, S=1):
    return (H + 2 * P - FH) // S + 1, (H + 2 * P - FH) // S + 1


def _truncating(H, W, FH, FW, P=0, S=1):
    return int((H + 2 * P - FH) / S) + 1, int((W + 2 * P - FW) / S) + 1


def _as_array(H, W, FH, FW, P=0, S=1):
    return np.array(sol.conv_output_size(H, W, FH, FW, P, S))


@pytest.mark.parametrize("wrong", [_square_only, _ow_from_fh_and_h])
def test_output_size_rejects_square_only_formulas(wrong):
    feedback = _check("ch2-output-size", wrong)
    assert feedback.status == "failed", str(feedback)


def test_output_size_cases_separate_H_from_W_and_FH_from_FW():
    cases = [c for c in ch02.OUTPUT_SIZE_CASES]
    assert any(H != W and FH != FW for H, W, FH, FW, P, S in cases)
    assert any(sol._size_height_for_width(*c) != sol.conv_output_size(*c) for c in cases)
    assert any(sol._size_square_kernel(*c) != sol.conv_output_size(*c) for c in cases)
    assert sum((H + 2 * P - FH) % S != 0 for H, W, FH, FW, P, S in cases) >= 2


@pytest.mark.parametrize("right", [_truncating, _as_array])
def test_output_size_accepts_correct_answers_written_differently(right):
    assert _check("ch2-output-size", right).passed


@pytest.mark.parametrize("wrong,said", [
    (lambda H, W, FH, FW, P=0, S=1: ("3", "3"), "a string"),
    (lambda H, W, FH, FW, P=0, S=1: (3.0, 3.0), "a float"),
    (lambda H, W, FH, FW, P=0, S=1: "3x3", "a pair"),
])
def test_output_size_refuses_strings_and_floats(wrong, said):
    feedback = _check("ch2-output-size", wrong)
    assert feedback.status == "failed" and said in feedback.message, str(feedback)


# --- ch2-same-padding -------------------------------------------------------------------------

@pytest.mark.parametrize("wrong", [((1, 4), (2, 2)), ((0, 5), (2, 2)), ((2, 3), (1, 3)),
                                   ((2, 3), (0, 4))])
def test_same_padding_rejects_an_uneven_split_that_keeps_the_size(wrong):
    feedback = _check("ch2-same-padding", wrong)
    assert feedback.status == "failed", str(feedback)
    assert "whole number" not in feedback.message


def test_same_padding_float_is_not_called_a_non_whole_number():
    feedback = _check("ch2-same-padding", ((2.0, 3.0), (2.0, 2.0)))
    assert feedback.status == "failed"
    assert "not a whole number" not in feedback.message and "a float" in feedback.message


def test_same_padding_accepts_arrays_and_lists():
    assert _check("ch2-same-padding", [[2, 3], [2, 2]]).passed
    assert _check("ch2-same-padding", np.array([[2, 3], [2, 2]])).passed


# --- ch2-dilation-padding -----------------------------------------------------------------------

def test_dilation_cases_cover_odd_and_even_totals():
    totals = [(d or 1) * (k - 1) for k, d in ch02.DILATION_CASES]
    assert any(t % 2 for t in totals) and any(t % 2 == 0 and t > 0 for t in totals)
    assert any(k % 2 == 0 and (d or 1) % 2 == 0 for k, d in ch02.DILATION_CASES)
    assert any(d is None for k, d in ch02.DILATION_CASES)


def test_dilation_padding_accepts_a_ceil_floor_split():
    def right(k, d=1):
        return math.floor(d * (k - 1) / 2), math.ceil(d * (k - 1) / 2)
    assert _check("ch2-dilation-padding", right).passed


# --- ch2-pad-asymmetric -------------------------------------------------------------------------

def test_pad_cases_cover_batches_channels_dtypes_and_zero_sides():
    shapes = [shape for shape, _, _ in ch02.PAD_CASES]
    assert all(N > 1 and C > 1 for N, C, _, _ in shapes)
    assert any(H != W for _, _, H, W in shapes)
    assert {np.dtype(d).kind for _, d, _ in ch02.PAD_CASES} >= {"f", "i"}
    assert any(0 in sides for _, _, sides in ch02.PAD_CASES)


def test_pad_asymmetric_accepts_np_pad():
    def right(x, top, bottom, left, right):
        return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    assert _check("ch2-pad-asymmetric", right).passed


def test_pad_asymmetric_rejects_padding_only_the_first_image():
    def first_only(x, top, bottom, left, right):
        N, C, H, W = x.shape
        out = np.zeros((N, C, H + top + bottom, W + left + right), dtype=x.dtype)
        out[0, :, top:top + H, left:left + W] = x[0]
        return out
    assert _check("ch2-pad-asymmetric", first_only).status == "failed"


# --- the by-hand exercises: which part, never its value -------------------------------------------

def test_stack_shapes_names_the_first_wrong_layer_and_axis_only():
    wrong = [(32, 27), (15, 14), (7, 7), (7, 4)]   # layer 2's width off, the rest follows
    message = _check("ch2-stack-shapes", wrong).message
    assert "Layer 2 is the first wrong one: its width is off" in message
    assert "layer 3 and layer 4 follow correctly" in message
    assert "13" not in message and "(7, 6)" not in message and "(7, 3)" not in message


def test_receptive_field_old_answer_and_single_numbers_are_refused():
    assert _check("ch2-receptive-field", (3, 5, 9, 17)).status == "failed"
    message = _check("ch2-receptive-field", [3, 4, 16, 20, 28]).message
    assert "each layer needs two numbers" in message


def test_receptive_field_names_the_wrong_value_of_a_layer():
    wrong = [(3, 1), (4, 2), (16, 2), (20, 2), (24, 2)]   # layer 4's stride forgotten
    message = _check("ch2-receptive-field", wrong).message
    assert "Layer 4 is the first wrong one: its jump is off" in message
    assert "28" not in message


def test_alexnet_accepts_any_order_and_a_set_for_part_d():
    assert _check("ch2-alexnet-input", [[54, 1], [55, 0], [55, 1], {227, 223}]).passed
    assert _check("ch2-alexnet-input", ((54, 1), (55, 0), (55, 1), [227, 223])).passed


def test_alexnet_names_the_wrong_field():
    message = _check("ch2-alexnet-input", ((54, 2), (55, 0), (55, 1), (223, 227))).message
    assert "the rows never read for part (a)" in message and "part (a)" in message

