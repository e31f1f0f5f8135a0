"""Bad input fails early with a ValueError/TypeError whose message names the culprit."""

import numpy as np
import pytest

from cnn_course import fast, naive
from cnn_course import functional as F
from cnn_course.gradcheck import check_layer, check_model, numerical_gradient, rel_error
from cnn_course.layers import (AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sigmoid,
                               SoftmaxCrossEntropy, Tanh)

x4 = np.zeros((2, 3, 8, 8))
W4 = np.zeros((4, 3, 3, 3))

# Both tiers share their argument checks: the same bad input gives the same message.
TIERS = pytest.mark.parametrize("T", [F, fast], ids=["reference", "fast"])


# ------------------------------------------------------------------ conv_output_size

def test_output_size_window_that_does_not_fit_names_n_k_padding_and_stride():
    with pytest.raises(ValueError, match=r"n=3, k=5.*padding=0, stride=1"):
        F.conv_output_size(3, 5)


def test_output_size_with_dilation_says_how_far_the_window_spans():
    with pytest.raises(ValueError, match=r"dilation=3 \(the window spans 7\)"):
        F.conv_output_size(5, 3, dilation=3)


@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"stride": 0}, ValueError, r"stride must be >= 1, got 0"),
    ({"padding": -1}, ValueError, r"padding must be >= 0, got -1"),
    ({"stride": 1.5}, TypeError, r"stride must be an int.*1\.5"),
    ({"dilation": 0}, ValueError, r"dilation must be >= 1"),
    ({"padding": (1, 2, 3)}, ValueError, r"padding must be an int or an \(h, w\) pair"),
])
def test_output_size_rejects_bad_hyperparameters(kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        F.conv_output_size(8, 3, **kwargs)


def test_output_size_rejects_a_float_size():
    with pytest.raises(TypeError, match=r"n must be an int.*28\.0"):
        F.conv_output_size(28.0, 5)


def test_output_size_rejects_a_kernel_below_one():
    with pytest.raises(ValueError, match=r"k must be >= 1, got 0"):
        F.conv_output_size(8, 0)


# ------------------------------------------------------------------ conv2d

@TIERS
def test_conv2d_channel_mismatch_names_both_shapes(T):
    with pytest.raises(ValueError, match=r"x has 3 channels but W expects 4 "
                                         r"\(x.shape=\(2, 3, 8, 8\), W.shape=\(5, 4, 3, 3\)\)"):
        T.conv2d(x4, np.zeros((5, 4, 3, 3)))


@pytest.mark.parametrize("x, W, pattern", [
    (np.zeros((3, 8, 8)), W4, r"x must have 4 dimensions, got 3 \(x.shape=\(3, 8, 8\)\)"),
    (x4, np.zeros((3, 3, 3)), r"W must have 4 dimensions, got 3"),
])
@TIERS
def test_conv2d_wrong_number_of_dimensions(T, x, W, pattern):
    with pytest.raises(ValueError, match=pattern):
        T.conv2d(x, W)


@TIERS
def test_conv2d_kernel_larger_than_padded_input(T):
    with pytest.raises(ValueError, match=r"does not fit.*height.*n=8, k=11.*padding=1.*"
                                         r"x.shape=\(2, 3, 8, 8\), W.shape=\(1, 3, 11, 3\)"):
        T.conv2d(x4, np.zeros((1, 3, 11, 3)), padding=1)


@pytest.mark.parametrize("kwargs, exc, pattern", [
    ({"stride": 0}, ValueError, r"stride must be >= 1, got 0"),
    ({"stride": (1, -2)}, ValueError, r"stride must be >= 1, got \(1, -2\)"),
    ({"padding": -1}, ValueError, r"padding must be >= 0, got -1"),
    ({"padding": 1.0}, TypeError, r"padding must be an int"),
    ({"dilation": 0}, ValueError, r"dilation must be >= 1"),
    ({"stride": True}, TypeError, r"stride must be an int"),
])
@TIERS
def test_conv2d_bad_stride_padding_dilation(T, kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        T.conv2d(x4, W4, **kwargs)


@TIERS
def test_conv2d_bias_of_the_wrong_shape(T):
    with pytest.raises(ValueError, match=r"b must have shape \(FN,\) = \(4,\).*b.shape=\(3,\)"):
        T.conv2d(x4, W4, np.zeros(3))


@TIERS
def test_conv2d_refuses_to_mix_float32_and_float64(T):
    with pytest.raises(TypeError, match=r"x is float32, W is float64"):
        T.conv2d(x4.astype(np.float32), W4)


@TIERS
def test_conv2d_refuses_integer_images(T):
    with pytest.raises(TypeError, match=r"x must be float32 or float64, got int64"):
        T.conv2d(np.zeros((1, 3, 8, 8), dtype=np.int64), W4)


@TIERS
def test_conv2d_refuses_lists(T):
    with pytest.raises(TypeError, match=r"x must be a numpy array, got list"):
        T.conv2d([[[[1.0]]]], W4)


@TIERS
def test_conv2d_backward_gradient_of_the_wrong_shape(T):
    with pytest.raises(ValueError, match=r"dy has shape \(2, 4, 5, 5\) but \(2, 4, 6, 6\)"):
        T.conv2d_backward(np.zeros((2, 4, 5, 5)), x4, W4)


@TIERS
def test_conv2d_backward_cols_of_the_wrong_shape(T):
    with pytest.raises(ValueError, match=r"cols has shape \(3, 3\)"):
        T.conv2d_backward(np.zeros((2, 4, 6, 6)), x4, W4, cols=np.zeros((3, 3)))


def test_conv2d_naive_channel_mismatch():
    with pytest.raises(ValueError, match=r"x has 3 channels but W expects 2"):
        naive.conv2d_naive(x4, np.zeros((1, 2, 3, 3)))


# ------------------------------------------------------------------ single-channel ops

def test_corr2d_needs_2d_arrays():
    with pytest.raises(ValueError, match=r"X must have 2 dimensions, got 3 "
                                         r"\(X.shape=\(1, 4, 4\)\)"):
        F.corr2d(np.zeros((1, 4, 4)), np.ones((2, 2)))


def test_corr2d_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"kernel is larger than the input "
                                         r"\(X.shape=\(3, 3\), K.shape=\(4, 2\)\)"):
        F.corr2d(np.zeros((3, 3)), np.zeros((4, 2)))


def test_corr2d_refuses_strings():
    with pytest.raises(TypeError, match=r"must hold integers or floats"):
        F.corr2d(np.array([["a", "b"], ["c", "d"]]), np.ones((1, 1)))


def test_pad2d_negative_padding_and_1d_input():
    with pytest.raises(ValueError, match=r"padding \(top, bottom\) must be >= 0, got \(1, -1\)"):
        F.pad2d(np.zeros((3, 3)), ((1, -1), (0, 0)))
    with pytest.raises(ValueError, match=r"at least 2 dimensions.*\(5,\)"):
        F.pad2d(np.zeros(5), 1)


# ------------------------------------------------------------------ pooling

@pytest.mark.parametrize("fn", [F.max_pool2d, F.avg_pool2d, fast.max_pool2d, fast.avg_pool2d],
                         ids=["max", "avg", "fast max", "fast avg"])
@pytest.mark.parametrize("args, exc, pattern", [
    ((0,), ValueError, r"kernel_size must be >= 1, got 0"),
    ((2, 0), ValueError, r"stride must be >= 1, got 0"),
    ((2, 2, -1), ValueError, r"padding must be >= 0, got -1"),
    ((2, 2, 2), ValueError, r"padding=\(2, 2\) must be at most half of kernel_size=\(2, 2\)"),
    ((9,), ValueError, r"does not fit.*n=8, k=9.*x.shape=\(2, 3, 8, 8\)"),
    ((2.5,), TypeError, r"kernel_size must be an int"),
])
def test_pooling_rejects_bad_window_settings(fn, args, exc, pattern):
    with pytest.raises(exc, match=pattern):
        fn(x4, *args)


@pytest.mark.parametrize("fn", [F.max_pool2d, F.avg_pool2d, fast.max_pool2d, fast.avg_pool2d],
                         ids=["max", "avg", "fast max", "fast avg"])
def test_pooling_needs_4d_input(fn):
    with pytest.raises(ValueError, match=r"x must have 4 dimensions, got 2"):
        fn(np.zeros((8, 8)), 2)


@TIERS
def test_pooling_backward_gradient_of_the_wrong_shape(T):
    with pytest.raises(ValueError, match=r"dy has shape \(2, 3, 3, 3\) but \(2, 3, 4, 4\)"):
        T.max_pool2d_backward(np.zeros((2, 3, 3, 3)), x4, 2)
    with pytest.raises(ValueError, match=r"dy has shape \(2, 3, 3, 3\) but \(2, 3, 4, 4\)"):
        T.avg_pool2d_backward(np.zeros((2, 3, 3, 3)), x4.shape, 2)
    with pytest.raises(ValueError, match=r"x_shape must be \(N, C, H, W\), got \(8, 8\)"):
        T.avg_pool2d_backward(np.zeros((2, 3, 4, 4)), (8, 8), 2)


# ------------------------------------------------------------------ im2col / col2im

def test_im2col_rejects_non_integer_filter_size_and_3d_input():
    with pytest.raises(TypeError, match=r"FH must be an int, got 2\.0"):
        F.im2col(x4, 2.0, 2)
    with pytest.raises(ValueError, match=r"x must have 4 dimensions"):
        F.im2col(np.zeros((3, 8, 8)), 2, 2)


def test_im2col_refuses_strings_and_lists():
    with pytest.raises(TypeError, match=r"im2col: x must hold integers or floats, got <U1"):
        F.im2col(np.full((1, 1, 3, 3), "a"), 2, 2)
    with pytest.raises(TypeError, match=r"im2col: x must be a numpy array, got list"):
        F.im2col([[[[1.0]]]], 1, 1)


def test_col2im_matrix_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"col has shape \(10, 27\) but \(72, 27\) was expected"):
        F.col2im(np.zeros((10, 27)), x4.shape, 3, 3)


