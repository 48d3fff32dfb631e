"""Evaluation during training: every process scores a disjoint shard of a split; the results are
gathered and reassembled in the split's order, and scored with conlleval semantics."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nerlib.modeling.alignment import IGNORE_INDEX
from nerlib.modeling.batching import collate, shard_batches, sorted_batches
from nerlib.modeling.encoding import EncodedSplit
from nerlib.modeling.pooling import pool_words, pooled_tokens, word_bounds


@dataclass
class Evaluation:
    """The outcome of evaluating one split: entity metrics, mean token loss, word-level
    predictions (label strings, in the split's order) and the seconds it took."""

    metrics: Any  # nerlib.evaluation.metrics.EntityMetrics
    loss: float
    predictions: list[list[str]]
    seconds: float


def evaluate(accelerator, model, split: EncodedSplit, label_names: Sequence[str], batch_size: int,
             pad_id: int, word_pooling: str = "first") -> Evaluation:
    """Predict ``split`` with ``model`` on all processes and score it (same result on each process).

    Word labels come from the shared decoder (:mod:`nerlib.modeling.pooling`, ``word_pooling`` as the
    checkpoint records it), so these scores are the Tagger's; a word cut off by truncation is ``O``.

    Each process takes every n-th length-sorted batch; predictions travel with their sentence
    index through ``gather_for_metrics``, so the main process rebuilds the split in order and no
    sentence is counted twice however the split divides among processes.

    Parameters
    ----------
    accelerator:
        The run's ``accelerate.Accelerator``.
    model:
        The prepared model (evaluated unwrapped, then set back to training mode).
    split:
        The encoded split to score.
    label_names:
        Label id -> label.
    batch_size:
        Sentences per evaluation batch.
    pad_id:
        The tokenizer's padding id.
    word_pooling:
        How a word's sub-token logits make its label (``first`` or ``mean``).

    Returns
    -------
    Evaluation
        Metrics, loss, predictions and seconds.

    Raises
    ------
    RuntimeError
        The gathered predictions do not cover the split exactly once.
    """
    import torch

    from nerlib.evaluation.metrics import compute_metrics

    started = time.perf_counter()
    unwrapped = accelerator.unwrap_model(model)  # plain forward: no DDP collectives per batch
    unwrapped.eval()
    results: list[tuple[int, list[int]]] = []
    loss_sum = torch.zeros(2, dtype=torch.float64, device=accelerator.device)
    batches = shard_batches(sorted_batches(split.lengths, batch_size), accelerator.process_index,
                            accelerator.num_processes, even=False)
    with torch.no_grad(), accelerator.autocast():
        for indices in batches:
            batch = {k: v.to(accelerator.device) for k, v in collate(split, indices, pad_id).items()}
            logits = unwrapped(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            mask = batch["labels"] != IGNORE_INDEX
            losses = torch.nn.functional.cross_entropy(logits[mask].float(), batch["labels"][mask], reduction="sum")
            loss_sum += torch.stack([losses.double(), mask.sum().double()])
            firsts, ends, owners = word_bounds([split.word_ids[i] for i in indices], logits.shape[1])
            positions, words = pooled_tokens(firsts, ends, word_pooling)
            _, labels = pool_words(logits.flatten(0, 1), torch.from_numpy(positions).to(logits.device),
                                   torch.from_numpy(words).to(logits.device), len(firsts))
            predicted = [[0] * len(split.tokens[i]) for i in indices]  # label 0 (O) for truncated words
            for (row, word), label in zip(owners.tolist(), labels.cpu().tolist()):
                predicted[row][word] = label
            results.extend(zip(indices, predicted))
    gathered = accelerator.gather_for_metrics(results, use_gather_object=True)
    loss_total = accelerator.reduce(loss_sum, reduction="sum") if accelerator.num_processes > 1 else loss_sum
    by_index = dict(gathered)  # duplicates, if any, collapse here
    if len(by_index) != len(split):
        raise RuntimeError(f"evaluation of {split.name} gathered {len(by_index)} of {len(split)} sentences")
    predictions = [[label_names[t] for t in by_index[i]] for i in range(len(split))]
    metrics = compute_metrics(split.gold, predictions, tokens=split.tokens, seen=split.seen)
    loss = float(loss_total[0] / max(loss_total[1], 1))
    model.train()
    return Evaluation(metrics, loss, predictions, time.perf_counter() - started)
