"""The loop references in cnn_course.naive are right on their own terms.

They are the oracles of test_functional.py, so here they are checked against independent
sources: hand-worked examples, scipy, reshape tricks and numerical gradients.
"""

import numpy as np
import pytest
from scipy import signal

from cnn_course import naive
from cnn_course.gradcheck import numerical_gradient, rel_error


def test_corr2d_naive_on_the_worked_3x3_example():
    X = np.arange(9.0).reshape(3, 3)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    # 0*0 + 1*1 + 3*2 + 4*3 = 19, and so on
    np.testing.assert_array_equal(naive.corr2d_naive(X, K), [[19.0, 25.0], [37.0, 43.0]])


def test_corr2d_naive_matches_scipy():
    rng = np.random.default_rng(0)
    X, K = rng.standard_normal((7, 9)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(naive.corr2d_naive(X, K), signal.correlate2d(X, K, "valid"),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), ((1, 3), (2, 0))])
def test_conv2d_naive_matches_scipy_summed_over_channels(stride, padding):
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal((2, 3, 8, 9)), rng.standard_normal((2, 3, 3, 2))
    b = rng.standard_normal(2)
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    y = naive.conv2d_naive(x, W, b, stride, padding)
    for n in range(2):
        for f in range(2):
            full = sum(signal.correlate2d(np.pad(x[n, c], ((ph, ph), (pw, pw))), W[f, c], "valid")
                       for c in range(3)) + b[f]
            np.testing.assert_allclose(y[n, f], full[::sh, ::sw], rtol=1e-12, atol=1e-12)


def test_conv2d_naive_dilation_matches_a_zero_stuffed_kernel():
    rng = np.random.default_rng(2)
    x, W = rng.standard_normal((1, 2, 9, 9)), rng.standard_normal((1, 2, 2, 3))
    stuffed = np.zeros((1, 2, 4, 5))
    stuffed[:, :, ::3, ::2] = W
    np.testing.assert_allclose(naive.conv2d_naive(x, W, None, 1, 0, (3, 2)),
                               naive.conv2d_naive(x, stuffed, None, 1, 0), rtol=1e-12)


def test_conv2d_backward_naive_matches_numerical_gradients():
    rng = np.random.default_rng(3)
    x, W = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((2, 2, 3, 2))
    b = rng.standard_normal(2)
    args = dict(stride=(2, 1), padding=1, dilation=(1, 2))
    r = rng.standard_normal(naive.conv2d_naive(x, W, b, **args).shape)
    dx, dW, db = naive.conv2d_backward_naive(r, x, W, **args)

    def loss(_):
        return np.sum(naive.conv2d_naive(x, W, b, **args) * r)

    assert rel_error(dx, numerical_gradient(loss, x)) < 1e-7
    assert rel_error(dW, numerical_gradient(loss, W)) < 1e-7
    assert rel_error(db, numerical_gradient(loss, b)) < 1e-7


def test_pool_naive_non_overlapping_equals_reshape_reductions():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 6, 9))
    blocks = x.reshape(2, 3, 2, 3, 3, 3)
    np.testing.assert_array_equal(naive.max_pool2d_naive(x, 3), blocks.max(axis=(3, 5)))
    np.testing.assert_allclose(naive.avg_pool2d_naive(x, 3), blocks.mean(axis=(3, 5)), rtol=1e-12)


@pytest.mark.parametrize("k, s, p", [(2, None, 0), (3, 1, 1), ((3, 2), (2, 1), (1, 0))])
def test_pool_backward_naive_matches_numerical_gradients(k, s, p):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 2, 5, 5))                 # distinct values: no ties
    r = rng.standard_normal(naive.max_pool2d_naive(x, k, s, p).shape)
    for fwd, bwd in ((naive.max_pool2d_naive, naive.max_pool2d_backward_naive),
                     (naive.avg_pool2d_naive, naive.avg_pool2d_backward_naive)):
        num = numerical_gradient(lambda _: np.sum(fwd(x, k, s, p) * r), x)
        assert rel_error(bwd(r, x, k, s, p), num) < 1e-7


def test_max_pool_backward_naive_picks_the_first_of_tied_maxima():
    x = np.array([[[[2.0, 2.0], [2.0, 1.0]]]])
    dx = naive.max_pool2d_backward_naive(np.array([[[[1.0]]]]), x, 2)
    np.testing.assert_array_equal(dx, [[[[1.0, 0.0], [0.0, 0.0]]]])


def test_im2col_naive_rows_are_flattened_windows():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 5, 4))
    col = naive.im2col_naive(x, 3, 2, stride=(2, 1), pad=1)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    OH, OW = 3, 5
    assert col.shape == (2 * OH * OW, 3 * 3 * 2)
    for n, i, j in [(0, 0, 0), (1, 2, 4), (1, 1, 3)]:
        np.testing.assert_array_equal(col[n * OH * OW + i * OW + j],
                                      xp[n, :, 2 * i:2 * i + 3, j:j + 2].reshape(-1))


def test_col2im_naive_is_the_adjoint_of_im2col_naive():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 2, 6, 5))
    col = naive.im2col_naive(x, 3, 3, 2, 1)
    c = rng.standard_normal(col.shape)
    lhs, rhs = np.vdot(col, c), np.vdot(x, naive.col2im_naive(c, x.shape, 3, 3, 2, 1))
    assert abs(lhs - rhs) <= 1e-10 * abs(lhs)
