"""Sentence splitting: cases that kill the mutants `bench/mutation.py` found surviving in
nerlib.text.sentences. Words are given by hand (joined by single spaces unless a test says
otherwise), so the splitting rules are checked apart from word splitting.
"""

from __future__ import annotations

import pytest

from nerlib.text.sentences import sentence_ranges, split_sentences
from nerlib.text.words import Word


def ranges(words: list[str], separator: str = " ", **options) -> list[tuple[int, int]]:
    text = separator.join(words)
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word) + len(separator)
    ends = [s + len(w) for s, w in zip(starts, words)]
    return [(r.start, r.stop) for r in sentence_ranges(text, words, starts, ends, **options)]


def test_punctuation_splits_by_default():
    assert ranges(["He", "won", ".", "Then"]) == [(0, 3), (3, 4)]
    assert ranges(["He", "won", ".", "Then"], punctuation=False) == [(0, 4)]


@pytest.mark.parametrize("mark", ["?!", "?.", "!.", "?!.", "..."])
def test_runs_of_final_marks_end_a_sentence(mark):
    assert ranges(["Wow", mark, "Then", "more"]) == [(0, 2), (2, 4)]


def test_a_final_mark_at_the_start_of_a_sentence_does_not_end_it():
    assert ranges([".", "Then"]) == [(0, 2)]
    # the first "." ends "Hi ."; the second one starts the next sentence and so cannot end it
    assert ranges(["Hi", ".", ".", "Then"]) == [(0, 2), (2, 4)]


def test_a_word_starting_lower_case_continues_the_sentence():
    assert ranges(["He", "won", ".", "iPhone", "sales"]) == [(0, 5)]


@pytest.mark.parametrize("separator", ["\n", "\r", "\r\n", " \n "])
def test_every_line_break_ends_a_sentence(separator):
    assert ranges(["a", "b", "c"], separator=separator) == [(0, 1), (1, 2), (2, 3)]
    assert ranges(["a", "b", "c"], separator=separator, punctuation=False) == [(0, 1), (1, 2), (2, 3)]


def test_split_sentences_uses_the_words_given_and_passes_punctuation_on():
    text = "New York. Then"
    words = [Word("New York", 0, 8), Word(".", 8, 9), Word("Then", 10, 14)]
    sentences = split_sentences(text, words)
    assert [(s.text, s.start, s.end, s.first_word) for s in sentences] == [("New York.", 0, 9, 0), ("Then", 10, 14, 2)]
    assert sentences[0].words == words[:2] and sentences[1].words == words[2:]
    (one,) = split_sentences(text, words, punctuation=False)
    assert (one.text, one.words) == (text, words)
