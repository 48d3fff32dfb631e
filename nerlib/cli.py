"""Command line: ``python -m nerlib`` and its subcommands (``tag``, ``evaluate``, ``compare``, ...; ``--help`` lists them).

Examples::

    python -m nerlib tag -m runs/minilm "Angela Merkel visited Paris."
    cat articles.txt | python -m nerlib tag -m runs/minilm          # one text per line
    python -m nerlib tag -m runs/minilm --file story.txt --whole-file --words
    python -m nerlib evaluate runs/minilm test --predictions test.conll --errors errors.csv
    python -m nerlib push runs/minilm my-name/conllpp-minilm    # best checkpoint + model card to the Hub
    python -m nerlib calibrate runs/minilm                       # temperature scaling, ECE before/after
    python -m nerlib export-onnx runs/minilm --int8             # runs/minilm/onnx for onnxruntime
    python -m nerlib compare runs/minilm-seed1 runs/minilm-seed2 test   # difference, 95% CI, p-value
    python -m nerlib serve runs/minilm --port 8000             # HTTP: POST /tag, /ready, /docs
    python -m nerlib localize runs/minilm test.conll --to IN --output test.in.conll  # entity-switched copy

``tag`` writes one JSON object per input text (JSON lines, in input order):
``{"text": ..., "entities": [{"text", "label", "start", "end", "score"}]}`` with character offsets
(Unicode code points, end exclusive) into that text. ``evaluate`` prints a per-type table.

Why one module of this length: it is the command line's one concept (parsers, the commands'
front ends, and the one place where errors become an ``error:`` line and an exit code); the work
itself lives in `nerlib.tagging`, `nerlib.evaluation`, `nerlib.quality`, `nerlib.localizer`,
`nerlib.serving` and `nerlib.runs`. About half of it is docstrings. With nine commands it has
outgrown one file: the next step is one module per command (parser + front end) under a
`nerlib.commands` package, this module keeping the table of commands and the error boundary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    ray.add_argument("--concurrency", type=_positive_int, default=1, help="actors, each with its own tagger (default 1)")
    ray.add_argument("--num-cpus", type=_non_negative_float, default=1.0, help="CPUs each actor reserves (default 1)")
    ray.add_argument("--num-gpus", type=_non_negative_float, default=0.0,
                     help="GPUs each actor reserves; a fraction shares a GPU (default 0)")
    ray.add_argument("--retries", type=_retry_count, default=3, metavar="N",
                     help="restarts per actor and re-sends per batch after a worker process dies (default 3)")
    ray.add_argument("--connect-timeout", type=_positive_seconds, default=20.0,
                     help="seconds to wait for the cluster at --address (default 20)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m nerlib``."""
    parser = argparse.ArgumentParser(
        prog="python -m nerlib",
        description="NER workbench: tag text with a trained checkpoint, or evaluate one on CoNLL data.",
    )
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback under an error line (also NERLIB_DEBUG=1); anywhere on the "
                             "command line")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{tag,evaluate,push,label-issues,compare,serve,localize,export-onnx,calibrate}")

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
    bulk.add_argument("--block-size", type=_positive_int, default=1024, help="texts read, tagged and written at a time")
    bulk.add_argument("--no-progress", action="store_true", help="no progress bar on standard error")
    _add_engine_options(tag)
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
    evaluate.add_argument("--partial", action="store_true",
                          help="add the partial-match scores (nervaluate's strict / exact / partial / ent_type "
                               "schemes; needs the compare extra)")
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
    _add_label_issues_parser(commands)
    _add_compare_parser(commands)
    _add_serve_parser(commands)
    _add_localize(commands)
    _add_export_parser(commands)
    _add_calibrate_parser(commands)
    return parser


