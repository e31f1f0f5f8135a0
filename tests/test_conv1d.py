"""The 1-D convolution of chapter 5 and its hand-derived gradients: checked against np.correlate
and against central-difference gradients of the scalar loss sum(y * dy)."""

import numpy as np
import pytest

from cnn_course.gradcheck import numerical_gradient
from cnn_course.topics import conv1d as c1


CASES = [(7, 3, 1), (7, 3, 0), (8, 4, 2), (6, 2, 1), (5, 5, 4), (9, 4, 0), (5, 1, 0)]


@pytest.mark.parametrize("L,K,pad", CASES)
def test_conv1d_matches_np_correlate_on_the_padded_input(L, K, pad):
    rng = np.random.default_rng(L * 10 + K)
    x, w = rng.normal(size=L), rng.normal(size=K)
    expected = np.correlate(np.pad(x, pad), w, mode="valid")
    np.testing.assert_allclose(c1.conv1d(x, w, pad), expected, rtol=1e-12, atol=1e-12)


def test_true_convolution_is_conv1d_with_the_kernel_flipped():
    rng = np.random.default_rng(2)
    x, k = rng.normal(size=10), rng.normal(size=3)
    np.testing.assert_allclose(c1.conv1d(x, k[::-1]), np.convolve(x, k, mode="valid"),
                               rtol=1e-12, atol=1e-12)
    assert not np.allclose(c1.conv1d(x, k), np.convolve(x, k, mode="valid"))


@pytest.mark.parametrize("wrt", ["x", "w"])
@pytest.mark.parametrize("L,K,pad", CASES)
def test_gradients_match_central_differences(L, K, pad, wrt):
    rng = np.random.default_rng(L + 100 * K + pad)
    x, w = rng.normal(size=L), rng.normal(size=K)
    dy = rng.normal(size=L + 2 * pad - K + 1)
    if wrt == "x":
        numeric = numerical_gradient(lambda a: np.sum(c1.conv1d(a, w, pad) * dy), x.copy())
        np.testing.assert_allclose(c1.conv1d_input_grad(x, w, dy, pad), numeric, atol=1e-8)
    else:
        numeric = numerical_gradient(lambda a: np.sum(c1.conv1d(x, a, pad) * dy), w.copy())
        np.testing.assert_allclose(c1.conv1d_filter_grad(x, w, dy, pad), numeric, atol=1e-8)


@pytest.mark.parametrize("L,K,pad", CASES)
def test_input_grad_is_full_correlation_with_flipped_kernel(L, K, pad):
    rng = np.random.default_rng(7)
    x, w = rng.normal(size=L), rng.normal(size=K)
    dy = rng.normal(size=L + 2 * pad - K + 1)
    full = np.correlate(np.pad(dy, K - 1), w[::-1], mode="valid")  # gradient w.r.t. x_pad
    np.testing.assert_allclose(c1.conv1d_input_grad(x, w, dy, pad), full[pad:pad + L],
                               atol=1e-12)


def test_notes_index_pattern_is_right_only_for_odd_kernels_with_same_padding():
    """output_pad[o + K - 1 - p] with dy padded by `pad` equals our gradient iff pad == K-1-pad."""
    def notes_pattern(x, w, dy, pad):
        K = len(w)
        dy_pad = np.pad(dy, pad)
        dx = np.zeros_like(x)
        for o in range(len(x)):
            for p in range(K):
                j = o + K - p - 1
                if 0 <= j < len(dy_pad):
                    dx[o] += dy_pad[j] * w[p]
        return dx

    rng = np.random.default_rng(1)
    for L, K, pad, agrees in [(7, 3, 1, True), (7, 5, 2, True), (8, 4, 2, False),
                              (7, 3, 0, False)]:
        x, w = rng.normal(size=L), rng.normal(size=K)
        dy = rng.normal(size=L + 2 * pad - K + 1)
        same = np.allclose(notes_pattern(x, w, dy, pad), c1.conv1d_input_grad(x, w, dy, pad))
        assert same == agrees, (L, K, pad)


def test_batch_versions_stack_inputs_and_sum_filter_gradients():
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(3, 6)), rng.normal(size=3)
    dy = rng.normal(size=(3, 6))
    y = c1.conv1d_batch(x, w, 1)
    assert y.shape == (3, 6)
    np.testing.assert_allclose(y[1], c1.conv1d(x[1], w, 1))
    numeric_x = numerical_gradient(lambda a: np.sum(c1.conv1d_batch(a, w, 1) * dy), x.copy())
    numeric_w = numerical_gradient(lambda a: np.sum(c1.conv1d_batch(x, a, 1) * dy), w.copy())
    np.testing.assert_allclose(c1.conv1d_batch_input_grad(x, w, dy, 1), numeric_x, atol=1e-8)
    np.testing.assert_allclose(c1.conv1d_batch_filter_grad(x, w, dy, 1), numeric_w, atol=1e-8)


def test_nudge_sum_recovers_the_gradient_for_all_ones_dy():
    x, w = np.array([1.0, 2, 3, 4, 5]), np.array([1.0, 1, 1])
    ones = np.ones(5)
    grads = c1.conv1d_input_grad(x, w, ones, 1)
    for i in range(5):
        assert c1.nudge_sum(lambda a: c1.conv1d(a, w, 1), x, i) == pytest.approx(grads[i])
    dw = c1.conv1d_filter_grad(x, w, ones, 1)
    assert c1.nudge_sum(lambda a: c1.conv1d(x, a, 1), w, 0, alpha=0.5) == pytest.approx(dw[0])
    assert grads[0] == 2 and grads[2] == 3  # edge inputs meet two outputs, inner ones three


def test_nudge_sum_leaves_its_argument_alone():
    x = np.arange(4.0)
    c1.nudge_sum(lambda a: 2 * a, x, 1)
    np.testing.assert_array_equal(x, np.arange(4.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    x, w = np.ones(5, dtype), np.ones(3, dtype)
    assert c1.conv1d(x, w, 1).dtype == dtype
    assert c1.conv1d_input_grad(x, w, np.ones(5, dtype), 1).dtype == dtype
    assert c1.conv1d_filter_grad(x, w, np.ones(5, dtype), 1).dtype == dtype


def test_bad_inputs_raise_messages_naming_the_shapes():
    x, w = np.ones(5), np.ones(3)
    with pytest.raises(ValueError, match="dy has shape"):
        c1.conv1d_input_grad(x, w, np.ones(4), 1)
    with pytest.raises(ValueError, match="longer than the padded input"):
        c1.conv1d(np.ones(2), np.ones(4))
    with pytest.raises(TypeError, match="float32 or float64"):
        c1.conv1d(np.arange(5), w)
    with pytest.raises(ValueError, match="pad"):
        c1.conv1d(x, w, -1)
    with pytest.raises(TypeError, match="dtype"):
        c1.conv1d(x.astype(np.float32), w)
