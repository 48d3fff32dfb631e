"""Batching and padding (nerlib.modeling.batching), shared by the training loop and the tagger."""

from __future__ import annotations

import random

import pytest

from nerlib.modeling.batching import (
    cheapest_batches,
    collate,
    length_grouped_batches,
    pad_rows,
    padding_stats,
    random_batches,
    shard_batches,
    sorted_batches,
    token_budget_batches,
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
    with pytest.raises(ValueError, match=r"rank 3 is outside 0\.\.2"):
        shard_batches(batches, 3, 3)
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        length_grouped_batches(LENGTHS, 0)


def test_sorted_and_grouped_batches_cut_like_plain_slices():
    """Training's batchers cut through the tagger's token-budget batcher; without a token budget
    or padding limit that must be plain slices of ``batch_size`` (the cut they always made)."""
    order = sorted(range(len(LENGTHS)), key=lambda i: -LENGTHS[i])
    for batch_size in (1, 7, 32, 1000, 2000):
        assert sorted_batches(LENGTHS, batch_size) == [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng = random.Random(1 * 1_000_003 + 2)  # length_grouped_batches' own seeding, written out
    shuffled = list(range(len(LENGTHS)))
    rng.shuffle(shuffled)
    expected = []
    for start in range(0, len(shuffled), 32 * 5):
        group = sorted(shuffled[start:start + 32 * 5], key=lambda i: -LENGTHS[i])
        expected.extend(group[i:i + 32] for i in range(0, len(group), 32))
    full, rest = [b for b in expected if len(b) == 32], [b for b in expected if len(b) != 32]
    rng.shuffle(full)
    assert length_grouped_batches(LENGTHS, 32, seed=1, epoch=2, mega_batch_factor=5) == full + rest
    assert sorted_batches([], 4) == [] and token_budget_batches([]) == []
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        sorted_batches(LENGTHS, 0)


def test_batches_are_cut_by_tokens_when_a_token_budget_is_set():
    lengths = sorted([120, 118, 64, 60, 60, 59, 30, 30, 29, 29, 28, 10, 9, 9, 9, 9, 8], reverse=True)
    assert (len(token_budget_batches(lengths, None, 1 << 20, padding=0.5))
            < len(token_budget_batches(lengths, None, 1 << 20, padding=0.1)))
    for batch_size, max_tokens in [(64, None), (None, 128), (3, 256), (None, 100)]:
        batches = token_budget_batches(lengths, batch_size, max_tokens, padding=0.1)
        assert [i for b in batches for i in b] == list(range(len(lengths)))  # every window once, in order
        for b in batches:
            assert batch_size is None or len(b) <= batch_size
            # padded tokens stay within the budget (a single window longer than it goes alone)
            assert max_tokens is None or len(b) * lengths[b.start] <= max_tokens or len(b) == 1
            # padding stays within its share
            padded = len(b) * lengths[b.start]
            assert padded - sum(lengths[i] for i in b) <= 0.1 * padded


def _cheapest_by_brute_force(lengths, batch_size, max_tokens, pass_tokens):
    """The least total cost over every way to cut ``lengths`` into consecutive batches."""
    best = None
    for mask in range(1 << (len(lengths) - 1)):  # bit k set: a batch ends after position k
        ends = [k + 1 for k in range(len(lengths) - 1) if mask >> k & 1] + [len(lengths)]
        starts, cost = [0] + ends[:-1], 0
        for begin, end in zip(starts, ends):
            rows = end - begin
            if (batch_size and rows > batch_size) or (max_tokens and rows > 1 and rows * lengths[begin] > max_tokens):
                break
            cost += pass_tokens + rows * lengths[begin]
        else:
            best = cost if best is None else min(best, cost)
    return best


def test_the_cheapest_cut_costs_least_of_every_cut():
    rng = random.Random(7)
    for _ in range(300):
        lengths = sorted((rng.randint(1, 60) for _ in range(rng.randint(1, 9))), reverse=True)
        batch_size, max_tokens = rng.choice([None, 1, 2, 3, 5]), rng.choice([None, 40, 100, 250])
        pass_tokens = rng.choice([0, 5, 30, 125, 400])
        batches = cheapest_batches(lengths, batch_size, max_tokens, pass_tokens)
        assert [i for b in batches for i in b] == list(range(len(lengths)))  # every position once, in order
        assert all(batch_size is None or len(b) <= batch_size for b in batches)
        assert all(max_tokens is None or len(b) == 1 or len(b) * lengths[b.start] <= max_tokens for b in batches)
        cost = sum(pass_tokens + len(b) * lengths[b.start] for b in batches)
        assert cost == _cheapest_by_brute_force(lengths, batch_size, max_tokens, pass_tokens), (lengths, batches)
    assert cheapest_batches([]) == []
    with pytest.raises(ValueError, match="pass_tokens must be at least 0, got -1"):
        cheapest_batches([3], pass_tokens=-1)


@pytest.mark.parametrize("cut", [cheapest_batches, token_budget_batches])
def test_batch_limits_are_checked_at_their_bounds(cut):
    assert cut([2, 1], 1, 1) == [range(0, 1), range(1, 2)]  # the smallest limits are usable
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        cut([3], 0)
    with pytest.raises(ValueError, match="max_tokens must be at least 1, got 0"):
        cut([3], None, 0)


def test_the_cuts_at_their_edges():
    # no fixed cost by default: [2, 1] apart costs 3 tokens, together 4 (with 1 per pass: a tie,
    # and of equal costs the larger first batch)
    assert cheapest_batches([2, 1]) == [range(0, 1), range(1, 2)]
    assert cheapest_batches([2, 1], pass_tokens=1) == [range(0, 2)]
    # padding exactly at the share is allowed: 2 of 8 padded positions at 25%
    assert token_budget_batches([4, 2], padding=0.25) == [range(0, 2)]
    # the share counts every sequence taken so far: 9 of 30 padded, under half
    assert token_budget_batches([10, 10, 1], padding=0.5) == [range(0, 3)]


def test_a_few_ragged_sentences_share_a_few_passes():
    # a served batch: a dozen short sentences of many lengths, which the 10% share alone cuts apart
    lengths = [41, 33, 30, 24, 22, 19, 17, 15, 12, 11, 9, 6]
    assert len(token_budget_batches(lengths, 64, None, padding=0.1)) == 7
    assert cheapest_batches(lengths, 64, None, pass_tokens=125) == [range(0, 5), range(5, 12)]  # 5 x 41 + 7 x 19
    assert cheapest_batches(lengths, 64, None, pass_tokens=1000) == [range(0, 12)]
    assert len(cheapest_batches(lengths, 64, None, pass_tokens=0)) == 12  # only padding counts: each alone


def _collate_reference(split, indices, pad_id, pad_to_multiple_of=None):
    """collate as it was written before it shared pad_rows with the tagger: one row at a time, in torch."""
    import torch

    longest = max(len(split.input_ids[i]) for i in indices)
    if pad_to_multiple_of:
        longest = -(-longest // pad_to_multiple_of) * pad_to_multiple_of
    input_ids = torch.full((len(indices), longest), pad_id, dtype=torch.long)
    labels = torch.full((len(indices), longest), -100, dtype=torch.long)
    attention = torch.zeros((len(indices), longest), dtype=torch.long)
    for row, i in enumerate(indices):
        n = len(split.input_ids[i])
        input_ids[row, :n] = torch.tensor(split.input_ids[i])
        labels[row, :n] = torch.tensor(split.labels[i])
        attention[row, :n] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels, "index": torch.tensor(list(indices))}


@pytest.mark.parametrize("pad_to_multiple_of", [None, 8])
def test_collate_pads_like_the_row_by_row_reference(pad_to_multiple_of):
    torch = pytest.importorskip("torch")
    from types import SimpleNamespace

    rng = random.Random(5)
    input_ids = [[101] + [rng.randrange(1000, 2000) for _ in range(n)] + [102] for n in LENGTHS[:40]]
    labels = [[-100] + [rng.randrange(9) for _ in ids[2:]] + [-100] for ids in input_ids]
    split = SimpleNamespace(input_ids=input_ids, labels=labels)
    indices = [3, 17, 0, 39, 8]
    ours = collate(split, indices, 7, pad_to_multiple_of)
    reference = _collate_reference(split, indices, 7, pad_to_multiple_of)
    assert ours.keys() == reference.keys()
    for key in reference:
        assert ours[key].dtype == reference[key].dtype == torch.long
        assert torch.equal(ours[key], reference[key]), key
    if pad_to_multiple_of:
        assert ours["input_ids"].shape[1] % pad_to_multiple_of == 0


def test_pad_rows_to_a_given_width():
    padded, real = pad_rows([[1, 2], [3]], fill=-100, width=4)
    assert padded.tolist() == [[1, 2, -100, -100], [3, -100, -100, -100]]
    assert real.sum(axis=1).tolist() == [2, 1]
