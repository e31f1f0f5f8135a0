"""How long ``check()`` takes for a correct answer, for every exercise.

    .venv/bin/python benchmarks/bench_exercises.py [--repeat 3]

Checks every registered exercise's reference solution (the answer a learner who got it right
gives) ``--repeat`` times after one warm-up check, and prints the best and the worst time per
exercise and the worst's ratio to the 1 s goal ("check() returns within 1 s for a correct
answer": ratio < 1). A check of a wrong answer usually stops at its first failing case, so it
is faster. One thread, as in the other benchmarks.
"""

import runpy
from pathlib import Path

# One thread and the datasets folder, from the one place they are written (.ci/environment.py).
runpy.run_path(str(Path(__file__).resolve().parents[1] / ".ci" / "environment.py"))["apply"](
    pin_kernel=False)

import argparse  # noqa: E402
import time  # noqa: E402

from cnn_course.exercises import core  # noqa: E402

GOAL_S = 1.0


def time_checks(repeat):
    """[(exercise id, best s, worst s, passed)] for every exercise's reference solution."""
    core._load_all()
    rows = []
    for exercise_id, ex in sorted(core.REGISTRY.items()):
        passed = ex.check(ex.solution).passed   # warm-up (imports, caches)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            passed = ex.check(ex.solution).passed and passed
            times.append(time.perf_counter() - start)
        rows.append((exercise_id, min(times), max(times), passed))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rows = time_checks(args.repeat)
    print(f"{'exercise':<28} {'best ms':>9} {'worst ms':>9} {'ratio':>6}  passed")
    for exercise_id, best, worst, passed in rows:
        print(f"{exercise_id:<28} {best * 1e3:9.1f} {worst * 1e3:9.1f} {worst / GOAL_S:6.2f}  "
              f"{'yes' if passed else 'NO'}")
    slowest = max(rows, key=lambda row: row[2])
    print(f"\n{len(rows)} exercises; slowest {slowest[0]}: {slowest[2] * 1e3:.0f} ms, ratio "
          f"{slowest[2] / GOAL_S:.2f} of the {GOAL_S:g} s goal; "
          f"{sum(not row[3] for row in rows)} reference solutions failed")


if __name__ == "__main__":
    main()
