"""Tests of cnn_course.topics.inspect_model against independent calculations."""

import numpy as np
import pytest

from cnn_course.topics import inspect_model as im
from cnn_course.topics.invariance import shift_image
from cnn_course.models import lenet5


def test_feature_maps_names_and_shapes_follow_the_layers():
    model = lenet5("modern", seed=0)
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    maps = im.feature_maps(model, x)
    assert len(maps) == 12          # the two fused Conv-ReLU-MaxPool blocks show three steps
    assert [name for name, _ in maps][:7] == [
        "0a: Conv2D 1->6 5x5 padding 2", "0b: ReLU", "0c: MaxPool2D 2x2",
        "1a: Conv2D 6->16 5x5", "1b: ReLU", "1c: MaxPool2D 2x2", "2: Flatten"]
    rows = [row[0] for row in model.summary((1, 28, 28)).rows]
    assert [name for name, _ in maps][6:] == rows[2:]
    assert [name for name, _ in im.feature_maps(lenet5("classic"), x)] == \
        [row[0] for row in lenet5("classic").summary((1, 28, 28)).rows]
    np.testing.assert_allclose(maps[2][1], model[0].forward(x), rtol=1e-6)   # block = steps
    np.testing.assert_allclose(maps[5][1], model[1].forward(model[0].forward(x)), rtol=1e-6)
    assert [m.shape for _, m in maps][:6] == [(2, 6, 28, 28)] * 2 + [(2, 6, 14, 14)] + \
        [(2, 16, 10, 10)] * 2 + [(2, 16, 5, 5)]
    np.testing.assert_allclose(maps[-1][1], model.forward(x), rtol=1e-6)


def test_layer_name_is_short_and_leaves_out_default_settings():
    from cnn_course.layers import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU
    from cnn_course.models import layer_name

    W, b = np.zeros((16, 6, 5, 5)), np.zeros(16)
    assert layer_name(Conv2D(W, b)) == "Conv2D 6->16 5x5"
    assert layer_name(Conv2D(W, b, stride=2, padding=(1, 2), dilation=3)) == \
        "Conv2D 6->16 5x5 stride 2 padding 1x2 dilation 3"
    assert layer_name(Conv2D(W)) == "Conv2D 6->16 5x5 no bias"
    assert layer_name(Dense(np.zeros((400, 120)), np.zeros(120))) == "Dense 400->120"
    assert layer_name(Dense(np.zeros((400, 120)))) == "Dense 400->120 no bias"
    assert layer_name(MaxPool2D(2)) == "MaxPool2D 2x2"
    assert layer_name(AvgPool2D(3, stride=2, padding=1)) == "AvgPool2D 3x3 stride 2 padding 1"
    assert [layer_name(layer) for layer in (ReLU(), Flatten(), object())] == \
        ["ReLU", "Flatten", "object"]


def test_confusion_matrix_counts_pairs_like_a_loop():
    rng = np.random.default_rng(1)
    labels, pred = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    expected = np.zeros((4, 4), dtype=int)
    for t, p in zip(labels, pred):
        expected[t, p] += 1
    M = im.confusion_matrix(labels, pred, 4)
    np.testing.assert_array_equal(M, expected)
    assert M.sum() == 50 and np.trace(M) == np.sum(labels == pred)


def test_confusion_matrix_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match="must lie in"):
        im.confusion_matrix(np.array([0, 5]), np.array([0, 1]), 4)


def test_transform_digit_integer_shift_matches_shift_image():
    x = np.random.default_rng(2).random((28, 28)).astype(np.float32)
    for dy, dx in [(0, 0), (2, -3), (-5, 4)]:
        got = im.transform_digit(x, shift=(dy, dx))
        np.testing.assert_allclose(got, shift_image(x, dy, dx), atol=1e-6)
        assert got.dtype == np.float32


def test_transform_digit_quarter_turn_is_rot90():
    x = np.random.default_rng(3).random((9, 9))
    np.testing.assert_allclose(im.transform_digit(x, angle=90), np.rot90(x), atol=1e-9)
    np.testing.assert_allclose(im.transform_digit(x, angle=90, order=0), np.rot90(x))


def test_transform_digit_agrees_with_scipy_rotate():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = np.zeros((15, 15))
    x[4:11, 6:9] = 1.0
    ours = im.transform_digit(x, angle=30)
    ref = ndimage.rotate(x, 30, reshape=False, order=1, mode="constant", cval=0.0)
    assert np.abs(ours - ref).max() < 0.05


def test_edge_responses_tell_vertical_from_horizontal():
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    W = np.stack([sobel_x, sobel_x.T])[:, None]
    vert, horiz = im.edge_responses(W)
    assert vert[0] > 3 * horiz[0] and horiz[1] > 3 * vert[1]


def test_misclassified_returns_exactly_the_wrong_ones():
    from cnn_course.train import predict
    model = lenet5("modern", seed=0)
    x = np.random.default_rng(4).random((20, 1, 28, 28), dtype=np.float32)
    labels = np.arange(20) % 10
    idx, pred, conf = im.misclassified(model, x, labels)
    expected = np.flatnonzero(predict(model, x) != labels)
    np.testing.assert_array_equal(idx, expected)
    assert np.all(pred != labels[idx]) and np.all((conf > 0) & (conf <= 1))


def test_compare_models_measures_each_model():
    rng = np.random.default_rng(5)
    x = rng.random((40, 1, 28, 28), dtype=np.float32)
    y = np.arange(40) % 10
    rows, hist = im.compare_models(["dense"], (x, y), (x, y), epochs=1, batch_size=20)
    assert rows[0]["model"] == "dense" and rows[0]["params"] == 61755
    assert rows[0]["seconds"] > 0 and rows[0]["test_acc"] == hist["dense"].test_acc[-1]
