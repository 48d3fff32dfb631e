"""Entity-level scores with conlleval semantics, token accuracy and the token confusion matrix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import pandas as pd

from nerlib.labels import NER_LABELS


@dataclass
class TypeScores:
    """Precision, recall and F1 (0..1) for one entity type; ``support`` = gold entities."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class EntityMetrics:
    """Scores of predicted against gold label sequences.

    ``precision``/``recall``/``f1`` are micro-averaged over entities (0..1, as conlleval computes
    them), ``support`` counts gold entities, ``predicted`` predicted ones, ``token_accuracy`` is
    the share of tokens whose label is right, ``per_type`` maps each entity type to its scores.
    """

    precision: float
    recall: float
    f1: float
    support: int
    predicted: int
    token_accuracy: float
    sentences: int
    per_type: dict[str, TypeScores] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``per_type`` as nested dicts)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EntityMetrics":
        """Rebuild from :meth:`to_dict` output (extra keys are ignored)."""
        names = {f for f in cls.__dataclass_fields__ if f != "per_type"}
        return cls(**{k: v for k, v in data.items() if k in names},
                   per_type={t: TypeScores(**s) for t, s in data.get("per_type", {}).items()})

    def table(self) -> pd.DataFrame:
        """Return one row per type plus an ``ALL`` row: precision, recall, f1, support."""
        rows = [{"type": t, **asdict(s)} for t, s in sorted(self.per_type.items())]
        rows.append({"type": "ALL", "precision": self.precision, "recall": self.recall,
                     "f1": self.f1, "support": self.support})
        return pd.DataFrame(rows, columns=["type", "precision", "recall", "f1", "support"])


def _check_shapes(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold sentences but {len(pred)} predicted ones")
    for i, (g, p) in enumerate(zip(gold, pred)):
        if len(g) != len(p):
            raise ValueError(f"sentence {i}: {len(g)} gold labels but {len(p)} predicted ones")


def compute_metrics(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> EntityMetrics:
    """Score ``pred`` against ``gold`` (lists of label-string sequences, one per sentence).

    Entities are read with conlleval's rules (seqeval's default mode): ``B-X`` starts an entity,
    and so does ``I-X`` after ``O`` or after another type; an entity counts as right only when
    its type and both boundaries match. Empty input gives all zeros.
    """
    from seqeval.metrics.sequence_labeling import get_entities, precision_recall_fscore_support

    _check_shapes(gold, pred)
    gold_lists = [list(s) for s in gold]
    pred_lists = [list(s) for s in pred]
    tokens = sum(len(s) for s in gold_lists)
    correct_tokens = sum(g == p for gs, ps in zip(gold_lists, pred_lists) for g, p in zip(gs, ps))
    gold_count = len(get_entities(gold_lists)) if tokens else 0
    pred_count = len(get_entities(pred_lists)) if tokens else 0
    per_type: dict[str, TypeScores] = {}
    precision = recall = f1 = 0.0
    if gold_count or pred_count:
        p, r, f, s = precision_recall_fscore_support(gold_lists, pred_lists, average=None, zero_division=0)
        types = sorted({t for t, _, _ in get_entities(gold_lists)} | {t for t, _, _ in get_entities(pred_lists)})
        per_type = {t: TypeScores(float(p[i]), float(r[i]), float(f[i]), int(s[i])) for i, t in enumerate(types)}
        mp, mr, mf, _ = precision_recall_fscore_support(gold_lists, pred_lists, average="micro", zero_division=0)
        precision, recall, f1 = float(mp), float(mr), float(mf)
    return EntityMetrics(
        precision=precision, recall=recall, f1=f1, support=gold_count, predicted=pred_count,
        token_accuracy=correct_tokens / tokens if tokens else 0.0, sentences=len(gold_lists),
        per_type=per_type,
    )


def confusion_matrix(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str] = NER_LABELS
) -> pd.DataFrame:
    """Return token counts with gold labels as rows and predicted labels as columns, in
    ``labels`` order (labels outside ``labels`` are added at the end)."""
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
