"""Run-record readers (nerlib.runs.folder): cases that kill the mutants `bench/mutation.py` found
surviving in read_metrics, read_progress, read_checkpoint, list_checkpoints, load_run and
list_runs. Every run folder is written by hand, file by file.
"""

from __future__ import annotations

import json
import os

import pytest

from nerlib import settings
from nerlib.runs import folder as runs


def write_checkpoint(run_dir, name: str, info: dict, training_state: bool = False):
    folder = run_dir / runs.CHECKPOINTS_DIR / name
    folder.mkdir(parents=True)
    if training_state:
        (folder / runs.TRAINING_STATE_DIR).mkdir()
    (folder / runs.CHECKPOINT_FILE).write_text(json.dumps(info))
    return folder


def test_read_checkpoint_fields(tmp_path):
    info = {"step": 7, "epoch": 1.5, "metrics": {"f1": 0.5}, "resumable": True, "source": "step-5"}
    folder = write_checkpoint(tmp_path, "best", info, training_state=True)
    checkpoint = runs.read_checkpoint(folder)
    assert checkpoint == runs.CheckpointInfo(name="best", path=folder, step=7, epoch=1.5, metrics={"f1": 0.5},
                                             resumable=True, source="step-5", info=info)
    assert isinstance(checkpoint.epoch, float) and checkpoint.f1 == 0.5


def test_read_checkpoint_defaults_for_missing_fields(tmp_path):
    folder = write_checkpoint(tmp_path, "step-1", {}, training_state=True)
    checkpoint = runs.read_checkpoint(folder)
    assert (checkpoint.step, checkpoint.epoch, checkpoint.metrics, checkpoint.source) == (0, 0.0, {}, None)
    assert checkpoint.resumable is False  # the folder holds training state, but checkpoint.json does not say so


def test_resumable_needs_both_the_flag_and_the_training_state(tmp_path):
    flag_only = write_checkpoint(tmp_path, "a", {"step": 1, "resumable": True})
    assert runs.read_checkpoint(flag_only).resumable is False
    both = write_checkpoint(tmp_path, "b", {"step": 1, "resumable": True}, training_state=True)
    assert runs.read_checkpoint(both).resumable is True


def test_list_checkpoints_skips_hidden_temporary_and_plain_entries(tmp_path):
    for step in (10, 20, 30, 40, 50, 60):
        write_checkpoint(tmp_path, f"step-{step}", {"step": step})
    for hidden in (".hidden", ".tmp-step-70", ".tmp-old-best-1", ".another"):
        write_checkpoint(tmp_path, hidden, {"step": 70})
    (tmp_path / runs.CHECKPOINTS_DIR / "notes.txt").write_text("not a checkpoint")
    (tmp_path / runs.CHECKPOINTS_DIR / "zz.txt").write_text("not a checkpoint")
    names = [c.name for c in runs.list_checkpoints(tmp_path)]
    assert names == ["step-10", "step-20", "step-30", "step-40", "step-50", "step-60"]


def test_best_is_listed_after_the_checkpoint_of_its_step(tmp_path):
    write_checkpoint(tmp_path, "step-20", {"step": 20})
    write_checkpoint(tmp_path, runs.BEST, {"step": 20})
    write_checkpoint(tmp_path, "step-10", {"step": 10})
    assert [c.name for c in runs.list_checkpoints(tmp_path, include_best=True)] == ["step-10", "step-20", "best"]
    assert [c.name for c in runs.list_checkpoints(tmp_path)] == ["step-10", "step-20"]


def write_metrics(run_dir, text: str | bytes):
    path = run_dir / runs.METRICS_FILE
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def test_read_metrics_skips_blank_lines_anywhere(tmp_path):
    write_metrics(tmp_path, '{"step": 1}\n\n   \n{"step": 2, "name": "Zürich"}\n')
    assert runs.read_metrics(tmp_path) == [{"step": 1}, {"step": 2, "name": "Zürich"}]


def test_read_metrics_errors_name_the_file_and_line(tmp_path):
    write_metrics(tmp_path, '{"step": 1}\n[1, 2]\n{"step": 3}\n')
    with pytest.raises(runs.RunFileError, match=r"metrics\.jsonl:2: a JSON list, not an object"):
        runs.read_metrics(tmp_path)
    write_metrics(tmp_path, b'{"step": 1}\n\xff\xfe\n')
    with pytest.raises(runs.RunFileError, match=r"metrics\.jsonl:2: not UTF-8"):
        runs.read_metrics(tmp_path)


def write_progress(run_dir, data: dict):
    (run_dir / runs.PROGRESS_FILE).write_text(json.dumps(data))


def test_read_progress_reads_fields_after_missing_ones(tmp_path):
    # "status" and "phase" (the first fields) are missing: the later ones are still read.
    write_progress(tmp_path, {"step": 5, "total_steps": 20, "eta_s": None, "loss": 0.25, "host": "h", "pid": 3})
    progress = runs.read_progress(tmp_path)
    assert (progress.status, progress.phase, progress.step, progress.total_steps) == ("running", "loading", 5, 20)
    assert (progress.loss, progress.host, progress.pid, progress.eta_s) == (0.25, "h", 3, None)


