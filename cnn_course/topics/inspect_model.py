"""Looking inside a trained network: feature maps, errors, transformed digits, comparisons.

- ``feature_maps(model, x)``: every layer's output for a batch, with the layer's name
  (``models.layer_name``); a fused block (``layers.ConvReLUPool2D``) shows its three steps
- ``model_steps(model)``: the layers of a model with fused blocks split into their steps
- ``confusion_matrix(labels, predictions, num_classes)``: counts of (true class, predicted class)
- ``misclassified(model, x, labels)``: the images a model gets wrong, with what it said
- ``predict_proba(model, x)``: softmax probabilities of each class
- ``transform_digit(image, shift=(dy, dx), angle=deg)``: shift and rotate a digit (numpy only)
- ``edge_responses(W)``: how strongly each first-layer filter answers vertical and horizontal
  edges
- ``compare_models(names, train, test, ...)``: train several models the same way and return a
  measured table (model, params, test accuracy, seconds)

Shapes: images x are (N, C, H, W); labels and predictions are int arrays of shape (N,).
"""

import time

import numpy as np

from cnn_course import functional as F
from cnn_course.models import build_model, layer_name
from cnn_course.optim import Adam
from cnn_course.train import fit, predict

__all__ = ["feature_maps", "model_steps", "confusion_matrix", "misclassified", "predict_proba",
           "transform_digit", "edge_responses", "compare_models"]


def model_steps(model):
    """The layers of a model one step at a time: a list of (label, layer).

    A layer is labelled by its index ("3"); a fused block that has ``steps()`` (such as
    ``layers.ConvReLUPool2D``) is replaced by its steps, labelled "0a", "0b", "0c". The steps
    share the block's parameters; running them one after the other gives the block's output.
    """
    out = []
    for i, layer in enumerate(model.layers):
        if callable(getattr(layer, "steps", None)):
            out += [(f"{i}{'abcdefgh'[k]}", step) for k, step in enumerate(layer.steps())]
        else:
            out.append((str(i), layer))
    return out


