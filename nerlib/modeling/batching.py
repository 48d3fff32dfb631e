"""Batches of sentence indices grouped by length, so little compute is spent on padding; padding.

Random batches of CoNLL sentences pad every sentence to the longest one in its batch; sorting
whole "mega-batches" (here 50 batches' worth) by length before cutting them into batches keeps
sentences of similar length together while the order of batches stays random (the same idea as
``transformers``' ``LengthGroupedSampler``). Deterministic for a given seed and epoch.

Training and tagging share one batcher and one padding routine:

- :func:`token_budget_batches` cuts sequences sorted longest first into batches, by count, by
  padded tokens and by the share of padding (the tagger on a GPU uses all three; training's
  :func:`length_grouped_batches` and :func:`sorted_batches` only the count);
  :func:`cheapest_batches` cuts them where the padding and a pass's fixed cost add up least (the
  tagger on a CPU);
- :func:`pad_rows` pads rows of ids into one array: :func:`collate` (a batch of an encoded split,
  as tensors, for training and its evaluation) and :func:`pack_windows` (a batch of the tagger's
  windows, with the sub-tokens its word pooling reads) are built on it. ``prefetched_batches``
  collates a few batches ahead in a thread (torch is imported only by these two).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

from nerlib.modeling.pooling import pooled_tokens

if TYPE_CHECKING:
    from nerlib.modeling.encoding import EncodedSplit, Window


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
    the batches are then shuffled.

    Parameters
    ----------
    lengths:
        The length of each sentence.
    batch_size:
        Sentences per batch.
    seed, epoch:
        Seed the shuffling: the same pair gives the same batches.
    mega_batch_factor:
        Batches per mega-batch, sorted by length together (below 1 counts as 1).

    Returns
    -------
    list of list of int
        The batches. Every index appears exactly once; only the last batch may be smaller than
        ``batch_size``.

    Raises
    ------
    ValueError
        If ``batch_size`` is below 1.

    >>> batches = length_grouped_batches([5, 1, 9, 2, 7, 3, 8], 2, seed=1)
    >>> [len(b) for b in batches], sorted(i for b in batches for i in b)
    ([2, 2, 2, 1], [0, 1, 2, 3, 4, 5, 6])
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
        batches.extend(group[b.start:b.stop] for b in token_budget_batches([lengths[i] for i in group], batch_size))
    # keep the short remainder batch last so all full batches have the same size
    full = [b for b in batches if len(b) == batch_size]
    rest = [b for b in batches if len(b) != batch_size]
    rng.shuffle(full)
    return full + rest


def random_batches(lengths: Sequence[int], batch_size: int, *, seed: int = 0, epoch: int = 0) -> list[list[int]]:
    """Return plainly shuffled batches (the usual ``DataLoader(shuffle=True)`` order), for comparison.

    Parameters
    ----------
    lengths:
        The length of each sentence (only their number is used).
    batch_size:
        Sentences per batch.
    seed, epoch:
        Seed the shuffling, as in :func:`length_grouped_batches`.

    Returns
    -------
    list of list of int
        The batches; every index exactly once, only the last batch may be smaller.
    """
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Return batches of indices sorted by length (longest first), for evaluation.

    The least padding, and the slowest batch comes first so memory problems show at once.

    Parameters
    ----------
    lengths:
        The length of each sentence.
    batch_size:
        Sentences per batch.

    Returns
    -------
    list of list of int
        The batches, longest sentences first; every index exactly once.

    Raises
    ------
    ValueError
        If ``batch_size`` is below 1.

    >>> sorted_batches([3, 9, 1, 7], 2)
    [[1, 3], [0, 2]]
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[b.start:b.stop] for b in token_budget_batches([lengths[i] for i in order], batch_size)]


def token_budget_batches(lengths: Sequence[int], batch_size: int | None = None, max_tokens: int | None = None,
                         padding: float = 1.0) -> list[range]:
    """Cut sequences sorted longest first into consecutive batches.

    A batch holds at most ``batch_size`` sequences and at most ``max_tokens`` padded tokens (its
    size times its first, longest sequence; a sequence longer than that goes alone), and it ends
    before the share of padding in it would pass ``padding``: compute grows with padded tokens, so
    a batch of 64 sentences from 100 down to 30 sub-tokens would spend most of its time on padding.
    Where a forward pass also has a fixed cost that matters (a CPU), :func:`cheapest_batches`
    weighs the two.

    Parameters
    ----------
    lengths:
        Sequence lengths, longest first.
    batch_size:
        Most sequences per batch; ``None``: no limit.
    max_tokens:
        Most padded tokens per batch; ``None``: no limit.
    padding:
        Most padded positions per batch, as a share of its padded tokens; ``1.0`` (the default):
        no limit, so that batches are cut by ``batch_size`` and ``max_tokens`` only.

    Returns
    -------
    list of range
        The positions in ``lengths`` of each batch, in order; every position exactly once.

    Raises
    ------
    ValueError
        If ``batch_size`` or ``max_tokens`` is below 1.

    >>> token_budget_batches([9, 8, 8, 3, 2], batch_size=2)
    [range(0, 2), range(2, 4), range(4, 5)]
    >>> token_budget_batches([9, 8, 8, 3, 2], max_tokens=18, padding=0.2)  # 2 x 9 tokens; 5 of 16 padding
    [range(0, 2), range(2, 3), range(3, 5)]
    >>> token_budget_batches([9, 8, 8, 3, 2], padding=0.1)  # 2 of 27 padded; 8 of 36 would pass 10%
    [range(0, 3), range(3, 4), range(4, 5)]
    """
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if max_tokens is not None and max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    batches = []
    begin = 0
    while begin < len(lengths):
        longest = lengths[begin]
        rows = batch_size or len(lengths)
        if max_tokens:
            rows = min(rows, max(1, max_tokens // longest))
        end, total = begin + 1, lengths[begin]
        while end < len(lengths) and end - begin < rows:
            padded = (end + 1 - begin) * longest
            if padded - (total + lengths[end]) > padding * padded:
                break
            total += lengths[end]
            end += 1
        batches.append(range(begin, end))
        begin = end
    return batches


def cheapest_batches(lengths: Sequence[int], batch_size: int | None = None, max_tokens: int | None = None,
                     pass_tokens: int = 0) -> list[range]:
    """Cut sequences sorted longest first into the consecutive batches that cost least in all.

    A batch costs its padded tokens (its size times its first, longest sequence) plus
    ``pass_tokens``, the fixed cost of one forward pass counted in tokens: on a CPU a pass of a
    small model costs about as much as a hundred-odd tokens whatever it holds
    (docs/benchmarks.md, "HTTP service"), so a few dozen short sentences of many lengths (a
    served batch) go best in two or three passes, neither one per length nor all padded to the
    longest. The cut is exact (dynamic programming over where each batch begins), in
    ``O(len(lengths) * batch_size)``.

    Parameters
    ----------
    lengths:
        Sequence lengths, longest first.
    batch_size:
        Most sequences per batch; ``None``: no limit.
    max_tokens:
        Most padded tokens per batch (a longer sequence goes alone); ``None``: no limit.
    pass_tokens:
        The fixed cost of a batch, in tokens; 0 cuts only where padding would be wasted.

    Returns
    -------
    list of range
        The positions in ``lengths`` of each batch, in order; every position exactly once. Of two
        cuts that cost the same, the one with the larger first batches.

    Raises
    ------
    ValueError
        If ``batch_size`` or ``max_tokens`` is below 1, or ``pass_tokens`` below 0.

    >>> cheapest_batches([9, 8, 8, 3, 2], pass_tokens=10)  # 10 + 3 x 9 and 10 + 2 x 3: 53 (one pass: 55)
    [range(0, 3), range(3, 5)]
    >>> cheapest_batches([9, 8, 8, 3, 2], pass_tokens=100)  # one pass of 5 x 9
    [range(0, 5)]
    >>> cheapest_batches([9, 8, 8, 3, 2], batch_size=2, pass_tokens=100)  # 9 + 2 x 8 + 2 x 3 beats 2 x 9 + 2 x 8 + 2
    [range(0, 1), range(1, 3), range(3, 5)]
    """
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if max_tokens is not None and max_tokens < 1:
        raise ValueError(f"max_tokens must be at least 1, got {max_tokens}")
    if pass_tokens < 0:
        raise ValueError(f"pass_tokens must be at least 0, got {pass_tokens}")
    count = len(lengths)
    longest = np.asarray(lengths, dtype=np.float64)
    most_rows = batch_size or max(count, 1)
    # cost[end]: the least cost of the first `end` sequences; begin[end]: where its last batch begins
    cost = np.zeros(count + 1)
    begin = np.zeros(count + 1, dtype=np.int64)
    for end in range(1, count + 1):
        first = max(0, end - most_rows)
        rows = np.arange(end - first, 0, -1)  # batches [first, end), [first + 1, end), ...
        padded = rows * longest[first:end]
        options = cost[first:end] + pass_tokens + padded
        if max_tokens:
            options[(padded > max_tokens) & (rows > 1)] = np.inf
        best = int(np.argmin(options))  # the first of equal costs: the largest batch
        cost[end], begin[end] = options[best], first + best
    batches = []
    end = count
    while end > 0:
        batches.append(range(int(begin[end]), end))
        end = int(begin[end])
    return batches[::-1]


def shard_batches(batches: Sequence[list[int]], rank: int, world_size: int, *, even: bool = True) -> list[list[int]]:
    """Return process ``rank``'s share of ``batches`` (every ``world_size``-th batch).

    Parameters
    ----------
    batches:
        All processes' batches, in order.
    rank:
        This process's number, from 0.
    world_size:
        The number of processes.
    even:
        ``True`` (training): cut the list to a multiple of ``world_size`` first, so every process
        runs the same number of steps, as distributed data parallel requires.

    Returns
    -------
    list of list of int
        The batches of process ``rank``, in order.

    Raises
    ------
    ValueError
        If ``rank`` is not in ``0 .. world_size - 1``.

    >>> batches = [[0], [1], [2], [3], [4]]
    >>> shard_batches(batches, 0, 2), shard_batches(batches, 0, 2, even=False)
    ([[0], [2]], [[0], [2], [4]])
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is outside 0..{world_size - 1}")
    usable = len(batches) - len(batches) % world_size if even and world_size > 1 else len(batches)
    return [list(b) for b in batches[rank:usable:world_size]]


