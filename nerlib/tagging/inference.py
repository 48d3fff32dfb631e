"""Running a model over sentence windows: token-budget batches, one copy per batch, pooled words.

The windows of a call (:func:`nerlib.modeling.encoding.sentence_windows`) are sorted longest first
and cut into batches within a :class:`~nerlib.tagging.settings.BatchBudget` (on a CPU where
padding and each pass's fixed cost add up least, :func:`nerlib.modeling.batching.cheapest_batches`;
on a GPU by padded tokens and padding share, :func:`nerlib.modeling.batching.token_budget_batches`); each batch is padded on the host
(:func:`nerlib.modeling.batching.pack_windows`), copied to the device in one piece, run under
``torch.inference_mode()`` with the :func:`~nerlib.tagging.settings.attention_kernels`, and read
into one label and score per word by the pooling rule (:func:`nerlib.modeling.pooling.pool_words`)
on the device. Results come back to the host once per call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nerlib.modeling.batching import cheapest_batches, pack_windows, token_budget_batches
from nerlib.modeling.encoding import Window
from nerlib.modeling.pooling import pool_words
from nerlib.tagging import settings
from nerlib.tagging.settings import BatchBudget

__all__ = ["Float16Overflow", "predict_windows"]


class Float16Overflow(ArithmeticError):
    """A model running in float16 gave NaN scores: an activation passed float16's 65,504."""


def predict_windows(
    model: Any,
    windows: Sequence[Window],
    *,
    pad_id: int,
    word_pooling: str,
    budget: BatchBudget,
    device: Any,
    token_types: bool = False,
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
    distributions: bool = False,
    label_types: Sequence[int] | np.ndarray | None = None,
) -> tuple[list[np.ndarray], ...]:
    """Predict a label id and score for every target word of every window.

    Parameters
    ----------
    model:
        A ``transformers`` token classifier on ``device``, in eval mode.
    windows:
        The windows of a call (:func:`nerlib.modeling.encoding.sentence_windows`).
    pad_id:
        The padding token id (:func:`nerlib.modeling.batching.pad_token_id`).
    word_pooling:
        ``"first"`` or ``"mean"`` (:mod:`nerlib.modeling.pooling`).
    budget:
        The most windows, padded sub-tokens and padding per forward pass (:class:`BatchBudget`).
    device:
        The model's ``torch.device``.
    token_types:
        Whether the model takes ``token_type_ids`` (all zeros).
    progress:
        Called as ``progress(done, total)`` (windows) after every batch.
    temperature:
        The pooled logits are divided by it before the softmax (:func:`nerlib.modeling.pooling.pool_words`).
    distributions:
        Also return every target word's whole pooled distribution (copied to the host only then).
    label_types:
        Per label the index of its entity type (:func:`nerlib.data.labels.label_types`): the
        scores are then the words' type probabilities (``P(B-X) + P(I-X)``,
        :func:`nerlib.modeling.pooling.pool_words`); None: the label's own probability.

    Returns
    -------
    tuple
        ``(labels, scores)``: per window, in the order of ``windows``, numpy arrays of the label id
        (int64) and its (type's, with ``label_types``) probability (float32) of each target word; with ``distributions`` a third
        list, per window a float32 array ``(target words, labels)`` of the distributions.

    Raises
    ------
    Float16Overflow
        If the model runs in float16 and some score is NaN.
    """
    import torch

    lengths = np.fromiter((len(w.input_ids) for w in windows), dtype=np.int64, count=len(windows))
    # longest first: a memory problem shows up on the first batch, not the last
    order = np.argsort(-lengths, kind="stable")
    if budget.pass_tokens:
        batches = cheapest_batches(lengths[order].tolist(), budget.batch_size, budget.max_tokens, budget.pass_tokens)
    else:
        batches = token_budget_batches(lengths[order].tolist(), budget.batch_size, budget.max_tokens, budget.padding)
    gpu = getattr(device, "type", None) == "cuda"
    labels_out, scores_out, distributions_out = [], [], []
    types_t = None if label_types is None else torch.as_tensor(np.asarray(label_types, dtype=np.int64), device=device)
    with torch.inference_mode(), settings.attention_kernels(device):
        for batch in batches:
            packed = pack_windows([windows[k] for k in order[batch.start:batch.stop]], pad_id, word_pooling)
            shape, cells, picks = packed.input_ids.shape, packed.input_ids.size, len(packed.positions)
            # one host-to-device copy per batch, from pinned memory so that it does not wait
            flat = torch.from_numpy(np.concatenate([packed.input_ids.ravel(), packed.attention_mask.ravel(),
                                                    packed.positions, packed.owners]))
            if gpu:
                flat = flat.pin_memory()
            flat = flat.to(device, non_blocking=gpu)
            inputs = {"input_ids": flat[:cells].view(shape), "attention_mask": flat[cells:2 * cells].view(shape)}
            if token_types:
                inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
            logits = model(**inputs).logits
            # each word's sub-tokens (the pooling rule's), as rows of the flattened (window, position) grid
            pooled = pool_words(logits.flatten(0, 1), flat[2 * cells:2 * cells + picks],
                                flat[2 * cells + picks:], packed.words, temperature=temperature,
                                distributions=distributions, label_types=types_t)
            scores_out.append(pooled[0])
            labels_out.append(pooled[1])
            if distributions:
                distributions_out.append(pooled[2])
            if progress is not None:
                progress(batch.stop, len(windows))
        # one copy back per call: on a GPU no batch waits for the one before to finish
        all_labels = torch.cat(labels_out).cpu().numpy() if labels_out else np.zeros(0, dtype=np.int64)
        all_scores = torch.cat(scores_out).cpu().numpy() if scores_out else np.zeros(0, dtype=np.float32)
        if distributions:
            n_labels = int(model.config.num_labels)
            all_distributions = (torch.cat(distributions_out).cpu().numpy() if distributions_out
                                 else np.zeros((0, n_labels), dtype=np.float32))
    if getattr(model, "dtype", None) == torch.float16 and np.isnan(all_scores).any():
        raise Float16Overflow("float16 overflowed on this input (NaN scores)")
    # back to the order of `windows`
    window_labels: list[np.ndarray] = [None] * len(windows)  # type: ignore[list-item]
    window_scores: list[np.ndarray] = [None] * len(windows)  # type: ignore[list-item]
    window_distributions: list[np.ndarray] = [None] * len(windows)  # type: ignore[list-item]
    offset = 0
    for k in order.tolist():
        n = len(windows[k].word_positions)
        window_labels[k] = all_labels[offset:offset + n]
        window_scores[k] = all_scores[offset:offset + n]
        if distributions:
            window_distributions[k] = all_distributions[offset:offset + n]
        offset += n
    if distributions:
        return window_labels, window_scores, window_distributions
    return window_labels, window_scores
