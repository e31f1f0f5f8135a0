"""Transposed convolution (转置卷积): the input gradient of a convolution, used as a layer.

A convolution with filters W of shape (FN, C, FH, FW) maps x (N, C, H, W) to
y (N, FN, OH, OW). It is linear in x, so it is a (huge, sparse) matrix A: y = A x. Its backward
pass sends an upstream gradient dy back as dx = A^T dy. The function that computes A^T, fed with
a feature map instead of a gradient, is the *transposed convolution*: it maps FN channels back
to C channels and, with stride s, makes the picture about s times larger (upsampling).

Computed the way the backward pass computes it (no new idea needed):

1. each position of dy holds FN numbers; multiply them into the filter bank:
   ``dcol = dy_rows @ W.reshape(FN, -1)`` gives one row of C*FH*FW numbers per position,
   laid out exactly like a row of ``im2col``;
2. ``col2im`` adds every row back onto the window it came from (overlaps sum).

The adjoint relation ``<conv2d(x, W), y> == <x, conv_transpose2d(y, W)>`` is what makes it
the transpose; the tests check it numerically.

With stride s > 1 a convolution maps s different input sizes to the same output size (stride 2,
kernel 3, padding 1 maps 5x5 and 6x6 to 3x3), so "the" transpose must be told which size to
return. ``conv_transpose2d`` returns the smallest; ``conv2d_input_grad`` takes the size, and
``conv_transpose2d_dilated`` takes PyTorch's ``output_padding`` (extra rows and columns at the
bottom and right).

The same map in the index form of the backward pass (the *fractionally strided* view, 微步卷积):
insert s - 1 zeros between the entries of y (``dilate``), pad by FH - 1 on each side, and
cross-correlate with stride 1 with the filters flipped by 180 degrees and their channel axes
swapped; then crop the convolution's padding.
"""

import numpy as np

from cnn_course import functional as F
from cnn_course._validation import as_pair, check_float_array, check_same_dtype

__all__ = ["conv2d_input_grad", "conv_transpose2d", "conv_transpose2d_dilated",
           "conv_transpose2d_output_size", "dilate",
           "bilinear_kernel", "upsample_bilinear"]


def _check_input_grad_args(dy, W, x_shape):
    where = "conv2d_input_grad"
    check_float_array(dy, "dy", 4, where=where)
    check_float_array(W, "W", 4, where=where)
    check_same_dtype(where, dy=dy, W=W)
    if dy.shape[1] != W.shape[0]:
        raise ValueError(f"{where}: dy has {dy.shape[1]} channels but W makes {W.shape[0]} "
                         f"(dy.shape={dy.shape}, W.shape={W.shape})")
    if len(x_shape) != 4 or x_shape[0] != dy.shape[0] or x_shape[1] != W.shape[1]:
        raise ValueError(f"{where}: x_shape must be (N, C, H, W) = "
                         f"({dy.shape[0]}, {W.shape[1]}, H, W), got {tuple(x_shape)}")


def conv2d_input_grad(dy, W, x_shape, stride=1, padding=0):
    """Gradient of the loss with respect to the input of a conv2d.

    The forward pass was y = conv2d(x, W, stride=stride, padding=padding).

    Inputs:
    - dy: upstream gradient, of shape (N, FN, OH, OW)
    - W: filters, of shape (FN, C, FH, FW)
    - x_shape: (N, C, H, W), the shape of the forward input
    - stride, padding: as in the forward call (ints or (h, w) pairs)

    Returns:
    - dx: of shape (N, C, H, W), same dtype as dy
    """
    _check_input_grad_args(dy, W, x_shape)
    FN, C, FH, FW = W.shape
    dy_rows = dy.transpose(0, 2, 3, 1).reshape(-1, FN)       # (N*OH*OW, FN)
    dcol = dy_rows @ W.reshape(FN, -1)                         # (N*OH*OW, C*FH*FW)
    return F.col2im(dcol, tuple(x_shape), FH, FW, stride, padding)


