"""Command line: ``python -m nerlib tag``, ``evaluate``, ``push`` and ``export-onnx``.

Examples::

    python -m nerlib tag -m runs/minilm "Angela Merkel visited Paris."
    cat articles.txt | python -m nerlib tag -m runs/minilm          # one text per line
    python -m nerlib tag -m runs/minilm --file story.txt --whole-file --words
    python -m nerlib evaluate runs/minilm test --predictions test.conll --errors errors.csv
    python -m nerlib push runs/minilm my-name/conllpp-minilm    # best checkpoint + model card to the Hub
    python -m nerlib export-onnx runs/minilm --int8             # runs/minilm/onnx for onnxruntime

``tag`` writes one JSON object per input text (JSON lines, in input order):
``{"text": ..., "entities": [{"text", "label", "start", "end", "score"}]}`` with character offsets
(Unicode code points, end exclusive) into that text. ``evaluate`` prints a per-type table.

Why one module of this length: it is the command line's one concept (parsers, the three commands'
front ends, and the one place where errors become an ``error:`` line and an exit code); the work
itself lives in `nerlib.tagging`, `nerlib.evaluation` and `nerlib.runs`. About half of it is
docstrings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

_CHUNK = 512  # texts read from a stream are tagged in chunks, so output starts early


def _quiet_transformers() -> None:
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


class UsageError(ValueError):
    """A bad option value or output path, found before any work starts."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def check_device(name: str | None) -> None:
    """Check a ``--device`` value before any model loads.

    Parameters
    ----------
    name:
        A torch device name (``cpu``, ``cuda``, ``cuda:N``, ``mps``), or None for the default.

    Raises
    ------
    UsageError
        When ``name`` is not a device torch knows, is not one of cpu/cuda/mps, or names a device
        this machine does not have (no CUDA GPU, a CUDA index past the last card, no MPS).
    """
    if name is None:
        return
    import torch

    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise UsageError(f"--device {name!r} is not a device; use cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"--device {name}: this machine has no CUDA GPU that PyTorch can use; use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UsageError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) here")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise UsageError(f"--device {name}: MPS (Apple GPU) is not available here; use --device cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise UsageError(f"--device {name!r} is not supported; use cpu, cuda, cuda:N or mps")


def check_output(path: str | None, option: str) -> None:
    """Check that an output file can be written, before the run.

    Checked first so that a long evaluation is not lost to a typo at the end.

    Parameters
    ----------
    path:
        The output file; None, ``""`` or ``"-"`` (standard output) pass unchecked.
    option:
        The option's name as the user typed it (``"--output"``), for the message.

    Raises
    ------
    UsageError
        When ``path`` is a folder, its folder does not exist, or the file (or, for a new file, its
        folder) is not writable.
    """
    if not path or path == "-":
        return
    target = Path(path).expanduser()
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a folder; give a file name inside it")
    folder = target.parent
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: the folder {folder} does not exist")
    if target.exists() and not os.access(target, os.W_OK) or not target.exists() and not os.access(folder, os.W_OK):
        raise UsageError(f"{option} {path}: not writable (permission denied)")


