"""cnn_course.layers: correct gradients, the params/grads contract, init, dtype and repr."""

import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course import naive
from cnn_course.gradcheck import check_layer, check_model, numerical_gradient, rel_error
from cnn_course.layers import (AvgPool2D, Conv2D, ConvReLUPool2D, Dense, Flatten, Im2colConv2D,
                               Layer,
                               MaxPool2D, ReLU, Sigmoid, SoftmaxCrossEntropy, Tanh)
from cnn_course.models import Sequential, lenet5

GRAD_TOL = 1e-6


def _conv(rng, C, FN, FH, FW, **kw):
    return Conv2D(rng.standard_normal((FN, C, FH, FW)), rng.standard_normal(FN), **kw)


# ------------------------------------------------------------------ gradient checks, layer by layer

@pytest.mark.parametrize("x_shape, w_shape, kw", [
    ((2, 3, 6, 6), (4, 3, 3, 3), {}),
    ((2, 3, 7, 8), (4, 3, 3, 3), {"stride": 2, "padding": 1}),
    ((1, 2, 9, 7), (3, 2, 2, 4), {"stride": (3, 1), "padding": (0, 2)}),
    ((2, 2, 8, 8), (2, 2, 3, 2), {"padding": 2, "dilation": (2, 3)}),
    ((3, 1, 5, 5), (2, 1, 5, 5), {"padding": 2}),
    ((2, 4, 4, 5), (3, 4, 1, 1), {}),
])
def test_conv2d_layer_gradients_match_numerical(x_shape, w_shape, kw):
    rng = np.random.default_rng(sum(x_shape))
    layer = _conv(rng, w_shape[1], w_shape[0], *w_shape[2:], **kw)
    errors = check_layer(layer, rng.standard_normal(x_shape))
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) <= GRAD_TOL, errors


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("x_shape, k, s, p", [
    ((2, 3, 6, 6), 2, None, 0),          # the usual 2x2, stride 2
    ((2, 2, 7, 7), 3, 1, 0),             # overlapping windows
    ((1, 2, 7, 6), 3, 2, 1),             # overlapping and padded
    ((2, 1, 8, 9), (2, 3), (3, 2), (1, 1)),
    ((1, 2, 7, 7), 2, 3, 0),             # stride larger than the window: gaps
])
def test_pooling_layer_gradients_match_numerical(cls, x_shape, k, s, p):
    rng = np.random.default_rng(1)
    errors = check_layer(cls(k, s, p), rng.standard_normal(x_shape))
    assert errors["x"] <= GRAD_TOL


@pytest.mark.parametrize("d_in, d_out, n", [(5, 3, 4), (1, 1, 1), (12, 7, 2)])
def test_dense_layer_gradients_match_numerical(d_in, d_out, n):
    rng = np.random.default_rng(d_in)
    layer = Dense(rng.standard_normal((d_in, d_out)), rng.standard_normal(d_out))
    errors = check_layer(layer, rng.standard_normal((n, d_in)))
    assert max(errors.values()) <= GRAD_TOL


@pytest.mark.parametrize("layer", [ReLU(), Sigmoid(), Tanh(), Flatten()], ids=repr)
def test_parameter_free_layer_gradients_match_numerical(layer):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 2, 4, 3))
    if isinstance(layer, ReLU):
        x[np.abs(x) < 1e-3] = 0.5                     # keep clear of the kink at 0
    assert check_layer(layer, x)["x"] <= GRAD_TOL


def test_softmax_cross_entropy_gradient_matches_numerical():
    rng = np.random.default_rng(3)
    logits, labels = rng.standard_normal((5, 4)) * 3, np.array([0, 3, 1, 1, 2])
    loss = SoftmaxCrossEntropy()
    loss.forward(logits, labels)
    d = loss.backward()
    num = numerical_gradient(lambda z: loss.forward(z, labels), logits)
    assert rel_error(d, num) <= GRAD_TOL