def test_col2im_bad_x_shape():
    with pytest.raises(ValueError, match=r"x_shape must be \(N, C, H, W\), got \(3, 8, 8\)"):
        F.col2im(np.zeros((10, 27)), (3, 8, 8), 3, 3)


# ------------------------------------------------------------------ layers

def test_conv_layer_rejects_3d_filters_and_mismatched_bias():
    with pytest.raises(ValueError, match=r"Conv2D: W must have 4 dimensions"):
        Conv2D(np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match=r"Conv2D: b must have shape \(4,\).*got b.shape=\(2,\)"):
        Conv2D(W4, np.zeros(2))


def test_conv_layer_forward_channel_mismatch():
    conv = Conv2D.create(1, 6, 5, padding=2, dtype=np.float64)
    with pytest.raises(ValueError, match=r"x has 3 channels but W expects 1"):
        conv.forward(x4)


def test_conv_layer_create_rejects_bad_sizes_init_and_rng():
    with pytest.raises(ValueError, match=r"in_channels must be >= 1, got 0"):
        Conv2D.create(0, 6, 5)
    with pytest.raises(TypeError, match=r"kernel_size must be an int"):
        Conv2D.create(1, 6, 5.0)
    with pytest.raises(ValueError, match=r"init must be 'he', 'xavier', 'glorot'.*'kaiming'"):
        Conv2D.create(1, 6, 5, init="kaiming")
    with pytest.raises(TypeError, match=r"rng must be a np.random.Generator"):
        Dense.create(3, 2, rng="seed")
    with pytest.raises(TypeError, match=r"dtype must be float32 or float64, got float16"):
        Dense.create(3, 2, dtype=np.float16)


