"""The records of a training run: progress.json while it trains, run.json (what was run, on what,
with which versions), and checkpoints that hold the training state ``--resume`` continues from
(written into a temporary folder and renamed into place). The folder layout is
:mod:`nerlib.runs.folder`; this module is what the training script writes into it."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nerlib.modeling.encoding import CONFIG_KEY
from nerlib.modeling.models import PRESETS, parse_model_spec
from nerlib.runs import folder as runs
from nerlib.runs.checkpoints import TrainingStateError, load_training_state
from training.options import RUNTIME_OPTIONS


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

    def set(self, **changes: Any) -> None:
        """Change fields without writing (the next :meth:`update` writes them)."""
        for key, value in changes.items():
            setattr(self.progress, key, value)

    def update(self, force: bool = False, **changes: Any) -> None:
        """Change fields and write progress.json if forced or ``interval`` seconds have passed."""
        self.set(**changes)
        now = time.monotonic()
        if self.enabled and (force or now - self.last >= self.interval):
            runs.write_progress(self.run_dir, self.progress)
            self.last = now

    def due(self) -> bool:
        """Whether an unforced :meth:`update` would write now (lets callers skip costly reads)."""
        return self.enabled and time.monotonic() - self.last >= self.interval


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
                "created_at": utc_timestamp()}
        runs.commit_checkpoint(temp, name, info)
    accelerator.wait_for_everyone()


def restore_training_state(accelerator, optimizer, scheduler, checkpoint: runs.CheckpointInfo) -> TrainState:
    """Load optimizer, scheduler, scaler and this process's RNG state from ``checkpoint``;
    returns its :class:`TrainState`. Exits with an error naming the file that could not be read."""
    try:
        _restore_state_files(accelerator, optimizer, scheduler, checkpoint.path / runs.TRAINING_STATE_DIR)
    except TrainingStateError as error:
        raise SystemExit(f"error: --resume: {error}") from error
    known = TrainState.__dataclass_fields__
    return TrainState(**{k: v for k, v in checkpoint.info.get("state", {}).items() if k in known})


def _restore_state_files(accelerator, optimizer, scheduler, state_dir: Path) -> None:
    import numpy as np
    import torch

    # weights_only loading: a crafted .pt in a --resume folder must not run code (no pickle objects)
    optimizer.load_state_dict(load_training_state(state_dir / "optimizer.pt", map_location=accelerator.device))
    scheduler.load_state_dict(load_training_state(state_dir / "scheduler.pt"))
    if accelerator.scaler is not None and (state_dir / "scaler.pt").exists():
        accelerator.scaler.load_state_dict(load_training_state(state_dir / "scaler.pt"))
    rng_file = state_dir / f"rng_state_{accelerator.process_index}.pt"
    if rng_file.exists():
        rng = load_training_state(rng_file)
        random.setstate(rng["python"])
        np.random.set_state(rng["numpy"])
        torch.set_rng_state(rng["torch"])
        if rng.get("cuda") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])


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


def utc_timestamp() -> str:
    """The current UTC time as run.json writes it (ISO 8601, seconds)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """Return the options saved as run.json's ``config`` (what --resume reads back)."""
    return {k: v for k, v in vars(args).items() if k not in ("resume", "debug_kill_after_step", "command")}


def write_run_json(args, accelerator, run_dir: Path, checkpoint, loaded, label_names, encoded,
                   batching: dict[str, Any]) -> None:
    """Write run.json: everything needed to understand and reproduce the run (main process)."""
    try:
        previous = runs.read_run_config(run_dir)
    except FileNotFoundError:
        previous = {}
    train = encoded["train"]
    runs.write_run_config(run_dir, {
        "name": run_dir.name,
        "started_at": previous.get("started_at") or utc_timestamp(),
        "resumed_at": previous.get("resumed_at", []) + ([utc_timestamp()] if checkpoint else []),
        "command": previous.get("command") or ["python", "-m", "training.train", *args.command],
        "config": run_options(args),
        "model": {"spec": args.model, "kind": parse_model_spec(args.model).kind, "source": loaded.source,
                  "preset": args.model if args.model in PRESETS else None, **loaded.config_summary},
        "labels": label_names,
        "data": {"dir": args.data_dir or os.environ.get("NERLIB_DATA_DIR"),
                 "sentences": {name: len(split) for name, split in encoded.items()},
                 "truncated_sentences": {name: split.truncated for name, split in encoded.items()},
                 "train_tokens": sum(train.lengths)},
        "batching": batching,
        "encoding": getattr(loaded.model.config, CONFIG_KEY),
        "device": device_info(accelerator),
        "versions": library_versions(),
        "git_commit": git_commit(),
    })
