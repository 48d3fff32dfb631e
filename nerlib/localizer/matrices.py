"""The vectorised pools of one localizer, built on first use: pool matrices, their hubness and assignments.

A target pool keeps the names a reader takes for the target's (`nerlib.localizer.ranking.pool_matrix`)
and is damped by its hubness towards the source pool of the same subtype moved by the analogy; the
most common source names are matched to its names once (`nerlib.localizer.ranking.assign`).
"""

from __future__ import annotations

import numpy as np

from nerlib.localizer.countries import Country
from nerlib.localizer.pools import Pool, pool_for
from nerlib.localizer.ranking import MAX_POOL, PoolMatrix, assign, pool_matrix, set_hubness
from nerlib.localizer.taxonomy import pool_subtypes
from nerlib.localizer.vocab import Vocab

__all__ = ["PoolMatrices", "SOURCE_POOL_SIZE", "TARGET_CITIES"]

#: Source pools are matched whole (up to this many names): Faker's en_US has 1000 surnames.
SOURCE_POOL_SIZE = 1000
#: Target cities: the most populous ones the vectors know (a reader knows Pune, not Kulti).
TARGET_CITIES = 100


class PoolMatrices:
    """The pool matrices of one source country, each built once.

    Parameters
    ----------
    vocab : Vocab
        The vectors' vocabulary.
    source : Country
        The source country: its pools are matched whole, other countries' pools lose the names
        they share with it.
    users : dict
        User pools {(country key, subtype): Pool} (`nerlib.localizer.pools.user_pools`).
    anchor_vectors : dict
        {type: (source unit vector, target unit vector)} of the analogy.
    ranking : tuple of float
        (entity weight, hub weight) of the ranking, also used by the assignment.
    seed : int
        The seed of the assignment's noise.
    """

    def __init__(self, vocab: Vocab, source: Country, users: dict[tuple[str, str], Pool],
                 anchor_vectors: dict[str, tuple[np.ndarray, np.ndarray]], ranking: tuple[float, float], seed: int):
        self.vocab = vocab
        self.source = source
        self.users = users
        self.anchor_vectors = anchor_vectors
        self.weights = dict(zip(("entity_weight", "hub_weight"), ranking))
        self.seed = seed
        self._matrices: dict[tuple[str, str], PoolMatrix | None] = {}
        self._assignments: dict[tuple[str, str, str], dict[str, int]] = {}

    def get(self, country: str, subtype: str) -> PoolMatrix | None:
        """Return the vectorised pool of a country and subtype (its parent's where it has none).

        Parameters
        ----------
        country : str
            A supported country's key.
        subtype : str
            A subtype (`nerlib.localizer.taxonomy.SUBTYPES`).

        Returns
        -------
        PoolMatrix or None
            None where no pool covers the subtype or the vectors know none of its names.
        """
        key = (country, subtype)
        if key not in self._matrices:
            self._matrices[key] = None
            pools = (pool_for(country, chosen, self.users) for chosen in pool_subtypes(subtype))
            pool = next((p for p in pools if p is not None), None)
            if pool is not None:
                if country == self.source.key:  # every source name the vectors know can be matched
                    matrix = pool_matrix(self.vocab, pool, None, max_size=SOURCE_POOL_SIZE)
                else:
                    size = TARGET_CITIES if pool.subtype == "city" else MAX_POOL
                    matrix = pool_matrix(self.vocab, pool, pool_for(self.source.key, pool.subtype, self.users),
                                         max_size=size)
                if len(matrix):
                    self._matrices[key] = matrix
        return self._matrices[key]

    def _shift(self, label: str) -> np.ndarray:
        source, target = self.anchor_vectors[label]
        return target - source

    def assignment(self, matrix: PoolMatrix, label: str) -> dict[str, int]:
        """Return the source pool's names matched to `matrix`'s rows (see `ranking.assign`), built once per pool.

        Parameters
        ----------
        matrix : PoolMatrix
            A target pool.
        label : str
            The entity type, whose anchors give the analogy.

        Returns
        -------
        dict
            {normalised source name: row of `matrix`}; empty where the source has no such pool.
        """
        key = (matrix.pool.country, matrix.pool.subtype, label)
        if key not in self._assignments:
            source = self.get(self.source.key, matrix.pool.subtype)
            self._assignments[key] = (assign(self.vocab, source, matrix, self._shift(label), seed=self.seed,
                                             **self.weights) if source else {})
        return self._assignments[key]

    def ensure_hubness(self, matrix: PoolMatrix, label: str) -> None:
        """Compute `matrix`'s hubness towards the source pool of its subtype, where not done yet.

        Parameters
        ----------
        matrix : PoolMatrix
            A target pool.
        label : str
            The entity type, whose anchors move the source names.
        """
        if matrix.hubness is None:
            set_hubness(matrix, self.get(self.source.key, matrix.pool.subtype), self._shift(label))
