"""Checkers for chapter 6 (LeNet).

- ch6-lenet-shapes: by hand, the shapes through a LeNet-style network on 3x32x32 colour images
  (3x3 then 5x5 kernels) and its parameter count; the feedback names the wrong part, never its
  value
- ch6-build-lenet: build the modern LeNet-5 from layers (layer kinds, parameter shapes, the
  shape after every layer, and the seed: equal seeds give equal weights, different seeds
  different ones, one generator for all layers)
- ch6-train-step: find the bug in a training epoch (losses and updated parameters vs
  reference, on 30 images in batches of 8, so the last batch is smaller); the starting code is
  buggy, not a stub, so the checker answers "to do" while it is unchanged. A wrong answer is
  traced step by step (which images and labels each batch used, whether backward ran, how far
  the parameters moved) to name the line at fault
- ch6-augment-shift: random shifts for data augmentation (zero fill, one shift per image for all
  its channels, the whole range, drawn from the given rng: reproducible and seed-dependent), on
  3-channel, non-square float32 images
- ch6-overfit-small: train a LeNet to 100 % training accuracy on 100 small images (a sanity
  check), on a deterministic synthetic set of ten stroke patterns (no dataset needed)
"""

import numpy as np

from cnn_course.exercises import ch06_solutions as sol
from cnn_course.exercises.core import (NotAttempted, call, exercise, expect_int, expect_value,
                                       fail, known_mistakes, same_code)
from cnn_course.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from cnn_course.models import Sequential, lenet5

__all__ = ["check_lenet_shapes", "check_build_lenet", "check_train_step", "check_augment_shift",
           "check_overfit_small"]


# -- ch6-lenet-shapes --------------------------------------------------------------------------

_PARTS = ("(a) the output of conv1", "(b) the output of the second pooling layer",
          "(c) the length of the flattened vector", "(d) the total number of parameters")


def _first_wrong_part(answer):
    for k, (got, right) in enumerate(zip(answer, sol.lenet_shapes)):
        if not _equal_value(got, right):
            return k
    return None


def _equal_value(got, right):
    """True when expect_value accepts ``got`` for ``right``."""
    try:
        expect_value(got, right, case="")
        return True
    except Exception:
        return False


@exercise("ch6-lenet-shapes", title="Shapes and parameters of a LeNet for colour images",
          hints=(
              "Follow one image through the network layer by layer with the output-size "
              "formula, then count the parameters of the five layers that have weights: the "
              "two convolutions and the three dense layers. Section 6.1 reads the classic "
              "LeNet this way; this network differs in its input and its first kernel.",
              "Output size: (H + 2P - F) // S + 1, so a 3x3 kernel with padding 1 keeps the "
              "size, a 5x5 kernel without padding takes 4 away, and each 2x2 pooling with "
              "stride 2 halves it. A convolution's output has one channel per filter; Flatten "
              "multiplies C * H * W. A Conv2D has FN * C * FH * FW weights (C: the input's "
              "channels) plus FN biases; a Dense has D_in * D_out weights plus D_out biases.",
          ),
          solution=sol.lenet_shapes, mistakes=sol.LENET_SHAPES_MISTAKES)
def check_lenet_shapes(answer):
    if answer is None:
        raise NotAttempted()
    form = ("Answer with four values in a tuple, (shape_a, shape_b, length_c, total_d): "
            "shape_a and shape_b are (C, H, W) tuples of three whole numbers, length_c and "
            "total_d are whole numbers.")
    if callable(answer) or isinstance(answer, (str, bytes, dict)) or \
            not hasattr(answer, "__len__") or len(answer) != 4:
        fail(f"got {_show(answer) if not callable(answer) else 'a function'}. {form}")
    for k, part in enumerate(answer):
        if k < 2:
            if isinstance(part, (str, bytes)) or not hasattr(part, "__len__") or len(part) != 3:
                fail(f"{_PARTS[k]}: got {_show(part)}, where a shape (C, H, W) of three whole "
                     f"numbers belongs. {form}")
            for value in part:
                expect_int(value, what=f"each number of {_PARTS[k][4:]}", case=_PARTS[k][:3])
        else:
            expect_int(part, what=_PARTS[k][4:], case=_PARTS[k][:3])
    # A registered wrong answer is judged at its first wrong part: that part's value says what
    # went wrong. The checker never says a right value.
    for k, part in enumerate(answer):
        if _equal_value(part, sol.lenet_shapes[k]):
            continue
        for wrong, message in known_mistakes():
            if _first_wrong_part(wrong) == k and _equal_value(part, wrong[k]):
                fail(f"{_PARTS[k]}: got {_show(part)}. {message}")
        break
    expect_value(answer, sol.lenet_shapes, case="the four answers", parts=_PARTS,
                 hint="Recompute the wrong parts step by step: the output-size formula for "
                      "every layer, then the weights and biases of each layer that has any.")
    return ("correct: 32 -> 32 -> 16 -> 12 -> 6, 16 * 6 * 6 = 576 values, and 83,694 "
            "parameters, 69,240 of them in the first dense layer.")


