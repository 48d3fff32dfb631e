"""Batches of sentence indices grouped by length, so little compute is spent on padding.

Random batches of CoNLL sentences pad every sentence to the longest one in its batch; sorting
whole "mega-batches" (here 50 batches' worth) by length before cutting them into batches keeps
sentences of similar length together while the order of batches stays random (the same idea as
``transformers``' ``LengthGroupedSampler``). Pure Python; deterministic for a given seed and epoch.
``collate`` pads a batch of an encoded split into tensors and ``prefetched_batches`` does that a few
batches ahead in a thread (torch is imported only by these two).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nerlib.modeling.encoding import EncodedSplit


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


def pad_token_id(tokenizer: Any) -> int:
    """The id a batch is padded with: the tokenizer's pad token, or 0 when it has none (its padded
    positions are masked out, so any valid id does).

    >>> from types import SimpleNamespace
    >>> pad_token_id(SimpleNamespace(pad_token_id=1)), pad_token_id(SimpleNamespace(pad_token_id=None))
    (1, 0)
    """
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0


def padded_length(length: int, multiple: int | None = None) -> int:
    """``length`` rounded up to a multiple of ``multiple`` (``length`` itself without one): how long
    a batch whose longest sentence has ``length`` sub-tokens is once padded."""
    if length < 1:
        raise ValueError(f"a batch needs at least one token, got length {length}")
    return -(-length // multiple) * multiple if multiple else length


def collate(split: EncodedSplit, indices: Sequence[int], pad_id: int, pad_to_multiple_of: int | None = None):
    """Pad the sentences ``indices`` of ``split`` (a :class:`nerlib.modeling.encoding.EncodedSplit`) into a
    batch of tensors: ``input_ids``, ``attention_mask``, ``labels`` (-100 on padding) and ``index``."""
    import torch

    from nerlib.modeling.alignment import IGNORE_INDEX

    longest = padded_length(max(len(split.input_ids[i]) for i in indices), pad_to_multiple_of)
    input_ids = torch.full((len(indices), longest), pad_id, dtype=torch.long)
    labels = torch.full((len(indices), longest), IGNORE_INDEX, dtype=torch.long)
    attention = torch.zeros((len(indices), longest), dtype=torch.long)
    for row, i in enumerate(indices):
        n = len(split.input_ids[i])
        input_ids[row, :n] = torch.tensor(split.input_ids[i])
        labels[row, :n] = torch.tensor(split.labels[i])
        attention[row, :n] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels,
            "index": torch.tensor(list(indices))}



def prefetched_batches(split: EncodedSplit, batches: Sequence[list[int]], pad_id: int, device: Any,
                       pad_to_multiple_of: int | None = None, ahead: int = 2):
    """Yield ``(indices, batch)`` for ``batches`` with each batch already on ``device``.

    A background thread pads the next ``ahead`` batches while the current one trains (into pinned
    memory on CUDA, so the copy to the GPU is asynchronous): the GPU never waits for Python
    padding, and the loop issues work without a host synchronisation. Close the generator (or
    exhaust it) to stop the thread.
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    pin = getattr(device, "type", str(device)) == "cuda"

    def prepare(indices: list[int]) -> dict[str, Any]:
        batch = collate(split, indices, pad_id, pad_to_multiple_of)
        return {k: v.pin_memory() for k, v in batch.items()} if pin else batch

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="collate")
    pending: deque = deque()
    try:
        upcoming = iter(batches)
        for indices in upcoming:
            pending.append((indices, pool.submit(prepare, indices)))
            if len(pending) > ahead:
                break
        while pending:
            indices, future = pending.popleft()
            following = next(upcoming, None)
            if following is not None:
                pending.append((following, pool.submit(prepare, following)))
            yield indices, {k: v.to(device, non_blocking=pin) for k, v in future.result().items()}
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
