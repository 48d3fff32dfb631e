"""Dataset statistics as plain pandas tables (for the README, notebooks and the dashboard)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import datasets
import pandas as pd

from nerlib.data.labels import entity_spans


@dataclass
class DatasetStatistics:
    """Statistics of a ``DatasetDict``; every field is a pandas DataFrame.

    Attributes
    ----------
    splits:
        One row per split: sentences, tokens, documents (when known), entities.
    entity_counts:
        Split x entity type, number of entities.
    entity_lengths:
        Split, type, length (words), count.
    sentence_lengths:
        Split, length (tokens), count.
    top_entities:
        Type, text, count (training split, else the first split), most frequent first.
    unseen:
        Per type (and ``ALL``): test entities, how many never occur as that type in train, and the
        share (empty when there is no train or test split).
    """

    splits: pd.DataFrame
    entity_counts: pd.DataFrame
    entity_lengths: pd.DataFrame
    sentence_lengths: pd.DataFrame
    top_entities: pd.DataFrame
    unseen: pd.DataFrame


def column_values(dataset: datasets.Dataset, name: str) -> list:
    """The values of one column of a split as a Python list, read as one Arrow column.

    ``dataset[name]`` is a lazy column in ``datasets`` 4 and later: iterating it formats one row at
    a time, several times slower on the CoNLL++ training split (docs/benchmarks.md, "Issue 27:
    saved predictions on the Errors page, first loads"). The Arrow format keeps any selection or
    shuffle of the split.

    Parameters
    ----------
    dataset:
        The split.
    name:
        The column (``tokens``, ``ner_tags`` as ClassLabel ids, ``document``, ...).

    Returns
    -------
    list
        One value per row, in order.

    >>> split = datasets.Dataset.from_dict({"tokens": [["a"], ["b", "c"], ["d"]]}).select([2, 0])
    >>> column_values(split, "tokens")
    [['d'], ['a']]
    """
    return dataset.with_format("arrow")[:].column(name).to_pylist()


def split_entities(dataset: datasets.Dataset) -> list[tuple[int, str, str, int]]:
    """Every gold entity of a split.

    Parameters
    ----------
    dataset:
        A split with ``tokens`` and ClassLabel ``ner_tags`` columns.

    Returns
    -------
    list of tuple
        ``(sentence index, type, surface text, length in words)`` per entity, in order; the
        surface text is the words joined by spaces.
    """
    names = dataset.features["ner_tags"].feature.names
    found = []
    for index, (tokens, tags) in enumerate(zip(column_values(dataset, "tokens"), column_values(dataset, "ner_tags"))):
        for span in entity_spans([names[t] for t in tags]):
            found.append((index, span.label, " ".join(tokens[span.start:span.end]), len(span)))
    return found


def dataset_statistics(dataset_dict: datasets.DatasetDict, top_n: int = 20) -> DatasetStatistics:
    """Compute :class:`DatasetStatistics` for every split of ``dataset_dict``.

    Parameters
    ----------
    dataset_dict:
        The splits, each with ``tokens`` and ClassLabel ``ner_tags`` (and optionally
        ``document``) columns.
    top_n:
        How many of the most frequent entities to list per type in ``top_entities``.

    Returns
    -------
    DatasetStatistics
        The tables; ``unseen`` is empty without both a ``train`` and a ``test`` split.
    """
    split_rows, count_rows, length_rows, sentence_rows = [], [], [], []
    entities_by_split: dict[str, list[tuple[int, str, str, int]]] = {}
    for split, dataset in dataset_dict.items():
        entities = split_entities(dataset)
        entities_by_split[split] = entities
        lengths = [len(tokens) for tokens in column_values(dataset, "tokens")]
        split_rows.append({
            "split": split,
            "sentences": len(dataset),
            "tokens": sum(lengths),
            "documents": len(set(column_values(dataset, "document"))) if "document" in dataset.column_names else None,
            "entities": len(entities),
        })
        by_type = Counter(label for _, label, _, _ in entities)
        count_rows += [{"split": split, "type": t, "entities": n} for t, n in sorted(by_type.items())]
        by_length = Counter((label, n) for _, label, _, n in entities)
        length_rows += [{"split": split, "type": t, "length": n, "count": c} for (t, n), c in sorted(by_length.items())]
        sentence_rows += [{"split": split, "length": n, "count": c} for n, c in sorted(Counter(lengths).items())]

    reference = "train" if "train" in entities_by_split else next(iter(entities_by_split), None)
    top_rows = []
    if reference is not None:
        surface = Counter((label, text) for _, label, text, _ in entities_by_split[reference])
        per_type: dict[str, list] = {}
        for (label, text), count in surface.most_common():
            if len(per_type.setdefault(label, [])) < top_n:
                per_type[label].append({"type": label, "text": text, "count": count})
        top_rows = [row for label in sorted(per_type) for row in per_type[label]]

    unseen_rows = []
    if "train" in entities_by_split and "test" in entities_by_split:
        known = {(label, text) for _, label, text, _ in entities_by_split["train"]}
        test = entities_by_split["test"]
        for label in sorted({kind for _, kind, _, _ in test}) + ["ALL"]:
            chosen = [(kind, t) for _, kind, t, _ in test if label in ("ALL", kind)]
            new = sum(1 for key in chosen if key not in known)
            unseen_rows.append({"type": label, "test_entities": len(chosen), "unseen_in_train": new,
                                "share_unseen": new / len(chosen) if chosen else 0.0})

    return DatasetStatistics(
        splits=pd.DataFrame(split_rows, columns=["split", "sentences", "tokens", "documents", "entities"]),
        entity_counts=pd.DataFrame(count_rows, columns=["split", "type", "entities"]),
        entity_lengths=pd.DataFrame(length_rows, columns=["split", "type", "length", "count"]),
        sentence_lengths=pd.DataFrame(sentence_rows, columns=["split", "length", "count"]),
        top_entities=pd.DataFrame(top_rows, columns=["type", "text", "count"]),
        unseen=pd.DataFrame(unseen_rows, columns=["type", "test_entities", "unseen_in_train", "share_unseen"]),
    )
