"""Repository-wide pytest set-up, loaded by every pytest run in this repository (also a run of
a single notebook, e.g. `pytest --nbval book/02_padding_stride.ipynb`); fixtures live in
tests/conftest.py.

nbval 0.11 executes cells with store_history=False, and IPython then ignores a trailing ";"
(it looks for the ";" in the last *stored* input): a cell ending in `plt.plot(x);` has no
output in the notebook saved from Jupyter but an output under nbval, and strict nbval fails
with "Unexpected output fields from running code: {'text/plain'}" (nbval issue #194, IPython
issue #14162). Executing with store_history=True, as Jupyter and .ci/execute_notebooks.py do,
restores the notebook's behaviour; nbval compares no execution counts, so nothing else changes.
"""


def _execute_with_history(self, cell_input, allow_stdin=None):
    """nbval's RunningKernel.execute_cell_input, but with store_history=True like Jupyter."""
    return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin,
                           stop_on_error=False)


def pytest_configure(config):
    if getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False):
        from nbval.kernel import RunningKernel

        RunningKernel.execute_cell_input = _execute_with_history
