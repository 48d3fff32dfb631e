"""CUDA graphs of the training step (nerlib.modeling.cuda_graphs): the shape rules on any machine, and on a
CUDA machine the graphed step against the eager one (same loss and gradients on padded batches)."""

from __future__ import annotations

import pytest
import torch

from nerlib.modeling.batching import padded_length
from nerlib.modeling.cuda_graphs import GraphedLoss, batch_shapes, graph_support


def test_lengths_round_up_to_the_bucket():
    assert [padded_length(n, 32) for n in (1, 31, 32, 33, 64, 65)] == [32, 32, 32, 64, 64, 96]
    assert padded_length(9, multiple=8) == 16
    assert padded_length(9) == 9  # no multiple: the longest sentence's own length
    with pytest.raises(ValueError, match="at least one token"):
        padded_length(0, 32)


def test_full_batches_can_only_take_the_buckets_of_their_sentences():
    lengths = [3, 40, 41, 70, 12, 300]
    assert batch_shapes(lengths, 16) == [(16, 32), (16, 64), (16, 96), (16, 320)]
    # buckets past the model's position embeddings are left to the eager model
    assert batch_shapes(lengths, 16, max_positions=256) == [(16, 32), (16, 64), (16, 96)]
    assert batch_shapes([], 16) == []


@pytest.mark.parametrize("device, processes, accumulation, compiled, reason", [
    ("cuda", 1, 1, False, None),
    ("cpu", 1, 1, False, "need a CUDA device"),
    ("cuda", 2, 1, False, "2 processes"),
    ("cuda", 1, 4, False, "gradient accumulation"),
    ("cuda", 1, 1, True, "--compile"),
])
def test_graph_support_names_why_a_run_cannot_use_graphs(device, processes, accumulation, compiled, reason):
    answer = graph_support(device, processes, accumulation, compiled)
    assert answer is None if reason is None else reason in answer


def test_a_batch_of_a_shape_without_a_graph_gets_no_loss():
    graphed = GraphedLoss()  # nothing captured (works without a GPU)
    batch = {name: torch.zeros((2, 32), dtype=torch.long) for name in ("input_ids", "attention_mask", "labels")}
    assert graphed.loss(batch) is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA device")
@pytest.mark.parametrize("dtype", [None, torch.bfloat16])
def test_graphed_step_gives_the_eager_loss_and_gradients(dtype):
    from transformers import BertConfig, BertForTokenClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=300, hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=128, num_labels=5, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = BertForTokenClassification(config).cuda().train()
    graphed = GraphedLoss.capture(model, [(4, 32), (4, 64)], autocast_dtype=dtype)
    assert graphed.shapes == [(4, 32), (4, 64)]

    lengths = [5, 17, 32, 9]  # padded rows: the mask must be honoured inside the graph
    ids = torch.randint(1, 300, (4, 32), device="cuda")
    mask = torch.zeros((4, 32), dtype=torch.long, device="cuda")
    labels = torch.full((4, 32), -100, dtype=torch.long, device="cuda")
    for row, n in enumerate(lengths):
        mask[row, :n] = 1
        labels[row, :n] = torch.randint(0, 5, (n,), device="cuda")
    ids[mask == 0] = 0
    batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}

    def eager_step():
        with torch.autocast("cuda", dtype=dtype or torch.float32, enabled=dtype is not None):
            loss = model(**batch).loss
        loss.backward()
        return loss.detach().float(), [p.grad.clone() for p in model.parameters()]

    for _ in range(2):  # twice: the second replay must not see the first one's gradients
        model.zero_grad(set_to_none=True)
        eager_loss, eager_grads = eager_step()
        model.zero_grad(set_to_none=True)
        loss = graphed.loss(batch)
        loss.backward()
        tolerance = 1e-5 if dtype is None else 2e-2
        torch.testing.assert_close(loss.detach(), eager_loss, atol=tolerance, rtol=tolerance)
        for parameter, expected in zip(model.parameters(), eager_grads):
            torch.testing.assert_close(parameter.grad, expected, atol=tolerance, rtol=tolerance)
    longer = {name: torch.nn.functional.pad(t, (0, 32)) for name, t in batch.items()}
    longer["labels"][:, 32:] = -100
    model.zero_grad(set_to_none=True)
    torch.testing.assert_close(graphed.loss(longer).detach(), eager_loss, atol=tolerance, rtol=tolerance)
