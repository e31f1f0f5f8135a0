"""Auto-checked exercises: the framework every chapter's checkers are built on.

An exercise is registered with the ``exercise`` decorator on its checker::

    @exercise("ch1-corr2d", title="Cross-correlation by loops",
              hint="Loop over output positions (i, j); each is sum(X[i:i+FH, j:j+FW] * K).",
              solution=solutions.corr2d, mistakes=solutions.CORR2D_MISTAKES)
    def check_corr2d(corr2d):
        X, K = ...
        got = call(corr2d, X, K, case="3x3 input, 2x2 kernel")
        expect_array(got, expected, case="3x3 input, 2x2 kernel",
                     mistakes={"the kernel was flipped (true convolution)": flipped})

A checker inspects the learner's answer with the helpers below. They raise ``Fail`` with a
specific message (which case, expected vs got, a nudge toward the usual mistake); the decorator
turns that, and anything else that goes wrong in the learner's code, into a ``Feedback``.
A checker never crashes on a learner's bug.

In a notebook: ``check("ch1-corr2d", corr2d)``, ``hint("ch1-corr2d")``,
``solution("ch1-corr2d")``. Tests prove every reference solution passes and every registered
mistake is rejected with its intended message.
"""

import copy
import dataclasses
import html
import inspect
import textwrap

import numpy as np

__all__ = ["REGISTRY", "Fail", "NotAttempted", "Mistake", "Feedback", "Exercise", "exercise",
           "call", "expect_array", "expect_value", "fail", "get", "check", "hint", "solution"]

#: Every registered exercise, by id.
REGISTRY = {}


class Fail(Exception):
    """The answer is wrong; the message says how."""


