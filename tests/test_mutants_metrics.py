"""Entity scores and their tables: cases that kill the mutants `bench/mutation.py` found surviving
in nerlib.evaluation.metrics. Every expected number is counted by hand in the comments.
"""

import pandas as pd
import pytest

from nerlib.evaluation.metrics import (
    SUBSET_COLUMNS,
    EntityMetrics,
    SubsetScores,
    TypeScores,
    compute_metrics,
    confusion_matrix,
    seen_unseen_by_run,
    seen_unseen_frame,
)

SEEN = frozenset({"Paris", "Rome"})


def test_subset_scores_with_equal_precision_and_recall_below_one():
    tokens = [["Paris", "and", "Rome"]]
    gold = [["B-LOC", "O", "B-LOC"]]
    pred = [["B-LOC", "O", "B-ORG"]]
    m = compute_metrics(gold, pred, tokens=tokens, seen=SEEN)
    # seen: gold Paris, Rome (2); predicted Paris/LOC (right), Rome/ORG (wrong) -> 1 of 2 both ways
    assert (m.seen.support, m.seen.predicted, m.seen.correct) == (2, 2, 1)
    assert (m.seen.precision, m.seen.recall, m.seen.f1) == (0.5, 0.5, 0.5)
    assert m.unseen == SubsetScores(0.0, 0.0, 0.0, 0, 0, 0)


def test_a_subset_without_predictions_or_without_gold_scores_zero():
    # "Lyon" is unseen and missed: support 1, nothing predicted -> precision 0 (not 1, no error).
    missed = compute_metrics([["B-LOC", "O"]], [["O", "O"]], tokens=[["Lyon", "x"]], seen=SEEN)
    assert missed.unseen == SubsetScores(0.0, 0.0, 0.0, 1, 0, 0)
    # "Nice" is unseen and predicted where gold has nothing: recall 0 (not 1, no error).
    spurious = compute_metrics([["O"]], [["B-LOC"]], tokens=[["Nice"]], seen=SEEN)
    assert spurious.unseen == SubsetScores(0.0, 0.0, 0.0, 0, 1, 0)


def test_subset_f1_is_the_harmonic_mean():
    tokens = [["Paris", "Rome", "x", "Paris"]]
    gold = [["B-LOC", "B-LOC", "O", "O"]]
    pred = [["B-LOC", "O", "O", "B-LOC"]]
    m = compute_metrics(gold, pred, tokens=tokens, seen=SEEN)
    # seen gold: Paris, Rome (2); seen predicted: Paris (right), the second Paris (wrong) -> 1/2, 1/2
    assert m.seen.f1 == pytest.approx(0.5)
    pred = [["B-LOC", "O", "O", "O"]]
    m = compute_metrics(gold, pred, tokens=tokens, seen=SEEN)
    # precision 1/1, recall 1/2 -> f1 = 2 * 1 * 0.5 / 1.5 = 2/3
    assert (m.seen.precision, m.seen.recall) == (1.0, 0.5)
    assert m.seen.f1 == pytest.approx(2 / 3)
    tokens = [["Paris", "Rome", "Paris", "x"]]
    gold = [["B-LOC", "B-LOC", "O", "O"]]
    pred = [["B-LOC", "B-LOC", "B-LOC", "B-LOC"]]
    m = compute_metrics(gold, pred, tokens=tokens, seen=SEEN)
    # seen predicted: Paris, Rome (right), Paris (wrong) -> precision 2/3, recall 2/2 -> f1 0.8
    assert (m.seen.precision, m.seen.recall) == (pytest.approx(2 / 3), 1.0)
    assert m.seen.f1 == pytest.approx(0.8)


