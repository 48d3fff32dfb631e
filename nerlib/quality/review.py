"""The review of label issues: decisions in an append-only file, and the corrected CoNLL export.

A reviewer decides, sentence by sentence: ``accept`` the suggested tags, ``keep`` the given ones,
or ``edit`` the tags by hand. Each decision is appended at once, as one JSON line, to a review file
beside the run (``RUN/quality/<source>.review.jsonl``; never into the source data). The append
holds an exclusive lock, so two browser tabs (or processes) deciding at the same time both land;
when a sentence is decided twice, the **last** line wins. Every line records the SHA-256 of the
source file it was made against: after the source changes, those decisions are *stale*; they are
reported, and the export refuses them unless told to leave them out.

:func:`export_corrected` writes the source file with the accepted tags, byte for byte the same
elsewhere: only the tag column of a changed word changes (in the file's own scheme, IOB1 or IOB2).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> source = folder / "news.txt"
>>> _ = source.write_bytes(b"-DOCSTART- O\\n\\nWales\\tB-ORG\\nwon\\tO\\n\\nRome\\tB-LOC\\n")
>>> review = ReviewFile(folder / "news.review.jsonl", source)
>>> _ = review.record(0, "accept", ["B-LOC", "O"])
>>> _ = review.record(1, "keep", ["B-LOC"])
>>> sorted(review.state().current)
[0, 1]
>>> summary = export_corrected(source, review.state(), folder / "fixed.txt")
>>> (folder / "fixed.txt").read_bytes()
b'-DOCSTART- O\\n\\nWales\\tB-LOC\\nwon\\tO\\n\\nRome\\tB-LOC\\n'
>>> summary.sentences, summary.words
(1, 1)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from nerlib.data.conll import DOCSTART, _split_columns, read_conll_file
from nerlib.data.labels import split_tag, to_iob2
from nerlib.data.lines import BOM, open_regular, read_lines
from nerlib.errors import InputError, quote

__all__ = [
    "DECISIONS",
    "Decision",
    "ExportSummary",
    "ReviewFile",
    "ReviewFileError",
    "ReviewState",
    "StaleReviewError",
    "export_corrected",
    "file_sha256",
    "review_path",
]

#: what a reviewer can decide about a sentence
DECISIONS = ("accept", "keep", "edit")
REVIEW_SUFFIX = ".review.jsonl"
QUALITY_FOLDER = "quality"  # inside a run folder: issues, reviews, K-fold runs


class ReviewFileError(InputError):
    """A review file has a line that cannot be read (broken by hand?); names the file and line."""


class StaleReviewError(ValueError):
    """Decisions were made against another version of the source file (its checksum differs)."""


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes, in hex (how a review names the version of its source)."""
    digest = hashlib.sha256()
    with open_regular(path) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def review_path(run_dir: str | os.PathLike, source: str | os.PathLike) -> Path:
    """Where the review of ``source`` made with the run ``run_dir`` lives:
    ``run_dir/quality/<source file name>.review.jsonl``.

    >>> review_path("runs/minilm", "/data/conllpp_dev.txt").as_posix()
    'runs/minilm/quality/conllpp_dev.txt.review.jsonl'
    """
    return Path(run_dir) / QUALITY_FOLDER / (Path(source).name + REVIEW_SUFFIX)


@dataclass
class Decision:
    """One line of a review file.

    Attributes
    ----------
    sentence:
        The sentence's 0-based index in the source (as :func:`nerlib.data.conll.read_conll`
        counts).
    decision:
        One of :data:`DECISIONS`.
    tags:
        The sentence's IOB2 tags after the decision (the given ones for ``keep``).
    source_sha256:
        The checksum of the source file the decision was made against.
    at:
        When (UTC, ISO 8601).
    line:
        Its line in the review file (1-based; not written).
    """

    sentence: int
    decision: str
    tags: list[str]
    source_sha256: str
    at: str = ""
    line: int = 0


@dataclass
class ReviewState:
    """The decisions in force: the last per sentence, split by the source version they were made on.

    Attributes
    ----------
    current:
        Sentence -> its last decision, made against the source as it is now.
    stale:
        Sentence -> its last decision, made against another version of the source.
    source_sha256:
        The source's checksum now.
    """

    current: dict[int, Decision] = field(default_factory=dict)
    stale: dict[int, Decision] = field(default_factory=dict)
    source_sha256: str = ""

    @property
    def reviewed(self) -> int:
        """How many sentences have a decision in force."""
        return len(self.current)


