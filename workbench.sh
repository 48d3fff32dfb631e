#!/usr/bin/env bash
# The NER workbench's two entry points:
#   bash workbench.sh dashboard   set up (once) and open the dashboard
#   bash workbench.sh test        set up (once) and run the whole test suite
# Set-up makes .venv with torch first (TORCH_SPEC, default the CPU-friendly torch==2.13.0), then
# the project with the extras both commands need: `all` (training, dashboard, localizer, offline
# models) and `dev` (the test tools). Re-run set-up by deleting .venv (or edit pyproject.toml:
# the set-up stamp is keyed by its hash).
set -euo pipefail
cd "$(dirname "$0")"

VENV=${NERLIB_VENV:-.venv}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}

# The CoNLL++ files: $NERLIB_DATA_DIR if set, else ../shared/data/conllpp where it exists,
# else nerlib's own cache/download (see README).
if [ -z "${NERLIB_DATA_DIR:-}" ] && [ -f ../shared/data/conllpp/conllpp_train.txt ]; then
  export NERLIB_DATA_DIR="$(cd ../shared/data/conllpp && pwd)"
fi

pip_quiet() {
  # pip warns once per package about index locations this machine's pip.conf names but lacks;
  # drop those lines, keep every other warning and error.
  "$VENV/bin/python" -m pip -q "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

setup() {
  local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  if [ -f "$stamp" ]; then return; fi
  echo "== setting up $VENV (torch first: $TORCH_SPEC)"
  python3 -m venv "$VENV"
  pip_quiet install --upgrade pip
  pip_quiet install "$TORCH_SPEC"
  pip_quiet install -e ".[all,dev]"
  touch "$stamp"
}

browser() {
  # The browser test drives Debian's chromium; install it where we may (root, apt).
  if command -v chromium >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium (Debian) for the browser test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "== chromium not found: the browser test will be skipped (install Debian's chromium to run it)"
  fi
}

case "${1:-}" in
  test)
    shift
    setup
    browser
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  dashboard)
    shift
    setup
    exec "$VENV/bin/streamlit" run dashboard "$@"
    ;;
  setup)
    setup
    ;;
  *)
    echo "usage: bash workbench.sh dashboard|test|setup [extra arguments]" >&2
    exit 2
    ;;
esac
