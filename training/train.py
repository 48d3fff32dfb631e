"""Fine-tune a transformer for named-entity recognition on CoNLL++ (or any CoNLL data) with Accelerate.

Examples::

    # GPU, the classic baseline (downloads bert-base-cased once)
    python -m training.train --output-dir runs/bert-base

    # laptop CPU, fully offline: the MiniLM preset with its recommended schedule
    python -m training.train --model minilm-cpu --output-dir runs/minilm

    # a quick smoke run (from-scratch tiny BERT, a slice of the data, ~1 minute on 2 cores)
    python -m training.train --model tiny-scratch --max-train-samples 2000 --max-eval-samples 500 \
        --epochs 1 --output-dir runs/smoke

    # several processes: GPUs, or CPU processes over gloo (the script's --cpu)
    accelerate launch --multi_gpu --num_processes 2 -m training.train --cpu --model tiny-scratch ...

    # continue a killed run from its last complete checkpoint
    python -m training.train --output-dir runs/minilm --resume

The run folder layout (run.json, metrics.jsonl, progress.json, checkpoints/, predictions/) is
described in :mod:`nerlib.runs` and the README. The script reads top to bottom: arguments, data,
model, batches, optimizer, (resume), training loop with evaluations and checkpoints, final test.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import os
import platform
import random
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from nerlib import runs
from nerlib.alignment import IGNORE_INDEX, align_labels, word_level_predictions
from nerlib.batching import length_grouped_batches, padding_stats, random_batches, shard_batches, sorted_batches
from nerlib.modeling import DEFAULT_MODEL, PRESETS, Schedule, load_model, parse_model_spec

SHARED_TOKENIZER_DIR = ".scratch-tokenizer"  # a scratch vocabulary handed from the main process to the others

# Options a preset's schedule fills when the user leaves them unset, and the fallbacks otherwise.
SCHEDULE_FALLBACK = Schedule(epochs=3, batch_size=16, learning_rate=5e-5, warmup_ratio=0.1,
                             weight_decay=0.01, max_length=256, mixed_precision="no")
SCHEDULE_OPTIONS = tuple(Schedule.__dataclass_fields__)
# Options that may differ when resuming (everything else is taken from the run's run.json).
RUNTIME_OPTIONS = ("output_dir", "resume", "disable_tqdm", "debug_kill_after_step", "progress_interval", "command")


# ---------------------------------------------------------------------------------------------
# 1. Arguments


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser of ``python -m training.train``."""
    presets = "; ".join(f"{p.name}: {p.title}" for p in PRESETS.values())
    epilog = "model presets and their recommended schedules:\n" + "\n".join(
        f"  {p.name:<16} {p.title}\n  {'':<16} {p.schedule.epochs} epochs, batch {p.schedule.batch_size}, "
        f"lr {p.schedule.learning_rate:g}, warm-up {p.schedule.warmup_ratio:g}, max length {p.schedule.max_length}"
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
    model.add_argument("--model", default=DEFAULT_MODEL,
                       help=f"a preset ({presets}), a local model folder, a Hugging Face Hub id, or "
                            "'scratch:layers=2,hidden=128,heads=2,intermediate=512,vocab=8000'")
    model.add_argument("--data-dir", default=None,
                       help="folder with conllpp_{train,dev,test}.txt, or a folder of CoNLL files "
                            "(train/dev/test by name); default: $NERLIB_DATA_DIR, the cache, or download")
    model.add_argument("--output-dir", default=None,
                       help="run folder to write; default $NERLIB_RUNS_DIR (or ./runs)/<model>-<time>")
    model.add_argument("--label-strategy", choices=("first", "all"), default="first",
                       help="which sub-tokens carry a word's label in training: only the first, or all "
                            "(continuations get the I- form)")

    schedule = parser.add_argument_group("schedule (unset options come from the preset's recommended schedule)")
    schedule.add_argument("--epochs", type=int, default=None, help="training epochs (fallback 3)")
    schedule.add_argument("--batch-size", type=int, default=None,
                          help="sentences per batch and process (fallback 16)")
    schedule.add_argument("--learning-rate", type=float, default=None, help="peak learning rate (fallback 5e-5)")
    schedule.add_argument("--warmup-ratio", type=float, default=None,
                          help="share of the steps with linear warm-up (fallback 0.1)")
    schedule.add_argument("--weight-decay", type=float, default=None, help="AdamW weight decay (fallback 0.01)")
    schedule.add_argument("--max-length", type=int, default=None,
                          help="maximum sub-tokens per sentence; words past it are predicted O (fallback 256)")
    schedule.add_argument("--mixed-precision", choices=("no", "fp16", "bf16"), default=None,
                          help="autocast precision (fp16/bf16 on GPU; bf16 on CPUs with avx512_bf16/AMX)")
    schedule.add_argument("--lr-scheduler", choices=("linear", "cosine", "constant"), default="linear",
                          help="learning-rate decay after warm-up")
    schedule.add_argument("--gradient-accumulation-steps", type=int, default=1,
                          help="batches per optimizer step")
    schedule.add_argument("--max-grad-norm", type=float, default=1.0, help="gradient clipping (0 = off)")
    schedule.add_argument("--eval-batch-size", type=int, default=64, help="sentences per evaluation batch")
    schedule.add_argument("--no-group-by-length", dest="group_by_length", action="store_false",
                          help="use plain random batches instead of length-grouped ones")
    schedule.add_argument("--seed", type=int, default=42, help="random seed (data order, init, dropout)")

    quick = parser.add_argument_group("quick runs, evaluation and checkpoints")
    quick.add_argument("--max-train-samples", type=int, default=None, help="use only the first N training sentences")
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
    quick.add_argument("--cpu", action="store_true", help="train on the CPU even if a GPU is present")
    quick.add_argument("--disable-tqdm", action="store_true", help="no progress bar (progress.json is still written)")
    quick.add_argument("--progress-interval", type=float, default=2.0, help="seconds between progress.json updates")
    # for the resume test: die like `kill -9` right after this optimizer step
    quick.add_argument("--debug-kill-after-step", type=int, default=None, help=argparse.SUPPRESS)
    return parser


def resolve_schedule(args: argparse.Namespace) -> argparse.Namespace:
    """Fill every schedule option left unset from the model preset's recommended schedule (or the
    fallbacks); returns ``args``."""
    preset = PRESETS.get(args.model)
    recommended = preset.schedule if preset else SCHEDULE_FALLBACK
    for name in SCHEDULE_OPTIONS:
        if getattr(args, name) is None:
            setattr(args, name, getattr(recommended, name))
    for name in ("epochs", "batch_size", "max_length", "gradient_accumulation_steps", "eval_batch_size"):
        if getattr(args, name) < 1:
            raise SystemExit(f"error: --{name.replace('_', '-')} must be at least 1")
    return args


# ---------------------------------------------------------------------------------------------
# 2. Data: sentences -> sub-token ids and aligned labels (kept in memory; CoNLL is small)


@dataclass
class EncodedSplit:
    """One split, tokenized: per sentence the sub-token ids, aligned labels, word ids (-1 for
    special tokens), plus the words and gold tags for scoring."""

    name: str
    input_ids: list[list[int]]
    labels: list[list[int]]
    word_ids: list[list[int]]
    tokens: list[list[str]]
    gold: list[list[str]]
    truncated: int

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def lengths(self) -> list[int]:
        return [len(ids) for ids in self.input_ids]


def encode_split(name: str, dataset: Any, tokenizer: Any, label_names: Sequence[str], strategy: str,
                 max_length: int) -> EncodedSplit:
    """Tokenize a ``datasets.Dataset`` with ``tokens``/``ner_tags`` columns; returns an :class:`EncodedSplit`."""
    tokens, tags = list(dataset["tokens"]), list(dataset["ner_tags"])
    out = EncodedSplit(name, [], [], [], tokens, [[label_names[t] for t in s] for s in tags], 0)
    for start in range(0, len(tokens), 1000):
        chunk = tokens[start:start + 1000]
        encoded = tokenizer(chunk, is_split_into_words=True, truncation=True, max_length=max_length)
        for i, words in enumerate(chunk):
            word_ids = encoded.word_ids(i)
            out.input_ids.append(encoded["input_ids"][i])
            out.labels.append(align_labels(word_ids, tags[start + i], strategy, label_names))
            out.word_ids.append([-1 if w is None else w for w in word_ids])
            kept = max((w for w in word_ids if w is not None), default=-1) + 1
            out.truncated += kept < len(words)
    return out


def load_splits(data_dir: str | None):
    """Return a DatasetDict with train/validation/test from CoNLL++ or a folder of CoNLL files."""
    from nerlib.data import load_conll, load_conllpp

    if data_dir and Path(data_dir).is_dir() and not (Path(data_dir) / "conllpp_train.txt").exists():
        return load_conll(data_dir)
    return load_conllpp(data_dir)


def collate(split: EncodedSplit, indices: Sequence[int], pad_id: int, pad_to_multiple_of: int | None = None):
    """Pad the sentences ``indices`` of ``split`` into a batch of tensors (plus their ``index``)."""
    import torch

    longest = max(len(split.input_ids[i]) for i in indices)
    if pad_to_multiple_of:
        longest = -(-longest // pad_to_multiple_of) * pad_to_multiple_of
    input_ids = torch.full((len(indices), longest), pad_id, dtype=torch.long)
    labels = torch.full((len(indices), longest), IGNORE_INDEX, dtype=torch.long)
    attention = torch.zeros((len(indices), longest), dtype=torch.long)
    for row, i in enumerate(indices):
        n = len(split.input_ids[i])
        input_ids[row, :n] = torch.tensor(split.input_ids[i])
        labels[row, :n] = torch.tensor(split.labels[i])
        attention[row, :n] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels,
            "index": torch.tensor(list(indices))}


# ---------------------------------------------------------------------------------------------
# 3. Evaluation: every process scores a disjoint shard, results are gathered and reassembled


@dataclass
class Evaluation:
    """The outcome of evaluating one split: entity metrics, mean token loss, word-level
    predictions (label strings, in the split's order) and the seconds it took."""

    metrics: Any  # nerlib.metrics.EntityMetrics
    loss: float
    predictions: list[list[str]]
    seconds: float


def evaluate(accelerator, model, split: EncodedSplit, label_names: Sequence[str], batch_size: int,
             pad_id: int) -> Evaluation:
    """Predict ``split`` with ``model`` on all processes and score it (same result on each process).

    Each process takes every n-th length-sorted batch; predictions travel with their sentence
    index through ``gather_for_metrics``, so the main process rebuilds the split in order and no
    sentence is counted twice however the split divides among processes.
    """
    import torch

    from nerlib.metrics import compute_metrics

    started = time.perf_counter()
    unwrapped = accelerator.unwrap_model(model)  # plain forward: no DDP collectives per batch
    unwrapped.eval()
    results: list[tuple[int, list[int]]] = []
    loss_sum = torch.zeros(2, dtype=torch.float64, device=accelerator.device)
    batches = shard_batches(sorted_batches(split.lengths, batch_size), accelerator.process_index,
                            accelerator.num_processes, even=False)
    with torch.no_grad(), accelerator.autocast():
        for indices in batches:
            batch = {k: v.to(accelerator.device) for k, v in collate(split, indices, pad_id).items()}
            logits = unwrapped(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            mask = batch["labels"] != IGNORE_INDEX
            losses = torch.nn.functional.cross_entropy(logits[mask].float(), batch["labels"][mask], reduction="sum")
            loss_sum += torch.stack([losses.double(), mask.sum().double()])
            predicted = logits.argmax(-1).cpu().tolist()
            for row, i in enumerate(indices):
                n = len(split.input_ids[i])
                word_ids = [None if w < 0 else w for w in split.word_ids[i]]
                words = word_level_predictions(word_ids, predicted[row][:n], len(split.tokens[i]), fill=0)
                results.append((i, words))
    gathered = accelerator.gather_for_metrics(results, use_gather_object=True)
    loss_total = accelerator.reduce(loss_sum, reduction="sum") if accelerator.num_processes > 1 else loss_sum
    by_index = dict(gathered)  # duplicates, if any, collapse here
    if len(by_index) != len(split):
        raise RuntimeError(f"evaluation of {split.name} gathered {len(by_index)} of {len(split)} sentences")
    predictions = [[label_names[t] for t in by_index[i]] for i in range(len(split))]
    metrics = compute_metrics(split.gold, predictions)
    loss = float(loss_total[0] / max(loss_total[1], 1))
    model.train()
    return Evaluation(metrics, loss, predictions, time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------
# 4. Run bookkeeping: progress.json and the training state saved with each checkpoint


@dataclass
class TrainState:
    """Where training stands; saved in each checkpoint's checkpoint.json for --resume."""

    step: int = 0                 # optimizer steps done
    epoch: int = 0                # completed epochs
    batches_in_epoch: int = 0     # batches of the current epoch already consumed (this process)
    elapsed_s: float = 0.0        # training + evaluation time over all sessions
    metrics_lines: int = 0        # lines in metrics.jsonl when the checkpoint was written
    best_f1: float | None = None
    best_source: str | None = None
    train_sentences: int = 0      # sentences seen (all processes)
    sessions: int = 1


class ProgressWriter:
    """Writes progress.json from the main process, at most every ``interval`` seconds unless forced."""

    def __init__(self, run_dir: Path, enabled: bool, interval: float, progress: runs.Progress):
        self.run_dir, self.enabled, self.interval = run_dir, enabled, interval
        self.progress = progress
        self.last = 0.0

    def update(self, force: bool = False, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self.progress, key, value)
        now = time.monotonic()
        if self.enabled and (force or now - self.last >= self.interval):
            runs.write_progress(self.run_dir, self.progress)
            self.last = now


def library_versions() -> dict[str, str]:
    """Return the versions of the libraries a run depends on."""
    import accelerate
    import datasets
    import torch
    import transformers

    import nerlib

    return {"python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__, "accelerate": accelerate.__version__,
            "datasets": datasets.__version__, "nerlib": nerlib.__version__}


def git_commit() -> str | None:
    """Return the git commit of the code being run (with ``-dirty`` if modified), or None."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return commit + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def device_info(accelerator) -> dict[str, Any]:
    """Return where the run trains: device type/name, processes, precision, threads."""
    import torch

    device = accelerator.device
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine()
    return {"type": device.type, "name": name, "num_processes": accelerator.num_processes,
            "distributed_type": str(accelerator.distributed_type), "mixed_precision": accelerator.mixed_precision,
            "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count(), "host": platform.node()}


def save_checkpoint(accelerator, model, tokenizer, optimizer, scheduler, run_dir: Path, name: str,
                    state: TrainState, epoch: float, metrics: dict[str, Any], *, resumable: bool,
                    source: str | None = None) -> None:
    """Write checkpoint ``name`` (weights, tokenizer, label maps; with ``resumable`` also optimizer,
    scheduler and every process's RNG state) into a temporary folder, then rename it into place, so
    a reader or ``--resume`` never takes a half-written checkpoint for a complete one."""
    import numpy as np
    import torch

    if accelerator.is_main_process:
        runs.checkpoint_temp_dir(run_dir, name)  # created empty, same name on every process
    accelerator.wait_for_everyone()
    temp = Path(run_dir) / runs.CHECKPOINTS_DIR / f"{runs.TEMP_PREFIX}{name}"
    state_dir = temp / runs.TRAINING_STATE_DIR
    if resumable:
        if accelerator.is_main_process:
            state_dir.mkdir(parents=True, exist_ok=True)
        accelerator.wait_for_everyone()
        rng = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state(),
               "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}
        torch.save(rng, state_dir / f"rng_state_{accelerator.process_index}.pt")
    if accelerator.is_main_process:
        accelerator.unwrap_model(model).save_pretrained(temp, safe_serialization=True)
        tokenizer.save_pretrained(temp)
        if resumable:
            torch.save(optimizer.state_dict(), state_dir / "optimizer.pt")
            torch.save(scheduler.state_dict(), state_dir / "scheduler.pt")
            if accelerator.scaler is not None:
                torch.save(accelerator.scaler.state_dict(), state_dir / "scaler.pt")
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        info = {"step": state.step, "epoch": round(epoch, 4), "metrics": metrics, "resumable": resumable,
                "source": source, "state": asdict(state), "world_size": accelerator.num_processes,
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        runs.commit_checkpoint(temp, name, info)
    accelerator.wait_for_everyone()


def restore_training_state(accelerator, optimizer, scheduler, checkpoint: runs.CheckpointInfo) -> TrainState:
    """Load optimizer, scheduler, scaler and this process's RNG state from ``checkpoint``;
    returns its :class:`TrainState`."""
    import numpy as np
    import torch

    state_dir = checkpoint.path / runs.TRAINING_STATE_DIR
    optimizer.load_state_dict(torch.load(state_dir / "optimizer.pt", map_location=accelerator.device, weights_only=False))
    scheduler.load_state_dict(torch.load(state_dir / "scheduler.pt", weights_only=False))
    if accelerator.scaler is not None and (state_dir / "scaler.pt").exists():
        accelerator.scaler.load_state_dict(torch.load(state_dir / "scaler.pt", weights_only=False))
    rng_file = state_dir / f"rng_state_{accelerator.process_index}.pt"
    if rng_file.exists():
        rng = torch.load(rng_file, weights_only=False)
        random.setstate(rng["python"])
        np.random.set_state(rng["numpy"])
        torch.set_rng_state(rng["torch"])
        if rng.get("cuda") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
    known = TrainState.__dataclass_fields__
    return TrainState(**{k: v for k, v in checkpoint.info.get("state", {}).items() if k in known})


def prepare_resume(args: argparse.Namespace) -> tuple[argparse.Namespace, runs.CheckpointInfo | None]:
    """For ``--resume``: return the run's saved options (with this call's runtime options) and the
    checkpoint to continue from (None: nothing complete was saved yet, so start over)."""
    run_dir = Path(args.output_dir)
    try:
        saved = runs.read_run_config(run_dir)
    except FileNotFoundError:
        raise SystemExit(f"error: --resume: {run_dir} is not a run folder (no {runs.RUN_FILE})") from None
    merged = argparse.Namespace(**saved["config"])
    for name in RUNTIME_OPTIONS:
        setattr(merged, name, getattr(args, name))
    if args.resume == "last":
        checkpoint = runs.last_resumable_checkpoint(run_dir)
    else:
        candidate = Path(args.resume)
        candidate = candidate if candidate.is_dir() else run_dir / runs.CHECKPOINTS_DIR / args.resume
        checkpoint = runs.read_checkpoint(candidate)
        if checkpoint is None or not checkpoint.resumable:
            raise SystemExit(f"error: --resume {args.resume}: no complete resumable checkpoint at {candidate}")
    return merged, checkpoint


# ---------------------------------------------------------------------------------------------
# 5. main: the script proper


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """Return the options saved as run.json's ``config`` (what --resume reads back)."""
    return {k: v for k, v in vars(args).items() if k not in ("resume", "debug_kill_after_step", "command")}


class TrainingStopped(KeyboardInterrupt):
    """Raised in the training process when it receives SIGTERM."""


def _raise_stop(signum, frame) -> None:
    raise TrainingStopped()


def main(argv: list[str] | None = None) -> Path:
    """Run training with command-line arguments ``argv`` (default ``sys.argv[1:]``); returns the
    run folder. Callable in-process (tests, notebooks) as ``main(["--model", "tiny-scratch", ...])``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.command = argv

    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from tqdm.auto import tqdm
    from transformers import get_scheduler
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Writing model shards" bar at every checkpoint

    # -- where the run goes, and what resuming continues from
    checkpoint = None
    if args.resume:
        if not args.output_dir:
            raise SystemExit("error: --resume needs --output-dir (the run folder to continue)")
        args, checkpoint = prepare_resume(args)
    else:
        args = resolve_schedule(args)
        if not args.output_dir:
            prefix = Path(args.model).name if os.path.isdir(args.model) else args.model.split(":")[0].replace("/", "-")
            args.output_dir = str(runs.default_runs_dir() / runs.unique_run_name(prefix))
    run_dir = Path(args.output_dir)

    accelerator = Accelerator(mixed_precision=args.mixed_precision, cpu=args.cpu)
    is_main = accelerator.is_main_process
    if not is_main:
        hf_logging.set_verbosity_error()
    if not args.resume and runs.read_metrics(run_dir):  # checked on every process: all must stop
        raise SystemExit(f"error: {run_dir} already holds a run; pass --resume to continue it, "
                         "or choose another --output-dir")
    if is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        runs.remove_stale_temp_dirs(run_dir)
        if not args.resume:  # listable at once; completed once data and model are loaded
            runs.write_run_config(run_dir, {"name": run_dir.name, "started_at": _now(),
                                            "command": ["python", "-m", "training.train", *args.command],
                                            "config": run_options(args)})
    accelerator.wait_for_everyone()
    progress = ProgressWriter(run_dir, is_main, args.progress_interval,
                              runs.Progress(status="running", phase="loading", num_epochs=args.epochs))
    progress.update(force=True)
    set_seed(args.seed)

    # a dashboard's "stop" button sends SIGTERM: record the run as stopped, not as silently dead
    previous_handler = None
    with contextlib.suppress(ValueError):  # signal handlers can only be set from the main thread
        previous_handler = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        return _train(args, accelerator, run_dir, checkpoint, progress, torch, tqdm, get_scheduler)
    except KeyboardInterrupt as stop:
        reason = "stopped (SIGTERM)" if isinstance(stop, TrainingStopped) else "interrupted (Ctrl-C)"
        progress.update(force=True, status="stopped", message=f"{reason}; continue with --resume")
        raise
    except BaseException as error:
        if not isinstance(error, SystemExit) or error.code not in (0, None):
            progress.update(force=True, status="failed", message=f"{type(error).__name__}: {error}")
        raise
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)


def _train(args, accelerator, run_dir: Path, checkpoint, progress: ProgressWriter, torch, tqdm, get_scheduler) -> Path:
    is_main = accelerator.is_main_process
    log = (lambda message: accelerator.print(f"[train] {message}"))

    # -- data
    raw = load_splits(args.data_dir)
    if "train" not in raw:
        raise SystemExit(f"error: no train split in {args.data_dir or 'the CoNLL++ folder'} (found {list(raw)})")
    label_names = list(raw["train"].features["ner_tags"].feature.names)
    if args.max_train_samples:
        raw["train"] = raw["train"].select(range(min(args.max_train_samples, len(raw["train"]))))
    for split in ("validation", "test"):
        if split in raw and args.max_eval_samples:
            raw[split] = raw[split].select(range(min(args.max_eval_samples, len(raw[split]))))

    # -- model and tokenizer (on resume: from the checkpoint, which holds the trained tokenizer)
    model_spec = str(checkpoint.path) if checkpoint else args.model
    # A scratch vocabulary is learnt from the data, and the tokenizers trainer breaks ties differently
    # on every call: the main process learns it first and the others read it from the run folder.
    shared_vocab = run_dir / SHARED_TOKENIZER_DIR
    with accelerator.main_process_first():
        shared = None
        if not is_main and shared_vocab.is_dir():
            from transformers import AutoTokenizer

            shared = AutoTokenizer.from_pretrained(shared_vocab)
        loaded = load_model(model_spec, label_names, train_words=raw["train"]["tokens"], max_length=args.max_length,
                            tokenizer=shared)
        if is_main and loaded.spec.kind == "scratch" and accelerator.num_processes > 1:
            loaded.tokenizer.save_pretrained(shared_vocab)
    model, tokenizer = loaded.model, loaded.tokenizer
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    encoded = {name: encode_split(name, raw[name], tokenizer, label_names, args.label_strategy, args.max_length)
               for name in ("train", "validation", "test") if name in raw}
    train = encoded["train"]
    validation, test = encoded.get("validation"), encoded.get("test")

    # -- batches: seeded per epoch, identical on every process, then sharded (rank::world)
    world, rank = accelerator.num_processes, accelerator.process_index
    per_process_batch = args.batch_size

    def epoch_batches(epoch: int) -> list[list[int]]:
        make = length_grouped_batches if args.group_by_length else random_batches
        return shard_batches(make(train.lengths, per_process_batch, seed=args.seed, epoch=epoch), rank, world)

    batches_per_epoch = len(epoch_batches(0))
    if batches_per_epoch == 0:
        raise SystemExit(f"error: {len(train)} training sentences make no batch of {per_process_batch} "
                         f"on each of {world} processes")
    steps_per_epoch = math.ceil(batches_per_epoch / args.gradient_accumulation_steps)
    total_steps = steps_per_epoch * args.epochs
    if args.max_steps:
        total_steps = min(total_steps, args.max_steps)
    grouped = padding_stats(train.lengths, epoch_batches(0))
    shuffled = padding_stats(train.lengths, shard_batches(random_batches(train.lengths, per_process_batch, seed=args.seed), rank, world))

    # -- optimizer and schedule (the scheduler is stepped by us once per optimizer step)
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
         "weight_decay": args.weight_decay},
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=args.learning_rate)
    model, optimizer = accelerator.prepare(model, optimizer)
    scheduler = get_scheduler(args.lr_scheduler, optimizer=optimizer,
                              num_warmup_steps=int(args.warmup_ratio * total_steps), num_training_steps=total_steps)

    # -- resume: optimizer/scheduler/RNG state, metrics lines after the checkpoint dropped
    state = TrainState()
    if checkpoint is not None:
        state = restore_training_state(accelerator, optimizer, scheduler, checkpoint)
        state.sessions += 1
        if is_main:
            dropped = runs.truncate_metrics(run_dir, state.metrics_lines)
            log(f"resuming from {checkpoint.name} (step {state.step}); dropped {dropped} later metrics line(s)")
    elif args.resume and is_main:
        log("no complete checkpoint yet: starting the run over")
        runs.truncate_metrics(run_dir, 0)
    accelerator.wait_for_everyone()

    # -- run.json: everything needed to understand and reproduce the run
    if is_main:
        try:
            previous = runs.read_run_config(run_dir)
        except FileNotFoundError:
            previous = {}
        runs.write_run_config(run_dir, {
            "name": run_dir.name,
            "started_at": previous.get("started_at") or _now(),
            "resumed_at": previous.get("resumed_at", []) + ([_now()] if checkpoint else []),
            "command": previous.get("command") or ["python", "-m", "training.train", *args.command],
            "config": run_options(args),
            "model": {"spec": args.model, "kind": parse_model_spec(args.model).kind, "source": loaded.source,
                      "preset": args.model if args.model in PRESETS else None, **loaded.config_summary},
            "labels": label_names,
            "data": {"dir": args.data_dir or os.environ.get("NERLIB_DATA_DIR"),
                     "sentences": {name: len(split) for name, split in encoded.items()},
                     "truncated_sentences": {name: split.truncated for name, split in encoded.items()},
                     "train_tokens": sum(train.lengths)},
            "batching": {"group_by_length": args.group_by_length, "batches_per_epoch": batches_per_epoch,
                         "steps_per_epoch": steps_per_epoch, "total_steps": total_steps,
                         "padding_waste": round(grouped.waste if args.group_by_length else shuffled.waste, 3),
                         "padding_waste_random": round(shuffled.waste, 3)},
            "device": device_info(accelerator),
            "versions": library_versions(),
            "git_commit": git_commit(),
        })
    log(f"{len(train)} training sentences, {batches_per_epoch} batches of {per_process_batch} per process "
        f"x {world} process(es), {total_steps} steps; padding waste {grouped.waste:.2f}x grouped vs "
        f"{shuffled.waste:.2f}x random; model {loaded.source}")

    # -- the training loop
    def record(split_name: str, evaluation: Evaluation, extra: dict[str, Any]) -> dict[str, Any]:
        line = {"epoch": round(state.epoch + state.batches_in_epoch / batches_per_epoch, 4), "step": state.step,
                "split": split_name, "loss": evaluation.loss, **extra,
                "elapsed_s": round(state.elapsed_s + time.perf_counter() - session_start, 2),
                "eval_seconds": round(evaluation.seconds, 2), **evaluation.metrics.to_dict()}
        if is_main:
            runs.append_metrics(run_dir, line)
        state.metrics_lines += 1
        return line

    def validate_and_save(name: str) -> None:
        nonlocal window_loss, window_batches, window_sentences, window_train_s
        progress.update(force=True, phase="evaluating validation")
        extra = {"learning_rate": scheduler.get_last_lr()[0],
                 "train_loss": (window_loss / window_batches) if window_batches else None,
                 "sentences_per_s": round(window_sentences / window_train_s, 2) if window_train_s else None}
        window_loss = window_batches = window_sentences = 0
        window_train_s = 0.0
        metrics: dict[str, Any] = {}
        new_best = validation is None
        if validation is not None:
            evaluation = evaluate(accelerator, model, validation, label_names, args.eval_batch_size, pad_id)
            line = record("validation", evaluation, extra)
            metrics = {k: line[k] for k in ("precision", "recall", "f1", "loss", "token_accuracy")}
            new_best = state.best_f1 is None or evaluation.metrics.f1 > state.best_f1
            if new_best:
                state.best_f1, state.best_source = evaluation.metrics.f1, name
                if is_main:
                    runs.write_predictions(run_dir / runs.PREDICTIONS_DIR / "validation.conll",
                                           validation.tokens, validation.gold, evaluation.predictions)
            log(f"step {state.step} validation: F1 {100 * evaluation.metrics.f1:.2f} "
                f"(P {100 * evaluation.metrics.precision:.2f} R {100 * evaluation.metrics.recall:.2f}) "
                f"loss {evaluation.loss:.4f} [{evaluation.seconds:.0f}s]")
        else:
            state.best_source = name  # no validation split: the latest checkpoint counts as best
        progress.update(force=True, phase="saving", best_f1=state.best_f1)
        state.elapsed_s += time.perf_counter() - session_start_reset()
        epoch = state.epoch + state.batches_in_epoch / batches_per_epoch
        if new_best:
            save_checkpoint(accelerator, model, tokenizer, optimizer, scheduler, run_dir, runs.BEST, state,
                            epoch, metrics, resumable=False, source=name)
        save_checkpoint(accelerator, model, tokenizer, optimizer, scheduler, run_dir, name, state, epoch,
                        metrics, resumable=True)
        if is_main:
            runs.prune_checkpoints(run_dir, args.save_total_limit)
        state.elapsed_s += time.perf_counter() - session_start_reset()
        progress.update(force=True, phase="training")

    session_start = time.perf_counter()

    def session_start_reset() -> float:
        """Return the current session clock start and restart it (elapsed_s accrues into state)."""
        nonlocal session_start
        start, session_start = session_start, time.perf_counter()
        return start

    window_loss, window_batches, window_sentences, window_train_s = 0.0, 0, 0, 0.0
    eval_seconds = [0.0]
    pad_multiple = 8 if accelerator.device.type == "cuda" else None  # tensor-core friendly shapes
    model.train()
    bar = tqdm(total=total_steps, initial=state.step, disable=not accelerator.is_local_main_process or args.disable_tqdm,
               desc="training", unit="step", dynamic_ncols=True)
    progress.update(force=True, phase="training", step=state.step, total_steps=total_steps)
    session_steps, session_train_s = 0, 0.0
    last_eval_step = state.step if checkpoint is not None else -1
    done = state.step >= total_steps
    while not done and state.epoch < args.epochs:
        batches = epoch_batches(state.epoch)
        accumulated = 0
        for position in range(state.batches_in_epoch, len(batches)):
            step_started = time.perf_counter()
            indices = batches[position]
            batch = {k: v.to(accelerator.device) for k, v in collate(train, indices, pad_id, pad_multiple).items()}
            accumulated += 1
            last_in_epoch = position == len(batches) - 1
            sync = accumulated == args.gradient_accumulation_steps or last_in_epoch
            # skip the gradient all-reduce on accumulation-only batches
            context = contextlib.nullcontext() if sync else accelerator.no_sync(model)
            with context:
                loss = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                             labels=batch["labels"]).loss
                accelerator.backward(loss / args.gradient_accumulation_steps)
            window_loss += loss.item()
            window_batches += 1
            window_sentences += len(indices) * world
            state.batches_in_epoch = position + 1
            if sync:
                if args.max_grad_norm:
                    accelerator.clip_grad_norm_(model.parameters(), args.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                accumulated = 0
                state.step += 1
                state.train_sentences += len(indices) * world
            elapsed_step = time.perf_counter() - step_started
            window_train_s += elapsed_step
            session_train_s += elapsed_step
            if not sync:
                continue
            session_steps += 1
            bar.update(1)
            lr = scheduler.get_last_lr()[0]
            speed = window_sentences / window_train_s if window_train_s else 0.0
            bar.set_postfix(loss=f"{loss.item():.4f}", lr=f"{lr:.2e}", sent_s=f"{speed:.0f}")
            step_time = session_train_s / session_steps
            remaining = total_steps - state.step
            evals_left = math.ceil(remaining / steps_per_epoch) + (remaining // args.eval_steps if args.eval_steps else 0)
            progress.update(step=state.step, epoch=state.epoch + state.batches_in_epoch / batches_per_epoch,
                            loss=loss.item(), learning_rate=lr, sentences_per_s=speed,
                            elapsed_s=state.elapsed_s + time.perf_counter() - session_start,
                            eta_s=remaining * step_time + (evals_left + 1) * eval_seconds[0])
            if args.debug_kill_after_step is not None and state.step == args.debug_kill_after_step:
                os._exit(137)  # like kill -9: no cleanup, no flushing
            if state.step >= total_steps:
                done = True
                break
            if args.eval_steps and state.step % args.eval_steps == 0 and not last_in_epoch:
                started = time.perf_counter()
                validate_and_save(f"step-{state.step}")
                eval_seconds[0] = time.perf_counter() - started
                last_eval_step = state.step
        if state.batches_in_epoch == len(batches):
            state.epoch += 1
            state.batches_in_epoch = 0
            started = time.perf_counter()
            validate_and_save(f"epoch-{state.epoch}")
            eval_seconds[0] = time.perf_counter() - started
            last_eval_step = state.step
    if state.step != last_eval_step and not (checkpoint is not None and state.step == checkpoint.step):
        validate_and_save(f"step-{state.step}")  # stopped by --max-steps between evaluations
    bar.close()

    # -- the best checkpoint on test, and its predictions in CoNLL format
    best = runs.best_checkpoint(run_dir) if is_main else None
    accelerator.wait_for_everyone()
    best_path = Path(run_dir) / runs.CHECKPOINTS_DIR / runs.BEST
    if test is not None and args.run_test:
        from safetensors.torch import load_file

        progress.update(force=True, phase="evaluating test")
        accelerator.unwrap_model(model).load_state_dict(load_file(best_path / "model.safetensors"))
        evaluation = evaluate(accelerator, model, test, label_names, args.eval_batch_size, pad_id)
        record("test", evaluation, {"checkpoint": runs.BEST, "source": state.best_source,
                                    "learning_rate": None, "sentences_per_s": None})
        if is_main:
            runs.write_predictions(run_dir / runs.PREDICTIONS_DIR / "test.conll", test.tokens, test.gold,
                                   evaluation.predictions)
        log(f"test (best = {state.best_source}): F1 {100 * evaluation.metrics.f1:.2f} "
            f"(P {100 * evaluation.metrics.precision:.2f} R {100 * evaluation.metrics.recall:.2f})")
    state.elapsed_s += time.perf_counter() - session_start_reset()
    progress.update(force=True, status="finished", phase="done", eta_s=0.0, elapsed_s=state.elapsed_s,
                    message=f"best checkpoint: {best.path if best else best_path}")
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return run_dir


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: progress.json already says "stopped"
        sys.exit(130)
