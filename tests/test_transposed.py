"""Transposed convolution is the adjoint (transpose) of conv2d, and equals its input gradient."""

import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course.topics.transposed import (bilinear_kernel, conv2d_input_grad, conv_transpose2d,
                                          conv_transpose2d_dilated,
                                          conv_transpose2d_output_size, dilate,
                                          upsample_bilinear)


def _scatter_loops(x, W, stride, padding):
    """Independent definition: each input pixel adds x * W[f] onto the output window."""
    N, FN, H, Wd = x.shape
    _, C, FH, FW = W.shape
    OH, OW = (H - 1) * stride - 2 * padding + FH, (Wd - 1) * stride - 2 * padding + FW
    out = np.zeros((N, C, OH + 2 * padding, OW + 2 * padding))
    for n in range(N):
        for f in range(FN):
            for i in range(H):
                for j in range(Wd):
                    out[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW] += (
                        x[n, f, i, j] * W[f])
    return out[:, :, padding:padding + OH, padding:padding + OW]


SETTINGS = [(1, 0, 3), (2, 0, 3), (2, 1, 3), (2, 0, 2), (3, 1, 4), (1, 1, 3)]


@pytest.mark.parametrize("stride,padding,k", SETTINGS)
def test_adjoint_relation_with_conv2d(stride, padding, k):
    rng = np.random.default_rng(stride * 10 + padding + k)
    W = rng.normal(size=(4, 3, k, k))
    y = rng.normal(size=(2, 4, 3, 4))
    out = conv_transpose2d(y, W, stride, padding)
    x = rng.normal(size=out.shape)              # a conv2d input of the matching size
    assert F.conv2d(x, W, stride=stride, padding=padding).shape == y.shape
    lhs = np.sum(F.conv2d(x, W, stride=stride, padding=padding) * y)
    rhs = np.sum(x * out)
    assert lhs == pytest.approx(rhs, rel=1e-10)


@pytest.mark.parametrize("stride,padding,k", SETTINGS)
def test_matches_scatter_loops(stride, padding, k):
    rng = np.random.default_rng(5)
    x, W = rng.normal(size=(2, 3, 3, 2)), rng.normal(size=(3, 2, k, k))
    np.testing.assert_allclose(conv_transpose2d(x, W, stride, padding),
                               _scatter_loops(x, W, stride, padding), atol=1e-12)


