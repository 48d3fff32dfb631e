"""Reading CoNLL column files (CoNLL-2003 and friends).

One token per line; columns separated by spaces or tabs; the token comes first and the NER tag
last; with three or more columns the second is the part-of-speech tag, with four or more the third
is the chunk tag. Blank lines end sentences, ``-DOCSTART-`` lines end documents. Tags in IOB1 (the
original CoNLL-2003 scheme) or IOB2 are returned in IOB2.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from nerlib.data.labels import is_iob1, split_tag, to_iob2
from nerlib.data.lines import open_regular, read_lines, scan_lines
from nerlib.errors import InputError, LineTooLongError, quote

DOCSTART = "-DOCSTART-"


class ConllFormatError(InputError):
    """A CoNLL file has a line that cannot be read; the message names the file and the line
    (``path``, ``line``, ``reason`` as :class:`nerlib.errors.InputError`).

    >>> str(ConllFormatError("train.txt", 3, "2 columns, expected 4"))
    'train.txt, line 3: 2 columns, expected 4'
    """


@dataclass
class ConllSentence:
    """One sentence of a CoNLL file.

    Attributes
    ----------
    tokens:
        The words.
    ner_tags:
        One IOB2 tag (a string) per word.
    pos_tags, chunk_tags:
        The part-of-speech and chunk tags, when the file has those columns.
    document:
        The index of the document (split by ``-DOCSTART-``) within its file.
    line:
        The 1-based line number of the first token.
    source:
        The file it came from.
    """

    tokens: list[str]
    ner_tags: list[str]
    pos_tags: list[str] | None = None
    chunk_tags: list[str] | None = None
    document: int = 0
    line: int = 0
    source: str = ""

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass
class ConllFile:
    """What :func:`read_conll_file` found: the sentences plus facts about the file.

    Attributes
    ----------
    path:
        The file.
    sentences:
        Its sentences, always in IOB2.
    columns:
        The number of columns of its token lines.
    scheme:
        The scheme the file was written in: ``IOB1`` or ``IOB2``.
    documents:
        The number of documents (0 for a file without sentences).
    """

    path: str
    sentences: list[ConllSentence] = field(default_factory=list)
    columns: int = 0
    scheme: str = "IOB2"
    documents: int = 0


def _split_columns(text: str) -> list[str]:
    # Tab-separated files may pad cells with spaces; a space inside a token is caught by the caller.
    return [cell.strip(" ") for cell in text.split("\t")] if "\t" in text else text.split()


def _lines(handle: BinaryIO, path: str | Path) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)`` of ``handle`` with bounded memory per line
    (:func:`nerlib.data.lines.read_lines`); a line that is not UTF-8 or is too long raises
    ConllFormatError with its number (and, for bad bytes, the offset in the file and in the line
    where decoding failed)."""
    try:
        for number, text in read_lines(handle, path, skip_bom=True):
            yield number, text.rstrip("\r\n")
    except LineTooLongError as error:
        raise ConllFormatError(path, error.line, error.reason) from None
    except InputError as error:
        raise ConllFormatError(path, error.line, f"{error.reason}; save the file as UTF-8") from None


def token_line_problem(cells: Sequence[str], text: str, columns: int) -> str | None:
    """Why a token line cannot be read, or None when it can: the one set of rules of the reader
    (:func:`read_conll_stream`) and the validator (:func:`find_conll_problems`).

    Parameters
    ----------
    cells:
        The line's columns.
    text:
        The line (quoted in the reason).
    columns:
        The number of columns of the file's first token line, 0 before it.

    Returns
    -------
    str or None
        The reason, as a :class:`ConllFormatError` says it.

    >>> token_line_problem(["Paris", "B-LOC"], "Paris B-LOC", 2) is None
    True
    >>> token_line_problem(["Paris", "LOC"], "Paris LOC", 2)
    "not an IOB tag: 'LOC' (expected O, B-TYPE or I-TYPE)"
    """
    if len(cells) < 2:
        return f"expected a token and a tag, found {len(cells)} column(s): {quote(text)}"
    if columns and len(cells) != columns:
        return f"expected {columns} columns like the lines before, found {len(cells)}: {quote(text)}"
    if not cells[0].strip():
        return "empty token"
    if any(char.isspace() for char in cells[0]):
        return f"token {quote(cells[0])} contains whitespace; one word per line"
    try:
        split_tag(cells[-1])
    except ValueError as error:
        return str(error)
    return None


