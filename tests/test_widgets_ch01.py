"""Chapter 1 explorers: one distinct frame per position, frames are fresh, captions are right.

That they render and every control changes the picture: tests/test_widgets_contract.py.
"""

import json
import re

import numpy as np
import pytest

from cnn_course.widgets.ch01_convolution import kernel_explorer, sliding_window_explorer

X = np.array([[1, 2, 0, 1, 3],
              [0, 1, 3, 2, 1],
              [2, 0, 1, 0, 2],
              [1, 3, 2, 1, 0],
              [0, 1, 0, 2, 1]], dtype=float)
K = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)


def _payload(html):
    return json.loads(re.search(r'class="cnn-widget-data">(.*?)</script>', html, re.S).group(1))


def test_sliding_window_has_one_distinct_frame_per_output_position():
    fig = sliding_window_explorer(X, K)
    data = _payload(fig.static_html())
    assert len(data["index"]) == 9 and len(data["images"]) == 9


def test_sliding_window_caption_spells_out_the_sum_with_numbers():
    fig = sliding_window_explorer(X, K, bias=1)
    _, caption = fig.render(position=5)                 # row 1, column 2
    window = X[1:4, 2:5]
    expected = float(np.sum(window * K) + 1)
    assert caption.startswith("Y[1, 2] = 3×1 + 2×0 + 1×(-1) + ")
    assert caption.endswith(f" + 1 = {expected:.0f}")


def test_sliding_window_frames_are_rendered_fresh_not_stale():
    """The cached background must not freeze the parts that move."""
    fig = sliding_window_explorer(X, K)
    first = fig.render(position=0)[0]
    assert fig.render(position=4)[0] != first
    assert fig.render(position=0)[0] == first


def test_kernel_explorer_captions_the_turn_and_precomputes_only_static_digits():
    rng = np.random.default_rng(0)
    images = [rng.random((12, 12)) for _ in range(2)]
    fig = kernel_explorer(images, ["a", "b"], static_digits=1)
    assert "turned 45 degrees" in fig.render(kernel="vertical edge", turn=1, digit=0)[1]
    _, caption = fig.render(kernel="box blur", turn=0, digit=1)
    assert caption.startswith("box blur: weights sum to 1;")
    assert len(fig.controls["digit"].static_values) == 1
    assert len(fig.controls["digit"].values) == 2


def test_kernel_explorer_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="2 labels for 1 images"):
        kernel_explorer([np.zeros((5, 5))], ["a", "b"])


def _caption(box):
    """(caption, screen-reader status) of a live explorer: the two parts of its HTML widget."""
    caption, _, status = box.children[2].value.partition('<div class="cnn-widget-status"')
    return caption, status


def test_live_caption_follows_the_controls():
    box = sliding_window_explorer(X, K).widget()
    controls, image, caption = box.children
    controls.children[0].value = 8
    assert _caption(box)[0].count("Y[2, 2]") == 1
    assert "output position: row 2, column 2</div>" in _caption(box)[1]

    images = [np.random.default_rng(2).random((10, 10)) for _ in range(3)]
    box = kernel_explorer(images).widget()
    controls, image, caption = box.children
    kernel, turn, digit = controls.children
    turn.value = 2
    assert "turned 90 degrees" in _caption(box)[0]
    digit.value = 2
    kernel.value = list(kernel.options)[0][1]          # the first preset: identity
    assert _caption(box)[0].count("identity") == 1


def test_kernel_explorer_names_a_wrong_image_shape():
    with pytest.raises(ValueError, match=r"must be 2-D \(H, W\), got shape \(1, 28, 28\)"):
        kernel_explorer(np.zeros((2, 1, 28, 28)))
