"""The exercise framework itself, on a toy exercise registered for the test."""

import numpy as np
import pytest

from cnn_course.exercises import core


@pytest.fixture
def toy():
    def double(x):
        return 2 * x

    @core.exercise("test-double", title="Double an array", hint="Multiply by two.",
                   solution=double, mistakes=())
    def check_double(fn):
        x = np.arange(4.0).reshape(2, 2)
        got = core.call(fn, x, case="2x2 input")
        core.expect_array(got, 2 * x, case="2x2 input",
                          mistakes={"you squared instead of doubling": x ** 2},
                          shape_hint="Keep the input's shape.")
        return "doubled."

    yield check_double
    del core.REGISTRY["test-double"]


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
    with pytest.raises(core.Fail, match="expected 4, got True"):
        core.expect_value(True, 4, case="bool is not an int")
