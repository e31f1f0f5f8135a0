"""Chapter 1's exercises beyond what tests/test_exercises.py proves for every exercise: the
narrow answers the cases catch, the answer policy on ch1's answers, the equivariance mask's
shape of band, and by-hand feedback that never says the expected value."""

import numpy as np
import pytest

from cnn_course.exercises import ch01, core
from cnn_course.exercises import ch01_solutions as sol


def _feedback(exercise_id, answer):
    return core.get(exercise_id).check(answer)


def test_corr2d_refuses_an_integer_output_and_a_complex_one():
    def int_output(X, K):
        return sol.corr2d(X, K).astype(np.int64)

    def complex_output(X, K):
        return sol.corr2d(X, K) + 0j

    fb = _feedback("ch1-corr2d", int_output)
    assert not fb.passed and "whole numbers" in fb.message
    fb = _feedback("ch1-corr2d", complex_output)
    assert not fb.passed and "complex" in fb.message


@pytest.mark.parametrize("exercise_id, fn", [
    ("ch1-corr2d", lambda X, K: sol.corr2d(X, K).tolist()),
    ("ch1-true-conv", lambda X, K: sol.corr2d(X, np.rot90(K, 2))),
    ("ch1-conv-as-matrix", lambda K, H, W: np.stack(
        [sol.corr2d(e.reshape(H, W), K).ravel() for e in np.eye(H * W)], axis=1)),
    ("ch1-equivariance", lambda X, K, dy, dx: sol.equivariance_mask(X, K, dy, dx).astype(int)),
], ids=["list", "rot90-twice", "impulse-columns", "0/1-mask"])
def test_correct_answers_written_differently_pass(exercise_id, fn):
    assert _feedback(exercise_id, fn).passed


def test_every_function_case_is_non_square():
    for _, X, K in ch01._pairs(1) + ch01._pairs(2):
        assert X.shape[0] != X.shape[1] and K.shape[0] != K.shape[1]
        assert not np.allclose(X, np.round(X))           # non-integer values
    for _, X, K, dy, dx in ch01._equivariance_cases():
        assert X.shape[0] != X.shape[1]


@pytest.mark.parametrize("FH, FW, dy, dx", [(3, 2, 1, 0), (2, 3, -4, 0), (3, 2, 0, 2),
                                            (2, 3, 0, -1), (2, 3, 0, -5), (1, 3, 2, 0)])
def test_equivariance_fails_only_in_a_band_as_wide_as_the_kernel_reaches(FH, FW, dy, dx):
    """A shift along one axis makes the two sides differ on min(|shift|, kernel size - 1)
    rows (or columns): those whose window straddles the zeros that entered and the image."""
    rng = np.random.default_rng(0)
    X, K = rng.normal(size=(9, 8)), rng.normal(size=(FH, FW))
    mask = sol.equivariance_mask(X, K, dy, dx)
    assert np.array_equal(mask, ch01._reference_mask(X, K, dy, dx))
    if dx == 0:
        assert len(np.flatnonzero(~mask.all(axis=1))) == min(abs(dy), FH - 1)
    else:
        assert len(np.flatnonzero(~mask.all(axis=0))) == min(abs(dx), FW - 1)


WRONG_PAIRS = [(448, 1), (449, 44251200), (1, 2), (432, 44236800), (160, 14760000),
               (0, 0), (448, 44251201)]


@pytest.mark.parametrize("answer", WRONG_PAIRS + [m.answer for m in sol.PARAM_COUNT_MISTAKES])
def test_param_count_names_the_wrong_part_and_never_the_expected_value(answer):
    fb = _feedback("ch1-param-count", answer)
    assert not fb.passed
    conv, dense = sol.param_counts
    for value in (conv, dense):
        for form in (str(value), f"{value:,}"):
            assert form not in fb.message.replace(str(answer), ""), fb.message
    wrong = [name for name, got, want in zip(("conv_params", "dense_params"), answer,
                                             sol.param_counts) if got != want]
    assert all(name in fb.message for name in wrong), fb.message


@pytest.mark.parametrize("answer, phrase", [
    ((448.0, 44251200), "float"), (("448", "44251200"), "string"), (448, "2 values"),
    ((True, 44251200), "boolean"),
])
def test_param_count_answer_policy(answer, phrase):
    fb = _feedback("ch1-param-count", answer)
    assert not fb.passed and phrase in fb.message, fb.message
