"""Test helpers shared by the localizer tests: entity spans found by their text, and the text around them."""

from __future__ import annotations


def spans(text: str, *pairs: tuple[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, label) of every occurrence of each (entity text, label), sorted; where two
    occurrences overlap, the pair named first wins."""
    found: list[tuple[int, int, str]] = []
    for entity, label in pairs:
        start = text.find(entity)
        while start >= 0:
            end = start + len(entity)
            if all(end <= s or start >= e for s, e, _ in found):
                found.append((start, end, label))
            start = text.find(entity, end)
    return sorted(found)


def spans_in_order(text: str, *entities: tuple[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, label) of each (entity text, label) in turn: its first occurrence after the
    previous entity, so a text that occurs twice is marked only where it is named."""
    found, cursor = [], 0
    for words, label in entities:
        start = text.index(words, cursor)
        found.append((start, start + len(words), label))
        cursor = start + len(words)
    return found


def outside(text: str, ranges) -> list[str]:
    """The pieces of `text` between the given sorted (start, end) ranges."""
    pieces, cursor = [], 0
    for start, end in ranges:
        pieces.append(text[cursor:start])
        cursor = end
    return pieces + [text[cursor:]]