def test_softmax_cross_entropy_value_is_the_mean_negative_log_probability():
    logits = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    labels = np.array([0, 2])
    expected = (-np.log(np.exp(2) / (np.exp(2) + 2)) - np.log(1 / 3)) / 2
    loss = SoftmaxCrossEntropy()
    assert loss.forward(logits, labels) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(loss.probs.sum(axis=1), 1.0)


def test_softmax_cross_entropy_is_finite_for_extreme_logits_in_float32():
    logits = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=np.float32)
    loss = SoftmaxCrossEntropy()
    L = loss.forward(logits, np.array([1, 1]))
    assert np.isfinite(L) and L == pytest.approx(1e4, rel=1e-6)
    assert loss.backward().dtype == np.float32


def test_lenet_like_stack_gradients_match_numerical_end_to_end():
    rng = np.random.default_rng(4)
    f64 = np.float64
    layers = [Conv2D.create(1, 3, 5, padding=2, rng=1, dtype=f64), ReLU(), MaxPool2D(2),
              Conv2D.create(3, 4, 3, rng=2, dtype=f64), ReLU(), MaxPool2D(2), Flatten(),
              Dense.create(4 * 2 * 2, 6, rng=3, dtype=f64), ReLU(),
              Dense.create(6, 5, rng=4, dtype=f64), SoftmaxCrossEntropy()]
    layers[0].need_input_grad = False
    x, labels = rng.standard_normal((3, 1, 12, 12)), np.array([0, 4, 2])
    errors = check_model(layers, x, labels)
    assert len(errors) == 8
    assert max(errors.values()) <= GRAD_TOL, errors


def test_classic_lenet_stack_with_sigmoid_and_avg_pool_gradients_match_numerical():
    rng = np.random.default_rng(5)
    f64 = np.float64
    layers = [Conv2D.create(1, 2, 3, padding=1, rng=1, dtype=f64), Sigmoid(), AvgPool2D(2),
              Conv2D.create(2, 3, 3, stride=2, padding=1, rng=2, dtype=f64), Tanh(),
              Flatten(), Dense.create(3 * 2 * 2, 4, init="xavier", rng=3, dtype=f64)]
    errors = check_model(layers, rng.standard_normal((2, 1, 8, 8)), np.array([3, 1]))
    assert max(errors.values()) <= GRAD_TOL, errors


# ------------------------------------------------------------------ Im2colConv2D, the book's layer

IM2COL_CASES = [
    ((2, 3, 7, 8), (4, 3, 3, 3), {"stride": 2, "padding": 1}),
    ((1, 2, 9, 7), (3, 2, 2, 4), {"stride": (3, 1), "padding": (0, 2)}),
    ((2, 2, 8, 9), (2, 2, 3, 2), {"padding": 2, "dilation": (2, 3)}),
    ((3, 1, 6, 5), (2, 1, 5, 5), {"padding": 2}),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("x_shape, w_shape, kw", IM2COL_CASES)
def test_im2col_conv2d_equals_conv2d_forward_and_backward(x_shape, w_shape, kw, bias, dtype):
    rng = np.random.default_rng(sum(w_shape))
    W = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype) if bias else None
    x = rng.standard_normal(x_shape).astype(dtype)
    ours, theirs = Im2colConv2D(W.copy(), None if b is None else b.copy(), **kw), Conv2D(W, b, **kw)
    y = ours.forward(x)
    want = naive.conv2d_naive(x.astype(np.float64), W.astype(np.float64),
                              None if b is None else b.astype(np.float64), **kw)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    assert y.dtype == dtype and rel_error(y, want) <= tol
    assert rel_error(y, theirs.forward(x)) <= tol
    dy = rng.standard_normal(y.shape).astype(dtype)
    dx, dx_conv = ours.backward(dy), theirs.backward(dy)
    assert dx.dtype == dtype and rel_error(dx, dx_conv) <= tol
    assert ours.grads.keys() == theirs.grads.keys() == ({"W", "b"} if bias else {"W"})
    for k in ours.grads:
        assert ours.grads[k].dtype == dtype and rel_error(ours.grads[k], theirs.grads[k]) <= tol


