"""Chapter 4's explorers: the captions state numbers that agree with an independent
calculation, and the gradient drawn is the layer's.

That they render and every control changes the picture: tests/test_widgets_contract.py.
"""

import re

import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course.topics.invariance import feature_change
from cnn_course.widgets.ch04_pooling import (backward_demo_input, pool_backward_explorer,
                                             pooling_explorer)


def _digit():
    """A synthetic "digit": a thick diagonal stroke on a 16x16 canvas (no dataset needed)."""
    x = np.zeros((16, 16), dtype=np.float32)
    for i in range(3, 13):
        x[i, i - 2:i + 1] = 1.0
    return x


@pytest.fixture(scope="module")
def explorer():
    return pooling_explorer(_digit())


def test_pooling_explorer_renders_its_default_frame(explorer):
    png, caption = explorer.render()
    assert png.startswith(b"\x89PNG")
    assert "max pooling, window 2x2, stride 2" in caption
    assert "14x14 -> 7x7" in caption   # 16 - 3 + 1 = 14; floor((14 - 2) / 2) + 1 = 7


def test_pooling_explorer_caption_reports_the_measured_change(explorer):
    _, caption = explorer.render(shift=1, window=3)
    from cnn_course.topics.invariance import edge_map, shift_image
    from cnn_course.topics.kernels import get_kernel
    k = get_kernel("vertical edge")
    before = edge_map(_digit(), k)
    after = edge_map(shift_image(_digit(), 0, 1), k)
    pooled = feature_change(F.max_pool2d(before, 3), F.max_pool2d(after, 3))
    raw = feature_change(before, after)
    numbers = [float(v) for v in re.findall(r"by (\d+\.\d+)", caption)]
    assert numbers == pytest.approx([pooled, raw], abs=0.006)


def test_pooling_explorer_shows_the_pooled_map_at_its_size(explorer):
    explorer.render(mode="avg", window=3, stride=1, shift=0)
    from cnn_course.topics.invariance import edge_map
    from cnn_course.topics.kernels import get_kernel
    pooled = F.avg_pool2d(edge_map(_digit(), get_kernel("vertical edge")), 3, 1)[0, 0]
    np.testing.assert_allclose(explorer.draw.im_out.image.get_array(), pooled, rtol=1e-6)
    assert explorer.draw.im_out.ax.get_xlim() == (-0.5, pooled.shape[1] - 0.5)


def test_backward_demo_input_has_ties_and_a_double_winner():
    x = backward_demo_input()[0, 0]
    windows = [x[i:i + 2, j:j + 2] for i in range(0, 6, 2) for j in range(0, 6, 2)]
    assert any((w == w.max()).sum() > 1 for w in windows)
    dx = F.max_pool2d_backward(np.ones((1, 1, 3, 3)), x[None, None], 3, 2)[0, 0]
    assert dx.max() >= 2


@pytest.fixture(scope="module")
def backward():
    return pool_backward_explorer()


def test_backward_explorer_draws_the_layers_input_gradient(backward):
    from cnn_course import layers
    backward.render(mode="max", config=(3, 2), cell="all")
    layer = layers.MaxPool2D(3, 2)
    y = layer.forward(backward_demo_input())
    dx = layer.backward(np.ones_like(y))[0, 0]
    np.testing.assert_array_equal(backward.draw.dx.image.get_array(), dx)
    written = [t.get_text() for t in backward.draw.dx.texts.flat]
    assert written == ["" if v == 0 else f"{v:g}" for v in dx.flat]


def test_backward_caption_names_the_input_that_gets_the_gradient(backward):
    x = backward_demo_input()
    dy = np.zeros((1, 1, 3, 3))
    dy[0, 0, 0, 2] = 1.0
    dx = F.max_pool2d_backward(dy, x, 2, 2)[0, 0]
    (r, c), = np.argwhere(dx)
    _, caption = backward.render(mode="max", config=(2, 2), cell=(0, 2))
    assert f"goes to input ({r}, {c})" in caption
    assert "only the first" in caption          # this window holds a tie


def test_backward_caption_for_average_pooling_gives_the_share(backward):
    _, caption = backward.render(mode="avg", config=(3, 2), cell=(0, 0))
    assert "1/9" in caption
