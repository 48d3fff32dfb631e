"""Entity-level scores with conlleval semantics, token accuracy and the token confusion matrix.

Seen and unseen entities: a model that memorised the training entities looks good on a test set
that repeats them and worse on tomorrow's news. Given the surface forms of the training split's
entities (:func:`entity_surface_forms`), :func:`compute_metrics` also scores the gold entities whose
words occur as an entity in training (``seen``) apart from those that do not (``unseen``):

>>> train = entity_surface_forms([["Paris", "is", "big"]], [["B-LOC", "O", "O"]])
>>> m = compute_metrics([["B-LOC", "O", "B-LOC"]], [["B-LOC", "O", "O"]],
...                     tokens=[["Paris", "and", "Lyon"]], seen=train)
>>> (m.seen.recall, m.unseen.recall, m.unseen.support)
(1.0, 0.0, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from nerlib.data.labels import NER_LABELS


@dataclass
class TypeScores:
    """Precision, recall and F1 (0..1) for one entity type; ``support`` = gold entities."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class SubsetScores:
    """Scores over a subset of entities (``seen`` or ``unseen``).

    A predicted entity belongs to the subset its surface form puts it in, as a gold one does.

    Attributes
    ----------
    precision, recall, f1:
        0..1 over the subset.
    support:
        Gold entities of the subset.
    predicted:
        Predicted entities of it.
    correct:
        Predicted ones that match gold exactly.
    """

    precision: float
    recall: float
    f1: float
    support: int
    predicted: int
    correct: int


@dataclass
class EntityMetrics:
    """Scores of predicted against gold label sequences (see :func:`compute_metrics`).

    Attributes
    ----------
    precision, recall, f1:
        Micro-averaged over entities (0..1, as conlleval computes them).
    support:
        Gold entities.
    predicted:
        Predicted entities.
    token_accuracy:
        The share of tokens whose label is right.
    sentences:
        The number of sentences scored.
    per_type:
        Each entity type's :class:`TypeScores`.
    seen, unseen:
        :class:`SubsetScores` of the entities seen and not seen in training; None when the
        training entities were not given.
    """

    precision: float
    recall: float
    f1: float
    support: int
    predicted: int
    token_accuracy: float
    sentences: int
    per_type: dict[str, TypeScores] = field(default_factory=dict)
    seen: SubsetScores | None = None
    unseen: SubsetScores | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``per_type``, ``seen`` and ``unseen`` as nested dicts)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntityMetrics:
        """Rebuild from :meth:`to_dict` output (extra keys are ignored)."""
        names = {f for f in cls.__dataclass_fields__ if f not in ("per_type", "seen", "unseen")}
        subsets = {key: SubsetScores(**data[key]) if isinstance(data.get(key), dict) else None
                   for key in ("seen", "unseen")}
        return cls(**{k: v for k, v in data.items() if k in names},
                   per_type={t: TypeScores(**s) for t, s in (data.get("per_type") or {}).items()}, **subsets)

    def table(self) -> pd.DataFrame:
        """One row per type plus an ``ALL`` row: precision, recall, f1, support."""
        rows = [{"type": t, **asdict(s)} for t, s in sorted(self.per_type.items())]
        rows.append({"type": "ALL", "precision": self.precision, "recall": self.recall,
                     "f1": self.f1, "support": self.support})
        return pd.DataFrame(rows, columns=["type", "precision", "recall", "f1", "support"])

    def seen_unseen_table(self) -> pd.DataFrame:
        """Rows ``seen``, ``unseen`` and ``all`` (entities), columns precision, recall, f1, support,
        predicted, correct; empty when the training entities were not given."""
        return seen_unseen_frame(self.to_dict())


SUBSET_COLUMNS = ["entities", "precision", "recall", "f1", "support", "predicted", "correct"]


