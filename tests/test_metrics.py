"""Metrics: hand-made cases with known conlleval results, and agreement with an independent
conlleval-style count on perturbed gold labels."""

import random

import pytest

from nerlib.data.labels import ENTITY_TYPES
from nerlib.evaluation.metrics import EntityMetrics, compute_metrics, confusion_matrix


def test_known_conlleval_case():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "O", "B-MISC"]]
    pred = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O", "O", "B-MISC"]]
    # conlleval: found 4 phrases, 2 correct, 4 gold -> P = R = F1 = 50.00
    m = compute_metrics(gold, pred)
    assert (m.precision, m.recall, m.f1) == pytest.approx((0.5, 0.5, 0.5))
    assert m.support == 4 and m.predicted == 4 and m.sentences == 2
    assert m.token_accuracy == pytest.approx(6 / 8)
    assert m.per_type["PER"].f1 == 1.0 and m.per_type["LOC"].recall == 0.0
    assert m.per_type["ORG"].precision == 0.0 and m.per_type["ORG"].support == 1


def test_inside_after_outside_starts_an_entity():
    # conlleval counts "O I-PER" as a PER entity: so a B-PER prediction there is correct
    m = compute_metrics([["O", "I-PER", "I-PER"]], [["O", "B-PER", "I-PER"]])
    assert m.f1 == 1.0 and m.support == 1


def test_empty_and_shape_errors():
    assert compute_metrics([], []).f1 == 0.0
    assert compute_metrics([[]], [[]]).support == 0
    m = compute_metrics([["O", "O"]], [["B-PER", "O"]])
    assert m.precision == 0.0 and m.predicted == 1 and m.support == 0
    with pytest.raises(ValueError, match="sentence 0"):
        compute_metrics([["O"]], [["O", "O"]])
    with pytest.raises(ValueError, match="gold sentences"):
        compute_metrics([["O"]], [])


def conlleval_chunks(sentence):
    """An independent reading of conlleval's chunk rules (startOfChunk/endOfChunk)."""
    chunks, start, kind = set(), None, None
    prev_tag, prev_type = "O", ""
    for i, label in enumerate([*sentence, "O"]):
        tag, _, typ = label.partition("-")
        end = prev_tag != "O" and (tag in ("B", "O") or typ != prev_type)
        begin = tag != "O" and (tag == "B" or prev_tag == "O" or typ != prev_type)
        if end and start is not None:
            chunks.add((start, i, kind))
            start = None
        if begin:
            start, kind = i, typ
        prev_tag, prev_type = tag, typ
    return chunks


def test_equals_independent_count_on_perturbed_gold(conllpp):
    names = conllpp["test"].features["ner_tags"].feature.names
    rng = random.Random(7)
    gold = [[names[t] for t in tags] for tags in conllpp["test"]["ner_tags"]]
    pred = [[rng.choice(names) if rng.random() < 0.08 else t for t in s] for s in gold]
    m = compute_metrics(gold, pred)
    correct = found = expected = 0
    per_type = {t: [0, 0, 0] for t in ENTITY_TYPES}
    for g, p in zip(gold, pred):
        gc, pc = conlleval_chunks(g), conlleval_chunks(p)
        correct, found, expected = correct + len(gc & pc), found + len(pc), expected + len(gc)
        for column, chunks in enumerate((gc & pc, pc, gc)):
            for _, _, t in chunks:
                per_type[t][column] += 1
    precision, recall = correct / found, correct / expected
    assert m.precision == pytest.approx(precision, abs=1e-4)
    assert m.recall == pytest.approx(recall, abs=1e-4)
    assert m.f1 == pytest.approx(2 * precision * recall / (precision + recall), abs=1e-4)
    for t, (c, f, e) in per_type.items():
        assert m.per_type[t].precision == pytest.approx(c / f, abs=1e-4)
        assert m.per_type[t].recall == pytest.approx(c / e, abs=1e-4)
        assert m.per_type[t].support == e
    assert 0.5 < m.f1 < 0.95


def test_round_trip_and_table():
    m = compute_metrics([["B-PER", "O"]], [["B-PER", "O"]])
    again = EntityMetrics.from_dict(m.to_dict())
    assert again == m
    table = m.table()
    assert list(table["type"]) == ["PER", "ALL"] and table.iloc[-1]["f1"] == 1.0


def test_confusion_matrix():
    frame = confusion_matrix([["B-PER", "O", "B-LOC"]], [["B-PER", "B-LOC", "O"]])
    assert frame.loc["B-PER", "B-PER"] == 1
    assert frame.loc["O", "B-LOC"] == 1 and frame.loc["B-LOC", "O"] == 1
    assert frame.values.sum() == 3 and list(frame.index)[:3] == ["O", "B-PER", "I-PER"]


def test_a_type_only_predicted_keeps_every_type_on_its_own_row():
    # MISC is predicted but never gold: seqeval scores the union of types, so a table keyed by the
    # gold types alone would shift PER's perfect scores onto another name.
    gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    pred = [["B-PER", "I-PER", "B-MISC", "O"]]
    per_type = compute_metrics(gold, pred).per_type
    assert sorted(per_type) == ["LOC", "MISC", "PER"]
    assert (per_type["PER"].precision, per_type["PER"].recall, per_type["PER"].f1, per_type["PER"].support) == (1, 1, 1, 1)
    assert (per_type["MISC"].precision, per_type["MISC"].recall, per_type["MISC"].support) == (0, 0, 0)
    assert (per_type["LOC"].recall, per_type["LOC"].support) == (0, 1)