def read_conll_file(path: str | Path) -> ConllFile:
    """Read one CoNLL file, with facts about it (columns, scheme, documents).

    Whether the file is IOB1 or IOB2 is decided on the whole file: one sentence alone cannot tell
    IOB1 from a broken IOB2 line.

    Parameters
    ----------
    path:
        The CoNLL file (UTF-8; a leading byte-order mark is skipped).

    Returns
    -------
    ConllFile
        Its sentences with IOB2 tags, the number of columns, the scheme the file was written in
        (``"IOB1"`` or ``"IOB2"``) and the number of documents (0 for a file without sentences).

    Raises
    ------
    ConllFormatError
        With the file and line number, for a line with a different number of columns than the
        file's first token line, fewer than two columns, an empty token, a token with whitespace
        inside (tab-separated files), a tag that is not ``O``/``B-X``/``I-X``, or bytes that are not
        UTF-8 (with the byte offset).
    FileNotFoundError
        When the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CoNLL file not found: {path}")
    with open_regular(path) as handle:
        return read_conll_stream(handle, path)


def read_conll_stream(handle: BinaryIO, name: str | Path) -> ConllFile:
    """Read CoNLL data from a binary stream (an upload held in memory, standard input), a line at a
    time with the same bounds and checks as a file.

    Parameters
    ----------
    handle:
        The stream, read from where it stands.
    name:
        What to call it in messages and in ``ConllSentence.source`` (an upload's file name).

    Returns
    -------
    ConllFile
        As :func:`read_conll_file`.

    Raises
    ------
    ConllFormatError
        Naming ``name`` and the line, as :func:`read_conll_file` (a line longer than
        ``NERLIB_MAX_LINE_BYTES`` after reading at most that many bytes of it).

    >>> import io
    >>> [s.tokens for s in read_conll_stream(io.BytesIO(b"Paris B-LOC\\n\\nRome I-LOC\\n"), "up.txt").sentences]
    [['Paris'], ['Rome']]
    """
    path = name
    result = ConllFile(path=str(path))
    document = 0
    seen_docstart = False
    tokens: list[str] = []
    columns: list[list[str]] = []
    first_line = 0
    # One str object per distinct word or tag: a file repeats them, and a str object costs several
    # times its characters (an upload's peak memory, docs/benchmarks.md, "Uploads").
    shared: dict[str, str] = {}

    def flush() -> None:
        """Append the sentence read so far (if any) to ``result`` and start a new one."""
        nonlocal tokens, columns
        if tokens:
            ner = [row[-1] for row in columns]
            width = result.columns
            result.sentences.append(
                ConllSentence(
                    tokens=tokens,
                    ner_tags=ner,
                    pos_tags=[row[1] for row in columns] if width >= 3 else None,
                    chunk_tags=[row[2] for row in columns] if width >= 4 else None,
                    document=document,
                    line=first_line,
                    source=str(path),
                )
            )
        tokens, columns = [], []

    for number, text in _lines(handle, path):
        if not text.strip():
            flush()
            continue
        cells = [shared.setdefault(cell, cell) for cell in _split_columns(text)]
        if cells[0] == DOCSTART:
            flush()
            if seen_docstart or result.sentences:
                document += 1
            seen_docstart = True
            continue
        problem = token_line_problem(cells, text, result.columns)
        if problem is not None:
            raise ConllFormatError(path, number, problem)
        if result.columns == 0:
            result.columns = len(cells)
        if not tokens:
            first_line = number
        tokens.append(cells[0])
        columns.append(cells)
    flush()

    result.documents = document + 1 if result.sentences else 0
    # Decide on the whole file: one sentence alone cannot tell IOB1 from a broken IOB2 line.
    all_tags = [tag for s in result.sentences for tag in (*s.ner_tags, "O")]
    if is_iob1(all_tags):
        result.scheme = "IOB1"
    for sentence in result.sentences:
        sentence.ner_tags = to_iob2(sentence.ner_tags)
    return result


@dataclass(frozen=True)
class ConllProblem:
    """One problem of a CoNLL file: the 1-based ``line`` (None for the whole file) and the
    ``reason``, as :class:`ConllFormatError` words it.

    >>> str(ConllProblem(3, "empty token"))
    'line 3: empty token'
    """

    line: int | None
    reason: str

    def __str__(self) -> str:
        return self.reason if self.line is None else f"line {self.line}: {self.reason}"


@dataclass
class ConllProblems:
    """What :func:`find_conll_problems` found: the first problems in file order and how many in all.

    Attributes
    ----------
    name:
        The file or upload.
    first:
        The first problems (at most the ``limit`` asked for), in line order.
    total:
        How many problems the file has in all.
    lines:
        How many lines were read.
    """

    name: str
    first: list[ConllProblem] = field(default_factory=list)
    total: int = 0
    lines: int = 0

    @property
    def more(self) -> int:
        """How many problems are not in :attr:`first`."""
        return self.total - len(self.first)

    def __bool__(self) -> bool:
        return self.total > 0

    def summary(self) -> str:
        """One line: how many problems and how many lines, e.g. ``3 problems in 120 lines of up.txt``."""
        noun = "problem" if self.total == 1 else "problems"
        return f"{self.total:,} {noun} in {self.lines:,} lines of {self.name}"


def find_conll_problems(handle: BinaryIO, name: str | Path, *, limit: int = 20) -> ConllProblems:
    """Every problem of CoNLL data, not only the first: the validator behind an upload's report.

    The rules are the reader's (:func:`token_line_problem`, bounded lines, strict UTF-8), but the
    reading goes on after a bad line, so a file with many problems is told about all of them at
    once. Memory stays bounded: at most ``limit`` problems are kept (the rest are counted), and a
    line is held only up to ``NERLIB_MAX_LINE_BYTES`` (:func:`nerlib.data.lines.scan_lines`).
    :func:`read_conll_stream` keeps stopping at the first problem (the command line's behaviour).

    Parameters
    ----------
    handle:
        A binary stream, read from where it stands.
    name:
        What to call it (an upload's file name).
    limit:
        The most problems kept with their line numbers.

    Returns
    -------
    ConllProblems
        The first ``limit`` problems, the total and the number of lines; empty (false) for a
        readable file. A file without any token line is one problem (line None).

    >>> import io
    >>> found = find_conll_problems(io.BytesIO(b"Paris B-LOC\\nRome\\nin O\\nBerlin LOC\\n"), "up.txt")
    >>> [str(p) for p in found.first], found.total
    (["line 2: expected a token and a tag, found 1 column(s): 'Rome'", "line 4: not an IOB tag: 'LOC' (expected O, B-TYPE or I-TYPE)"], 2)
    """
    found = ConllProblems(name=str(name))
    columns = 0
    tokens = 0

    def add(line: int | None, reason: str) -> None:
        found.total += 1
        if len(found.first) < limit:
            found.first.append(ConllProblem(line, reason))

    for number, raw_text, error in scan_lines(handle, name, skip_bom=True):
        found.lines = number
        if error is not None:
            add(number, error.reason if isinstance(error, LineTooLongError) else f"{error.reason}; save the file as UTF-8")
            continue
        text = raw_text.rstrip("\r\n")
        if not text.strip():
            continue
        cells = _split_columns(text)
        if cells[0] == DOCSTART:
            continue
        problem = token_line_problem(cells, text, columns)
        if problem is not None:
            add(number, problem)
            continue
        columns = columns or len(cells)
        tokens += 1
    if not tokens and not found.total:
        add(None, "no token lines: expected one word per line with its tag last")
    return found


def read_conll(path: str | Path) -> list[ConllSentence]:
    """Read a CoNLL file and return its sentences (IOB2 tags, document index, line numbers).

    Parameters
    ----------
    path:
        The CoNLL file.

    Returns
    -------
    list of ConllSentence
        The sentences in file order (see :func:`read_conll_file` for the file-level facts).

    Raises
    ------
    ConllFormatError
        For a line that cannot be read (see :func:`read_conll_file`).
    FileNotFoundError
        When the file does not exist.
    """
    return read_conll_file(path).sentences


def format_conll(rows: Iterable[Iterable[tuple[str, ...]]]) -> str:
    """CoNLL text: one line per token (columns joined by spaces), a blank line after each sentence.

    Parameters
    ----------
    rows:
        The sentences, each a sequence of column tuples (one tuple per token).

    Returns
    -------
    str
        The text, ending in a newline; ``""`` when there are no sentences.

    >>> print(format_conll([[("Paris", "B-LOC")], [("in", "O"), ("Rome", "B-LOC")]]), end="")
    Paris B-LOC
    <BLANKLINE>
    in O
    Rome B-LOC
    <BLANKLINE>
    """
    out: list[str] = []
    for sentence in rows:
        out.extend(" ".join(columns) for columns in sentence)
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def format_predictions(
    tokens: Sequence[Sequence[str]], gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> str:
    """``word gold predicted`` lines with a blank line after each sentence (conlleval's input).

    Parameters
    ----------
    tokens:
        The sentences' words.
    gold, predicted:
        One tag per word each, for every sentence.

    Returns
    -------
    str
        The CoNLL text (see :func:`format_conll`).

    Raises
    ------
    ValueError
        When the three disagree in the number of sentences or of words in a sentence.

    >>> print(format_predictions([["Paris", "rocks"]], [["B-LOC", "O"]], [["B-PER", "O"]]))
    Paris B-LOC B-PER
    rocks O O
    <BLANKLINE>
    """
    if not len(tokens) == len(gold) == len(predicted):
        raise ValueError(f"{len(tokens)} sentences of words but {len(gold)} of gold tags and {len(predicted)} "
                         "of predicted tags")
    for number, (words, gold_tags, pred_tags) in enumerate(zip(tokens, gold, predicted), start=1):
        if not len(words) == len(gold_tags) == len(pred_tags):
            raise ValueError(f"sentence {number}: {len(words)} words but {len(gold_tags)} gold tags and "
                             f"{len(pred_tags)} predicted tags")
    return format_conll(list(zip(*columns)) for columns in zip(tokens, gold, predicted))
