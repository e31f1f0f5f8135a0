"""One convolution and one max pooling, forward + backward, in each tier of the engine.

Tiers: the loops (``cnn_course.naive``), the reference im2col code chapter 5 derives
(``cnn_course.functional``), the fast twin the layers train with (``cnn_course.fast``) and, when
it is importable, PyTorch eager on the CPU. Sizes are LeNet-like, float32, one thread:

- conv: x (64, 6, 14, 14), W (16, 6, 5, 5), b (16,): LeNet-5's second convolution; backward
  with the input gradient (a layer in the middle of a network needs it)
- max pool: x (64, 6, 28, 28), 2x2 windows, stride 2: LeNet-5's first pooling

The loops are too slow for 64 images: they run on a batch of 2 and their time is scaled per
image (the loops cost the same for every image). Every time is the median over ``--reps``
interleaved repetitions of this thread's CPU time, divided by the batch size: ms per image.

Run:  .venv/bin/python benchmarks/bench_conv_tiers.py [--reps 20] [--out PATH]

Prints a table and writes ``book/measured/conv_tiers.json`` (per-image times, ratios to the
fast tier, versions, CPU model, OpenBLAS kernel, date), which chapter 5 shows as a table
measured on the build machine. ``threadpoolctl`` (optional) names the OpenBLAS kernel.
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

from cnn_course import fast, naive    # noqa: E402
from cnn_course import functional as F  # noqa: E402
from cnn_course.widgets.timing import cpu_model  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "book" / "measured" / "conv_tiers.json"
N, N_NAIVE = 64, 2
CONV = {"x": (N, 6, 14, 14), "W": (16, 6, 5, 5), "stride": 1, "padding": 0}
POOL = {"x": (N, 6, 28, 28), "kernel_size": 2, "stride": 2}
TIERS = ("naive", "reference", "fast", "torch")


# --------------------------------------------------------------------------- one step per tier

def numpy_conv_step(tier, x, W, b, dy):
    """conv2d forward + backward (dx, dW, db) with the tier's own cache."""
    if tier is naive:
        naive.conv2d_naive(x, W, b)
        return naive.conv2d_backward_naive(dy, x, W)
    y, cache = tier.conv2d_forward(x, W, b)
    return tier.conv2d_backward(dy, x, W, cols=cache)


def numpy_pool_step(tier, x, dy):
    """max_pool2d forward + backward."""
    if tier is naive:
        naive.max_pool2d_naive(x, 2, 2)
        return naive.max_pool2d_backward_naive(dy, x, 2, 2)
    y = tier.max_pool2d(x, 2, 2)
    if tier is fast:
        return fast.max_pool2d_backward(dy, x, 2, 2, y=y)
    return tier.max_pool2d_backward(dy, x, 2, 2)


def torch_steps(torch, x, W, b, dy, xp, dyp):
    """The same two steps in PyTorch eager (autograd), as functions of no arguments."""
    tx, tW, tb = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
    tdy, txp, tdyp = torch.from_numpy(dy), torch.tensor(xp, requires_grad=True), \
        torch.from_numpy(dyp)

    def conv():
        for t in (tx, tW, tb):
            t.grad = None
        torch.nn.functional.conv2d(tx, tW, tb).backward(tdy)
        return tx.grad.numpy(), tW.grad.numpy(), tb.grad.numpy()

    def pool():
        txp.grad = None
        torch.nn.functional.max_pool2d(txp, 2, 2).backward(tdyp)
        return txp.grad.numpy()

    return conv, pool


# --------------------------------------------------------------------------- machine facts

