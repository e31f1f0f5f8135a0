"""Auto-checked exercises: the framework every chapter's checkers are built on.

An exercise is registered with the ``exercise`` decorator on its checker::

    @exercise("ch1-corr2d", title="Cross-correlation by loops",
              hints=("A conceptual nudge: what is computed at each window position?",
                     "More concrete: the output's shape, and the sum at position (i, j).",
                     "The code-level step: `Y[i, j] = np.sum(X[i:i + FH, j:j + FW] * K)`."),
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

In a notebook: ``check("ch1-corr2d", corr2d)`` returns a ``Feedback`` ("✓ Passed",
"✗ Not yet" or "○ To do"); ``hint("ch1-corr2d")`` gives the first of the exercise's hint tiers,
``hint("ch1-corr2d", 2)`` the next, more concrete one (the last tier is the code-level step);
``solution("ch1-corr2d")`` prints the reference solution once ``check`` has been run on an
attempt in this kernel, and asks to try first before that (``reveal=True`` shows it anyway).
Tests prove every reference solution passes and every registered mistake is rejected with its
intended message.

Each mistake is written once. ``chNN_solutions`` registers it as a ``Mistake``: the wrong
answer (a function for exercises that write code, a value for exercises done by hand) and the
message it earns. A checker does not repeat it: ``known_mistakes(*args)`` runs every registered
wrong function on a case's inputs (or returns the registered wrong values), and ``expect_array``
/ ``expect_value`` say the message of the one the learner's result matches.

The harness cannot be fooled by accident or stopped:

- the learner's code runs under a time limit (``Exercise.time_limit`` seconds in all, 10 unless
  the exercise says otherwise; a correct answer takes well under 1 s; the checker's own work is
  not counted, and a wider safety net stops the whole check) and an endless loop becomes
  feedback;
  ``sys.exit()`` and other escapes become feedback too, while Ctrl-C (KeyboardInterrupt) still
  interrupts;
- expected values come from private code: the reference solutions, or ``reference(module)``, a
  copy of an engine module loaded afresh from its file, so a notebook that reassigns
  ``F.im2col = im2col`` changes nothing a checker computes (and the feedback names the
  reassignment);
- ``call`` passes copies of the inputs, reports inputs changed in place and results that share
  memory with an input (a view).

The answer policy, the same in every exercise:

- a list, a tuple and a numpy array are equivalent wherever a sequence or an array is asked;
- where an exercise asks for a whole number (a size, a count) the answer must be an int (Python's
  or numpy's): a float such as 832.0 is refused, since sizes count things; where it asks for a
  real number, ints are fine;
- refused with a message that says why: strings (``"832"``), complex numbers, booleans, NaN,
  infinities (an overflow shows as one) and None.

Exercises done by hand never print the expected value: the feedback says which part is wrong
and what usually causes it.
"""

import ast
import contextlib
import copy
import dataclasses
import difflib
import html
import importlib.util
import inspect
import numbers
import re
import signal
import sys
import textwrap
import threading
import time

import numpy as np

__all__ = ["REGISTRY", "ATTEMPTED", "DEFAULT_TIME_LIMIT", "Fail", "NotAttempted",
           "UnknownExercise", "Mistake", "Feedback", "Hint", "Exercise", "exercise", "call",
           "known_mistakes", "expect_array", "expect_value", "expect_int", "fail", "same_code",
           "switched_off",
           "reference", "tampering", "get", "check", "hint", "solution",
           "solution_source"]

#: Every registered exercise, by id.
REGISTRY = {}

#: Seconds a check may run before it is stopped (an exercise can set its own).
DEFAULT_TIME_LIMIT = 10.0

#: Ids of the exercises ``check`` has been run on with an attempt (not the untouched stub) in
#: this kernel; ``solution`` asks to try first until then.
ATTEMPTED = set()


class Fail(Exception):
    """The answer is wrong; the message says how."""


class NotAttempted(Exception):
    """The answer is still the untouched stub."""


