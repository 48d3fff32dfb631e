"""Ranking: order a pool's names (or, without a pool, the vocabulary) for one entity with the vectors.

For a pool (the target country's names of the entity's subtype, filtered to names the vectors
know) each name ``c`` scores

    cos(c, entity - source anchor + target anchor)          # the seed's 3CosAdd
    + entity_weight * cos(c, entity)                        # keep the original's character
    - hub_weight * hubness(c)                               # CSLS: damp names near everything

where ``hubness(c)`` is the mean cosine of ``c`` with its 10 nearest names of the source
country's pool of the same subtype, moved by the analogy (cross-domain similarity local scaling,
Conneau et al. 2018). Without it a few frequent names (Sharma, Singh) are nearest to every
western name. Names that are the entity itself (or contain its words) are left out.

>>> from nerlib.localizer.pools import Pool
>>> from nerlib.localizer.vectors import example_vectors
>>> from nerlib.localizer.vocab import vocabulary
>>> vocab = vocabulary(example_vectors(), 100)
>>> pool = Pool("india", "city", ("Mumbai", "Gujarat", "Tokyo", "Kolkata"), "an example")
>>> matrix = pool_matrix(vocab, pool)  # Kolkata: not in these vectors, left out
>>> matrix.names
['Mumbai', 'Gujarat', 'Tokyo']
>>> chicago, american, indian = (vocab.unit_vector(word) for word in ("chicago", "american", "indian"))
>>> ranked = rank_pool(matrix, chicago, american, indian, "Chicago", hub_weight=0.0)  # Tokyo: not Indian
>>> [(str(name), round(float(score), 2)) for name, score in zip(ranked.names, ranked.score)]
[('Mumbai', 0.99), ('Gujarat', 0.98), ('Tokyo', 0.48)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nerlib.localizer.checks import CountryCheck, TypeModel
from nerlib.localizer.pools import Pool
from nerlib.localizer.taxonomy import ORG_SUBTYPES
from nerlib.localizer.vocab import Vocab, fold, name_key, words_of

__all__ = ["PoolMatrix", "Ranked", "assign", "pool_matrix", "rank_pool", "rank_vocabulary", "ENTITY_WEIGHT", "HUB_WEIGHT"]

#: Default weights of the ranking terms next to the analogy (chosen with bench/localizer.py on the
#: tuning list only).
ENTITY_WEIGHT = 0.0
HUB_WEIGHT = 0.5
HUB_NEIGHBOURS = 10
#: Names must be among the vectors' most frequent keys: rarer vectors are noise.
NAME_RANK_LIMIT = 200_000
#: A pool keeps names that the source country's pool of the subtype also has only where it would
#: otherwise be left with fewer than this ("Alexander" is in en_IN, but reads as no Indian name).
MIN_DISTINCT_POOL = 20
MAX_POOL = 300
#: How many common source names one target name may take in the pool assignment.
ASSIGNMENT_CAPACITY = 2
#: Noise (standard deviation) added to assignment scores; `seed` picks it, so a seed changes choices.
ASSIGNMENT_NOISE = 0.02
#: Words an entity and its replacement may share ("Bank of New York" -> "Bank of Baroda").
GENERIC_WORDS = frozenset(
    """of the and for de da do new north south east west san saint st great bank banks airlines airways air
    motors motor university college institute school party times post news daily journal herald press
    tribune ministry department agency bureau court commission council national state federal united city
    river mount mountains lake park falls valley island islands fc club group industries""".split()
)
#: Subtypes whose pools are curated tables of the country's own names (never filtered as the source's).
CURATED_KINDS = frozenset((*ORG_SUBTYPES, "place"))
#: How many nearest names decide whether a name is the target's (see `_distinct_from_source`).
NEIGHBOURHOOD = 10  # the first (most populous, most common) names of a gazetteer


@dataclass
class PoolMatrix:
    """A pool's names that the vectors know, their unit vectors and how each was looked up."""

    pool: Pool
    names: list[str]
    keys: list[str]
    unit: np.ndarray
    hubness: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.names)


