"""Hand-made 3x3 kernels, test images, and learning a kernel from examples (chapter 1).

>>> K = get_kernel("vertical edge")        # (3, 3) float64
>>> Y = apply_kernel(image, K)             # valid cross-correlation: (H - 2, W - 2)
>>> K_hat, losses = learn_kernel(X, Y, kernel_size=3, lr=0.1, steps=200)

Every kernel here is applied by cross-correlation, the operation deep-learning libraries call
"convolution": ``Y[i, j] = sum_a sum_b K[a, b] * X[i + a, j + b]``. A positive edge kernel
responds positively where the image gets brighter in the direction its positive weights point.

Array letters: H, W image height and width; FH, FW kernel height and width;
OH = H - FH + 1, OW = W - FW + 1 the size of a valid output; N a number of images.
"""

import numpy as np

from cnn_course import functional as F
from cnn_course._validation import as_int

__all__ = ["KERNEL_NAMES", "get_kernel", "rotate45", "apply_kernel", "edge_image", "learn_kernel"]

_PRESETS = {
    "identity": [[0, 0, 0],
                 [0, 1, 0],
                 [0, 0, 0]],
    "vertical edge": [[-1, 0, 1],      # brighter to the right -> positive
                      [-1, 0, 1],
                      [-1, 0, 1]],
    "horizontal edge": [[-1, -1, -1],  # brighter below -> positive
                        [0, 0, 0],
                        [1, 1, 1]],
    "diagonal edge": [[0, 1, 1],       # an edge along the main diagonal "\":
                      [-1, 0, 1],      # brighter above-right of it -> positive
                      [-1, -1, 0]],
    "box blur": [[1 / 9, 1 / 9, 1 / 9],
                 [1 / 9, 1 / 9, 1 / 9],
                 [1 / 9, 1 / 9, 1 / 9]],
    "sharpen": [[0, -1, 0],
                [-1, 5, -1],
                [0, -1, 0]],
    "Laplacian": [[0, 1, 0],
                  [1, -4, 1],
                  [0, 1, 0]],
}

#: The names of the hand-made kernels, in display order.
KERNEL_NAMES = tuple(_PRESETS)

# The outer ring of a 3x3 array, clockwise from the top-left corner.
_RING = ((0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (1, 0))


def get_kernel(name, dtype=np.float64):
    """Return a fresh copy of the hand-made kernel ``name`` (one of ``KERNEL_NAMES``).

    Returns an array of shape (3, 3) and the given dtype.
    """
    if name not in _PRESETS:
        raise ValueError(f"unknown kernel {name!r}; known kernels: {', '.join(KERNEL_NAMES)}")
    return np.array(_PRESETS[name], dtype=dtype)


def rotate45(kernel, steps=1):
    """Rotate a 3x3 kernel by ``steps`` * 45 degrees clockwise.

    The centre stays put and the eight outer weights move ``steps`` places round the ring, so
    two steps are a quarter turn (the same as ``np.rot90(kernel, -1)``).

    Inputs:
    - kernel: array of shape (3, 3)
    - steps: int, any sign (negative turns anticlockwise)

    Returns a new (3, 3) array of the same dtype.
    """
    kernel = np.asarray(kernel)
    if kernel.shape != (3, 3):
        raise ValueError(f"rotate45: kernel must have shape (3, 3), got {kernel.shape}")
    steps = as_int(steps, "steps")
    ring = np.array([kernel[r, c] for r, c in _RING])
    ring = np.roll(ring, steps)
    out = kernel.copy()
    for (r, c), value in zip(_RING, ring):
        out[r, c] = value
    return out


def _as_float(x, name):
    x = np.asarray(x)
    if not (np.issubdtype(x.dtype, np.number) and not np.issubdtype(x.dtype, np.complexfloating)):
        raise TypeError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float64)
    return x


