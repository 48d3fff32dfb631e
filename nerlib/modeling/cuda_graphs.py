"""The training forward and backward replayed as CUDA graphs, one graph per padded batch shape.

On a GPU, a training step of a BERT-sized tagger on short CoNLL sentences is bound by kernel
launches, not by arithmetic: an eager step launches on the order of two thousand kernels (every
linear layer, cast, dropout, norm and their gradients; reasoned from the layers, not counted), each costing the host some microseconds, while
the GPU finishes each one almost at once. A CUDA graph records those launches once and replays
them with one call. A graph replays fixed shapes, so batches are padded to a multiple of
:data:`LENGTH_MULTIPLE` tokens: a handful of shapes covers every batch of a training split, and all
of them are captured before training starts (seconds: docs/benchmarks.md, "Training with CUDA
graphs"), sharing one memory pool.

:class:`GraphedLoss` gives the loss of a batch as an autograd tensor whose backward replays the
captured backward; batches of another shape (the short last batch of an epoch) get ``None`` and
the caller runs the eager model. The arithmetic is the eager model's (same kernels, same autocast);
only the dropout random numbers come in another order. Memory: each shape keeps its own gradient
buffers (one float32 copy of the trainable parameters per shape: 4 bytes per parameter),
while the activations of all shapes share one pool; a capture that runs out of memory raises, and
the training script then trains eagerly and says so.

:func:`graph_support` says whether a run can use graphs and why not: they need a CUDA device,
one process (the gradient all-reduce of distributed training is not in the graph), no gradient
accumulation (the replayed backward rewrites its gradient buffers, which the parameters' ``.grad``
may share until the optimizer step) and no ``torch.compile``.

Coverage: capture and replay need a CUDA device; tests/test_cuda_graphs.py runs them in the GPU
check (bench/gpu_check.sh), not in CPU CI.
"""

from __future__ import annotations

import contextlib
import inspect
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch

from nerlib.modeling.batching import padded_length

# batches are padded to a multiple of this many tokens when graphs are on: few shapes, little waste
LENGTH_MULTIPLE = 32


def batch_shapes(lengths: Iterable[int], batch_size: int, multiple: int = LENGTH_MULTIPLE,
                 max_positions: int | None = None) -> list[tuple[int, int]]:
    """The ``(batch_size, padded length)`` shapes that full batches of these sentences can take.

    A batch is padded (``nerlib.modeling.batching.collate``, with
    :func:`~nerlib.modeling.batching.padded_length`) to its longest sentence's bucket, so the
    buckets of the sentences' own lengths are all there can be.

    Parameters
    ----------
    lengths:
        The sentences' lengths in sub-tokens; zero lengths are ignored.
    batch_size:
        Sentences per full batch.
    multiple:
        Lengths are padded up to a multiple of this.
    max_positions:
        The model's position embeddings; longer buckets are left out. None keeps all.

    Returns
    -------
    list of tuple
        ``(batch_size, length)`` per bucket, shortest first.
    """
    buckets = {padded_length(n, multiple) for n in lengths if n > 0}
    return [(batch_size, b) for b in sorted(buckets) if max_positions is None or b <= max_positions]


def graph_support(device_type: str, processes: int, accumulation_steps: int, compiled: bool) -> str | None:
    """Whether a training run can replay its steps as CUDA graphs, and why not.

    Parameters
    ----------
    device_type:
        The torch device type of the run (``"cuda"``, ``"cpu"``...).
    processes:
        The number of training processes.
    accumulation_steps:
        Gradient accumulation steps.
    compiled:
        Whether the model runs under ``torch.compile``.

    Returns
    -------
    str or None
        ``None`` when it can, else the reason it cannot (for the training log).

    >>> graph_support("cuda", 1, 1, False) is None
    True
    >>> graph_support("cpu", 1, 1, False)
    'they need a CUDA device (training on cpu)'
    """
    if device_type != "cuda":
        return f"they need a CUDA device (training on {device_type})"
    if processes > 1:
        return f"{processes} processes: the gradient all-reduce is not captured"
    if accumulation_steps > 1:
        return "gradient accumulation: replayed gradient buffers would be added to themselves"
    if compiled:
        return "--compile is on (the compiled forward is not captured)"
    return None


