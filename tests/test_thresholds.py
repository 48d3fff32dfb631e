"""A confidence threshold on an evaluation (issue 22, point 3): the entities below the (calibrated)
confidence are dropped before scoring, precision / recall / F1 against the threshold per type, and a
precision-recall curve per type.

On a copy of the session's tiny trained run (tests/conftest.py), calibrated at temperature 2 by
writing its calibration.json, scored on the first 200 CoNLL++ test sentences; every number is checked
against a brute-force recount or against the Tagger's own entity scores. Nothing of ours is mocked.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from nerlib.data.labels import entity_spans  # noqa: E402
from nerlib.evaluation import thresholds  # noqa: E402
from nerlib.evaluation.calibration import scored_predictions  # noqa: E402
from nerlib.evaluation.metrics import compute_metrics  # noqa: E402
from nerlib.evaluation.scoring import evaluate_checkpoint  # noqa: E402
from nerlib.runs.calibration_file import write_calibration  # noqa: E402
from nerlib.runs.checkpoints import resolve_checkpoint_dir  # noqa: E402
from nerlib.tagging.tagger import Tagger  # noqa: E402

SENTENCES = 200
TEMPERATURE = 2.0


@pytest.fixture(scope="module")
def calibrated_run(tiny_run, tmp_path_factory) -> Path:
    run = Path(shutil.copytree(tiny_run, tmp_path_factory.mktemp("thresholds") / "tiny"))
    write_calibration(resolve_checkpoint_dir(run), {"temperature": TEMPERATURE, "split": "validation"})
    return run


@pytest.fixture(scope="module")
def calibrated_tagger(calibrated_run) -> Tagger:
    tagger = Tagger.from_pretrained(calibrated_run, device="cpu", dtype="float32")
    assert tagger.temperature == TEMPERATURE
    return tagger


@pytest.fixture(scope="module")
def result(calibrated_tagger, conllpp_dir):
    return evaluate_checkpoint(calibrated_tagger, "test", data_dir=conllpp_dir, limit=SENTENCES, seen_from=None,
                               distributions=True)


@pytest.fixture(scope="module")
def confidences(result):
    return thresholds.entity_confidences(result)


def test_an_entity_confidence_is_the_score_the_calibrated_tagger_gives_it(calibrated_tagger, result, confidences):
    entities = confidences.entities
    assert len(entities) > 100, "too few entities to test thresholds on"
    tagged = calibrated_tagger.tag_words(result.tokens)
    for sentence, text in enumerate(tagged):
        ours = entities[entities.sentence == sentence]
        assert [e.label for e in text.entities] == list(ours["type"])
        assert [e.score for e in text.entities] == list(ours["confidence"])  # the same product, bit for bit
    # the same numbers as calibration's type confidence from the label distributions
    from_distributions = scored_predictions(result).entities
    np.testing.assert_allclose(entities["confidence"], from_distributions["confidence"], rtol=1e-5)
    assert list(entities["correct"]) == list(from_distributions["correct"])
    raw = Tagger.from_pretrained(calibrated_tagger.path, device="cpu", dtype="float32", calibrated=False)
    raw_scores = [e.score for text in raw.tag_words(result.tokens) for e in text.entities]
    assert np.abs(np.array(raw_scores) - entities["confidence"].to_numpy()).max() > 0.01  # calibration counts


@pytest.mark.parametrize("threshold", [0.0, 0.2, 0.5, 0.8, 0.95])
def test_apply_threshold_drops_exactly_the_entities_below_it_and_scores_the_rest(result, confidences, threshold):
    kept = thresholds.apply_threshold(result, threshold)
    entities = confidences.entities
    below = entities[entities.confidence < threshold]
    assert kept.threshold == threshold and kept.dropped == len(below)
    expected = {(row.sentence, row.start, row.end, row.type)
                for row in entities[entities.confidence >= threshold].itertuples()}
    assert {(i, s.start, s.end, s.label) for i, tags in enumerate(kept.predicted) for s in entity_spans(tags)} == expected
    recount = compute_metrics(result.gold, kept.predicted)
    assert (kept.metrics.precision, kept.metrics.recall, kept.metrics.f1) == \
        (recount.precision, recount.recall, recount.f1)
    assert kept.metrics.support == result.metrics.support  # recall still counts every gold entity
    assert kept.metrics.predicted == result.metrics.predicted - len(below)
    # the errors and the predictions file follow: each dropped wrong entity is one false positive less
    assert len(kept.errors[kept.errors.pred_label.notna()]) == kept.metrics.predicted - sum(
        kept.sentences.n_correct)
    assert kept.conll_predictions.count("\n") == result.conll_predictions.count("\n")
    if threshold == 0.0:
        assert kept.predicted == result.predicted and kept.metrics.f1 == result.metrics.f1


def test_the_threshold_table_is_what_apply_threshold_scores(result, confidences):
    levels = [0.0, 0.3, 0.6, 0.9, 1.0]
    table = thresholds.threshold_table(confidences, levels)
    types = list(result.metrics.table().type)
    assert list(dict.fromkeys(table.type)) == types  # the types, then ALL, as evaluate lists them
    for threshold in levels:
        metrics = thresholds.apply_threshold(result, threshold).metrics
        rows = table[table.threshold == threshold].set_index("type")
        assert rows.loc["ALL", "kept"] == metrics.predicted
        for entity_type, scores in metrics.table().set_index("type").iterrows():
            row = rows.loc[entity_type]
            assert row.recall == pytest.approx(scores.recall) and row.f1 == pytest.approx(scores.f1)
            if row.kept:
                assert row.precision == pytest.approx(scores.precision)
            else:  # nothing kept: undefined, where the metrics say 0
                assert math.isnan(row.precision)
    recall = table[table.type == "ALL"].recall.to_numpy()
    assert (np.diff(recall) <= 0).all()  # a higher threshold never finds more


def test_precision_recall_curves_have_a_point_per_entity_and_end_at_keeping_everything(confidences):
    curves = thresholds.precision_recall_curves(confidences)
    entities = confidences.entities
    everything = thresholds.threshold_table(confidences, [0.0]).set_index("type")
    for entity_type, points in curves.groupby("type", sort=False):
        mine = entities if entity_type == "ALL" else entities[entities.type == entity_type]
        assert len(points) == len(mine)
        assert (np.diff(points.threshold.to_numpy()) <= 0).all()  # most confident first
        assert (np.diff(points.recall.to_numpy()) >= 0).all()
        last = points.iloc[-1]
        assert last.precision == pytest.approx(everything.loc[entity_type, "precision"])
        assert last.recall == pytest.approx(everything.loc[entity_type, "recall"])
    assert list(dict.fromkeys(curves.type))[-1] == "ALL"


def test_a_file_without_gold_entities_has_undefined_recall_not_a_crash(calibrated_run, calibrated_tagger, tmp_path):
    data = tmp_path / "no-entities.conll"
    data.write_text("Peter NNP B-NP O\nmet VBD B-VP O\nAnna NNP B-NP O\nin IN B-PP O\nParis NNP B-NP O\n\n")
    result = evaluate_checkpoint(calibrated_tagger, data, seen_from=None)
    table = thresholds.threshold_table(thresholds.entity_confidences(result), [0.0, 0.5])
    assert table.recall.isna().all() and table.f1.isna().all()
    assert thresholds.apply_threshold(result, 0.5).metrics.support == 0
    code, out, err = cli("evaluate", str(calibrated_run), str(data), "--seen-from", "none", "--device", "cpu",
                         "--threshold", "0.5", "--threshold-table")
    assert code == 0, err
    overall = next(line for line in out.splitlines() if line.startswith("ALL "))
    assert overall.split()[2:] == ["n/a", "n/a", "0"]  # recall and F1 undefined, support 0


def test_bad_thresholds_and_results_are_refused(result):
    for bad in (-0.1, 1.5, float("nan"), "0.5"):
        with pytest.raises(ValueError, match="a number from 0 to 1"):
            thresholds.apply_threshold(result, bad)
    with pytest.raises(ValueError, match="no word scores"):
        thresholds.apply_threshold(result.rescored(result.predicted, word_scores=None), 0.5)
    with pytest.raises(ValueError, match="one label per word"):
        result.rescored(result.predicted[:-1])


# --- the CLI: evaluate --threshold, --threshold-table, --pr-curve ---


def cli(*args: str) -> tuple[int, str, str]:
    import io
    from contextlib import redirect_stderr

    from nerlib.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stderr(err):
        code = main(list(args), stdout=out)
    return code, out.getvalue(), err.getvalue()


def test_evaluate_threshold_scores_what_apply_threshold_scores(calibrated_run, result, confidences, conllpp_dir,
                                                                tmp_path):
    import json

    import pandas as pd

    curve_file, predictions = tmp_path / "pr.csv", tmp_path / "predictions.conll"
    code, out, err = cli("evaluate", str(calibrated_run), "test", "--data-dir", str(conllpp_dir), "--limit",
                         str(SENTENCES), "--seen-from", "none", "--device", "cpu", "--threshold", "0.5",
                         "--threshold-table", "--pr-curve", str(curve_file), "--predictions", str(predictions),
                         "--json")
    assert code == 0, err
    report = json.loads(out)
    kept = thresholds.apply_threshold(result, 0.5)
    assert report["metrics"] == json.loads(json.dumps(kept.metrics.to_dict()))
    assert report["threshold"] == {"threshold": 0.5, "dropped": kept.dropped,
                                   "predicted_before": result.metrics.predicted, "temperature": TEMPERATURE}
    assert kept.dropped > 0 and kept.metrics.predicted < result.metrics.predicted
    table = pd.DataFrame(report["threshold_table"])
    expected = thresholds.threshold_table(confidences)  # the sweep is over every predicted entity
    assert list(table.columns) == list(expected.columns) and len(table) == len(expected)
    pd.testing.assert_frame_equal(table.fillna(-1), expected.fillna(-1), check_dtype=False)
    curves = pd.read_csv(curve_file)
    pd.testing.assert_frame_equal(curves.fillna(-1), thresholds.precision_recall_curves(confidences).fillna(-1),
                                  check_dtype=False, atol=1e-9)
    assert predictions.read_text() == kept.conll_predictions  # the files follow the threshold too


def test_evaluate_threshold_prints_what_it_dropped_and_the_table(calibrated_run, result, conllpp_dir):
    code, out, err = cli("evaluate", str(calibrated_run), "test", "--data-dir", str(conllpp_dir), "--limit",
                         str(SENTENCES), "--seen-from", "none", "--device", "cpu", "--threshold", "0.5",
                         "--threshold-table")
    assert code == 0, err
    kept = thresholds.apply_threshold(result, 0.5)
    assert (f"threshold 0.50: {kept.dropped} of {result.metrics.predicted} predicted entities had a confidence "
            f"below it and were dropped before scoring (scores calibrated at temperature {TEMPERATURE:.3f})") in out
    assert f"ALL{100 * kept.metrics.precision:>15.2f}{100 * kept.metrics.recall:>9.2f}" in out  # scored kept
    block = out[out.index("P/R/F1 against the confidence threshold"):]
    assert f"test, {SENTENCES} sentences" in block.splitlines()[0]
    assert len([line for line in block.splitlines()[2:] if line.strip()]) == 21  # 0, 0.05, ..., 1


def test_evaluate_threshold_refuses_bad_values_before_the_model_loads(calibrated_run, tmp_path):
    import io
    from contextlib import redirect_stderr

    from nerlib.cli import main

    for value in ("1.5", "-0.1", "high", "nan"):
        err = io.StringIO()
        with redirect_stderr(err), pytest.raises(SystemExit) as caught:  # argparse: the usage, one error line
            main(["evaluate", str(calibrated_run), "test", "--threshold", value])
        assert caught.value.code == 2 and "expected a confidence from 0 to 1" in err.getvalue()
    code, _, err = cli("evaluate", str(calibrated_run), "test", "--pr-curve", str(tmp_path / "missing" / "pr.csv"))
    assert code == 1 and err.startswith("error: ") and "does not exist" in err and "Traceback" not in err
