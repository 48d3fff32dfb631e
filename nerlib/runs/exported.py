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
    onnx-measurement.json optional: words/s and F1 of the export against torch on one CPU kind
                          (:class:`ExportMeasurement`, written by :mod:`nerlib.evaluation.export_speed`)

The manifest records the source model's identity (:func:`model_identity`: a SHA-256 of its
config, label map and weight files) and each ONNX file's SHA-256; every ONNX file also carries the
identity in its own metadata. Loading (:func:`load_exported`) refuses, with the reason, an ONNX
file exported from another model (its identity differs from the manifest's), a file changed since
the export (its checksum differs), a config whose labels are not the exported ones, and a damaged
file (onnxruntime cannot load it); every message names the file. A run folder's export lives by
default in its ``onnx/`` subfolder (:func:`find_exported_folder`), where the tagger looks for it.

The tagger's ``backend="auto"`` runs a run's export instead of torch only on the evidence of a
measurement (:func:`auto_onnx_choice`): the export is of the very checkpoint the run resolves to,
its measurement was taken on this CPU kind with the files that are there, and an ONNX model was
faster than torch's default there within :data:`AUTO_MAX_F1_LOSS` F1 points.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nerlib.modeling.onnx import MODEL_ID_KEY, OnnxModelError, OnnxTokenClassifier, export_token_classifier, quantize_int8
from nerlib.runs.calibration_file import CALIBRATION_FILE, read_calibration, write_calibration
from nerlib.runs.checkpoints import Checkpoint, CheckpointError, load_checkpoint, read_label_map
from nerlib.runs.schemas import describe_error

__all__ = ["AUTO_MAX_F1_LOSS", "EXPORT_SUBFOLDER", "MANIFEST", "MEASUREMENT", "ExportMeasurement", "ExportedModelError",
           "OnnxChoice", "OnnxFile", "OnnxManifest", "VariantFigures", "auto_onnx_choice", "checkpoint_identity",
           "export_onnx", "find_exported_folder", "is_exported_folder", "load_exported", "model_identity",
           "read_manifest", "read_measurement", "write_measurement"]

MANIFEST = "onnx-manifest.json"
MEASUREMENT = "onnx-measurement.json"
# The most F1 points an ONNX model may lose against torch's default and still be picked by the
# tagger's backend="auto" (issue 24: a variant that wins on speed within 0.3 F1 lost).
AUTO_MAX_F1_LOSS = 0.3
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


def checkpoint_identity(folder: str | os.PathLike, labels: list[str] | None = None) -> str:
    """:func:`model_identity` of the checkpoint saved in ``folder`` (its config.json and safetensors).

    Parameters
    ----------
    folder:
        A checkpoint folder.
    labels:
        Its labels, when already read; default its config's label map.

    Returns
    -------
    str
        64 hex digits.
    """
    folder = Path(folder)
    if labels is None:
        id2label = read_label_map(folder)
        labels = [id2label[i] for i in range(len(id2label))]
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    return model_identity(config, labels, sorted(folder.glob("*.safetensors")))


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
    identity = checkpoint_identity(checkpoint.path, labels)
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



class VariantFigures(BaseModel):
    """One variant's figures in a measurement: speed and F1 on the measured sentences."""

    model_config = ConfigDict(strict=True, extra="allow")

    words_per_s: float = Field(gt=0)
    f1: float = Field(ge=0, le=1)
    sha256: str | None = Field(None, pattern=_SHA256)  # an ONNX variant: the file measured


class ExportMeasurement(BaseModel):
    """``onnx-measurement.json``: an export measured against torch's default on one CPU kind.

    Attributes
    ----------
    format, version:
        ``"nerlib-onnx-measurement"``, 1.
    model_id:
        The manifest's ``model_id`` when it was measured.
    cpu:
        :func:`nerlib.modeling.device.cpu_kind` of the machine it was measured on.
    threads:
        Torch and onnxruntime threads during the measurement.
    split, sentences:
        What was tagged and scored (a split or file, and how many of its first sentences).
    torch_dtype:
        The precision torch's default (``dtype="auto"``) ran in.
    torch:
        Torch's figures.
    onnx:
        ``"float32"`` and (with an int8 export) ``"int8"`` -> the ONNX file's figures and SHA-256.
    measured_at:
        UTC time of the measurement.
    """

    model_config = ConfigDict(strict=True, extra="allow")

    format: Literal["nerlib-onnx-measurement"]
    version: Literal[1]
    model_id: str = Field(pattern=_SHA256)
    cpu: str
    threads: int = Field(ge=1)
    split: str
    sentences: int = Field(ge=1)
    torch_dtype: str
    torch: VariantFigures
    onnx: dict[Literal["float32", "int8"], VariantFigures] = Field(min_length=1)
    measured_at: str = ""


def write_measurement(folder: str | os.PathLike, measurement: ExportMeasurement) -> Path:
    """Write ``measurement`` as the exported folder's ``onnx-measurement.json`` (replacing one).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(folder) / MEASUREMENT
    temporary = path.with_name(f".{MEASUREMENT}.tmp")
    temporary.write_text(measurement.model_dump_json(indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path


def read_measurement(folder: str | os.PathLike) -> ExportMeasurement | None:
    """The exported folder's measurement, or None when it has none.

    Raises
    ------
    ExportedModelError
        When the file is not JSON or not a measurement (the field named).
    """
    from nerlib.runs.folder import RunFileError, read_json_record

    path = Path(folder) / MEASUREMENT
    try:
        raw = read_json_record(path)
    except RunFileError as error:
        raise ExportedModelError(str(error)) from None
    if raw is None:
        return None
    try:
        return ExportMeasurement.model_validate(raw)
    except ValidationError as error:
        raise ExportedModelError(f"{path}: {describe_error(error)}") from None


@dataclass(frozen=True)
class OnnxChoice:
    """What ``backend="auto"`` makes of a run's export: the ONNX precision to run, or None (torch), and why."""

    precision: str | None
    reason: str


def _temperature(folder: str | os.PathLike) -> float | None:
    """The calibration temperature of a checkpoint or export folder; None without one or when damaged
    (a damaged file is reported where the folder is loaded)."""
    try:
        record = read_calibration(folder)
    except (ValueError, OSError):
        return None
    return None if record is None else record.temperature


def auto_onnx_choice(exported: str | os.PathLike, checkpoint: str | os.PathLike, *, cpu: str,
                     int8_only: bool = False) -> OnnxChoice:
    """Whether the tagger's ``backend="auto"`` runs ``exported`` instead of the torch ``checkpoint``.

    ONNX is picked only on recorded evidence, each step checked in turn (the first that fails is
    the reason torch runs):

    1. the manifest is readable and its ``model_id`` is the identity of ``checkpoint``, the one torch
       would load (an export of another model, or of an earlier best checkpoint, is refused), and
       both have the same calibration (none, or the same temperature);
    2. ``onnx-measurement.json`` exists, is of that model, was measured on this CPU kind (``cpu``),
       and the files it measured are the files there (same SHA-256 as the manifest's);
    3. of the measured ONNX models (int8 only with ``int8_only``), those within
       :data:`AUTO_MAX_F1_LOSS` F1 points of torch's figures and faster than torch: the fastest.

    Parameters
    ----------
    exported:
        The run's exported folder (:func:`find_exported_folder`).
    checkpoint:
        The checkpoint folder torch would load for the same path.
    cpu:
        This machine's :func:`nerlib.modeling.device.cpu_kind`.
    int8_only:
        int8 was asked for (``quantize``): only the int8 model may be picked.

    Returns
    -------
    OnnxChoice
        ``precision`` ``"int8"`` or ``"float32"`` to run the export, None for torch; ``reason``
        says why, with the figures.
    """
    exported = Path(exported)
    try:
        manifest = read_manifest(exported)
        measurement = read_measurement(exported)
    except ExportedModelError as error:
        return OnnxChoice(None, f"auto: the export is refused: {error}")
    identity = checkpoint_identity(checkpoint)
    if manifest.model_id != identity:
        return OnnxChoice(None, f"auto: the export in {exported} is refused: it was exported from another model (id "
                                f"{manifest.model_id[:12]}..., from {manifest.source}) than the checkpoint "
                                f"{checkpoint} (id {identity[:12]}...); export it again")
    calibrated = _temperature(checkpoint)
    if calibrated != _temperature(exported):
        # `calibrate` after `export-onnx`: the export's scores would not be the ones torch gives
        return OnnxChoice(None, f"auto: the export in {exported} has another calibration than the checkpoint "
                                f"{checkpoint} (temperature {calibrated}, calibrated after the export?); export it "
                                "again")
    if measurement is None:
        return OnnxChoice(None, f"auto: the export in {exported} has no {MEASUREMENT} (measure it on this CPU with "
                                "nerlib.evaluation.export_speed.measure_export); torch runs until it is measured faster")
    if measurement.model_id != manifest.model_id:
        return OnnxChoice(None, f"auto: {exported / MEASUREMENT} measured another model than the export's; measure again")
    if measurement.cpu != cpu:
        return OnnxChoice(None, f"auto: {exported / MEASUREMENT} was measured on another CPU kind ({measurement.cpu}), "
                                f"not this one ({cpu}); measure it here")
    torch_figures = measurement.torch
    described, winners = [], []
    for precision in ("int8",) if int8_only else ("int8", "float32"):
        figures, record = measurement.onnx.get(precision), manifest.files.get(precision)
        if figures is None or record is None:
            continue
        if figures.sha256 != record.sha256:
            described.append(f"ONNX {precision}: the file measured is not the file there (SHA-256 differs)")
            continue
        speed = figures.words_per_s / torch_figures.words_per_s
        lost = 100 * (torch_figures.f1 - figures.f1)
        described.append(f"ONNX {precision} {speed:.2f}x the words/s, {lost:+.2f} F1 points lost")
        if speed > 1 and lost <= AUTO_MAX_F1_LOSS:
            winners.append((speed, precision, lost))
    where = (f"on this CPU kind ({measurement.cpu}, {measurement.threads} thread{'s' * (measurement.threads > 1)}), "
             f"{measurement.sentences} {measurement.split} sentences, against torch {measurement.torch_dtype} "
             f"({exported / MEASUREMENT})")
    if not winners:
        found = "; ".join(described) or "no measured ONNX model" + (" in int8" if int8_only else "")
        return OnnxChoice(None, f"auto: torch: no ONNX model was measured faster within {AUTO_MAX_F1_LOSS:g} F1 points "
                                f"lost ({found}) {where}")
    speed, precision, lost = max(winners)
    others = [note for note in described if not note.startswith(f"ONNX {precision} ")]
    return OnnxChoice(precision, f"auto: ONNX {precision}, measured {speed:.2f}x the words/s of torch at {lost:+.2f} "
                                 f"F1 points lost (at most {AUTO_MAX_F1_LOSS:g} allowed) {where}"
                                 + "".join(f"; {note}" for note in others))
