"""What `nerlib compare` costs against one `nerlib evaluate`, on the full CoNLL++ test split.

Baseline: ``python -m nerlib evaluate RUN_A test --json`` (load the checkpoint, tag the 3,453 test
sentences, score them). Measured against it, in the same process after a warm-up, each the best
of ``--repeats``:

- ``compare`` (the default): ``python -m nerlib compare RUN_A RUN_B test --json``; a finished run
  saved its best checkpoint's test predictions, so nothing is tagged again: the cost is reading
  them, the per-sentence counts, 1,000 bootstrap resamples and 1,000 randomization rounds
  (vectorised), nervaluate's four schemes for each run, and the sentence diff;
- ``compare --recompute``: both checkpoints tag the split again (two model passes), the cost when a
  run folder holds no predictions of these sentences.

Without run folders, ``--train FOLDER`` first trains two tiny CPU runs that differ only in the seed
(the test suite's 1-layer from-scratch BERT of ``tests/conftest.py``, tested on the whole test
split so that the test predictions cover it); a tiny model makes the model pass cheap, which is
the hard case for the ratio (the resampling is a larger share of the whole).

    NERLIB_DATA_DIR=../shared/data/conllpp OMP_NUM_THREADS=1 python bench/compare.py --train /tmp/compare-runs
    python bench/compare.py runs/minilm-seed1 runs/minilm-seed2
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def train_two_runs(folder: Path) -> tuple[Path, Path]:
    """Two tiny CPU runs (seeds 1 and 2) in ``folder``, tested on the whole test split."""
    from conftest import tiny_run_args

    from training.train import main

    data_dir = Path(os.environ["NERLIB_DATA_DIR"])
    runs = []
    for seed in ("1", "2"):
        run = folder / f"tiny-seed{seed}"
        if not (run / "predictions" / "test.conll").is_file():
            main(tiny_run_args(data_dir, run, "--seed", seed, "--max-eval-samples", "0", "--eval-steps", "0"))
        runs.append(run)
    return runs[0], runs[1]


def timed(arguments: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds (this process) one ``python -m nerlib`` command takes here (its
    output discarded). On a shared machine the CPU time is the steadier figure."""
    from nerlib.cli import main

    started, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(arguments, stdout=io.StringIO())
    if code:
        raise SystemExit(f"python -m nerlib {' '.join(arguments)} failed with exit code {code}")
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", help="two finished run folders (or use --train)")
    parser.add_argument("--train", type=Path, help="train two tiny CPU runs in this folder and compare them")
    parser.add_argument("--repeats", type=int, default=2, help="best of N timings (default 2)")
    args = parser.parse_args()
    if args.train:
        run_a, run_b = train_two_runs(args.train)
    elif len(args.runs) == 2:
        run_a, run_b = (Path(r) for r in args.runs)
    else:
        parser.error("give two run folders or --train FOLDER")

    timed(["evaluate", str(run_a), "test", "--limit", "5"])  # warm-up: imports, data files, caches
    timed(["compare", str(run_a), str(run_b), "test", "--limit", "5", "--resamples", "10"])
    measured = {}
    for name, arguments in (
        ("evaluate (baseline)", ["evaluate", str(run_a), "test", "--json"]),
        ("compare", ["compare", str(run_a), str(run_b), "test", "--json"]),
        ("compare --recompute", ["compare", str(run_a), str(run_b), "test", "--json", "--recompute"]),
    ):
        timings = [timed(arguments) for _ in range(args.repeats)]
        measured[name] = (min(t[0] for t in timings), min(t[1] for t in timings))
    from nerlib.evaluation.comparison import compare_runs

    detail = compare_runs(run_a, run_b, "test")
    baseline = measured["evaluate (baseline)"]
    print(f"runs: {run_a.name} vs {run_b.name}; data: test, {detail.sentences} sentences, "
          f"{detail.units} {detail.unit_kind}; 1000 resamples; best of {args.repeats}")
    for name, (wall, cpu) in measured.items():
        print(f"{name:<22}wall {wall:>6.2f} s {wall / baseline[0]:>5.2f}x evaluate   "
              f"CPU {cpu:>6.2f} s {cpu / baseline[1]:>5.2f}x evaluate")
    parts = ", ".join(f"{k} {v:.2f} s" for k, v in detail.seconds.items())
    print(f"inside compare (saved predictions): {parts}; reused {detail.reused_a}/{detail.reused_b}")


if __name__ == "__main__":
    main()
