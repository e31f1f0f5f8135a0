"""Optimisers: SGD, Momentum and Adam.

Every optimiser has one method, ``step(params, grads)``, over two dicts that share their keys
(for a model, names such as ``"0.W"`` and ``"0.b"``) and hold arrays of equal shapes. The
parameters are updated in place, so the layers that own them see the new values at once, and
their dtype (float32 or float64) is kept. ``step(model)`` is short for
``step(model.params, model.grads)``.

State that an optimiser keeps between steps (a velocity, Adam's moments) is stored per name,
so one optimiser object belongs to one model.
"""

import numpy as np

from cnn_course._validation import as_positive_float

__all__ = ["Optimizer", "SGD", "Momentum", "Adam"]


def _pairs(params, grads):
    """Yield (name, param, grad), checking that the two dicts match.

    ``params`` may be a model: any object with ``params`` and ``grads`` dicts.
    """
    if grads is None:
        if not (hasattr(params, "params") and hasattr(params, "grads")):
            raise TypeError(
                "step(params, grads) needs two dicts, or step(model) with a model that has "
                f".params and .grads; got {type(params).__name__} and no grads")
        params, grads = params.params, params.grads
    if not isinstance(params, dict) or not isinstance(grads, dict):
        raise TypeError(f"params and grads must be dicts, got {type(params).__name__} "
                        f"and {type(grads).__name__}")
    if params.keys() != grads.keys():
        missing = sorted(set(params) - set(grads))
        extra = sorted(set(grads) - set(params))
        raise ValueError(f"params and grads have different names: missing grads {missing}, "
                         f"grads without params {extra}")
    for name, p in params.items():
        g = grads[name]
        if g is None:
            raise ValueError(f"grad {name!r} is None: run backward() before step()")
        if not isinstance(p, np.ndarray) or not isinstance(g, np.ndarray):
            raise TypeError(f"param and grad {name!r} must be numpy arrays, "
                            f"got {type(p).__name__} and {type(g).__name__}")
        if p.shape != g.shape:
            raise ValueError(f"param {name!r} has shape {p.shape} but its grad has shape {g.shape}")
        yield name, p, g


class Optimizer:
    """Base class: holds the learning rate and the per-parameter state."""

    def __init__(self, lr):
        self.lr = as_positive_float(lr, "lr")
        self.state = {}
        self.t = 0

    def step(self, params, grads=None):
        """Update every parameter in place from its gradient.

        Inputs:
        - params: dict name -> array (updated in place), or a model with .params and .grads
        - grads: dict name -> array of the same shape as params[name]; omit it for a model
        """
        self.t += 1
        for name, p, g in _pairs(params, grads):
            self._update(name, p, g)

    def _update(self, name, p, g):
        raise NotImplementedError

    def _buffer(self, key, p):
        """Return the state array ``key`` for a parameter, created as zeros like ``p``."""
        if key not in self.state:
            self.state[key] = np.zeros_like(p)
        return self.state[key]

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyper().items())
        return f"{type(self).__name__}({args})"

    def _hyper(self):
        return {"lr": self.lr}


class SGD(Optimizer):
    """Plain stochastic gradient descent: p <- p - lr * g."""

    def __init__(self, lr=0.01):
        super().__init__(lr)

    def _update(self, name, p, g):
        p -= self.lr * g


class Momentum(Optimizer):
    """SGD with momentum: v <- momentum * v - lr * g, then p <- p + v.

    The velocity v starts at zero and remembers past steps, which damps the zig-zag of plain
    SGD across narrow valleys of the loss.
    """

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr)
        self.momentum = as_positive_float(momentum, "momentum", upper=1)

    def _update(self, name, p, g):
        v = self._buffer(name, p)
        v *= self.momentum
        v -= self.lr * g
        p += v

    def _hyper(self):
        return {"lr": self.lr, "momentum": self.momentum}


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with bias correction.

    m <- beta1 * m + (1 - beta1) * g          (mean of the gradients)
    v <- beta2 * v + (1 - beta2) * g**2       (mean of their squares)
    m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)
    p <- p - lr * m_hat / (sqrt(v_hat) + eps)

    The bias correction matters in the first steps, when m and v, started at zero, are still
    too small.
    """

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1 = as_positive_float(beta1, "beta1", upper=1)
        self.beta2 = as_positive_float(beta2, "beta2", upper=1)
        self.eps = as_positive_float(eps, "eps")

    def _update(self, name, p, g):
        m = self._buffer(name + ".m", p)
        v = self._buffer(name + ".v", p)
        m[...] = self.beta1 * m + (1 - self.beta1) * g
        v[...] = self.beta2 * v + (1 - self.beta2) * g ** 2
        m_hat = m / (1 - self.beta1 ** self.t)
        v_hat = v / (1 - self.beta2 ** self.t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _hyper(self):
        return {"lr": self.lr, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}
