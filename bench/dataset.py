"""Benchmark: CoNLL++ loading and dataset statistics.

Baseline: the same entity counts computed the usual way, iterating the Dataset row by row and
reading entities with seqeval's ``get_entities``. Run: ``python bench/dataset.py``
(needs NERLIB_DATA_DIR or the cache).
"""

from __future__ import annotations

import time
from collections import Counter

from nerlib.data.conllpp import load_conllpp
from nerlib.data.statistics import dataset_statistics


def baseline_counts(dataset_dict) -> dict:
    from seqeval.metrics.sequence_labeling import get_entities

    counts = {}
    for split, dataset in dataset_dict.items():
        names = dataset.features["ner_tags"].feature.names
        counter = Counter()
        for row in dataset:
            counter.update(t for t, _, _ in get_entities([names[i] for i in row["ner_tags"]]))
        counts[split] = counter
    return counts


def main() -> None:
    start = time.perf_counter()
    data = load_conllpp(with_documents=True)
    load_s = time.perf_counter() - start

    start = time.perf_counter()
    stats = dataset_statistics(data)
    ours_s = time.perf_counter() - start

    start = time.perf_counter()
    counts = baseline_counts(data)
    baseline_s = time.perf_counter() - start

    ours = stats.entity_counts.groupby("split")["entities"].sum().to_dict()
    assert ours == {split: sum(c.values()) for split, c in counts.items()}, "counts disagree"
    print(f"load_conllpp (parse 3 files, verify sha256, build Datasets): {load_s:.2f} s")
    print(f"dataset_statistics, all splits (every table): {ours_s:.2f} s")
    print(f"baseline, entity counts only (row iteration + seqeval get_entities): {baseline_s:.2f} s")
    print(f"ratio baseline/ours: {baseline_s / ours_s:.2f}x")


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
