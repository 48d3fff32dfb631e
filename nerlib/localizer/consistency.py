"""One text's names kept consistent: the same entity gets the same name, different entities different names.

The same entity in any casing ("Parker", "PARKER") gets one replacement, and a surname seen in a
full name keeps its replacement when it comes back alone ("Ms. Parker" after "Olivia Parker"): a
person's parts share one memory. A name that replaced one entity never replaces another, even of
another subtype ("Osaka" is both a Japanese city and a prefecture).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nerlib.localizer.choice import Balance, choose
from nerlib.localizer.records import Choice, Replacement
from nerlib.localizer.rewrite import cased
from nerlib.localizer.shortlist import Shortlister
from nerlib.localizer.subtypes import Recognition
from nerlib.localizer.vocab import name_key

__all__ = ["TextMemory", "replace_entity"]


@dataclass
class TextMemory:
    """The choices made so far in one text.

    ``chosen`` maps an entity part's identity (type, `name_key` of its text) to its `Choice`;
    ``used`` holds every name given so far (lowercase), whatever the subtype; ``inside`` the
    `name_key` of places the text itself puts in the source ("Paris" of "Paris, Texas"); ``forced``
    the `name_key` of entities whose name the user chose (`nerlib.localizer.overrides`).
    """

    chosen: dict[tuple[str, str], Choice] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    inside: set[str] = field(default_factory=set)
    forced: set[str] = field(default_factory=set)


def replace_entity(original: str, label: str, recognition: Recognition, memory: TextMemory,
                   shortlister: Shortlister, *, seed: int, topn: int, balance: Balance | None = None) -> Replacement:
    """Return the replacement of one entity occurrence, part by part, consistent with the text so far.

    Parameters
    ----------
    original : str
        The entity's text.
    label : str
        Its type (one the localizer localizes).
    recognition : Recognition
        Its subtype and the parts to replace (`nerlib.localizer.subtypes.Recogniser.recognise`).
    memory : TextMemory
        The text's choices so far; this entity's new ones are added.
    shortlister : Shortlister
        Ranks the names for a part seen for the first time.
    seed : int
        The localizer's seed (variety among the near-best names).
    topn : int
        How many best names each record keeps as ``neighbours``.
    balance : Balance, optional
        The localizer's choices over all its calls (`nerlib.localizer.choice.Balance`).

    Returns
    -------
    Replacement
        The record, its offsets relative to `original` (the caller moves them into the text).
    """
    record = Replacement(label=label, start=0, end=len(original), original=original, replacement=original,
                         subtype=recognition.subtype, gender=recognition.gender)
    if not recognition.parts:
        record.reason = f"kept: {recognition.how}"
        return record
    several = len(recognition.parts) > 1
    pieces, cursor, choices = [], 0, []
    for part in recognition.parts:
        piece = original[part.start : part.end]
        identity = (label, name_key(piece))  # no subtype: "Parker" after "Olivia Parker" is the same person
        if identity in memory.chosen:
            if label == "PER" and not several:
                record.subtype = memory.chosen[identity].subtype  # "Parker" after "Olivia Parker": her surname
        else:
            shortlist = shortlister.shortlist(piece, part.subtype, label, part.certain)
            memory.chosen[identity] = choose(shortlist, f"{label}|{name_key(piece)}", memory.used, seed=seed, topn=topn,
                                             balance=balance)
            memory.chosen[identity].subtype = part.subtype
        choice = memory.chosen[identity]
        choices.append(choice)
        pieces.append(original[cursor : part.start])
        pieces.append(piece if choice.name is None else
                      cased(choice.name, piece, original if several else piece, vector_word=choice.vector_word,
                            lowercase_vectors=shortlister.vocab.lowercase))
        cursor = part.end
    pieces.append(original[cursor:])
    record.replacement = "".join(pieces)
    record.changed = record.replacement != original
    _summarise(record, recognition, choices)
    return record


def _summarise(record: Replacement, recognition: Recognition, choices: list[Choice]) -> None:
    """Fill a record's key, pool, neighbours, score and reason from its parts' choices."""
    record.key = "+".join(c.key for c in choices if c.key)
    record.pool = " + ".join(dict.fromkeys(c.pool_label for c in choices if c.pool_label))
    record.neighbours = choices[-1].neighbours if len(choices) == 1 else [
        (c.name, c.score or 0.0) for c in choices if c.name]
    scores = [c.score for c in choices if c.name is not None and c.score is not None]
    record.score = float(np.mean(scores)) if scores and record.changed else None
    reasons = [c.reason for c in choices]
    prefix = f"{recognition.subtype} ({recognition.how}); "
    record.reason = prefix + " | ".join(reasons) if len(reasons) > 1 else prefix + reasons[0]
    if not record.changed and not record.reason.split("; ", 1)[-1].startswith("kept"):
        record.reason = prefix + "kept: " + reasons[0]
