"""Which sentences a score was computed on: the split, how many sentences, and whether that is the
whole split or its first N (``--max-eval-samples``), read from a run's records.

Every F1 the dashboard shows goes through :func:`record_coverage` (a run's metrics line) or
:class:`Coverage` itself (a fresh evaluation), and is labelled with :meth:`Coverage.describe`, so a
300-sentence slice never reads as a run's test F1 and two scores on different sentences are never
subtracted (:meth:`Coverage.same_sentences`).

The size of a whole split is counted from the data files (``conllpp_test.txt`` has 3,453 sentences,
``conllpp_dev.txt`` 3,250), never hard-coded; when the files are not at hand, ``--max-eval-samples``
in ``run.json`` still tells a slice from a whole split.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nerlib.data.conllpp import CONLLPP_FILES
from nerlib.settings import DATA_DIR_ENV

__all__ = ["Coverage", "record_coverage", "run_data_dir", "split_size"]


@dataclass(frozen=True)
class Coverage:
    """The sentences one score was computed on.

    Attributes
    ----------
    split:
        ``validation`` or ``test`` (or another split name).
    sentences:
        How many sentences were scored (the first ones of the split); None when not recorded.
    split_sentences:
        How many sentences the whole split has; None when unknown.
    capped:
        Whether the run capped its evaluation sets (``--max-eval-samples``); decides a slice when
        ``split_sentences`` is unknown.

    >>> Coverage("test", 300, 3453).describe("F1")
    'test F1 on the first 300 of 3,453 sentences'
    >>> Coverage("test", 3453, 3453).describe("F1")
    'test F1 on all 3,453 sentences'
    >>> Coverage("validation", 200, None, capped=True).is_slice
    True
    """

    split: str
    sentences: int | None
    split_sentences: int | None = None
    capped: bool = False

    @property
    def is_slice(self) -> bool:
        """Whether the score covers only the first sentences of the split (not all of it)."""
        if self.sentences is not None and self.split_sentences is not None:
            return self.sentences < self.split_sentences
        return self.capped

    @property
    def sentences_text(self) -> str:
        """``first 300 of 3,453 sentences``, ``all 3,453 sentences``, or what is known of it."""
        if self.sentences is None:
            return "an unrecorded number of sentences"
        return f"{'the ' if self.is_slice else ''}{self.count_text} sentences"

    @property
    def count_text(self) -> str:
        """:attr:`sentences_text` without its words, for a narrow table cell: ``first 300 of 3,453``,
        ``all 3,453``, or ``unrecorded``.

        >>> Coverage("test", 300, 3453).count_text, Coverage("test", 3453, 3453).count_text
        ('first 300 of 3,453', 'all 3,453')
        """
        if self.sentences is None:
            return "unrecorded"
        if self.is_slice:
            total = f" of {self.split_sentences:,}" if self.split_sentences is not None else ""
            return f"first {self.sentences:,}{total}"
        return f"all {self.sentences:,}"

    def describe(self, metric: str = "F1") -> str:
        """``<split> <metric> on <sentences_text>``, e.g. ``test F1 on the first 300 of 3,453 sentences``."""
        return f"{self.split} {metric} on {self.sentences_text}"

    def same_sentences(self, other: Coverage) -> bool:
        """Whether two scores were computed on the same sentences (same split, same first N), so
        their difference means something.

        >>> Coverage("test", 300, 3453).same_sentences(Coverage("test", 3453, 3453))
        False
        """
        return self.split == other.split and self.sentences is not None and self.sentences == other.sentences


def run_data_dir(config: dict[str, Any]) -> Path | None:
    """The data folder a run was evaluated on: ``run.json``'s ``config.data_dir`` or ``data.dir``,
    else ``$NERLIB_DATA_DIR``; None when none is known."""
    options = config.get("config") if isinstance(config.get("config"), dict) else {}
    data = config.get("data") if isinstance(config.get("data"), dict) else {}
    for value in (options.get("data_dir"), data.get("dir"), os.environ.get(DATA_DIR_ENV)):
        if isinstance(value, str) and value:
            return Path(value)
    return None


def split_size(data_dir: str | os.PathLike | None, split: str) -> int | None:
    """How many sentences ``split`` has in the CoNLL++ files of ``data_dir`` (counted once per file
    version), or None when the file is not there or unreadable."""
    if data_dir is None or split not in CONLLPP_FILES:
        return None
    path = Path(data_dir) / CONLLPP_FILES[split]
    try:
        stat = path.stat()
    except OSError:
        return None
    return _count_sentences(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _count_sentences(path: str, mtime_ns: int, size: int) -> int | None:
    from nerlib.data.conll import read_conll

    try:
        return len(read_conll(path))
    except (OSError, ValueError):
        return None


def record_coverage(config: dict[str, Any], record: dict[str, Any]) -> Coverage:
    """The sentences a run's metrics line was computed on.

    Parameters
    ----------
    config:
        The run's ``run.json`` (``Run.config``): its ``config.max_eval_samples`` and data folder.
    record:
        One ``metrics.jsonl`` line (``split`` and ``sentences``).

    Returns
    -------
    Coverage
        Its split, sentence count, the whole split's size where the data files are at hand, and
        whether the run capped its evaluation.

    >>> config = {"config": {"max_eval_samples": 300, "data_dir": "/nowhere"}}
    >>> record_coverage(config, {"split": "test", "sentences": 300}).describe()
    'test F1 on the first 300 sentences'
    """
    options = config.get("config") if isinstance(config.get("config"), dict) else {}
    split = str(record.get("split") or "validation")
    sentences = record.get("sentences")
    sentences = int(sentences) if isinstance(sentences, int | float) else None
    cap = options.get("max_eval_samples")
    capped = isinstance(cap, int) and cap > 0 and (sentences is None or sentences >= cap)
    return Coverage(split, sentences, split_size(run_data_dir(config), split), capped)