def _add_calibrate_parser(commands) -> None:
    calibrate = commands.add_parser(
        "calibrate", help="fit a temperature so that scores mean what they say; store it with the checkpoint",
        description="Fit one temperature on the validation split (minimising the negative log-likelihood of "
                    "the gold labels), print the expected calibration error (15 bins, word and entity level) "
                    "and NLL before and after on that split and the test split, and write calibration.json "
                    "into the checkpoint folder: every score a Tagger of that checkpoint gives afterwards "
                    "uses it (labels never change). See docs/calibration.md.",
    )
    calibrate.add_argument("run", help="a training run folder (its best checkpoint), a checkpoint folder or a run name")
    calibrate.add_argument("--split", default="validation",
                           help="split or CoNLL file to fit on (default: validation; 'dev' works too)")
    calibrate.add_argument("--test", default="test",
                           help="split or CoNLL file also scored before and after (default: test; 'none' to skip)")
    calibrate.add_argument("--data-dir", help="folder with conllpp_{train,dev,test}.txt")
    calibrate.add_argument("--limit", type=_positive_int, help="use only the first N sentences of each split")
    calibrate.add_argument("--batch-size", type=_positive_int, default=64, help="windows per forward pass")
    calibrate.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: cuda if available)")
    calibrate.add_argument("--json", action="store_true", help="print the report as JSON")


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


def _add_label_issues_parser(commands) -> None:
    """``label-issues``: rank a dataset's sentences by how likely their labels are wrong (issue 21)."""
    issues = commands.add_parser(
        "label-issues", help="find the likely label errors of a split or CoNLL file (cleanlab)",
        description="Score every label of a CoNLL++ split or CoNLL file against the run's out-of-sample class "
                    "distributions (cleanlab token_classification) and write one JSON line per sentence, most "
                    'likely wrong first: {"sentence", "quality", "tokens", "given", "suggested", "flagged", '
                    '"entities", ...}. Data the run was trained on is scored by K-fold cross-training (each fold '
                    "trains the run's recipe on the other parts; resumable), other data in one pass. The result "
                    "is also saved in RUN/quality/ for the dashboard's Data quality page (docs/quality.md).",
    )
    issues.add_argument("model", metavar="RUN", help="a training run folder (or, for one pass, any checkpoint)")
    issues.add_argument("data", metavar="FILE_OR_SPLIT", help="train, validation (or dev), test, or a CoNLL file")
    issues.add_argument("--folds", type=_positive_int, default=None,
                        help="K-fold cross-training with K folds (default: 5 for the run's training data, "
                             "one pass for anything else)")
    issues.add_argument("-o", "--output", help="write the JSON lines to this file (default: standard output)")
    issues.add_argument("--top", type=_positive_int, default=None,
                        help="print a readable table of the N most likely wrong sentences instead of JSON lines")
    issues.add_argument("--data-dir", help="folder with conllpp_{train,dev,test}.txt (default: $NERLIB_DATA_DIR, cache)")
    issues.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: cuda if available)")
    issues.add_argument("--batch-size", type=_positive_int, default=None, help="windows per forward pass")
    issues.add_argument("--no-save", action="store_true",
                        help="do not save the result in RUN/quality/ (the Data quality page reads it there)")


def run_label_issues(args: argparse.Namespace, stdout: TextIO) -> int:
    """``label-issues``: write the ranked sentences (or, with ``--top``, a table).

    Parameters
    ----------
    args:
        The parsed ``label-issues`` arguments.
    stdout:
        Where the JSON lines (without ``--output``) or the table go.

    Returns
    -------
    int
        The exit code, 0 (also for an empty file: no issues).

    Raises
    ------
    UsageError
        When ``--output`` cannot be written or the device is not available.
    nerlib.quality.scores.UnknownLabelsError
        For labels outside the model's label set.
    """
    from nerlib.quality.issues import detect_label_issues, format_issue_table, save_report, write_issues

    check_output(args.output, "--output")
    check_device(args.device)
    _quiet_transformers()
    report = detect_label_issues(args.model, args.data, data_dir=args.data_dir, folds=args.folds,
                                 device=args.device, batch_size=args.batch_size)
    if (Path(args.model) / "run.json").is_file() and not args.no_save and report.issues:
        print(f"saved for the Data quality page: {save_report(report, args.model)}", file=sys.stderr)
    if args.output and args.output != "-":
        write_issues(report.issues, args.output)
    if args.top:
        stdout.write(format_issue_table(report, args.top) + "\n")
    elif not args.output or args.output == "-":
        for issue in report.issues:
            stdout.write(json.dumps(issue.to_dict(), ensure_ascii=False) + "\n")
    print(f"{report.source}: {len(report.issues)} sentences, {len(report.flagged)} with flagged words "
          f"({report.method}, {report.seconds:.1f} s)", file=sys.stderr)
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535, got {text}")
    return value


