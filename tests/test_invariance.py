"""cnn_course.topics.invariance on cases whose answers are known by hand."""

import math

import numpy as np
import pytest

from cnn_course.topics.invariance import (ShiftStudy, edge_map, feature_change, fraction_changed,
                                   pooling_shift_study, shift_image, shift_table)

IDENTITY = np.array([[1.0]])  # a 1x1 kernel: the "feature map" is the image itself


def _spike(r, c, size=8, value=2.0):
    x = np.zeros((size, size))
    x[r, c] = value
    return x


def test_shift_image_moves_content_and_fills_with_zeros():
    x = np.arange(1, 10, dtype=float).reshape(3, 3)
    assert np.array_equal(shift_image(x, 0, 1), [[0, 1, 2], [0, 4, 5], [0, 7, 8]])
    assert np.array_equal(shift_image(x, -1, 0), [[4, 5, 6], [7, 8, 9], [0, 0, 0]])
    assert np.array_equal(shift_image(x, 1, -1), [[0, 0, 0], [2, 3, 0], [5, 6, 0]])


def test_shift_image_never_wraps_around_and_keeps_shape_and_dtype():
    x = np.ones((2, 1, 4, 5), dtype=np.float32)
    y = shift_image(x, 0, 2)
    assert y.shape == x.shape and y.dtype == np.float32
    assert y[..., :2].sum() == 0 and y[..., 2:].sum() == 2 * 4 * 3
    assert not shift_image(x, 4, 0).any() and not shift_image(x, 0, -9).any()


def test_shift_by_zero_is_a_copy():
    x = np.random.default_rng(0).standard_normal((3, 3))
    y = shift_image(x, 0, 0)
    assert np.array_equal(x, y) and y is not x


def test_shift_image_rejects_a_1d_array_and_float_shifts():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        shift_image(np.zeros(5), 0, 1)
    with pytest.raises(TypeError):
        shift_image(np.zeros((3, 3)), 0, 1.5)


def test_feature_change_known_values():
    a = np.array([3.0, 4.0])                                  # norm 5
    assert feature_change(a, a) == 0.0
    assert feature_change(a, np.zeros(2)) == 1.0
    assert feature_change(a, 2 * a) == pytest.approx(1.0)
    assert feature_change(a, np.array([3.0, 1.0])) == pytest.approx(3 / 5)
    assert feature_change(np.zeros(3), np.zeros(3)) == 0.0
    assert feature_change(np.zeros(2), a) == math.inf


def test_moving_a_spike_by_one_pixel_changes_it_by_sqrt2():
    assert feature_change(_spike(3, 3), _spike(3, 4)) == pytest.approx(math.sqrt(2))


def test_feature_change_rejects_different_shapes():
    with pytest.raises(ValueError, match="differ"):
        feature_change(np.zeros((2, 2)), np.zeros((2, 3)))


def test_fraction_changed_counts_entries():
    a = np.zeros(8)
    b = a.copy()
    b[:3] = 1.0
    assert fraction_changed(a, b) == pytest.approx(3 / 8)
    assert fraction_changed(a, a + 1e-9) == 0.0


def test_edge_map_is_a_valid_correlation_followed_by_relu():
    x = np.zeros((5, 5))
    x[:, 3:] = 1.0                       # dark left, bright right: a vertical edge
    k = np.array([[-1.0, 1.0]])           # brighter to the right -> positive
    y = edge_map(x, k)
    assert y.shape == (1, 1, 5, 4)
    assert np.array_equal(y[0, 0], np.tile([0, 0, 1, 0], (5, 1)))
    assert edge_map(1 - x, k).max() == 0          # the opposite edge is cut by ReLU
    assert edge_map(1 - x, k, relu=False).min() == -1


def test_pooling_shift_study_spike_inside_one_window_is_invariant():
    # The spike sits at column 2, the left column of the 2x2 window covering columns 2-3.
    # A shift of 1 keeps it in that window: the pooled features do not change at all, while
    # the feature map changes by sqrt(2). A shift of 2 moves it one window on: sqrt(2) again.
    study = pooling_shift_study(_spike(2, 2), IDENTITY, 2, [0, 1, 2])
    assert np.allclose(study.raw, [0, math.sqrt(2), math.sqrt(2)])
    assert np.allclose(study.max, [0, 0, math.sqrt(2)])
    assert np.allclose(study.avg, [0, 0, math.sqrt(2)])
    # stride-2 sampling keeps only even columns: the spike at column 3 is invisible
    assert study.strided[1] == pytest.approx(1.0)


def test_pooling_shift_study_spike_at_a_window_border_is_not_invariant():
    study = pooling_shift_study(_spike(2, 3), IDENTITY, 2, [1])   # column 3 -> column 4
    assert study.max[0] == pytest.approx(math.sqrt(2))
    assert study.avg[0] == pytest.approx(math.sqrt(2))


