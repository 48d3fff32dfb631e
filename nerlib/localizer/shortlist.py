"""Shortlists: the ranked names for one part of an entity, from its subtype's pool, the countries or the vectors.

- a country: the source country becomes the target; another its analogue among all countries;
- a subtype with a target pool: the pool ranked by the analogy less hubness
  (`nerlib.localizer.ranking.rank_pool`), the part's assignment match first; a part the vectors
  lack but a gazetteer names gets the pool in a seeded order;
- otherwise (no pool, or ``pools=False``): the vectors-only fallback (`nerlib.localizer.fallback`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nerlib.localizer.choice import seeded_order
from nerlib.localizer.countries import CURATED, SUPPORTED, Country, country_key
from nerlib.localizer.fallback import VectorsFallback
from nerlib.localizer.matrices import PoolMatrices
from nerlib.localizer.places import city_rank
from nerlib.localizer.ranking import PoolMatrix, Ranked, rank_pool
from nerlib.localizer.records import Shortlist
from nerlib.localizer.states import similar_size, size_of, territories
from nerlib.localizer.subtypes import Part
from nerlib.localizer.vocab import Vocab, name_key

__all__ = ["Shortlister", "POOLED_TYPES", "CANDIDATE_COLUMNS"]

#: The types with pools (every other type goes to the vectors-only fallback).
POOLED_TYPES = ("PER", "LOC", "ORG")
#: The columns of a candidates table (`Shortlister.candidates`).
CANDIDATE_COLUMNS = ["rank", "part", "subtype", "candidate", "score", "analogy", "entity_score", "hubness",
                     "type_score", "country_score", "predicted_type", "country", "passes", "reason", "pool"]
#: A city alone becomes a city of rank r / RANK_WINDOW to r * RANK_WINDOW in the target (r: its rank
#: by population in the source).
RANK_WINDOW = 2
#: Shortlists kept in memory before the memo starts over.
MEMO_SIZE = 10_000


class Shortlister:
    """Make (and remember) the shortlist of each entity part for one source -> target pair.

    Parameters
    ----------
    vocab : Vocab
        The vectors' vocabulary.
    source, target : Country
        The source and target countries.
    matrices : PoolMatrices
        The pair's vectorised pools.
    fallback : VectorsFallback
        The vectors-only fallback.
    anchor_vectors : dict
        {type: (source unit vector, target unit vector)} of the analogy.
    ranking : tuple of float
        (entity weight, hub weight) of the pool ranking.
    seed : int
        Orders a pool for a part the vectors lack.
    use_pools : bool
        False: every part goes to the fallback.
    """

    def __init__(self, vocab: Vocab, source: Country, target: Country, matrices: PoolMatrices,
                 fallback: VectorsFallback, anchor_vectors: dict[str, tuple[np.ndarray, np.ndarray]],
                 ranking: tuple[float, float], seed: int, use_pools: bool):
        self.vocab = vocab
        self.source, self.target = source, target
        self.matrices = matrices
        self.fallback = fallback
        self.anchor_vectors = anchor_vectors
        self.ranking = ranking
        self.seed = seed
        self.use_pools = use_pools
        self._memo: dict[tuple[str, str, str, bool], Shortlist] = {}

    def clear(self) -> None:
        """Forget the remembered shortlists (the pool matrices stay)."""
        self._memo.clear()

    def shortlist(self, text: str, subtype: str, label: str, certain: bool = True) -> Shortlist:
        """Return the ranked names for one entity part (remembered per text, subtype and type).

        Parameters
        ----------
        text : str
            The part, e.g. ``"Olivia"`` or ``"Goldman Sachs"``.
        subtype : str
            Its subtype (`nerlib.localizer.taxonomy.SUBTYPES`).
        label : str
            Its entity type.
        certain : bool
            Whether its subtype is known (a gazetteer named it, or it is part of a full name): a part
            the vectors lack then gets its pool's names in a seeded order, otherwise none.

        Returns
        -------
        Shortlist
            The names best first, or none and the reason.
        """
        memo = (name_key(text), subtype, label, certain)
        if memo in self._memo:
            return self._memo[memo]
        vector, key, missing = self.vocab.name_vector(text)
        note = f" (not in the vectors, left out: {', '.join(missing)})" if missing and vector is not None else ""
        if subtype == "country":
            result = self._country(text, vector, key, label)
        elif not self.use_pools or label not in POOLED_TYPES:
            result = self.fallback.shortlist(text, vector, key, missing, label, note)
        elif (matrix := self.matrices.get(self.target.key, subtype)) is None:
            result = Shortlist([], "", key, reason=(
                f"kept: no {subtype} pool for {self.target.name} (curated organisation and place tables: "
                f"{', '.join(SUPPORTED[c].name for c in CURATED)}); add a pool file "
                f"{self.target.key}.{subtype}.txt (see nerlib.localizer.pools)"))
        elif vector is None and not certain:
            looked = ", ".join(self.vocab.forms(missing[0])) if missing else text
            result = Shortlist([], "", key, reason=f"kept: {text!r} is not in the vectors (looked up {looked}) "
                                                   "and no gazetteer names it")
        else:
            result = self._in_pool(matrix, text, vector, key, missing, label, note)
        if len(self._memo) > MEMO_SIZE:
            self._memo.clear()  # bound the memo; entries are cheap to recompute
        self._memo[memo] = result
        return result

    def _ranked(self, matrix: PoolMatrix, vector: np.ndarray, text: str, label: str) -> Ranked:
        self.matrices.ensure_hubness(matrix, label)
        source, target = self.anchor_vectors[label]
        return rank_pool(matrix, vector, source, target, text, **dict(zip(("entity_weight", "hub_weight"), self.ranking)))

    def _in_pool(self, matrix: PoolMatrix, text: str, vector: np.ndarray | None, key: str,
                 missing: list[str], label: str, note: str) -> Shortlist:
        """A pool ranked for one entity; a known source name's assignment match first."""
        if vector is None:  # a part of a full name, or a name a gazetteer knows, that the vectors lack
            looked = ", ".join(self.vocab.forms(missing[0])) if missing else text
            return Shortlist(seeded_order(matrix.names, self.seed, name_key(text)), matrix.pool.label, "",
                             reason=f"{text!r} is not in the vectors (looked up {looked}): picked from the pool "
                                    "without similarity ranking")
        ranked = self._ranked(matrix, vector, text, label)
        names = [(str(n), round(float(s), 4)) for n, s in zip(ranked.names, ranked.score)]
        if matrix.pool.subtype == "city":
            names = self._similar_rank(text, names)
        elif matrix.pool.subtype == "state":
            names = self._similar_size(text, names)
        match = self.matrices.assignment(matrix, label).get(name_key(text))
        assigned = match is not None and matrix.names[match] in {n for n, _ in names}
        if assigned:
            first = [(n, s) for n, s in names if n == matrix.names[match]]
            names = first + [(n, s) for n, s in names if n != matrix.names[match]]
        return Shortlist(names, matrix.pool.label, key, note, assigned=assigned,
                         reason="" if names else f"no name of {matrix.pool.label} differs from the entity")

    def _similar_rank(self, text: str, names: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """A city's candidates of about its rank by population (a big city for a big city): target
        ranks within `RANK_WINDOW` of its own rank in the source, where enough are left."""
        rank = city_rank(self.source, text)
        if rank is None:
            return names
        low, high = rank // RANK_WINDOW - 2, RANK_WINDOW * rank + 6
        near = [(n, s) for n, s in names if low <= (city_rank(self.target, n) or 10**6) <= high]
        return near if len(near) >= 5 else names

    def _similar_size(self, text: str, names: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """A state's candidates of about its size (`nerlib.localizer.states`): a large state for a
        large one; a territory (a federal district) becomes one of the target's territories."""
        size = size_of(self.source.key, text)
        if size is not None and size.kind == "territory" and territories(self.target.key):
            names = [(name, 0.0) for name in territories(self.target.key)]
        return similar_size(self.source.key, self.target.key, text, names)

    def _country(self, text: str, vector: np.ndarray | None, key: str, label: str) -> Shortlist:
        """The source country becomes the target; another country its analogue among all countries."""
        if country_key(text) == self.source.key:
            return Shortlist([(self.target.name, 1.0)], f"{self.target.name} (the target itself)", key)
        matrix = self.matrices.get(self.target.key, "country")
        if matrix is None or vector is None:
            return Shortlist([], "", key, reason=f"{text!r} is not in the vectors")
        source, target = self.anchor_vectors[label]
        ranked = rank_pool(matrix, vector, source, target, text, entity_weight=self.ranking[0], hub_weight=0.0)
        skip = {self.source.key, self.target.key}
        names = [(str(n), round(float(s), 4)) for n, s in zip(ranked.names, ranked.score)
                 if country_key(str(n)) not in skip]
        return Shortlist(names, matrix.pool.label, key)

    def candidates(self, text: str, parts: list[Part], label: str, topn: int) -> pd.DataFrame:
        """Return the best candidates of each part of an entity with their score columns.

        Parameters
        ----------
        text : str
            The entity.
        parts : list of Part
            Its parts (`nerlib.localizer.subtypes.Recognition.parts`).
        label : str
            Its entity type.
        topn : int
            Rows per part.

        Returns
        -------
        pandas.DataFrame
            The `CANDIDATE_COLUMNS` (see `nerlib.localizer.tables.analogy_candidates`), parts in order.
        """
        frames = [self.table(text[part.start : part.end], part.subtype, label, topn) for part in parts]
        frames = [frame for frame in frames if len(frame)]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return frame.reindex(columns=CANDIDATE_COLUMNS)

    def table(self, piece: str, subtype: str, label: str, topn: int) -> pd.DataFrame:
        """Return the best candidates of one entity part with their score columns.

        Parameters
        ----------
        piece : str
            The part.
        subtype : str
            Its subtype.
        label : str
            Its entity type.
        topn : int
            How many rows.

        Returns
        -------
        pandas.DataFrame
            One row per candidate (columns as `nerlib.localizer.tables.analogy_candidates`, those that
            apply); empty for a part the vectors lack or kept for want of a pool.
        """
        vector, _, _ = self.vocab.name_vector(piece)
        pooled = self.use_pools and label in POOLED_TYPES and subtype != "country"
        matrix = self.matrices.get(self.target.key, subtype) if pooled else None
        if vector is None or (pooled and matrix is None):  # unknown, or kept for want of a pool
            return pd.DataFrame()
        if matrix is not None:
            ranked = self._ranked(matrix, vector, piece, label)
            n = min(topn, len(ranked))
            return pd.DataFrame({
                "rank": range(1, n + 1), "part": piece, "subtype": subtype, "candidate": ranked.names[:n],
                "score": ranked.score[:n], "analogy": ranked.analogy[:n], "entity_score": ranked.entity_score[:n],
                "hubness": ranked.hubness[:n], "predicted_type": subtype, "country": self.target.name,
                "passes": True, "reason": "", "pool": matrix.pool.label,
            })
        if subtype == "country":
            shortlist = self._country(piece, vector, "", label)
            rows = shortlist.names[:topn]
            return pd.DataFrame({"rank": range(1, len(rows) + 1), "part": piece, "subtype": subtype,
                                 "candidate": [n for n, _ in rows], "score": [s for _, s in rows],
                                 "predicted_type": subtype, "passes": True, "reason": "", "pool": shortlist.pool_label})
        if label not in self.anchor_vectors:
            return pd.DataFrame()
        columns = self.fallback.columns(piece, vector, label)
        if columns is None:
            return pd.DataFrame()
        frame = pd.DataFrame({name: values[:topn] for name, values in columns.items()})
        frame["candidate"] = frame["candidate"].str.replace("_", " ")
        frame.insert(0, "rank", range(1, len(frame) + 1))
        frame["part"], frame["subtype"], frame["pool"] = piece, subtype, "vectors"
        return frame
