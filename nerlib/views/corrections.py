"""Fixing a tagged result by hand before it is exported (the Tagger page's "Fix a span").

A correction is a :class:`SpanEdit` over word indices: words ``start`` to ``end`` become one entity
of a type, or no entity (``label=None``). Edits apply in order to the words' IOB2 labels and the
labels stay valid IOB2 after each one: a word right after the edited range that continued an
entity (``I-X``) starts its own entity (``B-X``), so cutting ``New York Times`` into ``New York``
(LOC) leaves ``Times`` an ORG of its own rather than glueing it to anything.

:func:`correct` turns a ``TaggedText`` and its edits into a :class:`CorrectedText`: the words with
their new labels, the entities they form (each with the model's score when the model found exactly
that entity, else no score, and a ``corrected`` flag), and the JSON and CoNLL exports the Tagger's
downloads serve. Edits travel in a link as :func:`format_edits` writes them (``0-2:ORG,5-6:-``).

>>> from nerlib.tagging.decoding import Entity, TaggedText, TaggedWord
>>> words = [TaggedWord("Ann", 0, 3, "B-ORG", 0.9), TaggedWord("met", 4, 7, "O", 0.9),
...          TaggedWord("Bo", 8, 10, "O", 0.8)]
>>> tagged = TaggedText("Ann met Bo", words, [Entity("Ann", "ORG", 0, 3, 0.9)])
>>> fixed = correct(tagged, parse_edits("0-1:PER,2-3:PER"))
>>> [(e.text, e.label, e.score, e.corrected) for e in fixed.entities]
[('Ann', 'PER', None, True), ('Bo', 'PER', None, True)]
>>> print(fixed.to_conll(), end="")
Ann B-PER
met O
Bo B-PER
<BLANKLINE>
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nerlib.data.labels import entity_spans, split_tag, to_iob2
from nerlib.tagging.decoding import TaggedText, TaggedWord

__all__ = [
    "CorrectedEntity",
    "CorrectedText",
    "SpanEdit",
    "apply_edits",
    "correct",
    "find_phrase",
    "word_range",
    "format_edits",
    "parse_edits",
]

#: The most edits a link or a page keeps: a visitor's fixes stay a bounded amount of work.
MAX_EDITS = 200
_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*$")
_EDIT = re.compile(r"^(\d+)-(\d+):(-|[A-Za-z][A-Za-z0-9_.]*)$")


@dataclass(frozen=True)
class SpanEdit:
    """Words ``start`` to ``end`` (word indices, end exclusive) become one entity of type
    ``label``, or no entity when ``label`` is None.

    >>> SpanEdit(2, 4, "ORG"), str(SpanEdit(0, 1, None))
    (SpanEdit(start=2, end=4, label='ORG'), '0-1:-')
    """

    start: int
    end: int
    label: str | None

    def __str__(self) -> str:
        return f"{self.start}-{self.end}:{self.label or '-'}"


def _check_edit(edit: SpanEdit, length: int) -> None:
    if not 0 <= edit.start < edit.end <= length:
        raise ValueError(f"edit {edit} is outside the {length} words of the text")
    if edit.label is not None and not _TYPE.match(edit.label):
        raise ValueError(f"edit {edit}: an entity type is a letter then letters, digits, '_' or '.'")


def apply_edits(labels: Sequence[str], edits: Iterable[SpanEdit]) -> list[str]:
    """The IOB2 labels after ``edits``, applied in order.

    Parameters
    ----------
    labels:
        One IOB label per word (IOB1 is read as IOB2, :func:`nerlib.data.labels.to_iob2`).
    edits:
        The edits; a later one wins where they overlap.

    Returns
    -------
    list of str
        Valid IOB2 labels: an ``I-X`` follows a ``B-X`` or an ``I-X`` of the same type.

    Raises
    ------
    ValueError
        For an edit outside the words or with an unusable type, or a label that is not IOB.

    >>> apply_edits(["B-ORG", "I-ORG", "I-ORG"], [SpanEdit(0, 2, "LOC")])
    ['B-LOC', 'I-LOC', 'B-ORG']
    >>> apply_edits(["B-PER", "I-PER", "O"], [SpanEdit(0, 1, None)])
    ['O', 'B-PER', 'O']
    >>> apply_edits(["O", "O"], [SpanEdit(1, 3, "LOC")])
    Traceback (most recent call last):
    ...
    ValueError: edit 1-3:LOC is outside the 2 words of the text
    """
    out = to_iob2(list(labels))
    for edit in edits:
        _check_edit(edit, len(out))
        if edit.label is None:
            out[edit.start : edit.end] = ["O"] * (edit.end - edit.start)
        else:
            out[edit.start : edit.end] = [f"B-{edit.label}"] + [f"I-{edit.label}"] * (edit.end - edit.start - 1)
        # The word after the range continued an entity the edit cut: it starts its own.
        if edit.end < len(out):
            prefix, entity_type = split_tag(out[edit.end])
            if prefix == "I":
                out[edit.end] = f"B-{entity_type}"
    return out


@dataclass(frozen=True)
class CorrectedEntity:
    """An entity of a corrected text: ``text == source[start:end]``.

    Attributes
    ----------
    text, label, start, end:
        As :class:`nerlib.tagging.decoding.Entity` (character offsets, end exclusive).
    score:
        The model's confidence when the model found exactly this entity, else None (set by hand).
    corrected:
        Whether a visitor made or changed it.
    """

    text: str
    label: str
    start: int
    end: int
    score: float | None
    corrected: bool

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (score rounded to 4 decimals, or None)."""
        return {"text": self.text, "label": self.label, "start": self.start, "end": self.end,
                "score": None if self.score is None else round(self.score, 4), "corrected": self.corrected}


