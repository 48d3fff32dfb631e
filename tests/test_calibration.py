"""Confidence and calibration (nerlib.evaluation.calibration, ``python -m nerlib calibrate``):

- on simulations with a known answer: the temperature fit recovers the temperature that made
  logits over- or under-confident; a perfectly calibrated simulation has an ECE near 0, an
  over-confident one does not, until scaled; reliability bins, threshold and precision-recall
  curves against brute-force counts;
- on a real tiny trained run (the ``tiny_run`` fixture, copied so the fixture stays uncalibrated):
  ``calibrate`` writes calibration.json, the Tagger then uses it (scores change, labels do not,
  entity scores are the product of the word scores), and a damaged file is an error naming it.
"""

from __future__ import annotations

import io
import json
import shutil

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from nerlib.evaluation.calibration import (  # noqa: E402
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    negative_log_likelihood,
    precision_recall_curves,
    reliability_table,
    scored_predictions,
    threshold_curve,
    type_probabilities,
)


def _simulate(seed: int, n: int = 30000, labels: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logits ``z`` of a perfectly calibrated model: each gold label drawn from ``softmax(z)``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2.5, size=(n, labels))
    z[np.arange(n), rng.integers(0, labels, n)] += 4  # a clear favourite, as a trained tagger has
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    gold = (rng.random((n, 1)) > p.cumsum(1)).sum(1).clip(max=labels - 1)
    return z, p, gold


@pytest.mark.parametrize(("seed", "temperature"), [(0, 2.5), (1, 0.6), (2, 1.0)])
def test_fit_recovers_the_temperature_of_over_and_under_confident_logits(seed, temperature):
    z, _, gold = _simulate(seed)
    # the model says z * T: divide by T again to calibrate
    assert fit_temperature(z * temperature, gold) == pytest.approx(temperature, rel=0.04)


def test_ece_is_near_zero_when_calibrated_and_falls_after_scaling():
    z, p, gold = _simulate(3)
    calibrated = expected_calibration_error(p.max(1), p.argmax(1) == gold)
    assert calibrated < 0.01
    over = apply_temperature(p, 1 / 3)  # logits tripled: over-confident
    assert expected_calibration_error(over.max(1), over.argmax(1) == gold) > 0.05
    temperature = fit_temperature(np.log(over), gold)
    assert temperature == pytest.approx(3, rel=0.05)
    fixed = apply_temperature(over, temperature)
    assert (fixed.argmax(1) == over.argmax(1)).all()  # labels never change
    assert expected_calibration_error(fixed.max(1), fixed.argmax(1) == gold) < 0.01
    assert negative_log_likelihood(fixed, gold) < negative_log_likelihood(over, gold)


TYPED_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def test_type_probabilities_sum_b_and_i_of_a_type():
    probs, types = type_probabilities(np.array([[0.1, 0.5, 0.4, 0.0, 0.0], [0.7, 0.0, 0.1, 0.15, 0.05]]),
                                      TYPED_LABELS)
    assert types == ["O", "PER", "LOC"]
    np.testing.assert_allclose(probs, [[0.1, 0.9, 0.0], [0.7, 0.1, 0.2]])
    # label order does not matter: I- before B-, types first seen order
    probs, types = type_probabilities(np.array([[0.3, 0.2, 0.5]]), ["I-MISC", "O", "B-MISC"])
    assert types == ["MISC", "O"] and probs[0].tolist() == pytest.approx([0.8, 0.2])


def _type_calibrated_result(seed: int, sentences: int = 3000, length: int = 8, sharpen: float = 1.0):
    """Sentences whose gold type per word is drawn from the model's *type* distribution, the mass of
    an entity type split at random between its B- and I- label (as the mean pooling does): calibrated
    at the type level, not at the label level. ``sharpen`` > 1: the logits multiplied by it."""
    rng = np.random.default_rng(seed)
    n = sentences * length
    z = rng.normal(0, 2.0, size=(n, 3))
    z[np.arange(n), rng.integers(0, 3, n)] += 3
    type_p = np.exp(z - z.max(1, keepdims=True))
    type_p /= type_p.sum(1, keepdims=True)
    gold_type = (rng.random((n, 1)) > type_p.cumsum(1)).sum(1).clip(max=2)
    share = rng.uniform(0.2, 0.8, size=(n, 2))  # the B- part of each entity type
    p = np.stack([type_p[:, 0], type_p[:, 1] * share[:, 0], type_p[:, 1] * (1 - share[:, 0]),
                  type_p[:, 2] * share[:, 1], type_p[:, 2] * (1 - share[:, 1])], axis=1)
    p = apply_temperature(p, 1 / sharpen)
    names = ["O", "PER", "LOC"]

    def tags(type_ids: np.ndarray) -> list[str]:  # IOB2: B- where an entity of the type starts
        out = []
        for i, t in enumerate(type_ids):
            name = names[t]
            out.append("O" if name == "O" else ("I-" if i and type_ids[i - 1] == t else "B-") + name)
        return out

    predicted_type = np.array([[0, 1, 1, 2, 2][label] for label in p.argmax(1)])
    gold, predicted, probabilities = [], [], []
    for k in range(sentences):
        part = slice(k * length, (k + 1) * length)
        gold.append(tags(gold_type[part]))
        predicted.append(tags(predicted_type[part]))
        probabilities.append(p[part])
    import types

    return types.SimpleNamespace(probabilities=probabilities, labels=TYPED_LABELS, gold=gold, predicted=predicted)


