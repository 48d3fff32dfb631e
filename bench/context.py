"""Document context on vs off: the same training run twice, scored on the whole CoNLL++ test set.

Both runs use the same model spec, seed, training slice and schedule; the only difference is
``--document-context`` (each sentence read with its neighbours of the same ``-DOCSTART-`` document,
labels and loss on the sentence only). Each trained checkpoint is then scored on all 3,453 test
sentences through ``nerlib.evaluation.scoring`` (the Tagger, which reads the context setting from the
checkpoint), with seen/unseen scores against the entities of the training slice actually used.
Prints test F1, unseen F1 and minutes (training, test evaluation) for both, and the ratios
context/no-context (the baseline is the run without context).

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/context.py                       # MiniLM, 2000 sentences, 1 epoch
    python bench/context.py --samples 0 --epochs 0 --output-dir runs/bench-context     # the full preset schedule
    python bench/context.py --samples 0 --epochs 0 --gpu                                # the same on a GPU
    python bench/context.py --model tiny-scratch --samples 2000                         # quick plumbing check
    python bench/context.py --speed 40                   # only the step time per context size (0, 8, 16, 32)
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


def train(args, run_dir: Path, context: bool) -> float:
    """Train one run; return its wall-clock minutes (training, validation and checkpoints)."""
    from training.train import main

    options = ["--model", args.model, "--output-dir", str(run_dir), "--seed", str(args.seed), "--no-test",
               "--disable-tqdm", *([] if args.gpu else ["--cpu"]),
               "--document-context" if context else "--no-document-context"]
    if args.eval_samples:
        options += ["--max-eval-samples", str(args.eval_samples)]
    if args.samples:
        options += ["--max-train-samples", str(args.samples)]
    if args.epochs:
        options += ["--epochs", str(args.epochs)]
    if context and args.context_size is not None:
        options += ["--context-size", str(args.context_size)]
    if args.data_dir:
        options += ["--data-dir", args.data_dir]
    started = time.perf_counter()
    main(options)
    return (time.perf_counter() - started) / 60


def score(args, run_dir: Path) -> dict:
    """Score the run's best checkpoint on the whole test split; seen = the training slice's entities."""
    from nerlib.data.conll import read_conll
    from nerlib.data.conllpp import find_conllpp_dir
    from nerlib.evaluation.metrics import compute_metrics, entity_surface_forms
    from nerlib.evaluation.scoring import evaluate_checkpoint

    train = read_conll(find_conllpp_dir(args.data_dir) / "conllpp_train.txt")
    if args.samples:
        train = train[:args.samples]
    seen = entity_surface_forms([s.tokens for s in train], [s.ner_tags for s in train])
    started = time.perf_counter()
    result = evaluate_checkpoint(run_dir, "test", data_dir=args.data_dir, device="cuda" if args.gpu else "cpu",
                                 seen_from=None)
    minutes = (time.perf_counter() - started) / 60
    metrics = compute_metrics(result.gold, result.predicted, tokens=result.tokens, seen=seen)
    return {"f1": metrics.f1, "seen_f1": metrics.seen.f1, "unseen_f1": metrics.unseen.f1,
            "unseen_support": metrics.unseen.support, "support": metrics.support,
            "per_type": {t: round(s.f1, 4) for t, s in metrics.per_type.items()}, "eval_minutes": minutes}


def speed(args) -> None:
    """Training-step time per context size, interleaved batch by batch so that a shared machine's
    load falls on every setting alike; prints seconds per 1,000 training sentences and the ratio
    to no context (the baseline)."""
    import torch

    from nerlib.data.conllpp import load_conllpp
    from nerlib.modeling.batching import collate, length_grouped_batches
    from nerlib.modeling.encoding import encode_split
    from nerlib.modeling.models import PRESETS, load_model
    from training.train import build_optimizer

    sizes = [int(x) for x in args.speed_sizes.split(",")]
    train = load_conllpp(args.data_dir, with_documents=True)["train"]
    labels = list(train.features["ner_tags"].feature.names)
    loaded = load_model(args.model, labels, train_words=train["tokens"], max_length=256)
    model, tokenizer = loaded.model, loaded.tokenizer
    optimizer = build_optimizer(model, 1e-5, 0.01, torch.device("cpu"))
    batch_size = PRESETS[args.model].schedule.batch_size if args.model in PRESETS else 32
    splits = {size: encode_split("train", train, tokenizer, labels, "first", 256, size or 0) for size in sizes}
    # the same sentences in every setting: batches of the no-context plan, in its random order
    plan = length_grouped_batches(splits[sizes[0]].lengths, batch_size, seed=args.seed)
    seconds = {size: 0.0 for size in sizes}
    sentences = {size: 0 for size in sizes}
    model.train()
    for step in range(args.speed):
        for size in sizes:
            indices = plan[step]
            batch = collate(splits[size], indices, tokenizer.pad_token_id or 0)
            started = time.perf_counter()
            loss = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"]).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            seconds[size] += time.perf_counter() - started
            sentences[size] += len(indices)
    print(f"training steps, {args.model}, batch {batch_size}, {args.speed} batches per setting (interleaved); "
          f"{os.cpu_count()} CPU cores, torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}")
    base = seconds[sizes[0]] / sentences[sizes[0]]
    print(f"{'context per side':<18}{'sub-tokens/sentence':>21}{'s per 1k sentences':>20}{'x no context':>14}")
    for size in sizes:
        split = splits[size]
        per = seconds[size] / sentences[size]
        print(f"{size:<18}{sum(split.lengths) / len(split):>21.1f}{1000 * per:>20.1f}{per / base:>14.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="minilm-cpu")
    parser.add_argument("--samples", type=int, default=2000, help="training sentences (0 = all)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs (0 = the preset's)")
    parser.add_argument("--context-size", type=int, default=None,
                        help="context sub-tokens per side (default: the preset's; 0 fills the window)")
    parser.add_argument("--eval-samples", type=int, default=500, help="validation sentences during training (0 = all)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--output-dir", default=None, help="keep the two runs here (default: a temporary folder)")
    parser.add_argument("--gpu", action="store_true", help="train and evaluate on the GPU (default: CPU)")
    parser.add_argument("--speed", type=int, default=0,
                        help="only time N training batches per context size (no full runs)")
    parser.add_argument("--speed-sizes", default="0,8,16,32", help="context sizes for --speed (0 = no context)")
    args = parser.parse_args()
    if args.speed:
        speed(args)
        return

    import torch

    with tempfile.TemporaryDirectory() as temp:
        base = Path(args.output_dir or temp)
        rows = {}
        for name, context in (("no context", False), ("context", True)):
            run_dir = base / ("context" if context else "no-context")
            minutes = train(args, run_dir, context)
            rows[name] = {"train_minutes": minutes, **score(args, run_dir), "run": str(run_dir)}
            print(f"{name}: {json.dumps(rows[name])}", flush=True)

    device = torch.cuda.get_device_name(0) if args.gpu else "CPU"
    print(f"\nmachine: {device}, {os.cpu_count()} CPU cores, torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f}; model {args.model}, {args.samples or 'all'} training "
          f"sentences, {args.epochs or 'preset'} epoch(s), seed {args.seed}")
    print(f"{'setting':<12}{'test F1':>9}{'unseen F1':>11}{'seen F1':>9}{'train min':>11}{'test min':>10}")
    for name, row in rows.items():
        print(f"{name:<12}{100 * row['f1']:>9.2f}{100 * row['unseen_f1']:>11.2f}{100 * row['seen_f1']:>9.2f}"
              f"{row['train_minutes']:>11.1f}{row['eval_minutes']:>10.1f}")
    on, off = rows["context"], rows["no context"]
    print(f"context vs no context: test F1 {100 * (on['f1'] - off['f1']):+.2f} points, unseen F1 "
          f"{100 * (on['unseen_f1'] - off['unseen_f1']):+.2f} points, training time x{on['train_minutes'] / off['train_minutes']:.2f}, "
          f"test time x{on['eval_minutes'] / off['eval_minutes']:.2f} ({off['unseen_support']} of {off['support']} "
          "test entities unseen in the training slice)")


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
