"""One LeNet-5 training step: cnn_course's numpy layers against PyTorch eager on the CPU.

Two numpy networks, the same function:
- "layers": LeNet-5 built from separate layers as a user writes it: Conv2D(1, 6, 5, padding 2),
  ReLU, MaxPool2D(2), Conv2D(6, 16, 5), ReLU, MaxPool2D(2), Flatten, Dense(400, 120), ReLU,
  Dense(120, 84), ReLU, Dense(84, 10) (its convolutions take the polyphase path of
  ``cnn_course.fast``);
- "fused": ``cnn_course.models.lenet5("modern")``, whose Conv-ReLU-MaxPool blocks are fused
  ``ConvReLUPool2D`` layers;
against the same network in PyTorch eager. A step is forward + softmax cross-entropy +
backward + a plain SGD update, float32, on a batch of 1x28x28 images, with one thread for both
libraries. All start from the same weights and see the same data; the script checks that the
first losses agree before timing.

Run:  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/bench_lenet_step.py
          [--batch 256] [--reps 30] [--no-save]

Prints the median step time of each, the ratios ours / torch (lower is better), the OpenBLAS
kernel numpy ran (threadpoolctl) and a per-layer table (median CPU ms of every layer's forward
and backward, numpy and torch, for the layer-by-layer network). Writes the results to
book/measured/lenet_step.json (chapter 5 shows them) unless --no-save. Needs torch (not a
course dependency): without it the script says so and exits 0.
"""

import os
import runpy
from pathlib import Path

# One thread, from the one place it is written (.ci/environment.py), before numpy is imported;
# the OpenBLAS kernel is left to numpy (run with OPENBLAS_CORETYPE unset: benchmarks/README.md).
runpy.run_path(str(Path(__file__).resolve().parents[1] / ".ci" / "environment.py"))["apply"](
    pin_kernel=False)

import argparse                       # noqa: E402
import datetime                       # noqa: E402
import json                           # noqa: E402
import platform                       # noqa: E402
import statistics                     # noqa: E402
import sys                            # noqa: E402
import time                           # noqa: E402

import numpy as np                    # noqa: E402

from cnn_course.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU  # noqa: E402
from cnn_course.models import Sequential, lenet5  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "book" / "measured" / "lenet_step.json"

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


def layer_by_layer(seed=0):
    """The modern LeNet-5 from separate layers, as a user writes it (same weights as
    ``lenet5("modern", seed=seed)``: the same draws in the same order)."""
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2D.create(1, 6, 5, padding=2, rng=rng), ReLU(), MaxPool2D(2),
        Conv2D.create(6, 16, 5, rng=rng), ReLU(), MaxPool2D(2),
        Flatten(),
        Dense.create(400, 120, rng=rng), ReLU(),
        Dense.create(120, 84, rng=rng), ReLU(),
        Dense.create(84, 10, rng=rng),
    )


def torch_layer_times(torch, model, x, labels, reps):
    """Median CPU ms of every torch module's forward and backward, run one module at a time
    (each module's input is a fresh leaf, so its backward is timed alone)."""
    clock = time.thread_time
    fwd = {i: [] for i in range(len(model))}
    bwd = {i: [] for i in range(len(model))}
    for _ in range(reps):
        h, saved = x, []
        for i, m in enumerate(model):
            h = h.detach().requires_grad_(i > 0)
            t0 = clock()
            out = m(h)
            fwd[i].append(clock() - t0)
            saved.append((h, out))
            h = out
        loss = torch.nn.functional.cross_entropy(h, labels)
        g = torch.autograd.grad(loss, h)[0]
        for i in reversed(range(len(model))):
            inp, out = saved[i]
            t0 = clock()
            if i > 0:
                g = torch.autograd.grad(out, inp, g)[0]
            else:
                out.backward(g)
            bwd[i].append(clock() - t0)
    return ([statistics.median(v) * 1e3 for v in fwd.values()],
            [statistics.median(v) * 1e3 for v in bwd.values()])


