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
described in :mod:`nerlib.runs.folder` and the README. The script reads top to bottom: arguments, data,
model, batches, optimizer, (resume), training loop with evaluations and checkpoints, final test.
Its command line is :mod:`training.options`; what it writes into the run folder (run.json,
progress.json, checkpoints with the training state) is :mod:`training.records`.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nerlib.modeling.alignment import IGNORE_INDEX
from nerlib.modeling.batching import (
    collate,
    length_grouped_batches,
    pad_token_id,
    padding_stats,
    prefetched_batches,
    random_batches,
    shard_batches,
    sorted_batches,
)
from nerlib.modeling.encoding import CONFIG_KEY, EncodedSplit, context_config, encode_split
from nerlib.modeling.models import load_model
from nerlib.modeling.pooling import pool_words, pooled_tokens, pooling_for_strategy, word_bounds
from nerlib.runs import folder as runs
from nerlib.runs import hub, modelcard, trackers
from nerlib.runs.lock import RunLockedError, acquire_run_lock
from training.options import build_parser, resolve_mixed_precision, resolve_schedule
from training.records import (
    ProgressWriter,
    TrainState,
    prepare_resume,
    restore_training_state,
    run_options,
    save_checkpoint,
    utc_timestamp,
    write_run_json,
)

SHARED_TOKENIZER_DIR = ".scratch-tokenizer"  # a scratch vocabulary handed from the main process to the others



# ---------------------------------------------------------------------------------------------
# 1. Data: sentences -> sub-token ids and aligned labels (kept in memory; CoNLL is small)


def encoding_context(args: argparse.Namespace) -> int | None:
    """The encoder's ``context`` for these options: 0 (off), None (fill the window) or N per side.
    Runs from before the option existed (``--resume``) have no context."""
    if not getattr(args, "document_context", False):
        return 0
    return getattr(args, "context_size", 0) or None


def load_splits(data_dir: str | None):
    """Return a DatasetDict with train/validation/test from CoNLL++ or a folder of CoNLL files."""
    from nerlib.data.conllpp import load_conll, load_conllpp

    # document indices (-DOCSTART-) come along for document context
    if data_dir and Path(data_dir).is_dir() and not (Path(data_dir) / "conllpp_train.txt").exists():
        return load_conll(data_dir, with_documents=True)
    return load_conllpp(data_dir, with_documents=True)


# ---------------------------------------------------------------------------------------------
# 2. Evaluation: every process scores a disjoint shard, results are gathered and reassembled


@dataclass
class Evaluation:
    """The outcome of evaluating one split: entity metrics, mean token loss, word-level
    predictions (label strings, in the split's order) and the seconds it took."""

    metrics: Any  # nerlib.evaluation.metrics.EntityMetrics
    loss: float
    predictions: list[list[str]]
    seconds: float


def evaluate(accelerator, model, split: EncodedSplit, label_names: Sequence[str], batch_size: int,
             pad_id: int, word_pooling: str = "first") -> Evaluation:
    """Predict ``split`` with ``model`` on all processes and score it (same result on each process).

    Word labels come from the shared decoder (:mod:`nerlib.modeling.pooling`, ``word_pooling`` as the
    checkpoint records it), so these scores are the Tagger's; a word cut off by truncation is ``O``.

    Each process takes every n-th length-sorted batch; predictions travel with their sentence
    index through ``gather_for_metrics``, so the main process rebuilds the split in order and no
    sentence is counted twice however the split divides among processes.
    """
    import torch

    from nerlib.evaluation.metrics import compute_metrics

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
            firsts, ends, owners = word_bounds([split.word_ids[i] for i in indices], logits.shape[1])
            positions, words = pooled_tokens(firsts, ends, word_pooling)
            _, labels = pool_words(logits.flatten(0, 1), torch.from_numpy(positions).to(logits.device),
                                   torch.from_numpy(words).to(logits.device), len(firsts))
            predicted = [[0] * len(split.tokens[i]) for i in indices]  # label 0 (O) for truncated words
            for (row, word), label in zip(owners.tolist(), labels.cpu().tolist()):
                predicted[row][word] = label
            results.extend(zip(indices, predicted))
    gathered = accelerator.gather_for_metrics(results, use_gather_object=True)
    loss_total = accelerator.reduce(loss_sum, reduction="sum") if accelerator.num_processes > 1 else loss_sum
    by_index = dict(gathered)  # duplicates, if any, collapse here
    if len(by_index) != len(split):
        raise RuntimeError(f"evaluation of {split.name} gathered {len(by_index)} of {len(split)} sentences")
    predictions = [[label_names[t] for t in by_index[i]] for i in range(len(split))]
    metrics = compute_metrics(split.gold, predictions, tokens=split.tokens, seen=split.seen)
    loss = float(loss_total[0] / max(loss_total[1], 1))
    model.train()
    return Evaluation(metrics, loss, predictions, time.perf_counter() - started)


