"""Best-checkpoint selection: cases that kill the mutants `bench/mutation.py` found surviving in
``update_best`` (training/train.py) and ``best_checkpoint`` (nerlib.runs.folder).

The F1 sequences are written by hand, with the peak neither first nor last.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

from nerlib.runs import folder as runs
from nerlib.runs.records import TrainState
from training.evaluation import Evaluation
from training.loop import Validated
from training.train import update_best


def validated(name: str, f1: float | None) -> Validated:
    """The loop's event after a validation scoring ``f1`` (None: no validation split)."""
    evaluation = None if f1 is None else Evaluation(SimpleNamespace(f1=f1), loss=0.5, predictions=[], seconds=0.0)
    return Validated(name, epoch=0.0, evaluation=evaluation, window={})


def test_the_peak_stays_best_while_later_validations_are_worse_or_equal():
    state = TrainState()
    script = [("step-10", 0.0), ("step-20", 0.6), ("step-30", 0.59), ("step-40", 0.6), ("step-50", 0.1)]
    verdicts = [update_best(state, validated(name, f1)) for name, f1 in script]
    assert verdicts == [True, True, False, False, False]
    assert state.best_f1 == 0.6 and state.best_source == "step-20"


def test_a_first_validation_of_zero_f1_is_the_best_so_far():
    state = TrainState()
    assert update_best(state, validated("step-10", 0.0)) is True
    assert state.best_f1 == 0.0 and state.best_source == "step-10"
    assert update_best(state, validated("step-20", 0.0)) is False
    assert state.best_source == "step-10"


def test_a_resumed_state_keeps_its_best_until_beaten():
    state = TrainState(best_f1=0.5, best_source="epoch-1")
    assert update_best(state, validated("epoch-2", 0.4)) is False
    assert (state.best_f1, state.best_source) == (0.5, "epoch-1")
    assert update_best(state, validated("epoch-3", 0.7)) is True
    assert (state.best_f1, state.best_source) == (0.7, "epoch-3")


def test_without_validation_the_latest_is_best_and_no_f1_is_recorded():
    state = TrainState(best_f1=0.3, best_source="epoch-1")
    assert update_best(state, validated("epoch-2", None)) is True
    assert (state.best_f1, state.best_source) == (0.3, "epoch-2")


def write_checkpoint(run_dir, name: str, step: int, metrics: dict | None = None) -> None:
    """A complete checkpoint folder as training leaves it (checkpoint.json written last)."""
    folder = run_dir / runs.CHECKPOINTS_DIR / name
    folder.mkdir(parents=True)
    info = {"format_version": runs.FORMAT_VERSION, "step": step, "epoch": step / 10, "resumable": False}
    if metrics is not None:
        info["metrics"] = metrics
    (folder / runs.CHECKPOINT_FILE).write_text(json.dumps(info))


def test_the_fallback_picks_the_highest_f1_not_the_last_nor_the_first(tmp_path):
    write_checkpoint(tmp_path, "step-10", 10, {"f1": 0.2})
    write_checkpoint(tmp_path, "step-20", 20, {"f1": 0.7})
    write_checkpoint(tmp_path, "step-30", 30, {"f1": 0.4})
    write_checkpoint(tmp_path, "step-40", 40, {"f1": 0.1})
    best = runs.best_checkpoint(tmp_path)
    assert best.name == "step-20" and best.step == 20 and best.f1 == 0.7


def test_the_fallback_takes_the_later_of_two_equal_f1s(tmp_path):
    write_checkpoint(tmp_path, "step-10", 10, {"f1": 0.5})
    write_checkpoint(tmp_path, "step-20", 20, {"f1": 0.5})
    write_checkpoint(tmp_path, "step-30", 30, {"f1": 0.3})
    assert runs.best_checkpoint(tmp_path).name == "step-20"


def test_unscored_checkpoints_never_beat_scored_ones(tmp_path):
    write_checkpoint(tmp_path, "step-10", 10, {"f1": 0.0})
    write_checkpoint(tmp_path, "step-20", 20, {"loss": 0.1})
    write_checkpoint(tmp_path, "step-30", 30)
    assert runs.best_checkpoint(tmp_path).name == "step-10"


