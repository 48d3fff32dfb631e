"""Comparison views, charts and score help of the dashboard (issue 27, points 4-6), on real runs.

Runs: ``tiny`` (a copy of the session's tiny run: 960 sentences, 2 epochs, validated every 25
steps) and ``once`` (320 sentences, 1 epoch, validated once, seed 2). Streamlit AppTest of the real
app and the real figure builders; nothing of our own code is mocked. The Tagger's score help is
checked on a copy of ``tiny`` calibrated with the real ``calibrate_checkpoint``.
"""

from __future__ import annotations

import shutil

import pytest
from test_dashboard import assert_ok, open_page, plotly_charts, table

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def tiny_and_once(tiny_run, conllpp_dir, tmp_path_factory):
    from conftest import tiny_run_args

    from training.train import main

    runs = tmp_path_factory.mktemp("views-runs")
    shutil.copytree(tiny_run, runs / "tiny")
    main(tiny_run_args(conllpp_dir, runs / "once", "--max-train-samples", "320", "--epochs", "1",
                       "--eval-steps", "1000", "--seed", "2"))
    return runs


@pytest.fixture
def views_runs(tiny_and_once, monkeypatch):
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tiny_and_once))
    return tiny_and_once


def _values(array) -> list:
    """A plotly array as a list: plotly sends numbers as typed binary data (``bdata``)."""
    import base64

    import numpy as np

    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def _chart(at, title_start: str):
    """The figure drawn with a title starting with ``title_start`` (arrays decoded: plotly sends
    them as typed binary data)."""
    import plotly.io

    for chart in plotly_charts(at):
        figure = plotly.io.from_json(chart.proto.spec)
        if str(figure.layout.title.text or "").startswith(title_start):
            return figure
    raise AssertionError(f"no chart titled {title_start!r}")


def test_training_page_compares_two_different_checkpoints_and_shows_how_the_runs_differ(views_runs):
    from nerlib.runs.folder import load_run
    from nerlib.runs.ranking import rank_runs

    at = open_page("training")
    at.multiselect(key="training_runs").set_value(["once", "tiny"]).run()
    assert_ok(at)
    ranked = [r.run.name for r in rank_runs([load_run(views_runs / n) for n in ("once", "tiny")])]
    assert at.selectbox(key="compare_a").value == f"{ranked[0]} / best"
    assert at.selectbox(key="compare_b").value == f"{ranked[1]} / best"
    # the configuration diff: differing fields first, the key ones by name, bookkeeping kept out
    differ = table(at, "field")
    assert list(differ.columns) == ["field", "A", "B"]
    assert {"seed", "train sentences", "epochs", "optimizer steps"} <= set(differ["field"])
    assert differ["field"].iloc[0] == "seed" and "name" not in set(differ["field"])
    assert (differ["A"] != differ["B"]).all()
    same = [d.value for d in at.dataframe if list(d.value.columns) == ["field", "A", "B"]][1]
    assert "name" in set(same["field"]) and "model" in set(same["field"])  # same model; the name is bookkeeping


def test_training_page_one_run_opens_on_its_best_and_another_checkpoint(views_runs):
    at = open_page("training")
    at.multiselect(key="training_runs").set_value(["tiny"]).run()
    assert_ok(at)
    first, second = at.selectbox(key="compare_a").value, at.selectbox(key="compare_b").value
    assert first == "tiny / best" and second != first
    source = table(at, "checkpoint").set_index("checkpoint").loc["tiny / best", "same as"]
    assert second != f"tiny / {source}"  # never the checkpoint best is a copy of


def test_a_run_evaluated_once_draws_bars_and_its_planned_learning_rate(views_runs):
    at = open_page("training")
    at.multiselect(key="training_runs").set_value(["once"]).run()
    assert_ok(at)
    curves = _chart(at, "validation f1 per entity type")
    assert {trace.type for trace in curves.data} == {"bar"}  # bars, not lone dots
    lr = _chart(at, "Learning rate")
    planned = [t for t in lr.data if t.name.endswith("planned")]
    rates = _values(planned[0].y) if len(planned) == 1 else []
    assert len(rates) > 10
    assert max(rates) == pytest.approx(3e-3)  # the run's --learning-rate, at the end of warm-up
    assert rates[-1] == pytest.approx(0.0)  # linear decay to 0


def test_runs_are_drawn_in_distinct_palette_colours_with_markers_and_a_legend(views_runs):
    from dashboard.charts import RUN_COLORS

    at = open_page("training")
    at.multiselect(key="training_runs").set_value(["once", "tiny"]).run()
    assert_ok(at)
    loss = _chart(at, "Loss")
    colors = {t.legendgroup: t.line.color for t in loss.data}
    assert len(set(colors.values())) == 2 and set(colors.values()) <= set(RUN_COLORS)
    assert all("markers" in t.mode for t in loss.data) and loss.layout.showlegend


def test_sentence_length_histogram_is_bars_from_zero():
    import pandas as pd

    from dashboard.charts import sentence_lengths_figure

    lengths = pd.DataFrame({"split": ["train"] * 3 + ["test"] * 2, "length": [1, 7, 90, 3, 12],
                            "count": [10, 30, 1, 5, 5]})
    figure = sentence_lengths_figure(lengths)
    assert {t.type for t in figure.data} == {"bar"}
    train = next(t for t in figure.data if t.name == "train")
    assert list(train.x) == ["1-4", "5-9", "60+"] and sum(train.y) == pytest.approx(1.0)
    assert figure.layout.yaxis.rangemode == "tozero"


def test_compare_page_opens_on_the_best_two_runs_and_shows_their_config_diff(views_runs):
    from streamlit.testing.v1 import AppTest
    from test_dashboard import APP

    from nerlib.runs.folder import load_run
    from nerlib.runs.ranking import rank_runs

    at = AppTest.from_file(str(APP), default_timeout=600)
    at.query_params.update({"split": "test", "n": "200"})
    at.switch_page("views/compare.py")
    at.run()
    assert_ok(at)
    ranked = [r.run.name for r in rank_runs([load_run(views_runs / n) for n in ("once", "tiny")])]
    assert [at.selectbox[0].value, at.selectbox[1].value] == ranked
    differ = table(at, "field")
    assert "seed" in set(differ["field"]) and "train sentences" in set(differ["field"])
    scores = table(at, "95% CI")
    assert "F1 A" in scores.columns


def test_tagger_score_help_says_what_a_threshold_hides_after_calibration(tiny_run, tmp_path, monkeypatch):
    from nerlib.evaluation.calibration import calibrate_checkpoint

    runs = tmp_path / "runs"
    run = shutil.copytree(tiny_run, runs / "tiny")
    report = calibrate_checkpoint(run, test=None, limit=100)
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(runs))
    at = open_page("tagger")
    slider = at.slider(key="tagger_min_score")
    assert slider.value == 0.0  # every entity shown by default
    assert "probability that the entity is right" in slider.help
    hidden = report.after[0]["correct_hidden"]
    if hidden:  # the tiny model got some entity right on these 100 sentences
        assert f"0.5 hides {100 * hidden['0.5']:.1f}%" in slider.help and "100 validation sentences" in slider.help
    toggle = at.toggle(key="tagger_show_scores")
    assert "Calibrated" in toggle.help


def test_tagger_score_help_says_an_uncalibrated_score_is_a_product(views_runs):
    at = open_page("tagger")
    assert at.toggle(key="tagger_show_scores").help.startswith("Not calibrated")
    assert "hides" not in at.slider(key="tagger_min_score").help
