"""Records of a localization: one `Replacement` per entity occurrence, a `Localization` per text, and
the two steps in between for each part of an entity: its `Shortlist` of ranked names and the `Choice`
made from it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Replacement", "Localization", "Shortlist", "Choice"]


@dataclass
class Replacement:
    """What happened to one entity occurrence.

    ``start``/``end`` are character offsets in the original text, ``new_start``/``new_end`` in the
    new text. ``changed`` is False where the entity was kept (``reason`` says why). ``score`` is the
    ranking score of the chosen name (None when kept; the mean over a full name's parts), ``key``
    the vector key(s) looked up, ``neighbours`` the best-ranked names with their scores. ``subtype``
    is what the entity was recognised as (``given-female``, ``full-name``, ``state``,
    ``company-bank``, ...), ``pool`` where its replacement came from (``India given-female (Faker
    en_IN first_names_female)``, or ``vectors`` for the vocabulary fallback), ``gender`` the given
    name's gender where it could be told. ``drop_before`` is how many characters of the text right
    before the entity were removed with it (an article its replacement does not take: "the New York
    Yankees" -> "East Bengal").
    """

    label: str
    start: int
    end: int
    original: str
    replacement: str
    new_start: int = 0
    new_end: int = 0
    changed: bool = False
    score: float | None = None
    key: str = ""
    neighbours: list[tuple[str, float]] = field(default_factory=list)
    reason: str = ""
    subtype: str = ""
    pool: str = ""
    gender: str | None = None
    drop_before: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a plain dict (JSON-ready).

        Returns
        -------
        dict
            One entry per field.
        """
        return asdict(self)


@dataclass
class Localization:
    """A rewritten text: ``text`` (new), ``original``, one `Replacement` per entity occurrence, and
    ``warnings`` about the whole run (a user pool file that was skipped, with its file and line)."""

    text: str
    original: str
    source: str
    target: str
    replacements: list[Replacement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """Number of entity occurrences that were replaced."""
        return sum(r.changed for r in self.replacements)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per entity occurrence.

        Returns
        -------
        pandas.DataFrame
            Columns label, subtype, original, replacement, changed, pool, score, reason, start, end,
            new_start, new_end, key, gender and neighbours (as text: ``name (score), ...``).
        """
        columns = ["label", "subtype", "original", "replacement", "changed", "pool", "score", "reason", "start",
                   "end", "new_start", "new_end", "key", "gender", "neighbours"]
        rows = [{name: getattr(r, name) for name in columns} for r in self.replacements]
        frame = pd.DataFrame(rows, columns=columns)
        frame["neighbours"] = [", ".join(f"{w} ({s:.2f})" for w, s in r.neighbours) for r in self.replacements]
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Return the whole result as a plain dict (JSON-ready).

        Returns
        -------
        dict
            text, original, source, target, replacements (each `Replacement.to_dict`) and warnings.
        """
        return {"text": self.text, "original": self.original, "source": self.source, "target": self.target,
                "replacements": [r.to_dict() for r in self.replacements], "warnings": list(self.warnings)}


@dataclass
class Shortlist:
    """The names ranked for one entity part, best first, and where they come from.

    ``names`` are (name, score) pairs, best first (empty: the part is kept, ``reason`` says why);
    ``pool_label`` names the pool (or the vectors-only fallback); ``key`` is the vector key(s) of the
    part; ``note`` says which of its words the vectors lack; ``reason`` is why there are no names,
    or how the names were picked without the vectors. ``vector_word``: the names are vector keys
    (the fallback), not gazetteer names, so casing rules differ. ``assigned``: ``names[0]`` is the
    part's match in the pool assignment (`nerlib.localizer.ranking.assign`).
    """

    names: list[tuple[str, float]]
    pool_label: str
    key: str
    note: str = ""
    reason: str = ""
    vector_word: bool = False
    assigned: bool = False


@dataclass
class Choice:
    """The name chosen for one entity part.

    ``name`` is the replacement (None: the part is kept), ``score`` its ranking score (None where
    it was picked without the vectors), ``reason`` how it was chosen; ``pool_label``, ``key`` and
    ``vector_word`` come from its `Shortlist`, ``neighbours`` are the shortlist's best names, and
    ``subtype`` is the part's subtype (a surname that comes back alone takes it from here).
    """

    name: str | None
    score: float | None
    reason: str
    pool_label: str = ""
    key: str = ""
    neighbours: list[tuple[str, float]] = field(default_factory=list)
    vector_word: bool = False
    subtype: str = ""
