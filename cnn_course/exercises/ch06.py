"""Checkers for chapter 6 (LeNet).

- ch6-lenet-shapes: the shapes through classic LeNet-5 on MNIST and its parameter count
- ch6-build-lenet: build the modern LeNet-5 from layers (shapes, layer kinds, parameter counts)
- ch6-train-step: find the bug in a training epoch (losses and updated parameters vs reference);
  the starting code is buggy, not a stub, so the checker answers "to do" while it is unchanged
- ch6-augment-shift: random 2-pixel shifts for data augmentation (zero fill, per image, range)
"""

import numpy as np

from cnn_course.exercises import ch06_solutions as sol
from cnn_course.exercises.core import (NotAttempted, call, exercise, expect_value, fail,
                                       same_code)
from cnn_course.topics.invariance import shift_image
from cnn_course.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from cnn_course.models import Sequential, count_params, summary

__all__ = ["check_lenet_shapes", "check_build_lenet", "check_train_step", "check_augment_shift"]


# -- ch6-lenet-shapes --------------------------------------------------------------------------

@exercise("ch6-lenet-shapes", title="LeNet's shapes and parameters",
          hints=(
              "Follow one digit through the network layer by layer with the output-size "
              "formula; then count the parameters of the layers that have weights: the two "
              "convolutions and the three dense layers.",
              "Output size: (H + 2P - F) // S + 1. conv1 has padding 2, so 28 stays 28; each "
              "2x2 pooling halves the size; conv2 has no padding. Flatten multiplies C x H x W. "
              "A Conv2D has FN*C*FH*FW weights plus FN biases; a Dense has D_in*D_out weights "
              "plus D_out biases.",
          ),
          solution=sol.LENET_SHAPES, mistakes=sol.LENET_SHAPES_MISTAKES)
def check_lenet_shapes(answer):
    if answer is None:
        raise NotAttempted()
    if callable(answer) or isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") \
            or len(answer) != 4:
        fail("expected a tuple of four answers: (conv1 shape, pool2 shape, flatten length, "
             "total parameters), e.g. ((6, 28, 28), (16, 5, 5), 400, 61706) has that form.")
    conv1, pool2, flat, total = answer
    expect_value(conv1, (6, 28, 28), case="(a) the output of conv1 as (C, H, W)", mistakes={
        (6, 24, 24): "That is 28 - 5 + 1: conv1 has padding=2, so (28 + 2*2 - 5) + 1 = 28.",
        (6, 32, 32): "32 = 28 + 2*2 is the padded input; the output is (32 - 5) + 1 = 28: "
                     "padding and kernel size cancel.",
        (28, 28, 6): "Channels come first in the course's layout: (C, H, W)."})
    expect_value(pool2, (16, 5, 5), case="(b) the output of the second pooling layer", mistakes={
        (16, 4, 4): "Without padding in conv1 you get 4x4; with padding=2 it is 28 -> 14 -> 10 -> 5.",
        (16, 6, 6): "Did you start from a 32x32 output of conv1? It is 28x28.",
        (6, 5, 5): "The second convolution has 16 filters, so 16 channels.",
        (16, 10, 10): "That is the output of conv2; the pooling layer halves it."})
    expect_value(flat, 400, case="(c) the length of the flattened vector", mistakes={
        25: "25 = 5*5 is one map: Flatten keeps all 16 channels, 16 * 5 * 5.",
        256: "256 = 16*4*4 comes from forgetting conv1's padding=2.",
        576: "576 = 16*6*6 comes from a 32x32 conv1 output; it is 28x28.",
        80: "80 = 16*5 misses a factor 5: 16 channels x 5 x 5."})
    expect_value(total, 61706, case="(d) the total number of parameters", mistakes={
        61470: "You counted the weights only: add one bias per filter and per dense unit "
               "(6 + 16 + 120 + 84 + 10 = 236 biases).",
        44426: "That total belongs to a first dense layer of 256 inputs (no padding in conv1).",
        82826: "That total belongs to a first dense layer of 576 inputs (a 32x32 conv1 output)."},
        hint="Sum over the five layers with weights: conv1, conv2 and the three dense layers.")
    return "correct: 28 -> 28 -> 14 -> 10 -> 5, 16 * 5 * 5 = 400, and 61,706 parameters."


