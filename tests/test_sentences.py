"""Sentence splitting: exact offsets, line breaks and sentence punctuation; the tagger never lets
an entity cross a sentence boundary."""

import pytest

from nerlib.text.sentences import sentence_word_ranges, split_sentences
from nerlib.text.words import split_words


@pytest.mark.parametrize("text, expected", [
    ("Robert Galvin\nMELBOURNE 1996-12-06", ["Robert Galvin", "MELBOURNE 1996-12-06"]),
    ("He won. Then he left.", ["He won.", "Then he left."]),
    ('She said "I left." Then Mr. Smith came. the end', ['She said "I left."', "Then Mr. Smith came. the end"]),
    ("The U.S. Army won 3-1. Next year ...", ["The U.S. Army won 3-1.", "Next year ..."]),
    ("Is it? Yes! (Really.) 1996 was good", ["Is it?", "Yes!", "(Really.)", "1996 was good"]),
    ("1. Steffi Graf (Germany)\r\n2. Monica Seles", ["1. Steffi Graf (Germany)", "2. Monica Seles"]),
    ("  one line only  ", ["one line only"]),
    ("", []),
    ("\n \n", []),
])
def test_split_sentences(text, expected):
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == expected
    for sentence in sentences:
        assert text[sentence.start:sentence.end] == sentence.text
        assert all(text[w.start:w.end] == w.text for w in sentence.words)


def test_word_ranges_cover_every_word_once():
    text = "A b. C d\n\nE f? G\nh i"
    words = split_words(text)
    ranges = sentence_word_ranges(text, words)
    assert [i for r in ranges for i in r] == list(range(len(words)))
    assert [" ".join(words[i].text for i in r) for r in ranges] == ["A b .", "C d", "E f ?", "G", "h i"]
    lines_only = sentence_word_ranges(text, words, punctuation=False)
    assert [" ".join(words[i].text for i in r) for r in lines_only] == ["A b . C d", "E f ? G", "h i"]


def test_first_word_indices():
    sentences = split_sentences("Paris is big.\nBerlin too.")
    assert [s.first_word for s in sentences] == [0, 4]


def test_tagger_entities_never_cross_a_line_break():
    from nerlib.tagging.tagger import Tagger
    from tests.test_tagger import build_keyword_model

    model, tokenizer = build_keyword_model()
    tagger = Tagger(model, tokenizer, device="cpu")
    # Smith and Jones are I-PER: on one line they form one entity, across a line break two
    one_line = tagger.tag("Angela Smith Jones")
    assert [e.text for e in one_line.entities] == ["Angela Smith Jones"]
    text = "Angela Smith\nJones said . Nairobi York\n\nNairobi"
    tagged = tagger.tag(text)
    assert [(e.text, e.label) for e in tagged.entities] == [
        ("Angela Smith", "PER"), ("Jones", "PER"), ("Nairobi York", "LOC"), ("Nairobi", "LOC")]
    for entity in tagged.entities:
        assert text[entity.start:entity.end] == entity.text and "\n" not in entity.text
    assert tagged.words[2].label == "B-PER"  # the repaired label starts the new sentence's entity
    assert [w.text for w in tagged.words] == [w.text for w in split_words(text)]
