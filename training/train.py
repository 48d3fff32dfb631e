"""Fine-tune a transformer for named-entity recognition on CoNLL++ (or any CoNLL data) with Accelerate.

Examples::

    # GPU, the classic baseline (downloads bert-base-cased once)
    python -m training.train --output-dir runs/bert-base

    # laptop CPU, fully offline: the MiniLM preset with its recommended schedule
    python -m training.train --model minilm-cpu --output-dir runs/minilm

    # a quick smoke run (from-scratch tiny BERT, a slice of the data, ~1 minute on 2 cores)
    python -m training.train --model tiny-scratch --max-train-samples 2000 --max-eval-samples 500 \\
        --epochs 1 --output-dir runs/smoke

    # several processes: GPUs, or CPU processes over gloo (the script's --cpu)
    accelerate launch --multi_gpu --num_processes 2 -m training.train --cpu --model tiny-scratch ...

    # continue a killed run from its last complete checkpoint
    python -m training.train --output-dir runs/minilm --resume

``main`` reads top to bottom, in the manner of Hugging Face's ``run_ner_no_trainer.py``: arguments,
the run folder, data, model, optimizer and schedule, (resume), the training loop with its records,
the test of the best checkpoint. The parts live in their own modules: the command line in
:mod:`training.options`, the data in :mod:`training.data`, the model and optimizer in
:mod:`training.model`, TF32 / compile / CUDA graphs in :mod:`training.speedups`, the loop in
:mod:`training.loop` (a generator of events), evaluation in :mod:`training.evaluation`, and what is
written into the run folder (run.json, progress.json, checkpoints with the training state) in
:mod:`nerlib.runs.records`; the folder layout is :mod:`nerlib.runs.folder`.
"""

# Longer than the 300 lines aimed at: main also owns the run folder's lifecycle (the lock, the
# "stopped"/"failed" status on SIGTERM or an error, the Hub upload), which run_ner_no_trainer.py
# does not have, and the loop's consumer writes four records per evaluation.

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
from pathlib import Path
from typing import Any

from nerlib.modeling.batching import pad_token_id
from nerlib.modeling.pooling import pooling_for_strategy
from nerlib.runs import folder as runs
from nerlib.runs import hub, modelcard, trackers
from nerlib.runs.lock import RunLockedError, acquire_run_lock
from nerlib.runs.records import (
    ProgressWriter,
    TrainState,
    prepare_resume,
    restore_training_state,
    save_checkpoint,
    utc_timestamp,
    write_run_json,
)
from training.data import encode_splits, encoding_context, read_splits
from training.evaluation import Evaluation, evaluate
from training.loop import (
    BatchPlan,
    LoopSchedule,
    StepDone,
    Throughput,
    Validated,
    ValidationStarted,
    epochs_done,
    training_loop,
)
from training.model import build_optimizer, load_run_model, prepare_for_training
from training.options import (
    OLDER_RUN_DEFAULTS,
    RUNTIME_OPTIONS,
    build_parser,
    check_saved_options,
    resolve_mixed_precision,
    resolve_schedule,
    run_options,
)
from training.speedups import capture_graphs, compile_model, enable_tf32

METRICS_SAVED_WITH_CHECKPOINTS = ("precision", "recall", "f1", "loss", "token_accuracy")


class TrainingStopped(KeyboardInterrupt):
    """Raised in the training process when it receives SIGTERM."""


def _raise_stop(signum, frame) -> None:
    raise TrainingStopped()


def update_best(state: TrainState, validated: Validated) -> bool:
    """Decide whether the checkpoint of ``validated`` is the run's best, and record it in ``state``.

    Parameters
    ----------
    state:
        The run's state: ``best_f1`` and ``best_source`` are updated when the checkpoint is the new best.
    validated:
        The loop's event after a validation.

    Returns
    -------
    bool
        True when validation F1 beat every earlier one (the first validation always does; a tie
        does not). Without a validation split every checkpoint is the best: the latest counts.
    """
    if validated.evaluation is None:
        state.best_source = validated.name
        return True
    f1 = validated.evaluation.metrics.f1
    new_best = state.best_f1 is None or f1 > state.best_f1
    if new_best:
        state.best_f1, state.best_source = f1, validated.name
    return new_best


