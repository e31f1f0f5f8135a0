# Shared set-up for .ci/run (every test), .ci/book (build and open the book) and .ci/lab (the
# live course in JupyterLab).
# Sourced, not run:  source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
#
# Works on a fresh Debian/Ubuntu machine that has Python 3.11: everything else is installed
# here (system packages only when missing, with apt-get, as root or through sudo).

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
VENV="$REPO/.venv"
PY="$VENV/bin/python"

log() { printf '\n==> [%s] %s\n' "$(date +%T)" "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Same environment as .ci/execute_notebooks.py and the benchmarks, from the one place it is
# written (.ci/environment.py, standard library only): one BLAS thread, a fixed hash seed, and
# CNN_COURSE_DATA (if unset) pointing at ../shared/data when that folder exists.
_environment="$(python3 "$REPO/.ci/environment.py")" || die "python3 .ci/environment.py failed"
eval "$_environment"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export DEBIAN_FRONTEND=noninteractive

_apt_updated=""
apt_install() {  # apt_install PACKAGE...
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to apt-get install $*"
    sudo="sudo"
  fi
  command -v apt-get >/dev/null || die "apt-get not found; install these yourself: $*"
  if [ -z "$_apt_updated" ]; then
    log "apt-get update"
    $sudo apt-get update -q
    _apt_updated=1
  fi
  log "apt-get install $*"
  $sudo apt-get install -y -q "$@"
}

find_python() {  # the interpreter that creates .venv: $PYTHON, else python3.11, else python3
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$candidate"
      return
    fi
  done
  die "Python 3.11 not found (set PYTHON=/path/to/python3.11)"
}

setup_python() {
  if [ ! -x "$PY" ]; then
    local python
    python="$(find_python)"
    log "creating .venv with $python ($("$python" --version))"
    if ! "$python" -m venv "$VENV"; then
      rm -rf "$VENV"
      apt_install python3-venv "$(basename "$python")-venv"
      "$python" -m venv "$VENV"
    fi
  fi
  # pip runs only when requirements.txt or pyproject.toml changed since the last install
  local stamp="$VENV/.requirements.sha256" wanted
  wanted="$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    log "pip install -r requirements.txt"
    "$PY" -m pip install -q -r requirements.txt
    echo "$wanted" > "$stamp"
  else
    log "Python packages up to date (.venv)"
  fi
}

setup_node() {  # npm installs the book's offline assets (MathJax)
  command -v npm >/dev/null || apt_install nodejs npm
}

setup_chromium() {  # for the browser tests (Playwright drives Debian's chromium)
  [ -x /usr/bin/chromium ] || apt_install chromium
  # CJK fonts, so the Chinese terms in the screenshots are legible (CI machines only)
  if [ "${CI:-}" = "true" ] && command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh)" ]; then
    apt_install fonts-noto-cjk
  fi
}

setup_assets() {
  log "vendoring the book's web assets (book/_vendor/)"
  "$PY" .ci/vendor_assets.py
}

setup_data() {  # CNN_COURSE_DATA was set above (.ci/environment.py); say where the data are
  log "CNN_COURSE_DATA=${CNN_COURSE_DATA:-(unset: the loader uses its cache, downloading if needed)}"
}
