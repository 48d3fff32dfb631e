"""IOB handling: conversion, repair and entity spans with conlleval semantics."""

import pytest

from nerlib.data.labels import NER_LABELS, Span, entity_spans, id2label, is_iob1, label2id, to_iob2


def test_label_order_matches_hugging_face_conllpp():
    assert list(NER_LABELS) == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
    assert id2label()[3] == "B-ORG" and label2id()["I-MISC"] == 8


def test_to_iob2_repairs_like_conlleval():
    assert to_iob2(["I-PER", "I-PER", "O", "I-LOC", "I-ORG", "B-ORG", "I-ORG"]) == [
        "B-PER", "I-PER", "O", "B-LOC", "B-ORG", "B-ORG", "I-ORG",
    ]
    iob2 = ["B-PER", "I-PER", "B-PER", "O"]
    assert to_iob2(iob2) == iob2


def test_is_iob1():
    assert is_iob1(["I-PER", "B-PER", "O"])
    assert not is_iob1(["B-PER", "I-PER", "O"])
    assert not is_iob1(["O", "O"])


def test_entity_spans():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG", "I-ORG", "B-MISC"]
    assert entity_spans(tags) == [
        Span("PER", 0, 2), Span("LOC", 3, 4), Span("LOC", 4, 5), Span("ORG", 5, 7), Span("MISC", 7, 8),
    ]
    assert entity_spans([]) == []
    assert len(Span("PER", 2, 5)) == 3


def test_bad_tag_raises():
    with pytest.raises(ValueError, match="not an IOB tag"):
        entity_spans(["B-PER", "Q"])
