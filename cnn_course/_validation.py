"""Input checks shared by the whole engine.

Every public function validates its arguments with these helpers so that a learner's mistake
produces a message naming the shapes or values at fault, not a numpy traceback.
"""

import numbers

import numpy as np

__all__ = ["as_pair", "check_float_array", "check_real_array", "check_same_dtype", "check_shape",
           "as_int", "as_shape", "as_positive_float", "NotReadyError"]


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


def _check_ndarray(x, name, ndim, prefix):
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{prefix}{name} must be a numpy array, got {type(x).__name__}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{prefix}{name} must have {ndim} dimensions, got {x.ndim} "
                         f"({name}.shape={x.shape})")


def check_float_array(x, name, ndim=None, *, where=""):
    """Check that ``x`` is a float32/float64 numpy array with ``ndim`` dimensions; return it.

    ``where`` names the calling function and prefixes the message (e.g. ``"conv2d"``).
    """
    prefix = f"{where}: " if where else ""
    _check_ndarray(x, name, ndim, prefix)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"{prefix}{name} must be float32 or float64, got {x.dtype} "
                        f"(convert it with {name}.astype(np.float32))")
    return x


def check_real_array(x, name, ndim=None, *, where=""):
    """Like ``check_float_array``, but integer arrays pass too (small worked examples such as
    ``corr2d`` on ``np.arange(9)`` stay exact)."""
    prefix = f"{where}: " if where else ""
    _check_ndarray(x, name, ndim, prefix)
    if x.dtype.kind not in "iuf":
        raise TypeError(f"{prefix}{name} must hold integers or floats, got {x.dtype}")
    return x


def check_same_dtype(where, **arrays):
    """Raise TypeError unless all given arrays (name=array, None skipped) share one dtype."""
    given = {k: v for k, v in arrays.items() if v is not None}
    dtypes = {v.dtype for v in given.values()}
    if len(dtypes) > 1:
        listing = ", ".join(f"{k} is {v.dtype}" for k, v in given.items())
        raise TypeError(f"{where}: arrays must share one dtype, but {listing}; "
                        "convert them with .astype(...) (ops never mix float32 and float64)")


def check_shape(x, shape, name, *, where=""):
    """Raise ValueError unless ``x.shape == shape``."""
    if tuple(x.shape) != tuple(shape):
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}{name} has shape {tuple(x.shape)} but {tuple(shape)} "
                         "was expected")
    return x


def as_int(value, name, *, minimum=None):
    """Return ``value`` as a Python int, rejecting floats and bools (TypeError) and values
    below ``minimum`` (ValueError)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def as_shape(value, name, letters="(N, C, H, W)", *, where=""):
    """Return ``value``, a shape given as a tuple or list with one entry per letter, as a tuple
    of Python ints >= 1 (e.g. the x_shape argument of ``col2im``)."""
    prefix = f"{where}: " if where else ""
    if not (isinstance(value, (tuple, list)) and len(value) == len(letters.split(","))):
        raise ValueError(f"{prefix}{name} must be {letters}, got {value!r}")
    return tuple(as_int(v, f"{name} entries", minimum=1) for v in value)


def as_positive_float(value, name, *, upper=None):
    """Return ``value`` as a Python float after checking 0 < value (< upper when given); a
    TypeError for non-numbers, a ValueError for values out of range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not value > 0 or (upper is not None and not value < upper):
        bound = f"0 < {name} < {upper}" if upper is not None else f"{name} > 0"
        raise ValueError(f"{name} must satisfy {bound}, got {value!r}")
    return float(value)


class NotReadyError(RuntimeError, ValueError):
    """Raised by ``backward`` when ``forward`` has not run yet (a RuntimeError and a
    ValueError, so either ``except`` clause catches it)."""
