"""Window merging (``merge_windows``): every word's label and score checked against a slow
reference that, word by word, picks the window where the word has the most context on its
poorer side (the earlier window on a tie). Kills the mutants `bench/mutation.py` found surviving.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from nerlib.modeling.encoding import Window, merge_windows


def window(sentence: int, first: int, end: int) -> Window:
    return Window(sentence, first, end, [], 0, 0, [])


def reference(windows, lengths, labels, scores):
    """One word at a time: the window whose margin (context on the poorer side; the sentence's
    outer edges do not count) is largest, the first such window on a tie."""
    out = []
    for sentence, n in enumerate(lengths):
        word_labels, word_scores = [], []
        for word in range(n):
            best, best_margin = None, -1
            for k, w in enumerate(windows):
                if w.sentence != sentence or not w.first_word <= word < w.end_word:
                    continue
                left = word - w.first_word if w.first_word > 0 else math.inf
                right = w.end_word - 1 - word if w.end_word < n else math.inf
                if min(left, right) > best_margin:
                    best, best_margin = k, min(left, right)
            word_labels.append(int(labels[best][word - windows[best].first_word]))
            word_scores.append(float(scores[best][word - windows[best].first_word]))
        out.append((word_labels, word_scores))
    return out


def chained_windows(sentence: int, n_words: int, width: int, step: int) -> list[Window]:
    """Windows of ``width`` words every ``step`` words, the last one ending at the sentence's end."""
    result, first = [], 0
    while True:
        end = min(first + width, n_words)
        result.append(window(sentence, first, end))
        if end == n_words:
            return result
        first += step


def distinct_predictions(windows):
    """Labels and scores that tell every (window, word) pair apart."""
    labels = [np.arange(w.end_word - w.first_word, dtype=np.int64) + 100 * k for k, w in enumerate(windows)]
    scores = [((np.arange(w.end_word - w.first_word) + 1) / 1000 + k).astype(np.float32) for k, w in enumerate(windows)]
    return labels, scores


@pytest.mark.parametrize(("n_words", "width", "step"), [(6, 4, 2), (10, 4, 3), (13, 5, 2), (9, 3, 1), (20, 8, 5),
                                                        (7, 6, 1), (11, 4, 4)])
def test_every_word_comes_from_its_best_window(n_words, width, step):
    windows = chained_windows(0, n_words, width, step)
    labels, scores = distinct_predictions(windows)
    merged = merge_windows(windows, [n_words], labels, scores)
    assert len(merged) == 1
    (got_labels, got_scores), = merged
    (want_labels, want_scores), = reference(windows, [n_words], labels, scores)
    assert got_labels.tolist() == want_labels
    assert got_scores.tolist() == pytest.approx(want_scores)
    assert got_labels.dtype == np.int64 and got_scores.dtype == np.float32


def test_a_word_is_taken_from_the_window_where_its_poorer_side_is_richer():
    # Words 0..9; window A = words 0-5, window B = words 3-9. Word 4: in A one word right of it (and
    # the sentence start on the left: no limit) -> margin 1; in B one word left of it, five right -> 1.
    # Word 5: A margin 0, B margin 2 -> B. Word 3: A margin 2, B margin 0 -> A.
    windows = [window(0, 0, 6), window(0, 3, 10)]
    labels = [np.full(6, 1, np.int64), np.full(7, 2, np.int64)]
    scores = [np.full(6, 0.1, np.float32), np.full(7, 0.9, np.float32)]
    got_labels, got_scores = merge_windows(windows, [10], labels, scores)[0]
    assert got_labels.tolist() == [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]  # word 4: a tie, the earlier window keeps it
    assert got_scores.tolist() == pytest.approx([0.1] * 5 + [0.9] * 5)


def test_the_middle_window_wins_where_both_its_sides_are_richer():
    windows = [window(0, 0, 5), window(0, 2, 9), window(0, 6, 11)]
    labels = [np.full(5, 1, np.int64), np.full(7, 2, np.int64), np.full(5, 3, np.int64)]
    scores = [np.full(5, 0.1, np.float32), np.full(7, 0.5, np.float32), np.full(5, 0.9, np.float32)]
    got_labels, _ = merge_windows(windows, [11], labels, scores)[0]
    assert got_labels.tolist() == reference(windows, [11], labels, scores)[0][0]
    # Word 3: margin 1 in the first window (one word right of it) and 1 in the second (one left of
    # it): a tie, the first keeps it. Word 7: 1 in the second, 1 in the third (one left, the sentence
    # end on the right): the second keeps it. Word 8: 0 in the second, 2 in the third.
    assert got_labels.tolist() == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]


def test_random_window_layouts_over_several_sentences():
    rng = random.Random(7)
    for _ in range(30):
        lengths, windows = [], []
        for sentence in range(rng.randint(1, 4)):
            n_words = rng.randint(0, 25)
            lengths.append(n_words)
            if n_words == 0:
                continue
            width = rng.randint(1, n_words)
            windows += chained_windows(sentence, n_words, width, rng.randint(1, width))
        labels, scores = distinct_predictions(windows)
        merged = merge_windows(windows, lengths, labels, scores)
        expected = reference(windows, lengths, labels, scores)
        assert len(merged) == len(lengths)
        for (got_labels, got_scores), (want_labels, want_scores) in zip(merged, expected):
            assert got_labels.tolist() == want_labels
            assert got_scores.tolist() == pytest.approx(want_scores)


def test_one_window_sentences_pass_their_arrays_through_and_empty_sentences_get_empty_arrays():
    only = window(1, 0, 3)
    labels, scores = np.array([4, 5, 6], np.int64), np.array([0.3, 0.2, 0.1], np.float32)
    merged = merge_windows([only], [0, 3, 0], [labels], [scores])
    assert merged[1][0] is labels and merged[1][1] is scores
    for empty in (merged[0], merged[2]):
        assert empty[0].shape == (0,) and empty[0].dtype == np.int64
        assert empty[1].shape == (0,) and empty[1].dtype == np.float32


def test_a_window_that_does_not_cover_the_whole_sentence_is_merged_not_passed_through():
    # One window starting at word 0 that stops before the end: the words after it stay at 0.
    labels, scores = np.array([7, 7], np.int64), np.array([0.5, 0.5], np.float32)
    got_labels, got_scores = merge_windows([window(0, 0, 2)], [4], [labels], [scores])[0]
    assert got_labels.tolist() == [7, 7, 0, 0] and got_scores.tolist() == [0.5, 0.5, 0.0, 0.0]
    got_labels, _ = merge_windows([window(0, 2, 4)], [4], [labels], [scores])[0]
    assert got_labels.tolist() == [0, 0, 7, 7]