def record_metrics(accelerator, run_dir: Path, state: TrainState, meter: Throughput, split: str, epoch: float,
                   evaluation: Evaluation, extra: dict[str, Any]) -> dict[str, Any]:
    """Append one metrics.jsonl line (main process), log it to the trackers, and return it.

    Parameters
    ----------
    accelerator:
        The run's ``accelerate.Accelerator`` (only its main process writes).
    run_dir:
        The run folder.
    state:
        The training state; its ``step`` goes into the line and its ``metrics_lines`` count grows.
    meter:
        The throughput meter (``elapsed_s``).
    split, epoch:
        Which split was scored, and at which (fractional) epoch.
    evaluation:
        The scores (loss, seconds, metrics).
    extra:
        More fields for the line (checkpoint name, speeds).

    Returns
    -------
    dict
        The line as written.
    """
    line = {"epoch": round(epoch, 4), "step": state.step, "split": split, "loss": evaluation.loss, **extra,
            "elapsed_s": round(meter.elapsed(), 2), "eval_seconds": round(evaluation.seconds, 2),
            **evaluation.metrics.to_dict()}
    if accelerator.is_main_process:
        runs.append_metrics(run_dir, line)
    trackers.log(accelerator, line)  # the same line to --report-to trackers (main process)
    state.metrics_lines += 1
    return line


def describe(evaluation: Evaluation) -> str:
    """``F1 .. (P .. R ..)`` in percent, as the log lines say it."""
    metrics = evaluation.metrics
    return f"F1 {100 * metrics.f1:.2f} (P {100 * metrics.precision:.2f} R {100 * metrics.recall:.2f})"


