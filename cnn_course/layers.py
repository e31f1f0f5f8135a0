"""Layers: one class per operation, each with ``forward(x)`` and ``backward(dy)``.

A layer keeps what its backward pass needs from the last forward call (its input, a mask,
the im2col matrix) on ``self``. Layers with weights hold them in ``params``, a dict of arrays
that the layer reads at every call, so an optimiser that updates them in place is seen at once;
``backward`` writes the matching gradients into ``grads`` (same keys, shapes and dtypes).

>>> conv = Conv2D.create(1, 6, kernel_size=5, padding=2, rng=0)
>>> conv
Conv2D(1, 6, kernel_size=5, stride=1, padding=2)
>>> x = np.zeros((8, 1, 28, 28), dtype=np.float32)
>>> y = conv.forward(x)
>>> y.shape, y.dtype
((8, 6, 28, 28), dtype('float32'))
>>> dx = conv.backward(np.ones_like(y))       # fills conv.grads["W"] and conv.grads["b"]
>>> dx.shape, conv.grads["W"].shape
((8, 1, 28, 28), (6, 1, 5, 5))

``ConvReLUPool2D`` is Conv2D, ReLU and MaxPool2D(2) fused into one layer (the blocks of the
modern LeNet-5): same results and gradients as the three, about twice as fast.

``Conv2D``, ``ConvReLUPool2D``, ``MaxPool2D`` and ``AvgPool2D`` run the fast tier of the ops (``cnn_course.fast``);
``Im2colConv2D`` is the same convolution written out with the reference ``im2col``/``col2im``
of ``cnn_course.functional``, as chapter 5 derives it.

Set ``need_input_grad = False`` on the first layer of a network: its ``backward`` then skips
the input gradient (nobody uses it) and returns None.

Shapes use the letters of ``cnn_course.functional``: x (N, C, H, W), W (FN, C, FH, FW),
outputs (N, FN, OH, OW); for Dense, x (N, D_in) and W (D_in, D_out).
"""

import numbers

import numpy as np

from cnn_course import fast
from cnn_course import functional as F
from cnn_course._validation import (NotReadyError, as_int, as_pair, check_float_array,
                                    check_same_dtype)

__all__ = ["Layer", "Conv2D", "ConvReLUPool2D", "Im2colConv2D", "MaxPool2D", "AvgPool2D", "Dense", "ReLU",
           "Sigmoid", "Tanh", "Flatten", "SoftmaxCrossEntropy", "init_weights"]


def _fmt(pair):
    """Show an (h, w) pair as one int when h == w."""
    return pair[0] if pair[0] == pair[1] else pair


def init_weights(shape, fan_in, fan_out, init="he", rng=None, dtype=np.float32):
    """Random normal weights scaled for stable signal sizes.

    Inputs:
    - shape: shape of the weight array
    - fan_in, fan_out: inputs and outputs of one unit (C*FH*FW and FN*FH*FW for a conv)
    - init: the name of a scheme, or a positive number used as the standard deviation
      (e.g. 0.01). The schemes, each a normal distribution with mean 0:
      - "he": std sqrt(2 / fan_in), He et al. (2015), for ReLU;
      - "lecun": std sqrt(1 / fan_in), LeCun et al. (1998, "Efficient BackProp"), for
        sigmoid or tanh;
      - "xavier": the same numbers as "lecun", under the name Saito's *Deep Learning from
        Scratch* gives them (a simplification of Glorot's formula);
      - "glorot": std sqrt(2 / (fan_in + fan_out)), Glorot and Bengio (2010).
    - rng: a np.random.Generator, an int seed, or None (fresh randomness)
    - dtype: np.float32 (default) or np.float64

    Returns an array of the given shape and dtype. The numbers are drawn in float64 and then
    rounded, so the same seed gives the same weights in both dtypes.
    """
    if isinstance(init, str):
        stds = {"he": np.sqrt(2.0 / fan_in), "lecun": np.sqrt(1.0 / fan_in),
                "xavier": np.sqrt(1.0 / fan_in), "glorot": np.sqrt(2.0 / (fan_in + fan_out))}
        if init not in stds:
            raise ValueError(f"init must be 'he', 'xavier', 'glorot', 'lecun' or a positive "
                             f"number, got {init!r}")
        std = stds[init]
    elif isinstance(init, numbers.Real) and not isinstance(init, bool) and init > 0:
        std = float(init)
    else:
        raise ValueError(f"init must be 'he', 'xavier', 'glorot', 'lecun' or a positive "
                         f"number, got {init!r}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {dtype}")
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        rng = np.random.default_rng(rng)
    elif not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator, an int seed or None, "
                        f"got {type(rng).__name__}")
    return (rng.standard_normal(shape) * std).astype(dtype)


