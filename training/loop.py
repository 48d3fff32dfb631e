"""The training loop, as a generator in the manner of spaCy's ``train_while_improving``.

:func:`training_loop` trains: it feeds batches (padded ahead on a background thread), runs forward and
backward (from CUDA graphs where they were captured), steps the optimizer and the schedule, and
scores the validation split every ``--eval-steps`` steps, at each epoch's end and when ``--max-steps``
stops it between evaluations. It yields a small event after each optimizer step and around each
evaluation; what is written about the run (progress.json, metrics lines, trackers, checkpoints) is the
consumer's business (``training/train.py``). The loop keeps the :class:`TrainState` up to date, so a
checkpoint saved while the loop waits at an event resumes exactly there.

Also here: the batch plan (which sentences make each batch of each epoch, on each process) and the
throughput bookkeeping (a training clock paused around evaluations and saves, the window's loss
summed on the device).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from nerlib.modeling.batching import (
    length_grouped_batches,
    padding_stats,
    prefetched_batches,
    random_batches,
    shard_batches,
)
from nerlib.modeling.encoding import EncodedSplit
from nerlib.runs.records import TrainState
from training.evaluation import Evaluation


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
        """Count one trained batch.

        Parameters
        ----------
        loss:
            The batch's loss, a device scalar (added on the device: no host synchronisation).
        sentences:
            Sentences in the batch.
        """
        self.loss_sum += loss.detach().float()
        self.batches += 1
        self.sentences += sentences

    def add_step(self) -> None:
        """Count one optimizer step of this session."""
        self.session_steps += 1

    def running_seconds(self) -> float:
        """Training seconds of the window so far (host clock; may run ahead of the device)."""
        return self.window_s + (time.perf_counter() - self.running_since if self.running_since else 0.0)

    def window_loss(self) -> float | None:
        """Mean training loss of the window's batches (reads the device: a synchronisation)."""
        return float(self.loss_sum) / self.batches if self.batches else None

    def sentences_per_s(self) -> float:
        """Training sentences per second in the window so far."""
        seconds = self.running_seconds()
        return self.sentences / seconds if seconds else 0.0

    def seconds_per_step(self) -> float:
        """Training seconds per optimizer step in this session (0 before the first step)."""
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


def epochs_done(state: TrainState, batches_per_epoch: int) -> float:
    """Epochs done, fractional: completed epochs plus the share of this one's batches.

    Parameters
    ----------
    state:
        Where training stands.
    batches_per_epoch:
        This process's batches per epoch.

    Returns
    -------
    float
        For example 1.5 halfway through the second epoch.
    """
    return state.epoch + state.batches_in_epoch / batches_per_epoch


# --- what the loop yields


@dataclass
class StepDone:
    """An optimizer step is done: ``step`` steps in all, at ``epoch`` (fractional) epochs, the
    schedule now at ``learning_rate``."""

    step: int
    epoch: float
    learning_rate: float


@dataclass
class ValidationStarted:
    """The training clock is paused; the validation split is scored next, for checkpoint ``name``."""

    name: str


@dataclass
class Validated:
    """The validation split was scored for checkpoint ``name`` (``step-N`` or ``epoch-N``).

    ``evaluation`` is None when the data has no validation split. ``window`` is the training since
    the last validation: the learning rate, the mean training loss and training sentences per second.
    The consumer saves the checkpoint now; the loop restarts the training clock when resumed.
    """

    name: str
    epoch: float
    evaluation: Evaluation | None
    window: dict[str, Any]


Event = StepDone | ValidationStarted | Validated


@dataclass
class LoopSchedule:
    """How long the loop trains and how often it validates (the options of the same names)."""

    total_steps: int
    epochs: int
    gradient_accumulation_steps: int
    max_grad_norm: float
    eval_steps: int