def _show(value):
    return repr(value.tolist() if isinstance(value, np.ndarray) else value)


# -- ch6-build-lenet ----------------------------------------------------------------------------

def _as_layers(built, what):
    if isinstance(built, Sequential):
        return list(built.layers)
    if isinstance(built, (list, tuple)):
        return list(built)
    fail(f"{what} should return a list of layers (or a Sequential), got "
         f"{type(built).__name__}.")


def _kind(item):
    if isinstance(item, type):
        return f"class {item.__name__}"
    return type(item).__name__


def _param_shapes(item):
    """((name, shape, dtype), ...) of a layer's parameters."""
    params = getattr(item, "params", None) if not isinstance(item, type) else None
    if not isinstance(params, dict):
        return ()
    return tuple(sorted((k, tuple(np.shape(v)), str(getattr(v, "dtype", type(v).__name__)))
                        for k, v in params.items()))


def _weights(layers):
    return [np.asarray(layer.params["W"], dtype=float) for layer in layers
            if not isinstance(layer, type) and isinstance(getattr(layer, "params", None), dict)
            and "W" in layer.params]


def _proportional(a, b, k=6):
    a, b = a.ravel()[:k], b.ravel()[:k]
    if len(a) < k or len(b) < k or a[0] == 0 or b[0] == 0:
        return False
    return bool(np.allclose(a / a[0], b / b[0], rtol=1e-4))


def _trace(build, learner=False):
    """What ``build`` makes, as a list of (observation, value) in a fixed order: per layer its
    kind, its parameter shapes and its output shape on two 1x28x28 images, then the number of
    layers, then how the weights depend on the seed. The first observation that differs from
    the reference's says what is wrong."""
    def make(seed, case):
        if learner:
            return call(build, seed, case=case)
        return build(seed)

    first = make(0, "build_lenet_modern(0)")
    if first is None:
        fail("build_lenet_modern(0) returned None. Did you forget `return`?")
    layers = _as_layers(first, "build_lenet_modern(seed)")
    if not layers:
        fail("build_lenet_modern(0) returned an empty list: LeNet has twelve layers.")
    obs = []
    x = np.random.default_rng(0).random((2, 1, 28, 28), dtype=np.float32)
    for i in range(12):
        if i >= len(layers):
            obs.append((f"layer {i} kind", "missing"))
            return obs
        layer = layers[i]
        obs.append((f"layer {i} kind", _kind(layer)))
        obs.append((f"layer {i} params", _param_shapes(layer)))
        if isinstance(layer, type) or not callable(getattr(layer, "forward", None)):
            return obs
        try:
            x = layer.forward(x)
            shape = tuple(np.shape(x))[1:]
        except Exception as e:  # the learner's layers may not fit together
            obs.append((f"layer {i} output", f"raised {type(e).__name__}: {e}"))
            return obs
        obs.append((f"layer {i} output", shape))
    obs.append(("number of layers", (len(layers), tuple(_kind(l) for l in layers[12:]))))
    again = _as_layers(make(0, "build_lenet_modern(0), a second time"), "build_lenet_modern(0)")
    other = _as_layers(make(1, "build_lenet_modern(1)"), "build_lenet_modern(1)")
    w0, w0b, w1 = _weights(layers), _weights(again), _weights(other)
    obs.append(("same seed, same weights",
                len(w0) == len(w0b) and all(np.array_equal(a, b) for a, b in zip(w0, w0b))))
    obs.append(("another seed changes every layer",
                len(w0) == len(w1) and all(not np.array_equal(a, b) for a, b in zip(w0, w1))))
    obs.append(("one generator for all layers",
                not any(_proportional(w0[0], w) for w in w0[1:])))
    return obs


_REFERENCE_TRACE = []
_MISTAKE_DIVERGENCE = {}


def _divergence(trace, reference):
    for i, (item, ref) in enumerate(zip(trace, reference)):
        if item != ref:
            return i, item
    if len(trace) != len(reference):
        return min(len(trace), len(reference)), None
    return None


