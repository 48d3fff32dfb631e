"""Statistics of run-vs-run comparisons that can fail: bootstrap coverage, randomization p-values
under the null, identical runs; per-sentence counts and nervaluate's strict F1 against conlleval's
F1 on the CoNLL++ test split. No model: synthetic counts and a corrupted copy of the gold tags."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from nerlib.data.conll import read_conll
from nerlib.evaluation.comparison import compare_predictions
from nerlib.evaluation.metrics import compute_metrics
from nerlib.evaluation.partial import partial_match
from nerlib.evaluation.significance import (
    approximate_randomization,
    f1_from_counts,
    group_units,
    paired_bootstrap,
    unit_counts,
)


def synthetic_pair(rng: np.random.Generator, sentences: int, recall_a: float, recall_b: float, *,
                   entities: float = 1.5, spurious: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Paired per-sentence (tp, fp, fn) of two systems on the same gold entities: Poisson(entities)
    gold entities per sentence, each found by A when u < recall_a and by B when u < recall_b (one
    uniform u per entity, so the two are correlated as real models are), Poisson(spurious) false
    positives each. Columns: one type and ALL (the same)."""
    gold = rng.poisson(entities, sentences)
    u = rng.random(gold.sum())
    sentence = np.repeat(np.arange(sentences), gold)
    counts = []
    for recall in (recall_a, recall_b):
        tp = np.bincount(sentence, u < recall, minlength=sentences).astype(int)
        one = np.stack([tp, rng.poisson(spurious, sentences), gold - tp], axis=-1)[:, None, :]
        counts.append(np.concatenate([one, one], axis=1))
    return counts[0], counts[1]


def population_f1(entities: float, spurious: float, recall: float) -> float:
    """The F1 the sample F1 of :func:`synthetic_pair` converges to (expected counts)."""
    tp, fp, fn = entities * recall, spurious, entities * (1 - recall)
    return 2 * tp / (2 * tp + fp + fn)


@pytest.mark.slow
def test_bootstrap_interval_covers_the_true_difference_95_percent_of_the_time():
    rng = np.random.default_rng(2026)
    truth = population_f1(1.5, 0.3, 0.80) - population_f1(1.5, 0.3, 0.85)
    trials, covered = 500, 0
    for trial in range(trials):
        a, b = synthetic_pair(rng, 600, 0.85, 0.80)
        low, high = paired_bootstrap(a, b, resamples=1000, seed=trial)
        covered += bool(low[-1] <= truth <= high[-1])
    assert 0.93 <= covered / trials <= 0.97, f"coverage {covered / trials:.3f} over {trials} trials"


def test_randomization_p_values_are_uniform_under_the_null_and_small_under_a_difference():
    from scipy.stats import kstest

    rng = np.random.default_rng(7)
    null = [approximate_randomization(*synthetic_pair(rng, 500, 0.8, 0.8, entities=3, spurious=0.6),
                                      rounds=1000, seed=trial)[-1] for trial in range(300)]
    assert kstest(null, "uniform").pvalue > 0.05
    assert 0.03 <= np.mean(np.array(null) < 0.05) <= 0.08  # the test's size is its nominal 5%
    different = [approximate_randomization(*synthetic_pair(rng, 500, 0.85, 0.75, entities=3, spurious=0.6),
                                           rounds=1000, seed=trial)[-1] for trial in range(20)]
    assert max(different) < 0.01


def test_identical_runs_differ_by_zero_with_p_one():
    rng = np.random.default_rng(0)
    a, _ = synthetic_pair(rng, 200, 0.8, 0.8)
    low, high = paired_bootstrap(a, a.copy(), resamples=1000, seed=3)
    assert low.tolist() == [0.0, 0.0] and high.tolist() == [0.0, 0.0]
    assert approximate_randomization(a, a.copy(), rounds=1000, seed=3).tolist() == [1.0, 1.0]


def test_a_sure_difference_gets_an_interval_beside_it_that_excludes_zero():
    rng = np.random.default_rng(1)
    a, b = synthetic_pair(rng, 2000, 0.9, 0.6)
    low, high = paired_bootstrap(a, b, resamples=1000, seed=0)
    observed = (f1_from_counts(b.sum(0)) - f1_from_counts(a.sum(0)))[-1]
    assert low[-1] < observed < high[-1] < 0
    assert high[-1] - low[-1] < 0.05


def test_same_seed_same_interval_other_seed_other_interval():
    a, b = synthetic_pair(np.random.default_rng(5), 300, 0.85, 0.8)
    first = paired_bootstrap(a, b, resamples=1000, seed=11)
    assert np.array_equal(first, paired_bootstrap(a, b, resamples=1000, seed=11))
    assert not np.array_equal(first, paired_bootstrap(a, b, resamples=1000, seed=12))


def test_shapes_and_resample_counts_are_checked():
    a, b = synthetic_pair(np.random.default_rng(5), 10, 0.85, 0.8)
    with pytest.raises(ValueError, match="differ in shape"):
        paired_bootstrap(a, b[:5])
    with pytest.raises(ValueError, match="at least 1"):
        approximate_randomization(a, b, rounds=0)


def test_documents_are_resampled_whole():
    gold = [["B-PER"], ["O"], ["B-LOC"], ["B-PER"]]
    pred = [["B-PER"], ["B-ORG"], ["O"], ["B-PER"]]
    counts = unit_counts(gold, pred)
    grouped = group_units(counts, [0, 0, 1, 1])
    assert grouped.shape[0] == 2 and np.array_equal(grouped.sum(0), counts.sum(0))
    by_document = compare_predictions([["w"]] * 4, gold, pred, gold, documents=[0, 0, 1, 1], resamples=200)
    assert (by_document.units, by_document.unit_kind) == (2, "documents")
    by_sentence = compare_predictions([["w"]] * 4, gold, pred, gold, documents=[0, 0, 0, 0], resamples=200)
    assert (by_sentence.units, by_sentence.unit_kind) == (4, "sentences")


