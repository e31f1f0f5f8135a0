"""Receptive fields and padding helpers agree with brute force through real conv2d calls."""

import math

import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course.topics.receptive_field import RFLayer, full_padding, receptive_field, same_padding


def _impulse_responses(specs, length):
    """Run `length` one-hot inputs (one per batch item) through a 1-D stack of conv2d calls.

    Returns y of shape (length, OL): y[n, i] != 0 exactly when input pixel n influences
    output pixel i (the weights are positive, so nothing cancels).
    """
    rng = np.random.default_rng(0)
    x = np.eye(length).reshape(length, 1, length, 1)
    for k, s, d in specs:
        W = rng.uniform(0.5, 1.5, size=(1, 1, k, 1))
        x = F.conv2d(x, W, stride=(s, 1), dilation=(d, 1))
    return x[:, 0, :, 0]


def _brute_force(specs, length=160):
    """(size, jump) of the last layer: the span of output 0's inputs, and how far output 1's
    span starts after it."""
    y = _impulse_responses(specs, length)
    assert y.shape[1] >= 2, "input too short for this stack"
    first, second = np.flatnonzero(y[:, 0]), np.flatnonzero(y[:, 1])
    return int(first[-1] - first[0] + 1), int(second[0] - first[0])


STACKS = {
    "five 3x3 convs": [(3, 1, 1)] * 5,
    "3x3 convs with 2x2 stride-2 pools": [(3, 1, 1), (3, 1, 1), (2, 2, 1)] * 3,
    "dilated 3x3, dilation 1, 2, 4, 8": [(3, 1, 1), (3, 1, 2), (3, 1, 4), (3, 1, 8)],
    "LeNet-like 5x5 convs and pools": [(5, 1, 1), (2, 2, 1), (5, 1, 1), (2, 2, 1)],
    "strided and even kernels": [(4, 2, 1), (3, 3, 1), (2, 1, 2), (5, 2, 1)],
}


@pytest.mark.parametrize("name", list(STACKS))
def test_every_layer_matches_impulses_through_conv2d(name):
    specs = STACKS[name]
    got = receptive_field(specs)
    for depth in range(1, len(specs) + 1):
        size, jump = _brute_force(specs[:depth])
        assert (got[depth - 1].size, got[depth - 1].jump) == (size, jump), (name, depth)


def test_random_stacks_match_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(20):
        depth = int(rng.integers(1, 5))
        specs = [(int(rng.integers(1, 5)), int(rng.integers(1, 3)), int(rng.integers(1, 3)))
                 for _ in range(depth)]
        last = receptive_field(specs)[-1]
        assert (last.size, last.jump) == _brute_force(specs), specs


def test_returns_one_record_per_layer_with_its_spec():
    out = receptive_field([3, (2, 2), (3, 1, 2)])
    assert [tuple(r[:3]) for r in out] == [(3, 1, 1), (2, 2, 1), (3, 1, 2)]
    assert all(isinstance(r, RFLayer) for r in out)
    assert receptive_field([]) == []


def test_layer_objects_and_pairs_are_read_per_axis():
    class Pool:  # a pooling layer: stride defaults to the kernel size
        kernel_size, stride = 2, None

    class Conv:
        kernel_size, stride, dilation = (3, 5), (1, 2), 1

    assert [r.size for r in receptive_field([Conv(), Pool()], axis=0)] == \
        [r.size for r in receptive_field([(3, 1), (2, 2)])]
    assert [r.jump for r in receptive_field([Conv(), Pool()], axis=1)] == \
        [r.jump for r in receptive_field([(5, 2), (2, 2)])]


def test_engine_layers_are_read_from_their_filters_and_strides():
    from cnn_course import layers as L

    rng = np.random.default_rng(0)
    stack = [L.Conv2D(rng.standard_normal((2, 1, 5, 3)), stride=(1, 2)), L.ReLU(),
             L.MaxPool2D(2), L.Conv2D(rng.standard_normal((2, 2, 3, 3)), dilation=2)]
    assert receptive_field(stack, axis=0) == receptive_field([(5, 1), 1, (2, 2), (3, 1, 2)])
    assert receptive_field(stack, axis=1) == receptive_field([(3, 2), 1, (2, 2), (3, 1, 2)])
    with pytest.raises(ValueError, match="Flatten"):
        receptive_field([L.Flatten()])


def test_bad_specs_raise_with_the_layer_index():
    with pytest.raises(ValueError, match="layer 1"):
        receptive_field([(3, 1), (3, 1, 1, 1)])
    with pytest.raises(ValueError, match="stride of layer 0"):
        receptive_field([(3, 0)])
    with pytest.raises(TypeError, match="layer 0"):
        receptive_field(["conv"])
    with pytest.raises(ValueError, match="axis"):
        receptive_field([3], axis=2)


def _tf_same_split(n, k, d):
    """TensorFlow's documented SAME rule at stride 1, written independently:
    pad_along = max(effective_k - 1, 0); pad_before = pad_along // 2, the rest after."""
    eff = (k - 1) * d + 1
    pad_along = max((math.ceil(n / 1) - 1) * 1 + eff - n, 0)
    return pad_along // 2, pad_along - pad_along // 2


@pytest.mark.parametrize("k", range(1, 8))
@pytest.mark.parametrize("d", [1, 2, 3])
def test_same_padding_keeps_the_size_through_conv2d(k, d):
    rng = np.random.default_rng(k * 10 + d)
    x = rng.standard_normal((1, 1, 9, 11))
    W = rng.standard_normal((1, 1, k, k))
    pads = same_padding(k, dilation=d)
    y = F.conv2d(F.pad2d(x, pads), W, dilation=d)
    assert y.shape == x.shape
    assert pads[0] == pads[1] == _tf_same_split(9, k, d)


def test_even_kernel_puts_the_extra_row_at_the_bottom_and_right():
    (top, bottom), (left, right) = same_padding((4, 2))
    assert (top, bottom, left, right) == (1, 2, 0, 1)
    # output pixel (0, 0) of a 4x4 window sees input rows -1..2: one padded row above.
    x = np.zeros((1, 1, 6, 6))
    x[0, 0, 2, 0] = 1.0
    W = np.zeros((1, 1, 4, 4))
    W[0, 0, 3, 1] = 1.0  # last kernel row, column `left` (the centre-ish tap)
    y = F.conv2d(F.pad2d(x, same_padding(4)), W)
    assert y[0, 0, 0, 0] == 1.0  # row 0 + 3 - top = 2 is the impulse


@pytest.mark.parametrize("k", range(1, 6))
def test_full_padding_gives_every_overlap(k):
    H = 7
    pads = full_padding(k)
    y = _impulse_responses([(k, 1, 1)], H)  # valid: (H, H-k+1); full widens it
    x = np.eye(H).reshape(H, 1, H, 1)
    yf = F.conv2d(F.pad2d(x, (pads[0], (0, 0))), np.ones((1, 1, k, 1)))[:, 0, :, 0]
    assert yf.shape == (H, H + k - 1) and y.shape == (H, H - k + 1)
    # every input pixel reaches exactly k outputs; the corner outputs see one input pixel
    assert ((yf != 0).sum(axis=1) == k).all()
    assert (yf[:, 0] != 0).sum() == 1 and (yf[:, -1] != 0).sum() == 1


def test_padding_helpers_validate():
    assert full_padding((3, 2), dilation=(1, 2)) == ((2, 2), (2, 2))
    with pytest.raises(ValueError, match="kernel_size"):
        same_padding(0)
    with pytest.raises(TypeError, match="dilation"):
        same_padding(3, dilation=1.5)
