"""Word pooling rules: how a word's label is read from its sub-tokens' scores, on trained checkpoints.

The model runs once per checkpoint over the CoNLL++ test split (the shared encoder, no context,
float32 as ``evaluate_checkpoint``); every rule is then applied to the same sub-token scores:

* ``first``: the word's first sub-token (the baseline: what prediction did before ``word_pooling``);
* ``mean-logprob``: the mean of the word's sub-tokens' log-probabilities;
* ``mean-logit``: the mean of their logits;
* ``first-nonmarker``: the first sub-token that is not a case marker ``^``;
* ``mean-nonmarker``: the mean log-probability over the sub-tokens other than the marker.

Prints test F1 and unseen-entity F1 per rule and checkpoint, mean ± sd per rule and the difference
to ``first`` measured in the same run; ``--examples`` lists unseen gold entities that one rule gets
right and ``first`` wrong (and the reverse). ``--json`` writes everything to a file.

``--speed`` times instead the host cost of the rule the Tagger implements (``nerlib.modeling.pooling``):
``Tagger.tag_many`` over the test sentences as text with ``word_pooling="first"`` (baseline) and
``"mean"``, in turns, best of ``--repeats`` calls each, with bench/tagging_host.py's tiny model
(one layer of width 32, the ``minilm-cpu`` tokenizer with case markers), so the model's arithmetic
is almost free and the host work shows; prints words/s and the ratio mean/first.

    NERLIB_DATA_DIR=... python bench/word_pooling.py /work/runs/bench-preset/preset-seed{42,1,2}/checkpoints/best
    NERLIB_DATA_DIR=... python bench/word_pooling.py --speed
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RULES = ("first", "mean-logprob", "mean-logit", "first-nonmarker", "mean-nonmarker")


def subtoken_scores(tagger, tokens: list[list[str]]) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Per sentence: the logits of its target sub-tokens, their ids and the word starts."""
    import torch

    from nerlib.modeling.encoding import encode_words, sentence_windows

    encoded = encode_words(tagger.tokenizer, tokens)
    windows, _ = sentence_windows(encoded, max_length=tagger.max_length, prefix=tagger._prefix,
                                  suffix=tagger._suffix, overlap=tagger.overlap)
    if len(windows) != sum(1 for s in encoded if s.num_words):
        raise SystemExit("a test sentence needs more than one window; this bench assumes one each")
    logits: list[np.ndarray] = [np.zeros((0, len(tagger.labels)), np.float32)] * len(tokens)
    order = sorted(range(len(windows)), key=lambda k: -len(windows[k].input_ids))
    with torch.inference_mode():
        for begin in range(0, len(order), 64):
            chunk = [windows[k] for k in order[begin:begin + 64]]
            width = len(chunk[0].input_ids)
            ids = torch.full((len(chunk), width), tagger.pad_id, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for row, window in enumerate(chunk):
                ids[row, :len(window.input_ids)] = torch.tensor(window.input_ids)
                mask[row, :len(window.input_ids)] = 1
            out = tagger.model(input_ids=ids, attention_mask=mask).logits.float().numpy()
            for row, window in enumerate(chunk):
                logits[window.sentence] = out[row, window.target_start:window.target_end]
    return logits, [np.asarray(e.ids, dtype=np.int64) for e in encoded], [e.starts for e in encoded]


def pool(rule: str, logits: np.ndarray, ids: np.ndarray, starts: np.ndarray, marker: int | None) -> np.ndarray:
    """Label id per word of one sentence under ``rule``."""
    n_words = len(starts) - 1
    if n_words == 0:
        return np.zeros(0, dtype=np.int64)
    logp = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    counts = np.diff(starts)
    words = np.repeat(np.arange(n_words), counts)
    is_marker = (ids == marker) if marker is not None else np.zeros(len(ids), bool)
    if rule == "first":
        return logits[starts[:-1]].argmax(-1)
    if rule in ("mean-logprob", "mean-logit"):
        values = logp if rule == "mean-logprob" else logits
        return np.add.reduceat(values, starts[:-1], axis=0).argmax(-1)
    # the marker-free rules: a word made of a marker only keeps its own sub-tokens
    keep = ~is_marker
    has_other = np.bincount(words, weights=keep, minlength=n_words) > 0
    keep |= ~has_other[words]
    if rule == "first-nonmarker":
        position = np.arange(len(ids))
        first_kept = np.full(n_words, len(ids))
        np.minimum.at(first_kept, words[keep], position[keep])
        return logits[first_kept].argmax(-1)
    if rule == "mean-nonmarker":
        sums = np.zeros((n_words, logits.shape[1]))
        np.add.at(sums, words[keep], logp[keep])
        return sums.argmax(-1)
    raise ValueError(rule)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoints", nargs="*", help="checkpoint folders")
    parser.add_argument("--speed", action="store_true", help="time the Tagger's host path, first vs mean")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per rule with --speed")
    parser.add_argument("--split", default="test")
    parser.add_argument("--examples", type=int, default=8, help="changed unseen entities listed per checkpoint")
    parser.add_argument("--json", help="write all numbers here")
    args = parser.parse_args()
    if args.speed:
        return speed(args.split, args.repeats)
    if not args.checkpoints:
        parser.error("name checkpoint folders, or --speed")

    from nerlib.data.labels import entity_spans, to_iob2
    from nerlib.evaluation.metrics import compute_metrics
    from nerlib.evaluation.scoring import load_sentences, training_entities
    from nerlib.modeling.models import CASE_MARKER
    from nerlib.tagging.tagger import Tagger

    sentences, _ = load_sentences(args.split)
    seen = training_entities("train")
    tokens = [list(s.tokens) for s in sentences]
    gold = [list(s.ner_tags) for s in sentences]
    results: dict[str, dict[str, dict[str, float]]] = {}
    examples: dict[str, dict[str, list[str]]] = {}
    for path in args.checkpoints:
        started = time.perf_counter()
        tagger = Tagger.from_pretrained(path, device="cpu", dtype="float32")
        marker = tagger.tokenizer.get_vocab().get(CASE_MARKER) if tagger.tokenizer.tokenize("Xy")[:1] == [CASE_MARKER] else None
        logits, ids, starts = subtoken_scores(tagger, tokens)
        results[path] = {}
        predicted: dict[str, list[list[str]]] = {}
        for rule in RULES:
            labels = [to_iob2([tagger.labels[i] for i in pool(rule, lg, si, st, marker).tolist()])
                      for lg, si, st in zip(logits, ids, starts)]
            predicted[rule] = labels
            metrics = compute_metrics(gold, labels, tokens=tokens, seen=seen)
            unseen = metrics.unseen
            results[path][rule] = {"f1": 100 * metrics.f1, "unseen_f1": 100 * unseen.f1,
                                   "unseen_precision": 100 * unseen.precision, "unseen_recall": 100 * unseen.recall,
                                   "seen_f1": 100 * metrics.seen.f1}
            print(f"{path}  {rule:16s} test F1 {100 * metrics.f1:6.2f}  unseen F1 {100 * unseen.f1:6.2f}"
                  f" (P {100 * unseen.precision:6.2f} R {100 * unseen.recall:6.2f})"
                  f"  seen F1 {100 * metrics.seen.f1:6.2f}", flush=True)
        print(f"  ({time.perf_counter() - started:.0f} s)")
        examples[path] = changed_unseen(tokens, gold, predicted["first"], predicted["mean-logprob"], seen,
                                        entity_spans)
        for kind in ("fixed", "broken"):
            print(f"  unseen entities {kind} by mean-logprob vs first ({len(examples[path][kind])}):")
            for line in examples[path][kind][:args.examples]:
                print(f"    {line}")
    summarise(results, args.checkpoints)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "examples": examples}, indent=1))


