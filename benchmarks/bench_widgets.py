"""Response time of the course's interactive figures: compute + draw + PNG for one update.

    .venv/bin/python benchmarks/bench_widgets.py [--frames 24]

For every explorer the chapters show, this renders a sample of control combinations (the
static grid, every k-th one) after one warm-up render and prints the median and the worst time
of an update, and the median's ratio to the 100 ms goal ("well under 100 ms": ratio < 1).
An update in Jupyter is exactly ``InteractiveFigure.render``: the same call precomputes the
book's frames. One thread, as in the other benchmarks.
"""

import runpy
from pathlib import Path

# One thread and the datasets folder, from the one place they are written (.ci/environment.py).
runpy.run_path(str(Path(__file__).resolve().parents[1] / ".ci" / "environment.py"))["apply"](
    pin_kernel=False)

import argparse  # noqa: E402
import itertools  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from cnn_course import data  # noqa: E402
from cnn_course.topics.images import rgb_shapes  # noqa: E402
from cnn_course.widgets import (ch01_convolution, ch02_padding_stride, ch03_channels,  # noqa: E402
                                ch04_pooling, ch05_implementation, ch06_lenet)
from cnn_course.models import lenet5  # noqa: E402
from cnn_course.train import History  # noqa: E402

GOAL_MS = 100.0


def explorers():
    """(name, InteractiveFigure) for every explorer, built with the chapters' inputs."""
    images, labels = data.load_mnist("test", subset=30, seed=0)
    digit = images[0, 0].astype(np.float64)
    rng = np.random.default_rng(0)
    yield "ch1 sliding_window_explorer", ch01_convolution.sliding_window_explorer(
        rng.integers(0, 4, size=(5, 5)).astype(float), np.array([[1., 0, -1], [1, 0, -1], [1, 0, -1]]))
    yield "ch1 kernel_explorer", ch01_convolution.kernel_explorer(images[:3, 0], [str(d) for d in labels[:3]])
    yield "ch2 padding_stride_explorer", ch02_padding_stride.padding_stride_explorer()
    yield "ch2 window_stepper", ch02_padding_stride.window_stepper(
        rng.integers(0, 10, size=(7, 7)), np.ones((3, 3), dtype=int), padding=0, stride=2)
    yield "ch2 receptive_field_explorer", ch02_padding_stride.receptive_field_explorer()
    yield "ch3 channel_explorer", ch03_channels.channel_explorer(rgb_shapes())
    yield "ch3 block_explorer", ch03_channels.block_explorer()
    yield "ch4 pooling_explorer", ch04_pooling.pooling_explorer(digit)
    yield "ch4 pool_backward_explorer", ch04_pooling.pool_backward_explorer()
    yield "ch5 im2col_explorer", ch05_implementation.im2col_explorer()
    yield "ch5 gradient_flow_explorer", ch05_implementation.gradient_flow_explorer()
    # an untrained LeNet costs the same to run and draw as a trained one
    yield "ch6 lenet_inspector", ch06_lenet.lenet_inspector(lenet5("modern"), images[:3],
                                                            labels[:3])
    yield "ch6 training_curve_viewer", ch06_lenet.training_curve_viewer(_histories())


def _histories():
    """Made-up training curves with the shape of the chapter's (the viewer only draws them)."""
    runs = {}
    for k, name in enumerate(["lenet-modern", "lenet-classic", "dense"]):
        history = History()
        for epoch in range(3):
            history.train_loss.append(2.3 / (epoch + 1 + k))
            history.train_acc.append(0.5 + 0.1 * epoch)
            history.test_acc.append(0.5 + 0.1 * epoch - 0.01 * k)
            history.seconds.append(1.0)
        runs[name] = history
    return runs


def time_updates(figure, n_frames):
    names = list(figure.controls)
    grid = list(itertools.product(*(figure.controls[n].static_values for n in names)))
    step = max(1, len(grid) // n_frames)
    figure.render()  # warm-up: first draw, font cache, frozen backgrounds
    times = []
    for combo in grid[::step][:n_frames]:
        start = time.perf_counter()
        figure.render(**dict(zip(names, combo)))
        times.append(time.perf_counter() - start)
    return np.array(times) * 1000, figure.n_frames


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24, help="updates timed per explorer")
    args = parser.parse_args()
    print(f"{'explorer':32s} {'frames':>6s} {'median ms':>10s} {'worst ms':>9s} {'ratio':>6s}")
    for name, figure in explorers():
        ms, n = time_updates(figure, args.frames)
        print(f"{name:32s} {n:6d} {np.median(ms):10.1f} {ms.max():9.1f} "
              f"{np.median(ms) / GOAL_MS:6.2f}")
    print(f"ratio = median / {GOAL_MS:.0f} ms goal (< 1 meets it)")


if __name__ == "__main__":
    main()
