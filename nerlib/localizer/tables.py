"""Tables for the dashboard: nearest words of an entity, its ranked candidates, and the
entity-switched robustness of a run (``bench/localized_eval.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nerlib.localizer.core import Localizer
from nerlib.localizer.vocab import vocabulary, words_of

__all__ = ["neighbours", "analogy_candidates", "ROBUSTNESS_FILE", "robustness_frame", "preset_robustness"]

#: Where ``bench/localized_eval.py`` leaves its table in a run folder (the Localizer page reads it).
ROBUSTNESS_FILE = "localized_eval.json"
_TYPES = ("PER", "LOC", "ORG", "MISC", "ALL")


def robustness_frame(table: dict[str, dict[str, float]]) -> pd.DataFrame:
    """Return the change of entity F1 (points) per localized copy and type, against the original.

    Parameters
    ----------
    table : dict
        ``bench/localized_eval.py``'s JSON: {"original": {type: F1, ...}, country: {type: F1, ...}}.

    Returns
    -------
    pandas.DataFrame
        One row per country, one column per type (PER, LOC, ORG, MISC, ALL) present in the original.

    Raises
    ------
    ValueError
        Where the table has no "original" row.

    Examples
    --------
    >>> robustness_frame({"original": {"PER": 0.9, "ALL": 0.8}, "India": {"PER": 0.7, "ALL": 0.75}})
              PER  ALL
    India -20.0 -5.0
    """
    if "original" not in table:
        raise ValueError("a robustness table needs its 'original' row")
    base = table["original"]
    types = [t for t in _TYPES if isinstance(base.get(t), (int, float))]
    rows = {name: {t: round(100 * (float(row.get(t, np.nan)) - float(base[t])), 1) for t in types}
            for name, row in table.items() if name != "original"}
    return pd.DataFrame.from_dict(rows, orient="index", columns=types)


def preset_robustness() -> tuple[str, dict[str, dict[str, dict[str, float]]]]:
    """Return the robustness tables measured on the ``minilm-cpu`` preset, shipped with the package.

    A fresh installation has no trained run to show; these are the figures of docs/benchmarks.md
    (the preset, and the preset trained with localized copies mixed in), for comparison.

    Returns
    -------
    tuple
        ``(source, tables)``: where and how they were measured, and each model's table in
        ``bench/localized_eval.py``'s form (read it with :func:`robustness_frame`).

    Examples
    --------
    >>> source, tables = preset_robustness()
    >>> "bench/localized_eval.py" in source, len(tables)
    (True, 2)
    >>> robustness_frame(next(iter(tables.values()))).loc["India", "ALL"]
    np.float64(-1.4)
    """
    record = json.loads((Path(__file__).parent / "data" / "robustness_preset.json").read_text(encoding="utf-8"))
    return record["source"], record["tables"]


def neighbours(vectors: Any, text: str, topn: int = 10, vocab_limit: int = 100_000) -> pd.DataFrame:
    """Return the `topn` nearest frequent words of a word or entity.

    Multi-word text uses its phrase key or the mean of its words (as the localizer does); the
    entity's own words are left out.

    Parameters
    ----------
    vectors : KeyedVectors or Localizer
        The vectors (a `Localizer`'s, with its vocabulary limit).
    text : str
        A word or entity.
    topn : int
        How many words.
    vocab_limit : int
        The words are among this many most frequent ones.

    Returns
    -------
    pandas.DataFrame
        Columns rank, word, score (cosine); empty for text not in the vectors.

    Examples
    --------
    >>> from nerlib.localizer.vectors import example_vectors
    >>> neighbours(example_vectors(), "Mumbai", topn=2)["word"].tolist()
    ['gujarat', 'india']
    """
    if isinstance(vectors, Localizer):
        vectors, vocab_limit = vectors.vectors, vectors.vocab_limit
    vocab = vocabulary(vectors, vocab_limit)
    vector, _, _ = vocab.name_vector(text)
    columns = ["rank", "word", "score"]
    if vector is None:
        return pd.DataFrame(columns=columns)
    sims = vocab.unit @ vector
    own = {t.lower() for t in words_of(text)}
    size = min(len(sims), topn + len(own) + 10)
    top = np.argpartition(-sims, size - 1)[:size]
    top = top[np.argsort(-sims[top])]
    rows = [(vocab.words[i].replace("_", " "), float(sims[i])) for i in top
            if vocab.lower_words[i] not in own and "_".join(own) != vocab.lower_words[i]][:topn]
    return pd.DataFrame([(rank, word, score) for rank, (word, score) in enumerate(rows, 1)], columns=columns)


def analogy_candidates(localizer: Localizer, text: str, label: str, topn: int = 10) -> pd.DataFrame:
    """Return the best candidates of an entity for `localizer`'s source -> target, per part.

    Parameters
    ----------
    localizer : Localizer
        The localizer (its pair, pools and options).
    text : str
        The entity.
    label : str
        Its type.
    topn : int
        Rows per part.

    Returns
    -------
    pandas.DataFrame
        Columns: rank, part (the piece replaced: a full name has two), subtype, candidate, score
        (what the localizer ranks by), analogy (3CosAdd cosine), entity_score (cosine with the
        entity), hubness (pool ranking: mean cosine with the nearest source names), type_score,
        country_score, predicted_type, country, passes, reason (the vectors-only fallback's checks),
        pool (where the candidates come from). Empty for text not in the vectors or a type not
        localized.
    """
    return localizer.candidates(text, label, topn=topn)