# ---------------------------------------------------------------------------------------------
# 3. The training loop's parts: batches fed ahead, throughput bookkeeping, validate-and-save


class Throughput:
    """Timing and throughput bookkeeping of one training session, in one place.

    * a training clock that runs only while batches train (``pause``/``resume`` around
      evaluations and saves) and counts the "window" since the last validation;
    * the window's summed loss, kept **on the device** so that no step waits for the GPU
      (``loss.item()`` every step would stall the pipeline); it is read only when a progress
      update or a metrics line needs it;
    * the session's seconds per optimizer step (for the ETA) and the last evaluation's duration;
    * the wall clock over all sessions (``elapsed``), starting from the resumed ``elapsed_s``.
    """

    def __init__(self, device: Any, elapsed_before: float):
        import torch

        self.device = device
        self.loss_sum = torch.zeros((), device=device)
        self.batches = 0            # batches in the window
        self.sentences = 0          # sentences in the window (all processes)
        self.window_s = 0.0         # training seconds in the window
        self.session_s = 0.0        # training seconds in this session
        self.session_steps = 0      # optimizer steps in this session
        self.eval_s = 0.0           # the last validation-and-save's seconds (for the ETA)
        self.elapsed_before = elapsed_before
        self.session_started = time.perf_counter()
        self.running_since: float | None = None

    def resume(self) -> None:
        """Start (or restart) the training clock."""
        self.running_since = time.perf_counter()

    def pause(self) -> None:
        """Stop the training clock, after the device has finished the queued work (so the seconds
        are the real training time, not the time to queue it)."""
        if self.running_since is None:
            return
        _synchronize(self.device)
        seconds = time.perf_counter() - self.running_since
        self.window_s += seconds
        self.session_s += seconds
        self.running_since = None

    def add_batch(self, loss: Any, sentences: int) -> None:
        """Count one trained batch (``loss`` a device scalar; no host synchronisation)."""
        self.loss_sum += loss.detach().float()
        self.batches += 1
        self.sentences += sentences

    def add_step(self) -> None:
        self.session_steps += 1

    def running_seconds(self) -> float:
        """Training seconds of the window so far (host clock; may run ahead of the device)."""
        return self.window_s + (time.perf_counter() - self.running_since if self.running_since else 0.0)

    def window_loss(self) -> float | None:
        """Mean training loss of the window's batches (reads the device: a synchronisation)."""
        return float(self.loss_sum) / self.batches if self.batches else None

    def sentences_per_s(self) -> float:
        seconds = self.running_seconds()
        return self.sentences / seconds if seconds else 0.0

    def seconds_per_step(self) -> float:
        steps = self.session_steps
        session = self.session_s + (time.perf_counter() - self.running_since if self.running_since else 0.0)
        return session / steps if steps else 0.0

    def close_window(self) -> dict[str, Any]:
        """Return the window's ``train_loss`` and ``sentences_per_s`` and start a new window."""
        summary = {"train_loss": self.window_loss(),
                   "sentences_per_s": round(self.sentences / self.window_s, 2) if self.window_s else None}
        self.loss_sum.zero_()
        self.batches = self.sentences = 0
        self.window_s = 0.0
        return summary

    def elapsed(self) -> float:
        """Wall seconds of the run over all sessions (training, evaluation and saving)."""
        return self.elapsed_before + time.perf_counter() - self.session_started


