"""The `Localizer`: recognise each entity's subtype, rank the target country's pool, rewrite the text.

>>> localizer = Localizer(load_vectors())                                    # doctest: +SKIP
>>> text = "Olivia Parker moved to Texas. Ms. Parker works for Goldman Sachs."
>>> result = localizer.localize(text, [(0, 13, "PER"), (23, 28, "LOC"), (34, 44, "PER"), (55, 68, "ORG")])  # doctest: +SKIP
>>> result.text                                                              # doctest: +SKIP
'Priya Sharma moved to Gujarat. Ms. Sharma works for HDFC Bank.'
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nerlib.localizer.checks import COUNTRY_WORDS, CountryCheck, TypeModel, conllpp_type_examples
from nerlib.localizer.countries import CURATED, SUPPORTED, default_anchors, resolve_country
from nerlib.localizer.pools import Pool, PoolFileError, pool_for, user_pools
from nerlib.localizer.ranking import (
    ENTITY_WEIGHT,
    HUB_WEIGHT,
    MAX_POOL,
    PoolMatrix,
    assign,
    pool_matrix,
    rank_pool,
    rank_vocabulary,
    set_hubness,
)
from nerlib.localizer.records import Localization, Replacement
from nerlib.localizer.rewrite import apply_casing, casing_style, entity_triples, word_casing
from nerlib.localizer.subtypes import Part, Recogniser, Recognition
from nerlib.localizer.taxonomy import pool_subtypes
from nerlib.localizer.vocab import Vocab, fold, vocabulary

__all__ = ["Localizer", "LOCALIZED_TYPES", "DEFAULT_SOURCE", "DEFAULT_TARGET"]

DEFAULT_SOURCE = "USA"
DEFAULT_TARGET = "India"
LOCALIZED_TYPES = ("PER", "LOC", "ORG")
#: Weights (type, entity, country) of the vectors-only fallback's ranking (bench/localizer.py, v1).
FALLBACK_WEIGHTS = (0.3, 0.3, 0.0)
#: Variety: the choice is made among the best `VARIETY` names within `MARGIN` of the best, by a
#: hash of (seed, entity), so one popular name does not take every entity (bench/localizer.py).
VARIETY = 5
MARGIN = 0.25
#: The fallback takes an unused word for a different entity only within this of the best (v1).
ALTERNATIVE_MARGIN = 0.15
#: Source pools are matched whole (up to this many names): Faker's en_US has 1000 surnames.
SOURCE_POOL_SIZE = 1000
#: Target cities: the most populous ones the vectors know (a reader knows Pune, not Kulti).
TARGET_CITIES = 100


@dataclass
class _Choice:
    """The name chosen for one entity part: shown name (None: kept), score, reason, pool label, key, neighbours."""

    name: str | None
    score: float | None
    reason: str
    pool: str = ""
    key: str = ""
    neighbours: list[tuple[str, float]] = field(default_factory=list)
    vector_word: bool = False  # a vector key (fallback), not a gazetteer name: casing rules differ
    subtype: str = ""


@dataclass
class _Ranking:
    names: list[tuple[str, float]]
    pool: str
    key: str
    note: str = ""
    reason: str = ""  # why there are no names
    vector_word: bool = False
    assigned: bool = False  # names[0] is the source name's match in the pool assignment


def _stable_hash(*parts: Any) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


def _norm(text: str) -> str:
    return " ".join(fold(text).lower().split())


class Localizer:
    """Rewrite entities of `types` from the `source` country's context to the `target`'s.

    `vectors` is a gensim KeyedVectors (`nerlib.localizer.vectors.load_vectors`). `source`/`target` are
    supported countries (`nerlib.localizer.supported_countries()`; aliases such as "United States"
    work); anything else raises `UnsupportedCountryError` (a ValueError). Each entity's subtype is
    recognised (`nerlib.localizer.subtypes`), and its replacement is the best-ranked name of the
    target's pool of that subtype (`nerlib.localizer.pools`; `pool_dir` or
    ``$NERLIB_LOCALIZER_POOLS`` adds user pool files: a malformed one is skipped and named, with
    file and line, in `pool_errors` and each result's ``warnings``, or raises `PoolFileError` with
    ``strict_pools=True``). Where no pool covers the subtype (MISC, an
    unrecognised organisation in a country without curated tables), the vectors-only fallback picks
    a frequent word passing the type and country checks.

    Options: `anchors` {type: (source word, target word)} for the analogy (default
    `default_anchors`); `ranking` = (entity weight, hub weight) of the pool ranking; `seed` changes
    which of the near-best names an entity gets (reproducible for a given seed); `pools=False`
    turns pools off (only the fallback, as in v1). Fallback options: `prototypes` (``"conllpp"``:
    CoNLL++ training entities, loaded on first use; a mapping of examples; None: no type check),
    `vocab_limit`, `candidates`, `weights` (type, entity, country). `topn` neighbours are kept per
    record.
    """

    def __init__(
        self,
        vectors: Any,
        source: str = DEFAULT_SOURCE,
        target: str = DEFAULT_TARGET,
        *,
        anchors: Mapping[str, tuple[str, str]] | None = None,
        types: Sequence[str] = LOCALIZED_TYPES,
        prototypes: str | Mapping[str, Iterable[str]] | None = "conllpp",
        vocab_limit: int = 100_000,
        topn: int = 10,
        candidates: int = 300,
        weights: tuple[float, float, float] = FALLBACK_WEIGHTS,
        ranking: tuple[float, float] = (ENTITY_WEIGHT, HUB_WEIGHT),
        seed: int = 0,
        pool_dir: str | os.PathLike | None = None,
        pools: bool = True,
        strict_pools: bool = False,
    ):
        if vocab_limit < 1 or topn < 1 or candidates < 1:
            raise ValueError("vocab_limit, topn and candidates must be positive")
        self.source_country = resolve_country(source)
        self.target_country = resolve_country(target)
        self.source, self.target = self.source_country.name, self.target_country.name
        self.vectors = vectors
        self.types = tuple(types)
        self.topn, self.pool = topn, candidates
        self.weights = tuple(float(w) for w in weights)
        if len(self.weights) != 3:
            raise ValueError("weights must be (type, entity, country)")
        self.ranking = tuple(float(w) for w in ranking)
        if len(self.ranking) != 2:
            raise ValueError("ranking must be (entity weight, hub weight)")
        self.seed = int(seed)
        self.use_pools = bool(pools)
        self.vocab_limit = vocab_limit
        self.vocab: Vocab = vocabulary(vectors, vocab_limit)
        self.anchors = self._check_anchors(anchors)
        self._anchor_vectors = {
            label: (self._anchor_vector(s), self._anchor_vector(t)) for label, (s, t) in self.anchors.items()
        }
        #: User pool files that could not be read (file and line in each message): skipped unless
        #: `strict_pools`, and repeated in every `Localization.warnings`.
        self.pool_errors: list[PoolFileError] = []
        self.users: dict[tuple[str, str], Pool] = (
            user_pools(pool_dir, None if strict_pools else self.pool_errors) if pools else {})
        self.recogniser = Recogniser(self.vocab, self.source_country, self.users) if pools else None
        self.country_check = CountryCheck(self.vocab)
        anchor_words = {w.lower() for pair in self.anchors.values() for part in pair for w in part.split("+")}
        aliases = {a for c in SUPPORTED.values() for a in c.aliases}
        self._country_words = set(COUNTRY_WORDS) | aliases | anchor_words
        self._target_word = {label: self.country_check.nearest(pair[1][None, :])[0]
                             for label, pair in self._anchor_vectors.items()}
        self._prototypes = prototypes
        if isinstance(prototypes, str) and prototypes != "conllpp":
            raise ValueError(f"prototypes must be 'conllpp', a mapping of examples or None, got {prototypes!r}")
        self._type_model: TypeModel | None = None
        self._matrices: dict[tuple[str, str], PoolMatrix | None] = {}
        self._ranked: dict[tuple[str, str, str, bool], _Ranking] = {}
        self._recognised: dict[tuple[str, str], Recognition] = {}
        self._assignments: dict[tuple[str, str, str], dict[str, int]] = {}

    # set-up -------------------------------------------------------------------------------------
    def _check_anchors(self, anchors: Mapping[str, tuple[str, str]] | None) -> dict[str, tuple[str, str]]:
        anchors = dict(anchors or {})
        unknown = set(anchors) - set(self.types) - {"PER", "LOC", "ORG", "MISC"}
        if unknown:
            raise ValueError(f"anchors for unknown entity types {sorted(unknown)}")
        for label, pair in anchors.items():
            if isinstance(pair, str) or len(pair) != 2 or not all(isinstance(w, str) and w.strip() for w in pair):
                raise ValueError(f"anchors[{label!r}] must be a (source word, target word) pair, got {pair!r}")
        defaults = default_anchors(self.source_country.name, self.target_country.name, self.types)
        if any(self.vocab.name_vector(word)[0] is None for pair in defaults.values() for word in pair):
            # Vectors without the measured words (made-up or other vectors): each country's own word.
            defaults = default_anchors(self.source_country.name, self.target_country.name, self.types, measured=False)
        return {label: tuple(anchors.get(label, defaults[label])) for label in self.types}

    def _anchor_vector(self, words: str) -> np.ndarray:
        """Unit vector of an anchor: one word, a phrase, or several words joined by '+'."""
        vectors, missing = [], []
        for part in words.split("+"):
            vector, _, absent = self.vocab.name_vector(part)
            missing += absent
            if vector is None:
                missing.append(part)
            else:
                vectors.append(vector)
        if missing or not vectors:
            raise KeyError(f"anchor {words!r}: {', '.join(dict.fromkeys(missing))} not in the vectors; "
                           "choose anchors the vectors know")
        vector = np.mean(vectors, axis=0)
        return vector / np.linalg.norm(vector)

    @property
    def type_model(self) -> TypeModel | None:
        """The fallback's type check, fitted on first use (CoNLL++ prototypes are read only then)."""
        if self._type_model is None and self._prototypes is not None:
            if isinstance(self._prototypes, str):
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
                self._type_model = TypeModel.fit(self.vocab, self._prototypes)
        return self._type_model

    def _matrix(self, country: str, subtype: str) -> PoolMatrix | None:
        """The vectorised pool of a country and subtype (its parent's where it has none), or None."""
        key = (country, subtype)
        if key not in self._matrices:
            self._matrices[key] = None
            pools = (pool_for(country, chosen, self.users) for chosen in pool_subtypes(subtype))
            pool = next((p for p in pools if p is not None), None)
            if pool is not None:
                if country == self.source_country.key:  # every source name the vectors know can be matched
                    matrix = pool_matrix(self.vocab, pool, None, max_size=SOURCE_POOL_SIZE)
                else:
                    size = TARGET_CITIES if pool.subtype == "city" else MAX_POOL
                    matrix = pool_matrix(self.vocab, pool, pool_for(self.source_country.key, pool.subtype, self.users),
                                         max_size=size)
                if len(matrix):
                    self._matrices[key] = matrix
        return self._matrices[key]

    def _assignment(self, matrix: PoolMatrix, label: str) -> dict[str, int]:
        """The source pool's names matched to `matrix`'s rows (see `ranking.assign`), built once per pool."""
        key = (matrix.pool.country, matrix.pool.subtype, label)
        if key not in self._assignments:
            source = self._matrix(self.source_country.key, matrix.pool.subtype)
            shift = self._anchor_vectors[label][1] - self._anchor_vectors[label][0]
            weights = dict(zip(("entity_weight", "hub_weight"), self.ranking))
            self._assignments[key] = assign(self.vocab, source, matrix, shift, seed=self.seed, **weights) if source else {}
        return self._assignments[key]

    def _hubness(self, matrix: PoolMatrix, label: str) -> None:
        if matrix.hubness is None:
            source = self._matrix(self.source_country.key, matrix.pool.subtype)
            shift = self._anchor_vectors[label][1] - self._anchor_vectors[label][0]
            set_hubness(matrix, source, shift)

    # recognition and ranking --------------------------------------------------------------------
    def recognise(self, text: str, label: str) -> Recognition:
        """Return what kind of entity `text` of type `label` is (subtype, the parts to replace, how)."""
        key = (text, label)
        if key not in self._recognised:
            if self.recogniser is None or label not in ("PER", "LOC", "ORG"):
                stripped = text.strip()
                lead = len(text) - len(text.lstrip())
                self._recognised[key] = Recognition(label.lower(), [Part(lead, lead + len(stripped), label.lower())],
                                                    "pools off" if self.recogniser is None else "type not subdivided")
            else:
                self._recognised[key] = self.recogniser.recognise(text, label)
            if len(self._recognised) > 10_000:
                self._recognised = {key: self._recognised[key]}  # bound the memo
        return self._recognised[key]

    def _rank(self, text: str, subtype: str, label: str, certain: bool = True) -> _Ranking:
        """Ranked names for one entity part (memoised per text, subtype and type).

        A part the vectors lack gets names of its pool in a seeded order where its subtype is
        `certain` (a gazetteer named it, or it is part of a full name), and none otherwise.
        """
        memo = (_norm(text), subtype, label, certain)
        if memo in self._ranked:
            return self._ranked[memo]
        vector, key, missing = self.vocab.name_vector(text)
        note = f" (not in the vectors, left out: {', '.join(missing)})" if missing and vector is not None else ""
        if subtype == "country":
            result = self._rank_country(text, vector, key, label)
        elif not self.use_pools or label not in ("PER", "LOC", "ORG"):
            result = self._rank_fallback(text, vector, key, missing, label, note)
        elif (matrix := self._matrix(self.target_country.key, subtype)) is None:
            result = _Ranking([], "", key, reason=(
                f"kept: no {subtype} pool for {self.target} (curated organisation and place tables: "
                f"{', '.join(SUPPORTED[c].name for c in CURATED)}); add a pool file "
                f"{self.target_country.key}.{subtype}.txt (see nerlib.localizer.pools)"))
        elif vector is None and not certain:
            looked = ", ".join(self.vocab.forms(missing[0])) if missing else text
            result = _Ranking([], "", key, reason=f"kept: {text!r} is not in the vectors (looked up {looked}) "
                                                   "and no gazetteer names it")
        else:
            result = self._rank_in_pool(matrix, text, vector, key, missing, label, note)
        if len(self._ranked) > 10_000:
            self._ranked.clear()  # bound the memo; entries are cheap to recompute
        self._ranked[memo] = result
        return result

    def _rank_in_pool(self, matrix: PoolMatrix, text: str, vector: np.ndarray | None, key: str,
                      missing: list[str], label: str, note: str) -> _Ranking:
        """A pool ranked for one entity; a known source name's assignment match first."""
        if vector is None:  # a part of a full name, or a name a gazetteer knows, that the vectors lack
            looked = ", ".join(self.vocab.forms(missing[0])) if missing else text
            return _Ranking(self._unranked(matrix, text), matrix.pool.label, "",
                            reason=f"{text!r} is not in the vectors (looked up {looked}): picked from the pool "
                                   "without similarity ranking")
        self._hubness(matrix, label)
        source, target = self._anchor_vectors[label]
        weights = dict(zip(("entity_weight", "hub_weight"), self.ranking))
        ranked = rank_pool(matrix, vector, source, target, text, **weights)
        names = [(str(n), round(float(s), 4)) for n, s in zip(ranked.names, ranked.score)]
        match = self._assignment(matrix, label).get(_norm(text))
        assigned = match is not None and matrix.names[match] in {n for n, _ in names}
        if assigned:
            first = [(n, s) for n, s in names if n == matrix.names[match]]
            names = first + [(n, s) for n, s in names if n != matrix.names[match]]
        return _Ranking(names, matrix.pool.label, key, note, assigned=assigned,
                        reason="" if names else f"no name of {matrix.pool.label} differs from the entity")

    def _unranked(self, matrix: PoolMatrix, text: str) -> list[tuple[str, float]]:
        """A pool's names in an order drawn from (seed, text): the choice for an entity the vectors lack."""
        order = sorted(range(len(matrix)), key=lambda i: _stable_hash(self.seed, _norm(text), i))
        return [(matrix.names[i], 0.0) for i in order[:50]]

    def _rank_country(self, text: str, vector: np.ndarray | None, key: str, label: str) -> _Ranking:
        """The source country becomes the target; another country its analogue among all countries."""
        if resolve_alias(text) == self.source_country.key:
            return _Ranking([(self.target_country.name, 1.0)], f"{self.target_country.name} (the target itself)", key)
        matrix = self._matrix(self.target_country.key, "country")
        if matrix is None or vector is None:
            return _Ranking([], "", key, reason=f"{text!r} is not in the vectors")
        source, target = self._anchor_vectors[label]
        ranked = rank_pool(matrix, vector, source, target, text, entity_weight=self.ranking[0], hub_weight=0.0)
        skip = {self.source_country.key, self.target_country.key}
        names = [(str(n), round(float(s), 4)) for n, s in zip(ranked.names, ranked.score)
                 if resolve_alias(str(n)) not in skip]
        return _Ranking(names, matrix.pool.label, key)

    def _rank_fallback(self, text: str, vector: np.ndarray | None, key: str, missing: list[str], label: str,
                       note: str) -> _Ranking:
        if vector is None:
            looked = ", ".join(self.vocab.forms(missing[0])) if missing else text
            return _Ranking([], "", key, reason=f"kept: {text!r} is not in the vectors (looked up {looked}) "
                                                "and no gazetteer names it")
        if label not in self._anchor_vectors:
            return _Ranking([], "", key, reason=f"kept: type {label} is not localized (types={list(self.types)})")
        try:
            columns = self._fallback_columns(text, vector, label)
        except FileNotFoundError as error:  # the type check's CoNLL++ examples are missing: keep only this entity
            return _Ranking([], "vectors", key, reason=f"kept: no pool covers it and the vectors-only fallback "
                                                       f"cannot run: {error}")
        if columns is None:
            return _Ranking([], "vectors", key, reason="kept: no alphabetic frequent word near the analogy" + note)
        passes = columns["passes"]
        names = [(str(w), round(float(v), 4)) for w, v in zip(columns["candidate"][passes], columns["score"][passes])]
        reason = "" if names else (f"kept: none of the top {len(passes)} candidates passed the type and country checks "
                                   f"(best: {columns['candidate'][0]}, {columns['reason'][0]})" + note)
        return _Ranking(names, "vectors (frequent words passing the type and country checks)", key, note, reason,
                        vector_word=True)

    def _fallback_columns(self, text: str, vector: np.ndarray, label: str) -> dict[str, np.ndarray] | None:
        source, target = self._anchor_vectors[label]
        return rank_vocabulary(self.vocab, vector, source, target, text, label, pool=self.pool,
                               type_model=self.type_model, country_check=self.country_check,
                               target_country=self._target_word[label], country_words=self._country_words,
                               weights=self.weights)

    def _choose(self, ranking: _Ranking, identity: str, used: set[str]) -> _Choice:
        """Pick a name for one entity: among the best few within `MARGIN` not yet used in this text, by seed."""
        base = dict(pool=ranking.pool, key=ranking.key, neighbours=ranking.names[: self.topn],
                    vector_word=ranking.vector_word)
        if not ranking.names:
            reason = ranking.reason if ranking.reason.startswith("kept") else f"kept: {ranking.reason}"
            return _Choice(None, None, reason, **base)
        fresh = [(n, s) for n, s in ranking.names if n.lower() not in used]
        if ranking.vector_word:
            # Vocabulary words get worse quickly down the list: the best unused one if it is close.
            fresh = [c for c in fresh[:1] if c[1] >= ranking.names[0][1] - ALTERNATIVE_MARGIN]
        repeated = not fresh
        fresh = fresh or ranking.names
        best = fresh[0][1]
        matched = ranking.assigned and fresh[0][0] == ranking.names[0][0]
        if matched or ranking.vector_word:
            near = fresh[:1]
        else:  # no match of its own: a seeded choice among the best few
            near = [(n, s) for n, s in fresh[:VARIETY] if s >= best - MARGIN]
        name, score = near[_stable_hash(self.seed, identity) % len(near)]
        used.add(name.lower())
        rank = [n for n, _ in ranking.names].index(name) + 1
        how = (f"matched to it in {ranking.pool} (pool assignment)" if matched
               else f"rank {rank} of {len(ranking.names)} in {ranking.pool}")
        if repeated and ranking.names[0][0].lower() in used:
            how += " (no unused name close enough: another entity of this text has it too)"
        reason = "replaced: " + how + (f"; {ranking.reason}" if ranking.reason else "") + ranking.note
        return _Choice(name, float(score) if ranking.reason == "" else None, reason, **base)

    # public -------------------------------------------------------------------------------------
    def localize(self, text: str, entities: Iterable[Any]) -> Localization:
        """Rewrite `text`, replacing each entity of this localizer's types by its target-country analogue.

        `entities` are objects with ``.label/.start/.end`` (character offsets, end exclusive; e.g.
        ``nerlib.tagging.tagger.Entity``) or ``(start, end, label)`` tuples. Everything outside the entities
        (and a person's title such as "Ms.") is kept exactly. The same entity (any casing) gets
        the same replacement, and a surname seen in a full name keeps its replacement when it comes
        back alone; different entities get different names where the pool has them. Returns a
        `Localization` with one record per entity occurrence (other types are kept and recorded).
        Raises TypeError/ValueError for entities that are not spans of `text`.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        triples = entity_triples(entities, text)
        chosen: dict[tuple[str, str], _Choice] = {}
        # One set for the whole text: a word that replaced one entity never replaces another, even of
        # another subtype ("Osaka" is both a Japanese city and a prefecture).
        used: set[str] = set()
        pieces, records, cursor, offset = [], [], 0, 0
        for start, end, label in triples:
            record = self._replace_entity(text[start:end], label, chosen, used)
            record.start, record.end = start, end
            pieces.append(text[cursor:start])
            offset += start - cursor
            record.new_start, record.new_end = offset, offset + len(record.replacement)
            pieces.append(record.replacement)
            offset, cursor = record.new_end, end
            records.append(record)
        pieces.append(text[cursor:])
        warnings = [f"pool file skipped: {error}" for error in self.pool_errors]
        return Localization("".join(pieces), text, self.source, self.target, records, warnings)

    def _replace_entity(self, original: str, label: str, chosen: dict, used: set[str]) -> Replacement:
        record = Replacement(label=label, start=0, end=len(original), original=original, replacement=original)
        if label not in self.types:
            record.reason = f"kept: type {label} is not localized (types={list(self.types)})"
            return record
        recognition = self.recognise(original, label)
        record.subtype, record.gender = recognition.subtype, recognition.gender
        if not recognition.parts:
            record.reason = f"kept: {recognition.how}"
            return record
        pieces, cursor, choices = [], 0, []
        for part in recognition.parts:
            piece = original[part.start : part.end]
            # People share one memory across parts: "Parker" after "Olivia Parker" is the same person.
            identity = ("PER" if label == "PER" else label, _norm(piece))
            if identity in chosen:
                if label == "PER" and len(recognition.parts) == 1:
                    record.subtype = chosen[identity].subtype  # "Parker" after "Olivia Parker": her surname
            else:
                ranking = self._rank(piece, part.subtype, label, part.certain)
                chosen[identity] = self._choose(ranking, f"{label}|{_norm(piece)}", used)
                chosen[identity].subtype = part.subtype
            choice = chosen[identity]
            choices.append((part, choice))
            pieces.append(original[cursor : part.start])
            if choice.name is None:
                pieces.append(piece)
            elif choice.vector_word:
                pieces.append(word_casing(choice.name, casing_style(piece), self.vocab.lowercase))
            else:
                pieces.append(apply_casing(choice.name, casing_style(original if len(recognition.parts) > 1 else piece)))
            cursor = part.end
        pieces.append(original[cursor:])
        record.replacement = "".join(pieces)
        record.changed = record.replacement != original
        done = [c for _, c in choices if c.name is not None]
        record.key = "+".join(c.key for _, c in choices if c.key)
        record.pool = " + ".join(dict.fromkeys(c.pool for _, c in choices if c.pool))
        record.neighbours = choices[-1][1].neighbours if len(choices) == 1 else [
            (c.name, c.score or 0.0) for _, c in choices if c.name]
        scores = [c.score for c in done if c.score is not None]
        record.score = float(np.mean(scores)) if scores and record.changed else None
        reasons = [c.reason for _, c in choices]
        prefix = f"{recognition.subtype} ({recognition.how}); "
        record.reason = prefix + " | ".join(reasons) if len(reasons) > 1 else prefix + reasons[0]
        if not record.changed and not record.reason.split("; ", 1)[-1].startswith("kept"):
            record.reason = prefix + "kept: " + reasons[0]
        return record

    def analogue(self, text: str, label: str) -> Replacement:
        """Return the replacement record of one entity string (offsets relative to `text` itself)."""
        return self.localize(text, [(0, len(text), label)]).replacements[0]

    def candidates(self, text: str, label: str, topn: int = 10) -> pd.DataFrame:
        """Return the best candidates of one entity with their scores (see `analogy_candidates`)."""
        names = ["rank", "part", "subtype", "candidate", "score", "analogy", "entity_score", "hubness", "type_score",
                 "country_score", "predicted_type", "country", "passes", "reason", "pool"]
        if label not in self.types or not text.strip():
            return pd.DataFrame(columns=names)
        frames = []
        for part in self.recognise(text, label).parts:
            piece = text[part.start : part.end]
            frames.append(self._part_candidates(piece, part.subtype, label, topn))
        frame = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else pd.DataFrame()
        return frame.reindex(columns=names)

    def _part_candidates(self, piece: str, subtype: str, label: str, topn: int) -> pd.DataFrame:
        vector, _, _ = self.vocab.name_vector(piece)
        pooled = self.use_pools and label in ("PER", "LOC", "ORG") and subtype != "country"
        matrix = self._matrix(self.target_country.key, subtype) if pooled else None
        if vector is None or (pooled and matrix is None):  # unknown, or kept for want of a pool
            return pd.DataFrame()
        if matrix is not None:
            self._hubness(matrix, label)
            source, target = self._anchor_vectors[label]
            ranked = rank_pool(matrix, vector, source, target, piece, **dict(zip(("entity_weight", "hub_weight"), self.ranking)))
            n = min(topn, len(ranked))
            return pd.DataFrame({
                "rank": range(1, n + 1), "part": piece, "subtype": subtype, "candidate": ranked.names[:n],
                "score": ranked.score[:n], "analogy": ranked.analogy[:n], "entity_score": ranked.entity_score[:n],
                "hubness": ranked.hubness[:n], "predicted_type": subtype, "country": self.target,
                "passes": True, "reason": "", "pool": matrix.pool.label,
            })
        if subtype == "country":
            ranking = self._rank_country(piece, vector, "", label)
            rows = ranking.names[:topn]
            return pd.DataFrame({"rank": range(1, len(rows) + 1), "part": piece, "subtype": subtype,
                                 "candidate": [n for n, _ in rows], "score": [s for _, s in rows],
                                 "predicted_type": subtype, "passes": True, "reason": "", "pool": ranking.pool})
        if label not in self._anchor_vectors:
            return pd.DataFrame()
        columns = self._fallback_columns(piece, vector, label)
        if columns is None:
            return pd.DataFrame()
        frame = pd.DataFrame({name: values[:topn] for name, values in columns.items()})
        frame["candidate"] = frame["candidate"].str.replace("_", " ")
        frame.insert(0, "rank", range(1, len(frame) + 1))
        frame["part"], frame["subtype"], frame["pool"] = piece, subtype, "vectors"
        return frame


def resolve_alias(name: str) -> str | None:
    """The supported country key a name stands for, or None (no error)."""
    try:
        return resolve_country(name).key
    except ValueError:
        return None
