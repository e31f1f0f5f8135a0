"""cnn_course.topics.costs: parameter counts agree with the real layer objects, and multiply-add
counts agree with a count taken by running the naive loop structure of a convolution."""

import numpy as np
import pytest

from cnn_course.topics import costs
from cnn_course import functional as F
from cnn_course.layers import Conv2D, Dense


def _layer_size(layer):
    return sum(p.size for p in layer.params.values())


@pytest.mark.parametrize("C,FN,k,bias", [(1, 6, 5, True), (3, 16, 3, True), (17, 256, 3, False),
                                         (64, 16, 1, True), (4, 2, (3, 5), True)])
def test_conv2d_params_match_a_created_conv2d_layer(C, FN, k, bias):
    layer = Conv2D.create(C, FN, k, bias=bias, rng=np.random.default_rng(0))
    assert costs.conv2d_params(C, FN, k, bias=bias) == _layer_size(layer)


@pytest.mark.parametrize("D_in,D_out,bias", [(784, 32, True), (120, 84, True), (10, 3, False)])
def test_dense_params_match_a_created_dense_layer(D_in, D_out, bias):
    layer = Dense.create(D_in, D_out, bias=bias, rng=np.random.default_rng(0))
    assert costs.dense_params(D_in, D_out, bias=bias) == _layer_size(layer)


def _count_conv_macs(C, H, W, FN, FH, FW, stride, padding):
    """Run the loops of a naive convolution and count the innermost multiply-adds."""
    OH = (H + 2 * padding - FH) // stride + 1
    OW = (W + 2 * padding - FW) // stride + 1
    count = 0
    for f in range(FN):
        for i in range(OH):
            for j in range(OW):
                for c in range(C):
                    for a in range(FH):
                        for b in range(FW):
                            count += 1          # acc += W[f, c, a, b] * x[c, i*s + a, j*s + b]
    return count, (OH, OW)


@pytest.mark.parametrize("C,H,W,FN,FH,FW,stride,padding", [
    (3, 8, 8, 4, 3, 3, 1, 0), (2, 7, 9, 3, 3, 2, 2, 1), (1, 6, 6, 2, 1, 1, 1, 0)])
def test_conv2d_macs_match_the_count_of_the_naive_loops(C, H, W, FN, FH, FW, stride, padding):
    count, out_hw = _count_conv_macs(C, H, W, FN, FH, FW, stride, padding)
    assert costs.conv2d_macs(C, FN, (FH, FW), out_hw) == count
    cost = costs.conv2d_cost((C, H, W), FN, (FH, FW), stride=stride, padding=padding)
    assert cost.macs == count and cost.output_shape == (FN, *out_hw)


def test_conv2d_cost_output_shape_matches_a_real_convolution():
    x = np.zeros((1, 3, 11, 13), dtype=np.float32)
    Wt = np.zeros((5, 3, 3, 4), dtype=np.float32)
    y = F.conv2d(x, Wt, stride=2, padding=1)
    cost = costs.conv2d_cost((3, 11, 13), 5, (3, 4), stride=2, padding=1)
    assert cost.output_shape == y.shape[1:]
    assert cost.outputs == y[0].size


def test_dense_macs_match_the_count_of_a_matrix_vector_product_loop():
    D_in, D_out = 7, 5
    count = sum(1 for _ in range(D_out) for _ in range(D_in))
    assert costs.dense_macs(D_in, D_out) == count
    assert costs.dense_cost(D_in, D_out).macs == count


def test_bias_adds_one_parameter_per_output_channel_and_no_macs():
    assert costs.conv2d_params(3, 8, 3) - costs.conv2d_params(3, 8, 3, bias=False) == 8
    assert costs.dense_params(10, 4) - costs.dense_params(10, 4, bias=False) == 4


def test_cost_table_lists_every_layer_with_separated_thousands():
    rows = [costs.conv2d_cost((1, 28, 28), 32, 5, padding=2), costs.dense_cost(784, 32)]
    text = costs.cost_table(rows)
    lines = text.splitlines()
    assert len(lines) == 4 and lines[0].split()[:3] == ["layer", "input", "output"]
    assert "832" in lines[2] and "627,200" in lines[2]    # 32*25 + 32 params; 32*28*28*25 MACs
    assert "25,120" in lines[3] and "25,088" in lines[3]  # 784*32 + 32 params; 784*32 MACs


@pytest.mark.parametrize("call", [
    lambda: costs.conv2d_params(0, 4, 3),
    lambda: costs.conv2d_params(3, 4, 2.5),
    lambda: costs.conv2d_macs(3, 4, 3, (0, 5)),
    lambda: costs.dense_params(10, -1),
    lambda: costs.conv2d_cost((3, 8), 4, 3),
    lambda: costs.conv2d_cost((3, 4, 4), 2, 5),     # the kernel does not fit
])
def test_bad_arguments_raise_with_a_message(call):
    with pytest.raises((TypeError, ValueError)):
        call()
