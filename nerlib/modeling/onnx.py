"""ONNX Runtime as a model: export a token classifier to ONNX, quantize it, and run it as a drop-in.

- :func:`export_token_classifier`: a ``transformers`` token classifier -> an ``.onnx`` file with
  dynamic batch and sequence axes (``torch.onnx.export``, the TorchScript exporter), its attention,
  layer norms and GELUs fused by onnxruntime's transformer optimizer for BERT-shaped encoders.
- :func:`quantize_int8`: dynamic INT8 quantization of that file (``onnxruntime.quantization``:
  int8 weights, activations quantized on the fly; static INT8 is avoided because it costs NER much
  more F1, docs/onnx.md).
- :class:`OnnxTokenClassifier`: an ``onnxruntime.InferenceSession`` that answers like the torch
  model the tagger runs (``model(input_ids=..., attention_mask=...).logits`` as a torch tensor,
  ``.config``, ``.dtype``, ``.eval()``), so :func:`nerlib.tagging.inference.predict_windows` runs
  it unchanged: the same windows, batches, word pooling, offsets and words as the torch path.

onnxruntime and onnx come with the ``onnx`` extra (``pip install 'ner-workbench[onnx]'``); they
are imported on first use, and a missing one is said with that command (:func:`require`).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MODEL_ID_KEY", "MissingExtraError", "OnnxTokenClassifier", "OnnxModelError", "export_token_classifier", "quantize_int8",
           "cpu_has_vnni", "read_metadata", "require"]

EXTRA = "onnx"
# The key of the exporting model's identity in the ONNX file's own metadata (metadata_props), so
# that a file carries where it came from even when copied out of its folder.
MODEL_ID_KEY = "nerlib_model_id"
OPSET = 17  # LayerNormalization is one operator from opset 17 on; onnxruntime 1.16+ runs it
# BERT-shaped encoders whose attention onnxruntime's transformer optimizer fuses (model_type "bert")
_FUSABLE_TYPES = ("bert", "roberta", "xlm-roberta", "camembert", "distilbert", "electra")


class OnnxModelError(ValueError):
    """An ONNX file that cannot be used: damaged, not a model, or made for other inputs."""


class MissingExtraError(ImportError):
    """onnxruntime or onnx is not installed; the message names the extra that installs them."""


def require(module: str) -> Any:
    """Import ``module`` (``onnxruntime``, ``onnx``...), or say which extra installs it.

    Parameters
    ----------
    module:
        The module's import name.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    MissingExtraError
        When it is not installed; the message names ``pip install 'ner-workbench[onnx]'``.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtraError(f"the ONNX path needs {module.split('.')[0]}, which is not installed: "
                          f"pip install 'ner-workbench[{EXTRA}]'") from error


def cpu_has_vnni() -> bool:
    """Whether this CPU has int8 dot-product instructions (AVX512-VNNI, AVX-VNNI or AMX-INT8).

    Without them the int8 products of dynamic quantization can saturate; onnxruntime advises
    ``reduce_range=True`` (7-bit weights) there. Read from ``/proc/cpuinfo``; False where that
    file is missing (not Linux), which picks the safe setting.

    Returns
    -------
    bool
        True when one of the flags ``avx512_vnni``, ``avx_vnni``, ``amx_int8`` is listed.
    """
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return bool({"avx512_vnni", "avx_vnni", "amx_int8"} & set(flags))