def _milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of milliseconds, got {text!r}") from None
    if not 0 <= value <= 60_000:
        raise argparse.ArgumentTypeError(f"must be 0 to 60000 milliseconds, got {text}")
    return value


def _add_serve_parser(commands) -> None:
    """``serve``: the HTTP service (:mod:`nerlib.serving`); its defaults are the library's."""
    from nerlib.serving import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_CONNECTIONS
    from nerlib.serving.batcher import BatchLimits

    serve = commands.add_parser(
        "serve", help="serve a model over HTTP (FastAPI): POST /tag, GET /health, /ready, /metadata, /docs",
        description="Serve a checkpoint over HTTP with FastAPI and uvicorn (the [serve] extra). POST /tag takes "
                    '{"text": "..."} or {"texts": [...]} (optionally "words": true) and answers the JSON '
                    "`tag` writes (one object, or a list of them); GET /health (alive), /ready (model loaded), "
                    "/metadata (labels, model, run, versions), /docs (OpenAPI). Concurrent requests are "
                    "batched: up to --max-batch-size texts, or what arrives within --max-wait-ms, go "
                    "through the model in one call. Listens on loopback only unless --host says otherwise. "
                    "See docs/serving.md.",
    )
    serve.add_argument("model", metavar="RUN_OR_MODEL",
                       help="a training run folder, a checkpoint folder, a run name in $NERLIB_RUNS_DIR, a saved "
                            "Hugging Face model folder, or a Hub id")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for every "
                            "interface, e.g. in a container)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0: any free port, printed)")
    limits = serve.add_argument_group("batching and limits")
    limits.add_argument("--max-batch-size", type=_positive_int, default=BatchLimits.max_batch_size,
                        help=f"most texts per model call (default {BatchLimits.max_batch_size}; 1 turns batching off)")
    limits.add_argument("--max-wait-ms", type=_milliseconds, default=BatchLimits.max_wait_ms,
                        help="how long a batch waits for more requests once the first arrives (default "
                             f"{BatchLimits.max_wait_ms:g} ms)")
    limits.add_argument("--max-queue", type=_positive_int, default=BatchLimits.max_queue,
                        help=f"most requests waiting for the model; more get 503 (default {BatchLimits.max_queue})")
    limits.add_argument("--max-body-bytes", type=_positive_int, default=DEFAULT_MAX_BODY_BYTES,
                        help=f"largest request body; larger gets 413 (default {DEFAULT_MAX_BODY_BYTES})")
    limits.add_argument("--max-connections", type=_positive_int, default=DEFAULT_MAX_CONNECTIONS,
                        help="most open connections and requests in flight; more get 503 from uvicorn "
                             f"(default {DEFAULT_MAX_CONNECTIONS})")
    serve.add_argument("--log-level", choices=("critical", "error", "warning", "info", "debug"), default="info",
                       help="uvicorn's log level (default info: one line per request)")
    _add_model_options(serve, default_dtype="auto")


