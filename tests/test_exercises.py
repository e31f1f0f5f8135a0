"""Every registered exercise: its reference solution passes, its known mistakes are rejected
with the intended message, its untouched stub reads "not attempted", and garbage never crashes
the checker. Chapter modules register exercises; this file proves them all."""

import numpy as np
import pytest

from cnn_course.exercises import core


def _all_exercises():
    core._load_all()
    return sorted(core.REGISTRY.values(), key=lambda ex: ex.id)


EXERCISES = _all_exercises()
IDS = [ex.id for ex in EXERCISES]
MISTAKES = [(ex, i) for ex in EXERCISES for i in range(len(ex.mistakes))]


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_reference_solution_passes(ex):
    feedback = ex.check(ex.solution)
    assert feedback.status == "passed", str(feedback)


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_each_exercise_has_three_known_mistakes_and_a_hint(ex):
    assert len(ex.mistakes) >= 3, f"{ex.id} registers only {len(ex.mistakes)} wrong answers"
    assert ex.hint and ex.title


@pytest.mark.parametrize("ex,i", MISTAKES, ids=[f"{ex.id}-mistake{i}" for ex, i in MISTAKES])
def test_known_mistake_is_rejected_with_its_message(ex, i):
    mistake = ex.mistakes[i]
    feedback = ex.check(mistake.answer)
    assert feedback.status == "failed", f"{mistake.why or mistake.expect}: {feedback}"
    assert mistake.expect.lower() in feedback.message.lower(), str(feedback)


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_untouched_stub_reads_not_attempted(ex):
    stub = _stub if callable(ex.solution) else None
    feedback = ex.check(stub)
    assert feedback.status == "not attempted", str(feedback)
    assert "not attempted" in str(feedback)


def _raises(*args, **kwargs):
    raise ValueError("boom")


GARBAGE = {
    "raises": _raises,
    "returns None": lambda *a, **k: None,
    "returns NaN": lambda *a, **k: np.full((2, 2), np.nan),
    "returns a string": lambda *a, **k: "conv",
    "returns a list": lambda *a, **k: [[1, 2], [3]],
    "a string": "not a function",
    "a float NaN": float("nan"),
    "a 3-D array": np.zeros((1, 2, 3)),
}


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
@pytest.mark.parametrize("name", list(GARBAGE))
def test_checker_turns_garbage_into_feedback(ex, name):
    feedback = ex.check(GARBAGE[name])
    assert feedback.status in ("failed", "not attempted"), str(feedback)
    assert feedback.message
