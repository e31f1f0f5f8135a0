"""Train course models on ALL of MNIST and record what was measured (chapter 6 reads it).

For each model (by default the modern LeNet-5 for 5 epochs) the script calls
``cnn_course.train.train_mnist`` on the 60,000 training images (Adam, lr 1e-3, batch 128,
float32, seed 0, one thread) and evaluates the 10,000 test images after every epoch. It writes
the per-epoch test accuracy, training loss and seconds, the total training time, the date and
the machine to ``book/measured/full_training.json`` (which chapter 6 shows) and prints a table.

Run:  .venv/bin/python benchmarks/full_training.py [--models lenet-modern simple-convnet]
                                                   [--epochs 5] [--out PATH]

The data come from ``cnn_course.data`` (``CNN_COURSE_DATA``; if it is unset and the repository
sits beside ``shared/data``, that folder is used: .ci/environment.py).
"""

import runpy
from pathlib import Path

# One thread and CNN_COURSE_DATA, from the one place they are written; before numpy is imported.
runpy.run_path(str(Path(__file__).resolve().parents[1] / ".ci" / "environment.py"))["apply"](pin_kernel=False)

import argparse                       # noqa: E402
import datetime                       # noqa: E402
import json                           # noqa: E402
import os                             # noqa: E402
import platform                       # noqa: E402

import numpy as np                    # noqa: E402

from cnn_course.models import build_model   # noqa: E402
from cnn_course.train import train_mnist    # noqa: E402
from cnn_course.widgets.timing import cpu_model  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "book" / "measured" / "full_training.json"


def run(name, epochs, seed=0):
    """Train one model on all of MNIST; return a dict of what was measured."""
    model, history = train_mnist(name, epochs, seed=seed, progress=False)
    return {
        "model": name,
        "params": model.num_params(),
        "epochs": epochs,
        "batch_size": 128,
        "optimizer": "adam",
        "lr": 1e-3,
        "seed": seed,
        "train_images": 60000,
        "test_images": 10000,
        "test_acc": [round(a, 4) for a in history.test_acc],
        "train_loss": [round(v, 4) for v in history.train_loss],
        "seconds": [round(s, 1) for s in history.seconds],
        "total_seconds": round(sum(history.seconds), 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["lenet-modern"])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    for name in args.models:
        build_model(name)             # fail early on an unknown name
    runs = []
    for name in args.models:
        result = run(name, args.epochs)
        runs.append(result)
        print(f"{name}: test accuracy per epoch {result['test_acc']}, "
              f"{result['total_seconds']} s of training")
    record = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {cpu_model()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "threads": 1,
        "command": "python benchmarks/full_training.py " + " ".join(
            ["--models", *args.models, "--epochs", str(args.epochs)]),
        "runs": runs,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