def run_serve(args: argparse.Namespace) -> int:
    """``serve``: check the options and the model's path, then serve until Ctrl-C or SIGTERM.

    Parameters
    ----------
    args:
        The parsed ``serve`` arguments.

    Returns
    -------
    int
        The exit code, 0 after a clean shutdown.

    Raises
    ------
    nerlib.serving.ServeExtraMissingError
        When FastAPI or uvicorn is not installed.
    UsageError
        When ``--device`` is not available.
    nerlib.runs.checkpoints.CheckpointNotFoundError
        When the model is a local path that holds no model (before the server starts); a model that
        fails to load later stops the server with its own error.
    OSError
        When the address cannot be bound.
    """
    from nerlib.errors import check_usable_path
    from nerlib.runs.checkpoints import resolve_checkpoint_dir
    from nerlib.serving import require_serve_extra

    require_serve_extra()
    check_device(args.device)
    check_usable_path(args.model)
    resolve_checkpoint_dir(args.model)  # a missing folder fails now, not after the server is up

    from nerlib.serving.server import serve
    from nerlib.serving.service import ServiceLimits

    limits = ServiceLimits(max_batch_size=args.max_batch_size, max_wait_ms=args.max_wait_ms,
                           max_queue=args.max_queue, max_body_bytes=args.max_body_bytes)
    serve(lambda: _load_tagger(args), host=args.host, port=args.port, limits=limits,
          max_connections=args.max_connections, log_level=args.log_level, describe=args.model)
    return 0


def _add_localize(commands) -> None:
    localize = commands.add_parser(
        "localize", help="rewrite a CoNLL file's entities into another country's context (training data)",
        description="Rewrite the people, places, organisations and MISC of a CoNLL file from one country's "
                    "context to another's (nerlib.localizer) and write CoNLL with the new words and re-projected "
                    "IOB2 tags; untouched token lines are copied byte for byte. The file's own (gold) tags say "
                    "where the entities are: nothing is tagged again. RUN, when given, is a run or model folder "
                    "whose label set the tags must stay in (a tag of another type is an error with its line); "
                    "without it the CoNLL types PER, LOC, ORG and MISC are allowed.",
    )
    localize.add_argument("paths", nargs="+", metavar="[RUN] FILE", help="optional run or model folder, then the CoNLL file")
    localize.add_argument("--to", required=True, dest="target", help="target country (IN, India, JP, Brazil, ...)")
    localize.add_argument("--from", default="USA", dest="source",
                          help="source country or region (USA, UK, West, ...; default USA)")
    localize.add_argument("--output", "-o", required=True, help="the CoNLL file to write")
    localize.add_argument("--seed", type=int, default=0, help="which of the near-best names are chosen (default 0)")
    localize.add_argument("--report", help="write one row per entity (line, type, original, replacement, "
                                           "changed, reason) to this TSV file")
    localize.add_argument("--vectors", help="word vectors (default: $NERLIB_VECTORS or the offline GloVe)")