class UnknownExercise(KeyError):
    """No exercise has this id (a KeyError whose message prints without extra quotes)."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A realistic wrong answer, registered once with the message it earns.

    - answer: the wrong answer: a function (exercises that write code) or a value (by hand)
    - message: what the learner is told. With ``rule=False`` (the default) the checker finds
      this mistake itself, through ``known_mistakes``, and says exactly this message.
    - why: what the learner did, in a few words (for the tests' reports)
    - rule: True when a general rule of the checker catches the mistake instead (the shape
      check, the in-place check, a dtype rule): then ``message`` is a fragment of what that
      rule says, and the tests prove it is said.
    """

    answer: object
    message: str
    why: str = ""
    rule: bool = False

    def __post_init__(self):
        if not self.message:
            raise ValueError("a Mistake needs the message it earns")


# Colours with a contrast of at least 4:1 on both a white (#fff) and a dark (#111) page, so that
# the marks and borders read in JupyterLab's and the book's light and dark themes; the text
# itself is in the surrounding colour (currentColor), and the background is a faint tint of the
# status colour, never a light or dark fill.
_STATUS = {  # status: (mark, word, css class, colour, tint)
    "passed": ("✓", "Passed", "passed", "#2b8a3e", "rgba(43, 138, 62, 0.08)"),
    "failed": ("✗", "Not yet", "failed", "#d64545", "rgba(214, 69, 69, 0.08)"),
    "not attempted": ("○", "To do", "not-attempted", "#7f7f7f", "rgba(127, 127, 127, 0.08)"),
}
_HINT_COLOUR = "#2f7fd0"
_BOX_STYLE = ("border-left: 4px solid {colour}; background: {tint}; color: inherit; "
              "padding: 0.35em 0.8em; margin: 0.4em 0; border-radius: 2px; "
              "overflow-wrap: anywhere; line-height: 1.45;")
_CODE_STYLE = "color: inherit; background: transparent; padding: 0; font-size: 0.95em;"


@dataclasses.dataclass
class Feedback:
    """The outcome of a check: status is "passed", "failed" or "not attempted".

    It reads at a glance, by a mark and a word as well as by colour: "✓ Passed", "✗ Not yet",
    "○ To do" (in its text and in its HTML)."""

    exercise_id: str
    status: str
    message: str

    @property
    def passed(self):
        return self.status == "passed"

    @property
    def label(self):
        """The mark and the word of the status, e.g. "✓ Passed"."""
        mark, word = _STATUS[self.status][:2]
        return f"{mark} {word}"

    def __str__(self):
        return f"{self.label} — {self.exercise_id}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self):
        mark, word, css, colour, tint = _STATUS[self.status]
        style = _BOX_STYLE.format(colour=colour, tint=tint)
        return (f'<div class="cnn-feedback {css}" role="status" style="{style}">'
                f'<strong><span style="color: {colour};" aria-hidden="true">{mark}</span> '
                f'{word}</strong> — <code style="{_CODE_STYLE}">{html.escape(self.exercise_id)}'
                f'</code>: <span style="white-space: pre-wrap;">{html.escape(self.message)}'
                '</span></div>')


