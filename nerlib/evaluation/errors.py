"""The entity errors of one sentence: each gold entity the prediction missed, paired with the predicted
entity that overlaps it most, and classified (wrong type, wrong boundary, both, missed, spurious).

Kept apart from :mod:`nerlib.evaluation.scoring` (which runs a model over a file and builds its
tables): this needs no model and serves the Errors page, the evaluation's error table and the
label-issue review (:mod:`nerlib.quality.scores`, which compares a suggestion with the given labels).

>>> tokens = ["Wales", "beat", "New", "Zealand", "in", "Cardiff"]
>>> gold = ["B-ORG", "O", "B-ORG", "I-ORG", "O", "B-LOC"]
>>> predicted = ["B-LOC", "O", "B-ORG", "O", "O", "O"]
>>> [(e["kind"], e["gold_text"], e["pred_text"]) for e in span_errors(tokens, gold, predicted)]
[('wrong_type', 'Wales', 'Wales'), ('wrong_boundary', 'New Zealand', 'New'), ('missed', 'Cardiff', None)]
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from nerlib.data.labels import Span, entity_spans

__all__ = ["ERROR_KINDS", "span_dict", "span_errors"]

#: error kinds, in the order an error-analysis view lists them
ERROR_KINDS: tuple[str, ...] = ("wrong_type", "wrong_boundary", "wrong_type_and_boundary", "missed", "spurious")


def span_dict(span: Span | None, tokens: Sequence[str]) -> dict[str, Any]:
    """An entity span as a record: label, start, end (word indices) and text; all None for no span.

    >>> span_dict(Span("LOC", 1, 2), ["in", "Paris"])
    {'label': 'LOC', 'start': 1, 'end': 2, 'text': 'Paris'}
    """
    if span is None:
        return {"label": None, "start": None, "end": None, "text": None}
    return {"label": span.label, "start": span.start, "end": span.end, "text": " ".join(tokens[span.start:span.end])}


def _overlap(a: Span, b: Span) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def span_errors(tokens: Sequence[str], gold: Sequence[str], predicted: Sequence[str]) -> list[dict[str, Any]]:
    """Classify the entity errors of one sentence.

    Parameters
    ----------
    tokens:
        The sentence's words.
    gold, predicted:
        One IOB label per word each (read with conlleval semantics).

    Returns
    -------
    list of dict
        One dict per error, in word order, with ``kind`` and the ``gold_*``/``pred_*`` label, start,
        end (word indices, end exclusive) and text (``None`` on the side that is absent). Kinds:
        ``wrong_type`` (same words, other type), ``wrong_boundary`` (same type, overlapping words),
        ``wrong_type_and_boundary``, ``missed`` (no overlapping prediction), ``spurious`` (no
        overlapping gold entity left to pair with).

    >>> span_errors(["in", "Paris"], ["O", "B-LOC"], ["B-PER", "O"])[0]["kind"]
    'spurious'
    """
    gold_spans = entity_spans(gold)
    pred_spans = entity_spans(predicted)
    exact = set(gold_spans) & set(pred_spans)
    unmatched_gold = [s for s in gold_spans if s not in exact]
    unmatched_pred = [s for s in pred_spans if s not in exact]
    # Pair by largest overlap first, each span at most once (ties: earlier gold, earlier pred).
    # Spans of one sequence never overlap each other, so the predictions overlapping a gold span
    # are a run in start order: found by bisection, not by trying every pair (a 100k-word
    # sentence has thousands of entities).
    pred_ends = [p.end for p in unmatched_pred]
    candidates = []
    for gi, g in enumerate(unmatched_gold):
        pi = bisect.bisect_right(pred_ends, g.start)
        while pi < len(unmatched_pred) and unmatched_pred[pi].start < g.end:
            candidates.append((_overlap(g, unmatched_pred[pi]), gi, pi))
            pi += 1
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    paired_gold: dict[int, int] = {}
    used_pred: set[int] = set()
    for _, gi, pi in candidates:
        if gi not in paired_gold and pi not in used_pred:
            paired_gold[gi] = pi
            used_pred.add(pi)
    errors = []
    for gi, g in enumerate(unmatched_gold):
        p = unmatched_pred[paired_gold[gi]] if gi in paired_gold else None
        if p is None:
            kind = "missed"
        elif (p.start, p.end) == (g.start, g.end):
            kind = "wrong_type"
        elif p.label == g.label:
            kind = "wrong_boundary"
        else:
            kind = "wrong_type_and_boundary"
        errors.append({"kind": kind, "_order": g.start, **_prefixed("gold", g, tokens), **_prefixed("pred", p, tokens)})
    for pi, p in enumerate(unmatched_pred):
        if pi not in used_pred:
            errors.append({"kind": "spurious", "_order": p.start, **_prefixed("gold", None, tokens), **_prefixed("pred", p, tokens)})
    errors.sort(key=lambda e: e.pop("_order"))
    return errors


def _prefixed(prefix: str, span: Span | None, tokens: Sequence[str]) -> dict[str, Any]:
    return {f"{prefix}_{key}": value for key, value in span_dict(span, tokens).items()}
