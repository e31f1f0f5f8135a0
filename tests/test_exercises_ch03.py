"""Chapter 3's exercises beyond what tests/test_exercises.py proves for every exercise: the
reference answers agree with the engine, the checks switch F.conv2d off only while the
learner's function runs, two mistakes at once are both named, the by-hand answer is never
printed, and the cases are the ones that catch narrow answers."""

import numpy as np
import pytest

from cnn_course import functional as F
from cnn_course.exercises import ch03, ch03_solutions as sol, core
from cnn_course.topics import costs
from cnn_course.topics.receptive_field import receptive_field


def _check(exercise_id, answer):
    return core.REGISTRY[exercise_id].check(answer)


def test_composed_kernel_does_what_the_two_layers_do():
    rng = np.random.default_rng(0)
    for _, W1, W2 in ch03._compose_cases():
        x = rng.normal(size=(2, W1.shape[1], 9, 8))
        two = F.conv2d(F.conv2d(x, W1), W2)
        np.testing.assert_allclose(F.conv2d(x, sol.compose_kernels(W1, W2)), two, atol=1e-10)


def test_stack_vs_7x7_agrees_with_the_cost_and_receptive_field_modules():
    C, H, W = 64, 56, 40
    layer3 = costs.conv2d_cost((C, H, W), C, 3, padding=1, bias=False)
    layer7 = costs.conv2d_cost((C, H, W), C, 7, padding=3, bias=False)
    assert layer3.output_shape == layer7.output_shape == (C, H, W)
    assert sol.stack_vs_7x7 == (receptive_field([3, 3, 3])[-1].size, 3 * layer3.params,
                                3 * layer3.macs, receptive_field([7])[-1].size,
                                layer7.params, layer7.macs)


def test_conv_cost_solution_agrees_with_the_cost_module():
    for C, H, W, FN, FH, FW, s, p in ch03.COST_CASES:
        layer = costs.conv2d_cost((C, H, W), FN, (FH, FW), stride=s, padding=p)
        assert sol.conv_layer_cost(C, H, W, FN, FH, FW, s, p) == (layer.params, layer.macs)


@pytest.mark.parametrize("exercise_id, answer", [
    ("ch3-corr2d-multi-in", lambda X, K, stride=1: F.conv2d(X, K[None], stride=stride)[:, 0]),
    ("ch3-corr2d-multi-in-out", lambda X, K: F.conv2d(
        X.transpose(0, 3, 1, 2), K.transpose(3, 2, 0, 1)).transpose(0, 2, 3, 1)),
    ("ch3-conv1x1", lambda X, W: F.conv2d(X, W)),
    ("ch3-compose-kernels", lambda W1, W2: F.conv2d_forward(W1, W2)),
])
def test_the_engine_is_switched_off_only_while_the_answer_runs(exercise_id, answer):
    original = F.conv2d, F.conv2d_forward
    feedback = _check(exercise_id, answer)
    assert feedback.status == "failed" and "is switched off in this exercise" in feedback.message
    assert (F.conv2d, F.conv2d_forward) == original
    assert not core.tampering() and "Note:" not in feedback.message


def test_the_engine_comes_back_after_a_timeout():
    ex = core.REGISTRY["ch3-corr2d-multi-in"]
    original, limit = F.conv2d, ex.time_limit

    def endless(X, K, stride=1):
        while True:
            pass

    ex.time_limit = 0.3
    try:
        feedback = ex.check(endless)
    finally:
        ex.time_limit = limit
    assert feedback.status == "failed" and "stopped after" in feedback.message
    assert F.conv2d is original


