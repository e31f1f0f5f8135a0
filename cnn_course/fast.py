"""The fast tier: the convolution and pooling ops of ``cnn_course.functional``, rearranged for
speed. The layers in ``cnn_course.layers`` train with these.

Same names, signatures, checks and results as the reference tier (``cnn_course.functional``,
the im2col code chapter 5 derives); the tests assert that fast == functional == naive.
Shapes: x (N, C, H, W), W (FN, C, FH, FW), y (N, FN, OH, OW) (pooling: (N, C, OH, OW)).

What is done differently, and why it is faster:

1. Batch-last layout. The reference unfolds x into col of shape (N*OH*OW, C*FH*FW), one row
   per window, so every copy it makes runs over short rows of OW numbers. Here the image is
   first copied (and zero-padded) once into a buffer laid out as (C, H, W, N): the batch is
   the innermost axis, so each copy and each shifted add below runs over long contiguous
   stretches of OW*N numbers, which is what numpy does fast.
2. Strided window view instead of a loop of copies. ``as_strided`` lists every receptive field
   of that buffer as a (C, FH, FW, OH, OW, N) view without copying anything; one copy of the
   view is the patch matrix cols (C*FH*FW, OH*OW*N), im2col's matrix transposed.
3. No transposes after the product. ``W2 @ cols`` comes out as (FN, OH*OW*N), already in
   batch-last order; conv2d returns an (N, FN, OH, OW) *view* of it, and the next layer
   (ReLU, pooling, this conv again) accepts that layout as it is. The backward pass reads dy
   in the same order for free.
4. Blocked col2im. The input gradient ``col2im(W2.T @ dy2)`` is computed a few output rows at
   a time, so each block of patch gradients (about 1 MB) is scattered back while it is still
   in the CPU cache, instead of one big product followed by one big scatter.
5. No input gradient for the first layer: ``need_dx=False`` skips col2im entirely (nobody
   needs the gradient of the images).
6. Pooling without im2col. The maximum (or the sum) is taken over KH*KW strided views of the
   input, one per kernel offset, updated in place. The backward pass compares the input with
   the saved output to find each window's first maximum (never calling argmax); when the
   windows tile the input (stride == kernel_size, no padding, as in LeNet) all windows are
   handled by a few whole-array operations on an (N, C, OH, KH, OW, KW) view.

7. Polyphase convolution (多相卷积). A product ``W2 @ cols`` with only 6 or 16 rows (LeNet's
   filters) over 50k-200k columns streams its operands from memory and runs at a fraction of
   the CPU's speed. When the stride is 1 and the output height and width are even, the
   output splits into four *phases*: the positions (2p + a, 2q + b) for a, b in {0, 1}, the
   four outputs under each 2x2 pooling window. All four come from the same (FH+1, FW+1)
   window of the input at (2p, 2q), so one product of a (4*FN, C*(FH+1)*(FW+1)) filter
   matrix (each filter placed four times, shifted by (a, b), zeros elsewhere) with the
   stride-2 patch matrix computes them: 4x the rows, a quarter of the columns, 1.44x the
   multiply-adds for 5x5 filters, and about twice the speed. The patch matrix carries a
   row of ones below it, so the bias costs no pass of its own: the filter matrix carries
   the biases as an extra column, which the product multiplies by the ones (W @ x + b as
   [W | b] @ [x; 1]), and the biases' gradient is the extra row of the filter-gradient
   product.
   The polyphase input gradient is computed in large blocks (about 8 MB of patch
   gradients; for LeNet one block): there the product dominates, and it runs markedly
   slower over the few thousand columns of a cache-sized block.
8. Cache-sized chunks. The patch matrix is built and multiplied a few output rows at a time
   (about 1 MB of patches per chunk, but at least 8192 columns: thinner products are
   slower), so the product reads patches that were just written and are still in the cache;
   the products of all chunks are written into one reused buffer. A polyphase patch matrix
   built in several chunks is not kept for the backward pass at all (for LeNet's first
   layer it is 7.4 MB, seven times the padded input): the filter-gradient product rebuilds
   each chunk (about 2 MB of patches and output gradients together) from the input just
   before multiplying it, and when no input gradient is needed (the first layer) it makes
   the phases' output gradient chunk by chunk too, so neither is ever stored whole. A
   product whose filter matrix or result is tiny (LeNet's first layer: 24x36 filters, a
   37x24 filter gradient) is split further, into pieces of 1024 columns of its long side,
   which OpenBLAS multiplies about twice as fast as one long product (``_matmul_wide``,
   ``_matmul_long``).
9. A fused convolution-ReLU-max-pool (``conv_relu_pool2d``): with polyphase the four values of
   each 2x2 pooling window are four rows of the product, so pooling is three ``np.maximum``
   over rows and the full-size convolution output is never stored. ReLU is applied after
   the pooling (max and ReLU commute: max(relu(a), relu(b)) == relu(max(a, b))), on a
   quarter of the values, and so is the bias (max(a + b, c + b) == max(a, c) + b). The
   layer ``layers.ConvReLUPool2D`` trains with it.

Results are therefore not always C-contiguous; every op accepts any memory layout.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from cnn_course._validation import as_shape, check_float_array, check_same_dtype, check_shape
from cnn_course.functional import _avg_pool_backward_args, _conv_args, _pool_args

__all__ = ["conv2d", "conv2d_forward", "conv2d_backward",
           "max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward",
           "conv_relu_pool2d", "conv_relu_pool2d_forward", "conv_relu_pool2d_backward",
           "uses_polyphase"]


# Size of the blocks of patch gradients in conv2d_backward (floats): about 1 MB in float32.
_BLOCK_FLOATS = 1 << 18

# Size of the chunks of the patch matrix built and multiplied at once (floats): about 1 MB,
# but at least _MIN_CHUNK_COLS columns (thin products over fewer columns run slower: LeNet's
# second convolution, 6400 columns in all, is fastest as one product).
_CHUNK_FLOATS = 1 << 18
_MIN_CHUNK_COLS = 1 << 13

# Size of the chunks of the polyphase filter-gradient product (floats, patches and output
# gradients together): about 2 MB, the size of the L2 cache of the machines it was tuned on.
_GRAD_CHUNK_FLOATS = 1 << 19

# Size of the blocks of patch gradients in the polyphase backward pass (floats): about 8 MB.
# There the product dominates, and it runs faster over more columns than cache-sized blocks.
_PHASE_BLOCK_FLOATS = 1 << 21

# Polyphase is used for convolutions with at most this many filters (4*FN rows in the
# product); with more filters the plain product already has enough rows to run fast.
_POLYPHASE_MAX_FILTERS = 32

# Small products (both operands' shared side and the output small: LeNet's first layer, a
# 24x36 filter matrix, a 37x24 filter gradient) run in pieces of at most this many columns
# of the long side. Measured (Intel Xeon, OpenBLAS 0.3.31 SkylakeX, one thread): the filter
# gradient of conv1, 37x50176 by 50176x24, 2.3 ms as one product, 1.2 ms summed over
# 1024-column pieces (1.2 for 768, 2.0-2.6 from 1152 up); its forward product 1.65 -> 1.3.
_SMALL_PRODUCT_COLS = 1 << 10
_SMALL_PRODUCT_FLOATS = 1 << 12      # "small": the operand (or output) kept whole has this many


# --------------------------------------------------------------------------- layouts

def _alloc_like(x, shape, value=None):
    """A new array of the given shape laid out in memory in x's axis order (outermost axis
    first), filled with value (left uninitialised if None)."""
    order = sorted(range(x.ndim), key=lambda a: -abs(x.strides[a]))
    buf = np.empty([shape[a] for a in order], dtype=x.dtype)
    if value is not None:
        buf.fill(value)
    return buf.transpose(np.argsort(order))


def _like_layout(a, like):
    """a itself if its axes are laid out in memory like those of ``like``, else a copy that is
    (elementwise numpy ops are slow when their operands disagree)."""
    def order(arr):
        return sorted(range(arr.ndim), key=lambda ax: -abs(arr.strides[ax]))
    if order(a) == order(like):
        return a
    out = _alloc_like(like, a.shape)
    out[...] = a
    return out


def _pad_hw(x, padding, value=0):
    """Pad the last two axes symmetrically by padding=(ph, pw), keeping x's memory layout;
    return x itself if (0, 0)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    *lead, H, W = x.shape
    out = _alloc_like(x, (*lead, H + 2 * ph, W + 2 * pw), value)
    out[..., ph:ph + H, pw:pw + W] = x
    return out


