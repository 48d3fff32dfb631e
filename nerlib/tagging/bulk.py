"""Bulk tagging: large inputs streamed through a :class:`~nerlib.tagging.tagger.Tagger`, resumable after a
kill, and sharded over several processes (GPUs or CPU processes) with the output in input order.

Command line (``python -m nerlib tag`` with ``--file`` and ``--output``)::

    python -m nerlib tag -m runs/minilm --file news.txt --output news.jsonl          # one text per line
    python -m nerlib tag -m runs/minilm --file docs.jsonl --text-field body --output tagged.jsonl
    python -m nerlib tag -m runs/minilm --file docs.parquet --output tagged.jsonl --resume
    # one process per GPU (or, with --multi_gpu on a CPU machine, CPU processes over gloo)
    accelerate launch --multi_gpu --num_processes 2 -m nerlib tag -m runs/minilm --file docs.parquet --output tagged.jsonl

Python::

    from nerlib.tagging.bulk import BulkJob, run_bulk
    summary = run_bulk(tagger, BulkJob(source="docs.parquet", output="tagged.jsonl"))

Inputs: text lines (one text per line; empty lines give empty results), JSON lines with a text
field (``--text-field``, default ``text``), or Parquet with a text column (read in row batches).
The output has one JSON line per input record, in input order, as ``tag`` prints them.

How it stays bounded, resumable and ordered:

* records are read, tagged and written in **blocks** of ``block_size`` texts; memory holds one
  block at a time, whatever the input size;
* with ``N`` processes (``accelerate launch`` / ``torchrun`` set ``RANK``, ``WORLD_SIZE`` and
  ``LOCAL_RANK``), block ``b`` belongs to process ``b % N``; each process appends its blocks to
  its own part file in ``<output>.parts/`` and flushes after every block;
* a kill can leave at most a torn last line in a part: ``--resume`` cuts it off, counts the
  complete lines and skips that many of the process's records, so nothing is lost or repeated;
* when every part is complete, process 0 interleaves the parts block by block (which restores the
  input order) into a temporary file, renames it to ``<output>`` and removes the parts folder.
  ``<output>`` therefore only ever appears complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from nerlib.data.lines import open_regular, read_lines
from nerlib.runs.folder import write_json_atomic

__all__ = ["BulkError", "BulkJob", "BulkSummary", "Shard", "detect_format", "json_line", "line_records",
           "parquet_records", "read_texts", "run_bulk"]

FORMATS = ("text", "jsonl", "parquet")
META_FILE = "job.json"


class BulkError(ValueError):
    """A bulk tagging job cannot run as asked (bad input record, mismatched resume, ...)."""


@dataclass
class BulkJob:
    """What to tag and where.

    Attributes
    ----------
    source:
        The input file's path.
    output:
        The JSON lines file to write.
    format:
        ``text``, ``jsonl``, ``parquet`` or ``auto``: by extension (``.jsonl``/``.ndjson`` JSON
        lines, ``.parquet`` Parquet, anything else text lines; see :func:`detect_format`).
    text_field:
        The text field of JSON lines and the text column of Parquet.
    block_size:
        Texts per block.
    words:
        Also write every word.
    resume:
        Resume an interrupted job.
    """

    source: str
    output: str
    format: str = "auto"
    text_field: str = "text"
    block_size: int = 1024
    words: bool = False
    resume: bool = False


@dataclass(frozen=True)
class Shard:
    """This process's place among the processes of a job.

    Attributes
    ----------
    rank:
        This process's number, from 0.
    world:
        The number of processes.
    local_rank:
        Its number on this machine (picks its GPU, :func:`default_device`).
    """

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Shard:
        """The shard named by ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` in ``environ``.

        ``accelerate launch`` and ``torchrun`` set them; without them: one process. ``environ``
        defaults to ``os.environ``; ``LOCAL_RANK`` defaults to ``RANK``.

        Raises
        ------
        BulkError
            If ``RANK`` is not in ``0 .. WORLD_SIZE - 1``.

        >>> Shard.from_env({}), Shard.from_env({"RANK": "1", "WORLD_SIZE": "2"})
        (Shard(rank=0, world=1, local_rank=0), Shard(rank=1, world=2, local_rank=1))
        """
        env = os.environ if environ is None else environ
        world = int(env.get("WORLD_SIZE", "1"))
        rank = int(env.get("RANK", "0"))
        if not 0 <= rank < world:
            raise BulkError(f"RANK={rank} is outside 0..{world - 1}")
        return cls(rank, world, int(env.get("LOCAL_RANK", str(rank))))

    def owns(self, block: int) -> bool:
        """Whether block number ``block`` is this process's.

        >>> [Shard(1, 2).owns(block) for block in range(4)]
        [False, True, False, True]
        """
        return block % self.world == self.rank


@dataclass
class BulkSummary:
    """What one process did.

    Attributes
    ----------
    rank, world:
        The process's :class:`Shard`.
    records, words:
        Records and words it tagged in this call.
    skipped:
        Records it skipped because an earlier call had done them.
    seconds:
        Its seconds.
    merged:
        Whether it wrote the merged output.
    output:
        The output file (``-``: standard output).
    """

    rank: int
    world: int
    records: int = 0
    words: int = 0
    skipped: int = 0
    seconds: float = 0.0
    merged: bool = False
    output: str = ""

    @property
    def words_per_s(self) -> float:
        """Words tagged per second (0 before any time has passed)."""
        return self.words / self.seconds if self.seconds else 0.0


# ---------------------------------------------------------------------------------------------
# reading


def detect_format(path: str, format: str = "auto") -> str:
    """Return the input format of a file.

    Parameters
    ----------
    path:
        The input file.
    format:
        ``auto``: by ``path``'s extension (``.jsonl``/``.ndjson`` JSON lines, ``.parquet``/``.pq``
        Parquet, anything else text lines); anything else wins over the extension.

    Returns
    -------
    str
        ``text``, ``jsonl`` or ``parquet``.

    Raises
    ------
    BulkError
        For a ``format`` that is none of those nor ``auto``.

    >>> detect_format("news.ndjson"), detect_format("news.txt"), detect_format("news.txt", "jsonl")
    ('jsonl', 'text', 'jsonl')
    """
    if format != "auto":
        if format not in FORMATS:
            raise BulkError(f"unknown input format {format!r} (choose {', '.join(FORMATS)} or auto)")
        return format
    suffix = Path(path).suffix.lower()
    return {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}.get(suffix, "text")


def read_texts(path: str, format: str = "auto", text_field: str = "text") -> Iterator[str]:
    """Yield the texts of ``path`` one by one, in order, never holding the whole file.

    Parameters
    ----------
    path:
        The input file.
    format:
        ``text``, ``jsonl``, ``parquet`` or ``auto`` (see :func:`detect_format`).
    text_field:
        The text field of JSON lines, the text column of Parquet.

    Yields
    ------
    str
        Each record's text: a text line without its line break, a JSON line's ``text_field``, or
        a Parquet row's text (a missing or null text gives an empty text).

    Raises
    ------
    BulkError
        Naming the file and line (JSON lines) or the columns (Parquet) when a record has no usable
        text, and for an unknown ``format``.
    nerlib.errors.InputError
        Naming the file and line, for a line that is not UTF-8 or is longer than
        ``NERLIB_MAX_LINE_BYTES`` (:func:`nerlib.data.lines.read_lines`); also for a FIFO or device.
    IsADirectoryError
        For a folder.
    """
    kind = detect_format(path, format)
    if kind == "parquet":
        for _, text in parquet_records(path, path, text_field):
            yield text
        return
    with open_regular(path) as handle:
        for _, text in line_records(handle, path, kind, text_field):
            yield text


def line_records(handle: BinaryIO, name: str, kind: str, text_field: str = "text") -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of each record of a text-lines or JSON-lines stream, in order.

    The one reading of line-based input that both engines share (:func:`read_texts` here, the
    Ray engine's datasource), so that both see the same records and raise the same errors.

    Parameters
    ----------
    handle:
        The binary stream (anything with ``readline(size)``).
    name:
        What to call it in messages (its path).
    kind:
        ``text`` or ``jsonl``.
    text_field:
        The text field of JSON lines.

    Yields
    ------
    tuple of (int, str)
        The record's line number (a lone ``\\r`` also ends a text line, so numbers count records)
        and its text.

    Raises
    ------
    BulkError
        Naming the file and line for an empty, non-JSON or textless JSON line.
    nerlib.errors.InputError
        Naming the file and line for a line that is not UTF-8 or is too long.

    >>> import io
    >>> list(line_records(io.BytesIO(b'{"text": "Paris"}\\n{"text": ""}\\n'), "in.jsonl", "jsonl"))
    [(1, 'Paris'), (2, '')]
    """
    for number, line in read_lines(handle, name, split_cr=True):
        if kind == "text":
            yield number, line
            continue
        if not line.strip():
            raise BulkError(f"{name}:{number}: empty line; every line must be a JSON object with a "
                            f"{text_field!r} field")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise BulkError(f"{name}:{number}: not valid JSON ({error.msg} at column {error.colno})") from None
        text = record.get(text_field) if isinstance(record, dict) else None
        if not isinstance(text, str):
            found = f"fields {sorted(record)[:8]}" if isinstance(record, dict) else type(record).__name__
            raise BulkError(f"{name}:{number}: no string field {text_field!r} (found {found}); "
                            "choose the field with --text-field")
        yield number, text


def parquet_records(source: Any, name: str, column: str) -> Iterator[tuple[int, str]]:
    """``(row number, text)`` of each row of a Parquet file, from 1, read in row batches.

    Parameters
    ----------
    source:
        The file's path, or an open random-access file (a pyarrow ``NativeFile``).
    name:
        What to call it in messages (its path).
    column:
        The text column; a null gives an empty text.

    Yields
    ------
    tuple of (int, str)
        The row number and its text.

    Raises
    ------
    BulkError
        Naming the file for one that is not Parquet, lacks the column, or holds non-text in it.
    """
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source)
    except Exception as error:  # pyarrow raises its own ArrowInvalid and OSError kinds
        raise BulkError(f"{name}: not a readable Parquet file ({error})") from None
    names = parquet.schema_arrow.names
    if column not in names:
        raise BulkError(f"{name}: no column {column!r} (columns: {', '.join(names[:12])}); choose it with --text-field")
    number = 0
    for batch in parquet.iter_batches(batch_size=4096, columns=[column]):
        for value in batch.column(0).to_pylist():
            number += 1
            if value is not None and not isinstance(value, str):
                raise BulkError(f"{name}: row {number}: column {column!r} holds {type(value).__name__}, not text")
            yield number, value or ""


def json_line(tagged: Any, words: bool = False) -> str:
    """One output line of ``tag`` for a tagged text: its JSON (non-ASCII kept) and a line break.

    Both engines write exactly these bytes, so their outputs are identical.

    >>> from nerlib.tagging.decoding import TaggedText
    >>> json_line(TaggedText("Zürich", [], []))
    '{"text": "Zürich", "entities": []}\\n'
    """
    return json.dumps(tagged.to_dict(words=words), ensure_ascii=False) + "\n"


def count_records(path: str, format: str = "auto") -> int:
    """Number of records of ``path``, for the progress bar.

    Parameters
    ----------
    path:
        The input file.
    format:
        As in :func:`read_texts`.

    Returns
    -------
    int
        From the Parquet metadata, else a fast count of line breaks (plus a last line without one).
    """
    if detect_format(path, format) == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    count, last = 0, b"\n"
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


# ---------------------------------------------------------------------------------------------
# the parts folder


def parts_dir(output: str) -> Path:
    """The folder holding the part files of an unfinished job writing ``output``."""
    return Path(f"{output}.parts")


def part_path(output: str, shard: Shard) -> Path:
    """The part file of one process of a job.

    Parameters
    ----------
    output:
        The job's output file.
    shard:
        The process.

    Returns
    -------
    pathlib.Path
        Its file in :func:`parts_dir`.

    >>> part_path("tagged.jsonl", Shard(1, 2)).as_posix()
    'tagged.jsonl.parts/part-00001-of-00002.jsonl'
    """
    return parts_dir(output) / f"part-{shard.rank:05d}-of-{shard.world:05d}.jsonl"


def _done_path(output: str, shard: Shard) -> Path:
    return part_path(output, shard).with_suffix(".done")


def _job_meta(job: BulkJob, shard: Shard, model: str) -> dict[str, Any]:
    source = Path(job.source).resolve()
    stat = source.stat()
    return {"source": str(source), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "format": detect_format(job.source, job.format), "text_field": job.text_field,
            "block_size": job.block_size, "words": job.words, "world": shard.world, "model": model}


def _check_meta(folder: Path, expected: dict[str, Any]) -> None:
    try:
        saved = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return  # killed before the description was written: nothing of it can be in the parts
    except json.JSONDecodeError:
        raise BulkError(f"{folder / META_FILE} is damaged; delete {folder} to start over") from None
    differing = [key for key in expected if saved.get(key) != expected[key]]
    if differing:
        details = "; ".join(f"{key}: was {saved.get(key)!r}, now {expected[key]!r}" for key in differing)
        hint = " (run with the same number of processes)" if "world" in differing else ""
        raise BulkError(f"cannot resume {folder}: the job differs ({details}){hint}; delete {folder} to start over")


def _complete_lines(path: Path) -> int:
    """Cut a torn last line off ``path`` (left by a kill) and return its number of complete lines."""
    if not path.exists():
        return 0
    with open(path, "rb+") as handle:
        data = handle.read()
        keep = data.rfind(b"\n") + 1
        if keep != len(data):
            handle.truncate(keep)
    return data.count(b"\n", 0, keep)


# ---------------------------------------------------------------------------------------------
# running


def _blocks(texts: Iterator[str], block_size: int, *, partial_on_error: bool = False) -> Iterator[tuple[int, list[str]]]:
    """``(block number, texts)`` over ``texts`` cut into blocks of ``block_size``.

    With ``partial_on_error``, an error while reading first yields the texts read before it (so
    that their results are written), then is raised.
    """
    block: list[str] = []
    number = 0
    failure: Exception | None = None
    iterator = iter(texts)
    while True:
        try:
            text = next(iterator)
        except StopIteration:
            break
        except Exception as error:
            if not partial_on_error:
                raise
            failure = error
            break
        block.append(text)
        if len(block) == block_size:
            yield number, block
            block, number = [], number + 1
    if block:
        yield number, block
    if failure is not None:
        raise failure


def run_bulk(tagger: Any, job: BulkJob, shard: Shard | None = None, *, model: str = "",
             progress: Callable[[int], None] | None = None, log: TextIO | None = None) -> BulkSummary:
    """Tag ``job.source`` into ``job.output`` as one process of the job.

    Every process runs this with the same job; each tags its blocks into its part file, and the
    process of rank 0 merges the parts once all are complete (waiting for the others).

    Parameters
    ----------
    tagger:
        A :class:`~nerlib.tagging.tagger.Tagger` (anything with its ``tag_many``).
    job:
        What to tag and where.
    shard:
        This process; default from the environment (:meth:`Shard.from_env`).
    model:
        Names the checkpoint in the job description, so that ``resume`` refuses another model.
    progress:
        Called as ``progress(records)`` after each block.
    log:
        Where process 0 says which processes it waits for; ``None``: nowhere.

    Returns
    -------
    BulkSummary
        What this process did.

    Raises
    ------
    BulkError
        For unusable input, a block size below 1, an unfinished job without ``resume``, or a resume
        that does not match the job.
    """
    shard = shard or Shard.from_env()
    if job.block_size < 1:
        raise BulkError(f"block size must be at least 1, not {job.block_size}")
    folder = parts_dir(job.output)
    part, done = part_path(job.output, shard), _done_path(job.output, shard)
    meta = _job_meta(job, shard, model)
    if job.resume:
        _check_meta(folder, meta)
    elif part.exists() or done.exists():
        raise BulkError(f"{folder} holds an unfinished job writing {job.output}: pass --resume to continue "
                        f"it, or delete {folder} to start over")
    new_folder = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    if shard.rank == 0:
        write_json_atomic(folder / META_FILE, meta)

    summary = BulkSummary(shard.rank, shard.world, output=job.output)
    started = time.perf_counter()
    if not done.exists():
        skip = _complete_lines(part)
        summary.skipped = skip
        with _parts_left_only_when_written(folder, part, shard, remove=new_folder), \
                open(part, "a", encoding="utf-8") as out:
            mine = 0  # records of this process seen so far
            for number, block in _blocks(read_texts(job.source, job.format, job.text_field), job.block_size):
                if not shard.owns(number):
                    continue
                todo = block[max(0, skip - mine):]
                mine += len(block)
                if not todo:
                    if progress is not None:
                        progress(len(block))
                    continue
                tagged = tagger.tag_many(todo)
                out.write("".join(json_line(t, job.words) for t in tagged))
                out.flush()  # a kill now loses nothing written so far
                summary.records += len(todo)
                summary.words += sum(len(t.words) for t in tagged)
                if progress is not None:
                    progress(len(block))
        done.touch()
    summary.seconds = time.perf_counter() - started
    if shard.rank == 0:
        _wait_for_parts(job.output, shard.world, log)
        _merge(job.output, shard.world, job.block_size)
        summary.merged = True
    return summary


@contextlib.contextmanager
def _parts_left_only_when_written(folder: Path, part: Path, shard: Shard, *, remove: bool) -> Iterator[None]:
    """On an error before this process wrote a record, remove what this call created: its empty
    part, the job description (process 0) and the parts folder once empty, so that a failed job
    leaves nothing behind; once a record is written the parts stay, for ``--resume``."""
    try:
        yield
    except BaseException:
        if remove and (not part.exists() or part.stat().st_size == 0):
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)
                if shard.rank == 0:
                    (folder / META_FILE).unlink(missing_ok=True)
                folder.rmdir()  # fails, and is left, while another process's part is in it
        raise


def _wait_for_parts(output: str, world: int, log: TextIO | None, poll: float = 0.2) -> None:
    """Wait until every process's part is complete (the launcher stops all if one fails)."""
    waiting = [r for r in range(world) if not _done_path(output, Shard(r, world)).exists()]
    if waiting and log is not None:
        print(f"waiting for process(es) {waiting} to finish their parts", file=log)
    while waiting:
        time.sleep(poll)
        waiting = [r for r in waiting if not _done_path(output, Shard(r, world)).exists()]


def _merge(output: str, world: int, block_size: int) -> None:
    """Interleave the parts block by block into ``output`` (input order), then remove the parts."""
    folder = parts_dir(output)
    temp = Path(output).with_name(f".{Path(output).name}.{os.getpid()}.tmp")
    handles = [open(part_path(output, Shard(r, world)), encoding="utf-8") for r in range(world)]
    try:
        with open(temp, "w", encoding="utf-8") as out:
            block = 0
            while True:
                source = handles[block % world]
                lines = [line for _, line in zip(range(block_size), source)]
                out.writelines(lines)
                if len(lines) < block_size:  # the last, short block (or none): all parts are spent
                    break
                block += 1
    finally:
        for handle in handles:
            handle.close()
    os.replace(temp, output)
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()


def default_device(shard: Shard) -> str | None:
    """``cuda:<local rank>`` for each process when GPUs are visible (one GPU per process), else
    None (the Tagger's default)."""
    import torch

    if torch.cuda.is_available():
        return f"cuda:{shard.local_rank % torch.cuda.device_count()}"
    return None


def summary_line(summary: BulkSummary) -> str:
    """One line for standard error: what this process did and its speed.

    >>> summary_line(BulkSummary(0, 1, records=2, words=10, seconds=2.0, merged=True, output="out.jsonl"))
    'process 1/1: 2 texts, 10 words in 2.00 s (5 words/s); wrote out.jsonl'
    """
    parts = [f"process {summary.rank + 1}/{summary.world}: {summary.records} texts, {summary.words} words "
             f"in {summary.seconds:.2f} s ({summary.words_per_s:,.0f} words/s)"]
    if summary.skipped:
        parts.append(f"{summary.skipped} texts done before (resumed)")
    if summary.merged:
        parts.append(f"wrote {summary.output}")
    return "; ".join(parts)


def _stdout_bulk(tagger: Any, job: BulkJob, stdout: TextIO) -> BulkSummary:
    """Stream ``job.source`` to ``stdout`` (one process, nothing to resume)."""
    summary = BulkSummary(0, 1, output="-")
    started = time.perf_counter()
    texts = read_texts(job.source, job.format, job.text_field)
    for _, block in _blocks(texts, job.block_size, partial_on_error=True):  # results before a bad line go out
        tagged = tagger.tag_many(block)
        stdout.write("".join(json_line(t, job.words) for t in tagged))
        stdout.flush()
        summary.records += len(block)
        summary.words += sum(len(t.words) for t in tagged)
    summary.seconds = time.perf_counter() - started
    return summary

