"""The ``minilm-cpu`` preset against earlier recipes, over several seeds, in one run.

Each recipe is trained with ``python -m training.train --model minilm-cpu`` once per seed (the
whole CoNLL++ training split, the full schedule, the best checkpoint tested on all 3,453 test
sentences). Prints per run the test F1, unseen-entity F1 (gold entities whose surface form never
occurs as an entity in training), seen F1 and minutes; then per recipe the mean and sample
standard deviation over seeds, and the preset's difference from each baseline: ``previous`` (the
first preset: 3 epochs in float32, labels on first sub-tokens only), ``no-context`` (the second
revision: no document context, word embeddings trained) and ``trained-embeddings`` (the third
revision: document context, word embeddings trained).

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/preset.py --seeds 42 1 2            # preset and previous
    python bench/preset.py --recipes preset no-context previous --seeds 42 1 2 --jobs 2
    python bench/preset.py --recipes preset --seeds 42 1 2 --jobs 2                         # two runs at a time
    python bench/preset.py --recipes preset previous --seeds 42 --output-dir runs/bench-preset

``--jobs N`` trains N runs at once with ``OMP_NUM_THREADS`` = cores / N each: F1 does not depend
on it, minutes do (measure minutes with ``--jobs 1`` on an idle machine). Finished runs in
``--output-dir`` are read back instead of trained again, so an interrupted benchmark resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The recipes: extra training options on top of ``--model minilm-cpu``.
RECIPES = {
    "preset": [],  # whatever nerlib.modeling.models.PRESETS["minilm-cpu"] says now
    "previous": ["--epochs", "3", "--batch-size", "32", "--learning-rate", "2e-4", "--label-strategy", "first",
                 "--mixed-precision", "no", "--no-document-context", "--no-freeze-word-embeddings"],
    # the preset's second revision: no document context, word embeddings trained
    "no-context": ["--no-document-context", "--no-freeze-word-embeddings"],
    # the preset's third revision: document context, word embeddings trained
    "trained-embeddings": ["--no-freeze-word-embeddings"],
}


@dataclass
class Result:
    """One finished run: its recipe, seed, test scores (percent) and training minutes."""

    recipe: str
    seed: int
    f1: float
    unseen_f1: float
    seen_f1: float
    minutes: float


def run_dir(output: Path, recipe: str, seed: int) -> Path:
    return output / f"{recipe}-seed{seed}"


def start(args, recipe: str, seed: int, threads: int) -> subprocess.Popen:
    """Start one training run in the background (its log in ``<run>.log``)."""
    folder = run_dir(args.output_dir, recipe, seed)
    command = [sys.executable, "-m", "training.train", "--model", "minilm-cpu", "--seed", str(seed),
               "--output-dir", str(folder), "--disable-tqdm", *RECIPES[recipe],
               *(["--data-dir", args.data_dir] if args.data_dir else [])]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
    with open(folder.with_suffix(".log"), "w") as log:  # the child keeps its own copy of the handle
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def read_result(recipe: str, seed: int, folder: Path) -> Result | None:
    """The finished run's :class:`Result`, or None if ``folder`` holds no tested run."""
    from nerlib.runs import folder as runs

    try:
        test = [r for r in runs.read_metrics(folder) if r.get("split") == "test"]
        progress = runs.read_progress(folder)
    except (OSError, ValueError):
        return None
    if not test or progress.status != "finished":
        return None
    line = test[-1]
    return Result(recipe, seed, 100 * line["f1"], 100 * line["unseen"]["f1"], 100 * line["seen"]["f1"],
                  progress.elapsed_s / 60)


def train_all(args) -> list[Result]:
    """Train every (recipe, seed) not finished yet, ``--jobs`` at a time; return all results."""
    todo = [(recipe, seed) for recipe in args.recipes for seed in args.seeds
            if read_result(recipe, seed, run_dir(args.output_dir, recipe, seed)) is None]
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    running: list[tuple[str, int, subprocess.Popen]] = []
    while todo or running:
        while todo and len(running) < args.jobs:
            recipe, seed = todo.pop(0)
            folder = run_dir(args.output_dir, recipe, seed)
            if folder.exists():  # an unfinished run from an interrupted benchmark: start it over
                shutil.rmtree(folder)
            print(f"[preset] training {recipe} seed {seed} ({threads} thread(s))", flush=True)
            running.append((recipe, seed, start(args, recipe, seed, threads)))
        time.sleep(5)
        for entry in [e for e in running if e[2].poll() is not None]:
            running.remove(entry)
            if entry[2].returncode != 0:
                raise SystemExit(f"error: {entry[0]} seed {entry[1]} failed; see "
                                 f"{run_dir(args.output_dir, entry[0], entry[1]).with_suffix('.log')}")
    results = [read_result(r, s, run_dir(args.output_dir, r, s)) for r in args.recipes for s in args.seeds]
    return [r for r in results if r is not None]


def summary(values: list[float]) -> str:
    """``mean ± sample standard deviation (min-max)`` of ``values``."""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def mean_result(rows: list[Result]) -> Result:
    """The seed-mean of ``rows`` (one recipe) as a :class:`Result` (seed -1)."""
    mean = {key: statistics.mean(getattr(r, key) for r in rows) for key in ("f1", "unseen_f1", "seen_f1", "minutes")}
    return Result(rows[0].recipe, -1, **mean)


def report(results: list[Result]) -> None:
    print("\n| recipe | seed | test F1 | unseen F1 | seen F1 | minutes |\n| --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(f"| {r.recipe} | {r.seed} | {r.f1:.2f} | {r.unseen_f1:.2f} | {r.seen_f1:.2f} | {r.minutes:.1f} |")
    by_recipe = {name: [r for r in results if r.recipe == name] for name in dict.fromkeys(r.recipe for r in results)}
    print("\n| recipe | seeds | test F1 | unseen F1 | seen F1 | minutes |\n| --- | --- | --- | --- | --- | --- |")
    for name, rows in by_recipe.items():
        print(f"| {name} | {len(rows)} | {summary([r.f1 for r in rows])} | {summary([r.unseen_f1 for r in rows])} "
              f"| {summary([r.seen_f1 for r in rows])} | {summary([r.minutes for r in rows])} |")
    for baseline in (name for name in by_recipe if name != "preset" and by_recipe.get("preset")):
        new, old = mean_result(by_recipe["preset"]), mean_result(by_recipe[baseline])
        print(f"\npreset - {baseline} (baseline, same run): test F1 {new.f1 - old.f1:+.2f}, "
              f"unseen F1 {new.unseen_f1 - old.unseen_f1:+.2f}; minutes x {new.minutes / old.minutes:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", choices=sorted(RECIPES), default=["preset", "previous"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 1, 2])
    parser.add_argument("--jobs", type=int, default=1, help="runs trained at once")
    parser.add_argument("--output-dir", type=Path, default=Path("runs/bench-preset"))
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    results = train_all(args)
    report(results)
    (args.output_dir / "results.json").write_text(json.dumps([r.__dict__ for r in results], indent=2))


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