def pool_matrix(vocab: Vocab, pool: Pool, source_pool: Pool | None = None, max_size: int = MAX_POOL) -> PoolMatrix:
    """Vectorise a pool: its first `max_size` names with every word known to the vectors (within
    `NAME_RANK_LIMIT`).

    Names the source pool also has are dropped where enough others are left (see `MIN_DISTINCT_POOL`).

    Parameters
    ----------
    vocab : Vocab
        The vectors' vocabulary.
    pool : Pool
        The pool.
    source_pool : Pool, optional
        The source country's pool of the same subtype (None, or the same country: nothing dropped).
    max_size : int
        How many names at most.

    Returns
    -------
    PoolMatrix
        The kept names in pool order, their keys and unit vectors (no hubness yet).
    """
    names, keys, rows = [], [], []
    for name in pool.names:
        vector, key, missing = vocab.name_vector(name, max_rank=NAME_RANK_LIMIT)
        if vector is None or missing:
            continue
        names.append(name)
        keys.append(key)
        rows.append(vector)
        if len(names) >= max_size:
            break
    # Curated tables (organisations, other places) list only the country's own names: no filter.
    if source_pool is not None and source_pool.country != pool.country and rows and pool.subtype not in CURATED_KINDS:
        keep = _distinct_from_source(vocab, names, rows, source_pool)
        if len(keep) >= MIN_DISTINCT_POOL or (len(keep) >= 5 and len(keep) >= len(names) // 2):
            names, keys, rows = [names[i] for i in keep], [keys[i] for i in keep], [rows[i] for i in keep]
    dim = vocab.unit.shape[1]
    unit = np.asarray(rows, dtype=np.float32).reshape(len(rows), dim)
    return PoolMatrix(pool, names, keys, unit)


def set_hubness(target: PoolMatrix, source: PoolMatrix | None, shift: np.ndarray) -> None:
    """Store each target name's hubness: mean cosine with its nearest moved source names (0 without them).

    Parameters
    ----------
    target : PoolMatrix
        The target pool; its ``hubness`` is set.
    source : PoolMatrix or None
        The source country's pool of the same subtype.
    shift : numpy.ndarray
        The analogy's move, target anchor minus source anchor.
    """
    if source is None or len(source) == 0 or len(target) == 0:
        target.hubness = np.zeros(len(target), dtype=np.float32)
        return
    moved = source.unit + shift
    moved /= np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-12)
    sims = target.unit @ moved.T
    k = min(HUB_NEIGHBOURS, sims.shape[1])
    target.hubness = np.sort(sims, axis=1)[:, -k:].mean(axis=1).astype(np.float32)


def _distinct_from_source(vocab: Vocab, names: list[str], rows: list[np.ndarray], source_pool: Pool) -> list[int]:
    """Indices of the names a reader takes for the target's: not in the source pool, and most of
    their nearest names in the vectors are the target's too (en_IN's "Oliver" and "Liam" are not)."""
    shared = {fold(n).lower() for n in source_pool.names}
    source_rows = [v for v, _, m in (vocab.name_vector(n, max_rank=NAME_RANK_LIMIT) for n in source_pool.names[:MAX_POOL])
                   if v is not None and not m]
    matrix = np.asarray(rows, dtype=np.float32)
    nearer = np.ones(len(names), dtype=bool)
    if source_rows:
        # Among each name's nearest names of both pools, most must be the target's.
        both = np.concatenate([matrix, np.asarray(source_rows, dtype=np.float32)])
        sims = matrix @ both.T
        sims[np.arange(len(matrix)), np.arange(len(matrix))] = -np.inf  # not itself
        k = min(NEIGHBOURHOOD, both.shape[0] - 1)
        nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        nearer = (nearest < len(matrix)).mean(axis=1) > 0.5
    return [i for i, n in enumerate(names) if fold(n).lower() not in shared and nearer[i]]


