"""Length-grouped batching (nerlib.batching), used by the training loop."""

from __future__ import annotations

import random

import pytest

from nerlib.batching import (
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


# -- entity masking (training-time augmentation)


def _masking_split():
    """Two encoded sentences with case markers, and a context token (word id -1) in the first."""
    from nerlib.encoding import EncodedSplit

    # ids: 101 [CLS], 102 [SEP], 7 = case marker, 50.. word pieces, 90 a context sub-token
    input_ids = [[101, 90, 7, 50, 51, 60, 7, 52, 102], [101, 7, 53, 61, 62, 102]]
    word_ids = [[-1, -1, 0, 0, 0, 1, 2, 2, -1], [-1, 0, 0, 1, 2, -1]]
    labels = [[-100, -100, 1, -100, -100, 0, 5, -100, -100], [-100, 3, -100, 0, 0, -100]]
    tokens = [["Peterson", "visited", "Ghana"], ["EU", "rejects", "it"]]
    gold = [["B-PER", "O", "B-LOC"], ["B-ORG", "O", "O"]]
    return EncodedSplit("train", input_ids, labels, word_ids, tokens, gold, 0)


def test_entity_masking_hides_entity_words_but_keeps_markers_labels_and_context():
    from nerlib.batching import EntityMasking, collate

    split = _masking_split()
    batch = collate(split, [0, 1], 0, masking=EntityMasking(1.0, mask_id=103, keep_ids=frozenset({7})))
    assert batch["input_ids"][0].tolist() == [101, 90, 7, 103, 103, 60, 7, 103, 102]
    assert batch["input_ids"][1].tolist()[:6] == [101, 7, 103, 61, 62, 102]
    plain = collate(split, [0, 1], 0)
    assert batch["labels"].equal(plain["labels"]) and batch["attention_mask"].equal(plain["attention_mask"])


def test_entity_masking_off_or_zero_changes_nothing():
    from nerlib.batching import EntityMasking, collate

    split = _masking_split()
    plain = collate(split, [1, 0], 0)
    zero = collate(split, [1, 0], 0, masking=EntityMasking(0.0, mask_id=103))
    assert plain["input_ids"].equal(zero["input_ids"])


def test_entity_masking_is_reproducible_per_epoch_and_batch_and_near_its_rate():
    from nerlib.batching import EntityMasking
    from nerlib.encoding import EncodedSplit

    n = 400
    split = EncodedSplit("train", [[101, 50 + i % 7, 102] for i in range(n)], [[-100, 1, -100]] * n,
                         [[-1, 0, -1]] * n, [["Name"]] * n, [["B-PER"]] * n, 0)
    masking = EntityMasking(0.25, mask_id=103, seed=3)

    def masked(m: EntityMasking, indices: list[int]) -> list[bool]:
        rng = m.rng(indices)
        return [m.apply(split.input_ids[i], split.word_ids[i], split.gold[i], rng)[1] == 103 for i in indices]

    indices = list(range(n))
    first = masked(masking, indices)
    assert first == masked(EntityMasking(0.25, mask_id=103, seed=3), indices)  # after a resume: the same draws
    assert first != masked(masking.for_epoch(1), indices)
    assert 0.18 < sum(first) / n < 0.32


def test_entity_masking_rejects_a_probability_outside_0_1():
    from nerlib.batching import EntityMasking

    with pytest.raises(ValueError, match="within 0..1"):
        EntityMasking(1.5, mask_id=103)
