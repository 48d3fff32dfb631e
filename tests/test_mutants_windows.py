"""Cutting sentences into model windows (``sentence_windows``): cases that kill the mutants
`bench/mutation.py` found surviving in nerlib.modeling.encoding. Sentences are built by hand:
sentence ``k`` has sub-token ids ``100 * k + 1, 100 * k + 2, ...`` and one sub-token per word
unless a test says otherwise, so every window's contents can be written out.
"""

from __future__ import annotations

import numpy as np
import pytest

from nerlib.modeling.encoding import EncodedWords, sentence_windows

CLS, SEP = 1, 2


def sentence(k: int, n_tokens: int, starts: list[int] | None = None) -> EncodedWords:
    ids = [100 * k + i for i in range(1, n_tokens + 1)]
    return EncodedWords(ids, np.array(starts if starts is not None else list(range(n_tokens + 1))))


def spans(windows):
    return [(w.sentence, w.first_word, w.end_word) for w in windows]


def test_the_smallest_room_is_two_sub_tokens():
    windows, _ = sentence_windows([sentence(0, 2)], max_length=4, prefix=[CLS], suffix=[SEP])
    assert windows[0].input_ids == [CLS, 1, 2, SEP]
    with pytest.raises(ValueError, match=r"^max_length=3 leaves no room next to 2 special tokens$"):
        sentence_windows([sentence(0, 2)], max_length=3, prefix=[CLS], suffix=[SEP])


def test_a_sentence_that_exactly_fills_the_window_is_one_window_without_context():
    encoded = [sentence(0, 3), sentence(1, 4), sentence(2, 3)]
    windows, truncated = sentence_windows(encoded, max_length=6, prefix=[CLS], suffix=[SEP],
                                          documents=["d"] * 3, context=None)
    assert truncated == 0
    middle = windows[1]
    assert middle.input_ids == [CLS, 101, 102, 103, 104, SEP]
    assert (middle.left_context, middle.right_context, middle.target_start, middle.target_end) == (0, 0, 1, 5)


def test_one_sub_token_too_many_is_truncated():
    windows, truncated = sentence_windows([sentence(0, 5)], max_length=6, prefix=[CLS], suffix=[SEP])
    assert truncated == 1 and spans(windows) == [(0, 0, 4)]
    assert windows[0].input_ids == [CLS, 1, 2, 3, 4, SEP]
    assert (windows[0].target_start, windows[0].target_end) == (1, 5)


def test_every_long_sentence_counts_as_truncated():
    _, truncated = sentence_windows([sentence(0, 9), sentence(1, 1), sentence(2, 9)], max_length=6,
                                    prefix=[CLS], suffix=[SEP])
    assert truncated == 2


def test_context_is_off_by_default_and_one_sub_token_is_some():
    encoded = [sentence(0, 2), sentence(1, 2), sentence(2, 2)]
    plain, _ = sentence_windows(encoded, max_length=16, prefix=[CLS], suffix=[SEP], documents=["d"] * 3)
    assert plain[1].input_ids == [CLS, 101, 102, SEP]
    one, _ = sentence_windows(encoded, max_length=16, prefix=[CLS], suffix=[SEP], documents=["d"] * 3, context=1)
    assert one[1].input_ids == [CLS, 2, 101, 102, 201, SEP]
    assert (one[1].left_context, one[1].right_context, one[1].target_start, one[1].target_end) == (1, 1, 2, 4)
    assert one[1].word_positions == [2, 3]


def test_context_stays_inside_the_document_and_counts_what_the_left_really_has():
    # documents a | b b b: the target (sentence 2) has 1 sub-token on its left in document b and 10
    # on its right; 6 - 1 = 5 free places: 1 left, 4 right.
    encoded = [sentence(0, 5), sentence(1, 1), sentence(2, 1), sentence(3, 10)]
    windows, _ = sentence_windows(encoded, max_length=8, prefix=[CLS], suffix=[SEP], documents=list("abbb"),
                                  context=None)
    target = windows[2]
    assert target.input_ids == [CLS, 101, 201, 301, 302, 303, 304, SEP]
    assert (target.left_context, target.right_context) == (1, 4)


def test_a_shorter_training_window_caps_the_context():
    # The model was trained with windows of 6 (context_length): 6 - 2 special - 2 target = 2 context,
    # although the tagger's window (max_length 16) has room for more.
    encoded = [sentence(0, 5), sentence(1, 2), sentence(2, 5)]
    windows, _ = sentence_windows(encoded, max_length=16, prefix=[CLS], suffix=[SEP], documents=["d"] * 3,
                                  context=None, context_length=6)
    assert windows[1].input_ids == [CLS, 5, 101, 102, 201, SEP]


@pytest.mark.parametrize(("capacity", "overlap", "expected"), [
    (2, 1, [(0, 0, 2), (0, 1, 3), (0, 2, 4), (0, 3, 5)]),
    (3, 1, [(0, 0, 3), (0, 2, 5)]),
    (2, 5, [(0, 0, 2), (0, 1, 3), (0, 2, 4), (0, 3, 5)]),  # a large overlap still moves on one word
    (2, 0, [(0, 0, 2), (0, 2, 4), (0, 4, 5)]),
])
def test_overlapping_windows_of_one_sub_token_words(capacity, overlap, expected):
    windows, truncated = sentence_windows([sentence(0, 5)], max_length=capacity + 2, prefix=[CLS], suffix=[SEP],
                                          overlap=overlap)
    assert spans(windows) == expected and truncated == 0
    for w in windows:
        assert w.input_ids == [CLS, *range(w.first_word + 1, w.end_word + 1), SEP]
        assert w.target_start == 1 and w.word_positions == list(range(1, 1 + w.end_word - w.first_word))


def test_windows_end_at_a_word_boundary_on_the_capacity():
    # words of 2, 1, 2 sub-tokens: starts 0, 2, 3, 5; capacity 3 holds words 0 and 1 exactly.
    windows, _ = sentence_windows([sentence(0, 5, [0, 2, 3, 5])], max_length=5, prefix=[CLS], suffix=[SEP],
                                  overlap=1)
    assert spans(windows) == [(0, 0, 2), (0, 1, 3)]
    assert windows[0].input_ids == [CLS, 1, 2, 3, SEP]
