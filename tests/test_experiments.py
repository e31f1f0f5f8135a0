"""Tests for chapter 6's experiments: the learning-rate schedule of ``fit``, the networks of
``cnn_course.topics.experiments`` and its display functions against the stored results
(``book/measured/*.json`` written by ``benchmarks/experiments.py``)."""

import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from cnn_course import data  # noqa: E402
from cnn_course.models import lenet5  # noqa: E402
from cnn_course.optim import SGD  # noqa: E402
from cnn_course.topics import experiments as ex  # noqa: E402
from cnn_course.topics.invariance import shift_image  # noqa: E402
from cnn_course.train import accuracy, cosine_schedule, fit, step_schedule  # noqa: E402


# ---------------------------------------------------------------- the schedule in fit


class RecordingSGD(SGD):
    """SGD that remembers the learning rate of every step."""

    def __init__(self, lr):
        super().__init__(lr)
        self.seen = []

    def step(self, params, grads=None):
        self.seen.append(self.lr)
        super().step(params, grads)


def _tiny():
    rng = np.random.default_rng(0)
    return rng.random((10, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, size=10)


def test_fit_sets_the_learning_rate_from_the_schedule_before_every_step():
    from cnn_course.models import dense_net
    opt = RecordingSGD(lr=0.5)
    fit(dense_net((4,)), _tiny(), epochs=2, batch_size=4, optimizer=opt, progress=False,
        lr_schedule=lambda t: 0.1 * (1 + t))
    # 3 batches per epoch (4, 4, 2): t = e + b / 3
    expected = [0.1 * (1 + e + b / 3) for e in range(2) for b in range(3)]
    np.testing.assert_allclose(opt.seen, expected)


def test_fit_without_a_schedule_keeps_the_learning_rate():
    from cnn_course.models import dense_net
    opt = RecordingSGD(lr=0.5)
    fit(dense_net((4,)), _tiny(), epochs=2, batch_size=4, optimizer=opt, progress=False)
    assert opt.seen == [0.5] * 6


def test_fit_rejects_a_bad_schedule():
    from cnn_course.models import dense_net
    with pytest.raises(TypeError, match="lr_schedule"):
        fit(dense_net((4,)), _tiny(), epochs=1, batch_size=4, optimizer=SGD(lr=0.1),
            progress=False, lr_schedule=0.1)
    with pytest.raises(ValueError, match="lr_schedule"):
        fit(dense_net((4,)), _tiny(), epochs=1, batch_size=4, optimizer=SGD(lr=0.1),
            progress=False, lr_schedule=lambda t: -1.0)


def test_cosine_schedule_falls_from_lr_to_lr_min():
    s = cosine_schedule(3e-3, 5)
    assert s(0) == pytest.approx(3e-3)
    assert s(2.5) == pytest.approx(1.5e-3)
    assert s(5) == pytest.approx(0.0, abs=1e-15)
    assert s(1) == pytest.approx(1.5e-3 * (1 + math.cos(math.pi / 5)))
    values = [s(t) for t in np.linspace(0, 5, 51)]
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert cosine_schedule(1.0, 2, lr_min=0.1)(2) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="lr_min"):
        cosine_schedule(1e-3, 5, lr_min=1.0)
    with pytest.raises(ValueError, match="epochs"):
        cosine_schedule(1e-3, 0)


def test_step_schedule_multiplies_by_gamma_every_step_epochs():
    s = step_schedule(2e-3, 2, 0.5)
    assert [s(t) for t in (0, 1.9, 2, 3.5, 4)] == pytest.approx([2e-3, 2e-3, 1e-3, 1e-3, 5e-4])
    with pytest.raises(ValueError, match="gamma"):
        step_schedule(1e-3, 1, 0)


# ---------------------------------------------------------------- the networks


def test_ablation_lenet_at_its_corners_is_the_classic_and_the_modern_lenet():
    x = np.random.default_rng(1).random((3, 1, 28, 28), dtype=np.float32)
    for corner, variant in ((("sigmoid", "avg", "classic"), "classic"),
                            (("relu", "max", "he"), "modern")):
        mine, theirs = ex.ablation_lenet(*corner, seed=3), lenet5(variant, seed=3)
        assert [p.shape for p in mine.params.values()] == \
            [p.shape for p in theirs.params.values()]
        for a, b in zip(mine.params.values(), theirs.params.values()):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(mine.forward(x), theirs.forward(x), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="pooling"):
        ex.ablation_lenet("relu", "median", "he")


def test_weidman_net_has_one_convolution_and_one_dense_layer():
    model = ex.weidman_net()
    assert model.num_params() == 32 * 25 + 32 + 32 * 28 * 28 * 10 + 10
    assert model.forward(np.zeros((2, 1, 28, 28), np.float32)).shape == (2, 10)


def test_random_shift_moves_each_image_by_its_own_offset_within_the_range():
    images = np.zeros((40, 1, 28, 28), np.float32)
    images[:, 0, 12:16, 12:16] = np.arange(40)[:, None, None] + 1
    out = ex.random_shift(images, 2, rng=0)
    offsets = set()
    for img, moved in zip(images, out):
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.array_equal(shift_image(img, dy, dx), moved)]
        assert len(found) == 1
        offsets.add(found[0])
    assert len(offsets) > 5                      # not one offset for all
    np.testing.assert_array_equal(out, ex.random_shift(images, 2, rng=0))


