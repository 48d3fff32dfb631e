"""What several commands share: the usage error, option types and checks, the model options and
the tagger they load, and the partial-match table that ``evaluate`` and ``compare`` both print.

Heavy libraries (torch, transformers, pandas) are imported inside the functions that need them, so
building the parser stays cheap.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


class UsageError(ValueError):
    """A bad option value or output path, found before any work starts."""


def positive_int(text: str) -> int:
    """An argparse ``type``: ``text`` as a whole number of at least 1, else an ``ArgumentTypeError``."""
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


def quiet_transformers() -> None:
    """Silence transformers' warnings and progress bars: a command prints its own output only."""
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def add_model_options(parser: argparse.ArgumentParser, default_dtype: str) -> None:
    """The options of a command that runs a tagger (``tag``, ``evaluate``, ``serve``): batching, device,
    precision, backend, document context and word pooling; ``default_dtype`` is the command's ``--dtype``."""
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="windows per forward pass (default: 64 on a CPU; on a GPU batches are cut by "
                             "--max-tokens instead)")
    parser.add_argument("--max-tokens", type=positive_int, default=None,
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


def load_tagger(args: argparse.Namespace):
    """The :class:`~nerlib.tagging.tagger.Tagger` the model options of ``args`` ask for; without
    ``--model``, the newest trained run (said on standard error, and written back to ``args.model``)."""
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
    quiet_transformers()
    context = {"model": None, "on": True, "off": False}[args.context]
    return Tagger.from_pretrained(args.model, device=args.device, dtype=args.dtype, quantize=args.quantize,
                                  backend=args.backend, batch_size=args.batch_size, max_tokens=args.max_tokens,
                                  document_context=context,
                                  word_pooling=None if args.word_pooling == "model" else args.word_pooling)


def percent(value: float, width: int = 7, sign: bool = False) -> str:
    """``value`` (a fraction) as a percentage right-aligned in ``width`` characters, ``n/a`` when undefined.

    >>> percent(0.91234), percent(-0.0123, 8, sign=True), percent(float("nan"))
    ('  91.23', '   -1.23', '    n/a')
    """
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
                     + percent(row.precision, 8) + percent(row.recall, 8) + percent(row.f1, 8))
    return "\n".join(lines)
