"""A confidence threshold on an evaluation: drop the entities the model is less sure of, and see
what each threshold costs in recall and buys in precision.

An entity's **confidence** is the score the Tagger gives it (``Entity.score``): the product of its
words' scores, each the probability of the entity's type at the checkpoint's temperature, so a
calibrated checkpoint (``python -m nerlib calibrate``, :mod:`nerlib.evaluation.calibration`) is
scored with its calibrated confidences. An evaluation keeps every word's score
(:attr:`nerlib.evaluation.scoring.EvaluationResult.word_scores`), so all of this costs no model
pass:

- :func:`drop_below` (one sentence) and :func:`apply_threshold` (a whole evaluation, re-scored:
  ``python -m nerlib evaluate --threshold T``): the entities whose confidence is below ``T``
  become ``O`` before scoring; a dropped right entity turns into a miss, a dropped wrong one stops
  being a false positive.
- :func:`entity_confidences`: every predicted entity with its confidence and whether it is right.
- :func:`threshold_table`: precision, recall and F1 per type and overall at each threshold (what
  :func:`apply_threshold` would score there), and :func:`precision_recall_curves`: one
  precision-recall curve per type and overall, a point per predicted entity.

>>> drop_below(["B-PER", "I-PER", "O", "B-LOC"], [0.9, 0.8, 0.99, 0.6], 0.7)
(['B-PER', 'I-PER', 'O', 'O'], 1)

Recall always counts every gold entity, found or not, so a threshold can only lower it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nerlib.data.labels import entity_spans
from nerlib.evaluation.calibration import precision_recall_curves as _type_curves
from nerlib.evaluation.calibration import threshold_curve

__all__ = [
    "ALL",
    "EntityConfidences",
    "apply_threshold",
    "drop_below",
    "entity_confidences",
    "precision_recall_curves",
    "threshold_table",
]

#: the row of every type together
ALL = "ALL"
ENTITY_COLUMNS = ["sentence", "start", "end", "type", "confidence", "correct"]


def _check_threshold(threshold: float) -> float:
    if not isinstance(threshold, (int, float)) or not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"a confidence threshold is a number from 0 to 1, got {threshold!r}")
    return float(threshold)


def drop_below(labels: Sequence[str], scores: Sequence[float], threshold: float) -> tuple[list[str], int]:
    """One sentence's labels with the entities whose confidence is below ``threshold`` made ``O``.

    Parameters
    ----------
    labels:
        One IOB2 label per word (entities read with conlleval semantics).
    scores:
        One score per word; an entity's confidence is the product over its words.
    threshold:
        From 0 (keep everything) to 1; an entity is kept when its confidence is at least this.

    Returns
    -------
    (list of str, int)
        The labels, and how many entities were dropped.

    Raises
    ------
    ValueError
        For a threshold outside 0..1, or not one score per label.

    >>> drop_below(["B-ORG", "I-ORG"], [0.9, 0.9], 0.81)
    (['B-ORG', 'I-ORG'], 0)
    >>> drop_below(["B-ORG", "I-ORG"], [0.9, 0.9], 0.82)
    (['O', 'O'], 1)
    """
    threshold = _check_threshold(threshold)
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores for {len(labels)} labels")
    kept, dropped = list(labels), 0
    for span in entity_spans(kept):
        if math.prod(float(s) for s in scores[span.start:span.end]) < threshold:
            kept[span.start:span.end] = ["O"] * (span.end - span.start)
            dropped += 1
    return kept, dropped


def _word_scores(result: Any) -> list:
    if result.word_scores is None:
        raise ValueError("the evaluation holds no word scores (it was not tagged by "
                         "nerlib.evaluation.scoring.evaluate_sentences)")
    return result.word_scores


def apply_threshold(result: Any, threshold: float) -> Any:
    """An evaluation re-scored with the entities below ``threshold`` dropped (their words ``O``).

    Parameters
    ----------
    result:
        An :class:`~nerlib.evaluation.scoring.EvaluationResult` (with its word scores).
    threshold:
        From 0 to 1 (0 keeps every entity).

    Returns
    -------
    EvaluationResult
        Its metrics, errors and predictions are those of the kept entities; ``threshold`` and
        ``dropped`` (entities dropped) say what was done. Its word scores are the tagger's, as before.

    Raises
    ------
    ValueError
        For a threshold outside 0..1, or a result without word scores.
    """
    threshold = _check_threshold(threshold)
    predicted, dropped = [], 0
    for labels, scores in zip(result.predicted, _word_scores(result)):
        kept, n = drop_below(labels, scores, threshold)
        predicted.append(kept)
        dropped += n
    return result.rescored(predicted, threshold=threshold, dropped=dropped)


@dataclass
class EntityConfidences:
    """Every predicted entity of an evaluation with its confidence.

    Attributes
    ----------
    entities:
        One row per predicted entity: ``sentence``, ``start``, ``end`` (words), ``type``,
        ``confidence`` (the product of its words' scores), ``correct`` (the gold has the same type
        over the same words).
    gold_entities:
        The number of gold entities per type (sorted by type).
    sentences:
        How many sentences.
    """

    entities: pd.DataFrame
    gold_entities: dict[str, int]
    sentences: int


def entity_confidences(result: Any) -> EntityConfidences:
    """The predicted entities of an evaluation with their confidences and correctness.

    Parameters
    ----------
    result:
        An :class:`~nerlib.evaluation.scoring.EvaluationResult` (with its word scores).

    Returns
    -------
    EntityConfidences

    Raises
    ------
    ValueError
        For a result without word scores.
    """
    rows, gold_counts = [], {}
    for sentence, (gold, predicted, scores) in enumerate(zip(result.gold, result.predicted, _word_scores(result))):
        gold_spans = set(entity_spans(gold))
        for span in gold_spans:
            gold_counts[span.label] = gold_counts.get(span.label, 0) + 1
        for span in entity_spans(predicted):
            rows.append((sentence, span.start, span.end, span.label,
                         math.prod(float(s) for s in scores[span.start:span.end]), span in gold_spans))
    entities = pd.DataFrame(rows, columns=ENTITY_COLUMNS)
    entities["correct"] = entities["correct"].astype(bool)
    return EntityConfidences(entities=entities, gold_entities=dict(sorted(gold_counts.items())),
                             sentences=len(result.gold))


def _types(confidences: EntityConfidences) -> list[str]:
    predicted_only = sorted(set(confidences.entities["type"]) - set(confidences.gold_entities))
    return [*confidences.gold_entities, *predicted_only]


def threshold_table(confidences: EntityConfidences,
                    thresholds: Sequence[float] | np.ndarray | None = None) -> pd.DataFrame:
    """Precision, recall and F1 per type and overall at each confidence threshold.

    At a threshold the entities whose confidence reaches it are kept (as :func:`apply_threshold`
    keeps them); recall counts every gold entity. Undefined values are NaN: precision when nothing
    is kept, recall and F1 of a type without gold entities.

    Parameters
    ----------
    confidences:
        :func:`entity_confidences` of an evaluation.
    thresholds:
        Default 0, 0.05, ..., 1.

    Returns
    -------
    pandas.DataFrame
        ``type`` (the types, then ``ALL``), ``threshold``, ``kept`` (entities), ``precision``,
        ``recall``, ``f1``; one row per type and threshold.

    >>> entities = pd.DataFrame({"sentence": [0, 0, 1], "start": [0, 2, 0], "end": [1, 3, 1],
    ...                          "type": ["PER", "LOC", "PER"], "confidence": [0.9, 0.4, 0.6],
    ...                          "correct": [True, True, False]})
    >>> table = threshold_table(EntityConfidences(entities, {"LOC": 1, "PER": 2}, 2), [0.0, 0.5])
    >>> table.round(3).values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['LOC', 0.0, 1, 1.0, 1.0, 1.0], ['LOC', 0.5, 0, nan, 0.0, 0.0],
     ['PER', 0.0, 2, 0.5, 0.5, 0.5], ['PER', 0.5, 2, 0.5, 0.5, 0.5],
     ['ALL', 0.0, 3, 0.667, 0.667, 0.667], ['ALL', 0.5, 2, 0.5, 0.333, 0.4]]
    """
    thresholds = np.round(np.linspace(0, 1, 21), 2) if thresholds is None else np.asarray(thresholds, np.float64)
    for threshold in thresholds:
        _check_threshold(float(threshold))
    entities = confidences.entities
    frames = []
    for entity_type in [*_types(confidences), ALL]:
        rows = entities if entity_type == ALL else entities[entities["type"] == entity_type]
        n_gold = (sum(confidences.gold_entities.values()) if entity_type == ALL
                  else confidences.gold_entities.get(entity_type, 0))
        curve = threshold_curve(rows["confidence"].to_numpy(), rows["correct"].to_numpy(), n_gold, thresholds)
        curve.insert(0, "type", entity_type)
        frames.append(curve)
    table = pd.concat(frames, ignore_index=True)
    table["kept"] = table["kept"].astype(int)
    return table


def precision_recall_curves(confidences: EntityConfidences) -> pd.DataFrame:
    """A precision-recall curve per type and overall (``ALL``), a point per predicted entity.

    Lowering the threshold past each entity's confidence, most confident first, adds it: one point
    with the precision and recall of the entities kept then
    (:func:`nerlib.evaluation.calibration.precision_recall_curves`, whose recall counts every gold
    entity).

    Parameters
    ----------
    confidences:
        :func:`entity_confidences` of an evaluation.

    Returns
    -------
    pandas.DataFrame
        ``type``, ``threshold`` (the confidence of the entity just added), ``precision``,
        ``recall``; the types, then ``ALL``.
    """
    entities = confidences.entities
    per_type = _type_curves(entities, confidences.gold_entities)
    overall = _type_curves(entities.assign(type=ALL), {ALL: sum(confidences.gold_entities.values())})
    return pd.concat([per_type, overall], ignore_index=True)
