"""The command line of ``python -m training.train`` (and the options ``python -m training.lr_find``
shares with it): the parser, the schedule rule that fills unset options (the model preset's
recommended schedule, else the fallbacks), the defaults of options older run.json files lack, and the
``auto`` mixed precision. Nothing here imports torch until ``resolve_mixed_precision("auto")`` probes
the device."""

from __future__ import annotations

import argparse
import os
from typing import Any

from nerlib.modeling.models import DEFAULT_MODEL, PRESETS, Schedule
from nerlib.runs import trackers
from nerlib.runs.schemas import OLDER_RUN_DEFAULTS  # noqa: F401 - imported from here by training.train

# Options a preset's schedule fills when the user leaves them unset, and the fallbacks otherwise.
SCHEDULE_FALLBACK = Schedule(epochs=3, batch_size=16, learning_rate=5e-5, warmup_ratio=0.1,
                             weight_decay=0.01, max_length=256, mixed_precision="no")
SCHEDULE_OPTIONS = tuple(Schedule.__dataclass_fields__)
# Options that may differ when resuming (everything else is taken from the run's run.json).
RUNTIME_OPTIONS = ("output_dir", "resume", "disable_tqdm", "debug_kill_after_step", "progress_interval", "command",
                   "compile", "cuda_graphs")