def test_ece_of_a_type_level_calibrated_model_is_near_zero_where_the_label_arg_max_is_not():
    result = _type_calibrated_result(6)
    scored = scored_predictions(result)
    assert scored.word_ece < 0.01
    stacked = np.concatenate(result.probabilities)
    gold_ids = np.array([TYPED_LABELS.index(tag) for tags in result.gold for tag in tags])
    # the per-label arg-max reading of the same model: the B-/I- split makes it far off
    assert expected_calibration_error(stacked.max(1), stacked.argmax(1) == gold_ids) > 0.05
    # a word's confidence is its predicted type's summed probability
    first = result.probabilities[0]
    by_type = type_probabilities(first, TYPED_LABELS)[0]
    assert scored.word_confidence[:len(first)] == pytest.approx(by_type.max(1))
    # an entity's confidence is the product of its words' type confidences
    row = scored.entities.iloc[0]
    words = scored.word_confidence[row["sentence"] * 8 + row["start"]:row["sentence"] * 8 + row["end"]]
    assert row["confidence"] == pytest.approx(float(np.prod(words)))


def test_type_level_temperature_fit_undoes_over_confidence():
    from nerlib.evaluation.calibration import label_types

    result = _type_calibrated_result(7, sharpen=3.0)
    over = scored_predictions(result)
    assert over.word_ece > 0.03
    stacked = np.concatenate(result.probabilities)
    _, columns = label_types(TYPED_LABELS)
    gold_types = np.array([columns[TYPED_LABELS.index(tag)] for tags in result.gold for tag in tags])
    temperature = fit_temperature(np.log(stacked), gold_types, label_types=columns)
    assert temperature == pytest.approx(3, rel=0.06)
    fixed = scored_predictions(result, temperature)
    assert fixed.word_ece < 0.01 and fixed.nll < over.nll


def test_reliability_table_against_counting_by_hand():
    rng = np.random.default_rng(4)
    confidences = np.concatenate([rng.random(500), [0.0, 1.0, 1 / 15, 2 / 15]])
    correct = rng.random(len(confidences)) < confidences
    table = reliability_table(confidences, correct)
    assert len(table) == 15 and table["count"].sum() == len(confidences)
    for k, row in table.iterrows():
        # bins (k/15, (k+1)/15], a confidence of 0 in the first
        inside = (confidences > k / 15) & (confidences <= (k + 1) / 15) | ((k == 0) & (confidences == 0))
        assert row["count"] == inside.sum()
        assert row["confidence"] == pytest.approx(confidences[inside].mean())
        assert row["accuracy"] == pytest.approx(correct[inside].mean())
    gaps = (table["accuracy"] - table["confidence"]).abs() * table["count"]
    assert expected_calibration_error(confidences, correct) == pytest.approx(gaps.sum() / len(confidences))


def test_threshold_and_precision_recall_curves_against_brute_force():
    rng = np.random.default_rng(5)
    entities = pd.DataFrame({"type": rng.choice(["PER", "LOC", "ORG"], 300), "confidence": rng.random(300).round(2),
                             "correct": rng.random(300) < 0.7})
    gold = {"PER": 120, "LOC": 90, "ORG": 80, "MISC": 10}
    n_gold = sum(gold.values())
    curve = threshold_curve(entities["confidence"], entities["correct"], n_gold)
    for row in curve.itertuples():
        kept = entities[entities["confidence"] >= row.threshold]
        tp = kept["correct"].sum()
        assert row.kept == len(kept)
        assert row.recall == pytest.approx(tp / n_gold)
        if len(kept):
            assert row.precision == pytest.approx(tp / len(kept))
            assert row.f1 == pytest.approx(2 * tp / (len(kept) + n_gold))
    curves = precision_recall_curves(entities, gold)
    assert list(dict.fromkeys(curves["type"])) == ["PER", "LOC", "ORG"]  # MISC: gold but never predicted
    for entity_type, rows in curves.groupby("type"):
        mine = entities[entities["type"] == entity_type]
        assert len(rows) == len(mine)
        last = rows.iloc[-1]
        assert last["recall"] == pytest.approx(mine["correct"].sum() / gold[entity_type])
        assert last["precision"] == pytest.approx(mine["correct"].mean())
        assert rows["recall"].is_monotonic_increasing


# --------------------------------------------------------------------------- a real tiny run


@pytest.fixture
def run_copy(tiny_run, tmp_path):
    """The tiny trained run, copied: calibrating it must not change what other tests see."""
    return shutil.copytree(tiny_run, tmp_path / "tiny")


def _cli(*argv: str) -> tuple[int, str, str]:
    import contextlib

    from nerlib.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), stdout=out)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.slow
