"""Chapter 6's measured experiments: the networks they train and the tables that show them.

Each experiment is a precomputed run of ``benchmarks/experiments.py`` (minutes of training on
one CPU thread, too long for a book build), stored as ``book/measured/<name>.json``; the
functions here read those files and turn them into text tables or a figure:

- ``lr_schedule``     the modern LeNet-5, 5 epochs of Adam with a constant learning rate, a
                      cosine decay and a step decay            -> ``schedule_table``
- ``ablation``        activation x pooling x initialisation of LeNet-5 -> ``ablation_table``
- ``augmentation``    training on randomly shifted digits, tested on shifted and rotated ones
                                                               -> ``augmentation_table``
- ``weidman``         Weidman's one-convolution-layer network, one epoch -> ``weidman_summary``
- ``simple_convnet``  Saito's SimpleConvNet trained with Adam  -> ``simple_convnet_table``,
                      ``plot_accuracy``

The table functions return a str (``print(schedule_table())``), at most ``WIDTH`` columns
wide; each takes the dict of ``load_result(name)``, or loads it when given None. Every stored
file records its date, machine, numpy version, thread count (1) and the command that made it;
every table ends with that record. The trained weights of the cosine run are
``book/measured/lenet_modern_trained.npz`` (``trained_lenet`` loads them).

The builders the script trains are here too, so a reader can rerun one piece:
``ablation_lenet`` (LeNet-5 with a chosen activation, pooling and initialisation),
``weidman_net`` and ``random_shift`` (the augmentation).
"""

import json
import textwrap
from pathlib import Path

import numpy as np

from cnn_course.layers import (AvgPool2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sigmoid,
                               Tanh)
from cnn_course.models import Sequential, lenet5
from cnn_course.topics.invariance import shift_image

__all__ = ["WIDTH", "MEASURED", "WEIGHTS", "load_result", "trained_lenet", "ablation_lenet",
           "weidman_net", "random_shift", "schedule_table", "ablation_table", "augmentation_table",
           "weidman_summary", "simple_convnet_table", "plot_accuracy"]

#: The widest line of a table (the chapter's code output fits 74 columns).
WIDTH = 74
#: Where ``benchmarks/experiments.py`` stores its results.
MEASURED = Path(__file__).resolve().parents[2] / "book" / "measured"
#: The modern LeNet-5 trained with the cosine schedule (an .npz of ``model.params``).
WEIGHTS = MEASURED / "lenet_modern_trained.npz"


def load_result(name, folder=None):
    """Return the stored result ``book/measured/<name>.json`` (or ``folder/<name>.json``) as a
    dict."""
    path = Path(folder or MEASURED) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"no stored result {path}; run benchmarks/experiments.py "
                                f"{name.replace('_', '-')} (see benchmarks/README.md)")
    return json.loads(path.read_text(encoding="utf-8"))


def _result(result, name):
    return load_result(name) if result is None else result


def trained_lenet(path=None):
    """Return the modern LeNet-5 with the stored trained weights (``WEIGHTS``) loaded."""
    model = lenet5("modern")
    model.load(Path(path or WEIGHTS))
    return model


# -- the networks ------------------------------------------------------------------------------

