"""Reference solutions for chapter 6 (LeNet), and the known wrong answers.

The book shows these functions and values with ``literalinclude``; the lists at the bottom
are the realistic mistakes the checkers in ``ch06`` must recognise.
"""

import numpy as np

from cnn_course.exercises.core import Mistake
from cnn_course.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sigmoid

__all__ = ["LENET_SHAPES", "build_lenet_modern", "train_epoch", "train_epoch_as_given",
           "augment_shift", "LENET_SHAPES_MISTAKES", "BUILD_MISTAKES", "TRAIN_MISTAKES",
           "AUGMENT_MISTAKES"]

#: LeNet-5 (classic) on a 28x28 MNIST digit: (shape after conv1 as (C, H, W), shape after the
#: second pooling layer, length of the flattened vector, total parameters with biases)
LENET_SHAPES = ((6, 28, 28), (16, 5, 5), 400, 61706)


def build_lenet_modern(seed=0):
    """Return the list of layers of the modern LeNet-5 for 1x28x28 images."""
    rng = np.random.default_rng(seed)
    return [
        Conv2D.create(1, 6, 5, padding=2, rng=rng), ReLU(), MaxPool2D(2, stride=2),
        Conv2D.create(6, 16, 5, rng=rng), ReLU(), MaxPool2D(2, stride=2),
        Flatten(),
        Dense.create(16 * 5 * 5, 120, rng=rng), ReLU(),
        Dense.create(120, 84, rng=rng), ReLU(),
        Dense.create(84, 10, rng=rng),
    ]


def train_epoch(model, x, labels, *, lr, batch_size, rng):
    """One epoch of plain SGD; return the list of mini-batch losses."""
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = model.loss(x[idx], labels[idx])
        model.backward()
        for name, p in model.params.items():
            p -= lr * model.grads[name]
        losses.append(loss)
    return losses


def train_epoch_as_given(model, x, labels, *, lr, batch_size, rng):
    """One epoch of plain SGD; return the list of mini-batch losses."""
    # The starting code of the find-the-bug exercise, exactly as the notebook's cell gives it
    # (tests/test_exercises.py checks that they agree). The checker answers "to do" while the
    # learner's function still has this code: the bug is the labels' slice.
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = model.loss(x[idx], labels[start:start + batch_size])
        model.backward()
        for name, p in model.params.items():
            p -= lr * model.grads[name]
        losses.append(loss)
    return losses


def augment_shift(x, rng, max_shift=2):
    """Shift every image of x (N, C, H, W) by its own random (dy, dx), filling with zeros."""
    N, _, H, W = x.shape
    out = np.zeros_like(x)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(N, 2))
    for n, (dy, dx) in enumerate(shifts):
        out[n, :, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
            x[n, :, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


# -- known wrong answers ---------------------------------------------------------------------

LENET_SHAPES_MISTAKES = [
    Mistake(((6, 28, 28), (16, 5, 5), 400, 61470), expect="bias",
            why="counted only the weights: 236 biases missing"),
    Mistake(((6, 24, 24), (16, 4, 4), 256, 44426), expect="padding",
            why="forgot padding=2 of the first convolution"),
    Mistake(((6, 28, 28), (16, 5, 5), 25, 61706 - 375 * 120), expect="channels",
            why="flattened one 5x5 map instead of 16 of them"),
    Mistake(((6, 32, 32), (16, 6, 6), 576, 61706 + 176 * 120), expect="padding",
            why="added the padding to the output size (32x32 is the padded input, not the output)"),
]


def _modern_with(conv1_padding=2, act=ReLU, pool_stride=2, flat=400, seed=0):
    rng = np.random.default_rng(seed)
    return [
        Conv2D.create(1, 6, 5, padding=conv1_padding, rng=rng), act(),
        MaxPool2D(2, stride=pool_stride),
        Conv2D.create(6, 16, 5, rng=rng), act(), MaxPool2D(2, stride=pool_stride),
        Flatten(),
        Dense.create(flat, 120, rng=rng), act(),
        Dense.create(120, 84, rng=rng), act(),
        Dense.create(84, 10, rng=rng),
    ]


def _no_padding(seed=0):
    return _modern_with(conv1_padding=0, flat=256, seed=seed)


def _sigmoid(seed=0):
    return _modern_with(act=Sigmoid, seed=seed)


def _wrong_flatten(seed=0):
    return _modern_with(flat=16 * 4 * 4, seed=seed)


def _pool_stride_1(seed=0):
    return _modern_with(pool_stride=1, flat=16 * 22 * 22, seed=seed)


BUILD_MISTAKES = [
    Mistake(_no_padding, expect="padding=2", why="Conv2D.create(1, 6, 5) without padding"),
    Mistake(_sigmoid, expect="ReLU", why="the classic sigmoid activations"),
    Mistake(_wrong_flatten, expect="16 * 5 * 5", why="Dense(256, 120) after Flatten"),
    Mistake(_pool_stride_1, expect="stride", why="MaxPool2D(2, stride=1)"),
]


def _no_backward(model, x, labels, *, lr, batch_size, rng):
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = model.loss(x[idx], labels[idx])
        for name, p in model.params.items():
            p -= lr * model.grads[name]
        losses.append(loss)
    return losses


def _uphill(model, x, labels, *, lr, batch_size, rng):
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = model.loss(x[idx], labels[idx])
        model.backward()
        for name, p in model.params.items():
            p += lr * model.grads[name]
        losses.append(loss)
    return losses


def _labels_not_shuffled(model, x, labels, *, lr, batch_size, rng):
    # An attempt that rewrote the loop but kept the bug: the labels are not shuffled with x.
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(x), batch_size):
        xb = x[order[start:start + batch_size]]
        yb = labels[start:start + batch_size]
        losses.append(model.loss(xb, yb))
        model.backward()
        for name, p in model.params.items():
            p -= lr * model.grads[name]
    return losses


TRAIN_MISTAKES = [
    Mistake(_no_backward, expect="backward", why="no model.backward(): the gradients stay zero"),
    Mistake(_uphill, expect="uphill", why="p += lr * grad climbs the loss"),
    Mistake(_labels_not_shuffled, expect="labels", why="x shuffled but labels taken in order"),
]


def _roll(x, rng, max_shift=2):
    out = np.empty_like(x)
    for n in range(len(x)):
        dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
        out[n] = np.roll(x[n], (dy, dx), axis=(-2, -1))
    return out


def _same_shift(x, rng, max_shift=2):
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
    out = np.zeros_like(x)
    H, W = x.shape[-2:]
    out[..., max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        x[..., max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


def _too_far(x, rng, max_shift=2):
    return augment_shift(x, rng, max_shift=2 * max_shift)


def _float64(x, rng, max_shift=2):
    return augment_shift(x, rng, max_shift).astype(np.float64)


AUGMENT_MISTAKES = [
    Mistake(_roll, expect="wrap", why="np.roll moves the pixels leaving one edge to the other"),
    Mistake(_same_shift, expect="same shift", why="one (dy, dx) for the whole batch"),
    Mistake(_too_far, expect="max_shift", why="shifts up to 2 * max_shift"),
    Mistake(_float64, expect="dtype", why="converted the float32 batch to float64"),
]
