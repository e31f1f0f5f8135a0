"""Chapter 5's checkers beyond what tests/test_exercises.py proves for every exercise: they
cannot be fooled by a notebook that reassigns the engine's functions, they accept correct
answers written in other ways (matrix products, float32, lists), and the transposed
convolution's cases really are the adjoint of a convolution of the chosen size."""

import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course.exercises import ch05  # noqa: F401  (registers the chapter's exercises)
from cnn_course.exercises import ch05_solutions as sol
from cnn_course.exercises import core
from cnn_course.topics import transposed


def _check(exercise_id, answer):
    return core.REGISTRY[exercise_id].check(answer)


@pytest.fixture
def tampered(monkeypatch):
    """The engine's functions replaced the way a notebook cell could replace them."""
    monkeypatch.setattr(F, "im2col", sol._im2col_channel_last)
    monkeypatch.setattr(F, "conv2d", lambda x, W, b=None, stride=1, padding=0: 0 * x[:, :1])
    monkeypatch.setattr(F, "conv2d_backward", lambda dy, x, W, *a, **k: (0 * x, 0 * W, 0))
    monkeypatch.setattr(F, "col2im", lambda col, shape, *a, **k: np.zeros(shape))
    monkeypatch.setattr(transposed, "conv2d_input_grad", lambda dy, W, shape, *a: np.zeros(shape))


@pytest.mark.parametrize("exercise_id, right, wrong", [
    ("ch5-im2col", sol.im2col, sol._im2col_channel_last),
    ("ch5-conv2d-backward", sol.conv2d_backward, sol._conv2d_backward_dx_assigned),
    ("ch5-transposed", sol.conv_transpose2d, sol._transposed_extra_at_top),
])
def test_verdicts_do_not_change_when_the_engine_is_reassigned(tampered, exercise_id, right,
                                                              wrong):
    assert _check(exercise_id, right).passed
    feedback = _check(exercise_id, wrong)
    assert feedback.status == "failed"
    assert "replaced" in feedback.message          # the tampering is named


def _backward_by_matrices(x, W, b, dout, stride=1, pad=0):
    FN, C, FH, FW = W.shape
    col = F.im2col(x, FH, FW, stride, pad)
    dout2 = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
    dW = (col.T @ dout2).T.reshape(W.shape)
    dx = F.col2im(dout2 @ W.reshape(FN, -1), x.shape, FH, FW, stride, pad)
    return [dx.astype(np.float32), dW.astype(np.float32), dout2.sum(axis=0).tolist()]


def test_conv2d_backward_accepts_the_matrix_form_in_float32_as_a_list():
    assert _check("ch5-conv2d-backward", _backward_by_matrices).passed


def test_conv2d_backward_asks_for_the_three_gradients():
    feedback = _check("ch5-conv2d-backward",
                      lambda x, W, b, dout, stride=1, pad=0: sol.conv2d_backward(
                          x, W, b, dout, stride, pad)[0])
    assert feedback.status == "failed" and "return dx, dW, db" in feedback.message


def test_conv_forward_names_a_forgotten_bias():
    feedback = _check("ch5-conv-forward", sol._conv_forward_no_bias)
    assert "the bias is missing" in feedback.message


@pytest.mark.parametrize("stride, pad, extra", [(2, 1, 0), (2, 1, 1), (3, 1, 2), (3, 0, 1)])
def test_transposed_solution_is_the_adjoint_of_the_chosen_size(stride, pad, extra):
    rng = np.random.default_rng(0)
    y, W = rng.normal(size=(2, 3, 3, 4)), rng.normal(size=(3, 2, 3, 2))
    out = sol.conv_transpose2d(y, W, stride, pad, extra)
    assert F.conv2d(out, W, stride=stride, padding=pad).shape == y.shape
    z = rng.normal(size=out.shape)
    assert np.isclose(np.sum(F.conv2d(z, W, stride=stride, padding=pad) * y), np.sum(z * out))
    if extra == 0:
        assert np.allclose(out, transposed.conv_transpose2d(y, W, stride, pad))
