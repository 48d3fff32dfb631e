"""Tagging: a checkpoint applied to text.

- `tagger`: ``Tagger``, text -> words with labels, scores and entity spans (a facade over the rest).
- `settings`: how a tagger runs its model: precision, batch budget per device, window size,
  attention kernels, int8 quantization.
- `inference`: a model run over sentence windows in token-budget batches -> label and score per word.
- `decoding`: label ids -> IOB2 labels -> entity spans; the records ``TaggedText``, ``TaggedWord``,
  ``Entity``.
- `bulk`: tag files of any size (text, JSON lines), resumable, in input order.
- `ray_engine`: the same on Ray Data actors, on one machine or a Ray cluster (``tag --engine ray``).

May import: `nerlib.settings`, `nerlib.data`, `nerlib.text`, `nerlib.modeling`, `nerlib.runs`.
"""

from nerlib.old_paths import package_exports

__getattr__, __dir__ = package_exports(__name__, {"Tagger": "tagger"})
