"""Chapter 3 figures and explorers: the numbers they show agree with an independent
calculation (the engine's conv2d).

That they render and every control changes the picture: tests/test_widgets_contract.py.
"""

import re

import matplotlib
import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course.topics.images import rgb_shapes
from cnn_course.topics.kernels import get_kernel
from cnn_course.widgets.ch03_channels import (block_explorer, channel_explorer,
                                              demo_filter_bank, plot_channels)

matplotlib.use("Agg")


def test_channel_explorer_has_an_output_menu_and_a_checkbox_per_channel():
    assert set(channel_explorer(rgb_shapes()).controls) == {"out", "use_r", "use_g", "use_b"}


def test_channel_explorer_output_is_conv2d_of_the_image_with_the_bank():
    x = rgb_shapes()
    W, b = demo_filter_bank()
    fig = channel_explorer(x)
    scene = fig.draw
    y = F.conv2d(x[None], W, b)[0]
    for f in range(3):
        fig.render(out=f)
        np.testing.assert_allclose(scene.out.get_array(), y[f], rtol=1e-5, atol=1e-6)


def test_zeroing_a_kernel_removes_exactly_that_channels_contribution():
    x = rgb_shapes()
    W, b = demo_filter_bank()
    fig = channel_explorer(x)
    fig.render(out=0, use_g=False)
    W0 = W.copy()
    W0[0, 1] = 0
    np.testing.assert_allclose(fig.draw.out.get_array(), F.conv2d(x[None], W0, b)[0, 0],
                               rtol=1e-5, atol=1e-6)
    assert not np.any(fig.draw.contrib[1].get_array())


def test_caption_adds_up_the_contributions_at_the_marked_pixel():
    x = rgb_shapes()
    W, b = demo_filter_bank()
    fig = channel_explorer(x, pixel=(24, 20))
    _, caption = fig.render(out=1)
    numbers = [float(v) for v in re.findall(r"[+-]\d+\.\d+", caption)]
    *parts, bias, total = numbers
    per_channel = [F.corr2d(x[c], W[1, c])[24, 20] for c in range(3)]
    np.testing.assert_allclose(parts, per_channel, atol=1e-3)
    assert bias == pytest.approx(float(b[1]), abs=1e-3)
    assert total == pytest.approx(float(F.conv2d(x[None], W, b)[0, 1, 24, 20]), abs=1e-3)


def test_demo_filter_bank_has_the_documented_shapes_and_dtype():
    W, b = demo_filter_bank()
    assert W.shape == (3, 3, 3, 3) and b.shape == (3,) and W.dtype == np.float32
    np.testing.assert_allclose(W[1, 0], -W[1, 1])      # red minus green
    assert not W[1, 2].any()


def test_vertical_edge_filter_has_chapter_1s_sign():
    # the review found the Sobel kernel with the opposite sign to chapter 1's "vertical edge"
    W, _ = demo_filter_bank()
    ch1 = get_kernel("vertical edge")
    for c in range(3):
        np.testing.assert_array_equal(np.sign(W[0, c]), np.sign(ch1))
    step = np.zeros((1, 3, 8, 8), dtype=np.float32)
    step[..., 4:] = 1.0                                  # dark left, bright right
    assert F.conv2d(step, W[:1]).max() > 0 and F.conv2d(step, W[:1]).min() == 0


def test_channel_explorer_accepts_a_gray_image_and_a_custom_bank():
    rng = np.random.default_rng(0)
    x = rng.random((1, 10, 10))
    W = rng.normal(size=(2, 1, 3, 3))
    fig = channel_explorer(x, W, np.zeros(2), pixel=(2, 2))
    assert set(fig.controls) == {"out", "use_0"}
    png, caption = fig.render(out=1)
    assert png and "output channel 1" in caption


@pytest.mark.parametrize("kwargs", [
    {"x": np.zeros((4, 8, 8))},
    {"x": np.zeros((3, 8, 8)), "W": np.zeros((2, 2, 3, 3))},
    {"x": np.zeros((3, 8, 8)), "W": np.zeros((2, 3, 3, 3)), "b": np.zeros(3)},
    {"x": np.zeros((3, 8, 8)), "W": np.zeros((2, 3, 3, 3)), "pixel": (6, 0)},
])
def test_channel_explorer_rejects_inconsistent_shapes(kwargs):
    with pytest.raises(ValueError):
        channel_explorer(**kwargs)


def test_block_explorer_captions_the_shapes():
    fig = block_explorer()
    _, caption = fig.render()
    assert "2 filters -> 2 output channels" in caption
    _, caption = fig.render(C=4, FN=3, N=2)
    assert "(2, 4, 7, 7)" in caption and "(2, 3, 5, 5)" in caption


def test_block_view_writes_the_star_of_cross_correlation_not_the_asterisk():
    # the notation box: a layer computes X ⋆ W (cross-correlation); X * W is true convolution
    import matplotlib.pyplot as plt

    from cnn_course.widgets.ch03_channels import draw_blocks

    fig = plt.figure()
    draw_blocks(fig, C=3, FN=2, N=1)
    texts = [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)
    assert r"$\star$" in texts and "*" not in texts


def test_plot_channels_rejects_an_image_that_is_not_rgb():
    with pytest.raises(ValueError):
        plot_channels(np.zeros((2, 5, 5)))