@pytest.mark.parametrize(("field", "value", "type_name"), [
    ("step", None, "int"),
    ("step", "5", "int"),
    ("step", True, "int"),
    ("message", None, "str"),
    ("loss", "low", "NoneType"),
])
def test_read_progress_rejects_a_field_of_the_wrong_type(tmp_path, field, value, type_name):
    write_progress(tmp_path, {field: value})
    # the schema (nerlib.runs.schemas) names the field and what it should be
    expected = {"int": "a valid integer", "str": "a valid string", "NoneType": "a valid number"}[type_name]
    with pytest.raises(runs.RunFileError, match=rf"progress\.json: field '{field}' is .*: Input should be {expected}$"):
        runs.read_progress(tmp_path)


def test_read_progress_rejects_an_unknown_status(tmp_path):
    write_progress(tmp_path, {"status": "paused"})
    with pytest.raises(runs.RunFileError,
                       match=r"progress\.json: field 'status' is 'paused': status 'paused' is not one of running, "
                             r"finished, failed, stopped$"):
        runs.read_progress(tmp_path)


def make_run(run_dir, started_at: str | None = "2026-01-01T00:00:00"):
    run_dir.mkdir(parents=True)
    config = {"model": {"spec": "tiny"}}
    if started_at is not None:
        config["started_at"] = started_at
    (run_dir / runs.RUN_FILE).write_text(json.dumps(config))
    return config


def test_load_run_reads_every_part(tmp_path):
    run_dir = tmp_path / "run-a"
    config = make_run(run_dir)
    write_metrics(run_dir, '{"split": "validation", "step": 10, "f1": 0.5}\n{"split": "test", "f1": 0.4}\n')
    write_progress(run_dir, {"status": "finished", "step": 10, "total_steps": 10})
    write_checkpoint(run_dir, "step-10", {"step": 10, "metrics": {"f1": 0.5}})
    (run_dir / runs.PREDICTIONS_DIR).mkdir()
    (run_dir / runs.PREDICTIONS_DIR / "test.conll").write_text("")
    (run_dir / runs.PREDICTIONS_DIR / "notes.txt").write_text("")
    run = runs.load_run(run_dir)
    assert run.path == run_dir and run.name == "run-a" and run.config == config
    assert run.records == [{"split": "validation", "step": 10, "f1": 0.5}, {"split": "test", "f1": 0.4}]
    assert len(run.metrics) == 2
    assert [c.name for c in run.checkpoints] == ["step-10"] and run.best.name == "step-10"
    assert run.progress.status == "finished" and run.status == "finished"
    assert run.predictions == {"test": run_dir / runs.PREDICTIONS_DIR / "test.conll"}
    assert run.damaged is None


def test_a_damaged_run_comes_back_empty_with_the_reason(tmp_path):
    run_dir = tmp_path / "run-b"
    make_run(run_dir)
    write_metrics(run_dir, '{"step": 1}\n[1]\n{"step": 2}\n')
    write_checkpoint(run_dir, "step-10", {"step": 10})
    (run_dir / runs.PREDICTIONS_DIR).mkdir()
    (run_dir / runs.PREDICTIONS_DIR / "test.conll").write_text("")
    run = runs.load_run(run_dir)
    assert run.path == run_dir and run.name == "run-b"
    assert run.config == {} and run.records == [] and run.checkpoints == [] and run.predictions == {}
    assert run.best is None and run.progress is None
    assert run.metrics.empty
    assert "metrics.jsonl:2" in run.damaged and run.status == "damaged"


def test_list_runs_newest_first_and_runs_without_a_start_time_last(tmp_path):
    make_run(tmp_path / "old", "2026-01-01T00:00:00")
    make_run(tmp_path / "new", "2026-02-01T00:00:00")
    make_run(tmp_path / "unknown", None)
    (tmp_path / "not-a-run").mkdir()
    (tmp_path / "file.txt").write_text("")
    assert [run.name for run in runs.list_runs(tmp_path)] == ["new", "old", "unknown"]


def test_list_runs_defaults_to_the_configured_runs_folder(tmp_path, monkeypatch):
    make_run(tmp_path / "only")
    monkeypatch.setenv(settings.RUNS_DIR_ENV, str(tmp_path))
    assert [run.name for run in runs.list_runs()] == ["only"]
    assert runs.list_runs(tmp_path / "missing") == []


def test_a_run_deleted_while_listing_is_left_out(tmp_path, monkeypatch):
    make_run(tmp_path / "kept")
    make_run(tmp_path / "gone")
    load_run = runs.load_run

    def load_or_vanish(path):
        if os.path.basename(path) == "gone":
            raise FileNotFoundError(path)
        return load_run(path)

    monkeypatch.setattr(runs, "load_run", load_or_vanish)
    assert [run.name for run in runs.list_runs(tmp_path)] == ["kept"]


def test_a_file_vanishing_while_a_run_is_read_makes_it_damaged_not_an_error(tmp_path, monkeypatch):
    run_dir = tmp_path / "run-c"
    make_run(run_dir)

    def vanished(path):
        raise FileNotFoundError(f"{path}/metrics.jsonl vanished")

    monkeypatch.setattr(runs, "scan_metrics", vanished)
    run = runs.load_run(run_dir)
    assert run.status == "damaged" and "vanished" in run.damaged