class NotAttempted(Exception):
    """The answer is still the untouched stub."""


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A realistic wrong answer and a fragment its feedback must contain (used by the tests)."""

    answer: object
    expect: str
    why: str = ""


@dataclasses.dataclass
class Feedback:
    """The outcome of a check: status is "passed", "failed" or "not attempted"."""

    exercise_id: str
    status: str
    message: str

    @property
    def passed(self):
        return self.status == "passed"

    def __str__(self):
        mark = {"passed": "[passed]", "failed": "[not yet]", "not attempted": "[to do]"}[self.status]
        return f"{mark} {self.exercise_id}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self):
        css = self.status.replace(" ", "-")
        return f'<div class="cnn-feedback {css}">{html.escape(str(self))}</div>'


@dataclasses.dataclass
class Exercise:
    """One registered exercise."""

    id: str
    title: str
    checker: object
    hint: str
    solution: object
    mistakes: tuple

    def check(self, answer):
        """Run the checker on ``answer`` and return a Feedback; never raises."""
        if answer is None or answer is Ellipsis:
            return Feedback(self.id, "not attempted",
                            "not attempted yet: fill in your answer, then run this cell again.")
        try:
            message = self.checker(answer)
        except NotAttempted as e:
            return Feedback(self.id, "not attempted", str(e) or (
                "not attempted yet: replace `raise NotImplementedError` with your code, "
                "then run this cell again."))
        except Fail as e:
            text = str(e)
            if self.hint:
                text += f'\nStuck? hint("{self.id}") gives a hint.'
            return Feedback(self.id, "failed", text)
        except Exception as e:  # a bug in the learner's answer that escaped the helpers
            return Feedback(self.id, "failed",
                            f"checking your answer raised {type(e).__name__}: {e}")
        return Feedback(self.id, "passed", message or "correct, well done.")


def exercise(exercise_id, *, title, hint, solution, mistakes=()):
    """Register the decorated checker as exercise ``exercise_id``; return the Exercise.

    The checker takes the learner's answer and returns an optional success message; it
    raises ``Fail``/``NotAttempted`` (usually through the helpers in this module).
    """
    def register(checker):
        if exercise_id in REGISTRY:
            raise ValueError(f"exercise id {exercise_id!r} is registered twice")
        ex = Exercise(exercise_id, title, checker, textwrap.dedent(hint).strip(), solution,
                      tuple(mistakes))
        REGISTRY[exercise_id] = ex
        return ex
    return register


# --- helpers for checkers ---------------------------------------------------------------

def call(function, *args, case, **kwargs):
    """Call the learner's function on copies of the arguments and return its result.

    Turns the usual accidents into a Fail naming the case: not a function, the untouched
    stub (NotImplementedError), any exception, and inputs modified in place.
    """
    if not callable(function):
        raise Fail(f"expected a function, got {type(function).__name__}. "
                   "Did you overwrite the function's name with a value?")
    pristine = copy.deepcopy((args, kwargs))
    try:
        result = function(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted() from None
    except Exception as e:
        raise Fail(f"case {case}: your function raised {type(e).__name__}: {e}") from None
    for before, after in zip(_flatten(pristine), _flatten((args, kwargs))):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
            raise Fail(f"case {case}: your function changed one of its input arrays in place. "
                       "Work on a copy (or build a new array) instead.")
    return result


def _flatten(obj):
    if isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _flatten(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _flatten(item)
    else:
        yield obj


def expect_array(got, expected, *, case, rtol=1e-5, atol=1e-6, mistakes=None, shape_hint="",
                 dtype=None):
    """Fail unless ``got`` is an array equal (within tolerance) to ``expected``.

    Inputs:
    - got: the learner's result; expected: the right array
    - case: a short description of the input, quoted in every message
    - mistakes: {description: array} results of the usual mistakes; when ``got`` matches one,
      the message names it ("it looks like <description>")
    - shape_hint: a sentence added when the shape is wrong (e.g. the output-size formula)
    - dtype: when given, the dtype the result must have
    """
    expected = np.asarray(expected)
    if got is None:
        raise Fail(f"case {case}: your function returned None. Did you forget `return`?")
    try:
        arr = np.asarray(got, dtype=float) if not isinstance(got, np.ndarray) else got
    except (TypeError, ValueError):
        raise Fail(f"case {case}: expected a numpy array, got {type(got).__name__}.") from None
    for description, wrong in (mistakes or {}).items():
        wrong = np.asarray(wrong)
        if arr.shape == wrong.shape and _close(arr, wrong, rtol, atol) and not (
                arr.shape == expected.shape and _close(arr, expected, rtol, atol)):
            raise Fail(f"case {case}: it looks like {description}.")
    if arr.shape != expected.shape:
        msg = f"case {case}: expected shape {expected.shape}, got {arr.shape}."
        raise Fail(msg + (f" {shape_hint}" if shape_hint else ""))
    if not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
        raise Fail(f"case {case}: expected numbers, got an array of dtype {arr.dtype}.")
    if np.isnan(arr.astype(float)).any() and not np.isnan(expected.astype(float)).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(arr.astype(float)))[0])
        raise Fail(f"case {case}: your result contains NaN (first at index {where}).")
    if not _close(arr, expected, rtol, atol):
        diff = np.abs(arr.astype(float) - expected.astype(float))
        where = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape))
        raise Fail(f"case {case}: wrong values. At index {where} expected "
                   f"{_fmt(expected[where])}, got {_fmt(arr[where])} "
                   f"({int((diff > atol + rtol * np.abs(expected)).sum())} of {diff.size} "
                   "entries differ).")
    if dtype is not None and arr.dtype != np.dtype(dtype):
        raise Fail(f"case {case}: the values are right but the dtype is {arr.dtype}; "
                   f"expected {np.dtype(dtype)}.")


def expect_value(got, expected, *, case, mistakes=None, hint=""):
    """Fail unless ``got`` equals ``expected`` (ints, tuples, strings; floats to 1e-9).

    mistakes: {wrong value: message} for the usual wrong answers.
    """
    if got is None:
        raise Fail(f"case {case}: got None. Did you forget `return` or to set the answer?")
    if _equal(got, expected):
        return
    for wrong, message in (mistakes or {}).items():
        if _equal(got, wrong):
            raise Fail(f"case {case}: got {got!r}. {message}")
    raise Fail(f"case {case}: expected {expected!r}, got {got!r}." + (f" {hint}" if hint else ""))


def _equal(a, b):
    try:
        if isinstance(b, (tuple, list)):
            return (isinstance(a, (tuple, list, np.ndarray)) and len(a) == len(b)
                    and all(_equal(x, y) for x, y in zip(a, b)))
        if isinstance(b, (float, np.floating)):
            return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
        if isinstance(b, (int, np.integer)) and not isinstance(b, bool):
            return not isinstance(a, bool) and float(a) == float(b)
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _close(a, b, rtol, atol):
    try:
        return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                                rtol=rtol, atol=atol))
    except (TypeError, ValueError):
        return False


def _fmt(x):
    return f"{float(x):.6g}"


def fail(message):
    """Reject the answer with ``message``."""
    raise Fail(message)


# --- what a notebook calls ---------------------------------------------------------------

def get(exercise_id):
    """The registered Exercise ``exercise_id`` (importing the chapters' checkers on demand)."""
    _load_all()
    try:
        return REGISTRY[exercise_id]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise KeyError(f"no exercise {exercise_id!r}; known exercises: {known}") from None


def check(exercise_id, answer):
    """Check ``answer`` for exercise ``exercise_id`` and return the Feedback (never raises)."""
    return get(exercise_id).check(answer)


def hint(exercise_id):
    """Print the hint for ``exercise_id``."""
    print(get(exercise_id).hint)


def solution(exercise_id):
    """Print the reference solution of ``exercise_id`` (its source code, or its value)."""
    ref = get(exercise_id).solution
    if callable(ref):
        print(inspect.getsource(ref).rstrip())
    else:
        print(repr(ref))


def _load_all():
    import importlib
    import pkgutil

    from cnn_course import exercises

    for info in pkgutil.iter_modules(exercises.__path__):
        if info.name.startswith("ch") and not info.name.endswith("_solutions"):
            importlib.import_module(f"cnn_course.exercises.{info.name}")
