"""Word splitting around a ".": cases that kill the mutants `bench/mutation.py` found surviving in
nerlib.text.words (the fast path's context of a dotted chunk: line start and the next character).

The rules, from the pattern's comments: "1." is one word (a list item) only at the start of a
line (after nothing but spaces and tabs) and before whitespace; "M." is one word before a
capitalised word; otherwise the "." is a word of its own.
"""

from __future__ import annotations

import pytest

from nerlib.text.words import split_words, word_spans


@pytest.mark.parametrize(("text", "words"), [
    ("1.", ["1", "."]),  # the text ends: no whitespace after it
    ("1. ", ["1."]),
    ("1. x", ["1.", "x"]),
    ("ab\n1. x", ["ab", "1.", "x"]),
    ("ab\n\n1. x", ["ab", "1.", "x"]),
    ("ab\n \t1. x", ["ab", "1.", "x"]),
    ("ab 1. x", ["ab", "1", ".", "x"]),  # not at a line start
    ("\u20031. x", ["1", ".", "x"]),  # an em space is not a space or tab
    ("ab\n\u20031. x", ["ab", "1", ".", "x"]),
    ("x M. Smith", ["x", "M.", "Smith"]),
    ("x M. smith", ["x", "M", ".", "smith"]),
    ("M. Smith", ["M.", "Smith"]),
])
def test_a_dotted_chunk_splits_by_its_context(text, words):
    texts, starts, ends = word_spans(text)
    assert texts == words
    assert [text[s:e] for s, e in zip(starts, ends)] == words


def test_information_separators_are_words_not_whitespace():
    # str.split() would break at \x1c..\x1f and drop them; the pattern keeps them as words.
    assert word_spans("a\x1cb") == (["a", "\x1c", "b"], [0, 1, 2], [1, 2, 3])
    assert [w.text for w in split_words("A.\x1dB. c")] == ["A", ".", "\x1d", "B", ".", "c"]