# Options of one session that run.json does not keep.
SESSION_OPTIONS = ("resume", "debug_kill_after_step", "command")
# Options added after the first runs -> their value for a run.json written before they existed: the
# one table is the run.json schema's (``--resume`` reads the rest of its options from run.json).


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``python -m training.train``."""
    epilog = "model presets and their recommended schedules:\n" + "\n".join(
        f"  {p.name:<16} {p.title}\n  {'':<16} {p.schedule.epochs} epochs, batch {p.schedule.batch_size}, "
        f"lr {p.schedule.learning_rate:g}, warm-up {p.schedule.warmup_ratio:g}, max length {p.schedule.max_length}"
        + (f", document context {p.schedule.context_size or 'filling the window'} per side" if p.schedule.document_context else "")
        + (f", labels on {p.schedule.label_strategy} sub-tokens" if p.schedule.label_strategy != "first" else "")
        + (", word embeddings frozen" if p.schedule.freeze_word_embeddings else "")
        + (f", mixed precision {p.schedule.mixed_precision}" if p.schedule.mixed_precision != "no" else "")
        for p in PRESETS.values()) + (
        "\n\nexamples:\n"
        "  python -m training.train --model minilm-cpu --output-dir runs/minilm\n"
        "  python -m training.train --output-dir runs/minilm --resume\n"
        "  accelerate launch --multi_gpu --num_processes 2 -m training.train --cpu ...   (2 CPU processes, gloo)\n"
        "  accelerate launch --multi_gpu --num_processes 4 -m training.train ...")

    class Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
        pass

    parser = argparse.ArgumentParser(
        prog="python -m training.train",
        description="Fine-tune a transformer for NER on CoNLL++ and write a run folder "
                    "(run.json, metrics.jsonl, progress.json, checkpoints/, predictions/).",
        epilog=epilog,
        formatter_class=Formatter,
    )
    model = parser.add_argument_group("model and data")
    schedule = parser.add_argument_group("schedule (unset options come from the preset's recommended schedule)")
    quick = parser.add_argument_group("quick runs, evaluation and checkpoints")
    add_shared_options(model, schedule, quick)
    model.add_argument("--output-dir", default=None,
                       help="run folder to write; default $NERLIB_RUNS_DIR (or ./runs)/<model>-<time>")

    schedule.add_argument("--epochs", type=int, default=None, help="training epochs (fallback 3)")
    schedule.add_argument("--learning-rate", type=float, default=None, help="peak learning rate (fallback 5e-5)")
    schedule.add_argument("--warmup-ratio", type=float, default=None,
                          help="share of the steps with linear warm-up (fallback 0.1)")
    schedule.add_argument("--freeze-word-embeddings", action=argparse.BooleanOptionalAction, default=None,
                          help="keep the pretrained word-embedding matrix fixed (the largest weight of a small "
                               "model: its gradient and AdamW update cost the most memory traffic per step on a "
                               "CPU) (preset default)")
    schedule.add_argument("--mixed-precision", choices=("auto", "no", "fp16", "bf16"), default=None,
                          help="autocast precision: fp16/bf16 on GPU, bf16 on CPUs with avx512_bf16/AMX; auto = "
                               "bf16 where the device computes it natively (CUDA 8.0+, such CPUs), else no")
    schedule.add_argument("--lr-scheduler", choices=("linear", "cosine", "constant"), default="linear",
                          help="learning-rate decay after warm-up")
    schedule.add_argument("--gradient-accumulation-steps", type=int, default=1,
                          help="batches per optimizer step")
    schedule.add_argument("--eval-batch-size", type=int, default=64, help="sentences per evaluation batch")
    schedule.add_argument("--no-group-by-length", dest="group_by_length", action="store_false",
                          help="use plain random batches instead of length-grouped ones")

    quick.add_argument("--max-eval-samples", type=int, default=None,
                       help="use only the first N validation and test sentences")
    quick.add_argument("--max-steps", type=int, default=None, help="stop after N optimizer steps")
    quick.add_argument("--eval-steps", type=int, default=0,
                       help="also evaluate on validation (and save a checkpoint) every N steps; 0 = epoch ends only")
    quick.add_argument("--save-total-limit", type=int, default=None,
                       help="keep only the last K epoch/step checkpoints (best is always kept)")
    quick.add_argument("--no-test", dest="run_test", action="store_false",
                       help="skip the final evaluation of the best checkpoint on test")
    quick.add_argument("--resume", nargs="?", const="last", default=None, metavar="CHECKPOINT",
                       help="continue the run in --output-dir from its last complete checkpoint "
                            "(or the named one); the other options are read from its run.json")
    quick.add_argument("--compile", action="store_true",
                       help="torch.compile the training forward and backward (GPU: faster steps after a "
                            "compile of about a minute; see docs/benchmarks.md)")
    quick.add_argument("--cuda-graphs", action=argparse.BooleanOptionalAction, default=True,
                       help="on one CUDA device, replay each training step's forward and backward as a CUDA "
                            "graph (batches padded to a multiple of 32 sub-tokens; captured before training): "
                            "the same arithmetic without the per-kernel launch cost (nerlib.modeling.cuda_graphs)")
    quick.add_argument("--disable-tqdm", action="store_true", help="no progress bar (progress.json is still written)")
    quick.add_argument("--progress-interval", type=float, default=2.0, help="seconds between progress.json updates")
    sharing = parser.add_argument_group("experiment trackers and the Hugging Face Hub")
    sharing.add_argument("--report-to", choices=trackers.REPORT_TO_CHOICES, default="none",
                         help="also log every metrics.jsonl line and the config to a tracker (Accelerate's "
                              "tracker API; TensorBoard events go to <run>/tensorboard/; 'all' = every installed one)")
    sharing.add_argument("--push-to-hub", metavar="REPO", default=None,
                         help="at the end, upload the best checkpoint (weights, tokenizer, model card; never "
                              "optimizer state) to this Hugging Face Hub repository (needs a login or HF_TOKEN)")
    # for the resume test: die like `kill -9` right after this optimizer step
    quick.add_argument("--debug-kill-after-step", type=int, default=None, help=argparse.SUPPRESS)
    return parser



def add_shared_options(model: argparse._ActionsContainer, schedule: argparse._ActionsContainer,
                       run: argparse._ActionsContainer) -> None:
    """Add the options the LR finder shares with training (same names, defaults and help).

    Parameters
    ----------
    model:
        Parser or argument group for the model and data options (``--model``, ``--data-dir``,
        ``--label-strategy``).
    schedule:
        Parser or group for the schedule options (``--batch-size``, ``--weight-decay``,
        ``--max-length``, ``--document-context``, ``--context-size``, ``--max-grad-norm``, ``--seed``);
        those left unset come from :func:`fill_unset_options`.
    run:
        Parser or group for ``--max-train-samples`` and ``--cpu``.
    """
    presets = "; ".join(f"{p.name}: {p.title}" for p in PRESETS.values())
    model.add_argument("--model", default=DEFAULT_MODEL,
                       help=f"a preset ({presets}), a local model folder, a Hugging Face Hub id, or "
                            "'scratch:layers=2,hidden=128,heads=2,intermediate=512,vocab=8000'")
    model.add_argument("--data-dir", default=None,
                       help="folder with conllpp_{train,dev,test}.txt, or a folder of CoNLL files "
                            "(train/dev/test by name); default: $NERLIB_DATA_DIR, the cache, or download")
    model.add_argument("--label-strategy", choices=("first", "all"), default=None,
                       help="which sub-tokens carry a word's label in training: only the first, or all "
                            "(continuations get the I- form); predictions then read the first sub-token, or "
                            "with all the mean over the word's sub-tokens (preset default; fallback first)")
    schedule.add_argument("--batch-size", type=int, default=None,
                          help="sentences per batch and process (fallback 16)")
    schedule.add_argument("--weight-decay", type=float, default=None, help="AdamW weight decay (fallback 0.01)")
    schedule.add_argument("--max-length", type=int, default=None,
                          help="maximum sub-tokens per sentence; words past it are predicted O (fallback 256)")
    schedule.add_argument("--document-context", action=argparse.BooleanOptionalAction, default=None,
                          help="read each sentence with its neighbours of the same -DOCSTART- document as "
                               "context (labels and loss on the sentence only; FLERT); recorded in the "
                               "checkpoint, so tagging and evaluation do the same (preset default)")
    schedule.add_argument("--context-size", type=int, default=None,
                          help="with --document-context: at most N context sub-tokens on each side; 0 fills "
                               "the window up to --max-length (preset default)")
    schedule.add_argument("--max-grad-norm", type=float, default=1.0, help="gradient clipping (0 = off)")
    schedule.add_argument("--seed", type=int, default=42, help="random seed (data order, init, dropout)")
    run.add_argument("--max-train-samples", type=int, default=None, help="use only the first N training sentences")
    run.add_argument("--cpu", action="store_true", help="run on the CPU even if a GPU is present")


def schedule_for(model: str) -> Schedule:
    """The schedule that fills unset options: the model preset's recommended one, else the fallbacks.

    Parameters
    ----------
    model:
        A ``--model`` spec.

    Returns
    -------
    Schedule
        ``PRESETS[model].schedule`` for a preset name, else :data:`SCHEDULE_FALLBACK`.
    """
    preset = PRESETS.get(model)
    return preset.schedule if preset else SCHEDULE_FALLBACK


def fill_unset_options(args: argparse.Namespace, names: tuple[str, ...] = SCHEDULE_OPTIONS) -> Schedule:
    """Set each option of ``names`` left unset (None) from :func:`schedule_for` ``args.model``.

    Parameters
    ----------
    args:
        Parsed options (changed in place).
    names:
        The options to fill: fields of :class:`nerlib.modeling.models.Schedule`.

    Returns
    -------
    Schedule
        The schedule the values came from.
    """
    schedule = schedule_for(args.model)
    for name in names:
        if getattr(args, name) is None:
            setattr(args, name, getattr(schedule, name))
    return schedule


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The options saved as run.json's ``config`` (what ``--resume`` reads back).

    Parameters
    ----------
    args:
        The run's options.

    Returns
    -------
    dict
        Every option but those of one session (:data:`SESSION_OPTIONS`).
    """
    return {k: v for k, v in vars(args).items() if k not in SESSION_OPTIONS}


