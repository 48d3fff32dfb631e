"""Data quality: find the label errors of a CoNLL dataset, review them, export a corrected file.

- `scores`: cleanlab's ``token_classification`` on out-of-sample class distributions -> a quality
  per word and per sentence, the words flagged, a suggested tag sequence and the entity-level view
  (a flagged span with its given and suggested type, or a missed / spurious entity).
- `folds`: out-of-sample distributions: one pass over data the run was not trained on, K-fold
  cross-training (``python -m training.train`` per fold, resumable) for its training data.
- `review`: the review file beside the run (append-only decisions, last one per sentence wins,
  the source's checksum) and the export of the corrected CoNLL file, byte for byte the source
  elsewhere.

Sits after `evaluation` and before `views` in the layer order: it tags with `tagging`, reads runs
with `runs` and classifies span differences with `evaluation`. cleanlab is the optional extra
``[quality]``, imported only when scores are computed.
"""
