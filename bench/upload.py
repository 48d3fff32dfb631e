"""Benchmark: a Dataset-page upload parsed as a stream, peak memory and seconds.

Ours: ``nerlib.data.conllpp.load_conll_stream`` on the upload held in memory (a line at a time,
Arrow columns built from flat lists). Baseline: what the page did before issue 26's last round,
measured in the same run: the upload written to a temporary file, read with ``read_conll_file``
and turned into a Dataset with ``datasets.Dataset.from_dict`` over nested Python lists. Each
contender runs in a fresh process; the peak is the rise of resident memory (``VmHWM`` after
``/proc/self/clear_refs``) over the upload's own bytes. Prints MB, seconds and the ratios
baseline/ours.

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/upload.py               # CoNLL++ train x3
    python bench/upload.py --copies 1
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONTENDER = r"""
import io, sys, tempfile, time
from pathlib import Path

import datasets

from nerlib.data.conll import read_conll_file
from nerlib.data.conllpp import conllpp_features, load_conll_stream

data = Path(sys.argv[2]).read_bytes() * int(sys.argv[3])
upload = io.BytesIO(data)


def status(field):
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0]) * 1024


def baseline():
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.txt"
        path.write_bytes(upload.getvalue())
        sentences = read_conll_file(path).sentences
    features = conllpp_features(True)
    names = {name: getattr(features[name], "feature", None) for name in features}
    columns = {"id": [str(i) for i in range(len(sentences))], "tokens": [s.tokens for s in sentences],
               "pos_tags": [s.pos_tags for s in sentences], "chunk_tags": [s.chunk_tags for s in sentences],
               "ner_tags": [s.ner_tags for s in sentences], "document": [s.document for s in sentences]}
    for name in ("pos_tags", "chunk_tags", "ner_tags"):
        columns[name] = [[names[name].str2int(tag) for tag in row] for row in columns[name]]
    return datasets.Dataset.from_dict(columns, features=features)


open("/proc/self/clear_refs", "w").write("5")
before, start = status("VmRSS"), time.perf_counter()
dataset = load_conll_stream(upload, "upload.txt", with_documents=True)["upload"] if sys.argv[1] == "ours" else baseline()
seconds = time.perf_counter() - start
print(len(data), dataset.num_rows, status("VmHWM") - before, seconds)
"""


def measure(who: str, train: Path, copies: int) -> tuple[int, int, int, float]:
    result = subprocess.run([sys.executable, "-c", CONTENDER, who, str(train), str(copies)], capture_output=True,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    if result.returncode:
        raise RuntimeError(f"{who} failed: {result.stderr[-2000:]}")
    size, rows, peak, seconds = result.stdout.split()
    return int(size), int(rows), int(peak), float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=3, help="the upload is CoNLL++ train this many times")
    args = parser.parse_args()
    from nerlib.data.conllpp import find_conllpp_dir

    train = find_conllpp_dir(download=False) / "conllpp_train.txt"
    results = {who: measure(who, train, args.copies) for who in ("baseline", "ours")}
    size = results["ours"][0]
    print(f"upload: CoNLL++ train x{args.copies}, {size / 2**20:.1f} MB, {results['ours'][1]:,} sentences")
    for who, (_, _, peak, seconds) in results.items():
        print(f"{who:>8}: peak {peak / 2**20:6.1f} MB ({peak / size:4.1f}x the upload), {seconds:5.2f} s")
    base, ours = results["baseline"], results["ours"]
    print(f"ratio baseline/ours: peak memory {base[2] / ours[2]:.2f}x, time {base[3] / ours[3]:.2f}x")


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
