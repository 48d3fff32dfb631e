"""Training throughput: our loop (training.train) vs the Hugging Face ``Trainer``, same run.

Same model (fresh from the same spec and seed), same CoNLL++ training slice, same batch size,
same learning rate and schedule, same CPU threads, one epoch each. Ours is timed by its own
training-only clock (the ``sentences_per_s`` of its metrics line: forward, backward, optimizer,
batching; no evaluation or checkpoint writing); the Trainer by its ``train_samples_per_second``.
The Trainer runs twice: with its default random batches (the baseline the ratio is against), and
with ``train_sampling_strategy="group_by_length"`` for reference.

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/training.py               # MiniLM, 640 sentences
    python bench/training.py --model tiny-scratch --samples 3200                    # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nerlib import runs  # noqa: E402


def ours(args, workdir: Path) -> float:
    """Train one epoch with training.train; return its training sentences/s."""
    from training.train import main

    run_dir = main(["--model", args.model, "--output-dir", str(workdir / "ours"), "--epochs", "1",
                    "--batch-size", str(args.batch_size), "--learning-rate", str(args.learning_rate),
                    "--max-train-samples", str(args.samples), "--max-eval-samples", "32", "--no-test",
                    "--seed", str(args.seed), "--max-length", "256", "--disable-tqdm", "--cpu"]
                   + (["--data-dir", args.data_dir] if args.data_dir else []))
    return float(runs.read_metrics(run_dir)[0]["sentences_per_s"])


def trainer(args, workdir: Path, strategy: str) -> float:
    """Train one epoch with transformers.Trainer; return its train_samples_per_second."""
    import datasets
    from accelerate.utils import set_seed
    from transformers import DataCollatorForTokenClassification, Trainer, TrainingArguments

    from nerlib.alignment import align_dataset
    from nerlib.data import load_conllpp
    from nerlib.modeling import load_model

    datasets.disable_progress_bars()
    raw = load_conllpp(args.data_dir)["train"].select(range(args.samples))
    set_seed(args.seed)
    loaded = load_model(args.model, train_words=list(raw["tokens"]), max_length=256)
    aligned = align_dataset(raw, loaded.tokenizer, max_length=256).dataset.remove_columns(["words_cut"])
    training_args = TrainingArguments(
        output_dir=str(workdir / f"trainer-{strategy}"), per_device_train_batch_size=args.batch_size,
        num_train_epochs=1, learning_rate=args.learning_rate, warmup_steps=0.1, weight_decay=0.01,
        lr_scheduler_type="linear", save_strategy="no", eval_strategy="no", logging_strategy="no",
        report_to=[], use_cpu=True, seed=args.seed, dataloader_num_workers=0, disable_tqdm=True,
        train_sampling_strategy=strategy,
    )
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
    args = parser.parse_args()

    import torch

    started = time.time()
    with tempfile.TemporaryDirectory() as temp:
        workdir = Path(temp)
        baseline = trainer(args, workdir, "random")
        speed = ours(args, workdir)
        grouped = trainer(args, workdir, "group_by_length")
        config = runs.read_run_config(workdir / "ours")
    lengths_note = (f"padding waste (padded/real tokens) on this slice: ours {config['batching']['padding_waste']:.2f}x, "
                    f"random batches {config['batching']['padding_waste_random']:.2f}x")
    print(json.dumps({"model": args.model, "samples": args.samples, "batch_size": args.batch_size,
                      "torch_threads": torch.get_num_threads(), "ours_sentences_per_s": round(speed, 2),
                      "trainer_random_sentences_per_s": round(baseline, 2),
                      "trainer_group_by_length_sentences_per_s": round(grouped, 2)}, indent=2))
    print(lengths_note)
    print(f"ratio ours / Trainer (default random batches): {speed / baseline:.2f}x")
    print(f"ratio ours / Trainer (group_by_length):        {speed / grouped:.2f}x")
    print(f"total bench time {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
