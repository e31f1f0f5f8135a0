"""Re-execute chapter notebooks in place, deterministically, and store their text outputs.

    .venv/bin/python .ci/execute_notebooks.py                        # every notebook in book/
    .venv/bin/python .ci/execute_notebooks.py book/02_padding_stride.ipynb [more.ipynb ...]
    .venv/bin/python .ci/execute_notebooks.py --strip-only [notebooks]  # strip, do not run

Strict nbval compares a fresh run against the stored TEXT outputs, so run this after changing a
chapter (or the package code it calls), then commit the notebook. The book does not use these
outputs: it executes the notebooks itself (_config.yml, execute_notebooks: cache).

How each notebook runs:
- a fresh `python3` kernel of THIS interpreter (run the script with .venv/bin/python), whatever
  kernelspecs are installed elsewhere; the working directory is the notebook's folder;
- the same environment as the test command (.ci/run): one BLAS/OpenMP thread, a fixed
  PYTHONHASHSEED, CNN_COURSE_DATA pointing at ../shared/data when that folder exists and the
  variable is unset;
- cells tagged `raises-exception` may raise; any other error stops and fails the script (the
  notebook is then left unchanged);
- no widget state is stored (nothing needs it: the book executes the notebooks itself, and
  JupyterLab runs them live), so every stored widget view would point at a model that no
  longer exists: they are dropped. Opened in JupyterLab before it runs, a figure shows its
  static view (controls and caption around a blank placeholder, see below) instead of "model
  not found"; running the cell gives the live widget. (The views also carry random model ids
  that would change on every run.)

Volatile metadata is stripped so that re-running an unchanged notebook gives a small diff:
execution timestamps (nbclient, JupyterLab's execute-time extension), the interpreter's patch
version, and editor- or tool-specific notebook metadata (widgets, papermill, vscode).

Image payloads are stripped too, so that git stores no image bytes (README, "Refreshing the
notebooks' stored outputs"; tests/test_notebooks_stored.py enforces it):
- image/png and image/jpeg outputs are removed (an output left with no data is dropped): nbval
  never compares them, and the book build renders its own;
- every base64 data URI inside a text/html output (the frames of an interactive figure) becomes
  the same tiny placeholder, a 1x1 transparent PNG; the markup around it stays, and strict nbval
  compares it exactly as before, because tests/nbval_sanitize.cfg replaces the payload of every
  data URI, fresh or stored, with <IMAGE-BYTES>.
Hints and solutions wait until the learner asks for them: a cell that calls `hint(` or
`solution(` keeps no stored output (JupyterLab shows stored outputs before anything runs, whatever
the `hide-output` tag says; the book executes the notebooks itself and shows them there), and is
tagged `nbval-ignore-output` so that strict nbval does not compare its fresh output with nothing.
`--strip-only` applies all of this (metadata, widget views, images, hint and solution outputs)
without executing, e.g. to a notebook saved from JupyterLab with its figures.
"""

import argparse
import re
import runpy
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

# One BLAS thread, the pinned OpenBLAS kernel, PYTHONHASHSEED=0, CNN_COURSE_DATA: written once,
# in .ci/environment.py
# (.ci/setup.sh exports the same for the tests).
CI_ENVIRONMENT = runpy.run_path(str(Path(__file__).resolve().with_name("environment.py")))
ENVIRONMENT = CI_ENVIRONMENT["VARIABLES"]

VOLATILE_NOTEBOOK_METADATA = ("widgets", "papermill", "vscode", "toc-autonumbering",
                              "varInspector", "execution")
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "papermill", "collapsed", "scrolled")


def kernel_environment():
    """os.environ plus ENVIRONMENT, the pinned OpenBLAS kernel and CNN_COURSE_DATA."""
    return CI_ENVIRONMENT["environment"]()


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


# nbval skips exactly these two output types; any other one it compares, so it must stay.
IMAGE_OUTPUTS = ("image/png", "image/jpeg")
# The pattern of section 1 of tests/nbval_sanitize.cfg: the same data URIs, the same types.
DATA_URI = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+")
# 68 bytes: a 1x1 fully transparent PNG (browsers identify raster images by their bytes, so it
# also stands in for jpeg/gif/webp), and a 1x1 empty SVG.
PLACEHOLDER_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNgYAAAAAMAASsJTYQAAAAA"
                   "SUVORK5CYII=")
PLACEHOLDER_SVG = "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSIxIiBoZWlnaHQ9IjEiLz4="