@pytest.mark.parametrize("x_shape, w_shape, kw", IM2COL_CASES)
def test_im2col_conv2d_gradients_match_numerical(x_shape, w_shape, kw):
    rng = np.random.default_rng(len(kw))
    layer = Im2colConv2D(rng.standard_normal(w_shape), rng.standard_normal(w_shape[0]), **kw)
    errors = check_layer(layer, rng.standard_normal(x_shape))
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) <= GRAD_TOL, errors


def test_im2col_conv2d_skips_dx_when_not_needed_and_rejects_bad_input():
    layer = Im2colConv2D.create(2, 3, 3, rng=0, dtype=np.float64)
    layer.need_input_grad = False
    y = layer.forward(np.ones((2, 2, 5, 5)))
    assert layer.backward(np.ones_like(y)) is None and np.any(layer.grads["W"] != 0)
    with pytest.raises(ValueError, match=r"x has 3 channels but W expects 2"):
        layer.forward(np.ones((2, 3, 5, 5)))
    with pytest.raises(TypeError, match=r"x is float32, W is float64"):
        layer.forward(np.ones((2, 2, 5, 5), np.float32))


def test_im2col_conv2d_drops_into_a_sequential_in_place_of_conv2d():
    rng = np.random.default_rng(12)
    x, labels = rng.standard_normal((4, 1, 12, 12)), np.array([0, 3, 9, 1])
    def layer_by_layer():                        # the modern LeNet with its blocks split
        return Sequential([s for layer in lenet5(input_size=12, dtype=np.float64)
                           for s in (layer.steps() if hasattr(layer, "steps") else [layer])])

    fast_net, book_net = layer_by_layer(), layer_by_layer()
    for i, layer in enumerate(book_net.layers):
        if isinstance(layer, Conv2D):
            book_net.layers[i] = Im2colConv2D(layer.params["W"], layer.params["b"],
                                              layer.stride, layer.padding)
    book_net.need_input_grad = True              # the first conv's dx path too
    fast_net.need_input_grad = True
    assert [type(layer).__name__ for layer in book_net.layers][:4] == [
        "Im2colConv2D", "ReLU", "MaxPool2D", "Im2colConv2D"]
    assert book_net.loss(x, labels) == pytest.approx(fast_net.loss(x, labels), rel=1e-12)
    dx_book, dx_fast = book_net.backward(), fast_net.backward()
    assert rel_error(dx_book, dx_fast) <= 1e-12
    for k in fast_net.grads:
        assert rel_error(book_net.grads[k], fast_net.grads[k]) <= 1e-12, k


def test_a_stack_of_im2col_conv2d_layers_gradients_match_numerical_end_to_end():
    rng, f64 = np.random.default_rng(13), np.float64
    layers = [Im2colConv2D.create(1, 2, 3, padding=1, rng=1, dtype=f64), Tanh(),
              Im2colConv2D.create(2, 3, (3, 2), stride=2, dilation=(1, 2), rng=2, dtype=f64),
              Sigmoid(), Flatten(), Dense.create(3 * 3 * 3, 4, rng=3, dtype=f64)]
    errors = check_model(layers, rng.standard_normal((2, 1, 7, 8)), np.array([3, 1]))
    assert len(errors) == 6 and max(errors.values()) <= GRAD_TOL, errors


# ------------------------------------------------------------------ the params / grads contract

def test_forward_agrees_with_the_functional_ops():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 8, 8))
    conv = _conv(rng, 3, 4, 3, 3, stride=2, padding=1)
    np.testing.assert_allclose(conv.forward(x),          # fast tier vs reference tier
                               F.conv2d(x, conv.params["W"], conv.params["b"], 2, 1), rtol=1e-12)
    np.testing.assert_array_equal(MaxPool2D(3, 1, 1).forward(x), F.max_pool2d(x, 3, 1, 1))
    np.testing.assert_allclose(AvgPool2D(2).forward(x), F.avg_pool2d(x, 2), rtol=1e-12)


