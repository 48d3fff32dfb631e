"""Runs: the training run folder, its records and what is built from them.

- `folder`: the run folder format (run.json, metrics.jsonl, progress.json, checkpoints,
  predictions), its atomic writers and tolerant readers (``list_runs``, ``best_checkpoint``).
- `schemas`: the typed schema of each run-folder record (pydantic), validated where it is read.
- `checkpoints`: safe checkpoint loading (safetensors only, label maps checked, hub ids,
  a run folder resolved to its best checkpoint).
- `records`: what a training run writes: run.json, progress.json, checkpoints with the training
  state, and reading them back for ``--resume``.
- `lock`: one writer per run folder.
- `trackers`: TensorBoard / MLflow / Trackio / W&B reporting.
- `modelcard`: a checkpoint's README.md.
- `hub`: pushing a checkpoint to the Hugging Face Hub.
- `lr_finder`: the learning-rate sweep's records and its suggestion.
- `coverage`: which sentences a score was computed on (split, count, whole split or first N).
- `ranking`: which run is best (the dashboard's default checkpoint) and the rule said to visitors.

May import: `nerlib.settings`, `nerlib.data`, `nerlib.text`, `nerlib.modeling`.
"""

from nerlib.old_paths import package_exports

__getattr__, __dir__ = package_exports(__name__, {
    "list_runs": "folder", "load_run": "folder", "Run": "folder", "best_checkpoint": "folder",
    "read_metrics": "folder", "default_runs_dir": "folder",
})
