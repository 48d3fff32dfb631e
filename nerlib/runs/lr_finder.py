"""The learning-rate finder's bookkeeping: exponential sweep, smoothing, divergence, suggestion.

The range test (Smith 2017; popularised by fastai's ``lr_find``): starting from the model's
initial weights, train a bounded number of steps while the learning rate grows exponentially
from ``start_lr`` to ``end_lr``, and watch the loss. It falls slowly at first, then fast, then
blows up. The sweep stops once the smoothed loss exceeds ``diverge_factor`` times its best value
(or turns NaN). The suggestion is the rate where the smoothed loss falls fastest (steepest negative
slope against log-lr), the usual pick; the curve also records the rate at the minimum, whose tenth
is the other common rule. ``python -m training.lr_find`` runs the model side and writes
``lr_find.json`` (:data:`RESULT_FILE`) into its folder; the dashboard's Training page plots it.

>>> sweep = LRSweep(start_lr=1e-4, end_lr=1.0, num_steps=50)
>>> for step in range(50):
...     lr = sweep.learning_rate(step)
...     if sweep.record(lr, 1.0 / (1 + 100 * lr) + (50 * lr) ** 2):   # falls, then explodes
...         break
>>> sweep.stopped, 1e-3 < sweep.suggestion() < 1e-1
('diverged', True)
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["RESULT_FILE", "LRFindResult", "LRPoint", "LRSweep", "list_lr_finds", "read_lr_find"]

RESULT_FILE = "lr_find.json"


@dataclass
class LRPoint:
    """One step of the sweep: its learning rate, the batch loss and the smoothed loss."""

    step: int
    learning_rate: float
    loss: float
    smoothed: float


@dataclass
class LRSweep:
    """An exponential learning-rate sweep over at most ``num_steps`` steps.

    Call :meth:`learning_rate` for each step's rate and :meth:`record` with the loss it gave;
    ``record`` returns True when the sweep should stop (diverged, or the last step).

    Attributes
    ----------
    start_lr, end_lr:
        The first and the last rate; the rate grows exponentially between them.
    num_steps:
        The most steps (at least 2).
    smoothing:
        The exponential moving average's weight on the past (bias-corrected).
    diverge_factor:
        The sweep stops once the smoothed loss exceeds this many times its best value.
    points:
        The recorded steps.
    stopped:
        ``"diverged"``, ``"end"`` (all steps done), or ``""`` while running.

    Raises
    ------
    ValueError
        Unless ``0 < start_lr < end_lr`` and ``num_steps >= 2``.
    """

    start_lr: float = 1e-7
    end_lr: float = 1.0
    num_steps: int = 100
    smoothing: float = 0.9
    diverge_factor: float = 4.0
    points: list[LRPoint] = field(default_factory=list)
    stopped: str = ""  # "diverged", "end" (all steps done), or "" while running
    _average: float = 0.0
    _best: float = math.inf

    def __post_init__(self) -> None:
        if not (0 < self.start_lr < self.end_lr):
            raise ValueError(f"need 0 < start_lr < end_lr, got {self.start_lr} and {self.end_lr}")
        if self.num_steps < 2:
            raise ValueError("the sweep needs at least 2 steps")

    def learning_rate(self, step: int) -> float:
        """The rate of ``step`` (0-based): ``start_lr`` at 0, ``end_lr`` at ``num_steps - 1``."""
        return self.start_lr * (self.end_lr / self.start_lr) ** (step / (self.num_steps - 1))

    def record(self, learning_rate: float, loss: float) -> bool:
        """Record one step's loss.

        Parameters
        ----------
        learning_rate:
            The rate the step ran at (from :meth:`learning_rate`).
        loss:
            The step's batch loss; NaN or infinite ends the sweep as diverged (not recorded).

        Returns
        -------
        bool
            True when the sweep is over: the smoothed loss exceeded ``diverge_factor`` times its
            best, or this was the last step (:attr:`stopped` says which).
        """
        step = len(self.points)
        if not math.isfinite(loss):
            self.stopped = "diverged"
            return True
        self._average = self.smoothing * self._average + (1 - self.smoothing) * loss
        smoothed = self._average / (1 - self.smoothing ** (step + 1))
        self.points.append(LRPoint(step, learning_rate, loss, smoothed))
        self._best = min(self._best, smoothed)
        if step > 0 and smoothed > self.diverge_factor * self._best:
            self.stopped = "diverged"
            return True
        if step + 1 >= self.num_steps:
            self.stopped = "end"
            return True
        return False

    def minimum_lr(self) -> float | None:
        """The rate at the lowest smoothed loss (None before any point)."""
        if not self.points:
            return None
        return min(self.points, key=lambda p: p.smoothed).learning_rate

    def suggestion(self) -> float | None:
        """The suggested learning rate: where the smoothed loss falls fastest against log(lr).

        Searched up to the minimum (past it the loss rises); None with fewer than 3 points.
        """
        points = self.points
        if len(points) < 3:
            return None
        end = points.index(min(points, key=lambda p: p.smoothed))
        candidates = points[: max(end, 2) + 1]
        slopes = [(b.smoothed - a.smoothed) / (math.log(b.learning_rate) - math.log(a.learning_rate))
                  for a, b in zip(candidates, candidates[1:])]
        best = min(range(len(slopes)), key=slopes.__getitem__)
        return candidates[best].learning_rate


@dataclass
class LRFindResult:
    """What ``lr_find.json`` holds: the sweep settings, the curve, the suggestion and context.

    Attributes
    ----------
    model:
        The model spec the sweep trained.
    suggestion, minimum_lr:
        :meth:`LRSweep.suggestion` and :meth:`LRSweep.minimum_lr`.
    stopped, start_lr, end_lr, num_steps, points:
        As in :class:`LRSweep`.
    preset_learning_rate:
        The model preset's learning rate, for comparison (None for a spec without a preset).
    config:
        The run's options.
    seconds:
        How long the sweep took.
    created_at:
        When it was written (ISO 8601, UTC).
    path:
        The folder it was read from (not written to the file).
    """

    model: str
    suggestion: float | None
    minimum_lr: float | None
    stopped: str
    start_lr: float
    end_lr: float
    num_steps: int
    points: list[LRPoint]
    preset_learning_rate: float | None = None
    config: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    created_at: str = ""
    path: Path | None = None

    @classmethod
    def from_sweep(cls, sweep: LRSweep, model: str, **extra: Any) -> "LRFindResult":
        """The result of a finished sweep.

        Parameters
        ----------
        sweep:
            The sweep; its settings, points, suggestion and minimum are copied.
        model:
            The model spec the sweep trained.
        **extra:
            Further fields (``preset_learning_rate``, ``config``, ``seconds``, ``created_at``).

        Returns
        -------
        LRFindResult
            Not yet written (see :meth:`write`).
        """
        return cls(model=model, suggestion=sweep.suggestion(), minimum_lr=sweep.minimum_lr(), stopped=sweep.stopped,
                   start_lr=sweep.start_lr, end_lr=sweep.end_lr, num_steps=sweep.num_steps,
                   points=list(sweep.points), **extra)

    def to_dict(self) -> dict[str, Any]:
        """The fields as ``lr_find.json`` holds them (points as dicts; ``path`` left out)."""
        data = asdict(self)
        data.pop("path")
        return data

    def write(self, folder: str | os.PathLike) -> Path:
        """Write ``lr_find.json`` into ``folder`` atomically; returns its path."""
        from nerlib.runs.folder import write_json_atomic

        Path(folder).mkdir(parents=True, exist_ok=True)
        return write_json_atomic(Path(folder) / RESULT_FILE, self.to_dict())

    def frame(self):
        """The curve as a DataFrame: step, learning_rate, loss, smoothed."""
        import pandas as pd

        return pd.DataFrame([asdict(p) for p in self.points], columns=["step", "learning_rate", "loss", "smoothed"])


def read_lr_find(folder: str | os.PathLike) -> LRFindResult:
    """Read ``lr_find.json`` from ``folder``.

    Parameters
    ----------
    folder:
        The finder's output folder.

    Returns
    -------
    LRFindResult
        The result (unknown fields ignored), with ``path`` set to ``folder``.

    Raises
    ------
    FileNotFoundError
        If the file is absent.
    ValueError
        Naming the file, if it cannot be read as a result.
    """
    path = Path(folder) / RESULT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["points"] = [LRPoint(**p) for p in data.get("points", [])]
        known = LRFindResult.__dataclass_fields__
        return LRFindResult(**{k: v for k, v in data.items() if k in known}, path=Path(folder))
    except FileNotFoundError:
        raise
    except (OSError, ValueError, TypeError) as error:
        raise ValueError(f"{path}: not a readable learning-rate finder result ({error})") from None


def list_lr_finds(runs_dir: str | os.PathLike | None = None) -> list[LRFindResult]:
    """Every readable learning-rate finder result directly under ``runs_dir``.

    Parameters
    ----------
    runs_dir:
        The folder to look in; default the runs folder (:func:`nerlib.runs.folder.default_runs_dir`).

    Returns
    -------
    list of LRFindResult
        Newest first; unreadable ones are skipped; ``[]`` when the folder does not exist.
    """
    from nerlib.runs.folder import default_runs_dir

    folder = Path(runs_dir) if runs_dir is not None else default_runs_dir()
    if not folder.is_dir():
        return []
    results = []
    for child in folder.iterdir():
        if (child / RESULT_FILE).is_file():
            try:
                results.append(read_lr_find(child))
            except (OSError, ValueError):
                continue
    return sorted(results, key=lambda r: (r.created_at, str(r.path)), reverse=True)