def export_token_classifier(model: Any, input_names: list[str], path: str | os.PathLike, *,
                            metadata: dict[str, str] | None = None) -> Path:
    """Export a float32 ``transformers`` token classifier to ONNX with dynamic batch and sequence axes.

    The model is traced on a padded batch of two windows of different lengths, so padding is part
    of the traced graph; inputs and output are named as in ``transformers`` (``input_ids``,
    ``attention_mask``, ``token_type_ids``, ``logits``).

    Parameters
    ----------
    model:
        The model, float32, on the CPU, in eval mode.
    input_names:
        The inputs it takes, in the order of its ``forward`` (``input_ids``, ``attention_mask``
        and, for BERT-like models, ``token_type_ids``).
    path:
        The ``.onnx`` file to write.
    metadata:
        Written into the file's ``metadata_props`` (e.g. :data:`MODEL_ID_KEY`).

    Returns
    -------
    Path
        ``path``.
    """
    import warnings

    import torch

    require("onnx")
    path = Path(path)
    vocab = int(getattr(model.config, "vocab_size", 100) or 100)
    input_ids = torch.arange(16, dtype=torch.long).remainder(max(vocab - 1, 1)).add(1).view(2, 8)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 5:] = 0
    sample = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": torch.zeros_like(input_ids)}
    axes = {name: {0: "batch", 1: "sequence"} for name in [*input_names, "logits"]}
    fusable = getattr(model.config, "model_type", None) in _FUSABLE_TYPES
    if fusable and hasattr(model, "set_attn_implementation"):
        # plain attention operators, which onnxruntime's fusion recognises (not the sdpa call's)
        model.set_attn_implementation("eager")
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        # the TorchScript exporter is deprecated in favour of torch.export (dynamo=True), which
        # needs onnxscript and exports these models slower; both write the same operators here.
        # Its TracerWarnings are about transformers' mask shortcuts, which the padded sample traces.
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(sample[name] for name in input_names), str(path), input_names=input_names,
                          output_names=["logits"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    fused = fusable and _fuse(path, model.config)
    _stamp(path, {**(metadata or {}), "nerlib_fused": str(fused).lower()})
    return path


def _fuse(path: Path, config: Any) -> bool:
    """Fuse the graph's attention, layer norms and GELUs into onnxruntime's operators, in place.

    onnxruntime's transformer optimizer at level 1 (fusions only, no hardware-specific layout), so
    the file runs on any CPU. Returns whether it fused; a model it cannot fuse stays as exported.
    """
    optimizer = require("onnxruntime.transformers.optimizer")
    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    try:
        fused = optimizer.optimize_model(str(path), model_type="bert", num_heads=int(config.num_attention_heads),
                                         hidden_size=int(config.hidden_size), opt_level=1)
    except Exception:  # an unknown pattern: the unfused graph computes the same
        return False
    if not fused.get_fused_operator_statistics().get("Attention"):
        return False
    fused.save_model_to_file(str(path))
    return True


def _stamp(path: Path, metadata: dict[str, str]) -> None:
    """Write ``metadata`` into the ONNX file's ``metadata_props`` (replacing keys it has)."""
    onnx = require("onnx")
    proto = onnx.load(str(path))
    kept = [prop for prop in proto.metadata_props if prop.key not in metadata]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=str(value))
    onnx.save(proto, str(path))


