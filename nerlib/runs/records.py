"""The records a training run writes: progress.json while it trains, run.json (what was run, on what,
with which versions), and checkpoints that hold the training state ``--resume`` continues from
(written into a temporary folder and renamed into place).

The folder layout is :mod:`nerlib.runs.folder`; this module is what a training script writes into
it. It knows nothing of the script's command line: the script passes the option names that may
change on resume and the defaults of options older run.json files lack.

>>> import re
>>> bool(re.fullmatch(r"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00", utc_timestamp()))
True
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nerlib.modeling.encoding import CONFIG_KEY
from nerlib.modeling.models import PRESETS, parse_model_spec
from nerlib.runs import folder as runs
from nerlib.runs.checkpoints import TrainingStateError, load_training_state


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
    """Writes progress.json from the main process, at most every ``interval`` seconds unless forced.

    Parameters
    ----------
    run_dir:
        The run folder.
    enabled:
        Whether this process writes (the main process only).
    interval:
        Seconds between unforced writes.
    progress:
        The record to keep and write.
    """

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


def utc_timestamp() -> str:
    """The current UTC time as the run records write it.

    Returns
    -------
    str
        ISO 8601 to the second, with the ``+00:00`` offset.
    """
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
    """Write checkpoint ``name`` so that no reader takes a half-written one for a complete one.

    Weights, tokenizer and label maps (with ``resumable`` also optimizer, scheduler, scaler and every
    process's RNG state) go into a temporary folder that is then renamed into place. Every process
    calls it (they wait for each other); the main process writes the shared files.

    Parameters
    ----------
    accelerator:
        The run's ``accelerate.Accelerator``.
    model, tokenizer, optimizer, scheduler:
        What is saved (the model unwrapped first).
    run_dir:
        The run folder.
    name:
        The checkpoint's folder name (``step-500``, ``epoch-1``, ``best``).
    state:
        The training state, saved in checkpoint.json for ``--resume``.
    epoch:
        Epochs done, fractional.
    metrics:
        The validation scores recorded with the checkpoint.
    resumable:
        Whether to save the training state ``--resume`` needs (``best`` holds weights only).
    source:
        For ``best``: the checkpoint whose weights it copies.
    """
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
    """Load optimizer, scheduler, scaler and this process's RNG state from ``checkpoint``.

    Parameters
    ----------
    accelerator:
        The run's ``accelerate.Accelerator`` (device, scaler, process index).
    optimizer, scheduler:
        Prepared objects whose state is replaced by the saved one.
    checkpoint:
        A resumable checkpoint of the run.

    Returns
    -------
    TrainState
        The state saved in the checkpoint's checkpoint.json (fields it lacks keep their defaults).

    Raises
    ------
    SystemExit
        A training-state file could not be read safely; the message names it.
    """
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


def prepare_resume(args: argparse.Namespace, runtime_options: Iterable[str],
                   defaults: Mapping[str, Any]) -> tuple[argparse.Namespace, runs.CheckpointInfo | None]:
    """For ``--resume``: the run's saved options, and the checkpoint to continue from.

    Parameters
    ----------
    args:
        This call's options: ``output_dir`` (the run folder), ``resume`` (``"last"`` or a checkpoint
        name or folder) and the runtime options.
    runtime_options:
        Option names taken from ``args`` rather than from run.json (they may differ per session).
    defaults:
        Option -> value for options that run.json files written before the option existed lack.

    Returns
    -------
    tuple
        ``(options, checkpoint)``: run.json's ``config`` over ``defaults``, with this call's runtime
        options; the checkpoint to continue from (None: nothing complete was saved yet, so the run
        starts over).

    Raises
    ------
    SystemExit
        The folder is not a run folder, its run.json has no ``config`` object, the named checkpoint
        is not a complete resumable one (a damaged checkpoint.json, or metrics.jsonl, is named with
        the field at fault), or every resumable checkpoint is damaged (:func:`checkpoint_damage`; a
        damaged newest one is passed over for the one before, saying which on standard error).
    nerlib.runs.folder.RunFileError
        run.json is not valid JSON.
    """
    run_dir = Path(args.output_dir)
    try:
        saved = runs.read_run_config(run_dir)
    except FileNotFoundError:
        raise SystemExit(f"error: --resume: {run_dir} is not a run folder (no {runs.RUN_FILE})") from None
    config = saved.get("config")
    if not isinstance(config, dict):
        raise SystemExit(f"error: --resume: {run_dir / runs.RUN_FILE} has no 'config' object (the options to "
                         "continue with); the file is damaged")
    merged = argparse.Namespace(**{**defaults, **config})
    for name in runtime_options:
        setattr(merged, name, getattr(args, name))
    if args.resume == "last":
        checkpoint = _last_sound_checkpoint(run_dir)
    else:
        candidate = Path(args.resume)
        candidate = candidate if candidate.is_dir() else run_dir / runs.CHECKPOINTS_DIR / args.resume
        try:
            checkpoint = runs.check_checkpoint(candidate, len(runs.read_metrics(run_dir)))
        except runs.RunFileError as error:  # say which file and field, not just "no checkpoint"
            raise SystemExit(f"error: --resume {args.resume}: {error}") from None
        if checkpoint is None or not checkpoint.resumable:
            raise SystemExit(f"error: --resume {args.resume}: no complete resumable checkpoint at {candidate}")
        problem = checkpoint_damage(checkpoint)
        if problem:
            raise SystemExit(f"error: --resume: {problem}")
    return merged, checkpoint


def _last_sound_checkpoint(run_dir: Path) -> runs.CheckpointInfo | None:
    """The newest resumable checkpoint that is not damaged; a damaged newer one is passed over,
    saying so on standard error. None when the run saved no resumable checkpoint.

    Raises
    ------
    SystemExit
        Every resumable checkpoint is damaged (the message names the newest one's damaged file).
    """
    # a checkpoint.json that fails its schema, or counts more metrics lines than are on disk, is
    # passed over by the reader (``skipped`` says why); the files it names are checked here
    skipped: list[str] = []
    try:
        metrics_lines = len(runs.read_metrics(run_dir))
    except runs.RunFileError as error:
        raise SystemExit(f"error: --resume: {error}") from None
    candidates = [c for c in runs.list_checkpoints(run_dir, skipped=skipped, metrics_lines=metrics_lines)
                  if c.resumable][::-1]
    problems = list(skipped)
    for checkpoint in candidates:
        problem = checkpoint_damage(checkpoint)
        if problem is None:
            if problems:
                print(f"warning: --resume: {'; '.join(problems)}; continuing from the last complete checkpoint, "
                      f"{checkpoint.name}", file=sys.stderr)
            return checkpoint
        problems.append(problem)
    if problems:
        raise SystemExit(f"error: --resume: no complete checkpoint to continue from: {problems[0]}")
    return None


def checkpoint_damage(checkpoint: runs.CheckpointInfo) -> str | None:
    """What makes a resumable checkpoint unusable, or None when it looks complete.

    Checked without loading anything: the training state in checkpoint.json has the right types;
    model.safetensors is as long as its header says; the optimizer and scheduler files, where
    present, are complete zip archives (what ``torch.save`` writes; a truncated one lacks its central directory).

    Parameters
    ----------
    checkpoint:
        A checkpoint of the run.

    Returns
    -------
    str or None
        The damaged file and what is wrong with it, or None.
    """
    state = checkpoint.info.get("state", {})
    info_file = checkpoint.path / runs.CHECKPOINT_FILE
    if not isinstance(state, dict):
        return f"{info_file}: 'state' is {_shown(state)}, not an object"
    for name, spec in TrainState.__dataclass_fields__.items():
        if name in state and not _has_type(state[name], spec.type):
            return f"{info_file}: state.{name} is {_shown(state[name])}, not {_TYPE_WORDS.get(spec.type, spec.type)}"
    weights = checkpoint.path / "model.safetensors"
    if weights.exists():
        problem = _safetensors_damage(weights)
        if problem:
            return f"{weights}: {problem}"
    state_dir = checkpoint.path / runs.TRAINING_STATE_DIR
    for name in ("optimizer.pt", "scheduler.pt"):  # a missing one is named when it is loaded
        if (state_dir / name).exists() and not zipfile.is_zipfile(state_dir / name):
            return (f"{state_dir / name}: not a complete torch.save archive (truncated, or not written by "
                    "training); not loaded")
    return None


_TYPE_WORDS = {"int": "a whole number", "float": "a number", "float | None": "a number or null",
               "str | None": "a string or null"}


def _has_type(value: Any, annotation: str) -> bool:
    if value is None:
        return annotation.endswith("| None")
    if isinstance(value, bool):
        return False
    if annotation.startswith("int"):
        return isinstance(value, int)
    if annotation.startswith("float"):
        return isinstance(value, (int, float)) and math.isfinite(value)
    if annotation.startswith("str"):
        return isinstance(value, str)
    return True


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _safetensors_damage(path: Path) -> str | None:
    """Why a .safetensors file is incomplete (header length, header JSON, data length), or None."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            return f"truncated ({size} bytes; not a safetensors file)"
        length = int.from_bytes(head, "little")
        if length > min(size - 8, 100 << 20):
            return f"truncated or damaged (its header claims {length} bytes; the file has {size})"
        try:
            header = json.loads(handle.read(length))
            end = max((int(t["data_offsets"][1]) for k, t in header.items() if k != "__metadata__"), default=0)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            return "damaged (its header is not valid safetensors JSON)"
    if 8 + length + end != size:
        return f"truncated ({size} bytes; its header says {8 + length + end})"
    return None


def write_run_json(run_dir: Path, *, command: list[str], config: dict[str, Any], model_spec: str,
                   data_dir: str | None, resumed: bool, accelerator, loaded, label_names: list[str],
                   encoded: Mapping[str, Any], batching: dict[str, Any]) -> None:
    """Write run.json: everything needed to understand and reproduce the run (main process).

    A resumed run keeps its ``started_at`` and ``command`` and adds a ``resumed_at`` time.

    Parameters
    ----------
    run_dir:
        The run folder.
    command:
        The command line that started the run (kept from an earlier run.json when there is one).
    config:
        The options, as ``--resume`` reads them back.
    model_spec:
        The ``--model`` spec (a preset name is recorded as the preset).
    data_dir:
        ``--data-dir`` (else ``$NERLIB_DATA_DIR`` is recorded).
    resumed:
        Whether this session continues from a checkpoint.
    accelerator:
        The run's ``accelerate.Accelerator`` (device, processes, precision).
    loaded:
        The :class:`nerlib.modeling.models.LoadedModel` (source, config summary, encoder settings).
    label_names:
        The label list.
    encoded:
        Split name -> :class:`nerlib.modeling.encoding.EncodedSplit`.
    batching:
        What the batches are: sizes, step counts, padding waste, CUDA graphs.
    """
    try:
        previous = runs.read_run_config(run_dir)
    except FileNotFoundError:
        previous = {}
    train = encoded["train"]
    runs.write_run_config(run_dir, {
        "name": run_dir.name,
        "started_at": previous.get("started_at") or utc_timestamp(),
        "resumed_at": previous.get("resumed_at", []) + ([utc_timestamp()] if resumed else []),
        "command": previous.get("command") or command,
        "config": config,
        "model": {"spec": model_spec, "kind": parse_model_spec(model_spec).kind, "source": loaded.source,
                  "preset": model_spec if model_spec in PRESETS else None, **loaded.config_summary},
        "labels": label_names,
        "data": {"dir": data_dir or os.environ.get("NERLIB_DATA_DIR"),
                 "sentences": {name: len(split) for name, split in encoded.items()},
                 "truncated_sentences": {name: split.truncated for name, split in encoded.items()},
                 "train_tokens": sum(train.lengths)},
        "batching": batching,
        "encoding": getattr(loaded.model.config, CONFIG_KEY),
        "device": device_info(accelerator),
        "versions": library_versions(),
        "git_commit": git_commit(),
    })