def test_confusion_matrix_counts_repeats_and_appends_unknown_labels():
    gold = [["B-PER", "O", "O"], ["O", "B-FOO"]]
    pred = [["B-PER", "O", "B-LOC"], ["O", "B-FOO"]]
    frame = confusion_matrix(gold, pred, labels=["O", "B-PER", "B-LOC"])
    assert list(frame.index) == ["O", "B-PER", "B-LOC", "B-FOO"]
    assert list(frame.columns) == ["O", "B-PER", "B-LOC", "B-FOO"]
    assert frame.index.name == "gold" and frame.columns.name == "predicted"
    assert frame.values.tolist() == [[2, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]


def test_per_type_table_columns_and_all_row():
    metrics = EntityMetrics(precision=0.5, recall=0.25, f1=1 / 3, support=4, predicted=2, token_accuracy=0.9,
                            sentences=3, per_type={"PER": TypeScores(1.0, 0.5, 2 / 3, 2),
                                                   "LOC": TypeScores(0.0, 0.0, 0.0, 2)})
    table = metrics.table()
    assert list(table.columns) == ["type", "precision", "recall", "f1", "support"]
    assert table["type"].tolist() == ["LOC", "PER", "ALL"]
    assert table.iloc[2].tolist() == ["ALL", 0.5, 0.25, pytest.approx(1 / 3), 4]
    assert table.iloc[1].tolist() == ["PER", 1.0, 0.5, pytest.approx(2 / 3), 2]


RECORD = {"precision": 0.6, "recall": 0.5, "f1": 0.55, "support": 10, "predicted": 8,
          "seen": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 6, "predicted": 5, "correct": 4},
          "unseen": {"precision": 0.2, "recall": 0.25, "f1": 0.22, "support": 4, "predicted": 3, "correct": 1}}


def test_seen_unseen_frame_rows_in_full():
    frame = seen_unseen_frame(RECORD)
    assert list(frame.columns) == SUBSET_COLUMNS
    assert frame.values.tolist() == [
        ["seen", 0.9, 0.8, 0.85, 6, 5, 4],
        ["unseen", 0.2, 0.25, 0.22, 4, 3, 1],
        ["all", 0.6, 0.5, 0.55, 10, 8, 5],  # correct: 4 + 1
    ]


def test_tables_without_seen_unseen_keep_their_columns():
    assert list(seen_unseen_frame({"f1": 0.5}).columns) == SUBSET_COLUMNS
    empty = seen_unseen_by_run({"a": {"f1": 0.5}, "b": None})
    assert empty.empty and list(empty.columns) == ["run", *SUBSET_COLUMNS]


def test_seen_unseen_by_run_numbers_rows_from_zero():
    table = seen_unseen_by_run({"first": RECORD, "none": None, "second": RECORD})
    assert list(table.columns) == ["run", *SUBSET_COLUMNS]
    assert isinstance(table.index, pd.RangeIndex) and list(table.index) == [0, 1, 2, 3, 4, 5]
    assert table["run"].tolist() == ["first"] * 3 + ["second"] * 3
    assert table.loc[5, "entities"] == "all" and table.loc[5, "correct"] == 5


def test_empty_input_scores_all_zeros():
    m = compute_metrics([], [])
    assert (m.precision, m.recall, m.f1, m.token_accuracy, m.support, m.predicted, m.sentences) == (0, 0, 0, 0, 0, 0, 0)
    assert m.per_type == {} and m.seen is None and m.unseen is None
    m = compute_metrics([["O"]], [["O"]])
    assert m.per_type == {} and m.token_accuracy == 1.0 and m.f1 == 0.0


def test_nothing_predicted_scores_zero_with_the_gold_types_listed():
    m = compute_metrics([["B-PER", "O"]], [["O", "O"]])
    assert (m.precision, m.recall, m.f1, m.support, m.predicted) == (0.0, 0.0, 0.0, 1, 0)
    assert m.per_type == {"PER": TypeScores(0.0, 0.0, 0.0, 1)}


def test_scoring_raises_no_warnings_on_undefined_ratios():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = compute_metrics([["B-PER", "O"]], [["O", "B-LOC"]])  # LOC only predicted, PER only gold
        nothing_predicted = compute_metrics([["B-PER"]], [["O"]])  # micro precision is 0 / 0
    assert nothing_predicted.precision == 0.0
    assert m.per_type == {"LOC": TypeScores(0.0, 0.0, 0.0, 0), "PER": TypeScores(0.0, 0.0, 0.0, 1)}


def test_seen_unseen_scores_need_both_tokens_and_seen():
    gold, pred = [["B-PER"]], [["B-PER"]]
    assert compute_metrics(gold, pred, tokens=[["Ann"]]).seen is None
    only_seen = compute_metrics(gold, pred, seen=SEEN)
    assert only_seen.seen is None and only_seen.unseen is None and only_seen.f1 == 1.0