def run_localize(args: argparse.Namespace, stdout: TextIO) -> int:
    """``localize``: write the localized CoNLL file and print one summary line.

    Parameters
    ----------
    args:
        The parsed ``localize`` arguments.
    stdout:
        Where the summary line goes.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    UsageError
        For more than two paths, an output that cannot be written, or a Hub id as RUN.
    nerlib.localizer.UnsupportedCountryError
        For an unsupported country (the message lists the supported ones).
    nerlib.data.conll.ConllFormatError
        With file and line, for a malformed line or a tag outside the run's label set.
    """
    import csv

    from nerlib.data.labels import split_tag
    from nerlib.localizer import Localizer, resolve_country
    from nerlib.localizer.conll import localize_conll
    from nerlib.localizer.places import resolve_source
    from nerlib.localizer.vectors import load_vectors
    from nerlib.runs.checkpoints import read_label_map, resolve_checkpoint_dir

    if len(args.paths) > 2:
        raise UsageError(f"localize takes [RUN] FILE, got {len(args.paths)} paths")
    check_output(args.output, "--output")
    check_output(args.report, "--report")
    resolve_source(args.source)  # unsupported countries fail before the vectors load
    resolve_country(args.target)
    types = None
    if len(args.paths) == 2:
        folder = resolve_checkpoint_dir(args.paths[0])
        if folder is None:
            raise UsageError(f"{args.paths[0]}: RUN must be a local run or model folder (its label set is read)")
        types = {split_tag(label)[1] for label in read_label_map(folder).values()} - {""}
    localizer = Localizer(load_vectors(args.vectors), args.source, args.target, seed=args.seed, prototypes=None)
    result = localize_conll(localizer, args.paths[-1], args.output, types)
    if args.report:
        with open(args.report, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, ["line", "type", "original", "replacement", "changed", "reason"],
                                    delimiter="\t")
            writer.writeheader()
            writer.writerows(result.rows)
    kept = result.entities - result.changed
    stdout.write(f"{args.output}: {result.changed} of {result.entities} entities replaced ({kept} kept"
                 f"{', listed in ' + args.report if args.report else '; --report lists them'}), "
                 f"{result.sentences} sentences in {result.documents} documents, {localizer.source} -> "
                 f"{localizer.target}, seed {args.seed}\n")
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
    if args.engine == "ray":
        return run_ray_tag(args, stdout)
    check_device(args.device)
    if _is_bulk(args):
        return run_bulk_tag(args, stdout)
    if args.whole_file and args.file and args.file != "-":
        from nerlib.data.lines import check_regular_file

        check_regular_file(args.file)  # a folder or FIFO is refused before the model loads
    tagger = _load_tagger(args)
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
    partial = None
    if args.partial:
        from nerlib.evaluation.partial import partial_match

        partial = partial_match(result.gold, result.predicted)
    if args.json:
        payload = {"checkpoint": result.checkpoint, "data": result.source, "metrics": result.metrics.to_dict(),
                   "errors": {k: int(v) for k, v in result.error_counts().items()}}
        if partial is not None:
            payload["partial"] = _json_records(partial)
        stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        stdout.write(format_table(result) + "\n")
        if partial is not None:
            stdout.write("\n" + format_partial(partial) + "\n")
    return 0


def run_calibrate(args: argparse.Namespace, stdout: TextIO) -> int:
    """``calibrate``: fit, print the before/after table (or JSON), write calibration.json.

    Raises
    ------
    UsageError
        For a Hub id (calibration.json goes into a local checkpoint folder) or an unknown device.
    """
    from nerlib.evaluation.calibration import calibrate_checkpoint
    from nerlib.runs.checkpoints import resolve_checkpoint_dir

    check_device(args.device)
    if resolve_checkpoint_dir(args.run) is None:
        raise UsageError(f"{args.run!r} is no local run or checkpoint folder; calibrate writes calibration.json "
                         "into one (download a Hub model with save_pretrained first)")
    _quiet_transformers()
    report = calibrate_checkpoint(args.run, args.split, None if args.test.lower() == "none" else args.test,
                                  data_dir=args.data_dir, batch_size=args.batch_size, device=args.device,
                                  limit=args.limit, progress=lambda line: print(line, file=sys.stderr))
    if args.json:
        stdout.write(json.dumps({"checkpoint": report.checkpoint, "temperature": report.temperature,
                                 "split": report.split, "before": report.before, "after": report.after,
                                 "file": str(report.path)}, indent=2) + "\n")
        return 0
    lines = [f"temperature {report.temperature:.4f}, fitted on {report.split} ({report.before[0]['sentences']} "
             f"sentences, {report.before[0]['words']} words)",
             f"{'split':<12}{'state':<8}{'sentences':>10}{'words':>8}{'entities':>9}{'word ECE':>10}"
             f"{'entity ECE':>11}{'NLL':>8}"]
    for row in report.table().itertuples(index=False):
        entity_ece = "-" if row.entity_ece is None or row.entity_ece != row.entity_ece else f"{row.entity_ece:.4f}"
        lines.append(f"{row.split:<12}{row.state:<8}{row.sentences:>10}{row.words:>8}{row.entities:>9}"
                     f"{row.word_ece:>10.4f}{entity_ece:>11}{row.nll:>8.4f}")
    lines.append(f"wrote {report.path}")
    stdout.write("\n".join(lines) + "\n")
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
        if args.command == "calibrate":
            return run_calibrate(args, stdout or sys.stdout)
        if args.command == "label-issues":
            return run_label_issues(args, stdout or sys.stdout)
        if args.command == "compare":
            return run_compare(args, stdout or sys.stdout)
        if args.command == "serve":
            return run_serve(args)
        if args.command == "localize":
            return run_localize(args, stdout or sys.stdout)
        if args.command == "export-onnx":
            return run_export(args, stdout or sys.stdout)
        return run_evaluate(args, stdout or sys.stdout)

    return run_command(work, argv)


