"""Label sets and IOB tag handling.

The label names and their order equal the Hugging Face ``conllpp`` dataset, so integer ids mean the
same thing everywhere (data, training, checkpoints, metrics).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nerlib.errors import quote

NER_LABELS: tuple[str, ...] = (
    "O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC",
)
ENTITY_TYPES: tuple[str, ...] = ("PER", "ORG", "LOC", "MISC")

POS_TAGS: tuple[str, ...] = (
    '"', "''", "#", "$", "(", ")", ",", ".", ":", "``", "CC", "CD", "DT", "EX", "FW", "IN", "JJ",
    "JJR", "JJS", "LS", "MD", "NN", "NNP", "NNPS", "NNS", "NN|SYM", "PDT", "POS", "PRP", "PRP$",
    "RB", "RBR", "RBS", "RP", "SYM", "TO", "UH", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "WDT",
    "WP", "WP$", "WRB",
)
CHUNK_TAGS: tuple[str, ...] = (
    "O", "B-ADJP", "I-ADJP", "B-ADVP", "I-ADVP", "B-CONJP", "I-CONJP", "B-INTJ", "I-INTJ",
    "B-LST", "I-LST", "B-NP", "I-NP", "B-PP", "I-PP", "B-PRT", "I-PRT", "B-SBAR", "I-SBAR",
    "B-UCP", "I-UCP", "B-VP", "I-VP",
)


def id2label(labels: Sequence[str] = NER_LABELS) -> dict[int, str]:
    """``{id: label}`` for ``labels`` (the mapping stored in a checkpoint's config).

    >>> id2label()[1]
    'B-PER'
    """
    return dict(enumerate(labels))


def label2id(labels: Sequence[str] = NER_LABELS) -> dict[str, int]:
    """``{label: id}`` for ``labels``.

    >>> label2id(["O", "B-LOC", "I-LOC"])
    {'O': 0, 'B-LOC': 1, 'I-LOC': 2}
    """
    return {label: i for i, label in enumerate(labels)}


def split_tag(tag: str) -> tuple[str, str]:
    """Split ``"B-PER"`` into ``("B", "PER")``; ``"O"`` gives ``("O", "")``.

    ``E-``/``S-`` of IOBES are accepted as ``I``/``B`` so such files still read.

    Parameters
    ----------
    tag:
        An IOB tag.

    Returns
    -------
    tuple of str
        ``(prefix, type)``: prefix ``"O"``, ``"B"`` or ``"I"``; type ``""`` for ``O``.

    Raises
    ------
    ValueError
        For anything that is not ``O`` or ``B-``/``I-`` (or ``E-``/``S-``) plus a type.

    >>> split_tag("B-PER"), split_tag("O"), split_tag("S-LOC")
    (('B', 'PER'), ('O', ''), ('B', 'LOC'))
    """
    if tag == "O":
        return "O", ""
    prefix, sep, entity_type = tag.partition("-")
    if not sep or not entity_type or prefix not in {"B", "I", "E", "S"}:
        raise ValueError(f"not an IOB tag: {quote(tag)} (expected O, B-TYPE or I-TYPE)")
    return ("B" if prefix == "S" else "I" if prefix == "E" else prefix), entity_type


def label_types(labels: Sequence[str]) -> tuple[list[str], list[int]]:
    """The entity types of a label list, and the index of each label's type.

    ``O`` is its own type; ``B-X`` and ``I-X`` share the type ``X``. Types come in the order their
    first label appears. A word's *type probability* sums its labels' (``P(B-X) + P(I-X)``): the
    tagger's word scores and :mod:`nerlib.evaluation.calibration` use it.

    Parameters
    ----------
    labels:
        The labels, in the order of a distribution's columns.

    Returns
    -------
    (list of str, list of int)
        The types, and per label the index of its type.

    Raises
    ------
    ValueError
        For a label that is not an IOB tag.

    >>> label_types(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])
    (['O', 'PER', 'LOC'], [0, 1, 1, 2, 2])
    """
    types: list[str] = []
    columns = []
    for label in labels:
        entity_type = split_tag(label)[1] or "O"
        if entity_type not in types:
            types.append(entity_type)
        columns.append(types.index(entity_type))
    return types, columns


def is_iob1(tags: Iterable[str]) -> bool:
    """Whether ``tags`` can only be IOB1 (the original CoNLL-2003 scheme).

    Parameters
    ----------
    tags:
        IOB tags, e.g. every tag of a file with ``"O"`` between sentences.

    Returns
    -------
    bool
        True when some entity starts with ``I-`` and ``B-`` is used only between two adjacent
        entities of the same type; False for IOB2 (or tags with no entity starting with ``I-``).

    Raises
    ------
    ValueError
        For a tag that is not an IOB tag (see :func:`split_tag`).

    >>> is_iob1(["I-PER", "I-PER", "B-PER", "O"]), is_iob1(["B-PER", "I-PER", "O"])
    (True, False)
    """
    previous = "O"
    starts_with_inside = False
    for tag in tags:
        prefix, entity_type = split_tag(tag)
        prev_prefix, prev_type = split_tag(previous)
        if prefix == "I" and (prev_prefix == "O" or prev_type != entity_type):
            starts_with_inside = True
        if prefix == "B" and (prev_prefix == "O" or prev_type != entity_type):
            return False  # a B- that IOB1 would never write: the file is IOB2
        previous = tag
    return starts_with_inside


def to_iob2(tags: Sequence[str]) -> list[str]:
    """Return ``tags`` in IOB2: an ``I-`` after ``O`` or after another type becomes ``B-``.

    This is both the IOB1 -> IOB2 conversion and the conlleval repair of a model's output;
    IOB2 input comes back unchanged.

    Parameters
    ----------
    tags:
        IOB1 or IOB2 tags (or IOBES, read as in :func:`split_tag`).

    Returns
    -------
    list of str
        The tags in IOB2, one per input tag.

    Raises
    ------
    ValueError
        For a tag that is not an IOB tag (see :func:`split_tag`).

    >>> to_iob2(["I-PER", "I-PER", "O", "I-LOC", "I-ORG"])
    ['B-PER', 'I-PER', 'O', 'B-LOC', 'B-ORG']
    """
    result: list[str] = []
    prev_prefix, prev_type = "O", ""
    for tag in tags:
        prefix, entity_type = split_tag(tag)
        if prefix == "I" and (prev_prefix == "O" or prev_type != entity_type):
            prefix = "B"
        result.append("O" if prefix == "O" else f"{prefix}-{entity_type}")
        prev_prefix, prev_type = prefix, entity_type
    return result


@dataclass(frozen=True)
class Span:
    """An entity over words ``start`` (inclusive) to ``end`` (exclusive)."""

    label: str
    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


def entity_spans(tags: Sequence[str]) -> list[Span]:
    """Return the entities in a tag sequence, with conlleval semantics.

    An entity starts at ``B-X``, or at ``I-X`` after ``O`` or another type, and continues over
    ``I-X``. Works on IOB1 and IOB2 alike.

    Parameters
    ----------
    tags:
        One IOB tag per word.

    Returns
    -------
    list of Span
        The entities in word order, ends exclusive.

    Raises
    ------
    ValueError
        For a tag that is not an IOB tag (see :func:`split_tag`).

    >>> entity_spans(["B-PER", "I-PER", "O", "I-LOC", "B-LOC"])
    [Span(label='PER', start=0, end=2), Span(label='LOC', start=3, end=4), Span(label='LOC', start=4, end=5)]
    """
    spans: list[Span] = []
    start, current = -1, ""
    for i, tag in enumerate(tags):
        prefix, entity_type = split_tag(tag)
        continues = prefix == "I" and entity_type == current
        if current and not continues:
            spans.append(Span(current, start, i))
            current = ""
        if prefix != "O" and not continues:
            start, current = i, entity_type
    if current:
        spans.append(Span(current, start, len(tags)))
    return spans
