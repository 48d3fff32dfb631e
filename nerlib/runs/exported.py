"""The exported ONNX folder: written from a checkpoint by ``python -m nerlib export-onnx``, checked and loaded.

An exported folder holds::

    model.onnx            the float32 graph (dynamic batch and sequence axes)
    model.int8.onnx       with --int8: the same, dynamically quantized (int8 weights)
    config.json           the model's config: label map, window size, encoding settings
    tokenizer.json ...    its fast tokenizer
    onnx-manifest.json    what was exported from what (:class:`OnnxManifest`)
    calibration.json      the source checkpoint's temperature, when ``python -m nerlib calibrate``
                          wrote one (:mod:`nerlib.runs.calibration_file`), so the exported model's
                          scores are the calibrated ones too

The manifest records the source model's identity (:func:`model_identity`: a SHA-256 of its
config, label map and weight files) and each ONNX file's SHA-256; every ONNX file also carries the
identity in its own metadata. Loading (:func:`load_exported`) refuses, with the reason, an ONNX
file exported from another model (its identity differs from the manifest's), a file changed since
the export (its checksum differs), a config whose labels are not the exported ones, and a damaged
file (onnxruntime cannot load it); every message names the file. A run folder's export lives by
default in its ``onnx/`` subfolder (:func:`find_exported_folder`), where the tagger looks for it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nerlib.modeling.onnx import MODEL_ID_KEY, OnnxModelError, OnnxTokenClassifier, export_token_classifier, quantize_int8
from nerlib.runs.calibration_file import CALIBRATION_FILE, read_calibration, write_calibration
from nerlib.runs.checkpoints import Checkpoint, CheckpointError, load_checkpoint, read_label_map
from nerlib.runs.schemas import describe_error

__all__ = ["EXPORT_SUBFOLDER", "MANIFEST", "ExportedModelError", "OnnxFile", "OnnxManifest", "export_onnx",
           "find_exported_folder", "is_exported_folder", "load_exported", "model_identity", "read_manifest"]

MANIFEST = "onnx-manifest.json"
EXPORT_SUBFOLDER = "onnx"  # a run folder's default export: <run>/onnx
FILES = {"float32": "model.onnx", "int8": "model.int8.onnx"}
# config.json keys that say how a file was written, not what the model computes
_VOLATILE_CONFIG_KEYS = ("_name_or_path", "transformers_version", "torch_dtype", "dtype")
_SHA256 = r"^[0-9a-f]{64}$"


class ExportedModelError(CheckpointError):
    """An exported folder that cannot be used; the message names the file and the reason."""


class OnnxFile(BaseModel):
    """One ONNX file of an export."""

    model_config = ConfigDict(strict=True, extra="allow")

    name: str = Field(pattern=r"^[\w.-]+\.onnx$")
    sha256: str = Field(pattern=_SHA256)
    bytes: int = Field(ge=0)
    reduce_range: bool | None = None  # int8: 7-bit weights (CPUs without int8 dot products)


class OnnxManifest(BaseModel):
    """``onnx-manifest.json``: what was exported, from which model, with what.

    Attributes
    ----------
    format, version:
        ``"nerlib-onnx"``, 1.
    model_id:
        :func:`model_identity` of the source model.
    source:
        What was exported, as given (path, run name or Hub id); ``source_folder`` the checkpoint folder.
    labels:
        The label of each id.
    inputs:
        The graph's inputs.
    opset:
        The ONNX opset.
    files:
        ``"float32"`` (and with ``--int8`` ``"int8"``) -> :class:`OnnxFile`.
    versions:
        torch, transformers, onnx, onnxruntime and nerlib at export time.
    """

    model_config = ConfigDict(strict=True, extra="allow")

    format: Literal["nerlib-onnx"]
    version: Literal[1]
    model_id: str = Field(pattern=_SHA256)
    source: str
    source_folder: str
    labels: list[str] = Field(min_length=1)
    inputs: list[str] = Field(min_length=1)
    opset: int = Field(ge=1)
    files: dict[Literal["float32", "int8"], OnnxFile]
    versions: dict[str, str] = {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_identity(config: dict[str, Any], labels: list[str], weight_files: list[Path]) -> str:
    """A model's identity: SHA-256 of its config (less how it was written), labels and weights' checksums.

    Parameters
    ----------
    config:
        Its ``config.json`` as a dict.
    labels:
        The label of each id.
    weight_files:
        Its ``*.safetensors`` files.

    Returns
    -------
    str
        64 hex digits; equal for the same model saved twice, different when any weight, label or
        architecture setting differs.

    >>> a = model_identity({"hidden_size": 8, "transformers_version": "4.45"}, ["O", "B-PER"], [])
    >>> a == model_identity({"hidden_size": 8, "transformers_version": "5.0"}, ["O", "B-PER"], [])
    True
    >>> a == model_identity({"hidden_size": 8}, ["O", "B-LOC"], [])
    False
    """
    kept = {key: value for key, value in config.items() if key not in _VOLATILE_CONFIG_KEYS}
    record = {"config": kept, "labels": list(labels), "weights": sorted(_sha256(f) for f in weight_files)}
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def is_exported_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder holding an ``onnx-manifest.json``."""
    return (Path(path) / MANIFEST).is_file()