@contextlib.contextmanager
def _locked(handle) -> Iterator[None]:
    """Hold an exclusive lock on an open file (where the OS has ``fcntl``; elsewhere a single
    ``O_APPEND`` write of one line is the guarantee)."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock
        yield
        return
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class ReviewFile:
    """The review file of one source file (see the module docstring).

    Parameters
    ----------
    path:
        The review file (created with its folder on the first decision).
    source:
        The CoNLL file under review; its checksum is taken once, here.
    """

    def __init__(self, path: str | os.PathLike, source: str | os.PathLike):
        self.path = Path(path)
        self.source = Path(source)
        self.source_sha256 = file_sha256(self.source)

    def record(self, sentence: int, decision: str, tags: Sequence[str]) -> Decision:
        """Append one decision (locked, flushed and synced before returning).

        Parameters
        ----------
        sentence:
            The sentence's index in the source.
        decision:
            One of :data:`DECISIONS`.
        tags:
            The sentence's tags after the decision (IOB1 or IOB2; stored as IOB2).

        Returns
        -------
        Decision
            What was written.

        Raises
        ------
        ValueError
            For an unknown decision, a negative sentence or a tag that is not an IOB tag.
        """
        if decision not in DECISIONS:
            raise ValueError(f"decision {decision!r}: use one of {', '.join(DECISIONS)}")
        if int(sentence) < 0:
            raise ValueError(f"sentence {sentence}: must be 0 or more")
        entry = Decision(sentence=int(sentence), decision=decision, tags=to_iob2(list(tags)),
                         source_sha256=self.source_sha256,
                         at=datetime.now(UTC).isoformat(timespec="seconds"))
        line = json.dumps({k: v for k, v in asdict(entry).items() if k != "line"}, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as handle, _locked(handle):
            handle.write(line.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        return entry

    def decisions(self) -> list[Decision]:
        """Every decision in the file, in file order (an absent file has none).

        Raises
        ------
        ReviewFileError
            Naming the line, for a line that is not a JSON object of a decision.
        """
        if not self.path.exists():
            return []
        found = []
        with open_regular(self.path) as handle:
            for number, text in read_lines(handle, self.path):
                if not text.strip():
                    continue
                found.append(_parse_decision(text, self.path, number))
        return found

    def state(self) -> ReviewState:
        """The decisions in force: the last per sentence, current or stale (see :class:`ReviewState`)."""
        state = ReviewState(source_sha256=self.source_sha256)
        for entry in self.decisions():
            state.current.pop(entry.sentence, None)
            state.stale.pop(entry.sentence, None)
            (state.current if entry.source_sha256 == self.source_sha256 else state.stale)[entry.sentence] = entry
        return state


def _parse_decision(text: str, path: Path, number: int) -> Decision:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReviewFileError(path, number, f"not a JSON line ({error.msg}): {quote(text)}") from None
    if not isinstance(data, dict):
        raise ReviewFileError(path, number, f"expected a JSON object, found {type(data).__name__}: {quote(text)}")
    problems = []
    if not isinstance(data.get("sentence"), int) or isinstance(data.get("sentence"), bool) or data["sentence"] < 0:
        problems.append("'sentence' must be a whole number >= 0")
    if data.get("decision") not in DECISIONS:
        problems.append(f"'decision' must be one of {', '.join(DECISIONS)}")
    tags = data.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        problems.append("'tags' must be a list of tags")
    else:
        try:
            for tag in tags:
                split_tag(tag)
        except ValueError as error:
            problems.append(f"'tags': {error}")
    if not isinstance(data.get("source_sha256"), str):
        problems.append("'source_sha256' must be a string")
    if problems:
        raise ReviewFileError(path, number, "; ".join(problems))
    return Decision(sentence=data["sentence"], decision=data["decision"], tags=to_iob2(tags),
                    source_sha256=data["source_sha256"], at=str(data.get("at", "")), line=number)


def _to_iob1(tags: Sequence[str]) -> list[str]:
    """IOB2 tags in IOB1: ``I-`` everywhere, ``B-`` only where an entity follows one of its type.

    >>> _to_iob1(["B-PER", "I-PER", "B-PER", "O", "B-LOC"])
    ['I-PER', 'I-PER', 'B-PER', 'O', 'I-LOC']
    """
    result, previous = [], "O"
    for tag in tags:
        prefix, kind = split_tag(tag)
        if prefix == "O":
            result.append("O")
        elif prefix == "B" and split_tag(previous)[1] == kind and previous != "O":
            result.append(f"B-{kind}")
        else:
            result.append(f"I-{kind}")
        previous = tag
    return result


@dataclass
class ExportSummary:
    """What :func:`export_corrected` changed.

    Attributes
    ----------
    path:
        The file written.
    sentences:
        Sentences whose tags changed.
    words:
        Words whose tag changed.
    left_out:
        Stale decisions left out (``skip_stale``).
    """

    path: Path
    sentences: int
    words: int
    left_out: int = 0


_LAST_CELL = re.compile(r"(\S+)(\s*)$")


def export_corrected(source: str | os.PathLike, state: ReviewState, output: str | os.PathLike, *,
                     skip_stale: bool = False) -> ExportSummary:
    """Write ``source`` with the decisions of ``state`` applied, identical byte for byte elsewhere.

    Parameters
    ----------
    source:
        The CoNLL file the review was made on.
    state:
        :meth:`ReviewFile.state`.
    output:
        Where to write (not the source itself: the source is never changed).
    skip_stale:
        Leave out decisions made against another version of the source instead of refusing.

    Returns
    -------
    ExportSummary
        The changed sentences and words.

    Raises
    ------
    StaleReviewError
        When ``state`` has stale decisions (and ``skip_stale`` is off), or the source's checksum
        is no longer the one the review state was read against.
    ValueError
        When ``output`` is the source, or a decision's tags do not fit its sentence.
    """
    source, output = Path(source), Path(output)
    if output.exists() and output.resolve() == source.resolve():
        raise ValueError(f"{output}: is the source file; export to another file (the source is never changed)")
    if state.stale and not skip_stale:
        raise StaleReviewError(
            f"{len(state.stale)} decision(s) were made against another version of {source} (its checksum changed "
            f"since; sentences {', '.join(map(str, sorted(state.stale)[:10]))}); review them again, or export "
            "without them")
    data = source.read_bytes()
    if hashlib.sha256(data).hexdigest() != state.source_sha256:
        raise StaleReviewError(f"{source} changed after the review was read; reload the review and export again")
    parsed = read_conll_file(source)
    sentences = parsed.sentences
    new_tags: dict[int, list[str]] = {}
    for index, entry in state.current.items():
        if index >= len(sentences):
            raise ValueError(f"review line {entry.line}: sentence {index}, but {source} has {len(sentences)}")
        if len(entry.tags) != len(sentences[index].tokens):
            raise ValueError(f"review line {entry.line}: {len(entry.tags)} tags for sentence {index} of "
                             f"{len(sentences[index].tokens)} words")
        if entry.tags != sentences[index].ner_tags:
            new_tags[index] = _to_iob1(entry.tags) if parsed.scheme == "IOB1" else list(entry.tags)

    out, sentence, word, changed_words = [], 0, 0, 0
    in_sentence = False
    for number, raw in enumerate(_split_keep_newline(data)):
        body = raw[len(BOM):] if number == 0 and raw.startswith(BOM) else raw
        prefix, newline = raw[: len(raw) - len(body)], b"\n" if body.endswith(b"\n") else b""
        text = body[: len(body) - len(newline)].decode("utf-8")
        text_body = text.rstrip("\r")  # as the CoNLL reader reads the line
        trailing_cr = text[len(text_body):]
        cells = _split_columns(text_body) if text_body.strip() else []
        if not cells or cells[0] == DOCSTART:
            if in_sentence:
                sentence, word, in_sentence = sentence + 1, 0, False
            out.append(raw)
            continue
        in_sentence = True
        if sentence in new_tags and new_tags[sentence][word] != cells[-1]:
            match = _LAST_CELL.search(text_body)
            text_body = text_body[: match.start(1)] + new_tags[sentence][word] + text_body[match.end(1):]
            out.append(prefix + (text_body + trailing_cr).encode("utf-8") + newline)
            changed_words += 1
        else:
            out.append(raw)
        word += 1
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(output.name + ".partial")
    temporary.write_bytes(b"".join(out))
    os.replace(temporary, output)
    return ExportSummary(path=output, sentences=len(new_tags), words=changed_words, left_out=len(state.stale))


def _split_keep_newline(data: bytes) -> list[bytes]:
    """``data`` cut after every ``\\n`` only (a lone ``\\r`` stays inside its line, as the CoNLL
    reader reads it)."""
    pieces = data.split(b"\n")
    lines = [piece + b"\n" for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines
