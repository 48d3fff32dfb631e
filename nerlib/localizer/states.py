"""State sizes: a state maps to a state of similar rank by population in the target (a big state for a big one).

Word vectors put Texas near whatever Indian state co-occurs with oil or cattle; a reader expects the
rewrite to keep the state's weight instead: California and Texas (the largest US states) become
large states, Vermont and Wyoming small ones. ``data/state_sizes.tsv`` gives each state's population
(national censuses, named per row) and kind: a territory (a federal district, union territory)
maps to a territory and a state never to one. A state's place in its country is its rank among
the states of its kind divided by their number (0: the largest), so countries with 50 and 28
states compare; the target's states within `SIZE_WINDOW` of that fraction stay in the shortlist,
in their similarity order. Countries without rows keep the similarity ranking alone.

>>> size_of("usa", "Texas")
StateSize(country='usa', name='Texas', kind='state', population=29145505, fraction=0.02)
>>> [name for name in similar_size("usa", "india", "Vermont", ["Uttar Pradesh", "Goa", "Sikkim", "Bihar"])]
['Goa', 'Sikkim']
>>> similar_size("usa", "india", "District of Columbia", ["Goa", "Delhi", "Chandigarh"])
['Delhi', 'Chandigarh']
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from nerlib.localizer.pools import PoolFileError
from nerlib.localizer.vocab import fold

__all__ = ["StateSize", "SIZE_WINDOW", "size_of", "similar_size", "territories"]

_TABLE = Path(__file__).with_name("data") / "state_sizes.tsv"
#: A state of fraction f (its rank / number of states) maps to target states of fraction f +- this.
SIZE_WINDOW = 0.2
#: Fewer target states than this in the window: the nearest ones by fraction are taken instead.
MIN_CHOICES = 2

Name = TypeVar("Name")


@dataclass(frozen=True)
class StateSize:
    """One row of ``data/state_sizes.tsv``: ``fraction`` is the state's rank by population among its
    country's states of the same kind divided by their number (0: the largest; rounded to 0.01)."""

    country: str
    name: str
    kind: str
    population: int
    fraction: float


def _key(name: str) -> str:
    return " ".join(fold(name).lower().replace("-", " ").split())


@functools.cache
def _table() -> dict[str, dict[str, StateSize]]:
    """{country key: {folded state name: size}} from ``data/state_sizes.tsv``."""
    rows: dict[str, list[tuple[str, str, int]]] = {}
    for number, line in enumerate(_TABLE.read_text(encoding="utf8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 5 or fields[2] not in ("state", "territory") or not fields[3].isdigit():
            raise PoolFileError(_TABLE, number, "expected country<TAB>state<TAB>state|territory<TAB>population<TAB>source")
        rows.setdefault(fields[0], []).append((fields[1], fields[2], int(fields[3])))
    table: dict[str, dict[str, StateSize]] = {}
    for country, found in rows.items():
        for kind in ("state", "territory"):
            ranked = sorted((row for row in found if row[1] == kind), key=lambda row: -row[2])
            for rank, (name, _, population) in enumerate(ranked):
                table.setdefault(country, {})[_key(name)] = StateSize(
                    country, name, kind, population, round(rank / len(ranked), 2))
    return table


def size_of(country: str, state: str) -> StateSize | None:
    """Return a state's row in ``data/state_sizes.tsv`` (None where the table has none).

    Parameters
    ----------
    country : str
        A supported country's key (``usa``, ``india``, ...).
    state : str
        The state, in any casing, with or without accents.

    Returns
    -------
    StateSize or None
    """
    return _table().get(country, {}).get(_key(state))


def territories(country: str) -> list[str]:
    """Return a country's territories (union territories, federal districts), most populous first.

    Parameters
    ----------
    country : str
        A supported country's key.

    Returns
    -------
    list of str
        Empty where the table has none.

    >>> territories("india")[:2]
    ['Delhi', 'Jammu and Kashmir']
    """
    found = [size for size in _table().get(country, {}).values() if size.kind == "territory"]
    return [size.name for size in sorted(found, key=lambda size: size.fraction)]


def similar_size(source: str, target: str, state: str, names: Sequence[Name]) -> list[Name]:
    """Keep the target `names` of about the size of `state` (in their order); all of them where either
    country lacks sizes.

    Parameters
    ----------
    source, target : str
        Supported countries' keys.
    state : str
        The source state (or territory).
    names : sequence
        The target's candidate names, best first: strings, or tuples whose first item is the name.

    Returns
    -------
    list
        The names of target states of the same kind whose fraction lies within `SIZE_WINDOW` of the
        state's (at least the `MIN_CHOICES` nearest); `names` unchanged where the table cannot tell.
    """
    size = size_of(source, state) or next(  # a region's other countries (Bavaria from the West)
        (found for country in _table() if country != target and (found := size_of(country, state))), None)
    if size is None or target not in _table():
        return list(names)
    placed = []
    for item in names:
        other = size_of(target, item[0] if isinstance(item, tuple) else item)
        if other is not None and other.kind == size.kind:
            placed.append((abs(other.fraction - size.fraction), item))
    near = [item for distance, item in placed if distance <= SIZE_WINDOW]
    if len(near) >= MIN_CHOICES or not placed:
        return near or list(names)
    nearest = sorted(placed, key=lambda pair: pair[0])[:MIN_CHOICES]
    return [item for _, item in placed if any(item is chosen for _, chosen in nearest)]