def test_pooling_shift_study_vertical_shift_and_pairs():
    study = pooling_shift_study(_spike(2, 2), IDENTITY, 2, [(1, 0), (1, 1)])
    assert study.shifts == [(1, 0), (1, 1)]
    assert np.allclose(study.max, [0, 0])       # rows 2-3 and columns 2-3: same window


def test_pooling_shift_study_averages_over_images():
    images = np.stack([_spike(2, 2), _spike(2, 3)])
    study = pooling_shift_study(images, IDENTITY, 2, [1])
    assert study.n_images == 2
    assert study.max[0] == pytest.approx(math.sqrt(2) / 2)


def test_avg_pooling_change_of_a_spread_feature_is_smaller_than_the_maps():
    # A 2-pixel-wide bar moved by one pixel: the feature map changes by 1 (one column leaves,
    # one arrives: sqrt(2)/sqrt(2)); 2x2 average pooling of the bar at columns 2-3 ->
    # columns 3-4 gives halves in two windows instead of one full window.
    x = np.zeros((8, 8))
    x[2:4, 2:4] = 1.0
    study = pooling_shift_study(x, IDENTITY, 2, [1])
    assert study.raw[0] == pytest.approx(1.0)
    # before: one window of mean 1; after: two windows of mean 0.5 -> ||(-0.5, 0.5)|| / 1
    assert study.avg[0] == pytest.approx(math.sqrt(0.5))
    assert study.max[0] == pytest.approx(1.0)   # both windows now hold a 1: one new entry


def test_pooling_shift_study_rejects_blank_images():
    with pytest.raises(ValueError, match="all zero"):
        pooling_shift_study(np.zeros((6, 6)), IDENTITY, 2, [1])


def test_shift_table_lists_every_study():
    studies = [pooling_shift_study(_spike(2, 2), IDENTITY, p, [0, 1]) for p in (2, 3)]
    table = shift_table(studies)
    lines = table.splitlines()
    assert "max 2x2" in lines[0] and "avg 3x3" in lines[0] and "map" in lines[0]
    assert len(lines) == 3
    assert isinstance(studies[0], ShiftStudy) and "feature map" in str(studies[0])


def test_equivariance_agreement_counts_the_positions_where_shifting_commutes():
    from cnn_course.topics.invariance import equivariance_agreement

    rng = np.random.default_rng(3)
    K = rng.normal(size=(3, 2))
    blank_margin = np.zeros((12, 11))
    blank_margin[3:7, 3:6] = rng.normal(size=(4, 3))
    assert equivariance_agreement(blank_margin, K, 2, 1) == (10 * 10, 10 * 10)
    full = rng.normal(size=(9, 8)) + 0.5
    agree, total = equivariance_agreement(full, K, 2, -1)
    assert total == 7 * 7 and agree < total          # content pushed out at the border
    # brute force: every position compared by hand
    y = np.array([[np.sum(full[i:i + 3, j:j + 2] * K) for j in range(7)] for i in range(7)])
    shifted = np.zeros_like(full)
    shifted[2:, :-1] = full[:-2, 1:]
    y_s = np.array([[np.sum(shifted[i:i + 3, j:j + 2] * K) for j in range(7)]
                    for i in range(7)])
    y_then = np.zeros_like(y)
    y_then[2:, :-1] = y[:-2, 1:]
    assert agree == int(np.isclose(y_s, y_then).sum())
    with pytest.raises(ValueError, match=r"must be 2-D, got shapes \(1, 9, 8\)"):
        equivariance_agreement(full[None], K, 1, 1)


def test_distinct_responses_counts_the_kinds_of_position_a_layer_tells_apart():
    from cnn_course.layers import Conv2D
    from cnn_course.topics.invariance import distinct_responses

    layer = Conv2D.create(2, 4, 3, padding=1, rng=np.random.default_rng(0))
    ones = np.ones((1, 2, 7, 6), dtype=np.float32)
    # zero padding: inside, four edges, four corners
    assert distinct_responses(layer, ones) == 9
    no_padding = Conv2D.create(2, 4, 3, padding=0, rng=np.random.default_rng(0))
    assert distinct_responses(no_padding, ones) == 1
    ramp = np.arange(2 * 5 * 4, dtype=np.float32).reshape(1, 2, 5, 4)
    assert distinct_responses(no_padding, ramp) == 3 * 2
    with pytest.raises(ValueError, match=r"shape \(1, C, H, W\), got \(2, 2, 7, 6\)"):
        distinct_responses(layer, np.ones((2, 2, 7, 6)))
