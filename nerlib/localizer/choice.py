"""The choice of one name from a shortlist: seeded variety among the best few, and no name twice in a text.

An entity whose source name the pool assignment matched takes its match. Any other takes one of
the best `VARIETY` names within `MARGIN` of the best (of a small pool: its best 40%, at least
`VARIETY`): the one this localizer has given least so far (`Balance`), ties broken by a hash of
(seed, entity, name), so one popular name does not take every entity -- in a text, in a batch or
over separate calls -- and a given seed always gives the same output for the same input. A source
name keeps the name it got first in every later call. A name that already replaced another entity
of the text is passed over where an unused one is close enough.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nerlib.localizer.records import Choice, Shortlist

__all__ = ["VARIETY", "MARGIN", "ALTERNATIVE_MARGIN", "Balance", "stable_hash", "seeded_order", "choose"]

#: Variety: the choice is made among the best `VARIETY` names within `MARGIN` of the best, by a
#: hash of (seed, entity), so one popular name does not take every entity (bench/localizer.py).
VARIETY = 5
MARGIN = 0.25
#: A small pool (a curated table: every name is of the right kind) is drawn from more widely and
#: without the margin, so that different source names spread over it by themselves: the best
#: `SMALL_POOL_SHARE` of its names (at least `VARIETY`, at most `SMALL_POOL_VARIETY`).
SMALL_POOL = 150
SMALL_POOL_SHARE = 0.4
SMALL_POOL_VARIETY = 12
#: The vectors-only fallback takes an unused word for a different entity only within this of the best.
ALTERNATIVE_MARGIN = 0.15
#: How many names of a pool `seeded_order` returns.
SEEDED_NAMES = 50


@dataclass
class Balance:
    """What one localizer has given so far, over all its calls: names spread, a source name stays.

    ``given`` maps an entity part's identity to the name it got first; ``counts`` how many
    different identities each (pool, name) was given to. Bounded: both start over past `LIMIT`.
    """

    given: dict[str, str] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    LIMIT = 100_000

    def record(self, identity: str, pool_label: str, name: str) -> None:
        """Remember that `identity` got `name` from the pool `pool_label`."""
        if len(self.given) > self.LIMIT:
            self.given.clear()
            self.counts.clear()
        if self.given.get(identity) != name:
            self.given[identity] = name
            self.counts[(pool_label, name.lower())] += 1


def stable_hash(*parts: Any) -> int:
    """Return a hash of `parts` (their ``str``) that is the same in every process and Python version.

    Parameters
    ----------
    *parts : Any
        The values to hash, e.g. a seed and an entity.

    Returns
    -------
    int
        A 64-bit hash (BLAKE2b) of the parts joined by a unit separator.

    Examples
    --------
    >>> stable_hash(0, "olivia") == stable_hash(0, "olivia") != stable_hash(1, "olivia")
    True
    """
    return int.from_bytes(hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


def seeded_order(names: Sequence[str], seed: int, entity: str) -> list[tuple[str, float]]:
    """Return a pool's names in an order drawn from (seed, entity): the choice for a part the vectors lack.

    Parameters
    ----------
    names : sequence of str
        The pool's names.
    seed : int
        The localizer's seed.
    entity : str
        The part's normalised text (`nerlib.localizer.vocab.name_key`).

    Returns
    -------
    list of (str, float)
        Up to `SEEDED_NAMES` names, each with score 0.0.

    Examples
    --------
    >>> sorted(name for name, _ in seeded_order(["Priya", "Anjali", "Meera"], 0, "olivia"))
    ['Anjali', 'Meera', 'Priya']
    """
    order = sorted(range(len(names)), key=lambda i: stable_hash(seed, entity, i))
    return [(names[i], 0.0) for i in order[:SEEDED_NAMES]]


def choose(shortlist: Shortlist, identity: str, used: set[str], *, seed: int, topn: int,
           balance: Balance | None = None) -> Choice:
    """Choose the name for one entity part from its shortlist, and mark it used.

    Parameters
    ----------
    shortlist : Shortlist
        The part's ranked names.
    identity : str
        What makes the entity itself (type and normalised text): with `seed`, it picks among the
        near-best names.
    used : set of str
        The lowercase names already given in this text; the chosen name is added.
    seed : int
        The localizer's seed.
    topn : int
        How many of the shortlist's best names the choice keeps as ``neighbours``.
    balance : Balance, optional
        The localizer's choices over all its calls (None: this choice alone); updated.

    Returns
    -------
    Choice
        The chosen name (None where the shortlist is empty: the part is kept) and why.

    Examples
    --------
    >>> shortlist = Shortlist([("Priya", 0.9), ("Anjali", 0.8)], "India given-female", "olivia")
    >>> used = {"priya"}
    >>> choose(shortlist, "PER|olivia", used, seed=0, topn=10).name, sorted(used)
    ('Anjali', ['anjali', 'priya'])
    """
    base = dict(pool_label=shortlist.pool_label, key=shortlist.key, neighbours=shortlist.names[:topn],
                vector_word=shortlist.vector_word)
    if not shortlist.names:
        reason = shortlist.reason if shortlist.reason.startswith("kept") else f"kept: {shortlist.reason}"
        return Choice(None, None, reason, **base)
    fresh = [(n, s) for n, s in shortlist.names if n.lower() not in used]
    if shortlist.vector_word:
        # Vocabulary words get worse quickly down the list: the best unused one if it is close.
        fresh = [c for c in fresh[:1] if c[1] >= shortlist.names[0][1] - ALTERNATIVE_MARGIN]
    repeated = not fresh
    fresh = fresh or shortlist.names
    best = fresh[0][1]
    matched = shortlist.assigned and fresh[0][0] == shortlist.names[0][0]
    if matched or shortlist.vector_word:
        near = fresh[:1]
    elif len(shortlist.names) <= SMALL_POOL:  # no match of its own, few names: spread over many of them
        size = max(VARIETY, min(SMALL_POOL_VARIETY, round(SMALL_POOL_SHARE * len(shortlist.names))))
        near = fresh[:size]
    else:  # no match of its own: a seeded choice among the best few
        near = [(n, s) for n, s in fresh[:VARIETY] if s >= best - MARGIN]
    balance = balance if balance is not None else Balance()
    earlier = balance.given.get(identity, "").lower()
    kept = [(n, s) for n, s in near if n.lower() == earlier] or [
        (n, s) for n, s in fresh if n.lower() == earlier and s >= best - MARGIN]
    if kept:  # this source name got it in an earlier call: the same again
        name, score = kept[0]
    else:  # the least given so far, ties by hash (different entities spread by themselves)
        name, score = min(near, key=lambda c: (balance.counts[(shortlist.pool_label, c[0].lower())],
                                               stable_hash(seed, identity, c[0])))
    balance.record(identity, shortlist.pool_label, name)
    used.add(name.lower())
    rank = [n for n, _ in shortlist.names].index(name) + 1
    how = (f"matched to it in {shortlist.pool_label} (pool assignment)" if matched
           else f"rank {rank} of {len(shortlist.names)} in {shortlist.pool_label}")
    if repeated and shortlist.names[0][0].lower() in used:
        how += " (no unused name close enough: another entity of this text has it too)"
    reason = "replaced: " + how + (f"; {shortlist.reason}" if shortlist.reason else "") + shortlist.note
    return Choice(name, float(score) if shortlist.reason == "" else None, reason, **base)