def find_exported_folder(path: str | os.PathLike) -> Path | None:
    """The exported folder for ``path``: itself, or its ``onnx/`` subfolder (a run's default export).

    Parameters
    ----------
    path:
        An exported folder, a run folder or a checkpoint folder (or anything else: None).

    Returns
    -------
    Path or None
        The exported folder, or None when there is none there.
    """
    folder = Path(os.fspath(path)).expanduser()
    for candidate in (folder, folder / EXPORT_SUBFOLDER):
        if is_exported_folder(candidate):
            return candidate
    return None


def read_manifest(folder: str | os.PathLike) -> OnnxManifest:
    """Read and validate an exported folder's ``onnx-manifest.json``.

    Parameters
    ----------
    folder:
        The exported folder.

    Returns
    -------
    OnnxManifest
        The manifest.

    Raises
    ------
    ExportedModelError
        When the file is missing, not JSON, or not a manifest (the field and value named).
    """
    from nerlib.runs.folder import RunFileError, read_json_record

    path = Path(folder) / MANIFEST
    try:
        raw = read_json_record(path)
    except RunFileError as error:
        raise ExportedModelError(f"{error}; export again with python -m nerlib export-onnx") from None
    if raw is None:
        raise ExportedModelError(f"{Path(folder)} is not an exported ONNX folder: it has no {MANIFEST} "
                                 "(python -m nerlib export-onnx writes one)")
    try:
        return OnnxManifest.model_validate(raw)
    except ValidationError as error:
        raise ExportedModelError(f"{path}: {describe_error(error)}; export again with python -m nerlib "
                                 "export-onnx") from None


