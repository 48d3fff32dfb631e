"""The model a run trains: loaded once per process (a scratch vocabulary learnt by the main process
only), told how it was trained (so the Tagger encodes and reads words the same way), optionally with
frozen word embeddings, and its AdamW optimizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nerlib.modeling.encoding import CONFIG_KEY, context_config
from nerlib.modeling.models import load_model
from nerlib.modeling.pooling import pooling_for_strategy

SHARED_TOKENIZER_DIR = ".scratch-tokenizer"  # a scratch vocabulary handed from the main process to the others


def load_run_model(accelerator, spec: str, label_names: list[str], train_words: Any, max_length: int,
                   run_dir: Path):
    """Load the model and tokenizer on every process.

    A scratch vocabulary is learnt from the data (deterministically, :mod:`nerlib.modeling.wordpiece`):
    the main process learns it once and saves it in the run folder; the others read it from there
    instead of learning it again.

    Parameters
    ----------
    accelerator:
        The run's ``accelerate.Accelerator``.
    spec:
        A model spec (on resume: the checkpoint's folder, which holds the trained tokenizer).
    label_names:
        The label list.
    train_words:
        The training sentences' words (a scratch vocabulary's data).
    max_length:
        Sub-tokens per window.
    run_dir:
        The run folder.

    Returns
    -------
    nerlib.modeling.models.LoadedModel
        Model, tokenizer, source and config summary.
    """
    shared_vocab = run_dir / SHARED_TOKENIZER_DIR
    with accelerator.main_process_first():
        shared = None
        if not accelerator.is_main_process and shared_vocab.is_dir():
            from transformers import AutoTokenizer

            shared = AutoTokenizer.from_pretrained(shared_vocab)
        loaded = load_model(spec, label_names, train_words=train_words, max_length=max_length, tokenizer=shared)
        if accelerator.is_main_process and loaded.spec.kind == "scratch" and accelerator.num_processes > 1:
            loaded.tokenizer.save_pretrained(shared_vocab)
    return loaded


def prepare_for_training(model, *, context: int | None, max_length: int, label_strategy: str,
                         freeze_word_embeddings: bool) -> None:
    """Record the encoder settings in the model's config and freeze the word embeddings if asked.

    The settings travel in the checkpoint's config.json, so the Tagger encodes and reads words the
    same way: labels on every sub-token -> a word's label is pooled over them all
    (:mod:`nerlib.modeling.pooling`).

    Parameters
    ----------
    model:
        The token-classification model (changed in place).
    context:
        The encoder's document context (0: off, None: fill the window, N per side).
    max_length:
        Sub-tokens per window.
    label_strategy:
        Which sub-tokens carried a word's label in training: ``first`` or ``all``.
    freeze_word_embeddings:
        Keep the input word-embedding matrix as loaded.
    """
    setattr(model.config, CONFIG_KEY, context_config(context, enabled=context != 0, max_length=max_length,
                                                     word_pooling=pooling_for_strategy(label_strategy)))
    if freeze_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)


def build_optimizer(model, learning_rate: float, weight_decay: float, device: Any):
    """AdamW over the trainable parameters, without weight decay on biases and norms.

    The fused CUDA kernel where there is one (one launch for all parameters instead of several per
    tensor: same arithmetic, less overhead).

    Parameters
    ----------
    model:
        The model (frozen parameters are left out).
    learning_rate:
        The initial learning rate.
    weight_decay:
        AdamW weight decay of the weight matrices.
    device:
        The training device (``cuda`` selects the fused kernel).

    Returns
    -------
    torch.optim.AdamW
        Two parameter groups: with and without weight decay.
    """
    import torch

    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [
        {"params": [p for n, p in named if not any(k in n for k in no_decay)], "weight_decay": weight_decay},
        {"params": [p for n, p in named if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    fused = getattr(device, "type", None) == "cuda"
    return torch.optim.AdamW(groups, lr=learning_rate, **({"fused": True} if fused else {}))
