"""Reference solutions for chapter 6 (LeNet), and the known wrong answers.

The book shows these functions and values in the solution dropdowns (``solution(id)`` prints
the same code); the lists at the bottom are the realistic mistakes the checkers in ``ch06``
recognise, each with the message it earns.
"""

import numpy as np

from cnn_course.exercises.core import Mistake
from cnn_course.layers import AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sigmoid
from cnn_course.optim import SGD, Adam
from cnn_course.train import fit

__all__ = ["lenet_shapes", "build_lenet_modern", "train_epoch", "train_epoch_as_given",
           "augment_shift", "overfit_small", "LENET_SHAPES_MISTAKES", "BUILD_MISTAKES",
           "TRAIN_MISTAKES", "AUGMENT_MISTAKES", "OVERFIT_MISTAKES"]

# The LeNet-style network of exercise 6.1 on a 3x32x32 colour image: (shape after conv1 as
# (C, H, W), shape after the second pooling layer, length of the flattened vector, total
# parameters with biases). conv1 3->8 3x3 padding 1: 32 stays 32; pool: 16; conv2 8->16 5x5:
# 12; pool: 6; 16 * 6 * 6 = 576; 224 + 3,216 + 69,240 + 10,164 + 850 parameters.
lenet_shapes = ((8, 32, 32), (16, 6, 6), 576, 83694)


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


def overfit_small(model, x, labels):
    """Train model, in place, until it classifies every image of (x, labels) correctly."""
    fit(model, (x, labels), epochs=15, batch_size=10, optimizer=Adam(lr=1e-3),
        progress=False)


# -- known wrong answers ---------------------------------------------------------------------

# ch6-lenet-shapes: each wrong answer is judged at its first wrong part (a, b, c or d), so its
# message is about that part's cause.
LENET_SHAPES_MISTAKES = [
    Mistake(((6, 28, 28), (16, 5, 5), 400, 61706),
            "Those are the classic LeNet's numbers on a 1x28x28 MNIST digit (section 6.1). "
            "This network is another one: 3 colour channels of 32x32, 8 filters of 3x3 with "
            "padding 1 in conv1, then 16 filters of 5x5. Apply the output-size formula to it.",
            why="copied the classic LeNet's summary"),
    Mistake(((8, 30, 30), (16, 5, 5), 400, 62574),
            "That is 32 - 3 + 1 = 30: conv1 has padding=1, and (32 + 2*1 - 3) + 1 keeps the "
            "size at 32.",
            why="forgot conv1's padding"),
    Mistake(((8, 34, 34), (16, 6, 6), 576, 83694),
            "34 = 32 + 2*1 is the padded input; the 3x3 kernel then takes 2 away: "
            "(32 + 2*1 - 3) + 1.",
            why="gave the padded input size as the output"),
    Mistake(((32, 32, 8), (6, 6, 16), 576, 83694),
            "The course writes shapes channels first, (C, H, W): 8 maps of some H x W.",
            why="channels last"),
    Mistake(((8, 32, 32), (16, 12, 12), 2304, 83694 + 1728 * 120),
            "That is the output of conv2; the second 2x2 pooling layer (stride 2) halves it.",
            why="stopped at conv2, before its pooling"),
    Mistake(((8, 32, 32), (16, 7, 7), 784, 106606),
            "A 7x7 map comes from a 3x3 conv2 (16 - 3 + 1 = 14, pooled to 7). conv2 has 5x5 "
            "filters: 16 - 5 + 1, then the pooling halves it.",
            why="used conv1's 3x3 kernel for conv2 too"),
    Mistake(((8, 32, 32), (8, 6, 6), 288, 83694 - 288 * 120),
            "After conv2 there are as many maps as conv2 has filters (16), not conv1's 8.",
            why="kept conv1's channel count after conv2"),
    Mistake(((8, 32, 32), (16, 6, 6), 36, 83694 - 540 * 120),
            "36 = 6 * 6 is one map: Flatten keeps every channel, C * H * W.",
            why="flattened one map"),
    Mistake(((8, 32, 32), (16, 6, 6), 576, 83694 - 238),
            "That counts the weights only: every filter and every dense unit also has one "
            "bias (8 + 16 + 120 + 84 + 10 of them).",
            why="left out the biases"),
    Mistake(((8, 32, 32), (16, 6, 6), 576, 83694 - 144),
            "conv1's filters see all 3 colour channels: each has 3 * 3 * 3 weights, not 3 * 3.",
            why="conv1 counted with one input channel"),
]