def resolve_schedule(args: argparse.Namespace) -> argparse.Namespace:
    """Fill every schedule option left unset (:func:`fill_unset_options`) and check the counts.

    Parameters
    ----------
    args:
        Parsed options of a new run (changed in place).

    Returns
    -------
    argparse.Namespace
        ``args``.

    Raises
    ------
    SystemExit
        A count (epochs, batch sizes, length, accumulation steps) is below 1.
    """
    fill_unset_options(args)
    for name in ("epochs", "batch_size", "max_length", "gradient_accumulation_steps", "eval_batch_size"):
        if getattr(args, name) < 1:
            raise SystemExit(f"error: --{name.replace('_', '-')} must be at least 1")
    return args


def resolve_mixed_precision(choice: str, cpu: bool = False) -> str:
    """Resolve ``--mixed-precision``: ``auto`` becomes what this machine computes fastest without
    losing accuracy.

    Parameters
    ----------
    choice:
        ``auto``, ``no``, ``fp16`` or ``bf16``.
    cpu:
        Whether the run is forced onto the CPU (``--cpu``).

    Returns
    -------
    str
        ``choice`` unchanged unless it is ``auto``; then ``bf16`` where the device computes bfloat16
        natively (:func:`nerlib.modeling.device.native_bfloat16`: CUDA compute capability 8.0+;
        CPUs with AVX512-BF16 or AMX, where MiniLM trained faster with the same F1:
        docs/benchmarks.md, the minilm-cpu preset's second revision), else ``no`` (emulated
        bfloat16 is slower than float32).
    """
    if choice != "auto":
        return choice
    import torch

    from nerlib.modeling.device import DeviceCapability, native_bfloat16

    device = "cuda" if torch.cuda.is_available() and not cpu else "cpu"
    return "bf16" if native_bfloat16(DeviceCapability.probe(device)) else "no"