@dataclass
class GraphedLoss:
    """Training losses from CUDA graphs captured for a fixed set of batch shapes.

    Build it with :meth:`capture`; then ``graphed.loss(batch)`` returns the batch's training loss
    (an autograd tensor: ``.backward()`` replays the captured backward) or ``None`` when the batch's
    shape was not captured. Before the next backward through a graph, the parameters' gradients
    must be consumed and set to ``None`` (``optimizer.zero_grad(set_to_none=True)``).
    """

    graphs: dict[tuple[int, int], Any] = field(default_factory=dict)
    capture_seconds: float = 0.0
    length_multiple: int = LENGTH_MULTIPLE  # batches must be padded to a multiple of this to find their graph

    @classmethod
    def capture(cls, model: Any, shapes: Iterable[tuple[int, int]], autocast_dtype: Any = None,
                warmup: int = 3) -> GraphedLoss:
        """Capture the training forward and backward of ``model`` for every shape in ``shapes``.

        The longest shape is captured first so that the shared memory pool is sized once.

        Parameters
        ----------
        model:
            A token-classification model on a CUDA device, in training mode.
        shapes:
            The ``(batch, length)`` shapes to capture (see :func:`batch_shapes`).
        autocast_dtype:
            The mixed precision of the step, applied inside the graph: ``torch.bfloat16``,
            ``torch.float16`` or ``None`` for float32.
        warmup:
            Eager iterations run per shape before its capture.

        Returns
        -------
        GraphedLoss
            The graphs and the seconds the capture took.

        Raises
        ------
        Exception
            Whatever the capture raises (e.g. ``torch.OutOfMemoryError``): the caller decides
            whether to train eagerly instead.
        """
        started = time.perf_counter()
        # The captured autograd graphs stay alive, and with them the parameters' gradient
        # accumulators, made on the capture's side stream: every later backward would warn that its
        # stream differs. The cost (a cross-stream wait) is in the measured speed (docs/benchmarks.md,
        # "Training with CUDA graphs"); the warning is noise.
        if hasattr(torch.autograd.graph, "set_warn_on_accumulate_grad_stream_mismatch"):
            torch.autograd.graph.set_warn_on_accumulate_grad_stream_mismatch(False)
        device = next(model.parameters()).device
        # one memory pool for all shapes: steps run one at a time, so their temporaries can share it
        # (a torch older than make_graphed_callables' ``pool`` gives each shape its own)
        shared_pool = ({"pool": torch.cuda.graph_pool_handle()}
                       if "pool" in inspect.signature(torch.cuda.make_graphed_callables).parameters else {})
        graphs = {}
        for batch, length in sorted(shapes, key=lambda shape: -shape[0] * shape[1]):
            sample = (torch.zeros((batch, length), dtype=torch.long, device=device),  # input_ids
                      torch.ones((batch, length), dtype=torch.long, device=device),   # attention_mask
                      torch.zeros((batch, length), dtype=torch.long, device=device))  # labels
            # a wrapper per shape: make_graphed_callables rebinds the module's forward to its graph
            step = TrainingLoss(model, autocast_dtype)
            graphs[(batch, length)] = torch.cuda.make_graphed_callables(step, sample, num_warmup_iters=warmup,
                                                                       **shared_pool)
        torch.cuda.synchronize(device)
        return cls(graphs, time.perf_counter() - started)

    def loss(self, batch: dict[str, Any]) -> Any | None:
        """The training loss of ``batch`` from its shape's graph.

        Parameters
        ----------
        batch:
            ``input_ids``, ``attention_mask`` and ``labels`` tensors on the device.

        Returns
        -------
        torch.Tensor or None
            The float32 loss (an autograd tensor whose backward replays the captured backward), or
            ``None`` if no graph has the batch's shape.
        """
        graphed = self.graphs.get(tuple(batch["input_ids"].shape))
        if graphed is None:
            return None
        return graphed(batch["input_ids"], batch["attention_mask"], batch["labels"])

    @property
    def shapes(self) -> list[tuple[int, int]]:
        """The captured ``(batch, length)`` shapes, shortest first."""
        return sorted(self.graphs, key=lambda shape: shape[1])


class TrainingLoss(torch.nn.Module):
    """``model(...).loss`` under the step's autocast, as a module of three tensors in and one out
    (what ``make_graphed_callables`` captures). The model's class ``forward`` is called directly: a
    model prepared by Accelerate carries on its instance an autocast wrapper with the cast cache on,
    which graphs do not allow; here the cache is off."""

    def __init__(self, model: Any, autocast_dtype: Any = None):
        super().__init__()
        self.model = model
        self.autocast_dtype = autocast_dtype

    def forward(self, input_ids, attention_mask, labels):
        """The model's training loss on one batch.

        Parameters
        ----------
        input_ids, attention_mask, labels:
            ``(batch, length)`` tensors on the model's device.

        Returns
        -------
        torch.Tensor
            The loss as a float32 scalar.
        """
        precision = (torch.autocast("cuda", dtype=self.autocast_dtype, cache_enabled=False)
                     if self.autocast_dtype is not None else contextlib.nullcontext())
        with precision:
            output = type(self.model).forward(self.model, input_ids=input_ids, attention_mask=attention_mask,
                                              labels=labels)
        return output.loss.float()