# -- ch6-build-lenet ----------------------------------------------------------------------------

def _as_layers(built):
    if isinstance(built, Sequential):
        return list(built.layers)
    if isinstance(built, (list, tuple)):
        return list(built)
    fail(f"build_lenet_modern() should return a list of layers (or a Sequential), "
         f"got {type(built).__name__}.")


@exercise("ch6-build-lenet", title="Build the modern LeNet-5",
          hints=(
              "LeNet is two convolutional blocks (convolution, activation, pooling) and then a "
              "dense block. The modern version uses ReLU and max pooling, and its last layer "
              "gives the 10 class scores with no activation after it (the loss applies the "
              "softmax).",
              "Block 1: 6 filters 5x5 with padding 2 (so 28 stays 28), ReLU, 2x2 max pooling "
              "with stride 2. Block 2: 16 filters 5x5 without padding, ReLU, the same pooling. "
              "Then Flatten (16 * 5 * 5 = 400 values) and Dense 400 -> 120, ReLU, 120 -> 84, "
              "ReLU, 84 -> 10.",
              "The layers are made like `Conv2D.create(1, 6, 5, padding=2, rng=rng)`, `ReLU()`, "
              "`MaxPool2D(2, stride=2)`, `Flatten()` and `Dense.create(400, 120, rng=rng)`. "
              "Return the twelve in a list, and pass the same rng to every create.",
          ),
          solution=sol.build_lenet_modern, mistakes=sol.BUILD_MISTAKES)
def check_build_lenet(build_lenet_modern):
    built = call(build_lenet_modern, case="build_lenet_modern()")
    if built is None:
        fail("build_lenet_modern() returned None. Did you forget `return`?")
    layers = _as_layers(built)
    ref = sol.build_lenet_modern()
    if not all(hasattr(l, "forward") for l in layers):
        fail("every item of the list must be a layer from cnn_course.layers.")
    for i, layer in enumerate(layers):
        if type(layer).__name__ == "Sigmoid":
            fail(f"layer {i} is a Sigmoid: the modern LeNet uses ReLU after every convolution and "
                 "hidden dense layer (sigmoid is the 1998 classic).")
        if type(layer).__name__ == "AvgPool2D":
            fail(f"layer {i} is AvgPool2D: the modern LeNet uses max pooling, MaxPool2D(2, stride=2).")
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    ref_x = x
    for i, r in enumerate(ref):
        if i >= len(layers):
            fail(f"your network stops after {len(layers)} layers; LeNet has {len(ref)} "
                 f"(next missing: {type(r).__name__}).")
        layer = layers[i]
        if type(layer) is not type(r):
            fail(f"layer {i} is {type(layer).__name__}, expected {type(r).__name__} "
                 f"(the order is Conv-ReLU-Pool, Conv-ReLU-Pool, Flatten, Dense-ReLU, "
                 "Dense-ReLU, Dense).")
        ref_x = r.forward(ref_x)
        try:
            x = layer.forward(x)
        except Exception as e:
            if isinstance(layer, Dense) and i == 7:
                fail(f"layer 7 (the first Dense) rejects the flattened input of length "
                     f"{x.shape[1]}: its input size must be 16 * 5 * 5 = 400 ({e}).")
            fail(f"layer {i} ({type(layer).__name__}) raised {type(e).__name__}: {e}")
        if x.shape != ref_x.shape:
            msg = f"after layer {i} ({type(layer).__name__}) the shape is {x.shape[1:]}, expected {ref_x.shape[1:]}."
            if isinstance(layer, Conv2D) and i == 0:
                msg += " conv1 needs padding=2 so that 28x28 stays 28x28."
            if isinstance(layer, MaxPool2D):
                msg += " Pooling must halve the size: MaxPool2D(2, stride=2) (a stride of 1 barely shrinks it)."
            fail(msg)
        if count_params(layer) != count_params(r):
            fail(f"layer {i} has {count_params(layer)} parameters, expected {count_params(r)}"
                 + (" (did you leave out the bias?)" if count_params(layer) < count_params(r)
                    else "."))
    if len(layers) > len(ref):
        fail(f"your network has {len(layers)} layers, LeNet has {len(ref)}: the last Dense "
             "gives the 10 logits directly (no activation after it).")
    total = sum(count_params(l) for l in layers)
    return f"correct: the shapes match layer by layer and the network has {total:,} parameters."


