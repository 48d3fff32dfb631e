"""Tampered run folders, one row each (issue 26, points 1 and 2): every record a run folder holds is
read through its schema (nerlib.runs.schemas) and through bounded reads, so a tampered record marks
its run ``damaged`` naming the file, line and field (or skips one checkpoint, saying why), never
raises out of ``list_runs``, never hides the healthy runs, and costs bounded time and memory.

Runs and checkpoints are built by hand from tiny files (no training); each row tampers with one
record of one run among healthy ones and calls the real readers. New defects are added as rows.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from nerlib.runs import folder as runs
from nerlib.runs.checkpoints import (
    EncodingSettingsError,
    InvalidLabelMapError,
    load_checkpoint,
    read_label_map,
)

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
SECONDS = 10.0  # every read here must end well within this, however hostile the folder


def metrics_line(step: int, split: str = "validation", f1: float = 0.5, **changes) -> dict:
    """A metrics.jsonl line shaped as training writes it."""
    line = {"epoch": step / 10, "step": step, "split": split, "loss": 0.3, "elapsed_s": 1.0, "eval_seconds": 0.1,
            "precision": f1, "recall": f1, "f1": f1, "support": 10,
            "per_type": {"PER": {"precision": f1, "recall": f1, "f1": f1, "support": 10}}}
    return {**line, **changes}


def make_checkpoint(run_dir: Path, name: str, step: int, f1: float, metrics_lines: int) -> Path:
    temp = runs.checkpoint_temp_dir(run_dir, name)
    (temp / "config.json").write_text(json.dumps({"model_type": "bert", "architectures": ["BertForTokenClassification"],
                                                  "id2label": dict(enumerate(LABELS))}))
    (temp / runs.TRAINING_STATE_DIR).mkdir()
    state = {"step": step, "epoch": 0, "batches_in_epoch": step, "elapsed_s": 1.0, "metrics_lines": metrics_lines,
             "best_f1": f1, "best_source": name, "train_sentences": 16 * step, "sessions": 1}
    return runs.commit_checkpoint(temp, name, {"step": step, "epoch": step / 10, "metrics": {"f1": f1},
                                               "resumable": True, "source": None, "state": state})


def build_run(runs_dir: Path, name: str, started: str, status: str = "finished") -> Path:
    """A complete run: run.json, two validations and a test line, two checkpoints, progress.json."""
    run = runs_dir / name
    runs.write_run_config(run, {"name": name, "started_at": started, "config": {"epochs": 1}, "labels": LABELS})
    runs.append_metrics(run, metrics_line(5, f1=0.4))
    make_checkpoint(run, "step-5", 5, 0.4, metrics_lines=1)
    runs.append_metrics(run, metrics_line(10, f1=0.6))
    make_checkpoint(run, "step-10", 10, 0.6, metrics_lines=2)
    runs.append_metrics(run, metrics_line(10, split="test", f1=0.55))
    runs.write_progress(run, runs.Progress(status=status, phase="done", step=10, total_steps=10))
    return run


def edit_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    for key, value in changes.items():
        target = data
        *parents, last = key.split("__")
        for parent in parents:
            target = target[parent]
        target[last] = value
    path.write_text(json.dumps(data))


def rewrite_metrics(run: Path, line: int, **changes) -> None:
    """Change fields of metrics.jsonl line ``line`` (1-based)."""
    path = run / runs.METRICS_FILE
    lines = path.read_text().splitlines()
    lines[line - 1] = json.dumps({**json.loads(lines[line - 1]), **changes})
    path.write_text("\n".join(lines) + "\n")


def tear_last_metrics_line(run: Path) -> None:
    path = run / runs.METRICS_FILE
    text = path.read_text()
    path.write_text(text[: len(text) - 40])  # the test line cut mid-write


def pad_metrics_with_zeros(size: int) -> Callable[[Path], None]:
    """Append ``size`` NUL bytes to metrics.jsonl, as a crash (or a hostile user) leaves them; a
    large size is a sparse tail, which costs no disk."""
    def tamper(run: Path) -> None:
        path = run / runs.METRICS_FILE
        with open(path, "r+b") as handle:
            handle.truncate(path.stat().st_size + size)
    return tamper


def running_with_zero_tail(run: Path) -> None:
    pad_metrics_with_zeros(4096)(run)
    runs.write_progress(run, runs.Progress(status="running", phase="training", step=10, total_steps=20))


def replace_with(target: str) -> Callable[[Path], None]:
    """Make the run's metrics.jsonl a symbolic link to ``target``."""
    def tamper(run: Path) -> None:
        (run / runs.METRICS_FILE).unlink()
        (run / runs.METRICS_FILE).symlink_to(target)
    return tamper


