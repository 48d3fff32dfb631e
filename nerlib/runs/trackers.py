"""Experiment trackers for training runs (``--report-to``), through Accelerate's tracker API.

``metrics.jsonl`` stays the source of truth (the dashboard reads it); a tracker gets the same
fields at the same steps, flattened by :func:`nerlib.runs.folder.flatten_metrics` and prefixed with the
split (``validation/f1``, ``validation/PER_f1``, ``test/LOC_recall``), plus the run's config once
at the start. The training script needs three calls::

    accelerator = Accelerator(..., **accelerator_options(args.report_to, run_dir))
    start(accelerator, run_dir, run_config)          # after run.json is written
    log(accelerator, metrics_line)                   # after each metrics.jsonl line
    # accelerator.end_training() closes the trackers

Where events go: TensorBoard writes into ``<run>/tensorboard/ner-workbench/`` (``tensorboard
--logdir runs`` shows every run); MLflow, Trackio and Weights & Biases use their own settings
(``MLFLOW_TRACKING_URI``, ``WANDB_PROJECT``/``WANDB_MODE``, ...), with the run folder's name as the
run name. Trackers need their package (``pip install tensorboard`` etc.); naming one that is
missing is an error before training starts.

>>> tracker_metrics({"step": 5, "split": "validation", "f1": 0.5, "checkpoint": "best",
...                  "per_type": {"PER": {"f1": 0.7, "support": 3}}})
{'validation/f1': 0.5, 'validation/PER_f1': 0.7, 'validation/PER_support': 3}
"""

from __future__ import annotations

import importlib.util
import json
import numbers
from pathlib import Path
from typing import Any

from nerlib.runs.folder import flatten_metrics

# --report-to choices: the trackers we document and test, "all" (those installed) and "none".
TRACKERS = ("tensorboard", "mlflow", "trackio", "wandb")
REPORT_TO_CHOICES = ("none", *TRACKERS, "all")
# The import name that makes each tracker usable (Accelerate checks the same).
_PACKAGES = {"tensorboard": ("tensorboard", "tensorboardX"), "mlflow": ("mlflow",), "trackio": ("trackio",),
             "wandb": ("wandb",)}
PROJECT_NAME = "ner-workbench"
TENSORBOARD_DIR = "tensorboard"


class TrackerUnavailableError(RuntimeError):
    """A tracker named in ``--report-to`` whose package is not installed."""


def installed_trackers() -> list[str]:
    """The trackers of :data:`TRACKERS` whose package can be imported here."""
    return [name for name in TRACKERS if any(importlib.util.find_spec(p) for p in _PACKAGES[name])]


def resolve_report_to(report_to: str | list[str] | None) -> list[str]:
    """Tracker names for a ``--report-to`` value.

    Parameters
    ----------
    report_to:
        ``none`` or None; ``all``; a tracker name, comma-separated names, or a list of names.

    Returns
    -------
    list of str
        ``[]`` for ``none``/None; every installed tracker for ``all`` (possibly none); otherwise the
        names given, each checked, without repeats.

    Raises
    ------
    ValueError
        For an unknown name.
    TrackerUnavailableError
        Naming the package to install, when a tracker's package is missing or Accelerate is
        missing or too old for it.

    >>> resolve_report_to(None), resolve_report_to("none")
    ([], [])
    """
    if report_to is None:
        return []
    names = report_to if isinstance(report_to, list) else [n.strip() for n in str(report_to).split(",")]
    names = [n for n in names if n and n != "none"]
    if "all" in names:
        return installed_trackers()
    unknown = [n for n in names if n not in TRACKERS]
    if unknown:
        raise ValueError(f"unknown tracker(s) {unknown}; choose from {', '.join(REPORT_TO_CHOICES)}")
    known = _accelerate_trackers()
    too_old = [n for n in names if n not in known]
    if too_old:
        raise TrackerUnavailableError(
            f"--report-to {','.join(too_old)}: this Accelerate release has no such tracker; upgrade it "
            "with `pip install -U accelerate`")
    installed = installed_trackers()
    missing = [n for n in names if n not in installed]
    if missing:
        raise TrackerUnavailableError(
            f"--report-to {','.join(missing)}: the package is not installed; install it with "
            f"`pip install {' '.join(_PACKAGES[n][0] for n in missing)}` (tensorboard also comes with "
            "`pip install ner-workbench[train]`), or leave it out (metrics.jsonl is always written)")
    return list(dict.fromkeys(names))


