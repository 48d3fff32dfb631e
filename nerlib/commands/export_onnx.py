"""``python -m nerlib export-onnx``: a checkpoint exported for onnxruntime (`nerlib.runs.exported`)."""

from __future__ import annotations

import argparse
from typing import TextIO

from nerlib.commands.common import UsageError, quiet_transformers

NAME = "export-onnx"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The ``export-onnx`` subcommand's arguments."""
    export = subparsers.add_parser(
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
    export.add_argument("--measure", type=int, metavar="N", default=None,
                        help="then time the export against the torch checkpoint on the first N validation "
                             "sentences (words/s and F1 of each) and record it in onnx-measurement.json: the "
                             "tagger's --backend auto runs the export only where this says it is faster at <= 0.3 "
                             "F1 lost (needs the default OUT)")


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """``export-onnx``: write the exported folder and print what was written.

    Parameters
    ----------
    args:
        The parsed ``export-onnx`` arguments (``model``, ``out``, ``int8``, ``reduce_range``,
        ``measure``).
    stdout:
        Where the folder and its files are printed.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    UsageError
        For an ``OUT`` that is no usable path (a NUL byte, a control character), or ``--measure``
        with an ``OUT`` or an N below 1.
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
    if args.measure is not None and (out is not None or args.measure < 1):
        raise UsageError("--measure needs a positive N and the default OUT (RUN_OR_MODEL/onnx, where --backend "
                         "auto looks)")
    quiet_transformers()
    reduce_range = {"auto": None, "on": True, "off": False}[args.reduce_range]
    folder, manifest = export_onnx(args.model, out, int8=args.int8, reduce_range=reduce_range)
    for precision, record in manifest.files.items():
        stdout.write(f"{folder / record.name}: {precision}, {record.bytes / 1e6:.1f} MB"
                     + (f", reduce_range={record.reduce_range}" if record.reduce_range is not None else "") + "\n")
    from nerlib.runs.calibration_file import CALIBRATION_FILE, read_calibration

    calibration = read_calibration(folder)
    if calibration is not None:  # copied from the checkpoint: the exported scores are calibrated too
        stdout.write(f"{folder / CALIBRATION_FILE}: temperature {calibration.temperature:.4f}, copied from the "
                     "checkpoint\n")
    stdout.write(f"{folder}: exported from {manifest.source_folder} (model id {manifest.model_id[:12]}); "
                 f"tag with: python -m nerlib tag -m {folder}\n")
    if args.measure is not None:
        from nerlib.evaluation.export_speed import measure_export

        written, measured = measure_export(args.model, limit=args.measure)
        for precision, figures in measured.onnx.items():
            stdout.write(f"ONNX {precision}: {figures.words_per_s / measured.torch.words_per_s:.2f}x the words/s of "
                         f"torch {measured.torch_dtype}, F1 {100 * figures.f1:.2f} against "
                         f"{100 * measured.torch.f1:.2f} ({measured.sentences} {measured.split} sentences)\n")
        stdout.write(f"{written}: measured on {measured.cpu}\n")
    return 0
