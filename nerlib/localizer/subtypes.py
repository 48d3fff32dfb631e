"""Subtype recognition: what kind of person, place or organisation an entity is, before replacing it.

>>> from nerlib.localizer.vectors import example_vectors
>>> from nerlib.localizer.vocab import vocabulary
>>> recogniser = Recogniser(vocabulary(example_vectors(), 100), "USA")
>>> recogniser.recognise("Olivia Parker", "PER").parts
[Part(start=0, end=6, subtype='given-female', ...), Part(start=7, end=13, subtype='surname', ...)]
>>> recogniser.recognise("Goldman Sachs", "ORG").subtype
'company-bank'
>>> recogniser.recognise("Springfield University", "ORG").how
"keyword 'university'"

The gazetteers of the source country are asked first (is "Olivia" a female given name in Faker's
en_US? is "Nevada" a US state?), then those of the other supported countries and the curated
tables, then keywords ("... University", "... Bank"), and last the vectors: the subtype whose
pool centroid is nearest. Every `Recognition` says how it was decided.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from nerlib.localizer.countries import SUPPORTED, Country, resolve_country
from nerlib.localizer.pools import Pool, country_names, curated_entries, name_share, pool_for
from nerlib.localizer.taxonomy import LOC_SUBTYPES, ORG_SUBTYPES
from nerlib.localizer.vocab import Vocab, fold

__all__ = ["Part", "Recognition", "Recogniser"]

_TITLES = {"mr": "male", "mister": "male", "sir": "male", "lord": "male", "mrs": "female", "ms": "female",
           "miss": "female", "madam": "female", "lady": "female", "dr": None, "prof": None, "professor": None}
_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_TOKEN = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")
# Keywords that name an organisation's kind (checked word by word, lowercase).
_ORG_KEYWORDS = [
    ({"bank", "bancorp", "banco", "bankers", "banking"}, "company-bank"),
    ({"airlines", "airways", "air", "aviation", "airline"}, "company-airline"),
    ({"motors", "motor", "automobiles", "auto", "automotive"}, "company-carmaker"),
    ({"pharma", "pharmaceuticals", "pharmaceutical", "laboratories", "biotech"}, "company-pharma"),
    ({"oil", "petroleum", "energy", "gas", "power", "electric", "coal"}, "company-energy"),
    ({"telecom", "telecommunications", "communications", "wireless", "mobile", "cellular"}, "company-telecom"),
    ({"software", "technologies", "technology", "computer", "computers", "systems", "semiconductor"}, "company-tech"),
    ({"stores", "mart", "supermarkets", "retail"}, "company-retail"),
    ({"university", "college", "institute", "universität", "universidade", "school"}, "university"),
    ({"times", "post", "journal", "news", "herald", "tribune", "gazette", "daily", "press", "radio",
      "television", "tv", "broadcasting", "magazine", "shimbun", "zeitung"}, "news"),
    ({"party", "democrats", "republicans", "conservatives"}, "party"),
    ({"ministry", "department", "agency", "bureau", "senate", "congress", "parliament", "court", "commission",
      "council", "army", "navy", "police", "administration", "office", "authority", "reserve"}, "government"),
    ({"league", "trophy"}, "sports-league"),
    ({"fc", "united", "rovers", "athletic", "giants", "tigers", "lions", "bulls", "club"}, "sports-club"),
    ({"inc", "corp", "corporation", "co", "ltd", "plc", "group", "holdings", "industries", "ag", "gmbh", "sa"},
     "company"),
]
_PLACE_KEYWORDS = [
    ({"river", "mount", "mountains", "mountain", "lake", "park", "bridge", "square", "falls", "valley",
      "island", "islands", "desert", "street", "sea", "bay", "canyon", "hills", "palace", "tower"}, "place"),
    ({"county", "province", "state", "prefecture", "region"}, "state"),
    ({"city", "town"}, "city"),
]
_CENTROID_SAMPLE = 300
_DEFAULT = "default: not in the vectors, no gazetteer names it"  # names per pool that form a subtype's centroid


def _norm(text: str) -> str:
    return " ".join(fold(text).lower().replace("’", "'").split())


@dataclass
class Part:
    """One replaceable piece of an entity: character offsets within the entity text, its subtype,
    gender (``"female"``, ``"male"`` or None) and how it was recognised."""

    start: int
    end: int
    subtype: str
    gender: str | None = None
    how: str = ""
    certain: bool = True  # False: a default guess for text that neither the vectors nor a gazetteer know


@dataclass
class Recognition:
    """What an entity is: its `subtype` (``full-name`` for a person's full name), the `parts` to
    replace (one for most entities; given name and surname for a full name), and `how`."""

    subtype: str
    parts: list[Part] = field(default_factory=list)
    how: str = ""
    gender: str | None = None


class Recogniser:
    """Recognise entity subtypes for one source country with gazetteers, keywords and the vectors."""

    def __init__(self, vocab: Vocab, source: str | Country, users: dict[tuple[str, str], Pool] | None = None):
        self.vocab = vocab
        self.source = resolve_country(source)
        self.users = users or {}
        others = [c for c in SUPPORTED if c != self.source.key]
        self.countries = [self.source.key, *others]  # the source first: its answer wins a tie
        self._index: dict[str, list[tuple[str, str]]] = {}
        for country in self.countries:
            for subtype in ("given-female", "given-male", "surname", "state", "city", "place"):
                pool = pool_for(country, subtype, self.users)
                if pool is None:
                    continue
                names = pool.names[:500] if subtype == "city" and country != self.source.key else pool.names
                for name in names:
                    self._index.setdefault(_norm(name), []).append((country, subtype))
        for name in country_names():
            self._index.setdefault(_norm(name), []).append(("", "country"))
        for country in SUPPORTED.values():
            for alias in (country.name, *country.aliases):
                self._index.setdefault(_norm(alias), []).append((country.key, "country"))
        orgs = curated_entries()
        for key in sorted(orgs, key=lambda k: k[0] != self.source.key):
            for name in orgs[key]:
                self._index.setdefault(_norm(name), []).append(key)
        for (country, subtype), pool in self.users.items():
            if subtype in ORG_SUBTYPES:
                for name in pool.names:
                    self._index.setdefault(_norm(name), []).insert(0, (country, subtype))
        self._centroids: dict[tuple[str, ...], tuple[tuple[str, ...], np.ndarray]] = {}
        self._city_rank = {_norm(n): i for i, n in enumerate((pool_for(self.source.key, "city") or Pool("", "", (), "")).names)}

    # lookups --------------------------------------------------------------------------------------
    def knows(self, text: str) -> bool:
        """Whether a gazetteer or curated table names `text` as it is ("Macy's": no possessive to split off)."""
        return _norm(re.sub(r"^the\s+", "", text.strip(), flags=re.IGNORECASE)) in self._index

    def _found(self, text: str, subtypes: tuple[str, ...]) -> list[tuple[str, str]]:
        """(country, subtype) entries of the gazetteers naming `text`, source country first."""
        return [(c, s) for c, s in self._index.get(_norm(text), []) if s in subtypes]

    def _centroid_vote(self, vector: np.ndarray, subtypes: tuple[str, ...]) -> tuple[str, float]:
        """The subtype whose pool centroid (over the supported countries) is nearest to `vector`."""
        if subtypes not in self._centroids:
            names, rows = [], []
            for subtype in subtypes:
                vectors = []
                for country in self.countries:
                    pool = pool_for(country, subtype, self.users)
                    for name in (pool.names[:_CENTROID_SAMPLE] if pool else ()):
                        found, _, missing = self.vocab.name_vector(name, max_rank=200_000)
                        if found is not None and not missing:
                            vectors.append(found)
                if vectors:
                    mean = np.mean(vectors, axis=0)
                    names.append(subtype)
                    rows.append(mean / np.linalg.norm(mean))
            self._centroids[subtypes] = (tuple(names), np.array(rows, dtype=np.float32).reshape(len(rows), -1))
        names, matrix = self._centroids[subtypes]
        if not names:
            return subtypes[0], 0.0
        sims = matrix @ vector
        best = int(np.argmax(sims))
        return names[best], float(sims[best])

    def _vote(self, text: str, subtypes: tuple[str, ...], default: str) -> tuple[str, str]:
        vector, _, _ = self.vocab.name_vector(text)
        if vector is None:
            return default, f"{default} ({_DEFAULT})"
        subtype, cosine = self._centroid_vote(vector, subtypes)
        return subtype, f"nearest subtype centroid in the vectors (cos {cosine:.2f})"

    def _source_note(self, country: str) -> str:
        return "source country's gazetteer" if country == self.source.key else (
            f"{SUPPORTED[country].name}'s gazetteer" if country in SUPPORTED else "gazetteer")

    # people ---------------------------------------------------------------------------------------
    def _gender(self, token: str) -> tuple[str | None, str]:
        found = self._found(token, ("given-female", "given-male"))
        if found:
            first = found[0][0]
            genders = {s for c, s in found if c == first}  # the first country that knows it decides
            if len(genders) == 1:
                return genders.pop().split("-")[1], f"{self._source_note(first)}: {found[0][1]}"
            female, male = (name_share(first, g, token) for g in ("given-female", "given-male"))
            if female is not None and male is not None and female != male:
                gender = "female" if female > male else "male"
                return gender, f"{self._source_note(first)}, frequencies: more common as a {gender} name"
        subtype, how = self._vote(token, ("given-female", "given-male"), "given")
        return (subtype.split("-")[1] if "-" in subtype else None), how

    def _single_name(self, token: str) -> tuple[str, str | None, str]:
        found = self._found(token, ("given-female", "given-male", "surname"))
        if found:
            first = found[0][0]
            kinds = {s for c, s in found if c == first}
            if kinds == {"surname"}:
                return "surname", None, f"{self._source_note(first)}: surname"
            if "surname" not in kinds:
                gender, how = self._gender(token)
                return (f"given-{gender}" if gender else "given"), gender, how
            shares = {k: name_share(first, k, token) for k in ("given-female", "given-male", "surname")} \
                if first in SUPPORTED else {}
            if shares and None not in shares.values():
                # Both a given name and a surname (Taylor, Thomas): the more common use in the
                # gazetteer's own frequencies decides.
                note = f"{self._source_note(first)}, frequencies"
                if shares["surname"] >= shares["given-female"] + shares["given-male"]:
                    return "surname", None, f"{note}: more common as a surname"
                gender = "female" if shares["given-female"] > shares["given-male"] else "male"
                return f"given-{gender}", gender, f"{note}: more common as a {gender} given name"
        subtype, how = self._vote(token, ("given-female", "given-male", "surname"), "surname")
        if subtype == "surname":
            return subtype, None, ("both a given name and a surname: " if found else "") + how
        gender, gender_how = self._gender(token)
        return (f"given-{gender}" if gender else "given"), gender, how

    def _person(self, text: str) -> Recognition:
        tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        hint = None
        while tokens and tokens[0][2].rstrip(".").lower() in _TITLES:
            hint = _TITLES[tokens[0][2].rstrip(".").lower()] or hint
            tokens = tokens[1:]
        tokens = [t for t in tokens if t[2].rstrip(".").lower() not in _SUFFIXES]
        names = [(s, e - t.endswith("."), t.rstrip(".")) for s, e, t in tokens if len(t.rstrip(".")) > 1]
        if not names:
            return Recognition("surname", [], "no name in the entity")
        if len(names) == 1:
            start, end, token = names[0]
            if hint is not None or len(tokens) < len(_TOKEN.findall(text)):  # "Ms. Parker": a title, then a surname
                return Recognition("surname", [Part(start, end, "surname", hint, "after a title")], "after a title", hint)
            subtype, gender, how = self._single_name(token)
            return Recognition(subtype, [Part(start, end, subtype, gender, how, _DEFAULT not in how)], how, gender)
        gender, how = (hint, "title") if hint else self._gender(names[0][2])
        given = f"given-{gender}" if gender else "given"
        parts = [Part(s, e, given, gender, how) for s, e, _ in names[:-1]]
        start, end, _ = names[-1]
        parts.append(Part(start, end, "surname", gender, "last word of a full name"))
        return Recognition("full-name", parts, f"full name; given name: {how}", gender)

    # places and organisations ---------------------------------------------------------------------
    def _place(self, text: str) -> tuple[str, str]:
        found = self._found(text, LOC_SUBTYPES)
        if found:
            source_kinds = [s for c, s in found if c == self.source.key]
            if "country" in {s for _, s in found} and not source_kinds:
                return "country", "country name"
            if source_kinds:
                kind = source_kinds[0]
                # "New York": a state and the largest city; big cities win over their state.
                if "city" in source_kinds and self._city_rank.get(_norm(text), 10**6) < 10:
                    kind = "city"
                return kind, f"source country's gazetteer: {kind}"
            country, kind = found[0]
            return kind, f"{self._source_note(country)}: {kind}"
        words = set(_norm(text).split())
        for keywords, subtype in _PLACE_KEYWORDS:
            if words & keywords:
                return subtype, f"keyword {sorted(words & keywords)[0]!r}"
        return self._vote(text, LOC_SUBTYPES, "city")

    def _organisation(self, text: str) -> tuple[str, str]:
        plain = re.sub(r"^the\s+", "", text.strip(), flags=re.IGNORECASE)
        found = self._found(plain, ORG_SUBTYPES)
        if found:
            country, subtype = found[0]
            return subtype, f"{self._source_note(country)}: {subtype}"
        words = set(_norm(plain).replace("&", " ").split())
        for keywords, subtype in _ORG_KEYWORDS:
            if words & keywords:
                return subtype, f"keyword {sorted(words & keywords)[0]!r}"
        return self._vote(plain, ORG_SUBTYPES, "organisation")

    def recognise(self, text: str, label: str) -> Recognition:
        """Return what kind of entity a string of type `label` is.

        A string of titles only ("Ms.") has no parts: it names no one and is kept.

        Parameters
        ----------
        text : str
            The entity (whitespace around it stays outside its parts).
        label : str
            Its type: PER, LOC and ORG are subdivided; any other type is one part whose subtype is the
            label lowercased.

        Returns
        -------
        Recognition
            The subtype, the parts to replace (offsets within `text`) and how it was decided.
        """
        stripped = text.strip()
        lead = len(text) - len(text.lstrip())
        tokens = _TOKEN.findall(stripped)
        if tokens and all(token.rstrip(".").lower() in _TITLES for token in tokens):
            # A tagger may mark "Ms." of "Ms. Parker" as an entity of its own (even an ORG): a title
            # names no one, and a reader would see "Wipro Kapoor".
            return Recognition(label.lower(), [], f"{stripped!r} is only a title, not a name")
        if label == "PER":
            recognition = self._person(stripped)
        else:
            if label == "LOC":
                subtype, how = self._place(stripped)
            elif label == "ORG":
                subtype, how = self._organisation(stripped)
            else:
                subtype, how = label.lower(), "type not subdivided"
            recognition = Recognition(subtype, [Part(0, len(stripped), subtype, None, how, _DEFAULT not in how)], how)
        for part in recognition.parts:
            part.start += lead
            part.end += lead
        return recognition