def blas_kernel():
    """(OpenBLAS version, kernel) numpy runs, from threadpoolctl (None if unavailable)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None, None
    for lib in threadpool_info():
        if lib.get("internal_api") == "openblas" and "numpy" in lib.get("filepath", ""):
            return lib.get("version"), lib.get("architecture")
    return None, None


def cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--reps", type=int, default=30, help="timed steps of each (interleaved)")
    parser.add_argument("--no-save", action="store_true", help="do not write " + OUT.name)
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
    nets = {"layers": layer_by_layer(seed=0), "fused": lenet5("modern", seed=0)}
    tmodel = build_torch(torch, nets["layers"].layers)
    opt = torch.optim.SGD(tmodel.parameters(), lr=LR)
    tx, tlabels = torch.from_numpy(x), torch.from_numpy(labels)

    # Same weights, same data: the first losses must agree (float32 round-off only). The
    # three models take the same first step, so they stay in step.
    first = {name: numpy_step(net.layers, net.loss_layer, x, labels)
             for name, net in nets.items()}
    first["torch"] = torch_step(torch, tmodel, opt, tx, tlabels)
    if max(abs(v - first["torch"]) for v in first.values()) > 1e-4 * max(1.0, first["torch"]):
        print(f"loss mismatch: {first}")
        return 1

    # Warm-up: OpenBLAS runs small products slowly until one large product has run.
    big = np.ones((1024, 1024), np.float32)
    big @ big
    steps = {name: (lambda net=net: numpy_step(net.layers, net.loss_layer, x, labels))
             for name, net in nets.items()}
    steps["torch"] = lambda: torch_step(torch, tmodel, opt, tx, tlabels)
    for _ in range(3):
        for step in steps.values():
            step()

    # Interleaved, so drifts in the machine's speed hit all alike. Wall-clock time is what a
    # user waits; CPU time of this thread leaves out time spent waiting for a core on a busy
    # machine (all run on this one thread), so it is the steadier of the two.
    wall = {name: [] for name in steps}
    cpu = {name: [] for name in steps}
    for _ in range(args.reps):
        for name, step in steps.items():
            w0, c0 = time.perf_counter(), time.thread_time()
            step()
            cpu[name].append(time.thread_time() - c0)
            wall[name].append(time.perf_counter() - w0)
    timings = {name: {} for name in nets}
    for _ in range(args.reps):
        for name, net in nets.items():
            numpy_step(net.layers, net.loss_layer, x, labels, timings[name])
    t_fwd, t_bwd = torch_layer_times(torch, tmodel, tx, tlabels, args.reps)

    med = {kind: {k: statistics.median(v) * 1e3 for k, v in d.items()}
           for kind, d in (("wall", wall), ("cpu", cpu))}
    version, kernel = blas_kernel()
    load = os.getloadavg()[0]
    print(f"LeNet-5 training step, batch {args.batch}, float32, 1 thread, {args.reps} reps")
    print(f"numpy {np.__version__} (OpenBLAS {version}, kernel {kernel}), torch "
          f"{torch.__version__}, python {platform.python_version()}")
    print(f"{cpu_name()}, {os.cpu_count()} cores, load average {load:.1f}")
    print("first-step loss: " + ", ".join(f"{k} {v:.6f}" for k, v in first.items()))
    print("median ms per step          wall-clock   CPU time   ratio (wall, CPU)")
    labels_ = {"layers": "numpy, separate layers", "fused": "numpy, lenet5 (fused)",
               "torch": "PyTorch eager"}
    ratios = {}
    for name in steps:
        line = f"{labels_[name]:<26} {med['wall'][name]:10.2f} {med['cpu'][name]:10.2f}"
        if name != "torch":
            ratios[name] = {kind: med[kind][name] / med[kind]["torch"] for kind in med}
            line += f"   {ratios[name]['wall']:.2f}  {ratios[name]['cpu']:.2f}"
        print(line)

    rows = []
    layers = nets["layers"].layers
    for i, layer in enumerate(layers):
        f = statistics.median(timings["layers"][f"{i:2d} forward  {layer!r}"]) * 1e3
        b = statistics.median(timings["layers"][f"{i:2d} backward {layer!r}"]) * 1e3
        rows.append({"layer": repr(layer), "numpy_forward_ms": round(f, 3),
                     "numpy_backward_ms": round(b, 3), "torch_forward_ms": round(t_fwd[i], 3),
                     "torch_backward_ms": round(t_bwd[i], 3)})
    fused_rows = []
    for i, layer in enumerate(nets["fused"].layers):
        f = statistics.median(timings["fused"][f"{i:2d} forward  {layer!r}"]) * 1e3
        b = statistics.median(timings["fused"][f"{i:2d} backward {layer!r}"]) * 1e3
        fused_rows.append({"layer": repr(layer), "numpy_forward_ms": round(f, 3),
                           "numpy_backward_ms": round(b, 3)})
    print("\nper layer, median CPU ms (separate layers; torch module by module):")
    print(f"  {'layer':<52} {'numpy fwd':>9} {'torch fwd':>9} {'numpy bwd':>9} "
          f"{'torch bwd':>9}")
    for r in rows:
        print(f"  {r['layer']:<52} {r['numpy_forward_ms']:9.2f} {r['torch_forward_ms']:9.2f} "
              f"{r['numpy_backward_ms']:9.2f} {r['torch_backward_ms']:9.2f}")
    print("\nper layer, median CPU ms (lenet5 with fused blocks):")
    for r in fused_rows:
        print(f"  {r['layer']:<52} {r['numpy_forward_ms']:9.2f} {r['numpy_backward_ms']:9.2f}")

    if not args.no_save:
        result = {
            "date": datetime.date.today().isoformat(), "cpu": cpu_name(),
            "cores": os.cpu_count(), "load_average": round(load, 2),
            "numpy": np.__version__, "openblas": version, "openblas_kernel": kernel,
            "torch": torch.__version__, "python": platform.python_version(),
            "batch": args.batch, "reps": args.reps, "threads": 1, "dtype": "float32",
            "step_ms": {kind: {k: round(v, 3) for k, v in med[kind].items()} for kind in med},
            "ratio": {k: {kind: round(v, 3) for kind, v in r.items()}
                      for k, r in ratios.items()},
            "layers": rows, "fused_layers": fused_rows,
        }
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(result, indent=1) + "\n")
        print(f"\nwrote {OUT.relative_to(OUT.parents[2])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