def fifo_progress(run: Path) -> None:
    (run / runs.PROGRESS_FILE).unlink()
    os.mkfifo(run / runs.PROGRESS_FILE)  # a reader that opens it blocks until a writer comes: none will


def running_with_torn_line(run: Path) -> None:
    tear_last_metrics_line(run)
    runs.write_progress(run, runs.Progress(status="running", phase="training", step=10, total_steps=20))


@dataclass
class Row:
    """One tampered run folder and what its listing must say.

    ``damaged``: the run is damaged and its message holds each of these (file, line, field);
    ``notes``: the run stays readable and its notes hold each of these (what was passed over);
    ``check``: anything more, given the listed run.
    """

    tamper: Callable[[Path], None]
    damaged: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    check: Callable[[runs.Run], None] | None = None
    status: str | None = None


def _still_offers_its_sound_checkpoint(run: runs.Run) -> None:
    assert [c.name for c in run.checkpoints] == ["step-5"]
    assert run.best is not None and run.best.name == "step-5"


def write_calibration_file(content: str | None) -> Callable[[Path], None]:
    """Put ``content`` into the best checkpoint's calibration.json (``None``: a FIFO there)."""
    def tamper(run: Path) -> None:
        path = run / "checkpoints" / "step-10" / "calibration.json"
        if content is None:
            os.mkfifo(path)
        else:
            path.write_text(content)
    return tamper


def _keeps_its_checkpoints(run: runs.Run) -> None:
    assert [c.name for c in run.checkpoints] == ["step-5", "step-10"] and run.best.name == "step-10"


def _no_notes(run: runs.Run) -> None:
    assert run.notes == [], run.notes


def _not_running(run: runs.Run) -> None:
    assert run.progress.status == "running" and not run.progress.is_alive()


