"""Speed-ups of the training step that keep its arithmetic: TF32 matrix products on CUDA,
``torch.compile`` (``--compile``) and CUDA graphs (``--cuda-graphs``).

Coverage: TF32, CUDA graph capture and ``--compile`` act only on a CUDA device; the GPU check
(bench/gpu_check.sh) runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def enable_tf32(device: Any) -> None:
    """On CUDA, let float32 matrix products use TF32 tensor cores.

    That is what ``--mixed-precision no`` computes in (bf16/fp16 autocast is unaffected): the same
    results to about 1e-3, several times faster.

    Parameters
    ----------
    device:
        The training device; anything but CUDA is left alone.
    """
    import torch

    if getattr(device, "type", None) == "cuda":
        try:
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        except RuntimeError:  # a torch that refuses the legacy switches next to its newer fp32_precision API
            torch.set_float32_matmul_precision("high")


def compile_model(model):
    """``torch.compile`` the training forward (``--compile``).

    Evaluation and saving keep using the plain module, so checkpoints hold the usual parameter names.

    Parameters
    ----------
    model:
        The prepared model.

    Returns
    -------
    Callable
        The compiled module, for the training forward only.
    """
    import torch

    # sentence lengths vary from batch to batch: compile for dynamic shapes at once instead of
    # recompiling per length
    return torch.compile(model, dynamic=True)


def capture_graphs(enabled: bool, accelerator, model, lengths: Sequence[int], batch_size: int,
                   accumulation_steps: int, compiled: bool, log: Callable[[str], None]) -> tuple[Any, dict[str, Any]]:
    """CUDA graphs of the training step for every full-batch shape of the training split.

    See :mod:`nerlib.modeling.cuda_graphs`. A failed capture is logged with its error, never hidden.

    Parameters
    ----------
    enabled:
        ``--cuda-graphs``.
    accelerator:
        The run's ``accelerate.Accelerator`` (device, processes, mixed precision).
    model:
        The prepared model (its step is captured in training mode, dropout included).
    lengths:
        The training sentences' lengths in sub-tokens.
    batch_size:
        Sentences per batch.
    accumulation_steps:
        ``--gradient-accumulation-steps`` (graphs need 1).
    compiled:
        ``--compile`` (graphs need the plain forward).
    log:
        Where to say what was captured, or why not.

    Returns
    -------
    tuple
        ``(graphs, record)``: the :class:`GraphedLoss` (None when graphs are off, cannot be used, or
        fail to capture: the loop then runs the eager model) and what run.json records about them.
    """
    from nerlib.modeling.cuda_graphs import GraphedLoss, batch_shapes, graph_support

    if not enabled:
        return None, {"used": False, "reason": "--no-cuda-graphs"}
    reason = graph_support(accelerator.device.type, accelerator.num_processes, accumulation_steps, compiled)
    if reason:
        return None, {"used": False, "reason": reason}
    import torch

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(accelerator.mixed_precision)
    shapes = batch_shapes(lengths, batch_size, max_positions=getattr(model.config, "max_position_embeddings", None))
    model.train()  # dropout is part of the captured step
    try:
        graphs = GraphedLoss.capture(model, shapes, autocast_dtype=dtype)
    except Exception as error:  # noqa: BLE001 - any capture failure means: train eagerly, and say why
        log(f"CUDA graphs failed to capture ({type(error).__name__}: {error}); training without them "
            "(--no-cuda-graphs silences this)")
        return None, {"used": False, "reason": f"capture failed: {type(error).__name__}: {error}"}
    log(f"CUDA graphs: {len(graphs.shapes)} batch shapes ({', '.join(f'{b}x{n}' for b, n in graphs.shapes)}) "
        f"captured in {graphs.capture_seconds:.1f}s")
    return graphs, {"used": True, "shapes": [list(shape) for shape in graphs.shapes],
                    "capture_s": round(graphs.capture_seconds, 2)}
