"""Tables for the dashboard: nearest words of an entity, and its ranked candidates."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from nerlib.localizer.core import Localizer
from nerlib.localizer.vocab import vocabulary, words_of

__all__ = ["neighbours", "analogy_candidates"]


def neighbours(vectors: Any, text: str, topn: int = 10, vocab_limit: int = 100_000) -> pd.DataFrame:
    """Return the `topn` nearest frequent words of a word or entity: columns rank, word, score (cosine).

    `vectors` is a KeyedVectors or a `Localizer` (then its vocabulary limit applies). Multi-word text
    uses its phrase key or the mean of its words (as the localizer does); the entity's own words are
    left out. An empty table comes back for text not in the vectors.
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

    Columns: rank, part (the piece replaced: a full name has two), subtype, candidate, score (what
    the localizer ranks by), analogy (3CosAdd cosine), entity_score (cosine with the entity),
    hubness (pool ranking: mean cosine with the nearest source names), type_score, country_score,
    predicted_type, country, passes, reason (the vectors-only fallback's checks), pool (where the
    candidates come from). An empty table for text not in the vectors or a type not localized.
    """
    return localizer.candidates(text, label, topn=topn)