def check_saved_options(options: argparse.Namespace, source: str | os.PathLike,
                        skip: tuple[str, ...] = RUNTIME_OPTIONS) -> None:
    """Check the options ``--resume`` read back from run.json against the parser's types and choices.

    Parameters
    ----------
    options:
        The run's options (run.json's ``config`` over the older runs' defaults).
    source:
        The run.json file, for the message.
    skip:
        Options that come from this session's command line, not from run.json.

    Raises
    ------
    SystemExit
        With an ``error:`` message naming the file and the option, for a value the command line
        could not have given (``"epochs": "two"``, a label strategy outside its choices, ...).
    """
    for action in build_parser()._actions:
        if action.dest in skip or action.dest == "help" or not hasattr(options, action.dest):
            continue
        value = getattr(options, action.dest)
        values = value if isinstance(value, list) and action.nargs in ("*", "+") else [value]
        for item in values:
            problem = _option_problem(action, item)
            if problem:
                shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
                raise SystemExit(f"error: --resume: {source}: config.{action.dest} is {shown}, {problem}; "
                                 "the file is damaged")


def _option_problem(action: argparse.Action, value: Any) -> str | None:
    """Why ``value`` could not have come from ``action`` on the command line, or None."""
    if value is None:
        return None if action.default is None else "not a value this option takes"
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse.BooleanOptionalAction)):
        return None if isinstance(value, bool) else "not true or false"
    if isinstance(value, bool):
        return "not a value this option takes"
    if action.type is int and not isinstance(value, int):
        return "not a whole number"
    if action.type is float and not isinstance(value, (int, float)):
        return "not a number"
    if action.type is None and not isinstance(value, str):
        return "not a string"
    if action.type not in (None, int, float):
        try:
            action.type(str(value))
        except (ValueError, TypeError, argparse.ArgumentTypeError) as error:
            return f"not accepted ({error})"
    if action.choices is not None and value not in action.choices:
        return f"not one of {', '.join(map(str, action.choices))}"
    return None