def _describe(i, item, reference):
    """A message for the first observation ``item`` that differs from the reference's."""
    key, value = item
    ref_key, ref_value = reference[i]
    if key != ref_key:                      # the network stopped early (a layer is missing)
        return f"after {key.split()[1]} layers the trace ends early ({value})."
    what = key.split(" ")
    if what[0] == "layer":
        n, part = int(what[1]), what[2]
        expected_kind = reference[[k for k, _ in reference].index(f"layer {n} kind")][1]
        if part == "kind":
            if value == "missing":
                return (f"your list stops after {n} layers; the modern LeNet has 12 (the next "
                        f"one is {expected_kind}).")
            if value.startswith("class "):
                name = value[6:]
                return (f"item {n} of your list is {name} itself, the class, where a layer "
                        f"object belongs: call it, {name}(...), to make the layer.")
            extra = ""
            if value == "ConvReLUPool2D":
                extra = (" (lenet5() fuses Conv-ReLU-Pool into one layer for speed; this "
                         "exercise asks for the twelve separate layers)")
            elif value in ("Tanh", "Sigmoid"):
                extra = " (the modern LeNet's activation is ReLU)"
            return (f"layer {n} is {value}, where LeNet has {expected_kind}{extra}. The order "
                    "is Conv-ReLU-Pool, Conv-ReLU-Pool, Flatten, Dense-ReLU, Dense-ReLU, "
                    "Dense.")
        if part == "params":
            got = {name: shape for name, shape, _ in value}
            want = {name: shape for name, shape, _ in ref_value}
            if got == want:
                kinds = sorted({dtype for _, _, dtype in value})
                return (f"layer {n}'s parameters are {' and '.join(kinds)}; the course's "
                        "layers and MNIST images are float32: keep create's default dtype.")
            if "b" in want and "b" not in got:
                return (f"layer {n} ({expected_kind}) has no bias: create it with the default "
                        "bias=True.")
            if got.get("W") != want.get("W"):
                if expected_kind == "Conv2D" and len(got.get("W", ())) == 4:
                    FN, C, FH, FW = got["W"]
                    wFN, wC, wFH, wFW = want["W"]
                    if (FH, FW) != (wFH, wFW):
                        return (f"layer {n}'s filters are {FH}x{FW}: LeNet's convolutions "
                                f"have {wFH}x{wFW} kernels.")
                    if C != wC:
                        return (f"layer {n}'s filters have {C} input channels, but its input "
                                f"has {wC}: in_channels is the previous convolution's number "
                                "of filters (1 for the grey digit).")
                    return (f"layer {n} has {FN} filters; LeNet's has {wFN}.")
                if expected_kind == "Dense" and len(got.get("W", ())) == 2:
                    return (f"layer {n} is a Dense {got['W'][0]} -> {got['W'][1]}; LeNet's is "
                            f"{want['W'][0]} -> {want['W'][1]}.")
            return f"layer {n}'s parameters have shapes {got}, expected {want}."
        if part == "output":
            if isinstance(value, str):
                where = ("on a batch of two 1x28x28 float32 images" if n == 0 else
                         "on the output of the layer before it")
                return f"layer {n} ({expected_kind}) {value} {where}."
            msg = (f"after layer {n} ({expected_kind}) one image has shape {value}, expected "
                   f"{ref_value}.")
            if expected_kind == "MaxPool2D":
                msg += " A 2x2 max pooling with stride 2 halves the height and the width."
            if expected_kind == "Conv2D":
                msg += " Check the padding: (H + 2P - F) // S + 1."
            return msg
    if key == "number of layers":
        return (f"your list has {value[0]} layers, LeNet has {ref_value[0]}: after the last "
                f"Dense(84, 10) comes nothing (you added {', '.join(value[1])}); the loss "
                "takes the logits as they are.")
    if key == "same seed, same weights":
        return ("building twice with seed=0 does not give the same weights: every random "
                "draw must come from rng = np.random.default_rng(seed).")
    if key == "another seed changes every layer":
        return ("some layer's weights are the same for seed=0 and seed=1: the seed must reach "
                "every create, through the one rng built from it.")
    return ("the layers' weights repeat one another's random numbers: draw them all from "
            "one rng, created once.")