# -- ch6-train-step -----------------------------------------------------------------------------

def _tiny_model(seed=3):
    rng = np.random.default_rng(seed)
    return Sequential(Conv2D.create(1, 4, 3, rng=rng, dtype=np.float64), ReLU(),
                      MaxPool2D(2, stride=2), Flatten(),
                      Dense.create(4 * 3 * 3, 3, rng=rng, dtype=np.float64))


def _run_epoch(fn, x, labels, case):
    model = _tiny_model()
    before = {k: v.copy() for k, v in model.params.items()}
    losses = call(fn, model, x, labels, lr=0.1, batch_size=8, rng=np.random.default_rng(7),
                  case=case)
    return model, before, losses


@exercise("ch6-train-step", title="Find the bug in a training epoch",
          hints=(
              "Walk through one mini-batch by hand and compare each step with the exercise "
              "text: shuffle once, pick the batch, loss, backward, update. Which step does not "
              "do exactly what the text says?",
              "Look at what goes into `model.loss`: which images and which labels make up a "
              "mini-batch? Every image must be paired with its own label.",
              "The images are picked with the shuffled indices `idx`, but the labels with "
              "`start:start + batch_size`, in their original order. Pick the labels with the "
              "same indices as the images.",
          ),
          solution=sol.train_epoch, mistakes=sol.TRAIN_MISTAKES)
def check_train_step(train_epoch):
    if same_code(train_epoch, sol.train_epoch_as_given):
        raise NotAttempted(
            "not attempted yet: this is still the function as given, bug included. Read it "
            "step by step against the exercise text, fix the bug in the cell, then run this "
            "check.")
    rng = np.random.default_rng(11)
    x = rng.standard_normal((32, 1, 8, 8))
    labels = np.arange(32) % 3
    x[labels == 1, :, :4] += 1.5           # classes the tiny network can learn
    x[labels == 2, :, :, :4] += 1.5
    case = "a tiny 3-class problem (32 images 1x8x8, batch 8, lr 0.1, 4 steps)"
    model, before, losses = _run_epoch(train_epoch, x, labels, case)
    ref_model, _, ref_losses = _run_epoch(sol.train_epoch, x, labels, case)
    try:
        losses = [float(v) for v in losses]
    except (TypeError, ValueError):
        fail(f"case {case}: train_epoch should return the list of mini-batch losses (floats), "
             f"got {type(losses).__name__}.")
    if len(losses) != len(ref_losses):
        fail(f"case {case}: expected {len(ref_losses)} losses (one per mini-batch), got "
             f"{len(losses)}.")
    if not np.all(np.isfinite(losses)):
        fail(f"case {case}: some losses are not finite: {np.round(losses, 4).tolist()}.")
    moved = sum(float(np.abs(model.params[k] - before[k]).max()) for k in before)
    if moved == 0:
        fail(f"case {case}: the parameters never changed. The gradients are only filled by "
             "model.backward(): call it after the loss and before the update.")
    if np.allclose(losses, ref_losses) and all(np.allclose(model.params[k], ref_model.params[k])
                                               for k in before):
        return (f"correct: the loss went from {ref_losses[0]:.3f} to {ref_losses[-1]:.3f} "
                "in 4 steps.")
    ev_model, ev_ref = model.loss(x, labels), ref_model.loss(x, labels)
    if ev_model > _tiny_model().loss(x, labels):
        fail(f"case {case}: the loss on all 32 images went uphill, to {ev_model:.3f} (the "
             f"reference reaches {ev_ref:.3f}). The update must subtract: p -= lr * grad.")
    _, _, wrong_labels = _run_epoch(sol.train_epoch_as_given, x, labels, case)
    if np.allclose(losses, [float(v) for v in wrong_labels]):
        fail(f"case {case}: the losses {np.round(losses, 4).tolist()} differ from the "
             f"reference {np.round(ref_losses, 4).tolist()} from the first mini-batch on, and "
             "the network learns nothing useful: each batch's images x[idx] were paired with "
             "labels[start:stop], the wrong labels. Pick both with the same shuffled indices, "
             "labels[idx].")
    if np.isclose(losses[0], ref_losses[0]):
        fail(f"case {case}: the first loss matches but later ones do not "
             f"({np.round(losses, 4).tolist()} vs {np.round(ref_losses, 4).tolist()}): the "
             "images and the labels of a mini-batch must be picked with the same shuffled "
             "indices, labels[idx], not labels[start:stop].")
    fail(f"case {case}: the losses {np.round(losses, 4).tolist()} differ from the reference "
         f"{np.round(ref_losses, 4).tolist()}. Use order = rng.permutation(len(x)) once, "
         "batches order[start:start + batch_size], and pick labels with the same indices.")