def trained_with(path: str) -> str:
    """The label strategy the checkpoint's run trained with (its run folder's run.json), or ``?``."""
    run_json = Path(path).resolve().parents[1] / "run.json"
    try:
        return json.loads(run_json.read_text())["config"]["label_strategy"]
    except (OSError, KeyError, ValueError):
        return "?"


def summarise(results: dict, checkpoints: list[str]) -> None:
    """Per group of checkpoints trained the same way: mean ± sd of each rule, and its difference
    to ``first`` checkpoint by checkpoint."""
    groups: dict[str, list[str]] = {}
    for path in checkpoints:
        groups.setdefault(trained_with(path), []).append(path)
    for strategy, paths in groups.items():
        print(f"\ntrained with label_strategy={strategy} ({len(paths)} checkpoints): mean ± sd, and the "
              "difference to `first` (same run), per checkpoint")
        for rule in RULES:
            f1 = [results[p][rule]["f1"] for p in paths]
            unseen = [results[p][rule]["unseen_f1"] for p in paths]
            d_f1 = [results[p][rule]["f1"] - results[p]["first"]["f1"] for p in paths]
            d_unseen = [results[p][rule]["unseen_f1"] - results[p]["first"]["unseen_f1"] for p in paths]
            print(f"  {rule:16s} test {_ms(f1)}  unseen {_ms(unseen)}   vs first: test {statistics.mean(d_f1):+.2f}"
                  f" ({', '.join(f'{d:+.2f}' for d in d_f1)})  unseen {statistics.mean(d_unseen):+.2f}"
                  f" ({', '.join(f'{d:+.2f}' for d in d_unseen)})")


