"""Tests for cnn_course.models: architectures, parameter bookkeeping, gradients, save/load."""

import numpy as np
import pytest

from cnn_course.gradcheck import check_model, numerical_gradient, rel_error
from cnn_course.layers import (AvgPool2D, Conv2D, ConvReLUPool2D, Dense, Flatten, MaxPool2D,
                               ReLU, Sigmoid)
from cnn_course.models import (C3_TABLE, LENET5_1998, Sequential, build_model, count_params,
                               dense_net, gradient_norms, lenet5, lenet5_1998_param_counts,
                               load_params, save_params, simple_convnet)


def _batch(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- architectures


def test_lenet5_has_d2ls_parameter_count():
    # conv 6*1*25+6, conv 16*6*25+16, dense 400*120+120, 120*84+84, 84*10+10 (d2l: 61,706)
    assert count_params(lenet5("classic")) == 156 + 2416 + 48120 + 10164 + 850 == 61706
    assert lenet5("modern").num_params() == 61706


def test_lenet5_variants_differ_only_in_activation_and_pooling():
    kinds = {v: [type(layer) for layer in lenet5(v)] for v in ("classic", "modern")}
    assert kinds["classic"] == [Conv2D, Sigmoid, AvgPool2D, Conv2D, Sigmoid, AvgPool2D,
                                Flatten, Dense, Sigmoid, Dense, Sigmoid, Dense]
    # modern: each Conv - ReLU - MaxPool is one fused layer
    assert kinds["modern"] == [ConvReLUPool2D, ConvReLUPool2D, Flatten, Dense, ReLU, Dense,
                               ReLU, Dense]
    steps = [type(s) for block in lenet5("modern").layers[:2] for s in block.steps()]
    swap = {Sigmoid: ReLU, AvgPool2D: MaxPool2D}
    assert steps == [swap.get(k, k) for k in kinds["classic"][:6]]
    conv1 = lenet5("classic")[0]
    assert conv1.params["W"].shape == (6, 1, 5, 5) and conv1.padding == (2, 2)
    assert lenet5("modern")[0].padding == (2, 2)


def test_published_lenet5_counts_60000_parameters_with_1516_in_c3():
    counts = lenet5_1998_param_counts()
    assert list(counts) == [name for name, *_ in LENET5_1998[1:]]
    assert counts == {"C1": 156, "S2": 12, "C3": 1516, "S4": 32, "C5": 48120, "F6": 10164,
                      "output": 0}
    assert sum(counts.values()) == 60000
    # with every S2 map connected, C3 would have d2l's 2,416 parameters
    assert 16 * (6 * 25 + 1) == 2416 == lenet5("classic")[3].params["W"].size + 16


def test_c3_table_is_lecuns_table_1():
    assert len(C3_TABLE) == 16 and all(len(set(t)) == len(t) for t in C3_TABLE)
    assert [len(t) for t in C3_TABLE] == [3] * 6 + [4] * 9 + [6]
    assert C3_TABLE[0] == (0, 1, 2) and C3_TABLE[5] == (5, 0, 1) and C3_TABLE[9] == (3, 4, 5, 0)
    # every S2 map feeds 10 of the 16 C3 maps (6*3 + 9*4 + 6 = 60 connections)
    assert [sum(m in t for t in C3_TABLE) for m in range(6)] == [10] * 6


def test_classic_lenet_uses_lecun_normal_and_modern_uses_he_normal():
    # fan_in of the first dense layer is 400: std sqrt(1/400) = 0.05 against sqrt(2/400)
    for variant, std in (("classic", np.sqrt(1 / 400)), ("modern", np.sqrt(2 / 400))):
        W = lenet5(variant, seed=0)[-5].params["W"]        # Dense(400->120)
        assert W.shape == (400, 120)
        assert W.std() == pytest.approx(std, rel=0.02), variant
    # "lecun" is the scheme Saito calls "xavier": the same numbers
    a = lenet5("classic", seed=4).params["0.W"]
    from cnn_course.layers import init_weights
    b = init_weights((6, 1, 5, 5), 25, 150, init="xavier", rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)


def test_fused_modern_lenet_equals_the_layer_by_layer_network():
    fused = lenet5("modern", dtype=np.float64, seed=3)
    separate = Sequential([s for layer in lenet5("modern", dtype=np.float64, seed=3)
                           for s in (layer.steps() if hasattr(layer, "steps") else [layer])])
    assert len(separate) == 12
    x, labels = _batch((4, 1, 28, 28), seed=2), np.array([0, 3, 9, 1])
    assert fused.loss(x, labels) == pytest.approx(separate.loss(x, labels), rel=1e-12)
    fused.backward()
    separate.backward()
    names = {"0.W": "0.W", "0.b": "0.b", "1.W": "3.W", "1.b": "3.b", "3.W": "7.W",
             "5.W": "9.W", "7.b": "11.b"}
    for a, b in names.items():
        assert rel_error(fused.grads[a], separate.grads[b]) <= 1e-10, a


def test_simple_convnet_matches_saito_chapter_7():
    model = simple_convnet()
    assert [type(layer) for layer in model] == [ConvReLUPool2D, Flatten, Dense, ReLU, Dense]
    assert [type(s) for s in model[0].steps()] == [Conv2D, ReLU, MaxPool2D]
    assert model[0].params["W"].shape == (30, 1, 5, 5)
    assert model[2].params["W"].shape == (30 * 12 * 12, 100)
    assert model.num_params() == 30 * 25 + 30 + 4320 * 100 + 100 + 100 * 10 + 10


def test_dense_net_has_about_lenets_parameter_count():
    n = dense_net().num_params()
    assert abs(n - 61706) / 61706 < 0.01
    assert [type(layer) for layer in dense_net((8,))] == [Flatten, Dense, ReLU, Dense]


@pytest.mark.parametrize("name", ["lenet-classic", "lenet-modern", "simple-convnet", "dense"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_models_map_mnist_images_to_ten_logits_in_their_dtype(name, dtype):
    model = build_model(name, dtype=dtype)
    logits = model.forward(_batch((3, 1, 28, 28), dtype=dtype))
    assert logits.shape == (3, 10) and logits.dtype == dtype
    assert all(p.dtype == dtype for p in model.params.values())


def test_same_seed_gives_same_weights_and_another_seed_does_not():
    a, b, c = lenet5("modern", seed=1), lenet5("modern", seed=1), lenet5("modern", seed=2)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert not np.array_equal(a.params["0.W"], c.params["0.W"])


def test_unknown_names_and_too_small_inputs_are_rejected():
    with pytest.raises(ValueError, match="variant"):
        lenet5("vintage")
    with pytest.raises(ValueError, match="unknown model"):
        build_model("resnet")
    with pytest.raises(ValueError, match="too small"):
        lenet5(input_size=8)


# ---------------------------------------------------------------- Sequential


def test_params_and_grads_are_named_by_layer_index_and_share_memory():
    model = lenet5("modern")
    assert list(model.params) == ["0.W", "0.b", "1.W", "1.b", "3.W", "3.b", "5.W", "5.b",
                                  "7.W", "7.b"]
    assert model.params["1.W"] is model[1].params["W"]
    assert list(lenet5("classic").params)[2:4] == ["3.W", "3.b"]
    assert model.grads.keys() == model.params.keys()
    assert all(model.grads[k].shape == p.shape for k, p in model.params.items())


def test_loss_backward_fills_grads_that_match_numeric_ones():
    model = simple_convnet(input_size=8, num_filters=2, hidden=5, dtype=np.float64)
    x, labels = _batch((2, 1, 8, 8)), np.array([1, 4])
    model.loss(x, labels)
    assert model.backward() is None  # no input gradient by default
    analytic = model.grads["4.W"].copy()
    numeric = numerical_gradient(lambda _: model.loss(x, labels), model.params["4.W"])
    assert rel_error(analytic, numeric) < 1e-7


def test_first_layer_skips_its_input_gradient_unless_asked():
    model = lenet5("modern")
    assert model[0].need_input_grad is False
    assert all(layer.need_input_grad for layer in model.layers[1:])
    model.need_input_grad = True
    assert model[0].need_input_grad is True


def test_layers_before_the_first_weights_skip_gradients_too():
    model = dense_net((4,))
    assert model[0].need_input_grad is False  # Flatten
    assert model[1].need_input_grad is False  # the first Dense
    model.loss(_batch((2, 1, 28, 28), dtype=np.float32), np.array([0, 1]))
    assert model.backward() is None
    assert np.any(model.grads["1.W"] != 0)


def test_input_gradient_matches_numeric_gradient_when_switched_on():
    model = lenet5("classic", input_size=12, dtype=np.float64)
    model.need_input_grad = True
    x, labels = _batch((2, 1, 12, 12), seed=3), np.array([2, 9])
    model.loss(x, labels)
    dx = model.backward()
    assert dx.shape == x.shape
    numeric = numerical_gradient(lambda _: model.loss(x, labels), x)
    assert rel_error(dx, numeric) < 1e-6


def test_backward_accepts_a_gradient_for_the_logits():
    model = dense_net((6,), dtype=np.float64)
    x = _batch((2, 1, 28, 28))
    model.forward(x)
    model.backward(np.ones((2, 10)))  # dL/dlogits = 1: L = sum(logits)
    np.testing.assert_allclose(model.grads["3.b"], np.full(10, 2.0))


def test_indexing_length_iteration_and_repr():
    model = simple_convnet()
    assert len(model) == 5 and model[-1] is model.layers[-1]
    assert list(model) == model.layers
    text = repr(model)
    assert text.startswith("Sequential(") and "(0) ConvReLUPool2D(1, 30, kernel_size=5" in text
    assert "(4) Dense(100, 10)" in text
    with pytest.raises(ValueError, match="at least one layer"):
        Sequential()
    with pytest.raises(TypeError, match="forward/backward"):
        Sequential(ReLU(), "not a layer")


def test_summary_lists_output_shapes_and_parameter_counts():
    table = lenet5("classic").summary((1, 28, 28))
    shapes = [row[1] for row in table.rows]
    assert shapes == ["(N, 6, 28, 28)", "(N, 6, 28, 28)", "(N, 6, 14, 14)", "(N, 16, 10, 10)",
                      "(N, 16, 10, 10)", "(N, 16, 5, 5)", "(N, 400)", "(N, 120)", "(N, 120)",
                      "(N, 84)", "(N, 84)", "(N, 10)"]
    assert [row[2] for row in table.rows][:4] == [156, 0, 0, 2416]
    assert table.total_params == 61706
    text = str(table)
    assert "Total params: 61,706" in text and "48,120" in text
    assert "(64, 16, 5, 5)" in str(lenet5().summary((64, 1, 28, 28)))
    modern = lenet5("modern").summary((1, 28, 28))
    assert [row[0] for row in modern.rows][:3] == [
        "0: Conv2D 1->6 5x5 padding 2 + ReLU + MaxPool2D 2x2",
        "1: Conv2D 6->16 5x5 + ReLU + MaxPool2D 2x2", "2: Flatten"]
    assert [row[1] for row in modern.rows][:3] == ["(N, 6, 14, 14)", "(N, 16, 5, 5)", "(N, 400)"]
    assert [row[2] for row in modern.rows][:2] == [156, 2416] and modern.total_params == 61706


def test_summary_names_the_layer_that_rejects_the_input():
    with pytest.raises(ValueError, match=r"layer 3 \(Dense\)"):
        lenet5().summary((1, 32, 32))
    with pytest.raises(ValueError, match=r"layer 7 \(Dense\)"):
        lenet5("classic").summary((1, 32, 32))


# ---------------------------------------------------------------- gradient checks


@pytest.mark.parametrize("make, size", [
    (lambda: lenet5("classic", input_size=12, dtype=np.float64), 12),
    (lambda: lenet5("modern", input_size=12, dtype=np.float64), 12),
    (lambda: simple_convnet(input_size=10, dtype=np.float64), 10),
], ids=["lenet-classic", "lenet-modern", "simple-convnet"])
def test_whole_network_gradients_match_numeric_ones(make, size):
    model = make()
    x = _batch((2, 1, size, size), seed=1)
    errors = check_model(model, x, np.array([3, 8]), max_entries=25, seed=0)
    assert errors.keys() == model.params.keys()
    assert max(errors.values()) < 1e-6, errors


# ---------------------------------------------------------------- save and load


def test_save_then_load_restores_parameters_in_place(tmp_path):
    model = lenet5("modern", seed=0)
    path = tmp_path / "lenet"  # no .npz suffix: the file is still written at exactly this path
    save_params(model, path)
    assert path.is_file()
    saved = {k: v.copy() for k, v in model.params.items()}
    arrays = dict(model.params)
    for p in model.params.values():
        p[...] = 0
    load_params(model, path)
    for name, p in model.params.items():
        assert p is arrays[name]
        np.testing.assert_array_equal(p, saved[name])


def test_load_into_a_fresh_model_gives_the_same_predictions(tmp_path):
    trained, fresh = lenet5(seed=0), lenet5(seed=5)
    trained.save(tmp_path / "w.npz")
    fresh.load(tmp_path / "w.npz")
    x = _batch((2, 1, 28, 28), dtype=np.float32)
    np.testing.assert_array_equal(trained.forward(x), fresh.forward(x))


def test_load_rejects_files_of_another_model(tmp_path):
    save_params(simple_convnet(), tmp_path / "scn.npz")
    model = lenet5()
    before = model.params["0.W"].copy()
    with pytest.raises(ValueError, match=r"not in the model: \[.*'4\.W'.*shape mismatch: 0\.W"):
        load_params(model, tmp_path / "scn.npz")
    np.testing.assert_array_equal(model.params["0.W"], before)
    save_params(lenet5(input_size=12), tmp_path / "small.npz")
    with pytest.raises(ValueError, match=r"3\.W: file \(16, 120\) vs model \(400, 120\)"):
        load_params(model, tmp_path / "small.npz")


def test_saved_file_loads_without_pickle(tmp_path):
    save_params(dense_net((3,)), tmp_path / "d.npz")
    with np.load(tmp_path / "d.npz", allow_pickle=False) as f:
        assert sorted(f.files) == ["1.W", "1.b", "3.W", "3.b"]
        assert f["1.W"].dtype == np.float32


def test_gradient_norms_vanish_in_the_classic_lenet_and_not_in_the_modern_one():
    x, labels = _batch((16, 1, 28, 28), seed=5, dtype=np.float32), np.arange(16) % 10
    classic = gradient_norms(lenet5("classic", seed=0), x, labels)
    modern = gradient_norms(lenet5("modern", seed=0), x, labels)
    assert list(classic) == ["0.W", "3.W", "7.W", "9.W", "11.W"]
    assert list(modern) == ["0.W", "1.W", "3.W", "5.W", "7.W"]
    model = lenet5("modern", seed=0)
    norms = gradient_norms(model, x, labels)
    assert norms["0.W"] == pytest.approx(float(np.linalg.norm(model.grads["0.W"])))
    assert classic["11.W"] / classic["0.W"] > 100
    assert modern["7.W"] / modern["0.W"] < 10