@dataclass
class PaddingStats:
    """Token counts of a batching.

    Attributes
    ----------
    real:
        The sentences' own tokens.
    padded:
        Positions computed: batch size times the longest sentence, per batch.
    """

    real: int
    padded: int

    @property
    def waste(self) -> float:
        """``padded / real`` (1.0 = no padding, and for no tokens)."""
        return self.padded / self.real if self.real else 1.0


def padding_stats(lengths: Sequence[int], batches: Sequence[Sequence[int]]) -> PaddingStats:
    """Return the :class:`PaddingStats` of ``batches`` over sequences of ``lengths``.

    Parameters
    ----------
    lengths:
        The length of each sequence.
    batches:
        Batches of indices into ``lengths``.

    Returns
    -------
    PaddingStats
        Real and padded tokens over all batches.

    >>> stats = padding_stats([3, 1, 2], [[0, 1], [2]])
    >>> stats, round(stats.waste, 2)
    (PaddingStats(real=6, padded=8), 1.33)
    """
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
    """How long a batch whose longest sentence has ``length`` sub-tokens is once padded.

    Parameters
    ----------
    length:
        Sub-tokens of the batch's longest sentence.
    multiple:
        Pad to a multiple of this; ``None`` (or 0): no rounding.

    Returns
    -------
    int
        ``length`` rounded up to a multiple of ``multiple`` (``length`` itself without one).

    Raises
    ------
    ValueError
        If ``length`` is below 1.

    >>> padded_length(13, 8), padded_length(13)
    (16, 13)
    """
    if length < 1:
        raise ValueError(f"a batch needs at least one token, got length {length}")
    return -(-length // multiple) * multiple if multiple else length


def pad_rows(rows: Sequence[Sequence[int]], fill: int, width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pad rows of integers into one array.

    Parameters
    ----------
    rows:
        At least one row; none longer than ``width``.
    fill:
        The value of the positions past a row's end.
    width:
        Columns of the result; ``None``: the longest row's length.

    Returns
    -------
    tuple of numpy.ndarray
        ``(padded, real)``: ``padded`` is ``(len(rows), width)`` int64, each row, then ``fill``;
        ``real`` is ``(len(rows), width)`` bool, True on each row's own values (the attention mask).

    >>> padded, real = pad_rows([[5, 6, 7], [8]], fill=0)
    >>> padded.tolist(), real.astype(int).tolist()
    ([[5, 6, 7], [8, 0, 0]], [[1, 1, 1], [1, 0, 0]])
    """
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    width = int(lengths.max()) if width is None else width
    # real values are the row-major cells left of each row's length: fill them all at once
    real = np.arange(width) < lengths[:, None]
    padded = np.full((len(rows), width), fill, dtype=np.int64)
    padded[real] = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum()))
    return padded, real


def collate(split: EncodedSplit, indices: Sequence[int], pad_id: int, pad_to_multiple_of: int | None = None):
    """Pad some sentences of an encoded split into a batch of tensors.

    Parameters
    ----------
    split:
        The encoded split (:class:`nerlib.modeling.encoding.EncodedSplit`).
    indices:
        The sentences of the batch, at least one.
    pad_id:
        The padding token id (:func:`pad_token_id`).
    pad_to_multiple_of:
        Pad the batch's width up to a multiple of this (see :func:`padded_length`); ``None``: to
        its longest sentence.

    Returns
    -------
    dict of torch.Tensor
        ``input_ids``, ``attention_mask``, ``labels`` (-100 on padding) and ``index`` (``indices``).
    """
    import torch

    from nerlib.modeling.alignment import IGNORE_INDEX

    longest = padded_length(max(len(split.input_ids[i]) for i in indices), pad_to_multiple_of)
    input_ids, real = pad_rows([split.input_ids[i] for i in indices], pad_id, longest)
    labels, _ = pad_rows([split.labels[i] for i in indices], IGNORE_INDEX, longest)
    return {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(real.astype(np.int64)),
            "labels": torch.from_numpy(labels), "index": torch.tensor(list(indices))}


@dataclass
class PackedWindows:
    """A batch of the tagger's windows, padded, as arrays ready for one host-to-device copy.

    Attributes
    ----------
    input_ids, attention_mask:
        ``(windows, width)`` int64.
    positions:
        The sub-tokens the word pooling rule reads, as indices into the flattened
        ``(window, position)`` grid.
    owners:
        The word each of ``positions`` belongs to (words numbered over the batch, window by
        window).
    """

    input_ids: np.ndarray
    attention_mask: np.ndarray
    positions: np.ndarray
    owners: np.ndarray

    @property
    def words(self) -> int:
        """How many words the batch labels."""
        return int(self.owners[-1]) + 1 if len(self.owners) else 0


def pack_windows(windows: Sequence[Window], pad_id: int, word_pooling: str) -> PackedWindows:
    """Pad a batch of windows and find the sub-tokens each word's label is pooled from.

    Parameters
    ----------
    windows:
        Windows from :func:`nerlib.modeling.encoding.sentence_windows`, at least one.
    pad_id:
        The padding token id (:func:`pad_token_id`).
    word_pooling:
        ``"first"`` or ``"mean"`` (:mod:`nerlib.modeling.pooling`).

    Returns
    -------
    PackedWindows
        The padded batch; a window's last word ends at its target's end.

    >>> from nerlib.modeling.encoding import Window
    >>> window = Window(0, 0, 2, [101, 7, 8, 9, 102], 1, 4, [1, 3])  # words of 2 and 1 sub-tokens
    >>> packed = pack_windows([window, Window(1, 0, 1, [101, 5, 102], 1, 2, [1])], 0, "mean")
    >>> packed.input_ids.tolist(), packed.attention_mask.tolist()
    ([[101, 7, 8, 9, 102], [101, 5, 102, 0, 0]], [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    >>> packed.positions.tolist(), packed.owners.tolist(), packed.words
    ([1, 2, 3, 6], [0, 0, 1, 2], 3)
    """
    ids, real = pad_rows([w.input_ids for w in windows], pad_id)
    width = ids.shape[1]
    words = np.fromiter((len(w.word_positions) for w in windows), dtype=np.int64, count=len(windows))
    firsts = np.fromiter(chain.from_iterable(w.word_positions for w in windows), dtype=np.int64,
                         count=int(words.sum()))
    # a word ends where the next word of its window starts; a window's last word at its target's end
    ends = np.empty_like(firsts)
    ends[:-1] = firsts[1:]
    ends[np.cumsum(words) - 1] = np.fromiter((w.target_end for w in windows), dtype=np.int64, count=len(windows))
    shift = np.repeat(np.arange(len(windows), dtype=np.int64) * width, words)
    positions, owners = pooled_tokens(firsts + shift, ends + shift, word_pooling)
    return PackedWindows(ids, real.astype(np.int64), positions, owners)



def prefetched_batches(split: EncodedSplit, batches: Sequence[list[int]], pad_id: int, device: Any,
                       pad_to_multiple_of: int | None = None, ahead: int = 2):
    """Yield ``(indices, batch)`` for ``batches`` with each batch already on ``device``.

    A background thread pads the next ``ahead`` batches while the current one trains (into pinned
    memory on CUDA, so the copy to the GPU is asynchronous): the GPU never waits for Python
    padding, and the loop issues work without a host synchronisation. Close the generator (or
    exhaust it) to stop the thread.

    Parameters
    ----------
    split:
        The encoded split (:class:`nerlib.modeling.encoding.EncodedSplit`).
    batches:
        Batches of sentence indices, in the order to yield them.
    pad_id, pad_to_multiple_of:
        As in :func:`collate`.
    device:
        A ``torch.device`` (or its name) to copy each batch to.
    ahead:
        Batches padded ahead of the one yielded.

    Yields
    ------
    tuple
        ``(indices, batch)``: a batch's indices and its :func:`collate` tensors on ``device``.
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    pin = getattr(device, "type", str(device)) == "cuda"

    def prepare(indices: list[int]) -> dict[str, Any]:
        """Collate one batch (into pinned memory on CUDA)."""
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
