"""Confidence and calibration: does a score of 0.9 mean nine in ten right?

A word's **type confidence** is the probability of its predicted entity *type*: its pooled label
distribution (:mod:`nerlib.modeling.pooling`) collapsed to types by :func:`type_probabilities`
(``P(B-X) + P(I-X)`` for a word the tagger puts in an ``X`` entity, ``P(O)`` for a word outside).
Why types, not labels: a model trained with labels on every sub-token and read with the mean
pooling splits a word's mass between ``B-X`` and ``I-X``, and the IOB2 repair turns an ``I-X``
after ``O`` into the right entity, so the probability of the single arg-max label (one of the two
halves) says little about whether the tagger's output is right, and no single temperature can fix
a split between two labels. An entity's **confidence** is the product of its words' type
confidences (:func:`entity_confidence`): the probability, with the words taken as independent,
that every word of the span is in an entity of that type. The Tagger's word and entity scores
(``TaggedWord.score``, ``Entity.score``) are these same numbers, computed on the device
(:func:`nerlib.modeling.pooling.pool_words` with ``label_types``).

How well calibrated those numbers are is measured here, on an
:class:`~nerlib.evaluation.scoring.EvaluationResult` evaluated with ``distributions=True``:

- :func:`expected_calibration_error` and :func:`reliability_table`: 15 equal-width bins of
  confidence; per bin the count, mean confidence and accuracy; the ECE is the count-weighted mean
  gap. Word level: the confidence is the type confidence, and a word is right when its predicted
  type (of the tagger's output tag, after the IOB2 repair; ``O`` is a type) is the type of its gold
  IOB2 tag. Entity level: a predicted entity is right when the gold has the same type over the
  same words.
- :func:`negative_log_likelihood`: the mean of ``-log p(gold)`` over words; on type
  probabilities (as :func:`scored_predictions` uses it) ``-log P(gold type)``.
- :func:`threshold_curve` and :func:`precision_recall_curves`: keep only the entities whose
  confidence reaches a threshold; precision, recall (against every gold entity, found or not) and
  F1 for each threshold, overall and per type.

**Temperature scaling** (Guo et al. 2017): one number ``T`` divides the pooled logits before the
softmax, ``softmax(z / T)``; labels never change (the arg-max is the same), only how sure the
scores are. :func:`fit_temperature` picks ``T`` minimising the negative log-likelihood of the gold
types (the sum of the probabilities of their labels) on the validation split (L-BFGS on ``log T``, the result kept in :data:`TEMPERATURE_BOUNDS`).
:func:`calibrate_checkpoint` (``python -m nerlib calibrate RUN``) fits it, reports ECE and NLL before
and after on the validation and test splits, and stores it in the checkpoint folder
(:mod:`nerlib.runs.calibration_file`), from where every Tagger of that checkpoint uses it.

>>> confidences = np.array([0.95, 0.95, 0.95, 0.95, 0.55, 0.55])
>>> correct = np.array([True, True, True, False, True, False])
>>> round(expected_calibration_error(confidences, correct), 4)  # 4/6 * |0.75 - 0.95| + 2/6 * |0.5 - 0.55|
0.15

Why one module of this length: one concept, how far scores can be trusted (the type confidence,
its measures, the temperature fit and the `calibrate` pipeline that ties them); about half of it is
docstrings and doctests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nerlib.data.labels import entity_spans, split_tag
from nerlib.data.labels import label_types as _label_types

__all__ = [
    "N_BINS",
    "TEMPERATURE_BOUNDS",
    "CalibrationReport",
    "ScoredPredictions",
    "apply_temperature",
    "calibrate_checkpoint",
    "entity_confidence",
    "expected_calibration_error",
    "fit_temperature",
    "label_types",
    "negative_log_likelihood",
    "precision_recall_curves",
    "reliability_table",
    "scored_predictions",
    "threshold_curve",
    "type_probabilities",
]

#: equal-width confidence bins of the ECE and the reliability table (as the issue asks)
N_BINS = 15
#: the fitted temperature is kept within these bounds (a model whose every validation word is right
#: would otherwise be pushed towards T = 0, scores of exactly 1)
TEMPERATURE_BOUNDS = (0.05, 20.0)
# log(p) of a probability that underflowed to 0 in float32: far below any real logit gap, finite
_LOG_FLOOR = float(np.log(np.finfo(np.float32).tiny))


def _bins(confidences: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of each confidence: bins ``(k/n, (k+1)/n]``, 0 in the first."""
    return np.clip(np.ceil(np.asarray(confidences, dtype=np.float64) * n_bins).astype(np.int64) - 1, 0, n_bins - 1)


