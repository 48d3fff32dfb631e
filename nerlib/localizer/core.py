"""The `Localizer`: recognise each entity's subtype, shortlist the target country's names, rewrite the text.

A facade over the package's layers: option checks (`options`), subtype recognition (`subtypes`),
the vectorised pools (`matrices`), shortlists (`shortlist`, with the vectors-only `fallback`), the
seeded choice (`choice`), names kept consistent within a text (`consistency`) and the text
rewriting itself (`rewrite`).

Why one module of this length: one concept, the order in which one entity's replacement is decided
(the user's override, a kept foreign place or person, a curated counterpart or demonym, then the
vectors, with the text's memory and agreement around it); each step's logic already lives in its
own module, and what stays here is the sequence that ties them, which reads best in one place.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from nerlib.localizer.agreement import Context, context_of, split_possessive, takes_article
from nerlib.localizer.checks import CountryCheck, TypeModel
from nerlib.localizer.choice import Balance, choose
from nerlib.localizer.consistency import TextMemory, replace_entity
from nerlib.localizer.counterparts import Counterparts, Demonyms
from nerlib.localizer.countries import SUPPORTED, country_key, resolve_country
from nerlib.localizer.fallback import FALLBACK_WEIGHTS, VectorsFallback
from nerlib.localizer.geography import Geography
from nerlib.localizer.matrices import PoolMatrices
from nerlib.localizer.options import anchor_vector, check_counts, check_prototypes, checked_anchors, float_tuple
from nerlib.localizer.overrides import KEPT_BY_USER, Override, checked_overrides, forced_choices, relabelled
from nerlib.localizer.people import foreign_marks
from nerlib.localizer.places import country_name, outside_source, resolve_source
from nerlib.localizer.pools import Pool, PoolFileError, user_pools
from nerlib.localizer.ranking import ENTITY_WEIGHT, HUB_WEIGHT
from nerlib.localizer.records import Choice, Localization, Replacement
from nerlib.localizer.rewrite import entity_triples, splice
from nerlib.localizer.shortlist import CANDIDATE_COLUMNS, POOLED_TYPES, Shortlister
from nerlib.localizer.subtypes import Part, Recogniser, Recognition
from nerlib.localizer.vocab import Vocab, name_key, vocabulary

__all__ = ["Localizer", "LOCALIZED_TYPES", "DEFAULT_SOURCE", "DEFAULT_TARGET"]

DEFAULT_SOURCE = "USA"
DEFAULT_TARGET = "India"
LOCALIZED_TYPES = ("PER", "LOC", "ORG")
#: Recognitions kept in memory before the memo starts over.
MEMO_SIZE = 10_000


# A facade over its layers (the module docstring lists them): about 91 lines of code; the rest of
# the class is its numpydoc docstrings.
class Localizer:
    """Rewrite entities of `types` from the `source` country's context to the `target`'s.

    Each entity's subtype is recognised (`nerlib.localizer.subtypes`), and its replacement is one
    of the best-ranked names of the target's pool of that subtype (`nerlib.localizer.pools`). Where
    no pool covers the subtype (MISC, an unrecognised organisation in a country without curated
    tables), the vectors-only fallback picks a frequent word passing the type and country checks.

    Parameters
    ----------
    vectors : gensim KeyedVectors
        Word vectors (`nerlib.localizer.vectors.load_vectors`).
    source, target : str
        Supported countries (`nerlib.localizer.supported_countries`; aliases such as "United
        States" work); the source may also be a region (``"West"``: `nerlib.localizer.places.REGIONS`).
        Places outside the source are kept.
    anchors : mapping, optional
        {type: (source word, target word)} for the analogy (default: `default_anchors`).
    types : sequence of str, optional
        The entity types localized; others are kept. Default: PER, LOC, ORG and (with pools) MISC,
        which only the curated tables place (demonyms, events, languages; others kept).
    prototypes : ``"conllpp"``, mapping or None
        The fallback's type check: CoNLL++ training entities (read on first use), {type: examples},
        or None (no type check).
    vocab_limit : int
        The fallback's candidates are among this many most frequent words.
    topn : int
        Best-ranked names kept per record (``neighbours``).
    candidates : int
        Frequent words the fallback checks per entity.
    weights : (float, float, float)
        (type, entity, country) weights of the fallback's ranking.
    ranking : (float, float)
        (entity weight, hub weight) of the pool ranking.
    seed : int
        Which of the near-best names an entity gets (the same seed, the same text).
    pool_dir : path, optional
        A folder of user pool files (default ``$NERLIB_LOCALIZER_POOLS``). A malformed one is skipped
        and named, with file and line, in `pool_errors` and each result's ``warnings``.
    pools : bool
        False: no pools, the vectors-only fallback for every entity.
    strict_pools : bool
        True: a malformed user pool file raises `PoolFileError` instead.
    countries : bool
        True: countries other than the source are replaced too (by default they stay; the source
        country itself becomes the target where the source is one country).

    Raises
    ------
    UnsupportedCountryError
        (a ValueError) For a source or target that is not supported.
    ValueError
        For a count below 1, weights of the wrong length, unknown `prototypes` or malformed `anchors`.
    KeyError
        For anchors the vectors lack.
    PoolFileError
        With `strict_pools`, for a malformed user pool file.
    """

    def __init__(
        self,
        vectors: Any,
        source: str = DEFAULT_SOURCE,
        target: str = DEFAULT_TARGET,
        *,
        anchors: Mapping[str, tuple[str, str]] | None = None,
        types: Sequence[str] | None = None,
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
        countries: bool = False,
    ):
        check_counts(vocab_limit=vocab_limit, topn=topn, candidates=candidates)
        self.source_spec = resolve_source(source)
        self.source_country = self.source_spec.country
        self.target_country = resolve_country(target)
        self.source, self.target = self.source_spec.name, self.target_country.name
        #: Whether countries other than the source itself are replaced (default: kept).
        self.replace_countries = bool(countries)
        self.vectors = vectors
        self.types = tuple((*LOCALIZED_TYPES, "MISC") if pools else LOCALIZED_TYPES) if types is None else tuple(types)
        self.topn = topn
        #: How many frequent words the vectors-only fallback checks per entity.
        self.candidate_count = candidates
        self.weights = float_tuple(weights, 3, "weights must be (type, entity, country)")
        self.ranking = float_tuple(ranking, 2, "ranking must be (entity weight, hub weight)")
        self.seed = int(seed)
        self.use_pools = bool(pools)
        self.vocab_limit = vocab_limit
        self.vocab: Vocab = vocabulary(vectors, vocab_limit)
        self.anchors = checked_anchors(anchors, self.types, self.source_country, self.target_country, self.vocab)
        anchor_vectors = {label: (anchor_vector(self.vocab, s), anchor_vector(self.vocab, t))
                          for label, (s, t) in self.anchors.items()}
        #: User pool files that could not be read (file and line in each message): skipped unless
        #: `strict_pools`, and repeated in every `Localization.warnings`.
        self.pool_errors: list[PoolFileError] = []
        self.users: dict[tuple[str, str], Pool] = (
            user_pools(pool_dir, None if strict_pools else self.pool_errors) if pools else {})
        self.recogniser = Recogniser(self.vocab, self.source_country, self.users) if pools else None
        check_prototypes(prototypes)
        self.fallback = VectorsFallback(self.vocab, self.types, self.anchors, anchor_vectors, prototypes,
                                        candidates, self.weights)
        self.matrices = PoolMatrices(self.vocab, self.source_country, self.users, anchor_vectors, self.ranking,
                                     self.seed)
        self.shortlister = Shortlister(self.vocab, self.source_country, self.target_country, self.matrices, self.fallback,
                                       anchor_vectors, self.ranking, self.seed, self.use_pools)
        self._recognised: dict[tuple[str, str], Recognition] = {}
        #: Curated counterparts by role, and demonyms (`nerlib.localizer.counterparts`).
        self.counterparts, self.demonyms = Counterparts(), Demonyms()
        #: "City, State" pairs: the city is chosen inside the state's replacement.
        self.geography = Geography(self)
        #: The choices made over all calls: names spread over a pool, a source name keeps its name.
        self.balance = Balance()

    @property
    def country_check(self) -> CountryCheck:
        """The fallback's country check (nearest country word of a candidate)."""
        return self.fallback.country_check

    @property
    def type_model(self) -> TypeModel | None:
        """The fallback's type check, fitted on first use (CoNLL++ prototypes are read only then)."""
        return self.fallback.type_model

    def clear_memos(self) -> None:
        """Forget the remembered recognitions, shortlists and choices (the pool matrices stay)."""
        self._recognised.clear()
        self.shortlister.clear()
        self.balance = Balance()

    def recognise(self, text: str, label: str) -> Recognition:
        """Return what kind of entity `text` of type `label` is (subtype, the parts to replace, how).

        Parameters
        ----------
        text : str
            The entity.
        label : str
            Its type; types without subtypes (and every type with ``pools=False``) are one part.

        Returns
        -------
        Recognition
        """
        key = (text, label)
        if key not in self._recognised:
            if self.recogniser is None or label not in POOLED_TYPES:
                stripped = text.strip()
                lead = len(text) - len(text.lstrip())
                self._recognised[key] = Recognition(label.lower(), [Part(lead, lead + len(stripped), label.lower())],
                                                    "pools off" if self.recogniser is None else "type not subdivided")
            else:
                self._recognised[key] = self.recogniser.recognise(text, label)
            if len(self._recognised) > MEMO_SIZE:
                self._recognised = {key: self._recognised[key]}  # bound the memo
        return self._recognised[key]

    def localize(self, text: str, entities: Iterable[Any], overrides: Mapping[str, Override] | None = None
                 ) -> Localization:
        """Rewrite `text`, replacing each entity of this localizer's types by its target-country analogue.

        Everything outside the entities (and a person's title such as "Ms.") is kept exactly. The
        same entity (any casing) gets the same replacement, and a surname seen in a full name keeps
        its replacement when it comes back alone; different entities get different names where the
        pool has them.

        Parameters
        ----------
        text : str
            The text.
        entities : iterable
            Objects with ``.label/.start/.end`` (character offsets, end exclusive; e.g.
            ``nerlib.tagging.tagger.Entity``) or ``(start, end, label)`` tuples.
        overrides : mapping, optional
            {entity text: `nerlib.localizer.overrides.Override`}: another type, keep it, or the
            name it gets, for every occurrence of that text (any casing).

        Returns
        -------
        Localization
            The new text and one record per entity occurrence (other types are kept and recorded).

        Raises
        ------
        TypeError
            For a `text` that is not a str, or an entity (or override) that is neither kind.
        ValueError
            For an entity outside `text` or overlapping another, or a malformed override.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        memory = TextMemory()  # one for the whole text
        chosen = checked_overrides(overrides)
        triples = relabelled(text, entity_triples(entities, text), chosen)
        self._force(text, triples, chosen, memory)  # the user's names first: pairs and surnames follow them
        kept = {key for key, override in chosen.items() if override.keep}
        self.geography.pairs(text, [t for t in triples if name_key(text[t[0]:t[1]]) not in kept], memory)
        contexts = iter([context_of(text, start, end) for start, end, _ in triples])  # splice goes in order
        foreign = iter(foreign_marks(text, triples, self.source_spec))  # "French President Jacques Chirac"
        new_text, records = splice(text, triples, lambda original, label: self._in_context(
            original, label, memory, next(contexts), chosen, next(foreign)))
        warnings = [f"pool file skipped: {error}" for error in self.pool_errors]
        return Localization(new_text, text, self.source, self.target, records, warnings)

    def _force(self, text: str, triples: list[tuple[int, int, str]], overrides: Mapping[str, Override],
               memory: TextMemory) -> None:
        """Put the names the user chose into `memory`, part by part (`overrides.forced_choices`)."""
        for start, end, label in triples:
            entity = text[start:end]
            override = overrides.get(name_key(entity))
            if override is None or override.keep or override.replacement is None or label not in self.types:
                continue
            bare = split_possessive(entity)[0]
            parts = forced_choices(bare, self.recognise(bare, label), override.replacement)
            if parts is None:  # the whole entity takes the name (`_in_context`)
                continue
            for piece, choice in parts.items():
                memory.chosen[(label, name_key(piece))] = choice
                memory.used.add(choice.name.lower())
            memory.forced.update((name_key(entity), name_key(bare)))

    def _in_context(self, original: str, label: str, memory: TextMemory, context: Context,
                    overrides: Mapping[str, Override] | None = None, foreign: str | None = None) -> Replacement:
        """Replace one entity in agreement with its sentence: possessive, gender hints, articles; a
        user's override first, then a person the text marks as foreign (`foreign`: why it stays)."""
        override = (overrides or {}).get(name_key(original))
        if override is not None and override.keep:
            return Replacement(label=label, start=0, end=len(original), original=original, replacement=original,
                               reason=KEPT_BY_USER)
        bare, possessive = split_possessive(original)
        if possessive and self.recogniser is not None and self.recogniser.knows(original):
            bare, possessive = original, ""  # "Macy's" is the name itself
        if foreign is not None and label in self.types and name_key(original) not in memory.forced and (
                override is None or override.replacement is None):
            recognition = self.recognise(bare, label)
            for part in recognition.parts:  # the surname alone later stays too
                memory.chosen.setdefault((label, name_key(bare[part.start : part.end])),
                                         Choice(None, None, foreign, subtype=part.subtype))
            return Replacement(label=label, start=0, end=len(original), original=original, replacement=original,
                               subtype=recognition.subtype, reason=f"{recognition.subtype} ({recognition.how}); {foreign}")
        if override is not None and override.replacement is not None and name_key(original) not in memory.forced:
            record = Replacement(label=label, start=0, end=len(bare), original=bare,  # the whole entity takes it
                                 replacement=override.replacement.strip(), reason="replaced: chosen by you",
                                 pool="chosen by you")
            record.changed = record.replacement != bare
        else:
            record = self._replace_entity(bare, label, memory, context)
        if possessive:
            record.original, record.end = original, record.end + len(possessive)
            record.replacement += possessive
        if not record.changed:
            return record
        subtype = record.subtype
        new, own = record.replacement, re.match(r"(?i)the\s+", bare)
        if context.article and new.lower().startswith("the "):
            record.replacement = new[4:]  # "the The Telegraph" -> "the Telegraph"
        elif context.article and not takes_article(new, subtype):
            record.drop_before = len(context.article)  # "the New York Yankees" -> "East Bengal"
        elif own and not new.lower().startswith("the ") and takes_article(new, subtype):
            record.replacement = own.group(0) + new  # "The Associated Press" -> "The Press Trust of India"
        return record

    def _replace_entity(self, original: str, label: str, memory: TextMemory, context: Context | None = None
                        ) -> Replacement:
        if label not in self.types:
            return Replacement(label=label, start=0, end=len(original), original=original, replacement=original,
                               reason=f"kept: type {label} is not localized (types={list(self.types)})")
        kept = None if name_key(original) in memory.forced else self._kept_place(original, label, memory)
        if kept is None and self.use_pools and label in ("ORG", "MISC"):
            kept = self._from_tables(original, label, memory)
        if kept is not None:
            return kept
        return replace_entity(original, label, self._with_gender(self.recognise(original, label), context),
                              memory, self.shortlister,
                              seed=self.seed, topn=self.topn, balance=self.balance)

    def _with_gender(self, recognition: Recognition, context: Context | None) -> Recognition:
        """A person's recognition with the sentence's gender hint: a title before the name decides, a
        later pronoun decides where the gazetteers could not tell (no gender, or both)."""
        if context is None or recognition.subtype not in ("full-name", "given", "given-female", "given-male"):
            return recognition
        first = recognition.parts[0] if recognition.parts else None
        ambiguous = recognition.gender is None or (first is not None and "frequencies" in first.how)
        gender = context.title_gender or (context.pronoun_gender if ambiguous else None)
        if gender is None or gender == recognition.gender:
            return recognition
        how = "title before the name" if context.title_gender else "a pronoun later in the sentence"
        parts = [dataclasses.replace(p, subtype=f"given-{gender}", gender=gender, how=how)
                 if p.subtype.startswith("given") else dataclasses.replace(p, gender=gender) for p in recognition.parts]
        subtype = recognition.subtype if recognition.subtype == "full-name" else f"given-{gender}"
        return Recognition(subtype, parts, f"{recognition.how}; gender: {how}", gender)

    def _from_tables(self, original: str, label: str, memory: TextMemory) -> Replacement | None:
        """Fill `memory` with the curated tables' choice for an organisation, event or demonym; return
        the kept record of a MISC entity the tables do not place (None otherwise)."""
        recognition = self.recognise(original, label)
        if not recognition.parts:
            return None
        part = recognition.parts[0]
        piece = original[part.start : part.end]
        identity = (label, name_key(piece))
        if identity in memory.chosen:
            return None
        table = "data/counterparts.tsv"
        pool_label = f"{self.target} counterparts ({table})"
        found = self.counterparts.find(self.source_country.key, self.target_country.key, label, piece)
        if found is not None and found.name.lower() not in memory.used:
            memory.chosen[identity] = Choice(found.name, None, f"replaced: its counterpart by role ({found.role}) in "
                                             f"{table} ({found.source})", pool_label=pool_label,
                                             subtype=recognition.subtype)
            memory.used.add(found.name.lower())
            return None
        if label != "MISC":
            return None
        choice = self._demonym(piece, memory)
        if choice is not None and choice.name is not None:
            memory.chosen[identity] = choice
            return None
        reason = choice.reason if choice is not None else (
            f"kept: MISC is placed only by the curated tables ({table}, data/demonyms.tsv), which have no row "
            f"for {piece!r} from {self.source_country.name} to {self.target}")
        return Replacement(label=label, start=0, end=len(original), original=original, replacement=original,
                           subtype=recognition.subtype, reason=reason)

    def _demonym(self, piece: str, memory: TextMemory) -> Choice | None:
        """A demonym that follows its place (Texan -> the demonym of Texas's replacement), or a kept
        choice for a demonym of a place outside the source; None for no demonym."""
        demonyms = self.demonyms
        target = self.target_country
        found = demonyms.place_of(self.source_country.key, piece)
        if found is None:
            for country in SUPPORTED.values():
                other = demonyms.place_of(country.key, piece)
                if other is not None and country.iso2 not in self.source_spec.codes:
                    return Choice(None, None, f"kept: a demonym of {country.name}, outside the source ({self.source})")
                if other is not None:
                    found = other
                    break
            if found is None:
                return None
        place, plural = found
        label = f"{target.name} demonyms (data/demonyms.tsv)"
        if country_key(place) is not None:  # the country itself: American -> Indian
            demonym = demonyms.of_place(target.key, target.name)
            how = f"the demonym of {target.name} (it named the source, {place})"
        else:  # a state: the demonym of the state's replacement in this text
            identity = ("LOC", name_key(place))
            if identity not in memory.chosen:
                shortlist = self.shortlister.shortlist(place, "state", "LOC", True)
                memory.chosen[identity] = choose(shortlist, f"LOC|{name_key(place)}", memory.used, seed=self.seed,
                                                 topn=self.topn, balance=self.balance)
                memory.chosen[identity].subtype = "state"
            new_place = memory.chosen[identity].name
            demonym = demonyms.of_place(target.key, new_place) if new_place else None
            how = f"the demonym of {new_place}, which replaces {place}"
            if demonym is None:
                demonym = demonyms.of_place(target.key, target.name)
                how = f"the demonym of {target.name} (the table has none for {new_place}, which replaces {place})"
        if demonym is None:
            return Choice(None, None, f"kept: no demonym of {target.name} in data/demonyms.tsv")
        return Choice(demonyms.form(demonym, plural), None, f"replaced: {how}", pool_label=label, subtype="demonym")

    def _kept_place(self, original: str, label: str, memory: TextMemory) -> Replacement | None:
        """The record of a place that stays: outside the source, or a country other than the source."""
        if label != "LOC" or self.recogniser is None:
            return None
        recognition = self.recognise(original, label)
        record = Replacement(label=label, start=0, end=len(original), original=original, replacement=original,
                             subtype=recognition.subtype)
        if recognition.subtype == "country":
            own = country_key(original.strip())
            if (self.replace_countries or name_key(original) in memory.inside
                    or (not self.source_spec.is_region and own == self.source_country.key)):
                return None
            record.reason = ("country (country name); kept: a mentioned country stays (countries=True replaces "
                             "it)" + ("; the source is a region" if own == self.source_country.key else ""))
            return record
        if name_key(original) in memory.inside:
            return None
        code = outside_source(original.strip(), self.source_spec)
        if code is None:
            return None
        where = next((c.name for c in SUPPORTED.values() if c.iso2 == code), None) or country_name(code)
        record.reason = (f"{recognition.subtype} ({recognition.how}); kept: a place in {where}, outside the "
                         f"source ({self.source})")
        return record

    def analogue(self, text: str, label: str) -> Replacement:
        """Return the replacement record of one entity string (offsets relative to `text` itself).

        Parameters
        ----------
        text : str
            The entity.
        label : str
            Its type.

        Returns
        -------
        Replacement
        """
        return self.localize(text, [(0, len(text), label)]).replacements[0]

    def candidates(self, text: str, label: str, topn: int = 10) -> pd.DataFrame:
        """Return the best candidates of one entity with their scores, per part.

        Parameters
        ----------
        text : str
            The entity.
        label : str
            Its type.
        topn : int
            Rows per part.

        Returns
        -------
        pandas.DataFrame
            The columns of `nerlib.localizer.tables.analogy_candidates`; empty for a type not
            localized or a text the vectors lack.
        """
        if label not in self.types or not text.strip():
            return pd.DataFrame(columns=CANDIDATE_COLUMNS)
        return self.shortlister.candidates(text, self.recognise(text, label).parts, label, topn)
