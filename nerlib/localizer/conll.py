"""Training-ready output: a CoNLL file's entities rewritten into the target's context, tags re-projected.

The file's own (gold) tags say where the entities are: nothing is tagged again. Each document
(``-DOCSTART-``) is one text for the `Localizer`, so an entity keeps its replacement throughout a
document. A replaced entity's words become the replacement's words, tagged ``B-X I-X ...`` (IOB2);
its other columns (part of speech, chunk) are copied from the original words. Every other token
line is written byte for byte as it was (an IOB1 file is written in IOB2, which changes the tag
column of its I- lines that begin an entity); an article the replacement does not take ("the" before
"East Bengal") is left out with its line.

>>> from nerlib.localizer import Localizer
>>> from nerlib.localizer.vectors import example_vectors
>>> rows = localize_lines(Localizer(example_vectors(), "USA", "India"),
...                       ["Olivia NNP B-PER", "Parker NNP I-PER", "flew VBD O", "to TO O", "Texas NNP B-LOC"])
>>> rows.lines
['Priya NNP B-PER', 'Gupta NNP I-PER', 'flew VBD O', 'to TO O', 'Gujarat NNP B-LOC']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nerlib.data.conll import DOCSTART, ConllFormatError, read_conll_file
from nerlib.data.labels import entity_spans, split_tag
from nerlib.data.lines import open_regular, read_lines

__all__ = ["LocalizedConll", "localize_lines", "localize_file", "localize_conll", "check_tags", "documents_of",
           "mixed_documents"]

_ARTICLES = {"the", "The", "THE"}


@dataclass
class LocalizedConll:
    """What a CoNLL localization wrote: the output ``lines``, counts, and one row per entity
    (``rows``: input line, type, original, replacement, changed, reason)."""

    lines: list[str] = field(default_factory=list)
    sentences: int = 0
    documents: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def entities(self) -> int:
        """Entities read."""
        return len(self.rows)

    @property
    def changed(self) -> int:
        """Entities replaced."""
        return sum(row["changed"] for row in self.rows)


def check_tags(path: str | os.PathLike, sentences: Iterable[Any], types: Iterable[str]) -> None:
    """Check that every tag's entity type is one of `types` (the model's label set).

    Parameters
    ----------
    path : path
        The file, for the message.
    sentences : iterable of ConllSentence
        Its sentences (``line`` is the first token's line).
    types : iterable of str
        The allowed entity types (``PER``, ``LOC``, ...).

    Raises
    ------
    ConllFormatError
        Naming the file and line of the first tag outside the set, and the set.
    """
    allowed = set(types)
    for sentence in sentences:
        for offset, tag in enumerate(sentence.ner_tags):
            entity_type = split_tag(tag)[1]
            if entity_type and entity_type not in allowed:
                raise ConllFormatError(path, sentence.line + offset,
                                       f"tag {tag!r} is outside the model's labels (types {', '.join(sorted(allowed))})")


def _sentences_of(lines: Sequence[str], first_line: int = 1) -> list[tuple[int, list[int]]]:
    """Group token lines into sentences: [(document, [line indices])]; blank lines and -DOCSTART-
    end a sentence, -DOCSTART- also a document."""
    groups, current, document, seen = [], [], 0, False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.split()[0] == DOCSTART:
            if current:
                groups.append((document, current))
                current = []
            if stripped and stripped.split()[0] == DOCSTART:
                document += seen
                seen = True
            continue
        seen = True
        current.append(index)
    if current:
        groups.append((document, current))
    return groups


def _columns(line: str) -> tuple[list[str], str]:
    separator = "\t" if "\t" in line else " "
    return (line.split("\t") if separator == "\t" else line.split()), separator


def localize_lines(localizer: Any, lines: Sequence[str], tags: Sequence[str] | None = None) -> LocalizedConll:
    """Rewrite CoNLL token lines (last column: the tag) with a localizer; see the module docstring.

    Parameters
    ----------
    localizer : Localizer
        The localizer.
    lines : sequence of str
        The file's lines without line breaks.
    tags : sequence of str, optional
        The IOB2 tag of each token line in order (as `nerlib.data.conll.read_conll_file` gives
        them); default: the lines' last column.

    Returns
    -------
    LocalizedConll
    """
    result = LocalizedConll()
    groups = _sentences_of(lines)
    iob2 = iter(tags) if tags is not None else None
    tag_of: dict[int, str] = {}
    for _, indices in groups:
        for index in indices:
            tag_of[index] = next(iob2) if iob2 is not None else _columns(lines[index])[0][-1]
    replacement_of: dict[int, tuple[list[str], str, int]] = {}  # first token line -> (words, type, length)
    dropped: set[int] = set()
    documents: dict[int, list[list[int]]] = {}
    for document, indices in groups:
        documents.setdefault(document, []).append(indices)
    for sentences in documents.values():
        text_parts, spans, offset = [], [], 0
        for indices in sentences:
            words = [_columns(lines[i])[0][0] for i in indices]
            starts = []
            for word in words:
                starts.append(offset)
                offset += len(word) + 1
            for span in entity_spans([tag_of[i] for i in indices]):
                first = indices[span.start]
                spans.append((starts[span.start], starts[span.end - 1] + len(words[span.end - 1]), span.label,
                              first, span.end - span.start, indices[span.start - 1] if span.start else None))
            text_parts.append(" ".join(words))
        text = "\n".join(text_parts)
        localized = localizer.localize(text, [(start, end, label) for start, end, label, *_ in spans])
        for record, (_, _, label, first, length, before) in zip(localized.replacements, spans):
            result.rows.append({"line": first + 1, "type": label, "original": record.original,
                                "replacement": record.replacement, "changed": record.changed, "reason": record.reason})
            if record.changed and record.replacement.split():
                replacement_of[first] = (record.replacement.split(), label, length)
                if record.drop_before and before is not None and _columns(lines[before])[0][0] in _ARTICLES:
                    dropped.add(before)
    result.sentences, result.documents = len(groups), len(documents)
    skip = 0
    for index, line in enumerate(lines):
        if skip:
            skip -= 1
            continue
        if index in dropped:
            continue
        if index not in tag_of:
            result.lines.append(line)
            continue
        columns, separator = _columns(line)
        if index in replacement_of:
            words, label, length = replacement_of[index]
            originals = [_columns(lines[index + k])[0] for k in range(length)]
            for k, word in enumerate(words):
                row = list(originals[min(k, length - 1)])
                row[0], row[-1] = word, ("B-" if k == 0 else "I-") + label
                result.lines.append(separator.join(row))
            skip = length - 1
            continue
        if columns[-1] != tag_of[index]:  # IOB1 in, IOB2 out: only the tag column changes
            columns[-1] = tag_of[index]
            result.lines.append(separator.join(columns))
        else:
            result.lines.append(line)
    return result


def localize_conll(localizer: Any, path: str | os.PathLike, output: str | os.PathLike,
                   types: Iterable[str] | None = None) -> LocalizedConll:
    """Localize a CoNLL file into `output` (UTF-8, one token per line, IOB2 tags).

    Parameters
    ----------
    localizer : Localizer
        The localizer (source, target and seed set).
    path : path
        The CoNLL file; its tags are the gold entities.
    output : path
        Where the new file goes (written only after the whole input was read and checked).
    types : iterable of str, optional
        The model's entity types: a tag of another type is an error naming file and line.

    Returns
    -------
    LocalizedConll

    Raises
    ------
    ConllFormatError
        With file and line, for a malformed line or a tag outside `types`.
    FileNotFoundError
        For a missing input file.
    """
    result = localize_file(localizer, path, types)
    Path(output).write_text("".join(line + "\n" for line in result.lines), encoding="utf-8")
    return result


def localize_file(localizer: Any, path: str | os.PathLike, types: Iterable[str] | None = None) -> LocalizedConll:
    """Localize a CoNLL file in memory (what `localize_conll` writes; `bench/localized_train.py` mixes it).

    Parameters
    ----------
    localizer : Localizer
        The localizer (source, target and seed set).
    path : path
        The CoNLL file; its tags (read as IOB2) are the gold entities.
    types : iterable of str, optional
        The model's entity types: a tag of another type is an error naming file and line.

    Returns
    -------
    LocalizedConll

    Raises
    ------
    ConllFormatError
        With file and line, for a malformed line or a tag outside `types`.
    FileNotFoundError
        For a missing input file.
    """
    conll = read_conll_file(path)  # checks the whole file first: columns, tags, encoding
    if types is not None:
        check_tags(path, conll.sentences, types)
    with open_regular(path) as handle:
        lines = [text for _, text in read_lines(handle, path, skip_bom=True)]
    tags = [tag for sentence in conll.sentences for tag in sentence.ner_tags]
    return localize_lines(localizer, lines, tags)


def documents_of(lines: Sequence[str]) -> list[list[str]]:
    """Cut a CoNLL file's lines into documents: each starts at a ``-DOCSTART-`` line (the lines before
    the first one, if any, are a document of their own).

    Parameters
    ----------
    lines : sequence of str
        The file's lines (with or without their line breaks).

    Returns
    -------
    list of list of str
        The documents, every line kept as it was.

    >>> documents_of(["-DOCSTART- -X- O", "", "A O", "", "-DOCSTART- -X- O", "", "B O"])
    [['-DOCSTART- -X- O', '', 'A O', ''], ['-DOCSTART- -X- O', '', 'B O']]
    """
    documents: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.startswith(DOCSTART) and current:
            documents.append(current)
            current = []
        current.append(line)
    if current:
        documents.append(current)
    return documents


def mixed_documents(original: Sequence[str], copies: Sequence[Sequence[str]]) -> list[str]:
    """The original documents, then one localized copy of each: document i from copy ``i mod k``.

    Training on both (Agarwal et al. 2020's entity-switched augmentation) shows a model the same
    contexts with other countries' names, so it leans less on the names it saw. Each copy must have
    the original's documents in the same order (`localize_lines` keeps them). A blank line is put
    between the originals and the copies where the original does not end with one.

    Parameters
    ----------
    original : sequence of str
        The original file's lines without line breaks.
    copies : sequence of sequences of str
        The localized copies' lines (one per country), k >= 1.

    Returns
    -------
    list of str
        The mixed file's lines without line breaks.

    Raises
    ------
    ValueError
        For no copies, or a copy whose number of documents differs from the original's.

    >>> original = ["-DOCSTART- O", "", "Ann B-PER", "", "-DOCSTART- O", "", "Bob B-PER", ""]
    >>> india = ["-DOCSTART- O", "", "Priya B-PER", "", "-DOCSTART- O", "", "Rahul B-PER", ""]
    >>> brazil = ["-DOCSTART- O", "", "Ana B-PER", "", "-DOCSTART- O", "", "Bruno B-PER", ""]
    >>> mixed_documents(original, [india, brazil])[8:]
    ['-DOCSTART- O', '', 'Priya B-PER', '', '-DOCSTART- O', '', 'Bruno B-PER', '']
    """
    if not copies:
        raise ValueError("no localized copies to mix in")
    documents = documents_of(original)
    localized = [documents_of(copy) for copy in copies]
    for number, copy in enumerate(localized):
        if len(copy) != len(documents):
            raise ValueError(f"localized copy {number + 1} has {len(copy)} documents, the original {len(documents)}")
    lines = [line for document in documents for line in document]
    if lines and lines[-1].strip():
        lines.append("")
    for index in range(len(documents)):
        lines.extend(localized[index % len(localized)][index])
    return lines