def label_types(labels: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The entity types of a label list, and each label's type index (int64).

    :func:`nerlib.data.labels.label_types` with the indices as an array: ``O`` is its own type,
    ``B-X`` and ``I-X`` share ``X``.

    >>> label_types(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])
    (['O', 'PER', 'LOC'], array([0, 1, 1, 2, 2]))
    """
    types, columns = _label_types(labels)
    return types, np.asarray(columns, dtype=np.int64)


def type_probabilities(probabilities: np.ndarray, labels: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Collapse per-label distributions into per-type probabilities.

    A type's probability is the sum of its labels' (``P(B-X) + P(I-X)``; ``P(O)`` for ``O``): the
    probability that the word is in an entity of that type, whichever of ``B-``/``I-`` the model
    split its mass over.

    Parameters
    ----------
    probabilities:
        Rows ``(words, labels)``, columns in the order of ``labels``.
    labels:
        The tagger's labels.

    Returns
    -------
    (numpy.ndarray, list of str)
        float64 rows ``(words, types)`` summing as the input rows do, and the types
        (:func:`label_types`).

    >>> probs, types = type_probabilities(np.array([[0.1, 0.5, 0.4]]), ["O", "B-PER", "I-PER"])
    >>> types, [round(float(p), 2) for p in probs[0]]
    (['O', 'PER'], [0.1, 0.9])
    """
    types, columns = label_types(labels)
    membership = np.zeros((len(columns), len(types)))
    membership[np.arange(len(columns)), columns] = 1.0
    return np.asarray(probabilities, dtype=np.float64).reshape(-1, len(columns)) @ membership, types


def reliability_table(confidences: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray,
                      n_bins: int = N_BINS) -> pd.DataFrame:
    """Per confidence bin: how many predictions, their mean confidence and their accuracy.

    Parameters
    ----------
    confidences:
        One confidence in ``[0, 1]`` per prediction.
    correct:
        Whether each prediction is right.
    n_bins:
        Equal-width bins over ``[0, 1]``: ``(k/n, (k+1)/n]``, a confidence of 0 in the first.

    Returns
    -------
    pandas.DataFrame
        One row per bin (empty bins too): ``lower``, ``upper``, ``count``, ``confidence`` and
        ``accuracy`` (both NaN for an empty bin).

    >>> table = reliability_table([0.1, 0.15, 0.9], [False, True, True], n_bins=2)
    >>> table[["count", "confidence", "accuracy"]].values.tolist()
    [[2.0, 0.125, 0.5], [1.0, 0.9, 1.0]]
    """
    confidences = np.asarray(confidences, dtype=np.float64)
    correct = np.asarray(correct, dtype=np.float64)
    if confidences.shape != correct.shape:
        raise ValueError(f"{confidences.size} confidences but {correct.size} outcomes")
    bins = _bins(confidences, n_bins)
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(bins, confidences, minlength=n_bins) / counts
        accuracy = np.bincount(bins, correct, minlength=n_bins) / counts
    edges = np.arange(n_bins + 1) / n_bins
    return pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "count": counts, "confidence": mean_confidence,
                         "accuracy": accuracy})


def expected_calibration_error(confidences: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray,
                               n_bins: int = N_BINS) -> float:
    """The expected calibration error: the count-weighted mean ``|accuracy - confidence|`` of the bins.

    Parameters
    ----------
    confidences, correct, n_bins:
        As in :func:`reliability_table`.

    Returns
    -------
    float
        In ``[0, 1]``; NaN when there are no predictions.

    >>> expected_calibration_error([0.75] * 4, [True, True, True, False])
    0.0
    """
    table = reliability_table(confidences, correct, n_bins)
    total = table["count"].sum()
    if total == 0:
        return float("nan")
    filled = table[table["count"] > 0]
    return float((filled["count"] * (filled["accuracy"] - filled["confidence"]).abs()).sum() / total)