def test_grads_have_the_keys_shapes_and_dtypes_of_params_before_and_after_backward():
    for dtype in (np.float32, np.float64):
        conv = Conv2D.create(3, 5, (3, 2), rng=0, dtype=dtype)
        dense = Dense.create(7, 2, rng=0, dtype=dtype)
        for layer, x in ((conv, np.ones((2, 3, 5, 5), dtype)), (dense, np.ones((4, 7), dtype))):
            for stage in ("before", "after"):
                assert layer.grads.keys() == layer.params.keys()
                for k in layer.params:
                    assert layer.grads[k].shape == layer.params[k].shape, stage
                    assert layer.grads[k].dtype == dtype, stage
                y = layer.forward(x)
                layer.backward(np.ones_like(y))


def test_backward_writes_grads_into_the_same_arrays():
    rng = np.random.default_rng(7)
    conv = _conv(rng, 2, 3, 3, 3)
    held = dict(conv.grads)
    x = rng.standard_normal((2, 2, 5, 5))
    conv.backward(np.ones_like(conv.forward(x)))
    assert all(conv.grads[k] is held[k] for k in held)
    assert np.any(held["W"] != 0)


def test_layers_see_in_place_parameter_updates():
    rng = np.random.default_rng(8)
    dense = Dense(rng.standard_normal((3, 2)), np.zeros(2))
    x = rng.standard_normal((4, 3))
    y0 = dense.forward(x)
    dense.params["W"] -= 0.1 * dense.params["W"]          # what an SGD step does
    np.testing.assert_allclose(dense.forward(x), 0.9 * y0)


def test_parameter_free_layers_have_empty_params_and_grads():
    for layer in (ReLU(), Sigmoid(), Tanh(), Flatten(), MaxPool2D(2), AvgPool2D(2),
                  SoftmaxCrossEntropy()):
        assert layer.params == {} and layer.grads == {}
        assert isinstance(layer, Layer)


def test_need_input_grad_false_skips_dx_but_keeps_parameter_gradients():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 1, 6, 6))
    a, b = _conv(np.random.default_rng(0), 1, 2, 3, 3), _conv(np.random.default_rng(0), 1, 2, 3, 3)
    b.need_input_grad = False
    dy = rng.standard_normal(a.forward(x).shape)
    b.forward(x)
    assert a.backward(dy) is not None
    assert b.backward(dy) is None
    for k in a.grads:
        np.testing.assert_array_equal(a.grads[k], b.grads[k])
    for layer in (ReLU(), MaxPool2D(2), Flatten(), Dense(np.ones((4, 2)), np.zeros(2))):
        layer.need_input_grad = False
        xi = rng.standard_normal((2, 4)) if isinstance(layer, Dense) else x
        assert layer.backward(np.ones_like(layer.forward(xi))) is None


def test_conv_without_bias_has_only_W():
    conv = Conv2D.create(1, 2, 3, bias=False, rng=0)
    assert set(conv.params) == {"W"}
    y = conv.forward(np.ones((1, 1, 4, 4), np.float32))
    conv.backward(np.ones_like(y))
    assert set(conv.grads) == {"W"}


# ------------------------------------------------------------------ dtypes

def test_float32_stays_float32_through_a_whole_network():
    rng = np.random.default_rng(10)
    layers = [Conv2D.create(1, 4, 3, padding=1, rng=1), ReLU(), MaxPool2D(2),
              Conv2D.create(4, 4, 3, rng=2), Sigmoid(), AvgPool2D(2), Tanh(), Flatten(),
              Dense.create(4, 3, rng=3)]
    h = rng.standard_normal((2, 1, 8, 8)).astype(np.float32)
    for layer in layers:
        h = layer.forward(h)
        assert h.dtype == np.float32, layer
    loss = SoftmaxCrossEntropy()
    loss.forward(h, np.array([0, 2]))
    d = loss.backward()
    for layer in reversed(layers):
        d = layer.backward(d)
        assert d.dtype == np.float32, layer
        assert all(g.dtype == np.float32 for g in layer.grads.values())