def ablation_lenet(activation="relu", pooling="max", init="he", *, seed=0, dtype=np.float32):
    """Return LeNet-5 (layer by layer, 12 layers) with one choice of each ingredient.

    Conv(1->6, 5x5, pad 2) - act - pool - Conv(6->16, 5x5) - act - pool - Flatten -
    Dense(400->120) - act - Dense(120->84) - act - Dense(84->10).

    Inputs:
    - activation: "sigmoid" or "relu"
    - pooling: "avg" or "max" (2x2, stride 2)
    - init: "classic" (normal, std sqrt(1 / fan_in)) or "he" (std sqrt(2 / fan_in))
    - seed: seeds the weights; dtype: float32 or float64

    ablation_lenet("sigmoid", "avg", "classic") is ``lenet5("classic")`` and
    ablation_lenet("relu", "max", "he") computes what ``lenet5("modern")`` computes, with the
    same weights for the same seed.
    """
    acts = {"sigmoid": Sigmoid, "relu": ReLU}
    pools = {"avg": AvgPool2D, "max": MaxPool2D}
    inits = {"classic": 1.0, "he": 2.0}            # variance times fan_in
    for value, options, name in ((activation, acts, "activation"), (pooling, pools, "pooling"),
                                 (init, inits, "init")):
        if value not in options:
            raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}")
    act, pool, gain = acts[activation], pools[pooling], inits[init]
    rng = np.random.default_rng(seed)

    def conv(c_in, c_out, padding=0):          # std sqrt(gain / fan_in), fan_in = C*FH*FW
        return Conv2D.create(c_in, c_out, 5, padding=padding, init=np.sqrt(gain / (c_in * 25)),
                             rng=rng, dtype=dtype)

    def dense(d_in, d_out):
        return Dense.create(d_in, d_out, init=np.sqrt(gain / d_in), rng=rng, dtype=dtype)

    return Sequential(conv(1, 6, padding=2), act(), pool(2, stride=2),
                      conv(6, 16), act(), pool(2, stride=2), Flatten(),
                      dense(400, 120), act(), dense(120, 84), act(), dense(84, 10))


def weidman_net(out_channels=32, *, seed=0, dtype=np.float32):
    """Return Weidman's one-convolution-layer MNIST network (*Deep Learning from Scratch*,
    Weidman, ch. 5), without its dropout:

    Conv(1->32, 5x5, padding 2, Glorot weights) - Tanh - Flatten - Dense(32*28*28 -> 10).

    The convolution has 32*5*5 + 32 = 832 parameters and makes 25,088 features; the dense
    layer 250,890. Input: (N, 1, 28, 28); output: logits (N, 10).
    """
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2D.create(1, out_channels, 5, padding=2, init="glorot", rng=rng, dtype=dtype),
        Tanh(), Flatten(),
        Dense.create(out_channels * 28 * 28, 10, init="glorot", rng=rng, dtype=dtype))