def apply_temperature(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Re-scale distributions computed at temperature 1 to ``temperature``.

    ``softmax(log p / T)`` equals ``softmax(z / T)`` for the logits ``z`` that gave ``p`` (a softmax
    does not see a constant added to a row); probabilities that underflowed to 0 count as
    float32's smallest normal number.

    Parameters
    ----------
    probabilities:
        Rows of probabilities ``(words, labels)``.
    temperature:
        A positive number.

    Returns
    -------
    numpy.ndarray
        float32 rows summing to 1, with the same arg-max.

    >>> [round(float(p), 3) for p in apply_temperature(np.array([[0.8, 0.2]]), 2.0)[0]]
    [0.667, 0.333]
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    logits = _logits(probabilities) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    exp = np.exp(logits)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)


def _logits(probabilities: np.ndarray) -> np.ndarray:
    return np.maximum(np.log(np.asarray(probabilities, dtype=np.float64), where=np.asarray(probabilities) > 0,
                             out=np.full(np.shape(probabilities), _LOG_FLOOR)), _LOG_FLOOR)


def negative_log_likelihood(probabilities: np.ndarray, gold: Sequence[int] | np.ndarray) -> float:
    """The mean ``-log p(gold label)`` over rows.

    Parameters
    ----------
    probabilities:
        Rows of probabilities ``(words, labels)``.
    gold:
        The gold label id of each row.

    Returns
    -------
    float
        NaN for no rows.

    >>> round(negative_log_likelihood(np.array([[0.5, 0.5], [0.9, 0.1]]), [0, 0]), 4)
    0.3993
    """
    gold = np.asarray(gold, dtype=np.int64)
    if len(gold) == 0:
        return float("nan")
    picked = _logits(np.asarray(probabilities)[np.arange(len(gold)), gold])
    return float(-picked.mean())


def fit_temperature(logits: np.ndarray, gold: Sequence[int] | np.ndarray,
                    bounds: tuple[float, float] = TEMPERATURE_BOUNDS,
                    label_types: Sequence[int] | np.ndarray | None = None) -> float:
    """The temperature ``T`` that minimises the mean negative log-likelihood of ``softmax(logits / T)``.

    L-BFGS (``torch.optim.LBFGS``, strong Wolfe line search) on ``log T`` from ``T = 1``, in
    float64; the label negative log-likelihood is convex in ``1 / T``, so there is one minimum. The
    result is clipped to ``bounds``. With ``label_types`` the likelihood is that of the gold *type*:
    the sum of the scaled probabilities of its labels (``P(B-X) + P(I-X)``), the confidence
    :func:`scored_predictions` measures.

    Parameters
    ----------
    logits:
        ``(words, labels)``: the pooled logits (or log-probabilities: the same up to a constant
        per row).
    gold:
        The gold label id of each word (with ``label_types``: its gold type index).
    bounds:
        The smallest and largest temperature returned.
    label_types:
        Per label, the index of its type (:func:`label_types`); None fits on labels.

    Returns
    -------
    float
        The temperature.

    Raises
    ------
    ValueError
        For no words, or rows and gold labels of different lengths.

    Logits scaled up fourfold from a calibrated model's (labels drawn from ``softmax(z)``, the
    model says ``4 z``): the fit finds ``T`` near 4.

    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(0, 2, size=(20000, 5))
    >>> p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    >>> gold = (rng.random((20000, 1)) > p.cumsum(1)).sum(1)
    >>> round(fit_temperature(4 * z, gold), 1)
    4.0
    """
    import torch

    logits_t = torch.as_tensor(np.asarray(logits, dtype=np.float64))
    gold_t = torch.as_tensor(np.asarray(gold, dtype=np.int64))
    if logits_t.ndim != 2 or logits_t.shape[0] != gold_t.shape[0]:
        raise ValueError(f"{tuple(logits_t.shape)} logits for {gold_t.shape[0]} gold labels")
    if logits_t.shape[0] == 0:
        raise ValueError("no words to fit a temperature on")
    if label_types is not None:
        columns = torch.as_tensor(np.asarray(label_types, dtype=np.int64))
        if columns.shape[0] != logits_t.shape[1]:
            raise ValueError(f"{columns.shape[0]} label types for {logits_t.shape[1]} labels")
        # -inf outside a type: logsumexp over a type's labels is the log of its summed probability
        type_mask = torch.full((logits_t.shape[1], int(columns.max()) + 1), float("-inf"), dtype=torch.float64)
        type_mask[torch.arange(columns.shape[0]), columns] = 0.0
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=1.0, max_iter=200, tolerance_grad=1e-9, tolerance_change=1e-12,
                                  line_search_fn="strong_wolfe")
    low, high = np.log(bounds[0]), np.log(bounds[1])

    def closure() -> Any:
        optimizer.zero_grad()
        # clamped inside the bounds: a separable set (every word right) would run off towards T = 0
        scaled = logits_t / log_t.clamp(low, high).exp()
        if label_types is None:
            loss = torch.nn.functional.cross_entropy(scaled, gold_t)
        else:
            log_types = torch.logsumexp(scaled.log_softmax(-1).unsqueeze(-1) + type_mask, dim=1)
            loss = torch.nn.functional.nll_loss(log_types, gold_t)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(np.clip(np.exp(log_t.item()), *bounds))


