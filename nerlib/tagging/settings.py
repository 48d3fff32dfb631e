"""How a tagger runs its model: precision, batch budget per device, window size, attention kernels.

- :func:`model_dtype`: the precision a checkpoint is loaded in (``"auto"``: the fastest measured
  to keep entities as float32 finds them, :func:`nerlib.modeling.device.auto_dtype`);
  :func:`quantize_dynamic` for int8 on a CPU.
- :class:`BatchBudget`: how many windows and padded sub-tokens one forward pass holds, per device.
- :func:`model_window`: the longest window (in sub-tokens) the model and tokenizer allow.
- :func:`attention_kernels`: the attention kernels inference runs with.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from nerlib.modeling.device import auto_dtype

__all__ = ["BatchBudget", "attention_kernels", "model_dtype", "model_window", "quantize_dynamic"]

# Padded sub-tokens per forward pass on a GPU. A GPU runs a batch of 64 short windows in about the
# time it takes to launch its kernels, so texts per batch is the wrong unit there: batches are cut
# by tokens instead (docs/benchmarks.md, "One NVIDIA H200 (earlier runs)", holds the measurements).
GPU_MAX_TOKENS = 32768
CPU_BATCH_SIZE = 64  # windows per forward pass on a CPU (bigger batches are no faster there)
# Share of padded positions a batch may hold. A CPU computes every padded position, so batches stay
# nearly rectangular (10%); a GPU computes a batch's padding almost for free while every batch
# costs its kernel launches, so there fewer, raggeder batches win (up to half padding; measured in
# docs/benchmarks.md, "One NVIDIA H200 (earlier runs)").
CPU_PADDING, GPU_PADDING = 0.1, 0.5

# model types whose position ids start after padding_idx (RoBERTa-style): they reserve
# padding_idx + 1 of their position embeddings
_PADDING_OFFSET_POSITIONS = {"roberta", "xlm-roberta", "camembert", "longformer", "bart", "mpnet"}


@dataclass(frozen=True)
class BatchBudget:
    """What one forward pass may hold (see :func:`nerlib.modeling.batching.token_budget_batches`).

    Attributes
    ----------
    batch_size:
        Most windows (``None``: no limit).
    max_tokens:
        Most padded sub-tokens (``None``: no limit).
    padding:
        Most padded positions, as a share of the batch.
    """

    batch_size: int | None
    max_tokens: int | None
    padding: float

    @classmethod
    def for_device(cls, device_type: str, batch_size: int | None = None, max_tokens: int | None = None) -> BatchBudget:
        """The budget on a device of ``device_type`` (``"cpu"``, ``"cuda"``, ...).

        On a CPU a batch holds up to ``batch_size`` windows (default ``CPU_BATCH_SIZE``) and 10%
        padding; on a GPU up to ``max_tokens`` padded sub-tokens (default ``GPU_MAX_TOKENS``) and
        half padding (an explicit ``batch_size`` still caps the windows there).

        Parameters
        ----------
        device_type:
            ``torch.device.type``.
        batch_size, max_tokens:
            Limits asked for; ``None`` (or 0) takes the device's default.

        Returns
        -------
        BatchBudget
            The budget for one forward pass on that device.

        >>> BatchBudget.for_device("cpu")
        BatchBudget(batch_size=64, max_tokens=None, padding=0.1)
        >>> BatchBudget.for_device("cuda", batch_size=8)
        BatchBudget(batch_size=8, max_tokens=32768, padding=0.5)
        """
        on_gpu = device_type == "cuda"
        return cls(batch_size=batch_size or (None if on_gpu else CPU_BATCH_SIZE),
                   max_tokens=max_tokens or (GPU_MAX_TOKENS if on_gpu else None),
                   padding=GPU_PADDING if on_gpu else CPU_PADDING)


def model_dtype(dtype: Any, device: str | None, *, quantize: bool = False) -> Any:
    """The torch dtype to load a checkpoint in for tagging on ``device``.

    ``"auto"`` picks the fastest precision measured to keep 99.5% of entities identical to
    float32 (:func:`nerlib.modeling.device.choose_dtype`: float16 on CUDA cards of compute
    capability 8.0+, bfloat16 on CPUs with AVX512-BF16 or AMX, float32 elsewhere), and nothing
    (the checkpoint's float32) when the model is to be quantized, as int8 quantization works on
    float32 weights only.

    Parameters
    ----------
    dtype:
        ``"auto"``, ``"float32"``, ``"bfloat16"``, ``"float16"`` or a torch dtype (returned as it is).
    device:
        The device the model will run on (``None``: CUDA when available, else CPU).
    quantize:
        Whether the model will be quantized with :func:`quantize_dynamic`.

    Returns
    -------
    torch.dtype or None
        The dtype to load in; ``None``: load as saved.

    Raises
    ------
    ValueError
        For any other string.

    >>> model_dtype("auto", "cpu", quantize=True) is None
    True
    """
    if dtype == "auto":
        return None if quantize else auto_dtype(device)
    if isinstance(dtype, str):
        import torch

        if dtype not in ("float32", "bfloat16", "float16"):
            raise ValueError(f"dtype must be auto, float32, bfloat16 or float16, not {dtype!r}")
        return getattr(torch, dtype)
    return dtype


def model_window(model: Any, tokenizer: Any) -> int:
    """The longest window in sub-tokens, special tokens included, that ``model`` and ``tokenizer`` allow.

    The smaller of the tokenizer's ``model_max_length`` (unless unset: huge) and the model's
    position embeddings (less those a RoBERTa-style model reserves); 512 if neither says.

    Parameters
    ----------
    model:
        A ``transformers`` model; its ``config`` is read.
    tokenizer:
        Its tokenizer; its ``model_max_length`` is read.

    Returns
    -------
    int
        The window length in sub-tokens.

    >>> from types import SimpleNamespace
    >>> config = SimpleNamespace(max_position_embeddings=514, model_type="roberta", pad_token_id=1)
    >>> model_window(SimpleNamespace(config=config), SimpleNamespace(model_max_length=int(1e30)))
    512
    """
    config = model.config
    limits = []
    tokenizer_limit = getattr(tokenizer, "model_max_length", None)
    if tokenizer_limit and tokenizer_limit < 1_000_000:
        limits.append(int(tokenizer_limit))
    positions = getattr(config, "max_position_embeddings", None)
    if positions:
        reserved = getattr(config, "model_type", "") in _PADDING_OFFSET_POSITIONS and config.pad_token_id is not None
        limits.append(int(positions) - (config.pad_token_id + 1 if reserved else 0))
    return min(limits) if limits else 512


def attention_kernels(device: Any) -> contextlib.AbstractContextManager:
    """The attention kernels to run inference with on ``device``, as a context manager.

    On CUDA, PyTorch may route bfloat16/float16 attention to cuDNN, which builds and tunes a plan
    for every new input shape; windows of many lengths then pay that per batch. The flash and
    memory-efficient kernels need no plan. Elsewhere: no restriction.

    Parameters
    ----------
    device:
        The ``torch.device`` the model runs on.

    Returns
    -------
    contextlib.AbstractContextManager
        Run the forward passes inside it.
    """
    if getattr(device, "type", None) != "cuda":
        return contextlib.nullcontext()
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # older torch: nothing to exclude
        return contextlib.nullcontext()
    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


def quantize_dynamic(model: Any) -> Any:
    """Return ``model`` with its ``nn.Linear`` layers dynamically quantized to int8 (CPU only).

    Weights become int8 with one scale per output channel, which loses less F1 than one scale per
    tensor; activations are quantized on the fly. Faster on a CPU, at some F1 cost (both measured
    in docs/benchmarks.md, "Tagger").

    Parameters
    ----------
    model:
        A float32 ``torch.nn.Module`` on the CPU.

    Returns
    -------
    torch.nn.Module
        The quantized model.

    Raises
    ------
    ValueError
        If the model is not on the CPU.
    RuntimeError
        If this torch has no ``torch.ao.quantization``.
    """
    import warnings

    import torch

    if next(model.parameters()).device.type != "cpu":
        raise ValueError("dynamic int8 quantization runs on CPU only; load with device='cpu'")
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao but still the dependency-free way
        warnings.simplefilter("ignore")
        try:
            from torch.ao.quantization import per_channel_dynamic_qconfig
            from torch.ao.quantization import quantize_dynamic as _quantize
        except ImportError as error:  # removed in a future torch
            raise RuntimeError("this torch has no torch.ao.quantization; run without quantize=True") from error
        return _quantize(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