@pytest.fixture(scope="module")
def test_split(conllpp_dir):
    """The CoNLL++ test split's sentences and a realistic corrupted copy of its gold tags: entities
    dropped, given the wrong type, cut short or extended by a word, and spurious one-word entities."""
    sentences = read_conll(conllpp_dir / "conllpp_test.txt")
    gold = [list(s.ner_tags) for s in sentences]
    rng = random.Random(22)
    types = ["PER", "ORG", "LOC", "MISC"]
    predicted = []
    for tags in gold:
        tags = list(tags)
        for i, tag in enumerate(list(tags)):
            roll = rng.random()
            if tag.startswith("B-") and roll < 0.05:  # drop the entity
                tags[i] = "O"
                j = i + 1
                while j < len(tags) and tags[j].startswith("I-"):
                    tags[j] = "O"
                    j += 1
            elif tag.startswith("B-") and roll < 0.10:  # wrong type
                other = rng.choice([t for t in types if t != tag[2:]])
                tags[i] = f"B-{other}"
                j = i + 1
                while j < len(tags) and tags[j] == f"I-{tag[2:]}":
                    tags[j] = f"I-{other}"
                    j += 1
            elif tag.startswith("I-") and roll < 0.08:  # cut short: the rest becomes its own entity
                tags[i] = "B-" + tag[2:]
            elif tag == "O" and roll < 0.02:  # spurious, or a neighbour's extension
                tags[i] = f"I-{tags[i - 1][2:]}" if i and tags[i - 1] != "O" else f"B-{rng.choice(types)}"
        predicted.append(tags)
    return sentences, gold, predicted


def test_counts_give_conlleval_scores_per_type(test_split):
    _, gold, predicted = test_split
    metrics = compute_metrics(gold, predicted)
    counts = unit_counts(gold, predicted, ["LOC", "MISC", "ORG", "PER"]).sum(axis=0)
    f1 = f1_from_counts(counts)
    assert 0.6 < metrics.f1 < 0.95  # a realistic corruption, neither perfect nor hopeless
    assert f1[-1] == pytest.approx(metrics.f1, abs=1e-12)
    for i, entity_type in enumerate(["LOC", "MISC", "ORG", "PER"]):
        assert f1[i] == pytest.approx(metrics.per_type[entity_type].f1, abs=1e-12)
        assert counts[i, 0] + counts[i, 2] == metrics.per_type[entity_type].support


def test_nervaluate_strict_f1_equals_conlleval_f1_on_the_test_split(test_split):
    _, gold, predicted = test_split
    metrics = compute_metrics(gold, predicted)
    table = partial_match(gold, predicted).set_index(["scheme", "type"])
    assert table.loc[("strict", "ALL"), "f1"] == pytest.approx(metrics.f1, abs=1e-9)
    for entity_type, scores in metrics.per_type.items():
        assert table.loc[("strict", entity_type), "f1"] == pytest.approx(scores.f1, abs=1e-9)
        assert table.loc[("strict", entity_type), "possible"] == scores.support
    # the looser schemes forgive boundary and type errors, so they score at least as high
    assert table.loc[("strict", "ALL"), "f1"] < table.loc[("partial", "ALL"), "f1"]
    assert table.loc[("exact", "ALL"), "f1"] >= table.loc[("strict", "ALL"), "f1"]
    assert table.loc[("partial", "ALL"), "partial"] > 0


def test_a_file_without_gold_entities_has_undefined_scores_not_a_crash():
    gold = [["O", "O"], ["O"]]
    predicted = [["B-PER", "O"], ["O"]]
    comparison = compare_predictions([["a", "b"], ["c"]], gold, predicted, gold, resamples=100, source="empty.conll")
    overall = comparison.overall()
    assert overall["support"] == 0
    assert all(math.isnan(overall[key]) for key in ("f1_a", "f1_b", "difference", "ci_low", "ci_high", "p_value"))
    assert "no gold entity" in comparison.notes[0]
    assert comparison.to_dict()["scores"][-1]["f1_a"] is None  # JSON: null, not NaN
    strict = comparison.partial.set_index(["run", "scheme", "type"]).loc[("A", "strict", "ALL")]
    assert math.isnan(strict["f1"]) and strict["spurious"] == 1


def test_partial_match_counts_equal_nervaluate_on_one_document_per_sentence(test_split):
    from nervaluate import Evaluator

    _, gold, predicted = test_split
    table = partial_match(gold, predicted).set_index(["scheme", "type"])
    direct = Evaluator(gold, predicted, tags=["LOC", "MISC", "ORG", "PER"], loader="list").evaluate()
    for scheme in ("strict", "exact", "partial", "ent_type"):
        for entity_type, result in [("ALL", direct["overall"][scheme]),
                                    *((t, direct["entities"][t][scheme]) for t in direct["entities"])]:
            row = table.loc[(scheme, entity_type)]
            assert [row[k] for k in ("correct", "incorrect", "partial", "missed", "spurious")] == \
                [result.correct, result.incorrect, result.partial, result.missed, result.spurious]
            assert row["f1"] == pytest.approx(result.f1, abs=1e-12)


def test_without_nervaluate_the_error_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "nervaluate", None)  # what an install without the extra sees
    with pytest.raises(ImportError, match=r"pip install 'ner-workbench\[compare\]'"):
        partial_match([["B-PER"]], [["B-PER"]])