# -- ch6-augment-shift --------------------------------------------------------------------------

def _find_shift(src, out, max_search):
    """The (dy, dx, wrapped) with shift_image/np.roll of src equal to out, or None."""
    for dy in range(-max_search, max_search + 1):
        for dx in range(-max_search, max_search + 1):
            if np.array_equal(shift_image(src, dy, dx), out):
                return dy, dx, False
            if (dy or dx) and np.array_equal(np.roll(src, (dy, dx), axis=(-2, -1)), out):
                return dy, dx, True
    return None


@exercise("ch6-augment-shift", title="Random shifts for data augmentation",
          hints=(
              "Each image gets its own random offset, and the pixels that move in from outside "
              "the frame are zeros: nothing wraps around. The result keeps x's shape and dtype.",
              "Draw all N offsets at once with `rng.integers(-max_shift, max_shift + 1, "
              "size=(N, 2))` (the upper bound is exclusive). Start from zeros like x and, for "
              "each image, copy the part that stays inside the frame to its new place. Never "
              "`np.roll`, which wraps pixels around.",
              "For a shift dy >= 0 the destination rows are `dy:H` and the source rows `0:H - "
              "dy`; for dy < 0 they are `0:H + dy` and `-dy:H`. `max(dy, 0):H + min(dy, 0)` "
              "covers both cases for the destination (and the same with -dy for the source); do "
              "the same for the columns with dx.",
          ),
          solution=sol.augment_shift, mistakes=sol.AUGMENT_MISTAKES)
def check_augment_shift(augment_shift):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.1, 1.0, (64, 1, 12, 12)).astype(np.float32)
    for max_shift in (2, 1):
        case = f"64 random float32 images 1x12x12, max_shift={max_shift}"
        out = call(augment_shift, x, np.random.default_rng(1), max_shift=max_shift, case=case)
        if not isinstance(out, np.ndarray):
            fail(f"case {case}: expected a numpy array, got {type(out).__name__}.")
        if out.shape != x.shape:
            fail(f"case {case}: expected shape {x.shape}, got {out.shape}: keep every image "
                 "and its size (shifting does not crop).")
        shifts = []
        for n in range(len(x)):
            found = _find_shift(x[n], out[n].astype(x.dtype), 2 * max_shift + 2)
            if found is None:
                fail(f"case {case}: image {n} is not a whole-pixel shift of the input with "
                     "zeros filled in.")
            dy, dx, wrapped = found
            if wrapped:
                fail(f"case {case}: image {n} was shifted by ({dy}, {dx}) with its pixels "
                     "wrapping around to the other edge (np.roll). Fill the uncovered border "
                     "with zeros instead.")
            if abs(dy) > max_shift or abs(dx) > max_shift:
                fail(f"case {case}: image {n} was shifted by ({dy}, {dx}), beyond "
                     f"max_shift={max_shift}.")
            shifts.append((dy, dx))
        if len(set(shifts)) == 1:
            fail(f"case {case}: every image got the same shift {shifts[0]}: draw a separate "
                 "(dy, dx) for each image.")
        if len(set(shifts)) < 5:
            fail(f"case {case}: only {len(set(shifts))} different shifts among 64 images; "
                 f"draw dy and dx uniformly from -max_shift..max_shift.")
        if out.dtype != x.dtype:
            fail(f"case {case}: the shifts are right but the dtype changed from {x.dtype} to "
                 f"{out.dtype}; keep the input's dtype (np.zeros_like(x)).")
    return "correct: every image moved by its own shift of at most max_shift, with zeros filled in."
