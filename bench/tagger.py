"""Benchmark: our Tagger against the Hugging Face token-classification pipeline, same model and texts.

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/tagger.py --model runs/<run>

Texts are the CoNLL++ test sentences written as plain text (words joined by spaces), so both
sides see the same strings. Measured in one process, on the same device (and CPU threads), in turns:

1. ours: ``Tagger.tag_many(texts)`` in float32 (CPU: batches of 64 length-sorted windows; GPU:
   batches cut by tokens);
2. baseline: ``pipeline("token-classification", aggregation_strategy="first")`` with its default
   batch size (one text per forward pass), on the same float32 model;
3. baseline: the same pipeline with ``batch_size=64``;
4. ``--variants``: ours as the default ``Tagger.from_pretrained(model)`` picks it on this device
   (``default``), and in ``bfloat16`` or ``float16``, with ``int8`` dynamic quantization (CPU), or in bfloat16
   with at most 64 windows per batch (``bfloat16-batch64``), each with its test F1 and the share of
   entities identical to float32's; ``onnx`` and ``onnx-int8``: the model exported with
   ``python -m nerlib export-onnx --int8`` run by onnxruntime on the CPU (``--onnx DIR``; without it
   the run's ``onnx/`` export, else one exported into a temporary folder for this run, said so).

    python bench/tagger.py --model runs/<run> --limit 1500 --threads 1 --variants default,int8,onnx,onnx-int8

    python bench/tagger.py --device cuda --model runs/<run> --chunk 1000 --repeats 3   # GPU

Prints words/s, the ratios, and the share of identical entities (same label, same character start
and end) between ours and the pipeline, with examples of every kind of difference.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="checkpoint: run folder, checkpoint folder, HF folder (default: best run in $NERLIB_RUNS_DIR)")
    parser.add_argument("--split", default="test", help="CoNLL++ split or CoNLL file (default test)")
    parser.add_argument("--limit", type=int, help="use only the first N sentences")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="ours: windows per batch (default: the Tagger's, 64 on CPU, by tokens on GPU)")
    parser.add_argument("--pipeline-batch-size", type=int, default=64, help="the batched pipeline's batch_size")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (every contender runs there)")
    parser.add_argument("--chunk", type=int, default=500, help="texts per turn (contenders take turns on chunks)")
    parser.add_argument("--repeats", type=int, default=1, help="time each of ours this many times, keep the best")
    parser.add_argument("--baseline-repeats", type=int, default=1, help="the same for the pipelines (slow)")
    parser.add_argument("--variants", default=None,
                        help="comma-separated: default, bfloat16, float16, int8, onnx, onnx-int8, bfloat16-batch64, "
                             "bfloat16-batch64-any-attention (CPU default: bfloat16,int8; GPU: default,"
                             "bfloat16-batch64,bfloat16-batch64-any-attention)")
    parser.add_argument("--no-variants", action="store_true", help="only float32 and the two pipelines")
    parser.add_argument("--onnx", help="exported folder for the onnx variants (default: the model's onnx/ "
                                       "export, else one exported into a temporary folder)")
    parser.add_argument("--json-out", help="also write words/s, F1 and agreement to this JSON file")
    parser.add_argument("--threads", type=int, help="torch threads for every contender (default: torch's choice)")
    parser.add_argument("--examples", type=int, default=4, help="differences to print per kind")
    return parser.parse_args()


def default_model() -> str:
    from nerlib.runs.checkpoints import latest_trained_run

    run = latest_trained_run()
    if run is None:
        raise SystemExit("no trained run found; pass --model")
    return str(run)


def onnx_folder(args: argparse.Namespace, model_path: str) -> str:
    """The exported folder for the onnx variants: --onnx, the model's onnx/ export, else a fresh one."""
    import tempfile

    from nerlib.runs.exported import export_onnx, find_exported_folder

    if args.onnx or find_exported_folder(model_path):
        return str(args.onnx or find_exported_folder(model_path))
    if not getattr(args, "_onnx_tmp", None):
        args._onnx_tmp = tempfile.mkdtemp(prefix="bench-onnx-")
        print(f"  exporting {model_path} to {args._onnx_tmp} (float32 and int8) for the onnx variants")
        export_onnx(model_path, Path(args._onnx_tmp) / "onnx", int8=True)
    return str(Path(args._onnx_tmp) / "onnx")