def _synchronize(device: Any) -> None:
    import torch

    if getattr(device, "type", None) == "cuda":
        torch.cuda.synchronize(device)


def build_optimizer(model, learning_rate: float, weight_decay: float, device: Any):
    """AdamW without weight decay on biases and norms; the fused CUDA kernel where there is one
    (one launch for all parameters instead of several per tensor: same arithmetic, less overhead)."""
    import torch

    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in named if not any(k in n for k in no_decay)], "weight_decay": weight_decay},
        {"params": [p for n, p in named if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    fused = getattr(device, "type", None) == "cuda"
    return torch.optim.AdamW(groups, lr=learning_rate, **({"fused": True} if fused else {}))


@dataclass
class TrainingRun:
    """What the loop's evaluations and checkpoints need, gathered once (instead of closures over
    ``_train``'s locals)."""

    args: argparse.Namespace
    accelerator: Any
    run_dir: Path
    model: Any
    tokenizer: Any
    optimizer: Any
    scheduler: Any
    state: TrainState
    progress: ProgressWriter
    meter: Throughput
    label_names: list[str]
    pad_id: int
    batches_per_epoch: int
    validation: EncodedSplit | None

    @property
    def is_main(self) -> bool:
        return self.accelerator.is_main_process

    @property
    def epoch_progress(self) -> float:
        """Epochs done, fractional (completed epochs plus the share of this one's batches)."""
        return self.state.epoch + self.state.batches_in_epoch / self.batches_per_epoch

    def log(self, message: str) -> None:
        self.accelerator.print(f"[train] {message}")


def record_metrics(run: TrainingRun, split_name: str, evaluation: Evaluation, extra: dict[str, Any]) -> dict[str, Any]:
    """Append one metrics.jsonl line (main process) and return it."""
    line = {"epoch": round(run.epoch_progress, 4), "step": run.state.step, "split": split_name,
            "loss": evaluation.loss, **extra, "elapsed_s": round(run.meter.elapsed(), 2),
            "eval_seconds": round(evaluation.seconds, 2), **evaluation.metrics.to_dict()}
    if run.is_main:
        runs.append_metrics(run.run_dir, line)
    trackers.log(run.accelerator, line)  # the same line to --report-to trackers (main process)
    run.state.metrics_lines += 1
    return line


def validate_and_save(run: TrainingRun, name: str) -> None:
    """Close the training window, score the validation split, and write checkpoint ``name`` (plus
    ``best`` when validation F1 improved; without a validation split every checkpoint is best)."""
    started = time.perf_counter()
    state, args = run.state, run.args
    run.meter.pause()
    run.progress.update(force=True, phase="evaluating validation")
    extra = {"learning_rate": run.scheduler.get_last_lr()[0], **run.meter.close_window()}
    metrics: dict[str, Any] = {}
    new_best = run.validation is None
    if run.validation is not None:
        evaluation = evaluate(run.accelerator, run.model, run.validation, run.label_names, args.eval_batch_size,
                              run.pad_id, pooling_for_strategy(args.label_strategy))
        line = record_metrics(run, "validation", evaluation, extra)
        metrics = {k: line[k] for k in ("precision", "recall", "f1", "loss", "token_accuracy")}
        new_best = state.best_f1 is None or evaluation.metrics.f1 > state.best_f1
        if new_best:
            state.best_f1, state.best_source = evaluation.metrics.f1, name
            if run.is_main:
                runs.write_predictions(run.run_dir / runs.PREDICTIONS_DIR / "validation.conll",
                                       run.validation.tokens, run.validation.gold, evaluation.predictions)
        run.log(f"step {state.step} validation: F1 {100 * evaluation.metrics.f1:.2f} "
                f"(P {100 * evaluation.metrics.precision:.2f} R {100 * evaluation.metrics.recall:.2f}) "
                f"loss {evaluation.loss:.4f} [{evaluation.seconds:.0f}s]")
    else:
        state.best_source = name  # no validation split: the latest checkpoint counts as best
    run.progress.update(force=True, phase="saving", best_f1=state.best_f1)
    state.elapsed_s = run.meter.elapsed()
    objects = (run.accelerator, run.model, run.tokenizer, run.optimizer, run.scheduler, run.run_dir)
    if new_best:
        save_checkpoint(*objects, runs.BEST, state, run.epoch_progress, metrics, resumable=False, source=name)
    save_checkpoint(*objects, name, state, run.epoch_progress, metrics, resumable=True)
    if run.is_main:
        runs.prune_checkpoints(run.run_dir, args.save_total_limit)
    state.elapsed_s = run.meter.elapsed()
    run.progress.update(force=True, phase="training")
    run.meter.eval_s = time.perf_counter() - started
    run.meter.resume()


def report_step(run: TrainingRun, bar: Any, total_steps: int, steps_per_epoch: int) -> None:
    """Advance the progress bar and progress.json's step; at most every ``--progress-interval``
    seconds also write progress.json with the loss and speed (the only per-step reads of the
    device's loss, so most steps never wait for the GPU)."""
    bar.update(1)
    state, args, progress = run.state, run.args, run.progress
    lr = run.scheduler.get_last_lr()[0]
    if not progress.due():
        progress.set(step=state.step, epoch=run.epoch_progress, learning_rate=lr)
        return
    loss = run.meter.window_loss()
    speed = run.meter.sentences_per_s()
    bar.set_postfix(loss=f"{loss:.4f}" if loss is not None else "-", lr=f"{lr:.2e}", sent_s=f"{speed:.0f}")
    remaining = total_steps - state.step
    evals_left = math.ceil(remaining / steps_per_epoch) + (remaining // args.eval_steps if args.eval_steps else 0)
    progress.update(step=state.step, epoch=run.epoch_progress, loss=loss, learning_rate=lr, sentences_per_s=speed,
                    elapsed_s=run.meter.elapsed(),
                    eta_s=remaining * run.meter.seconds_per_step() + (evals_left + 1) * run.meter.eval_s)


# ---------------------------------------------------------------------------------------------
# 4. main: the script proper


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

    from accelerate import Accelerator
    from accelerate.utils import set_seed
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
    if getattr(args, "push_to_hub", None):
        hub.check_online()  # an upload that cannot happen fails now, not after training

    args.mixed_precision = resolve_mixed_precision(args.mixed_precision, args.cpu)
    accelerator = Accelerator(mixed_precision=args.mixed_precision, cpu=args.cpu,
                              **trackers.accelerator_options(getattr(args, "report_to", "none"), run_dir))
    enable_tf32(accelerator.device)
    is_main = accelerator.is_main_process
    if not is_main:
        hf_logging.set_verbosity_error()
    if not args.resume and runs.read_metrics(run_dir):  # checked on every process: all must stop
        raise SystemExit(f"error: {run_dir} already holds a run; pass --resume to continue it, "
                         "or choose another --output-dir")
    lock = None
    if is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        try:  # one writer per run folder: a second training or --resume stops here, touching nothing
            lock = acquire_run_lock(run_dir)
        except RunLockedError as error:
            raise SystemExit(f"error: {error}") from None
        runs.remove_stale_temp_dirs(run_dir)
        if not args.resume:  # listable at once; completed once data and model are loaded
            runs.write_run_config(run_dir, {"name": run_dir.name, "started_at": utc_timestamp(),
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
        run_dir = _train(args, accelerator, run_dir, checkpoint, progress)
    except KeyboardInterrupt as stop:
        reason = "stopped (SIGTERM)" if isinstance(stop, TrainingStopped) else "interrupted (Ctrl-C)"
        progress.update(force=True, status="stopped", message=f"{reason}; continue with --resume")
        raise
    except BaseException as error:
        if not isinstance(error, SystemExit) or error.code not in (0, None):
            # e.g. "OSError: [Errno 28] No space left on device": recorded even on a full disk
            progress.update(force=True, status="failed", message=f"{type(error).__name__}: {error}")
        raise
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGTERM, previous_handler)
        if lock is not None:  # half-written checkpoint folders of a failed save go; we still own them
            runs.remove_stale_temp_dirs(run_dir)
            lock.release()
    if getattr(args, "push_to_hub", None) and is_main:  # the run is finished either way
        try:
            log_url = hub.push_checkpoint(run_dir, args.push_to_hub)
        except hub.HubUploadError as error:
            raise SystemExit(f"error: the run finished, but the upload failed: {error}") from error
        accelerator.print(f"[train] uploaded the best checkpoint: {log_url}")
    return run_dir


def enable_tf32(device: Any) -> None:
    """On CUDA, let float32 matrix products use TF32 tensor cores (what ``--mixed-precision no``
    computes in; bf16/fp16 autocast is unaffected). Same results to about 1e-3, several times faster."""
    import torch

    if getattr(device, "type", None) == "cuda":
        try:
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        except RuntimeError:  # a torch that refuses the legacy switches next to its newer fp32_precision API
            torch.set_float32_matmul_precision("high")


def load_data_and_model(args, accelerator, run_dir: Path, checkpoint):
    """Read the splits (cut by --max-*-samples), load the model and tokenizer (on resume: from the
    checkpoint, which holds the trained tokenizer), and encode every split.

    Returns ``(label_names, loaded, encoded)``: the label list, the
    :class:`nerlib.modeling.models.LoadedModel` and ``{split name: EncodedSplit}``.
    """
    raw = load_splits(args.data_dir)
    if "train" not in raw:
        raise SystemExit(f"error: no train split in {args.data_dir or 'the CoNLL++ folder'} (found {list(raw)})")
    label_names = list(raw["train"].features["ner_tags"].feature.names)
    if args.max_train_samples:
        raw["train"] = raw["train"].select(range(min(args.max_train_samples, len(raw["train"]))))
    for split in ("validation", "test"):
        if split in raw and args.max_eval_samples:
            raw[split] = raw[split].select(range(min(args.max_eval_samples, len(raw[split]))))

    model_spec = str(checkpoint.path) if checkpoint else args.model
    # A scratch vocabulary is learnt from the data (deterministically, nerlib.modeling.wordpiece): the main
    # process learns it once and the others read it from the run folder instead of learning it again.
    shared_vocab = run_dir / SHARED_TOKENIZER_DIR
    with accelerator.main_process_first():
        shared = None
        if not accelerator.is_main_process and shared_vocab.is_dir():
            from transformers import AutoTokenizer

            shared = AutoTokenizer.from_pretrained(shared_vocab)
        loaded = load_model(model_spec, label_names, train_words=raw["train"]["tokens"], max_length=args.max_length,
                            tokenizer=shared)
        if accelerator.is_main_process and loaded.spec.kind == "scratch" and accelerator.num_processes > 1:
            loaded.tokenizer.save_pretrained(shared_vocab)
    context = encoding_context(args)
    encoded = {name: encode_split(name, raw[name], loaded.tokenizer, label_names, args.label_strategy, args.max_length,
                                  context)
               for name in ("train", "validation", "test") if name in raw}
    # the settings travel in the checkpoint's config.json, so the Tagger encodes and reads words the
    # same way: labels on every sub-token -> a word's label is pooled over them all (nerlib.modeling.pooling)
    setattr(loaded.model.config, CONFIG_KEY, context_config(context, enabled=context != 0, max_length=args.max_length,
                                                            word_pooling=pooling_for_strategy(args.label_strategy)))
    if getattr(args, "freeze_word_embeddings", False):  # absent from the run.json of older runs (--resume)
        loaded.model.get_input_embeddings().weight.requires_grad_(False)
    from nerlib.evaluation.metrics import entity_surface_forms

    seen = entity_surface_forms(encoded["train"].tokens, encoded["train"].gold)
    for split in encoded.values():
        split.seen = seen
    return label_names, loaded, encoded


@dataclass
class BatchPlan:
    """The training batches: seeded per epoch, identical on every process, then sharded (rank::world)."""

    lengths: list[int]
    batch_size: int          # sentences per batch and process
    group_by_length: bool
    seed: int
    rank: int
    world: int

    def epoch(self, epoch: int) -> list[list[int]]:
        """This process's batches (sentence indices) of ``epoch``."""
        make = length_grouped_batches if self.group_by_length else random_batches
        return shard_batches(make(self.lengths, self.batch_size, seed=self.seed, epoch=epoch), self.rank, self.world)

    def padding(self) -> tuple[Any, Any]:
        """Padding statistics of epoch 0: (this plan's batches, plain random batches)."""
        random_plan = shard_batches(random_batches(self.lengths, self.batch_size, seed=self.seed), self.rank, self.world)
        return padding_stats(self.lengths, self.epoch(0)), padding_stats(self.lengths, random_plan)


def _train(args, accelerator, run_dir: Path, checkpoint, progress: ProgressWriter) -> Path:
    from tqdm.auto import tqdm
    from transformers import get_scheduler

    is_main = accelerator.is_main_process

    def log(message: str) -> None:
        accelerator.print(f"[train] {message}")

    # -- data, model and tokenizer
    label_names, loaded, encoded = load_data_and_model(args, accelerator, run_dir, checkpoint)
    model, tokenizer = loaded.model, loaded.tokenizer
    pad_id = pad_token_id(tokenizer)
    train, validation, test = encoded["train"], encoded.get("validation"), encoded.get("test")

    # -- batches and step counts
    world = accelerator.num_processes
    plan = BatchPlan(train.lengths, args.batch_size, args.group_by_length, args.seed, accelerator.process_index, world)
    batches_per_epoch = len(plan.epoch(0))
    if batches_per_epoch == 0:
        raise SystemExit(f"error: {len(train)} training sentences make no batch of {args.batch_size} "
                         f"on each of {world} processes")
    steps_per_epoch = math.ceil(batches_per_epoch / args.gradient_accumulation_steps)
    total_steps = steps_per_epoch * args.epochs
    if args.max_steps:
        total_steps = min(total_steps, args.max_steps)
    grouped, shuffled = plan.padding()

    # -- optimizer and schedule (the scheduler is stepped by us once per optimizer step)
    optimizer = build_optimizer(model, args.learning_rate, args.weight_decay, accelerator.device)
    model, optimizer = accelerator.prepare(model, optimizer)
    scheduler = get_scheduler(args.lr_scheduler, optimizer=optimizer,
                              num_warmup_steps=int(args.warmup_ratio * total_steps), num_training_steps=total_steps)
    forward = compile_model(model) if args.compile else model
    graphs, graph_record = capture_graphs(args, accelerator, model, train.lengths, log)

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
        write_run_json(args, accelerator, run_dir, checkpoint, loaded, label_names, encoded, {
            "group_by_length": args.group_by_length, "batches_per_epoch": batches_per_epoch,
            "steps_per_epoch": steps_per_epoch, "total_steps": total_steps,
            "padding_waste": round(grouped.waste if args.group_by_length else shuffled.waste, 3),
            "padding_waste_random": round(shuffled.waste, 3), "cuda_graphs": graph_record})
    trackers.start(accelerator, run_dir, runs.read_run_config(run_dir) if is_main else {})  # --report-to
    log(f"{len(train)} training sentences, {batches_per_epoch} batches of {args.batch_size} per process "
        f"x {world} process(es), {total_steps} steps; padding waste {grouped.waste:.2f}x grouped vs "
        f"{shuffled.waste:.2f}x random; model {loaded.source}")

    # -- the training loop: forward, backward, step; evaluate and save every --eval-steps and epoch
    meter = Throughput(accelerator.device, state.elapsed_s)
    run = TrainingRun(args, accelerator, run_dir, model, tokenizer, optimizer, scheduler, state, progress, meter,
                      label_names, pad_id, batches_per_epoch, validation)
    # graphs replay a few fixed shapes; otherwise tensor-core friendly shapes on a GPU
    pad_multiple = graphs.length_multiple if graphs else 8 if accelerator.device.type == "cuda" else None
    bar = tqdm(total=total_steps, initial=state.step, disable=not accelerator.is_local_main_process or args.disable_tqdm,
               desc="training", unit="step", dynamic_ncols=True)
    progress.update(force=True, phase="training", step=state.step, total_steps=total_steps)
    last_eval_step = state.step if checkpoint is not None else -1
    model.train()
    meter.resume()
    while state.step < total_steps and state.epoch < args.epochs:
        batches = plan.epoch(state.epoch)
        accumulated = 0
        feed = prefetched_batches(train, batches[state.batches_in_epoch:], pad_id, accelerator.device, pad_multiple)
        with contextlib.closing(feed):
            for indices, batch in feed:
                state.batches_in_epoch += 1
                accumulated += 1
                sync = accumulated == args.gradient_accumulation_steps or state.batches_in_epoch == len(batches)
                # skip the gradient all-reduce on accumulation-only batches
                with contextlib.nullcontext() if sync else accelerator.no_sync(model):
                    loss = graphs.loss(batch) if graphs else None  # None: a shape with no graph
                    if loss is None:
                        loss = forward(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                       labels=batch["labels"]).loss
                    accelerator.backward(loss / args.gradient_accumulation_steps)
                meter.add_batch(loss, len(indices) * world)
                state.train_sentences += len(indices) * world
                if not sync:
                    continue
                if args.max_grad_norm:
                    accelerator.clip_grad_norm_(model.parameters(), args.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                accumulated = 0
                state.step += 1
                meter.add_step()
                report_step(run, bar, total_steps, steps_per_epoch)
                if args.debug_kill_after_step is not None and state.step == args.debug_kill_after_step:
                    os._exit(137)  # like kill -9: no cleanup, no flushing
                if state.step >= total_steps:
                    break
                if args.eval_steps and state.step % args.eval_steps == 0 and state.batches_in_epoch < len(batches):
                    validate_and_save(run, f"step-{state.step}")
                    last_eval_step = state.step
        if state.batches_in_epoch == len(batches):
            state.epoch += 1
            state.batches_in_epoch = 0
            validate_and_save(run, f"epoch-{state.epoch}")
            last_eval_step = state.step
    if state.step != last_eval_step and not (checkpoint is not None and state.step == checkpoint.step):
        validate_and_save(run, f"step-{state.step}")  # stopped by --max-steps between evaluations
    meter.pause()
    bar.close()

    # -- the best checkpoint on test, and its predictions in CoNLL format
    best = runs.best_checkpoint(run_dir) if is_main else None
    accelerator.wait_for_everyone()
    best_path = Path(run_dir) / runs.CHECKPOINTS_DIR / runs.BEST
    if test is not None and args.run_test:
        test_best_checkpoint(run, test, best_path)
    if is_main and best_path.is_dir():
        modelcard.write_model_card(run_dir, best_path)  # checkpoints/best/README.md
    state.elapsed_s = meter.elapsed()
    progress.update(force=True, status="finished", phase="done", eta_s=0.0, elapsed_s=state.elapsed_s,
                    message=f"best checkpoint: {best.path if best else best_path}")
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return run_dir


def test_best_checkpoint(run: TrainingRun, test: EncodedSplit, best_path: Path) -> None:
    """Load the best checkpoint's weights, score the test split, record the metrics line and
    write its predictions in CoNLL format."""
    from safetensors.torch import load_file

    run.progress.update(force=True, phase="evaluating test")
    run.accelerator.unwrap_model(run.model).load_state_dict(load_file(best_path / "model.safetensors"))
    evaluation = evaluate(run.accelerator, run.model, test, run.label_names, run.args.eval_batch_size, run.pad_id,
                          pooling_for_strategy(run.args.label_strategy))
    record_metrics(run, "test", evaluation, {"checkpoint": runs.BEST, "source": run.state.best_source,
                                             "learning_rate": None, "sentences_per_s": None})
    if run.is_main:
        runs.write_predictions(run.run_dir / runs.PREDICTIONS_DIR / "test.conll", test.tokens, test.gold,
                               evaluation.predictions)
    run.log(f"test (best = {run.state.best_source}): F1 {100 * evaluation.metrics.f1:.2f} "
            f"(P {100 * evaluation.metrics.precision:.2f} R {100 * evaluation.metrics.recall:.2f})")


def capture_graphs(args, accelerator, model, lengths: Sequence[int], log) -> tuple[Any, dict[str, Any]]:
    """CUDA graphs of the training step for every full-batch shape of the training split
    (``--cuda-graphs``; :mod:`nerlib.modeling.cuda_graphs`). Returns the :class:`GraphedLoss` (``None`` when
    graphs are off, cannot be used, or fail to capture: the loop then runs the eager model) and
    what run.json records about them. A failed capture is logged with its error, never hidden."""
    from nerlib.modeling.cuda_graphs import GraphedLoss, batch_shapes, graph_support

    if not args.cuda_graphs:
        return None, {"used": False, "reason": "--no-cuda-graphs"}
    reason = graph_support(accelerator.device.type, accelerator.num_processes, args.gradient_accumulation_steps,
                           args.compile)
    if reason:
        return None, {"used": False, "reason": reason}
    import torch

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(accelerator.mixed_precision)
    shapes = batch_shapes(lengths, args.batch_size, max_positions=getattr(model.config, "max_position_embeddings", None))
    model.train()  # dropout is part of the captured step
    try:
        graphs = GraphedLoss.capture(model, shapes, autocast_dtype=dtype)
    except Exception as error:  # noqa: BLE001 - any capture failure means: train eagerly, and say why
        log(f"CUDA graphs failed to capture ({type(error).__name__}: {error}); training without them "
            "(--no-cuda-graphs silences this)")
        return None, {"used": False, "reason": f"capture failed: {type(error).__name__}: {error}"}
    log(f"CUDA graphs: {len(graphs.shapes)} batch shapes ({', '.join(f'{b}x{n}' for b, n in graphs.shapes)}) "
        f"captured in {graphs.capture_seconds:.1f}s")
    return graphs, {"used": True, "shapes": [list(shape) for shape in graphs.shapes],
                    "capture_s": round(graphs.capture_seconds, 2)}


def compile_model(model):
    """``torch.compile`` the training forward (``--compile``); evaluation and saving keep using the
    plain module, so checkpoints hold the usual parameter names."""
    import torch

    # sentence lengths vary from batch to batch: compile for dynamic shapes at once instead of
    # recompiling per length
    return torch.compile(model, dynamic=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: progress.json already says "stopped"
        sys.exit(130)