def conv_transpose2d(x, W, stride=1, padding=0):
    """Transposed convolution: the adjoint of ``conv2d(., W, stride, padding)``.

    Every input pixel x[n, f, i, j] adds a copy of the filters W[f] (weighted by its value)
    onto the output at (i*stride - padding, j*stride - padding); overlapping copies add up.

    Inputs:
    - x: feature maps, of shape (N, FN, H, W)
    - W: filters, of shape (FN, C, FH, FW): the filter bank of the convolution being
      transposed (a conv2d from C to FN channels); PyTorch's ConvTranspose2d stores its
      weight in this same (in, out, FH, FW) layout
    - stride, padding: ints or (h, w) pairs

    Returns:
    - y: of shape (N, C, OH, OW) with OH = (H - 1)*stride - 2*padding + FH (OW likewise),
      the smallest size that a conv2d with these settings maps back to (H, W)
    """
    check_float_array(x, "x", 4, where="conv_transpose2d")
    check_float_array(W, "W", 4, where="conv_transpose2d")
    FN, C, FH, FW = W.shape
    if x.shape[1] != FN:
        raise ValueError(f"conv_transpose2d: x has {x.shape[1]} channels but W expects {FN} "
                         f"(x.shape={x.shape}, W.shape={W.shape})")
    stride = as_pair(stride, "stride", minimum=1)
    padding = as_pair(padding, "padding", minimum=0)
    N, _, H, W_in = x.shape
    OH, OW = conv_transpose2d_output_size((H, W_in), (FH, FW), stride, padding)
    if OH < 1 or OW < 1:
        raise ValueError(f"conv_transpose2d: padding={padding} is too large: the output would "
                         f"be {OH}x{OW} (x.shape={x.shape}, W.shape={W.shape}, stride={stride})")
    return conv2d_input_grad(x, W, (N, C, OH, OW), stride, padding)


def conv_transpose2d_output_size(n, k, stride=1, padding=0):
    """Output size of a transposed convolution: ``(n - 1)*stride - 2*padding + k``.

    The smallest input size that ``functional.conv_output_size(., k, padding, stride)`` maps
    back to n. Each argument is an int or an (h, w) pair; if any is a pair, an (OH, OW) pair
    is returned. The result may be < 1 when the padding is too large (the caller says so).
    """
    args = [as_pair(n, "n", minimum=1), as_pair(k, "k", minimum=1),
            as_pair(stride, "stride", minimum=1), as_pair(padding, "padding", minimum=0)]
    out = tuple((n_ - 1) * s - 2 * p + k_ for n_, k_, s, p in zip(*args))
    pair_given = any(isinstance(a, (tuple, list)) for a in (n, k, stride, padding))
    return out if pair_given else out[0]


def dilate(y, stride):
    """Insert stride - 1 zeros between neighbouring entries of y along its last two axes.

    Inputs:
    - y: array of shape (N, FN, H, W)
    - stride: int or (h, w) pair

    Returns:
    - d: of shape (N, FN, (H - 1)*sh + 1, (W - 1)*sw + 1), d[..., i*sh, j*sw] = y[..., i, j]
      and zeros elsewhere
    """
    check_float_array(y, "y", 4, where="dilate")
    sh, sw = as_pair(stride, "stride", minimum=1)
    N, FN, H, Wd = y.shape
    d = np.zeros((N, FN, (H - 1) * sh + 1, (Wd - 1) * sw + 1), dtype=y.dtype)
    d[:, :, ::sh, ::sw] = y
    return d