def feature_maps(model, x):
    """Run x through the model one step at a time; return every step's output with its name.

    Inputs:
    - model: a Sequential
    - x: array of shape (N, C, H, W) in the model's dtype (one image: (1, C, H, W))

    Returns a list of (name, output) pairs, one per step of ``model_steps`` (one per layer,
    and three for a fused Conv-ReLU-MaxPool block), in order. Layers are named as in
    ``model.summary`` ("3: Flatten"); the steps of a fused block 0 as "0a: Conv2D 1->6 5x5
    padding 2", "0b: ReLU", "0c: MaxPool2D 2x2". The outputs are C-contiguous copies, of
    shape (N, C', H', W') for conv/pool steps and (N, D) after Flatten.
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"feature_maps: x must have shape (N, C, H, W), got {x.shape}")
    out = []
    for label, layer in model_steps(model):
        x = layer.forward(x)
        out.append((f"{label}: {layer_name(layer)}", np.ascontiguousarray(x)))
    return out


def predict_proba(model, x):
    """Softmax probabilities of each class: array of shape (N, K), rows summing to 1."""
    logits = model.forward(np.asarray(x)).astype(np.float64)
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _labels(a, name):
    a = np.asarray(a)
    if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"confusion_matrix: {name} must be a 1-D int array, got "
                         f"shape {a.shape} dtype {a.dtype}")
    return a


def confusion_matrix(labels, predictions, num_classes=10):
    """Count how often class i was predicted as class j.

    Inputs:
    - labels, predictions: int arrays of shape (N,), values in [0, num_classes)
    - num_classes: K

    Returns an int64 array M of shape (K, K): M[i, j] = number of images of true class i
    predicted as j. The diagonal holds the correct predictions; row i sums to the number of
    images of class i.
    """
    labels, predictions = _labels(labels, "labels"), _labels(predictions, "predictions")
    if labels.shape != predictions.shape:
        raise ValueError(f"confusion_matrix: labels {labels.shape} and predictions "
                         f"{predictions.shape} differ in length")
    for name, a in (("labels", labels), ("predictions", predictions)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise ValueError(f"confusion_matrix: {name} must lie in [0, {num_classes}), "
                             f"got values from {a.min()} to {a.max()}")
    return np.bincount(labels * num_classes + predictions,
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def misclassified(model, x, labels, *, limit=None):
    """The images a model gets wrong.

    Inputs:
    - model: a Sequential; x: (N, C, H, W); labels: int (N,)
    - limit: return at most this many (the first ones in order), or all

    Returns (indices, predictions, confidences): int arrays of shape (M,) with the indices of
    the wrong images in x and the classes predicted for them, and the predicted class's
    probability (float, shape (M,)).
    """
    labels = np.asarray(labels)
    pred = predict(model, x)
    idx = np.flatnonzero(pred != labels)
    if limit is not None:
        idx = idx[:limit]
    conf = predict_proba(model, x[idx]).max(axis=1) if len(idx) else np.zeros(0)
    return idx, pred[idx], conf


def transform_digit(image, shift=(0, 0), angle=0.0, order=1):
    """Rotate an image about its centre by ``angle`` degrees, then shift it by (dy, dx) pixels.

    Pure numpy: every output pixel looks up where it came from in the input (inverse mapping)
    and reads it by bilinear interpolation (order=1) or from the nearest pixel (order=0).
    Outside the input counts as 0 (background).

    Inputs:
    - image: array of shape (H, W), or (..., H, W) (every leading slice gets the same
      transform)
    - shift: (dy, dx) in pixels; positive dy moves the content down, dx right
    - angle: degrees, counter-clockwise as seen on screen
    - order: 1 bilinear, 0 nearest neighbour

    Returns an array of the same shape and dtype as ``image``.
    """
    image = np.asarray(image)
    if image.ndim < 2:
        raise ValueError(f"transform_digit: image must have shape (..., H, W), got {image.shape}")
    if order not in (0, 1):
        raise ValueError(f"transform_digit: order must be 0 or 1, got {order!r}")
    try:
        dy, dx = (float(s) for s in shift)
    except (TypeError, ValueError):
        raise ValueError(f"transform_digit: shift must be a pair (dy, dx), got {shift!r}") from None
    H, W = image.shape[-2:]
    cy, cx = (H - 1) / 2, (W - 1) / 2
    r, c = np.indices((H, W), dtype=np.float64)
    # output (r, c) comes from the input point rotated back by -angle about the centre
    t = -np.deg2rad(float(angle))    # rows grow downwards: screen-CCW is a negative angle here
    y, x = r - dy - cy, c - dx - cx
    src_r = np.cos(t) * y - np.sin(t) * x + cy
    src_c = np.sin(t) * y + np.cos(t) * x + cx
    flat = image.reshape(-1, H, W).astype(np.float64)
    if order == 0:
        rr, cc = np.rint(src_r).astype(int), np.rint(src_c).astype(int)
        ok = (rr >= 0) & (rr < H) & (cc >= 0) & (cc < W)
        out = np.where(ok, flat[:, np.clip(rr, 0, H - 1), np.clip(cc, 0, W - 1)], 0.0)
    else:
        r0, c0 = np.floor(src_r).astype(int), np.floor(src_c).astype(int)
        fr, fc = src_r - r0, src_c - c0
        out = np.zeros_like(flat)
        for ddr, wr in ((0, 1 - fr), (1, fr)):
            for ddc, wc in ((0, 1 - fc), (1, fc)):
                rr, cc = r0 + ddr, c0 + ddc
                ok = (rr >= 0) & (rr < H) & (cc >= 0) & (cc < W)
                vals = flat[:, np.clip(rr, 0, H - 1), np.clip(cc, 0, W - 1)]
                out += np.where(ok, vals, 0.0) * (wr * wc)
    return out.reshape(image.shape).astype(image.dtype, copy=False)


def edge_responses(W, size=12):
    """How strongly each filter answers a vertical and a horizontal edge.

    Each filter (first channel) is cross-correlated with a size x size image that is dark on
    the left and bright on the right (a vertical edge) and with its transpose (a horizontal
    edge); the response is the largest absolute value of the valid output.

    Inputs:
    - W: filters of shape (FN, C, FH, FW)

    Returns (vertical, horizontal): float arrays of shape (FN,).
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 4:
        raise ValueError(f"edge_responses: W must have shape (FN, C, FH, FW), got {W.shape}")
    vertical = np.zeros((size, size))
    vertical[:, size // 2:] = 1.0
    images = np.stack([vertical, vertical.T])[:, None]          # (2, 1, size, size)
    out = F.conv2d(images, W[:, :1])                            # (2, FN, OH, OW)
    peak = np.abs(out).max(axis=(2, 3))
    return peak[0], peak[1]


def compare_models(names, train, test, *, epochs=2, batch_size=128, lr=1e-3, seed=0,
                   progress=False):
    """Train each named model the same way (Adam) and measure it.

    Inputs:
    - names: model names for ``cnn_course.models.build_model`` ("lenet-classic", ...)
    - train, test: Datasets (or (images, labels) pairs)
    - epochs, batch_size, lr, seed: the same training for every model

    Returns (rows, histories): rows is a list of dicts with keys "model", "params", "test_acc"
    (after the last epoch) and "seconds" (total training time, measured); histories maps
    each name to its History.
    """
    rows, histories = [], {}
    for name in names:
        model = build_model(name, seed=seed)
        start = time.perf_counter()
        history = fit(model, train, test, epochs=epochs, batch_size=batch_size,
                      optimizer=Adam(lr=lr), seed=seed, progress=progress)
        seconds = time.perf_counter() - start
        histories[name] = history
        rows.append({"model": name, "params": model.num_params(),
                     "test_acc": history.test_acc[-1], "seconds": seconds})
    return rows, histories
