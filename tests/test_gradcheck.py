"""cnn_course.gradcheck measures gradients correctly and catches wrong backward passes."""

import numpy as np
import pytest

from cnn_course.gradcheck import check_layer, check_model, numerical_gradient, rel_error
from cnn_course.layers import Conv2D, Dense, Flatten, Layer, ReLU, SoftmaxCrossEntropy


def test_numerical_gradient_of_a_cubic_is_three_x_squared():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda v: np.sum(v ** 3), x)
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-8)


def test_numerical_gradient_restores_x():
    x = np.random.default_rng(0).standard_normal((3, 4))
    before = x.copy()
    numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.ones(3)

    def boom(v):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(boom, x)
    np.testing.assert_array_equal(x, np.ones(3))


def test_rel_error_is_zero_for_equal_arrays_and_scales_with_the_gap():
    a = np.array([1.0, -2.0, 4.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    # gap 0.008 against scale 4 + 4.008
    assert rel_error(a, a + [0.0, 0.0, 0.008]) == pytest.approx(0.008 / 8.008)
    assert rel_error(a, -a) == pytest.approx(8 / 8)


def test_rel_error_ignores_round_off_in_tiny_entries_but_not_real_mistakes():
    g = np.array([1.0, 1e-12])
    assert rel_error(g, [1.0, 3e-12]) < 1e-11            # round-off in a tiny entry
    assert rel_error(g, [1.0, 1e-3]) > 1e-4               # a tiny entry that is really wrong


class _WrongDenseGrad(Dense):
    """A Dense layer whose weight gradient forgets a factor of 2 in one entry."""

    def backward(self, dy):
        dx = super().backward(dy)
        self.grads["W"][0, 0] *= 2
        return dx


class _WrongDx(ReLU):
    """A ReLU that lets the gradient through everywhere."""

    def backward(self, dy):
        super().backward(dy)
        return dy


def _dense(rng, d_in=4, d_out=3):
    return Dense(rng.standard_normal((d_in, d_out)), rng.standard_normal(d_out))


def test_check_layer_passes_a_correct_layer():
    rng = np.random.default_rng(1)
    errors = check_layer(_dense(rng), rng.standard_normal((5, 4)))
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < 1e-8


def test_check_layer_catches_a_wrong_parameter_gradient():
    rng = np.random.default_rng(2)
    layer = _WrongDenseGrad(rng.standard_normal((4, 3)), rng.standard_normal(3))
    errors = check_layer(layer, rng.standard_normal((5, 4)))
    assert errors["W"] > 1e-3 and errors["x"] < 1e-8 and errors["b"] < 1e-8


def test_check_layer_catches_a_wrong_input_gradient():
    rng = np.random.default_rng(3)
    errors = check_layer(_WrongDx(), rng.standard_normal((4, 5)))
    assert errors["x"] > 1e-2


def test_check_layer_leaves_x_and_params_unchanged():
    rng = np.random.default_rng(4)
    layer, x = _dense(rng), rng.standard_normal((2, 4))
    x0, W0 = x.copy(), layer.params["W"].copy()
    check_layer(layer, x)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(layer.params["W"], W0)


def test_check_layer_skips_x_when_the_layer_needs_no_input_gradient():
    rng = np.random.default_rng(5)
    layer = _dense(rng)
    layer.need_input_grad = False
    assert set(check_layer(layer, rng.standard_normal((2, 4)))) == {"W", "b"}


def test_check_layer_with_max_entries_checks_a_sample():
    rng = np.random.default_rng(6)
    layer = Conv2D.create(2, 3, 3, padding=1, rng=0, dtype=np.float64)
    errors = check_layer(layer, rng.standard_normal((2, 2, 6, 6)), max_entries=10)
    assert max(errors.values()) < 1e-7


def _tiny_net(rng):
    return [Conv2D.create(1, 2, 3, padding=1, rng=rng, dtype=np.float64), ReLU(), Flatten(),
            Dense.create(2 * 5 * 5, 3, rng=rng, dtype=np.float64)]


def test_check_model_on_a_list_of_layers_names_params_by_position():
    rng = np.random.default_rng(7)
    layers = _tiny_net(rng) + [SoftmaxCrossEntropy()]
    errors = check_model(layers, rng.standard_normal((4, 1, 5, 5)), np.array([0, 1, 2, 1]))
    assert set(errors) == {"0.W", "0.b", "3.W", "3.b"}
    assert max(errors.values()) < 1e-7


class _Model:
    """A minimal model object: forward/backward plus flat params/grads dicts."""

    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, d):
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d

    @property
    def params(self):
        return {f"L{i}.{k}": v for i, l in enumerate(self.layers) for k, v in l.params.items()}

    @property
    def grads(self):
        return {f"L{i}.{k}": v for i, l in enumerate(self.layers) for k, v in l.grads.items()}


def test_check_model_on_a_model_object_uses_its_param_names():
    rng = np.random.default_rng(8)
    model = _Model(_tiny_net(rng))
    errors = check_model(model, rng.standard_normal((3, 1, 5, 5)), np.array([2, 0, 1]))
    assert set(errors) == {"L0.W", "L0.b", "L3.W", "L3.b"}
    assert max(errors.values()) < 1e-7


def test_check_model_catches_a_wrong_gradient_deep_in_the_network():
    rng = np.random.default_rng(9)
    layers = [Conv2D.create(1, 2, 3, padding=1, rng=1, dtype=np.float64), _WrongDx(), Flatten(),
              Dense.create(50, 3, rng=2, dtype=np.float64)]
    errors = check_model(layers, rng.standard_normal((4, 1, 5, 5)), np.array([0, 1, 2, 1]))
    assert errors["0.W"] > 1e-3 and errors["3.W"] < 1e-7


def test_check_model_refuses_float32_because_round_off_would_swamp_the_check():
    rng = np.random.default_rng(10)
    layers = [Flatten(), Dense.create(4, 2, rng=0)]                 # float32 weights
    with pytest.raises(TypeError, match="float64"):
        check_model(layers, rng.standard_normal((2, 4)), np.array([0, 1]))


def test_check_layer_works_for_a_custom_layer_subclass():
    class Square(Layer):
        def forward(self, x):
            self._x = x
            return self._remember(x * x)

        def backward(self, dy):
            self._check_dy(dy)
            return 2 * self._x * dy

    errors = check_layer(Square(), np.random.default_rng(11).standard_normal((3, 3)))
    assert errors["x"] < 1e-8
