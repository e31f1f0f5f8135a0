"""One LeNet-5 training step: cnn_course's numpy layers against PyTorch eager on the CPU.

The model is ``cnn_course.models.lenet5("modern")``: conv 1->6 5x5 pad 2, ReLU, max pool 2,
conv 6->16 5x5, ReLU, max pool 2, flatten, dense 400->120, ReLU, 120->84, ReLU, 84->10, softmax
cross-entropy; its layers train with the fast tier, ``cnn_course.fast``.
A step is forward + backward + a plain SGD update, float32, on a batch of 1x28x28 images,
with one thread for both libraries. Both start from the same weights and see the same data;
the script checks that their losses agree before timing.

Run:  .venv/bin/python benchmarks/bench_lenet_step.py [--batch 256] [--reps 30] [--profile]

Prints the median step time of each and the ratio ours / torch (lower is better; <= 1.0
means the numpy engine is at least as fast). Needs torch (not a course dependency):
without it the script says so and exits 0.
"""

import os
import runpy
from pathlib import Path

# One thread, from the one place it is written (.ci/environment.py), before numpy is imported;
# the OpenBLAS kernel is left to numpy (run with OPENBLAS_CORETYPE unset: benchmarks/README.md).
runpy.run_path(str(Path(__file__).resolve().parents[1] / ".ci" / "environment.py"))["apply"](
    pin_kernel=False)

import argparse                       # noqa: E402
import platform                       # noqa: E402
import statistics                     # noqa: E402
import sys                            # noqa: E402
import time                           # noqa: E402

import numpy as np                    # noqa: E402

from cnn_course.models import lenet5  # noqa: E402

LR = 0.01


def numpy_step(layers, loss, x, labels, timings=None):
    """Forward, backward and an SGD update; returns the loss. Fills timings if given.

    Runs the model's layers one by one (what ``Sequential.forward``/``backward`` do) so that
    each can be timed; the first layer skips its input gradient, as in ``Sequential``.
    """
    clock = time.thread_time
    h = x
    for i, layer in enumerate(layers):
        t0 = clock()
        h = layer.forward(h)
        if timings is not None:
            timings.setdefault(f"{i:2d} forward  {layer!r}", []).append(clock() - t0)
    value = loss.forward(h, labels)
    d = loss.backward()
    for i in reversed(range(len(layers))):
        t0 = clock()
        d = layers[i].backward(d)
        if timings is not None:
            timings.setdefault(f"{i:2d} backward {layers[i]!r}", []).append(clock() - t0)
    for layer in layers:
        for name, p in layer.params.items():
            p -= LR * layer.grads[name]
    return value


def build_torch(torch, layers):
    """The same network in PyTorch, with the weights of our layers copied in."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    ours = [layer for layer in layers if layer.params]
    theirs = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        for a, m in zip(ours, theirs):
            W = a.params["W"] if isinstance(m, nn.Conv2d) else a.params["W"].T
            m.weight.copy_(torch.from_numpy(np.ascontiguousarray(W)))
            m.bias.copy_(torch.from_numpy(a.params["b"]))
    return model


def torch_step(torch, model, opt, x, labels):
    """Eager PyTorch: forward, cross-entropy, backward, SGD update; returns the loss."""
    opt.zero_grad(set_to_none=True)
    value = torch.nn.functional.cross_entropy(model(x), labels)
    value.backward()
    opt.step()
    return value.item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--reps", type=int, default=30, help="timed steps of each (interleaved)")
    parser.add_argument("--profile", action="store_true", help="median time per layer (ours)")
    args = parser.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("PyTorch is not installed, so there is nothing to compare with.\n"
              "Install it (not a course dependency) with: "
              ".venv/bin/pip install torch==2.13.0")
        return 0
    torch.set_num_threads(1)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, 1, 28, 28)).astype(np.float32)
    labels = rng.integers(0, 10, size=args.batch)
    model = lenet5("modern", seed=0)              # float32; its first layer skips dx
    layers, loss = model.layers, model.loss_layer
    model = build_torch(torch, layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    tx, tlabels = torch.from_numpy(x), torch.from_numpy(labels)

    # Same weights, same data: the first losses must agree (float32 round-off only).
    ours0 = numpy_step(layers, loss, x, labels)
    theirs0 = torch_step(torch, model, opt, tx, tlabels)
    if abs(ours0 - theirs0) > 1e-4 * max(1.0, abs(theirs0)):
        print(f"loss mismatch: ours {ours0:.6f}, torch {theirs0:.6f}")
        return 1

    # Warm-up: OpenBLAS runs small products slowly until one large product has run.
    big = np.ones((1024, 1024), np.float32)
    big @ big
    for _ in range(3):
        numpy_step(layers, loss, x, labels)
        torch_step(torch, model, opt, tx, tlabels)

    # Interleaved, so drifts in the machine's speed hit both alike. Wall-clock time is what a
    # user waits; CPU time of this thread leaves out time spent waiting for a core on a busy
    # machine (both libraries run on this one thread), so it is the steadier of the two.
    wall = {"ours": [], "torch": []}
    cpu = {"ours": [], "torch": []}
    steps = {"ours": lambda: numpy_step(layers, loss, x, labels),
             "torch": lambda: torch_step(torch, model, opt, tx, tlabels)}
    for _ in range(args.reps):
        for name, step in steps.items():
            w0, c0 = time.perf_counter(), time.thread_time()
            step()
            cpu[name].append(time.thread_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    timings = {}
    if args.profile:
        for _ in range(args.reps):
            numpy_step(layers, loss, x, labels, timings)

    med = {kind: {k: statistics.median(v) * 1e3 for k, v in d.items()}
           for kind, d in (("wall", wall), ("cpu", cpu))}
    print(f"LeNet-5 training step, batch {args.batch}, float32, 1 thread, {args.reps} reps")
    print(f"numpy {np.__version__}, torch {torch.__version__}, python {platform.python_version()}"
          f", {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print(f"first-step loss: ours {ours0:.6f}, torch {theirs0:.6f}")
    print("median ms per step     wall-clock   CPU time")
    print(f"cnn_course (numpy)   {med['wall']['ours']:10.2f} {med['cpu']['ours']:10.2f}")
    print(f"PyTorch eager        {med['wall']['torch']:10.2f} {med['cpu']['torch']:10.2f}")
    print(f"ratio ours/torch     {med['wall']['ours'] / med['wall']['torch']:10.2f} "
          f"{med['cpu']['ours'] / med['cpu']['torch']:10.2f}")
    if args.profile:
        print("\nper layer (ours, median CPU ms):")
        for name, ts in timings.items():
            print(f"  {statistics.median(ts) * 1e3:7.2f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