def test_float32_network_matches_float64_network():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 2, 9, 9))
    outs = []
    for dtype in (np.float64, np.float32):
        conv = Conv2D.create(2, 3, 3, stride=2, padding=1, rng=5, dtype=dtype)
        y = conv.forward(x.astype(dtype))
        conv.backward(np.ones_like(y))
        outs.append((y, conv.grads["W"]))
    for a, b in zip(*outs):
        assert np.max(np.abs(a - b)) <= 1e-4 * np.max(np.abs(a))


# ------------------------------------------------------------------ create() and init

@pytest.mark.parametrize("init, std", [("he", np.sqrt(2 / 75)), ("xavier", np.sqrt(1 / 75)),
                                       ("glorot", np.sqrt(2 / (75 + 400))), (0.01, 0.01)])
def test_conv_create_draws_weights_with_the_requested_std(init, std):
    conv = Conv2D.create(3, 16, 5, init=init, rng=0)         # fan_in 75, fan_out 400
    W = conv.params["W"]
    assert W.shape == (16, 3, 5, 5) and W.dtype == np.float32
    assert abs(W.std() / std - 1) < 0.1
    np.testing.assert_array_equal(conv.params["b"], np.zeros(16, np.float32))


def test_dense_create_uses_fan_in_for_he():
    dense = Dense.create(400, 120, rng=1, dtype=np.float64)
    assert dense.params["W"].shape == (400, 120) and dense.params["W"].dtype == np.float64
    assert abs(dense.params["W"].std() / np.sqrt(2 / 400) - 1) < 0.05


def test_create_is_reproducible_from_a_seed_or_a_generator():
    a = Conv2D.create(2, 3, 3, rng=42).params["W"]
    b = Conv2D.create(2, 3, 3, rng=42).params["W"]
    c = Conv2D.create(2, 3, 3, rng=np.random.default_rng(42)).params["W"]
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, Conv2D.create(2, 3, 3, rng=43).params["W"])


def test_create_passes_stride_and_padding_on():
    conv = Conv2D.create(1, 6, 5, stride=2, padding=2, rng=0)
    assert conv.forward(np.zeros((1, 1, 28, 28), np.float32)).shape == (1, 6, 14, 14)


# ------------------------------------------------------------------ repr

def test_reprs_read_like_the_constructor_calls():
    assert repr(Conv2D.create(1, 6, 5, padding=2)) == (
        "Conv2D(1, 6, kernel_size=5, stride=1, padding=2)")
    assert repr(Conv2D.create(3, 8, (3, 5), stride=(1, 2), dilation=2)) == (
        "Conv2D(3, 8, kernel_size=(3, 5), stride=(1, 2), padding=0, dilation=2)")
    assert repr(Im2colConv2D.create(1, 6, 5, padding=2, bias=False)) == (
        "Im2colConv2D(1, 6, kernel_size=5, stride=1, padding=2, bias=False)")
    assert repr(Dense.create(400, 120)) == "Dense(400, 120)"
    assert repr(MaxPool2D(2)) == "MaxPool2D(kernel_size=2, stride=2, padding=0)"
    assert repr(AvgPool2D(3, 1, 1)) == "AvgPool2D(kernel_size=3, stride=1, padding=1)"
    assert [repr(c()) for c in (ReLU, Sigmoid, Tanh, Flatten, SoftmaxCrossEntropy)] == [
        "ReLU()", "Sigmoid()", "Tanh()", "Flatten()", "SoftmaxCrossEntropy()"]


