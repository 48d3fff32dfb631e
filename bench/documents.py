"""Whole documents vs sentence by sentence: tagging the CoNLL++ test documents as raw text.

Each of the 231 CoNLL++ test documents is written as text, one sentence per line (tokens joined
by spaces), and tagged three ways by the same checkpoint:

- ``sentence by sentence`` (the baseline): every line is its own text (``tag_many(lines)``);
- ``whole document``: the document's text in one call (``tag(document)``), the Tagger splitting it
  into sentences (:mod:`nerlib.text.sentences`), without document context;
- ``whole document + context``: the same, with each sentence read with its neighbours as context
  (what a checkpoint trained with ``--document-context`` does by default; for other checkpoints
  only with ``--force-context``, filling the window).

Predicted words are mapped back onto the gold tokens by character offset (a gold token takes the
label of the tagged word that starts where it starts), labels repaired to IOB2, and scored with
conlleval semantics. Also counts predicted entities that contain a line break (must be 0).

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/documents.py runs/minilm [runs/minilm-context ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from itertools import groupby
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def documents(data_dir: str | None):
    """The test split as documents: lists of ConllSentence."""
    from nerlib.data.conll import read_conll
    from nerlib.data.conllpp import find_conllpp_dir

    sentences = read_conll(find_conllpp_dir(data_dir) / "conllpp_test.txt")
    return [list(group) for _, group in groupby(sentences, key=lambda s: s.document)]


def labels_for_tokens(tagged, tokens: list[str], offset: int) -> list[str]:
    """Gold-token labels from a TaggedText whose text holds ``tokens`` (space-joined) at ``offset``."""
    by_start = {w.start: w.label for w in tagged.words}
    labels, position = [], offset
    for token in tokens:
        labels.append(by_start.get(position, "O"))
        position += len(token) + 1
    return labels


def run(tagger, docs, mode: str):
    from nerlib.data.labels import to_iob2
    from nerlib.evaluation.metrics import compute_metrics

    started = time.perf_counter()
    gold, predicted, crossing = [], [], 0
    texts = ["\n".join(" ".join(s.tokens) for s in doc) for doc in docs]
    if mode == "sentence by sentence":
        lines = [" ".join(s.tokens) for doc in docs for s in doc]
        tagged_lines = iter(tagger.tag_many(lines))
        for doc in docs:
            for sentence in doc:
                tagged = next(tagged_lines)
                predicted.append(to_iob2(labels_for_tokens(tagged, sentence.tokens, 0)))
                gold.append(sentence.ner_tags)
    else:
        tagger.document_context = mode.endswith("context")
        if tagger.document_context and tagger.context_size == 0:
            tagger.context_size = None
        for doc, tagged in zip(docs, tagger.tag_many(texts)):
            crossing += sum("\n" in e.text for e in tagged.entities)
            offset = 0
            for sentence in doc:
                predicted.append(to_iob2(labels_for_tokens(tagged, sentence.tokens, offset)))
                gold.append(sentence.ner_tags)
                offset += len(" ".join(sentence.tokens)) + 1
    seconds = time.perf_counter() - started
    return compute_metrics(gold, predicted), crossing, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="run folders or checkpoints")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--force-context", action="store_true",
                        help="also tag with document context when the model was trained without it")
    args = parser.parse_args()

    import torch

    from nerlib.tagging.tagger import Tagger

    docs = documents(args.data_dir)
    print(f"{len(docs)} test documents, {sum(len(d) for d in docs)} sentences; {os.cpu_count()} CPU cores, "
          f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}")
    for model in args.models:
        tagger = Tagger.from_pretrained(model, device="cpu", dtype="float32")
        trained = tagger.document_context
        print(f"\n{model} (trained with document context: {trained}, context size {tagger.context_size})")
        print(f"{'mode':<28}{'F1':>7}{'P':>7}{'R':>7}{'crossing':>10}{'seconds':>9}")
        baseline = None
        modes = ["sentence by sentence", "whole document"]
        if trained or args.force_context:  # context for a model trained without it is off-distribution
            modes.append("whole document + context")
        for mode in modes:
            metrics, crossing, seconds = run(tagger, docs, mode)
            baseline = baseline if baseline is not None else metrics.f1
            print(f"{mode:<28}{100 * metrics.f1:>7.2f}{100 * metrics.precision:>7.2f}{100 * metrics.recall:>7.2f}"
                  f"{crossing:>10}{seconds:>9.1f}   ({100 * (metrics.f1 - baseline):+.2f} vs sentence by sentence)")


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