@dataclass
class CorrectedText:
    """A tagged text after a visitor's edits.

    Attributes
    ----------
    tagged:
        The model's result, unchanged.
    edits:
        The edits applied, in order.
    words:
        The words with their corrected IOB2 labels (score 1.0 for a word an edit changed).
    entities:
        The entities the corrected labels form.
    dropped:
        The model's entities that are gone after the edits.
    """

    tagged: TaggedText
    edits: list[SpanEdit]
    words: list[TaggedWord] = field(default_factory=list)
    entities: list[CorrectedEntity] = field(default_factory=list)
    dropped: list[Any] = field(default_factory=list)

    @property
    def corrected(self) -> bool:
        """Whether any edit was applied."""
        return bool(self.edits)

    def to_dict(self) -> dict[str, Any]:
        """The JSON line of the result: with no edit, exactly the model's (``python -m nerlib tag``'s
        line); with edits, ``corrected: true``, each entity with its ``corrected`` flag (a
        hand-made one without a score) and the edits (``start``/``end`` word indices, ``label``,
        null for "no entity").

        >>> from nerlib.tagging.decoding import Entity, TaggedText, TaggedWord
        >>> tagged = TaggedText("Bo", [TaggedWord("Bo", 0, 2, "B-PER", 0.7)], [Entity("Bo", "PER", 0, 2, 0.7)])
        >>> correct(tagged, []).to_dict() == tagged.to_dict()
        True
        >>> correct(tagged, [SpanEdit(0, 1, "ORG")]).to_dict()["entities"]
        [{'text': 'Bo', 'label': 'ORG', 'start': 0, 'end': 2, 'score': None, 'corrected': True}]
        """
        if not self.edits:
            return self.tagged.to_dict()
        return {"text": self.tagged.text, "entities": [e.to_dict() for e in self.entities], "corrected": True,
                "edits": [{"start": e.start, "end": e.end, "label": e.label} for e in self.edits]}

    def to_conll(self) -> str:
        """The corrected words as CoNLL (``word label`` lines, IOB2), as ``TaggedText.to_conll``."""
        return TaggedText(self.tagged.text, self.words, []).to_conll()


def correct(tagged: TaggedText, edits: Iterable[SpanEdit]) -> CorrectedText:
    """Apply ``edits`` to a tagged text.

    Parameters
    ----------
    tagged:
        The model's result (``Tagger.tag``).
    edits:
        Word-index edits, in order (:func:`apply_edits`).

    Returns
    -------
    CorrectedText
        The corrected words and entities; an entity the model found with the same words and type
        keeps its score and is not flagged.

    Raises
    ------
    ValueError
        For an edit outside the text's words or with an unusable type.
    """
    edits = list(edits)
    labels = apply_edits(tagged.labels, edits)
    words = [w if w.label == label else TaggedWord(w.text, w.start, w.end, label, 1.0)
             for w, label in zip(tagged.words, labels)]
    model = {(e.start, e.end, e.label): e for e in tagged.entities}
    entities = []
    for span in entity_spans(labels):
        start, end = words[span.start].start, words[span.end - 1].end
        found = model.get((start, end, span.label))
        entities.append(CorrectedEntity(tagged.text[start:end], span.label, start, end,
                                        found.score if found is not None else None, found is None))
    kept = {(e.start, e.end, e.label) for e in entities}
    dropped = [e for e in tagged.entities if (e.start, e.end, e.label) not in kept]
    return CorrectedText(tagged, edits, words, entities, dropped)


