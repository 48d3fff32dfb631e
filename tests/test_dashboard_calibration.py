"""Streamlit AppTest of the calibration view (inside the Errors page) and the Tagger page's
confidence threshold, on a copy of the real tiny trained run (``tiny_run``), calibrated by writing
its calibration.json. Nothing of our own code is mocked."""

from __future__ import annotations

import math
import shutil

import pytest

from tests.test_dashboard import assert_ok, open_page, plotly_charts, table

pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def calibrated_run(tiny_run, tmp_path, monkeypatch):
    """A copy of the tiny run whose best checkpoint has temperature 2, the app pointed at it."""
    from nerlib.runs.calibration_file import write_calibration
    from nerlib.runs.checkpoints import resolve_checkpoint_dir

    runs = tmp_path / "runs"
    run = shutil.copytree(tiny_run, runs / "tiny")
    write_calibration(resolve_checkpoint_dir(run), {"temperature": 2.0, "split": "validation"})
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(runs))
    return run


@pytest.mark.slow
def test_errors_page_draws_calibration_when_asked(conllpp_dir, calibrated_run):
    at = open_page("errors")
    charts = len(plotly_charts(at))
    assert not any(m.label == "Word ECE" for m in at.metric)  # drawn only when asked
    at.toggle(key="errors_calibration").set_value(True).run()
    assert_ok(at)
    assert len(plotly_charts(at)) == charts + 3  # reliability, threshold curve, precision-recall
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Temperature"] == "2.000"
    assert 0 <= float(metrics["Word ECE"]) <= 1
    # the page opens on the 200 sentences the run saved predictions of (the model adds their distributions)
    assert any("200 validation sentences" in c.value and "words" in c.value for c in at.caption)
    reliability = table(at, "accuracy")
    assert len(reliability) == 15 and reliability["count"].sum() > 1000

    def kept() -> str:
        return next(c.value for c in at.caption if c.value.startswith("At "))

    at.slider(key="errors_threshold").set_value(0.0).run()  # the page's minimum confidence, marked on the curve
    everything = kept()
    at.slider(key="errors_threshold").set_value(0.95).run()
    assert_ok(at)
    assert kept() != everything and kept().startswith("At 0.95 (the page's minimum confidence): ")
    at.segmented_control(key="calibration_level").set_value("entities").run()
    assert_ok(at)
    assert table(at, "accuracy")["count"].sum() < reliability["count"].sum()  # fewer entities than words


@pytest.mark.slow
def test_tagger_threshold_says_what_the_score_is(conllpp_dir, calibrated_run):
    at = open_page("tagger")
    slider = at.slider(key="tagger_min_score")
    assert "probability that the entity is right" in slider.help and "temperature 2.000" in slider.help
    assert "product of its words' type probabilities" in slider.help and slider.value == 0.0
    at.text_area(key="tagger_text").set_value("Peter Okafor met officials of the African Union in Brussels .").run()
    assert_ok(at)
    entities, words = table(at, "entity"), table(at, "word")
    for entity in entities.itertuples():
        inside = words[(words["start"] >= entity.start) & (words["end"] <= entity.end)]
        assert entity.confidence == pytest.approx(math.prod(inside["confidence"]), rel=1e-6)
    if len(entities):
        above = min(1.0, round((math.floor(entities["confidence"].max() / 0.05) + 1) * 0.05, 2))  # next step up
        at.slider(key="tagger_min_score").set_value(above).run()
        assert_ok(at)
        assert len(table(at, "entity")) == 0