def blas_info():
    """The BLAS numpy uses (library, version, kernel), via threadpoolctl when installed."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {"note": "threadpoolctl not installed: kernel unknown"}
    for pool in threadpool_info():
        if pool.get("user_api") == "blas":
            return {k: pool.get(k) for k in ("internal_api", "version", "architecture",
                                             "threading_layer", "num_threads")}
    return {"note": "no BLAS found by threadpoolctl"}


# --------------------------------------------------------------------------- main

def check(tier, got, want, what):
    """Stop if a tier's results disagree with the reference tier's (float32 round-off only)."""
    for g, w in zip(got, want):
        g, w = np.asarray(g, np.float64), np.asarray(w, np.float64)
        gap = np.max(np.abs(g - w)) / max(np.max(np.abs(w)), 1e-30)
        if gap > 1e-4:
            sys.exit(f"{what}: {tier} disagrees with the reference tier (gap {gap:.2e})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="timed repetitions of each tier")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON")
    args = parser.parse_args(argv)

    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None

    rng = np.random.default_rng(0)
    f32 = np.float32
    x, W = rng.standard_normal(CONV["x"]).astype(f32), rng.standard_normal(CONV["W"]).astype(f32)
    b = rng.standard_normal(CONV["W"][0]).astype(f32)
    dy = rng.standard_normal((N, 16, 10, 10)).astype(f32)
    xp = rng.standard_normal(POOL["x"]).astype(f32)
    dyp = rng.standard_normal((N, 6, 14, 14)).astype(f32)

    steps = {  # tier -> (conv step, pool step, batch)
        "naive": (lambda: numpy_conv_step(naive, x[:N_NAIVE], W, b, dy[:N_NAIVE]),
                  lambda: numpy_pool_step(naive, xp[:N_NAIVE], dyp[:N_NAIVE]), N_NAIVE),
        "reference": (lambda: numpy_conv_step(F, x, W, b, dy),
                      lambda: numpy_pool_step(F, xp, dyp), N),
        "fast": (lambda: numpy_conv_step(fast, x, W, b, dy),
                 lambda: numpy_pool_step(fast, xp, dyp), N),
    }
    if torch is not None:
        steps["torch"] = (*torch_steps(torch, x, W, b, dy, xp, dyp), N)

    # The tiers must compute the same thing before their times mean anything.
    for tier, (conv, pool, n) in steps.items():
        check(tier, conv(), numpy_conv_step(F, x[:n], W, b, dy[:n]), "conv")
        check(tier, [pool()], [numpy_pool_step(F, xp[:n], dyp[:n])], "max pool")

    big = np.ones((1024, 1024), f32)
    big @ big                          # OpenBLAS runs small products slowly until then
    times = {(tier, op): [] for tier in steps for op in ("conv", "pool")}
    for rep in range(args.reps + 1):   # the first round is a warm-up
        for tier, (conv, pool, _) in steps.items():
            if tier == "naive" and rep > 3:
                continue               # three timed rounds are plenty for the loops
            for op, fn in (("conv", conv), ("pool", pool)):
                t0 = time.thread_time()
                fn()
                if rep:
                    times[tier, op].append(time.thread_time() - t0)

    ms = {op: {tier: statistics.median(times[tier, op]) * 1e3 / steps[tier][2]
               for tier in steps} for op in ("conv", "pool")}
    ratio = {op: {tier: round(ms[op][tier] / ms[op]["fast"], 2) for tier in steps} for op in ms}
    ms = {op: {tier: float(f"{t:.4g}") for tier, t in ms[op].items()} for op in ms}
    result = {
        "what": "forward + backward of one conv2d and one max_pool2d per tier, float32, "
                "1 thread; median CPU time per image",
        "date": datetime.date.today().isoformat(),
        "ops": {
            "conv": {"x": list(CONV["x"]), "W": list(CONV["W"]), "stride": 1, "padding": 0,
                     "backward": "dx, dW, db"},
            "max_pool": {"x": list(POOL["x"]), "kernel_size": 2, "stride": 2,
                         "backward": "dx"},
        },
        "batch": {tier: steps[tier][2] for tier in steps},
        "naive_note": f"the loops ran on {N_NAIVE} images; their time is scaled per image",
        "reps": args.reps,
        "ms_per_image": ms,
        "ratio_to_fast": ratio,
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "torch": None if torch is None else torch.__version__},
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "blas": blas_info(),
                    "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
                    "load_average": round(os.getloadavg()[0], 1)},
    }

    print(f"conv {CONV['x']} * {CONV['W']} and max pool {POOL['x']} 2x2, forward + backward, "
          f"float32, 1 thread, median of {args.reps} reps")
    print(f"numpy {np.__version__}, torch {result['versions']['torch']}, "
          f"{result['machine']['cpu']}, BLAS kernel "
          f"{result['machine']['blas'].get('architecture', '?')}")
    print(f"load average {result['machine']['load_average']} on {os.cpu_count()} cores")
    print(f"{'tier':12s} {'conv ms/img':>12s} {'x fast':>8s} {'pool ms/img':>12s} {'x fast':>8s}")
    for tier in steps:
        print(f"{tier:12s} {ms['conv'][tier]:12.4f} {ratio['conv'][tier]:8.2f} "
              f"{ms['pool'][tier]:12.4f} {ratio['pool'][tier]:8.2f}")
    print(f"naive: measured on {N_NAIVE} images and scaled per image")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