def _unwrap(text):
    """Join a hint's hard-wrapped lines into paragraphs (blank lines separate paragraphs)."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _code_html(text):
    """Escape ``text`` and show its `backticked` fragments as code."""
    parts = html.escape(text, quote=False).split("`")
    return "".join(f'<code style="{_CODE_STYLE}">{part}</code>' if i % 2 else part
                   for i, part in enumerate(parts))


@dataclasses.dataclass(frozen=True)
class Hint:
    """Tier ``tier`` (1-based) of an exercise's hints.

    Its text shows that tier and says how to ask for the next one; its HTML shows that tier and
    every later one behind successive collapsed toggles ("Show hint 2", then "Show hint 3"
    inside it), so a page that shows ``hint(id)`` still makes the reader ask for each tier."""

    exercise_id: str
    tiers: tuple
    tier: int = 1

    @property
    def text(self):
        return self.tiers[self.tier - 1]

    def _next_step(self):
        if self.tier < len(self.tiers):
            return (f'Still stuck? hint("{self.exercise_id}", {self.tier + 1}) gives a more '
                    "concrete hint.")
        return (f'That was the last hint. After a try, solution("{self.exercise_id}") shows the '
                "reference solution.")

    def __str__(self):
        body = "\n\n".join(textwrap.fill(p, 88) for p in _unwrap(self.text))
        return (f"Hint {self.tier} of {len(self.tiers)} — {self.exercise_id}\n{body}\n"
                + self._next_step())

    __repr__ = __str__

    def _repr_html_(self):
        def paragraphs(text):
            return "".join(f'<p style="margin: 0.3em 0;">{_code_html(p)}</p>'
                           for p in _unwrap(text))

        later = ""
        for n in range(len(self.tiers), self.tier, -1):   # innermost (last tier) first
            later = ('<details style="margin: 0.4em 0 0 0;"><summary style="cursor: pointer;">'
                     f'Show hint {n}</summary>{paragraphs(self.tiers[n - 1])}{later}</details>')
        style = _BOX_STYLE.format(colour=_HINT_COLOUR, tint="rgba(47, 127, 208, 0.08)")
        return (f'<div class="cnn-hint" style="{style}"><strong>Hint {self.tier} of '
                f'{len(self.tiers)}</strong> — <code style="{_CODE_STYLE}">'
                f'{html.escape(self.exercise_id)}</code>{paragraphs(self.text)}{later}</div>')


class _Timeout(BaseException):
    """The check ran past its time limit (a BaseException, so `except Exception` in a
    learner's code cannot swallow it)."""


class _State(threading.local):
    exercise = None   # the Exercise being checked
    case = None       # the case ``call`` is running
    budget = None     # seconds the learner's code may still run in this check


_STATE = _State()


#: Seconds the checker's own work (reference code, running the registered mistakes) may add
#: to a check before the whole check is stopped: a safety net, not a limit on the learner.
CHECKER_ALLOWANCE = 120.0

# The running time limits, innermost last: [deadline (perf_counter s), kind]. One SIGALRM timer
# is armed for the earliest deadline; "learner" limits time the learner's code (in ``call``),
# the "check" limit the whole check.
_DEADLINES = []
_PREVIOUS_HANDLER = [None]


def _arm():
    earliest = min(deadline for deadline, _ in _DEADLINES)
    signal.setitimer(signal.ITIMER_REAL, max(earliest - time.perf_counter(), 1e-4))


def _expire(signum, frame):
    now = time.perf_counter()
    expired = [kind for deadline, kind in _DEADLINES if deadline <= now + 1e-3]
    raise _Timeout("learner" if "learner" in expired else (expired or ["check"])[0])


@contextlib.contextmanager
def _time_limit(seconds, kind="check"):
    """Raise _Timeout(kind) in this block after ``seconds``; limits nest (main thread of a Unix
    process only; elsewhere, or when a timer that is not ours is running, no limit is set)."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread()
              and (_DEADLINES or signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)))
    if not usable:
        yield
        return
    if not _DEADLINES:
        _PREVIOUS_HANDLER[0] = signal.signal(signal.SIGALRM, _expire)
    entry = [time.perf_counter() + seconds, kind]
    _DEADLINES.append(entry)
    _arm()
    try:
        yield
    finally:
        _DEADLINES.remove(entry)
        if _DEADLINES:
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _PREVIOUS_HANDLER[0])


@contextlib.contextmanager
def _learner_code():
    """Time the learner's code against what is left of the check's time limit (the checker's
    own work is not counted)."""
    budget = _STATE.budget
    if budget is None:
        yield
        return
    start = time.perf_counter()
    try:
        with _time_limit(max(budget, 1e-3), "learner"):
            yield
    finally:
        _STATE.budget = budget - (time.perf_counter() - start)


@dataclasses.dataclass
class Exercise:
    """One registered exercise."""

    id: str
    title: str
    checker: object
    hints: tuple
    solution: object
    mistakes: tuple
    time_limit: float = DEFAULT_TIME_LIMIT

    @property
    def hint(self):
        """The first hint tier."""
        return self.hints[0]

    def check(self, answer):
        """Run the checker on ``answer`` and return a Feedback; never raises (but a
        KeyboardInterrupt, Ctrl-C or the notebook's stop button, still interrupts)."""
        if answer is None or answer is Ellipsis:
            return Feedback(self.id, "not attempted",
                            "not attempted yet: fill in your answer, then run this check.")
        outer = _STATE.exercise, _STATE.case, _STATE.budget
        _STATE.exercise, _STATE.case, _STATE.budget = self, None, self.time_limit
        try:
            with _time_limit(self.time_limit + CHECKER_ALLOWANCE, "check"):
                message = self.checker(answer)
        except NotAttempted as e:
            return Feedback(self.id, "not attempted", str(e) or (
                "not attempted yet: replace `raise NotImplementedError` with your code, "
                "then run this check."))
        except Fail as e:
            return self._failed(f'{e}\nStuck? hint("{self.id}") gives a hint.')
        except _Timeout as e:
            where = f" on case {_STATE.case}" if _STATE.case else ""
            if e.args and e.args[0] == "check":
                return self._failed(
                    f"stopped: the check did not finish within "
                    f"{self.time_limit + CHECKER_ALLOWANCE:g} s{where}. If your code has no "
                    "loop that never ends, the machine may be busy: run the check again.")
            return self._failed(
                f"stopped after {self.time_limit:g} s: your code was still running{where}. "
                "Look for a loop that never ends (a `while` whose condition never changes, an "
                "index that is never advanced) or a loop over far more elements than the "
                "input has.")
        except KeyboardInterrupt:
            raise
        except SystemExit as e:
            return self._failed(
                f"your code called sys.exit() or exit() (SystemExit: {e.code!r}), which would "
                "stop the whole kernel. Return the result instead.")
        except Exception as e:  # a bug in the learner's answer that escaped the helpers
            return self._failed(f"checking your answer raised {type(e).__name__}: {e}")
        except BaseException as e:  # GeneratorExit and other escapes
            return self._failed(f"your code escaped the check with {type(e).__name__}: {e}")
        finally:
            _STATE.exercise, _STATE.case, _STATE.budget = outer
        return Feedback(self.id, "passed", (message or "correct, well done.") + _tamper_note())

    def _failed(self, message):
        return Feedback(self.id, "failed", message + _tamper_note())


def exercise(exercise_id, *, title, hints, solution, mistakes=(), time_limit=DEFAULT_TIME_LIMIT):
    """Register the decorated checker as exercise ``exercise_id``; return the Exercise.

    ``hints`` are the tiers ``hint(id, n)`` gives, from a conceptual nudge to the code-level
    step (never the whole solution): at least two. The checker takes the learner's answer and
    returns an optional success message; it raises ``Fail``/``NotAttempted`` (usually through
    the helpers in this module). ``mistakes`` are the exercise's registered ``Mistake``s;
    ``time_limit`` the seconds a check may run.
    """
    if isinstance(hints, str) or len(hints) < 2:
        raise ValueError(f"exercise {exercise_id!r}: give at least two hint tiers, as a tuple")
    tiers = tuple(textwrap.dedent(h).strip() for h in hints)
    if not all(tiers):
        raise ValueError(f"exercise {exercise_id!r}: a hint tier is empty")
    if not all(isinstance(m, Mistake) for m in mistakes):
        raise TypeError(f"exercise {exercise_id!r}: mistakes must be Mistake objects")

    def register(checker):
        if exercise_id in REGISTRY:
            raise ValueError(f"exercise id {exercise_id!r} is registered twice")
        ex = Exercise(exercise_id, title, checker, tiers, solution, tuple(mistakes),
                      float(time_limit))
        REGISTRY[exercise_id] = ex
        return ex
    return register


# --- helpers for checkers ---------------------------------------------------------------

def call(function, *args, case, may_alias=False, **kwargs):
    """Call the learner's function on copies of the arguments and return its result.

    Turns the usual accidents into a Fail naming the case: not a function, the untouched
    stub (NotImplementedError), any exception (``sys.exit()`` included), inputs modified in
    place, and (unless ``may_alias``) a result that shares memory with an input.
    """
    if not callable(function):
        raise Fail(f"expected a function, got {type(function).__name__}. "
                   "Did you overwrite the function's name with a value?")
    pristine = copy.deepcopy((args, kwargs))
    _STATE.case = case
    try:
        with _learner_code():
            result = function(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted() from None
    except (Exception, SystemExit) as e:
        if isinstance(e, SystemExit):
            raise Fail(f"case {case}: your function called sys.exit() or exit(), which would "
                       "stop the whole kernel. Return the result instead.") from None
        raise Fail(f"case {case}: your function raised {type(e).__name__}: {e}") from None
    inputs = list(_flatten((args, kwargs)))
    for before, after in zip(_flatten(pristine), inputs):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
            raise Fail(f"case {case}: your function changed one of its input arrays in place. "
                       "Work on a copy (or build a new array) instead.")
    if not may_alias:
        for out in _flatten(result):
            if isinstance(out, np.ndarray) and any(
                    isinstance(x, np.ndarray) and np.shares_memory(out, x) for x in inputs):
                raise Fail(f"case {case}: your function returned an array that shares memory "
                           "with one of its inputs (a view, such as x.reshape(...) or x[...]): "
                           "changing one would change the other. Return a new array, e.g. "
                           "with .copy().")
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


def known_mistakes(*args, **kwargs):
    """The registered mistakes of the exercise being checked, as (wrong result, message) pairs.

    A wrong function is run on copies of ``args``/``kwargs`` (one that raises on this case is
    left out); a wrong value is returned as it is. ``expect_array`` and ``expect_value`` take
    the pairs as their ``mistakes``.
    """
    exercise = _STATE.exercise
    pairs = []
    for m in (exercise.mistakes if exercise else ()):
        if m.rule:
            continue
        if callable(m.answer):
            try:
                with np.errstate(all="ignore"):
                    wrong = m.answer(*copy.deepcopy(args), **copy.deepcopy(kwargs))
            except Exception:
                continue
        else:
            wrong = m.answer
        pairs.append((wrong, m.message))
    return pairs


def _pairs(mistakes, values_first):
    """Mistakes given as (wrong, message) pairs, or as the older dicts: {message: wrong array}
    for expect_array, {wrong value: message} for expect_value."""
    if isinstance(mistakes, dict):
        items = list(mistakes.items())
        return items if values_first else [(wrong, msg) for msg, wrong in items]
    return list(mistakes or ())


def _refusal(value, what="your answer"):
    """A message when ``value`` (a scalar, or anything nested in a list/tuple/array) is not an
    acceptable number under the answer policy, else None."""
    if isinstance(value, (str, bytes)):
        bare = value if isinstance(value, str) else value.decode(errors="replace")
        return (f"{what} is a string, {value!r}. Give the number itself, without quotes "
                f"(e.g. {bare.strip()}, not {value!r}).")
    if isinstance(value, (bool, np.bool_)):
        return (f"{what} is a boolean ({value!r}). Give a number: True and False are not "
                "accepted as 1 and 0 here.")
    if isinstance(value, (complex, np.complexfloating)):
        return (f"{what} is a complex number ({value!r}). Give a real number: take the real "
                "part only if you know the imaginary part is zero.")
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return (f"{what} is {value!r}. NaN or an infinity usually means a division by zero, "
                "an overflow or a value read before it was set.")
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "USO" and value.dtype != object:
            return f"{what} is an array of strings (dtype {value.dtype}). Give numbers."
        if value.dtype.kind == "c":
            return (f"{what} is a complex array (dtype {value.dtype}). Give real numbers; "
                    "a complex result usually means an FFT or a square root of a negative.")
        if value.dtype.kind == "b":
            return f"{what} is an array of booleans. Give numbers."
        if value.dtype == object:
            for item in value.ravel():
                reason = _refusal(item, what)
                if reason:
                    return reason
    if isinstance(value, (list, tuple)):
        for item in value:
            reason = _refusal(item, what)
            if reason:
                return reason
    return None


def expect_array(got, expected, *, case, rtol=1e-5, atol=1e-6, mistakes=None, shape_hint="",
                 dtype=None):
    """Fail unless ``got`` is an array (or nested list) equal within tolerance to ``expected``.

    Inputs:
    - got: the learner's result; expected: the right array
    - case: a short description of the input, quoted in every message
    - mistakes: the results of the usual mistakes, as (wrong array, message) pairs (what
      ``known_mistakes`` returns); when ``got`` matches one, its message is said
    - shape_hint: a sentence added when the shape is wrong (e.g. the output-size formula)
    - dtype: when given, the dtype the result must have
    """
    expected = np.asarray(expected)
    if got is None:
        raise Fail(f"case {case}: your function returned None. Did you forget `return`?")
    reason = _refusal(got, "your result")
    if reason:
        raise Fail(f"case {case}: {reason}")
    try:
        arr = np.asarray(got, dtype=float) if not isinstance(got, np.ndarray) else got
    except (TypeError, ValueError):
        raise Fail(f"case {case}: expected a numpy array, got {type(got).__name__}.") from None
    if arr.dtype == object:
        raise Fail(f"case {case}: expected a numpy array of numbers, got an array of Python "
                   "objects (dtype object).")
    for wrong, message in _pairs(mistakes, values_first=False):
        wrong = np.asarray(wrong)
        if arr.shape == wrong.shape and _close(arr, wrong, rtol, atol) and not (
                arr.shape == expected.shape and _close(arr, expected, rtol, atol)):
            raise Fail(f"case {case}: {message}")
    if arr.shape != expected.shape:
        msg = f"case {case}: expected shape {expected.shape}, got {arr.shape}."
        raise Fail(msg + (f" {shape_hint}" if shape_hint else ""))
    if not np.issubdtype(arr.dtype, np.number):
        raise Fail(f"case {case}: expected numbers, got an array of dtype {arr.dtype}.")
    finite = np.isfinite(arr.astype(float))
    if not finite.all() and np.isfinite(expected.astype(float)).all():
        where = tuple(int(i) for i in np.argwhere(~finite)[0])
        kind = "NaN" if np.isnan(arr.astype(float)[where]) else "an infinity"
        raise Fail(f"case {case}: your result contains {kind} (first at index {where}): a "
                   "division by zero, an overflow, or an entry never written (np.empty).")
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


def expect_int(got, *, what, case=None):
    """Fail unless ``got`` is a whole number given as an int (Python's or numpy's), per the
    answer policy: strings, booleans, NaN and floats (even 832.0) are refused, saying why."""
    where = f"case {case}: " if case else ""
    reason = _refusal(got, what)
    if reason:
        raise Fail(where + reason)
    if isinstance(got, (float, np.floating)):
        raise Fail(f"{where}{what} is {got!r}, a float. It counts things, so give an int: "
                   "use floor division `//` rather than `/`, or int(...) on an exact result.")
    if not isinstance(got, numbers.Integral):
        raise Fail(f"{where}{what} should be a whole number (an int), got "
                   f"{type(got).__name__} {got!r}.")


def expect_value(got, expected, *, case, mistakes=None, hint="", parts=None):
    """Fail unless ``got`` equals ``expected`` (ints, tuples, lists; floats to 1e-9).

    It never says the expected value. mistakes: the usual wrong answers as (wrong value,
    message) pairs (``known_mistakes()``), or as a dict {wrong value: message}. When ``parts``
    names the elements of a sequence answer (e.g. ``["layer 1", "layer 2"]``), the message
    says which parts are wrong (never their right values); ``hint`` is added to it.
    """
    if got is None:
        raise Fail(f"case {case}: got None. Did you forget `return` or to set the answer?")
    reason = _refusal(got)
    if reason:
        raise Fail(f"case {case}: {reason}")
    if _equal(got, expected):
        return
    for wrong, message in _pairs(mistakes, values_first=True):
        if _equal(got, wrong):
            raise Fail(f"case {case}: got {got!r}. {message}")
    shown = got.tolist() if isinstance(got, np.ndarray) else got
    if (parts and isinstance(expected, (tuple, list))
            and isinstance(got, (tuple, list, np.ndarray)) and len(got) == len(expected)):
        wrong = [name for name, a, b in zip(parts, got, expected) if not _equal(a, b)]
        right = [name for name in parts if name not in wrong]
        verb = "value for {} is" if len(wrong) == 1 else "values for {} are"
        raise Fail(f"case {case}: got {shown!r}; the {verb.format(_join(wrong))} not right"
                   + (f" ({_join(right)} {'is' if len(right) == 1 else 'are'} right)."
                      if right else ".") + (f" {hint}" if hint else ""))
    if isinstance(expected, (tuple, list)) and (
            not isinstance(got, (tuple, list, np.ndarray)) or len(got) != len(expected)):
        raise Fail(f"case {case}: expected {len(expected)} values, got {shown!r}."
                   + (f" {hint}" if hint else ""))
    raise Fail(f"case {case}: {shown!r} is not right." + (f" {hint}" if hint else ""))


def _join(names):
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _equal(a, b):
    try:
        if isinstance(b, (tuple, list)):
            return (isinstance(a, (tuple, list, np.ndarray)) and len(a) == len(b)
                    and all(_equal(x, y) for x, y in zip(a, b)))
        if isinstance(a, (str, bytes, bool, np.bool_, complex, np.complexfloating)) and not \
                isinstance(b, type(a)):
            return False
        if isinstance(b, (float, np.floating)):
            return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
        if isinstance(b, (int, np.integer)) and not isinstance(b, bool):
            return float(a) == float(b)
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


@contextlib.contextmanager
def switched_off(module, names, reason):
    """While the block runs, each engine function ``module.<name>`` raises a RuntimeError that
    says it is switched off and why (``reason``: what the exercise asks for, and what is fine to
    use instead); the originals come back afterwards. For exercises that ask for a computation
    the engine already has: a checker runs the learner's function inside this block."""
    live = module if not isinstance(module, str) else importlib.import_module(module)
    short = live.__name__.rsplit(".", 1)[-1]
    saved = {name: getattr(live, name) for name in names}

    def blocked(name):
        def off(*args, **kwargs):
            raise RuntimeError(f"{short}.{name} is switched off in this exercise: {reason}")
        return off

    try:
        for name in names:
            setattr(live, name, blocked(name))
        yield
    finally:
        for name, original in saved.items():
            setattr(live, name, original)


# --- private reference code -----------------------------------------------------------------

_PRIVATE = {}

#: The engine modules whose public names a notebook might reassign, and the objects they held
#: when this module was imported (a notebook imports it before its exercises).
_WATCHED = ("cnn_course.functional", "cnn_course.fast", "cnn_course.naive", "cnn_course.layers",
            "cnn_course.models", "cnn_course.gradcheck", "cnn_course.topics.conv1d")
_ORIGINALS = {}


def reference(module):
    """A private copy of the engine module ``module`` (a module or its dotted name), loaded
    afresh from its file and cached: checkers compute expected values with it, so that a
    notebook that reassigns ``F.im2col`` cannot change what "right" means."""
    name = module if isinstance(module, str) else module.__name__
    if name not in _PRIVATE:
        live = sys.modules.get(name) or importlib.import_module(name)
        spec = importlib.util.spec_from_file_location(f"_cnn_course_reference.{name}",
                                                      live.__file__)
        private = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(private)
        _PRIVATE[name] = private
    return _PRIVATE[name]


def _snapshot():
    for name in _WATCHED:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            _ORIGINALS[(name, attr)] = getattr(module, attr, None)


def tampering():
    """The engine's public names that this kernel has reassigned since the course was
    imported, e.g. ["cnn_course.functional.im2col"]."""
    changed = []
    for (name, attr), original in _ORIGINALS.items():
        module = sys.modules.get(name)
        if module is not None and getattr(module, attr, None) is not original:
            changed.append(f"{name}.{attr}")
    return changed


def _tamper_note():
    changed = tampering()
    if not changed:
        return ""
    return (f"\nNote: this kernel has replaced {_join(changed)} (a cell such as "
            "`F.im2col = im2col`). The check used its own copy of the engine, so its verdict "
            "stands; but the chapter's other cells now run the replacement. Restart the "
            "kernel to undo it.")


def fail(message):
    """Reject the answer with ``message``."""
    raise Fail(message)


def same_code(answer, original):
    """True when the function ``answer`` has the code of ``original``: the same arguments and
    statements, whatever its name, docstring, comments and layout.

    A checker uses it to recognise starting code that is not a plain stub (e.g. a function with
    a bug to find) and to answer "to do" until the learner changes it. It compares the syntax
    trees when both sources are available (functions defined in a notebook cell have theirs),
    else the compiled code.
    """
    if not (inspect.isfunction(answer) and inspect.isfunction(original)):
        return False
    trees = _body_tree(answer), _body_tree(original)
    if None not in trees:
        return trees[0] == trees[1]
    return _code_key(answer.__code__, answer.__doc__) == _code_key(original.__code__,
                                                                    original.__doc__)


def _body_tree(function):
    """ast.dump of the function's arguments and body without its docstring, or None."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    node = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))),
                None)
    if node is None:
        return None
    body = node.body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]
    return ast.dump(node.args) + "".join(ast.dump(statement) for statement in body)


def _code_key(code, doc=None):
    consts = tuple(_code_key(c) if inspect.iscode(c) else (type(c).__name__, repr(c))
                   for c in code.co_consts if not (doc is not None and c == doc))
    return (code.co_code, code.co_names, code.co_varnames, code.co_argcount,
            code.co_kwonlyargcount, consts)


# --- what a notebook calls ---------------------------------------------------------------

def get(exercise_id):
    """The registered Exercise ``exercise_id`` (importing the chapters' checkers on demand)."""
    _load_all()
    try:
        return REGISTRY[exercise_id]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(exercise_id), REGISTRY, n=1)
        known = ", ".join(sorted(REGISTRY))
        raise UnknownExercise(
            f"no exercise {exercise_id!r}"
            + (f"; did you mean {close[0]!r}?" if close else "")
            + f" Known exercises: {known}") from None


def check(exercise_id, answer):
    """Check ``answer`` for exercise ``exercise_id`` and return the Feedback (never raises).

    A check of an attempt (anything but the untouched stub) lets ``solution`` show the
    reference solution in this kernel."""
    feedback = get(exercise_id).check(answer)
    if feedback.status != "not attempted":
        ATTEMPTED.add(exercise_id)
    return feedback


def hint(exercise_id, tier=1):
    """Hint ``tier`` of exercise ``exercise_id``: 1 is a conceptual nudge, each next tier is
    more concrete, the last is the code-level step. Returns a Hint, which a notebook shows
    (its HTML also holds the later tiers behind collapsed toggles)."""
    ex = get(exercise_id)
    count = len(ex.hints)
    if isinstance(tier, bool) or not isinstance(tier, (int, np.integer)):
        raise TypeError(f"the hint tier must be a whole number from 1 to {count}, "
                        f"e.g. hint({exercise_id!r}, 2); got {tier!r}")
    if not 1 <= tier <= count:
        raise ValueError(f"{exercise_id} has {count} hints: ask for hint({exercise_id!r}) (the "
                         f"first) up to hint({exercise_id!r}, {count}); got tier {tier}")
    return Hint(exercise_id, ex.hints, int(tier))


def solution(exercise_id, reveal=False):
    """Print the reference solution of ``exercise_id`` (its source code, or its value).

    Before any attempt in this kernel (``check(exercise_id, ...)`` run on something other than
    the untouched stub) it asks you to try first and says how to see it anyway:
    ``solution(exercise_id, reveal=True)``.
    """
    ex = get(exercise_id)
    if not reveal and exercise_id not in ATTEMPTED:
        print(f"○ Try {exercise_id} first: write your answer, run "
              f'check("{exercise_id}", ...) and use its feedback and the hints '
              f'(hint("{exercise_id}"), then hint("{exercise_id}", 2), ...). '
              "Working it out yourself is how it sticks.\n"
              "The solution appears here after your first check. To see it anyway now: "
              f'solution("{exercise_id}", reveal=True)')
        return
    print(solution_source(ex))


def solution_source(exercise):
    """The reference solution as the book shows it and a learner can paste it: a function's
    source, or a value's assignment (with the comment lines above it) from its solutions
    module, named like the notebook's answer variable."""
    ref = exercise.solution
    if callable(ref):
        return inspect.getsource(ref).rstrip()
    for name, module in sorted(sys.modules.items()):
        if not (name.startswith("cnn_course.exercises.") and name.endswith("_solutions")):
            continue
        text = inspect.getsource(module)
        lines = text.splitlines()
        for node in ast.parse(text).body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and getattr(module, node.targets[0].id, None) is ref):
                start = node.lineno - 1
                while start > 0 and lines[start - 1].lstrip().startswith("#"):
                    start -= 1
                return "\n".join(lines[start:node.end_lineno])
    return repr(ref)


def _load_all():
    import importlib
    import pkgutil

    from cnn_course import exercises

    for info in pkgutil.iter_modules(exercises.__path__):
        if info.name.startswith("ch") and not info.name.endswith("_solutions"):
            importlib.import_module(f"cnn_course.exercises.{info.name}")


_snapshot()