def test_dense_wrong_input_width_and_4d_input():
    dense = Dense(np.zeros((400, 120)), np.zeros(120))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 400\).*got x.shape=\(2, 300\)"):
        dense.forward(np.zeros((2, 300)))
    with pytest.raises(ValueError, match=r"got x.shape=\(2, 16, 5, 5\) \(put a Flatten\(\)"):
        dense.forward(np.zeros((2, 16, 5, 5)))


def test_dense_bias_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"Dense: b must have shape \(120,\)"):
        Dense(np.zeros((400, 120)), np.zeros(400))


@pytest.mark.parametrize("layer", [
    Conv2D(W4, np.zeros(4)), Dense(np.zeros((3, 2)), np.zeros(2)), MaxPool2D(2), AvgPool2D(2),
    ReLU(), Sigmoid(), Tanh(), Flatten(),
], ids=repr)
def test_backward_before_forward(layer):
    with pytest.raises(ValueError, match=r"backward called before forward"):
        layer.backward(np.zeros((2, 4, 6, 6)))
    with pytest.raises(RuntimeError, match=r"run forward"):            # also a RuntimeError
        layer.backward(np.zeros((2, 4, 6, 6)))


@pytest.mark.parametrize("layer, x", [
    (Conv2D(W4, np.zeros(4)), x4), (Dense(np.zeros((3, 2)), np.zeros(2)), np.zeros((5, 3))),
    (MaxPool2D(2), x4), (AvgPool2D(2), x4), (ReLU(), x4), (Sigmoid(), x4), (Tanh(), x4),
    (Flatten(), x4),
], ids=lambda v: repr(v) if not isinstance(v, np.ndarray) else str(v.shape))
def test_backward_gradient_of_the_wrong_shape_names_both_shapes(layer, x):
    y = layer.forward(x)
    wrong = np.zeros(y.shape[:-1] + (y.shape[-1] + 1,))
    with pytest.raises(ValueError, match=rf"dy has shape \({wrong.shape[0]}, .*but the forward "
                                         rf"output had shape \({y.shape[0]}, "):
        layer.backward(wrong)


