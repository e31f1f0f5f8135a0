"""Tests for cnn_course.train: batching, the fit loop, evaluation, MNIST training and the CLI."""


import numpy as np
import pytest

from cnn_course import data
from cnn_course.models import dense_net, lenet5, simple_convnet
from cnn_course.optim import SGD, Adam
from cnn_course.train import (History, accuracy, batches, evaluate, fit, iterate_minibatches,
                              main, predict, train_mnist)





@pytest.fixture(scope="module")
def mnist_small(shared_data_dir):
    train = data.load_mnist("train", subset=2000, seed=0, data_dir=shared_data_dir, download=False)
    test = data.load_mnist("test", subset=1000, seed=0, data_dir=shared_data_dir, download=False)
    return train, test


def _random_data(n, seed=0, size=28):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1, size, size), dtype=np.float32)
    return x, rng.integers(0, 10, size=n)


# ---------------------------------------------------------------- batches


def test_batches_cover_every_index_once_with_a_short_last_batch():
    parts = list(batches(10, 4))
    assert [len(p) for p in parts] == [4, 4, 2]
    assert np.concatenate(parts).tolist() == list(range(10))


def test_shuffled_batches_are_a_seeded_permutation():
    a = np.concatenate(list(batches(50, 8, shuffle=True, rng=1)))
    b = np.concatenate(list(batches(50, 8, shuffle=True, rng=1)))
    c = np.concatenate(list(batches(50, 8, shuffle=True, rng=2)))
    assert sorted(a.tolist()) == list(range(50))
    assert a.tolist() == b.tolist() != c.tolist()


def test_iterate_minibatches_keeps_images_with_their_labels():
    x = np.arange(7, dtype=np.float32).reshape(7, 1, 1, 1)
    labels = np.arange(7)
    for xb, yb in iterate_minibatches(x, labels, 3, shuffle=True, rng=0):
        assert xb[:, 0, 0, 0].tolist() == yb.tolist()


@pytest.mark.parametrize("size, exc", [(0, ValueError), (-1, ValueError), (2.0, TypeError),
                                       (True, TypeError)])
def test_bad_batch_size_is_rejected(size, exc):
    with pytest.raises(exc, match="batch_size"):
        list(batches(10, size))


# ---------------------------------------------------------------- fit


def test_fit_overfits_a_tiny_batch():
    x, labels = _random_data(16, size=12)
    model = simple_convnet(input_size=12, num_filters=4, hidden=32, seed=0)
    start = model.loss(x, labels)
    history = fit(model, (x, labels), epochs=60, batch_size=16, optimizer=Adam(lr=0.01),
                  seed=0, progress=False)
    assert history.train_loss[-1] < 0.05 * start
    assert history.train_acc[-1] == 1.0


def test_fit_with_the_same_seed_repeats_the_history_exactly(mnist_small):
    train, test = mnist_small
    small = (train.images[:192], train.labels[:192])

    def run(seed):
        model = lenet5("modern", seed=0)
        h = fit(model, small, (test.images[:200], test.labels[:200]), epochs=2, batch_size=32,
                optimizer=Adam(lr=1e-3), seed=seed, progress=False)
        return h, model

    (h1, m1), (h2, m2), (h3, _) = run(7), run(7), run(8)
    assert h1.train_loss == h2.train_loss and h1.train_acc == h2.train_acc
    assert h1.test_acc == h2.test_acc
    for name in m1.params:
        np.testing.assert_array_equal(m1.params[name], m2.params[name])
    assert h1.train_loss != h3.train_loss  # the seed does change the shuffling


def test_lenet_learns_mnist_from_a_small_subset(mnist_small):
    train, test = mnist_small
    model = lenet5("modern", seed=0)
    history = fit(model, train, test, epochs=2, batch_size=64, optimizer=Adam(lr=3e-3), seed=0,
                  progress=False)
    assert history.test_acc[-1] > 0.85
    assert history.train_loss[1] < history.train_loss[0] < 2.3