def assign(vocab: Vocab, source: PoolMatrix, target: PoolMatrix, shift: np.ndarray, *, seed: int,
           entity_weight: float = ENTITY_WEIGHT, hub_weight: float = HUB_WEIGHT,
           capacity: int = ASSIGNMENT_CAPACITY) -> dict[str, int]:
    """Match the most common source names to target names: {normalised source name: target row}.

    The source names the vectors see most often (up to ``capacity * len(target)``) are matched so
    that the summed ranking score (as `rank_pool`, plus a little seeded noise that `seed` changes)
    is highest and each target name takes at most `capacity` of them: thirty common US given names
    cannot all become one Indian name, yet similar names still tend to map to similar names. Rarer
    source names are left to the ranking.

    Parameters
    ----------
    vocab : Vocab
        The vectors' vocabulary (its frequency order decides which names are common).
    source, target : PoolMatrix
        The source and target pools of one subtype.
    shift : numpy.ndarray
        The analogy's move, target anchor minus source anchor.
    seed : int
        Seeds the noise.
    entity_weight, hub_weight : float
        The ranking's weights (see `rank_pool`).
    capacity : int
        How many source names one target name may take (1 where the target pool is as large as the
        source pool, or a curated table).

    Returns
    -------
    dict of str to int
        {`name_key` of a source name: row of `target`}; empty where either pool is.
    """
    from scipy.optimize import linear_sum_assignment

    if not len(source) or not len(target):
        return {}
    if len(source) <= len(target) or target.pool.subtype in CURATED_KINDS:
        # A curated table is small: one source name each (no pairs); rarer ones get a seeded choice.
        capacity = 1
    frequency = [max(vocab.key_to_index[k] for k in key.split("+")) for key in source.keys]
    rows = np.argsort(frequency, kind="stable")[: capacity * len(target)]
    query = source.unit[rows] + shift
    query /= np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
    hubness = target.hubness if target.hubness is not None else np.zeros(len(target), np.float32)
    score = query @ target.unit.T + entity_weight * (source.unit[rows] @ target.unit.T) - hub_weight * hubness[None, :]
    score = score + np.random.default_rng(seed).normal(0.0, ASSIGNMENT_NOISE, score.shape)
    columns = np.tile(np.arange(len(target)), capacity)
    matched, picked = linear_sum_assignment(-score[:, columns])
    return {name_key(source.names[rows[r]]): int(columns[c]) for r, c in zip(matched, picked)}


@dataclass
class Ranked:
    """Names best first with their score columns (numpy arrays of one length)."""

    names: np.ndarray
    score: np.ndarray
    analogy: np.ndarray
    entity_score: np.ndarray
    hubness: np.ndarray

    def __len__(self) -> int:
        return len(self.names)


def rank_pool(matrix: PoolMatrix, vector: np.ndarray, source: np.ndarray, target: np.ndarray, entity: str,
              *, entity_weight: float = ENTITY_WEIGHT, hub_weight: float = HUB_WEIGHT) -> Ranked:
    """Rank a vectorised pool for one entity.

    The entity's own name and names sharing a word with it are left out (Delhi never becomes
    New Delhi; the Senate never "Senate"), except `GENERIC_WORDS`.

    Parameters
    ----------
    matrix : PoolMatrix
        The target pool (its hubness counts where set).
    vector : numpy.ndarray
        The entity's unit vector.
    source, target : numpy.ndarray
        The unit anchor vectors of the analogy.
    entity : str
        The entity's text.
    entity_weight, hub_weight : float
        Weights of the entity's cosine and of the hubness.

    Returns
    -------
    Ranked
        The names best first with their score columns.
    """
    query = vector - source + target
    query /= max(float(np.linalg.norm(query)), 1e-12)
    analogy = matrix.unit @ query
    entity_score = matrix.unit @ vector
    hubness = matrix.hubness if matrix.hubness is not None else np.zeros(len(matrix), np.float32)
    score = analogy + entity_weight * entity_score - hub_weight * hubness
    own = {fold(w).lower() for w in words_of(entity)} - GENERIC_WORDS
    keep = np.array([not (own & {fold(w).lower() for w in words_of(n)}) for n in matrix.names], dtype=bool)
    order = [i for i in np.argsort(-score) if keep[i]]
    index = np.asarray(order, dtype=int)
    return Ranked(np.asarray(matrix.names, dtype=object)[index], score[index], analogy[index],
                  entity_score[index], hubness[index])


