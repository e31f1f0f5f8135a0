"""The exercise framework itself, on a toy exercise registered for the test."""

import inspect
import re

import numpy as np
import pytest

from cnn_course.exercises import core


@pytest.fixture
def toy():
    def double(x):
        return 2 * x

    @core.exercise("test-double", title="Double an array",
                   hints=("Think of multiplication.", "Multiply by two.", "`return 2 * x`"),
                   solution=double, mistakes=())
    def check_double(fn):
        x = np.arange(4.0).reshape(2, 2)
        got = core.call(fn, x, case="2x2 input")
        core.expect_array(got, 2 * x, case="2x2 input",
                          mistakes={"you squared instead of doubling": x ** 2},
                          shape_hint="Keep the input's shape.")
        return "doubled."

    core.ATTEMPTED.discard("test-double")
    yield check_double
    del core.REGISTRY["test-double"]
    core.ATTEMPTED.discard("test-double")


def test_solution_passes(toy):
    assert toy.check(lambda x: 2 * x).passed


def test_stub_is_not_attempted(toy):
    def stub(x):
        raise NotImplementedError
    assert toy.check(stub).status == "not attempted"


def test_named_mistake_is_recognised(toy):
    fb = toy.check(lambda x: x ** 2)
    assert fb.status == "failed" and "you squared instead of doubling" in fb.message


def test_wrong_shape_reports_both_shapes_and_the_hint(toy):
    fb = toy.check(lambda x: 2 * x.ravel())
    assert "expected shape (2, 2), got (4,)" in fb.message and "Keep the input's shape" in fb.message


def test_wrong_values_report_index_expected_and_got(toy):
    fb = toy.check(lambda x: 2 * x + (x == 3))
    assert "At index (1, 1) expected 6, got 7" in fb.message


def test_in_place_mutation_is_reported(toy):
    def mutating(x):
        x *= 2
        return x
    assert "changed one of its input arrays in place" in toy.check(mutating).message


def test_exception_and_none_and_nan_become_feedback(toy):
    assert "raised ZeroDivisionError" in toy.check(lambda x: 1 / 0).message
    assert "returned None" in toy.check(lambda x: None).message
    assert "NaN" in toy.check(lambda x: x * np.nan).message


def test_feedback_mentions_the_hint_call(toy):
    assert 'hint("test-double")' in toy.check(lambda x: x).message


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(KeyError, match="no exercise 'nope'"):
        core.get("nope")


def test_expect_value_names_the_mistake():
    with pytest.raises(core.Fail, match="off by one"):
        core.expect_value(5, 4, case="n=6, k=3", mistakes={5: "off by one"})
    core.expect_value((3, 3), (3, 3), case="tuple")
    with pytest.raises(core.Fail, match="boolean"):
        core.expect_value(True, 4, case="bool is not an int")


# --- the harness cannot be fooled by accident or stopped --------------------------------------

@pytest.fixture
def registered():
    """Register throw-away exercises for one test; remove them afterwards."""
    ids = []

    def make(checker, *, mistakes=(), time_limit=core.DEFAULT_TIME_LIMIT, solution=None):
        exercise_id = f"test-harness-{len(ids)}"
        ids.append(exercise_id)
        return core.exercise(exercise_id, title="t", hints=("a", "b"), solution=solution,
                             mistakes=mistakes, time_limit=time_limit)(checker)
    yield make
    for exercise_id in ids:
        core.REGISTRY.pop(exercise_id, None)
        core.ATTEMPTED.discard(exercise_id)


def _apply(fn):
    x = np.arange(6.0).reshape(2, 3) + 0.5
    return core.call(fn, x, case="2x3 input")


def test_an_endless_loop_is_stopped_with_the_case_named(registered):
    import time

    def endless(x):
        while True:
            time.sleep(0.01)

    ex = registered(_apply, time_limit=0.3)
    start = time.perf_counter()
    fb = ex.check(endless)
    assert time.perf_counter() - start < 3
    assert fb.status == "failed" and "stopped after 0.3 s" in fb.message
    assert "case 2x3 input" in fb.message and "loop" in fb.message


def test_a_learner_except_clause_cannot_swallow_the_time_limit(registered):
    def stubborn(x):
        while True:
            try:
                sum(range(10 ** 5))
            except Exception:
                pass

    assert "stopped after" in registered(_apply, time_limit=0.3).check(stubborn).message


def test_sys_exit_becomes_feedback_but_ctrl_c_still_interrupts(registered):
    import sys

    ex = registered(_apply)
    fb = ex.check(lambda x: sys.exit(3))
    assert fb.status == "failed" and "sys.exit()" in fb.message
    fb = registered(lambda answer: sys.exit()).check(lambda x: x)
    assert fb.status == "failed" and "SystemExit" in fb.message

    def interrupted(x):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        ex.check(interrupted)


