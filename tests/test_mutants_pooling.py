"""Word pooling: cases that kill the mutants `bench/mutation.py` found surviving in
nerlib.modeling.pooling. Expected numbers are worked out by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nerlib.modeling.pooling import check_pooling, pool_words, pooled_tokens


def test_an_unknown_pooling_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown word pooling 'max'; use one of first, mean$"):
        check_pooling("max")


@pytest.mark.parametrize("pooling", ["first", "mean"])
def test_pooled_tokens_are_int64_whatever_the_input(pooling):
    positions, words = pooled_tokens(np.array([1, 3], dtype=np.int32), np.array([3, 4], dtype=np.int32), pooling)
    assert positions.dtype == np.int64 and words.dtype == np.int64
    expected = ([1, 3], [0, 1]) if pooling == "first" else ([1, 2, 3], [0, 0, 1])
    assert (positions.tolist(), words.tolist()) == expected


def test_mean_pooling_when_there_are_as_many_labels_as_words():
    # Two labels, two words, three sub-tokens: word 0 = sub-tokens 0 and 1, word 1 = sub-token 2.
    # Word 0: mean log-probabilities of (0.9, 0.1) and (0.5, 0.5) -> softmax gives 0.75 for label 0.
    logits = torch.tensor([[0.9, 0.1], [0.5, 0.5], [0.1, 0.9]]).log()
    positions, words = pooled_tokens(np.array([0, 2]), np.array([2, 3]), "mean")
    scores, labels = pool_words(logits, torch.from_numpy(positions), torch.from_numpy(words), 2)
    assert labels.tolist() == [0, 1]
    assert scores.tolist() == pytest.approx([0.75, 0.9], abs=1e-6)