def entity_confidence(word_scores: Sequence[float] | np.ndarray) -> float:
    """An entity's confidence: the product of its words' scores.

    In :func:`scored_predictions` each word's score is its type confidence (``P(B-X) + P(I-X)``,
    :func:`type_probabilities`); the product is the probability that all of the words are in an
    entity of that type at once when the words are taken as independent. Longer entities get lower
    confidence, as they have more words to get wrong.

    >>> round(entity_confidence([0.9, 0.8]), 2)
    0.72
    """
    return float(np.prod(np.asarray(word_scores, dtype=np.float64)))


@dataclass
class ScoredPredictions:
    """The confidences of an evaluation's predictions, and whether each is right.

    Attributes
    ----------
    word_confidence, word_correct:
        Per word of all sentences: the type confidence (the probability of the predicted entity
        type, :func:`type_probabilities`) and whether the predicted type (of the output tag, after
        the IOB2 repair) is the gold tag's type.
    entities:
        One row per predicted entity: ``sentence``, ``start``, ``end`` (words), ``type``,
        ``confidence`` (:func:`entity_confidence`), ``correct`` (same type and words in the gold).
    gold_entities:
        The number of gold entities per type.
    sentences:
        How many sentences.
    nll:
        The mean negative log-likelihood of the gold types (``-log P(gold type)``) over words.
    """

    word_confidence: np.ndarray
    word_correct: np.ndarray
    entities: pd.DataFrame
    gold_entities: dict[str, int]
    sentences: int
    nll: float

    @property
    def word_ece(self) -> float:
        """The word-level expected calibration error (15 bins)."""
        return expected_calibration_error(self.word_confidence, self.word_correct)

    @property
    def entity_ece(self) -> float:
        """The entity-level expected calibration error (15 bins; NaN without predicted entities)."""
        return expected_calibration_error(self.entities["confidence"].to_numpy(), self.entities["correct"].to_numpy())