@exercise("ch6-build-lenet", title="Build the modern LeNet-5",
          hints=(
              "LeNet is two convolutional blocks (convolution, activation, pooling) and then a "
              "dense block. The modern version uses ReLU and max pooling, and its last layer "
              "gives the 10 class scores with no activation after it (the loss applies the "
              "softmax). All the random weights come from one generator made from the seed.",
              "Block 1: 6 filters 5x5 with padding 2 (so 28 stays 28), ReLU, 2x2 max pooling "
              "with stride 2. Block 2: 16 filters 5x5 without padding, ReLU, the same pooling. "
              "Then Flatten (how many values does one image have now?) and three Dense layers "
              "of 120, 84 and 10 units, with a ReLU after the first two.",
              "Make each layer object with its parentheses: `Conv2D.create(in_channels, "
              "filters, kernel_size, padding=..., rng=rng)`, `ReLU()`, `MaxPool2D(2, "
              "stride=2)`, `Flatten()`, `Dense.create(inputs, units, rng=rng)`; return the "
              "twelve in a list, passing the same `rng` to every create.",
          ),
          solution=sol.build_lenet_modern, mistakes=sol.BUILD_MISTAKES)
def check_build_lenet(build_lenet_modern):
    if not callable(build_lenet_modern):
        fail(f"expected the function build_lenet_modern, got "
             f"{type(build_lenet_modern).__name__}.")
    call(build_lenet_modern, case="build_lenet_modern()")      # the default seed works too
    if not _REFERENCE_TRACE:
        _REFERENCE_TRACE.extend(_trace(sol.build_lenet_modern))
    reference = _REFERENCE_TRACE
    trace = _trace(build_lenet_modern, learner=True)
    where = _divergence(trace, reference)
    if where is None:
        total = sum(int(np.prod(shape)) for key, value in trace if key.endswith("params")
                    for _, shape, _ in value)
        return (f"correct: the layers, their shapes and their {total:,} parameters match "
                "LeNet's, and the seed decides the weights.")
    i, item = where
    if item is None:
        fail("your network's trace is shorter than LeNet's.")
    for mistake in sol.BUILD_MISTAKES:
        if mistake.answer not in _MISTAKE_DIVERGENCE:
            _MISTAKE_DIVERGENCE[mistake.answer] = _divergence(_trace(mistake.answer), reference)
        if _MISTAKE_DIVERGENCE[mistake.answer] == (i, item):
            fail(mistake.message)
    fail(_describe(i, item, reference))


# -- ch6-train-step -----------------------------------------------------------------------------

class _Recorder(Sequential):
    """A Sequential that records, for each ``loss`` call, the batch and the parameters it saw,
    and counts ``backward`` calls (the checker's view of what a training loop did)."""

    def __init__(self, *layers):
        super().__init__(*layers)
        self.batches, self.before, self.backward_calls = [], [], []

    def loss(self, x, labels):
        self.batches.append((np.array(x, copy=True), np.array(labels, copy=True)))
        self.before.append({k: v.copy() for k, v in self.params.items()})
        self.backward_calls.append(0)
        return super().loss(x, labels)

    def backward(self, dlogits=None):
        if self.backward_calls:
            self.backward_calls[-1] += 1
        return super().backward(dlogits)


def _tiny_model(seed=3, recorder=True):
    rng = np.random.default_rng(seed)
    cls = _Recorder if recorder else Sequential
    return cls(Conv2D.create(1, 4, 3, rng=rng, dtype=np.float64), ReLU(),
               MaxPool2D(2, stride=2), Flatten(),
               Dense.create(4 * 3 * 3, 3, rng=rng, dtype=np.float64))


_LR, _BATCH, _RNG_SEED = 0.1, 8, 7


def _train_data():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((30, 1, 8, 8))
    labels = np.arange(30) % 3
    x[labels == 1, :, :4] += 1.5           # classes the tiny network can learn
    x[labels == 2, :, :, :4] += 1.5
    return x, labels


def _run_epoch(fn, x, labels, case=None):
    """Train a fresh tiny model for one epoch with ``fn``; return (model, losses)."""
    model = _tiny_model()
    args = (model, x, labels)
    kwargs = dict(lr=_LR, batch_size=_BATCH, rng=np.random.default_rng(_RNG_SEED))
    if case is None:
        with np.errstate(all="ignore"):
            return model, fn(*args, **kwargs)
    return model, call(fn, *args, case=case, may_alias=True, **kwargs)


def _same_run(model_a, losses_a, model_b, losses_b):
    try:
        la = np.asarray([float(v) for v in losses_a])
        lb = np.asarray([float(v) for v in losses_b])
    except (TypeError, ValueError):
        return False
    return (la.shape == lb.shape and np.allclose(la, lb, rtol=1e-9, atol=1e-12)
            and model_a.backward_calls == model_b.backward_calls
            and all(np.allclose(model_a.params[k], model_b.params[k], rtol=1e-9, atol=1e-12)
                    for k in model_a.params))


