"""Training: mini-batches, the fit loop, evaluation and a command line for MNIST.

>>> from cnn_course.data import load_mnist
>>> from cnn_course.models import lenet5
>>> from cnn_course.optim import Adam
>>> history = fit(lenet5("modern"), load_mnist("train", subset=2000), load_mnist("test"),
...               epochs=2, batch_size=128, optimizer=Adam(lr=1e-3), seed=0)
>>> history.test_acc[-1]

One epoch shuffles the training set with a generator seeded from ``seed`` and the epoch number,
then for each mini-batch runs forward, loss, backward and one optimiser step. Same model seed,
same data and same ``seed`` give the same history, number for number (only the times differ).

From a shell: ``python -m cnn_course.train --model lenet-modern --epochs 1``.
"""

import argparse
import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from cnn_course._validation import as_int
from cnn_course.data import load_dataset
from cnn_course.models import MODELS, build_model
from cnn_course.optim import SGD, Adam, Momentum

__all__ = ["History", "batches", "iterate_minibatches", "predict", "accuracy", "evaluate", "fit",
           "cosine_schedule", "step_schedule", "OPTIMIZERS", "make_optimizer", "train_mnist",
           "main"]


@dataclass
class History:
    """What ``fit`` measured, one entry per epoch.

    - train_loss: mean cross-entropy over the epoch's mini-batches (weighted by batch size)
    - train_acc: accuracy on the training batches as they were seen during the epoch
    - test_acc: accuracy on the test data after the epoch (empty without test data)
    - seconds: wall-clock time of the epoch's training pass (evaluation not included)
    """

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    @property
    def epochs(self):
        """Number of epochs recorded."""
        return len(self.train_loss)

    def as_dict(self):
        """Return the lists as a plain dict (e.g. for json or a DataFrame)."""
        return {"train_loss": list(self.train_loss), "train_acc": list(self.train_acc),
                "test_acc": list(self.test_acc), "seconds": list(self.seconds)}


def _split(data, name):
    """Return (x, labels) from a Dataset or an (x, labels) pair, checking shapes."""
    try:
        x, labels = data
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an (images, labels) pair, "
                        f"got {type(data).__name__}") from None
    if not isinstance(x, np.ndarray) or not isinstance(labels, np.ndarray):
        raise TypeError(f"{name} must hold numpy arrays, got {type(x).__name__} and "
                        f"{type(labels).__name__}")
    if labels.ndim != 1 or len(labels) != len(x):
        raise ValueError(f"{name}: labels must have shape (N,) with N = len(images); "
                         f"got images {x.shape} and labels {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name}: labels must be integers, got {labels.dtype}")
    return x, labels


def _check_dtype(model, x, name):
    dtype = getattr(model, "dtype", None)
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{name} has dtype {x.dtype} but the model's parameters are {dtype}; "
                        f"convert with .astype(np.{dtype})")


