"""Re-execute chapter notebooks in place, deterministically, and store their outputs.

    .venv/bin/python .ci/execute_notebooks.py                        # every notebook in book/
    .venv/bin/python .ci/execute_notebooks.py book/02_padding_stride.ipynb [more.ipynb ...]

The book is built from these stored outputs and strict nbval compares a fresh run against them,
so run this after changing a chapter (or the package code it calls), then commit the notebook.

How each notebook runs:
- a fresh `python3` kernel of THIS interpreter (run the script with .venv/bin/python), whatever
  kernelspecs are installed elsewhere; the working directory is the notebook's folder;
- the same environment as the test command (.ci/run): one BLAS/OpenMP thread, a fixed
  PYTHONHASHSEED, CNN_COURSE_DATA pointing at ../shared/data when that folder exists and the
  variable is unset;
- cells tagged `raises-exception` may raise; any other error stops and fails the script (the
  notebook is then left unchanged);
- no widget state is stored (the book shows the precomputed text/html view of each figure),
  so every stored widget view would point at a model that no longer exists: they are dropped.
  Opened in JupyterLab before it runs, a figure shows its static view instead of "model not
  found"; running the cell gives the live widget. (The views also carry random model ids that
  would change on every run.)

Volatile metadata is stripped so that re-running an unchanged notebook gives a small diff:
execution timestamps (nbclient, JupyterLab's execute-time extension), the interpreter's patch
version, and editor- or tool-specific notebook metadata (widgets, papermill, vscode).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

ENVIRONMENT = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
}

VOLATILE_NOTEBOOK_METADATA = ("widgets", "papermill", "vscode", "toc-autonumbering",
                              "varInspector", "execution")
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "papermill", "collapsed", "scrolled")


def kernel_environment():
    env = dict(os.environ, **ENVIRONMENT)
    data = REPO.parent / "shared" / "data"
    if "CNN_COURSE_DATA" not in env and data.is_dir():
        env["CNN_COURSE_DATA"] = str(data)
    return env


def native_kernel_manager():
    """A KernelManager for the `python3` kernel of sys.executable, ignoring other kernelspecs."""
    specs = KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)
    return KernelManager(kernel_name="python3", kernel_spec_manager=specs)


def strip_volatile_metadata(nb):
    for key in VOLATILE_NOTEBOOK_METADATA:
        nb.metadata.pop(key, None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata.get("language_info", {}).pop("version", None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    return nb


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def drop_widget_views(nb):
    """Remove the (dangling) live-widget views from stored outputs; other views stay."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    return nb


def execute(path, timeout):
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        km=native_kernel_manager(),
        timeout=timeout,
        allow_errors=False,            # `raises-exception` cells are still allowed to raise
        record_timing=False,           # no execution timestamps in cell metadata
        store_widget_state=False,      # the book shows the static text/html view
        resources={"metadata": {"path": str(path.parent)}},  # cwd = the notebook's folder
    )
    client.execute(env=kernel_environment())
    strip_volatile_metadata(nb)
    drop_widget_views(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to execute (default: every book/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=1200,
                        help="seconds allowed per cell (default: %(default)s)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((REPO / "book").glob("*.ipynb"))
    if not notebooks:
        sys.exit("execute_notebooks: no notebooks given and none in book/")
    missing = [str(p) for p in notebooks if not p.is_file() or p.suffix != ".ipynb"]
    if missing:
        sys.exit(f"execute_notebooks: not a notebook file: {', '.join(missing)}")
    for path in notebooks:
        start = time.perf_counter()
        print(f"executing {path} ...", flush=True)
        execute(path, args.timeout)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
