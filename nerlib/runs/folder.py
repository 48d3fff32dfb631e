"""Run records: what a training run writes to its folder, and the readers the dashboard uses.

A run directory (``$NERLIB_RUNS_DIR/<name>/``, default ``./runs/<name>/``) holds::

    run.json              the full config, label names, library versions, git commit, device, start time
    metrics.jsonl         one JSON line per evaluation (validation every epoch / every N steps, test at the end)
    progress.json         live state of the process (status, step, ETA), rewritten every few seconds
    checkpoints/<name>/   one folder per saved checkpoint (``epoch-1``, ``step-500``, ...) and ``best``
    predictions/{validation,test}.conll   the best checkpoint's predictions: ``word gold predicted``

Every JSON file is written to a temporary name and renamed, so a reader never sees half a file.
A checkpoint folder is complete when it holds ``checkpoint.json`` (written last, inside a temporary
folder that is then renamed); anything else under ``checkpoints/`` is ignored.
Every record is read bounded (:func:`open_record`: regular files only, at most
``NERLIB_MAX_LINE_BYTES`` per file or line) and validated against its schema in
:mod:`nerlib.runs.schemas`; a record that fails raises :class:`RunFileError` naming the file, line
and field, and :func:`load_run` / :func:`list_runs` turn it into a ``damaged`` run.
This module imports neither torch nor transformers.

Why one module of this length: the folder format is one concept, and its writers and readers are
kept side by side so that each file's layout is defined once (what is written is what is read);
about two thirds of it is docstrings. What a training run writes while it runs (run.json,
progress.json, checkpoints with the training state) is `nerlib.runs.records`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Sequence

from pydantic import ValidationError

from nerlib import settings
from nerlib.errors import file_kind
from nerlib.data.conll import format_predictions
from nerlib.runs.schemas import (
    STATUSES,
    CheckpointRecord,
    MetricsLine,
    ProgressRecord,
    RunRecord,
    describe_error,
)

FORMAT_VERSION = 1

RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
PROGRESS_FILE = "progress.json"
CHECKPOINTS_DIR = "checkpoints"
PREDICTIONS_DIR = "predictions"
CHECKPOINT_FILE = "checkpoint.json"  # written last: its presence marks a complete checkpoint
TRAINING_STATE_DIR = "training_state"  # optimizer, scheduler, RNG: what --resume needs
BEST = "best"
TEMP_PREFIX = ".tmp-"

# How far in the future a progress.json's ``updated_at`` may lie (another host's clock running a
# little ahead) and still count as a live process; beyond it the file is not believed.
CLOCK_SKEW_S = 60.0
# How much of an offending line an error message quotes.
QUOTE_CHARS = 80


# ---------------------------------------------------------------------------------------------
# Low-level writing


def default_runs_dir() -> Path:
    """The runs folder: ``$NERLIB_RUNS_DIR`` if set, else ``./runs``."""
    return settings.runs_dir()


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """Write ``data`` as JSON to ``path`` through a temporary file and a rename.

    Parameters
    ----------
    path:
        The file to write; its folder is created if missing.
    data:
        Anything ``json`` writes, plus paths, numpy/torch scalars and dataclasses; indented by 2.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    TypeError
        For a value that cannot be written as JSON (nothing is written).
    """
    return write_text_atomic(path, json.dumps(data, indent=2, default=_json_default) + "\n")


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A reader never sees half a file; on any failure (disk full, Ctrl-C) the temporary file is
    removed and the error raised again.

    Parameters
    ----------
    path:
        The file to write; its folder is created if missing.
    text:
        The text, written as UTF-8.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{TEMP_PREFIX}{path.name}.{os.getpid()}")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except BaseException:  # disk full, killed by Ctrl-C: leave no half-written temp file behind
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return path


def _overwrite_in_place(path: Path, text: str) -> None:
    """Rewrite an existing small file in place: it reuses the file's blocks, so it works on a full
    disk where a new temporary file cannot be written (a reader may see a torn file meanwhile)."""
    data = text.encode("utf-8")
    with open(path, "r+b") as handle:
        handle.write(data)
        handle.truncate(len(data))
        handle.flush()
        os.fsync(handle.fileno())


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class RunFileError(ValueError):
    """A run file (run.json, progress.json, metrics.jsonl) exists but cannot be read; the message
    names the file and what is wrong. :func:`list_runs` shows such a run as ``damaged``."""


def quote_line(text: str | bytes, limit: int = QUOTE_CHARS) -> str:
    """``repr`` of at most ``limit`` characters of an offending line (a hostile line may be huge).

    >>> quote_line("x" * 200, limit=10)
    "'xxxxxxxxxx'... (200 characters)"
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} {'bytes' if isinstance(text, bytes) else 'characters'})"