ROWS = {
    # 1. a non-numeric step in one checkpoint.json: that checkpoint is skipped (and said), not the listing
    "checkpoint-step-not-a-number": Row(
        lambda run: edit_json(run / "checkpoints" / "step-10" / runs.CHECKPOINT_FILE, step="x"),
        notes=("step-10", runs.CHECKPOINT_FILE, "'step'"), check=_still_offers_its_sound_checkpoint,
        status="finished"),
    # metrics lines trusted on resume are checked against metrics.jsonl
    "checkpoint-metrics-lines-999": Row(
        lambda run: edit_json(run / "checkpoints" / "step-10" / runs.CHECKPOINT_FILE, state__metrics_lines=999),
        notes=("step-10", "'state.metrics_lines' is 999", "holds 3 records"), check=_still_offers_its_sound_checkpoint,
        status="finished"),
    # the step --resume continues from must agree with the checkpoint's own
    "checkpoint-state-step-disagrees": Row(
        lambda run: edit_json(run / "checkpoints" / "step-10" / runs.CHECKPOINT_FILE, state__step=10_000),
        notes=("step-10", "'state.step' is 10000 but 'step' is 10"), check=_still_offers_its_sound_checkpoint,
        status="finished"),
    "metrics-per-type-a-list": Row(lambda run: rewrite_metrics(run, 2, per_type=[["PER", 0.5]]),
                                   damaged=("metrics.jsonl:2", "'per_type'")),
    "metrics-f1-high": Row(lambda run: rewrite_metrics(run, 1, f1="high"), damaged=("metrics.jsonl:1", "'f1'")),
    "metrics-f1-over-one": Row(lambda run: rewrite_metrics(run, 1, f1=87.5), damaged=("metrics.jsonl:1", "'f1'")),
    "metrics-epoch-null": Row(lambda run: rewrite_metrics(run, 3, epoch=None), damaged=("metrics.jsonl:3", "'epoch'")),
    "metrics-step-negative": Row(lambda run: rewrite_metrics(run, 1, step=-4), damaged=("metrics.jsonl:1", "'step'")),
    # a torn last line: a finished run lost its test line; a run still being written just has not finished it
    "metrics-torn-last-line-finished": Row(tear_last_metrics_line, damaged=("metrics.jsonl:3", "torn", "finished")),
    "metrics-torn-last-line-running": Row(running_with_torn_line, notes=("metrics.jsonl:3", "torn"),
                                          status="running"),
    # a NUL-padded tail: a finished run lost a line; 1 GB of it (sparse) costs one line's bound, not 2 GB
    "metrics-zero-padded-tail-finished": Row(pad_metrics_with_zeros(4096),
                                             damaged=("metrics.jsonl:4", "torn", "finished")),
    "metrics-zero-padded-tail-running": Row(running_with_zero_tail, notes=("metrics.jsonl:4", "torn"),
                                            status="running"),
    "metrics-1gb-zero-tail": Row(pad_metrics_with_zeros(1 << 30),
                                 damaged=("metrics.jsonl:4", "longer than 1048576 bytes")),
    # 2. a pid that exists and a timestamp in the future: not "running" forever
    "progress-pid-1-in-the-future": Row(
        lambda run: edit_json(run / runs.PROGRESS_FILE, status="running", pid=1, updated_at=time.time() + 10 * 365 * 86400),
        status="stopped", check=_not_running),
    "run-json-epochs-two": Row(lambda run: edit_json(run / runs.RUN_FILE, config__epochs="two"),
                               damaged=(runs.RUN_FILE, "'config.epochs' is 'two'")),
    "run-json-resumed-at-not-a-list": Row(lambda run: edit_json(run / runs.RUN_FILE, resumed_at="yesterday"),
                                          damaged=(runs.RUN_FILE, "'resumed_at'")),
    # bounded reads: never a device, a FIFO or a line beyond the limit
    "metrics-a-link-to-dev-zero": Row(replace_with("/dev/zero"), damaged=("metrics.jsonl", "character device")),
    "progress-a-fifo": Row(fifo_progress, damaged=("progress.json", "FIFO")),
    "progress-a-folder": Row(lambda run: ((run / runs.PROGRESS_FILE).unlink(), (run / runs.PROGRESS_FILE).mkdir()),
                             damaged=("progress.json", "folder")),
    "metrics-a-2mb-line": Row(lambda run: (run / runs.METRICS_FILE).write_text("0" * (2 << 20) + "\n"),
                              damaged=("metrics.jsonl:1", "longer than 1048576 bytes")),
    # a checkpoint's calibration.json (nerlib calibrate): damaged, the checkpoint stays listed but the
    # listing names the file and the reason (its tagger refuses to load); a sound one says nothing
    "calibration-temperature-negative": Row(
        write_calibration_file('{"temperature": -1, "split": "validation"}'),
        notes=("checkpoint step-10", "step-10/calibration.json", "'temperature'"), check=_keeps_its_checkpoints,
        status="finished"),
    "calibration-not-json": Row(write_calibration_file("not json"),
                                notes=("step-10/calibration.json", "JSON"), check=_keeps_its_checkpoints),
    "calibration-a-fifo": Row(write_calibration_file(None), notes=("step-10/calibration.json", "FIFO"),
                              check=_keeps_its_checkpoints),
    "calibration-sound": Row(write_calibration_file('{"temperature": 1.5, "split": "validation"}'),
                             check=_no_notes, status="finished"),
    "run-json-2mb": Row(lambda run: edit_json(run / runs.RUN_FILE, name="n" * (2 << 20)),
                        damaged=(runs.RUN_FILE, "larger than 1048576 bytes")),
}


def list_within(runs_dir: Path, seconds: float = SECONDS) -> list[runs.Run]:
    """``list_runs(runs_dir)`` in a thread: it must end (without raising) within ``seconds``."""
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["runs"] = runs.list_runs(runs_dir)
        except BaseException as error:  # reported below, in the test's thread
            outcome["error"] = error

    worker = threading.Thread(target=work, daemon=True)  # daemon: a hung read must not hang pytest
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"list_runs still reading after {seconds} s"
    if "error" in outcome:
        raise AssertionError(f"list_runs raised {type(outcome['error']).__name__}: {outcome['error']}")
    return outcome["runs"]


