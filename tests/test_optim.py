"""Tests for cnn_course.optim: update rules, in-place float32 updates, argument checks."""

import math

import numpy as np
import pytest

from cnn_course.optim import SGD, Adam, Momentum


def test_sgd_step_moves_against_the_gradient():
    params = {"w": np.array([1.0, 2.0])}
    SGD(lr=0.1).step(params, {"w": np.array([0.5, -1.0])})
    np.testing.assert_allclose(params["w"], [0.95, 2.1])


def test_momentum_two_steps_match_hand_computation():
    # v1 = -0.1*1 = -0.1, p1 = 0.9; v2 = 0.5*(-0.1) - 0.1*2 = -0.25, p2 = 0.65
    params = {"w": np.array([1.0])}
    opt = Momentum(lr=0.1, momentum=0.5)
    opt.step(params, {"w": np.array([1.0])})
    np.testing.assert_allclose(params["w"], [0.9])
    opt.step(params, {"w": np.array([2.0])})
    np.testing.assert_allclose(params["w"], [0.65])


def test_adam_first_step_has_size_lr_thanks_to_bias_correction():
    # m_hat = g and v_hat = g**2 after one step, so every weight moves by lr * sign(g),
    # whatever the gradient's scale. Without the correction the step would be ~3.16 * lr.
    g = np.array([1e-3, -5.0, 40.0])
    params = {"w": np.zeros(3)}
    Adam(lr=0.01).step(params, {"w": g})
    np.testing.assert_allclose(params["w"], -0.01 * np.sign(g), rtol=1e-4)


def test_adam_matches_the_paper_algorithm_over_several_steps():
    lr, b1, b2, eps = 0.05, 0.8, 0.95, 1e-8
    grads = [0.3, -1.2, 0.7, 2.0, -0.1]
    p = m = v = 0.0  # Algorithm 1 of Kingma and Ba, one scalar at a time
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p -= lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
    params = {"w": np.zeros(1)}
    opt = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    for g in grads:
        opt.step(params, {"w": np.array([g])})
    np.testing.assert_allclose(params["w"], [p], rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: SGD(lr=0.1), lambda: Momentum(lr=0.05),
                                  lambda: Adam(lr=0.1)], ids=["sgd", "momentum", "adam"])
def test_optimizer_minimises_an_ill_conditioned_quadratic(make):
    scale = np.array([1.0, 5.0])  # f(w) = sum(scale * w**2) / 2, minimum at 0
    params = {"w": np.array([3.0, -2.0])}
    start = np.sum(scale * params["w"] ** 2) / 2
    opt = make()
    for _ in range(200):
        opt.step(params, {"w": scale * params["w"]})
    assert np.sum(scale * params["w"] ** 2) / 2 < 1e-3 * start


@pytest.mark.parametrize("cls", [SGD, Momentum, Adam])
def test_step_updates_in_place_and_keeps_float32(cls):
    w = np.ones((2, 3), dtype=np.float32)
    params = {"0.W": w}
    cls(lr=0.1).step(params, {"0.W": np.full((2, 3), 0.5, dtype=np.float32)})
    assert params["0.W"] is w
    assert w.dtype == np.float32
    assert np.all(w < 1)


def test_step_accepts_a_model_with_params_and_grads():
    class Model:
        params = {"0.W": np.array([1.0]), "0.b": np.array([0.0])}
        grads = {"0.W": np.array([1.0]), "0.b": np.array([-1.0])}

    SGD(lr=0.5).step(Model)
    np.testing.assert_allclose(Model.params["0.W"], [0.5])
    np.testing.assert_allclose(Model.params["0.b"], [0.5])


def test_state_is_kept_per_parameter_name():
    params = {"a": np.zeros(1), "b": np.zeros(1)}
    opt = Momentum(lr=1.0, momentum=0.5)
    opt.step(params, {"a": np.array([1.0]), "b": np.array([0.0])})
    opt.step(params, {"a": np.array([0.0]), "b": np.array([0.0])})
    np.testing.assert_allclose(params["a"], [-1.5])  # -1, then -0.5 from its own velocity
    np.testing.assert_allclose(params["b"], [0.0])


def test_mismatched_names_or_shapes_raise():
    opt = SGD(lr=0.1)
    with pytest.raises(ValueError, match=r"missing grads \['b'\]"):
        opt.step({"a": np.zeros(1), "b": np.zeros(1)}, {"a": np.zeros(1)})
    with pytest.raises(ValueError, match=r"shape \(2,\) but its grad has shape \(3,\)"):
        opt.step({"a": np.zeros(2)}, {"a": np.zeros(3)})
    with pytest.raises(ValueError, match="run backward"):
        opt.step({"a": np.zeros(2)}, {"a": None})
    with pytest.raises(TypeError, match="step\\(model\\)"):
        opt.step({"a": np.zeros(2)})


@pytest.mark.parametrize("make", [lambda: SGD(lr=0), lambda: SGD(lr=-1),
                                  lambda: Momentum(momentum=1.0), lambda: Adam(beta2=1.5),
                                  lambda: Adam(eps=0)])
def test_bad_hyperparameters_raise(make):
    with pytest.raises(ValueError):
        make()


def test_lr_must_be_a_number():
    with pytest.raises(TypeError, match="lr must be a number"):
        SGD(lr="0.1")


def test_repr_lists_hyperparameters():
    assert repr(Momentum(lr=0.1, momentum=0.9)) == "Momentum(lr=0.1, momentum=0.9)"