def test_a_result_that_is_a_view_of_the_input_is_reported(registered):
    def checker(fn):
        got = _apply(fn)
        core.expect_array(got, np.arange(6.0).reshape(3, 2) + 0.5, case="2x3 input")

    ex = registered(checker)
    fb = ex.check(lambda x: x.reshape(3, 2))
    assert "shares memory" in fb.message
    assert ex.check(lambda x: x.reshape(3, 2).copy()).passed


@pytest.mark.parametrize("answer, words", [
    ("832", "string"), (832.0, "a float"), (True, "boolean"), (832 + 0j, "complex"),
    (float("nan"), "NaN"), (float("inf"), "inf"), (None, "None"), ([832], "int"),
])
def test_answer_policy_for_whole_numbers(answer, words):
    with pytest.raises(core.Fail, match=words):
        if answer is None:
            core.expect_value(answer, 832, case="count")
        core.expect_int(answer, what="the count")


def test_answer_policy_for_arrays():
    expected = np.array([[0.5, 1.5], [2.5, 3.5]])
    core.expect_array(expected.tolist(), expected, case="a nested list is an array")
    core.expect_array(tuple(map(tuple, expected)), expected, case="so is a tuple of tuples")
    for got, words in [(expected.astype(complex), "complex"),
                       (expected > 1, "booleans"),
                       (expected.astype(str), "strings"),
                       (np.where(expected > 3, np.inf, expected), "an infinity"),
                       (np.where(expected > 3, np.nan, expected), "NaN")]:
        with pytest.raises(core.Fail, match=words):
            core.expect_array(got, expected, case="policy")


def test_by_hand_feedback_names_the_wrong_part_and_never_the_right_value():
    with pytest.raises(core.Fail) as info:
        core.expect_value((3, 5, 10, 17), (3, 5, 9, 17), case="stack",
                          parts=["layer 1", "layer 2", "layer 3", "layer 4"])
    message = str(info.value)
    assert "layer 3 is not right" in message and "layer 1, layer 2 and layer 4 are right" in message
    assert "9" not in message.replace("(3, 5, 10, 17)", "")
    with pytest.raises(core.Fail) as info:
        core.expect_value(831, 832, case="count")
    assert "832" not in str(info.value) and "831" in str(info.value)


def test_registered_mistakes_are_found_through_the_registry(registered):
    def flipped(x):
        return x[::-1].copy()

    def checker(fn):
        x = np.arange(5.0) + 0.25
        core.expect_array(core.call(fn, x, case="5 values"), 2 * x, case="5 values",
                          mistakes=core.known_mistakes(x))

    ex = registered(checker, mistakes=[
        core.Mistake(flipped, "you reversed the array instead of doubling it.", why="flip"),
        core.Mistake(lambda x: 1 / 0, "never reached: this wrong answer raises"),
    ])
    fb = ex.check(flipped)
    assert "case 5 values: you reversed the array instead of doubling it." in fb.message
    assert "never reached" not in ex.check(lambda x: x).message


def test_a_reassigned_engine_function_does_not_change_the_expected_values(registered,
                                                                          monkeypatch):
    from cnn_course import functional as F

    private = core.reference("cnn_course.functional")
    assert private is core.reference(F) and private is not F

    def checker(fn):
        x = np.random.default_rng(0).normal(size=(1, 2, 4, 5))
        got = core.call(fn, x, 3, 2, 1, 1, case="x (1, 2, 4, 5), 3x2 kernel")
        core.expect_array(got, core.reference(F).im2col(x, 3, 2, 1, 1),
                          case="x (1, 2, 4, 5), 3x2 kernel")

    def wrong_im2col(x, FH, FW, stride=1, pad=0):
        return np.zeros((1, 1))

    ex = registered(checker)
    assert core.tampering() == []
    monkeypatch.setattr(F, "im2col", wrong_im2col)
    assert core.tampering() == ["cnn_course.functional.im2col"]
    fb = ex.check(wrong_im2col)
    assert fb.status == "failed"
    assert "replaced cnn_course.functional.im2col" in fb.message
    monkeypatch.undo()
    assert core.tampering() == []


# --- feedback at a glance: a mark and a word, colours readable on light and dark pages -------

STATUSES = {"passed": ("✓", "Passed"), "failed": ("✗", "Not yet"), "not attempted": ("○", "To do")}