def _accelerate_trackers() -> set[str]:
    """The tracker names the installed Accelerate knows (``LoggerType``; Trackio came late)."""
    try:
        from accelerate.utils import LoggerType
    except ImportError as error:
        raise TrackerUnavailableError("--report-to needs Accelerate: pip install 'ner-workbench[train]'") from error
    return {member.value for member in LoggerType}


def accelerator_options(report_to: str | list[str] | None, run_dir: str | Path) -> dict[str, Any]:
    """Keyword arguments for ``accelerate.Accelerator`` that enable the trackers of ``report_to``.

    Parameters
    ----------
    report_to:
        A ``--report-to`` value (see :func:`resolve_report_to`).
    run_dir:
        The run folder; TensorBoard logs go into its ``tensorboard/``.

    Returns
    -------
    dict
        ``log_with`` and ``project_dir``; ``{}`` for no tracker.

    Raises
    ------
    ValueError, TrackerUnavailableError
        As :func:`resolve_report_to`.

    >>> accelerator_options("none", "runs/minilm")
    {}
    """
    names = resolve_report_to(report_to)
    if not names:
        return {}
    return {"log_with": names, "project_dir": str(Path(run_dir) / TENSORBOARD_DIR)}


def flatten_config(config: dict[str, Any], prefix: str = "") -> dict[str, bool | int | float | str]:
    """``run.json`` (or any nested dict) as the flat dict that trackers accept as hyperparameters.

    Parameters
    ----------
    config:
        The nested dict.
    prefix:
        Put in front of every name, joined with ``.``.

    Returns
    -------
    dict
        Nested keys joined with ``.``; booleans, numbers and strings kept; lists and other values
        as JSON text; None as ``"none"`` (TensorBoard's hparams reject None).

    >>> flatten_config({"epochs": 3, "model": {"spec": "minilm-cpu", "layers": [1, 2]}, "seed": None})
    {'epochs': 3, 'model.spec': 'minilm-cpu', 'model.layers': '[1, 2]', 'seed': 'none'}
    """
    flat: dict[str, bool | int | float | str] = {}
    for key, value in config.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten_config(value, name))
        elif value is None:
            flat[name] = "none"
        elif isinstance(value, (bool, int, float, str)):
            flat[name] = value
        else:
            flat[name] = json.dumps(value, default=str)
    return flat


def tracker_metrics(line: dict[str, Any]) -> dict[str, float | int]:
    """One ``metrics.jsonl`` line as tracker scalars: every numeric field of
    :func:`~nerlib.runs.folder.flatten_metrics`, named ``<split>/<field>``; ``step`` (the x axis) and
    text fields (``split``, ``checkpoint``, ``source``) left out."""
    split = line.get("split", "eval")
    return {f"{split}/{name}": value for name, value in flatten_metrics(line).items()
            if name != "step" and isinstance(value, numbers.Number) and not isinstance(value, bool)}


def start(accelerator: Any, run_dir: str | Path, config: dict[str, Any]) -> None:
    """Start the trackers the accelerator was created with (no-op without any).

    Call on every process.

    Parameters
    ----------
    accelerator:
        An ``accelerate.Accelerator`` made with :func:`accelerator_options`.
    run_dir:
        The run folder; its name becomes the trackers' run name.
    config:
        Stored as the run's hyperparameters (e.g. ``run.json``), flattened by :func:`flatten_config`.
    """
    if not getattr(accelerator, "log_with", None):
        return
    name = Path(run_dir).name
    accelerator.init_trackers(PROJECT_NAME, config=flatten_config(config), init_kwargs={
        "wandb": {"name": name, "dir": str(run_dir)},
        "mlflow": {"run_name": name},
        "trackio": {"name": name},
    })


def log(accelerator: Any, line: dict[str, Any]) -> None:
    """Send one ``metrics.jsonl`` line to the trackers at its ``step``.

    Main process only, as ``Accelerator.log`` does; a no-op without trackers.

    Parameters
    ----------
    accelerator:
        The ``accelerate.Accelerator`` of the run.
    line:
        The metrics line, sent as :func:`tracker_metrics`.
    """
    if getattr(accelerator, "log_with", None):
        accelerator.log(tracker_metrics(line), step=line.get("step"))