def _build_with(seed=0, *, kernel1=5, padding1=2, act=lambda: ReLU(), pool=MaxPool2D,
                pool_stride=2, flat=400, rng_for=None, last_act=False):
    """A twelve-layer network like the reference, with one thing changed (for the mistakes)."""
    rng = np.random.default_rng(seed) if rng_for is None else None

    def r():
        return rng if rng_for is None else rng_for(seed)

    layers = [
        Conv2D.create(1, 6, kernel1, padding=padding1, rng=r()), act(),
        pool(2, stride=pool_stride),
        Conv2D.create(6, 16, 5, rng=r()), act(), pool(2, stride=pool_stride),
        Flatten(),
        Dense.create(flat, 120, rng=r()), act(),
        Dense.create(120, 84, rng=r()), act(),
        Dense.create(84, 10, rng=r()),
    ]
    return layers + ([act()] if last_act else [])


def _no_padding(seed=0):
    return _build_with(seed, padding1=0, flat=16 * 4 * 4)


def _sigmoid(seed=0):
    return _build_with(seed, act=lambda: Sigmoid())


def _avg_pool(seed=0):
    return _build_with(seed, pool=AvgPool2D)


def _relu_class(seed=0):
    return _build_with(seed, act=lambda: ReLU)      # ReLU without (): the class, not a layer


def _conv1_3x3(seed=0):
    return _build_with(seed, kernel1=3, padding1=1)


def _wrong_flatten(seed=0):
    return _build_with(seed, flat=16 * 4 * 4)


def _pool_stride_1(seed=0):
    return _build_with(seed, pool_stride=1, flat=16 * 22 * 22)


def _relu_on_logits(seed=0):
    return _build_with(seed, last_act=True)


def _no_rng(seed=0):
    return _build_with(seed, rng_for=lambda s: None)              # fresh randomness per build


def _fixed_seed(seed=0):
    return _build_with(0)                                         # seed ignored: always 0


def _rng_per_layer(seed=0):
    return _build_with(seed, rng_for=lambda s: s)                 # rng=seed in every create


