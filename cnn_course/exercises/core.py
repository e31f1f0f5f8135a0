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
"""

import ast
import copy
import dataclasses
import difflib
import html
import inspect
import re
import textwrap

import numpy as np

__all__ = ["REGISTRY", "ATTEMPTED", "Fail", "NotAttempted", "UnknownExercise", "Mistake",
           "Feedback", "Hint", "Exercise", "exercise", "call", "expect_array", "expect_value",
           "fail", "same_code", "get", "check", "hint", "solution"]

#: Every registered exercise, by id.
REGISTRY = {}

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
    """A realistic wrong answer and a fragment its feedback must contain (used by the tests)."""

    answer: object
    expect: str
    why: str = ""


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


@dataclasses.dataclass
class Exercise:
    """One registered exercise."""

    id: str
    title: str
    checker: object
    hints: tuple
    solution: object
    mistakes: tuple

    @property
    def hint(self):
        """The first hint tier."""
        return self.hints[0]

    def check(self, answer):
        """Run the checker on ``answer`` and return a Feedback; never raises."""
        if answer is None or answer is Ellipsis:
            return Feedback(self.id, "not attempted",
                            "not attempted yet: fill in your answer, then run this check.")
        try:
            message = self.checker(answer)
        except NotAttempted as e:
            return Feedback(self.id, "not attempted", str(e) or (
                "not attempted yet: replace `raise NotImplementedError` with your code, "
                "then run this check."))
        except Fail as e:
            return Feedback(self.id, "failed",
                            f'{e}\nStuck? hint("{self.id}") gives a hint.')
        except Exception as e:  # a bug in the learner's answer that escaped the helpers
            return Feedback(self.id, "failed",
                            f"checking your answer raised {type(e).__name__}: {e}")
        return Feedback(self.id, "passed", message or "correct, well done.")


def exercise(exercise_id, *, title, hints, solution, mistakes=()):
    """Register the decorated checker as exercise ``exercise_id``; return the Exercise.

    ``hints`` are the tiers ``hint(id, n)`` gives, from a conceptual nudge to the code-level
    step (never the whole solution): at least two. The checker takes the learner's answer and
    returns an optional success message; it raises ``Fail``/``NotAttempted`` (usually through
    the helpers in this module).
    """
    if isinstance(hints, str) or len(hints) < 2:
        raise ValueError(f"exercise {exercise_id!r}: give at least two hint tiers, as a tuple")
    tiers = tuple(textwrap.dedent(h).strip() for h in hints)
    if not all(tiers):
        raise ValueError(f"exercise {exercise_id!r}: a hint tier is empty")

    def register(checker):
        if exercise_id in REGISTRY:
            raise ValueError(f"exercise id {exercise_id!r} is registered twice")
        ex = Exercise(exercise_id, title, checker, tiers, solution, tuple(mistakes))
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
    ref = ex.solution
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
