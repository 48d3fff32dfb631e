"""Partial-match scores: how far a boundary-only or type-only error still counts.

The SemEval-2013 task 9.1 schemes as the `nervaluate` package implements them (``pip install
'ner-workbench[compare]'``), on the same entities conlleval reads:

- ``strict``: type and both boundaries right (equals conlleval's F1);
- ``exact``: both boundaries right, whatever the type;
- ``partial``: overlapping words count half (``partial``), whatever the type;
- ``ent_type``: the type right and some overlap.

Each scheme counts ``correct``, ``incorrect``, ``partial``, ``missed`` and ``spurious`` entities
per type and overall; ``possible`` = gold entities, ``actual`` = predicted ones. Precision and
recall are undefined (``nan``) where ``actual`` or ``possible`` is 0, and F1 where either is.

>>> table = partial_match([["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]])
>>> overall = table[table.type == "ALL"].set_index("scheme")
>>> overall.loc[["strict", "partial"], ["correct", "partial", "f1"]]
         correct  partial   f1
scheme
strict         0        0  0.0
partial        0        1  0.5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from nerlib.data.labels import entity_spans

__all__ = ["PARTIAL_COLUMNS", "SCHEMES", "partial_match"]

#: the schemes, strictest first
SCHEMES: tuple[str, ...] = ("strict", "exact", "partial", "ent_type")
PARTIAL_COLUMNS = ["scheme", "type", "correct", "incorrect", "partial", "missed", "spurious",
                   "possible", "actual", "precision", "recall", "f1"]
_COUNTS = ("correct", "incorrect", "partial", "missed", "spurious")


def _evaluator():
    try:
        from nervaluate import Evaluator
    except ImportError as error:
        raise ImportError("partial-match scores need nervaluate>=1.2.1: pip install 'ner-workbench[compare]'") from error
    return Evaluator


# Sentences handed to nervaluate as one "document": it scores each document separately and pays a
# fixed cost per document and scheme, so fewer, larger documents are cheaper. Within one, every
# sentence's words are shifted past the previous sentence's (one word of gap), so no entity can
# overlap another sentence's and the counts equal those of one document per sentence.
_SENTENCES_PER_DOCUMENT = 50


def _as_dicts(tags: Sequence[Sequence[str]]) -> list[list[dict]]:
    # our own conlleval reading of the tags (nervaluate's ends are inclusive)
    documents = []
    for first in range(0, len(tags), _SENTENCES_PER_DOCUMENT):
        document, offset = [], 0
        for sentence in tags[first:first + _SENTENCES_PER_DOCUMENT]:
            document += [{"label": s.label, "start": offset + s.start, "end": offset + s.end - 1}
                         for s in entity_spans(list(sentence))]
            offset += len(sentence) + 1
        documents.append(document)
    return documents


def _row(scheme: str, entity_type: str, result) -> dict:
    counts = {name: int(getattr(result, name)) for name in _COUNTS}
    possible = counts["correct"] + counts["incorrect"] + counts["partial"] + counts["missed"]
    actual = counts["correct"] + counts["incorrect"] + counts["partial"] + counts["spurious"]
    credit = counts["correct"] + (0.5 * counts["partial"] if scheme in ("partial", "ent_type") else 0.0)
    precision = credit / actual if actual else np.nan
    recall = credit / possible if possible else np.nan
    if not possible or not actual:
        f1 = np.nan if not possible else 0.0
    else:
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"scheme": scheme, "type": entity_type, **counts, "possible": possible, "actual": actual,
            "precision": precision, "recall": recall, "f1": f1}


def partial_match(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> pd.DataFrame:
    """Score ``predicted`` against ``gold`` under the four nervaluate schemes.

    Parameters
    ----------
    gold, predicted:
        One IOB tag per word, per sentence (entities read with conlleval's rules, like
        :func:`nerlib.evaluation.metrics.compute_metrics`).

    Returns
    -------
    pandas.DataFrame
        :data:`PARTIAL_COLUMNS`: one row per scheme and type, plus each scheme's ``ALL`` row
        (first); scores 0..1, ``nan`` where undefined (no gold or no predicted entity).

    Raises
    ------
    ValueError
        When the two differ in sentences or words.
    ImportError
        When nervaluate is not installed (the message says which extra to install).
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted ones")
    for index, (g, p) in enumerate(zip(gold, predicted)):
        if len(g) != len(p):
            raise ValueError(f"sentence {index}: {len(g)} gold tags but {len(p)} predicted ones")
    true, pred = _as_dicts(gold), _as_dicts(predicted)
    types = sorted({e["label"] for sentence in true + pred for e in sentence})
    rows = []
    if types:
        results = _evaluator()(true, pred, tags=types, loader="dict").evaluate()
        for scheme in SCHEMES:
            rows.append(_row(scheme, "ALL", results["overall"][scheme]))
            rows.extend(_row(scheme, t, results["entities"][t][scheme]) for t in types if t in results["entities"])
    else:  # nothing to score: every scheme's ALL row says so
        empty = type("Empty", (), dict.fromkeys(_COUNTS, 0))
        rows = [_row(scheme, "ALL", empty) for scheme in SCHEMES]
    return pd.DataFrame(rows, columns=PARTIAL_COLUMNS)