def batches(n, batch_size, *, shuffle=False, rng=None):
    """Yield index arrays that split range(n) into mini-batches of ``batch_size``.

    The last batch holds the remainder (it may be smaller). With shuffle=True the order is a
    permutation drawn from ``rng`` (a numpy Generator, or a seed).
    """
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    order = np.random.default_rng(rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def iterate_minibatches(x, labels, batch_size, *, shuffle=False, rng=None):
    """Yield (x_batch, labels_batch) pairs; see ``batches``.

    Inputs:
    - x: array of shape (N, C, H, W)
    - labels: int array of shape (N,)
    """
    for idx in batches(len(x), batch_size, shuffle=shuffle, rng=rng):
        yield x[idx], labels[idx]


def predict(model, x, *, batch_size=1000):
    """Return the predicted class of each image: int64 array of shape (N,).

    Inputs:
    - x: array of shape (N, C, H, W), the model's dtype
    """
    _check_dtype(model, x, "x")
    out = np.empty(len(x), dtype=np.int64)
    for idx in batches(len(x), batch_size):
        out[idx] = model.forward(x[idx]).argmax(axis=1)
    return out


def accuracy(model, x, labels, *, batch_size=1000):
    """Return the fraction of images whose predicted class equals the label (a float)."""
    return float(np.mean(predict(model, x, batch_size=batch_size) == labels))


def evaluate(model, data, *, batch_size=1000):
    """Return (mean loss, accuracy) of a model on a dataset.

    Inputs:
    - data: a Dataset or an (images, labels) pair
    """
    x, labels = _split(data, "data")
    _check_dtype(model, x, "data")
    total_loss, correct = 0.0, 0
    for idx in batches(len(x), batch_size):
        logits = model.forward(x[idx])
        total_loss += float(model.loss_layer.forward(logits, labels[idx])) * len(idx)
        correct += int(np.sum(logits.argmax(axis=1) == labels[idx]))
    return total_loss / len(x), correct / len(x)


def cosine_schedule(lr, epochs, *, lr_min=0.0):
    """Return a cosine learning-rate schedule for ``fit``: a function t -> learning rate.

    lr(t) = lr_min + (lr - lr_min) * (1 + cos(pi * t / epochs)) / 2, where t is the position
    in training counted in epochs (0.5 is half-way through the first epoch): ``lr`` at the
    start, ``lr_min`` at the end of the last epoch, falling smoothly in between.

    >>> schedule = cosine_schedule(3e-3, 5)
    >>> schedule(0.0), schedule(2.5)
    (0.003, 0.0015)
    """
    lr = _positive(lr, "lr")
    epochs = _positive(epochs, "epochs")
    if not isinstance(lr_min, numbers.Real) or isinstance(lr_min, bool) or not 0 <= lr_min <= lr:
        raise ValueError(f"lr_min must be a number in [0, lr], got {lr_min!r}")

    def schedule(t):
        t = min(max(float(t), 0.0), epochs)
        return lr_min + (lr - lr_min) * (1 + math.cos(math.pi * t / epochs)) / 2
    return schedule


def step_schedule(lr, step_epochs, gamma=0.1):
    """Return a step-decay schedule for ``fit``: ``lr`` times gamma**(whole epochs // step_epochs).

    >>> step_schedule(2e-3, 2, 0.5)(4.5)
    0.0005
    """
    lr = _positive(lr, "lr")
    step_epochs = as_int(step_epochs, "step_epochs", minimum=1)
    gamma = _positive(gamma, "gamma")

    def schedule(t):
        return lr * gamma ** (int(t) // step_epochs)
    return schedule


def _positive(value, name):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def fit(model, train_data, test_data=None, *, epochs, batch_size, optimizer, seed=0,
        progress=True, lr_schedule=None):
    """Train ``model`` with mini-batch gradient descent; return a History.

    Inputs:
    - model: a Sequential (forward, loss, backward, params, grads)
    - train_data: a Dataset or (images, labels): images (N, C, H, W) in the model's dtype,
      labels int (N,)
    - test_data: the same form, evaluated after each epoch; or None
    - epochs: number of passes over train_data
    - batch_size: images per optimiser step
    - optimizer: an optimiser from cnn_course.optim; it updates model.params in place
    - seed: seeds the shuffling (epoch e uses the generator seeded with (seed, e))
    - progress: show a tqdm progress bar per epoch (notebook or terminal)
    - lr_schedule: None (keep ``optimizer.lr``), or a function t -> learning rate, where t is
      the position in training in epochs (epoch e, batch b of n: t = e + b / n); before each
      step ``optimizer.lr`` is set to lr_schedule(t). See ``cosine_schedule``, ``step_schedule``.

    Returns a History with per-epoch train_loss, train_acc, test_acc and seconds.
    """
    x, labels = _split(train_data, "train_data")
    _check_dtype(model, x, "train_data")
    if test_data is not None:
        x_test, labels_test = _split(test_data, "test_data")
        _check_dtype(model, x_test, "test_data")
    epochs = as_int(epochs, "epochs", minimum=0)
    batch_size = as_int(batch_size, "batch_size", minimum=1)
    if not hasattr(optimizer, "step"):
        raise TypeError(f"optimizer must have a step(params, grads) method, "
                        f"got {type(optimizer).__name__}")
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(f"lr_schedule must be a function of the epoch position t, "
                        f"got {type(lr_schedule).__name__}")
    n_batches = -(-len(x) // batch_size)
    history = History()
    for epoch in range(epochs):
        rng = np.random.default_rng([seed, epoch])
        bar = tqdm(total=n_batches, desc=f"epoch {epoch + 1}/{epochs}", unit="batch",
                   disable=not progress, leave=True)
        total_loss, correct = 0.0, 0
        start = time.perf_counter()
        with bar:
            for b, (xb, yb) in enumerate(iterate_minibatches(x, labels, batch_size,
                                                              shuffle=True, rng=rng)):
                if lr_schedule is not None:
                    optimizer.lr = _positive(lr_schedule(epoch + b / n_batches),
                                             "lr_schedule(t)")
                logits = model.forward(xb)
                loss = model.loss_layer.forward(logits, yb)
                model.backward()
                optimizer.step(model.params, model.grads)
                total_loss += float(loss) * len(yb)
                correct += int(np.sum(logits.argmax(axis=1) == yb))
                bar.update(1)
                bar.set_postfix(loss=f"{float(loss):.4f}", refresh=False)
            seconds = time.perf_counter() - start
            history.train_loss.append(total_loss / len(x))
            history.train_acc.append(correct / len(x))
            history.seconds.append(seconds)
            if test_data is not None:
                history.test_acc.append(accuracy(model, x_test, labels_test))
            postfix = {"loss": f"{history.train_loss[-1]:.4f}",
                       "train_acc": f"{history.train_acc[-1]:.4f}"}
            if history.test_acc:
                postfix["test_acc"] = f"{history.test_acc[-1]:.4f}"
            bar.set_postfix(postfix)
    return history


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name, lr):
    """Return an optimiser by name ("sgd", "momentum", "adam") with learning rate ``lr``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose from {sorted(OPTIMIZERS)}")
    return OPTIMIZERS[name](lr=lr)


def train_mnist(model="lenet-modern", epochs=5, *, subset=None, dataset="mnist", batch_size=128,
                optimizer="adam", lr=1e-3, seed=0, progress=True, data_dir=None):
    """Train a course model on MNIST (or Fashion-MNIST); return (model, history).

    The whole test split (10,000 images) is evaluated after every epoch.

    Inputs:
    - model: a model name ("lenet-modern", "lenet-classic", "simple-convnet", "dense") or a
      model object
    - epochs: passes over the training images
    - subset: None for all 60,000 training images, or n for a class-balanced subset
    - dataset: "mnist" or "fashion-mnist"
    - batch_size, optimizer ("sgd", "momentum", "adam" or an optimiser object), lr: training
    - seed: seeds the model's initial weights (for a name), the subset and the shuffling
    - progress: show progress bars
    - data_dir: where the dataset files are (see cnn_course.data)
    """
    if isinstance(model, str):
        model = build_model(model, seed=seed)
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer, lr)
    train = load_dataset(dataset, "train", subset=subset, seed=seed, data_dir=data_dir)
    test = load_dataset(dataset, "test", data_dir=data_dir)
    history = fit(model, train, test, epochs=epochs, batch_size=batch_size,
                  optimizer=optimizer, seed=seed, progress=progress)
    return model, history


def main(argv=None):
    """Command line: train a model on MNIST and print its accuracy and time per epoch."""
    parser = argparse.ArgumentParser(prog="python -m cnn_course.train", description=main.__doc__)
    parser.add_argument("--model", default="lenet-modern", choices=sorted(MODELS))
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    parser.add_argument("--subset", type=int, default=None,
                        help="train on a class-balanced subset of this many images")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--optimizer", default="adam", choices=sorted(OPTIMIZERS))
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.add_argument("--save", metavar="PATH", help="save the trained parameters (.npz)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    model, history = train_mnist(args.model, args.epochs, subset=args.subset,
                                 dataset=args.dataset, batch_size=args.batch_size,
                                 optimizer=args.optimizer, lr=args.lr, seed=args.seed,
                                 progress=not args.no_progress)
    print(f"{args.model} on {args.dataset}, {model.num_params():,} parameters, "
          f"{args.optimizer} lr={args.lr}, batch {args.batch_size}")
    print("epoch  train_loss  train_acc  test_acc  seconds")
    for e in range(history.epochs):
        print(f"{e + 1:>5}  {history.train_loss[e]:>10.4f}  {history.train_acc[e]:>9.4f}  "
              f"{history.test_acc[e]:>8.4f}  {history.seconds[e]:>7.1f}")
    print(f"test accuracy {history.test_acc[-1]:.4f} after {history.epochs} epoch(s), "
          f"{sum(history.seconds):.1f} s of training")
    if args.save:
        model.save(args.save)
        print(f"saved parameters to {args.save}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