def _batch_last(x, padding):
    """x (N, C, H, W), any layout -> zero-padded C-contiguous buffer (C, H+2ph, W+2pw, N).

    No copy at all when x is already a batch-last view and padding is (0, 0).
    """
    xt = x.transpose(1, 2, 3, 0)
    ph, pw = padding
    if ph == 0 and pw == 0:
        return np.ascontiguousarray(xt)
    C, H, W, N = xt.shape
    out = np.zeros((C, H + 2 * ph, W + 2 * pw, N), dtype=x.dtype)
    out[:, ph:ph + H, pw:pw + W] = xt
    return out


# --------------------------------------------------------------------------- window views

def _windows_batch_last(xb, kernel, out_hw, stride, dilation):
    """Every receptive field of a batch-last buffer xb (C, Hp, Wp, N), as a read-only view of
    shape (C, FH, FW, OH, OW, N): conv2d's patch matrix before it is copied."""
    sC, sH, sW, sN = xb.strides
    C, N = xb.shape[0], xb.shape[3]
    (FH, FW), (OH, OW), (sh, sw), (dh, dw) = kernel, out_hw, stride, dilation
    return as_strided(xb, shape=(C, FH, FW, OH, OW, N),
                      strides=(sC, dh * sH, dw * sW, sh * sH, sw * sW, sN), writeable=False)


def _offsets(kernel):
    return [(i, j) for i in range(kernel[0]) for j in range(kernel[1])]


def _offset_slices(i, j, out_hw, stride):
    """Slices picking, for kernel offset (i, j), the input pixel each output position sees."""
    (OH, OW), (sh, sw) = out_hw, stride
    return (slice(i, i + sh * (OH - 1) + 1, sh), slice(j, j + sw * (OW - 1) + 1, sw))


def _scatter_windows(d6, dxp, stride, dilation, row0=0):
    """col2im core: add window gradients back onto the input grid, one kernel offset at a time.

    d6 (C, FH, FW, R, OW, N), any strides, holds the gradients of the windows of output rows
    row0 .. row0 + R - 1; they are added into dxp (C, Hp, Wp, N), the padded input's gradient
    stored batch-last.
    """
    FH, FW, R, OW = d6.shape[1:5]
    (sh, sw), (dh, dw) = stride, dilation
    for i in range(FH):
        top = row0 * sh + i * dh
        rows = slice(top, top + sh * (R - 1) + 1, sh)
        for j in range(FW):
            cols = slice(j * dw, j * dw + sw * (OW - 1) + 1, sw)
            dxp[:, rows, cols] += d6[:, i, j]