def _batch_indices(xb, x):
    """The row of x for each image of the batch xb, or None where an image is not one of x."""
    flat = x.reshape(len(x), -1)
    rows = []
    for image in np.asarray(xb).reshape(len(xb), -1):
        hit = np.flatnonzero(np.all(flat == image, axis=1))
        rows.append(int(hit[0]) if len(hit) else None)
    return rows


def _diagnose(model, losses, x, labels, ref_losses, case):
    """Say which step of the learner's epoch differs from plain SGD (when no registered mistake
    matched): the batches' images, their labels, the backward calls or the update."""
    order = np.random.default_rng(_RNG_SEED).permutation(len(x))
    batches = model.batches
    if not batches:
        fail(f"case {case}: your function never called model.loss(xb, yb), so the checker "
             "cannot follow the batches. Compute each mini-batch's loss with model.loss.")
    used = []
    for k, (xb, yb) in enumerate(batches):
        rows = _batch_indices(xb, x)
        if None in rows:
            fail(f"case {case}: batch {k} contains an image that is not one of x's images: "
                 "pick the images by index, x[idx], without changing them.")
        used.append(rows)
        if not np.array_equal(np.asarray(yb).ravel(), labels[rows]):
            fail(f"case {case}: in batch {k} the labels passed to model.loss are not the labels "
                 "of the images in that batch. Index the images and the labels with the very "
                 "same indices.")
    counts = np.bincount(np.concatenate(used), minlength=len(x))
    if (counts != 1).any():
        fail(f"case {case}: over the epoch {int((counts > 1).sum())} images were used more than "
             f"once and {int((counts == 0).sum())} never: one epoch visits every image exactly "
             "once. Draw one permutation before the loop and take consecutive slices of it.")
    expected_batches = [list(order[s:s + _BATCH]) for s in range(0, len(x), _BATCH)]
    if used == [list(range(s, min(s + _BATCH, len(x)))) for s in range(0, len(x), _BATCH)]:
        fail(f"case {case}: the batches are x[0:8], x[8:16], ... in the original order: the "
             "epoch never shuffles. Walk through order = rng.permutation(len(x)) instead.")
    if used != expected_batches:
        fail(f"case {case}: every image is used once, but not in the order of "
             "order = rng.permutation(len(x)) drawn first from the given rng, in slices "
             "order[start:start + batch_size]. Draw nothing else from rng before it.")
    for k, calls in enumerate(model.backward_calls):
        if calls != 1:
            fail(f"case {case}: model.backward() ran {calls} times after the loss of batch {k}; "
                 "it must run exactly once per batch, after model.loss and before the update.")
    after = model.before[1:] + [{k: v.copy() for k, v in model.params.items()}]
    for k, (xb, yb) in enumerate(batches):
        probe = _tiny_model(recorder=False)
        for name, p in probe.params.items():
            p[...] = model.before[k][name]
        probe.loss(xb, yb)
        probe.backward()
        for name, p in probe.params.items():
            step = -_LR * probe.grads[name]
            moved = after[k][name] - model.before[k][name]
            if np.allclose(moved, step, rtol=1e-7, atol=1e-12):
                continue
            scale = float(np.vdot(moved, step) / max(np.vdot(step, step), 1e-300))
            if not np.any(moved):
                fail(f"case {case}: after the backward pass of batch {k}, parameter {name!r} "
                     "did not move before the next loss (or the end). The update belongs "
                     "right after model.backward(), in the same pass of the loop; an update "
                     "placed before model.loss uses the previous batch's gradients and "
                     "misses the last batch's.")
            how = (f"by {scale:.3g} times the plain SGD step -lr * grad"
                   if np.allclose(moved, scale * step, rtol=1e-6, atol=1e-12)
                   else "by something other than -lr * grad (a mix with earlier steps is "
                        "momentum)")
            if abs(scale * len(yb) - 1) < 1e-6:
                how += " (model.loss already averages over the batch: do not divide again)"
            fail(f"case {case}: at batch {k} parameter {name!r} moved {how}. Plain SGD "
                 "updates each parameter in place, once per batch: p -= lr * grad.")
    fail(f"case {case}: the losses {np.round(losses, 4).tolist()} differ from the reference "
         f"{np.round(ref_losses, 4).tolist()}. Compare each step with the exercise text.")


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
    x, labels = _train_data()
    case = ("a tiny 3-class problem (30 images 1x8x8, batches of 8, so 4 steps, the last of 6 "
            "images; lr 0.1)")
    model, losses = _run_epoch(train_epoch, x, labels, case)
    ref_model, ref_losses = _run_epoch(sol.train_epoch, x, labels)
    ref_losses = [float(v) for v in ref_losses]
    if losses is None:
        fail(f"case {case}: train_epoch returned None; return the list of mini-batch losses.")
    try:
        losses = [float(v) for v in losses]
    except (TypeError, ValueError):
        fail(f"case {case}: train_epoch should return the list of mini-batch losses (floats), "
             f"got {type(losses).__name__}.")
    if _same_run(model, losses, ref_model, ref_losses):
        return (f"correct: the loss went from {ref_losses[0]:.3f} to {ref_losses[-1]:.3f} "
                "in 4 steps, and the parameters match plain SGD.")
    for mistake in sol.TRAIN_MISTAKES:
        if mistake.rule:
            continue
        wrong_model, wrong_losses = _run_epoch(mistake.answer, x, labels)
        if _same_run(model, losses, wrong_model, wrong_losses):
            fail(f"case {case}: {mistake.message}")
    again_model, again = _run_epoch(train_epoch, x, labels, case)
    if not _same_run(model, losses, again_model, again):
        fail(f"case {case}: two runs with identical inputs and the same seeded rng gave "
             "different losses: the shuffle must come from the rng argument "
             "(rng.permutation), not from np.random, so that a seed reproduces training.")
    if len(losses) != len(ref_losses):
        fail(f"case {case}: expected {len(ref_losses)} losses (one per mini-batch, the last "
             f"batch smaller), got {len(losses)}.")
    if not np.all(np.isfinite(losses)):
        fail(f"case {case}: some losses are not finite: {np.round(losses, 4).tolist()}.")
    _diagnose(model, losses, x, labels, ref_losses, case)


