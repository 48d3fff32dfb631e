"""Is a difference in F1 real? Paired bootstrap intervals and approximate randomization p-values.

Two models tagged the same sentences. Each sentence (or each document, when the file has
``-DOCSTART-`` boundaries) is one unit; its true positives, false positives and false negatives per
entity type are counted once per model (:func:`unit_counts`), and every resample afterwards is a
weighted sum of those counts, computed with numpy index arrays and swap masks for a thousand
resamples at once. Nothing is tagged again.

- :func:`paired_bootstrap`: resample units with replacement, the same units for both models
  (Berg-Kirkpatrick et al. 2012); the percentile interval of ``F1(B) - F1(A)``.
- :func:`approximate_randomization`: swap the two models' counts on a random half of the units,
  many times (Noreen 1989; Dror et al. 2018); the share of shuffles whose absolute difference is
  at least the observed one is the p-value.

F1 is undefined (``nan``) where a type has no gold entity (recall is 0/0); conlleval would say 0.

>>> counts = unit_counts([["B-PER", "O"], ["B-LOC", "O"]], [["B-PER", "O"], ["O", "O"]], types=["LOC", "PER"])
>>> counts.shape, counts[:, 2].tolist()          # 2 sentences; column 2 is ALL; (tp, fp, fn)
((2, 3, 3), [[1, 0, 0], [0, 0, 1]])
>>> f1_from_counts(counts.sum(axis=0)).round(3).tolist()   # LOC, PER, ALL
[0.0, 1.0, 0.667]
>>> result = approximate_randomization(counts, counts, rounds=1000, seed=0)
>>> result.tolist()                               # identical runs: every shuffle ties
[1.0, 1.0, 1.0]
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from nerlib.data.labels import entity_spans

__all__ = [
    "ALL",
    "approximate_randomization",
    "f1_from_counts",
    "group_units",
    "paired_bootstrap",
    "unit_counts",
]

#: the name of the row that sums every type
ALL = "ALL"
# Resamples are summed this many at a time, so memory stays bounded on a large file
# (rows x units weights); a thousand resamples of the test split fit in one block.
_BLOCK = 1000


def entity_types(*tag_sequences: Sequence[Sequence[str]]) -> list[str]:
    """The entity types found in any of the tag sequences, sorted.

    >>> entity_types([["B-PER", "O"]], [["I-LOC"]])
    ['LOC', 'PER']
    """
    return sorted({span.label for tags in tag_sequences for sentence in tags for span in entity_spans(list(sentence))})


def unit_counts(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                types: Sequence[str] | None = None) -> np.ndarray:
    """True positives, false positives and false negatives of each sentence, per type and overall.

    Parameters
    ----------
    gold, predicted:
        One IOB tag per word, per sentence (conlleval reading: an entity is right when its type
        and both boundaries match).
    types:
        The entity types, in the order of the columns; default those found in either.

    Returns
    -------
    numpy.ndarray
        Shape ``(sentences, len(types) + 1, 3)``, integers; the last column is :data:`ALL`, the
        sum of the others; the last axis is ``(tp, fp, fn)``.

    Raises
    ------
    ValueError
        When the two disagree in sentences or words, or a predicted or gold type is not in ``types``.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted ones")
    types = list(types) if types is not None else entity_types(gold, predicted)
    column = {t: i for i, t in enumerate(types)}
    counts = np.zeros((len(gold), len(types) + 1, 3), dtype=np.int64)
    for index, (gold_tags, pred_tags) in enumerate(zip(gold, predicted)):
        if len(gold_tags) != len(pred_tags):
            raise ValueError(f"sentence {index}: {len(gold_tags)} gold tags but {len(pred_tags)} predicted ones")
        gold_spans = set(entity_spans(list(gold_tags)))
        pred_spans = set(entity_spans(list(pred_tags)))
        for span in gold_spans | pred_spans:
            if span.label not in column:
                raise ValueError(f"sentence {index}: type {span.label!r} is not among {types}")
            counts[index, column[span.label], 0 if span in gold_spans and span in pred_spans
                   else 1 if span in pred_spans else 2] += 1
    counts[:, -1] = counts[:, :-1].sum(axis=1)
    return counts


def group_units(counts: np.ndarray, groups: Sequence[int] | np.ndarray) -> np.ndarray:
    """Sum the counts of the sentences of each group (document) into one unit.

    Parameters
    ----------
    counts:
        ``(sentences, columns, 3)`` from :func:`unit_counts`.
    groups:
        The group of each sentence (any integers; units come out in sorted order of them).

    Returns
    -------
    numpy.ndarray
        ``(groups, columns, 3)``.

    >>> group_units(np.ones((3, 1, 3), dtype=int), [0, 0, 5])[:, 0, 0].tolist()
    [2, 1]
    """
    _, inverse = np.unique(np.asarray(groups), return_inverse=True)
    grouped = np.zeros((inverse.max() + 1 if len(inverse) else 0, *counts.shape[1:]), dtype=counts.dtype)
    np.add.at(grouped, inverse, counts)
    return grouped


