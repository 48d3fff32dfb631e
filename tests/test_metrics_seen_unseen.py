"""Seen/unseen entity scores on a hand-made dataset whose answer is counted by hand."""

import json

import pytest

from nerlib.evaluation.metrics import (
    EntityMetrics,
    compute_metrics,
    entity_surface_forms,
    seen_unseen_by_run,
    seen_unseen_frame,
)

TRAIN_TOKENS = [["Paris", "is", "in", "France", "."], ["Acme", "Corp", "hired", "John", "Smith"]]
TRAIN_TAGS = [["B-LOC", "O", "O", "B-LOC", "O"], ["B-ORG", "I-ORG", "O", "B-PER", "I-PER"]]

# gold entities: Paris (seen), Lyon (unseen), John Smith (seen), Mary Jones (unseen), Acme Corp (seen)
TEST_TOKENS = [["Paris", "and", "Lyon", "."], ["John", "Smith", "met", "Mary", "Jones"], ["Acme", "Corp", "fell"]]
GOLD = [["B-LOC", "O", "B-LOC", "O"], ["B-PER", "I-PER", "O", "B-PER", "I-PER"], ["B-ORG", "I-ORG", "O"]]
# predicted: Paris right (seen), Lyon as ORG (unseen, wrong), John Smith right (seen),
# Mary right-boundary-wrong ("Mary" alone, unseen surface form), "Acme" alone as ORG (seen form? no:
# "Acme" alone never occurred as an entity -> unseen, wrong); "fell" spurious MISC (unseen)
PRED = [["B-LOC", "O", "B-ORG", "O"], ["B-PER", "I-PER", "O", "B-PER", "O"], ["B-ORG", "O", "B-MISC"]]


def test_surface_forms():
    assert entity_surface_forms(TRAIN_TOKENS, TRAIN_TAGS) == {"Paris", "France", "Acme Corp", "John Smith"}


def test_known_answer():
    seen = entity_surface_forms(TRAIN_TOKENS, TRAIN_TAGS)
    m = compute_metrics(GOLD, PRED, tokens=TEST_TOKENS, seen=seen)
    # seen gold: Paris, John Smith, Acme Corp (3); seen predictions: Paris, John Smith (2, both right)
    assert (m.seen.support, m.seen.predicted, m.seen.correct) == (3, 2, 2)
    assert m.seen.precision == 1.0 and m.seen.recall == pytest.approx(2 / 3)
    assert m.seen.f1 == pytest.approx(0.8)
    # unseen gold: Lyon, Mary Jones (2); unseen predictions: Lyon/ORG, Mary, Acme, fell (4, none right)
    assert (m.unseen.support, m.unseen.predicted, m.unseen.correct) == (2, 4, 0)
    assert (m.unseen.precision, m.unseen.recall, m.unseen.f1) == (0.0, 0.0, 0.0)
    # the subsets partition the whole
    assert m.seen.support + m.unseen.support == m.support == 5
    assert m.seen.predicted + m.unseen.predicted == m.predicted == 6
    assert m.seen.correct + m.unseen.correct == round(m.precision * m.predicted)


def test_without_training_entities_no_subsets():
    m = compute_metrics(GOLD, PRED)
    assert m.seen is None and m.unseen is None
    assert m.seen_unseen_table().empty


def test_record_round_trip_and_table():
    seen = entity_surface_forms(TRAIN_TOKENS, TRAIN_TAGS)
    m = compute_metrics(GOLD, PRED, tokens=TEST_TOKENS, seen=seen)
    line = json.loads(json.dumps(m.to_dict()))  # what metrics.jsonl stores
    assert line["unseen"]["support"] == 2 and line["seen"]["f1"] == pytest.approx(0.8)
    assert EntityMetrics.from_dict(line) == m
    table = seen_unseen_frame(line)
    assert table["entities"].tolist() == ["seen", "unseen", "all"]
    assert table.set_index("entities").loc["all", "support"] == 5
    assert table.set_index("entities").loc["all", "correct"] == 2
    assert seen_unseen_frame({"f1": 0.5}).empty  # an older metrics line


def test_shape_mismatch_is_an_error():
    # tokens (2 sentences) against gold (3): the message names what was compared
    with pytest.raises(ValueError, match="2 token sentences but 3 gold ones"):
        compute_metrics(GOLD, PRED, tokens=TEST_TOKENS[:2], seen=set())


def test_by_run_table():
    seen = entity_surface_forms(TRAIN_TOKENS, TRAIN_TAGS)
    line = compute_metrics(GOLD, PRED, tokens=TEST_TOKENS, seen=seen).to_dict()
    table = seen_unseen_by_run({"a": line, "old": {"f1": 0.4}, "none": None, "b": line})
    assert table["run"].tolist() == ["a", "a", "a", "b", "b", "b"]
    assert table.columns[0] == "run"
    assert seen_unseen_by_run({"old": {"f1": 0.4}}).empty