# --------------------------------------------------------------------------- conv2d

def _chunks(rows, floats_per_row, cols_per_row=0, budget=None):
    """(r0, r1) ranges of output rows, each holding about ``budget`` floats (default
    _CHUNK_FLOATS) and, if cols_per_row is given, at least _MIN_CHUNK_COLS columns."""
    budget = _CHUNK_FLOATS if budget is None else budget
    step = max(1, budget // max(1, floats_per_row))
    if cols_per_row:
        step = max(step, -(-_MIN_CHUNK_COLS // cols_per_row))
    return [(r0, min(rows, r0 + step)) for r0 in range(0, rows, step)]


def _fill_cols(view, cols, r0, r1, offset=0):
    """Copy output rows r0..r1-1 of a window view (C, FH, FW, R, OW, N) into their columns
    of the patch matrix cols (C*FH*FW, R*OW*N) and return that block of columns (a view).
    cols may hold only some rows' columns: those of row r in its column block r - offset."""
    C, FH, FW, _, OW, N = view.shape
    block = cols[:, (r0 - offset) * OW * N:(r1 - offset) * OW * N]
    block.reshape(C, FH, FW, r1 - r0, OW, N)[...] = view[:, :, :, r0:r1]
    return block


def _conv2d_cols(x, kernel, out_hw, stride, padding, dilation):
    """The batch-last patch matrix, shape (C*FH*FW, OH*OW*N) (a copy)."""
    N, C = x.shape[:2]
    view = _windows_batch_last(_batch_last(x, padding), kernel, out_hw, stride, dilation)
    return view.reshape(C * kernel[0] * kernel[1], out_hw[0] * out_hw[1] * N)


class Polyphase:
    """What a polyphase convolution keeps for its backward pass.

    - view: the stride-2 (FH+1, FW+1) windows of the padded batch-last input, a read-only
      view of shape (C, FH+1, FW+1, P, Q, N) with P = OH/2 and Q = OW/2: window (p, q) of
      image n covers the windows of all four outputs (2p + a, 2q + b), a, b in {0, 1}; it is
      column (p, q, n) of the stride-2 patch matrix
    - W4: the filters placed four times, shape (4*FN, C*(FH+1)*(FW+1)), rows in (a, b, f)
      order: row (a, b, f) is filter f shifted down by a and right by b
    - ext: the stride-2 patch matrix (C*(FH+1)*(FW+1), P*Q*N) with a row of ones below it,
      or None. The backward pass multiplies ext instead of the patch matrix by the output
      gradient: the extra row of the product is the gradient's sum over the batch and
      positions, the biases' gradient, for about one more row of work instead of a separate
      pass over the gradient. A patch matrix built in several cache-sized chunks is not
      kept (ext is None): the backward pass rebuilds each chunk from view, which is faster
      than reading back a matrix much larger than the cache (for LeNet's first layer 7.4 MB,
      seven times its padded input).
    - cols: ext without its ones row (a view), or None
    """

    def __init__(self, view, W4, ext=None):
        self.view, self.W4, self.ext = view, W4, ext
        self.cols = None if ext is None else ext[:-1]

    def patches(self, r0, r1, buf=None):
        """Columns of ext for pooled-grid rows r0..r1-1, shape (C*KH*KW + 1, (r1-r0)*Q*N):
        a view of ext if it was kept, else rebuilt from view into buf (a flat float buffer
        large enough)."""
        C, KH, KW, P, Q, N = self.view.shape
        if self.ext is not None:
            return self.ext[:, r0 * Q * N:r1 * Q * N]
        block = buf[:(C * KH * KW + 1) * (r1 - r0) * Q * N].reshape(C * KH * KW + 1, -1)
        block[-1] = 1
        _fill_cols(self.view, block[:-1], r0, r1, offset=r0)
        return block


def uses_polyphase(W, stride=1, dilation=1, out_hw=(0, 0)):
    """Whether conv2d takes the polyphase path: stride 1, no dilation, an even output height
    and width, and a thin product (at most _POLYPHASE_MAX_FILTERS filters)."""
    def pair(v):
        return (v, v) if np.ndim(v) == 0 else tuple(v)
    return (pair(stride) == (1, 1) and pair(dilation) == (1, 1) and out_hw[0] > 0
            and out_hw[0] % 2 == 0 and out_hw[1] % 2 == 0
            and W.shape[0] <= _POLYPHASE_MAX_FILTERS)


def _phase_filters(W):
    """W (FN, C, FH, FW) -> W4 (4*FN, C*(FH+1)*(FW+1)), rows (a, b, f): filter f placed at
    offset (a, b) of an (FH+1, FW+1) window, zeros elsewhere."""
    FN, C, FH, FW = W.shape
    W4 = np.zeros((2, 2, FN, C, FH + 1, FW + 1), dtype=W.dtype)
    for a in (0, 1):
        for b in (0, 1):
            W4[a, b, :, :, a:a + FH, b:b + FW] = W
    return W4.reshape(4 * FN, -1)


def _phase_filter_grad(dW4, W_shape):
    """The adjoint of _phase_filters: dW4 (4*FN, C*(FH+1)*(FW+1)) -> dW (FN, C, FH, FW),
    the sum of the four shifted copies' gradients."""
    FN, C, FH, FW = W_shape
    d = dW4.reshape(2, 2, FN, C, FH + 1, FW + 1)
    return (d[0, 0, :, :, :FH, :FW] + d[0, 1, :, :, :FH, 1:]
            + d[1, 0, :, :, 1:, :FW] + d[1, 1, :, :, 1:, 1:])


def _phase_view(x, kernel, out_hw, padding):
    """The stride-2 (FH+1, FW+1) windows of the padded batch-last input:
    a view of shape (C, FH+1, FW+1, P, Q, N)."""
    P, Q = out_hw[0] // 2, out_hw[1] // 2
    return _windows_batch_last(_batch_last(x, padding), (kernel[0] + 1, kernel[1] + 1),
                               (P, Q), (2, 2), (1, 1))


def _phase_products(x, W, out_hw, padding, consume, b=None):
    """The polyphase product, chunk by chunk: build a chunk of the stride-2 patch matrix,
    multiply it by W4 and hand the result, shape (2, 2, FN, R*Q*N) for pooled-grid rows
    r0..r1-1, to ``consume(r0, r1, y4)``; y4 is a buffer reused by the next chunk. With b,
    the product also adds the biases: W4 gets them as an extra column, which meets the
    patch matrix's row of ones (no pass of its own); without b there is no bias (the fused
    block adds it after pooling, on a quarter of the values). Returns the Polyphase cache;
    it keeps the patch matrix only if it was built in one chunk (see ``Polyphase``)."""
    FN = W.shape[0]
    view = _phase_view(x, W.shape[2:], out_hw, padding)
    C, KH, KW, P, Q, N = view.shape
    W4 = _phase_filters(W)
    chunks = _chunks(P, W4.shape[1] * Q * N, Q * N)
    rows = max(r1 - r0 for r0, r1 in chunks)
    cache = Polyphase(view, W4)
    patch_buf = np.empty((C * KH * KW + 1) * rows * Q * N, dtype=x.dtype)
    A = W4 if b is None else np.concatenate([W4, np.tile(b, 4)[:, None]], axis=1)
    buf = np.empty(4 * FN * rows * Q * N, dtype=x.dtype)
    for r0, r1 in chunks:
        block = cache.patches(r0, r1, patch_buf)                # [cols; 1] of the chunk
        y4 = buf[:4 * FN * block.shape[1]].reshape(4 * FN, -1)
        # [W4 | b] @ [cols; 1] = W4 @ cols + b; without b, the ones row is left out
        _matmul_wide(A, block if b is not None else block[:-1], y4)   # (4*FN, R*Q*N)
        consume(r0, r1, y4.reshape(2, 2, FN, -1))
    if len(chunks) == 1:                            # built whole: keep it
        cache = Polyphase(view, W4, block)
    return cache


def _matmul_wide(a, b, out):
    """out = a @ b for a wide b; a small a multiplies b in pieces of _SMALL_PRODUCT_COLS
    columns (faster, see above)."""
    if a.size > _SMALL_PRODUCT_FLOATS:
        return np.matmul(a, b, out=out)
    for c0 in range(0, b.shape[1], _SMALL_PRODUCT_COLS):
        c1 = c0 + _SMALL_PRODUCT_COLS
        np.matmul(a, b[:, c0:c1], out=out[:, c0:c1])
    return out


def _matmul_long(a, b, acc=None):
    """acc + a @ b.T (acc None: zero) for a (m, K) and b (n, K) with a long shared side K:
    for a small (m, n) result, summed over pieces of _SMALL_PRODUCT_COLS of K (faster, see
    above)."""
    m, n = a.shape[0], b.shape[0]
    if acc is None:
        acc = np.zeros((m, n), dtype=np.result_type(a, b))
    if m * n > _SMALL_PRODUCT_FLOATS:
        acc += a @ b.T
        return acc
    part = np.empty_like(acc)
    for k0 in range(0, a.shape[1], _SMALL_PRODUCT_COLS):
        k1 = k0 + _SMALL_PRODUCT_COLS
        np.matmul(a[:, k0:k1], b[:, k0:k1].T, out=part)
        acc += part
    return acc


def _conv2d_polyphase(x, W, b, out_hw, padding):
    """conv2d by polyphase; y is a view of a batch-last (FN, OH, OW, N) buffer."""
    FN, N = W.shape[0], x.shape[0]
    (OH, OW), Q = out_hw, out_hw[1] // 2
    yb = np.empty((FN, OH // 2, 2, Q, 2, N), dtype=x.dtype)     # = (FN, OH, OW, N)

    def scatter(r0, r1, y4):        # phase (a, b) -> row 2p + a, column 2q + b: one copy
        y6 = y4.reshape(2, 2, FN, r1 - r0, Q, N)                # (a, b, f, p, q, n)
        yb[:, r0:r1] = y6.transpose(2, 3, 0, 4, 1, 5)           # (f, p, a, q, b, n)

    cache = _phase_products(x, W, out_hw, padding, scatter, b)
    return yb.reshape(FN, OH, OW, N).transpose(3, 0, 1, 2), cache


def conv2d_forward(x, W, b=None, stride=1, padding=0, dilation=1):
    """conv2d that also returns what ``conv2d_backward`` reuses.

    Returns a tuple of:
    - y: output of shape (N, FN, OH, OW), a view of a batch-last (FN, OH, OW, N) buffer
    - cols: patch matrix of shape (C*FH*FW, OH*OW*N): im2col's matrix transposed, with its
      columns in (oh, ow, n) order (batch last); or, when the polyphase path ran
      (``uses_polyphase``), a ``Polyphase`` holding the stride-2 windows (and their patch
      matrix when it was built whole)
    """
    stride, padding, dilation, out_hw = _conv_args(x, W, b, stride, padding, dilation,
                                                   "conv2d")
    if uses_polyphase(W, stride, dilation, out_hw):
        return _conv2d_polyphase(x, W, b, out_hw, padding)
    N = x.shape[0]
    FN, C, FH, FW = W.shape
    view = _windows_batch_last(_batch_last(x, padding), (FH, FW), out_hw, stride, dilation)
    W2 = W.reshape(FN, C * FH * FW)
    cols = np.empty((C * FH * FW, out_hw[0] * out_hw[1] * N), dtype=x.dtype)
    y = np.empty((FN, out_hw[0] * out_hw[1] * N), dtype=x.dtype)
    OWN = out_hw[1] * N
    for r0, r1 in _chunks(out_hw[0], W2.shape[1] * OWN):       # cache-sized chunks
        y[:, r0 * OWN:r1 * OWN] = W2 @ _fill_cols(view, cols, r0, r1)
    if b is not None:
        y += b[:, None]
    return y.reshape(FN, *out_hw, N).transpose(3, 0, 1, 2), cols


def conv2d(x, W, b=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation) over a batch; same as ``functional.conv2d``.

    Inputs:
    - x: data of shape (N, C, H, W)
    - W: filters of shape (FN, C, FH, FW)
    - b: biases of shape (FN,), or None
    - stride, padding, dilation: ints or (h, w) pairs

    Returns y of shape (N, FN, OH, OW), same dtype as x.
    """
    return conv2d_forward(x, W, b, stride, padding, dilation)[0]


def conv2d_backward(dy, x, W, stride=1, padding=0, need_dx=True, *, dilation=1, cols=None):
    """Gradients of a conv2d with respect to its input, filters and biases.

    Inputs:
    - dy: upstream gradient of shape (N, FN, OH, OW)
    - x: the forward input, shape (N, C, H, W)
    - W: the filters, shape (FN, C, FH, FW)
    - stride, padding, dilation: as in the forward call
    - need_dx: if False, skip the input gradient (the first layer does not need it)
    - cols: what this module's ``conv2d_forward`` returned beside y (recomputed if None): the
      patch matrix (C*FH*FW, OH*OW*N) or a ``Polyphase`` (on the polyphase path also the
      bare stride-2 patch matrix, ``Polyphase.cols``)

    Returns a tuple of:
    - dx: gradient of shape (N, C, H, W), or None when need_dx is False
    - dW: gradient of shape (FN, C, FH, FW)
    - db: gradient of shape (FN,)
    """
    where = "conv2d_backward"
    stride, padding, dilation, out_hw = _conv_args(x, W, None, stride, padding, dilation, where)
    check_float_array(dy, "dy", 4, where=where)
    N = x.shape[0]
    FN, C, FH, FW = W.shape
    check_shape(dy, (N, FN, *out_hw), "dy", where=where)
    check_same_dtype(where, dy=dy, x=x)
    if uses_polyphase(W, stride, dilation, out_hw):
        P, Q = out_hw[0] // 2, out_hw[1] // 2
        if cols is None:
            cols = _phase_products(x, W, out_hw, padding, lambda *args: None)
        elif isinstance(cols, Polyphase):
            check_shape(cols.view, (C, FH + 1, FW + 1, P, Q, N), "cols.view", where=where)
            cols = Polyphase(cols.view, _phase_filters(W), cols.ext)
        else:                   # a bare stride-2 patch matrix: give it its ones row
            check_shape(cols, (C * (FH + 1) * (FW + 1), P * Q * N), "cols", where=where)
            ext = np.concatenate([cols, np.ones((1, P * Q * N), dtype=cols.dtype)])
            cols = Polyphase(_phase_view(x, (FH, FW), out_hw, padding), _phase_filters(W), ext)
        # dy (N, FN, 2P, 2Q) -> (a, b, FN, P, Q, N): the phases' gradients, rows of dy4
        dyb = dy.transpose(1, 2, 3, 0).reshape(FN, P, 2, Q, 2, N)

        def phase_grads(p0, p1, out):     # rows p0..p1-1 of the pooled grid, one copy
            out.reshape(2, 2, FN, p1 - p0, Q, N)[...] = dyb[:, p0:p1].transpose(2, 4, 0, 1, 3, 5)

        return _phase_backward(phase_grads, x.shape, W.shape, cols, padding, need_dx)
    if cols is None:
        cols = _conv2d_cols(x, (FH, FW), out_hw, stride, padding, dilation)
    else:
        check_shape(cols, (C * FH * FW, out_hw[0] * out_hw[1] * N), "cols", where=where)
    dy2 = dy.transpose(1, 2, 3, 0).reshape(FN, -1)            # (FN, OH*OW*N), free if batch-last
    db = dy2.sum(axis=1)
    dW = (cols @ dy2.T).T.reshape(W.shape)                    # this order is the faster product
    if not need_dx:
        return None, dW, db
    return _conv2d_input_grad(dy2, W, x.shape, out_hw, stride, padding, dilation), dW, db


def _phase_backward(phase_grads, x_shape, W_shape, cache, padding, need_dx):
    """dx, dW and db of a polyphase product.

    ``phase_grads(p0, p1, out)`` writes the product's output gradient for pooled-grid rows
    p0..p1-1 into out, shape (4*FN, (p1-p0)*Q*N), rows (a, b, f): dy4, a few rows at a time.
    dW4 = dy4 @ cols.T, folded back onto W (with the ones row below the patch matrix, the
    same product also gives db); dx = col2im(W4.T @ dy4) with the stride-2 (FH+1, FW+1)
    windows. The filter-gradient product runs over cache-sized chunks of pooled rows (one
    product when both operands are whole): each chunk of dy4 (when no dx needs it whole)
    and of the patch matrix (when it was not kept) is made just before it is multiplied,
    while it is still in the cache. Returns (dx or None, dW, db).
    """
    (N, C, H, Wd), (ph, pw) = x_shape, padding
    FN = W_shape[0]
    _, KH, KW, P, Q, _ = cache.view.shape
    QN, K1, dtype = Q * N, C * KH * KW + 1, cache.view.dtype
    dy4 = None
    if need_dx:
        dy4 = np.empty((4 * FN, P * QN), dtype=dtype)
        phase_grads(0, P, dy4)
    if dy4 is not None and cache.ext is not None:
        G = _matmul_long(cache.ext, dy4)                        # (C*KH*KW + 1, 4*FN)
    else:
        chunks = _chunks(P, (K1 + 4 * FN) * QN, budget=_GRAD_CHUNK_FLOATS)
        rows = max(r1 - r0 for r0, r1 in chunks)
        patch_buf = None if cache.ext is not None else np.empty(K1 * rows * QN, dtype=dtype)
        grad_buf = None if dy4 is not None else np.empty(4 * FN * rows * QN, dtype=dtype)
        G = None
        for r0, r1 in chunks:
            if dy4 is None:
                piece = grad_buf[:4 * FN * (r1 - r0) * QN].reshape(4 * FN, -1)
                phase_grads(r0, r1, piece)
            else:
                piece = dy4[:, r0 * QN:r1 * QN]
            G = _matmul_long(cache.patches(r0, r1, patch_buf), piece, G)
    dW = _phase_filter_grad(G[:-1].T, W_shape)
    db = G[-1].reshape(4, FN).sum(axis=0)
    if not need_dx:
        return None, dW, db
    W4t = cache.W4.T                                            # (C*KH*KW, 4*FN)
    dxp = np.zeros((C, H + 2 * ph, Wd + 2 * pw, N), dtype=dtype)
    for r0, r1 in _chunks(P, W4t.shape[0] * QN, budget=_PHASE_BLOCK_FLOATS):
        d6 = (W4t @ dy4[:, r0 * QN:r1 * QN]).reshape(C, KH, KW, r1 - r0, Q, N)
        _scatter_windows(d6, dxp, (2, 2), (1, 1), r0)
    return dxp[:, ph:ph + H, pw:pw + Wd].transpose(3, 0, 1, 2), dW, db


def _conv2d_input_grad(dy2, W, x_shape, out_hw, stride, padding, dilation):
    """dx = col2im(W2.T @ dy2), computed a few output rows at a time.

    dy2 is the output gradient as (FN, OH*OW*N). Each block of patch gradients (about 1 MB)
    is still in the cache when it is scattered back, which beats one big product followed by
    one big scatter. Returns dx (N, C, H, W), a view of a batch-last buffer.
    """
    (N, C, H, Wd), (OH, OW), (ph, pw) = x_shape, out_hw, padding
    FN, _, FH, FW = W.shape
    Wt = W.reshape(FN, -1).T                                   # (C*FH*FW, FN)
    dy3 = dy2.reshape(FN, OH, OW * N)
    dxp = np.zeros((C, H + 2 * ph, Wd + 2 * pw, N), dtype=dy2.dtype)
    rows_per_block = max(1, _BLOCK_FLOATS // (Wt.shape[0] * OW * N))
    for r0 in range(0, OH, rows_per_block):
        r1 = min(OH, r0 + rows_per_block)
        d6 = (Wt @ dy3[:, r0:r1].reshape(FN, -1)).reshape(C, FH, FW, r1 - r0, OW, N)
        _scatter_windows(d6, dxp, stride, dilation, r0)
    return dxp[:, ph:ph + H, pw:pw + Wd].transpose(3, 0, 1, 2)


# --------------------------------------------------------------------------- fused block

def conv_relu_pool2d_forward(x, W, b=None, stride=1, padding=0, dilation=1):
    """``max_pool2d(relu(conv2d(x, W, b, ...)), 2)`` in one pass; also returns a cache for
    ``conv_relu_pool2d_backward``.

    With polyphase (``uses_polyphase``, and any number of filters) the four values of every
    2x2 pooling window are the four phase rows of one product: the pooled value is their
    maximum (the first maximum in row-major order wins ties, as in max_pool2d), plus the
    bias, then ReLU. The maximum is taken before the bias is added, so in the rare case
    where two different values round to the same float once the bias is added, the larger
    one (not the first) receives the gradient.
    Otherwise (a stride, a dilation or an odd output size) the three fast ops run one after
    the other.

    Inputs: as conv2d. Returns a tuple of:
    - y: output of shape (N, FN, OH // 2, OW // 2), OH, OW the convolution's output size
    - cache: what the backward pass needs
    """
    stride, padding, dilation, out_hw = _conv_args(x, W, b, stride, padding, dilation,
                                                   "conv_relu_pool2d")
    FN, N = W.shape[0], x.shape[0]
    if not (stride == (1, 1) and dilation == (1, 1) and out_hw[0] % 2 == 0
            and out_hw[1] % 2 == 0):
        y, cols = conv2d_forward(x, W, b, stride, padding, dilation)
        r = np.maximum(y, 0)
        p = max_pool2d(r, 2)
        return p, ("separate", cols, y, r, p)
    P, Q = out_hw[0] // 2, out_hw[1] // 2
    pooled = np.empty((FN, P * Q * N), dtype=x.dtype)
    winner = np.empty((FN, P * Q * N), dtype=np.int8)            # phase a*2+b of each max
    QN = Q * N

    def pool(r0, r1, y4):
        m = pooled[:, r0 * QN:r1 * QN]
        w = winner[:, r0 * QN:r1 * QN]
        m[...] = y4[0, 0]
        w.fill(0)
        gt = np.empty(m.shape, dtype=bool)
        for k, (a, c) in enumerate(((0, 1), (1, 0), (1, 1)), start=1):
            np.greater(y4[a, c], m, out=gt)                       # strictly: first max wins
            np.maximum(m, y4[a, c], out=m)
            # the phase codes grow (1, 2, 3), so the latest winner is the largest code
            np.maximum(w, gt.view(np.int8) * np.int8(k), out=w)
        if bias is not None:              # max(a + b, c + b) == max(a, c) + b: add it after
            m += bias
        np.maximum(m, 0, out=m)                                   # ReLU after the max

    bias = None if b is None else b[:, None]
    cache = _phase_products(x, W, out_hw, padding, pool)
    y = pooled.reshape(FN, P, Q, N).transpose(3, 0, 1, 2)
    return y, ("polyphase", cache, winner, pooled)


def conv_relu_pool2d(x, W, b=None, stride=1, padding=0, dilation=1):
    """``max_pool2d(relu(conv2d(x, W, b, stride, padding, dilation)), 2)``, fused.

    Inputs: x (N, C, H, W), W (FN, C, FH, FW), b (FN,) or None; stride, padding, dilation
    as in conv2d. Returns y of shape (N, FN, OH // 2, OW // 2).
    """
    return conv_relu_pool2d_forward(x, W, b, stride, padding, dilation)[0]


def conv_relu_pool2d_backward(dy, x, W, cache, stride=1, padding=0, need_dx=True, *,
                              dilation=1):
    """Gradients of ``conv_relu_pool2d``.

    Inputs:
    - dy: upstream gradient of shape (N, FN, OH // 2, OW // 2)
    - x, W, stride, padding, dilation: as in the forward call
    - cache: the second result of ``conv_relu_pool2d_forward``
    - need_dx: if False, skip the input gradient

    Returns (dx or None, dW, db), shapes (N, C, H, W), (FN, C, FH, FW), (FN,). The gradient
    of each pooled value goes to the first maximum of its window, and only where the pooled
    value is positive (ReLU): the same as the three layers one after the other.
    """
    where = "conv_relu_pool2d_backward"
    stride, padding, dilation, out_hw = _conv_args(x, W, None, stride, padding, dilation, where)
    check_float_array(dy, "dy", 4, where=where)
    N, FN = x.shape[0], W.shape[0]
    check_shape(dy, (N, FN, out_hw[0] // 2, out_hw[1] // 2), "dy", where=where)
    check_same_dtype(where, dy=dy, x=x)
    if cache[0] == "separate":
        _, cols, y, r, p = cache
        dr = max_pool2d_backward(dy, r, 2, y=p)
        dyc = dr * (y > 0)
        return conv2d_backward(dyc, x, W, stride, padding, need_dx, dilation=dilation,
                               cols=cols)
    _, phase, winner, pooled = cache
    g = np.ascontiguousarray(dy.transpose(1, 2, 3, 0)).reshape(FN, -1)
    g = (g * (pooled > 0)).view(f"i{g.dtype.itemsize}")           # ReLU's gate; its bits
    QN = out_hw[1] // 2 * N

    def phase_grads(p0, p1, out):
        # row k of dy4 = g where phase k won the window, else 0: as a bit mask (all ones or
        # zeros, from -1 or 0) on the float's bits, faster than multiplying by a bool array
        cols = slice(p0 * QN, p1 * QN)
        won = np.empty((FN, (p1 - p0) * QN), dtype=bool)
        for k, rows in enumerate(out.reshape(4, FN, -1)):
            mask = rows.view(g.dtype)
            np.equal(winner[:, cols], k, out=won)
            np.negative(won.view(np.int8), out=mask, casting="unsafe")
            np.bitwise_and(g[:, cols], mask, out=mask)

    return _phase_backward(phase_grads, x.shape, W.shape, phase, padding, need_dx)


# --------------------------------------------------------------------------- pooling

def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max pooling; same as ``functional.max_pool2d``.

    Inputs:
    - x: data of shape (N, C, H, W)
    - kernel_size: window size, int or (KH, KW)
    - stride: defaults to kernel_size; padding: filled with -inf, at most kernel_size // 2

    Returns y of shape (N, C, OH, OW), same dtype and memory layout as x.
    """
    kernel, stride, padding, out_hw = _pool_args(x, kernel_size, stride, padding, "max_pool2d")
    xp = _pad_hw(x, padding, -np.inf)
    views = [xp[(Ellipsis, *_offset_slices(i, j, out_hw, stride))] for i, j in _offsets(kernel)]
    if len(views) == 1:
        return views[0].copy(order="K")
    y = np.maximum(views[0], views[1])             # a new array in x's memory layout
    for view in views[2:]:
        np.maximum(y, view, out=y)
    return y


def _max_pool_backward_tiled(dy, x, y, kernel):
    """max_pool2d_backward when the windows tile the input (stride == kernel_size, no padding).

    Views x as (N, C, OH, KH, OW, KW) blocks and finds every window's first maximum with a
    few whole-array operations instead of one pass per kernel offset.
    """
    (N, C, H, W), (OH, OW), (KH, KW) = x.shape, y.shape[2:], kernel

    def blocks(a):                                     # a view, never a copy
        sN, sC, sH, sW = a.strides
        return as_strided(a, shape=(N, C, OH, KH, OW, KW),
                          strides=(sN, sC, KH * sH, sH, KW * sW, sW))

    x6 = blocks(x)
    hit = x6 == y[:, :, :, None, :, None]              # every maximum of every window
    taken = None                                       # windows whose first maximum is known
    for i, j in _offsets(kernel):
        h = hit[:, :, :, i, :, j]
        if taken is None:
            taken = h.copy(order="K")
        else:
            np.greater(h, taken, out=h)                # h and not taken
            taken |= h
    exact = OH * KH == H and OW * KW == W
    dx = _alloc_like(x, x.shape, None if exact else 0)
    # dx = dy where hit, else 0, on the floats' bits: hit becomes a mask of all ones (-1)
    # or zeros, and one bitwise and copies or clears each gradient (faster than multiplying
    # by the bool array, which numpy first casts to floats)
    mask = hit.view(np.int8)
    np.negative(mask, out=mask)
    bits = f"i{dx.dtype.itemsize}"
    np.bitwise_and(mask, dy.view(bits)[:, :, :, None, :, None], out=blocks(dx).view(bits),
                   casting="unsafe")
    return dx


def max_pool2d_backward(dy, x, kernel_size, stride=None, padding=0, *, y=None):
    """Gradient of max pooling; same as ``functional.max_pool2d_backward`` (on ties the first
    maximum of a window, in row-major order, gets the whole gradient).

    Inputs:
    - dy: upstream gradient of shape (N, C, OH, OW)
    - x: the forward input, shape (N, C, H, W)
    - kernel_size, stride, padding: as in the forward call
    - y: the forward output (recomputed if None)

    Returns dx of shape (N, C, H, W).
    """
    where = "max_pool2d_backward"
    kernel, stride, padding, out_hw = _pool_args(x, kernel_size, stride, padding, where)
    check_float_array(dy, "dy", 4, where=where)
    check_shape(dy, (*x.shape[:2], *out_hw), "dy", where=where)
    check_same_dtype(where, dy=dy, x=x)
    if y is None:
        y = max_pool2d(x, kernel, stride, padding)
    else:
        check_shape(y, dy.shape, "y", where=where)
    dy = _like_layout(dy, y)
    if stride == kernel and padding == (0, 0):
        return _max_pool_backward_tiled(dy, x, y, kernel)
    xp = _pad_hw(x, padding, -np.inf)
    dxp = np.zeros_like(xp)
    overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
    offsets = _offsets(kernel)
    pending = None                 # windows whose maximum has not been found yet
    for k, (i, j) in enumerate(offsets):
        sl = (Ellipsis, *_offset_slices(i, j, out_hw, stride))
        hit = xp[sl] == y
        if pending is None:
            pending = ~hit
        else:
            hit &= pending
            if k < len(offsets) - 1:
                pending ^= hit
        if overlapping:
            dxp[sl] += dy * hit
        else:
            np.multiply(dy, hit, out=dxp[sl])
    ph, pw = padding
    return dxp[..., ph:ph + x.shape[2], pw:pw + x.shape[3]]


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Average pooling (zero padding counts in the mean); same as ``functional.avg_pool2d``.

    Inputs:
    - x: data of shape (N, C, H, W)
    - kernel_size, stride (defaults to kernel_size), padding (at most kernel_size // 2)

    Returns y of shape (N, C, OH, OW), same dtype as x.
    """
    kernel, stride, padding, out_hw = _pool_args(x, kernel_size, stride, padding, "avg_pool2d")
    xp = _pad_hw(x, padding)
    y = None
    for i, j in _offsets(kernel):
        view = xp[(Ellipsis, *_offset_slices(i, j, out_hw, stride))]
        y = view.copy(order="K") if y is None else np.add(y, view, out=y)
    y *= 1.0 / (kernel[0] * kernel[1])
    return y


def avg_pool2d_backward(dy, x_shape, kernel_size, stride=None, padding=0):
    """Gradient of average pooling; same as ``functional.avg_pool2d_backward``.

    Inputs:
    - dy: upstream gradient of shape (N, C, OH, OW)
    - x_shape: (N, C, H, W), the shape of the forward input
    - kernel_size, stride, padding: as in the forward call

    Returns dx of shape x_shape, same dtype as dy.
    """
    x_shape, kernel, stride, padding, out_hw = _avg_pool_backward_args(
        dy, x_shape, kernel_size, stride, padding)
    (ph, pw), (N, C, H, W) = padding, x_shape
    dxp = _alloc_like(dy, (N, C, H + 2 * ph, W + 2 * pw), 0)     # in dy's memory layout
    g = dy * (1.0 / (kernel[0] * kernel[1]))
    overlapping = stride[0] < kernel[0] or stride[1] < kernel[1]
    for i, j in _offsets(kernel):
        sl = (Ellipsis, *_offset_slices(i, j, out_hw, stride))
        if overlapping:
            dxp[sl] += g
        else:
            dxp[sl] = g
    return dxp[..., ph:ph + H, pw:pw + W]