# -- ch6-augment-shift --------------------------------------------------------------------------

def _find_shift(src, out, reach):
    """(dy, dx, wrapped) such that shifting src (C, H, W) by (dy, dx) with zero fill
    (wrapped=False) or np.roll (wrapped=True) gives out, or None. The centre pixel of the first
    channel (random, so unique) tells the candidate shift."""
    C, H, W = src.shape
    cy, cx = H // 2, W // 2
    hits = np.argwhere(out[0] == src[0, cy, cx])
    for y, x in hits:
        for dy in {int(y) - cy, int(y) - cy - H, int(y) - cy + H}:
            for dx in {int(x) - cx, int(x) - cx - W, int(x) - cx + W}:
                if abs(dy) > reach or abs(dx) > reach:
                    continue
                if np.array_equal(sol._shift_each(src[None], np.array([[dy, dx]]))[0], out):
                    return dy, dx, False
                if np.array_equal(np.roll(src, (dy, dx), axis=(-2, -1)), out):
                    return dy, dx, True
    return None


def _shifts_of(x, out, reach, case):
    """The (dy, dx) of every image of out, judged channel by channel; Fail where an image is no
    zero-filled shift of its source."""
    shifts = []
    for n in range(len(x)):
        per_channel = [_find_shift(x[n, c:c + 1], out[n, c:c + 1], reach)
                       for c in range(x.shape[1])]
        if any(found is None for found in per_channel):
            fail(f"case {case}: image {n} is not its input moved by whole pixels with zeros "
                 f"filled in (within {reach} pixels).")
        dy, dx, wrapped = per_channel[0]
        if wrapped or any(found[2] for found in per_channel):
            fail(f"case {case}: image {n} was moved with wrap-around: what leaves one edge "
                 "reappears at the opposite one. Fill the uncovered border with zeros.")
        if len({found[:2] for found in per_channel}) > 1:
            fail(f"case {case}: the channels of image {n} moved by different offsets "
                 f"{sorted({found[:2] for found in per_channel})}: one (dy, dx) per image, "
                 "applied to all its channels.")
        shifts.append((dy, dx))
    return shifts