def seen_unseen_frame(record: dict[str, Any]) -> pd.DataFrame:
    """The seen/unseen table of a metrics record (see :meth:`EntityMetrics.seen_unseen_table`).

    Parameters
    ----------
    record:
        An :meth:`EntityMetrics.to_dict` dict or a ``metrics.jsonl`` line.

    Returns
    -------
    pandas.DataFrame
        Rows ``seen``, ``unseen`` and ``all``, columns :data:`SUBSET_COLUMNS`. Records without
        ``seen``/``unseen`` (older runs) give an empty table with the same columns.

    >>> seen_unseen_frame({"f1": 0.5}).empty
    True
    """
    rows = []
    for key in ("seen", "unseen"):
        if isinstance(record.get(key), dict):
            rows.append({"entities": key, **{c: record[key].get(c) for c in SUBSET_COLUMNS[1:]}})
    if rows:
        correct = sum(r["correct"] or 0 for r in rows)
        rows.append({"entities": "all", "precision": record.get("precision"), "recall": record.get("recall"),
                     "f1": record.get("f1"), "support": record.get("support"), "predicted": record.get("predicted"),
                     "correct": correct})
    return pd.DataFrame(rows, columns=SUBSET_COLUMNS)


def seen_unseen_by_run(records: dict[str, dict[str, Any] | None]) -> pd.DataFrame:
    """:func:`seen_unseen_frame` of several runs in one table.

    Parameters
    ----------
    records:
        Run name -> its metrics line (None for a run without one).

    Returns
    -------
    pandas.DataFrame
        A leading ``run`` column, then :data:`SUBSET_COLUMNS`; runs without seen/unseen scores are
        left out (an empty table when none has them).
    """
    frames = [seen_unseen_frame(record).assign(run=name) for name, record in records.items() if record]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["run", *SUBSET_COLUMNS])
    table = pd.concat(frames, ignore_index=True)
    return table[["run", *SUBSET_COLUMNS]]


def entity_surface_forms(tokens: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> frozenset[str]:
    """The surface forms of every entity in ``tags``: the training split's entities, for the
    seen/unseen split.

    Parameters
    ----------
    tokens:
        The sentences' words.
    tags:
        One IOB label string per word (conlleval reading).

    Returns
    -------
    frozenset of str
        Each entity's words joined by one space, case kept.

    Raises
    ------
    ValueError
        When ``tokens`` and ``tags`` disagree in sentences or words.

    >>> sorted(entity_surface_forms([["New", "York", "and", "Paris"]], [["B-LOC", "I-LOC", "O", "B-LOC"]]))
    ['New York', 'Paris']
    """
    from nerlib.data.labels import entity_spans

    _check_shapes(tokens, tags, ("token", "tag"))
    return frozenset(" ".join(words[s.start:s.end]) for words, labels in zip(tokens, tags)
                     for s in entity_spans(list(labels)))


def _subset_scores(tokens: Sequence[Sequence[str]], gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]],
                   seen: frozenset[str] | set[str]) -> tuple[SubsetScores, SubsetScores]:
    from nerlib.data.labels import entity_spans

    counts = {True: [0, 0, 0], False: [0, 0, 0]}  # seen? -> [gold, predicted, correct]
    for words, gold_tags, pred_tags in zip(tokens, gold, pred):
        gold_spans = entity_spans(list(gold_tags))
        gold_set = set(gold_spans)
        for span in gold_spans:
            counts[" ".join(words[span.start:span.end]) in seen][0] += 1
        for span in entity_spans(list(pred_tags)):
            bucket = counts[" ".join(words[span.start:span.end]) in seen]
            bucket[1] += 1
            bucket[2] += span in gold_set
    subsets = []
    for key in (True, False):
        support, predicted, correct = counts[key]
        precision = correct / predicted if predicted else 0.0
        recall = correct / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        subsets.append(SubsetScores(precision, recall, f1, support, predicted, correct))
    return subsets[0], subsets[1]


def _check_shapes(first: Sequence[Sequence[str]], second: Sequence[Sequence[str]],
                  names: tuple[str, str] = ("gold", "predicted")) -> None:
    """Raise ValueError naming ``names`` when the two sequences differ in sentences or lengths."""
    if len(first) != len(second):
        raise ValueError(f"{len(first)} {names[0]} sentences but {len(second)} {names[1]} ones")
    for i, (a, b) in enumerate(zip(first, second)):
        if len(a) != len(b):
            raise ValueError(f"sentence {i}: {len(a)} {names[0]} items but {len(b)} {names[1]} ones")


