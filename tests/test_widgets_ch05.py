"""Chapter 5 figures and explorers: they render, their controls change the picture, and what
they show agrees with an independent calculation."""

import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course.topics.conv1d import conv1d_input_grad
from cnn_course.widgets.ch05_implementation import (gradient_flow_explorer, im2col_explorer,
                                                     show_4d_array, show_images)
from cnn_course.widgets.core import MAX_FRAMES

matplotlib.use("Agg")


def test_im2col_explorer_has_one_frame_per_output_position():
    fig = im2col_explorer()
    assert fig.controls["position"].values == list(range(16))   # (1, 2, 4, 4), 3x3, pad 1
    assert len(fig.controls["position"].static_values) <= MAX_FRAMES
    png0, cap0 = fig.render(position=0)
    png5, cap5 = fig.render(position=5)
    assert png0 != png5
    assert "(i, j) = (1, 1)" in cap5 and "= 5 of col" in cap5


def test_im2col_explorer_highlights_the_window_that_im2col_puts_in_that_row():
    x = np.arange(32.0).reshape(1, 2, 4, 4)
    fig = im2col_explorer(x)
    scene = fig.draw
    col = F.im2col(x, 3, 3, 1, 1)
    xp = np.pad(x[0], ((0, 0), (1, 1), (1, 1)))
    boxes, rows = {}, {}
    for position in (0, 1, 2, 4, 15):
        i, j = divmod(position, 4)       # row-major: row = i*OW + j
        np.testing.assert_array_equal(col[position], xp[:, i:i + 3, j:j + 3].reshape(-1))
        fig.render(position=position)
        boxes[position] = scene.windows[0].get_x(), scene.windows[0].get_y()
        rows[position] = scene.row_rect.get_y()
    step = boxes[1][0] - boxes[0][0]
    assert step > 0 and boxes[2][0] - boxes[1][0] == pytest.approx(step)   # j moves right
    assert boxes[4][0] == pytest.approx(boxes[0][0]) and boxes[4][1] > boxes[0][1]  # i: down
    assert rows[0] < rows[1] < rows[2] < rows[4] < rows[15]                  # one row each


def test_im2col_explorer_rejects_a_batch():
    with pytest.raises(ValueError, match=r"\(1, C, H, W\)"):
        im2col_explorer(np.zeros((2, 1, 4, 4)))


@pytest.mark.parametrize("pad", [0, 1, 2])
def test_gradient_flow_caption_lists_exactly_the_terms_of_the_input_gradient(pad):
    L, K = 7, 3
    fig = gradient_flow_explorer(L, K)
    w = np.array([2.0, 3.0, 5.0])
    for i in range(L):
        _, caption = fig.render(i=i, pad=pad)
        terms = re.findall(r"dy\[(\d+)\]\*w\[(\d+)\]", caption)
        # dL/dx[i] is linear in dy: probe it with one-hot dy vectors
        n_out = L + 2 * pad - K + 1
        for o in range(n_out):
            dy = np.zeros(n_out)
            dy[o] = 1.0
            coeff = conv1d_input_grad(np.zeros(L), w, dy, pad)[i]
            listed = [int(k) for oo, k in terms if int(oo) == o]
            assert coeff == (w[listed[0]] if listed else 0.0), (i, pad, o, caption)


def test_gradient_flow_controls_change_the_picture_and_frames_fit_the_budget():
    fig = gradient_flow_explorer()
    n = 1
    for c in fig.controls.values():
        n *= len(c.static_values)
    assert n <= MAX_FRAMES
    a, _ = fig.render(i=0, pad=1)
    b, _ = fig.render(i=3, pad=1)
    c, _ = fig.render(i=3, pad=0)
    assert len({a, b, c}) == 3


def test_static_figures_draw_without_error():
    x = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    show_4d_array(x)
    show_images([np.eye(3), np.eye(6)], ["small", "large"])
    plt.close("all")
    with pytest.raises(ValueError, match="4 dimensions"):
        show_4d_array(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="titles"):
        show_images([np.eye(2)], [])
