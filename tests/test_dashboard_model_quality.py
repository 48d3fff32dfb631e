"""Dashboard (AppTest): seen/unseen scores on the Training and Errors pages, and the
learning-rate finder's curve on the Training page (log-x)."""

from __future__ import annotations

import shutil

import pytest
from test_dashboard import assert_ok, open_page, plotly_charts, table  # noqa: F401

pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def runs_with_lr_find(tiny_run, tmp_path, monkeypatch):
    from nerlib.runs.lr_finder import LRFindResult, LRSweep

    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "tiny")
    sweep = LRSweep(start_lr=1e-5, end_lr=1.0, num_steps=40)
    for step in range(40):
        lr = sweep.learning_rate(step)
        if sweep.record(lr, 2.0 / (1 + 300 * lr) + (20 * lr) ** 2):
            break
    LRFindResult.from_sweep(sweep, "tiny-scratch", preset_learning_rate=1e-3,
                            created_at="2026-01-01T00:00:00+00:00").write(runs / "lr-find-tiny")
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(runs))
    return runs


def test_training_page_shows_seen_unseen_and_the_lr_finder(conllpp_dir, runs_with_lr_find):
    at = open_page("training")
    # the LR-finder folder is not a training run
    assert at.multiselect(key="training_runs").options == ["tiny"]
    overview = table(at, "test unseen F1")
    assert 0.0 <= overview["test unseen F1"].iloc[0] <= 1.0
    subsets = table(at, "entities")
    assert subsets["entities"].tolist() == ["seen", "unseen", "all"]
    assert subsets["support"].iloc[0] + subsets["support"].iloc[1] == subsets["support"].iloc[2]
    assert at.selectbox(key="lr_find_pick").value == "lr-find-tiny"
    spec = next(c.proto.spec for c in plotly_charts(at) if "smoothed loss" in c.proto.spec)
    assert '"type":"log"' in spec.replace(" ", "")
    assert any("suggested peak learning rate" in c.value for c in at.caption)


@pytest.mark.slow
def test_errors_page_shows_seen_unseen(conllpp_dir, tiny_run, monkeypatch):
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tiny_run.parent))
    at = open_page("errors")
    subsets = table(at, "entities")
    assert subsets["entities"].tolist() == ["seen", "unseen", "all"]
    assert subsets["support"].iloc[:2].sum() == subsets["support"].iloc[2] > 0