def _add_model_options(parser: argparse.ArgumentParser, default_dtype: str) -> None:
    parser.add_argument("--batch-size", type=_positive_int, default=None,
                        help="windows per forward pass (default: 64 on a CPU; on a GPU batches are cut by "
                             "--max-tokens instead)")
    parser.add_argument("--max-tokens", type=_positive_int, default=None,
                        help="padded sub-tokens per forward pass on a GPU (default 32768)")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: cuda if available)")
    parser.add_argument("--dtype", choices=("auto", "float32", "bfloat16", "float16"), default=default_dtype,
                        help=f"precision to run the model in (default: {default_dtype}; auto = float16 on CUDA "
                             "cards of compute capability 8.0+, bfloat16 on CPUs with AVX512-BF16/AMX, else float32)")
    parser.add_argument("--quantize", action="store_true",
                        help="dynamic int8 quantization of the linear layers (CPU; faster, scores shift slightly); "
                             "with the onnx backend: the export's model.int8.onnx")
    parser.add_argument("--backend", choices=("auto", "torch", "onnx"), default="auto",
                        help="torch, or onnx: an exported folder (python -m nerlib export-onnx) run by onnxruntime "
                             "on the CPU, the model path itself or its onnx/ subfolder; auto: onnx for an exported "
                             "folder, or on a CPU with --dtype auto when the run has an onnx/ export (see docs/onnx.md)")
    parser.add_argument("--context", choices=("model", "on", "off"), default="model",
                        help="document context: each sentence is read with its neighbours of the same text "
                             "(tag) or -DOCSTART- document (evaluate); default: as the model was trained")
    parser.add_argument("--word-pooling", choices=("model", "first", "mean"), default="model",
                        help="how a word's label is read from its sub-tokens: the first one, or the mean of "
                             "all their log-probabilities; default: what the checkpoint records (mean for "
                             "labels on all sub-tokens), first for a checkpoint that records nothing")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m nerlib``."""
    parser = argparse.ArgumentParser(
        prog="python -m nerlib",
        description="NER workbench: tag text with a trained checkpoint, or evaluate one on CoNLL data.",
    )
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback under an error line (also NERLIB_DEBUG=1); anywhere on the "
                             "command line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{tag,evaluate,push,export-onnx}")

    tag = commands.add_parser(
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
    tag.add_argument("--whole-file", action="store_true", help="treat the whole input as one text instead of one per line")
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
    bulk.add_argument("--block-size", type=_positive_int, default=1024, help="texts read, tagged and written at a time")
    bulk.add_argument("--no-progress", action="store_true", help="no progress bar on standard error")
    _add_model_options(tag, default_dtype="auto")

    evaluate = commands.add_parser(
        "evaluate", help="score a checkpoint on a split or CoNLL file",
        description="Run a checkpoint over a CoNLL++ split or any CoNLL file and print entity-level "
                    "precision, recall and F1 per type (conlleval semantics), token accuracy and error counts.",
    )
    evaluate.add_argument("model", help="run folder, checkpoint folder, run name, HF model folder or Hub id")
    evaluate.add_argument("data", nargs="?", default="validation",
                          help="train, validation (or dev), test, or a path to a CoNLL file (default: validation)")
    evaluate.add_argument("--data-dir", help="folder with conllpp_{train,dev,test}.txt (default: $NERLIB_DATA_DIR, cache, download)")
    evaluate.add_argument("--limit", type=_positive_int, help="score only the first N sentences (N >= 1)")
    evaluate.add_argument("--predictions", help="write 'word gold predicted' CoNLL lines to this file")
    evaluate.add_argument("--errors", help="write one row per entity error to this CSV file")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON instead of a table")
    evaluate.add_argument("--seen-from", default="train",
                          help="training split or CoNLL file whose entities count as seen, for the seen/unseen "
                               "scores (default: train; 'none' to skip)")
    _add_model_options(evaluate, default_dtype="float32")  # scores equal the training script's

    push = commands.add_parser(
        "push", help="upload a run's best checkpoint with its model card to the Hugging Face Hub",
        description="Write the model card (checkpoints/best/README.md) and upload the weights, tokenizer "
                    "and card (never optimizer state) to a Hub model repository, created if missing. Log "
                    "in first (`hf auth login`) or set HF_TOKEN.",
    )
    push.add_argument("run", help="a training run folder (its best checkpoint) or a checkpoint folder")
    push.add_argument("repo", nargs="?", help="the Hub repository, e.g. my-name/conllpp-minilm")
    push.add_argument("--private", action="store_true", help="create the repository as private")
    push.add_argument("--card-only", action="store_true",
                      help="only write the model card into the checkpoint folder; upload nothing")
    _add_export_parser(commands)
    return parser


def _add_export_parser(commands: argparse._SubParsersAction) -> None:
    export = commands.add_parser(
        "export-onnx", help="export a checkpoint to ONNX for onnxruntime (float32, optionally int8)",
        description="Export a checkpoint to a folder that the tagger runs with onnxruntime on the CPU: model.onnx "
                    "(float32, dynamic batch and sequence axes), with --int8 also model.int8.onnx (dynamic "
                    "quantization: int8 weights), the config with the label map, the tokenizer, and "
                    "onnx-manifest.json naming the source model (an ONNX file from another model is refused "
                    "when loaded). Then: python -m nerlib tag -m OUT ... (see docs/onnx.md).",
    )
    export.add_argument("model", metavar="RUN_OR_MODEL",
                        help="a training run folder, a checkpoint folder, a run name or a Hub id")
    export.add_argument("out", metavar="OUT", nargs="?",
                        help="the folder to write (new, empty, or an earlier export); default RUN_OR_MODEL/onnx, "
                             "where the tagger's --backend auto looks")
    export.add_argument("--int8", action="store_true", help="also write the dynamically quantized model.int8.onnx")
    export.add_argument("--reduce-range", choices=("auto", "on", "off"), default="auto",
                        help="--int8: 7-bit weights (advised on CPUs without VNNI); auto: on where this CPU "
                             "lacks VNNI")


def run_export(args: argparse.Namespace, stdout: TextIO) -> int:
    """``export-onnx``: write the exported folder and print what was written.

    Parameters
    ----------
    args:
        The parsed ``export-onnx`` arguments (``model``, ``out``, ``int8``, ``reduce_range``).
    stdout:
        Where the folder and its files are printed.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    UsageError
        For an ``OUT`` that is no usable path (a NUL byte, a control character).
    nerlib.runs.checkpoints.CheckpointError
        For a source that cannot be loaded, or an ``OUT`` that is a file or a non-empty folder
        holding no earlier export.
    ImportError
        When onnx or onnxruntime is missing (the message names the extra).
    """
    from nerlib.errors import check_usable_path
    from nerlib.runs.exported import export_onnx

    try:
        out = check_usable_path(args.out) if args.out else None
    except ValueError as error:  # a NUL byte or control character: said as a usage error, not a bug
        raise UsageError(f"OUT {error}") from None
    _quiet_transformers()
    reduce_range = {"auto": None, "on": True, "off": False}[args.reduce_range]
    folder, manifest = export_onnx(args.model, out, int8=args.int8, reduce_range=reduce_range)
    for precision, record in manifest.files.items():
        stdout.write(f"{folder / record.name}: {precision}, {record.bytes / 1e6:.1f} MB"
                     + (f", reduce_range={record.reduce_range}" if record.reduce_range is not None else "") + "\n")
    stdout.write(f"{folder}: exported from {manifest.source_folder} (model id {manifest.model_id[:12]}); "
                 f"tag with: python -m nerlib tag -m {folder}\n")
    return 0


def run_push(args: argparse.Namespace, stdout: TextIO) -> int:
    """``push``: write the model card, upload, print the commit URL (or the card's path).

    Parameters
    ----------
    args:
        The parsed ``push`` arguments (``run``, ``repo``, ``private``, ``card_only``).
    stdout:
        Where the commit URL (or, with ``--card-only``, the card's path) is printed.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    ValueError
        With ``--card-only`` for a checkpoint folder outside a training run (the card needs
        ``run.json`` and ``metrics.jsonl``), or without ``--card-only`` when no repository is given.
    """
    from nerlib.runs.hub import checkpoint_folder, push_checkpoint
    from nerlib.runs.modelcard import write_model_card

    if args.card_only:
        run_dir, folder = checkpoint_folder(args.run)
        if run_dir is None:
            raise ValueError(f"{args.run}: a model card needs the training run (run.json, metrics.jsonl)")
        stdout.write(f"{write_model_card(run_dir, folder)}\n")
        return 0
    if not args.repo:
        raise ValueError("push needs the Hub repository (e.g. my-name/conllpp-minilm), or --card-only")
    stdout.write(push_checkpoint(args.run, args.repo, private=args.private) + "\n")
    return 0


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
            yield from (stdin.read(),) if args.whole_file else (line.rstrip("\r\n") for line in stdin)
            return
    try:
        if args.whole_file:
            yield _decode_whole(handle.read(), name)
        else:
            for _, text in read_lines(handle, name, split_cr=True):
                yield text
    finally:
        if handle is not getattr(stdin, "buffer", None):
            handle.close()


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


def _load_tagger(args: argparse.Namespace):
    from nerlib.runs.checkpoints import CheckpointNotFoundError, latest_trained_run
    from nerlib.runs.folder import default_runs_dir
    from nerlib.tagging.tagger import Tagger

    if args.model is None:
        run = latest_trained_run()
        if run is None:
            raise CheckpointNotFoundError(
                f"no --model given and no trained run in {default_runs_dir()}; pass -m with a run folder, "
                "a checkpoint folder or a Hub id, or set NERLIB_RUNS_DIR"
            )
        print(f"using the newest trained run: {run}", file=sys.stderr)
        args.model = str(run)
    _quiet_transformers()
    context = {"model": None, "on": True, "off": False}[args.context]
    return Tagger.from_pretrained(args.model, device=args.device, dtype=args.dtype, quantize=args.quantize,
                                  backend=args.backend, batch_size=args.batch_size, max_tokens=args.max_tokens,
                                  document_context=context,
                                  word_pooling=None if args.word_pooling == "model" else args.word_pooling)


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
    tagger = _load_tagger(args)
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


def run_tag(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
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
    check_device(args.device)
    if _is_bulk(args):
        return run_bulk_tag(args, stdout)
    if args.whole_file and args.file and args.file != "-":
        from nerlib.data.lines import check_regular_file

        check_regular_file(args.file)  # a folder or FIFO is refused before the model loads
    tagger = _load_tagger(args)
    out = None  # the output file opens with the first result: a failed input leaves no empty file
    try:
        for chunk in _chunks(_read_texts(args, stdin), _CHUNK):
            if out is None:
                out = open(args.output, "w", encoding="utf-8") if args.output else stdout  # noqa: SIM115
            for tagged in tagger.tag_many(chunk):
                out.write(json.dumps(tagged.to_dict(words=args.words), ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if out is not None and out is not stdout:
            out.close()
    if out is None and args.output:  # no input at all: an empty result, as before
        Path(args.output).write_text("", encoding="utf-8")
    return 0


def format_table(result) -> str:
    """The per-type table ``evaluate`` prints (percentages, like conlleval).

    Parameters
    ----------
    result:
        An :class:`~nerlib.evaluation.scoring.EvaluationResult`.

    Returns
    -------
    str
        Precision, recall, F1 and support per type and overall, the seen/unseen rows when the
        metrics have them, then counts, token accuracy, error counts by kind, and the checkpoint,
        data and seconds; lines joined by newlines, no final newline.
    """
    metrics = result.metrics
    lines = [f"{'type':<8}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}"]
    for row in result.table().itertuples(index=False):
        if row.type == "ALL":
            lines.append("-" * len(lines[0]))
        lines.append(f"{row.type:<8}{100 * row.precision:>10.2f}{100 * row.recall:>9.2f}{100 * row.f1:>8.2f}{row.support:>9d}")
    subsets = result.metrics.seen_unseen_table()
    if not subsets.empty:
        lines.append("")
        for row in subsets.itertuples(index=False):
            if row.entities != "all":
                lines.append(f"{row.entities:<8}{100 * row.precision:>10.2f}{100 * row.recall:>9.2f}"
                             f"{100 * row.f1:>8.2f}{row.support:>9d}   (entities {'seen' if row.entities == 'seen' else 'not seen'} in training)")
    counts = result.error_counts()
    lines += [
        "",
        f"sentences {metrics.sentences}, gold entities {metrics.support}, predicted {metrics.predicted}, "
        f"token accuracy {100 * metrics.token_accuracy:.2f}%",
        "errors: " + ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in counts.items()),
        f"checkpoint {result.checkpoint}; data {result.source}; {result.seconds:.1f} s",
    ]
    return "\n".join(lines)


def run_evaluate(args: argparse.Namespace, stdout: TextIO) -> int:
    """``evaluate``: print the per-type table (or JSON) and write the optional files.

    Output paths, the device and the data are checked before the model loads. When ``--seen-from``
    names a training split that is not available, the seen/unseen scores are left out with a note
    on standard error.

    Parameters
    ----------
    args:
        The parsed ``evaluate`` arguments.
    stdout:
        Where the table (or, with ``--json``, the metrics and error counts as JSON) is printed.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    UsageError
        When an output file cannot be written, the device is not available, or the data holds no
        sentences.
    FileNotFoundError
        When the data is neither a split name nor a CoNLL file;
        :class:`nerlib.data.conllpp.DataNotFoundError` when the CoNLL++ split cannot be found.
    """
    from nerlib.data.conllpp import DataNotFoundError
    from nerlib.evaluation.scoring import evaluate_sentences, load_sentences, training_entities

    check_output(args.predictions, "--predictions")  # bad outputs, devices and data fail before the model loads
    check_output(args.errors, "--errors")
    check_device(args.device)
    sentences, source = load_sentences(args.data, args.data_dir)
    if not sentences:
        raise UsageError(f"{source}: nothing to score: no sentences (the file is empty or holds only "
                         "-DOCSTART- lines)")
    if args.limit is not None:
        sentences = sentences[: args.limit]
    seen = None
    if args.seen_from.lower() != "none":
        try:
            seen = training_entities(args.seen_from, args.data_dir)
        except DataNotFoundError:  # no CoNLL++ here: scores without the seen/unseen split
            print("note: no training split found; seen/unseen scores left out (--seen-from FILE)", file=sys.stderr)
    tagger = _load_tagger(args)
    result = evaluate_sentences(tagger, sentences, batch_size=args.batch_size, source=source,
                                checkpoint=str(tagger.path), seen=seen)
    if args.predictions:
        result.write_predictions(args.predictions)
    if args.errors:
        result.errors.to_csv(args.errors, index=False)
    if args.json:
        payload = {"checkpoint": result.checkpoint, "data": result.source, "metrics": result.metrics.to_dict(),
                   "errors": {k: int(v) for k, v in result.error_counts().items()}}
        stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        stdout.write(format_table(result) + "\n")
    return 0


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Entry point of ``python -m nerlib`` (and the ``nerlib`` console script).

    Runs inside the one error boundary (:func:`nerlib.errors.run_command`): every failure (a
    missing checkpoint or file, a malformed or undecodable input line, a bad value, a failed upload,
    an OS error, a bug) prints one ``error: ...`` line on standard error naming the file (and line)
    where known, instead of a traceback (``--debug`` or ``NERLIB_DEBUG=1`` adds it); a closed pipe
    (``... | head``) is not an error. Bad options exit 2 with argparse's usage message.

    Parameters
    ----------
    argv:
        The arguments, without the program name; None reads ``sys.argv``.
    stdin, stdout:
        The streams to read texts from and print to; None means ``sys.stdin`` / ``sys.stdout``.

    Returns
    -------
    int
        The exit code: 0 on success, 1 after an error it reported.
    """
    from nerlib.errors import run_command

    def work(arguments: list[str]) -> int:
        args = build_parser().parse_args(arguments)
        if args.command == "tag":
            return run_tag(args, stdin or sys.stdin, stdout or sys.stdout)
        if args.command == "push":
            return run_push(args, stdout or sys.stdout)
        if args.command == "export-onnx":
            return run_export(args, stdout or sys.stdout)
        return run_evaluate(args, stdout or sys.stdout)

    return run_command(work, argv)