def random_shift(images, max_shift=2, *, rng=None):
    """Shift every image by its own random whole-pixel offset (dy, dx), each in
    [-max_shift, max_shift], filling with zeros (``invariance.shift_image``): data
    augmentation.

    Inputs:
    - images: array of shape (N, C, H, W)
    - max_shift: the largest shift in either direction, in pixels
    - rng: a numpy Generator or a seed

    Returns an array of the same shape and dtype.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"random_shift: images must have shape (N, C, H, W), got {images.shape}")
    rng = np.random.default_rng(rng)
    offsets = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    out = np.empty_like(images)
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            pick = (offsets[:, 0] == dy) & (offsets[:, 1] == dx)
            if pick.any():
                out[pick] = shift_image(images[pick], dy, dx)
    return out


# -- the tables --------------------------------------------------------------------------------

def _record(result):
    """The closing lines of every table: when, where, how."""
    return (f"Measured on {result['date']} on the build machine, one thread, numpy "
            f"{result['numpy']}\n({result['machine']}),\nby: {result['command']}")


def _fill(text):
    """Wrap a table's note to the width of the chapter's tables (74 columns)."""
    return textwrap.fill(text, width=WIDTH)


def _load(result):
    """', machine shared: load average L' when the file records it."""
    load = result.get("load_average_at_end")
    return "" if load is None else f"; the machine was shared, load average {load:.0f} at the end"


def _span(values):
    lo, hi = min(values), max(values)
    return f"{lo:.0f}" if round(lo) == round(hi) else f"{lo:.0f} to {hi:.0f}"


def _epochs(n):
    return f"{n} epoch" + ("" if n == 1 else "s")


def _pct(a):
    return f"{100 * a:.2f}"


_SCHEDULE_NAMES = {"constant": "constant", "cosine": "cosine decay",
                   "step": "step, x0.5/epoch"}


def _schedule_name(run):
    return _SCHEDULE_NAMES.get(run["schedule"], run["schedule"])


def schedule_table(result=None):
    """The ``lr_schedule`` result as text: for each schedule its first learning rate, the test
    accuracy (%) after every epoch and the training time; then the learning rate at the start
    of each epoch.

    ``result``: the dict of ``load_result("lr_schedule")`` (loaded when None)."""
    result = _result(result, "lr_schedule")
    runs = result["runs"]
    epochs = len(runs[0]["test_acc"])
    eps = "".join(f"{'ep ' + str(e + 1):>8}" for e in range(epochs))
    lines = ["test accuracy (%) after each epoch",
             f"{'schedule':<17}{'lr':>7}" + eps]
    for run in runs:
        lines.append(f"{_schedule_name(run):<17}{run['lr']:>7.0e}"
                     + "".join(f"{_pct(a):>8}" for a in run["test_acc"]))
    lines += ["", "learning rate at the start of each epoch",
              f"{'schedule':<24}" + eps]
    for run in runs:
        lines.append(f"{_schedule_name(run):<24}"
                     + "".join(f"{lr:>8.1e}" for lr in run["epoch_lr"]))
    first = runs[0]
    lines += ["", _fill(f"Modern LeNet-5, Adam, batch {first['batch_size']}, all "
                        f"{first['train_images']:,} training images, tested on all "
                        f"{first['test_images']:,} test images, seed {first['seed']}; "
                        "the schedules set the learning rate before every step. Training "
                        f"took {_span([r['total_seconds'] for r in runs])} s per schedule "
                        "(wall clock, one thread; the build machine was shared with other "
                        "jobs, which stretches the times, not the accuracies)."),
              _record(result)]
    return "\n".join(lines)


def ablation_table(result=None):
    """The ``ablation`` result as text: one row per (activation, pooling, initialisation),
    best first, with the test accuracy (%) after each epoch and the mean over seeds.

    ``result``: the dict of ``load_result("ablation")`` (loaded when None)."""
    result = _result(result, "ablation")
    runs = sorted(result["runs"], key=lambda r: -r["final_acc_mean"])
    epochs = result["epochs"]
    lines = [f"{'activation':<12}{'pooling':<9}{'init':<9}"
             + "".join(f"{'ep ' + str(e + 1):>8}" for e in range(epochs))
             + f"{'final, per seed':>20}"]
    for run in runs:
        per_seed = ", ".join(_pct(a) for a in run["final_acc"])
        lines.append(f"{run['activation']:<12}{run['pooling']:<9}{run['init']:<9}"
                     + "".join(f"{_pct(a):>8}" for a in run["test_acc_mean"])
                     + f"{per_seed:>20}")
    lines += ["", _fill(f"Test accuracy (%) on all {result['test_images']:,} test images, "
                        f"mean over seeds {', '.join(map(str, result['seeds']))} (the last "
                        f"column: each seed); trained on a class-balanced subset of "
                        f"{result['train_images']:,} MNIST training images, Adam lr "
                        f"{result['lr']:g}, batch {result['batch_size']}; "
                        f"{result['total_seconds']:.0f} s in all (wall clock, one thread"
                        + _load(result) + ")."),
              _record(result)]
    return "\n".join(lines)


def augmentation_table(result=None):
    """The ``augmentation`` result as text: accuracy (%) of the network trained without and
    with random shifts, on the clean, shifted and rotated test images.

    ``result``: the dict of ``load_result("augmentation")`` (loaded when None)."""
    result = _result(result, "augmentation")
    tests = result["test_sets"]
    runs = result["runs"]
    lines = [f"{'test images':<26}" + "".join(f"{run['label']:>20}" for run in runs)]
    for name in tests:
        lines.append(f"{name:<26}" + "".join(f"{_pct(run['accuracy'][name]):>20}" for run in runs))
    lines += ["", _fill(f"Modern LeNet-5, {_epochs(result['epochs'])} of Adam lr {result['lr']:g}, "
                        f"batch {result['batch_size']}, all {result['train_images']:,} training "
                        f"images. Augmentation: every training image shifted by its own random "
                        f"offset of -{result['max_shift']} to {result['max_shift']} pixels "
                        "in rows and in columns, drawn anew each epoch. Tests: all "
                        f"{result['test_images']:,} "
                        "test images, each shifted by the row's number of pixels in one of 8 "
                        "random directions, or rotated by the row's angle one way or the "
                        "other."),
              _record(result)]
    return "\n".join(lines)


def weidman_summary(result=None):
    """The ``weidman`` result as text: the network, its accuracy after one epoch and the
    time, beside the accuracy Weidman's book reports.

    ``result``: the dict of ``load_result("weidman")`` (loaded when None)."""
    result = _result(result, "weidman")
    run = result["run"]
    return "\n".join([
        f"Weidman's one-convolution-layer network, {run['params']:,} parameters:",
        f"  {run['layers']}",
        f"one epoch ({run['train_images']:,} images), SGD with momentum "
        f"{run['momentum']}, lr {run['lr']}, batch {run['batch_size']}:",
        f"  test accuracy after one epoch: {_pct(run['test_acc'])} %",
        f"  training time: {run['seconds']:.1f} s (wall clock, one thread)",
        *([f"  (the machine was shared: load average {result['load_average_at_end']:.0f} "
           "at the end)"] if "load_average_at_end" in result else []),
        f"Weidman's book reports {result['book_acc']:.2f} % for the same network with dropout",
        "(kept fraction 0.8; this engine has no dropout layer, so it is left out).",
        "", _record(result)])


def simple_convnet_table(result=None):
    """The ``simple_convnet`` result as text: SimpleConvNet's train and test accuracy (%) and
    its time after each epoch.

    ``result``: the dict of ``load_result("simple_convnet")`` (loaded when None)."""
    result = _result(result, "simple_convnet")
    run = result["run"]
    lines = [f"{'epoch':>5}{'train loss':>12}{'train acc':>11}{'test acc':>10}{'seconds':>9}"]
    for e, (loss, tr, te, s) in enumerate(zip(run["train_loss"], run["train_acc"],
                                               run["test_acc"], run["seconds"]), 1):
        lines.append(f"{e:>5}{loss:>12.4f}{_pct(tr):>11}{_pct(te):>10}{s:>9.1f}")
    lines += ["", _fill(f"SimpleConvNet (Saito, ch. 7; {run['params']:,} parameters), Adam lr "
                        f"{run['lr']:g}, batch {run['batch_size']}, all "
                        f"{run['train_images']:,} training images; train accuracy over the "
                        "batches as they were seen during the epoch; seconds: wall clock, one "
                        "thread" + _load(result) + "."),
              _record(result)]
    return "\n".join(lines)


def plot_accuracy(result=None, ax=None):
    """Plot SimpleConvNet's train and test accuracy (%) against the epoch from the
    ``simple_convnet`` result; return the matplotlib Figure (the notebook ends with
    ``plt.show()``; it may add alt text with ``cnn_course.widgets.style.set_alt``).

    Inputs:
    - result: the dict of ``load_result("simple_convnet")`` (loaded when None)
    - ax: a matplotlib Axes to draw into, or None for a new 5.5 x 3.2 inch figure
    """
    result = _result(result, "simple_convnet")
    run = result["run"]
    if ax is None:
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(5.5, 3.2), layout="constrained")
    else:
        fig = ax.figure
    epochs = np.arange(1, len(run["test_acc"]) + 1)
    # Okabe-Ito blue and vermillion (cnn_course.widgets.style.OKABE_ITO), markers as well
    ax.plot(epochs, 100 * np.array(run["train_acc"]), "o-", color="#0072B2", label="train")
    ax.plot(epochs, 100 * np.array(run["test_acc"]), "s--", color="#D55E00", label="test")
    ax.set_xlabel("epoch", fontsize=11)
    ax.set_ylabel("accuracy (%)", fontsize=11)
    ax.set_xticks(epochs)
    ax.tick_params(labelsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=10)
    ax.set_title("SimpleConvNet on MNIST (Adam)", fontsize=11)
    return fig