@pytest.mark.parametrize("name", sorted(ROWS))
def test_a_tampered_run_never_hides_the_healthy_ones_and_names_what_is_wrong(tmp_path, name):
    row = ROWS[name]
    build_run(tmp_path, "healthy-old", "2026-01-01T00:00:00+00:00")
    tampered = build_run(tmp_path, "tampered", "2026-02-01T00:00:00+00:00")
    build_run(tmp_path, "healthy-new", "2026-03-01T00:00:00+00:00")
    row.tamper(tampered)
    listed = {run.name: run for run in list_within(tmp_path)}
    assert set(listed) == {"healthy-old", "tampered", "healthy-new"}
    for healthy in ("healthy-old", "healthy-new"):
        run = listed[healthy]
        assert run.status == "finished" and run.damaged is None and run.notes == []
        assert run.best is not None and run.best.name == "step-10" and run.test_metrics["f1"] == 0.55
    run = listed["tampered"]
    if row.damaged:
        assert run.status == "damaged" and run.damaged
        for part in row.damaged:
            assert part in run.damaged, run.damaged
        assert len(run.damaged) < 600, "an error message quotes at most 80 characters of the offending line"
        assert run.checkpoints == [] and run.best is None
    else:
        assert run.damaged is None
        notes = " | ".join(run.notes)
        for part in row.notes:
            assert part in notes, notes
    if row.status is not None:
        assert run.status == row.status
    if row.check is not None:
        row.check(run)


def test_resume_falls_back_past_a_checkpoint_that_counts_more_metrics_lines_than_exist(tmp_path):
    run = build_run(tmp_path, "run", "2026-01-01T00:00:00+00:00")
    edit_json(run / "checkpoints" / "step-10" / runs.CHECKPOINT_FILE, state__metrics_lines=999)
    skipped: list[str] = []
    assert runs.last_resumable_checkpoint(run, skipped=skipped).name == "step-5"
    assert "'state.metrics_lines' is 999" in skipped[0]
    with pytest.raises(runs.RunFileError, match="holds 3 records, fewer than the 999"):
        runs.truncate_metrics(run, 999)  # trusting it would append duplicates after the 3 lines
    assert len(runs.read_metrics(run)) == 3


def test_a_damaged_checkpoint_json_names_file_and_field_when_read_directly(tmp_path):
    run = build_run(tmp_path, "run", "2026-01-01T00:00:00+00:00")
    edit_json(run / "checkpoints" / "step-10" / runs.CHECKPOINT_FILE, step="x")
    with pytest.raises(runs.RunFileError, match=r"step-10/checkpoint.json: field 'step' is 'x'"):
        runs.check_checkpoint(run / "checkpoints" / "step-10")
    assert runs.read_checkpoint(run / "checkpoints" / "step-10") is None
    assert runs.best_checkpoint(run).name == "step-5"


LABEL_ROWS = {
    "a-number": ([1, "B-PER"], "label 0 is 1"),
    "null": (["O", None], "label 1 is null"),
    "no-scheme": (["O", "PERSON"], "'PERSON', not O, B-<type> or I-<type>"),
    "markup": (["O", "I-ORG<script>"], "'I-ORG<script>'"),
    "whitespace": (["O", "B-NEW YORK"], "'B-NEW YORK'"),
    "empty": (["O", ""], "label 1 is ''"),
}


@pytest.mark.parametrize("name", sorted(LABEL_ROWS))
def test_a_label_map_outside_the_iob_scheme_refuses_the_checkpoint_with_the_reason(tmp_path, name):
    labels, reason = LABEL_ROWS[name]
    run = build_run(tmp_path, "run", "2026-01-01T00:00:00+00:00")
    checkpoint = run / "checkpoints" / "step-10"
    edit_json(checkpoint / "config.json", id2label=dict(enumerate(labels)))
    for read in (read_label_map, load_checkpoint):
        with pytest.raises(InvalidLabelMapError, match="not an IOB/IOB2 label map") as caught:
            read(checkpoint)
        assert "config.json" in str(caught.value) and reason in str(caught.value), str(caught.value)


