"""``python -m nerlib tag``: texts (arguments, a file or standard input) -> one JSON line each.

Texts from the arguments or a stream are tagged in chunks here; file input goes through
`nerlib.tagging.bulk` (streamed, resumable, sharded) or, with ``--engine ray``, through
`nerlib.tagging.ray_engine`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from nerlib.commands.common import UsageError, add_model_options, check_device, check_output, load_tagger, positive_int

NAME = "tag"
_CHUNK = 512  # texts read from a stream are tagged in chunks, so output starts early


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _retry_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 100, got {text!r}") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 100, got {text}")
    return value


def _positive_seconds(text: str) -> float:
    value = _non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def _add_engine_options(tag: argparse.ArgumentParser) -> None:
    """``tag --engine ray`` and its options (see nerlib.tagging.ray_engine and docs/scale.md)."""
    ray = tag.add_argument_group(
        "the Ray engine (--engine ray, the [scale] extra): Ray Data reads --file (a file, a folder of "
        "partitions, or s3://... with --format) and a pool of actors tags it, on a local Ray or a cluster; "
        "see docs/scale.md")
    ray.add_argument("--engine", choices=("local", "ray"), default="local",
                     help="local: this process (or accelerate launch); ray: Ray Data actors (default: local)")
    ray.add_argument("--address", help="the Ray cluster to join: host:port, ray://host:10001 or auto "
                                       "(default: $RAY_ADDRESS, else a local Ray started for the job)")
    ray.add_argument("--concurrency", type=positive_int, default=1, help="actors, each with its own tagger (default 1)")
    ray.add_argument("--num-cpus", type=_non_negative_float, default=1.0, help="CPUs each actor reserves (default 1)")
    ray.add_argument("--num-gpus", type=_non_negative_float, default=0.0,
                     help="GPUs each actor reserves; a fraction shares a GPU (default 0)")
    ray.add_argument("--retries", type=_retry_count, default=3, metavar="N",
                     help="restarts per actor and re-sends per batch after a worker process dies (default 3)")
    ray.add_argument("--connect-timeout", type=_positive_seconds, default=20.0,
                     help="seconds to wait for the cluster at --address (default 20)")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The ``tag`` subcommand's arguments, with the bulk and Ray engine groups."""
    tag = subparsers.add_parser(
        "tag", help="tag text, print JSON lines",
        description="Tag texts with a token-classification checkpoint and print one JSON object per text: "
                    '{"text", "entities": [{"text", "label", "start", "end", "score"}]}. Offsets are '
                    "character (code point) offsets into the text, end exclusive. Texts come from the "
                    "arguments, else from --file, else from standard input; in a file or stream each "
                    "line is one text (empty lines give empty results, so output lines match input lines).",
    )
    tag.add_argument("texts", nargs="*", metavar="TEXT", help="texts to tag (each argument is one text)")
    tag.add_argument("-m", "--model",
                     help="a training run folder, a checkpoint folder, a run name in $NERLIB_RUNS_DIR, "
                          "a saved Hugging Face model folder, or a Hub id (default: the newest trained run "
                          "in $NERLIB_RUNS_DIR, ./runs if unset)")
    tag.add_argument("-f", "--file", help="read texts from this file ('-' for standard input)")
    tag.add_argument("--whole-file", action="store_true",
                     help="treat the whole input as one text instead of one per line (at most "
                          "$NERLIB_MAX_WHOLE_FILE_BYTES, default 8 MiB)")
    tag.add_argument("--words", action="store_true", help="also print every word with its label and score")
    tag.add_argument("-o", "--output", help="write the JSON lines to this file instead of standard output")
    bulk = tag.add_argument_group(
        "large inputs (--file): streamed in blocks, resumable with --output, one shard per process under "
        "`accelerate launch --multi_gpu --num_processes N -m nerlib tag ...` (see nerlib.tagging.bulk)")
    bulk.add_argument("--format", choices=("auto", "text", "jsonl", "parquet"), default="auto",
                      help="input format of --file (auto: .jsonl/.ndjson JSON lines, .parquet Parquet, else text lines)")
    bulk.add_argument("--text-field", default="text", help="the text field of JSON lines / column of Parquet")
    bulk.add_argument("--resume", action="store_true",
                      help="continue an interrupted run writing --output (nothing lost, nothing repeated)")
    bulk.add_argument("--block-size", type=positive_int, default=1024, help="texts read, tagged and written at a time")
    bulk.add_argument("--no-progress", action="store_true", help="no progress bar on standard error")
    _add_engine_options(tag)
    add_model_options(tag, default_dtype="auto")