def timed(function, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def entity_set(entities) -> set[tuple[int, int, str]]:
    return {(e[0], e[1], e[2]) for e in entities}


def ours_entities(tagged) -> list[tuple[int, int, str]]:
    return [(e.start, e.end, e.label) for e in tagged.entities]


def pipeline_entities(output) -> list[tuple[int, int, str]]:
    return [(int(e["start"]), int(e["end"]), e["entity_group"]) for e in output]


def classify(text: str, word_starts: set[int], word_ends: set[int], ours: set, theirs: set) -> str:
    """Why two entity sets of one text differ."""
    if any(s not in word_starts or e not in word_ends for s, e, _ in theirs - ours):
        return "pipeline entity starts or ends inside a word"
    if {(s, e) for s, e, _ in ours ^ theirs} <= {(s, e) for s, e, _ in ours & theirs} | (
            {(s, e) for s, e, _ in ours - theirs} & {(s, e) for s, e, _ in theirs - ours}):
        return "same span, other type"
    words_inside = [text[s:e] for s, e, _ in ours ^ theirs]
    if any(any(not c.isalnum() for c in word) and len(word) > 1 for span in words_inside for word in span.split()):
        return "involves a word with inner punctuation"
    return "other"


def agreement(texts, tagged, ours_all, theirs_all, examples: int, title: str) -> float:
    """Print and return the share of identical entities (intersection over union)."""
    same = union = 0
    kinds: Counter = Counter()
    shown: Counter = Counter()
    for text, words, ours, theirs in zip(texts, tagged, ours_all, theirs_all):
        a, b = entity_set(ours), entity_set(theirs)
        same += len(a & b)
        union += len(a | b)
        if a != b:
            kind = classify(text, {w.start for w in words.words}, {w.end for w in words.words}, a, b)
            kinds[kind] += len(a ^ b)
            if shown[kind] < examples:
                shown[kind] += 1
                print(f"    [{kind}] {text[:90]!r}\n      ours only:     {[(text[s:e], label) for s, e, label in sorted(a - b)]}"
                      f"\n      pipeline only: {[(text[s:e], label) for s, e, label in sorted(b - a)]}")
    share = same / union if union else 1.0
    print(f"  {title}: {same} of {union} entities identical = {100 * share:.2f}%; "
          f"entities in only one of them, by cause: {dict(kinds)}")
    return share


def any_attention(tag_many):
    """``tag_many`` without the tagger's restriction of the attention kernels (for comparison)."""
    import contextlib

    import nerlib.tagging.settings

    def run(texts):
        restricted = nerlib.tagging.settings.attention_kernels
        nerlib.tagging.settings.attention_kernels = lambda device: contextlib.nullcontext()
        try:
            return tag_many(texts)
        finally:
            nerlib.tagging.settings.attention_kernels = restricted
    return run


def main() -> None:
    args = parse_args()
    import torch
    import transformers
    from transformers import pipeline

    from nerlib.evaluation.metrics import compute_metrics
    from nerlib.evaluation.scoring import load_sentences
    from nerlib.tagging.settings import quantize_dynamic
    from nerlib.tagging.tagger import Tagger

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    if args.threads:
        torch.set_num_threads(args.threads)
    model_path = args.model or default_model()
    sentences, source = load_sentences(args.split)
    if args.limit:
        sentences = sentences[: args.limit]
    texts = [" ".join(s.tokens) for s in sentences]
    n_words = sum(len(s.tokens) for s in sentences)
    device = args.device
    gpu = device.startswith("cuda")
    # float32 explicitly: the pipeline baseline shares this model, and the default dtype="auto" would
    # pick float16 or bfloat16 (nerlib.modeling.device.choose_dtype; the "default" variant measures that).
    tagger = Tagger.from_pretrained(model_path, device=device, dtype="float32", batch_size=args.batch_size)
    hardware = (f"GPU {torch.cuda.get_device_name(torch.device(device))}" if gpu else
                f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs visible (load average {os.getloadavg()[0]:.1f})")
    print(f"model {tagger.path}; {len(texts)} texts from {source}, {n_words} words; torch {torch.__version__}, "
          f"transformers {transformers.__version__}; {hardware}")

    pipe = pipeline("token-classification", model=tagger.model, tokenizer=tagger.tokenizer,
                    aggregation_strategy="first", device=device)
    warm = texts[: max(64, min(args.chunk, len(texts)))]

    names = args.variants.split(",") if args.variants else (
        ["default", "bfloat16-batch64", "bfloat16-batch64-any-attention"] if gpu else ["bfloat16", "int8"])
    variants = {}
    for name in ([] if args.no_variants else names):
        if name == "default":
            variants[name] = Tagger.from_pretrained(model_path, device=device)
        elif name in ("bfloat16", "float16"):
            variants[name] = Tagger.from_pretrained(model_path, device=device, dtype=getattr(torch, name),
                                                    batch_size=args.batch_size)
        elif name in ("bfloat16-batch64", "bfloat16-batch64-any-attention"):
            variants[name] = Tagger.from_pretrained(model_path, device=device, dtype=torch.bfloat16, batch_size=64,
                                                    max_tokens=1 << 30)
        elif name in ("onnx", "onnx-int8"):
            variants[name] = Tagger.from_pretrained(onnx_folder(args, model_path), quantize=name == "onnx-int8",
                                                    batch_size=args.batch_size)
        elif name == "int8":
            variants[name] = Tagger(quantize_dynamic(Tagger.from_pretrained(model_path, device="cpu", dtype="float32").model),
                                    tagger.tokenizer, tagger.id2label, batch_size=args.batch_size)
        else:
            raise SystemExit(f"unknown variant {name!r}")
    for name, variant in variants.items():
        print(f"  ours ({name}): backend {variant.backend} ({variant.backend_reason}), "
              f"{getattr(variant.model, 'path', None) or next(variant.model.parameters()).dtype}")
    batched_name = f"pipeline, batch_size={args.pipeline_batch_size}"
    contenders = {
        "ours (float32)": tagger.tag_many,
        "pipeline, default batch size": pipe,
        batched_name: lambda chunk: pipe(chunk, batch_size=args.pipeline_batch_size),
        **{f"ours ({name})": variant.tag_many for name, variant in variants.items()},
    }
    if "bfloat16-batch64-any-attention" in variants:
        # the tagger as it was: any attention kernel PyTorch picks (cuDNN's included) for 64 windows a batch
        contenders["ours (bfloat16-batch64-any-attention)"] = any_attention(variants["bfloat16-batch64-any-attention"].tag_many)
    for name, run in list(contenders.items()):  # warm-up: kernels chosen, memory allocated, caches filled
        try:
            run(warm)
        except Exception as error:  # a variant that fails here is reported, not fatal to the others
            if not name.startswith("ours ("):
                raise
            print(f"  {name} failed ({type(error).__name__}: {error}); left out")
            del contenders[name]
            variants.pop(name[len("ours ("):-1], None)
    if gpu:
        for name, variant in variants.items():
            dtype = next(variant.model.parameters()).dtype
            print(f"  ours ({name}): {dtype}, batch_size {variant.batch_size}, max_tokens {variant.max_tokens}")
    # The machine is shared, so its speed drifts over minutes: run the contenders in turns on
    # chunks of the texts (rotating who goes first) so that every one sees the same conditions.
    results = dict.fromkeys(contenders, 0.0)
    outputs: dict[str, list] = {name: [] for name in contenders}
    names = list(contenders)
    for number, begin in enumerate(range(0, len(texts), args.chunk)):
        chunk = texts[begin:begin + args.chunk]
        for name in names[number % len(names):] + names[:number % len(names)]:
            repeats = args.baseline_repeats if name.startswith("pipeline") else args.repeats
            seconds, output = timed(lambda name=name, chunk=chunk: contenders[name](chunk), repeats)
            results[name] += seconds
            outputs[name].extend(output)
    tagged, default_out, batched_out = outputs["ours (float32)"], outputs["pipeline, default batch size"], outputs[batched_name]
    variant_tagged = {name: outputs[f"ours ({name})"] for name in variants}

    print(f"\nwords/s (ours best of {args.repeats}, pipelines best of {args.baseline_repeats}; {hardware}):")
    default_speed = n_words / results["pipeline, default batch size"]
    batched_speed = n_words / results[batched_name]
    report = {"device": hardware, "model": str(tagger.path), "texts": len(texts), "words": n_words,
              "torch": torch.__version__, "transformers": transformers.__version__, "words_per_s": {},
              "test_f1": {}, "identical_to_float32": {}}
    for name, seconds in results.items():
        speed = n_words / seconds
        report["words_per_s"][name] = round(speed)
        print(f"  {name:<32} {speed:>9,.0f} words/s  {seconds:7.2f} s   "
              f"x{speed / default_speed:5.2f} vs default pipeline   x{speed / batched_speed:5.2f} vs batched pipeline")

    print("\nagreement (entities with the same label and character span):")
    ours_all = [ours_entities(t) for t in tagged]
    default_all = [pipeline_entities(o) for o in default_out]
    agreement(texts, tagged, ours_all, default_all, args.examples, "ours vs default pipeline")
    agreement(texts, tagged, ours_all, [pipeline_entities(o) for o in batched_out], 0, "ours vs batched pipeline")
    # The pipeline decides what a word is from the sub-tokens: a piece that is not a "##"
    # continuation starts a new word, so "U.S." (u . s .) or "AL-AIN" (al - ain) become several
    # words whose non-first pieces the model never learned to label. Where no word is cut like
    # that, both should agree exactly.
    whole = [all(sum(not p.startswith("##") for p in tagger.tokenizer.tokenize(w)) <= 1 for w in s.tokens)
             for s in sentences]
    pick = [i for i, ok in enumerate(whole) if ok]
    print(f"  {len(pick)} of {len(texts)} texts have no word the pipeline cuts into pieces; on them:")
    agreement([texts[i] for i in pick], [tagged[i] for i in pick], [ours_all[i] for i in pick],
              [default_all[i] for i in pick], args.examples, "ours vs default pipeline, texts without cut words")
    mid_word = 0
    for output, words in zip(default_out, tagged):
        starts, ends = {w.start for w in words.words}, {w.end for w in words.words}
        mid_word += sum(1 for e in output if e["start"] not in starts or e["end"] not in ends)
    print(f"  pipeline entities that start or end inside a CoNLL word: {mid_word} of "
          f"{sum(len(o) for o in default_out)} (ours: 0 by construction)")

    gold = [s.ner_tags for s in sentences]
    tokens = [list(s.tokens) for s in sentences]
    base_f1 = compute_metrics(gold, [t.labels for t in tagger.tag_words(tokens)]).f1
    report["test_f1"]["float32"] = round(100 * base_f1, 2)
    raw_labels = [t.labels if len(t.labels) == len(s.tokens) else None for t, s in zip(tagged, sentences)]
    print(f"\ntest F1, float32: {100 * base_f1:.2f} on the CoNLL words"
          + (f", {100 * compute_metrics(gold, raw_labels).f1:.2f} on the raw text" if None not in raw_labels else
             f" ({raw_labels.count(None)} texts split into other words than CoNLL's)"))
    for name, variant in variants.items():
        f1 = compute_metrics(gold, [t.labels for t in variant.tag_words(tokens)]).f1
        print(f"test F1, {name}: {100 * f1:.2f} ({100 * (f1 - base_f1):+.2f} points)")
        variant_all = [ours_entities(t) for t in variant_tagged[name]]
        report["test_f1"][name] = round(100 * f1, 2)
        report["identical_to_float32"][name] = round(
            100 * agreement(texts, tagged, ours_all, variant_all, 0, f"ours float32 vs ours {name}"), 2)
        agreement([texts[i] for i in pick], [tagged[i] for i in pick], [variant_all[i] for i in pick],
                  [default_all[i] for i in pick], 0, f"ours {name} vs default pipeline, texts without cut words")

    if args.json_out:
        import json

        Path(args.json_out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
