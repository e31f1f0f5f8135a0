"""PyTorch as an independent oracle: conv2d, max_pool2d and avg_pool2d, forward and backward.

Both tiers of the engine, ``cnn_course.functional`` (the reference, chapter 5's im2col code) and
``cnn_course.fast`` (what the layers train with), are compared with PyTorch's CPU ops and
autograd on random inputs, over strides, paddings, dilations and both float dtypes.

PyTorch is not a course dependency. These tests are marked ``torch`` and run by ``.ci/oracle``,
which installs ``torch==2.13.0`` (CPU) into .venv and sets CNN_COURSE_ORACLE=1; there a missing
torch is a failure. Elsewhere, without torch, they are skipped with that reason.
"""

import importlib

import numpy as np
import pytest

pytestmark = pytest.mark.torch

TIERS = ["functional", "fast"]
# (relative tolerance of forward and backward) per dtype: the two libraries sum in other orders
RTOL = {np.float64: 1e-10, np.float32: 2e-5}

CONV_CASES = [  # x shape, W shape, stride, padding, dilation
    ((2, 3, 11, 10), (4, 3, 3, 4), (2, 1), (1, 2), (1, 2)),
    ((3, 1, 28, 28), (6, 1, 5, 5), 1, 2, 1),            # LeNet's first layer
    ((2, 6, 14, 14), (16, 6, 5, 5), 1, 0, 1),           # LeNet's second layer
    ((1, 2, 9, 7), (3, 2, 3, 3), 3, 1, 2),
]
POOL_CASES = [  # x shape, kernel_size, stride, padding
    ((2, 3, 11, 10), 3, 2, 1),
    ((3, 6, 28, 28), 2, 2, 0),                          # LeNet's pooling (tiling windows)
    ((2, 2, 9, 8), (3, 2), (1, 2), (1, 0)),
]


def tier(name):
    """cnn_course.functional or cnn_course.fast, imported when the test runs."""
    return importlib.import_module(f"cnn_course.{name}")


def max_rel(ours, theirs):
    """Largest entrywise gap relative to the largest entry of the oracle (0 for equal arrays)."""
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    assert ours.shape == theirs.shape, f"shape {ours.shape}, torch gives {theirs.shape}"
    return float(np.max(np.abs(ours - theirs)) / max(np.max(np.abs(theirs)), 1e-300))


def leaf(torch, a):
    return torch.tensor(np.ascontiguousarray(a), requires_grad=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation", CONV_CASES)
@pytest.mark.parametrize("name", TIERS)
def test_conv2d_forward_and_backward_agree_with_torch(torch, name, x_shape, w_shape, stride,
                                                      padding, dilation, dtype):
    F = tier(name)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    W = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    tx, tW, tb = leaf(torch, x), leaf(torch, W), leaf(torch, b)
    ty = torch.nn.functional.conv2d(tx, tW, tb, stride=stride, padding=padding,
                                    dilation=dilation)
    y = F.conv2d(x, W, b, stride, padding, dilation)
    assert y.dtype == dtype
    assert max_rel(y, ty.detach().numpy()) <= RTOL[dtype], f"{name}.conv2d forward"

    dy = rng.standard_normal(y.shape).astype(dtype)
    ty.backward(torch.tensor(dy))
    dx, dW, db = F.conv2d_backward(dy, x, W, stride, padding, dilation=dilation)
    for what, ours, theirs in (("dx", dx, tx.grad), ("dW", dW, tW.grad), ("db", db, tb.grad)):
        assert ours.dtype == dtype
        assert max_rel(ours, theirs.numpy()) <= RTOL[dtype], f"{name}.conv2d_backward {what}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("x_shape, kernel_size, stride, padding", POOL_CASES)
@pytest.mark.parametrize("name", TIERS)
@pytest.mark.parametrize("kind, seed", [("max", 1), ("avg", 2)])
def test_pool2d_forward_and_backward_agree_with_torch(torch, kind, seed, name, x_shape,
                                                      kernel_size, stride, padding, dtype):
    """Max pooling (continuous values, so no ties: its forward pass must be exact) and average
    pooling (zeros count, as in torch's default), forward and backward."""
    F = tier(name)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    tx = leaf(torch, x)
    ty = getattr(torch.nn.functional, f"{kind}_pool2d")(tx, kernel_size, stride, padding)
    y = getattr(F, f"{kind}_pool2d")(x, kernel_size, stride, padding)
    forward_tol = 0 if kind == "max" else RTOL[dtype]
    assert max_rel(y, ty.detach().numpy()) <= forward_tol, f"{name}.{kind}_pool2d forward"

    dy = rng.standard_normal(y.shape).astype(dtype)
    ty.backward(torch.tensor(dy))
    forward_input = x if kind == "max" else x.shape      # what each backward pass needs
    dx = getattr(F, f"{kind}_pool2d_backward")(dy, forward_input, kernel_size, stride, padding)
    assert max_rel(dx, tx.grad.numpy()) <= RTOL[dtype], f"{name}.{kind}_pool2d_backward"