def _read_texts(args: argparse.Namespace, stdin: TextIO) -> Iterator[str]:
    """The texts to tag: the arguments, the file (``--whole-file`` only: other files go through
    bulk), or standard input, one per line, each line decoded on its own so that a bad line is
    reported with its number after the good lines before it."""
    from nerlib.data.lines import open_regular, read_lines

    if args.texts:
        if args.file:
            raise SystemExit("error: give texts as arguments or --file, not both")
        yield from args.texts
        return
    if args.file and args.file != "-":
        name = args.file
        handle = open_regular(args.file)
    else:
        name = "<stdin>"
        if stdin.isatty():
            print("reading texts from standard input, one per line (Ctrl-D ends)", file=sys.stderr)
        handle = getattr(stdin, "buffer", None)
        if handle is None:  # an in-memory text stream (tests, notebooks): already decoded
            yield from (_bounded_whole(stdin.read, name),) if args.whole_file else (
                line.rstrip("\r\n") for line in stdin)
            return
    try:
        if args.whole_file:
            yield _decode_whole(_bounded_whole(handle.read, name), name)
        else:
            for _, text in read_lines(handle, name, split_cr=True):
                yield text
    finally:
        if handle is not getattr(stdin, "buffer", None):
            handle.close()


def _bounded_whole(read: Callable[[int], bytes | str], name: str) -> bytes | str:
    """The whole input for ``--whole-file``, read through ``read(size)`` with at most
    ``NERLIB_MAX_WHOLE_FILE_BYTES`` (8 MiB) taken: one text is held in memory and tagged at once, so
    a larger input is refused (after reading one byte more than the bound), naming the file."""
    from nerlib.errors import InputError
    from nerlib.settings import MAX_WHOLE_FILE_BYTES_ENV, max_whole_file_bytes

    limit = max_whole_file_bytes()
    data = read(limit + 1)
    if len(data) > limit:
        raise InputError(name, None, f"larger than {limit} bytes, the most --whole-file reads as one text (the "
                                     f"bound {MAX_WHOLE_FILE_BYTES_ENV} sets); tag it a line at a time, without "
                                     "--whole-file")
    return data