def quantize_int8(source: str | os.PathLike, target: str | os.PathLike, *, reduce_range: bool | None = None) -> bool:
    """Dynamically quantize an ONNX model: int8 weights (per output channel), activations on the fly.

    The file's ``metadata_props`` are copied onto the quantized file.

    Parameters
    ----------
    source:
        The float32 ``.onnx`` file.
    target:
        The int8 ``.onnx`` file to write.
    reduce_range:
        7-bit weights, advised on CPUs without int8 dot products; default: on where
        :func:`cpu_has_vnni` is False.

    Returns
    -------
    bool
        The ``reduce_range`` used.
    """
    quantization = require("onnxruntime.quantization")
    onnx = require("onnx")
    reduce = (not cpu_has_vnni()) if reduce_range is None else bool(reduce_range)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process (shape inference) logs on the root logger
    try:
        # fused operators (com.microsoft domain) have no inferred output types: say they are float
        quantization.quantize_dynamic(str(source), str(target), weight_type=quantization.QuantType.QInt8,
                                      per_channel=True, reduce_range=reduce,
                                      extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.setLevel(level)
    metadata = {prop.key: prop.value for prop in onnx.load(str(source), load_external_data=False).metadata_props}
    if metadata:
        _stamp(Path(target), metadata)
    return reduce


def _session(path: Path, threads: int | None) -> Any:
    """An onnxruntime CPU session on ``path``; a file it cannot load raises OnnxModelError naming it."""
    ort = require("onnxruntime")
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = max(1, int(threads)) if threads else 0  # 0: onnxruntime's choice
    options.inter_op_num_threads = 1  # one graph at a time: the threads go to each operator
    options.log_severity_level = 3  # errors only: no warnings about unused initializers on stderr
    if not path.is_file():
        raise OnnxModelError(f"{path}: no such ONNX file")
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's Fail / InvalidProtobuf / InvalidGraph
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise OnnxModelError(f"{path} is not a loadable ONNX model (damaged, truncated or not ONNX): "
                             f"{first[:300]}") from None


def read_metadata(session: Any) -> dict[str, str]:
    """The ``metadata_props`` of the model a session runs."""
    return dict(session.get_modelmeta().custom_metadata_map)


@dataclass
class _Output:
    """What a ``transformers`` token classifier returns, as far as the tagger reads it."""

    logits: Any


class OnnxTokenClassifier:
    """An ONNX token classifier run by onnxruntime on the CPU, answering like the torch model.

    Parameters
    ----------
    path:
        The ``.onnx`` file (from :func:`export_token_classifier`, maybe :func:`quantize_int8`).
    config:
        The exported model's ``transformers`` config (labels, window size, encoding settings).
    threads:
        onnxruntime's intra-op threads; default torch's thread count (the tagger's).

    Raises
    ------
    OnnxModelError
        When the file is missing or onnxruntime cannot load it (the message names the file), or its
        output is not one score per label.
    ImportError
        When onnxruntime is not installed (the message names the extra).

    Attributes
    ----------
    session:
        The ``onnxruntime.InferenceSession``.
    metadata:
        The file's ``metadata_props``.
    """

    def __init__(self, path: str | os.PathLike, config: Any, *, threads: int | None = None):
        import torch

        self.path = Path(path)
        self.config = config
        self.threads = threads or torch.get_num_threads()
        self.session = _session(self.path, self.threads)
        self.input_names = [node.name for node in self.session.get_inputs()]
        self.metadata = read_metadata(self.session)
        outputs = self.session.get_outputs()
        labels = outputs[0].shape[-1] if outputs and outputs[0].shape else None
        if "input_ids" not in self.input_names or not isinstance(labels, int) or labels != config.num_labels:
            raise OnnxModelError(f"{self.path}: takes {self.input_names} and gives {labels} scores per token, "
                                 f"not input_ids -> one score per label ({config.num_labels}); not a token "
                                 "classifier for this label map")
        # zero-size stand-in for the weights (they live in the session): code that asks a model for
        # its device or dtype through parameters() finds the CPU and float32
        self._parameter = torch.zeros(0)
        self.dtype = torch.float32
        self.device = torch.device("cpu")

    def __call__(self, input_ids: Any, attention_mask: Any = None, token_type_ids: Any = None, **_: Any) -> _Output:
        """Run a batch: torch int tensors ``(batch, sequence)`` in, ``.logits`` a float32 torch tensor out."""
        import numpy as np
        import torch

        given = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
        ids = np.ascontiguousarray(input_ids.numpy(), dtype=np.int64)
        feed = {}
        for name in self.input_names:
            value = given.get(name)
            if value is None:  # no mask: every position counts; no token types: all zeros
                feed[name] = np.ones_like(ids) if name == "attention_mask" else np.zeros_like(ids)
            else:
                feed[name] = np.ascontiguousarray(value.numpy(), dtype=np.int64)
        (logits,) = self.session.run(["logits"], feed)
        return _Output(logits=torch.from_numpy(logits))

    def parameters(self):
        """A zero-size float32 CPU tensor (see the class's notes)."""
        return iter((self._parameter,))

    def to(self, device: Any = None, *args: Any, **kwargs: Any) -> OnnxTokenClassifier:
        """Stay on the CPU (the only place this runs); any other device is refused."""
        import torch

        if device is not None and not isinstance(device, torch.dtype) and torch.device(device).type != "cpu":
            raise ValueError(f"an ONNX model runs on the CPU here (onnxruntime's CPU provider), not on {device}")
        return self

    def eval(self) -> OnnxTokenClassifier:
        """No-op: an exported graph is always in inference mode."""
        return self

    def float(self) -> OnnxTokenClassifier:
        """No-op: the graph computes in float32 (int8 weights of a quantized one are dequantized)."""
        return self

    def __repr__(self) -> str:
        return f"OnnxTokenClassifier({str(self.path)!r}, threads={self.threads})"