# ---------------------------------------------------------------- the stored results


def _rows(text, start):
    return [line for line in text.splitlines() if line.startswith(start)]


def test_schedule_table_shows_the_stored_runs_and_the_cosine_run_reaches_99_percent():
    result = ex.load_result("lr_schedule")
    text = ex.schedule_table(result)
    assert text == ex.schedule_table()
    for run in result["runs"]:
        rows = _rows(text, ex._schedule_name(run) + " ")
        assert len(rows) == 2                    # accuracies, learning rates
        assert rows[0].split()[-len(run["test_acc"]):] == \
            [f"{100 * a:.2f}" for a in run["test_acc"]]
        assert rows[1].split()[-len(run["epoch_lr"]):] == [f"{v:.1e}" for v in run["epoch_lr"]]
    assert max(len(line) for line in text.splitlines()) <= ex.WIDTH
    cosine = next(r for r in result["runs"] if r["schedule"] == "cosine")
    assert len(cosine["test_acc"]) == 5 and cosine["test_acc"][-1] >= 0.99
    assert result["threads"] == 1 and result["date"] in text and result["numpy"] in text


def test_the_stored_weights_give_the_stored_accuracy(shared_data_dir):
    result = ex.load_result("lr_schedule")
    model = ex.trained_lenet()
    test = data.load_mnist("test", data_dir=shared_data_dir, download=False)
    # the run used the machine's own OpenBLAS kernel; the tests pin another: a few images of
    # 10,000 may flip
    assert accuracy(model, test.images, test.labels) == \
        pytest.approx(result["weights"]["test_acc"], abs=5e-4)


def test_ablation_table_shows_all_eight_combinations():
    result = ex.load_result("ablation")
    text = ex.ablation_table(result)
    combos = {(r["activation"], r["pooling"], r["init"]) for r in result["runs"]}
    assert len(combos) == 8
    for run in result["runs"]:
        row = _rows(text, f"{run['activation']:<12}{run['pooling']:<9}{run['init']:<9}")
        assert len(row) == 1
        for a in run["test_acc_mean"] + run["final_acc"]:
            assert f"{100 * a:.2f}" in row[0]
        assert run["final_acc_mean"] == pytest.approx(np.mean(run["final_acc"]), abs=1e-4)
    assert f"{result['train_images']:,}" in text and result["date"] in text


def test_augmentation_table_shows_every_test_set_and_run():
    result = ex.load_result("augmentation")
    text = ex.augmentation_table(result)
    assert len(result["runs"]) == 2
    for name in result["test_sets"]:
        row = _rows(text, name)[0].split()[-2:]
        assert row == [f"{100 * run['accuracy'][name]:.2f}" for run in result["runs"]]
    assert result["date"] in text


def test_weidman_summary_shows_the_stored_accuracy():
    result = ex.load_result("weidman")
    text = ex.weidman_summary(result)
    run = result["run"]
    assert f"{100 * run['test_acc']:.2f} %" in text and f"{run['seconds']:.1f} s" in text
    assert f"{run['params']:,}" in text and "90.50 %" in text
    assert run["params"] == ex.weidman_net().num_params()


def test_simple_convnet_table_and_plot_show_the_stored_epochs():
    import matplotlib.pyplot as plt
    result = ex.load_result("simple_convnet")
    run = result["run"]
    text = ex.simple_convnet_table(result)
    for e, acc in enumerate(run["test_acc"], 1):
        row = [r for r in text.splitlines() if r.split()[:1] == [str(e)]]
        assert len(row) == 1 and row[0].split()[3] == f"{100 * acc:.2f}"
    fig = ex.plot_accuracy(result)
    train, test = fig.axes[0].get_lines()
    np.testing.assert_allclose(train.get_ydata(), 100 * np.array(run["train_acc"]))
    np.testing.assert_allclose(test.get_ydata(), 100 * np.array(run["test_acc"]))
    plt.close(fig)


SHOW = {"lr_schedule": ex.schedule_table, "ablation": ex.ablation_table,
        "augmentation": ex.augmentation_table, "weidman": ex.weidman_summary,
        "simple_convnet": ex.simple_convnet_table}


@pytest.mark.parametrize("name", ["lr_schedule", "ablation", "augmentation", "weidman",
                                  "simple_convnet"])
def test_every_stored_result_says_when_where_and_how(name):
    result = ex.load_result(name)
    text = SHOW[name](result)
    assert max(len(line) for line in text.splitlines()) <= ex.WIDTH   # fits the page
    assert result["date"] in text and result["command"] in text
    assert {"date", "machine", "numpy", "threads", "command"} <= set(result)
    assert result["threads"] == 1
    assert result["command"].startswith("python benchmarks/experiments.py ")
    with pytest.raises(FileNotFoundError, match="benchmarks/experiments.py"):
        ex.load_result(name, folder="/nonexistent")