def _decode_whole(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text (universal newlines, as a text-mode read gives); an error names the
    line and byte."""
    from nerlib.errors import InputError

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(name, line, f"not UTF-8 text: {error.reason} at byte {error.start} of the file "
                                     f"(value 0x{data[error.start]:02x})") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    """``items`` in lists of ``size``; an error while reading first yields the items read before it
    (so their results are written), then is raised."""
    chunk: list[str] = []
    failure: Exception | None = None
    iterator = iter(items)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            break
        except Exception as error:
            failure = error
            break
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
    if failure is not None:
        raise failure


def _runs_onnx(args: argparse.Namespace) -> bool:
    """Whether the tagger will run an exported ONNX folder (asked for, or the model is one)."""
    from nerlib.runs.exported import find_exported_folder

    given = Path(args.model).expanduser() if args.model else None
    return args.backend == "onnx" or given is not None and find_exported_folder(given) == given


def _is_bulk(args: argparse.Namespace) -> bool:
    """File input (not ``--whole-file``) goes through :mod:`nerlib.tagging.bulk`: any format, and with
    ``--output`` resumable and shardable over processes."""
    return bool(args.file and args.file != "-" and not args.whole_file and not args.texts)


def run_bulk_tag(args: argparse.Namespace, stdout: TextIO) -> int:
    """``tag --file``: stream the file through the tagger (see :mod:`nerlib.tagging.bulk`).

    With ``--output`` the run is resumable and, under ``accelerate launch``, sharded over processes
    with a progress bar on standard error; without it the JSON lines go to ``stdout``.

    Parameters
    ----------
    args:
        The parsed ``tag`` arguments; ``args.device`` is filled in with the shard's default device
        when unset.
    stdout:
        Where the JSON lines go when there is no ``--output``.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    nerlib.tagging.bulk.BulkError
        When several processes or ``--resume`` run without ``--output``.
    FileNotFoundError
        When the input file does not exist (IsADirectoryError for a folder;
        :class:`nerlib.errors.InputError` for a FIFO or device).
    """
    from nerlib.data.lines import check_regular_file
    from nerlib.tagging import bulk

    shard = bulk.Shard.from_env()
    if shard.world > 1 and not args.output:
        raise bulk.BulkError("several processes need --output (each writes a part, merged in input order)")
    if args.resume and not args.output:
        raise bulk.BulkError("--resume needs --output (the file the interrupted run was writing)")
    check_regular_file(args.file)  # a folder, FIFO or device is refused before the model loads
    if args.device is None and not _runs_onnx(args):  # an ONNX export runs on the CPU: no GPU per shard
        args.device = bulk.default_device(shard)
    tagger = load_tagger(args)
    job = bulk.BulkJob(source=args.file, output=args.output or "-", format=args.format, text_field=args.text_field,
                       block_size=args.block_size, words=args.words, resume=args.resume)
    if not args.output:
        summary = bulk._stdout_bulk(tagger, job, stdout)
        print(bulk.summary_line(summary), file=sys.stderr)
        return 0
    from tqdm.auto import tqdm

    total = bulk.count_records(args.file, args.format)
    mine = sum(min(args.block_size, total - b * args.block_size)
               for b in range(shard.rank, -(-total // args.block_size), shard.world))
    with tqdm(total=mine, unit="text", desc=f"tagging {shard.rank + 1}/{shard.world}", position=shard.rank,
              disable=args.no_progress, file=sys.stderr, dynamic_ncols=True) as bar:
        summary = bulk.run_bulk(tagger, job, shard, model=str(tagger.path), progress=bar.update, log=sys.stderr)
    print(bulk.summary_line(summary), file=sys.stderr)
    return 0


def run_ray_tag(args: argparse.Namespace, stdout: TextIO) -> int:
    """``tag --engine ray``: tag ``--file`` with Ray Data actors (see :mod:`nerlib.tagging.ray_engine`).

    Parameters
    ----------
    args:
        The parsed ``tag`` arguments.
    stdout:
        Where the JSON lines go when there is no ``--output``.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    UsageError
        Without ``--file``, with texts, standard input, ``--whole-file`` or ``--resume``, or under a
        multi-process launcher.
    nerlib.tagging.bulk.BulkError
        When Ray is missing, the cluster cannot be reached, or the input is malformed.
    """
    from nerlib.runs.checkpoints import CheckpointNotFoundError, latest_trained_run
    from nerlib.runs.folder import default_runs_dir
    from nerlib.tagging import ray_engine

    if not args.file or args.file == "-" or args.texts or args.whole_file:
        raise UsageError("--engine ray tags --file (a file, a folder of files or a URI such as s3://bucket/docs/); "
                         "texts as arguments, standard input and --whole-file are for the local engine")
    if args.resume:
        raise UsageError("--resume is for the local engine; the ray engine retries failed work itself and "
                         "writes --output only once the job is complete")
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise UsageError("--engine ray runs as one driver process; do not start it under accelerate launch or torchrun")
    model = args.model
    if model is None:
        run = latest_trained_run()
        if run is None:
            raise CheckpointNotFoundError(f"no --model given and no trained run in {default_runs_dir()}; pass -m")
        print(f"using the newest trained run: {run}", file=sys.stderr)
        model = str(run)
    elif Path(model).expanduser().exists():
        model = str(Path(model).expanduser().resolve())  # actors run in other working folders
    options = {"device": args.device or ("cuda" if args.num_gpus > 0 else None), "dtype": args.dtype,
               "quantize": args.quantize, "batch_size": args.batch_size, "max_tokens": args.max_tokens,
               "document_context": {"model": None, "on": True, "off": False}[args.context],
               "word_pooling": None if args.word_pooling == "model" else args.word_pooling}
    job = ray_engine.RayJob(source=args.file, output=args.output or "-", format=args.format,
                            text_field=args.text_field, block_size=args.block_size, words=args.words,
                            concurrency=args.concurrency, num_cpus=args.num_cpus, num_gpus=args.num_gpus,
                            address=args.address, retries=args.retries, connect_timeout=args.connect_timeout,
                            progress=not args.no_progress)
    summary = ray_engine.run_ray(job, model, options, stdout=stdout)
    print(summary.line(), file=sys.stderr)
    return 0


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """``tag``: print one JSON line per text.

    Texts from the arguments or a stream are tagged in chunks, so output starts early; file input
    (not ``--whole-file``) goes through :func:`run_bulk_tag`.

    Parameters
    ----------
    args:
        The parsed ``tag`` arguments.
    stdin:
        Read for texts when neither arguments nor ``--file`` give any (one text per line).
    stdout:
        Where the JSON lines go when there is no ``--output``.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    UsageError
        When ``--output`` cannot be written or ``--device`` is not available (before the model loads).
    """
    check_output(args.output, "--output")
    if args.engine == "ray":
        return run_ray_tag(args, stdout)
    check_device(args.device)
    if _is_bulk(args):
        return run_bulk_tag(args, stdout)
    if args.whole_file and args.file and args.file != "-":
        from nerlib.data.lines import check_regular_file

        check_regular_file(args.file)  # a folder or FIFO is refused before the model loads
    tagger = load_tagger(args)
    out = None  # the output file opens with the first results: a failed input or tagging leaves no empty file
    try:
        for chunk in _chunks(_read_texts(args, stdin), _CHUNK):
            lines = [json.dumps(tagged.to_dict(words=args.words), ensure_ascii=False) + "\n"
                     for tagged in tagger.tag_many(chunk)]
            if out is None:
                out = open(args.output, "w", encoding="utf-8") if args.output else stdout  # noqa: SIM115
            out.writelines(lines)
            out.flush()
    finally:
        if out is not None and out is not stdout:
            out.close()
    if out is None and args.output:  # no input at all: an empty result, as before
        Path(args.output).write_text("", encoding="utf-8")
    return 0