def open_record(path: Path) -> BinaryIO | None:
    """Open a run record for reading in binary, refusing anything but a regular file.

    The file is checked with ``os.stat`` (links followed) before it is opened, so a FIFO, a device
    (a link to /dev/zero) or a folder named like a record is refused at once, never read; it is then
    opened non-blocking and checked again on the open descriptor (it may have been swapped).

    Parameters
    ----------
    path:
        The record file.

    Returns
    -------
    BinaryIO or None
        The open file; None when it does not exist.

    Raises
    ------
    RunFileError
        When it is not a regular file, or cannot be opened.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise RunFileError(f"{path} is unreadable: {error}") from error
    if not stat.S_ISREG(info.st_mode):
        raise RunFileError(f"{path} is {file_kind(info.st_mode)}, not a regular file; refused without reading it")
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None
    except OSError as error:
        raise RunFileError(f"{path} is unreadable: {error}") from error
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise RunFileError(f"{path} is {file_kind(mode)}, not a regular file; refused without reading it")
    return os.fdopen(descriptor, "rb")


def read_json_record(path: Path) -> dict[str, Any] | None:
    """The JSON object in a record file, read bounded (see :func:`open_record`).

    Parameters
    ----------
    path:
        The file (run.json, progress.json, checkpoint.json, a checkpoint's config.json).

    Returns
    -------
    dict or None
        The object; None when the file does not exist.

    Raises
    ------
    RunFileError
        When it is no regular file, larger than ``settings.max_line_bytes()``, unreadable, not
        JSON, or JSON but not an object.
    """
    limit = settings.max_line_bytes()
    handle = open_record(path)
    if handle is None:
        return None
    try:
        with handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise RunFileError(f"{path} is unreadable: {error}") from error
    if len(data) > limit:
        raise RunFileError(f"{path} is larger than {limit} bytes ({settings.MAX_LINE_BYTES_ENV}); refused")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RunFileError(f"{path} is unreadable: {error}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise RunFileError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise RunFileError(f"{path} holds a JSON {type(data).__name__}, not an object")
    return data


def _validate(schema, data: dict[str, Any], where: str):
    """``schema.model_validate(data)``, a failure raised as a :class:`RunFileError` naming
    ``where`` (the file, and line) and the fields."""
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise RunFileError(f"{where}: {describe_error(error)}") from None


# ---------------------------------------------------------------------------------------------
# run.json


def write_run_config(run_dir: str | Path, config: dict[str, Any]) -> Path:
    """Write ``run.json`` atomically.

    Parameters
    ----------
    run_dir:
        The run folder.
    config:
        The run's configuration; ``format_version`` is added in front.

    Returns
    -------
    Path
        The path of ``run.json``.
    """
    return write_json_atomic(Path(run_dir) / RUN_FILE, {"format_version": FORMAT_VERSION, **config})


def read_run_config(run_dir: str | Path) -> dict[str, Any]:
    """The contents of ``run.json``.

    Parameters
    ----------
    run_dir:
        The run folder.

    Returns
    -------
    dict
        The JSON object.

    Raises
    ------
    FileNotFoundError
        If the folder is no run (no ``run.json``).
    RunFileError
        If its ``run.json`` is damaged: no regular file, too large, unreadable, not a JSON object,
        or a field of the wrong type (:class:`nerlib.runs.schemas.RunRecord`); the message names
        the field.
    """
    path = Path(run_dir) / RUN_FILE
    data = read_json_record(path)
    if data is None:
        raise FileNotFoundError(f"{path} is missing: {run_dir} is not a training run")
    _validate(RunRecord, data, str(path))
    return data


# ---------------------------------------------------------------------------------------------
# metrics.jsonl


def append_metrics(run_dir: str | Path, record: dict[str, Any]) -> None:
    """Append one evaluation record as a JSON line to ``metrics.jsonl`` (flushed and fsynced).

    Parameters
    ----------
    run_dir:
        The run folder; created if missing.
    record:
        The evaluation's fields (as :func:`write_json_atomic` writes them).
    """
    path = Path(run_dir) / METRICS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, default=_json_default)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


@dataclass
class MetricsReading:
    """What :func:`scan_metrics` found in ``metrics.jsonl``.

    Attributes
    ----------
    records:
        The complete lines, in order.
    torn_line:
        The number of a torn last line that was left out (a process killed mid-write, or a
        NUL-padded tail after a crash), else None.
    torn_text:
        The start of that line, quoted (at most 80 characters).
    """

    records: list[dict[str, Any]]
    torn_line: int | None = None
    torn_text: str = ""


def scan_metrics(run_dir: str | Path) -> MetricsReading:
    """Read ``metrics.jsonl`` line by line, each line bounded and validated.

    Every line is at most ``settings.max_line_bytes()`` long and a :class:`nerlib.runs.schemas.MetricsLine`;
    a last line that is not JSON is reported as torn rather than read.

    Parameters
    ----------
    run_dir:
        The run folder.

    Returns
    -------
    MetricsReading
        The records and the torn last line, if any; no records when there is no ``metrics.jsonl``.

    Raises
    ------
    RunFileError
        When the file is no regular file or unreadable, or a line is too long, not UTF-8, not JSON
        (other than the last), not an object, or a field has the wrong type: naming the line and
        the field, quoting at most 80 characters.
    """
    path = Path(run_dir) / METRICS_FILE
    handle = open_record(path)
    if handle is None:
        return MetricsReading([])
    limit = settings.max_line_bytes()
    records: list[dict[str, Any]] = []
    broken: tuple[int, str, str] | None = None  # a line that is not JSON: torn if nothing follows it
    number = 0
    with handle:
        while True:
            try:
                raw = handle.readline(limit + 1)
            except OSError as error:
                raise RunFileError(f"{path} is unreadable: {error}") from error
            if not raw:
                break
            number += 1
            if len(raw) > limit and not raw.endswith(b"\n"):
                raise RunFileError(f"{path}:{number}: line is longer than {limit} bytes "
                                   f"({settings.MAX_LINE_BYTES_ENV}): {quote_line(raw)}")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise RunFileError(f"{path}:{number}: not UTF-8 ({error.reason} at byte {error.start}): "
                                   f"{quote_line(raw)}") from None
            if not line.strip():
                continue
            if broken is not None:
                raise RunFileError(f"{path}:{broken[0]}: not a JSON line ({broken[2]}): {broken[1]}")
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                broken = (number, quote_line(line.rstrip("\n")), str(error))
                continue
            if not isinstance(record, dict):
                raise RunFileError(f"{path}:{number}: a JSON {type(record).__name__}, not an object")
            _validate(MetricsLine, record, f"{path}:{number}")
            records.append(record)
    if broken is not None:
        return MetricsReading(records, torn_line=broken[0], torn_text=broken[1])
    return MetricsReading(records)


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """The records of ``metrics.jsonl`` in order (see :func:`scan_metrics`).

    A torn last line (the process was killed mid-write) is skipped; :func:`load_run` says so, or
    marks a finished run damaged.

    Parameters
    ----------
    run_dir:
        The run folder.

    Returns
    -------
    list of dict
        One record per line; ``[]`` when there is no ``metrics.jsonl``.

    Raises
    ------
    RunFileError
        When the file is no regular file or unreadable, or a line other than the last is too long,
        not JSON, not a JSON object, or has a field of the wrong type (naming the line and field).
    """
    return scan_metrics(run_dir).records


def truncate_metrics(run_dir: str | Path, keep: int) -> int:
    """Keep only the first ``keep`` records of ``metrics.jsonl`` (atomically).

    Resume uses this to drop evaluations made after the checkpoint it restarts from. A torn last
    line is dropped too, so appends start on a clean line.

    Parameters
    ----------
    run_dir:
        The run folder.
    keep:
        How many records to keep.

    Returns
    -------
    int
        How many records were dropped.

    Raises
    ------
    RunFileError
        When ``metrics.jsonl`` is damaged (see :func:`read_metrics`), or holds fewer than ``keep``
        records (a checkpoint that claims more lines than were written is not trusted: appending
        after it would duplicate lines).
    """
    path = Path(run_dir) / METRICS_FILE
    reading = scan_metrics(run_dir)
    records = reading.records
    if len(records) < keep:
        raise RunFileError(f"{path} holds {len(records)} records, fewer than the {keep} the checkpoint "
                           "resumed from counts; refusing to resume onto it")
    if len(records) == keep and reading.torn_line is None and path.exists():
        return 0
    write_text_atomic(Path(run_dir) / METRICS_FILE,
                      "".join(json.dumps(r, default=_json_default) + "\n" for r in records[:keep]))
    return max(0, len(records) - keep)


def flatten_metrics(record: dict[str, Any]) -> dict[str, Any]:
    """One ``metrics.jsonl`` line as a flat ``{name: value}`` dict: the one flattening that the
    dashboard tables, ``metrics_frame`` and the experiment trackers share.

    Scalar fields keep their names (``f1`` is the overall micro F1); ``per_type`` becomes
    ``<TYPE>_<score>`` (``PER_f1``, ``LOC_support``); any other nested dict (e.g. seen/unseen
    scores) becomes ``<key>_<sub key>``, recursively, a nested ``per_type`` again adding no name
    (``unseen.per_type.PER.f1`` -> ``unseen_PER_f1``).

    >>> flatten_metrics({"step": 5, "f1": 0.5, "per_type": {"PER": {"f1": 0.7}}, "unseen": {"f1": 0.3}})
    {'step': 5, 'f1': 0.5, 'PER_f1': 0.7, 'unseen_f1': 0.3}
    """
    flat: dict[str, Any] = {}

    def add(prefix: str, value: Any) -> None:
        """Put ``value`` into ``flat`` under ``prefix``, or each item of a dict under a longer name."""
        if isinstance(value, dict):
            for key, inner in value.items():
                name = "" if key == "per_type" else str(key)
                add("_".join(part for part in (prefix, name) if part), inner)
        else:
            flat[prefix] = value

    add("", record)
    return flat


def metrics_frame(records: Sequence[dict[str, Any]]):
    """``records`` as a pandas DataFrame, one row per evaluation.

    Each row is :func:`flatten_metrics` of a line: scalar fields become columns; ``per_type`` is
    flattened to ``<TYPE>_precision``, ``<TYPE>_recall``, ``<TYPE>_f1`` and ``<TYPE>_support``
    columns (e.g. ``PER_f1``). The standard columns (``epoch``, ``step``, ``split``, ``loss``,
    ``f1``...) come first and are always there, empty when no record has them.

    >>> metrics_frame([{"step": 5, "split": "validation", "f1": 0.5, "per_type": {"PER": {"f1": 0.7}}}])[
    ...     ["step", "split", "f1", "PER_f1"]].to_dict("records")
    [{'step': 5, 'split': 'validation', 'f1': 0.5, 'PER_f1': 0.7}]
    """
    import pandas as pd

    columns = ["epoch", "step", "split", "loss", "learning_rate", "elapsed_s", "sentences_per_s",
               "token_accuracy", "precision", "recall", "f1", "support"]
    frame = pd.DataFrame([flatten_metrics(record) for record in records])
    for column in columns:
        if column not in frame.columns:
            frame[column] = pd.Series(dtype="float64" if column != "split" else "object")
    return frame[columns + [c for c in frame.columns if c not in columns]]


# ---------------------------------------------------------------------------------------------
# progress.json


@dataclass
class Progress:
    """Live state of a training process, as in ``progress.json``.

    Attributes
    ----------
    status:
        ``running``, ``finished``, ``failed`` or ``stopped``.
    phase:
        What a running process does now (``loading``, ``training``, ``evaluating validation``,
        ``evaluating test``, ``saving``).
    step, total_steps:
        Optimizer steps done and planned.
    epoch:
        Completed epochs as a float (1.5 = half way through the second one).
    num_epochs:
        Epochs planned.
    elapsed_s:
        Seconds since the start.
    eta_s:
        Estimated seconds left for training plus evaluations (None until known).
    loss, learning_rate, sentences_per_s:
        The latest training loss, learning rate and speed (None until known).
    best_f1:
        The best validation F1 so far (None before the first evaluation).
    message:
        A line for people (e.g. why the run stopped or failed).
    updated_at:
        When the file was written (Unix time).
    pid, host:
        The process that writes it.
    """

    status: str = "running"
    phase: str = "loading"
    step: int = 0
    total_steps: int = 0
    epoch: float = 0.0
    num_epochs: int = 0
    elapsed_s: float = 0.0
    eta_s: float | None = None
    loss: float | None = None
    learning_rate: float | None = None
    sentences_per_s: float | None = None
    best_f1: float | None = None
    message: str = ""
    updated_at: float = 0.0
    pid: int = 0
    host: str = ""

    @property
    def fraction(self) -> float:
        """Share of the training steps done (0..1)."""
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    def is_alive(self, stale_after_s: float = 120.0) -> bool:
        """Whether a ``running`` process still seems alive.

        A killed run stays ``running`` in the file; this tells them apart.

        Parameters
        ----------
        stale_after_s:
            Seconds since the last write after which the process counts as gone.

        Returns
        -------
        bool
            True when the status is ``running``, the file was written within ``stale_after_s``
            (and not more than ``CLOCK_SKEW_S`` in the future), and (on this host) the pid still exists.
        """
        if self.status != "running":
            return False
        age = time.time() - self.updated_at
        if age < -CLOCK_SKEW_S:  # written "in the future": not believed, or it would read running forever
            return False
        if self.host == socket.gethostname() and self.pid:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                pass
        return age < stale_after_s


def write_progress(run_dir: str | Path, progress: Progress) -> None:
    """Write ``progress.json`` atomically, stamping ``updated_at``, ``pid`` and ``host``.

    When the disk is full (or the folder unwritable), an existing ``progress.json`` is overwritten
    in place instead, so that the final "failed" still replaces "running".

    Parameters
    ----------
    run_dir:
        The run folder.
    progress:
        The state to write; its ``updated_at`` is set, and ``pid``/``host`` when unset.

    Raises
    ------
    OSError
        When neither the atomic write nor the in-place overwrite works (the first error).
    """
    progress.updated_at = time.time()
    progress.pid = progress.pid or os.getpid()
    progress.host = progress.host or socket.gethostname()
    path = Path(run_dir) / PROGRESS_FILE
    text = json.dumps(asdict(progress), indent=2, default=_json_default) + "\n"
    try:
        write_text_atomic(path, text)
    except OSError:
        # The disk is full (or the folder unwritable): the final "failed" must still reach the file
        # that says "running", so overwrite it in place; if that fails too, the first error stands.
        if not path.is_file():
            raise
        _overwrite_in_place(path, text)


def read_progress(run_dir: str | Path) -> Progress | None:
    """The run's :class:`Progress`.

    Parameters
    ----------
    run_dir:
        The run folder.

    Returns
    -------
    Progress or None
        The live state (unknown fields ignored, missing ones at their defaults), or None when there
        is no ``progress.json``.

    Raises
    ------
    RunFileError
        When the file is damaged: no regular file, too large, unreadable, not an object, an unknown
        status, or a field of the wrong type (:class:`nerlib.runs.schemas.ProgressRecord`; the
        dashboard formats these numbers).
    """
    path = Path(run_dir) / PROGRESS_FILE
    data = read_json_record(path)
    if data is None:
        return None
    _validate(ProgressRecord, data, str(path))
    progress = Progress()
    for name in asdict(progress):
        if name in data:
            setattr(progress, name, data[name])
    return progress


# ---------------------------------------------------------------------------------------------
# checkpoints


@dataclass
class CheckpointInfo:
    """A complete checkpoint folder.

    Attributes
    ----------
    name:
        The folder name (``epoch-2``, ``step-500``, ``best``).
    path:
        The folder.
    step, epoch:
        When it was saved.
    metrics:
        The validation metrics at that point (may be empty).
    resumable:
        Whether it holds the optimizer/scheduler/RNG state ``--resume`` needs.
    source:
        For ``best``, the checkpoint it equals.
    info:
        Everything ``checkpoint.json`` holds.
    """

    name: str
    path: Path
    step: int
    epoch: float
    metrics: dict[str, Any] = field(default_factory=dict)
    resumable: bool = False
    source: str | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def f1(self) -> float | None:
        """Validation F1 (0..1) at this checkpoint, if it was evaluated."""
        return self.metrics.get("f1")


def check_checkpoint(path: str | Path, metrics_lines: int | None = None) -> CheckpointInfo | None:
    """The :class:`CheckpointInfo` of a checkpoint folder, its ``checkpoint.json`` validated.

    Parameters
    ----------
    path:
        The checkpoint folder.
    metrics_lines:
        The records ``metrics.jsonl`` holds, when known: a checkpoint whose training state counts
        more (``state.metrics_lines``) is not trusted (resuming from it would duplicate lines).

    Returns
    -------
    CheckpointInfo or None
        None when the folder is incomplete (no ``checkpoint.json``).

    Raises
    ------
    RunFileError
        When ``checkpoint.json`` is damaged (no regular file, too large, not a JSON object, a field
        of the wrong type: :class:`nerlib.runs.schemas.CheckpointRecord`, a training-state step
        other than its step), or counts more metrics lines than there are; the message names the
        file and the field.
    """
    path = Path(path)
    file = path / CHECKPOINT_FILE
    info = read_json_record(file)
    if info is None:
        return None
    record = _validate(CheckpointRecord, info, str(file))
    if record.state is not None and record.state.step != record.step:  # resume trusts state.step
        raise RunFileError(f"{file}: field 'state.step' is {record.state.step} but 'step' is {record.step}")
    if metrics_lines is not None and record.state is not None and record.state.metrics_lines > metrics_lines:
        raise RunFileError(f"{file}: field 'state.metrics_lines' is {record.state.metrics_lines} but "
                           f"{METRICS_FILE} holds {metrics_lines} records")
    return CheckpointInfo(
        name=path.name, path=path, step=record.step, epoch=float(record.epoch),
        metrics=info.get("metrics") or {}, resumable=(path / TRAINING_STATE_DIR).is_dir() and record.resumable,
        source=record.source, info=info,
    )


def read_checkpoint(path: str | Path) -> CheckpointInfo | None:
    """The :class:`CheckpointInfo` of a checkpoint folder, or None if it is incomplete or its
    ``checkpoint.json`` is damaged (:func:`check_checkpoint` says why)."""
    try:
        return check_checkpoint(path)
    except RunFileError:
        return None


def list_checkpoints(run_dir: str | Path, include_best: bool = False, *, skipped: list[str] | None = None,
                     metrics_lines: int | None = None) -> list[CheckpointInfo]:
    """The run's complete checkpoints, ordered by step.

    Temporary and half-written folders (no ``checkpoint.json``) are skipped; so is a checkpoint
    whose ``checkpoint.json`` is damaged (the others are still listed).

    Parameters
    ----------
    run_dir:
        The run folder.
    include_best:
        Whether to list ``best`` too (after the checkpoint of the same step).
    skipped:
        When given, why each damaged checkpoint was skipped is appended to it.
    metrics_lines:
        The records ``metrics.jsonl`` holds, when known (see :func:`check_checkpoint`).

    Returns
    -------
    list of CheckpointInfo
        ``[]`` when there is no ``checkpoints/`` folder.
    """
    folder = Path(run_dir) / CHECKPOINTS_DIR
    if not folder.is_dir():
        return []
    found = []
    for child in folder.iterdir():
        if not child.is_dir() or child.name.startswith(TEMP_PREFIX) or child.name.startswith("."):
            continue
        if child.name == BEST and not include_best:
            continue
        try:
            checkpoint = check_checkpoint(child, metrics_lines)
        except RunFileError as error:
            if skipped is not None:
                skipped.append(f"checkpoint {child.name} skipped: {error}")
            continue
        if checkpoint is not None:
            found.append(checkpoint)
    return sorted(found, key=lambda c: (c.step, c.name == BEST, c.name))


def best_checkpoint(run_dir: str | Path, *, skipped: list[str] | None = None,
                    metrics_lines: int | None = None) -> CheckpointInfo | None:
    """The run's best checkpoint.

    ``checkpoints/best`` if complete and sound, else the checkpoint with the highest validation F1
    (the later one on a tie), else the last one, else None. Damaged checkpoints are passed over
    (see :func:`list_checkpoints` for ``skipped`` and ``metrics_lines``).
    """
    try:
        best = check_checkpoint(Path(run_dir) / CHECKPOINTS_DIR / BEST, metrics_lines)
    except RunFileError as error:
        best = None
        if skipped is not None:
            skipped.append(f"checkpoint {BEST} skipped: {error}")
    if best is not None:
        return best
    return _best_of(list_checkpoints(run_dir, skipped=skipped, metrics_lines=metrics_lines))


def _best_of(checkpoints: list[CheckpointInfo]) -> CheckpointInfo | None:
    scored = [c for c in checkpoints if c.f1 is not None]
    if scored:
        return max(scored, key=lambda c: (c.f1, c.step))
    return checkpoints[-1] if checkpoints else None


def last_resumable_checkpoint(run_dir: str | Path, *, skipped: list[str] | None = None) -> CheckpointInfo | None:
    """The latest complete, sound checkpoint that holds training state, or None.

    A checkpoint that counts more metrics lines than ``metrics.jsonl`` holds is passed over, so a
    resume falls back to the last one that agrees with what is on disk (``skipped`` says which were
    passed over, when given).

    Raises
    ------
    RunFileError
        When ``metrics.jsonl`` is damaged.
    """
    metrics_lines = len(read_metrics(run_dir))
    resumable = [c for c in list_checkpoints(run_dir, skipped=skipped, metrics_lines=metrics_lines) if c.resumable]
    return resumable[-1] if resumable else None


def checkpoint_temp_dir(run_dir: str | Path, name: str) -> Path:
    """A fresh (emptied) temporary folder under ``checkpoints/`` to write a checkpoint into.

    :func:`commit_checkpoint` then moves it into place. The name is the same in every process of a
    distributed run, so each can add its own RNG state; only the main process should call it.

    Parameters
    ----------
    run_dir:
        The run folder.
    name:
        The checkpoint's final name (``epoch-2``, ``step-500``, ``best``).

    Returns
    -------
    Path
        ``checkpoints/.tmp-<name>``, empty.
    """
    folder = Path(run_dir) / CHECKPOINTS_DIR / f"{TEMP_PREFIX}{name}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def commit_checkpoint(temp_dir: str | Path, name: str, info: dict[str, Any]) -> Path:
    """Mark ``temp_dir`` complete and move it to ``checkpoints/<name>``.

    ``checkpoint.json`` is written last, then the folder is renamed, replacing an older one of that
    name.

    Parameters
    ----------
    temp_dir:
        The folder from :func:`checkpoint_temp_dir`, with the checkpoint written.
    name:
        The final name.
    info:
        What ``checkpoint.json`` records (``step``, ``epoch``, ``metrics``, ``resumable``,
        ``source``...); ``format_version`` is added.

    Returns
    -------
    Path
        The final path.
    """
    temp_dir = Path(temp_dir)
    write_json_atomic(temp_dir / CHECKPOINT_FILE, {"format_version": FORMAT_VERSION, **info})
    final = temp_dir.parent / name
    if final.exists():
        # a directory can't be replaced by rename in one step: move the old one aside first
        old = temp_dir.parent / f"{TEMP_PREFIX}old-{name}-{os.getpid()}"
        if old.exists():
            shutil.rmtree(old)
        os.replace(final, old)
        os.replace(temp_dir, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(temp_dir, final)
    return final


def remove_stale_temp_dirs(run_dir: str | Path) -> list[Path]:
    """Delete temporary checkpoint folders left by a killed process; returns what was removed."""
    folder = Path(run_dir) / CHECKPOINTS_DIR
    removed = []
    if folder.is_dir():
        for child in folder.iterdir():
            if child.name.startswith(TEMP_PREFIX):
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
                removed.append(child)
    return removed


def prune_checkpoints(run_dir: str | Path, keep_last: int | None) -> list[Path]:
    """Delete all but the newest ``keep_last`` checkpoints (``best`` is never deleted).

    Parameters
    ----------
    run_dir:
        The run folder.
    keep_last:
        How many checkpoints to keep, by step; ``None`` or ``0`` keeps everything.

    Returns
    -------
    list of Path
        The deleted folders.
    """
    if not keep_last:
        return []
    checkpoints = list_checkpoints(run_dir)
    doomed = checkpoints[:-keep_last] if len(checkpoints) > keep_last else []
    for checkpoint in doomed:
        shutil.rmtree(checkpoint.path, ignore_errors=True)
    return [c.path for c in doomed]


# ---------------------------------------------------------------------------------------------
# predictions/*.conll


def write_predictions(
    path: str | Path,
    tokens: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
) -> Path:
    """Write ``word gold predicted`` lines atomically (conlleval's input format).

    Parameters
    ----------
    path:
        The file to write.
    tokens:
        The sentences' words.
    gold, predicted:
        One tag per word each, for every sentence.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    ValueError
        When the three disagree in sentences or words (nothing is written).
    """
    return write_text_atomic(path, format_predictions(tokens, gold, predicted))


@dataclass
class Predictions:
    """Sentences read from a predictions file: parallel lists of words, gold and predicted tags."""

    tokens: list[list[str]]
    gold: list[list[str]]
    predicted: list[list[str]]


def read_predictions(path: str | Path) -> Predictions:
    """Read a ``word gold predicted`` file written by :func:`write_predictions`.

    Parameters
    ----------
    path:
        The file; blank lines end sentences.

    Returns
    -------
    Predictions
        Parallel lists of words, gold and predicted tags per sentence.

    Raises
    ------
    ValueError
        For a line that does not hold exactly three columns, is not UTF-8, or is longer than
        ``settings.max_line_bytes()`` (naming the line, quoting at most 80 characters of it); a
        :class:`RunFileError` (a ValueError) when the path is no regular file.
    FileNotFoundError
        When there is no such file.
    """
    result = Predictions([], [], [])
    sentence: list[list[str]] = []
    path = Path(path)
    handle = open_record(path)
    if handle is None:
        raise FileNotFoundError(f"{path} does not exist")

    def flush() -> None:
        """Append the sentence read so far (if any) to ``result`` and start a new one."""
        if sentence:
            result.tokens.append([row[0] for row in sentence])
            result.gold.append([row[1] for row in sentence])
            result.predicted.append([row[2] for row in sentence])
            sentence.clear()

    with handle:
        for number, line in enumerate(_bounded_lines(handle, path), start=1):
            if not line.strip():
                flush()
                continue
            columns = line.split()
            if len(columns) != 3:
                raise ValueError(f"{path}:{number}: expected 'word gold predicted', got {quote_line(line)}")
            sentence.append(columns)
    flush()
    return result


def _bounded_lines(handle: BinaryIO, path: Path) -> Iterable[str]:
    """The lines of an open file as ``str.splitlines`` gives them, each physical line at most
    ``settings.max_line_bytes()`` bytes; ValueError naming the line otherwise."""
    limit = settings.max_line_bytes()
    physical = 0
    while raw := handle.readline(limit + 1):
        physical += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            raise ValueError(f"{path}: line {physical} is longer than {limit} bytes "
                             f"({settings.MAX_LINE_BYTES_ENV}): {quote_line(raw)}")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{path}: line {physical} is not UTF-8 ({error.reason}): {quote_line(raw)}") from None
        yield from text.splitlines()


# ---------------------------------------------------------------------------------------------
# whole runs


@dataclass
class Run:
    """A training run as read from its folder (see :func:`load_run`).

    Attributes
    ----------
    path, name:
        The folder and its name.
    config:
        ``run.json``.
    metrics:
        A DataFrame with one row per evaluation (see :func:`metrics_frame`).
    records:
        The raw ``metrics.jsonl`` lines.
    checkpoints:
        The complete checkpoints by step (without ``best``).
    best:
        The best checkpoint (see :func:`best_checkpoint`).
    progress:
        The live state.
    predictions:
        Split name -> prediction file, for those present.
    damaged:
        Why the folder could not be read: the file (and line) and the field at fault; then it
        offers no metrics and no checkpoints. None for a readable run.
    notes:
        What was passed over in a readable run: damaged checkpoints skipped, a torn last metrics
        line of a run still being written.
    """

    path: Path
    name: str
    config: dict[str, Any]
    metrics: Any  # pandas.DataFrame
    records: list[dict[str, Any]]
    checkpoints: list[CheckpointInfo]
    best: CheckpointInfo | None
    progress: Progress | None
    predictions: dict[str, Path]
    damaged: str | None = None  # why the folder could not be read (then it offers no checkpoints)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """running / finished / failed / stopped / damaged; a ``running`` run whose process is gone
        (killed) reads as ``stopped``; a folder whose files cannot be read is ``damaged``."""
        if self.damaged:
            return "damaged"
        if self.progress is None:
            return "stopped"
        if self.progress.status == "running" and not self.progress.is_alive():
            return "stopped"
        return self.progress.status

    @property
    def test_metrics(self) -> dict[str, Any] | None:
        """The last test-split record, or None before the run finished."""
        tests = [r for r in self.records if r.get("split") == "test"]
        return tests[-1] if tests else None

    @property
    def validation_metrics(self) -> list[dict[str, Any]]:
        """The validation records in order."""
        return [r for r in self.records if r.get("split") == "validation"]


def is_run_dir(path: str | Path) -> bool:
    """Whether ``path`` is a run folder (holds ``run.json``)."""
    return (Path(path) / RUN_FILE).is_file()


def load_run(path: str | Path) -> Run:
    """Read a run folder into a :class:`Run`.

    Parameters
    ----------
    path:
        The run folder.

    Returns
    -------
    Run
        The run; a folder whose run.json, progress.json or metrics.jsonl cannot be read or fails
        its schema (:mod:`nerlib.runs.schemas`) comes back as a ``damaged`` run (``run.damaged``
        names the file, line and field) with no metrics and no checkpoints. So does a finished run
        whose last metrics line is torn (its last evaluation is lost); for a run still being written
        the torn line is left out and ``run.notes`` says so. A damaged ``checkpoint.json`` skips
        that checkpoint only (said in ``run.notes``); a damaged ``calibration.json`` in a checkpoint
        keeps the checkpoint but is said in ``run.notes`` (file and reason), as a tagger of that
        checkpoint refuses to load until it is deleted or calibrated again.

    Raises
    ------
    FileNotFoundError
        If the folder holds no ``run.json``.
    """
    path = Path(path)
    notes: list[str] = []
    try:
        config = read_run_config(path)
        progress = read_progress(path)
        reading = scan_metrics(path)
        if reading.torn_line is not None:
            where = f"{path / METRICS_FILE}:{reading.torn_line}"
            if progress is not None and progress.status == "finished":
                raise RunFileError(f"{where}: the last line is torn ({reading.torn_text}) but the run finished: "
                                   "an evaluation was lost")
            notes.append(f"{where}: a torn last line was left out (the run was still writing it)")
        records = reading.records
        skipped: list[str] = []
        checkpoints = list_checkpoints(path, skipped=skipped, metrics_lines=len(records))
        try:
            best = check_checkpoint(path / CHECKPOINTS_DIR / BEST, len(records))
        except RunFileError as error:
            best = None
            skipped.append(f"checkpoint {BEST} skipped: {error}")
        best = best or _best_of(checkpoints)
        notes.extend(skipped)
        notes.extend(_calibration_problems([*checkpoints, *([best] if best is not None else [])]))
    except (RunFileError, OSError) as error:
        if isinstance(error, FileNotFoundError) and not (path / RUN_FILE).exists():
            raise
        return Run(path=path, name=path.name, config={}, metrics=metrics_frame([]), records=[],
                   checkpoints=[], best=None, progress=None, predictions={}, damaged=str(error))
    predictions = {p.stem: p for p in sorted((path / PREDICTIONS_DIR).glob("*.conll"))}
    return Run(
        path=path, name=path.name, config=config, metrics=metrics_frame(records), records=records,
        checkpoints=checkpoints, best=best, progress=progress, predictions=predictions, notes=notes,
    )


def _calibration_problems(checkpoints: Sequence[CheckpointInfo]) -> list[str]:
    """A note per checkpoint whose calibration.json is damaged (file and reason), in checkpoint order.

    The checkpoint stays listed (its weights and metrics are sound), but a tagger of it refuses to
    load until the file is deleted or calibrated again, so the run listing says so.
    """
    from nerlib.runs.calibration_file import CALIBRATION_FILE, CalibrationError, read_calibration

    problems, seen = [], set()
    for checkpoint in checkpoints:
        if checkpoint.path in seen:
            continue
        seen.add(checkpoint.path)
        if not os.path.lexists(checkpoint.path / CALIBRATION_FILE):  # the common case: not calibrated
            continue
        try:
            read_calibration(checkpoint.path)
        except CalibrationError as error:
            problems.append(f"checkpoint {checkpoint.name}: damaged calibration, its tagger refuses to load: {error}")
    return problems


def list_runs(runs_dir: str | Path | None = None) -> list[Run]:
    """Every run directly under ``runs_dir``.

    Folders without ``run.json`` are skipped. One unreadable run never hides the others.

    Parameters
    ----------
    runs_dir:
        The folder of runs; default :func:`default_runs_dir`.

    Returns
    -------
    list of Run
        Newest first by start time (damaged runs, which have none, last); ``[]`` when ``runs_dir``
        does not exist.
    """
    runs_dir = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    if not runs_dir.is_dir():
        return []
    runs = []
    for child in runs_dir.iterdir():
        if child.is_dir() and is_run_dir(child):
            try:
                runs.append(load_run(child))
            except FileNotFoundError:  # deleted while we were listing
                continue
            except Exception as error:  # noqa: BLE001 - one unreadable run never hides the others
                runs.append(Run(path=child, name=child.name, config={}, metrics=metrics_frame([]), records=[],
                                checkpoints=[], best=None, progress=None, predictions={},
                                damaged=f"{child} is unreadable: {type(error).__name__}: {quote_line(str(error))}"))
    return sorted(runs, key=lambda r: (str(r.config.get("started_at", "")), r.name), reverse=True)


def unique_run_name(prefix: str, runs_dir: str | Path | None = None) -> str:
    """A name for a new run folder: ``<prefix>-YYYYmmdd-HHMMSS``.

    Parameters
    ----------
    prefix:
        The name's beginning (e.g. the model preset).
    runs_dir:
        The folder of runs; default :func:`default_runs_dir`.

    Returns
    -------
    str
        A name no folder in ``runs_dir`` has: the local time, with ``-2``, ``-3``... added if taken.
    """
    runs_dir = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    base = f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
    name, counter = base, 1
    while (runs_dir / name).exists():
        counter += 1
        name = f"{base}-{counter}"
    return name


def iter_run_dirs(runs_dir: str | Path | None = None) -> Iterable[Path]:
    """Yield run folders under ``runs_dir`` without reading them (cheap, for polling)."""
    runs_dir = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    if runs_dir.is_dir():
        yield from (child for child in sorted(runs_dir.iterdir()) if is_run_dir(child))
