"""Gradient checking: compare backward passes with central differences.

``numerical_gradient`` nudges each entry of an array by +-h and watches a scalar function;
``check_layer`` and ``check_model`` run a backward pass and report, per array, how far the
analytic gradient is from the numerical one, measured by ``rel_error``.

Check in float64: with float32's 7 digits, the round-off in f(x + h) - f(x - h) swamps the
difference for any useful h, so these functions refuse float32 arrays.

>>> from cnn_course.layers import Conv2D
>>> x = np.random.default_rng(0).standard_normal((2, 2, 5, 5))
>>> errors = check_layer(Conv2D.create(2, 3, 3, padding=1, rng=0, dtype=np.float64), x)
>>> sorted(errors), max(errors.values()) < 1e-6
(['W', 'b', 'x'], True)
"""

import numbers

import numpy as np

from cnn_course._validation import as_int, check_float_array
from cnn_course.layers import SoftmaxCrossEntropy

__all__ = ["numerical_gradient", "rel_error", "check_layer", "check_model"]


def _scalar(value, where):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: f must return a scalar, got {type(value).__name__}"
                        + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""))
    return float(value)


def _entries(shape, max_entries, rng):
    """All indices of an array of this shape, or max_entries of them drawn at random."""
    size = int(np.prod(shape))
    if max_entries is None or size <= max_entries:
        flat = np.arange(size)
    else:
        flat = np.sort(rng.choice(size, size=max_entries, replace=False))
    return [np.unravel_index(i, shape) for i in flat]


def _numeric_at(f, x, indices, h, where):
    """Central differences of f at the given indices of x (x is restored afterwards)."""
    out = np.empty(len(indices))
    for k, idx in enumerate(indices):
        old = x[idx]
        try:
            x[idx] = old + h
            f_plus = _scalar(f(x), where)
            x[idx] = old - h
            f_minus = _scalar(f(x), where)
        finally:
            x[idx] = old
        out[k] = (f_plus - f_minus) / (2 * h)
    return out


def numerical_gradient(f, x, h=1e-5):
    """Gradient of a scalar function by central differences, one entry at a time.

    ``grad[i] = (f(x + h*e_i) - f(x - h*e_i)) / (2h)``, with an error of order h**2.

    Inputs:
    - f: function called as f(x) that returns a scalar (it may ignore its argument and read
      x through a closure: x is changed in place)
    - x: float array, changed in place during the call and restored entry by entry
    - h: step size

    Returns a float64 array of x's shape.
    """
    check_float_array(x, "x", where="numerical_gradient")
    if not callable(f):
        raise TypeError(f"numerical_gradient: f must be callable, got {type(f).__name__}")
    if not (isinstance(h, numbers.Real) and not isinstance(h, bool) and h > 0):
        raise ValueError(f"numerical_gradient: h must be a positive number, got {h!r}")
    if not x.flags.writeable:
        raise ValueError("numerical_gradient: x is read-only; pass a writeable array")
    indices = list(np.ndindex(x.shape))
    return _numeric_at(f, x, indices, h, "numerical_gradient").reshape(x.shape)


