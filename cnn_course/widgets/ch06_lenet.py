"""Figures and explorers for chapter 6 (LeNet).

Explorers (one notebook cell each):

- ``lenet_inspector(model, images, labels)``: pick a test digit, shift and rotate it with
  sliders, and see the feature maps of every stage of LeNet (a few channels each) and the
  predicted probabilities as bars. A ``Scene``: set up once, then only image data and bar
  heights change.
- ``training_curve_viewer(histories)``: pick a run (model and dataset) and a metric (loss or
  accuracy) and see its curve per epoch.

Static figures (return a matplotlib Figure; end the notebook cell with ``plt.show()``):
``plot_filters``, ``plot_stage_maps``, ``plot_confusion``, ``plot_misclassified``,
``plot_curves``.
"""

import matplotlib.pyplot as plt
import numpy as np

from cnn_course.models import layer_name
from cnn_course.topics.inspect_model import (feature_maps, model_steps, predict_proba,
                                             transform_digit)
from cnn_course.widgets.core import (Dropdown, InteractiveFigure, Scene, Slider,
                                     freeze_background)
from cnn_course.widgets.draw import number_grid, panel_off, panel_title
from cnn_course.widgets.style import BLUE, FONT, VERMILLION, set_alt

__all__ = ["lenet_inspector", "training_curve_viewer", "plot_filters", "plot_stage_maps",
           "plot_confusion", "plot_misclassified", "plot_curves", "plot_history", "lenet_stages"]


def lenet_stages(model):
    """Indices and names of the steps worth looking at: each activation and pooling step.

    The indices count the steps of ``inspect_model.model_steps`` (a fused Conv-ReLU-MaxPool
    block counts as its three steps), i.e. they index the list ``feature_maps`` returns.
    Returns a list of (index, name) such as (1, "conv1 + ReLU"), (2, "pool1: MaxPool2D 2x2"),
    ...; the layers are named by ``models.layer_name``.
    """
    steps = [layer for _, layer in model_steps(model)]
    stages, conv = [], 0
    for i, layer in enumerate(steps):
        kind = type(layer).__name__
        if kind == "Conv2D":
            conv += 1
        elif kind in ("ReLU", "Sigmoid", "Tanh") and conv and i > 0 and \
                type(steps[i - 1]).__name__ == "Conv2D":
            stages.append((i, f"conv{conv} + {layer_name(layer)}"))
        elif kind in ("MaxPool2D", "AvgPool2D"):
            stages.append((i, f"pool{conv}: {layer_name(layer)}"))
    return stages


# -- the LeNet inspector ---------------------------------------------------------------------


