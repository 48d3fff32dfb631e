"""Data: CoNLL files, the conllpp DatasetDict and its download, labels and IOB schemes, statistics.

- `conll`: read and write CoNLL column files (``ConllFormatError`` names file and line).
- `conllpp`: CoNLL++ as a ``datasets.DatasetDict`` (local folder, cache or checked download) and
  any other CoNLL data (`load_conll`).
- `labels`: the label set, IOB1/IOB2 schemes and entity spans.
- `statistics`: dataset tables (splits, entity counts, lengths, unseen share).
- `lines`: bounded, strictly decoded line reads of any input file (``NERLIB_MAX_LINE_BYTES``).

May import: `nerlib.settings` and `nerlib.errors` only.

>>> from nerlib.data import NER_LABELS
>>> NER_LABELS[:3]
('O', 'B-PER', 'I-PER')
"""

from nerlib.old_paths import package_exports

__getattr__, __dir__ = package_exports(__name__, {
    "load_conllpp": "conllpp", "load_conll": "conllpp", "find_conllpp_dir": "conllpp",
    "DataNotFoundError": "conllpp", "ChecksumError": "conllpp", "CONLLPP_FILES": "conllpp",
    "read_conll": "conll", "ConllFormatError": "conll", "ConllSentence": "conll",
    "NER_LABELS": "labels", "ENTITY_TYPES": "labels", "entity_spans": "labels",
    "dataset_statistics": "statistics",
})