def scored_predictions(result: Any, temperature: float = 1.0) -> ScoredPredictions:
    """Word and entity confidences of an evaluation with distributions, at ``temperature``.

    Parameters
    ----------
    result:
        An :class:`~nerlib.evaluation.scoring.EvaluationResult` evaluated with
        ``distributions=True`` (its ``probabilities`` at the temperature the tagger had).
    temperature:
        Re-scale the distributions by it first (:func:`apply_temperature`); 1 keeps them.

    Returns
    -------
    ScoredPredictions

    Raises
    ------
    ValueError
        When the result holds no distributions, or gold labels the model does not have (named).
    """
    if result.probabilities is None:
        raise ValueError("the evaluation holds no label distributions; evaluate with distributions=True")
    labels = list(result.labels)
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({tag for tags in result.gold for tag in tags if tag not in index})
    if unknown:
        raise ValueError(f"gold labels the model does not have: {', '.join(unknown[:10])} (the model's labels: "
                         f"{', '.join(labels)})")
    types, columns = label_types(labels)
    type_index = {entity_type: i for i, entity_type in enumerate(types)}
    probabilities = [p if temperature == 1.0 else apply_temperature(p, temperature) for p in result.probabilities]
    by_type = [type_probabilities(p, labels)[0] for p in probabilities]
    confidences, outcomes, gold_types, rows, gold_counts = [], [], [], [], {}
    for sentence, (gold, predicted, probs) in enumerate(zip(result.gold, result.predicted, by_type)):
        gold_ids = np.asarray([columns[index[tag]] for tag in gold], dtype=np.int64)
        predicted_ids = np.asarray([type_index[split_tag(tag)[1] or "O"] for tag in predicted], dtype=np.int64)
        # the type confidence of the predicted type: P(B-X) + P(I-X), or P(O)
        scores = probs[np.arange(len(predicted_ids)), predicted_ids] if len(probs) else np.zeros(0)
        confidences.append(scores)
        outcomes.append(predicted_ids == gold_ids)
        gold_types.append(gold_ids)
        gold_spans = set(entity_spans(gold))
        for span in gold_spans:
            gold_counts[span.label] = gold_counts.get(span.label, 0) + 1
        for span in entity_spans(predicted):
            rows.append((sentence, span.start, span.end, span.label, entity_confidence(scores[span.start:span.end]),
                         span in gold_spans))
    confidence = np.concatenate(confidences) if confidences else np.zeros(0)
    correct = np.concatenate(outcomes).astype(bool) if outcomes else np.zeros(0, bool)
    stacked = np.concatenate(by_type) if by_type else np.zeros((0, len(types)))
    gold_ids = np.concatenate(gold_types) if gold_types else np.zeros(0, np.int64)
    entities = pd.DataFrame(rows, columns=["sentence", "start", "end", "type", "confidence", "correct"])
    entities["correct"] = entities["correct"].astype(bool)
    return ScoredPredictions(word_confidence=confidence, word_correct=correct, entities=entities,
                             gold_entities=dict(sorted(gold_counts.items())), sentences=len(result.gold),
                             nll=negative_log_likelihood(stacked, gold_ids))