class Layer:
    """Base class: ``params``/``grads`` dicts (empty here), ``forward`` and ``backward``.

    Subclasses implement ``forward(x)`` (store what backward needs) and ``backward(dy)``
    (return dx, or None when ``need_input_grad`` is False, and fill ``grads``).
    """

    need_input_grad = True

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._out = None          # (shape, dtype) of the last output: forward has run

    def forward(self, x):
        """Compute the layer's output for input x."""
        raise NotImplementedError

    def backward(self, dy):
        """Return the gradient with respect to the last forward input, given dy."""
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)

    def __repr__(self):
        return f"{type(self).__name__}()"

    # helpers for subclasses
    def _remember(self, y):
        self._out = (y.shape, y.dtype)
        return y

    def _check_dy(self, dy):
        """Check that forward ran and dy matches the output it made."""
        name = type(self).__name__
        if self._out is None:
            raise NotReadyError(f"{name}.backward called before forward: run forward(x) first")
        shape, dtype = self._out
        if not isinstance(dy, np.ndarray):
            raise TypeError(f"{name}.backward: dy must be a numpy array, got {type(dy).__name__}")
        if dy.shape != shape:
            raise ValueError(f"{name}.backward: dy has shape {dy.shape} but the forward output "
                             f"had shape {shape}")
        if dy.dtype != dtype:
            raise TypeError(f"{name}.backward: dy is {dy.dtype} but the forward output was "
                            f"{dtype}")
        return dy

    def _set_grad(self, name, value):
        """Store a gradient, writing into the existing array when it fits (keeps references
        held by containers valid)."""
        g = self.grads.get(name)
        if isinstance(g, np.ndarray) and g.shape == value.shape and g.dtype == value.dtype:
            g[...] = value
        else:
            self.grads[name] = value


def _check_params(W, b, ndim, where):
    check_float_array(W, "W", ndim, where=where)
    if b is not None:
        check_float_array(b, "b", 1, where=where)
        n_out = W.shape[0] if ndim == 4 else W.shape[1]
        if b.shape != (n_out,):
            raise ValueError(f"{where}: b must have shape ({n_out},) to match W.shape={W.shape}, "
                             f"got b.shape={b.shape}")
        check_same_dtype(where, W=W, b=b)


class Conv2D(Layer):
    """Convolution layer: ``y = conv2d(x, W, b, stride, padding, dilation)`` (``fast.conv2d``).

    Inputs:
    - W: filters of shape (FN, C, FH, FW)
    - b: biases of shape (FN,), or None for no bias
    - stride, padding, dilation: ints or (h, w) pairs

    forward: x (N, C, H, W) -> y (N, FN, OH, OW). params/grads: "W" and (with a bias) "b".
    """

    def __init__(self, W, b=None, stride=1, padding=0, dilation=1):
        super().__init__()
        _check_params(W, b, 4, "Conv2D")
        self.stride = as_pair(stride, "stride", minimum=1)
        self.padding = as_pair(padding, "padding", minimum=0)
        self.dilation = as_pair(dilation, "dilation", minimum=1)
        self.params["W"] = W
        if b is not None:
            self.params["b"] = b
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._x = self._cols = None

    @classmethod
    def create(cls, in_channels, out_channels, kernel_size, *, stride=1, padding=0,
               dilation=1, bias=True, init="he", rng=None, dtype=np.float32):
        """A Conv2D with random filters (see ``init_weights``) and zero biases.

        fan_in = in_channels * FH * FW; fan_out = out_channels * FH * FW.
        """
        C = as_int(in_channels, "in_channels", minimum=1)
        FN = as_int(out_channels, "out_channels", minimum=1)
        FH, FW = as_pair(kernel_size, "kernel_size", minimum=1)
        W = init_weights((FN, C, FH, FW), C * FH * FW, FN * FH * FW, init, rng, dtype)
        b = np.zeros(FN, dtype=W.dtype) if bias else None
        return cls(W, b, stride=stride, padding=padding, dilation=dilation)

    def forward(self, x):
        W, b = self.params["W"], self.params.get("b")
        y, self._cols = fast.conv2d_forward(x, W, b, self.stride, self.padding, self.dilation)
        self._x = x
        return self._remember(y)

    def backward(self, dy):
        self._check_dy(dy)
        dx, dW, db = fast.conv2d_backward(dy, self._x, self.params["W"], self.stride,
                                          self.padding, self.need_input_grad,
                                          dilation=self.dilation, cols=self._cols)
        self._set_grad("W", dW)
        if "b" in self.params:
            self._set_grad("b", db)
        return dx

    def __repr__(self):
        FN, C, FH, FW = self.params["W"].shape
        s = (f"{type(self).__name__}({C}, {FN}, kernel_size={_fmt((FH, FW))}, "
             f"stride={_fmt(self.stride)}, padding={_fmt(self.padding)}")
        if self.dilation != (1, 1):
            s += f", dilation={_fmt(self.dilation)}"
        if "b" not in self.params:
            s += ", bias=False"
        return s + ")"