def apply_kernel(image, kernel, bias=0.0):
    """Valid 2-D cross-correlation of an image (or a stack of images) with one kernel, plus a bias.

    ``Y[..., i, j] = bias + sum_a sum_b kernel[a, b] * image[..., i + a, j + b]``

    Inputs:
    - image: array of shape (H, W), or (N, H, W) for N images
    - kernel: array of shape (FH, FW), with FH <= H and FW <= W
    - bias: a number added to every output

    Returns Y of shape (OH, OW) (or (N, OH, OW)), OH = H - FH + 1, OW = W - FW + 1, with the
    image's dtype if it is float32/float64 (else float64). Computed by ``functional.conv2d``
    on a batch of one-channel images with one filter.
    """
    image = _as_float(image, "image")
    kernel = _as_float(kernel, "kernel")
    if image.ndim not in (2, 3) or kernel.ndim != 2:
        raise ValueError(f"apply_kernel: image must be (H, W) or (N, H, W) and kernel (FH, FW); "
                         f"got image.shape={image.shape}, kernel.shape={kernel.shape}")
    H, W = image.shape[-2:]
    FH, FW = kernel.shape
    if FH > H or FW > W:
        raise ValueError(f"apply_kernel: the kernel ({FH}x{FW}) is larger than the image "
                         f"({H}x{W}); image.shape={image.shape}, kernel.shape={kernel.shape}")
    x = image.reshape(-1, 1, H, W)                             # (N, 1, H, W)
    K = kernel.astype(image.dtype, copy=False)[None, None]     # (1, 1, FH, FW)
    Y = F.conv2d(x, K, np.full(1, bias, dtype=image.dtype))    # (N, 1, OH, OW)
    return Y.reshape(*image.shape[:-2], H - FH + 1, W - FW + 1)


def edge_image(kind, size=8, dtype=np.float64):
    """A code-generated test image: 0 on one side of a straight edge, 1 on the other.

    Inputs:
    - kind: "vertical" (dark left half, bright right half), "horizontal" (dark top, bright
      bottom), "diagonal" (an edge along the main diagonal "\\": bright above-right of it),
      "anti-diagonal" (an edge along "/": bright below-right of it), or "flat" (all ones)
    - size: the image is (size, size)

    Returns an array of shape (size, size).
    """
    size = as_int(size, "size", minimum=2)
    r, c = np.indices((size, size))
    half = size // 2
    masks = {
        "vertical": c >= half,
        "horizontal": r >= half,
        "diagonal": c > r,
        "anti-diagonal": r + c >= size,
        "flat": np.ones((size, size), dtype=bool),
    }
    if kind not in masks:
        raise ValueError(f"edge_image: unknown kind {kind!r}; choose one of {', '.join(masks)}")
    return masks[kind].astype(dtype)


def learn_kernel(X, Y, kernel_size, lr=0.1, steps=200, seed=0):
    """Recover a kernel from input/output pairs by gradient descent on the squared error.

    The model is ``Y_hat = apply_kernel(X, K)`` (no bias); the loss is the mean squared error
    ``L = mean((Y_hat - Y) ** 2)`` over all outputs. Its gradient is itself a cross-correlation,
    of the inputs with the error: ``dL/dK[a, b] = 2/M * sum_{n,i,j} E[n, i, j] X[n, i + a, j + b]``
    with ``E = Y_hat - Y`` and M the number of outputs: the filter gradient dW that
    ``functional.conv2d_backward`` computes for upstream gradient E.

    Inputs:
    - X: inputs, shape (H, W) or (N, H, W)
    - Y: the target outputs, shape (OH, OW) or (N, OH, OW)
    - kernel_size: int or (FH, FW); must fit OH = H - FH + 1, OW = W - FW + 1
    - lr: learning rate (step size)
    - steps: number of gradient-descent updates
    - seed: seeds the small random initial kernel

    Returns (kernel, losses): the learned kernel, shape (FH, FW), and the loss before each
    update, shape (steps,), both with X's dtype.
    """
    X = _as_float(X, "X")
    Y = _as_float(Y, "Y").astype(X.dtype, copy=False)
    if X.ndim == 2:
        X, Y = X[None], Y[None]
    if X.ndim != 3:
        raise ValueError(f"learn_kernel: X must be (H, W) or (N, H, W), got shape {X.shape}")
    FH, FW = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else tuple(kernel_size)
    FH, FW = as_int(FH, "kernel_size", minimum=1), as_int(FW, "kernel_size", minimum=1)
    N, H, W = X.shape
    expected = (N, H - FH + 1, W - FW + 1)
    if Y.shape != expected:
        raise ValueError(f"learn_kernel: with X.shape={X.shape[-3:]} and a {FH}x{FW} kernel, "
                         f"Y must have shape {expected}, got {Y.shape}")
    steps = as_int(steps, "steps", minimum=1)
    lr = X.dtype.type(lr)

    rng = np.random.default_rng(seed)
    kernel = rng.normal(0.0, 0.1, size=(FH, FW)).astype(X.dtype)
    x, K = X[:, None], kernel[None, None]        # N one-channel images, one filter (a view)
    losses = np.empty(steps, dtype=X.dtype)
    for t in range(steps):
        Y_hat, col = F.conv2d_forward(x, K)                      # (N, 1, OH, OW)
        error = Y_hat[:, 0] - Y
        losses[t] = np.mean(error ** 2)
        dK = F.conv2d_backward(error[:, None], x, K, need_dx=False, cols=col)[1]
        K -= lr * dK * (2 / error.size)
    return kernel, losses
