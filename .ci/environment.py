"""The environment every run of the course shares: the ONE place these facts are written.

- ``VARIABLES``: one BLAS/OpenMP thread (stable float results and timings; two pytest workers
  on two cores) and a fixed hash seed. The tests (.ci/run), the notebook refresh
  (.ci/execute_notebooks.py) and the benchmarks all run with them.
- ``PINNED_KERNEL``: the OpenBLAS kernel for tests and stored outputs. OpenBLAS picks its
  kernel by CPU, and kernels sum in different orders: chapter 6 trains a network, and after
  thousands of float32 steps its printed accuracies differ in the fourth digit between the
  AVX2 (Haswell) and AVX-512 (SkylakeX) kernels. The notebooks' stored outputs are made with
  Haswell (which every x86-64 CPU of the last decade runs), so the tests and
  .ci/execute_notebooks.py pin it and strict nbval passes on any such machine. Benchmarks do
  not pin it: they measure the kernel a learner's machine would pick.
- ``data_dir()``: where the MNIST / Fashion-MNIST files are: ``CNN_COURSE_DATA`` when it is set,
  else ``../shared/data`` beside the repository when that folder exists (CI clones the
  repository with ``shared/`` beside it), else None (``cnn_course.data`` then uses its cache and
  downloads).

Used three ways (standard library only, so any Python 3 runs it):

    eval "$(python3 .ci/environment.py)"        # .ci/setup.sh: prints `export NAME=value` lines

    env = runpy.run_path(".ci/environment.py")  # a script: env["apply"]() before numpy loads,
                                                # or env["environment"]() for a subprocess

Set in-process, ``PYTHONHASHSEED`` only affects the child processes (kernels, workers).
"""

import os
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_ENV_VAR = "CNN_COURSE_DATA"           # the variable cnn_course.data reads (data.ENV_VAR)
SHARED_DATA = REPO.parent / "shared" / "data"

VARIABLES = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}

PINNED_KERNEL = {"OPENBLAS_CORETYPE": "Haswell"}


def data_dir(environ=None):
    """The datasets folder: $CNN_COURSE_DATA if set, else ../shared/data if it exists, else None."""
    environ = os.environ if environ is None else environ
    if environ.get(DATA_ENV_VAR):
        return Path(environ[DATA_ENV_VAR]).expanduser()
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    return None


def environment(base=None, *, pin_kernel=True):
    """A copy of ``base`` (default os.environ) with VARIABLES, PINNED_KERNEL (unless
    ``pin_kernel`` is False) and, if found, CNN_COURSE_DATA."""
    env = dict(os.environ if base is None else base, **VARIABLES)
    if pin_kernel:
        env.update(PINNED_KERNEL)
    folder = data_dir(env)
    if folder is not None:
        env[DATA_ENV_VAR] = str(folder)
    return env


def apply(*, pin_kernel=True):
    """Set the environment in this process (call before numpy is imported).

    Benchmarks call ``apply(pin_kernel=False)``: they time the BLAS kernel numpy picks itself
    (and run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, see benchmarks/README.md).
    """
    os.environ.update(environment(pin_kernel=pin_kernel))


def main():
    folder = data_dir()
    data = {DATA_ENV_VAR: str(folder)} if folder else {}
    for name, value in {**VARIABLES, **PINNED_KERNEL, **data}.items():
        print(f"export {name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
