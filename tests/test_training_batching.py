"""Length-grouped batching (nerlib.modeling.batching), used by the training loop."""

from __future__ import annotations

import random

import pytest

from nerlib.modeling.batching import (
    length_grouped_batches,
    padding_stats,
    random_batches,
    shard_batches,
    sorted_batches,
)

_rng = random.Random(7)
LENGTHS = [_rng.randint(3, 60) for _ in range(1000)]


def test_every_sentence_once_full_batches_first_and_reproducible():
    batches = length_grouped_batches(LENGTHS, 32, seed=1, epoch=0)
    assert sorted(i for b in batches for i in b) == list(range(len(LENGTHS)))
    assert all(len(b) == 32 for b in batches[:-1]) and len(batches[-1]) == 1000 % 32
    assert batches == length_grouped_batches(LENGTHS, 32, seed=1, epoch=0)
    assert batches != length_grouped_batches(LENGTHS, 32, seed=1, epoch=1)  # new order each epoch


def test_grouping_cuts_padding_against_random_batches():
    grouped = padding_stats(LENGTHS, length_grouped_batches(LENGTHS, 32))
    shuffled = padding_stats(LENGTHS, random_batches(LENGTHS, 32))
    assert grouped.real == shuffled.real == sum(LENGTHS)
    assert grouped.waste < 1.1 < 1.5 < shuffled.waste


def test_sorted_batches_put_the_longest_first():
    batches = sorted_batches(LENGTHS, 100)
    assert LENGTHS[batches[0][0]] == max(LENGTHS) and len(batches) == 10


def test_shards_are_disjoint_and_even_for_training():
    batches = length_grouped_batches(LENGTHS, 32)  # 32 batches: 31 full + 1 short
    shards = [shard_batches(batches, rank, 3) for rank in range(3)]
    assert len({len(s) for s in shards}) == 1  # same step count on every process
    seen = [i for shard in shards for b in shard for i in b]
    assert len(seen) == len(set(seen))
    uneven = [shard_batches(batches, rank, 3, even=False) for rank in range(3)]
    assert sum(len(b) for s in uneven for b in s) == len(LENGTHS)  # evaluation keeps everything
    with pytest.raises(ValueError):
        shard_batches(batches, 3, 3)
    with pytest.raises(ValueError):
        length_grouped_batches(LENGTHS, 0)