def compute_metrics(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], *,
                    tokens: Sequence[Sequence[str]] | None = None,
                    seen: frozenset[str] | set[str] | None = None) -> EntityMetrics:
    """Score predicted against gold label sequences.

    Entities are read with conlleval's rules (seqeval's default mode): ``B-X`` starts an entity,
    and so does ``I-X`` after ``O`` or after another type; an entity counts as right only when
    its type and both boundaries match.

    Parameters
    ----------
    gold, pred:
        Label-string sequences, one per sentence, of equal lengths.
    tokens:
        The sentences' words; with ``seen``, enables the seen/unseen scores.
    seen:
        The training entities' surface forms (:func:`entity_surface_forms`).

    Returns
    -------
    EntityMetrics
        Micro-averaged and per-type scores and token accuracy; all zeros for empty input. Its
        ``seen``/``unseen`` score the two kinds of entities apart when ``tokens`` and ``seen`` are
        given, and are ``None`` otherwise.

    Raises
    ------
    ValueError
        When the sequences (or ``tokens``) disagree in sentences or labels per sentence.

    >>> m = compute_metrics([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])  # a boundary error
    >>> m.f1, round(m.token_accuracy, 3), m.support, m.predicted
    (0.0, 0.667, 1, 1)
    """
    from seqeval.metrics.sequence_labeling import get_entities, precision_recall_fscore_support

    _check_shapes(gold, pred)
    gold_lists = [list(s) for s in gold]
    pred_lists = [list(s) for s in pred]
    n_tokens = sum(len(s) for s in gold_lists)
    correct_tokens = sum(g == p for gs, ps in zip(gold_lists, pred_lists) for g, p in zip(gs, ps))
    gold_count = len(get_entities(gold_lists)) if n_tokens else 0
    pred_count = len(get_entities(pred_lists)) if n_tokens else 0
    per_type: dict[str, TypeScores] = {}
    precision = recall = f1 = 0.0
    if gold_count or pred_count:
        p, r, f, s = precision_recall_fscore_support(gold_lists, pred_lists, average=None, zero_division=0)
        types = sorted({t for t, _, _ in get_entities(gold_lists)} | {t for t, _, _ in get_entities(pred_lists)})
        per_type = {t: TypeScores(float(p[i]), float(r[i]), float(f[i]), int(s[i])) for i, t in enumerate(types)}
        mp, mr, mf, _ = precision_recall_fscore_support(gold_lists, pred_lists, average="micro", zero_division=0)
        precision, recall, f1 = float(mp), float(mr), float(mf)
    seen_scores = unseen_scores = None
    if tokens is not None and seen is not None:
        _check_shapes(tokens, gold_lists, ("token", "gold"))
        seen_scores, unseen_scores = _subset_scores(tokens, gold_lists, pred_lists, seen)
    return EntityMetrics(
        precision=precision, recall=recall, f1=f1, support=gold_count, predicted=pred_count,
        token_accuracy=correct_tokens / n_tokens if n_tokens else 0.0, sentences=len(gold_lists),
        per_type=per_type, seen=seen_scores, unseen=unseen_scores,
    )


def confusion_matrix(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str] = NER_LABELS
) -> pd.DataFrame:
    """Token counts with gold labels as rows and predicted labels as columns.

    Parameters
    ----------
    gold, pred:
        Label-string sequences, one per sentence, of equal lengths.
    labels:
        The order of rows and columns; labels found outside it are added at the end.

    Returns
    -------
    pandas.DataFrame
        Square counts; index named ``gold``, columns named ``predicted``.

    Raises
    ------
    ValueError
        When ``gold`` and ``pred`` disagree in sentences or labels per sentence.

    >>> print(confusion_matrix([["B-PER", "O"]], [["B-LOC", "O"]], labels=["O", "B-PER", "B-LOC"]))
    predicted  O  B-PER  B-LOC
    gold
    O          1      0      0
    B-PER      0      0      1
    B-LOC      0      0      0
    """
    _check_shapes(gold, pred)
    order = list(labels)
    for sentence in (*gold, *pred):
        for label in sentence:
            if label not in order:
                order.append(label)
    index = {label: i for i, label in enumerate(order)}
    counts = [[0] * len(order) for _ in order]
    for gs, ps in zip(gold, pred):
        for g, p in zip(gs, ps):
            counts[index[g]][index[p]] += 1
    frame = pd.DataFrame(counts, index=pd.Index(order, name="gold"), columns=pd.Index(order, name="predicted"))
    return frame