def test_sigmoid_does_not_overflow_for_large_negative_inputs():
    y = Sigmoid().forward(np.array([-1000.0, 0.0, 1000.0], dtype=np.float32))
    np.testing.assert_array_equal(y, np.array([0.0, 0.5, 1.0], dtype=np.float32))


# ---------------------------------------------------------------- the fused block

@pytest.mark.parametrize("x_shape, w_shape, kw", [
    ((2, 1, 8, 8), (3, 1, 5, 5), {"padding": 2}),          # polyphase, like LeNet's conv1
    ((2, 2, 7, 9), (4, 2, 2, 4), {"padding": (0, 1)}),      # polyphase, non-square
    ((2, 2, 7, 7), (2, 2, 3, 3), {}),                       # odd output: falls back
    ((1, 2, 9, 8), (2, 2, 3, 3), {"stride": (2, 1), "padding": 1}),   # stride: falls back
])
def test_conv_relu_pool_layer_gradients_match_numerical(x_shape, w_shape, kw):
    rng = np.random.default_rng(sum(x_shape) + 1)
    layer = ConvReLUPool2D.create(w_shape[1], w_shape[0], w_shape[2:], rng=rng,
                                  dtype=np.float64, **kw)
    layer.params["b"][...] = rng.standard_normal(w_shape[0]) * 0.1
    errors = check_layer(layer, rng.standard_normal(x_shape))
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) <= GRAD_TOL, errors


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("values", ["distinct", "ties"])
def test_conv_relu_pool_layer_equals_conv_relu_maxpool_layers(dtype, values):
    rng = np.random.default_rng(21)
    block = ConvReLUPool2D.create(3, 5, 3, padding=1, rng=rng, dtype=dtype)
    x = (rng.integers(-1, 2, (4, 3, 10, 12)) if values == "ties"
         else rng.standard_normal((4, 3, 10, 12))).astype(dtype)
    if values == "ties":
        block.params["W"][...] = rng.integers(-1, 2, block.params["W"].shape)
    steps = block.steps()
    assert [type(s) for s in steps] == [Conv2D, ReLU, MaxPool2D]
    assert steps[0].params["W"] is block.params["W"] and steps[0].params["b"] is block.params["b"]
    y = block.forward(x)
    h = x
    for s in steps:
        h = s.forward(h)
    assert y.shape == (4, 5, 5, 6) and y.dtype == dtype
    np.testing.assert_allclose(y, h, rtol=0, atol=0 if values == "ties" else 1e-5)
    dy = rng.standard_normal(y.shape).astype(dtype)
    dx = block.backward(dy)
    d = dy
    for s in reversed(steps):
        d = s.backward(d)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert rel_error(dx, d) <= tol
    for k in ("W", "b"):
        assert block.grads[k].dtype == dtype
        assert rel_error(block.grads[k], steps[0].grads[k]) <= tol, k


def test_conv_relu_pool_layer_create_repr_and_need_input_grad():
    block = ConvReLUPool2D.create(1, 6, 5, padding=2, rng=0)
    assert repr(block) == "ConvReLUPool2D(1, 6, kernel_size=5, stride=1, padding=2)"
    np.testing.assert_array_equal(block.params["W"],
                                  Conv2D.create(1, 6, 5, padding=2, rng=0).params["W"])
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    y = block.forward(x)
    assert y.shape == (2, 6, 14, 14) and y.dtype == np.float32
    grads = {k: id(v) for k, v in block.grads.items()}
    block.need_input_grad = False
    assert block.backward(np.ones_like(y)) is None
    assert {k: id(v) for k, v in block.grads.items()} == grads      # written in place
    assert np.abs(block.grads["W"]).sum() > 0
    nobias = ConvReLUPool2D.create(1, 2, 3, bias=False, rng=0)
    assert set(nobias.params) == {"W"} and repr(nobias).endswith("bias=False)")
    nobias.forward(x)
    nobias.backward(np.ones((2, 2, 13, 13), np.float32))
    assert set(nobias.grads) == {"W"}