class ConvReLUPool2D(Conv2D):
    """Convolution, ReLU and 2x2 max pooling in one layer (``fast.conv_relu_pool2d``):
    ``y = max_pool2d(relu(conv2d(x, W, b, stride, padding, dilation)), 2)``.

    The same function, parameters and gradients as ``Conv2D``, ``ReLU``, ``MaxPool2D(2)`` one
    after the other (on ties the first maximum of a window gets the gradient), computed by
    polyphase convolution: one matrix product gives the four convolution outputs under each
    pooling window, and ReLU is applied after the maximum (ReLU and max commute), so the
    full-size convolution output is never stored. A stride, a dilation or an odd convolution
    output size fall back to the three ops one after the other.

    Inputs (as Conv2D):
    - W: filters of shape (FN, C, FH, FW)
    - b: biases of shape (FN,), or None for no bias
    - stride, padding, dilation: of the convolution, ints or (h, w) pairs

    forward: x (N, C, H, W) -> y (N, FN, OH // 2, OW // 2), where (OH, OW) is the
    convolution's output size. params/grads: "W" and (with a bias) "b".
    ``create`` and ``need_input_grad`` work as for Conv2D. ``steps()`` returns the three
    separate layers (sharing W and b), for looking at the maps in between.
    """

    def forward(self, x):
        W, b = self.params["W"], self.params.get("b")
        y, self._cache = fast.conv_relu_pool2d_forward(x, W, b, self.stride, self.padding,
                                                        self.dilation)
        self._x = x
        return self._remember(y)

    def backward(self, dy):
        self._check_dy(dy)
        dx, dW, db = fast.conv_relu_pool2d_backward(
            dy, self._x, self.params["W"], self._cache, self.stride, self.padding,
            self.need_input_grad, dilation=self.dilation)
        self._set_grad("W", dW)
        if "b" in self.params:
            self._set_grad("b", db)
        return dx

    def steps(self):
        """The block as three layers: [Conv2D (with this block's W and b, not copies), ReLU(),
        MaxPool2D(2)]; running them one after the other gives this layer's output."""
        conv = Conv2D(self.params["W"], self.params.get("b"), stride=self.stride,
                      padding=self.padding, dilation=self.dilation)
        return [conv, ReLU(), MaxPool2D(2)]


class Im2colConv2D(Conv2D):
    """Conv2D written out as chapter 5 derives it, in the style of *Deep Learning from
    Scratch*'s ``Convolution``: forward unfolds x with ``im2col`` (kept as ``self.col``) and
    does one matrix product; backward gets dW, db and dx from col.

    Same constructor, ``create``, params and grads as Conv2D, and the same results; it drops
    into a Sequential in its place. It uses only the reference tier (``functional``).
    """

    def forward(self, x):
        W, b = self.params["W"], self.params.get("b")
        FN, C, FH, FW = W.shape
        check_float_array(x, "x", 4, where="Im2colConv2D")
        check_same_dtype("Im2colConv2D", x=x, W=W)
        if x.shape[1] != C:
            raise ValueError(f"Im2colConv2D: x has {x.shape[1]} channels but W expects {C} "
                             f"(x.shape={x.shape}, W.shape={W.shape})")
        N, _, H, Wd = x.shape
        OH, OW = F.conv_output_size((H, Wd), (FH, FW), self.padding, self.stride, self.dilation)
        self.col = F.im2col(x, FH, FW, self.stride, self.padding, self.dilation)
        self.col_W = W.reshape(FN, -1).T                     # (C*FH*FW, FN)
        out = self.col @ self.col_W                          # (N*OH*OW, FN)
        if b is not None:
            out += b
        self.x_shape = x.shape
        return self._remember(out.reshape(N, OH, OW, FN).transpose(0, 3, 1, 2))

    def backward(self, dy):
        self._check_dy(dy)
        FN, C, FH, FW = self.params["W"].shape
        dy2 = dy.transpose(0, 2, 3, 1).reshape(-1, FN)      # (N*OH*OW, FN)
        self._set_grad("W", (self.col.T @ dy2).T.reshape(FN, C, FH, FW))
        if "b" in self.params:
            self._set_grad("b", dy2.sum(axis=0))
        if not self.need_input_grad:
            return None
        dcol = dy2 @ self.col_W.T                            # (N*OH*OW, C*FH*FW)
        return F.col2im(dcol, self.x_shape, FH, FW, self.stride, self.padding, self.dilation)