def test_backward_gradient_of_the_wrong_dtype():
    relu = ReLU()
    relu.forward(np.zeros((2, 3), np.float32))
    with pytest.raises(TypeError, match=r"dy is float64 but the forward output was float32"):
        relu.backward(np.zeros((2, 3)))


def test_pool_layer_padding_too_large():
    with pytest.raises(ValueError, match=r"MaxPool2D: padding=2 must be at most half of "
                                         r"kernel_size=3"):
        MaxPool2D(3, padding=2)


def test_softmax_cross_entropy_labels_out_of_range():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\) for 3 classes, got \[3\]"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match=r"got \[-1\]"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([-1, 0]))


def test_softmax_cross_entropy_labels_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\) = \(2,\) to match "
                                         r"logits.shape=\(2, 3\), got labels.shape=\(3,\)"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0, 1, 2]))


def test_softmax_cross_entropy_one_hot_or_float_labels():
    with pytest.raises(TypeError, match=r"labels must be integer class indices.*one-hot"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.eye(3)[:2])


def test_softmax_cross_entropy_logits_must_be_2d():
    with pytest.raises(ValueError, match=r"logits must have 2 dimensions, got 4"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3, 1, 1)), np.array([0, 1]))


def test_softmax_cross_entropy_backward_before_forward():
    with pytest.raises(ValueError, match=r"SoftmaxCrossEntropy.backward called before forward"):
        SoftmaxCrossEntropy().backward()


# ------------------------------------------------------------------ gradcheck

def test_numerical_gradient_needs_a_callable_returning_a_scalar():
    with pytest.raises(TypeError, match=r"f must be callable"):
        numerical_gradient(3.0, np.zeros(2))
    with pytest.raises(TypeError, match=r"f must return a scalar, got ndarray of shape \(2,\)"):
        numerical_gradient(lambda v: v * 2, np.zeros(2))
    with pytest.raises(ValueError, match=r"h must be a positive number, got 0"):
        numerical_gradient(np.sum, np.zeros(2), h=0)


def test_rel_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"shapes differ: \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))


def test_check_layer_refuses_float32_params():
    with pytest.raises(TypeError, match=r"params\['W'\] is float32; gradient checks need float64"):
        check_layer(Dense.create(3, 2), np.zeros((2, 3)))


def test_check_model_rejects_objects_that_are_not_models():
    with pytest.raises(TypeError, match=r"lacks \['forward', 'backward', 'params', 'grads'\]"):
        check_model(object(), np.zeros((1, 3)), np.array([0]))
    with pytest.raises(TypeError, match=r"item 1 \(str\) is not a layer"):
        check_model([Flatten(), "relu"], np.zeros((1, 3)), np.array([0]))