@exercise("ch6-augment-shift", title="Random shifts for data augmentation",
          hints=(
              "Each image gets its own random offset, the same for all its channels, and the "
              "pixels that move in from outside the frame are zeros: nothing wraps around. "
              "The offsets come from the rng argument, so the same seed gives the same batch. "
              "The result keeps x's shape and dtype.",
              "Draw all N offsets at once from `rng` with `rng.integers` (its upper bound is "
              "exclusive, so ask for max_shift + 1). Start from zeros like x and, for each "
              "image, copy the part that stays inside the frame to its new place. Never "
              "`np.roll`, which wraps pixels around.",
              "For a shift dy >= 0 the destination rows are `dy:H` and the source rows `0:H - "
              "dy`; for dy < 0 they are `0:H + dy` and `-dy:H`. `max(dy, 0):H + min(dy, 0)` "
              "covers both cases for the destination (and the same with -dy for the source); do "
              "the same for the columns with dx, and index `out[n, :, rows, cols]` so that all "
              "channels move together.",
          ),
          solution=sol.augment_shift, mistakes=sol.AUGMENT_MISTAKES)
def check_augment_shift(augment_shift):
    x = np.random.default_rng(5).uniform(0.1, 1.0, (64, 3, 10, 13)).astype(np.float32)
    for max_shift in (2, 1):
        case = (f"64 random float32 images 3x10x13, rng=np.random.default_rng(1), "
                f"max_shift={max_shift}")
        out = call(augment_shift, x, np.random.default_rng(1), max_shift=max_shift, case=case)
        if out is None:
            fail(f"case {case}: your function returned None. Did you forget `return`?")
        if not isinstance(out, np.ndarray):
            fail(f"case {case}: expected a numpy array, got {type(out).__name__}.")
        if out.shape != x.shape:
            fail(f"case {case}: expected shape {x.shape}, got {out.shape}: keep every image, "
                 "every channel and the image size (shifting does not crop).")
        for wrong, message in known_mistakes(x, np.random.default_rng(1), max_shift=max_shift):
            if isinstance(wrong, np.ndarray) and wrong.shape == out.shape and \
                    wrong.dtype == out.dtype and np.array_equal(wrong, out):
                fail(f"case {case}: {message}")
        shifts = _shifts_of(x, out.astype(x.dtype), 2 * max_shift + 2, case)
        far = [s for s in shifts if max(abs(s[0]), abs(s[1])) > max_shift]
        if far:
            fail(f"case {case}: an image moved by {far[0]}, beyond max_shift={max_shift}.")
        if len(set(shifts)) == 1:
            fail(f"case {case}: all 64 images moved by {shifts[0]}; each image needs an offset "
                 "of its own.")
        dys, dxs = {s[0] for s in shifts}, {s[1] for s in shifts}
        every = set(range(-max_shift, max_shift + 1))
        if dys != every or dxs != every:
            fail(f"case {case}: among 64 images the vertical offsets were {sorted(dys)} and the "
                 f"horizontal ones {sorted(dxs)}; each should take every value from "
                 f"-{max_shift} to {max_shift}, drawn uniformly.")
        if all(dy == dx for dy, dx in shifts):
            fail(f"case {case}: every image moved by equal dy and dx; draw the two offsets "
                 "independently.")
        again = call(augment_shift, x, np.random.default_rng(1), max_shift=max_shift, case=case)
        if not (isinstance(again, np.ndarray) and np.array_equal(again, out)):
            fail(f"case {case}: two calls with the same seeded generator gave different "
                 "batches: draw the offsets from the given rng (rng.integers), not from "
                 "np.random, so that a seed reproduces the augmentation.")
        other = call(augment_shift, x, np.random.default_rng(2), max_shift=max_shift,
                     case=case.replace("default_rng(1)", "default_rng(2)"))
        if isinstance(other, np.ndarray) and np.array_equal(other, out):
            fail(f"case {case}: np.random.default_rng(1) and default_rng(2) gave the same "
                 "shifts: the offsets do not come from the generator you are given (a fixed "
                 "pattern, or a generator of your own). Draw them with rng.integers.")
        if out.dtype != x.dtype:
            fail(f"case {case}: the shifts are right but the dtype changed from {x.dtype} to "
                 f"{out.dtype}; the result keeps x's dtype.")
    return ("correct: every image moved by its own random shift of at most max_shift, all its "
            "channels together, with zeros filled in, reproducibly from the given rng.")


# -- ch6-overfit-small ---------------------------------------------------------------------------

_STROKES = []


