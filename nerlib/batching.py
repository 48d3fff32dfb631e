"""Batches of sentence indices grouped by length, so little compute is spent on padding.

Random batches of CoNLL sentences pad every sentence to the longest one in its batch; sorting
whole "mega-batches" (here 50 batches' worth) by length before cutting them into batches keeps
sentences of similar length together while the order of batches stays random (the same idea as
``transformers``' ``LengthGroupedSampler``). Pure Python; deterministic for a given seed and epoch.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence


def length_grouped_batches(
    lengths: Sequence[int],
    batch_size: int,
    *,
    seed: int = 0,
    epoch: int = 0,
    mega_batch_factor: int = 50,
) -> list[list[int]]:
    """Return batches of indices into ``lengths`` for one training epoch.

    The indices are shuffled (seeded by ``seed`` and ``epoch``), split into mega-batches of
    ``batch_size * mega_batch_factor``, each sorted by length (longest first) and cut into batches;
    the batches are then shuffled. Every index appears exactly once; only the last batch may be
    smaller than ``batch_size``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    mega = batch_size * max(1, mega_batch_factor)
    batches: list[list[int]] = []
    for start in range(0, len(order), mega):
        group = sorted(order[start:start + mega], key=lambda i: -lengths[i])
        batches.extend(group[i:i + batch_size] for i in range(0, len(group), batch_size))
    # keep the short remainder batch last so all full batches have the same size
    full = [b for b in batches if len(b) == batch_size]
    rest = [b for b in batches if len(b) != batch_size]
    rng.shuffle(full)
    return full + rest


def random_batches(lengths: Sequence[int], batch_size: int, *, seed: int = 0, epoch: int = 0) -> list[list[int]]:
    """Return plainly shuffled batches (the usual ``DataLoader(shuffle=True)`` order), for comparison."""
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Return batches of indices sorted by length (longest first), for evaluation: the least
    padding, and the slowest batch comes first so memory problems show at once."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def shard_batches(batches: Sequence[list[int]], rank: int, world_size: int, *, even: bool = True) -> list[list[int]]:
    """Return process ``rank``'s share of ``batches`` (every ``world_size``-th batch).

    With ``even=True`` (training) the list is first cut to a multiple of ``world_size`` so every
    process runs the same number of steps, as distributed data parallel requires.
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is outside 0..{world_size - 1}")
    usable = len(batches) - len(batches) % world_size if even and world_size > 1 else len(batches)
    return [list(b) for b in batches[rank:usable:world_size]]


@dataclass
class PaddingStats:
    """Token counts of a batching: ``real`` tokens, ``padded`` = positions computed (batch size
    times the longest sentence, per batch); ``waste`` = padded / real (1.0 = no padding)."""

    real: int
    padded: int

    @property
    def waste(self) -> float:
        return self.padded / self.real if self.real else 1.0


def padding_stats(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> PaddingStats:
    """Return the :class:`PaddingStats` of ``batches`` over sequences of ``lengths``."""
    real = sum(lengths[i] for batch in batches for i in batch)
    padded = sum(len(batch) * max(lengths[i] for i in batch) for batch in batches if batch)
    return PaddingStats(real, padded)
