"""Sphinx extension: key the notebook execution cache on the cnn_course package too.

jupyter-cache matches an executed notebook by its code cells only, so after a change to
cnn_course/ a warm cache would serve stale figures. This puts the cache in
_build/.jupyter_cache/<hash of cnn_course/**/*.py, book/measured/* (the JSON results and
the trained weights) and requirements.txt>/ instead: a changed package or stored measurement
means a fresh execution.
"""

import hashlib
from pathlib import Path


def _cache_key(app, config):
    root = Path(app.srcdir)
    digest = hashlib.sha256()
    inputs = sorted(root.glob("cnn_course/**/*.py")) + sorted(root.glob("book/measured/*.*"))
    for path in inputs + [root / "requirements.txt"]:
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    # in the repository's _build/, whatever the output path: the Chinese edition and the
    # gettext extraction (built with --path-output) reuse the English build's executions
    config.nb_execution_cache_path = str(
        root / "_build" / ".jupyter_cache" / digest.hexdigest()[:16])


def setup(app):
    app.connect("config-inited", _cache_key)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