BUILD_MISTAKES = [
    Mistake(_no_padding,
            "conv1 has no padding, so the 28x28 digit shrinks to 24x24 and the 400 inputs of "
            "the first Dense no longer fit: Conv2D.create(1, 6, 5, padding=2, ...) keeps it "
            "28x28.",
            why="Conv2D.create(1, 6, 5) without padding"),
    Mistake(_sigmoid,
            "layer 1 is a Sigmoid: the modern LeNet uses ReLU() after every convolution and "
            "every hidden Dense (the sigmoid belongs to the 1998 classic).",
            why="the classic sigmoid activations"),
    Mistake(_avg_pool,
            "layer 2 is AvgPool2D: the modern LeNet uses max pooling, MaxPool2D(2, stride=2) "
            "(average pooling belongs to the 1998 classic).",
            why="average pooling"),
    Mistake(_relu_class,
            "layer 1 is the class ReLU, not a ReLU layer: `ReLU` without parentheses names "
            "the class, `ReLU()` makes the layer. Write ReLU() at every activation.",
            why="ReLU without ()"),
    Mistake(_conv1_3x3,
            "layer 0's filters are 3x3 (shape (6, 1, 3, 3)): LeNet's convolutions are 5x5, "
            "Conv2D.create(1, 6, 5, padding=2, ...). (With padding 1 a 3x3 kernel keeps the "
            "shapes LeNet has, but not its 156 parameters.)",
            why="3x3 kernels with padding 1 in conv1"),
    Mistake(_wrong_flatten,
            "the first Dense takes 256 inputs, but Flatten gives 16 * 5 * 5 = 400 (the maps "
            "are 5x5 after the second pooling): Dense.create(400, 120, ...).",
            why="Dense(256, 120) after Flatten"),
    Mistake(_pool_stride_1,
            "the pooling layers do not halve the size: MaxPool2D(2, stride=1) moves one pixel "
            "at a time (28 -> 27). LeNet pools with MaxPool2D(2, stride=2).",
            why="MaxPool2D(2, stride=1)"),
    Mistake(_relu_on_logits,
            "there is a ReLU after the last Dense: the 10 class scores (logits) go to the loss "
            "as they are, negative ones included, so the network ends with Dense(84, 10).",
            why="an activation after the output layer"),
    Mistake(_no_rng,
            "two builds with seed=0 gave different weights: the creates do not get the "
            "generator, so each draws fresh randomness. Pass rng=rng to every Conv2D.create "
            "and Dense.create.",
            why="create(...) without rng"),
    Mistake(_fixed_seed,
            "seed=0 and seed=1 gave the same weights: the generator does not come from the "
            "seed argument. Build it with rng = np.random.default_rng(seed).",
            why="a hard-coded default_rng(0)"),
    Mistake(_rng_per_layer,
            "every layer restarts the same random numbers (rng=seed in each create makes a new "
            "generator from the same seed), so the layers' weights are copies of one another, "
            "scaled. Make one rng = np.random.default_rng(seed) and pass that same rng to "
            "every create.",
            why="rng=seed in every create"),
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


def _rebind(model, x, labels, *, lr, batch_size, rng):
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = model.loss(x[idx], labels[idx])
        model.backward()
        for name, p in model.params.items():
            p = p - lr * model.grads[name]          # a new array, bound to the name p only
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


def _shuffle_every_batch(model, x, labels, *, lr, batch_size, rng):
    losses = []
    for start in range(0, len(x), batch_size):
        order = rng.permutation(len(x))                # a new order for every batch
        idx = order[start:start + batch_size]
        loss = model.loss(x[idx], labels[idx])
        model.backward()
        for name, p in model.params.items():
            p -= lr * model.grads[name]
        losses.append(loss)
    return losses


def _double_update(model, x, labels, *, lr, batch_size, rng):
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = model.loss(x[idx], labels[idx])
        model.backward()
        for name, p in model.params.items():
            p -= lr * model.grads[name]
        for name, p in model.params.items():           # the update pasted twice
            p -= lr * model.grads[name]
        losses.append(loss)
    return losses


def _momentum(model, x, labels, *, lr, batch_size, rng):
    order = rng.permutation(len(x))
    losses = []
    velocity = {name: np.zeros_like(p) for name, p in model.params.items()}
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = model.loss(x[idx], labels[idx])
        model.backward()
        for name, p in model.params.items():
            velocity[name] = 0.9 * velocity[name] - lr * model.grads[name]
            p += velocity[name]
        losses.append(loss)
    return losses


def _drop_last_batch(model, x, labels, *, lr, batch_size, rng):
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(x) - batch_size + 1, batch_size):
        idx = order[start:start + batch_size]
        loss = model.loss(x[idx], labels[idx])
        model.backward()
        for name, p in model.params.items():
            p -= lr * model.grads[name]
        losses.append(loss)
    return losses


def _global_random(model, x, labels, *, lr, batch_size, rng):
    order = np.random.permutation(len(x))             # ignores the rng it was given
    losses = []
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        loss = model.loss(x[idx], labels[idx])
        model.backward()
        for name, p in model.params.items():
            p -= lr * model.grads[name]
        losses.append(loss)
    return losses