class Dense(Layer):
    """Fully connected (affine) layer: ``y = x @ W + b``.

    Inputs:
    - W: weights of shape (D_in, D_out)
    - b: biases of shape (D_out,), or None

    forward: x (N, D_in) -> y (N, D_out). Put a Flatten before it to feed it images.
    """

    def __init__(self, W, b=None):
        super().__init__()
        _check_params(W, b, 2, "Dense")
        self.params["W"] = W
        if b is not None:
            self.params["b"] = b
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._x = None

    @classmethod
    def create(cls, in_features, out_features, *, bias=True, init="he", rng=None,
               dtype=np.float32):
        """A Dense layer with random weights (see ``init_weights``) and zero biases."""
        D_in = as_int(in_features, "in_features", minimum=1)
        D_out = as_int(out_features, "out_features", minimum=1)
        W = init_weights((D_in, D_out), D_in, D_out, init, rng, dtype)
        b = np.zeros(D_out, dtype=W.dtype) if bias else None
        return cls(W, b)

    def forward(self, x):
        W, b = self.params["W"], self.params.get("b")
        check_float_array(x, "x", where="Dense")
        if x.ndim != 2 or x.shape[1] != W.shape[0]:
            hint = " (put a Flatten() before Dense)" if x.ndim > 2 else ""
            raise ValueError(f"Dense: x must have shape (N, {W.shape[0]}) to match "
                             f"W.shape={W.shape}, got x.shape={x.shape}{hint}")
        check_same_dtype("Dense", x=x, W=W)
        y = x @ W
        if b is not None:
            y += b
        self._x = x
        return self._remember(y)

    def backward(self, dy):
        self._check_dy(dy)
        W = self.params["W"]
        self._set_grad("W", self._x.T @ dy)
        if "b" in self.params:
            self._set_grad("b", dy.sum(axis=0))
        return dy @ W.T if self.need_input_grad else None

    def __repr__(self):
        D_in, D_out = self.params["W"].shape
        return f"Dense({D_in}, {D_out}" + ("" if "b" in self.params else ", bias=False") + ")"


