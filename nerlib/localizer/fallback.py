"""The vectors-only fallback: where no pool covers an entity, a frequent word passing the type and country checks.

Used for a type without subtypes (MISC), an organisation subtype without a pool in the target
country, and every entity with ``pools=False``. Candidates are the vocabulary's frequent words
ranked by the analogy (`nerlib.localizer.ranking.rank_vocabulary`); each must pass the type check
and the country check (`nerlib.localizer.checks`).

Coverage: the CoNLL++ prototypes branch loads the training split; the tests use their own
prototypes or none (the examples themselves: tests/test_localizer_type_examples.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from nerlib.localizer.checks import COUNTRY_WORDS, CountryCheck, TypeModel, conllpp_type_examples
from nerlib.localizer.countries import SUPPORTED
from nerlib.localizer.ranking import rank_vocabulary
from nerlib.localizer.records import Shortlist
from nerlib.localizer.vocab import Vocab

__all__ = ["FALLBACK_WEIGHTS", "VectorsFallback"]

#: Weights (type, entity, country) of the fallback's ranking (bench/localizer.py).
FALLBACK_WEIGHTS = (0.3, 0.3, 0.0)
#: The pool label of the fallback's names.
FALLBACK_POOL = "vectors (frequent words passing the type and country checks)"


class VectorsFallback:
    """Rank the frequent vocabulary for one entity and keep the words that pass both checks.

    Parameters
    ----------
    vocab : Vocab
        The vectors' vocabulary (its `limit` most frequent words are the candidates).
    types : tuple of str
        The localized types.
    anchors : dict
        {type: (source word, target word)}: their words never count as candidates' country words.
    anchor_vectors : dict
        {type: (source unit vector, target unit vector)} of the analogy.
    prototypes : str, mapping or None
        The type check's examples: ``"conllpp"`` (CoNLL++ training entities, read on first use),
        {type: example strings}, or None (no type check).
    candidate_count : int
        How many frequent words near the analogy are checked.
    weights : tuple of float
        (type, entity, country) weights of the ranking.
    """

    def __init__(self, vocab: Vocab, types: tuple[str, ...], anchors: dict[str, tuple[str, str]],
                 anchor_vectors: dict[str, tuple[np.ndarray, np.ndarray]],
                 prototypes: str | Mapping[str, Iterable[str]] | None, candidate_count: int,
                 weights: tuple[float, ...]):
        self.vocab = vocab
        self.types = types
        self.anchor_vectors = anchor_vectors
        self.candidate_count = candidate_count
        self.weights = weights
        self.country_check = CountryCheck(vocab)
        anchor_words = {w.lower() for pair in anchors.values() for part in pair for w in part.split("+")}
        aliases = {a for c in SUPPORTED.values() for a in c.aliases}
        self.country_words = set(COUNTRY_WORDS) | aliases | anchor_words
        #: The country word nearest each type's target anchor: a candidate's nearest country must be it.
        self.target_word = {label: self.country_check.nearest(pair[1][None, :])[0]
                            for label, pair in anchor_vectors.items()}
        self.prototypes = prototypes
        self._type_model: TypeModel | None = None

    @property
    def type_model(self) -> TypeModel | None:
        """The type check, fitted on first use (CoNLL++ prototypes are read only then; None: no check).

        Raises
        ------
        FileNotFoundError
            Where the CoNLL++ training split for ``prototypes="conllpp"`` is missing.
        """
        if self._type_model is None and self.prototypes is not None:
            if isinstance(self.prototypes, str):
                if "conllpp" not in self.vocab.cache:
                    try:
                        examples = conllpp_type_examples()
                    except FileNotFoundError as error:  # nerlib.data.conllpp.DataNotFoundError
                        raise FileNotFoundError(
                            f"the localizer's type check comes from the CoNLL++ training split: {error} "
                            "(or pass prototypes=None to turn the type check off, or a mapping of examples)"
                        ) from error
                    self.vocab.cache["conllpp"] = TypeModel.fit(self.vocab, examples)
                self._type_model = self.vocab.cache["conllpp"]
            else:
                self._type_model = TypeModel.fit(self.vocab, self.prototypes)
        return self._type_model

    def columns(self, text: str, vector: np.ndarray, label: str) -> dict[str, np.ndarray] | None:
        """Return the checked candidates of one entity as columns (see `ranking.rank_vocabulary`).

        Parameters
        ----------
        text : str
            The entity (its own words are never candidates).
        vector : numpy.ndarray
            Its unit vector.
        label : str
            Its type, one with anchors.

        Returns
        -------
        dict or None
            Columns candidate, score, passes, reason, ... (passing candidates first), or None where no
            frequent word is near the analogy.

        Raises
        ------
        FileNotFoundError
            Where the type check's CoNLL++ examples are missing (see `type_model`).
        """
        source, target = self.anchor_vectors[label]
        return rank_vocabulary(self.vocab, vector, source, target, text, label, candidates=self.candidate_count,
                               type_model=self.type_model, country_check=self.country_check,
                               target_country=self.target_word[label], country_words=self.country_words,
                               weights=self.weights)

    def shortlist(self, text: str, vector: np.ndarray | None, key: str, missing: list[str], label: str,
                  note: str) -> Shortlist:
        """Return the fallback's shortlist of one entity: the passing words, or none and why.

        Parameters
        ----------
        text : str
            The entity.
        vector : numpy.ndarray or None
            Its unit vector (None: the vectors lack it, and it is kept).
        key : str
            Its vector key(s).
        missing : list of str
            Its words the vectors lack.
        label : str
            Its type.
        note : str
            A remark on the words left out, appended to the reason.

        Returns
        -------
        Shortlist
            Vector words (``vector_word=True``) best first; empty with the reason where the entity is kept.
        """
        if vector is None:
            looked = ", ".join(self.vocab.forms(missing[0])) if missing else text
            return Shortlist([], "", key, reason=f"kept: {text!r} is not in the vectors (looked up {looked}) "
                                                 "and no gazetteer names it")
        if label not in self.anchor_vectors:
            return Shortlist([], "", key, reason=f"kept: type {label} is not localized (types={list(self.types)})")
        try:
            columns = self.columns(text, vector, label)
        except FileNotFoundError as error:  # the type check's CoNLL++ examples are missing: keep only this entity
            return Shortlist([], "vectors", key, reason=f"kept: no pool covers it and the vectors-only fallback "
                                                        f"cannot run: {error}")
        if columns is None:
            return Shortlist([], "vectors", key, reason="kept: no alphabetic frequent word near the analogy" + note)
        passes = columns["passes"]
        names = [(str(w), round(float(v), 4)) for w, v in zip(columns["candidate"][passes], columns["score"][passes])]
        reason = "" if names else (f"kept: none of the top {len(passes)} candidates passed the type and country checks "
                                   f"(best: {columns['candidate'][0]}, {columns['reason'][0]})" + note)
        return Shortlist(names, FALLBACK_POOL, key, note, reason, vector_word=True)