def conv_transpose2d_dilated(x, W, stride=1, padding=0, output_padding=0):
    """Transposed convolution computed as a fractionally strided convolution (微步卷积).

    The index form of the input gradient (chapter 5.4), for any stride: put stride - 1 zeros
    between the entries of x, pad with FH - 1 rows (FW - 1 columns) of zeros on each side plus
    ``output_padding`` more at the bottom (right), cross-correlate with stride 1 with every
    filter rotated by 180 degrees and the channel axes swapped, and crop ``padding`` from each
    side. Equal to ``conv2d_input_grad(x, W, (N, C, OH, OW), stride, padding)``.

    Inputs:
    - x: feature maps, of shape (N, FN, H, W)
    - W: filters, of shape (FN, C, FH, FW), as in conv_transpose2d
    - stride, padding, output_padding: ints or (h, w) pairs; 0 <= output_padding < stride,
      as in PyTorch's ConvTranspose2d

    Returns:
    - y: of shape (N, C, OH, OW), OH = (H - 1)*stride - 2*padding + FH + output_padding
    """
    check_float_array(x, "x", 4, where="conv_transpose2d_dilated")
    check_float_array(W, "W", 4, where="conv_transpose2d_dilated")
    check_same_dtype("conv_transpose2d_dilated", x=x, W=W)
    FN, C, FH, FW = W.shape
    if x.shape[1] != FN:
        raise ValueError(f"conv_transpose2d_dilated: x has {x.shape[1]} channels but W expects "
                         f"{FN} (x.shape={x.shape}, W.shape={W.shape})")
    stride = as_pair(stride, "stride", minimum=1)
    ph, pw = as_pair(padding, "padding", minimum=0)
    oph, opw = as_pair(output_padding, "output_padding", minimum=0)
    if oph >= stride[0] or opw >= stride[1]:
        raise ValueError(f"conv_transpose2d_dilated: output_padding={output_padding} must be "
                         f"smaller than the stride {stride}")
    OH, OW = conv_transpose2d_output_size(x.shape[2:], (FH, FW), stride, (ph, pw))
    OH, OW = OH + oph, OW + opw
    if OH < 1 or OW < 1:
        raise ValueError(f"conv_transpose2d_dilated: padding={padding} is too large: the "
                         f"output would be {OH}x{OW} (x.shape={x.shape}, W.shape={W.shape})")
    d = dilate(x, stride)
    full = np.pad(d, ((0, 0), (0, 0), (FH - 1, FH - 1 + oph), (FW - 1, FW - 1 + opw)))
    W_flipped = W.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1]          # (C, FN, FH, FW)
    out = F.conv2d(full, np.ascontiguousarray(W_flipped))
    return out[:, :, ph:ph + OH, pw:pw + OW]


def bilinear_kernel():
    """The 4x4 kernel of 2x bilinear upsampling, outer([1/4, 3/4, 3/4, 1/4]), as (1, 1, 4, 4).

    Used with stride 2 and padding 1, each output pixel blends its two nearest input pixels
    per axis with weights 3/4 and 1/4.
    """
    k1 = np.array([0.25, 0.75, 0.75, 0.25])
    return np.outer(k1, k1)[None, None]


def upsample_bilinear(x):
    """2x bilinear upsampling of each channel of x (N, C, H, W), edges clamped.

    ``conv_transpose2d`` with ``bilinear_kernel()`` treats the pixels outside the image as 0,
    so its border comes out dim (a constant image of ones gives 3/4 on the edges and 9/16 in
    the corners). Repeating the border pixels once (``np.pad(mode="edge")``) before and
    cropping the 2 extra pixels on each side after removes that; the result is what image
    libraries call bilinear resizing (PyTorch's ``interpolate(..., mode="bilinear",
    align_corners=False)``).

    Returns an array of shape (N, C, 2H, 2W).
    """
    check_float_array(x, "x", 4, where="upsample_bilinear")
    N, C, H, Wd = x.shape
    xe = np.pad(x.reshape(N * C, 1, H, Wd), ((0, 0), (0, 0), (1, 1), (1, 1)), mode="edge")
    up = conv_transpose2d(xe, bilinear_kernel().astype(x.dtype), stride=2, padding=1)
    return up[:, :, 2:-2, 2:-2].reshape(N, C, 2 * H, 2 * Wd)
