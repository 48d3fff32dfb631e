"""How a tagger runs its model: precision, batch budget per device, window size, attention kernels.

- :func:`model_dtype`: the precision a checkpoint is loaded in (``"auto"``: the fastest measured
  to keep entities as float32 finds them, :func:`nerlib.modeling.device.auto_dtype`);
  :func:`quantize_dynamic` for int8 on a CPU.
- :class:`BatchBudget`: how many windows and padded sub-tokens one forward pass holds, per device.
- :func:`model_window`: the longest window (in sub-tokens) the model and tokenizer allow.
- :func:`attention_kernels`: the attention kernels inference runs with.
- :func:`choose_backend`: torch, or an exported ONNX model run by onnxruntime (``backend="auto"``
  picks it only where one was exported and its recorded measurement on this CPU kind says it is
  faster within 0.3 F1 points).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from nerlib.modeling.device import auto_dtype

__all__ = ["BACKENDS", "BackendChoice", "BackendError", "BatchBudget", "attention_kernels", "choose_backend", "model_dtype", "model_window",
           "quantize_dynamic"]

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
# The fixed cost of one forward pass on a CPU, in tokens: a pass of a small model costs about as
# much as a hundred-odd tokens whatever it holds (reading every weight once), so CPU batches are
# cut where padding and passes add up least (nerlib.modeling.batching.cheapest_batches): a handful
# of short sentences (a served batch) goes through in two or three passes rather than one per
# length (measured in docs/benchmarks.md, "HTTP service: batched against one request per
# forward"). On a GPU the padding share decides.
CPU_PASS_TOKENS = 125

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
    pass_tokens:
        The fixed cost of one pass, in tokens; above 0 the batches are cut where padding and
        passes cost least (:func:`nerlib.modeling.batching.cheapest_batches`) and ``padding`` is
        not used.
    """

    batch_size: int | None
    max_tokens: int | None
    padding: float
    pass_tokens: int = 0

    @classmethod
    def for_device(cls, device_type: str, batch_size: int | None = None, max_tokens: int | None = None) -> BatchBudget:
        """The budget on a device of ``device_type`` (``"cpu"``, ``"cuda"``, ...).

        On a CPU a batch holds up to ``batch_size`` windows (default ``CPU_BATCH_SIZE``), cut
        where padding and each pass's fixed cost (``CPU_PASS_TOKENS``) add up least; on a GPU up
        to ``max_tokens`` padded sub-tokens (default ``GPU_MAX_TOKENS``) and half padding (an
        explicit ``batch_size`` still caps the windows there).

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
        BatchBudget(batch_size=64, max_tokens=None, padding=0.1, pass_tokens=125)
        >>> BatchBudget.for_device("cuda", batch_size=8)
        BatchBudget(batch_size=8, max_tokens=32768, padding=0.5, pass_tokens=0)
        """
        on_gpu = device_type == "cuda"
        return cls(batch_size=batch_size or (None if on_gpu else CPU_BATCH_SIZE),
                   max_tokens=max_tokens or (GPU_MAX_TOKENS if on_gpu else None),
                   padding=GPU_PADDING if on_gpu else CPU_PADDING, pass_tokens=0 if on_gpu else CPU_PASS_TOKENS)


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


BACKENDS = ("auto", "torch", "onnx")


class BackendError(ValueError):
    """A backend that cannot run what was asked: ONNX without an export, off the CPU, or torch for an export."""
class BackendChoice(NamedTuple):
    """The runtime a tagger uses (:func:`choose_backend`)."""

    backend: str  # "torch" or "onnx"
    reason: str  # said in the tagger's backend_reason
    int8: bool = False  # the ONNX backend runs the export's int8 model


