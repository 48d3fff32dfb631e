"""A user's overrides of single entities before a rewrite: another type, keep it as it is, or a chosen replacement.

A tagger's mistake passes straight into a rewrite ("joined Malaysia" with Malaysia tagged as a
person); a reader also wants to keep a name, or to take another name from the neighbour table.
An `Override` says so for one entity text, and applies to **every occurrence** of it (any casing),
so the text stays consistent:

- ``label``: the entity's type instead of the tagger's (it is then replaced as that type);
- ``keep``: the entity stays as it is, its record saying "kept: by you";
- ``replacement``: the name it gets. For a person's full name the last word is the surname, so a
  later "Ms. Parker" gets the chosen surname; for a "City, State" pair a chosen state decides the
  city, which is then chosen inside it.

>>> from nerlib.localizer import Localizer
>>> from nerlib.localizer.vectors import example_vectors
>>> localizer = Localizer(example_vectors(), "USA", "India")
>>> text = "Olivia Parker flew from Texas. Ms. Parker works at Goldman Sachs."
>>> spans = [(0, 13, "PER"), (24, 29, "LOC"), (35, 41, "PER"), (51, 64, "ORG")]
>>> result = localizer.localize(text, spans, overrides={"Goldman Sachs": Override(keep=True),
...                                                      "Olivia Parker": Override(replacement="Meera Nair")})
>>> result.text
'Meera Nair flew from Gujarat. Ms. Nair works at Goldman Sachs.'
>>> [(r.original, r.reason.rsplit("; ", 1)[-1]) for r in result.replacements if "by you" in r.reason]
... # doctest: +NORMALIZE_WHITESPACE
[('Olivia Parker', 'replaced: chosen by you | replaced: chosen by you'), ('Parker', 'replaced: chosen by you'),
 ('Goldman Sachs', 'kept: by you (keep it as it is)')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nerlib.localizer.records import Choice
from nerlib.localizer.rewrite import word_casing
from nerlib.localizer.subtypes import Recognition
from nerlib.localizer.vocab import name_key

__all__ = ["Override", "TYPES", "checked_overrides", "relabelled", "forced_choices", "replacement_options",
           "KEPT_BY_USER", "CHOSEN_BY_USER"]

#: The types an override may give an entity.
TYPES = ("PER", "LOC", "ORG", "MISC")
#: The reason of an entity the user kept.
KEPT_BY_USER = "kept: by you (keep it as it is)"
#: The reason of a name the user chose.
CHOSEN_BY_USER = "replaced: chosen by you"


@dataclass(frozen=True)
class Override:
    """What the user asked for one entity: ``label`` (another type), ``keep`` (leave it as it is) or
    ``replacement`` (the name it gets); None / False: the localizer decides."""

    label: str | None = None
    keep: bool = False
    replacement: str | None = None


def checked_overrides(overrides: Mapping[str, Override] | None) -> dict[str, Override]:
    """Return the overrides keyed by the entity's `name_key` (any casing matches), checked.

    Parameters
    ----------
    overrides : mapping or None
        {entity text: Override}.

    Returns
    -------
    dict
        {name_key(entity text): Override}.

    Raises
    ------
    TypeError
        For a value that is not an `Override`.
    ValueError
        For a type outside `TYPES`, or an empty replacement.

    >>> checked_overrides({"Olivia Parker": Override(label="LOC")})
    {'olivia parker': Override(label='LOC', keep=False, replacement=None)}
    >>> checked_overrides({"Texas": Override(label="CITY")})
    Traceback (most recent call last):
    ...
    ValueError: override of 'Texas': type 'CITY' is not one of PER, LOC, ORG, MISC
    """
    checked: dict[str, Override] = {}
    for text, override in (overrides or {}).items():
        if not isinstance(override, Override):
            raise TypeError(f"override of {text!r} must be an Override, got {type(override).__name__}")
        if override.label is not None and override.label not in TYPES:
            raise ValueError(f"override of {text!r}: type {override.label!r} is not one of {', '.join(TYPES)}")
        if override.replacement is not None and not override.replacement.strip():
            raise ValueError(f"override of {text!r}: the replacement is empty")
        checked[name_key(text)] = override
    return checked


def relabelled(text: str, triples: list[tuple[int, int, str]], overrides: Mapping[str, Override]
               ) -> list[tuple[int, int, str]]:
    """Return the spans with the types the overrides give (every occurrence of the entity's text).

    Parameters
    ----------
    text : str
        The text.
    triples : list of (int, int, str)
        Its entity spans.
    overrides : mapping
        From `checked_overrides`.

    Returns
    -------
    list of (int, int, str)

    >>> relabelled("Malaysia joined.", [(0, 8, "LOC")], {"malaysia": Override(label="PER")})
    [(0, 8, 'PER')]
    """
    changed = []
    for start, end, label in triples:
        override = overrides.get(name_key(text[start:end]))
        changed.append((start, end, override.label if override is not None and override.label else label))
    return changed


def forced_choices(original: str, recognition: Recognition, replacement: str) -> dict[str, Choice] | None:
    """The choices of an entity's parts that give it `replacement`: {part text: Choice}; None where
    the replacement cannot be cut into the parts (then the whole entity takes it).

    One part takes the whole replacement; a person's full name (given name and surname parts) takes
    the replacement's last word as the surname and the words before it as the given name.

    Parameters
    ----------
    original : str
        The entity's text.
    recognition : Recognition
        Its parts (`nerlib.localizer.subtypes.Recogniser.recognise`).
    replacement : str
        The name the user chose.

    Returns
    -------
    dict or None

    >>> from nerlib.localizer.subtypes import Part
    >>> full = Recognition("full-name", [Part(0, 6, "given-female"), Part(7, 13, "surname")])
    >>> {piece: choice.name for piece, choice in forced_choices("Olivia Parker", full, "Meera Nair").items()}
    {'Olivia': 'Meera', 'Parker': 'Nair'}
    """
    words = replacement.split()
    parts = recognition.parts
    if len(parts) == 1:
        names = [" ".join(words)]
    elif len(parts) == 2 and len(words) >= 2 and parts[-1].subtype == "surname":
        names = [" ".join(words[:-1]), words[-1]]
    else:
        return None
    return {original[part.start : part.end]: Choice(name, None, CHOSEN_BY_USER, pool_label="chosen by you",
                                                    subtype=part.subtype)
            for part, name in zip(parts, names)}


def replacement_options(parts: Sequence[str], candidates: Sequence[tuple[str, str]], current: str) -> list[str]:
    """The whole-entity names a user may pick from an entity's neighbour table, best first.

    A one-part entity offers its candidates; a two-part full name offers each candidate of a part
    with the other part as the current replacement has it (a given name with the current surname,
    a surname with the current given name), so one pick changes one part.

    Parameters
    ----------
    parts : sequence of str
        The entity's parts in order (the table's ``part`` column, distinct).
    candidates : sequence of (str, str)
        (part, candidate) rows of the table (`nerlib.localizer.tables.analogy_candidates`), best
        first; all-lowercase vector words are written in title case.
    current : str
        The entity's current replacement.

    Returns
    -------
    list of str
        Distinct names, without `current`.

    >>> replacement_options(["Texas"], [("Texas", "Kerala"), ("Texas", "Punjab")], "Gujarat")
    ['Kerala', 'Punjab']
    >>> replacement_options(["Olivia", "Parker"], [("Olivia", "Meera"), ("Parker", "Nair")], "Priya Gupta")
    ['Meera Gupta', 'Priya Nair']
    """
    words = current.split()
    options = []
    for part, candidate in candidates:
        name = word_casing(candidate, "title", True) if candidate.islower() else candidate
        if len(parts) == 2 and len(words) >= 2 and part in parts:
            name = f"{name} {words[-1]}" if part == parts[0] else f"{' '.join(words[:-1])} {name}"
        if name != current and name not in options:
            options.append(name)
    return options
