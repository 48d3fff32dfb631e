"""Which run is best: the one every page that takes a checkpoint opens on.

The rule (:data:`RULE`, shown as the pickers' tooltip): healthy runs only (readable, with a complete
best checkpoint), ranked by their best checkpoint's validation F1; runs validated on the whole
validation split first, then runs validated on a slice (``--max-eval-samples``: their F1 comes from
fewer, easier-to-overfit sentences and is not comparable), then runs with no validation score; on
a tie the newer run. The best checkpoint itself is :func:`nerlib.runs.folder.best_checkpoint`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nerlib.runs.coverage import Coverage, record_coverage
from nerlib.runs.folder import Run

__all__ = ["RULE", "RankedRun", "best_run", "rank_runs"]

RULE = ("Default: the best healthy run, by its best checkpoint's validation F1. Runs scored on the whole "
        "validation split come first; runs scored only on its first N sentences (--max-eval-samples) "
        "rank after them, then runs without a validation score; newer first on a tie.")


@dataclass(frozen=True)
class RankedRun:
    """A healthy run with the score it is ranked by.

    Attributes
    ----------
    run:
        The run.
    f1:
        Its best checkpoint's validation F1 (0..1), or None when it was never validated.
    coverage:
        The sentences that F1 was computed on (None without a validation record).
    """

    run: Run
    f1: float | None
    coverage: Coverage | None

    @property
    def tier(self) -> int:
        """0: scored on the whole validation split, 1: on a slice, 2: not scored."""
        if self.f1 is None or self.coverage is None:
            return 2
        return 1 if self.coverage.is_slice else 0

    def describe(self) -> str:
        """``validation F1 0.7040 on all 3,250 sentences`` (or why there is none)."""
        if self.f1 is None or self.coverage is None:
            return "no validation score"
        return f"{self.coverage.split} F1 {self.f1:.4f} on {self.coverage.sentences_text}"


def rank_runs(runs: Sequence[Run]) -> list[RankedRun]:
    """The healthy runs of ``runs``, best first (see :data:`RULE`).

    Parameters
    ----------
    runs:
        The runs, newest first (as ``list_runs`` gives them): the order breaks ties.

    Returns
    -------
    list of RankedRun
        Damaged runs and runs without a complete best checkpoint are left out.
    """
    ranked = []
    for run in runs:
        if run.damaged or run.best is None:
            continue
        validation = run.validation_metrics
        coverage = record_coverage(run.config, validation[-1]) if validation else None
        ranked.append(RankedRun(run, run.best.f1, coverage))
    order = {id(item.run): index for index, item in enumerate(ranked)}
    return sorted(ranked, key=lambda item: (item.tier, -(item.f1 or 0.0), order[id(item.run)]))


def best_run(runs: Sequence[Run]) -> RankedRun | None:
    """The first of :func:`rank_runs`, or None when no run is healthy."""
    ranked = rank_runs(runs)
    return ranked[0] if ranked else None
