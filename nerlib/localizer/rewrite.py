"""Text rewriting helpers: entity spans in, casing carried over, nothing outside the spans touched.

>>> entity_triples([(15, 22, "LOC"), (0, 5, "PER")], "Sarah lives in Chicago.")
[(0, 5, 'PER'), (15, 22, 'LOC')]
>>> apply_casing("Priya Sharma", casing_style("OLIVIA PARKER"))
'PRIYA SHARMA'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["entity_triples", "casing_style", "apply_casing", "word_casing"]

_VOWELS = set("aeiouy")


def entity_triples(entities: Iterable[Any], text: str) -> list[tuple[int, int, str]]:
    """Return sorted (start, end, label) triples of entity objects (``.start/.end/.label``) or tuples.

    Raises TypeError for anything else, ValueError for a span outside `text` or overlapping another.
    """
    triples = []
    for entity in entities:
        if hasattr(entity, "start") and hasattr(entity, "end") and hasattr(entity, "label"):
            start, end, label = entity.start, entity.end, entity.label
        elif isinstance(entity, (tuple, list)) and len(entity) == 3:
            start, end, label = entity
        else:
            raise TypeError(f"an entity needs .label/.start/.end attributes or be a (start, end, label) tuple, got {entity!r}")
        triples.append((int(start), int(end), str(label)))
    triples.sort()
    previous_end = 0
    for start, end, label in triples:
        if not 0 <= start < end <= len(text):
            raise ValueError(f"entity ({start}, {end}, {label!r}) is outside the text of length {len(text)}")
        if start < previous_end:
            raise ValueError(f"entity ({start}, {end}, {label!r}) overlaps the entity before it")
        previous_end = end
    return triples


def casing_style(text: str) -> str:
    """``upper`` for all-caps text (a headline; short acronyms excepted), ``lower``, else ``title``."""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters) and (len(letters) > 4 or " " in text.strip()):
        return "upper"
    if letters and all(ch.islower() for ch in letters):
        return "lower"
    return "title"


def apply_casing(name: str, style: str) -> str:
    """Write a gazetteer name (already in its own casing) in the input's style."""
    if style == "upper":
        return name.upper()
    if style == "lower":
        return name.lower()
    return name


def word_casing(candidate: str, style: str, lowercase_vectors: bool) -> str:
    """Write a vector key in the input's casing style (phrase underscores become spaces)."""
    words = candidate.replace("_", " ")
    if style == "upper":
        return words.upper()
    if style == "lower":
        return words.lower()
    if not lowercase_vectors and any(ch.isupper() for ch in words):
        return words  # cased vectors know the word's own casing (McDonald, iPhone)
    # Lowercase vectors: a short word without vowels is most likely an acronym (bjp, hdfc).
    return " ".join(
        w.upper() if len(w) <= 5 and not (_VOWELS & set(w.lower())) else w[:1].upper() + w[1:]
        for w in words.split(" ")
    )