def report_step(progress: ProgressWriter, bar: Any, meter: Throughput, step: StepDone, *, total_steps: int,
                steps_per_epoch: int, eval_steps: int) -> None:
    """Advance the progress bar and progress.json's step after one optimizer step.

    At most every ``--progress-interval`` seconds it also writes progress.json with the loss, speed
    and ETA: the only per-step reads of the device's loss, so most steps never wait for the GPU.

    Parameters
    ----------
    progress:
        The run's progress.json writer.
    bar:
        The tqdm bar (a disabled one on other processes).
    meter:
        The throughput meter (loss and sentences/s of the current window).
    step:
        The event the loop yielded.
    total_steps, steps_per_epoch, eval_steps:
        The schedule, for the ETA and the next evaluation.
    """
    bar.update(1)
    if not progress.due():
        progress.set(step=step.step, epoch=step.epoch, learning_rate=step.learning_rate)
        return
    loss, speed = meter.window_loss(), meter.sentences_per_s()
    bar.set_postfix(loss=f"{loss:.4f}" if loss is not None else "-", lr=f"{step.learning_rate:.2e}", sent_s=f"{speed:.0f}")
    remaining = total_steps - step.step
    evals_left = math.ceil(remaining / steps_per_epoch) + (remaining // eval_steps if eval_steps else 0)
    progress.update(step=step.step, epoch=step.epoch, loss=loss, learning_rate=step.learning_rate,
                    sentences_per_s=speed, elapsed_s=meter.elapsed(),
                    eta_s=remaining * meter.seconds_per_step() + (evals_left + 1) * meter.eval_s)


def check_output_dir(run_dir: Path) -> None:
    """Make sure the run folder exists and is writable before anything else touches it.

    Parameters
    ----------
    run_dir:
        ``--output-dir``.

    Raises
    ------
    SystemExit
        With an ``error:`` line naming the folder: it is a file, cannot be created (a read-only
        file system, under /proc, a file on the way), or is not writable.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise SystemExit(f"error: --output-dir {run_dir}: is a file, not a folder; give a folder for the run")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SystemExit(f"error: --output-dir {run_dir}: cannot create the run folder "
                         f"({error.strerror or error})") from None
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise SystemExit(f"error: --output-dir {run_dir}: not writable (permission denied)")


def main(argv: list[str] | None = None) -> Path:
    """Train with command-line arguments ``argv`` (default ``sys.argv[1:]``).

    Callable in-process (tests, notebooks) as ``main(["--model", "tiny-scratch", ...])``.

    Parameters
    ----------
    argv:
        The command line, as ``python -m training.train --help`` describes it.

    Returns
    -------
    Path
        The run folder.

    Raises
    ------
    SystemExit
        Bad options, a folder that already holds a run (without ``--resume``) or that another
        training writes, or a failed Hub upload after training.
    KeyboardInterrupt
        Ctrl-C, or :class:`TrainingStopped` on SIGTERM; progress.json then says "stopped".
    """
    # -- arguments: a new run's schedule from its preset; a resumed run's options from its run.json
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.command = argv

    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from tqdm.auto import tqdm
    from transformers import get_scheduler
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Writing model shards" bar at every checkpoint
    checkpoint = None
    if args.resume:
        if not args.output_dir:
            raise SystemExit("error: --resume needs --output-dir (the run folder to continue)")
        args, checkpoint = prepare_resume(args, RUNTIME_OPTIONS, OLDER_RUN_DEFAULTS)
        check_saved_options(args, Path(args.output_dir) / runs.RUN_FILE)
    else:
        args = resolve_schedule(args)
        if not args.output_dir:
            prefix = Path(args.model).name if os.path.isdir(args.model) else args.model.split(":")[0].replace("/", "-")
            args.output_dir = str(runs.default_runs_dir() / runs.unique_run_name(prefix))
    run_dir = Path(args.output_dir)
    check_output_dir(run_dir)
    command = ["python", "-m", "training.train", *args.command]
    if args.push_to_hub:
        hub.check_online()  # an upload that cannot happen fails now, not after training

    # -- the accelerator, and the run folder: one writer (the lock), listable at once
    args.mixed_precision = resolve_mixed_precision(args.mixed_precision, args.cpu)
    accelerator = Accelerator(mixed_precision=args.mixed_precision, cpu=args.cpu,
                              **trackers.accelerator_options(args.report_to, run_dir))
    enable_tf32(accelerator.device)
    is_main = accelerator.is_main_process

    def log(message: str) -> None:
        accelerator.print(f"[train] {message}")

    if not is_main:
        hf_logging.set_verbosity_error()
    if not args.resume and runs.read_metrics(run_dir):  # checked on every process: all must stop
        raise SystemExit(f"error: {run_dir} already holds a run; pass --resume to continue it, "
                         "or choose another --output-dir")
    lock = None
    if is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        try:  # a second training or --resume stops here, touching nothing
            lock = acquire_run_lock(run_dir)
        except RunLockedError as error:
            raise SystemExit(f"error: {error}") from None
        runs.remove_stale_temp_dirs(run_dir)
        if not args.resume:  # completed once data and model are loaded
            runs.write_run_config(run_dir, {"name": run_dir.name, "started_at": utc_timestamp(),
                                            "command": command, "config": run_options(args)})
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
        # -- data and model (on resume: the checkpoint's, which holds the trained tokenizer)
        raw, label_names = read_splits(args.data_dir, args.max_train_samples, args.max_eval_samples)
        loaded = load_run_model(accelerator, str(checkpoint.path) if checkpoint else args.model, label_names,
                                raw["train"]["tokens"], args.max_length, run_dir)
        model, tokenizer = loaded.model, loaded.tokenizer
        pad_id = pad_token_id(tokenizer)
        context = encoding_context(args)
        encoded = encode_splits(raw, tokenizer, label_names, args.label_strategy, args.max_length, context)
        prepare_for_training(model, context=context, max_length=args.max_length, label_strategy=args.label_strategy,
                             freeze_word_embeddings=args.freeze_word_embeddings)
        train, validation, test = encoded["train"], encoded.get("validation"), encoded.get("test")
        word_pooling = pooling_for_strategy(args.label_strategy)

        # -- batches and step counts: the same seeded plan on every process, sharded
        world = accelerator.num_processes
        plan = BatchPlan(train.lengths, args.batch_size, args.group_by_length, args.seed, accelerator.process_index,
                         world)
        batches_per_epoch = len(plan.epoch(0))
        if batches_per_epoch == 0:
            raise SystemExit(f"error: {len(train)} training sentences make no batch of {args.batch_size} "
                             f"on each of {world} processes")
        steps_per_epoch = math.ceil(batches_per_epoch / args.gradient_accumulation_steps)
        total_steps = steps_per_epoch * args.epochs
        if args.max_steps:
            total_steps = min(total_steps, args.max_steps)
        grouped, shuffled = plan.padding()

        # -- optimizer and schedule (the scheduler is stepped by the loop once per optimizer step)
        optimizer = build_optimizer(model, args.learning_rate, args.weight_decay, accelerator.device)
        model, optimizer = accelerator.prepare(model, optimizer)
        scheduler = get_scheduler(args.lr_scheduler, optimizer=optimizer, num_training_steps=total_steps,
                                  num_warmup_steps=int(args.warmup_ratio * total_steps))
        forward = compile_model(model) if args.compile else model
        graphs, graph_record = capture_graphs(args.cuda_graphs, accelerator, model, train.lengths, args.batch_size,
                                              args.gradient_accumulation_steps, args.compile, log)

        # -- resume: optimizer, scheduler and RNG state; the metrics lines after the checkpoint go
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

        # -- run.json: everything needed to understand and reproduce the run; the trackers
        if is_main:
            write_run_json(run_dir, command=command, config=run_options(args), model_spec=args.model,
                           data_dir=args.data_dir, resumed=checkpoint is not None, accelerator=accelerator,
                           loaded=loaded, label_names=label_names, encoded=encoded, batching={
                               "group_by_length": args.group_by_length, "batches_per_epoch": batches_per_epoch,
                               "steps_per_epoch": steps_per_epoch, "total_steps": total_steps,
                               "padding_waste": round(grouped.waste if args.group_by_length else shuffled.waste, 3),
                               "padding_waste_random": round(shuffled.waste, 3), "cuda_graphs": graph_record})
        trackers.start(accelerator, run_dir, runs.read_run_config(run_dir) if is_main else {})  # --report-to
        log(f"{len(train)} training sentences, {batches_per_epoch} batches of {args.batch_size} per process "
            f"x {world} process(es), {total_steps} steps; padding waste {grouped.waste:.2f}x grouped vs "
            f"{shuffled.waste:.2f}x random; model {loaded.source}")

        # -- the training loop (training.loop) and what it reports: progress.json at each step; at
        #    each validation a metrics line, the predictions and checkpoint "best" when F1 improved,
        #    and a resumable checkpoint
        meter = Throughput(accelerator.device, state.elapsed_s)
        bar = tqdm(total=total_steps, initial=state.step, desc="training", unit="step", dynamic_ncols=True,
                   disable=not accelerator.is_local_main_process or args.disable_tqdm)
        progress.update(force=True, phase="training", step=state.step, total_steps=total_steps)
        events = training_loop(
            accelerator, model, optimizer, scheduler, train=train, plan=plan, pad_id=pad_id, state=state,
            meter=meter, forward=forward, graphs=graphs, resumed_step=checkpoint.step if checkpoint else None,
            schedule=LoopSchedule(total_steps, args.epochs, args.gradient_accumulation_steps, args.max_grad_norm,
                                  args.eval_steps),
            validate=None if validation is None else lambda: evaluate(
                accelerator, model, validation, label_names, args.eval_batch_size, pad_id, word_pooling))
        with contextlib.closing(events):
            for event in events:
                if isinstance(event, StepDone):
                    report_step(progress, bar, meter, event, total_steps=total_steps,
                                steps_per_epoch=steps_per_epoch, eval_steps=args.eval_steps)
                    if event.step == args.debug_kill_after_step:
                        os._exit(137)  # like kill -9: no cleanup, no flushing
                elif isinstance(event, ValidationStarted):
                    progress.update(force=True, phase="evaluating validation")
                elif isinstance(event, Validated):
                    new_best = update_best(state, event)
                    scores: dict[str, Any] = {}
                    if event.evaluation is not None:
                        line = record_metrics(accelerator, run_dir, state, meter, "validation", event.epoch,
                                              event.evaluation, event.window)
                        scores = {k: line[k] for k in METRICS_SAVED_WITH_CHECKPOINTS}
                        if new_best and is_main:
                            runs.write_predictions(run_dir / runs.PREDICTIONS_DIR / "validation.conll",
                                                   validation.tokens, validation.gold, event.evaluation.predictions)
                        log(f"step {state.step} validation: {describe(event.evaluation)} "
                            f"loss {event.evaluation.loss:.4f} [{event.evaluation.seconds:.0f}s]")
                    progress.update(force=True, phase="saving", best_f1=state.best_f1)
                    state.elapsed_s = meter.elapsed()
                    saved = (accelerator, model, tokenizer, optimizer, scheduler, run_dir)
                    if new_best:
                        save_checkpoint(*saved, runs.BEST, state, event.epoch, scores, resumable=False,
                                        source=event.name)
                    save_checkpoint(*saved, event.name, state, event.epoch, scores, resumable=True)
                    if is_main:
                        runs.prune_checkpoints(run_dir, args.save_total_limit)
                    state.elapsed_s = meter.elapsed()
                    progress.update(force=True, phase="training")
        bar.close()

        # -- evaluation: the best checkpoint on test, and its predictions in CoNLL format
        best = runs.best_checkpoint(run_dir) if is_main else None
        accelerator.wait_for_everyone()
        best_path = run_dir / runs.CHECKPOINTS_DIR / runs.BEST
        if test is not None and args.run_test:
            from safetensors.torch import load_file

            progress.update(force=True, phase="evaluating test")
            accelerator.unwrap_model(model).load_state_dict(load_file(best_path / "model.safetensors"))
            evaluation = evaluate(accelerator, model, test, label_names, args.eval_batch_size, pad_id, word_pooling)
            record_metrics(accelerator, run_dir, state, meter, "test", epochs_done(state, batches_per_epoch),
                           evaluation, {"checkpoint": runs.BEST, "source": state.best_source, "learning_rate": None,
                                        "sentences_per_s": None})
            if is_main:
                runs.write_predictions(run_dir / runs.PREDICTIONS_DIR / "test.conll", test.tokens, test.gold,
                                       evaluation.predictions)
            log(f"test (best = {state.best_source}): {describe(evaluation)}")

        # -- saving: the model card of the best checkpoint; the run is finished
        if is_main and best_path.is_dir():
            modelcard.write_model_card(run_dir, best_path)  # checkpoints/best/README.md
        state.elapsed_s = meter.elapsed()
        progress.update(force=True, status="finished", phase="done", eta_s=0.0, elapsed_s=state.elapsed_s,
                        message=f"best checkpoint: {best.path if best else best_path}")
        accelerator.wait_for_everyone()
        accelerator.end_training()
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

    # -- sharing: upload the best checkpoint (the run is finished either way)
    if args.push_to_hub and is_main:
        try:
            log_url = hub.push_checkpoint(run_dir, args.push_to_hub)
        except hub.HubUploadError as error:
            raise SystemExit(f"error: the run finished, but the upload failed: {error}") from error
        log(f"uploaded the best checkpoint: {log_url}")
    return run_dir


if __name__ == "__main__":
    from nerlib.errors import run_command

    # one error boundary: any failure ends in one "error: ..." line (the traceback with --debug or
    # NERLIB_DEBUG=1); Ctrl-C or SIGTERM exits 130 (progress.json already says "stopped")
    sys.exit(run_command(main))
