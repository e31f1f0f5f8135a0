"""Wall-clock timing for the chapters, printed in ONE recognisable format.

Timings change from run to run, so strict nbval cannot compare them. Every timing a notebook
prints goes through this module, and every line it prints starts with ``[time]``; the sanitizer
in ``tests/nbval_sanitize.cfg`` replaces the numbers in exactly these two line shapes::

    [time] naive conv2d: 1.23 s
    [time] loops: 1.23 s | im2col: 12.3 ms | speedup: 100.0x

>>> with Timer("naive conv2d"):            # prints "[time] naive conv2d: ..." on exit
...     result = conv2d_naive(x, W)
>>> report_speedup("loops", best_time(lambda: conv2d_naive(x, W)),
...                "im2col", best_time(lambda: conv2d(x, W)))

Prose never states a measured number: the cell prints it.

Some measurements cannot be repeated while the book is built (they need PyTorch, or minutes):
a script in ``benchmarks/`` stores them in ``book/measured/<name>.json`` and a chapter shows
them with ``load_measured`` and ``tier_table``, labelled as measured on the build machine.
"""

import json
import platform
import time
from pathlib import Path

__all__ = ["PREFIX", "format_seconds", "format_speedup", "Timer", "best_time", "report_speedup",
           "MEASURED", "load_measured", "tier_table", "step_table"]

PREFIX = "[time]"

_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns"))


def format_seconds(seconds):
    """A duration with 3 significant digits and a unit: "1.23 s", "45.6 ms", "789 us", "12.0 ns"."""
    seconds = float(seconds)
    if not seconds >= 0:
        raise ValueError(f"format_seconds: a duration must be >= 0, got {seconds}")
    if seconds >= 999.5:
        return f"{seconds:.0f} s"
    for scale, unit in _UNITS:
        # 0.9995 rather than 1: 999.96 ms would print as "1.00e+03 ms"; it becomes "1.00 s"
        if seconds >= 0.9995 * scale or unit == "ns":
            return f"{seconds / scale:#.3g}".rstrip(".") + f" {unit}"


def format_speedup(ratio):
    """A ratio of two durations: "100.0x", "3.2x", "0.8x"."""
    return f"{float(ratio):.1f}x"


class Timer:
    """Context manager measuring wall-clock time with ``time.perf_counter``.

    ``Timer(name)`` prints ``[time] name: 1.23 s`` when the block ends; ``Timer()`` prints
    nothing. The duration is in ``timer.seconds`` either way.
    """

    def __init__(self, name=None):
        self.name = name
        self.seconds = None
        self._start = None

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc_info):
        self.seconds = time.perf_counter() - self._start
        if self.name is not None and exc_info[0] is None:
            print(f"{PREFIX} {self.name}: {format_seconds(self.seconds)}")
        return False


def best_time(fn, *, repeat=3, number=1):
    """Best (smallest) mean time of ``number`` calls of ``fn()``, over ``repeat`` rounds, in s.

    The minimum is the least disturbed by other processes; call once before timing to warm
    caches (and BLAS) if the first call is special.
    """
    if repeat < 1 or number < 1:
        raise ValueError(f"best_time: repeat and number must be >= 1, got {repeat}, {number}")
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def report_speedup(name_a, seconds_a, name_b, seconds_b):
    """Print ``[time] a: 1.23 s | b: 12.3 ms | speedup: 100.0x`` and return seconds_a / seconds_b.

    The speedup is how many times faster ``b`` is than ``a``.
    """
    for name in (name_a, name_b):
        if ":" in str(name) or "|" in str(name) or "\n" in str(name):
            raise ValueError(f"report_speedup: names may not contain ':', '|' or newlines: {name!r}")
    if seconds_b <= 0:
        raise ValueError(f"report_speedup: seconds_b must be positive, got {seconds_b}")
    ratio = seconds_a / seconds_b
    print(f"{PREFIX} {name_a}: {format_seconds(seconds_a)} | "
          f"{name_b}: {format_seconds(seconds_b)} | speedup: {format_speedup(ratio)}")
    return ratio


