"""`compare` on hand-built run folders: the seed spread it shows beside a difference (issue 22,
point 1), the sample standard deviation of the test F1 training recorded over the runs whose options
differ from a run's only in the seed (and in options that do not change what is learnt, such as the
output folder); and a damaged run, refused with one error line naming the file (point 6).

Runs are written by hand with the run-folder writers (run.json, a test metrics line, progress.json):
no training is needed to say which runs are seeds of one configuration, or that a run is damaged.
"""

from __future__ import annotations

import io
import math
import statistics
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from nerlib.evaluation.comparison import seed_spread
from nerlib.runs import folder as runs

LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
CONFIG = {"model": "minilm-cpu", "epochs": 3, "learning_rate": 5e-5, "batch_size": 16}


def write_run(runs_dir: Path, name: str, test_f1: float | None, per_loc: float = 0.5, **options) -> runs.Run:
    """A finished run with ``CONFIG`` changed by ``options`` and one test line (none for None)."""
    run = runs_dir / name
    runs.write_run_config(run, {"name": name, "started_at": "2026-01-01T00:00:00+00:00",
                                "config": {**CONFIG, "output_dir": str(run), **options}, "labels": LABELS})
    if test_f1 is not None:
        per_type = {"PER": {"precision": test_f1, "recall": test_f1, "f1": test_f1, "support": 10},
                    "LOC": {"precision": per_loc, "recall": per_loc, "f1": per_loc, "support": 10}}
        runs.append_metrics(run, {"epoch": 3.0, "step": 30, "split": "test", "loss": 0.1, "elapsed_s": 1.0,
                                  "eval_seconds": 0.1, "precision": test_f1, "recall": test_f1, "f1": test_f1,
                                  "support": 20, "per_type": per_type})
    runs.write_progress(run, runs.Progress(status="finished", phase="done", step=30, total_steps=30))
    return runs.load_run(run)


@pytest.fixture
def folder(tmp_path) -> dict[str, runs.Run]:
    made = [
        write_run(tmp_path, "seed1", 0.80, per_loc=0.60, seed=1),
        write_run(tmp_path, "seed2", 0.84, per_loc=0.70, seed=2),
        write_run(tmp_path, "seed3", 0.85, per_loc=0.62, seed=3, report_to="none"),  # logging only: same config
        write_run(tmp_path, "other-lr", 0.10, seed=4, learning_rate=1e-3),  # another configuration
        write_run(tmp_path, "no-test-yet", None, seed=5),  # same options, nothing recorded
    ]
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / runs.RUN_FILE).write_text("{not json")
    made.append(runs.load_run(damaged))
    return {run.name: run for run in made}


def test_the_spread_is_the_sample_sd_over_the_seeds_of_one_configuration(folder):
    spread = seed_spread(folder["seed1"], list(folder.values()))
    assert sorted(spread.runs) == ["seed1", "seed2", "seed3"]
    assert spread.sd() == pytest.approx(statistics.stdev([0.80, 0.84, 0.85]))  # ddof 1, not the population sd
    assert spread.sd("LOC") == pytest.approx(statistics.stdev([0.60, 0.70, 0.62]))
    assert spread.sd("PER") == pytest.approx(statistics.stdev([0.80, 0.84, 0.85]))


def test_a_configuration_with_one_recorded_run_has_no_spread(folder):
    alone = seed_spread(folder["other-lr"], list(folder.values()))
    assert alone.runs == ["other-lr"] and math.isnan(alone.sd())
    assert math.isnan(seed_spread(folder["seed1"], [folder["seed1"]]).sd())


def test_a_damaged_run_is_one_error_line_naming_the_file(folder, tmp_path):
    from nerlib.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stderr(err):
        code = main(["compare", str(tmp_path / "damaged"), str(tmp_path / "seed1")], stdout=out)
    lines = err.getvalue().strip().splitlines()
    assert code == 1 and out.getvalue() == "" and len(lines) == 1, err.getvalue()
    assert lines[0].startswith("error: run damaged cannot be read: ") and str(tmp_path / "damaged" / runs.RUN_FILE) in lines[0]
