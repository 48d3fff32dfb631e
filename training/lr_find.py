"""Learning-rate finder: an exponential learning-rate sweep from the model's initial weights.

Trains at most ``--num-steps`` batches while the learning rate grows exponentially from
``--start-lr`` to ``--end-lr``, stops as soon as the smoothed loss diverges (``--diverge-factor``
times its best value, or NaN), and writes the curve and a suggested peak learning rate into
``lr_find.json`` in the output folder (the dashboard's Training page plots it, log-x). The model,
data, batches, encoder (document context included) and optimizer are those of
``python -m training.train`` with the same options; nothing is saved but the curve.

Examples::

    python -m training.lr_find --model minilm-cpu --output-dir runs/lr-find-minilm
    python -m training.lr_find --model tiny-scratch --max-train-samples 2000 --num-steps 60

How to read it: the suggestion is where the loss falls fastest. A preset's peak rate under a
warm-up + decay schedule is usually somewhat above it and well below the minimum's rate (see
docs/benchmarks.md for the presets).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from nerlib.modeling.models import PRESETS
from nerlib.runs import folder as runs
from nerlib.runs.lr_finder import LRFindResult, LRSweep
from nerlib.runs.records import utc_timestamp
from training.options import add_shared_options, fill_unset_options

# The training options the sweep fills from the preset's schedule when they are left unset.
SWEEP_SCHEDULE_OPTIONS = ("batch_size", "weight_decay", "max_length", "document_context", "context_size",
                          "label_strategy")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser of ``python -m training.lr_find``.

    Returns
    -------
    argparse.ArgumentParser
        The sweep's own options, plus the training options it shares with ``python -m
        training.train`` (:func:`training.options.add_shared_options`: same names, defaults, help).
    """
    parser = argparse.ArgumentParser(
        prog="python -m training.lr_find",
        description="Sweep the learning rate exponentially from the model's initial weights and suggest one.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sweep = parser.add_argument_group("the sweep")
    sweep.add_argument("--output-dir", default=None,
                       help="folder for lr_find.json; default $NERLIB_RUNS_DIR/lr-find-<model>-<time>")
    sweep.add_argument("--start-lr", type=float, default=1e-7, help="learning rate of the first step")
    sweep.add_argument("--end-lr", type=float, default=1.0, help="learning rate of the last step")
    sweep.add_argument("--num-steps", type=int, default=100, help="at most this many steps (batches)")
    sweep.add_argument("--diverge-factor", type=float, default=4.0,
                       help="stop when the smoothed loss exceeds this times its best value")
    training = parser.add_argument_group("as in training (unset options come from the preset's recommended schedule)")
    add_shared_options(training, training, training)
    return parser


def main(argv: list[str] | None = None) -> Path:
    """Run the sweep with command-line arguments ``argv``.

    Parameters
    ----------
    argv:
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    Path
        The folder holding lr_find.json.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)

    import torch
    from accelerate.utils import set_seed

    from nerlib.modeling.batching import collate, length_grouped_batches, pad_token_id
    from nerlib.modeling.encoding import encode_split
    from nerlib.modeling.models import load_model
    from training.data import encoding_context, load_splits
    from training.model import build_optimizer

    # -- options: unset ones from the preset, as training does
    preset = PRESETS.get(args.model)
    schedule = fill_unset_options(args, SWEEP_SCHEDULE_OPTIONS)
    sweep = LRSweep(args.start_lr, args.end_lr, args.num_steps, diverge_factor=args.diverge_factor)
    output = Path(args.output_dir) if args.output_dir else runs.default_runs_dir() / runs.unique_run_name(
        "lr-find-" + args.model.split(":")[0].replace("/", "-"))
    set_seed(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")

    # -- data, model, encoder: the training script's
    raw = load_splits(args.data_dir)
    label_names = list(raw["train"].features["ner_tags"].feature.names)
    train = raw["train"]
    if args.max_train_samples:
        train = train.select(range(min(args.max_train_samples, len(train))))
    loaded = load_model(args.model, label_names, train_words=train["tokens"], max_length=args.max_length)
    model, tokenizer = loaded.model.to(device), loaded.tokenizer
    pad_id = pad_token_id(tokenizer)
    encoded = encode_split("train", train, tokenizer, label_names, args.label_strategy, args.max_length,
                           encoding_context(args))

    # -- the sweep: one batch per step, the learning rate set before each step
    optimizer = build_optimizer(model, args.start_lr, args.weight_decay, device)
    model.train()
    started = time.perf_counter()
    batches: list[list[int]] = []
    epoch = 0
    for step in range(args.num_steps):
        if not batches:  # a short slice runs out of batches: start another epoch
            batches = length_grouped_batches(encoded.lengths, args.batch_size, seed=args.seed, epoch=epoch)
            epoch += 1
        indices = batches.pop(0)
        lr = sweep.learning_rate(step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batch = {k: v.to(device) for k, v in collate(encoded, indices, pad_id).items()}
        loss = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"]).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if args.max_grad_norm:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
        optimizer.step()
        if sweep.record(lr, float(loss.item())):
            break

    result = LRFindResult.from_sweep(
        sweep, args.model, preset_learning_rate=schedule.learning_rate if preset else None,
        config={k: v for k, v in vars(args).items()}, seconds=round(time.perf_counter() - started, 2),
        created_at=utc_timestamp())
    result.write(output)
    suggestion = f"{result.suggestion:.2e}" if result.suggestion else "none (too few steps)"
    print(f"[lr_find] {len(sweep.points)} steps, stopped: {sweep.stopped}; suggested learning rate {suggestion} "
          f"(minimum loss at {result.minimum_lr:.2e}"
          + (f"; the {args.model} preset uses {schedule.learning_rate:g}" if preset else "") + f"); {output}")
    return output


if __name__ == "__main__":
    from nerlib.errors import run_command

    sys.exit(run_command(main))  # one "error: ..." line on failure; the traceback with --debug