def cpu_model():
    """The processor's name, for the record of a measurement ("Intel(R) Xeon(R) ...")."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


#: Where benchmark scripts store the measurements the chapters show.
MEASURED = Path(__file__).resolve().parents[2] / "book" / "measured"


def load_measured(name, folder=None):
    """The stored result of a benchmark script: ``book/measured/<name>.json`` as a dict."""
    path = Path(folder or MEASURED) / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"load_measured: no stored measurement {path}; run the "
                                f"benchmark script that writes it (see benchmarks/README.md)")
    return json.loads(path.read_text(encoding="utf-8"))


_TIER_NAMES = {"naive": "loops (naive)", "reference": "im2col (functional)",
               "fast": "fast tier (fast)", "torch": "PyTorch eager"}


def _ratio(r):
    """A ratio to the fast tier: two decimals below 10 (1.15x), none above (368x)."""
    return f"{r:.2f}x" if r < 10 else f"{r:.0f}x"


def tier_table(result):
    """A text table of a ``benchmarks/bench_conv_tiers.py`` result: time per image of each tier
    and that time divided by the fast tier's (above 1: slower than the fast tier; below 1:
    faster), for the convolution and the pooling; then when, where and how it was measured.
    Tiers missing from the result (PyTorch) are left out."""
    times, ratios = result["ms_per_image"], result["ratio_to_fast"]
    tiers = [t for t in _TIER_NAMES if t in times["conv"]]
    lines = [f"{'per image':<20}{'conv fwd+bwd':>13}{'/ fast':>8}"
             f"{'pool fwd+bwd':>14}{'/ fast':>8}"]
    for t in tiers:
        conv, pool = (format_seconds(times[op][t] / 1000) for op in ("conv", "pool"))
        conv_r, pool_r = (_ratio(ratios[op][t]) for op in ("conv", "pool"))
        lines.append(f"{_TIER_NAMES[t]:<20}{conv:>13}{conv_r:>8}{pool:>14}{pool_r:>8}")
    machine, versions = result["machine"], result["versions"]
    blas = machine.get("blas") or {}
    lines.append("")
    reps = f"median of {result['reps']} runs, " if result.get("reps") else ""
    lines.append(f"Measured by the course's maintainers on {result['date']}")
    lines.append(f"({reps}CPU time per image, one thread)")
    lines.append(f"on {machine['cpu']},")
    lines.append(f"numpy {versions['numpy']}"
                 + (f", OpenBLAS {blas.get('architecture')} kernel" if blas else "")
                 + (f", torch {versions['torch']}" if versions.get("torch") else "") + ".")
    if result.get("naive_note"):
        lines.append(f"Note: {result['naive_note']}.".replace("; ", ";\n"))
    return "\n".join(lines)


def _short_layer(text):
    """'Conv2D(1, 6, kernel_size=5, stride=1, padding=2)' -> 'Conv2D(1, 6, k=5, p=2)'."""
    for long, short in (("kernel_size=", "k="), ("padding=", "p="), ("stride=", "s=")):
        text = text.replace(long, short)
    return text.replace(", s=1", "").replace(", p=0", "").replace("s=2, ", "")


def step_table(result):
    """A text table of a ``benchmarks/bench_lenet_step.py`` result (``lenet_step.json``): the
    LeNet-5 training step of the two numpy networks against PyTorch (median CPU ms and the
    ratio ours / torch), then every layer's forward and backward time, numpy against torch,
    and the machine it was measured on."""
    cpu, ratio = result["step_ms"]["cpu"], result["ratio"]
    names = {"layers": "numpy, separate layers", "fused": "numpy, fused blocks",
             "torch": "PyTorch eager"}
    lines = [f"{'LeNet-5 training step (CPU time)':<36}{'per step':>10}{'vs torch':>10}"]
    for key in ("layers", "fused", "torch"):
        if key in cpu:
            r = f"{ratio[key]['cpu']:.2f}x" if key in ratio else "1.00x"
            lines.append(f"{names[key]:<36}{format_seconds(cpu[key] / 1000):>10}{r:>10}")
    lines.append("")
    lines.append(f"{'layer (separate layers), ms':<30}{'numpy fwd':>11}{'torch fwd':>11}"
                 f"{'numpy bwd':>11}{'torch bwd':>11}")
    for row in result["layers"]:
        cells = (row["numpy_forward_ms"], row["torch_forward_ms"], row["numpy_backward_ms"],
                 row["torch_backward_ms"])
        lines.append(f"{_short_layer(row['layer']):<30}" + "".join(f"{c:>11.2f}" for c in cells))
    lines.append("")
    reps = f"median of {result['reps']} steps, " if result.get("reps") else ""
    lines.append(f"Measured by the course's maintainers on {result['date']}")
    lines.append(f"({reps}CPU time, one thread, batch {result['batch']})")
    lines.append(f"on {result['cpu']},")
    lines.append(f"numpy {result['numpy']}"
                 + (f", OpenBLAS {result['openblas_kernel']} kernel"
                    if result.get("openblas_kernel") else "")
                 + f", torch {result['torch']}.")
    return "\n".join(lines)
