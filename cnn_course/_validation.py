"""Input checks shared by the whole engine.

Every public function validates its arguments with these helpers so that a learner's mistake
produces a message naming the shapes or values at fault, not a numpy traceback.
"""

import numbers

import numpy as np


def as_pair(value, name, *, minimum=None):
    """Return ``value`` as an (h, w) pair of Python ints.

    Accepts an int or a length-2 tuple/list of ints. Raises TypeError for non-integers and
    ValueError for the wrong length or values below ``minimum``.
    """
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or an (h, w) pair, got {value!r}")
        pair = tuple(value)
    else:
        pair = (value, value)
    for v in pair:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    pair = (int(pair[0]), int(pair[1]))
    if minimum is not None and min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return pair


def check_array(x, name, ndim=None, *, floating=False):
    """Check that ``x`` is a numpy array with ``ndim`` dimensions; return it.

    ndim may be an int or a tuple of allowed ints. With floating=True the dtype must be
    float32 or float64.
    """
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have {want} dimensions, got shape {x.shape}")
    if floating and x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64, got {x.dtype}")
    return x