def _contrast(colour, background):
    def luminance(hex_colour):
        channels = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    low, high = sorted((luminance(colour), luminance(background)))
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("status", list(STATUSES))
def test_feedback_text_carries_a_mark_and_a_word(status):
    mark, word = STATUSES[status]
    fb = core.Feedback("ch9-x", status, "some message")
    assert str(fb).startswith(f"{mark} {word} ") and "ch9-x: some message" in str(fb)
    assert repr(fb) == str(fb) and fb.label == f"{mark} {word}"


@pytest.mark.parametrize("status", list(STATUSES))
def test_feedback_html_reads_in_light_and_dark_themes(status):
    mark, word = STATUSES[status]
    page = core.Feedback("ch9-x", status, "a <b>message</b>\nsecond line")._repr_html_()
    assert f"{mark}</span> {word}</strong>" in page
    assert f'class="cnn-feedback {status.replace(" ", "-")}"' in page
    assert "&lt;b&gt;message&lt;/b&gt;" in page, "the message is escaped"
    assert "color: inherit" in page, "the text keeps the theme's colour"
    colours = set(re.findall(r"#[0-9a-fA-F]{6}\b", page))
    assert colours, "the status colour is inline, so it shows in JupyterLab too"
    for colour in colours:
        for background in ("#ffffff", "#111111"):
            assert _contrast(colour, background) >= 4.0, (colour, background)
    for background in re.findall(r"background(?:-color)?:\s*([^;\"]+)", page):
        assert background.strip() == "transparent" or (
            background.startswith("rgba(") and float(background.rstrip(") ").split(",")[-1]) <= 0.1
        ), f"a background must be transparent or a faint tint, not {background}"


def test_the_three_statuses_differ_by_mark_word_and_colour():
    pages = [core.Feedback("x", s, "m")._repr_html_() for s in STATUSES]
    texts = [str(core.Feedback("x", s, "m")) for s in STATUSES]
    assert len(set(pages)) == len(set(texts)) == 3
    colours = [re.search(r"border-left: 4px solid (#\w+)", p).group(1) for p in pages]
    assert len(set(colours)) == 3


# --- hints in tiers ---------------------------------------------------------------------------

def test_hint_gives_the_first_tier_and_names_the_next(toy):
    h = core.hint("test-double")
    assert isinstance(h, core.Hint) and h.tier == 1 and h.text == "Think of multiplication."
    text = str(h)
    assert text.startswith("Hint 1 of 3") and "Think of multiplication." in text
    assert 'hint("test-double", 2)' in text and "Multiply by two" not in text


def test_hint_tiers_get_more_concrete_and_the_last_says_so(toy):
    assert "Multiply by two." in str(core.hint("test-double", 2))
    assert 'hint("test-double", 3)' in str(core.hint("test-double", 2))
    last = str(core.hint("test-double", 3))
    assert last.startswith("Hint 3 of 3") and "last hint" in last and 'solution("test-double")' in last


def test_hint_html_shows_later_tiers_as_successive_collapsed_toggles(toy):
    page = core.hint("test-double")._repr_html_()
    assert "Hint 1 of 3" in page and "Think of multiplication." in page
    assert page.count("<details") == 2 and " open" not in page, "later tiers start collapsed"
    two, three = page.index("Show hint 2"), page.index("Show hint 3")
    assert two < page.index("Multiply by two.") < three < page.index("return 2 * x")
    # hint 3's toggle is inside hint 2's: it can only be opened after hint 2
    assert page.index("</details>") > three
    assert "Show hint 1" not in page
    assert "<code" in page and "return 2 * x</code>" in page, "`code` in a hint shows as code"
    page2 = core.hint("test-double", 2)._repr_html_()
    assert "Hint 2 of 3" in page2 and "Show hint 3" in page2 and "Show hint 2" not in page2
    assert "Think of multiplication" not in page2
    assert "<details" not in core.hint("test-double", 3)._repr_html_()


def test_hint_text_is_rewrapped_not_overflowing(toy):
    ex = core.REGISTRY["test-double"]
    long = core.Hint("test-double", ("word " * 60, "b"), 1)
    assert max(len(line) for line in str(long).splitlines()) <= 88
    assert ex.hint == "Think of multiplication."


@pytest.mark.parametrize("tier", [0, 4, -1])
def test_hint_tier_out_of_range_is_a_clear_error(toy, tier):
    with pytest.raises(ValueError, match=r'test-double has 3 hints: .*hint\(\'test-double\', 3\)'):
        core.hint("test-double", tier)


@pytest.mark.parametrize("tier", ["2", 1.5, True, None])
def test_hint_tier_must_be_a_whole_number(toy, tier):
    with pytest.raises(TypeError, match="whole number from 1 to 3"):
        core.hint("test-double", tier)


