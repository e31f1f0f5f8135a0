"""Receptive fields of layer stacks, and the padding that gives "same" or "full" outputs.

Along one axis, a layer with kernel size k, stride s and dilation d maps output position i to
the input positions ``i*s + a*d`` for a = 0, ..., k-1. Stacking layers composes these maps.
Two numbers describe layer l of a stack, measured in pixels of the network's input:

- size r_l: how many input pixels one output pixel of layer l sees (its receptive field);
- jump j_l: how far apart (in input pixels) two neighbouring outputs of layer l look.

They obey (with r_0 = 1 and j_0 = 1 for the input itself)::

    r_l = r_{l-1} + d_l * (k_l - 1) * j_{l-1}
    j_l = j_{l-1} * s_l

Padding changes where the windows sit, not how large they are, so it does not enter.

The padding helpers return ``((top, bottom), (left, right))``, the form ``F.pad2d`` accepts.
"""

import numbers
from typing import NamedTuple

import numpy as np

from cnn_course import functional as F
from cnn_course._validation import as_int, as_pair

__all__ = ["RFLayer", "receptive_field", "same_padding", "full_padding", "window_geometry",
           "window_counts", "impulse_response", "input_gradient_support"]


class RFLayer(NamedTuple):
    """One layer of a stack and the receptive field of its output pixels (one axis)."""

    kernel_size: int
    stride: int
    dilation: int
    size: int  # receptive field r_l, in input pixels
    jump: int  # distance between neighbouring outputs' fields, in input pixels


def _pick(value, name, axis):
    """An int, or the ``axis`` entry of an (h, w) pair."""
    if isinstance(value, (tuple, list)):
        return as_pair(value, name, minimum=1)[axis]
    return as_int(value, name, minimum=1)


def _spec_of(layer, index, axis):
    """(kernel_size, stride, dilation) of a spec tuple, an int or a layer object."""
    from cnn_course import layers as L  # layer classes, for objects from the engine

    name = type(layer).__name__
    if isinstance(layer, (tuple, list)):
        if not 1 <= len(layer) <= 3:
            raise ValueError(f"receptive_field: layer {index} must be (kernel_size, stride, "
                             f"dilation) with stride and dilation optional, got {layer!r}")
        k, s, d = (*layer, 1, 1)[:3]
    elif isinstance(layer, numbers.Integral) and not isinstance(layer, bool):
        k, s, d = layer, 1, 1
    elif isinstance(layer, (L.Dense, L.Flatten)):
        raise ValueError(f"receptive_field: layer {index} ({name}) connects every input pixel "
                         "to every output: the receptive field is the whole image")
    elif isinstance(layer, L.Conv2D):
        k = tuple(layer.params["W"].shape[-2:])  # filters (FN, C, FH, FW)
        s, d = layer.stride, layer.dilation
    elif hasattr(layer, "kernel_size"):  # pooling layers (stride None: the kernel size)
        k = layer.kernel_size
        s = k if getattr(layer, "stride", None) is None else layer.stride
        d = getattr(layer, "dilation", 1)
    elif isinstance(layer, L.Layer):  # ReLU, Sigmoid, ...: pixel by pixel
        k, s, d = 1, 1, 1
    else:
        raise TypeError(f"receptive_field: layer {index} must be a (kernel_size, stride, "
                        f"dilation) tuple or a layer object, got {name}")
    return (_pick(k, f"kernel_size of layer {index}", axis),
            _pick(s, f"stride of layer {index}", axis),
            _pick(d, f"dilation of layer {index}", axis))


