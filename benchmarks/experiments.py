"""Chapter 6's measured experiments: train, evaluate, store the results (chapter 6 shows them).

One sub-command per experiment; each writes ``book/measured/<name>.json`` (date, machine,
numpy version, threads = 1, the command, and what was measured), which
``cnn_course.topics.experiments`` reads and shows:

  lr-schedule     the modern LeNet-5 for 5 epochs on all of MNIST with Adam: constant lr 1e-3,
                  cosine decay from 3e-3, step decay from 2e-3 (halved every epoch); saves the
                  cosine run's weights to book/measured/lenet_modern_trained.npz
  ablation        LeNet-5 with sigmoid/ReLU x avg/max pooling x classic/He initialisation,
                  trained on a class-balanced subset (default 15,000 images, 2 epochs, 2 seeds)
  augmentation    the modern LeNet-5 trained with and without random shifts of +-2 pixels,
                  tested on clean, shifted and rotated test images
  weidman         Weidman's one-convolution-layer network, one epoch (SGD with momentum)
  simple-convnet  Saito's SimpleConvNet, Adam lr 1e-3, batch 100 (as Saito), 5 epochs

Run (the machine is shared: nice; the OpenBLAS variables as for the other benchmarks):

  nice -n 10 env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \\
      .venv/bin/python benchmarks/experiments.py lr-schedule [--out-dir DIR]

The data come from ``cnn_course.data`` (``CNN_COURSE_DATA``, or ``../shared/data``).
"""

import runpy
import sys
from pathlib import Path

# One thread and CNN_COURSE_DATA, from the one place they are written; before numpy is imported.
runpy.run_path(str(Path(__file__).resolve().parents[1] / ".ci" / "environment.py"))["apply"](pin_kernel=False)

import argparse                       # noqa: E402
import datetime                       # noqa: E402
import json                           # noqa: E402
import os                             # noqa: E402
import platform                       # noqa: E402
import time                           # noqa: E402

import numpy as np                    # noqa: E402

from cnn_course.data import load_mnist                      # noqa: E402
from cnn_course.models import build_model                   # noqa: E402
from cnn_course.optim import Adam, Momentum                 # noqa: E402
from cnn_course.topics.experiments import (MEASURED, ablation_lenet, random_shift,  # noqa: E402
                                           weidman_net)
from cnn_course.topics.inspect_model import transform_digit  # noqa: E402
from cnn_course.topics.invariance import shift_image        # noqa: E402
from cnn_course.train import accuracy, cosine_schedule, fit, step_schedule  # noqa: E402
from cnn_course.widgets.timing import cpu_model             # noqa: E402