ENCODING_ROWS = {
    "a-string": ("yes", "is str"),
    "context-a-string": ({"document_context": "false", "context_size": 8}, "'document_context'"),
    "size-a-string": ({"document_context": True, "context_size": "8"}, "'context_size'"),
    "unknown-pooling": ({"document_context": False, "word_pooling": "max"}, "'word_pooling'"),
}


@pytest.mark.parametrize("name", sorted(ENCODING_ROWS))
def test_wrong_typed_encoding_settings_refuse_the_checkpoint_instead_of_changing_the_scores(tmp_path, name):
    value, reason = ENCODING_ROWS[name]
    run = build_run(tmp_path, "run", "2026-01-01T00:00:00+00:00")
    checkpoint = run / "checkpoints" / "step-10"
    edit_json(checkpoint / "config.json", nerlib_encoding=value)
    with pytest.raises(EncodingSettingsError, match="nerlib_encoding") as caught:
        load_checkpoint(checkpoint)
    assert "config.json" in str(caught.value) and reason in str(caught.value), str(caught.value)


def test_a_fifo_named_config_json_refuses_the_checkpoint_at_once(tmp_path):
    from nerlib.runs.checkpoints import CheckpointError

    run = build_run(tmp_path, "run", "2026-01-01T00:00:00+00:00")
    config = run / "checkpoints" / "step-10" / "config.json"
    config.unlink()
    os.mkfifo(config)
    outcome: dict = {}

    def work() -> None:
        try:
            read_label_map(config.parent)
        except CheckpointError as error:
            outcome["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(SECONDS)
    assert not worker.is_alive(), "reading a FIFO named config.json blocked"
    assert "FIFO" in str(outcome["error"]) and "config.json" in str(outcome["error"])


@pytest.mark.parametrize("kind", ["fifo", "long-line"])
def test_a_hostile_predictions_file_ends_in_an_error_naming_it(tmp_path, kind):
    run = build_run(tmp_path, "run", "2026-01-01T00:00:00+00:00")
    path = run / runs.PREDICTIONS_DIR / "test.conll"
    path.parent.mkdir()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_text("Anna B-PER B-PER\n" + "x" * (2 << 20) + " O O\n")
    outcome: dict = {}

    def work() -> None:
        try:
            runs.read_predictions(path)
        except ValueError as error:
            outcome["error"] = error

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(SECONDS)
    assert not worker.is_alive(), "reading the predictions file blocked"
    message = str(outcome["error"])
    assert "test.conll" in message and ("FIFO" if kind == "fifo" else "line 2 is longer than") in message
    assert len(message) < 400


def test_resume_from_a_named_damaged_checkpoint_names_the_file_and_field(tmp_path):
    from nerlib.runs.records import prepare_resume
    from training.options import OLDER_RUN_DEFAULTS, RUNTIME_OPTIONS, build_parser

    run = build_run(tmp_path, "run", "2026-01-01T00:00:00+00:00")
    edit_json(run / "checkpoints" / "step-10" / runs.CHECKPOINT_FILE, state__step="x")
    args = build_parser().parse_args(["--output-dir", str(run), "--resume", "step-10"])
    args.command = []
    with pytest.raises(SystemExit, match=r"--resume step-10: .*step-10/checkpoint.json: field 'state.step' is 'x'"):
        prepare_resume(args, RUNTIME_OPTIONS, OLDER_RUN_DEFAULTS)
    args.resume = "last"  # the last sound resumable checkpoint instead
    assert prepare_resume(args, RUNTIME_OPTIONS, OLDER_RUN_DEFAULTS)[1].name == "step-5"


def test_the_newest_run_with_only_damaged_checkpoints_leaves_the_tagger_the_next_healthy_run(tmp_path):
    from nerlib.runs.checkpoints import latest_trained_run

    build_run(tmp_path, "older", "2026-01-01T00:00:00+00:00")
    newest = build_run(tmp_path, "newest", "2026-02-01T00:00:00+00:00")
    for name in ("step-5", "step-10"):
        edit_json(newest / "checkpoints" / name / runs.CHECKPOINT_FILE, step="x")
    assert latest_trained_run(tmp_path) == tmp_path / "older"  # `nerlib tag` without -m uses it