def test_history_has_one_entry_per_epoch():
    x, labels = _random_data(20)
    history = fit(dense_net((8,)), (x, labels), (x, labels), epochs=3, batch_size=8,
                  optimizer=SGD(lr=0.1), seed=0, progress=False)
    assert isinstance(history, History) and history.epochs == 3
    for values in history.as_dict().values():
        assert len(values) == 3
    assert all(s > 0 for s in history.seconds)
    assert all(0 <= a <= 1 for a in history.train_acc + history.test_acc)
    no_test = fit(dense_net((8,)), (x, labels), epochs=2, batch_size=8, optimizer=SGD(lr=0.1),
                  seed=0, progress=False)
    assert no_test.test_acc == [] and no_test.epochs == 2


def test_fit_updates_the_models_own_arrays():
    x, labels = _random_data(8)
    model = dense_net((4,))
    arrays = dict(model.params)
    before = {k: v.copy() for k, v in arrays.items()}
    fit(model, (x, labels), epochs=1, batch_size=4, optimizer=SGD(lr=0.1), seed=0,
        progress=False)
    assert all(model.params[k] is arrays[k] for k in arrays)
    assert all(not np.array_equal(arrays[k], before[k]) for k in arrays)


def test_progress_bar_is_shown_or_hidden(capsys):
    x, labels = _random_data(8)
    fit(dense_net((4,)), (x, labels), epochs=1, batch_size=4, optimizer=SGD(lr=0.1), seed=0,
        progress=False)
    assert capsys.readouterr().err == ""
    fit(dense_net((4,)), (x, labels), epochs=1, batch_size=4, optimizer=SGD(lr=0.1), seed=0,
        progress=True)
    assert "epoch 1/1" in capsys.readouterr().err


def test_fit_rejects_mismatched_dtype_and_labels():
    x, labels = _random_data(8)
    model = dense_net((4,))
    with pytest.raises(TypeError, match="float64 but the model's parameters are float32"):
        fit(model, (x.astype(np.float64), labels), epochs=1, batch_size=4,
            optimizer=SGD(lr=0.1), progress=False)
    with pytest.raises(ValueError, match=r"images \(8, 1, 28, 28\) and labels \(7,\)"):
        fit(model, (x, labels[:7]), epochs=1, batch_size=4, optimizer=SGD(lr=0.1),
            progress=False)
    with pytest.raises(TypeError, match="step"):
        fit(model, (x, labels), epochs=1, batch_size=4, optimizer="adam", progress=False)


# ---------------------------------------------------------------- evaluation


def test_predict_accuracy_and_evaluate_agree_with_one_big_batch():
    x, labels = _random_data(50, seed=3)
    model = lenet5("modern", seed=1)
    logits = model.forward(x)
    expected_pred = logits.argmax(axis=1)
    expected_loss = model.loss(x, labels)
    np.testing.assert_array_equal(predict(model, x, batch_size=16), expected_pred)
    assert accuracy(model, x, labels, batch_size=7) == np.mean(expected_pred == labels)
    loss, acc = evaluate(model, (x, labels), batch_size=16)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert acc == np.mean(expected_pred == labels)


# ---------------------------------------------------------------- MNIST entry points


def test_train_mnist_on_a_subset_returns_model_and_history(shared_data):
    model, history = train_mnist("dense", epochs=1, subset=1000, batch_size=32, progress=False)
    assert history.epochs == 1
    assert history.test_acc[0] > 0.7
    assert model.num_params() == dense_net().num_params()


def test_cli_prints_accuracy_and_time(shared_data, capsys, tmp_path):
    code = main(["--model", "dense", "--epochs", "1", "--subset", "500", "--no-progress",
                 "--save", str(tmp_path / "dense.npz")])
    out = capsys.readouterr().out
    assert code == 0
    assert "test accuracy" in out and "s of training" in out
    assert (tmp_path / "dense.npz").is_file()