def speed(split: str, repeats: int) -> None:
    """Words/s of ``Tagger.tag_many`` with each rule on a tiny model (see the module docstring)."""
    import tempfile

    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from bench.tagging_host import build_model, quiet_transformers
    from nerlib.evaluation.scoring import load_sentences
    from nerlib.tagging.tagger import Tagger

    quiet_transformers()
    torch.set_num_threads(1)
    texts = [" ".join(s.tokens) for s in load_sentences(split)[0]]
    with tempfile.TemporaryDirectory() as folder:
        build_model(Path(folder), 0.22)
        model, tokenizer = AutoModelForTokenClassification.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)
    taggers = {rule: Tagger(model, tokenizer, device="cpu", word_pooling=rule) for rule in ("first", "mean")}
    best = {rule: float("inf") for rule in taggers}
    words = 0
    for tagger in taggers.values():
        tagger.tag_many(texts)  # warm-up
    for _ in range(repeats):
        for rule, tagger in taggers.items():
            started = time.perf_counter()
            words = sum(len(t.words) for t in tagger.tag_many(texts))
            best[rule] = min(best[rule], time.perf_counter() - started)
    for rule in taggers:
        print(f"{rule:6s} {words / best[rule]:9.0f} words/s  ({best[rule]:.2f} s, best of {repeats})")
    print(f"mean/first: {best['first'] / best['mean']:.2f}x the words/s of the baseline (first)")


def changed_unseen(tokens, gold, before, after, seen, entity_spans) -> dict[str, list[str]]:
    """Unseen gold entities predicted exactly by ``after`` but not ``before`` (fixed), and the reverse."""
    out: dict[str, list[str]] = {"fixed": [], "broken": []}
    for words, g, b, a in zip(tokens, gold, before, after):
        b_spans, a_spans = set(entity_spans(b)), set(entity_spans(a))
        for span in entity_spans(g):
            text = " ".join(words[span.start:span.end])
            if text in seen or (span in b_spans) == (span in a_spans):
                continue
            # the labels of the entity's words and of one word either side
            around = slice(max(0, span.start - 1), span.end + 1)
            line = (f"{text!r} {span.label} in '{' '.join(words[around])}': first {'/'.join(b[around])}"
                    f" -> pooled {'/'.join(a[around])}")
            out["fixed" if span in a_spans else "broken"].append(line)
    return out


def _ms(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):6.2f} ± {sd:4.2f}"


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
