"""Training throughput: our loop (training.train) vs the Hugging Face ``Trainer``, same run.

Same model (fresh from the same spec and seed), same CoNLL++ training slice, same batch size,
same learning rate and schedule, same device, precision and CPU threads, one epoch each. Ours is
timed by its own training-only clock (the ``sentences_per_s`` of its metrics line: forward,
backward, optimizer, batching; no evaluation or checkpoint writing); the Trainer by its
``train_samples_per_second``. The Trainer runs twice: with its default random batches (the
baseline the ratio is against), and with length-grouped batches for reference. With
``--previous-loop DIR`` (a code tree of this project from before the GPU rework of the loop, e.g.
``git archive ae9e587^``), that tree's ``training.train`` trains the same epoch too, in its own
process, timed by the same clock: the "today's loop" baseline measured in the same run. On a GPU
ours trains twice: as it runs by default (CUDA graphs, ``nerlib.modeling.cuda_graphs``) and with
``--no-cuda-graphs``.

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/training.py               # MiniLM, 640 sentences
    python bench/training.py --model tiny-scratch --samples 3200                    # quicker
    # GPU: the BERT-base-sized model, bf16, batch 16 (add --compile for a compiled run of ours too)
    git archive ae9e587^ | (mkdir -p /tmp/previous && tar -x -C /tmp/previous)   # the loop before the rework
    python bench/training.py --device cuda --mixed-precision bf16 --batch-size 16 --learning-rate 5e-5 \
        --model scratch:layers=12,hidden=768,heads=12,intermediate=3072 --samples 8000 --previous-loop /tmp/previous
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nerlib.runs import folder as runs  # noqa: E402


def train_arguments(args, output_dir: Path) -> list[str]:
    """The ``training.train`` command line of one timed epoch (ours and the previous loop share it)."""
    return (["--model", args.model, "--output-dir", str(output_dir), "--epochs", "1",
             "--batch-size", str(args.batch_size), "--learning-rate", str(args.learning_rate),
             "--max-train-samples", str(args.samples), "--max-eval-samples", "32", "--no-test",
             "--seed", str(args.seed), "--max-length", "256", "--disable-tqdm",
             "--mixed-precision", args.mixed_precision]
            + (["--cpu"] if args.device == "cpu" else [])
            + (["--data-dir", args.data_dir] if args.data_dir else []))


def ours(args, workdir: Path, name: str = "ours", compile: bool = False,
         extra: Sequence[str] = ()) -> float | tuple[float, float]:
    """Train one epoch with training.train (plus the options ``extra``); return its training
    sentences/s. With ``compile``, the epoch is cut in two validation windows and both speeds come
    back: the first pays for the compilation, the second shows the compiled steps' speed."""
    import torch

    from training.train import main

    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    run_dir = main(train_arguments(args, workdir / name) + list(extra)
                   + (["--compile", "--eval-steps", str(max(1, args.samples // args.batch_size // 2))] if compile else []))
    # ours turns TF32 on for its float32 products; the Trainer runs with the defaults it would see alone
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
    speeds = validation_speeds(run_dir)
    return (speeds[0], speeds[-1]) if compile else speeds[0]


def validation_speeds(run_dir: Path) -> list[float]:
    """The training sentences/s of each validation line of a run's metrics.jsonl, in order."""
    return [float(line["sentences_per_s"]) for line in runs.read_metrics(run_dir) if line["split"] == "validation"]


def previous_loop(args, workdir: Path) -> float:
    """Train the same epoch with the ``training.train`` of the code tree ``args.previous_loop``, in
    its own process (its own imports and cache); return its training sentences/s."""
    from nerlib.settings import cache_dir

    run_dir, cache = workdir / "previous-loop", workdir / "previous-cache"
    cache.mkdir()
    if cache_dir("models").is_dir():  # unpacked models are shared; data caches are not (formats differ)
        (cache / "models").symlink_to(cache_dir("models").resolve(), target_is_directory=True)
    # the old tree's nerlib and training come first; the rest of the path (installed wheels) stays
    path = os.pathsep.join([str(Path(args.previous_loop).resolve()), *filter(None, [os.environ.get("PYTHONPATH")])])
    environment = {**os.environ, "PYTHONPATH": path, "NERLIB_CACHE_DIR": str(cache)}
    subprocess.run([sys.executable, "-m", "training.train", *train_arguments(args, run_dir)],
                   cwd=args.previous_loop, env=environment, check=True)
    return validation_speeds(run_dir)[0]


def trainer(args, workdir: Path, strategy: str) -> float:
    """Train one epoch with transformers.Trainer; return its train_samples_per_second."""
    import datasets
    from accelerate.utils import set_seed
    from transformers import DataCollatorForTokenClassification, Trainer, TrainingArguments

    from nerlib.data.conllpp import load_conllpp
    from nerlib.modeling.alignment import align_dataset
    from nerlib.modeling.models import load_model

    datasets.disable_progress_bars()
    raw = load_conllpp(args.data_dir)["train"].select(range(args.samples))
    set_seed(args.seed)
    loaded = load_model(args.model, train_words=list(raw["tokens"]), max_length=256)
    aligned = align_dataset(raw, loaded.tokenizer, max_length=256).dataset.remove_columns(["words_cut"])
    options = dict(
        output_dir=str(workdir / f"trainer-{strategy}"), per_device_train_batch_size=args.batch_size,
        num_train_epochs=1, learning_rate=args.learning_rate, warmup_steps=0.1, weight_decay=0.01,
        lr_scheduler_type="linear", save_strategy="no", eval_strategy="no", logging_strategy="no",
        report_to=[], use_cpu=args.device == "cpu", seed=args.seed, dataloader_num_workers=0, disable_tqdm=True,
        bf16=args.mixed_precision == "bf16", fp16=args.mixed_precision == "fp16",
    )
    try:
        training_args = TrainingArguments(**options, train_sampling_strategy=strategy)
    except TypeError:  # transformers before train_sampling_strategy: the older boolean
        training_args = TrainingArguments(**options, group_by_length=strategy == "group_by_length")
    result = Trainer(model=loaded.model, args=training_args, train_dataset=aligned,
                     data_collator=DataCollatorForTokenClassification(loaded.tokenizer)).train()
    return float(result.metrics["train_samples_per_second"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="minilm-cpu")
    parser.add_argument("--samples", type=int, default=640, help="training sentences (one epoch)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", default=os.environ.get("NERLIB_DATA_DIR"))
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where both loops train")
    parser.add_argument("--mixed-precision", choices=("no", "bf16", "fp16"), default="no",
                        help="autocast precision for both loops")
    parser.add_argument("--compile", action="store_true", help="also time ours with --compile")
    parser.add_argument("--only-compiled", action="store_true",
                        help="time only ours with --compile (the others ran in an earlier call)")
    parser.add_argument("--previous-loop", type=Path,
                        help="a code tree of this project from before the loop's rework: also time its training.train")
    parser.add_argument("--json-out", help="also write the results to this JSON file")
    args = parser.parse_args()

    import torch

    started = time.time()
    with tempfile.TemporaryDirectory() as temp:
        workdir = Path(temp)
        if args.only_compiled:
            first, compiled = ours(args, workdir, "ours-compiled", compile=True)
            result = {"model": args.model, "samples": args.samples, "batch_size": args.batch_size,
                      "ours_compiled_first_half_sentences_per_s": round(first, 2),
                      "ours_compiled_sentences_per_s": round(compiled, 2)}
            print(json.dumps(result, indent=2))
            if args.json_out:
                Path(args.json_out).write_text(json.dumps(result, indent=2))
            return
        partial = {"model": args.model, "samples": args.samples, "batch_size": args.batch_size, "partial": True}

        def keep(key: str, value: float) -> float:  # so that a run cut short still leaves its numbers
            partial[key] = round(value, 2)
            if args.json_out:
                Path(args.json_out).with_suffix(".partial.json").write_text(json.dumps(partial, indent=2))
            return value

        baseline = keep("trainer_random_sentences_per_s", trainer(args, workdir, "random"))
        speed = keep("ours_sentences_per_s", ours(args, workdir))
        # on a GPU ours replays CUDA graphs; the same loop without them, for the ratio
        eager = (keep("ours_eager_sentences_per_s", ours(args, workdir, "ours-eager", extra=["--no-cuda-graphs"]))
                 if args.device == "cuda" else None)
        grouped = keep("trainer_group_by_length_sentences_per_s", trainer(args, workdir, "group_by_length"))
        previous = keep("previous_loop_sentences_per_s", previous_loop(args, workdir)) if args.previous_loop else None
        first, compiled = ours(args, workdir, "ours-compiled", compile=True) if args.compile else (None, None)
        config = runs.read_run_config(workdir / "ours")
    graphs = config["batching"].get("cuda_graphs") or {}
    device = torch.cuda.get_device_name() if args.device == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    lengths_note = (f"padding waste (padded/real tokens) on this slice: ours {config['batching']['padding_waste']:.2f}x, "
                    f"random batches {config['batching']['padding_waste_random']:.2f}x")
    result = {"model": args.model, "device": device, "mixed_precision": args.mixed_precision,
              "samples": args.samples, "batch_size": args.batch_size, "learning_rate": args.learning_rate,
              "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
              "ours_sentences_per_s": round(speed, 2), "trainer_random_sentences_per_s": round(baseline, 2),
              "ours_eager_sentences_per_s": round(eager, 2) if eager else None,
              "cuda_graphs": graphs,
              "trainer_group_by_length_sentences_per_s": round(grouped, 2),
              "previous_loop_sentences_per_s": round(previous, 2) if previous else None,
              "ours_compiled_first_half_sentences_per_s": round(first, 2) if first else None,
              "ours_compiled_sentences_per_s": round(compiled, 2) if compiled else None}
    print(json.dumps(result, indent=2))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2))
        Path(args.json_out).with_suffix(".partial.json").unlink(missing_ok=True)
    print(lengths_note)
    print(f"ratio ours / Trainer (default random batches): {speed / baseline:.2f}x")
    print(f"ratio ours / Trainer (group_by_length):        {speed / grouped:.2f}x")
    if eager:
        print(f"ratio ours / ours without CUDA graphs ({eager:.0f} sentences/s): {speed / eager:.2f}x "
              f"(graphs: {graphs.get('used')}, {len(graphs.get('shapes', []))} shapes captured in "
              f"{graphs.get('capture_s')} s, not in the training clock)")
    if previous:
        print(f"ratio ours / previous loop ({args.previous_loop}): {speed / previous:.2f}x")
    if compiled:
        print(f"ours --compile, second half of the epoch: {compiled:.0f} sentences/s = {compiled / speed:.2f}x ours, "
              f"{compiled / baseline:.2f}x Trainer (first half, with the compilation: {first:.0f})")
    print(f"total bench time {time.time() - started:.0f}s")


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