TRAIN_MISTAKES = [
    Mistake(_no_backward,
            "the parameters never changed, and the gradients are still zero: nothing calls "
            "model.backward(). Call it after model.loss(...) and before the update.",
            why="no model.backward(): the gradients stay zero"),
    Mistake(_rebind,
            "the gradients were computed but the parameters never changed: `p = p - lr * g` "
            "makes a new array and binds it to the loop variable p only; the model keeps its "
            "old array. Update in place: `p -= lr * model.grads[name]`.",
            why="p = p - lr * grad rebinds instead of updating in place"),
    Mistake(_uphill,
            "the loss goes uphill: `p += lr * grad` climbs the loss. Gradient descent "
            "subtracts: p -= lr * grad.",
            why="p += lr * grad climbs the loss"),
    Mistake(_labels_not_shuffled,
            "each batch's images x[idx] are paired with labels[start:stop], labels of other "
            "images: the images are shuffled, the labels are not. Pick both with the same "
            "indices, labels[idx].",
            why="x shuffled but labels taken in order"),
    Mistake(_shuffle_every_batch,
            "a new permutation is drawn for every batch, so some images come twice in an epoch "
            "and others never. Shuffle once, before the loop, and walk through that one order.",
            why="rng.permutation inside the loop"),
    Mistake(_double_update,
            "every step moves the parameters twice as far as plain SGD: the update runs twice "
            "per batch. Subtract lr * grad once per parameter and batch.",
            why="the update loop pasted twice"),
    Mistake(_momentum,
            "this is SGD with momentum (a velocity that remembers earlier steps), not plain "
            "SGD: each step should be p -= lr * grad and nothing else.",
            why="momentum added"),
    Mistake(_drop_last_batch,
            "the last, smaller batch is left out: 30 images in batches of 8 make 4 batches, the "
            "last one of 6. `range(0, len(x), batch_size)` visits it; x[idx] with a shorter idx "
            "just works.",
            why="range stops before the partial batch"),
    Mistake(_global_random, "np.random", rule=True,
            why="np.random.permutation instead of the given rng"),
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


def _shift_each(x, shifts):
    """x with image n shifted by shifts[n] = (dy, dx), or by shifts[n, c] per channel."""
    out = np.zeros_like(x)
    H, W = x.shape[-2:]
    for n in range(len(x)):
        for c in range(x.shape[1]):
            dy, dx = shifts[n, c] if np.ndim(shifts) == 3 else shifts[n]
            out[n, c, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
                x[n, c, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


def _per_channel(x, rng, max_shift=2):
    N, C = x.shape[:2]
    return _shift_each(x, rng.integers(-max_shift, max_shift + 1, size=(N, C, 2)))


def _exclusive_high(x, rng, max_shift=2):
    return _shift_each(x, rng.integers(-max_shift, max_shift, size=(len(x), 2)))


def _diagonal(x, rng, max_shift=2):
    s = rng.integers(-max_shift, max_shift + 1, size=len(x))
    return _shift_each(x, np.stack([s, s], axis=1))


def _fixed_cycle(x, rng, max_shift=2):
    offsets = np.arange(-max_shift, max_shift + 1)
    grid = np.array([(dy, dx) for dy in offsets for dx in offsets])
    return _shift_each(x, grid[np.arange(len(x)) % len(grid)])


def _global_random_shift(x, rng, max_shift=2):
    return _shift_each(x, np.random.randint(-max_shift, max_shift + 1, size=(len(x), 2)))


def _too_far(x, rng, max_shift=2):
    return augment_shift(x, rng, max_shift=2 * max_shift)


def _float64(x, rng, max_shift=2):
    return augment_shift(x, rng, max_shift).astype(np.float64)


AUGMENT_MISTAKES = [
    Mistake(_roll,
            "the pixels that leave one edge come back in at the other (np.roll wraps around). "
            "A shifted digit has empty (zero) borders: start from np.zeros_like(x) and copy "
            "the part that stays inside the frame.",
            why="np.roll moves the pixels leaving one edge to the other"),
    Mistake(_same_shift,
            "all the images moved by the same (dy, dx): one offset was drawn for the whole "
            "batch. Draw one offset per image, e.g. rng.integers(..., size=(N, 2)).",
            why="one (dy, dx) for the whole batch"),
    Mistake(_per_channel,
            "the channels of one image moved by different offsets, which tears the image apart "
            "(the red, green and blue of a colour image no longer line up). Draw one (dy, dx) "
            "per image and shift all its channels together, x[n, :, ...].",
            why="a separate shift for every channel"),
    Mistake(_exclusive_high,
            "no image moved by +max_shift: rng.integers(low, high) never returns high (the "
            "upper bound is exclusive). Use rng.integers(-max_shift, max_shift + 1, ...).",
            why="rng.integers(-max_shift, max_shift)"),
    Mistake(_diagonal,
            "every image moved by dy == dx, only along the diagonal: one number was drawn per "
            "image and used for both directions. Draw dy and dx separately, size=(N, 2).",
            why="the same number for dy and dx"),
    Mistake(_fixed_cycle,
            "the shifts walk through a fixed cycle, (-2, -2), (-2, -1), ..., the same for every "
            "generator: nothing is random. Draw them from the rng you are given.",
            why="a fixed cycle of shifts"),
    Mistake(_global_random_shift, "the given rng", rule=True,
            why="np.random.randint instead of the given rng"),
    Mistake(_too_far,
            "some images moved farther than max_shift: the offsets must lie in -max_shift, ..., "
            "max_shift.",
            why="shifts up to 2 * max_shift"),
    Mistake(_float64,
            "the shifts are right but the result is float64 while x is float32: keep the "
            "input's dtype, e.g. out = np.zeros_like(x).",
            why="converted the float32 batch to float64"),
]


def _chapter_settings(model, x, labels):
    fit(model, (x, labels), epochs=3, batch_size=128, optimizer=Adam(lr=1e-3),
        progress=False)


def _lr_too_large(model, x, labels):
    fit(model, (x, labels), epochs=15, batch_size=10, optimizer=Adam(lr=0.1),
        progress=False)


def _sgd_tiny_lr(model, x, labels):
    fit(model, (x, labels), epochs=15, batch_size=10, optimizer=SGD(lr=1e-4),
        progress=False)


def _new_model(model, x, labels):
    from cnn_course.models import lenet5
    model = lenet5("modern", seed=0)
    fit(model, (x, labels), epochs=15, batch_size=10, optimizer=Adam(lr=1e-3),
        progress=False)


def _labels_shuffled(model, x, labels):
    mixed = np.random.default_rng(0).permutation(labels)
    fit(model, (x, mixed), epochs=15, batch_size=10, optimizer=Adam(lr=1e-3),
        progress=False)


OVERFIT_MISTAKES = [
    Mistake(_chapter_settings,
            "with 100 images and batch_size=128 an epoch is a single optimiser step, so 3 "
            "epochs are 3 steps: far too few. Take small batches (about 10 images, so 10 steps "
            "per epoch) and tens of epochs.",
            why="the chapter's settings: 3 epochs of batch 128"),
    Mistake(_lr_too_large,
            "the learning rate 0.1 is far too large for Adam: the steps overshoot and the "
            "network ends up worse than it started. Adam's usual 1e-3 works here.",
            why="Adam(lr=0.1)"),
    Mistake(_sgd_tiny_lr,
            "plain SGD with lr=1e-4 barely moves the weights in 150 steps: the loss is still "
            "near ln 10, a uniform guess. Use a much larger step (SGD around 0.05) or Adam with "
            "lr=1e-3.",
            why="SGD(lr=1e-4)"),
    Mistake(_new_model,
            "the model you were given did not change: your function trains a model of its own. "
            "Train the `model` argument in place (fit and the optimisers update its arrays).",
            why="built and trained a new model"),
    Mistake(_labels_shuffled,
            "the network fits its training labels but they are not the images' labels: the "
            "labels were shuffled apart from the images. Train on (x, labels) as given.",
            why="labels permuted apart from the images"),
]
