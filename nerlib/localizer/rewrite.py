"""Text rewriting helpers: entity spans in, casing carried over, nothing outside the spans touched.

>>> entity_triples([(15, 22, "LOC"), (0, 5, "PER")], "Sarah lives in Chicago.")
[(0, 5, 'PER'), (15, 22, 'LOC')]
>>> apply_casing("Priya Sharma", casing_style("OLIVIA PARKER"))
'PRIYA SHARMA'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from nerlib.localizer.records import Replacement

__all__ = ["entity_triples", "splice", "casing_style", "apply_casing", "word_casing", "cased"]

_VOWELS = set("aeiouy")


def entity_triples(entities: Iterable[Any], text: str) -> list[tuple[int, int, str]]:
    """Return sorted (start, end, label) triples of entity objects (``.start/.end/.label``) or tuples.

    Parameters
    ----------
    entities : iterable
        Objects with ``.start``, ``.end`` and ``.label``, or ``(start, end, label)`` tuples.
    text : str
        The text the spans are in.

    Returns
    -------
    list of (int, int, str)
        Sorted by start.

    Raises
    ------
    TypeError
        For an entity that is neither kind.
    ValueError
        For a span outside `text` or overlapping another.
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


def splice(text: str, triples: list[tuple[int, int, str]], replace: Callable[[str, str], Replacement]
           ) -> tuple[str, list[Replacement]]:
    """Return `text` with each entity span replaced, and the records with their offsets in both texts.

    Parameters
    ----------
    text : str
        The original text.
    triples : list of (int, int, str)
        Sorted, non-overlapping (start, end, label) spans (`entity_triples`).
    replace : callable
        ``replace(entity text, label)`` returns the entity's `Replacement`.

    Returns
    -------
    (str, list of Replacement)
        The new text (everything outside the spans kept exactly, except the ``drop_before``
        characters right before a span that its record asks to remove) and one record per span,
        its ``start``/``end`` in `text` and ``new_start``/``new_end`` in the new text.

    Examples
    --------
    >>> def shout(entity, label):
    ...     return Replacement(label, 0, len(entity), entity, entity.upper())
    >>> new, records = splice("Sarah lives in Chicago.", [(0, 5, "PER"), (15, 22, "LOC")], shout)
    >>> new, [(r.new_start, r.new_end) for r in records]
    ('SARAH lives in CHICAGO.', [(0, 5), (15, 22)])
    """
    pieces, records, cursor, offset = [], [], 0, 0
    for start, end, label in triples:
        record = replace(text[start:end], label)
        record.start, record.end = start, end
        drop = min(max(record.drop_before, 0), start - cursor)  # an article the replacement does not take
        record.drop_before = drop
        pieces.append(text[cursor : start - drop])
        offset += start - drop - cursor
        record.new_start, record.new_end = offset, offset + len(record.replacement)
        pieces.append(record.replacement)
        offset, cursor = record.new_end, end
        records.append(record)
    pieces.append(text[cursor:])
    return "".join(pieces), records


def casing_style(text: str) -> str:
    """Return the casing style of a text: ``upper`` for all caps (a headline; acronyms -- one word of
    at most four letters, or without a vowel: IBM, MSNBC -- excepted), ``lower``, else ``title``.

    Parameters
    ----------
    text : str
        An entity or a part of one.

    Returns
    -------
    str
        ``"upper"``, ``"lower"`` or ``"title"``.

    Examples
    --------
    >>> casing_style("OLIVIA PARKER"), casing_style("IBM"), casing_style("MSNBC"), casing_style("JAPAN")
    ('upper', 'title', 'title', 'upper')
    """
    letters = [ch for ch in text if ch.isalpha()]
    acronym = " " not in text.strip() and (len(letters) <= 4 or not _VOWELS & {ch.lower() for ch in letters})
    if letters and all(ch.isupper() for ch in letters) and not acronym:
        return "upper"
    if letters and all(ch.islower() for ch in letters):
        return "lower"
    return "title"


def apply_casing(name: str, style: str) -> str:
    """Write a gazetteer name (already in its own casing) in the input's style.

    Parameters
    ----------
    name : str
        The name.
    style : str
        A `casing_style`: ``title`` keeps the name's own casing.

    Returns
    -------
    str
    """
    if style == "upper":
        return name.upper()
    if style == "lower":
        return name.lower()
    return name


def word_casing(candidate: str, style: str, lowercase_vectors: bool) -> str:
    """Write a vector key in the input's casing style (phrase underscores become spaces).

    Parameters
    ----------
    candidate : str
        The vector key, e.g. ``hdfc`` or ``New_Delhi``.
    style : str
        A `casing_style`.
    lowercase_vectors : bool
        Whether the vectors are all lowercase: then a title-style word is capitalised, and a short one
        without vowels written as an acronym; cased vectors keep a key's own casing.

    Returns
    -------
    str

    Examples
    --------
    >>> word_casing("hdfc", "title", True), word_casing("new_delhi", "title", True)
    ('HDFC', 'New Delhi')
    """
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


def cased(name: str, piece: str, entity: str, *, vector_word: bool, lowercase_vectors: bool) -> str:
    """Write a chosen name in the casing of what it replaces.

    Parameters
    ----------
    name : str
        The chosen name: a gazetteer name, or a vector key where `vector_word`.
    piece : str
        The part of the entity it replaces.
    entity : str
        The text whose casing style a gazetteer name takes: the whole entity for a part of a full
        name (``OLIVIA Parker`` is written in one style), else the part.
    vector_word : bool
        Whether `name` is a vector key (the vectors-only fallback): it takes `piece`'s style.
    lowercase_vectors : bool
        Whether the vectors are all lowercase (see `word_casing`).

    Returns
    -------
    str

    Examples
    --------
    >>> cased("Priya Sharma", "OLIVIA PARKER", "OLIVIA PARKER", vector_word=False, lowercase_vectors=True)
    'PRIYA SHARMA'
    >>> cased("hdfc", "Chase", "Chase", vector_word=True, lowercase_vectors=True)
    'HDFC'
    """
    if vector_word:
        return word_casing(name, casing_style(piece), lowercase_vectors)
    return apply_casing(name, casing_style(entity))
