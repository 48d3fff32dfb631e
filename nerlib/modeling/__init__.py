"""Modeling: everything between words and a token-classification model's tensors.

- `models`: model specs (preset, local folder, hub id, ``scratch:...``), presets and their
  schedules, loading, case markers.
- `wordpiece`: a WordPiece vocabulary learnt from the training words (scratch models).
- `encoding`: sentences -> model windows, with document context.
- `alignment`: word labels -> sub-token labels (``first`` / ``all``) and back.
- `pooling`: a word's label distribution from its sub-tokens (first or mean).
- `batching`: token-budget and length-grouped batches, padding, collate.
- `device`: device and precision choice (``auto``).
- `cuda_graphs`: replaying a training step as CUDA graphs.

May import: `nerlib.settings`, `nerlib.data`, `nerlib.text`.
"""

from nerlib.old_paths import package_exports

__getattr__, __dir__ = package_exports(__name__, {
    "PRESETS": "models", "DEFAULT_MODEL": "models", "load_model": "models", "parse_model_spec": "models",
    "add_case_markers": "models", "Schedule": "models", "ModelLoadError": "models",
})