def format_edits(edits: Iterable[SpanEdit]) -> str:
    """The edits as one short string for a link: ``start-end:TYPE`` (``-`` for no entity), by commas.

    >>> format_edits([SpanEdit(0, 2, "ORG"), SpanEdit(5, 6, None)])
    '0-2:ORG,5-6:-'
    """
    return ",".join(str(edit) for edit in edits)


def parse_edits(text: str, *, words: int | None = None) -> list[SpanEdit]:
    """Edits from :func:`format_edits`'s string (a link's ``fix`` parameter).

    Parameters
    ----------
    text:
        ``start-end:TYPE`` items separated by commas; empty for none.
    words:
        The number of words of the text they apply to, to check ranges now.

    Returns
    -------
    list of SpanEdit
        In order.

    Raises
    ------
    ValueError
        For an item that is not ``start-end:TYPE``, an empty or (with ``words``) outside range, or
        more than :data:`MAX_EDITS` items.

    >>> parse_edits("0-2:ORG,5-6:-")
    [SpanEdit(start=0, end=2, label='ORG'), SpanEdit(start=5, end=6, label=None)]
    >>> parse_edits("3-1:ORG")
    Traceback (most recent call last):
    ...
    ValueError: '3-1:ORG' is an empty word range
    """
    items = [item.strip() for item in text.split(",") if item.strip()]
    if len(items) > MAX_EDITS:
        raise ValueError(f"{len(items)} edits; at most {MAX_EDITS}")
    edits = []
    for item in items:
        match = _EDIT.match(item)
        if match is None:
            raise ValueError(f"{item[:40]!r} is not start-end:TYPE (or start-end:- to drop)")
        start, end, label = int(match[1]), int(match[2]), match[3]
        if start >= end:
            raise ValueError(f"{item!r} is an empty word range")
        edit = SpanEdit(start, end, None if label == "-" else label)
        if words is not None:
            _check_edit(edit, words)
        edits.append(edit)
    return edits


def find_phrase(words: Sequence[Any], text: str, phrase: str, *, limit: int = 100) -> list[tuple[int, int]]:
    """Where ``phrase`` occurs in ``text``, as word ranges: the words each occurrence touches.

    Matching is on characters, case-sensitive first and case-insensitive when that finds nothing,
    so ``"African Union"`` is found however the words were split.

    Parameters
    ----------
    words:
        The text's words, each with ``start``/``end`` character offsets.
    text:
        The text.
    phrase:
        What to look for (surrounding whitespace ignored).
    limit:
        The most occurrences returned.

    Returns
    -------
    list of tuple of int
        ``(start, end)`` word indices (end exclusive) per occurrence, in order, without repeats.

    >>> from nerlib.text.words import split_words
    >>> text = "Peter met the African Union. The african union agreed."
    >>> find_phrase(split_words(text), text, "African Union")
    [(3, 5)]
    >>> find_phrase(split_words(text), text, "african UNION")
    [(3, 5), (7, 9)]
    """
    phrase = phrase.strip()
    if not phrase:
        return []
    starts, ends = [w.start for w in words], [w.end for w in words]
    found: dict[tuple[int, int], None] = {}  # ordered, without repeats
    for flags in (0, re.IGNORECASE):  # offsets into the text itself (lower() may change lengths)
        for match in re.finditer(re.escape(phrase), text, flags):
            first = bisect.bisect_right(ends, match.start())  # the first word ending after the match starts
            after = bisect.bisect_left(starts, match.end())  # the first word starting after it ends
            if first < after:
                found[(first, after)] = None
            if len(found) >= limit:
                break
        if found:
            break
    return list(found)


def word_range(words: Sequence[Any], start: int, end: int) -> tuple[int, int]:
    """The words (``start``/``end`` character offsets) that a character range touches.

    Parameters
    ----------
    words:
        The text's words, in order.
    start, end:
        A character range, end exclusive (an entity's offsets).

    Returns
    -------
    tuple of int
        ``(first, after)`` word indices, end exclusive; ``first == after`` when no word is touched.

    >>> from nerlib.text.words import split_words
    >>> word_range(split_words("Ann met Bo Smith"), 8, 16)
    (2, 4)
    """
    first = bisect.bisect_right([w.end for w in words], start)
    after = bisect.bisect_left([w.start for w in words], end)
    return first, max(first, after)