class _Pool(Layer):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = as_pair(kernel_size, "kernel_size", minimum=1)
        self.stride = self.kernel_size if stride is None else as_pair(stride, "stride",
                                                                      minimum=1)
        self.padding = as_pair(padding, "padding", minimum=0)
        if (self.padding[0] > self.kernel_size[0] // 2
                or self.padding[1] > self.kernel_size[1] // 2):
            raise ValueError(f"{type(self).__name__}: padding={padding!r} must be at most half "
                             f"of kernel_size={kernel_size!r}")
        self._x = self._y = None

    def __repr__(self):
        return (f"{type(self).__name__}(kernel_size={_fmt(self.kernel_size)}, "
                f"stride={_fmt(self.stride)}, padding={_fmt(self.padding)})")


class MaxPool2D(_Pool):
    """Max pooling layer (``fast.max_pool2d``, same as ``functional.max_pool2d``); on ties the
    first maximum of a window receives its gradient. forward: x (N, C, H, W) -> y (N, C, OH, OW)."""

    def forward(self, x):
        y = fast.max_pool2d(x, self.kernel_size, self.stride, self.padding)
        self._x, self._y = x, y
        return self._remember(y)

    def backward(self, dy):
        self._check_dy(dy)
        if not self.need_input_grad:
            return None
        return fast.max_pool2d_backward(dy, self._x, self.kernel_size, self.stride,
                                        self.padding, y=self._y)


class AvgPool2D(_Pool):
    """Average pooling layer (``fast.avg_pool2d``, same as ``functional.avg_pool2d``; zero
    padding counts in the average). forward: x (N, C, H, W) -> y (N, C, OH, OW)."""

    def forward(self, x):
        y = fast.avg_pool2d(x, self.kernel_size, self.stride, self.padding)
        self._x = x.shape
        return self._remember(y)

    def backward(self, dy):
        self._check_dy(dy)
        if not self.need_input_grad:
            return None
        return fast.avg_pool2d_backward(dy, self._x, self.kernel_size, self.stride,
                                        self.padding)


class ReLU(Layer):
    """Rectified linear unit, ``y = max(x, 0)``; the gradient passes where x > 0."""

    def forward(self, x):
        check_float_array(x, "x", where="ReLU")
        self._mask = x > 0
        return self._remember(np.maximum(x, 0))

    def backward(self, dy):
        self._check_dy(dy)
        return dy * self._mask if self.need_input_grad else None


class Sigmoid(Layer):
    """Logistic sigmoid, ``y = 1 / (1 + exp(-x))``; ``dx = dy * y * (1 - y)``."""

    def forward(self, x):
        check_float_array(x, "x", where="Sigmoid")
        e = np.exp(-np.abs(x))                       # never overflows
        y = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        self._y = y
        return self._remember(y)

    def backward(self, dy):
        self._check_dy(dy)
        y = self._y
        return dy * y * (1 - y) if self.need_input_grad else None


class Tanh(Layer):
    """Hyperbolic tangent; ``dx = dy * (1 - y**2)``."""

    def forward(self, x):
        check_float_array(x, "x", where="Tanh")
        self._y = np.tanh(x)
        return self._remember(self._y)

    def backward(self, dy):
        self._check_dy(dy)
        return dy * (1 - self._y ** 2) if self.need_input_grad else None


class Flatten(Layer):
    """Reshape (N, C, H, W) (or any (N, ...)) to (N, C*H*W) for the dense layers."""

    def forward(self, x):
        check_float_array(x, "x", where="Flatten")
        if x.ndim < 2:
            raise ValueError(f"Flatten: x must have a batch axis and at least one more, got "
                             f"x.shape={x.shape}")
        self._x_shape = x.shape
        return self._remember(x.reshape(x.shape[0], -1))

    def backward(self, dy):
        self._check_dy(dy)
        return dy.reshape(self._x_shape) if self.need_input_grad else None


class SoftmaxCrossEntropy(Layer):
    """Softmax followed by the cross-entropy loss, averaged over the batch.

    ``L = -(1/N) * sum_n log softmax(logits[n])[labels[n]]``; its gradient is the simple
    ``(softmax(logits) - one_hot(labels)) / N``.

    forward(logits, labels): logits (N, K) float, labels (N,) ints in [0, K) -> L (a float).
    backward(dL=1.0) -> dlogits (N, K). After forward, ``probs`` holds the softmax (N, K).
    """

    def forward(self, logits, labels):
        check_float_array(logits, "logits", 2, where="SoftmaxCrossEntropy")
        N, K = logits.shape
        if isinstance(labels, (list, tuple)):
            labels = np.asarray(labels)
        if not isinstance(labels, np.ndarray):
            raise TypeError(f"SoftmaxCrossEntropy: labels must be a numpy array of class "
                            f"indices, got {type(labels).__name__}")
        if not np.issubdtype(labels.dtype, np.integer):
            raise TypeError(f"SoftmaxCrossEntropy: labels must be integer class indices, got "
                            f"dtype {labels.dtype} (one-hot labels? use labels.argmax(axis=1))")
        if labels.shape != (N,):
            raise ValueError(f"SoftmaxCrossEntropy: labels must have shape (N,) = ({N},) to "
                             f"match logits.shape={logits.shape}, got labels.shape={labels.shape}")
        if N and (labels.min() < 0 or labels.max() >= K):
            bad = labels[(labels < 0) | (labels >= K)]
            raise ValueError(f"SoftmaxCrossEntropy: labels must lie in [0, {K}) for {K} "
                             f"classes, got {bad[:5].tolist()}")
        if N == 0:
            raise ValueError("SoftmaxCrossEntropy: empty batch (logits.shape[0] == 0)")
        log_p = F.log_softmax(logits)
        self.probs = np.exp(log_p)
        self._labels = labels
        self._out = ((), logits.dtype)
        return float(-log_p[np.arange(N), labels].mean())

    def backward(self, dL=1.0):
        """Return dlogits of shape (N, K) for an upstream gradient dL (default 1)."""
        if self._out is None:
            raise NotReadyError("SoftmaxCrossEntropy.backward called before forward: run "
                                "forward(logits, labels) first")
        if isinstance(dL, bool) or not isinstance(dL, (numbers.Real, np.ndarray)) \
                or np.ndim(dL) != 0:
            raise TypeError(f"SoftmaxCrossEntropy.backward: dL must be a scalar, got {dL!r}")
        N = self.probs.shape[0]
        d = self.probs.copy()
        d[np.arange(N), self._labels] -= 1
        d *= float(dL) / N
        return d