def _stroke_images():
    """100 synthetic 1x28x28 float32 images of 10 classes (10 each): each class is a pattern of
    three random strokes, each image that pattern moved by up to 3 pixels, on noise in [0, 0.3].
    Deterministic, and made without any dataset."""
    if _STROKES:
        return _STROKES[0]
    rng = np.random.default_rng(2026)
    patterns = np.zeros((10, 28, 28), dtype=np.float32)
    for k in range(10):
        for _ in range(3):
            y0, x0, y1, x1 = rng.integers(6, 22, 4)
            for t in np.linspace(0, 1, 30):
                yy, xx = int(round(y0 + (y1 - y0) * t)), int(round(x0 + (x1 - x0) * t))
                patterns[k, yy - 1:yy + 1, xx - 1:xx + 1] = 1
    labels = rng.permutation(np.arange(100) % 10)
    x = np.zeros((100, 1, 28, 28), dtype=np.float32)
    for i, label in enumerate(labels):
        dy, dx = rng.integers(-3, 4, 2)
        x[i, 0] = np.roll(patterns[label], (dy, dx), axis=(0, 1))
    x = np.clip(x + rng.uniform(0, 0.3, x.shape).astype(np.float32), 0, 1)
    _STROKES.append((x, labels.astype(np.int64)))
    return _STROKES[0]


_OVERFIT_RESULTS = {}


def _fresh_lenet():
    return lenet5("modern", seed=0)


def _trained_by(fn, x, labels):
    """The parameters of a fresh LeNet after ``fn`` (a registered mistake) trained it; cached."""
    if fn not in _OVERFIT_RESULTS:
        model = _fresh_lenet()
        with np.errstate(all="ignore"):
            fn(model, x.copy(), labels.copy())
        _OVERFIT_RESULTS[fn] = {k: v.copy() for k, v in model.params.items()}
    return _OVERFIT_RESULTS[fn]


@exercise("ch6-overfit-small", title="Overfit 100 images: a sanity check",
          hints=(
              "A network with 60,000 parameters can learn 100 images by heart; if it cannot, "
              "something in the training is broken. What you choose is how many optimiser "
              "steps it gets and how big they are: count the steps, epochs times the batches "
              "per epoch.",
              "With 100 images, batches of 128 make one step per epoch, so the chapter's "
              "3 epochs are 3 steps. Take small batches (around 10 images) and tens of "
              "epochs, with Adam at the chapter's learning rate; then check with predict "
              "that every training image is right.",
              "One call does it: `fit(model, (x, labels), epochs=..., batch_size=..., "
              "optimizer=Adam(lr=...), progress=False)` with the numbers from hint 2. (A loop "
              "over your train_epoch of exercise 6.3 with plain SGD works too, with more "
              "epochs.)",
          ),
          solution=sol.overfit_small, mistakes=sol.OVERFIT_MISTAKES, time_limit=30)
def check_overfit_small(overfit_small):
    x, labels = _stroke_images()
    model = _fresh_lenet()
    start = {k: v.copy() for k, v in model.params.items()}
    case = ("a fresh lenet5('modern', seed=0) and 100 synthetic 1x28x28 images of ten stroke "
            "patterns (10 per class)")
    call(overfit_small, model, x, labels, case=case, may_alias=True)
    params = model.params
    with np.errstate(all="ignore"):
        logits = model.forward(x)
        loss = model.loss_layer.forward(logits, labels) if np.isfinite(logits).all() else np.nan
    right = int(np.sum(np.argmax(logits, axis=1) == labels)) if np.isfinite(logits).all() else 0
    if right == len(x):
        return (f"correct: all 100 training images are classified right (training loss "
                f"{loss:.4f}). A network that cannot do this on 100 images has a bug.")
    for mistake in sol.OVERFIT_MISTAKES:
        if mistake.rule:
            continue
        wrong = _trained_by(mistake.answer, x, labels)
        if all(np.allclose(params[k], wrong[k], rtol=1e-6, atol=1e-7, equal_nan=True)
               for k in params):
            fail(f"case {case}: {right} of 100 right. {mistake.message}")
    if all(np.array_equal(params[k], start[k]) for k in params):
        fail(f"case {case}: the model's parameters did not change at all: your function must "
             "train the model it is given, in place (fit and the optimisers do).")
    if not np.isfinite(loss):
        fail(f"case {case}: the network's outputs are NaN or infinite after training: the "
             "learning rate is so large that training blew up. Use a smaller one.")
    if loss > np.log(10):
        fail(f"case {case}: {right} of 100 right, and the training loss {loss:.3f} is higher "
             f"than a uniform guess (ln 10 = {np.log(10):.3f}): the steps are too big or go "
             "the wrong way. Lower the learning rate.")
    fail(f"case {case}: after your training {right} of 100 images are right (training loss "
         f"{loss:.3f}). The network has not learned them all yet: give it more optimiser "
         "steps (more epochs, smaller batches) or larger ones (a larger learning rate).")