def _versions() -> dict[str, str]:
    import importlib.metadata

    versions = {}
    for name in ("torch", "transformers", "onnx", "onnxruntime", "ner-workbench"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def _check_output(out: Path) -> None:
    """``out`` may not exist, be empty, or hold an earlier export (to be replaced); anything else is refused."""
    if out.exists() and not out.is_dir():
        raise ExportedModelError(f"{out} is a file; give a folder to export into")
    if out.is_dir() and any(out.iterdir()) and not is_exported_folder(out):
        raise ExportedModelError(f"{out} is not empty and holds no earlier export ({MANIFEST}); refusing to "
                                 "write into it: give a new or empty folder")


def _prepare_output(out: Path) -> None:
    """Make ``out`` ready (see :func:`_check_output`): an earlier export's manifest and models go first."""
    _check_output(out)
    if is_exported_folder(out):
        (out / MANIFEST).unlink()  # until the new manifest is written, the folder is no usable export
        for name in (*FILES.values(), CALIBRATION_FILE):  # a stale calibration would rescale the new model
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def _file_record(path: Path, **extra: Any) -> dict[str, Any]:
    return {"name": path.name, "sha256": _sha256(path), "bytes": path.stat().st_size, **extra}


def export_onnx(source: str | os.PathLike, out: str | os.PathLike | None = None, *, int8: bool = False,
                reduce_range: bool | None = None) -> tuple[Path, OnnxManifest]:
    """Export a checkpoint to an ONNX folder (see the module docstring).

    Parameters
    ----------
    source:
        Anything :func:`nerlib.runs.checkpoints.load_checkpoint` accepts.
    out:
        The folder to write (new, empty, or an earlier export, replaced); default the run's (or
        checkpoint folder's) ``onnx/`` subfolder.
    int8:
        Also write ``model.int8.onnx`` (:func:`nerlib.modeling.onnx.quantize_int8`).
    reduce_range:
        For ``int8``: 7-bit weights; default on where the CPU lacks int8 dot products.

    Returns
    -------
    tuple
        ``(folder, manifest)``.

    Raises
    ------
    nerlib.runs.checkpoints.CheckpointError
        When the source cannot be loaded (:class:`ExportedModelError` for an exported folder, which
        holds no torch weights to export, or an unusable ``out``;
        :class:`nerlib.runs.calibration_file.CalibrationError` for a damaged calibration.json in the
        checkpoint folder, refused before anything is written).
    ImportError
        When onnx or onnxruntime is missing (the message names the extra).
    """
    import inspect

    import torch

    from nerlib.modeling.onnx import require

    require("onnx")
    require("onnxruntime")
    if find_exported_folder(source) == Path(os.fspath(source)).expanduser():
        raise ExportedModelError(f"{source} is already an exported ONNX folder; export the run or checkpoint "
                                 "it came from")
    if out is not None:
        _check_output(Path(out).expanduser())  # before the model loads
    checkpoint = load_checkpoint(source, device="cpu", dtype=torch.float32)
    if out is None:
        given = Path(os.fspath(source)).expanduser()
        out = (given if given.is_dir() else checkpoint.path) / EXPORT_SUBFOLDER
    out = Path(out).expanduser()
    # read (and validated) before the folder is touched: a damaged file leaves no half export
    calibration = read_calibration(checkpoint.path)
    _prepare_output(out)
    labels = checkpoint.labels
    config = json.loads((checkpoint.path / "config.json").read_text(encoding="utf-8"))
    identity = model_identity(config, labels, sorted(checkpoint.path.glob("*.safetensors")))
    accepted = inspect.signature(checkpoint.model.forward).parameters
    inputs = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in accepted]
    metadata = {MODEL_ID_KEY: identity, "nerlib_source": str(source), "nerlib_labels": json.dumps(labels)}
    float_file = export_token_classifier(checkpoint.model, inputs, out / FILES["float32"], metadata=metadata)
    files = {"float32": _file_record(float_file)}
    if int8:
        used = quantize_int8(float_file, out / FILES["int8"], reduce_range=reduce_range)
        files["int8"] = _file_record(out / FILES["int8"], reduce_range=used)
    checkpoint.model.config.save_pretrained(out)
    checkpoint.tokenizer.save_pretrained(out)
    if calibration is not None:  # the tagger reads it from the folder it loads (load_exported's path)
        write_calibration(out, calibration.model_dump(mode="json", exclude_none=True))
    from nerlib.modeling.onnx import OPSET

    manifest = OnnxManifest.model_validate({
        "format": "nerlib-onnx", "version": 1, "model_id": identity, "source": str(source),
        "source_folder": str(checkpoint.path), "labels": labels, "inputs": inputs, "opset": OPSET,
        "files": files, "versions": _versions()})
    (out / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return out, manifest


def load_exported(folder: str | os.PathLike, *, int8: bool = False, threads: int | None = None,
                  source: str | None = None) -> Checkpoint:
    """Load an exported folder's ONNX model (float32 or int8) with its tokenizer and label map.

    Parameters
    ----------
    folder:
        The exported folder (:func:`find_exported_folder` finds it for a run).
    int8:
        Run ``model.int8.onnx`` instead of ``model.onnx``.
    threads:
        onnxruntime's intra-op threads; default torch's thread count.
    source:
        What the user asked for, kept as the checkpoint's ``source``; default ``folder``.

    Returns
    -------
    nerlib.runs.checkpoints.Checkpoint
        ``model`` is a :class:`nerlib.modeling.onnx.OnnxTokenClassifier` on the CPU.

    Raises
    ------
    ExportedModelError
        For a missing or invalid manifest, a config whose labels are not the exported ones, an int8
        model that was not exported, an ONNX file from another model or changed since the export, a
        damaged ONNX file, or a missing tokenizer; the message names the file and the reason.
    ImportError
        When onnxruntime is missing (the message names the extra).
    """
    from transformers import AutoConfig, AutoTokenizer

    folder = Path(folder).expanduser()
    manifest = read_manifest(folder)
    precision = "int8" if int8 else "float32"
    record = manifest.files.get(precision)
    if record is None:
        raise ExportedModelError(f"{folder} has no int8 model: it was exported without --int8; export again "
                                 "with python -m nerlib export-onnx --int8")
    id2label = read_label_map(folder)
    labels = [id2label[i] for i in range(len(id2label))]
    if labels != manifest.labels:
        raise ExportedModelError(f"{folder / 'config.json'}: its labels {labels} are not the exported model's "
                                 f"{manifest.labels} ({MANIFEST}); the folder mixes two exports, export again")
    try:
        config = AutoConfig.from_pretrained(folder, trust_remote_code=False)
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    except Exception as error:
        raise ExportedModelError(f"{folder}: config or tokenizer unusable: {error}") from error
    if not getattr(tokenizer, "is_fast", False):
        raise ExportedModelError(f"{folder} has a slow tokenizer; word offsets need tokenizer.json")
    path = folder / record.name
    try:
        model = OnnxTokenClassifier(path, config, threads=threads)
    except OnnxModelError as error:
        raise ExportedModelError(str(error)) from None
    found = model.metadata.get(MODEL_ID_KEY)
    if found != manifest.model_id:
        origin = model.metadata.get("nerlib_source")
        came = (f"was exported from another model (id {found[:12]}..." + (f", from {origin}" if origin else "") + ")"
                if found else f"was not exported by nerlib export-onnx (no {MODEL_ID_KEY} in its metadata)")
        raise ExportedModelError(
            f"{path} {came}, not from the model this folder describes (id {manifest.model_id[:12]}..., from "
            f"{manifest.source}): its scores would be read with this folder's labels and tokenizer, so it is "
            "refused; export again with python -m nerlib export-onnx")
    if _sha256(path) != record.sha256:
        raise ExportedModelError(f"{path} has changed since the export (its SHA-256 differs from {MANIFEST}'s): "
                                 "damaged or edited, so it is refused; export again")
    return Checkpoint(model=model, tokenizer=tokenizer, id2label=id2label, source=source or str(folder),
                      path=folder, device="cpu")