def receptive_field(layers, axis=0):
    """Receptive field size and jump after each layer of a stack, along one axis.

    Inputs:
    - layers: a sequence of layer specs, each ``(kernel_size, stride, dilation)`` (stride and
      dilation optional, default 1; a bare int is a kernel size), or layer objects with
      ``cnn_course.layers`` objects (Conv2D, MaxPool2D, AvgPool2D; activations count as 1x1;
      Dense and Flatten raise). Entries may be (h, w) pairs; ``axis`` picks one.
    - axis: 0 for height, 1 for width (used only where a spec is a pair)

    Returns a list with one ``RFLayer(kernel_size, stride, dilation, size, jump)`` per layer.

    >>> [rf.size for rf in receptive_field([(3, 1, 1)] * 3)]
    [3, 5, 7]
    >>> receptive_field([(3, 1), (2, 2), (3, 1)])[-1]
    RFLayer(kernel_size=3, stride=1, dilation=1, size=8, jump=2)
    """
    if axis not in (0, 1):
        raise ValueError(f"receptive_field: axis must be 0 (height) or 1 (width), got {axis!r}")
    size, jump, out = 1, 1, []
    for index, layer in enumerate(layers):
        k, s, d = _spec_of(layer, index, axis)
        size += d * (k - 1) * jump
        jump *= s
        out.append(RFLayer(k, s, d, size, jump))
    return out


def _split(total):
    """Split ``total`` padding pixels: floor before, ceil after (the extra one at the end)."""
    return total // 2, total - total // 2


def same_padding(kernel_size, dilation=1):
    """Padding that keeps the output size equal to the input size (at stride 1).

    A kernel spanning ``e = dilation*(k - 1) + 1`` pixels needs ``e - 1`` padding pixels in
    total along each axis. For odd k that is ``(k - 1)/2`` on each side. When ``e - 1`` is
    odd (an even kernel with dilation 1) the split is asymmetric: floor((e-1)/2) on the top
    (left) and ceil((e-1)/2) on the bottom (right), as TensorFlow's ``padding="SAME"`` and
    PyTorch's ``padding="same"`` do. (d2l puts the extra row on top instead: the size is the
    same, the output moves by one pixel.)

    Inputs:
    - kernel_size: k, or an (FH, FW) pair
    - dilation: an int or an (h, w) pair

    Returns ((top, bottom), (left, right)).

    >>> same_padding(3)
    ((1, 1), (1, 1))
    >>> same_padding(4)
    ((1, 2), (1, 2))
    """
    kh, kw = as_pair(kernel_size, "kernel_size", minimum=1)
    dh, dw = as_pair(dilation, "dilation", minimum=1)
    return _split(dh * (kh - 1)), _split(dw * (kw - 1))


def full_padding(kernel_size, dilation=1):
    """Padding for a "full" convolution: every position where kernel and input overlap.

    ``dilation*(k - 1)`` zeros on each side, so the output has ``H + dilation*(k - 1)`` rows.

    Inputs:
    - kernel_size: k, or an (FH, FW) pair
    - dilation: an int or an (h, w) pair

    Returns ((top, bottom), (left, right)).

    >>> full_padding(3)
    ((2, 2), (2, 2))
    """
    kh, kw = as_pair(kernel_size, "kernel_size", minimum=1)
    dh, dw = as_pair(dilation, "dilation", minimum=1)
    ph, pw = dh * (kh - 1), dw * (kw - 1)
    return (ph, ph), (pw, pw)


def window_geometry(n, kernel_size, padding=0, stride=1, dilation=1):
    """Where the windows sit along one axis of a padded input.

    Inputs:
    - n: input size (H or W); kernel_size, padding (each side), stride, dilation: ints

    Returns a dict with
    - padded: n + 2*padding
    - span: the window's extent, dilation*(kernel_size - 1) + 1
    - out: number of windows (the output size), 0 if the window does not fit
    - starts: list of the windows' first positions (0, stride, 2*stride, ...)
    - read: bool list over the padded axis, True where some window tap lands
    - leftover: (padded - span) % stride, the positions after the last window that the
      floor in the output-size formula drops (0 if the stride divides evenly)
    - unread: the input positions (0 to n - 1, padding not counted) that no tap reads: after
      the last window, or skipped between windows when the stride is larger than the span
      (or between the holes of a dilated kernel)
    """
    padded = n + 2 * padding
    span = dilation * (kernel_size - 1) + 1
    out = 0 if span > padded else F.conv_output_size(n, kernel_size, padding, stride, dilation)
    starts = [i * stride for i in range(out)]
    read = [False] * padded
    for s in starts:
        for a in range(kernel_size):
            read[s + a * dilation] = True
    leftover = (padded - span) % stride if out else 0
    unread = [i for i in range(n) if not read[padding + i]]
    return {"padded": padded, "span": span, "out": out, "starts": starts, "read": read,
            "leftover": leftover, "unread": unread}