def header(argv):
    return {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {cpu_model()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "threads": 1,
        "command": "python benchmarks/experiments.py " + " ".join(argv),
    }


def write(out_dir, name, record):
    # how busy the shared machine was (1-minute load average on os.cpu_count() cores):
    # the times are wall-clock times of one thread and grow with the load
    record["load_average_at_end"] = round(os.getloadavg()[0], 1)
    path = Path(out_dir) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {path}", flush=True)


def r4(values):
    return [round(float(v), 4) for v in values]


# -- 1. learning-rate schedules ------------------------------------------------------------------

SCHEDULES = {
    "constant": ("constant lr 1e-3", 1e-3, lambda epochs: None),
    "cosine": ("cosine from 3e-3", 3e-3, lambda epochs: cosine_schedule(3e-3, epochs)),
    "step": ("step from 2e-3, x0.5 per epoch", 2e-3, lambda epochs: step_schedule(2e-3, 1, 0.5)),
}


def lr_schedule(args, argv):
    train, test = load_mnist("train"), load_mnist("test")
    record = {**header(argv), "runs": []}
    for name in args.schedules:
        label, lr, make = SCHEDULES[name]
        schedule = make(args.epochs)
        model = build_model("lenet-modern", seed=args.seed)
        history = fit(model, train, test, epochs=args.epochs, batch_size=128,
                      optimizer=Adam(lr=lr), seed=args.seed, progress=False,
                      lr_schedule=schedule)
        epoch_lr = [lr if schedule is None else schedule(e) for e in range(args.epochs)]
        record["runs"].append({
            "schedule": name, "label": label, "model": "lenet-modern",
            "params": model.num_params(), "epochs": args.epochs, "batch_size": 128,
            "optimizer": "adam", "lr": lr, "epoch_lr": [float(f"{v:.4g}") for v in epoch_lr],
            "seed": args.seed, "train_images": len(train.labels),
            "test_images": len(test.labels),
            "test_acc": r4(history.test_acc), "train_loss": r4(history.train_loss),
            "seconds": [round(s, 1) for s in history.seconds],
            "total_seconds": round(sum(history.seconds), 1)})
        print(f"{label}: {record['runs'][-1]['test_acc']}", flush=True)
        if name == "cosine":
            weights = Path(args.out_dir) / "lenet_modern_trained.npz"
            model.save(weights)
            record["weights"] = {"file": weights.name, "schedule": name,
                                 "test_acc": record["runs"][-1]["test_acc"][-1]}
            print(f"saved {weights}", flush=True)
        write(args.out_dir, "lr_schedule", record)      # after every run: partial results kept


# -- 2. ablation -----------------------------------------------------------------------------------

def ablation(args, argv):
    train = load_mnist("train", subset=args.subset, seed=0)
    test = load_mnist("test")
    record = {**header(argv), "epochs": args.epochs, "seeds": args.seeds, "lr": args.lr,
              "batch_size": 128, "optimizer": "adam", "train_images": len(train.labels),
              "test_images": len(test.labels), "runs": []}
    start = time.perf_counter()
    for activation in ("sigmoid", "relu"):
        for pooling in ("avg", "max"):
            for init in ("classic", "he"):
                accs, secs = [], []
                for seed in args.seeds:
                    model = ablation_lenet(activation, pooling, init, seed=seed)
                    h = fit(model, train, test, epochs=args.epochs, batch_size=128,
                            optimizer=Adam(lr=args.lr), seed=seed, progress=False)
                    accs.append(h.test_acc)
                    secs.append(sum(h.seconds))
                run = {"activation": activation, "pooling": pooling, "init": init,
                       "test_acc": [r4(a) for a in accs],
                       "test_acc_mean": r4(np.mean(accs, axis=0)),
                       "final_acc": r4([a[-1] for a in accs]),
                       "final_acc_mean": round(float(np.mean([a[-1] for a in accs])), 4),
                       "seconds": round(sum(secs), 1)}
                record["runs"].append(run)
                print(f"{activation:8}{pooling:5}{init:8} {run['test_acc_mean']}", flush=True)
    record["total_seconds"] = round(time.perf_counter() - start, 1)
    write(args.out_dir, "ablation", record)


# -- 3. augmentation -------------------------------------------------------------------------------

def _shifted(images, size, rng):
    """Every image shifted by `size` pixels in one of 8 random directions."""
    dirs = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
    pick = rng.integers(0, len(dirs), size=len(images))
    out = np.empty_like(images)
    for k, (dy, dx) in enumerate(dirs):
        m = pick == k
        out[m] = shift_image(images[m], dy * size, dx * size)
    return out


def _rotated(images, angle, rng):
    """Every image rotated by +angle or -angle degrees (a random sign per image)."""
    sign = rng.integers(0, 2, size=len(images))
    out = np.empty_like(images)
    for s, a in ((0, -angle), (1, angle)):
        m = sign == s
        out[m] = transform_digit(images[m], angle=a)
    return out


def augmentation(args, argv):
    train, test = load_mnist("train"), load_mnist("test")
    rng = np.random.default_rng(1234)
    test_sets = {"clean": test.images}
    for size in (1, 2, 3, 4):
        test_sets[f"shifted by {size} px"] = _shifted(test.images, size, rng)
    for angle in (10, 20, 30):
        test_sets[f"rotated by {angle} deg"] = _rotated(test.images, angle, rng)
    record = {**header(argv), "epochs": args.epochs, "lr": 1e-3, "batch_size": 128,
              "max_shift": args.max_shift, "train_images": len(train.labels),
              "test_images": len(test.labels), "test_sets": list(test_sets), "runs": []}
    for augment in (False, True):
        model = build_model("lenet-modern", seed=args.seed)
        opt = Adam(lr=1e-3)
        seconds = 0.0
        for epoch in range(args.epochs):
            x = (random_shift(train.images, args.max_shift, rng=[args.seed, epoch])
                 if augment else train.images)
            h = fit(model, (x, train.labels), epochs=1, batch_size=128, optimizer=opt,
                    seed=1000 * args.seed + epoch, progress=False)
            seconds += h.seconds[0]
        acc = {name: round(accuracy(model, x, test.labels), 4) for name, x in test_sets.items()}
        label = f"shifted +-{args.max_shift} px" if augment else "no augmentation"
        record["runs"].append({"augment": augment, "label": label, "accuracy": acc,
                               "seconds": round(seconds, 1)})
        print(label, acc, flush=True)
    write(args.out_dir, "augmentation", record)


# -- 4. Weidman's network ------------------------------------------------------------------------

def weidman(args, argv):
    train, test = load_mnist("train"), load_mnist("test")
    model = weidman_net(seed=args.seed)
    h = fit(model, train, test, epochs=1, batch_size=60,
            optimizer=Momentum(lr=0.01, momentum=0.9), seed=args.seed, progress=False)
    layers = " - ".join(type(layer).__name__ for layer in model)
    run = {"layers": "Conv2D(1->32, 5x5, padding 2) - Tanh - Flatten - Dense(25088->10)",
           "layer_types": layers, "params": model.num_params(), "epochs": 1, "batch_size": 60,
           "optimizer": "momentum", "lr": 0.01, "momentum": 0.9, "seed": args.seed,
           "init": "glorot", "dropout": None, "train_images": len(train.labels),
           "test_images": len(test.labels), "test_acc": round(h.test_acc[0], 4),
           "train_loss": round(h.train_loss[0], 4), "seconds": round(h.seconds[0], 1)}
    record = {**header(argv), "book_acc": 90.50,
              "book": "Weidman, Deep Learning from Scratch, ch. 5: 90.50 % after one epoch "
                      "(32 channels, Tanh, dropout 0.8, SGD with momentum 0.9, lr 0.01)",
              "run": run}
    print(run, flush=True)
    write(args.out_dir, "weidman", record)


# -- 5. SimpleConvNet ----------------------------------------------------------------------------

def simple_convnet(args, argv):
    train, test = load_mnist("train"), load_mnist("test")
    model = build_model("simple-convnet", seed=args.seed)
    h = fit(model, train, test, epochs=args.epochs, batch_size=args.batch_size,
            optimizer=Adam(lr=1e-3), seed=args.seed, progress=False)
    run = {"model": "simple-convnet", "params": model.num_params(), "epochs": args.epochs,
           "batch_size": args.batch_size, "optimizer": "adam", "lr": 1e-3, "seed": args.seed,
           "train_images": len(train.labels), "test_images": len(test.labels),
           "train_loss": r4(h.train_loss), "train_acc": r4(h.train_acc),
           "test_acc": r4(h.test_acc), "seconds": [round(s, 1) for s in h.seconds]}
    print(run, flush=True)
    write(args.out_dir, "simple_convnet", {**header(argv), "run": run})


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", default=str(MEASURED))
    sub = parser.add_subparsers(dest="experiment", required=True)
    p = sub.add_parser("lr-schedule")
    p.add_argument("--schedules", nargs="+", choices=list(SCHEDULES),
                   default=["cosine", "constant", "step"])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("ablation")
    p.add_argument("--subset", type=int, default=15000)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--lr", type=float, default=1e-3)
    p = sub.add_parser("augmentation")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--max-shift", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("weidman")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("simple-convnet")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=100)         # as Saito
    p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    shown = [a for a in argv if not a.startswith("--out-dir") and a != args.out_dir]
    {"lr-schedule": lr_schedule, "ablation": ablation, "augmentation": augmentation,
     "weidman": weidman, "simple-convnet": simple_convnet}[args.experiment](args, shown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