def test_unknown_exercise_suggests_the_closest_id():
    with pytest.raises(KeyError) as info:
        core.hint("ch1-cor2d")
    assert str(info.value).startswith("no exercise 'ch1-cor2d'; did you mean 'ch1-corr2d'?")
    with pytest.raises(KeyError, match="no exercise 'nope'"):
        core.solution("nope")


def test_an_exercise_needs_at_least_two_hint_tiers():
    for hints in ("one string", ("only one",), ("one", "  ")):
        with pytest.raises(ValueError, match="hint tier"):
            core.exercise("test-tiers", title="t", hints=hints, solution=None)
    assert "test-tiers" not in core.REGISTRY


# --- solutions that ask you to try first ------------------------------------------------------

def test_solution_before_any_attempt_asks_to_try_first(toy, capsys):
    core.solution("test-double")
    out = capsys.readouterr().out
    assert "Try test-double first" in out and 'check("test-double"' in out
    assert 'solution("test-double", reveal=True)' in out
    assert "return 2 * x" not in out


def test_checking_the_untouched_stub_is_not_an_attempt(toy, capsys):
    def stub(x):
        raise NotImplementedError
    assert core.check("test-double", stub).status == "not attempted"
    assert core.check("test-double", None).status == "not attempted"
    core.solution("test-double")
    assert "Try test-double first" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [lambda x: x ** 2, lambda x: 2 * x], ids=["failed", "passed"])
def test_solution_after_a_try_prints_the_code(toy, capsys, answer):
    assert core.check("test-double", answer).status in ("failed", "passed")
    core.solution("test-double")
    out = capsys.readouterr().out
    assert "def double(x):" in out and "return 2 * x" in out and "Try" not in out


def test_solution_reveal_shows_it_without_a_try(toy, capsys):
    core.solution("test-double", reveal=True)
    out = capsys.readouterr().out
    assert "def double(x):" in out and "Try" not in out
    assert "test-double" not in core.ATTEMPTED, "revealing is not an attempt"


def test_exercise_check_alone_does_not_unlock_the_solution(toy, capsys):
    toy.check(lambda x: 2 * x)          # the tests' path, not the notebook's check()
    core.solution("test-double")
    assert "Try test-double first" in capsys.readouterr().out


# --- recognising starting code that is not a plain stub ----------------------------------------

def _original(a, b):
    """Add."""
    total = a + b   # a comment
    return total


def _same_but_reformatted(a,  b):
    # a different comment, no docstring, another name
    total = (a
             + b)
    return total


def _edited(a, b):
    """Add."""
    total = a - b
    return total


def test_same_code_ignores_name_docstring_comments_and_layout():
    assert core.same_code(_same_but_reformatted, _original)
    assert not core.same_code(_edited, _original)
    assert not core.same_code(lambda a, b: a + b, _original)
    assert not core.same_code("not a function", _original)


def test_same_code_without_source_compares_the_compiled_code():
    namespace = {}
    exec(compile(inspect.getsource(_original), "<no source>", "exec"), namespace)
    exec(compile(inspect.getsource(_edited).replace("_edited", "_edited2"), "<none>", "exec"),
         namespace)
    with pytest.raises(OSError):
        inspect.getsource(namespace["_original"])
    assert core.same_code(namespace["_original"], _original)
    assert not core.same_code(namespace["_edited2"], _original)


def test_only_the_learners_code_counts_against_the_time_limit(registered, monkeypatch):
    import time

    def slow_checker(fn):
        time.sleep(0.5)                       # the checker's own work (e.g. running mistakes)
        return _apply(fn) is not None and "ok"

    ex = registered(slow_checker, time_limit=0.3)
    assert ex.check(lambda x: x.copy()).passed
    fb = ex.check(lambda x: time.sleep(5))
    assert "stopped after 0.3 s: your code was still running on case 2x3 input" in fb.message

    # a learner's function the checker calls directly still meets the check's safety net
    monkeypatch.setattr(core, "CHECKER_ALLOWANCE", 0.3)

    def direct(fn):
        fn()

    fb = registered(direct, time_limit=0.2).check(lambda: time.sleep(5))
    assert "the check did not finish within 0.5 s" in fb.message


def test_switched_off_engine_functions_say_why_and_come_back():
    from cnn_course import functional as F

    original = F.conv2d
    with core.switched_off(F, ("conv2d",), "the exercise asks for the loops."):
        with pytest.raises(RuntimeError, match="functional.conv2d is switched off in this "
                                               "exercise: the exercise asks for the loops."):
            F.conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)))
    assert F.conv2d is original and core.tampering() == []
    with pytest.raises(KeyError):
        with core.switched_off("cnn_course.functional", ("conv2d",), "x"):
            raise KeyError("the block fails")
    assert F.conv2d is original
