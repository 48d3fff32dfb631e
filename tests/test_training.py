"""The training script (training.train): a real from-scratch model trained on a slice of CoNLL++.

The session fixture ``tiny_run`` (tests/conftest.py) trains once; these tests read its run folder,
resume a killed copy of it, and run it on two processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tiny_run_args  # tests/ is on sys.path (pytest rootdir conftest)

from nerlib.runs import folder as runs

ROOT = Path(__file__).resolve().parents[1]
TIMING_FIELDS = {"elapsed_s", "eval_seconds", "sentences_per_s"}
LINE_FIELDS = {"epoch", "step", "split", "loss", "learning_rate", "elapsed_s", "sentences_per_s",
               "token_accuracy", "precision", "recall", "f1", "support", "per_type"}


def without_timing(records):
    return [{k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in records]


def test_help_lists_presets_and_options(capsys):
    from training.train import main

    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for option in ("--model", "--resume", "--eval-steps", "--save-total-limit", "minilm-cpu", "tiny-scratch"):
        assert option in text


def test_run_folder_has_the_documented_files_and_fields(tiny_run):
    config = runs.read_run_config(tiny_run)
    for key in ("config", "model", "labels", "data", "batching", "device", "versions", "git_commit", "started_at"):
        assert key in config
    assert config["labels"][:3] == ["O", "B-PER", "I-PER"]
    assert config["config"]["learning_rate"] == 3e-3 and config["device"]["num_processes"] == 1
    assert config["batching"]["padding_waste"] < config["batching"]["padding_waste_random"]
    assert config["batching"]["cuda_graphs"] == {"used": False, "reason": "they need a CUDA device (training on cpu)"}

    records = runs.read_metrics(tiny_run)
    assert [r["split"] for r in records] == ["validation"] * 6 + ["test"]
    assert [r["step"] for r in records[:-1]] == [25, 50, 60, 75, 100, 120]  # every 25 steps + epoch ends
    assert [r["epoch"] for r in records[:-1] if r["step"] in (60, 120)] == [1.0, 2.0]
    for record in records:
        assert LINE_FIELDS <= set(record), LINE_FIELDS - set(record)
        assert set(record["per_type"]) <= {"PER", "ORG", "LOC", "MISC"}
        assert set(record["per_type"]["PER"]) == {"precision", "recall", "f1", "support"}
        assert record["sentences"] == 200  # every evaluation sentence scored exactly once
    assert records[-1]["checkpoint"] == runs.BEST and records[-1]["source"] in {c.name for c in runs.list_checkpoints(tiny_run)}

    progress = runs.read_progress(tiny_run)
    assert progress.status == "finished" and progress.step == progress.total_steps == 120

    for split in ("validation", "test"):
        predictions = runs.read_predictions(tiny_run / runs.PREDICTIONS_DIR / f"{split}.conll")
        assert len(predictions.tokens) == 200


def test_loss_falls(tiny_run):
    validation = [r for r in runs.read_metrics(tiny_run) if r["split"] == "validation"]
    assert validation[-1]["loss"] < validation[0]["loss"] * 0.8
    assert validation[-1]["train_loss"] < validation[0]["train_loss"]
    assert max(r["f1"] for r in validation) > 0.05  # a 1-layer model after 120 steps finds some entities


def test_checkpoints_and_best_are_discoverable(tiny_run):
    run = runs.load_run(tiny_run)
    assert [c.name for c in run.checkpoints] == ["step-25", "step-50", "epoch-1", "step-75", "step-100", "epoch-2"]
    assert all(c.resumable for c in run.checkpoints)
    best_f1 = max(r["f1"] for r in run.validation_metrics)
    assert run.best.name == runs.BEST and run.best.f1 == pytest.approx(best_f1)
    assert runs.read_progress(tiny_run).best_f1 == pytest.approx(best_f1)  # what the dashboard shows
    assert not run.best.resumable  # best holds weights only, no optimizer state
    assert run.status == "finished" and set(run.predictions) == {"validation", "test"}
    assert run.metrics["f1"].notna().all() and "PER_f1" in run.metrics.columns


def test_best_checkpoint_loads_back_and_reproduces_its_predictions(tiny_run):
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from nerlib.modeling.alignment import word_level_predictions

    folder = tiny_run / runs.CHECKPOINTS_DIR / runs.BEST
    model = AutoModelForTokenClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert model.config.id2label[3] == "B-ORG"
    saved = runs.read_predictions(tiny_run / runs.PREDICTIONS_DIR / "validation.conll")
    agree = total = 0
    for words, predicted in zip(saved.tokens[:40], saved.predicted[:40]):
        encoding = tokenizer(words, is_split_into_words=True, return_tensors="pt")
        with torch.no_grad():
            ids = model(**{k: v for k, v in encoding.items() if k != "token_type_ids"}).logits.argmax(-1)[0].tolist()
        labels = word_level_predictions(encoding.word_ids(), [model.config.id2label[i] for i in ids], len(words))
        agree += sum(a == b for a, b in zip(labels, predicted))
        total += len(words)
    assert agree / total > 0.99  # same weights; only padding differs from the batched evaluation


def test_an_existing_run_is_not_overwritten(tiny_run, conllpp_dir):
    from training.train import main

    with pytest.raises(SystemExit, match="--resume"):
        main(tiny_run_args(conllpp_dir, tiny_run))


@pytest.fixture(scope="module")
def saved_tiny_model(conllpp, tmp_path_factory) -> Path:
    """A from-scratch tiny model saved to a folder. WordPiece training is not reproducible across
    processes (tie order), so runs that must match start from the same saved vocabulary and weights."""
    from conftest import TINY_MODEL

    from nerlib.modeling.models import load_model

    folder = tmp_path_factory.mktemp("tiny-model")
    loaded = load_model(TINY_MODEL, train_words=list(conllpp["train"].select(range(960))["tokens"]))
    loaded.model.save_pretrained(folder)
    loaded.tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_resume_after_a_kill_gives_the_same_metrics_lines(saved_tiny_model, conllpp_dir, tmp_path):
    from training.train import main

    reference = main(tiny_run_args(conllpp_dir, tmp_path / "reference", model=str(saved_tiny_model)))
    killed = tmp_path / "killed"
    result = subprocess.run([sys.executable, "-m", "training.train",
                             *tiny_run_args(conllpp_dir, killed, "--debug-kill-after-step", "55",
                                            model=str(saved_tiny_model))],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 137, result.stderr[-2000:]
    assert runs.read_progress(killed).status == "running"  # the kill left no chance to say otherwise
    assert runs.last_resumable_checkpoint(killed).name == "step-50"
    # what a kill can leave behind: a checkpoint being written, one without its marker, a torn line
    (killed / runs.CHECKPOINTS_DIR / ".tmp-step-75" / "training_state").mkdir(parents=True)
    (killed / runs.CHECKPOINTS_DIR / "step-99").mkdir()
    with open(killed / runs.METRICS_FILE, "a") as handle:
        handle.write('{"epoch": 0.9, "step": 5')

    main(["--output-dir", str(killed), "--resume", "--disable-tqdm"])

    resumed, uninterrupted = runs.read_metrics(killed), runs.read_metrics(reference)
    assert [(r["split"], r["step"]) for r in resumed] == [(r["split"], r["step"]) for r in uninterrupted]
    for mine, theirs in zip(without_timing(resumed), without_timing(uninterrupted)):
        assert mine.keys() == theirs.keys()
        for key, value in mine.items():
            if isinstance(value, float):
                assert value == pytest.approx(theirs[key], rel=1e-4, abs=1e-6), key
            elif key != "per_type":
                assert value == theirs[key], key
    assert runs.read_progress(killed).status == "finished"
    assert len(runs.read_run_config(killed)["resumed_at"]) == 1
    assert not (killed / runs.CHECKPOINTS_DIR / ".tmp-step-75").exists()
    assert (killed / runs.PREDICTIONS_DIR / "test.conll").read_text() == \
        (reference / runs.PREDICTIONS_DIR / "test.conll").read_text()


@pytest.mark.slow
def test_two_processes_on_cpu_gather_every_evaluation_sentence_once(conllpp_dir, tmp_path):
    output = tmp_path / "ddp"
    args = ["--model", "scratch:layers=1,hidden=32,heads=2,intermediate=64,vocab=1000",
            "--data-dir", str(conllpp_dir), "--output-dir", str(output), "--max-train-samples", "320",
            "--max-eval-samples", "101", "--epochs", "1", "--batch-size", "16", "--learning-rate", "3e-3",
            "--cpu", "--disable-tqdm"]
    # accelerate's torchrun-style launcher; with --cpu the script's Accelerator uses gloo
    # (`accelerate launch --cpu --num_processes 2` would start a single process: accelerate only
    # spreads CPU runs over processes through mpirun)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
                             "--num_processes", "2", "--num_machines", "1", "--mixed_precision", "no",
                             "--dynamo_backend", "no", "--main_process_port", "29533",
                             "-m", "training.train", *args],
                            cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    config = runs.read_run_config(output)
    assert config["device"]["num_processes"] == 2 and "MULTI_CPU" in config["device"]["distributed_type"]
    assert config["batching"]["steps_per_epoch"] == 10  # 20 batches of 16, half on each process
    records = runs.read_metrics(output)
    assert [r["split"] for r in records] == ["validation", "test"]  # written once, by the main process
    assert all(r["sentences"] == 101 for r in records)  # 101 is odd: no sentence duplicated or lost
    # one vocabulary for both processes: the one the main process learnt and saved with the model
    shared = json.loads((output / ".scratch-tokenizer" / "tokenizer.json").read_text())["model"]["vocab"]
    saved = json.loads((output / runs.CHECKPOINTS_DIR / "best" / "tokenizer.json").read_text())["model"]["vocab"]
    assert shared == saved
    gold = [json.loads(line) for line in (output / runs.METRICS_FILE).read_text().splitlines()]
    assert gold[0]["support"] > 0
    assert len(runs.read_predictions(output / runs.PREDICTIONS_DIR / "test.conll").tokens) == 101
    assert [c.name for c in runs.list_checkpoints(output)] == ["epoch-1"]
    assert sorted(p.name for p in (output / runs.CHECKPOINTS_DIR / "epoch-1" / runs.TRAINING_STATE_DIR).iterdir()) \
        == ["optimizer.pt", "rng_state_0.pt", "rng_state_1.pt", "scheduler.pt"]


@pytest.mark.slow
def test_sigterm_marks_the_run_stopped_and_it_resumes_to_the_end(conllpp_dir, tmp_path):
    import signal
    import time

    from training.train import main

    output = tmp_path / "stopped"
    process = subprocess.Popen([sys.executable, "-m", "training.train",
                                *tiny_run_args(conllpp_dir, output, "--max-train-samples", "480",
                                               "--progress-interval", "0.1")],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:  # wait until it is training (the dashboard's view of it)
            progress = runs.read_progress(output)
            if progress and progress.phase == "training" and progress.step >= 3:
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 130, process.stderr.read()[-2000:]
    finally:
        process.kill()
    progress = runs.read_progress(output)
    assert progress.status == "stopped" and "--resume" in progress.message
    assert runs.load_run(output).status == "stopped"

    main(["--output-dir", str(output), "--resume", "--disable-tqdm"])
    run = runs.load_run(output)
    assert run.status == "finished" and run.test_metrics is not None
    assert [r["step"] for r in run.validation_metrics] == sorted({r["step"] for r in run.validation_metrics})


def test_mixed_precision_auto_follows_the_devices_native_bfloat16():
    from nerlib.modeling.device import DeviceCapability, native_bfloat16
    from training.options import resolve_mixed_precision

    for explicit in ("no", "fp16", "bf16"):
        assert resolve_mixed_precision(explicit, cpu=True) == explicit
    native = native_bfloat16(DeviceCapability.probe("cpu"))
    assert resolve_mixed_precision("auto", cpu=True) == ("bf16" if native else "no")


def test_presets_fill_label_strategy_and_precision_unless_given():
    from training.options import build_parser, resolve_schedule

    def resolved(*argv: str):
        return resolve_schedule(build_parser().parse_args(list(argv)))

    minilm = resolved("--model", "minilm-cpu")
    assert (minilm.label_strategy, minilm.mixed_precision, minilm.epochs) == ("all", "auto", 5)
    assert resolved("--model", "minilm-cpu", "--label-strategy", "first").label_strategy == "first"
    assert resolved("--model", "tiny-scratch").label_strategy == "first"
    assert resolved("--model", "scratch:layers=1").mixed_precision == "no"  # no preset: the fallbacks


def test_frozen_word_embeddings_stay_as_loaded_while_the_rest_trains(conllpp_dir, tmp_path):
    from safetensors.torch import load_file

    from training.train import main

    run_dir = main(tiny_run_args(conllpp_dir, tmp_path / "frozen", "--freeze-word-embeddings", "--max-steps", "4",
                                 "--eval-steps", "2", "--no-test"))
    assert runs.read_run_config(run_dir)["config"]["freeze_word_embeddings"] is True
    first, second = (load_file(run_dir / runs.CHECKPOINTS_DIR / name / "model.safetensors") for name in ("step-2", "step-4"))
    words = next(key for key in first if key.endswith("word_embeddings.weight"))
    assert (first[words] == second[words]).all()
    changed = [key for key in first if not (first[key] == second[key]).all()]
    assert changed and words not in changed and any("encoder" in key for key in changed)


def validated(name: str, f1: float | None):
    """The loop's event after a validation scoring ``f1`` (None: the data has no validation split)."""
    from types import SimpleNamespace

    from training.evaluation import Evaluation
    from training.loop import Validated

    evaluation = None if f1 is None else Evaluation(SimpleNamespace(f1=f1), loss=0.5, predictions=[], seconds=0.0)
    return Validated(name, epoch=0.0, evaluation=evaluation, window={})


def test_best_is_the_highest_validation_f1_not_the_last():
    from nerlib.runs.records import TrainState
    from training.train import update_best

    state = TrainState()
    script = [("step-25", 0.20), ("step-50", 0.35), ("epoch-1", 0.30), ("step-75", 0.35), ("epoch-2", 0.10)]
    assert [update_best(state, validated(name, f1)) for name, f1 in script] == [True, True, False, False, False]
    assert (state.best_f1, state.best_source) == (0.35, "step-50")  # a tie does not move it


def test_without_a_validation_split_the_latest_checkpoint_is_best():
    from nerlib.runs.records import TrainState
    from training.train import update_best

    state = TrainState()
    assert all(update_best(state, validated(name, None)) for name in ("epoch-1", "epoch-2"))
    assert (state.best_f1, state.best_source) == (None, "epoch-2")
