"""Fixing a tagged result by hand (``nerlib.views.corrections``): edits keep IOB2 valid, the
corrected entities and exports follow the edits, and edits survive a link."""

from __future__ import annotations

import json
import random

import pytest

from nerlib.data.labels import entity_spans, to_iob2
from nerlib.tagging.decoding import Entity, TaggedText, TaggedWord
from nerlib.text.words import split_words
from nerlib.views.corrections import (
    SpanEdit,
    apply_edits,
    correct,
    find_phrase,
    format_edits,
    parse_edits,
    word_range,
)

TEXT = "Maria Schneider of Siemens flew to New York Times offices ."


def tagged_text(labels: list[str], scores: dict[tuple[int, int, str], float] | None = None) -> TaggedText:
    """A TaggedText of TEXT with ``labels`` per word (entities built from them, as a tagger does)."""
    words = [TaggedWord(w.text, w.start, w.end, label, 0.5) for w, label in zip(split_words(TEXT), labels)]
    entities = []
    for span in entity_spans(labels):
        start, end = words[span.start].start, words[span.end - 1].end
        entities.append(Entity(TEXT[start:end], span.label, start, end, (scores or {}).get((start, end, span.label), 0.8)))
    return TaggedText(TEXT, words, entities)


MODEL = ["B-PER", "I-PER", "O", "B-ORG", "O", "O", "B-ORG", "I-ORG", "I-ORG", "O", "O"]


def is_iob2(labels: list[str]) -> bool:
    return to_iob2(labels) == labels


def test_random_edits_always_leave_valid_iob2():
    rng = random.Random(0)
    for _ in range(500):
        labels = to_iob2([rng.choice(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]) for _ in range(8)])
        edits = []
        for _ in range(rng.randint(1, 4)):
            start = rng.randrange(8)
            edits.append(SpanEdit(start, rng.randint(start + 1, 8), rng.choice([None, "PER", "LOC", "ORG"])))
        after = apply_edits(labels, edits)
        assert is_iob2(after), (labels, edits, after)
        last = edits[-1]  # the last edit wins over its range
        expected = (["O"] * (last.end - last.start) if last.label is None
                    else [f"B-{last.label}"] + [f"I-{last.label}"] * (last.end - last.start - 1))
        assert after[last.start:last.end] == expected


def test_cutting_an_entity_keeps_the_rest_an_entity_of_its_own():
    # "New York Times" ORG -> "New York" LOC: "Times" stays ORG, not glued to anything
    after = apply_edits(MODEL, [SpanEdit(6, 8, "LOC")])
    assert after[6:9] == ["B-LOC", "I-LOC", "B-ORG"]
    # dropping "Maria" leaves "Schneider" a PER of its own
    assert apply_edits(MODEL, [SpanEdit(0, 1, None)])[:2] == ["O", "B-PER"]


def test_corrected_entities_scores_and_flags():
    tagged = tagged_text(MODEL)
    fixed = correct(tagged, [SpanEdit(3, 4, "ORG"), SpanEdit(6, 9, "LOC"), SpanEdit(0, 2, None), SpanEdit(9, 10, "MISC")])
    got = [(e.text, e.label, e.score, e.corrected) for e in fixed.entities]
    # re-typing Siemens as its own type is no change: it keeps the model's score and no flag
    assert got == [("Siemens", "ORG", 0.8, False), ("New York Times", "LOC", None, True), ("offices", "MISC", None, True)]
    assert [(e.text, e.label) for e in fixed.dropped] == [("Maria Schneider", "PER"), ("New York Times", "ORG")]
    assert all(TEXT[e.start:e.end] == e.text for e in fixed.entities)
    changed = {w.text: (w.label, w.score) for w in fixed.words}
    assert changed["Maria"] == ("O", 1.0) and changed["flew"] == ("O", 0.5) and changed["Times"] == ("I-LOC", 1.0)


def test_exports_carry_the_corrections():
    tagged = tagged_text(MODEL)
    assert correct(tagged, []).to_dict() == tagged.to_dict()  # no fix: exactly `nerlib tag`'s line
    assert correct(tagged, []).to_conll() == tagged.to_conll()
    fixed = correct(tagged, [SpanEdit(6, 8, "LOC")])
    as_json = json.loads(json.dumps(fixed.to_dict()))
    assert as_json["corrected"] is True and as_json["edits"] == [{"start": 6, "end": 8, "label": "LOC"}]
    assert [(e["text"], e["label"], e["corrected"]) for e in as_json["entities"]] == [
        ("Maria Schneider", "PER", False), ("Siemens", "ORG", False), ("New York", "LOC", True), ("Times", "ORG", True)]
    assert as_json["entities"][0]["score"] == 0.8 and as_json["entities"][2]["score"] is None
    rows = [line.split(" ") for line in fixed.to_conll().rstrip("\n").split("\n")]
    assert rows[6:9] == [["New", "B-LOC"], ["York", "I-LOC"], ["Times", "B-ORG"]]
    assert len(rows) == len(tagged.words)


def test_edits_survive_a_link_and_bad_ones_are_refused():
    edits = [SpanEdit(0, 2, "ORG"), SpanEdit(5, 6, None), SpanEdit(3, 4, "GPE")]
    assert parse_edits(format_edits(edits)) == edits
    assert parse_edits("") == []
    for bad in ("1-1:ORG", "0-2", "a-b:ORG", "0-2:<b>", "0-2:ORG;x"):
        with pytest.raises(ValueError):
            parse_edits(bad)
    with pytest.raises(ValueError, match="outside the 11 words"):
        parse_edits("9-12:ORG", words=11)
    with pytest.raises(ValueError, match="at most"):
        parse_edits(",".join(["0-1:ORG"] * 201))


def test_find_phrase_and_word_range_on_real_words():
    words = split_words(TEXT)
    assert find_phrase(words, TEXT, "New York") == [(6, 8)]
    assert find_phrase(words, TEXT, "new york times") == [(6, 9)]  # case ignored when exact case is absent
    assert find_phrase(words, TEXT, "ork Tim") == [(7, 9)]  # the words a match touches
    assert find_phrase(words, TEXT, "Berlin") == [] and find_phrase(words, TEXT, "  ") == []
    assert word_range(words, TEXT.index("Siemens"), TEXT.index("Siemens") + 7) == (3, 4)
    many = " ".join(["a"] * 500)
    assert len(find_phrase(split_words(many), many, "a")) == 100  # bounded