def placeholder_uri(kind):
    """The constant data URI that replaces every stored image of this type."""
    return f"data:image/{kind};base64," + (PLACEHOLDER_SVG if kind == "svg+xml" else PLACEHOLDER_PNG)


def _strip_html(value):
    if isinstance(value, list):  # nbformat may keep multiline strings as lists of lines
        value = "".join(value)
    return DATA_URI.sub(lambda m: placeholder_uri(m.group(1)), value)


def strip_image_payloads(nb):
    """Remove image outputs and replace the images inside HTML outputs by a placeholder."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is not None:
                for kind in IMAGE_OUTPUTS:
                    data.pop(kind, None)
                    output.get("metadata", {}).pop(kind, None)
                if "text/html" in data:
                    data["text/html"] = _strip_html(data["text/html"])
                if not data:   # it held only an image: nothing left to show or compare
                    continue
            kept.append(output)
        cell.outputs = kept
    return nb


# A code cell that asks for help: it calls hint(...) or solution(...) (also as core.hint(...)),
# not e.g. shape_hint(...) or reference_solution(...).
ASKS_FOR_HELP = re.compile(r"(?<![\w])(?:hint|solution)\s*\(")
ASKS_FOR_HINT = re.compile(r"(?<![\w])hint\s*\(")
# myst-nb's label for the collapsed output of a hint cell in the book (instead of "Show code
# cell outputs"): the learner sees what is behind it.
HINT_PROMPTS = {"code_prompt_show": "Show hint 1", "code_prompt_hide": "Hide hints"}
IGNORE_OUTPUT_TAG = "nbval-ignore-output"


def asks_for_help(cell):
    """True for a code cell that calls hint( or solution(: its output is never stored."""
    return cell.cell_type == "code" and bool(ASKS_FOR_HELP.search(cell.source))


def drop_help_outputs(nb):
    """Empty the outputs of the cells that call hint( or solution(, and tag them
    nbval-ignore-output (other tags, e.g. hide-output, stay)."""
    for cell in nb.cells:
        if asks_for_help(cell):
            cell.outputs = []
            tags = cell.metadata.setdefault("tags", [])
            if IGNORE_OUTPUT_TAG not in tags:
                tags.append(IGNORE_OUTPUT_TAG)
            if ASKS_FOR_HINT.search(cell.source):
                cell.metadata.setdefault("mystnb", {}).update(HINT_PROMPTS)
    return nb


def merge_streams(nb):
    """Join consecutive stream outputs of one cell to the same stream (stdout or stderr) into
    one: the kernel splits a cell's printing wherever it happened to flush, so the split
    differs between runs while the text does not."""
    for cell in nb.cells:
        merged = []
        for output in cell.get("outputs", []):
            if (output.get("output_type") == "stream" and merged
                    and merged[-1].get("output_type") == "stream"
                    and merged[-1].get("name") == output.get("name")):
                merged[-1]["text"] += output["text"]
            else:
                merged.append(output)
        if "outputs" in cell:
            cell.outputs = merged


def strip(nb):
    """Everything written to book/ goes through here: no volatile metadata, no dangling widget
    views, no image payloads, no hint or solution outputs, no stream split by chance."""
    strip_volatile_metadata(nb)
    merge_streams(nb)
    drop_widget_views(nb)
    strip_image_payloads(nb)
    drop_help_outputs(nb)
    nbformat.validate(nb)
    return nb


def strip_only(path):
    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    nbformat.write(strip(nb), path)


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
    nbformat.write(strip(nb), path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to execute (default: every book/*.ipynb)")
    parser.add_argument("--timeout", type=int, default=1200,
                        help="seconds allowed per cell (default: %(default)s)")
    parser.add_argument("--strip-only", action="store_true",
                        help="do not execute: only strip image payloads, widget views, hint "
                             "and solution outputs and volatile metadata from the stored "
                             "outputs")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((REPO / "book").glob("*.ipynb"))
    if not notebooks:
        sys.exit("execute_notebooks: no notebooks given and none in book/")
    missing = [str(p) for p in notebooks if not p.is_file() or p.suffix != ".ipynb"]
    if missing:
        sys.exit(f"execute_notebooks: not a notebook file: {', '.join(missing)}")
    if args.strip_only:
        for path in notebooks:
            before = path.stat().st_size
            strip_only(path)
            print(f"stripped {path}: {before / 1024:.0f} KiB -> {path.stat().st_size / 1024:.0f} KiB")
        return
    for path in notebooks:
        start = time.perf_counter()
        print(f"executing {path} ...", flush=True)
        execute(path, args.timeout)
        print(f"  done in {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