def _prf(true_positives: np.ndarray, kept: np.ndarray, gold: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(kept > 0, true_positives / np.maximum(kept, 1), np.nan)
        recall = true_positives / gold if gold else np.full(len(kept), np.nan)
        f1 = np.where(true_positives > 0, 2 * true_positives / (kept + gold), 0.0 if gold else np.nan)
    return precision, recall, f1


def threshold_curve(confidences: Sequence[float] | np.ndarray, correct: Sequence[bool] | np.ndarray,
                    n_gold: int, thresholds: Sequence[float] | np.ndarray | None = None) -> pd.DataFrame:
    """Precision, recall and F1 of the entities kept at each confidence threshold.

    An entity is kept when its confidence is at least the threshold. Recall counts against all
    ``n_gold`` gold entities, the ones no prediction found too.

    Parameters
    ----------
    confidences, correct:
        Per predicted entity: its confidence and whether it is right.
    n_gold:
        The number of gold entities.
    thresholds:
        Default 0, 0.01, ..., 1.

    Returns
    -------
    pandas.DataFrame
        ``threshold``, ``kept``, ``precision`` (NaN when nothing is kept), ``recall``, ``f1``.

    >>> curve = threshold_curve([0.9, 0.6, 0.3], [True, True, False], n_gold=4, thresholds=[0.0, 0.5, 0.95])
    >>> curve.round(3).values.tolist()
    [[0.0, 3.0, 0.667, 0.5, 0.571], [0.5, 2.0, 1.0, 0.5, 0.667], [0.95, 0.0, nan, 0.0, 0.0]]
    """
    confidences = np.asarray(confidences, dtype=np.float64)
    correct = np.asarray(correct, dtype=bool)
    thresholds = np.round(np.linspace(0, 1, 101), 2) if thresholds is None else np.asarray(thresholds, np.float64)
    # sorted confidences: the entities kept at a threshold are a suffix, counted by bisection
    order = np.argsort(confidences, kind="stable")
    sorted_conf, sorted_correct = confidences[order], correct[order]
    right_from = np.concatenate([np.cumsum(sorted_correct[::-1])[::-1], [0]])
    first_kept = np.searchsorted(sorted_conf, thresholds, side="left")
    kept = (len(confidences) - first_kept).astype(np.float64)
    true_positives = right_from[first_kept].astype(np.float64)
    precision, recall, f1 = _prf(true_positives, kept, n_gold)
    return pd.DataFrame({"threshold": thresholds, "kept": kept, "precision": precision, "recall": recall, "f1": f1})


def precision_recall_curves(entities: pd.DataFrame, gold_entities: dict[str, int]) -> pd.DataFrame:
    """A precision-recall curve per entity type, one point per predicted entity.

    Lowering the threshold past each entity's confidence (most confident first) adds it: one
    point with the precision and recall of the entities kept then. Written out rather than taken
    from scikit-learn because recall here counts every gold entity, also those no prediction
    found (scikit-learn only knows the scored ones).

    Parameters
    ----------
    entities:
        ``type``, ``confidence``, ``correct`` per predicted entity (:attr:`ScoredPredictions.entities`).
    gold_entities:
        Gold entities per type.

    Returns
    -------
    pandas.DataFrame
        ``type``, ``threshold`` (the confidence of the entity just added), ``precision``,
        ``recall``; every type with gold or predicted entities, in the order of ``gold_entities``
        then the others.

    >>> entities = pd.DataFrame({"type": ["PER", "PER", "LOC"], "confidence": [0.9, 0.5, 0.7],
    ...                          "correct": [True, False, True]})
    >>> precision_recall_curves(entities, {"PER": 2, "LOC": 1}).values.tolist()
    [['PER', 0.9, 1.0, 0.5], ['PER', 0.5, 0.5, 0.5], ['LOC', 0.7, 1.0, 1.0]]
    """
    frames = []
    types = list(gold_entities) + sorted(set(entities["type"]) - set(gold_entities))
    for entity_type in types:
        rows = entities[entities["type"] == entity_type].sort_values("confidence", ascending=False, kind="stable")
        true_positives = np.cumsum(rows["correct"].to_numpy(dtype=np.float64))
        kept = np.arange(1, len(rows) + 1, dtype=np.float64)
        precision, recall, _ = _prf(true_positives, kept, gold_entities.get(entity_type, 0))
        frames.append(pd.DataFrame({"type": entity_type, "threshold": rows["confidence"].to_numpy(),
                                    "precision": precision, "recall": recall}))
    if not frames:
        return pd.DataFrame(columns=["type", "threshold", "precision", "recall"])
    return pd.concat(frames, ignore_index=True)


#: The confidence thresholds :func:`correct_hidden` reports (the Tagger's slider help reads them).
HIDDEN_THRESHOLDS = (0.25, 0.5, 0.75, 0.9)


def correct_hidden(entities: pd.DataFrame, thresholds: Sequence[float] = HIDDEN_THRESHOLDS) -> dict[str, float]:
    """The share of the *right* predicted entities a minimum-confidence filter would hide, per
    threshold: what a visitor loses by raising the Tagger's "Minimum confidence" slider.

    Parameters
    ----------
    entities:
        ``confidence`` and ``correct`` per predicted entity (:attr:`ScoredPredictions.entities`).
    thresholds:
        The thresholds (an entity is hidden when its confidence is below one).

    Returns
    -------
    dict of str to float
        ``{"0.5": share, ...}`` (keys as JSON writes them); empty when no entity is right.

    >>> entities = pd.DataFrame({"confidence": [0.95, 0.6, 0.3, 0.2], "correct": [True, True, True, False]})
    >>> correct_hidden(entities, [0.5, 0.9])
    {'0.5': 0.3333, '0.9': 0.6667}
    """
    right = entities.loc[entities["correct"].astype(bool), "confidence"].to_numpy(dtype=np.float64)
    if not len(right):
        return {}
    return {f"{t:g}": round(float((right < t).mean()), 4) for t in thresholds}


@dataclass
class CalibrationReport:
    """What :func:`calibrate_checkpoint` did.

    Attributes
    ----------
    temperature:
        The fitted temperature.
    split:
        What it was fitted on.
    before, after:
        Per scored split, its scores at temperature 1 and at the fitted one (the fields of
        :class:`nerlib.runs.schemas.CalibrationScores`).
    path:
        The calibration.json written (None when asked not to write).
    checkpoint:
        The checkpoint folder.
    """

    temperature: float
    split: str
    before: list[dict[str, Any]] = field(default_factory=list)
    after: list[dict[str, Any]] = field(default_factory=list)
    path: Path | None = None
    checkpoint: str = ""

    def table(self) -> pd.DataFrame:
        """One row per split and state (``before`` / ``after``) with its scores."""
        rows = [{"state": state, **scores} for state, group in (("before", self.before), ("after", self.after))
                for scores in group]
        return pd.DataFrame(rows)


def _scores(split: str, scored: ScoredPredictions) -> dict[str, Any]:
    entity_ece = scored.entity_ece
    return {"split": split, "sentences": scored.sentences, "words": int(len(scored.word_confidence)),
            "entities": int(len(scored.entities)), "word_ece": round(scored.word_ece, 6),
            "entity_ece": None if np.isnan(entity_ece) else round(entity_ece, 6), "nll": round(scored.nll, 6),
            "correct_hidden": correct_hidden(scored.entities)}


def calibrate_checkpoint(path: str | os.PathLike, split: str | os.PathLike = "validation",
                         test: str | os.PathLike | None = "test", *, data_dir: str | os.PathLike | None = None,
                         batch_size: int = 64, device: str | None = None, limit: int | None = None,
                         write: bool = True,
                         progress: Callable[[str], None] | None = None) -> CalibrationReport:
    """Fit a temperature on ``split``, report ECE and NLL before and after, store it with the checkpoint.

    Parameters
    ----------
    path:
        A run folder (its best checkpoint), checkpoint folder or run name (not a Hub id: the file is
        written into the checkpoint folder).
    split:
        Where the temperature is fitted: a split name or CoNLL file (default the validation split).
    test:
        Also scored before and after (default the test split; None to skip).
    data_dir, batch_size, device, limit:
        As in :func:`nerlib.evaluation.scoring.evaluate_checkpoint` (``limit``: the first sentences
        of each split only, for quick looks).
    write:
        Write calibration.json into the checkpoint folder (replacing one there).
    progress:
        Called with a line saying what is being done.

    Returns
    -------
    CalibrationReport

    Raises
    ------
    nerlib.runs.checkpoints.CheckpointError
        For an unusable checkpoint.
    FileNotFoundError, ConllFormatError
        For unusable data.
    ValueError
        When the fit split has no words, or gold labels the model does not have.
    """
    from nerlib.evaluation.scoring import evaluate_checkpoint, load_sentences
    from nerlib.runs.calibration_file import write_calibration
    from nerlib.runs.records import utc_timestamp
    from nerlib.tagging.tagger import Tagger

    say = progress or (lambda line: None)
    sources = [split] + ([test] if test is not None else [])
    for source in sources:  # data errors before the model loads
        load_sentences(source, data_dir)
    tagger = Tagger.from_pretrained(path, device=device, dtype="float32", calibrated=False)
    scored = []
    for source in sources:
        say(f"tagging {source} (temperature 1) ...")
        result = evaluate_checkpoint(tagger, source, data_dir=data_dir, batch_size=batch_size, limit=limit,
                                     seen_from=None, distributions=True)
        scored.append((result.source, result))
    name, fit_result = scored[0]
    before_fit = scored_predictions(fit_result)
    if len(before_fit.word_confidence) == 0:
        raise ValueError(f"{name}: no words to fit a temperature on")
    index = {label: i for i, label in enumerate(fit_result.labels)}
    _, columns = label_types(fit_result.labels)
    gold = np.fromiter((columns[index[tag]] for tags in fit_result.gold for tag in tags), dtype=np.int64)
    say(f"fitting the temperature on {len(gold):,} words of {name} ...")
    # on the gold types' likelihood: the confidence the report measures (B-/I- mass summed)
    temperature = fit_temperature(_logits(np.concatenate(fit_result.probabilities)), gold, label_types=columns)
    report = CalibrationReport(temperature=temperature, split=name, checkpoint=str(tagger.path))
    for source_name, result in scored:
        report.before.append(_scores(source_name, scored_predictions(result)))
        report.after.append(_scores(source_name, scored_predictions(result, temperature)))
    if write:
        report.path = write_calibration(tagger.path, {
            "temperature": temperature, "split": name,
            "created_at": utc_timestamp(),
            "before": report.before, "after": report.after,
        })
    return report
