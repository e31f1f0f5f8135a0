"""cnn_course.topics.kernels: hand-made kernels, apply_kernel, test images and learn_kernel."""

import numpy as np
import pytest
from scipy.signal import correlate2d

from cnn_course import functional as F
from cnn_course import naive
from cnn_course.topics import kernels


def test_apply_kernel_matches_the_definition_scipy_and_the_engine():
    rng = np.random.default_rng(0)
    X, K = rng.normal(size=(6, 7)), rng.normal(size=(2, 3))
    Y = kernels.apply_kernel(X, K)
    assert Y.shape == (5, 5)
    np.testing.assert_allclose(Y, naive.corr2d_naive(X, K), atol=1e-12)
    np.testing.assert_allclose(Y, correlate2d(X, K, mode="valid"), atol=1e-12)
    np.testing.assert_allclose(Y, F.corr2d(X, K), atol=1e-12)


def test_apply_kernel_adds_the_bias_and_handles_a_stack_of_images():
    rng = np.random.default_rng(1)
    X, K = rng.normal(size=(3, 5, 5)), rng.normal(size=(3, 3))
    Y = kernels.apply_kernel(X, K, bias=0.5)
    for n in range(3):
        np.testing.assert_allclose(Y[n], naive.corr2d_naive(X[n], K) + 0.5, atol=1e-12)


def test_apply_kernel_keeps_float32_and_rejects_bad_shapes():
    X = np.ones((4, 4), dtype=np.float32)
    assert kernels.apply_kernel(X, kernels.get_kernel("sharpen")).dtype == np.float32
    with pytest.raises(ValueError, match="larger than the image"):
        kernels.apply_kernel(np.ones((2, 5)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="kernel.shape"):
        kernels.apply_kernel(np.ones((5, 5)), np.ones(3))


def test_edge_kernels_sum_to_zero_and_blur_sums_to_one():
    for name in ("vertical edge", "horizontal edge", "diagonal edge", "Laplacian"):
        assert kernels.get_kernel(name).sum() == 0, name
    np.testing.assert_allclose(kernels.get_kernel("box blur").sum(), 1.0)
    np.testing.assert_allclose(kernels.get_kernel("sharpen").sum(), 1.0)
    X = np.random.default_rng(2).normal(size=(5, 5))
    np.testing.assert_array_equal(kernels.apply_kernel(X, kernels.get_kernel("identity")),
                                  X[1:-1, 1:-1])


def test_get_kernel_returns_a_copy_and_names_unknown_kernels():
    kernels.get_kernel("identity")[1, 1] = 99
    assert kernels.get_kernel("identity")[1, 1] == 1
    with pytest.raises(ValueError, match="known kernels"):
        kernels.get_kernel("emboss")


@pytest.mark.parametrize("name,kind", [("vertical edge", "vertical"),
                                       ("horizontal edge", "horizontal"),
                                       ("diagonal edge", "diagonal")])
def test_each_edge_kernel_responds_most_to_its_own_edge(name, kind):
    K = kernels.get_kernel(name)
    own = kernels.apply_kernel(kernels.edge_image(kind), K).max()
    assert own > 0   # brighter on the positive side gives a positive response
    for other in ("vertical", "horizontal", "diagonal", "anti-diagonal"):
        if other != kind:
            assert np.abs(kernels.apply_kernel(kernels.edge_image(other), K)).max() < own


def test_edge_images_are_dark_on_one_side_and_bright_on_the_other():
    img = kernels.edge_image("vertical", 6)
    np.testing.assert_array_equal(img[:, :3], 0)
    np.testing.assert_array_equal(img[:, 3:], 1)
    diag = kernels.edge_image("diagonal", 4)
    assert diag[0, 3] == 1 and diag[3, 0] == 0 and diag[2, 2] == 0
    anti = kernels.edge_image("anti-diagonal", 4)
    assert anti[3, 3] == 1 and anti[0, 0] == 0
    with pytest.raises(ValueError, match="unknown kind"):
        kernels.edge_image("circle")


def test_rotate45_twice_is_a_clockwise_quarter_turn():
    K = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(kernels.rotate45(K, 2), np.rot90(K, -1))
    np.testing.assert_array_equal(kernels.rotate45(K, 8), K)
    np.testing.assert_array_equal(kernels.rotate45(kernels.rotate45(K, 3), -3), K)
    np.testing.assert_array_equal(kernels.rotate45(kernels.get_kernel("vertical edge"), 2),
                                  kernels.get_kernel("horizontal edge"))


def test_learn_kernel_recovers_a_known_kernel():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4, 10, 10))
    K_true = kernels.get_kernel("diagonal edge")
    K, losses = kernels.learn_kernel(X, kernels.apply_kernel(X, K_true), kernel_size=3,
                                     lr=0.2, steps=100, seed=0)
    np.testing.assert_allclose(K, K_true, atol=1e-6)
    assert losses.shape == (100,) and losses[-1] < 1e-10 < losses[0]
    assert np.all(np.diff(losses[:30]) < 0)      # monotone until it hits rounding noise


def test_learn_kernel_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(2, 5, 6)), rng.normal(size=(2, 4, 4))
    K0 = kernels.learn_kernel(X, Y, (2, 3), lr=0.0, steps=1, seed=7)[0]   # the initial kernel
    K1 = kernels.learn_kernel(X, Y, (2, 3), lr=1.0, steps=1, seed=7)[0]
    grad = K0 - K1                                                     # one step with lr=1

    def loss(K):
        return np.mean((kernels.apply_kernel(X, K) - Y) ** 2)

    numeric = np.zeros_like(K0)
    for idx in np.ndindex(K0.shape):
        step = np.zeros_like(K0)
        step[idx] = 1e-6
        numeric[idx] = (loss(K0 + step) - loss(K0 - step)) / 2e-6
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_learn_kernel_names_mismatched_shapes():
    with pytest.raises(ValueError, match=r"Y must have shape \(1, 3, 3\)"):
        kernels.learn_kernel(np.ones((5, 5)), np.ones((4, 4)), kernel_size=3)