# --------------------------------------------------------------------------- vectors-only fallback

_STOP = frozenset("of the and for".split())


def rank_vocabulary(vocab: Vocab, vector: np.ndarray, source: np.ndarray, target: np.ndarray, entity: str,
                    label: str, *, candidates: int, type_model: TypeModel | None, country_check: CountryCheck,
                    target_country: str, country_words: set[str], weights: tuple[float, float, float]
                    ) -> dict[str, np.ndarray] | None:
    """The seed-style fallback: 3CosAdd over the frequent vocabulary, then the type and country checks.

    Parameters
    ----------
    vocab : Vocab
        The vectors' vocabulary: its frequent words are the candidates.
    vector : numpy.ndarray
        The entity's unit vector.
    source, target : numpy.ndarray
        The unit anchor vectors of the analogy.
    entity : str
        The entity's text (its words and their forms are never candidates).
    label : str
        The entity's type, which the type check asks for.
    candidates : int
        How many words near the analogy are checked.
    type_model : TypeModel or None
        The type check (None: none).
    country_check : CountryCheck
        The country check.
    target_country : str
        The country word a candidate's nearest country must be.
    country_words : set of str
        Country words, never candidates unless the entity is one.
    weights : (float, float, float)
        (type, entity, country) weights of the score.

    Returns
    -------
    dict of str to numpy.ndarray or None
        The columns candidate, analogy, type_score, entity_score, country_score, predicted_type,
        country, score, passes and reason, passing candidates first, then by score; None when no
        word is near.
    """
    query = vector - source + target
    query /= max(float(np.linalg.norm(query)), 1e-12)
    sims = vocab.unit @ query
    # Take more than `candidates`: the word filters below drop some before the checks.
    size = min(len(sims), candidates + 50)
    top = np.argpartition(sims, len(sims) - size)[len(sims) - size :]
    top = top[np.argsort(-sims[top])]
    tokens = [t.lower() for t in words_of(entity)]
    own = set(tokens) - _STOP
    # Only a country becomes a country (USA -> India); a city or a firm never does.
    countries = set() if " ".join(tokens) in country_words else country_words
    keep = []
    for index in top:
        if not vocab.alphabetic[index]:
            continue
        word = vocab.lower_words[index]
        if word in countries:
            continue
        parts = word.split("_")
        if any(o in word or (len(p) > 2 and p in o) for o in own for p in parts):
            continue  # the entity itself, a form of it, or a piece of it
        keep.append(index)
        if len(keep) == candidates:
            break
    if not keep:
        return None
    index = np.asarray(keep)
    rows = vocab.unit[index]
    n = len(index)
    columns: dict[str, np.ndarray] = {
        "candidate": np.array([vocab.words[i] for i in index], dtype=object),
        "analogy": sims[index],
        "type_score": type_model.similarity(rows, label) if type_model else np.zeros(n, np.float32),
        "entity_score": rows @ vector,
        "country_score": rows @ target - rows @ source,
        "predicted_type": np.array(type_model.predict(rows) if type_model else [""] * n, dtype=object),
        "country": np.array(country_check.nearest(rows), dtype=object),
    }
    type_weight, entity_weight, country_weight = weights
    columns["score"] = (columns["analogy"] + type_weight * columns["type_score"]
                        + entity_weight * columns["entity_score"] + country_weight * columns["country_score"])
    country_ok = columns["country"] == target_country
    type_ok = columns["predicted_type"] == label if type_model else np.ones(n, bool)
    columns["passes"] = type_ok & country_ok
    reason = np.where(country_ok, "", "nearest country is " + columns["country"])
    columns["reason"] = np.where(type_ok, reason, "looks like " + columns["predicted_type"])
    order = np.lexsort((-columns["score"], ~columns["passes"]))
    return {name: values[order] for name, values in columns.items()}