def training_loop(accelerator, model, optimizer, scheduler, *, train: EncodedSplit, plan: BatchPlan, pad_id: int,
                  state: TrainState, meter: Throughput, schedule: LoopSchedule, forward: Callable[..., Any],
                  graphs: Any, validate: Callable[[], Evaluation] | None, resumed_step: int | None) -> Iterator[Event]:
    """Train from ``state`` to the end of the schedule, yielding an event after each step and
    around each evaluation.

    Every process runs the loop on its own shard of each epoch's batches; Accelerate averages the
    gradients on the synchronising batch of each optimizer step. A resumed loop continues the epoch
    at the batch after the checkpoint's, with the restored optimizer, schedule and RNG states.

    Parameters
    ----------
    accelerator:
        The run's ``accelerate.Accelerator`` (device, backward, gradient sync, clipping).
    model:
        The prepared model (trained in place).
    optimizer, scheduler:
        Prepared; each optimizer step also steps the scheduler.
    train:
        The encoded training split.
    plan:
        Which sentences make each batch of each epoch on this process.
    pad_id:
        The tokenizer's padding id.
    state:
        Where training stands (updated in place: step, epoch, batch, sentences seen).
    meter:
        The throughput bookkeeping (its clock runs while batches train).
    schedule:
        Total steps, epochs, accumulation, clipping and the evaluation interval.
    forward:
        The model's training forward (the compiled one with ``--compile``).
    graphs:
        The captured :class:`nerlib.modeling.cuda_graphs.GraphedLoss`, or None (a batch whose shape
        has no graph trains through ``forward`` too).
    validate:
        Scores the validation split; None when there is none.
    resumed_step:
        The step of the checkpoint ``state`` was restored from (its evaluation is not repeated), or None.

    Yields
    ------
    StepDone, ValidationStarted, Validated
        See each class. The loop waits at each event until the consumer asks for the next one.
    """
    world = accelerator.num_processes
    batches_per_epoch = len(plan.epoch(0))
    # graphs replay a few fixed shapes; otherwise tensor-core friendly shapes on a GPU
    pad_multiple = graphs.length_multiple if graphs else 8 if accelerator.device.type == "cuda" else None

    def validation(name: str) -> Iterator[Event]:
        started = time.perf_counter()
        meter.pause()
        yield ValidationStarted(name)
        window = {"learning_rate": scheduler.get_last_lr()[0], **meter.close_window()}
        evaluation = validate() if validate is not None else None
        yield Validated(name, epochs_done(state, batches_per_epoch), evaluation, window)
        meter.eval_s = time.perf_counter() - started
        meter.resume()

    last_eval_step = state.step if resumed_step is not None else -1
    model.train()
    meter.resume()
    while state.step < schedule.total_steps and state.epoch < schedule.epochs:
        batches = plan.epoch(state.epoch)
        accumulated = 0
        feed = prefetched_batches(train, batches[state.batches_in_epoch:], pad_id, accelerator.device, pad_multiple)
        with contextlib.closing(feed):
            for indices, batch in feed:
                state.batches_in_epoch += 1
                accumulated += 1
                sync = accumulated == schedule.gradient_accumulation_steps or state.batches_in_epoch == len(batches)
                # skip the gradient all-reduce on accumulation-only batches
                with contextlib.nullcontext() if sync else accelerator.no_sync(model):
                    loss = graphs.loss(batch) if graphs else None  # None: a shape with no graph
                    if loss is None:
                        loss = forward(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                       labels=batch["labels"]).loss
                    accelerator.backward(loss / schedule.gradient_accumulation_steps)
                meter.add_batch(loss, len(indices) * world)
                state.train_sentences += len(indices) * world
                if not sync:
                    continue
                if schedule.max_grad_norm:
                    accelerator.clip_grad_norm_(model.parameters(), schedule.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                accumulated = 0
                state.step += 1
                meter.add_step()
                yield StepDone(state.step, epochs_done(state, batches_per_epoch), scheduler.get_last_lr()[0])
                if state.step >= schedule.total_steps:
                    break
                if schedule.eval_steps and state.step % schedule.eval_steps == 0 \
                        and state.batches_in_epoch < len(batches):
                    yield from validation(f"step-{state.step}")
                    last_eval_step = state.step
        if state.batches_in_epoch == len(batches):
            state.epoch += 1
            state.batches_in_epoch = 0
            yield from validation(f"epoch-{state.epoch}")
            last_eval_step = state.step
    if state.step not in (last_eval_step, resumed_step):
        yield from validation(f"step-{state.step}")  # stopped by --max-steps between evaluations
    meter.pause()
