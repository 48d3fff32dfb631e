#!/usr/bin/env bash
# Fill a folder with everything the GPU check (bench/gpu_check.sh) needs on a machine with no
# internet and no hub: the code of a checkout, CoNLL++ (gzipped), the wheels the machine lacks
# (datasets, dill, multiprocess, seqeval, and pytest for the CUDA-only tests: Python 3.12), and the MiniLM encoder as float16 (~43 MiB).
#
#   bash bench/gpu_payload.sh SRC DEST      # e.g. bash bench/gpu_payload.sh /work/main /work/main/.gpu
#
# SRC: a git checkout (its tracked and untracked-but-not-ignored files are copied; no .git, no .venv;
# plus nerlib/ and training/ at PREVIOUS_LOOP_COMMIT, default ae9e587^, the loop before its rework).
# DEST: the folder to (re)fill; wheels already in DEST/whl are kept. Needs $NERLIB_DATA_DIR (the
# CoNLL++ folder) and a Python with this project's dependencies ($PYTHON, default
# /work/main/.venv/bin/python, else python3) and pip access to PyPI for the wheels.
set -euo pipefail
SRC=$(cd "${1:?usage: gpu_payload.sh SRC DEST}" && pwd)
DEST=${2:?usage: gpu_payload.sh SRC DEST}
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
PY=${PYTHON:-/work/main/.venv/bin/python}
[ -x "$PY" ] || PY=python3
DATA=${NERLIB_DATA_DIR:?set NERLIB_DATA_DIR to the CoNLL++ folder}

# code (screenshots stay behind: they only cost transfer)
rm -rf "$DEST/code" && mkdir -p "$DEST/code"
(cd "$SRC" && git ls-files -co --exclude-standard -z | grep -zv '^docs/screenshots/' | tar --null -T - -cf -) \
    | tar -xf - -C "$DEST/code"

# the training loop before its GPU rework (ae9e587), the same-run baseline of bench/training.py --previous-loop
rm -rf "$DEST/previous" && mkdir -p "$DEST/previous"
git -C "$SRC" archive "${PREVIOUS_LOOP_COMMIT:-ae9e587^}" nerlib training | tar -xf - -C "$DEST/previous"

# data
mkdir -p "$DEST/data"
for split in train dev test; do gzip -9c "$DATA/conllpp_$split.txt" > "$DEST/data/conllpp_$split.txt.gz"; done

# wheels for Python 3.12 (the versions installed here, so the code sees what it was tested with)
mkdir -p "$DEST/whl"
version() { "$PY" -c "import importlib.metadata as m; print(m.version('$1'))"; }
for package in datasets dill multiprocess pytest pluggy iniconfig pygments packaging; do
    if ! ls "$DEST/whl/${package}-"*.whl >/dev/null 2>&1; then
        "$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
            --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform any \
            -d "$DEST/whl" "$package==$(version "$package")"
    fi
done
if ! ls "$DEST/whl/seqeval-"*.whl >/dev/null 2>&1; then  # published as a source archive only: build it
    "$PY" -m pip wheel -q --no-deps -w "$DEST/whl" "seqeval==$(version seqeval)"
fi

# MiniLM, float16
rm -rf "$DEST/minilm"
(cd "$SRC" && PYTHONPATH="$SRC" "$PY" bench/gpu_check.py pack-minilm "$DEST/minilm")
du -sh "$DEST" "$DEST"/*
