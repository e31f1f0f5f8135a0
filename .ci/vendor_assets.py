"""Vendor the book's third-party web assets so the built pages make no request off their host.

    python .ci/vendor_assets.py

1. Installs the npm packages pinned in .ci/package.json / .ci/package-lock.json into
   .ci/node_modules (`npm ci`; skipped when the installed versions already match the lock).
2. Copies only what the pages need into book/_vendor/ (gitignored, rebuilt from scratch each
   time), which _config.yml lists in `html_static_path`, so Sphinx serves it from _static/.

Today that is MathJax 3 (not 4: Sphinx 7's MathJax support is written for version 3):
the combined TeX+MathML -> CommonHTML component that `mathjax_path` points at, the web fonts
it loads, and the components it loads on demand (TeX extensions such as `color` or `cancel`
when a formula uses them; the accessibility tools and speech rules when a reader enables them
from MathJax's right-click menu).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

CI = Path(__file__).resolve().parent
REPO = CI.parent
VENDOR = REPO / "book" / "_vendor"
NODE_MODULES = CI / "node_modules"

# (npm package, folder inside it, paths to copy from that folder) -> book/_vendor/<package>/
ASSETS = {
    "mathjax": ("es5", [
        "tex-mml-chtml.js",           # mathjax_path in _config.yml
        "output/chtml/fonts/woff-v2",  # the CommonHTML fonts
        "input/tex/extensions",       # autoloaded TeX packages
        "input/mml/extensions",       # MathML 3 extension (loaded on demand)
        "ui",                         # menu and lazy typesetting components
        "a11y",                       # accessibility tools (menu options)
        "sre",                        # speech-rule engine used by a11y
    ]),
}


def locked_versions():
    """{package: version} from package-lock.json (lockfile v2/v3)."""
    lock = json.loads((CI / "package-lock.json").read_text(encoding="utf-8"))
    return {name: lock["packages"][f"node_modules/{name}"]["version"] for name in ASSETS}


def installed_version(name):
    manifest = NODE_MODULES / name / "package.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


def npm_install():
    wanted = locked_versions()
    if all(installed_version(name) == version for name, version in wanted.items()):
        print(f"vendor_assets: npm packages up to date ({wanted})")
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("vendor_assets: npm not found; install Node.js and npm (apt-get install nodejs npm)")
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"]
    print("vendor_assets:", " ".join(cmd), f"(in {CI})", flush=True)
    subprocess.run(cmd, cwd=CI, check=True)
    for name, version in wanted.items():
        if installed_version(name) != version:
            sys.exit(f"vendor_assets: npm installed {name} {installed_version(name)}, "
                     f"but package-lock.json pins {version}")


def copy_assets():
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    for name, (root, paths) in ASSETS.items():
        source, target = NODE_MODULES / name / root, VENDOR / name
        for rel in paths:
            src, dst = source / rel, target / rel
            if not src.exists():
                sys.exit(f"vendor_assets: {src} is missing from the npm package {name}")
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
        license_file = NODE_MODULES / name / "LICENSE"
        if license_file.is_file():
            shutil.copy2(license_file, target / "LICENSE")
    n_files = sum(1 for p in VENDOR.rglob("*") if p.is_file())
    size = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    print(f"vendor_assets: {n_files} files, {size / 2**20:.1f} MiB in {VENDOR.relative_to(REPO)}/")


def main():
    npm_install()
    copy_assets()


if __name__ == "__main__":
    main()