# --- compare: two runs side by side (kept together at the end of the module) ---


def _add_compare_parser(commands) -> None:
    compare = commands.add_parser(
        "compare", help="compare two runs: F1 difference, 95%% interval, p-value, sentence diff",
        description="Score two training runs on the same sentences: P/R/F1 per type of each, the F1 "
                    "difference (B - A) with a 95%% paired-bootstrap interval (whole documents resampled "
                    "when the file has -DOCSTART- lines) and an approximate-randomization p-value, the "
                    "seed spread of runs that differ only in the seed, the sentences only one run gets "
                    "right, and nervaluate's partial-match scores. A finished run is compared at its best "
                    "checkpoint, an unfinished one at its last complete checkpoint.",
    )
    compare.add_argument("run_a", metavar="RUN_A", help="a training run folder or a run name in $NERLIB_RUNS_DIR")
    compare.add_argument("run_b", metavar="RUN_B", help="the other run")
    compare.add_argument("data", nargs="?", default="test",
                         help="train, validation (or dev), test, or a path to a CoNLL file (default: test)")
    compare.add_argument("--data-dir", help="folder with conllpp_{train,dev,test}.txt")
    compare.add_argument("--resamples", type=_positive_int, default=1000,
                         help="bootstrap resamples and randomization rounds (default 1000)")
    compare.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    compare.add_argument("--limit", type=_positive_int, help="compare on the first N sentences only")
    compare.add_argument("--json", action="store_true", help="print everything as JSON (for scripts)")
    compare.add_argument("--sentences", type=int, default=5, metavar="N",
                         help="list N sentences of each diff category (default 5; 0: none)")
    compare.add_argument("--recompute", action="store_true",
                         help="tag with both checkpoints even when a run folder saved predictions of these sentences")
    compare.add_argument("--batch-size", type=_positive_int, default=None, help="windows per forward pass")
    compare.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: cuda if available)")


def _json_records(frame) -> list[dict]:
    from nerlib.evaluation.comparison import _json_ready

    return _json_ready(frame.to_dict("records"))


def _pct(value: float, width: int = 7, sign: bool = False) -> str:
    import math

    if value is None or not math.isfinite(value):
        return f"{'n/a':>{width}}"
    return f"{100 * value:>{'+' if sign else ''}{width or ''}.2f}"


def format_partial(table) -> str:
    """nervaluate's schemes as ``evaluate --partial`` prints them: one block per scheme, a row per
    type (percentages; n/a where undefined)."""
    columns = ("correct", "incorrect", "partial", "missed", "spurious")
    run_column = "run" in table.columns
    head = f"{'run  ' if run_column else ''}{'scheme':<9}{'type':<6}" + "".join(f"{c:>10}" for c in columns)
    lines = ["partial match (nervaluate)", head + f"{'P':>8}{'R':>8}{'F1':>8}"]
    for row in table.itertuples(index=False):
        lead = f"{row.run:<5}" if run_column else ""
        lines.append(lead + f"{row.scheme:<9}{row.type:<6}" + "".join(f"{getattr(row, c):>10d}" for c in columns)
                     + _pct(row.precision, 8) + _pct(row.recall, 8) + _pct(row.f1, 8))
    return "\n".join(lines)


def _category(name: str) -> str:
    """``only_a_right`` -> ``only A right``."""
    return " ".join(part.upper() if part in ("a", "b") else part for part in name.split("_"))