@pytest.mark.parametrize("stride,padding,k", SETTINGS)
def test_input_grad_equals_engine_backward_and_central_differences(stride, padding, k):
    rng = np.random.default_rng(9)
    x, W = rng.normal(size=(1, 2, 6, 5)), rng.normal(size=(3, 2, k, k))
    dy = rng.normal(size=F.conv2d(x, W, stride=stride, padding=padding).shape)
    dx = conv2d_input_grad(dy, W, x.shape, stride, padding)
    np.testing.assert_allclose(dx, F.conv2d_backward(dy, x, W, stride, padding)[0], atol=1e-12)
    i = (0, 1, 2, 3)
    e = np.zeros_like(x)
    e[i] = 1e-6
    loss = lambda a: np.sum(F.conv2d(a, W, stride=stride, padding=padding) * dy)
    assert dx[i] == pytest.approx((loss(x + e) - loss(x - e)) / 2e-6, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("H,k,stride,padding,expected", [
    (4, 2, 2, 0, 8), (4, 3, 2, 1, 7), (4, 4, 2, 1, 8), (3, 3, 1, 0, 5), (3, 3, 1, 1, 3)])
def test_output_size_upsamples_by_the_stride(H, k, stride, padding, expected):
    x, W = np.ones((1, 1, H, H)), np.ones((1, 1, k, k))
    assert conv_transpose2d(x, W, stride, padding).shape == (1, 1, expected, expected)
    assert conv_transpose2d_output_size(H, k, stride, padding) == expected
    # and conv2d with the same settings maps that size back to H
    assert F.conv_output_size(expected, k, padding, stride) == H


def test_output_size_takes_pairs_and_inverts_conv_output_size_per_axis():
    got = conv_transpose2d_output_size((4, 5), (3, 2), stride=(2, 3), padding=(1, 0))
    assert got == (7, 14)
    assert F.conv_output_size(got, (3, 2), (1, 0), (2, 3)) == (4, 5)
    x, W = np.ones((1, 1, 4, 5)), np.ones((1, 1, 3, 2))
    assert conv_transpose2d(x, W, (2, 3), (1, 0)).shape[2:] == got


def test_ones_kernel_with_stride_equal_to_kernel_is_nearest_neighbour_upsampling():
    x = np.arange(6.0).reshape(1, 1, 2, 3)
    up = conv_transpose2d(x, np.ones((1, 1, 2, 2)), stride=2)
    np.testing.assert_array_equal(up[0, 0], np.kron(x[0, 0], np.ones((2, 2))))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    out = conv_transpose2d(np.ones((1, 2, 3, 3), dtype), np.ones((2, 1, 3, 3), dtype), 2, 1)
    assert out.dtype == dtype


def test_bad_inputs_raise_messages_naming_the_shapes():
    with pytest.raises(ValueError, match="channels"):
        conv_transpose2d(np.ones((1, 3, 3, 3)), np.ones((2, 1, 3, 3)))
    with pytest.raises(ValueError, match="too large"):
        conv_transpose2d(np.ones((1, 1, 1, 1)), np.ones((1, 1, 1, 1)), padding=1)
    with pytest.raises(TypeError, match="dtype"):
        conv_transpose2d(np.ones((1, 1, 2, 2), np.float32), np.ones((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="x_shape"):
        conv2d_input_grad(np.ones((1, 1, 2, 2)), np.ones((1, 3, 2, 2)), (1, 2, 3, 3))


# --- which size: a stride-s convolution maps s input sizes to one output size ---------------

def test_stride_two_maps_five_and_six_to_three_and_the_smallest_is_returned():
    assert F.conv_output_size(5, 3, 1, 2) == F.conv_output_size(6, 3, 1, 2) == 3
    assert conv_transpose2d_output_size(3, 3, stride=2, padding=1) == 5


def test_for_the_larger_input_the_adjoint_is_the_smallest_one_plus_rows_at_the_end():
    """conv_transpose2d gives the 5x5 adjoint; the 6x6 input's adjoint is a different map, whose
    first 5x5 block it is (output_padding adds the last row and column)."""
    rng = np.random.default_rng(3)
    W, y = rng.normal(size=(4, 3, 3, 3)), rng.normal(size=(2, 4, 3, 3))
    small = conv_transpose2d(y, W, stride=2, padding=1)
    big = conv2d_input_grad(y, W, (2, 3, 6, 6), stride=2, padding=1)
    assert small.shape[2:] == (5, 5) and big.shape[2:] == (6, 6)
    np.testing.assert_allclose(big[:, :, :5, :5], small, atol=1e-12)
    z = rng.normal(size=(2, 3, 6, 6))            # the adjoint relation holds for 6x6 only
    lhs = np.sum(F.conv2d(z, W, stride=2, padding=1) * y)
    assert lhs == pytest.approx(np.sum(z * big), rel=1e-10)
    assert abs(np.sum(z[:, :, :5, :5] * small) - lhs) > 1e-3


DILATED = [  # y shape, W shape, stride, padding, output_padding
    ((2, 4, 3, 3), (4, 3, 3, 3), 2, 1, 1),
    ((2, 4, 3, 3), (4, 3, 3, 3), 2, 1, 0),
    ((1, 3, 3, 4), (3, 2, 3, 2), 3, 1, 2),
    ((2, 2, 4, 5), (2, 3, 2, 3), (2, 3), (0, 1), (1, 2)),
    ((1, 2, 3, 3), (2, 2, 5, 5), 2, 3, 0),      # padding larger than FH - 1
    ((1, 2, 4, 4), (2, 1, 3, 3), 1, 0, 0),
]


@pytest.mark.parametrize("y_shape,w_shape,stride,padding,op", DILATED)
def test_fractionally_strided_view_is_the_input_gradient_of_the_matching_size(
        y_shape, w_shape, stride, padding, op):
    rng = np.random.default_rng(7)
    y, W = rng.normal(size=y_shape), rng.normal(size=w_shape)
    out = conv_transpose2d_dilated(y, W, stride, padding, op)
    OH, OW = conv_transpose2d_output_size(y_shape[2:], w_shape[2:], stride, padding)
    oph, opw = (op, op) if isinstance(op, int) else op
    assert out.shape == (y_shape[0], w_shape[1], OH + oph, OW + opw)
    np.testing.assert_allclose(
        out, conv2d_input_grad(y, W, out.shape[:2] + (OH + oph, OW + opw), stride, padding),
        atol=1e-12)


def test_dilate_puts_stride_minus_one_zeros_between_entries():
    y = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    d = dilate(y, 2)
    assert d.shape == (1, 1, 3, 5)
    np.testing.assert_array_equal(d[0, 0], [[1, 0, 2, 0, 3], [0, 0, 0, 0, 0], [4, 0, 5, 0, 6]])
    np.testing.assert_array_equal(dilate(y, 1), y)


def test_output_padding_must_be_smaller_than_the_stride():
    with pytest.raises(ValueError, match="output_padding"):
        conv_transpose2d_dilated(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), 2, 1, 2)


# --- the bilinear kernel: bilinear inside, dim at the border ----------------------------------

def test_bilinear_kernel_dims_the_border_of_a_constant_image():
    up = conv_transpose2d(np.ones((1, 1, 4, 4)), bilinear_kernel(), stride=2, padding=1)[0, 0]
    assert up.shape == (8, 8)
    np.testing.assert_allclose(up[1:-1, 1:-1], 1.0)
    np.testing.assert_allclose(up[0, 1:-1], 0.75)
    np.testing.assert_allclose(up[1:-1, -1], 0.75)
    np.testing.assert_allclose(up[[0, 0, -1, -1], [0, -1, 0, -1]], 0.5625)


def test_upsample_bilinear_clamps_the_edges():
    up = upsample_bilinear(np.ones((2, 3, 4, 5)))
    assert up.shape == (2, 3, 8, 10)
    np.testing.assert_allclose(up, 1.0)
    x = np.arange(4.0).reshape(1, 1, 1, 4)
    np.testing.assert_allclose(upsample_bilinear(x)[0, 0, 0],
                               [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])


# --- PyTorch as an oracle (optional: the `torch` fixture of conftest.py skips without it) ------


@pytest.mark.torch
@pytest.mark.parametrize("y_shape,w_shape,stride,padding,op", DILATED)
def test_output_padding_matches_pytorch_conv_transpose2d(torch, y_shape, w_shape, stride,
                                                         padding, op):
    rng = np.random.default_rng(8)
    y, W = rng.normal(size=y_shape), rng.normal(size=w_shape)
    theirs = torch.nn.functional.conv_transpose2d(
        torch.tensor(y), torch.tensor(W), stride=stride, padding=padding,
        output_padding=op).numpy()
    np.testing.assert_allclose(conv_transpose2d_dilated(y, W, stride, padding, op), theirs,
                               atol=1e-12)


@pytest.mark.torch
def test_upsample_bilinear_matches_pytorch_interpolate(torch):
    x = np.random.default_rng(2).normal(size=(2, 3, 5, 4))
    theirs = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=2, mode="bilinear",
                                             align_corners=False).numpy()
    np.testing.assert_allclose(upsample_bilinear(x), theirs, atol=1e-12)
