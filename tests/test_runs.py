"""Run records (nerlib.runs.folder) on hand-made run folders: no training needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nerlib import settings
from nerlib.runs import folder as runs


def make_checkpoint(run_dir, name, step, f1=None, resumable=True):
    temp = runs.checkpoint_temp_dir(run_dir, name)
    (temp / "config.json").write_text("{}")
    if resumable:
        (temp / runs.TRAINING_STATE_DIR).mkdir()
    metrics = {"f1": f1} if f1 is not None else {}
    return runs.commit_checkpoint(temp, name, {"step": step, "epoch": step / 10, "metrics": metrics,
                                               "resumable": resumable})


def test_default_runs_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(settings.RUNS_DIR_ENV, raising=False)
    assert runs.default_runs_dir().as_posix() == "runs"
    monkeypatch.setenv(settings.RUNS_DIR_ENV, str(tmp_path))
    assert runs.default_runs_dir() == tmp_path


def test_metrics_lines_round_trip_and_a_torn_last_line_is_skipped(tmp_path):
    runs.append_metrics(tmp_path, {"step": 1, "split": "validation", "f1": 0.5})
    runs.append_metrics(tmp_path, {"step": 2, "split": "validation", "f1": 0.6})
    with open(tmp_path / runs.METRICS_FILE, "a") as handle:
        handle.write('{"step": 3, "spl')  # killed mid-write
    assert [r["step"] for r in runs.read_metrics(tmp_path)] == [1, 2]
    assert runs.truncate_metrics(tmp_path, 2) == 0
    # the torn line is gone, so the next append starts a clean line
    runs.append_metrics(tmp_path, {"step": 3, "split": "validation", "f1": 0.7})
    assert [r["step"] for r in runs.read_metrics(tmp_path)] == [1, 2, 3]
    assert runs.truncate_metrics(tmp_path, 1) == 2
    assert [r["step"] for r in runs.read_metrics(tmp_path)] == [1]


def test_a_bad_line_in_the_middle_is_an_error_naming_it(tmp_path):
    (tmp_path / runs.METRICS_FILE).write_text('{"step": 1}\nnot json\n{"step": 2}\n')
    with pytest.raises(ValueError, match=r"metrics.jsonl:2"):
        runs.read_metrics(tmp_path)


def test_metrics_frame_flattens_per_type_scores():
    frame = runs.metrics_frame([
        {"epoch": 1.0, "step": 10, "split": "validation", "loss": 0.3, "f1": 0.8,
         "per_type": {"PER": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 12}}},
        {"epoch": 2.0, "step": 20, "split": "test", "loss": 0.2, "f1": 0.9},
    ])
    assert list(frame["split"]) == ["validation", "test"]
    assert frame.loc[0, "PER_f1"] == 0.85 and frame.loc[0, "PER_support"] == 12
    assert "learning_rate" in frame.columns and "sentences_per_s" in frame.columns
    assert runs.metrics_frame([]).empty


def test_progress_round_trip_and_a_dead_process_is_not_alive(tmp_path):
    runs.write_progress(tmp_path, runs.Progress(step=5, total_steps=20))
    progress = runs.read_progress(tmp_path)
    assert progress.step == 5 and progress.fraction == 0.25 and progress.pid == os.getpid()
    assert progress.is_alive()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    progress.pid = int(dead.stdout)
    assert not progress.is_alive()  # killed runs stay "running" in the file; this tells them apart
    progress.pid, progress.updated_at = os.getpid(), 0.0
    assert not progress.is_alive(stale_after_s=60)
    assert runs.read_progress(tmp_path / "nothing") is None


def test_checkpoints_are_found_in_step_order_and_incomplete_ones_ignored(tmp_path):
    make_checkpoint(tmp_path, "step-20", 20, f1=0.7)
    make_checkpoint(tmp_path, "epoch-1", 10, f1=0.6)
    make_checkpoint(tmp_path, runs.BEST, 20, f1=0.7, resumable=False)
    (tmp_path / runs.CHECKPOINTS_DIR / "step-30").mkdir()  # killed before checkpoint.json
    (tmp_path / runs.CHECKPOINTS_DIR / ".tmp-step-40").mkdir()  # killed while writing
    assert [c.name for c in runs.list_checkpoints(tmp_path)] == ["epoch-1", "step-20"]
    assert runs.best_checkpoint(tmp_path).name == runs.BEST
    assert runs.last_resumable_checkpoint(tmp_path).name == "step-20"
    assert runs.read_checkpoint(tmp_path / runs.CHECKPOINTS_DIR / "step-30") is None
    removed = runs.remove_stale_temp_dirs(tmp_path)
    assert [p.name for p in removed] == [".tmp-step-40"]


def test_commit_replaces_an_older_checkpoint_of_the_same_name(tmp_path):
    make_checkpoint(tmp_path, runs.BEST, 10, f1=0.5, resumable=False)
    make_checkpoint(tmp_path, runs.BEST, 20, f1=0.6, resumable=False)
    best = runs.read_checkpoint(tmp_path / runs.CHECKPOINTS_DIR / runs.BEST)
    assert best.step == 20 and best.f1 == 0.6
    assert sorted(p.name for p in (tmp_path / runs.CHECKPOINTS_DIR).iterdir()) == [runs.BEST]


def test_best_falls_back_to_the_highest_f1_then_the_last(tmp_path):
    make_checkpoint(tmp_path, "epoch-1", 10, f1=0.8)
    make_checkpoint(tmp_path, "epoch-2", 20, f1=0.7)
    assert runs.best_checkpoint(tmp_path).name == "epoch-1"
    other = tmp_path / "other"
    make_checkpoint(other, "epoch-1", 10)
    make_checkpoint(other, "epoch-2", 20)
    assert runs.best_checkpoint(other).name == "epoch-2"
    assert runs.best_checkpoint(tmp_path / "empty") is None


def test_prune_keeps_the_last_k_and_best(tmp_path):
    for step in (10, 20, 30):
        make_checkpoint(tmp_path, f"epoch-{step // 10}", step)
    make_checkpoint(tmp_path, runs.BEST, 10, resumable=False)
    deleted = runs.prune_checkpoints(tmp_path, 2)
    assert [p.name for p in deleted] == ["epoch-1"]
    assert [c.name for c in runs.list_checkpoints(tmp_path, include_best=True)] == [runs.BEST, "epoch-2", "epoch-3"]
    assert runs.prune_checkpoints(tmp_path, None) == []


def test_predictions_round_trip_in_conlleval_format(tmp_path):
    path = runs.write_predictions(tmp_path / "p" / "test.conll", [["EU", "rejects"], ["Peter"]],
                                  [["B-ORG", "O"], ["B-PER"]], [["B-ORG", "O"], ["B-LOC"]])
    assert path.read_text() == "EU B-ORG B-ORG\nrejects O O\n\nPeter B-PER B-LOC\n\n"
    back = runs.read_predictions(path)
    assert back.tokens == [["EU", "rejects"], ["Peter"]] and back.predicted[1] == ["B-LOC"]
    (tmp_path / "bad.conll").write_text("EU B-ORG\n")
    with pytest.raises(ValueError, match="bad.conll:1"):
        runs.read_predictions(tmp_path / "bad.conll")
    with pytest.raises(ValueError, match="sentence 1: 2 words but 1 gold tags and 1 predicted tags"):
        runs.write_predictions(tmp_path / "x.conll", [["a", "b"]], [["O"]], [["O"]])


def test_list_runs_reads_runs_newest_first_and_skips_other_folders(tmp_path):
    for name, started in (("old", "2026-01-01T00:00:00+00:00"), ("new", "2026-02-01T00:00:00+00:00")):
        runs.write_run_config(tmp_path / name, {"name": name, "started_at": started, "config": {}})
        runs.append_metrics(tmp_path / name, {"epoch": 1.0, "step": 5, "split": "validation", "f1": 0.5})
    runs.append_metrics(tmp_path / "new", {"epoch": 1.0, "step": 5, "split": "test", "f1": 0.4})
    (tmp_path / "not-a-run").mkdir()
    found = runs.list_runs(tmp_path)
    assert [r.name for r in found] == ["new", "old"]
    new = found[0]
    assert new.test_metrics["f1"] == 0.4 and len(new.validation_metrics) == 1
    assert new.status == "stopped"  # no progress.json: nothing is running it
    assert new.config["format_version"] == runs.FORMAT_VERSION
    assert runs.list_runs(tmp_path / "missing") == []
    with pytest.raises(FileNotFoundError, match="not a training run"):
        runs.load_run(tmp_path / "not-a-run")


def test_json_files_are_written_atomically(tmp_path):
    runs.write_json_atomic(tmp_path / "a.json", {"x": tmp_path})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": str(tmp_path)}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temporary file left behind


def test_unique_run_name_does_not_collide(tmp_path):
    first = runs.unique_run_name("minilm", tmp_path)
    (tmp_path / first).mkdir()
    assert runs.unique_run_name("minilm", tmp_path) != first


def test_resume_reads_the_saved_options_with_defaults_for_options_older_runs_lack(tmp_path):
    from nerlib.runs.records import prepare_resume
    from training.options import OLDER_RUN_DEFAULTS, RUNTIME_OPTIONS, build_parser

    saved = {"model": "tiny-scratch", "epochs": 2, "document_context": True, "output_dir": "/elsewhere",
             "disable_tqdm": False}  # written before context_size, freezing, trackers and the Hub existed
    runs.write_run_config(tmp_path, {"name": tmp_path.name, "config": saved})
    make_checkpoint(tmp_path, "step-10", 10)
    args = build_parser().parse_args(["--output-dir", str(tmp_path), "--resume", "--disable-tqdm"])
    args.command = ["--output-dir", str(tmp_path), "--resume", "--disable-tqdm"]
    options, checkpoint = prepare_resume(args, RUNTIME_OPTIONS, OLDER_RUN_DEFAULTS)
    assert checkpoint.name == "step-10"
    assert (options.model, options.epochs, options.document_context) == ("tiny-scratch", 2, True)  # saved wins
    assert (options.context_size, options.freeze_word_embeddings, options.report_to, options.push_to_hub) == \
        (0, False, "none", None)  # the table fills what the old file lacks
    assert (options.output_dir, options.disable_tqdm, options.resume) == (str(tmp_path), True, "last")  # this call's
    args.resume = "step-99"
    with pytest.raises(SystemExit, match="no complete resumable checkpoint"):
        prepare_resume(args, RUNTIME_OPTIONS, OLDER_RUN_DEFAULTS)