def choose_backend(backend: str, exported: Any, *, given_export: bool, device: str | None, dtype: Any,
                   quantize: bool, exported_int8: bool = False,
                   measured: Callable[[], Any] | None = None) -> BackendChoice:
    """Which runtime a tagger uses: ``"torch"`` or ``"onnx"`` (onnxruntime on the CPU), and why.

    ``"auto"`` runs an export found beside a checkpoint only on a CPU with no precision asked for,
    and only where ``measured`` says an ONNX model was measured faster than torch's default on this
    CPU kind within 0.3 F1 points (:func:`nerlib.runs.exported.auto_onnx_choice`); then the
    precision it names (int8 included: ``auto`` means the fastest within that line).

    Parameters
    ----------
    backend:
        ``"auto"``, ``"torch"`` or ``"onnx"``.
    exported:
        The exported ONNX folder found for the checkpoint (:func:`nerlib.runs.exported.find_exported_folder`),
        or None.
    given_export:
        Whether the path given is the exported folder itself (it holds no torch weights).
    device:
        The device asked for (None: the default, CUDA when available).
    dtype:
        The precision asked for (``"auto"``, ``"float32"``, a torch dtype...).
    quantize:
        Whether int8 was asked for (torch dynamic quantization, or the export's ``model.int8.onnx``).
    exported_int8:
        Whether the export holds an int8 model.
    measured:
        For ``"auto"`` with an export beside the checkpoint: called (only then) for the evidence,
        an object with ``precision`` (``"int8"``, ``"float32"`` or None: torch) and ``reason``
        (:class:`nerlib.runs.exported.OnnxChoice`). None: no evidence, torch.

    Returns
    -------
    BackendChoice
        ``(backend, reason, int8)``; ``reason`` is said in the tagger's ``backend_reason``.

    Raises
    ------
    BackendError
        For an unknown backend; ``"onnx"`` without an export, off the CPU or in another precision
        than float32; ``"torch"`` for an exported folder.

    >>> choose_backend("auto", None, given_export=False, device="cpu", dtype="auto", quantize=False)
    BackendChoice(backend='torch', reason='auto: no exported ONNX model next to the checkpoint', int8=False)
    >>> choose_backend("auto", "runs/x/onnx", given_export=True, device=None, dtype="auto", quantize=False)[:2]
    ('onnx', 'the path is an exported ONNX folder')
    >>> choose_backend("auto", "runs/x/onnx", given_export=False, device="cpu", dtype="float32", quantize=False)[0]
    'torch'
    """
    if backend not in BACKENDS:
        raise BackendError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    on_cpu = device is not None and str(device).split(":")[0] == "cpu"
    float32 = dtype in ("auto", "float32") or str(dtype) == "torch.float32"
    if given_export or backend == "onnx":
        if exported is None:
            raise BackendError("no exported ONNX model there (nor in its onnx/ subfolder); export one first with "
                               "python -m nerlib export-onnx (the tagger never exports by itself)")
        if backend == "torch":
            raise BackendError(f"{exported} is an exported ONNX folder, which holds no torch weights; give the run "
                               "or checkpoint it came from for the torch backend")
        if not (on_cpu or device is None):  # an export runs on the CPU even where CUDA is the default
            raise BackendError(f"an exported ONNX model runs on the CPU (onnxruntime's CPU provider), not on {device}")
        if not float32:
            raise BackendError(f"an exported ONNX model runs in float32 (or int8 with quantize), not {dtype}")
        return BackendChoice("onnx", "asked for" if backend == "onnx" else "the path is an exported ONNX folder",
                             quantize)
    if backend == "torch":
        return BackendChoice("torch", "asked for")
    if exported is None:
        return BackendChoice("torch", "auto: no exported ONNX model next to the checkpoint")
    if not ((on_cpu or (device is None and not _cuda_available())) and dtype == "auto"):
        return BackendChoice("torch", "auto: an exported ONNX model runs only on the CPU, when no precision is asked for")
    if quantize and not exported_int8:
        return BackendChoice("torch", "auto: int8 asked for and the export has no int8 model")
    if measured is None:
        return BackendChoice("torch", "auto: an ONNX export exists, with no measurement to choose by")
    evidence = measured()
    if evidence.precision is None:
        return BackendChoice("torch", evidence.reason)
    return BackendChoice("onnx", evidence.reason, evidence.precision == "int8")


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
