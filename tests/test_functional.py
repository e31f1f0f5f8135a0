"""cnn_course.functional, the reference tier chapter 5 derives, agrees with the loop references,
scipy and the notes' worked examples (tests/test_fast.py checks the fast tier against both)."""

import numpy as np
import pytest
from scipy import signal

from cnn_course import functional as F
from cnn_course import naive

TOL = {np.float64: 1e-10, np.float32: 1e-4}


def max_rel(a, b):
    """Largest entrywise gap relative to the largest entry (0 for equal arrays)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# ------------------------------------------------------------------ output sizes (worked examples)

@pytest.mark.parametrize("n, k, p, s, expected", [
    ((4, 4), 3, 1, 1, (4, 4)),
    ((7, 7), 3, 0, 2, (3, 3)),
    ((28, 31), 5, 2, 3, (10, 11)),
])
def test_conv_output_size_worked_examples_from_the_notes(n, k, p, s, expected):
    assert F.conv_output_size(n, k, padding=p, stride=s) == expected


def test_conv_output_size_floors_a_window_that_does_not_divide_evenly():
    # 8 + 0 - 3 = 5 is not divisible by 2: frameworks drop the remainder
    assert F.conv_output_size(8, 3, stride=2) == 3
    assert F.conv_output_size(5, 2, padding=0, stride=1, dilation=3) == 2


def test_conv_output_size_matches_the_real_output_of_conv2d():
    rng = np.random.default_rng(0)
    for _ in range(20):
        H, W = rng.integers(5, 12, size=2)
        k, p, s, d = (int(v) for v in (rng.integers(1, 4), rng.integers(0, 3),
                                       rng.integers(1, 4), rng.integers(1, 3)))
        y = F.conv2d(np.zeros((1, 1, H, W)), np.zeros((1, 1, k, k)), stride=s, padding=p,
                     dilation=d)
        assert y.shape[2:] == F.conv_output_size((int(H), int(W)), k, p, s, d)


@pytest.mark.parametrize("x_shape, expected", [((1, 3, 7, 7), (9, 75)), ((10, 3, 7, 7), (90, 75))])
def test_im2col_shapes_worked_examples_from_the_notes(x_shape, expected):
    assert F.im2col(np.zeros(x_shape), 5, 5, stride=1, pad=0).shape == expected


# ------------------------------------------------------------------ conv2d vs naive loops

def _conv_cases():
    rng = np.random.default_rng(1234)
    cases = []
    for k in range(1, 8):                                    # kernel sizes 1-7, even ones too
        for _ in range(3):
            stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
            padding = (int(rng.integers(0, 4)), int(rng.integers(0, 4)))
            dilation = (1, 1)
            if rng.random() < 0.5:
                dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
            fh, fw = k, int(rng.integers(1, 8))
            H = max(1, dilation[0] * (fh - 1) + 1 - 2 * padding[0]) + int(rng.integers(0, 7))
            W = max(1, dilation[1] * (fw - 1) + 1 - 2 * padding[1]) + int(rng.integers(0, 7))
            N, C, FN = (int(v) for v in rng.integers(1, 4, size=3))
            cases.append(((N, C, H, W), (FN, C, fh, fw), stride, padding, dilation))
    return cases


CONV_CASES = _conv_cases()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", CONV_CASES)
def test_conv2d_matches_naive_loops(x_shape, w_shape, stride, padding, dilation, dtype):
    rng = np.random.default_rng(sum(x_shape) * 1000 + sum(w_shape))
    x = rng.standard_normal(x_shape).astype(dtype)
    W = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    y = F.conv2d(x, W, b, stride=stride, padding=padding, dilation=dilation)
    ref = naive.conv2d_naive(x.astype(np.float64), W.astype(np.float64), b.astype(np.float64),
                             stride, padding, dilation)
    assert y.dtype == dtype
    assert y.shape == ref.shape
    assert max_rel(y, ref) <= TOL[dtype]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", CONV_CASES[::2])
def test_conv2d_backward_matches_naive_loops(x_shape, w_shape, stride, padding, dilation):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape)
    W = rng.standard_normal(w_shape)
    y = F.conv2d(x, W, None, stride, padding, dilation)
    dy = rng.standard_normal(y.shape)
    dx, dW, db = F.conv2d_backward(dy, x, W, stride, padding, dilation=dilation)
    rdx, rdW, rdb = naive.conv2d_backward_naive(dy, x, W, stride, padding, dilation)
    assert max_rel(dx, rdx) <= 1e-10
    assert max_rel(dW, rdW) <= 1e-10
    assert max_rel(db, rdb) <= 1e-10


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_conv2d_backward_float32_stays_float32_and_matches_float64(dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 9, 8))
    W = rng.standard_normal((5, 4, 3, 3))
    dy = rng.standard_normal((3, 5, 5, 4))
    ref = F.conv2d_backward(dy, x, W, 2, 1)
    got = F.conv2d_backward(dy.astype(dtype), x.astype(dtype), W.astype(dtype), 2, 1)
    for g, r in zip(got, ref):
        assert g.dtype == dtype
        assert max_rel(g, r) <= TOL[dtype]


def test_conv2d_backward_reuses_the_forward_patch_matrix():
    rng = np.random.default_rng(4)
    x, W = rng.standard_normal((2, 3, 8, 8)), rng.standard_normal((4, 3, 3, 3))
    y, cols = F.conv2d_forward(x, W, None, 1, 1)
    dy = rng.standard_normal(y.shape)
    with_cols = F.conv2d_backward(dy, x, W, 1, 1, cols=cols)
    without = F.conv2d_backward(dy, x, W, 1, 1)
    for a, b in zip(with_cols, without):
        np.testing.assert_array_equal(a, b)


def test_conv2d_backward_skips_dx_when_not_needed():
    rng = np.random.default_rng(5)
    x, W = rng.standard_normal((2, 1, 6, 6)), rng.standard_normal((3, 1, 3, 3))
    dy = rng.standard_normal((2, 3, 4, 4))
    dx, dW, db = F.conv2d_backward(dy, x, W, need_dx=False)
    assert dx is None
    np.testing.assert_allclose(dW, F.conv2d_backward(dy, x, W)[1], rtol=1e-12)


# ------------------------------------------------------------------ conv2d vs scipy

@pytest.mark.parametrize("seed", range(6))
def test_conv2d_matches_scipy_correlate2d_summed_over_channels(seed):
    rng = np.random.default_rng(seed)
    N, C, FN = rng.integers(1, 4, size=3)
    fh, fw = rng.integers(1, 6, size=2)
    H, W = rng.integers(6, 14, size=2)
    p = int(rng.integers(0, 3))
    x = rng.standard_normal((N, C, H, W))
    K = rng.standard_normal((FN, C, fh, fw))
    b = rng.standard_normal(FN)
    y = F.conv2d(x, K, b, padding=p)
    for n in range(N):
        for f in range(FN):
            ref = sum(signal.correlate2d(np.pad(x[n, c], p), K[f, c], mode="valid")
                      for c in range(C)) + b[f]
            assert max_rel(y[n, f], ref) <= 1e-10


def test_conv2d_same_padding_matches_scipy_same_mode():
    rng = np.random.default_rng(11)
    x, K = rng.standard_normal((1, 1, 10, 13)), rng.standard_normal((1, 1, 5, 3))
    y = F.conv2d(x, K, padding=(2, 1))
    ref = signal.correlate2d(x[0, 0], K[0, 0], mode="same")
    assert max_rel(y[0, 0], ref) <= 1e-10


def test_conv2d_with_stride_is_stride_one_subsampled():
    rng = np.random.default_rng(12)
    x, K = rng.standard_normal((2, 2, 11, 10)), rng.standard_normal((3, 2, 3, 2))
    full = F.conv2d(x, K, padding=1)
    assert max_rel(F.conv2d(x, K, stride=(2, 3), padding=1), full[:, :, ::2, ::3]) <= 1e-12


def test_conv2d_with_dilation_equals_a_zero_stuffed_kernel():
    rng = np.random.default_rng(13)
    x, K = rng.standard_normal((2, 2, 12, 11)), rng.standard_normal((3, 2, 3, 2))
    stuffed = np.zeros((3, 2, 5, 4))
    stuffed[:, :, ::2, ::3] = K
    assert max_rel(F.conv2d(x, K, padding=1, dilation=(2, 3)),
                   F.conv2d(x, stuffed, padding=1)) <= 1e-12


def test_conv2d_equals_im2col_times_reshaped_filters():
    rng = np.random.default_rng(14)
    x, K = rng.standard_normal((2, 3, 7, 7)), rng.standard_normal((4, 3, 5, 5))
    b = rng.standard_normal(4)
    col = F.im2col(x, 5, 5, stride=1, pad=1)
    y = (col @ K.reshape(4, -1).T + b).reshape(2, 5, 5, 4).transpose(0, 3, 1, 2)
    assert max_rel(F.conv2d(x, K, b, padding=1), y) <= 1e-12


def test_conv2d_accepts_non_contiguous_inputs():
    rng = np.random.default_rng(15)
    x = rng.standard_normal((6, 3, 9, 9)).transpose(0, 1, 3, 2)[::2]
    K = rng.standard_normal((2, 3, 3, 3))[:, :, ::-1]
    assert max_rel(F.conv2d(x, K, padding=1), naive.conv2d_naive(x, K, None, 1, 1)) <= 1e-10


# ------------------------------------------------------------------ single-channel ops

@pytest.mark.parametrize("seed", range(8))
def test_corr2d_matches_scipy_correlate2d_valid(seed):
    rng = np.random.default_rng(seed)
    H, W = rng.integers(1, 10, size=2)
    FH, FW = rng.integers(1, H + 1), rng.integers(1, W + 1)
    X, K = rng.standard_normal((H, W)), rng.standard_normal((FH, FW))
    assert max_rel(F.corr2d(X, K), signal.correlate2d(X, K, mode="valid")) <= 1e-10
    assert max_rel(F.corr2d(X, K), naive.corr2d_naive(X, K)) <= 1e-10


def test_corr2d_keeps_integers_exact_on_the_d2l_example():
    X = np.arange(9).reshape(3, 3)
    K = np.array([[0, 1], [2, 3]])
    expected = signal.correlate2d(X, K, mode="valid")
    np.testing.assert_array_equal(F.corr2d(X, K), expected)
    assert F.corr2d(X, K).dtype.kind == "i"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_corr2d_preserves_float_dtype(dtype):
    X, K = np.ones((5, 5), dtype), np.ones((2, 2), dtype)
    assert F.corr2d(X, K).dtype == dtype


@pytest.mark.parametrize("seed", range(5))
def test_convolve2d_true_matches_scipy_convolve2d(seed):
    rng = np.random.default_rng(seed)
    X, K = rng.standard_normal((8, 9)), rng.standard_normal((3, 4))
    assert max_rel(F.convolve2d_true(X, K), signal.convolve2d(X, K, mode="valid")) <= 1e-10


def test_convolution_and_cross_correlation_differ_unless_the_kernel_is_symmetric():
    rng = np.random.default_rng(0)
    X, K = rng.standard_normal((6, 6)), rng.standard_normal((3, 3))
    assert not np.allclose(F.convolve2d_true(X, K), F.corr2d(X, K))
    Ks = K + K[::-1, ::-1]
    np.testing.assert_allclose(F.convolve2d_true(X, Ks), F.corr2d(X, Ks), rtol=1e-12)


# ------------------------------------------------------------------ padding

def test_pad2d_matches_np_pad_symmetric_and_asymmetric():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(F.pad2d(x, 2), np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2))))
    np.testing.assert_array_equal(F.pad2d(x, (1, 3)), np.pad(x, ((0, 0), (0, 0), (1, 1), (3, 3))))
    got = F.pad2d(x, ((2, 1), (0, 1)), value=-np.inf)
    np.testing.assert_array_equal(
        got, np.pad(x, ((0, 0), (0, 0), (2, 1), (0, 1)), constant_values=-np.inf))
    assert got.dtype == np.float32


def test_pad2d_even_kernel_same_padding_keeps_the_size():
    # an even kernel needs unequal padding for "same" output: ceil on top, floor at the bottom
    x, K = np.random.default_rng(1).standard_normal((1, 1, 6, 6)), np.ones((1, 1, 4, 4))
    xp = F.pad2d(x, ((2, 1), (2, 1)))
    assert F.conv2d(xp, K).shape == x.shape


def test_pad2d_returns_a_new_array_even_for_zero_padding():
    x = np.zeros((3, 3))
    y = F.pad2d(x, 0)
    y[0, 0] = 1
    assert x[0, 0] == 0


# ------------------------------------------------------------------ im2col / col2im

@pytest.mark.parametrize("x_shape, FH, FW, stride, pad", [
    ((1, 3, 7, 7), 5, 5, 1, 0), ((2, 2, 6, 5), 3, 2, 2, 1), ((3, 1, 5, 8), 2, 4, (1, 3), (2, 0)),
    ((2, 3, 4, 4), 1, 1, 1, 0), ((1, 2, 9, 7), 4, 3, 3, 3),
])
def test_im2col_and_col2im_match_naive_loops(x_shape, FH, FW, stride, pad):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape)
    col = F.im2col(x, FH, FW, stride, pad)
    np.testing.assert_array_equal(col, naive.im2col_naive(x, FH, FW, stride, pad))
    c = rng.standard_normal(col.shape)
    assert max_rel(F.col2im(c, x_shape, FH, FW, stride, pad),
                   naive.col2im_naive(c, x_shape, FH, FW, stride, pad)) <= 1e-12


@pytest.mark.parametrize("seed", range(8))
def test_col2im_is_the_adjoint_of_im2col(seed):
    rng = np.random.default_rng(seed)
    x_shape = tuple(int(v) for v in (*rng.integers(1, 4, size=2), *rng.integers(7, 12, size=2)))
    FH, FW = (int(v) for v in rng.integers(1, 4, size=2))
    stride, pad, dilation = ((int(a), int(b)) for a, b in
                             (rng.integers(1, 4, size=2), rng.integers(0, 3, size=2),
                              rng.integers(1, 3, size=2)))
    x = rng.standard_normal(x_shape)
    col = F.im2col(x, FH, FW, stride, pad, dilation)
    c = rng.standard_normal(col.shape)
    lhs = np.vdot(col, c)
    rhs = np.vdot(x, F.col2im(c, x_shape, FH, FW, stride, pad, dilation))
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))


@pytest.mark.parametrize("dilation", [(2, 1), (1, 3), (2, 2)])
def test_im2col_with_dilation_takes_the_taps_of_a_wider_window(dilation):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 11, 10))
    (FH, FW), (dh, dw) = (3, 2), dilation
    span_h, span_w = dh * (FH - 1) + 1, dw * (FW - 1) + 1
    wide = F.im2col(x, span_h, span_w, stride=(2, 1), pad=(1, 0))
    taps = wide.reshape(-1, 3, span_h, span_w)[:, :, ::dh, ::dw].reshape(len(wide), -1)
    np.testing.assert_array_equal(F.im2col(x, FH, FW, (2, 1), (1, 0), dilation), taps)


def test_im2col_and_col2im_accept_integer_arrays_for_small_worked_examples():
    x = np.arange(16).reshape(1, 1, 4, 4)
    col = F.im2col(x, 2, 2, stride=2)
    np.testing.assert_array_equal(col, [[0, 1, 4, 5], [2, 3, 6, 7], [8, 9, 12, 13], [10, 11, 14, 15]])
    np.testing.assert_array_equal(F.col2im(col, x.shape, 2, 2, stride=2), x)


def test_im2col_row_holds_the_window_in_channel_row_column_order():
    x = np.arange(2 * 2 * 4 * 4, dtype=np.float64).reshape(2, 2, 4, 4)
    col = F.im2col(x, 2, 3, stride=1, pad=0)           # OH = 3, OW = 2
    # row of image 1, output pixel (2, 1): n*OH*OW + i*OW + j
    np.testing.assert_array_equal(col[1 * 6 + 2 * 2 + 1], x[1, :, 2:4, 1:4].reshape(-1))


def test_col2im_counts_overlaps_when_folding_ones():
    x_shape = (1, 1, 4, 4)
    ones = np.ones((9, 4))                             # 2x2 windows, stride 1: OH = OW = 3
    counts = F.col2im(ones, x_shape, 2, 2)
    expected = np.outer([1, 2, 2, 1], [1, 2, 2, 1]).astype(float)   # windows covering each pixel
    np.testing.assert_array_equal(counts[0, 0], expected)


# ------------------------------------------------------------------ pooling

POOL_CASES = [
    ((2, 3, 8, 8), 2, None, 0), ((2, 2, 7, 9), 2, None, 0), ((1, 2, 9, 8), (3, 2), None, 0),
    ((2, 2, 7, 9), 3, 1, 0), ((1, 2, 7, 7), 3, 1, 1),
    ((2, 1, 9, 6), (3, 2), (2, 1), (1, 1)), ((1, 3, 5, 5), 2, 3, 0), ((2, 2, 6, 7), 3, 2, 1),
    ((1, 1, 4, 4), 1, 1, 0), ((3, 2, 10, 5), (4, 2), (2, 2), (2, 0)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("x_shape, k, s, p", POOL_CASES)
def test_pooling_forward_matches_naive_loops(x_shape, k, s, p, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    for fast, slow in ((F.max_pool2d, naive.max_pool2d_naive),
                       (F.avg_pool2d, naive.avg_pool2d_naive)):
        y = fast(x, k, s, p)
        assert y.dtype == dtype
        assert max_rel(y, slow(x.astype(np.float64), k, s, p)) <= TOL[dtype]


@pytest.mark.parametrize("x_shape, k, s, p", POOL_CASES)
def test_pooling_backward_matches_naive_loops(x_shape, k, s, p):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape)
    dy = rng.standard_normal(F.max_pool2d(x, k, s, p).shape)
    assert max_rel(F.max_pool2d_backward(dy, x, k, s, p),
                   naive.max_pool2d_backward_naive(dy, x, k, s, p)) <= 1e-12
    assert max_rel(F.avg_pool2d_backward(dy, x.shape, k, s, p),
                   naive.avg_pool2d_backward_naive(dy, x, k, s, p)) <= 1e-12


@pytest.mark.parametrize("x_shape, k, s, p", POOL_CASES)
def test_max_pool_backward_with_many_ties_matches_naive_loops(x_shape, k, s, p):
    rng = np.random.default_rng(2)
    x = rng.integers(-1, 2, size=x_shape).astype(np.float64)     # values in {-1, 0, 1}
    dy = rng.standard_normal(F.max_pool2d(x, k, s, p).shape)
    # equal up to the order in which overlapping windows add their gradients
    assert max_rel(F.max_pool2d_backward(dy, x, k, s, p),
                   naive.max_pool2d_backward_naive(dy, x, k, s, p)) <= 1e-14


def _layouts(a):
    """The same values in three memory layouts: NCHW, batch-last (C, H, W, N), and W-first."""
    return [np.ascontiguousarray(a),
            np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2),
            np.ascontiguousarray(a.transpose(3, 2, 1, 0)).transpose(3, 2, 1, 0)]


@pytest.mark.parametrize("k, s, p", [(2, None, 0), (3, 1, 1), (3, 2, 0)])
def test_pooling_results_do_not_depend_on_memory_layout(k, s, p):
    rng = np.random.default_rng(3)
    x = np.maximum(rng.standard_normal((3, 2, 7, 8)), 0)
    dy = rng.standard_normal(F.max_pool2d(x, k, s, p).shape)
    ref_y = naive.max_pool2d_naive(x, k, s, p)
    ref_dx = naive.max_pool2d_backward_naive(dy, x, k, s, p)
    for xl in _layouts(x):
        y = F.max_pool2d(xl, k, s, p)
        np.testing.assert_array_equal(y, ref_y)
        for dyl in _layouts(dy):
            assert max_rel(F.max_pool2d_backward(dyl, xl, k, s, p, y=y), ref_dx) <= 1e-14
            assert max_rel(F.avg_pool2d_backward(dyl, xl.shape, k, s, p),
                           naive.avg_pool2d_backward_naive(dy, x, k, s, p)) <= 1e-12


def test_conv2d_results_do_not_depend_on_memory_layout():
    rng = np.random.default_rng(4)
    x, W = rng.standard_normal((3, 2, 7, 6)), rng.standard_normal((4, 2, 3, 3))
    dy = rng.standard_normal((3, 4, 4, 3))
    ref_y = naive.conv2d_naive(x, W, None, 2, 1)
    ref = naive.conv2d_backward_naive(dy, x, W, 2, 1)
    for xl in _layouts(x):
        assert max_rel(F.conv2d(xl, W, None, 2, 1), ref_y) <= 1e-12
        for dyl in _layouts(dy):
            for got, want in zip(F.conv2d_backward(dyl, xl, W, 2, 1), ref):
                assert max_rel(got, want) <= 1e-12


def test_max_pool_gradient_goes_to_the_first_maximum_on_ties():
    x = np.array([[[[1.0, 3.0, 0.0, 0.0],
                    [3.0, 3.0, 0.0, 0.0]]]])            # left window: three 3s; right: all 0
    dy = np.array([[[[10.0, 20.0]]]])
    dx = F.max_pool2d_backward(dy, x, 2)
    expected = np.array([[[[0.0, 10.0, 20.0, 0.0],
                           [0.0, 0.0, 0.0, 0.0]]]])
    np.testing.assert_array_equal(dx, expected)


def test_max_pool_ties_after_relu_send_each_window_gradient_exactly_once():
    rng = np.random.default_rng(3)
    x = np.maximum(rng.standard_normal((2, 3, 8, 8)), 0)   # many windows of all zeros
    x[0, 0] = 0.0
    dy = rng.standard_normal((2, 3, 4, 4))
    dx = F.max_pool2d_backward(dy, x, 2)
    sums = dx.reshape(2, 3, 4, 2, 4, 2).sum(axis=(3, 5))
    np.testing.assert_allclose(sums, dy, rtol=1e-12)
    np.testing.assert_array_equal(dx, naive.max_pool2d_backward_naive(dy, x, 2))


def test_overlapping_max_pool_adds_gradients_of_every_window_a_pixel_wins():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0                                   # the centre wins all four 2x2 windows
    dy = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    dx = F.max_pool2d_backward(dy, x, 2, stride=1)
    assert dx[0, 0, 1, 1] == 10.0
    assert dx.sum() == 10.0


def test_avg_pool_counts_zero_padding_in_the_average():
    x = np.ones((1, 1, 2, 2))
    y = F.avg_pool2d(x, 3, stride=1, padding=1)          # each window holds 4 ones and 5 zeros
    np.testing.assert_allclose(y, np.full((1, 1, 2, 2), 4 / 9))


def test_max_pool_padding_never_wins_even_for_negative_inputs():
    x = -np.ones((1, 1, 2, 2)) - np.arange(4.0).reshape(1, 1, 2, 2)
    y = F.max_pool2d(x, 2, stride=1, padding=1)
    assert np.all(np.isfinite(y)) and y.max() == -1.0


def test_max_pool_non_overlapping_equals_a_reshape_max():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 6, 8)).astype(np.float32)
    ref = x.reshape(2, 3, 3, 2, 4, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(F.max_pool2d(x, 2), ref)


# ------------------------------------------------------------------ softmax

def test_softmax_rows_sum_to_one_and_survive_huge_logits():
    z = np.array([[1000.0, 1000.0, -1000.0], [0.0, np.log(3.0), 0.0]], dtype=np.float32)
    p = F.softmax(z)
    assert p.dtype == np.float32
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [0.2, 0.6, 0.2]], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.exp(F.log_softmax(z.astype(np.float64))), p, rtol=1e-6, atol=1e-7)