def _mosaic(maps, gap=None):
    """Channels (C, H, W) side by side in one (H, C*W + gaps) image, each scaled to [0, 1];
    the gaps are NaN (drawn white)."""
    C, H, W = maps.shape
    gap = max(1, W // 7) if gap is None else gap
    out = np.full((H, C * W + (C - 1) * gap), np.nan)
    for c in range(C):
        m = maps[c].astype(np.float64)
        span = m.max() - m.min()
        out[:, c * (W + gap):c * (W + gap) + W] = (m - m.min()) / span if span > 0 else 0.0
    return out


class _InspectorScene(Scene):
    def __init__(self, model, images, labels, channels, class_names):
        self.model = model
        self.images = [np.asarray(im, dtype=model.dtype).reshape(28, 28) for im in images]
        self.labels = list(labels)
        self.channels = channels
        self.class_names = class_names
        self.stages = lenet_stages(model)

    def setup(self, fig):
        rows, cols = len(self.stages), self.channels
        grid = fig.add_gridspec(rows, cols + 3, width_ratios=[1.6] + [1] * cols + [0.3, 2.2],
                                left=0.02, right=0.98, top=0.91, bottom=0.08,
                                wspace=0.08, hspace=0.5)
        # Image panels have no axis at all (ticks, spines and axis titles are what make
        # matplotlib slow); their labels are figure texts.
        self.ax_in = fig.add_subplot(grid[:2, 0])
        self.im_in = self.ax_in.imshow(np.zeros((28, 28)), cmap="gray_r", vmin=0, vmax=1,
                                       interpolation="nearest")
        panel_off(self.ax_in)
        panel_title(fig, self.ax_in, "input", fontsize=FONT["small"], pad=0.01)
        # One image per stage: its channels side by side (a mosaic), each scaled to [0, 1].
        # The stages' shapes do not depend on the digit: panels and labels are laid out once.
        shapes = {i: out.shape for i, (_, out) in
                  enumerate(feature_maps(self.model, np.zeros((1, 1, 28, 28), self.model.dtype)))}
        self.maps = []
        cmap = plt.get_cmap("viridis").with_extremes(bad="white")
        for r, (i, name) in enumerate(self.stages):
            ax = fig.add_subplot(grid[r, 1:cols + 1])
            panel_off(ax)
            ax.set_anchor("W")
            _, C, H, W = shapes[i]
            h, w = _mosaic(np.zeros((min(cols, C), H, W))).shape
            self.maps.append(ax.imshow(np.zeros((h, w)), cmap=cmap, vmin=0, vmax=1,
                                       interpolation="nearest", aspect="equal"))
            panel_title(fig, ax, f"{name}; channels 0-{cols - 1} of {C}, each {H}x{W}",
                        ha="left", fontsize=FONT["small"], pad=0.01)
        self.ax_bar = fig.add_subplot(grid[:, cols + 2])
        k = len(self.class_names)
        self.bars = self.ax_bar.barh(np.arange(k), np.zeros(k), color="0.6")
        self.ax_bar.set_yticks(np.arange(k), self.class_names, fontsize=FONT["small"])
        self.ax_bar.set_xlim(0, 1)
        self.ax_bar.set_xticks([0, 0.5, 1], ["0", ".5", "1"])
        self.ax_bar.invert_yaxis()
        panel_title(fig, self.ax_bar, "P(class)", fontsize=FONT["small"], pad=0.01)
        self.ax_bar.tick_params(axis="x", labelsize=FONT["small"])
        # The prediction is named in words beside its bar (right or wrong), not by colour only.
        self.verdict = self.ax_bar.text(0, 0, "", va="center", ha="left",
                                        fontsize=FONT["small"], clip_on=False)
        # Labels, class names and ticks are drawn once; the spines lie above the bars.
        freeze_background(fig, [self.im_in, *self.maps, *self.bars, self.verdict,
                                *self.ax_bar.spines.values()])

    def update(self, digit, shift, angle):
        image = transform_digit(self.images[digit], shift=(0, shift), angle=angle)
        x = image[None, None]
        outputs = feature_maps(self.model, x)
        self.im_in.set_data(image)
        for im, (i, _) in zip(self.maps, self.stages):
            im.set_data(_mosaic(outputs[i][1][0][:self.channels]))
        probs = predict_proba(self.model, x)[0]
        pred = int(probs.argmax())
        right = pred == self.labels[digit]
        for j, bar in enumerate(self.bars):
            bar.set_width(probs[j])
            bar.set_color(BLUE if j == pred == self.labels[digit] else
                          VERMILLION if j == pred else "0.6")
            bar.set_hatch("" if right or j != pred else "///")
            bar.set_edgecolor("white")
        self.verdict.set_text("pred ✓" if right else "pred ✗")
        self.verdict.set_position((min(probs[pred], 0.62) + 0.03, pred))
        return (f"label {self.labels[digit]}, shifted {shift:+d} px, rotated {angle:+d} deg: "
                f"predicted {self.class_names[pred]} with probability {probs[pred]:.2f}")


def _shift_text(s):
    side = "right" if s > 0 else "left"
    return f"shift: {abs(s)} pixel{'s' if abs(s) != 1 else ''} {side}" if s else "shift: none"


def _angle_text(a):
    turn = "counter-clockwise" if a > 0 else "clockwise"
    return f"angle: {abs(a)} degrees {turn}" if a else "angle: upright"


def lenet_inspector(model, images, labels, *, channels=4, shifts=range(-6, 7),
                    angles=range(-60, 61, 5), class_names=None):
    """Explorer: a digit, shifted and rotated, through every stage of a trained LeNet.

    Inputs:
    - model: a trained LeNet-5 (a Sequential); images: a few digits (M, 1, 28, 28) or
      (M, 28, 28); labels: their M labels
    - channels: how many channels of each stage to show
    - shifts, angles: slider values (pixels to the right, degrees counter-clockwise); the static
      book keeps 5 of each
    - class_names: names of the K classes (default "0".."9")
    """
    images = np.asarray(images)
    labels = [int(v) for v in labels]
    names = list(class_names) if class_names is not None else [str(k) for k in range(10)]
    shifts, angles = list(shifts), list(angles)
    scene = _InspectorScene(model, images, labels, channels, names)
    digit_options = {f"digit {i} (label {names[v]})": i for i, v in enumerate(labels)}
    controls = {
        "digit": Dropdown(digit_options, description="digit"),
        "shift": Slider(shifts, value=0, description="shift (px)",
                        static_values=[s for s in (-6, -3, 0, 3, 6) if s in shifts],
                        texts=[_shift_text(s) for s in shifts]),
        "angle": Slider(angles, value=0, description="angle (deg)",
                        static_values=[a for a in (-60, -30, 0, 30, 60) if a in angles],
                        texts=[_angle_text(a) for a in angles]),
    }
    return InteractiveFigure(scene, controls, title="LeNet inspector: feature maps and "
                             "probabilities of a shifted, rotated digit", figsize=(9.0, 4.2))


# -- the training-curve viewer ---------------------------------------------------------------


def training_curve_viewer(histories):
    """Explorer: the curve of one training run, loss or accuracy per epoch.

    Inputs:
    - histories: dict {run name: History} (e.g. "lenet-modern on MNIST")
    """
    if not histories:
        raise ValueError("training_curve_viewer: histories is empty")
    runs = list(histories)

    def draw(fig, run, metric):
        h = histories[run]
        ax = fig.add_subplot(1, 1, 1)
        epochs = np.arange(1, h.epochs + 1)
        if metric == "loss":
            ax.plot(epochs, h.train_loss, "o-", label="training loss")
            ax.set_ylabel("cross-entropy")
            ax.set_ylim(0, 1.08 * max(h.train_loss))   # a flat curve stays inside the box
            last = f"last training loss {h.train_loss[-1]:.4f}"
        else:
            ax.plot(epochs, h.train_acc, "o-", label="training accuracy")
            if h.test_acc:
                ax.plot(epochs, h.test_acc, "s--", label="test accuracy")
            ax.set_ylabel("accuracy")
            ax.set_ylim(0, 1.02)
            last = f"last test accuracy {h.test_acc[-1]:.4f}" if h.test_acc else ""
        ax.set_xlabel("epoch")
        ax.set_xticks(epochs)
        ax.legend(loc="best", fontsize=FONT["small"])
        ax.tick_params(labelsize=FONT["small"])
        ax.xaxis.label.set_fontsize(FONT["normal"])
        ax.yaxis.label.set_fontsize(FONT["normal"])
        ax.grid(alpha=0.3)
        fig.subplots_adjust(left=0.15, right=0.97, top=0.95, bottom=0.17)
        return f"{run}: {last}"

    controls = {"run": Dropdown(runs, description="run"),
                "metric": Dropdown(["loss", "accuracy"], description="metric")}
    return InteractiveFigure(draw, controls, title="training curves of the chapter's runs",
                             figsize=(5.6, 3.2))


# -- static figures --------------------------------------------------------------------------


def plot_filters(weights, titles):
    """Rows of first-layer filters, e.g. before and after training.

    Inputs:
    - weights: list of arrays of shape (FN, C, FH, FW) (only channel 0 is shown)
    - titles: one title per row
    """
    n = max(w.shape[0] for w in weights)
    fig, axes = plt.subplots(len(weights), n, figsize=(1.1 * n + 0.6, 1.25 * len(weights)),
                             squeeze=False)
    for r, (W, title) in enumerate(zip(weights, titles)):
        for c in range(n):
            ax = axes[r, c]
            panel_off(ax, frame=True)
            if c < W.shape[0]:
                ax.imshow(W[c, 0], cmap="gray_r")
                ax.set_title(f"{c}", fontsize=FONT["small"])
        axes[r, 0].set_ylabel(title, fontsize=FONT["small"])
    fig.tight_layout()
    return set_alt(fig, f"{len(weights)} rows of {n} first-layer filters (channel 0 of each), "
                   "in grey levels (dark: large weight), one row each: "
                   + ", ".join(str(t) for t in titles) + ".")


def plot_stage_maps(model, image, *, channels=6):
    """The input digit and the feature maps of every conv/pool stage of a LeNet (a few channels)."""
    outputs = feature_maps(model, np.asarray(image, dtype=model.dtype).reshape(1, 1, 28, 28))
    stages = lenet_stages(model)
    fig, axes = plt.subplots(len(stages), channels + 1,
                             figsize=(1.25 * (channels + 1), 1.3 * len(stages)), squeeze=False)
    for r, (i, name) in enumerate(stages):
        out = outputs[i][1][0]
        for c in range(channels + 1):
            ax = axes[r, c]
            panel_off(ax, frame=True)
            if c == 0:
                if r == 0:
                    ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r")
                    ax.set_title("input", fontsize=FONT["small"])
                else:
                    panel_off(ax)
                continue
            if c - 1 < out.shape[0]:
                ax.imshow(out[c - 1], cmap="viridis")
            if c == 1:
                short = name.split()[0].rstrip(":")    # "conv1", "pool1": fits the row
                ax.set_ylabel(f"{short}\n{out.shape[1]}x{out.shape[2]}", fontsize=FONT["small"])
            if r == 0:
                ax.set_title(f"channel {c - 1}", fontsize=FONT["small"])
    fig.tight_layout()
    return set_alt(fig, f"The input digit, then {channels} channels of the feature maps of each "
                   "stage of the network, one row per stage (" + "; ".join(
                       name for _, name in stages) + "); bright: strong activation. The maps "
                   "get smaller and more abstract stage by stage.")


def plot_confusion(matrix, class_names=None, *, title="confusion matrix"):
    """A confusion matrix as an image with the counts written in the cells."""
    matrix = np.asarray(matrix)
    k = matrix.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(k)]
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    # shaded by log(1 + count), so that the few errors show beside the many correct ones
    number_grid(ax, np.log1p(matrix), cmap="Blues", numbers=np.where(matrix, matrix, np.nan),
                fontsize=FONT["small"], text_color="auto", line_color=None)
    ax.set_xticks(range(k), names, fontsize=FONT["small"],
                  rotation=45 if len(max(names, key=len)) > 2 else 0,
                  ha="right" if len(max(names, key=len)) > 2 else "center")
    ax.set_yticks(range(k), names, fontsize=FONT["small"])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title, fontsize=FONT["title"])
    fig.tight_layout()
    total, right = int(matrix.sum()), int(np.trace(matrix))
    off = matrix - np.diag(np.diag(matrix))
    i, j = np.unravel_index(off.argmax(), off.shape)
    worst = (f" The most frequent error: true {names[i]} predicted as {names[j]} "
             f"({int(off[i, j])} times).") if off.max() else ""
    return set_alt(fig, f"{title}: a {k}x{k} grid of counts, true class (rows) against "
                   f"predicted class (columns); {right} of {total} on the diagonal (correct)."
                   + worst)


