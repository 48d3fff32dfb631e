"""Counterparts by role and demonyms: the curated tables that come before the pools and the vectors.

>>> table = Counterparts()
>>> table.find("usa", "india", "ORG", "the Associated Press").name
'Press Trust of India'
>>> table.find("usa", "india", "MISC", "Super Bowl").role
'championship final'
>>> demonyms = Demonyms()
>>> demonyms.place_of("usa", "Texans"), demonyms.of_place("india", "Gujarat")
(('Texas', True), 'Gujarati')
>>> demonyms.form("Gujarati", plural=True), demonyms.form("Japanese", plural=True)
('Gujaratis', 'Japanese')

- ``data/counterparts.tsv``: an organisation, event or language of the source with a well-known
  counterpart of the same role in the target (the Department of Justice -> the Ministry of Law
  and Justice, the NBA -> the Pro Kabaddi League, the Super Bowl -> the IPL final); each row names
  its sources. Where the table is silent, the pools ranked by the vectors decide.
- ``data/demonyms.tsv``: the demonym of each country and of many states (American, Texan;
  Indian, Gujarati), so that a MISC demonym follows its place.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from nerlib.localizer.pools import PoolFileError
from nerlib.localizer.vocab import name_key

__all__ = ["Counterpart", "Counterparts", "Demonyms"]

_DATA = Path(__file__).with_name("data")
_ARTICLE = re.compile(r"^the\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Counterpart:
    """The target's counterpart of one source name: its ``name``, ``role`` and ``source`` (the articles)."""

    name: str
    role: str
    source: str


def _rows(name: str, width: int) -> list[list[str]]:
    path = _DATA / name
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != width:
            raise PoolFileError(path, number, f"expected {width} tab-separated fields, got {len(fields)}")
        rows.append([field.strip() for field in fields])
    return rows


@functools.cache
def _counterparts() -> dict[tuple[str, str, str, str], Counterpart]:
    return {(src, tgt, label, name_key(name)): Counterpart(target, role, source)
            for src, label, name, tgt, target, role, source in _rows("counterparts.tsv", 7)}


class Counterparts:
    """Look up ``data/counterparts.tsv`` (read once per process)."""

    def find(self, source: str, target: str, label: str, text: str) -> Counterpart | None:
        """Return the counterpart of a source entity in the target, or None where the table is silent.

        Parameters
        ----------
        source, target : str
            Country keys (``usa``, ``india``).
        label : str
            The entity type (``ORG`` or ``MISC``).
        text : str
            The entity (a leading "the" is ignored).

        Returns
        -------
        Counterpart or None
        """
        return _counterparts().get((source, target, label, name_key(_ARTICLE.sub("", text.strip()))))


@functools.cache
def _demonyms() -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    by_place, by_demonym = {}, {}
    for country, place, demonym, _ in _rows("demonyms.tsv", 4):
        by_place[(country, name_key(place))] = demonym
        by_demonym[(country, name_key(demonym))] = place
    return by_place, by_demonym


class Demonyms:
    """Look up ``data/demonyms.tsv``: the demonym of a place and the place of a demonym."""

    def place_of(self, country: str, text: str) -> tuple[str, bool] | None:
        """Return (place, plural) of a demonym of `country` ("Texans" -> ("Texas", True)), or None.

        Parameters
        ----------
        country : str
            A country key.
        text : str
            The demonym, singular or plural.

        Returns
        -------
        (str, bool) or None
        """
        _, by_demonym = _demonyms()
        key = name_key(text.strip())
        if (country, key) in by_demonym:
            return by_demonym[(country, key)], False
        if key.endswith("s") and (country, key[:-1]) in by_demonym:
            return by_demonym[(country, key[:-1])], True
        return None

    def of_place(self, country: str, place: str) -> str | None:
        """Return the demonym of a place of `country` (the country itself or one of its states), or None.

        Parameters
        ----------
        country : str
            A country key.
        place : str
            The place, as its pool names it (or the country's display name).

        Returns
        -------
        str or None
        """
        return _demonyms()[0].get((country, name_key(place)))

    @staticmethod
    def form(demonym: str, plural: bool) -> str:
        """Return the demonym, in the plural where asked ("Indians"; "Japanese" and "Welsh" stay).

        Parameters
        ----------
        demonym : str
            The singular form.
        plural : bool
            Whether the plural is wanted.

        Returns
        -------
        str
        """
        if not plural or demonym.endswith(("ese", "sh", "ch", "ss", "s")):
            return demonym
        return demonym + "s"
