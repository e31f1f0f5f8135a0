"""Chapter 5 figures and explorers: what they show agrees with an independent calculation.

That they render and every control changes the picture: tests/test_widgets_contract.py.
"""

import re

import matplotlib
import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course.topics.conv1d import conv1d_input_grad
from cnn_course.widgets.ch05_implementation import (gradient_flow_explorer, im2col_explorer,
                                                     plot_4d_array)

matplotlib.use("Agg")


def test_im2col_explorer_has_one_position_per_output_pixel():
    fig = im2col_explorer()
    assert fig.controls["position"].values == list(range(16))   # (1, 2, 4, 4), 3x3, pad 1
    _, caption = fig.render(position=5)
    assert "(i, j) = (1, 1)" in caption and "= 5 of col" in caption


def test_im2col_explorer_counts_positions_with_stride_and_no_padding():
    fig = im2col_explorer(np.arange(50.0).reshape(1, 2, 5, 5), FH=3, FW=3, stride=2, pad=0)
    assert fig.controls["position"].values == list(range(4))    # floor((5 - 3) / 2) + 1 = 2
    _, caption = fig.render(position=3)
    assert "(i, j) = (1, 1)" in caption and "1*2 + 1 = 3" in caption


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


def test_static_figures_reject_wrong_shapes():
    from cnn_course.widgets.ch05_implementation import plot_images

    with pytest.raises(ValueError, match="4 dimensions"):
        plot_4d_array(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="titles"):
        plot_images([np.eye(2)], [])