def plot_misclassified(images, labels, predictions, confidences, *, ncols=8, class_names=None):
    """A grid of wrongly classified digits titled "true -> predicted (confidence)"."""
    n = len(images)
    names = list(class_names) if class_names is not None else [str(i) for i in range(10)]
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.05 * ncols, 1.5 * nrows), squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        panel_off(ax, frame=k < n)
        if k >= n:
            continue
        ax.imshow(np.asarray(images[k]).reshape(28, 28), cmap="gray_r")
        ax.set_title(f"{names[labels[k]]} -> {names[predictions[k]]}\n({confidences[k]:.2f})",
                     fontsize=FONT["small"])
    fig.tight_layout()
    pairs = ", ".join(f"{names[labels[k]]} as {names[predictions[k]]}" for k in range(n))
    return set_alt(fig, f"{n} misclassified digits, each titled true -> predicted class "
                   f"(confidence): {pairs}.")


def plot_history(history):
    """One run's training curves: its loss per epoch (left) and its training and test accuracy
    per epoch (right), from a ``cnn_course.train.History``."""
    fig, (loss, acc) = plt.subplots(1, 2, figsize=(8, 2.8))
    epochs = np.arange(1, history.epochs + 1)
    loss.plot(epochs, history.train_loss, "o-")
    loss.set(xlabel="epoch", ylabel="training loss", xticks=epochs)
    acc.plot(epochs, history.train_acc, "o-", label="train")
    acc.plot(epochs, history.test_acc, "s--", label="test")
    acc.set(xlabel="epoch", ylabel="accuracy", xticks=epochs)
    acc.legend()
    fig.tight_layout()
    return set_alt(fig, f"Two line plots over {history.epochs} epochs. Left: the training "
                   f"loss, from {history.train_loss[0]:.3f} to {history.train_loss[-1]:.3f}. "
                   f"Right: training and test accuracy, ending at {history.train_acc[-1]:.3f} "
                   f"and {history.test_acc[-1] if history.test_acc else float('nan'):.3f}.")


def plot_curves(histories, *, metric="test_acc", ylabel="test accuracy"):
    """One line per run: a History attribute (default test accuracy) against the epoch."""
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    for name, h in histories.items():
        values = getattr(h, metric)
        ax.plot(np.arange(1, len(values) + 1), values, "o-", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=FONT["small"])
    fig.tight_layout()
    last = "; ".join(f"{name}: {getattr(h, metric)[-1]:.3f}" for name, h in histories.items())
    return set_alt(fig, f"Line plot of {ylabel} against the epoch, one line per run. "
                   f"Last values: {last}.")