def test_calibrate_writes_the_temperature_and_the_tagger_uses_it(run_copy, conllpp_dir):
    from nerlib.runs.schemas import CalibrationRecord
    from nerlib.tagging.tagger import Tagger

    before = Tagger.from_pretrained(run_copy, device="cpu", dtype="float32")
    assert before.temperature == 1.0 and before.calibration is None
    sentences = [["Peter", "Okafor", "met", "officials", "of", "the", "African", "Union", "in", "Brussels", "."],
                 ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."]]
    raw = before.predict(sentences, distributions=True)

    code, out, err = _cli("calibrate", str(run_copy), "--split", "dev", "--data-dir", str(conllpp_dir),
                          "--limit", "150")
    assert code == 0, err
    checkpoint = before.path
    record = CalibrationRecord.model_validate(json.loads((checkpoint / "calibration.json").read_text()))
    assert f"temperature {record.temperature:.4f}, fitted on validation (150 sentences" in out
    assert [(s.split, s.sentences) for s in record.before] == [("validation", 150), ("test", 150)]
    assert record.after[0].nll <= record.before[0].nll + 1e-9  # fitted to lower the validation NLL
    assert abs(record.temperature - 1) > 0.01  # a run this short is not calibrated by chance

    after = Tagger.from_pretrained(run_copy, device="cpu", dtype="float32")
    assert after.temperature == record.temperature and after.calibration.split == "validation"
    scaled = after.predict(sentences, distributions=True)
    for (ids, scores, probs), (ids_t, scores_t, probs_t) in zip(raw, scaled):
        np.testing.assert_array_equal(ids_t, ids)  # labels unchanged
        assert not np.allclose(scores_t, scores, atol=1e-4)  # scores changed
        np.testing.assert_allclose(probs_t, apply_temperature(probs, record.temperature), atol=1e-5)
    tagged = after.tag_words(sentences)
    for result, (_, scores_t, _) in zip(tagged, scaled):
        assert [w.score for w in result.words] == pytest.approx(scores_t.tolist())
        for entity in result.entities:  # an entity's score: the product of its words' scores
            words = [w.score for w in result.words if entity.start <= w.start < entity.end]
            assert entity.score == pytest.approx(float(np.prod(words)), rel=1e-6)
    assert Tagger.from_pretrained(run_copy, device="cpu", calibrated=False).temperature == 1.0


@pytest.mark.parametrize("content", ['{"temperature": -1, "split": "validation"}', '{"temperature": "2"}',
                                     "not json", '["a list"]', "folder"])
def test_a_damaged_calibration_file_is_an_error_naming_it(run_copy, content, conllpp_dir):
    from nerlib.runs.calibration_file import CalibrationError
    from nerlib.runs.checkpoints import resolve_checkpoint_dir
    from nerlib.tagging.tagger import Tagger

    path = resolve_checkpoint_dir(run_copy) / "calibration.json"
    if content == "folder":
        path.mkdir()
    else:
        path.write_text(content)
    with pytest.raises(CalibrationError, match="calibration.json"):
        Tagger.from_pretrained(run_copy, device="cpu")
    code, out, err = _cli("tag", "-m", str(run_copy), "--device", "cpu", "Peter met Anna in Paris .")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: ") and "calibration.json" in lines[-1] and "Traceback" not in err


def test_calibrate_refuses_bad_input_with_one_error_line(run_copy, tmp_path, conllpp_dir):
    code, _, err = _cli("calibrate", str(tmp_path / "nothing-here"), "--data-dir", str(conllpp_dir))
    assert code == 1 and err.strip().splitlines()[-1].startswith("error: ") and "Traceback" not in err
    empty = tmp_path / "empty.conll"
    empty.write_text("-DOCSTART- -X- -X- O\n\n")
    code, _, err = _cli("calibrate", str(run_copy), "--split", str(empty), "--test", "none")
    assert code == 1 and "no words to fit a temperature on" in err.strip().splitlines()[-1]
    wrong = tmp_path / "wrong.conll"
    wrong.write_text("Paris NNP B-NP B-CITY\n\n")
    code, _, err = _cli("calibrate", str(run_copy), "--split", str(wrong), "--test", "none")
    assert code == 1 and "B-CITY" in err.strip().splitlines()[-1]


def test_a_written_record_reads_back(tmp_path):
    from nerlib.runs.calibration_file import read_calibration, write_calibration

    write_calibration(tmp_path, {"temperature": 2, "split": "validation"})  # no optional field
    assert read_calibration(tmp_path).temperature == 2.0
    scores = {"split": "test", "sentences": 3, "words": 9, "word_ece": 0.1, "entity_ece": None, "nll": 0.5}
    write_calibration(tmp_path, {"temperature": 0.5, "split": "validation", "created_at": "now", "before": [scores]})
    record = read_calibration(tmp_path)
    assert record.temperature == 0.5 and record.before[0].entity_ece is None and record.before[0].words == 9
    with pytest.raises(ValueError):
        write_calibration(tmp_path, {"temperature": float("nan"), "split": "validation"})
    assert read_calibration(tmp_path).temperature == 0.5  # a refused record writes nothing
