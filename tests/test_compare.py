"""`nerlib compare` on two short CPU runs (seeds 1 and 2), `evaluate --partial`, the bad inputs of
a comparison, and the dashboard's Compare page (AppTest)."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stderr
from pathlib import Path

import pytest

pytest.importorskip("torch")

from nerlib.cli import main  # noqa: E402
from nerlib.evaluation.comparison import compare_runs  # noqa: E402
from nerlib.runs.folder import load_run  # noqa: E402

APP = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"


def call(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stderr(err):
        code = main(list(args), stdout=out)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def runs(two_tiny_runs) -> Path:
    return two_tiny_runs


def test_compare_two_short_runs_prints_difference_interval_p_value_and_diff(runs):
    # the tiny runs were tested on the first 200 test sentences: their saved predictions are reused
    code, out, err = call("compare", str(runs / "tiny"), str(runs / "tiny-seed2"), "--limit", "200")
    assert code == 0, err
    assert "A: tiny (checkpoint best" in out and "(predictions saved by training)" in out
    assert "test, 200 sentences; 1000 bootstrap resamples" in out
    assert "over 11 documents" in out  # the test split has -DOCSTART- lines: documents are resampled
    table = out[out.index("type   support"):]
    for entity_type in ("LOC", "MISC", "ORG", "PER", "ALL"):
        assert f"\n{entity_type} " in table
    assert "sentences: only A right" in out and "partial match (nervaluate)" in out


def test_compare_json_is_consistent_and_shows_the_seed_spread(runs):
    code, out, _ = call("compare", str(runs / "tiny"), str(runs / "tiny-seed2"), "--limit", "200", "--json",
                        "--resamples", "1000", "--seed", "3")
    assert code == 0
    report = json.loads(out)
    overall = report["scores"][-1]
    assert overall["type"] == "ALL" and overall["support"] > 0
    assert overall["difference"] == pytest.approx(overall["f1_b"] - overall["f1_a"])
    assert overall["ci_low"] <= overall["difference"] <= overall["ci_high"]
    assert 0 < overall["p_value"] <= 1
    assert report["resamples"] == 1000 and report["seed"] == 3 and report["unit_kind"] == "documents"
    assert sum(report["diff_counts"].values()) == report["sentences"] == 200
    assert len(report["diff"]) == sum(report["diff_counts"][k] for k in
                                      ("only_a_right", "only_b_right", "both_wrong_differently"))
    assert sorted(report["seed_spread_runs"]["a"]) == ["tiny", "tiny-seed2"]  # same options, other seed
    assert overall["seed_sd_a"] > 0
    strict = {(r["run"], r["type"]): r["f1"] for r in report["partial"] if r["scheme"] == "strict"}
    assert strict[("A", "ALL")] == pytest.approx(overall["f1_a"])
    assert strict[("B", "ALL")] == pytest.approx(overall["f1_b"])
    assert report["reused_predictions"] == {"a": True, "b": True}


def test_a_run_trained_on_other_sentences_is_not_a_seed_of_the_configuration(runs, tmp_path):
    from nerlib.evaluation.comparison import seed_spread

    other = tmp_path / "tiny-more-data"
    shutil.copytree(runs / "tiny-seed2", other)
    record = json.loads((other / "run.json").read_text(encoding="utf8"))
    record["data"]["sentences"]["train"] += 100  # same options, other training data
    (other / "run.json").write_text(json.dumps(record), encoding="utf8")
    candidates = [load_run(runs / "tiny"), load_run(runs / "tiny-seed2"), load_run(other)]
    assert sorted(seed_spread(candidates[0], candidates).runs) == ["tiny", "tiny-seed2"]
    assert seed_spread(candidates[2], candidates).runs == ["tiny-more-data"]


def test_saved_predictions_equal_a_fresh_model_pass(runs):
    reused = compare_runs(runs / "tiny", runs / "tiny-seed2", "test", limit=40, resamples=100)
    fresh = compare_runs(runs / "tiny", runs / "tiny-seed2", "test", limit=40, resamples=100, reuse=False)
    assert (reused.reused_a, reused.reused_b, fresh.reused_a, fresh.reused_b) == (True, True, False, False)
    assert fresh.pred_a == reused.pred_a and fresh.pred_b == reused.pred_b


def test_a_run_compared_with_itself_differs_by_zero_with_p_one(runs):
    code, out, _ = call("compare", str(runs / "tiny"), str(runs / "tiny"), "--limit", "200", "--json")
    assert code == 0
    for row in json.loads(out)["scores"]:
        assert (row["difference"], row["ci_low"], row["ci_high"], row["p_value"]) == (0.0, 0.0, 0.0, 1.0)


def test_evaluate_partial_strict_f1_equals_conlleval_f1_of_a_real_model(runs):
    code, out, err = call("evaluate", str(runs / "tiny"), "test", "--limit", "200", "--partial", "--json")
    assert code == 0, err
    report = json.loads(out)
    strict = {r["type"]: r for r in report["partial"] if r["scheme"] == "strict"}
    assert strict["ALL"]["f1"] == pytest.approx(report["metrics"]["f1"], abs=1e-9)
    for entity_type, scores in report["metrics"]["per_type"].items():
        assert strict[entity_type]["f1"] == pytest.approx(scores["f1"], abs=1e-9)
    assert {r["scheme"] for r in report["partial"]} == {"strict", "exact", "partial", "ent_type"}
    code, out, _ = call("evaluate", str(runs / "tiny"), "test", "--limit", "20", "--partial")
    assert code == 0 and "partial match (nervaluate)" in out and "ent_type" in out


# --- bad input: one error line, exit 1 ---


def test_runs_with_different_label_sets_are_refused_naming_the_difference(runs, tmp_path):
    other = Path(shutil.copytree(runs / "tiny", tmp_path / "renamed"))
    for config in other.glob("checkpoints/*/config.json"):
        data = json.loads(config.read_text())
        data["id2label"] = {k: v.replace("MISC", "EVENT") for k, v in data["id2label"].items()}
        data["label2id"] = {k.replace("MISC", "EVENT"): v for k, v in data["label2id"].items()}
        config.write_text(json.dumps(data))
    code, _, err = call("compare", str(runs / "tiny"), str(other))
    assert code == 1
    assert err.strip() == ("error: runs tiny and renamed have different label sets: only tiny has B-MISC, I-MISC; "
                           "only renamed has B-EVENT, I-EVENT")


def test_an_unfinished_run_is_compared_at_its_last_complete_checkpoint(runs, tmp_path):
    unfinished = Path(shutil.copytree(runs / "tiny-seed2", tmp_path / "unfinished"))
    progress = json.loads((unfinished / "progress.json").read_text())
    (unfinished / "progress.json").write_text(json.dumps({**progress, "status": "stopped"}))
    code, out, err = call("compare", str(runs / "tiny"), str(unfinished), "--limit", "20", "--json")
    assert code == 0, err
    report = json.loads(out)
    last = max((p for p in (unfinished / "checkpoints").iterdir() if p.name != "best"),
               key=lambda p: json.loads((p / "checkpoint.json").read_text())["step"]).name
    assert f"checkpoint {last}" in report["run_b"]
    assert report["reused_predictions"]["b"] is False  # not the best: its predictions were not saved
    assert any(f"run unfinished is not finished (status stopped): compared at its last complete checkpoint {last}"
               in note for note in report["notes"])
    assert "note: run unfinished is not finished" in err


def test_a_file_without_gold_entities_gives_undefined_scores(runs, tmp_path):
    data = tmp_path / "no-entities.conll"
    data.write_text("The O\ncat O\nsat O\n\nIt O\nrained O\n")
    code, out, err = call("compare", str(runs / "tiny"), str(runs / "tiny"), str(data))
    assert code == 0, err
    assert "ALL          0" in out and "n/a" in out
    assert "holds no gold entity: recall and F1 are undefined" in out


def test_a_folder_that_is_not_a_run_is_a_clear_error(runs, tmp_path):
    code, _, err = call("compare", str(runs / "tiny"), str(tmp_path))
    assert code == 1
    assert err.strip() == (f"error: {tmp_path}: not a training run folder (it holds no run.json); pass a folder "
                           "written by python -m training.train")
    code, _, err = call("compare", str(tmp_path / "missing"), str(runs / "tiny"))
    assert code == 1 and err.startswith(f"error: {tmp_path / 'missing'}: no such run folder")
    assert "Traceback" not in err


def test_a_run_without_a_complete_checkpoint_is_a_clear_error(runs, tmp_path):
    empty = tmp_path / "just-started"
    empty.mkdir()
    shutil.copy(runs / "tiny" / "run.json", empty / "run.json")
    code, _, err = call("compare", str(runs / "tiny"), str(empty))
    assert code == 1 and err.startswith("error: run just-started has no complete checkpoint yet (status stopped)")


# --- the dashboard's Compare page ---


def test_compare_page_shows_scores_partial_match_and_coloured_diff_from_a_link(runs, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("NERLIB_RUNS_DIR", str(runs))
    at = AppTest.from_file(str(APP), default_timeout=600)
    at.query_params.update({"split": "test", "n": "200", "types": "PER"})
    at.switch_page("views/compare.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) == {"F1 A", "F1 B", "B - A", "p-value"}
    # default: the two best different runs (nerlib.runs.ranking: best validation F1), the better one as A
    best = max(("tiny", "tiny-seed2"), key=lambda name: load_run(runs / name).best.f1)
    assert at.selectbox[0].value == best and at.selectbox[1].value != best
    scores = at.dataframe[0].value
    assert list(scores["type"]) == ["LOC", "MISC", "ORG", "PER", "ALL"]
    assert {"B - A", "95% CI", "p", "seed sd A"} <= set(scores.columns)
    partial = next(d.value for d in at.dataframe if "scheme" in d.value.columns)
    assert set(partial["type"]) == {"ALL", "PER"}  # filtered by the link's type
    assert set(partial["scheme"]) == {"strict", "exact", "partial", "ent_type"}
    shown = "".join(h.proto.body for h in at.get("html"))
    assert shown.count('class="side">gold') >= 1 and 'class="side">A' in shown and 'class="side">B' in shown
    assert 'data-label="PER"' in shown
    assert {"split": "test", "n": "200", "types": "PER", "a": best}.items() <= dict(at.query_params).items()

    at.multiselect[0].set_value(["ORG"]).run()  # the type filter: only sentences where ORG spans differ
    assert at.query_params["types"] == "ORG"
    assert set(next(d.value for d in at.dataframe if "scheme" in d.value.columns)["type"]) == {"ALL", "ORG"}


def test_compare_page_with_one_run_says_what_it_needs(runs, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    shutil.copytree(runs / "tiny", tmp_path / "only")
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path))
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page("views/compare.py")
    at.run()
    assert not at.exception
    assert "needs two runs" in at.info[0].value