def _impulses(size):
    """A batch of size*size images (N, 1, size, size), image i*size + j is 1 at (i, j) only."""
    return np.eye(size * size).reshape(size * size, 1, size, size)


def window_counts(size, kernel_size, padding=0, stride=1, dilation=1):
    """How many windows of a convolution read each pixel of a size x size input: forward only.

    Each input pixel in turn is an impulse (1 there, 0 elsewhere; all of them as one batch)
    fed through ``conv2d`` with an all-ones kernel: every window that reads the pixel outputs 1,
    every other window 0, so the sum of the outputs counts the windows. 0 means never read.

    Inputs:
    - size: the input is size x size; kernel_size, padding, stride, dilation: ints or pairs

    Returns an int array of shape (size, size).
    """
    kh, kw = as_pair(kernel_size, "kernel_size", minimum=1)
    y = F.conv2d(_impulses(size), np.ones((1, 1, kh, kw)), stride=stride, padding=padding,
                 dilation=dilation)
    return np.rint(y.sum(axis=(1, 2, 3))).astype(int).reshape(size, size)


def impulse_response(specs, size):
    """What one output pixel of a stack of convolutions reads from each input pixel: forward.

    Each input pixel in turn is an impulse (one batch of size*size images) pushed through the
    stack, all weights 1/k^2 and no bias; the output pixel nearest the centre of the last layer
    keeps, for each input pixel, how strongly it responds. The stack is linear, so this is
    exactly the gradient that ``input_gradient_support`` finds backward (chapter 5).

    Inputs:
    - specs: (kernel_size, stride, dilation) per layer (square kernels)
    - size: the input is size x size

    Returns (r, (ci, cj)): r of shape (size, size), nonzero exactly on the pixels that the
    output pixel (ci, cj) depends on.
    """
    x = _impulses(size)
    for k, s, d in specs:
        x = F.conv2d(x, np.full((1, 1, k, k), 1.0 / (k * k)), stride=s, dilation=d)
    OH, OW = x.shape[2:]
    ci, cj = (OH - 1) // 2, (OW - 1) // 2
    return x[:, 0, ci, cj].reshape(size, size), (ci, cj)


def input_gradient_support(specs, size):
    """|d y[centre] / d x| for a stack of convolutions, by backpropagating through conv2d.

    Inputs:
    - specs: (kernel_size, stride, dilation) per layer (square kernels, all weights 1/k^2)
    - size: the input is size x size

    Returns (g, (ci, cj)): g of shape (size, size), the absolute input gradient of the output
    pixel (ci, cj) nearest the centre of the last layer's output.
    """
    x = np.zeros((1, 1, size, size))
    inputs, Ws = [], []
    for k, s, d in specs:
        W = np.full((1, 1, k, k), 1.0 / (k * k))
        inputs.append(x)
        Ws.append(W)
        x = F.conv2d(x, W, stride=s, dilation=d)
    OH, OW = x.shape[2:]
    ci, cj = (OH - 1) // 2, (OW - 1) // 2
    dy = np.zeros_like(x)
    dy[0, 0, ci, cj] = 1.0
    for (k, s, d), xin, W in zip(reversed(specs), reversed(inputs), reversed(Ws)):
        dy = F.conv2d_backward(dy, xin, W, stride=s, dilation=d)[0]
    return np.abs(dy[0, 0]), (ci, cj)
