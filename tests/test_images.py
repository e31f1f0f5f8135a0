"""cnn_course.topics.images: the sample RGB image and the grayscale helper."""

import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course.topics.images import LUMA_WEIGHTS, rgb_shapes, to_grayscale, to_hwc


def test_rgb_shapes_is_float32_chw_in_unit_range_and_deterministic():
    x = rgb_shapes(40)
    assert x.shape == (3, 40, 40) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    np.testing.assert_array_equal(x, rgb_shapes(40))


def test_each_channel_holds_a_different_picture():
    x = rgb_shapes()
    for a in range(3):
        for b in range(a + 1, 3):
            assert np.mean(np.abs(x[a] - x[b]) > 0.3) > 0.05, (a, b)


def test_red_disc_green_square_and_yellow_overlap_are_where_the_docstring_says():
    x = rgb_shapes(48)
    assert x[0, 16, 10] > 0.9 and x[1, 16, 10] < 0.2          # red disc, top left
    assert x[1, 16, 36] > 0.8 and x[0, 16, 36] < 0.2          # green square, right
    assert x[0, 16, 23] > 0.9 and x[1, 16, 23] > 0.8          # yellow overlap
    assert x[2, 38, 21] > 0.9 and x[0, 38, 21] < 0.2          # blue triangle


def test_to_grayscale_is_the_weighted_channel_sum_for_images_and_batches():
    x = rgb_shapes(20)
    expected = sum(float(w) * x[c] for c, w in enumerate(LUMA_WEIGHTS))
    g = to_grayscale(x)
    assert g.shape == (20, 20) and g.dtype == np.float32
    np.testing.assert_allclose(g, expected, rtol=1e-6)
    batch = np.stack([x, 1 - x])
    np.testing.assert_allclose(to_grayscale(batch)[1], to_grayscale(1 - x), rtol=1e-6)


def test_to_grayscale_equals_a_1x1_convolution_with_the_luma_weights():
    x = rgb_shapes(16)[None]
    y = F.conv2d(x, LUMA_WEIGHTS.reshape(1, 3, 1, 1))
    np.testing.assert_allclose(to_grayscale(x), y[:, 0], rtol=1e-6)


def test_to_hwc_moves_channels_last():
    x = rgb_shapes(16)
    assert to_hwc(x).shape == (16, 16, 3)
    assert to_hwc(x)[3, 5, 1] == x[1, 3, 5]


@pytest.mark.parametrize("call", [lambda: rgb_shapes(8), lambda: rgb_shapes(32.0),
                                  lambda: to_grayscale(np.zeros((4, 5, 5))),
                                  lambda: to_hwc(np.zeros((5, 5)))])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()
