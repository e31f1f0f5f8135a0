"""Every registered exercise: its reference solution passes, its known mistakes are rejected
with the intended message, its untouched stub reads "not attempted", garbage never crashes
the checker, and its hints come in tiers that stop short of the solution. Chapter modules
register exercises; this file proves them all."""

import inspect
import json
import linecache
import re
from pathlib import Path

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


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_hints_come_in_tiers(ex):
    """Two tiers at least, three for the exercises that write code (a nudge, a concrete
    step, the code-level step), each a new hint."""
    wanted = 3 if callable(ex.solution) else 2
    assert len(ex.hints) >= wanted, f"{ex.id} has {len(ex.hints)} hint tiers, wants {wanted}"
    assert len(set(ex.hints)) == len(ex.hints)
    for tier in range(1, len(ex.hints) + 1):
        shown = core.hint(ex.id, tier)
        assert ex.hints[tier - 1].split()[0] in str(shown)
        assert f"Show hint {tier + 1}" in shown._repr_html_() or tier == len(ex.hints)


def _statements(function):
    """The solution's code lines (no docstring, comments or blank lines), whitespace removed."""
    lines = inspect.getsource(function).splitlines()[1:]
    code = [re.sub(r"\s+", "", line.split("#")[0]) for line in lines]
    doc = function.__doc__ and re.sub(r"\s+", "", function.__doc__)
    return [c for c in code if c and not (doc and c.strip('"') == doc)]


@pytest.mark.parametrize("ex", [ex for ex in EXERCISES if callable(ex.solution)],
                         ids=[ex.id for ex in EXERCISES if callable(ex.solution)])
def test_no_hint_tier_gives_the_whole_solution(ex):
    hints = re.sub(r"[\s`]+", "", " ".join(ex.hints))
    statements = _statements(ex.solution)
    missing = [line for line in statements if line not in hints]
    assert missing, f"{ex.id}: its hints spell out every line of the solution"


@pytest.mark.parametrize("ex,i", MISTAKES, ids=[f"{ex.id}-mistake{i}" for ex, i in MISTAKES])
def test_known_mistake_is_rejected_with_its_message(ex, i):
    """A registered mistake earns exactly its registered message (found by the checker through
    the registry); a mistake that a general rule catches earns that rule's message."""
    mistake = ex.mistakes[i]
    feedback = ex.check(mistake.answer)
    assert feedback.status == "failed", f"{mistake.why or mistake.message}: {feedback}"
    if mistake.rule:
        assert mistake.message.lower() in feedback.message.lower(), str(feedback)
    else:
        assert mistake.message in feedback.message, str(feedback)


def _string_literals(path):
    """Every string constant of a module, implicit concatenations joined, whitespace folded."""
    import ast
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    return [" ".join(node.value.split()) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_each_mistake_is_written_once(ex):
    """A registered mistake's message lives in the registry (chNN_solutions), not again in the
    checker: the checker finds it with known_mistakes()."""
    checker_file = inspect.getsourcefile(ex.checker)
    literals = _string_literals(checker_file)
    for mistake in ex.mistakes:
        if mistake.rule:
            continue
        text = " ".join(mistake.message.split())
        copies = [lit for lit in literals if len(lit) > 30 and lit in text]
        assert not copies, f"{ex.id}: the checker repeats a registered message: {copies[0]!r}"


@pytest.mark.parametrize("ex", EXERCISES, ids=IDS)
def test_untouched_stub_reads_not_attempted(ex):
    stub = _stub if callable(ex.solution) else None
    feedback = ex.check(stub)
    assert feedback.status == "not attempted", str(feedback)
    assert "not attempted" in str(feedback)


REPO = Path(__file__).resolve().parent.parent


def _notebook_cell_defining(notebook, name):
    nb = json.loads((REPO / "book" / notebook).read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    matches = [s for s in sources if re.search(rf"^def {name}\(", s, re.M)]
    assert len(matches) == 1, f"{notebook}: {len(matches)} cells define {name}"
    return matches[0]


@pytest.mark.parametrize("with_source", [True, False], ids=["source", "bytecode"])
def test_find_the_bug_starting_code_reads_to_do(with_source):
    """ch6-train-step starts from buggy code, not a stub: until the learner changes it, the
    check answers "to do" and gives away neither the bug nor the fix. The notebook's starting
    cell must be the code the checker recognises (functions defined in Jupyter have their
    source; the compiled code is the fallback)."""
    from cnn_course.exercises import ch06_solutions

    source = _notebook_cell_defining("06_lenet.ipynb", "train_epoch")
    filename = "<notebook cell: train_epoch>"
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    if with_source:
        lines = source.splitlines(keepends=True)
        linecache.cache[filename] = (len(source), None, lines, filename)
    try:
        fb = core.get("ch6-train-step").check(namespace["train_epoch"])
    finally:
        linecache.cache.pop(filename, None)
    assert fb.status == "not attempted", str(fb)
    assert "not attempted" in fb.message and "labels" not in fb.message and "idx" not in fb.message
    assert core.get("ch6-train-step").check(ch06_solutions.train_epoch_as_given).status == \
        "not attempted"
    edited = source.replace("labels[start:start + batch_size]", "labels[idx]")
    namespace = {"np": np}
    exec(compile(edited, "<edited>", "exec"), namespace)
    assert core.get("ch6-train-step").check(namespace["train_epoch"]).passed


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


def _perturbed(value):
    """Wrong answers near a value answer: each whole number in it changed by one."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [value + 1, value - 1]
    if isinstance(value, (tuple, list)):
        out = []
        for i, item in enumerate(value):
            for wrong in _perturbed(item):
                out.append(type(value)([*value[:i], wrong, *value[i + 1:]]))
        return out
    return []


BY_HAND = [ex for ex in EXERCISES if not callable(ex.solution)]


@pytest.mark.parametrize("ex", BY_HAND, ids=[ex.id for ex in BY_HAND])
def test_by_hand_feedback_never_states_the_answer(ex):
    """Wrong answers to an exercise done by hand (its registered mistakes, and the answer with
    one number changed by one) get feedback that names the wrong part but never the right
    value: not the whole answer, and not the right number where one number was changed."""
    answer = re.sub(r"\s+", "", repr(ex.solution))
    tries = [m.answer for m in ex.mistakes] + _perturbed(ex.solution)
    assert tries, f"{ex.id}: nothing to try"
    for wrong in tries:
        feedback = ex.check(wrong)
        assert feedback.status == "failed", f"{ex.id}: {wrong!r} passed"
        message = re.sub(r"\s+", "", feedback.message)
        assert answer not in message, f"{ex.id}: the feedback to {wrong!r} states the answer"
    flat = list(np.ravel(np.asarray(ex.solution, dtype=object)))
    for wrong in _perturbed(ex.solution):
        wrong_flat = list(np.ravel(np.asarray(wrong, dtype=object)))
        changed = [r for r, w in zip(flat, wrong_flat) if r != w]
        message = ex.check(wrong).message
        for right in changed:
            if isinstance(right, (int, np.integer)) and abs(right) >= 10 \
                    and right not in wrong_flat:
                assert not re.search(rf"(?<![\d.]){right}(?![\d]|\.\d)", message), (
                    f"{ex.id}: the feedback to {wrong!r} gives the right value {right}")
