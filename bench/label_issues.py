"""Benchmark: how well ``label-issues`` finds injected label errors, against a simple baseline.

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/label_issues.py --model runs/<run>

The CoNLL++ validation split (which the run was not trained on) gets seeded label noise at 2%, 5%
and 10% of its entities, four kinds in equal shares: a changed type, a boundary shifted by one
word (grown onto a neighbouring ``O`` word or shrunk), a dropped entity (its words set to ``O``)
and a spurious entity (an ``O`` word, not punctuation, given a random type). A sentence counts as
corrupted when any of its tags changed. The model's class distributions do not depend on the labels,
so they are computed once (one pass, as ``label-issues`` does for data the run was not trained on)
and every noise level is scored from them.

Each detector ranks all sentences; the bench prints AUROC, AUPRC (average precision) and precision
at k (k = the number of corrupted sentences) of:

- ``ours``: ``label-issues``' sentence quality (the default of :mod:`nerlib.quality.scores`);
- ``cleanlab-*``: the other sentence and word scores cleanlab and we offer (``min`` of
  ``self_confidence`` is cleanlab's reference method);
- ``baseline``: sentences ranked by how many words the model's arg-max disagrees with the given
  tag (ties in sentence order).

Everything in one process, the same distributions for every detector. ``--json-out`` writes the
figures.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

KINDS = ("changed_type", "shifted_boundary", "dropped_entity", "spurious_entity")
TYPES = ("PER", "ORG", "LOC", "MISC")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="run folder (its best checkpoint reads the split)")
    parser.add_argument("--split", default="validation", help="CoNLL++ split or CoNLL file (default validation)")
    parser.add_argument("--levels", default="0.02,0.05,0.10", help="noise levels, shares of the entities")
    parser.add_argument("--seed", type=int, default=13, help="seed of the noise")
    parser.add_argument("--limit", type=int, help="use only the first N sentences")
    parser.add_argument("--json-out", help="also write the figures to this JSON file")
    parser.add_argument("--distributions", help="an .npz file: read the distributions from it when it exists, "
                                                "else compute and save them there (reruns skip the model)")
    return parser.parse_args()


def inject_noise(given: list[list[str]], tokens: list[list[str]], share: float,
                 seed: int) -> tuple[list[list[str]], list[tuple[int, str]]]:
    """Corrupt ``share`` of the entities (kinds in equal shares, at most one per sentence); returns
    the new tags and the sentence and kind of each corruption made."""
    from nerlib.data.labels import entity_spans, to_iob2

    rng = random.Random(seed)
    noisy = [list(tags) for tags in given]
    entities = [(s, span) for s, tags in enumerate(given) for span in entity_spans(tags)]
    wanted = round(share * len(entities))
    made: list[tuple[int, str]] = []
    order = list(range(len(entities)))
    rng.shuffle(order)
    touched: set[int] = set()
    kinds = [KINDS[i % len(KINDS)] for i in range(wanted)]
    rng.shuffle(kinds)
    picks = iter(order)
    for kind in kinds:
        for _ in range(1000):
            if kind == "spurious_entity":
                s = rng.randrange(len(noisy))
                if s in touched:
                    continue
                candidates = [w for w, (tag, word) in enumerate(zip(noisy[s], tokens[s]))
                              if tag == "O" and any(c.isalnum() for c in word)]
                if not candidates:
                    continue
                w = rng.choice(candidates)
                noisy[s][w] = f"B-{rng.choice(TYPES)}"
            else:
                index = next(picks, None)
                if index is None:
                    break
                s, span = entities[index]
                if s in touched:
                    continue
                tags = noisy[s]
                if kind == "changed_type":
                    new = rng.choice([t for t in TYPES if t != span.label])
                    for w in range(span.start, span.end):
                        tags[w] = ("B-" if w == span.start else "I-") + new
                elif kind == "dropped_entity":
                    for w in range(span.start, span.end):
                        tags[w] = "O"
                else:  # shifted boundary: grow onto an O neighbour, or shrink a longer entity
                    options = []
                    if span.end < len(tags) and tags[span.end] == "O":
                        options.append("grow_right")
                    if span.start > 0 and tags[span.start - 1] == "O":
                        options.append("grow_left")
                    if len(span) > 1:
                        options += ["shrink_right", "shrink_left"]
                    if not options:
                        continue
                    move = rng.choice(options)
                    if move == "grow_right":
                        tags[span.end] = f"I-{span.label}"
                    elif move == "grow_left":
                        tags[span.start - 1] = f"B-{span.label}"
                        tags[span.start] = f"I-{span.label}"
                    elif move == "shrink_right":
                        tags[span.end - 1] = "O"
                    else:
                        tags[span.start] = "O"
                        tags[span.start + 1] = f"B-{span.label}"
                noisy[s] = to_iob2(tags)
            touched.add(s)
            made.append((s, kind))
            break
    return noisy, made


def ranking_metrics(corrupted: np.ndarray, suspicion: np.ndarray) -> dict[str, float]:
    """AUROC, AUPRC and precision at k (k = corrupted sentences) of a suspicion score (higher =
    more likely wrong); ties broken in sentence order."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    k = int(corrupted.sum())
    order = np.lexsort((np.arange(len(suspicion)), -suspicion))
    return {"auroc": float(roc_auc_score(corrupted, suspicion)),
            "auprc": float(average_precision_score(corrupted, suspicion)),
            "p_at_k": float(corrupted[order[:k]].mean()) if k else 0.0, "k": k}


