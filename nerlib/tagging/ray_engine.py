"""Bulk tagging on Ray Data: the same records and output bytes as :mod:`nerlib.tagging.bulk`,
run by a pool of Ray actors on one machine or a whole Ray cluster.

Command line (``python -m nerlib tag --engine ray``; needs the ``[scale]`` extra)::

    python -m nerlib tag --engine ray -m runs/minilm --file docs.parquet --output tagged.jsonl
    python -m nerlib tag --engine ray --concurrency 4 --num-gpus 1 -m runs/minilm \\
        --file s3://bucket/news/ --format parquet --output tagged.parquet
    RAY_ADDRESS=ray-head:6379 python -m nerlib tag --engine ray ...      # join a running cluster

Python::

    from nerlib.tagging.ray_engine import RayJob, run_ray
    summary = run_ray(RayJob(source="docs/", output="tagged.jsonl", format="jsonl"), "runs/minilm")

How it works:

* **reading**: a Ray Data file datasource (:class:`RecordsDatasource`, so any path Ray and pyarrow
  can list: a file, a folder of partitions in sorted order, ``s3://``, ``gs://``, ``abfs://``) reads
  every file with the local engine's own record readers (:func:`~nerlib.tagging.bulk.line_records`,
  :func:`~nerlib.tagging.bulk.parquet_records`). Ray's ``read_text`` is not used: it splits lines
  at ``\\u2028`` and other separators the local engine keeps inside a text, so records would differ.
  Each record carries its key: the file's number in the listing and its line (or row) number.
* **tagging**: ``map_batches`` over an actor pool (``ActorPoolStrategy(size=concurrency)``); each
  actor loads one :class:`~nerlib.tagging.tagger.Tagger` and turns a batch of ``block_size`` texts
  into the output's JSON lines (:func:`~nerlib.tagging.bulk.json_line`, the local engine's bytes).
* **writing**: the driver takes the results in input order (``preserve_order``) and writes them by
  key through :class:`OrderedWriter`: a key at or before the last written one is a repeat and is
  dropped, a key that skips records is an error. Output goes to a temporary file in the output's
  folder, renamed onto ``output`` only when the job is complete: ``output`` never appears half
  written. ``*.parquet`` outputs are Parquet (columns ``text``, ``entities``, ``words``), any other
  name JSON lines.

What is retried (Ray's fault tolerance; nothing of ours re-runs work by hand):

* an actor whose process dies (killed, out of memory, its node lost) is restarted, up to
  ``retries`` times per actor (``max_restarts``), and the batches it held are sent again, up to
  ``retries`` times each (``max_task_retries``); a read task whose worker dies is retried by Ray
  Data's task retries. A retried batch starts over from its input, so nothing is lost, and the
  writer's keys make sure nothing is written twice.
* an exception raised by our own code (a malformed input line, an unusable checkpoint) is **not**
  retried: it ends the job with that error (Ray Data's ``actor_task_retry_on_errors`` stays off).

Why one module of this length: one concept, the Ray engine (its datasource, actor, ordered writer
and connection check only make sense together); the record readers and the JSON line writer are the
local engine's own (:mod:`nerlib.tagging.bulk`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from nerlib.tagging.bulk import FORMATS, BulkError, json_line, line_records, parquet_records

__all__ = ["OrderedWriter", "RayJob", "RaySummary", "actor_options", "check_cluster_answers", "cluster_address", "connect",
           "run_ray", "tagging_dataset"]

EXTRA_HINT = "pip install 'ner-workbench[scale]'"
# A local cluster started for one job keeps its object store small: the records in flight are
# small, and the default (30% of memory) would crowd out the taggers on a small machine.
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024
READ_ROWS = 4096  # records per block the reader yields (the actors re-batch them by block_size)
KEY_COLUMNS = ("file", "record")
REMOTE_SCHEMES = ("s3://", "gs://", "gcs://", "abfs://", "abfss://", "az://", "hdfs://", "http://", "https://")


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401 (the engine needs Ray Data, not only Ray core)
    except ImportError as error:
        raise BulkError(f"--engine ray needs Ray Data ({error.name or 'ray'} is not installed): {EXTRA_HINT}") from None
    return ray


@dataclass
class RayJob:
    """What to tag and where, and how many actors do it.

    Attributes
    ----------
    source:
        A file, a folder of files (its partitions, read in sorted order; names starting with ``.``
        or ``_`` are skipped), or a URI Ray Data reads (``s3://bucket/prefix/``).
    output:
        The output file on the driver's machine: ``*.parquet`` Parquet, anything else JSON lines;
        ``-``: JSON lines on standard output.
    format:
        ``text``, ``jsonl``, ``parquet`` or ``auto`` (by the source's extension, or for a local
        folder by its files' extensions).
    text_field:
        The text field of JSON lines and the text column of Parquet.
    block_size:
        Texts per actor call (``map_batches``' batch size).
    words:
        Also write every word.
    concurrency:
        Actors, each with its own Tagger.
    num_cpus, num_gpus:
        Resources each actor reserves (``num_gpus`` may be a fraction: actors share a GPU).
    address:
        The Ray cluster to join (``host:port``, ``ray://host:10001``, ``auto``); None: ``RAY_ADDRESS``,
        else a local cluster for this job.
    retries:
        Restarts per actor and re-sends per batch after a process dies.
    connect_timeout:
        Seconds to wait for a cluster at ``address`` before giving up.
    progress:
        Ray Data's progress bars on standard error.
    """

    source: str
    output: str
    format: str = "auto"
    text_field: str = "text"
    block_size: int = 1024
    words: bool = False
    concurrency: int = 1
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    address: str | None = None
    retries: int = 3
    connect_timeout: float = 20.0
    progress: bool = False


@dataclass
class RaySummary:
    """What a Ray job did.

    Attributes
    ----------
    records, words:
        Records written and the words they hold.
    repeats:
        Records a retried batch delivered again (dropped by key, not written).
    seconds:
        Wall-clock seconds from the first read to the renamed output.
    actors:
        Actors in the pool.
    cluster:
        The cluster's address (``local`` for one started for the job).
    output:
        The output file (``-``: standard output).
    """

    records: int = 0
    words: int = 0
    repeats: int = 0
    seconds: float = 0.0
    actors: int = 0
    cluster: str = ""
    output: str = ""

    @property
    def words_per_s(self) -> float:
        """Words tagged per second (0 before any time has passed)."""
        return self.words / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        """One line for standard error.

        >>> RaySummary(2, 10, 0, 2.0, 2, "local", "out.jsonl").line()
        'ray engine (local, 2 actors): 2 texts, 10 words in 2.00 s (5 words/s); wrote out.jsonl'
        """
        text = (f"ray engine ({self.cluster}, {self.actors} actor{'s' * (self.actors != 1)}): {self.records} texts, "
                f"{self.words} words in {self.seconds:.2f} s ({self.words_per_s:,.0f} words/s)")
        if self.repeats:
            text += f"; {self.repeats} repeated records from retried batches dropped"
        return text + (f"; wrote {self.output}" if self.output != "-" else "")


# ---------------------------------------------------------------------------------------------
# the cluster


def cluster_address(address: str | None, environ: dict[str, str] | None = None) -> str | None:
    """The cluster to join: ``address``, else ``RAY_ADDRESS``, else None (start a local one).

    >>> cluster_address(None, {}), cluster_address(None, {"RAY_ADDRESS": "head:6379"}), cluster_address("x:1", {})
    (None, 'head:6379', 'x:1')
    """
    env = os.environ if environ is None else environ
    return address or env.get("RAY_ADDRESS") or None


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of a ``host:port`` or ``ray://host:port`` address; None for ``auto``/``local``.

    >>> _host_port("ray://head:10001"), _host_port("10.0.0.5:6379"), _host_port("auto")
    (('head', 10001), ('10.0.0.5', 6379), None)
    """
    rest = address.removeprefix("ray://")
    if rest in ("auto", "local"):
        return None
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise BulkError(f"--address {address!r} is not host:port, ray://host:port or auto")
    return host.strip("[]"), int(port)


# What any gRPC server (a Ray head's GCS, a Ray Client server) answers the HTTP/2 client preface
# and an empty SETTINGS frame with: a SETTINGS frame of its own (frame type 4 in byte 3).
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
HTTP2_SETTINGS = 4


def check_cluster_answers(address: str, timeout: float) -> None:
    """Fail within ``timeout`` seconds unless a gRPC server (a Ray head) answers at ``address``.

    ``ray.init`` retries a silent or wrong address for minutes, and logs from its own threads
    while it does; this check, with no Ray involved, refuses at once an address where nothing
    listens, and after ``timeout`` one that accepts but does not answer like a gRPC server.
    With ``RAY_USE_TLS`` set only the connection is checked.

    Parameters
    ----------
    address:
        ``host:port``, ``ray://host:port``; ``auto`` and ``local`` are not checked.
    timeout:
        Seconds for the connection and the answer together.

    Raises
    ------
    BulkError
        Saying what failed and where.
    """
    target = _host_port(address)
    if target is None:
        return
    deadline = time.monotonic() + timeout
    hint = "is the cluster running, and is --address (or RAY_ADDRESS) its head's host:port?"
    answer = b""
    try:
        with socket.create_connection(target, timeout=timeout) as connection:
            if os.environ.get("RAY_USE_TLS", "0") not in ("", "0"):
                return
            connection.sendall(HTTP2_PREFACE)
            while len(answer) < 9:
                connection.settimeout(max(0.05, deadline - time.monotonic()))
                chunk = connection.recv(9 - len(answer))
                if not chunk:
                    break
                answer += chunk
    except TimeoutError:
        raise BulkError(f"no Ray cluster answered at {address} within {timeout:g} s; {hint}") from None
    except OSError as error:
        raise BulkError(f"cannot reach the Ray cluster at {address} ({error.strerror or error}); {hint}") from None
    if len(answer) < 9 or answer[3] != HTTP2_SETTINGS:
        raise BulkError(f"{address} is not a Ray cluster (it does not answer as a Ray head's gRPC port does); "
                        f"{hint}")


@contextlib.contextmanager
def connect(job: RayJob) -> Iterator[str]:
    """Join the job's cluster, or start a local one, for the duration of the block.

    A cluster already joined in this process (``ray.is_initialized()``) is used as it is and left
    running; otherwise the connection (and a local cluster) ends with the block.

    Parameters
    ----------
    job:
        Its ``address``, ``connect_timeout``, ``concurrency`` and ``num_cpus``.

    Yields
    ------
    str
        The cluster's name for messages: its address, or ``local``.

    Raises
    ------
    BulkError
        When Ray is not installed, or no cluster answers at the address within ``connect_timeout``
        seconds (:func:`check_cluster_answers`; a refused address fails at once).
    """
    ray = _import_ray()
    if ray.is_initialized():
        yield "joined before"
        return
    address = cluster_address(job.address)
    options: dict[str, Any] = {"include_dashboard": False, "logging_level": "warning", "log_to_driver": True}
    if address is None:
        # Logical CPUs: the actors' reservations plus room for the read tasks, so that a pool as
        # large as the machine cannot starve the reader.
        cpus = max(os.cpu_count() or 1, int(job.concurrency * job.num_cpus + 0.999) + 1)
        # Ray starts its workers at niceness 15 to keep its own daemons responsive on a busy node;
        # on a machine shared with other work that starves the very actors the job is for.
        ray.init(num_cpus=cpus, object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                 _system_config={"worker_niceness": 0}, **options)
        name = "local"
    else:
        check_cluster_answers(address, job.connect_timeout)
        try:
            ray.init(address=address, **options)
        except Exception as error:  # noqa: BLE001 (Ray's own kinds: ConnectionError, RuntimeError, ...)
            raise BulkError(f"cannot join the Ray cluster at {address}: {' '.join(str(error).split())[:300]}") from None
        name = address
    try:
        yield name
    finally:
        ray.shutdown()


# ---------------------------------------------------------------------------------------------
# reading


def _is_remote(path: str) -> bool:
    return path.startswith(REMOTE_SCHEMES)


def source_format(source: str, format: str = "auto") -> str:
    """The input format of a file, a folder of files or a URI.

    Parameters
    ----------
    source:
        The input.
    format:
        ``auto``: by the extension of ``source``, or of the files in a local folder (all must
        agree); anything else wins.

    Returns
    -------
    str
        ``text``, ``jsonl`` or ``parquet``.

    Raises
    ------
    BulkError
        For a folder whose files have different formats, a remote folder with ``auto``, or an
        unknown ``format``.
    """
    from nerlib.tagging.bulk import detect_format

    if format != "auto" or Path(source.rstrip("/")).suffix:
        return detect_format(source.rstrip("/"), format)
    if _is_remote(source):
        raise BulkError(f"{source}: give the format of the files under it with --format (text, jsonl, parquet)")
    folder = Path(source)
    if not folder.is_dir():
        return "text"
    kinds = {detect_format(p.name) for p in folder.rglob("*")
             if p.is_file() and not p.relative_to(folder).as_posix().startswith((".", "_"))}
    if len(kinds) > 1:
        raise BulkError(f"{source}: its files hold {' and '.join(sorted(kinds))}; give --format, or one kind per folder")
    return kinds.pop() if kinds else "text"


def _datasource_class() -> type:
    """:class:`RecordsDatasource`, defined on first use: it subclasses a Ray class."""
    global RecordsDatasource
    if RecordsDatasource is not None:
        return RecordsDatasource
    from ray.data.datasource import FileBasedDatasource

    class _RecordsDatasource(FileBasedDatasource):
        """Records with their keys (``file``, ``record``) and ``text``, read by the local engine's readers."""

        def __init__(self, paths: Any, kind: str, text_field: str, **options: Any):
            super().__init__(paths, **options)
            self._kind, self._text_field = kind, text_field
            self._numbers: dict[str, int] | None = None

        def _open_input_source(self, filesystem: Any, path: str, **open_args: Any) -> Any:
            if self._kind == "parquet":  # Parquet needs random access (its footer first)
                return filesystem.open_input_file(path)
            return super()._open_input_source(filesystem, path, **open_args)

        def _read_stream(self, f: Any, path: str) -> Iterator[Any]:
            import pyarrow as pa

            if self._numbers is None:
                self._numbers = {p: n for n, p in enumerate(self._paths())}
            number = self._numbers[path]
            if self._kind == "parquet":
                records = parquet_records(f, path, self._text_field)
            else:
                records = line_records(io.BufferedReader(f, 1 << 16), path, self._kind, self._text_field)
            keys: list[int] = []
            texts: list[str] = []
            for record, text in records:
                keys.append(record)
                texts.append(text)
                if len(texts) == READ_ROWS:
                    yield _records_table(pa, number, keys, texts)
                    keys, texts = [], []
            if texts:
                yield _records_table(pa, number, keys, texts)

    RecordsDatasource = _RecordsDatasource
    return RecordsDatasource


RecordsDatasource: type | None = None


def _records_table(pa: Any, number: int, keys: list[int], texts: list[str]) -> Any:
    return pa.table({"file": pa.array([number] * len(keys), pa.int64()), "record": pa.array(keys, pa.int64()),
                     "text": pa.array(texts, pa.string())})


def _dataset(job: RayJob, kind: str) -> Any:
    import ray.data

    source = job.source
    if not _is_remote(source):
        path = Path(source).expanduser()
        os.stat(path)  # FileNotFoundError names the path
        source = str(path.resolve())
    try:
        datasource = _datasource_class()(source, kind, job.text_field)
    except (ValueError, OSError) as error:
        raise BulkError(f"{job.source}: cannot list it ({' '.join(str(error).split())[:300]})") from None
    return ray.data.read_datasource(datasource, num_cpus=0.5)


# ---------------------------------------------------------------------------------------------
# tagging


class TaggingActor:
    """One Tagger per actor; each call tags a batch of texts into the output's JSON lines.

    Parameters
    ----------
    model:
        The checkpoint (a path every node can read, or a Hub id).
    options:
        Keyword arguments of :meth:`Tagger.from_pretrained` (device, dtype, batch_size, ...).
    words:
        Also write every word.
    """

    def __init__(self, model: str, options: dict[str, Any], words: bool):
        import transformers

        from nerlib.tagging.tagger import Tagger

        transformers.utils.logging.set_verbosity_error()  # no loading bars from every actor on the driver
        transformers.utils.logging.disable_progress_bar()
        self.tagger = Tagger.from_pretrained(model, **options)
        self.words = words

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        tagged = self.tagger.tag_many(batch.column("text").to_pylist())
        return pa.table({"file": batch.column("file"), "record": batch.column("record"),
                         "line": pa.array([json_line(t, self.words) for t in tagged], pa.string()),
                         "words": pa.array([len(t.words) for t in tagged], pa.int64())})


# ---------------------------------------------------------------------------------------------
# writing


def _parquet_schema(words: bool) -> Any:
    import pyarrow as pa

    entity = pa.struct([("text", pa.string()), ("label", pa.string()), ("start", pa.int64()),
                        ("end", pa.int64()), ("score", pa.float64())])
    columns = [("text", pa.string()), ("entities", pa.list_(entity))]
    if words:
        word = pa.struct([("text", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                          ("label", pa.string()), ("score", pa.float64())])
        columns.append(("words", pa.list_(word)))
    return pa.schema(columns)


@dataclass
class OrderedWriter:
    """Writes records by key, in key order, each once; the output appears only when complete.

    Keys are ``(file number, record number)``; record numbers start at 1 in every file and follow
    each other. A key at or before the last one written is a repeat (a retried batch sent again)
    and is dropped; a key that skips a record means one was lost, and is an error.

    Parameters
    ----------
    output:
        The file to write (``*.parquet``: Parquet), or ``-`` for ``stream``.
    words:
        Whether the lines hold words (the Parquet schema's ``words`` column).
    stream:
        Where ``-`` writes.

    >>> import io
    >>> writer = OrderedWriter("-", stream=io.StringIO())
    >>> writer.write([0, 0, 0, 0], [1, 2, 2, 3], ["a\\n", "b\\n", "b\\n", "c\\n"])
    3
    >>> writer.repeats, writer.stream.getvalue()
    (1, 'a\\nb\\nc\\n')
    >>> writer.write([0], [5], ["e\\n"])
    Traceback (most recent call last):
    ...
    nerlib.tagging.bulk.BulkError: record 4 of input file 0 is missing from the results (got record 5 after record 3); nothing was written to -
    """

    output: str
    words: bool = False
    stream: TextIO | None = None
    records: int = 0
    repeats: int = 0
    words_written: int = 0
    last: tuple[int, int] | None = None
    _temp: Path | None = field(default=None, repr=False)
    _handle: Any = field(default=None, repr=False)
    _parquet: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.output == "-":
            self._handle = self.stream or sys.stdout
            return
        target = Path(self.output)
        self._temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        if target.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            self._parquet = pq.ParquetWriter(self._temp, _parquet_schema(self.words))
        else:
            self._handle = open(self._temp, "w", encoding="utf-8")  # noqa: SIM115 (closed by commit/abort)

    def write(self, files: list[int], records: list[int], lines: list[str], words: list[int] | None = None) -> int:
        """Write the records not written yet, in order; return how many were written.

        ``words`` (each record's number of words) adds the written records' words to ``words_written``.

        Raises
        ------
        BulkError
            When a record is missing before one of these (then nothing reaches ``output``).
        """
        keep: list[str] = []
        counts = words if words is not None else [0] * len(lines)
        for key, line, count in zip(zip(files, records), lines, counts):
            if self.last is not None and key <= self.last:
                self.repeats += 1
                continue
            expected = self.last[1] + 1 if self.last is not None and key[0] == self.last[0] else 1
            if key[1] != expected:
                after = f"after record {self.last[1]}" if expected > 1 else "at the file's start"
                self.abort()
                raise BulkError(f"record {expected} of input file {key[0]} is missing from the results "
                                f"(got record {key[1]} {after}); nothing was written to {self.output}")
            keep.append(line)
            self.words_written += count
            self.last = key
        if self._parquet is not None:
            import pyarrow as pa

            rows = [json.loads(line) for line in keep]
            self._parquet.write_table(pa.Table.from_pylist(rows, schema=self._parquet.schema))
        elif keep:
            self._handle.write("".join(keep))
        self.records += len(keep)
        return len(keep)

    def commit(self) -> None:
        """Close the temporary file and rename it onto ``output`` (``-``: flush the stream)."""
        if self.output == "-":
            self._handle.flush()
            return
        self._close()
        os.replace(self._temp, self.output)

    def abort(self) -> None:
        """Close and delete the temporary file: a failed job leaves no output."""
        if self.output == "-":
            return
        self._close()
        with contextlib.suppress(OSError):
            self._temp.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if self._handle is not None:
            self._handle.close()
            self._handle = None


# ---------------------------------------------------------------------------------------------
# running


def _our_error(error: BaseException) -> BaseException | None:
    """The error of ours (or OS error) that a Ray exception wraps, if any: a task's own exception
    comes back wrapped in Ray's, with the remote traceback in its text."""
    from nerlib.errors import PROJECT_MODULES

    seen: set[int] = set()
    todo = [error]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        module = type(current).__module__.split(".")[0]
        if module in PROJECT_MODULES or (module == "builtins" and isinstance(current, OSError)):
            return current
        todo += [getattr(current, "cause", None), current.__cause__, current.__context__]
    return None


def actor_options(job: RayJob) -> dict[str, Any]:
    """What each tagging actor reserves and how often Ray retries it: ``map_batches``' options.

    ``num_gpus`` goes to Ray as given (0: the actors reserve no GPU; a fraction: actors share one).
    ``max_restarts`` and ``max_task_retries`` are Ray's actor options; Ray 2.60 takes them only
    through its generic remote arguments (it has no named parameter for them yet), which it warns
    are deprecated and still honours; :func:`tagging_dataset` silences that one warning.

    Parameters
    ----------
    job:
        The job.

    Returns
    -------
    dict
        Keyword arguments of ``Dataset.map_batches``.

    >>> actor_options(RayJob(source="in.txt", output="out.jsonl", num_gpus=0.5, retries=2))
    {'num_cpus': 1.0, 'num_gpus': 0.5, 'max_restarts': 2, 'max_task_retries': 2}
    """
    return {"num_cpus": job.num_cpus, "num_gpus": job.num_gpus, "max_restarts": job.retries,
            "max_task_retries": job.retries}


def tagging_dataset(job: RayJob, model: str, tagger_options: dict[str, Any] | None = None,
                    kind: str | None = None) -> Any:
    """The lazy Ray dataset of a job: its input read, then tagged by a pool of :class:`TaggingActor`.

    Nothing runs until it is consumed (:func:`run_ray` iterates over it in input order).

    Parameters
    ----------
    job:
        What to tag, with how many actors, each reserving what (:func:`actor_options`).
    model:
        The checkpoint each actor loads.
    tagger_options:
        Keyword arguments of :meth:`Tagger.from_pretrained` for the actors.
    kind:
        The input format; default :func:`source_format` of the job's source.

    Returns
    -------
    ray.data.Dataset
        Columns ``file``, ``record``, ``line`` (the output's JSON line) and ``words``.
    """
    import ray.data

    with warnings.catch_warnings():
        # Ray 2.60 has no named parameter for an actor pool's restarts and retries yet and warns
        # about the generic ones, which it still honours (its own default is -1: without end, so a
        # record that kills its worker every time would never stop).
        warnings.filterwarnings("ignore", message=".*ray_remote_args.* is deprecated")
        return _dataset(job, kind or source_format(job.source, job.format)).map_batches(
            TaggingActor, fn_constructor_args=(model, dict(tagger_options or {}), job.words),
            batch_size=job.block_size, batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=job.concurrency), **actor_options(job))


def run_ray(job: RayJob, model: str, tagger_options: dict[str, Any] | None = None, *,
            stdout: TextIO | None = None, progress: Callable[[int], None] | None = None) -> RaySummary:
    """Tag ``job.source`` into ``job.output`` with a pool of Ray actors.

    Parameters
    ----------
    job:
        What to tag, where, and with how many actors.
    model:
        The checkpoint each actor loads (a path every node can read, or a Hub id).
    tagger_options:
        Keyword arguments of :meth:`Tagger.from_pretrained` for the actors (``device``, ``dtype``,
        ``batch_size``, ``document_context``, ...).
    stdout:
        Where an output of ``-`` goes (default ``sys.stdout``).
    progress:
        Called as ``progress(records)`` after each batch is written.

    Returns
    -------
    RaySummary
        What the job did.

    Raises
    ------
    BulkError
        For Ray missing, an unreachable cluster, a malformed input record (naming the file and
        line), or a lost record.
    nerlib.errors.InputError
        For an input line that is not UTF-8 or is too long (naming the file and line).
    FileNotFoundError
        For a local input that does not exist.
    """
    if job.block_size < 1 or job.concurrency < 1:
        raise BulkError(f"block size and concurrency must be at least 1, not {job.block_size} and {job.concurrency}")
    if job.format not in (*FORMATS, "auto"):
        raise BulkError(f"unknown input format {job.format!r} (choose {', '.join(FORMATS)} or auto)")
    kind = source_format(job.source, job.format)
    ray = _import_ray()
    summary = RaySummary(actors=job.concurrency, output=job.output)
    with connect(job) as cluster:
        summary.cluster = cluster
        context = ray.data.DataContext.get_current()
        saved = (context.execution_options.preserve_order, context.enable_progress_bars)
        context.execution_options.preserve_order = True  # results come back in input order
        context.enable_progress_bars = job.progress
        started = time.perf_counter()
        writer: OrderedWriter | None = None
        try:
            tagged = tagging_dataset(job, model, tagger_options, kind)
            writer = OrderedWriter(job.output, job.words, stdout)
            for batch in tagged.iter_batches(batch_size=None, batch_format="pyarrow"):
                written = writer.write(*(batch.column(name).to_pylist() for name in ("file", "record", "line", "words")))
                if progress is not None and written:
                    progress(written)
            writer.commit()
        except BaseException as error:
            if writer is not None:
                writer.abort()
            ours = _our_error(error) if isinstance(error, Exception) else None
            if ours is not None and ours is not error:
                raise ours from None
            raise
        finally:
            context.execution_options.preserve_order, context.enable_progress_bars = saved
        summary.seconds = time.perf_counter() - started
        summary.records, summary.words, summary.repeats = writer.records, writer.words_written, writer.repeats
    return summary