def test_without_scores_the_last_checkpoint_by_step_is_best(tmp_path):
    write_checkpoint(tmp_path, "step-20", 20)
    write_checkpoint(tmp_path, "epoch-1", 25)
    write_checkpoint(tmp_path, "step-10", 10)
    assert runs.best_checkpoint(tmp_path).name == "epoch-1"


def test_a_complete_best_folder_wins_over_higher_scores(tmp_path):
    write_checkpoint(tmp_path, "step-10", 10, {"f1": 0.9})
    write_checkpoint(tmp_path, runs.BEST, 20, {"f1": 0.5})
    best = runs.best_checkpoint(tmp_path)
    assert best.name == runs.BEST and best.path == tmp_path / runs.CHECKPOINTS_DIR / runs.BEST


def test_a_half_written_best_folder_is_ignored(tmp_path):
    write_checkpoint(tmp_path, "step-10", 10, {"f1": 0.9})
    write_checkpoint(tmp_path, "step-20", 20, {"f1": 0.5})
    (tmp_path / runs.CHECKPOINTS_DIR / runs.BEST).mkdir()  # killed before checkpoint.json
    assert runs.best_checkpoint(tmp_path).name == "step-10"


def test_no_checkpoints_no_best(tmp_path):
    assert runs.best_checkpoint(tmp_path) is None
    (tmp_path / runs.CHECKPOINTS_DIR).mkdir()
    assert runs.best_checkpoint(tmp_path) is None


def write_state(run_dir, name: str, step: int, f1: float, metrics_lines: int) -> None:
    """A resumable checkpoint whose training state counts ``metrics_lines`` lines of metrics.jsonl."""
    folder = run_dir / runs.CHECKPOINTS_DIR / name
    folder.mkdir(parents=True)
    state = {"step": step, "epoch": 0, "batches_in_epoch": step, "elapsed_s": 1.0, "metrics_lines": metrics_lines}
    info = {"format_version": runs.FORMAT_VERSION, "step": step, "epoch": 0, "resumable": True,
            "metrics": {"f1": f1}, "state": state}
    (folder / runs.CHECKPOINT_FILE).write_text(json.dumps(info))


def test_a_damaged_best_folder_is_passed_over_and_said(tmp_path):
    write_checkpoint(tmp_path, "step-10", 10, {"f1": 0.6})
    write_checkpoint(tmp_path, "step-20", 20, {"f1": 0.3})
    write_checkpoint(tmp_path, runs.BEST, 10, {"f1": 0.6})
    best_file = tmp_path / runs.CHECKPOINTS_DIR / runs.BEST / runs.CHECKPOINT_FILE
    best_file.write_text(json.dumps({"step": "ten"}))
    skipped: list[str] = []
    assert runs.best_checkpoint(tmp_path, skipped=skipped).name == "step-10"  # the highest F1 of the rest
    assert len(skipped) == 1 and skipped[0].startswith(f"checkpoint {runs.BEST} skipped: ")
    assert str(best_file) in skipped[0] and "step" in skipped[0]
    assert runs.best_checkpoint(tmp_path).name == "step-10"  # without a list: the same answer, nothing raised


def test_checkpoints_counting_more_metrics_lines_than_on_disk_are_passed_over(tmp_path):
    write_state(tmp_path, "step-5", 5, 0.4, metrics_lines=1)
    write_state(tmp_path, "step-10", 10, 0.9, metrics_lines=3)
    write_state(tmp_path, runs.BEST, 10, 0.9, metrics_lines=3)
    skipped: list[str] = []
    best = runs.best_checkpoint(tmp_path, skipped=skipped, metrics_lines=2)
    assert best.name == "step-5"
    assert [line.split(":")[0] for line in skipped] == [f"checkpoint {runs.BEST} skipped", "checkpoint step-10 skipped"]
    assert runs.best_checkpoint(tmp_path, metrics_lines=3).name == runs.BEST  # what the disk holds: trusted
    assert runs.best_checkpoint(tmp_path).name == runs.BEST  # no count given: not checked