def format_comparison(comparison, sentences: int = 5) -> str:
    """The report ``compare`` prints: the two runs, the score table with the difference, its 95%
    interval, p-value and seed spread, the sentence diff counts and examples, the partial-match
    table and notes (percentages; n/a where undefined)."""
    from nerlib.evaluation.comparison import DIFF_CATEGORIES

    c = comparison
    how = lambda reused: "predictions saved by training" if reused else "tagged now"  # noqa: E731
    lines = [f"A: {c.run_a} ({how(c.reused_a)})", f"B: {c.run_b} ({how(c.reused_b)})",
             f"data: {c.source}, {c.sentences} sentences; {c.resamples} bootstrap resamples and randomization "
             f"rounds over {c.units} {c.unit_kind}, seed {c.seed}", ""]
    head = (f"{'type':<6}{'support':>8}{'P A':>7}{'R A':>7}{'F1 A':>7}{'P B':>7}{'R B':>7}{'F1 B':>7}"
            f"{'B-A':>8}  {'95% CI':<17}{'p':>7}  seed sd A/B")
    lines.append(head)
    for row in c.scores.itertuples(index=False):
        if row.type == "ALL":
            lines.append("-" * len(head))
        interval = f"[{_pct(row.ci_low, 0, True)}, {_pct(row.ci_high, 0, True)}]" \
            if row.ci_low == row.ci_low else "n/a"
        p_value = f"{row.p_value:>7.3f}" if row.p_value == row.p_value else f"{'n/a':>7}"
        lines.append(f"{row.type:<6}{row.support:>8d}{_pct(row.precision_a)}{_pct(row.recall_a)}{_pct(row.f1_a)}"
                     f"{_pct(row.precision_b)}{_pct(row.recall_b)}{_pct(row.f1_b)}{_pct(row.difference, 8, True)}"
                     f"  {interval:<17}{p_value}  {_pct(row.seed_sd_a, 0).strip()}/{_pct(row.seed_sd_b, 0).strip()}")
    lines.append("(percent; B-A = F1(B) - F1(A); seed sd: standard deviation of the recorded test F1 over the runs "
                 "differing only in the seed: "
                 f"A {len(c.spread_runs_a)} run(s), B {len(c.spread_runs_b)} run(s))")
    counts = c.diff_counts()
    lines += ["", "sentences: " + ", ".join(f"{_category(k)} {n}" for k, n in counts.items())]
    for category in DIFF_CATEGORIES[:3]:
        rows = c.diff[c.diff.category == category].head(max(sentences, 0))
        for row in rows.itertuples(index=False):
            shown = lambda spans: ", ".join(f"{s['text']}/{s['label']}" for s in spans) or "-"  # noqa: E731
            lines.append(f"  {_category(category)} #{row.sentence} (line {row.line}): {row.text[:100]}")
            lines.append(f"    gold {shown(row.gold)} | A {shown(row.a)} | B {shown(row.b)}")
    if not c.partial.empty:
        lines += ["", format_partial(c.partial)]
    lines += [f"note: {note}" for note in c.notes]
    return "\n".join(lines)


def run_compare(args: argparse.Namespace, stdout: TextIO) -> int:
    """``compare``: score two runs on the same sentences and print the report (or JSON).

    Parameters
    ----------
    args:
        The parsed ``compare`` arguments.
    stdout:
        Where the report goes.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    nerlib.evaluation.comparison.CompareError
        For a folder that is no run, a run without a checkpoint, or runs with different label sets.
    UsageError
        When the device is not available or the data holds no sentences.
    """
    from nerlib.evaluation.comparison import compare_runs

    check_device(args.device)
    _quiet_transformers()
    comparison = compare_runs(args.run_a, args.run_b, args.data, data_dir=args.data_dir, resamples=args.resamples,
                              seed=args.seed, batch_size=args.batch_size, device=args.device,
                              reuse=not args.recompute, limit=args.limit)
    for note in comparison.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        stdout.write(json.dumps(comparison.to_dict(), indent=2) + "\n")
    else:
        stdout.write(format_comparison(comparison, args.sentences) + "\n")
    return 0
