"""Repository-wide pytest set-up, loaded by every pytest run in this repository (also a run of
a single notebook, e.g. `pytest --nbval book/02_padding_stride.ipynb`); fixtures live in
tests/conftest.py.

nbval 0.11 executes cells with store_history=False, and IPython then ignores a trailing ";"
(it looks for the ";" in the last *stored* input): a cell ending in `plt.plot(x);` has no
output in the notebook saved from Jupyter but an output under nbval, and strict nbval fails
with "Unexpected output fields from running code: {'text/plain'}" (nbval issue #194, IPython
issue #14162). Executing with store_history=True, as Jupyter and .ci/execute_notebooks.py do,
restores the notebook's behaviour; nbval compares no execution counts, so nothing else changes.

Every pytest run also gets the course's environment (.ci/environment.py, the one place it is
written): one BLAS thread, PYTHONHASHSEED=0 for the workers and kernels it starts, and
CNN_COURSE_DATA (if unset) pointing at ../shared/data when that folder exists. It is set here,
before any test module imports numpy, so that a bare `pytest` runs as .ci/run does.
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parent / ".ci" / "environment.py"))["apply"]()


def _execute_with_history(self, cell_input, allow_stdin=None):
    """nbval's RunningKernel.execute_cell_input, but with store_history=True like Jupyter."""
    return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin,
                           stop_on_error=False)


def pytest_configure(config):
    if getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False):
        from nbval.kernel import RunningKernel

        RunningKernel.execute_cell_input = _execute_with_history
