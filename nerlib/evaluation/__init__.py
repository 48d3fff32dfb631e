"""Evaluation: how good a checkpoint is, and where it goes wrong.

- `metrics`: entity-level precision, recall and F1 with conlleval semantics, per type, and on
  entities seen / unseen in training.
- `errors`: the entity errors of one sentence, paired and classified (no model).
- `scoring`: scoring a checkpoint on a split or file, its error and per-sentence tables.
- `significance`: per-sentence counts, the paired bootstrap and approximate randomization.
- `partial`: nervaluate's partial-match schemes (strict, exact, partial, ent_type).
- `comparison`: two runs on the same sentences (``nerlib compare``, the Compare page).
- `calibration`: confidence and calibration (ECE, reliability, temperature scaling, ``nerlib calibrate``).
- `thresholds`: a confidence threshold on an evaluation (entities below it dropped, P/R/F1 against
  the threshold, precision-recall curves per type; ``nerlib evaluate --threshold``).

May import: `nerlib.settings`, `nerlib.data`, `nerlib.text`, `nerlib.modeling`, `nerlib.runs`,
`nerlib.tagging`.
"""

from nerlib.old_paths import package_exports

__getattr__, __dir__ = package_exports(__name__, {
    "compute_metrics": "metrics", "EntityMetrics": "metrics",
    "evaluate_checkpoint": "scoring", "evaluate_sentences": "scoring", "EvaluationResult": "scoring",
    "compare_runs": "comparison", "Comparison": "comparison", "partial_match": "partial",
})