def rel_error(a, b):
    """Relative error between two gradients, in [0, 1]; 0 means equal.

    ``max_i |a_i - b_i| / max(max_i |a_i| + max_i |b_i|, 1e-300)``: the largest entrywise
    gap, measured against the size of the gradient as a whole. (An entrywise ratio
    ``|a_i - b_i| / (|a_i| + |b_i|)`` would call two tiny entries that differ by round-off,
    such as 1e-12 and 3e-12, 50% wrong.) Any entry wrong by more than a millionth of the
    gradient's largest entry gives an error above 1e-6.

    Two all-zero arrays have error 0. Shapes must match.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ: {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    gap = np.max(np.abs(a - b))
    scale = np.max(np.abs(a)) + np.max(np.abs(b))
    return float(gap / max(scale, 1e-300))


def _require_float64(arrays, where):
    for name, arr in arrays.items():
        check_float_array(arr, name, where=where)
        if arr.dtype != np.float64:
            raise TypeError(f"{where}: {name} is {arr.dtype}; gradient checks need float64 "
                            "(float32 round-off swamps central differences): build the layer "
                            "with dtype=np.float64 and pass x.astype(np.float64)")


def check_layer(layer, x, seed=0, *, h=1e-5, max_entries=None):
    """Check a layer's backward pass against numerical gradients.

    Uses the loss ``L = sum(layer.forward(x) * r)`` with a fixed random r (drawn from
    ``seed``), whose gradient with respect to the output is r itself, so ``backward(r)`` must
    return dL/dx and fill ``grads`` with dL/dparams.

    Inputs:
    - layer: a Layer (any object with forward, backward, params and grads), float64 params
    - x: float64 input of the shape the layer expects (not modified)
    - seed: seeds r and the choice of entries
    - max_entries: check at most this many random entries per array (None: all)

    Returns a dict {"x": error, param name: error, ...} of ``rel_error`` values ("x" is left
    out when ``layer.need_input_grad`` is False).
    """
    where = "check_layer"
    for attr in ("forward", "backward", "params", "grads"):
        if not hasattr(layer, attr):
            raise TypeError(f"{where}: layer must have forward, backward, params and grads; "
                            f"{type(layer).__name__} has no {attr!r}")
    _require_float64({"x": x, **{f"params[{k!r}]": v for k, v in layer.params.items()}}, where)
    rng = np.random.default_rng(seed)
    x = x.copy()
    y = layer.forward(x)
    r = rng.standard_normal(np.shape(y))
    dx = layer.backward(r)
    analytic = {name: np.array(layer.grads[name], dtype=np.float64) for name in layer.params}
    need_dx = getattr(layer, "need_input_grad", True)
    if need_dx:
        analytic = {"x": np.array(dx, dtype=np.float64), **analytic}

    def loss(_):
        return float(np.sum(layer.forward(x) * r))

    targets = {"x": x, **layer.params} if need_dx else dict(layer.params)
    errors = {}
    for name, arr in targets.items():
        idx = _entries(arr.shape, max_entries, rng)
        numeric = _numeric_at(loss, arr, idx, h, where)
        errors[name] = rel_error(np.array([analytic[name][i] for i in idx]), numeric)
    layer.forward(x)                       # leave the layer as after a normal forward
    layer.backward(r)
    return errors


def _as_model(model_or_layers):
    """Return (forward(x) -> logits, backward(dlogits), params dict, grads getter, loss)."""
    if isinstance(model_or_layers, (list, tuple)):
        layers = list(model_or_layers)
        loss = None
        if layers and isinstance(layers[-1], SoftmaxCrossEntropy):
            loss = layers.pop()
        for k, layer in enumerate(layers):
            if not all(hasattr(layer, a) for a in ("forward", "backward", "params", "grads")):
                raise TypeError(f"check_model: item {k} ({type(layer).__name__}) is not a layer")

        def forward(x):
            for layer in layers:
                x = layer.forward(x)
            return x

        def backward(d):
            for layer in reversed(layers):
                d = layer.backward(d)
            return d

        params = {f"{k}.{n}": p for k, layer in enumerate(layers) for n, p in layer.params.items()}

        def grads():
            return {f"{k}.{n}": g for k, layer in enumerate(layers) for n, g in layer.grads.items()}

        return forward, backward, params, grads, loss
    model = model_or_layers
    missing = [a for a in ("forward", "backward", "params", "grads") if not hasattr(model, a)]
    if missing:
        raise TypeError(f"check_model: expected a list of layers or a model with forward, "
                        f"backward, params and grads; {type(model).__name__} lacks {missing}")
    loss = getattr(model, "loss_layer", None)       # a model may carry its own loss layer
    if not (hasattr(loss, "forward") and hasattr(loss, "backward")):
        loss = None
    return model.forward, model.backward, model.params, lambda: model.grads, loss


def check_model(model_or_layers, x, labels, *, h=1e-5, max_entries=None, seed=0):
    """Check every parameter gradient of a whole network with softmax cross-entropy loss.

    Inputs:
    - model_or_layers: a list of layers (optionally ending with a SoftmaxCrossEntropy), or a
      model with ``forward(x) -> logits (N, K)``, ``backward(dlogits)`` and ``params``/``grads``
      dicts (name -> array) holding the very arrays its layers use; all float64. The loss is
      the model's ``loss_layer`` if it has one, else a SoftmaxCrossEntropy
    - x: float64 input batch; labels: int class indices of shape (N,)
    - max_entries: check at most this many random entries per parameter (None: all of them;
      use e.g. 20 for a full-size LeNet); seed picks them

    Returns a dict {parameter name: rel_error}; for a list the names are "<index>.<param>"
    (e.g. "0.W"), for a model they are the keys of ``model.params``.
    """
    where = "check_model"
    forward, backward, params, grads, loss = _as_model(model_or_layers)
    loss = loss if loss is not None else SoftmaxCrossEntropy()
    if max_entries is not None:
        max_entries = as_int(max_entries, "max_entries", minimum=1)
    _require_float64({"x": x, **{f"params[{k!r}]": v for k, v in params.items()}}, where)
    if not params:
        raise ValueError(f"{where}: the model has no parameters to check")
    rng = np.random.default_rng(seed)

    def total_loss(_):
        return loss.forward(forward(x), labels)

    total_loss(None)
    backward(loss.backward())
    analytic = {name: np.array(g, dtype=np.float64) for name, g in grads().items()}
    if analytic.keys() != params.keys():
        raise ValueError(f"{where}: params and grads have different names: "
                         f"{sorted(params)} vs {sorted(analytic)}")
    errors = {}
    for name, p in params.items():
        if analytic[name].shape != p.shape:
            raise ValueError(f"{where}: grad {name!r} has shape {analytic[name].shape} but the "
                             f"parameter has shape {p.shape}")
        idx = _entries(p.shape, max_entries, rng)
        numeric = _numeric_at(total_loss, p, idx, h, where)
        errors[name] = rel_error(np.array([analytic[name][i] for i in idx]), numeric)
    total_loss(None)
    backward(loss.backward())
    return errors
