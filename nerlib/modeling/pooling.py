"""Word pooling: one label per word from its sub-tokens' scores (the one decoder).

The :class:`~nerlib.tagging.tagger.Tagger` (hence ``evaluate_checkpoint`` and ``python -m nerlib
evaluate``) and the training script's validation/test scoring all read word labels through
:func:`pooled_tokens` (host side: which sub-tokens count for which word) and :func:`pool_words`
(device side: the pooled label and its probability). Two rules:

* ``"first"``: a word's label is read at its first sub-token (the model was trained with labels
  on first sub-tokens only, ``label_strategy="first"``);
* ``"mean"``: the mean of the log-probabilities of all the word's sub-tokens (trained with labels
  on every sub-token, ``label_strategy="all"``). With case markers the first sub-token of a
  capitalised word is the marker ``^``, which says little about the word itself; the mean reads
  the word's own pieces too. The mean scores better on the ``minilm-cpu`` preset over 3 seeds but
  far worse on a model trained on first sub-tokens, so the rule follows how the model was trained
  (docs/benchmarks.md, "Reading a word's label from all its sub-tokens").

The word's score is the softmax of the pooled log-probabilities (for one sub-token: its own
probability) at its label, or, as the Tagger asks (``label_types``), summed over the labels of that
label's entity type (``P(B-X) + P(I-X)``: a model that splits a word between ``B-X`` and ``I-X`` is
sure of the type, which is what its repaired output gets right or wrong), divided first by the checkpoint's temperature when it has been calibrated
(:mod:`nerlib.evaluation.calibration`); :func:`pool_words` can return the whole distribution too. The rule is recorded in the model's ``config.json`` with the rest of the encoding
(:func:`nerlib.modeling.encoding.context_config`); a checkpoint without it is read with ``"first"``.

>>> import numpy as np
>>> positions, words = pooled_tokens(np.array([1, 3]), np.array([3, 4]), "mean")
>>> positions.tolist(), words.tolist()
([1, 2, 3], [0, 0, 1])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

__all__ = ["WORD_POOLINGS", "WordPooling", "check_pooling", "pool_words", "pooled_tokens", "pooling_for_strategy",
           "word_bounds"]

WordPooling = Literal["first", "mean"]
WORD_POOLINGS: tuple[str, ...] = ("first", "mean")


def check_pooling(pooling: str) -> str:
    """Return ``pooling`` if it is a known rule (one of :data:`WORD_POOLINGS`).

    Raises
    ------
    ValueError
        Naming the choices, for an unknown rule.

    >>> check_pooling("mean")
    'mean'
    """
    if pooling not in WORD_POOLINGS:
        raise ValueError(f"unknown word pooling {pooling!r}; use one of {', '.join(WORD_POOLINGS)}")
    return pooling


def pooling_for_strategy(label_strategy: str) -> WordPooling:
    """The pooling rule for a model trained with ``label_strategy``.

    ``"mean"`` when every sub-token carried a label (``"all"``), else ``"first"``.

    >>> pooling_for_strategy("all"), pooling_for_strategy("first")
    ('mean', 'first')
    """
    return "mean" if label_strategy == "all" else "first"


def pooled_tokens(firsts: np.ndarray, ends: np.ndarray, pooling: str) -> tuple[np.ndarray, np.ndarray]:
    """Which sub-tokens count for which word.

    Parameters
    ----------
    firsts, ends:
        The flat positions (in a flattened batch) of word ``w``'s first sub-token and one past its
        last, at index ``w``; every word has at least one sub-token.
    pooling:
        ``"first"`` or ``"mean"``.

    Returns
    -------
    tuple of two int64 arrays
        ``(positions, words)``: the flat positions to read and the word (index into ``firsts``)
        each belongs to, in order: the first sub-tokens for ``"first"``, all sub-tokens for
        ``"mean"``.

    Raises
    ------
    ValueError
        For an unknown pooling rule.

    >>> positions, words = pooled_tokens(np.array([1, 3]), np.array([3, 4]), "first")
    >>> positions.tolist(), words.tolist()
    ([1, 3], [0, 1])
    """
    firsts = np.asarray(firsts, dtype=np.int64)
    if check_pooling(pooling) == "first":
        return firsts, np.arange(len(firsts), dtype=np.int64)
    counts = np.asarray(ends, dtype=np.int64) - firsts
    words = np.repeat(np.arange(len(firsts), dtype=np.int64), counts)
    # each sub-token's position: its word's first position plus its rank inside the word
    starts = np.cumsum(counts) - counts
    positions = firsts[words] + np.arange(len(words), dtype=np.int64) - starts[words]
    return positions, words


def word_bounds(word_ids: Sequence[Sequence[int]], width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each word's sub-tokens lie in a batch of rows padded to ``width``.

    Parameters
    ----------
    word_ids:
        For each row, each sub-token's word (``-1`` for special, context and padding tokens; a
        word's sub-tokens are consecutive, as :func:`nerlib.modeling.encoding.encode_examples`
        makes them); rows may be shorter than ``width``.
    width:
        The padded row length.

    Returns
    -------
    tuple of three int64 arrays
        ``(firsts, ends, owners)``: each word's first flat position and one past its last, over
        the flattened batch (as :func:`pooled_tokens` takes them), and its ``(row, word id)``
        (shape ``(words, 2)``). A word without sub-tokens (cut off by truncation) is simply absent.

    >>> firsts, ends, owners = word_bounds([[-1, 0, 0, 1, -1], [-1, 0, -1]], 5)
    >>> firsts.tolist(), ends.tolist(), owners.tolist()
    ([1, 3, 6], [3, 4, 7], [[0, 0], [0, 1], [1, 0]])
    """
    grid = np.full((len(word_ids), width), -1, dtype=np.int64)
    for row, ids in enumerate(word_ids):
        grid[row, :len(ids)] = ids
    flat = grid.ravel()
    # a word starts where a word id differs from the cell before it (or at a row's first cell)
    begins = np.ones(len(flat), dtype=bool)
    begins[1:] = flat[1:] != flat[:-1]
    begins[::width] = True
    begins &= flat >= 0
    firsts = np.flatnonzero(begins)
    # and ends where the next cell holds another word id, or at a row's end
    finishes = np.ones(len(flat), dtype=bool)
    finishes[:-1] = flat[1:] != flat[:-1]
    finishes[width - 1::width] = True
    finishes &= flat >= 0
    ends = np.flatnonzero(finishes) + 1
    return firsts, ends, np.stack([firsts // width, flat[firsts]], axis=1)


def pool_words(logits: Any, positions: Any, words: Any, n_words: int, *, temperature: float = 1.0,
               distributions: bool = False, label_types: Any = None) -> tuple[Any, ...]:
    """Pool the flattened logits into one prediction per word.

    Everything stays on the device (no host synchronisation): the sizes are host integers.

    Parameters
    ----------
    logits:
        A torch tensor ``(cells, labels)``: the batch's logits, flattened over rows.
    positions, words:
        From :func:`pooled_tokens`, as int64 tensors on the logits' device.
    n_words:
        The number of words.
    temperature:
        Divide the pooled logits by it before the softmax (temperature scaling, fitted by
        :func:`nerlib.evaluation.calibration.fit_temperature`); a positive number. It changes the
        scores, never the labels.
    distributions:
        Also return each word's whole pooled distribution (the one its label and score come from).
    label_types:
        Optionally an int64 tensor on the logits' device: per label the index of its entity type
        (:func:`nerlib.data.labels.label_types`). Then a word's score is the probability of its
        label's *type*, ``P(B-X) + P(I-X)`` (``P(O)`` for ``O``), not of the label alone: a model
        that splits a word's mass between ``B-X`` and ``I-X`` is still sure of the type, and the
        type is what the tagger's output (after the IOB2 repair) gets right or wrong
        (:mod:`nerlib.evaluation.calibration` measures this score). The label stays the arg-max.

    Returns
    -------
    tuple of tensors
        ``(scores, labels)`` of length ``n_words`` on the logits' device: each word's label id and
        the softmax of its pooled log-probabilities at that label (float32; with ``label_types``
        summed over the labels of its type); with ``distributions`` a third, ``(n_words, labels)``
        float32 tensor of the softmax over all labels (rows sum to 1, the label is its arg-max,
        the score without ``label_types`` the row's maximum).

    >>> import torch
    >>> logits = torch.tensor([[0.9, 0.1], [0.5, 0.5], [0.1, 0.9]]).log()
    >>> positions, words = pooled_tokens(np.array([0, 2]), np.array([2, 3]), "mean")
    >>> scores, labels = pool_words(logits, torch.from_numpy(positions), torch.from_numpy(words), 2)
    >>> [round(score, 2) for score in scores.tolist()], labels.tolist()
    ([0.75, 0.9], [0, 1])
    >>> _, _, probabilities = pool_words(logits, torch.from_numpy(positions), torch.from_numpy(words), 2,
    ...                                  temperature=2.0, distributions=True)
    >>> [[round(p, 2) for p in row] for row in probabilities.tolist()]
    [[0.63, 0.37], [0.25, 0.75]]

    Labels ``O, B-PER, I-PER``: a word at ``B-PER`` 0.5, ``I-PER`` 0.4 is a ``PER`` word with 0.9.

    >>> logits = torch.tensor([[0.1, 0.5, 0.4]]).log()
    >>> one = torch.zeros(1, dtype=torch.int64)
    >>> scores, labels = pool_words(logits, one, one, 1, label_types=torch.tensor([0, 1, 1]))
    >>> [round(score, 2) for score in scores.tolist()], labels.tolist()
    ([0.9], [1])
    """
    import torch

    picked = logits.index_select(0, positions).float()
    # one sub-token per word: its own softmax (bit for bit what first-sub-token reading always gave);
    # several for some word: the mean of their log-probabilities, whose softmax gives the score
    if picked.shape[0] != n_words:
        sums = torch.zeros((n_words, picked.shape[1]), dtype=picked.dtype, device=picked.device)
        sums.index_add_(0, words, torch.log_softmax(picked, dim=-1))
        counts = torch.zeros(n_words, dtype=picked.dtype, device=picked.device)
        counts.index_add_(0, words, torch.ones_like(words, dtype=picked.dtype))
        picked = sums / counts.unsqueeze(1)
    if temperature != 1.0:  # softmax is shift-invariant: raw or log-softmax'd logits scale alike
        picked = picked / temperature
    probabilities = torch.softmax(picked, dim=-1)
    scores, labels = probabilities.max(dim=-1)
    if label_types is not None:
        # (labels, labels) 0/1: same type; one small product gives each label its type's probability
        same_type = (label_types.unsqueeze(0) == label_types.unsqueeze(1)).to(probabilities.dtype)
        scores = (probabilities @ same_type).gather(1, labels.unsqueeze(1)).squeeze(1)
    return (scores, labels, probabilities) if distributions else (scores, labels)