def test_correct_alternatives_pass():
    def by_channels(X, K, stride=1):        # section 3.2's recipe, then every stride-th value
        return np.stack([sum(F.corr2d(x[c], K[c]) for c in range(len(K)))[::stride, ::stride]
                         for x in X])

    def by_einsum(X, K):
        win = np.lib.stride_tricks.sliding_window_view(X, K.shape[:2], axis=(1, 2))
        return np.einsum("nijcab,abcf->nijf", win, K).astype(np.float32)

    def by_w1_taps(W1, W2):
        C2, C1, FH1, FW1 = W1.shape
        C3, _, FH2, FW2 = W2.shape
        W = np.zeros((C3, C1, FH1 + FH2 - 1, FW1 + FW2 - 1))
        for a in range(FH1):
            for b in range(FW1):
                W[:, :, a:a + FH2, b:b + FW2] += np.einsum("gfpq,fc->gcpq", W2, W1[:, :, a, b])
        return W.tolist()

    assert _check("ch3-corr2d-multi-in", by_channels).passed
    assert _check("ch3-corr2d-multi-in-out", by_einsum).passed
    assert _check("ch3-compose-kernels", by_w1_taps).passed
    assert _check("ch3-add-bias", lambda Y, b: Y + b[:, None, None]).passed
    assert _check("ch3-conv-cost", lambda *a, **k: np.array(sol.conv_layer_cost(*a, **k))).passed
    assert _check("ch3-three-3x3-vs-7x7", list(sol.stack_vs_7x7)).passed


def test_two_mistakes_at_once_are_both_named():
    def no_bias_and_flops(C, H, W, FN, FH, FW, stride=1, padding=0):
        params, macs = sol.conv_layer_cost(C, H, W, FN, FH, FW, stride, padding)
        return params - FN, 2 * macs

    message = _check("ch3-conv-cost", no_bias_and_flops).message
    assert "only the weights" in message and "FLOP count" in message

    rf, w3, m3, rf7, w7, m7 = sol.stack_vs_7x7
    message = _check("ch3-three-3x3-vs-7x7", (9, w3 + 192, m3, rf7, w7 + 64, m7)).message
    assert "do not add kernel sizes" in message and "include the biases" in message


def test_square_only_answers_fail():
    def square_cost(C, H, W, FN, FH, FW, stride=1, padding=0):
        return sol.conv_layer_cost(C, H, H, FN, FH, FH, stride, padding)

    def square_kernel_corr(X, K, stride=1):      # a square kernel's window, K[:, :FH, :FH]
        FH = K.shape[1]
        return sol.corr2d_multi_in(X, np.pad(K, ((0, 0), (0, 0), (0, max(0, FH - K.shape[2]))))
                                   [:, :, :FH], stride)

    assert not _check("ch3-conv-cost", square_cost).passed
    assert not _check("ch3-corr2d-multi-in", square_kernel_corr).passed


def test_by_hand_feedback_never_states_the_answer():
    expected = sol.stack_vs_7x7
    wrong_answers = [tuple(v + 1 for v in expected), (0,) * 6, (7, 1, 2, 7, 3, 4)]
    wrong_answers += [m.answer for m in sol.STACK_VS_7X7_MISTAKES]
    for answer in wrong_answers:
        message = _check("ch3-three-3x3-vs-7x7", answer).message
        for got, value in zip(answer, expected):
            if got != value and value > 9:
                assert str(value) not in message and f"{value:,}" not in message


def test_cases_catch_narrow_answers():
    for _, X, K, stride in ch03._multi_in_cases():
        assert X.shape[0] > 1 and X.shape[1] > 1 and X.shape[2] != X.shape[3]
        assert not np.allclose(X, np.round(X))
    assert any(K.shape[1] != K.shape[2] for _, _, K, _ in ch03._multi_in_cases())
    assert any((X.shape[2] - K.shape[1]) % s or (X.shape[3] - K.shape[2]) % s
               for _, X, K, s in ch03._multi_in_cases())
    for _, X, K in ch03._multi_out_cases():
        assert X.shape[0] > 1 and X.shape[1] != X.shape[2] and K.shape[0] != K.shape[1]
    assert ch03._multi_out_cases()[0][2].shape[2] == ch03._multi_out_cases()[0][2].shape[3]
    assert any(H != W and FH != FW and ((H + 2 * p - FH) % s or (W + 2 * p - FW) % s)
               for C, H, W, FN, FH, FW, s, p in ch03.COST_CASES)
    assert all(H != W for C, H, W, *_ in ch03.COST_CASES)
    for _, Y, b in ch03._bias_cases():
        assert Y.shape[0] > 1 and not np.allclose(Y, np.round(Y))
    for _, W1, W2 in ch03._compose_cases():
        assert W1.shape[2] != W1.shape[3] or W2.shape[2] != W2.shape[3]
