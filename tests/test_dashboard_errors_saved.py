"""The Errors page reads a run's saved predictions when they hold the sentences asked for, and says
so; otherwise the model scores afresh under a progress bar counting the sentences.

On copies of the real tiny trained run (``tiny_run``: validated and tested on the first 200
sentences, so its ``predictions/*.conll`` hold 200). Streamlit AppTest of the real app; nothing of
our own code is mocked.
"""

from __future__ import annotations

import json

import pytest

from tests.test_dashboard import assert_ok, open_page, table

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def planted_run(dashboard_run_copy):
    """The copy with a planted ``predictions/validation.conll`` that a model would never write: every
    prediction equals the gold label (F1 1.0; the tiny model scores about 0.3). Its best checkpoint's
    recorded validation F1 is set to 1.0 to match, as training records the F1 of the file it saves."""
    from nerlib.runs.folder import read_predictions, write_predictions

    path = dashboard_run_copy / "predictions" / "validation.conll"
    saved = read_predictions(path)
    write_predictions(path, saved.tokens, saved.gold, saved.gold)
    marker = dashboard_run_copy / "checkpoints" / "best" / "checkpoint.json"
    info = json.loads(marker.read_text())
    info["metrics"]["f1"] = 1.0
    marker.write_text(json.dumps(info))
    return dashboard_run_copy


def test_saved_predictions_are_scored_without_a_model(dashboard_run_copy, conllpp):
    from nerlib.evaluation.scoring import evaluate_saved_predictions
    from nerlib.runs.folder import load_run

    run = load_run(dashboard_run_copy)
    result = evaluate_saved_predictions(dashboard_run_copy / "checkpoints" / "best", "validation", limit=200)
    assert result is not None and len(result.sentences) == 200
    assert result.metrics.f1 == pytest.approx(run.best.metrics["f1"], abs=1e-9)
    assert result.saved_from == f"tiny (checkpoint best = {run.best.source}, step {run.best.step})"
    assert result.probabilities is None
    # fewer sentences than saved: the first ones of the file
    assert len(evaluate_saved_predictions(dashboard_run_copy, "test", limit=50).sentences) == 50
    # not covered: more sentences than saved, or another checkpoint than the best
    assert evaluate_saved_predictions(dashboard_run_copy / "checkpoints" / "best", "validation", limit=201) is None
    other = next(c for c in run.checkpoints if c.name != run.best.source)
    assert evaluate_saved_predictions(other.path, "validation", limit=100) is None
    # the checkpoint best was copied from has the same predictions
    assert evaluate_saved_predictions(dashboard_run_copy / "checkpoints" / run.best.source, "validation", limit=100) is not None


def test_errors_page_reads_the_planted_saved_predictions(planted_run):
    at = open_page("errors")
    assert at.segmented_control(key="errors_size").value == "first 200 sentences"  # the most saved
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["validation F1"] == "100.00%" and metrics["Errors"] == "0"  # the planted file, not a model
    caption = next(c.value for c in at.caption if c.value.startswith("Every figure here"))
    assert "validation scores on the first 200 of 3,250 sentences" in caption
    assert "saved predictions of checkpoint" in caption and "200 sentences" in caption
    assert not at.get("progress")  # nothing was tagged
    assert any("No sentence has errors" in s.value for s in at.success)


def test_errors_page_scores_afresh_with_a_counting_progress_bar(dashboard_run_copy):
    at = open_page("errors")
    saved_f1 = next(m.value for m in at.metric if m.label == "validation F1")
    at.segmented_control(key="errors_size").set_value("first 500 sentences").run()
    assert_ok(at)
    assert any("Scored afresh by the model" in c.value and "hold the first 200 of 3,250 sentences" in c.value
               for c in at.caption)
    bars = [p.proto.text for p in at.get("progress")]
    assert any("500 / 500 sentences" in text for text in bars), bars
    caption = next(c.value for c in at.caption if c.value.startswith("Every figure here"))
    assert "the first 500 of 3,250 sentences" in caption and "scored afresh by the model" in caption
    assert next(m.value for m in at.metric if m.label == "validation F1") != saved_f1  # 500 sentences, not 200
    assert len(table(at, "kind")) > 0
    # a second visit is kept: no bar, the same figures
    at.switch_page("views/training.py").run()
    at.switch_page("views/errors.py").run()
    assert_ok(at)
    assert not at.get("progress")


# --------------------------------------------------------------------------- the quick run's estimate


def test_quick_run_estimate_is_the_time_measured_on_this_machine(conllpp_dir, tmp_path, monkeypatch):
    from dashboard import quickrun

    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(runs))
    monkeypatch.setenv("NERLIB_CACHE_DIR", str(tmp_path / "cache"))

    def label() -> str:
        at = open_page("training")
        return next(b.label for b in at.button if b.key == "start_quick_run_training")

    assert "no quick run has finished on this machine yet" in label()  # no figure is made up
    quickrun.record_wall(429.0)  # what the live panel records when a quick run finishes
    assert "took 7:09 on this machine last time" in label()
    (tmp_path / "cache" / "dashboard" / quickrun.TIMES_FILE).write_text("{not json")
    assert "no quick run has finished" in label()  # a damaged record is no estimate, not an error


def test_quick_runs_in_the_runs_folder_give_their_wall_time(dashboard_run_copy):
    import platform
    from datetime import datetime

    from dashboard.quickrun import QUICK_CONFIG, quick_run_walls
    from nerlib.runs.folder import load_run

    config_file = dashboard_run_copy / "run.json"
    config = json.loads(config_file.read_text())
    assert quick_run_walls([load_run(dashboard_run_copy)]) == []  # the tiny run is no quick run
    config["config"].update(QUICK_CONFIG)
    config["device"]["host"] = platform.node()
    config_file.write_text(json.dumps(config))
    run = load_run(dashboard_run_copy)
    started = datetime.fromisoformat(config["started_at"]).timestamp()
    assert quick_run_walls([run]) == [pytest.approx(run.progress.updated_at - started)]
    config["device"]["host"] = "another-machine"
    config_file.write_text(json.dumps(config))
    assert quick_run_walls([load_run(dashboard_run_copy)]) == []


def test_finding_label_issues_counts_the_sentences_it_reads(dashboard_run_copy):
    at = open_page("quality")
    at.selectbox(key="quality_find_split").set_value("validation")
    next(b for b in at.button if b.key == "quality_find").click().run()
    assert_ok(at)
    bars = [p.proto.text for p in at.get("progress")]
    assert any("Finding label issues: tiny reads validation: 3,250 / 3,250 sentences" in text for text in bars), bars
    assert list((dashboard_run_copy / "quality").glob("*.issues.jsonl"))  # the report was saved