def main() -> None:
    args = parse_args()
    import torch

    from nerlib.evaluation.scoring import load_sentences
    from nerlib.quality.folds import sentence_distributions
    from nerlib.quality.scores import (
        DEFAULT_SENTENCE_METHOD,
        DEFAULT_TOKEN_METHOD,
        SENTENCE_METHODS,
        TOKEN_METHODS,
        find_sentence_issues,
    )
    from nerlib.tagging.tagger import Tagger

    torch.set_num_threads(max(1, torch.get_num_threads()))
    sentences, source = load_sentences(args.split)
    if args.limit:
        sentences = sentences[: args.limit]
    tagger = Tagger.from_pretrained(args.model, device="cpu", dtype="float32")
    labels = list(tagger.labels)
    started = time.perf_counter()
    if args.distributions and Path(args.distributions).is_file():
        with np.load(args.distributions) as saved:
            offsets = np.concatenate([[0], np.cumsum(saved["lengths"])])
            probabilities = [saved["probabilities"][offsets[i]:offsets[i + 1]] for i in range(len(sentences))]
    else:
        probabilities = sentence_distributions(tagger, sentences, labels)
        if args.distributions:
            np.savez(args.distributions, lengths=np.array([len(p) for p in probabilities]),
                     probabilities=np.concatenate(probabilities))
    read_seconds = time.perf_counter() - started
    tokens = [list(s.tokens) for s in sentences]
    clean = [list(s.ner_tags) for s in sentences]
    predicted = [[labels[i] for i in p.argmax(axis=1)] for p in probabilities]
    print(f"{source}: {len(sentences)} sentences, {sum(map(len, tokens))} words; model {args.model} read them in "
          f"{read_seconds:.1f} s (one pass, CPU{'; distributions from ' + args.distributions if args.distributions else ''})")
    detectors = [("ours", DEFAULT_TOKEN_METHOD, DEFAULT_SENTENCE_METHOD)] + [
        (f"cleanlab-{t}-{m}", t, m) for t in TOKEN_METHODS for m in SENTENCE_METHODS
        if (t, m) != (DEFAULT_TOKEN_METHOD, DEFAULT_SENTENCE_METHOD)]
    results = {"source": source, "sentences": len(sentences), "model": args.model, "seed": args.seed, "levels": {}}
    for level in (float(x) for x in args.levels.split(",")):
        noisy, made = inject_noise(clean, tokens, level, args.seed)
        corrupted = np.array([a != b for a, b in zip(noisy, clean)], dtype=int)
        row: dict[str, dict[str, float]] = {}
        disagreements = np.array([sum(g != p for g, p in zip(given, pred)) for given, pred in zip(noisy, predicted)],
                                 dtype=float)
        row["baseline"] = ranking_metrics(corrupted, disagreements)
        for name, token_method, sentence_method in detectors:
            issues = find_sentence_issues(tokens, noisy, probabilities, labels, token_method=token_method,
                                          sentence_method=sentence_method)
            quality = np.zeros(len(sentences))
            for issue in issues:
                quality[issue.sentence] = issue.quality
            row[name] = ranking_metrics(corrupted, -quality)
        kinds = {kind: sum(1 for _, k in made if k == kind) for kind in KINDS}
        ours = np.zeros(len(sentences))
        for issue in find_sentence_issues(tokens, noisy, probabilities, labels):
            ours[issue.sentence] = issue.quality
        top = set(np.lexsort((np.arange(len(ours)), ours))[: int(corrupted.sum())].tolist())
        found = {kind: sum(1 for s, k in made if k == kind and s in top) / max(1, kinds[kind]) for kind in KINDS}
        results["levels"][f"{level:g}"] = {"corrupted_sentences": int(corrupted.sum()), "kinds": kinds,
                                           "ours_recall_at_k_by_kind": found, "detectors": row}
        print(f"\nnoise {level:.0%} of entities: {int(corrupted.sum())} corrupted sentences of {len(sentences)} "
              f"({', '.join(f'{k} {v}' for k, v in kinds.items())})")
        print(f"  {'detector':<46}{'AUROC':>7}{'AUPRC':>7}{'P@k':>7}   vs baseline AUPRC")
        base = row["baseline"]["auprc"]
        for name, figures in sorted(row.items(), key=lambda item: (item[0] != "ours", item[0] != "baseline", item[0])):
            ratio = f"{figures['auprc'] / base:.2f}x" if base else "-"
            print(f"  {name:<46}{figures['auroc']:>7.3f}{figures['auprc']:>7.3f}{figures['p_at_k']:>7.3f}   {ratio}")
        print("  ours, share of each kind's sentences in the top k: "
              + ", ".join(f"{kind} {share:.2f}" for kind, share in found.items()))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
