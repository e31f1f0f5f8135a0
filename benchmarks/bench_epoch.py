"""One training epoch over all 60,000 MNIST images, on one thread.

For each model (modern LeNet-5 and SimpleConvNet by default) the script trains one epoch with
Adam (lr 1e-3), float32, mini-batches of 128, through ``cnn_course.train.fit``, then measures
the accuracy on the 10,000 test images. It prints the epoch time, the target time, their ratio
(time / target: <= 1.0 meets the target) and the test accuracy. It also prints the process's CPU
time for the epoch and its ratio: on a machine whose cores other processes share, wall-clock time
overstates the cost and CPU time is the fairer measure.

Targets: LeNet-5 (modern) <= 12 s, SimpleConvNet <= 25 s per epoch.

Run:  .venv/bin/python benchmarks/bench_epoch.py [--models lenet-modern simple-convnet]
                                                 [--batch-size 128]

The data come from ``cnn_course.data`` (``CNN_COURSE_DATA``; if it is unset and the repository
sits beside ``shared/data``, that folder is used: .ci/environment.py).
"""

import runpy
from pathlib import Path

# One thread and CNN_COURSE_DATA, from the one place they are written; before numpy is imported.
runpy.run_path(str(Path(__file__).resolve().parents[1] / ".ci" / "environment.py"))["apply"](pin_kernel=False)

import argparse                       # noqa: E402
import platform                       # noqa: E402
import time                           # noqa: E402

import numpy as np                    # noqa: E402

from cnn_course.data import load_mnist           # noqa: E402
from cnn_course.models import build_model        # noqa: E402
from cnn_course.optim import Adam                # noqa: E402
from cnn_course.train import accuracy, fit       # noqa: E402

TARGETS = {"lenet-modern": 12.0, "simple-convnet": 25.0}


def warm_up(train):
    """Run one large product and a few training steps so BLAS and caches are warm."""
    a = np.ones((1024, 1024), dtype=np.float32)
    a @ a
    for name in TARGETS:
        small = (train.images[:512], train.labels[:512])
        fit(build_model(name, seed=1), small, epochs=1, batch_size=128, optimizer=Adam(),
            seed=1, progress=False)


def main(argv=None):
    """Time one epoch per model and print time, target, ratio and test accuracy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(TARGETS))
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    train, test = load_mnist("train"), load_mnist("test")
    print(f"loaded MNIST ({len(train.labels)} train, {len(test.labels)} test images) "
          f"in {time.perf_counter() - t0:.1f} s")
    print(f"numpy {np.__version__}, Python {platform.python_version()}, one thread, float32, "
          f"Adam lr=1e-3, batch {args.batch_size}")
    warm_up(train)

    header = (f"{'model':<15} {'wall s':>7} {'cpu s':>7} {'target':>7} {'ratio':>6} "
              f"{'cpu ratio':>9} {'test acc':>9}")
    print(header)
    print("-" * len(header))
    for name in args.models:
        model = build_model(name, seed=0)
        cpu = time.process_time()
        history = fit(model, train, epochs=1, batch_size=args.batch_size,
                      optimizer=Adam(lr=1e-3), seed=0, progress=False)
        cpu = time.process_time() - cpu
        wall = history.seconds[0]
        acc = accuracy(model, test.images, test.labels)
        target = TARGETS.get(name)
        shown = f"{target:.0f} s" if target else "-"
        ratio = f"{wall / target:.2f}" if target else "-"
        cpu_ratio = f"{cpu / target:.2f}" if target else "-"
        print(f"{name:<15} {wall:>7.2f} {cpu:>7.2f} {shown:>7} {ratio:>6} {cpu_ratio:>9} "
              f"{acc:>9.4f}")
    print("ratio = wall-clock seconds / target (<= 1.0 meets it); cpu ratio uses the process's "
          "CPU time,\nwhich is the better measure when other processes share the cores.")

if __name__ == "__main__":
    main()
