#!/usr/bin/env python3
"""Build both editions of the book: English in _build/html/, Chinese in _build/html/zh_CN/.

    .venv/bin/python .ci/build_book.py [jupyter-book build options]    # e.g. -W -n --keep-going --all

Run by .ci/book and by the tests (tests/conftest.py, fixture `built_book`). The English edition
is `jupyter-book build <options> .`. The Chinese edition is the same book built with
_config.yml plus book/locale/zh_CN/config.yml (its title, footer and `language: zh_CN`), into
_build/zh_CN/, then moved to _build/html/zh_CN/ so that both are served from one folder and the
language switch on every page is a relative link. Both share the notebook execution cache
(book/_ext/package_cache_key.py): the second build executes nothing.

The compiled catalogs (.mo) are never committed and are deleted before each build: Sphinx
compiles a .po only when its .mo is missing or older, and a checkout can leave a stale .mo
newer than its .po.
"""

import copy
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "_build"
HTML = BUILD / "html"
# Every other edition: a language with its settings in book/locale/<language>/config.yml.
EDITIONS = {path.parent.name: path
            for path in sorted((REPO / "book" / "locale").glob("*/config.yml"))}


def merged(base, override):
    """`base` with `override` merged in, key by key (nested mappings merged too)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def build(options, language=None):
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", *options, "."]
    if language:
        base = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
        override = yaml.safe_load(EDITIONS[language].read_text(encoding="utf-8"))
        settings = merged(base, override)
        # jupyter-book finds local extensions relative to the config file's folder
        local = settings["sphinx"].get("local_extensions") or {}
        for name, folder in local.items():
            local[name] = str((REPO / folder).resolve())
        config = BUILD / f"_config.{language}.yml"
        config.write_text(yaml.safe_dump(settings, allow_unicode=True),
                          encoding="utf-8")
        command[2:2] = ["--config", str(config), "--path-output", str(BUILD / language)]
    print("==>", " ".join(command), flush=True)
    return subprocess.run(command, cwd=REPO).returncode


def main(options):
    BUILD.mkdir(exist_ok=True)
    for mo in (REPO / "book" / "locale").rglob("*.mo"):
        mo.unlink()
    status = build(options)
    for language in EDITIONS:
        status = build(options, language) or status
        built = BUILD / language / "_build" / "html"
        target = HTML / language
        if target.exists():
            shutil.rmtree(target)
        if built.is_dir():
            shutil.move(str(built), str(target))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
