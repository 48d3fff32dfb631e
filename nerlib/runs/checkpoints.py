"""Load a token-classification checkpoint safely: a training run, any local HF folder, or a hub id.

Accepted sources, tried in this order:

1. a folder saved with ``save_pretrained`` (has ``config.json``);
2. a training run folder (``runs/<name>``): its ``checkpoints/best`` (or ``final``/``last``, or the
   newest checkpoint inside ``checkpoints/``);
3. a run name inside ``$NERLIB_RUNS_DIR`` (default ``./runs``);
4. a Hugging Face Hub id such as ``dslim/bert-base-NER`` (downloaded into the HF cache);
   ``hub:dslim/bert-base-NER`` always means the Hub, never a local folder of that name (the
   dashboard's hub-id box uses it, so a visitor cannot probe local folders through it).

Safety: weights are read from ``*.safetensors`` only (pickled ``pytorch_model.bin`` files are
refused, never unpickled), a sharded index may not point outside its folder, and
``trust_remote_code`` is never set. Training state for ``--resume`` (optimizer, scheduler, RNG) is
read with :func:`load_training_state`, PyTorch's ``weights_only`` loader, which builds tensors and
plain containers only and refuses anything that would run code. Every failure raises a subclass of
:class:`CheckpointError` whose message names the folder and what is wrong with it.

Why one module of this length: finding, checking and loading a checkpoint is one concept (each
check guards the load that follows it); about half of it is docstrings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nerlib.settings import RUNS_DIR_ENV, runs_dir

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "CheckpointNotFoundError",
    "HubUnavailableError",
    "MissingLabelMapError",
    "InvalidLabelMapError",
    "EncodingSettingsError",
    "NotTokenClassificationError",
    "WeightsError",
    "TokenizerError",
    "TrainingStateError",
    "load_training_state",
    "resolve_checkpoint_dir",
    "latest_trained_run",
    "read_label_map",
    "read_encoding_settings",
    "load_checkpoint",
]

HUB_PREFIX = "hub:"

# Preferred checkpoint names inside a run's checkpoints/ folder, best first.
_RUN_CHECKPOINT_NAMES = ("best", "final", "last")
_PICKLE_WEIGHTS = ("pytorch_model.bin", "pytorch_model.bin.index.json", "model.pt", "model.pth",
                   "tf_model.h5", "flax_model.msgpack")

# Files that hold a tokenizer's vocabulary (a folder needs at least one of them).
_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model",
                    "tokenizer.model")


class CheckpointError(Exception):
    """A checkpoint could not be loaded; the message says which folder and why."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """No model folder, run folder or run name matches what was given."""


class MissingLabelMapError(CheckpointError):
    """``config.json`` has no real ``id2label`` map (only ``LABEL_0``... placeholders, or none)."""


class InvalidLabelMapError(MissingLabelMapError):
    """``config.json``'s ``id2label`` holds labels that are not non-empty strings of an IOB/IOB2
    scheme (``O``, ``B-X``, ``I-X``, X free of whitespace and markup)."""


class EncodingSettingsError(CheckpointError):
    """``config.json``'s ``nerlib_encoding`` (how the model's windows were built) has the wrong shape."""


class WeightsError(CheckpointError):
    """Weights are missing, corrupt, incomplete, or only available as a pickle."""


class NotTokenClassificationError(CheckpointError):
    """The folder holds a model of another kind (masked LM, sequence classifier, bare encoder...)."""


class TokenizerError(CheckpointError):
    """The tokenizer is missing, or is not a fast tokenizer (word offsets need one)."""


class TrainingStateError(CheckpointError):
    """A ``training_state/*.pt`` file is unreadable or holds more than tensors and plain values."""


class HubUnavailableError(CheckpointError):
    """A hub id could not be downloaded (offline, unknown id, or gated)."""


@dataclass
class Checkpoint:
    """A loaded checkpoint (see :func:`load_checkpoint`).

    Attributes
    ----------
    model:
        The token-classification model, in eval mode on ``device``.
    tokenizer:
        Its fast tokenizer.
    id2label:
        Label id -> name.
    source:
        What was asked for (a path, run name or Hub id).
    path:
        The folder the model was loaded from.
    device:
        Where the model is.
    """

    model: Any
    tokenizer: Any
    id2label: dict[int, str]
    source: str
    path: Path
    device: str

    @property
    def labels(self) -> list[str]:
        """Label names ordered by id."""
        return [self.id2label[i] for i in sorted(self.id2label)]


def _checkpoint_in_run(run_dir: Path) -> Path | None:
    """The checkpoint to use inside a training run folder (``checkpoints/best`` first), or None."""
    from nerlib.runs.folder import CHECKPOINTS_DIR, best_checkpoint

    best = best_checkpoint(run_dir)
    if best is not None and (best.path / "config.json").is_file():
        return best.path
    # Runs written by other tools: a conventional name, else the newest model folder.
    folder = run_dir / CHECKPOINTS_DIR
    if not folder.is_dir():
        return None
    for name in _RUN_CHECKPOINT_NAMES:
        if (folder / name / "config.json").is_file() and not (folder / name / "checkpoint.json").exists():
            return folder / name
    # (a folder with checkpoint.json is ours: best_checkpoint judged it above, and passed it over as damaged)
    candidates = [p for p in folder.iterdir() if (p / "config.json").is_file() and not p.name.startswith(".")
                  and not (p / "checkpoint.json").exists()]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p / "config.json").stat().st_mtime)


def latest_trained_run(runs_dir: str | os.PathLike | None = None) -> Path | None:
    """The newest run in ``runs_dir`` that has a usable checkpoint (best, else the latest).

    Parameters
    ----------
    runs_dir:
        The folder of runs; default ``$NERLIB_RUNS_DIR`` (else ``./runs``).

    Returns
    -------
    Path or None
        The run folder, or None when no run there has a checkpoint.
    """
    from nerlib.runs.folder import list_runs

    for run in list_runs(runs_dir):
        if _checkpoint_in_run(run.path) is not None:
            return run.path
    return None


def _looks_like_hub_id(text: str) -> bool:
    parts = text.split("/")
    return (
        1 <= len(parts) <= 2
        and all(parts)
        and not text.startswith((".", "~"))
        and all(c.isalnum() or c in "-_." for part in parts for c in part)
    )


def resolve_checkpoint_dir(path_or_name: str | os.PathLike) -> Path | None:
    """Find the model folder for a local path or run name.

    Parameters
    ----------
    path_or_name:
        A model folder, its ``config.json`` or ``model.safetensors``, a training run folder, a run
        name in ``$NERLIB_RUNS_DIR``, or a Hub id (``hub:`` in front always means the Hub).

    Returns
    -------
    Path or None
        The folder holding ``config.json``, or None if it must be a Hub id.

    Raises
    ------
    CheckpointNotFoundError
        For a local path that exists but holds no model (or is another file), or for something
        that is neither a local path, a run name nor a plausible Hub id.
    """
    text = os.fspath(path_or_name)
    if text.startswith(HUB_PREFIX):
        return None
    path = Path(text).expanduser()
    if path.is_file():
        if path.name in ("config.json", "model.safetensors"):
            return resolve_checkpoint_dir(path.parent)
        raise CheckpointNotFoundError(
            f"{path} is a file; pass the model folder (the one holding config.json and "
            "model.safetensors) or a training run folder"
        )
    if path.is_dir():
        if (path / "config.json").is_file():
            return path
        inner = _checkpoint_in_run(path)
        if inner is not None:
            return inner
        raise CheckpointNotFoundError(
            f"{path} holds no model: expected config.json (a folder saved with save_pretrained) or "
            "a training run folder with checkpoints/best/"
        )
    in_runs = runs_dir() / text
    if text and not path.is_absolute() and in_runs.is_dir():
        return resolve_checkpoint_dir(in_runs)
    if _looks_like_hub_id(text):
        return None
    raise CheckpointNotFoundError(
        f"no such checkpoint: {text!r} is not a folder, not a run in {runs_dir()} "
        f"(set {RUNS_DIR_ENV} to look elsewhere), and not a Hugging Face Hub id"
    )


def _download_from_hub(hub_id: str) -> Path:
    """Download the safetensors, config and tokenizer files of a hub model into the HF cache."""
    from huggingface_hub import snapshot_download

    try:
        folder = snapshot_download(
            hub_id,
            allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken"],
        )
    except Exception as error:  # connection, 404, gated repo, offline mode without a cached copy
        raise HubUnavailableError(
            f"{hub_id!r} is not a local folder or a run in {runs_dir()}, and "
            f"could not be downloaded from the Hugging Face Hub ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else 'no details'}). Without internet, pass a "
            "local folder instead: a training run (runs/<name>), its checkpoints/best folder, or any "
            "folder saved with save_pretrained; or copy a Hugging Face cache that holds the model, "
            "point HF_HOME at it and set HF_HUB_OFFLINE=1"
        ) from error
    return Path(folder)


def _read_config(folder: Path) -> dict:
    """config.json as a dict, read bounded like the run records (a regular file of at most
    ``NERLIB_MAX_LINE_BYTES``: a FIFO or device is refused unopened)."""
    from nerlib.runs.folder import RunFileError, read_json_record

    try:
        config = read_json_record(folder / "config.json")
    except RunFileError as error:
        raise CheckpointError(f"{folder / 'config.json'} is not readable JSON: {error}") from error
    if config is None:
        raise CheckpointError(f"{folder / 'config.json'} is not readable JSON: the file does not exist")
    return config


def read_label_map(folder: str | os.PathLike) -> dict[int, str]:
    """Read ``id2label`` from a model folder's ``config.json``.

    Parameters
    ----------
    folder:
        The model folder.

    Returns
    -------
    dict of int to str
        The label of each id; the ids run from 0 without gaps.

    Raises
    ------
    MissingLabelMapError
        When there is no map, its keys are not integers running 0..n-1, or it holds only the
        ``LABEL_<i>`` placeholders that ``transformers`` writes for a model that was never given
        label names.
    InvalidLabelMapError
        When a label is not a string of an IOB/IOB2 scheme (:class:`nerlib.runs.schemas.LabelMap`).
    CheckpointError
        When ``config.json`` is not readable JSON or not a JSON object.
    """
    folder = Path(folder)
    config = _read_config(folder)
    raw = config.get("id2label")
    if not isinstance(raw, dict) or not raw:
        raise MissingLabelMapError(
            f"{folder / 'config.json'} has no id2label label map; save the model with "
            "id2label/label2id set (e.g. nerlib.data.labels.id2label()) so predictions have names"
        )
    try:
        id2label = {int(key): value for key, value in raw.items()}
    except ValueError as error:
        raise MissingLabelMapError(
            f"{folder / 'config.json'}: id2label keys must be integers, got {sorted(raw)[:5]}"
        ) from error
    if sorted(id2label) != list(range(len(id2label))):
        raise MissingLabelMapError(
            f"{folder / 'config.json'}: id2label ids must run 0..{len(id2label) - 1}, "
            f"got {sorted(id2label)}"
        )
    if all(label == f"LABEL_{i}" for i, label in id2label.items()):
        raise MissingLabelMapError(
            f"{folder / 'config.json'} only has placeholder labels LABEL_0..LABEL_{len(id2label) - 1}, "
            "no real label map; save the model with id2label/label2id set (e.g. "
            "nerlib.data.labels.id2label())"
        )
    from pydantic import ValidationError

    from nerlib.runs.schemas import LabelMap

    try:
        LabelMap(labels=[id2label[i] for i in range(len(id2label))])
    except ValidationError as error:
        first = error.errors()[0]
        where = f"label {first['loc'][1]} is {json.dumps(first['input'])[:80]}: " if len(first["loc"]) > 1 else ""
        raise InvalidLabelMapError(
            f"{folder / 'config.json'}: id2label is not an IOB/IOB2 label map, so the checkpoint is refused: "
            f"{where}{first['msg'].removeprefix('Value error, ')}"
        ) from None
    return id2label


def read_encoding_settings(folder: str | os.PathLike) -> dict[str, Any] | None:
    """Read and check ``nerlib_encoding`` (how the model's windows were built) in ``config.json``.

    Parameters
    ----------
    folder:
        The model folder.

    Returns
    -------
    dict or None
        The settings as saved; None for a model trained elsewhere (no such key).

    Raises
    ------
    EncodingSettingsError
        When the value is not an object of the right field types
        (:class:`nerlib.runs.schemas.EncodingSettings`): silently ignoring it would change the scores.
    CheckpointError
        When ``config.json`` is not readable JSON or not a JSON object.
    """
    from pydantic import ValidationError

    from nerlib.modeling.encoding import CONFIG_KEY
    from nerlib.runs.schemas import EncodingSettings, describe_error

    folder = Path(folder)
    raw = _read_config(folder).get(CONFIG_KEY)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise EncodingSettingsError(f"{folder / 'config.json'}: {CONFIG_KEY} is {type(raw).__name__} "
                                    f"{json.dumps(raw)[:80]}, not an object; the checkpoint is refused")
    try:
        EncodingSettings.model_validate(raw)
    except ValidationError as error:
        raise EncodingSettingsError(f"{folder / 'config.json'}: {CONFIG_KEY}: {describe_error(error)}; "
                                    "the checkpoint is refused") from None
    return raw


def _check_kind(folder: Path, config: dict) -> None:
    from transformers.models.auto.modeling_auto import MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES

    if "auto_map" in config:
        raise NotTokenClassificationError(
            f"{folder} needs custom model code (auto_map in config.json); running code shipped with "
            "a checkpoint is refused (trust_remote_code is never set)"
        )
    architectures = config.get("architectures") or []
    model_type = config.get("model_type")
    if not isinstance(model_type, str):
        raise NotTokenClassificationError(
            f"{folder / 'config.json'}: model_type is {model_type!r}, not a model type name such as \"bert\""
        )
    if not isinstance(architectures, list) or not all(isinstance(a, str) for a in architectures):
        raise NotTokenClassificationError(
            f"{folder / 'config.json'}: architectures is {architectures!r}, not a list of class names"
        )
    if architectures and not any(a.endswith("ForTokenClassification") for a in architectures):
        raise NotTokenClassificationError(
            f"{folder} holds a {', '.join(architectures)} model, not a token-classification model; "
            "fine-tune it for NER first (see training/) and load the resulting checkpoint"
        )
    if model_type not in MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING_NAMES:
        raise NotTokenClassificationError(
            f"{folder}: model_type {model_type!r} has no token-classification model in transformers"
        )


def _weight_files(folder: Path) -> list[Path]:
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise WeightsError(f"{index} is not a valid safetensors index: {error}") from error
        names = sorted(set(weight_map.values())) if isinstance(weight_map, dict) else None
        if names is None or not all(isinstance(name, str) for name in names):
            raise WeightsError(f"{index} is not a valid safetensors index: weight_map is not a name -> file map")
        inside = folder.resolve()
        leaving = [name for name in names if inside not in (folder / name).resolve().parents]
        if leaving:  # "../../elsewhere.safetensors" or an absolute path: read nothing outside the folder
            raise WeightsError(f"{index} points outside the checkpoint folder {folder}: {leaving[:3]}; refused")
        files = [folder / name for name in names]
        missing = [f.name for f in files if not f.is_file()]
        if missing:
            raise WeightsError(f"{folder} is missing weight shards listed in {index.name}: {missing}")
        return files
    single = folder / "model.safetensors"
    if single.is_file():
        return [single]
    pickles = [name for name in _PICKLE_WEIGHTS if (folder / name).exists()]
    if pickles:
        raise WeightsError(
            f"{folder} only has {', '.join(pickles)}; pickled weights are refused because "
            "unpickling can run arbitrary code. Convert once from a trusted copy: load it with "
            "transformers and call save_pretrained(folder) (which writes model.safetensors)"
        )
    raise WeightsError(f"{folder} has no model.safetensors (no weights were saved)")


def _check_weights(folder: Path, num_labels: int | None = None) -> list[str]:
    """Open every safetensors file's header; return the tensor names. With ``num_labels``, also
    check that the classifier has that many outputs. Raises WeightsError / MissingLabelMapError."""
    from safetensors import safe_open

    names: list[str] = []
    for file in _weight_files(folder):
        try:
            with safe_open(file, framework="pt") as handle:
                keys = list(handle.keys())
                shapes = {key: handle.get_slice(key).get_shape() for key in keys if key.endswith("classifier.bias")}
        except Exception as error:  # SafetensorError: bad header, truncated file, ...
            raise WeightsError(f"{file} is corrupt or truncated: {error}") from error
        names.extend(keys)
        for key, shape in shapes.items():
            if num_labels is not None and shape and shape[0] != num_labels:
                # Said here, before transformers fails with "look at the above report!"
                raise MissingLabelMapError(
                    f"{folder}: config.json's id2label has {num_labels} labels but the classifier in "
                    f"{file.name} ({key}) has {shape[0]} outputs; the label map and the weights come "
                    "from different models"
                )
    return names


def default_device() -> str:
    """``cuda`` when a GPU is visible, else ``mps`` on Apple silicon, else ``cpu``."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _dtype_keyword() -> str:
    """The ``from_pretrained`` keyword for the weights' dtype: ``dtype`` from transformers 4.56 on
    (where ``torch_dtype`` is deprecated), ``torch_dtype`` before (older releases pass an unknown
    ``dtype`` on to the model's constructor, which fails)."""
    import transformers
    from packaging.version import Version

    return "dtype" if Version(transformers.__version__).release >= (4, 56) else "torch_dtype"


#: How many steps :func:`load_checkpoint` reports to its ``progress`` callback.
LOAD_STEPS = 4


def load_checkpoint(
    path_or_hub_id: str | os.PathLike,
    device: str | None = None,
    dtype: Any = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Checkpoint:
    """Load a token-classification model, its fast tokenizer and label map, ready for inference.

    Every check of the module docstring's "Safety" runs before the weights load.

    Parameters
    ----------
    path_or_hub_id:
        Anything :func:`resolve_checkpoint_dir` accepts; a Hub id is downloaded into the HF cache.
    device:
        Where the model goes; default :func:`default_device`.
    dtype:
        The weights' torch dtype (e.g. ``torch.bfloat16``); default the float32 they are usually
        stored in.
    progress:
        Called as ``progress(done, LOAD_STEPS, what)`` before each step and once at the end:
        ``done`` steps are finished, ``what`` names the one under way (the checks; transformers
        and the tokenizer; the architecture's code; the weights with their size), and in the last
        call (``done == LOAD_STEPS``) the model loaded. For a progress bar.

    Returns
    -------
    Checkpoint
        The model in eval mode on ``device``, its fast tokenizer, label map, source and folder.

    Raises
    ------
    CheckpointNotFoundError
        When nothing local or on the Hub matches.
    HubUnavailableError
        When a Hub id cannot be downloaded (offline, unknown id, or gated).
    NotTokenClassificationError
        For a model of another kind, or one that needs custom code.
    MissingLabelMapError
        For a missing or placeholder label map, or one whose size differs from the classifier's.
    InvalidLabelMapError
        For labels that are not non-empty strings of an IOB/IOB2 scheme.
    EncodingSettingsError
        For a ``nerlib_encoding`` record of the wrong shape.
    WeightsError
        For missing, pickled, corrupt, incomplete or out-of-folder weights.
    TokenizerError
        For a missing, unusable or slow tokenizer.
    CheckpointError
        For an unreadable ``config.json`` (all of the above are its subclasses).
    """
    report = progress or (lambda done, total, what: None)
    source = os.fspath(path_or_hub_id)
    folder = resolve_checkpoint_dir(source)
    if folder is None:
        folder = _download_from_hub(source.removeprefix(HUB_PREFIX))
    report(0, LOAD_STEPS, "checking the checkpoint (config, label map, weights' names)")
    config = _read_config(folder)
    _check_kind(folder, config)
    id2label = read_label_map(folder)
    read_encoding_settings(folder)
    tensor_names = _check_weights(folder, len(id2label))

    report(1, LOAD_STEPS, "importing transformers, reading the tokenizer")
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    if not any((folder / name).is_file() for name in _TOKENIZER_FILES):
        raise TokenizerError(
            f"{folder} has no tokenizer (none of {', '.join(_TOKENIZER_FILES)}); save the tokenizer "
            "next to the model with tokenizer.save_pretrained(folder)"
        )
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
    except Exception as error:
        raise TokenizerError(f"{folder} has no usable tokenizer files: {error}") from error
    if not getattr(tokenizer, "is_fast", False):
        raise TokenizerError(
            f"{folder} has a slow (Python) tokenizer; word offsets need a fast one: save "
            "tokenizer.json with the model (AutoTokenizer.from_pretrained(..., use_fast=True))"
        )
    model_type = str(config.get("model_type") or "the model's")
    report(2, LOAD_STEPS, f"importing {model_type} code")
    _import_architecture(model_type)
    report(3, LOAD_STEPS, f"weights ({_weights_size(folder)})")
    try:
        model, info = AutoModelForTokenClassification.from_pretrained(
            folder,
            use_safetensors=True,
            trust_remote_code=False,
            output_loading_info=True,
            **({_dtype_keyword(): dtype} if dtype is not None else {}),
        )
    except Exception as error:
        raise WeightsError(f"could not load the weights in {folder}: {error}") from error
    missing = [name for name in info.get("missing_keys", []) if name]
    if missing:
        raise WeightsError(
            f"{folder}: model.safetensors lacks {len(missing)} weights the model needs "
            f"(e.g. {sorted(missing)[:3]}; found {len(tensor_names)} tensors), so part of the "
            "model would be random: this is not a complete token-classification checkpoint"
        )
    if model.config.num_labels != len(id2label):
        raise MissingLabelMapError(
            f"{folder}: the classifier has {model.config.num_labels} outputs but id2label has "
            f"{len(id2label)} labels"
        )
    device = device or default_device()
    model.to(device)
    model.eval()
    report(LOAD_STEPS, LOAD_STEPS, f"{model_type}, {len(tensor_names)} tensors, {len(id2label)} labels, on {device}")
    return Checkpoint(
        model=model, tokenizer=tokenizer, id2label=id2label, source=source, path=folder,
        device=str(device),
    )


def _import_architecture(model_type: str) -> None:
    """Import the code of ``model_type``'s token classifier (transformers imports it lazily inside
    ``from_pretrained``), so a progress display tells the import from the reading of the weights.
    Nothing is raised here: the load that follows says what is wrong with the model."""
    try:
        from transformers import MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING, AutoConfig

        MODEL_FOR_TOKEN_CLASSIFICATION_MAPPING[type(AutoConfig.for_model(model_type))]
    except Exception:  # noqa: BLE001 (an unknown or custom type: from_pretrained reports it)
        return


def _weights_size(folder: Path) -> str:
    """The size of a checkpoint's weight files, e.g. ``87 MB`` (``? MB`` when unreadable)."""
    try:
        return f"{sum(file.stat().st_size for file in _weight_files(folder)) / 1e6:,.0f} MB"
    except (OSError, CheckpointError):
        return "? MB"


def _numpy_safe_globals() -> list:
    """The numpy names a pickled ``np.random.get_state()`` needs: an array of uint32 keys."""
    import numpy as np

    reconstruct = getattr(getattr(np, "_core", None), "multiarray", None) or np.core.multiarray
    return [reconstruct._reconstruct, np.ndarray, np.dtype, type(np.dtype(np.uint32))]


def load_training_state(file: str | os.PathLike, map_location: Any = None) -> Any:
    """Load a training-state file without running code from it.

    Read with ``torch.load(weights_only=True)``: tensors, numbers, strings, containers and numpy's
    RNG key array only, so a crafted file cannot run code.

    Parameters
    ----------
    file:
        An optimizer, scheduler, scaler or RNG state written by ``torch.save`` during training.
    map_location:
        As for ``torch.load`` (e.g. ``"cpu"``); None keeps the saved devices.

    Returns
    -------
    object
        The saved object.

    Raises
    ------
    TrainingStateError
        Naming the file, when it is unreadable or truncated, or holds anything else.
    """
    import pickle

    import torch

    try:
        with torch.serialization.safe_globals(_numpy_safe_globals()):
            return torch.load(file, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        raise TrainingStateError(
            f"{file} holds objects other than tensors and plain values, so it was not loaded "
            f"(loading them could run code): {str(error).splitlines()[-1][:300]}"
        ) from error
    except (OSError, RuntimeError, EOFError, ValueError) as error:
        raise TrainingStateError(f"{file} is unreadable or truncated: {type(error).__name__}: {error}") from error