def f1_from_counts(counts: np.ndarray) -> np.ndarray:
    """F1 = 2tp / (2tp + fp + fn) over the last axis ``(tp, fp, fn)``; ``nan`` where there is no
    gold entity (tp + fn = 0: recall undefined).

    >>> f1_from_counts(np.array([[1, 1, 0], [0, 2, 0]])).tolist()
    [0.6666666666666666, nan]
    """
    counts = np.asarray(counts, dtype=np.float64)
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)


def _units(counts: np.ndarray) -> tuple[np.ndarray, int]:
    counts = np.asarray(counts)
    if counts.ndim != 3 or counts.shape[-1] != 3:
        raise ValueError(f"counts must have shape (units, columns, 3), got {counts.shape}")
    return counts.reshape(len(counts), -1).astype(np.float64), counts.shape[1]


def paired_bootstrap(counts_a: np.ndarray, counts_b: np.ndarray, *, resamples: int = 1000, seed: int = 0,
                     confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of ``F1(B) - F1(A)`` from a paired bootstrap over units.

    Each resample draws as many units as there are, with replacement, the same ones for both
    models, and sums their counts (a multiplicity matrix times the count matrix).

    Parameters
    ----------
    counts_a, counts_b:
        ``(units, columns, 3)`` of the two models on the same units (:func:`unit_counts`,
        :func:`group_units`).
    resamples:
        How many resamples (at least 1).
    seed:
        The random generator's seed (same seed, same interval).
    confidence:
        The interval's coverage, e.g. 0.95.

    Returns
    -------
    tuple of numpy.ndarray
        ``(low, high)``, one value per column; ``nan`` where F1 is undefined in most resamples
        (no gold entity of the type) or there are no units.

    Raises
    ------
    ValueError
        When the shapes differ or ``resamples`` < 1.
    """
    a, columns = _units(counts_a)
    b, _ = _units(counts_b)
    if a.shape != b.shape:
        raise ValueError(f"the two runs' counts differ in shape: {np.shape(counts_a)} and {np.shape(counts_b)}")
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    units = len(a)
    if units == 0:
        return np.full(columns, np.nan), np.full(columns, np.nan)
    rng = np.random.default_rng(seed)
    both = np.concatenate([a, b], axis=1)
    differences = []
    for start in range(0, resamples, _BLOCK):
        rows = min(_BLOCK, resamples - start)
        picks = rng.integers(0, units, size=(rows, units))
        # multiplicity of each unit in each resample, from one bincount over row-offset indices
        weights = np.bincount((picks + units * np.arange(rows)[:, None]).ravel(),
                              minlength=rows * units).reshape(rows, units).astype(np.float64)
        sums = (weights @ both).reshape(rows, 2, columns, 3)
        f1 = f1_from_counts(sums)
        differences.append(f1[:, 1] - f1[:, 0])
    difference = np.concatenate(differences)
    tail = (1 - confidence) / 2 * 100
    defined = np.isfinite(difference).mean(axis=0) >= 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column undefined in every resample gives nan
        low, high = np.nanpercentile(difference, [tail, 100 - tail], axis=0)
    return np.where(defined, low, np.nan), np.where(defined, high, np.nan)


def approximate_randomization(counts_a: np.ndarray, counts_b: np.ndarray, *, rounds: int = 1000,
                              seed: int = 0) -> np.ndarray:
    """Two-sided p-value of ``|F1(B) - F1(A)|`` by approximate randomization (paired permutation).

    In each round every unit's two count rows are swapped with probability 1/2 (a random mask);
    the p-value is ``(1 + rounds at least as extreme) / (1 + rounds)``, so it is never 0 and two
    identical runs give exactly 1.

    Parameters
    ----------
    counts_a, counts_b:
        ``(units, columns, 3)`` of the two models on the same units.
    rounds:
        How many shuffles (at least 1).
    seed:
        The random generator's seed.

    Returns
    -------
    numpy.ndarray
        One p-value per column; ``nan`` where F1 is undefined (no gold entity of the type).

    Raises
    ------
    ValueError
        When the shapes differ or ``rounds`` < 1.
    """
    a, columns = _units(counts_a)
    b, _ = _units(counts_b)
    if a.shape != b.shape:
        raise ValueError(f"the two runs' counts differ in shape: {np.shape(counts_a)} and {np.shape(counts_b)}")
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    total_a, total_b = a.sum(axis=0), b.sum(axis=0)
    observed = np.abs(f1_from_counts(total_b.reshape(columns, 3)) - f1_from_counts(total_a.reshape(columns, 3)))
    rng = np.random.default_rng(seed)
    delta = b - a
    extreme = np.zeros(columns)
    for start in range(0, rounds, _BLOCK):
        rows = min(_BLOCK, rounds - start)
        swaps = rng.random((rows, len(a))) < 0.5
        moved = swaps.astype(np.float64) @ delta  # what the swapped units carry from B to A
        f1_a = f1_from_counts((total_a + moved).reshape(rows, columns, 3))
        f1_b = f1_from_counts((total_b - moved).reshape(rows, columns, 3))
        # a small tolerance: float sums of the same counts in another order must count as ties
        extreme += (np.abs(f1_b - f1_a) >= observed - 1e-12).sum(axis=0)
    p_values = (extreme + 1) / (rounds + 1)
    return np.where(np.isfinite(observed), p_values, np.nan)
