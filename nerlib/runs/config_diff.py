"""How two runs were set up differently: a field-by-field diff of their run.json records.

Comparing two runs starts with what they were trained and scored on (train sentences, evaluation
sentences, seed, model, schedule); :func:`config_diff` lines up every field of two ``run.json``
records (:attr:`nerlib.runs.folder.Run.config`), nested dicts flattened to dotted paths
(``config.seed``, ``data.sentences.train``). The fields that say how a run was set up come first
under a readable name (:data:`KEY_FIELDS`), then the others by path; bookkeeping that differs
between any two runs (name, start time, output folder, command line: :data:`BOOKKEEPING`) is
marked, so a page can keep it out of the "what differs" list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["BOOKKEEPING", "KEY_FIELDS", "ConfigField", "config_diff", "flatten_record"]

#: Dotted path -> readable name, in the order a reader checks them.
KEY_FIELDS: dict[str, str] = {
    "model.spec": "model",
    "model.parameters": "parameters",
    "config.seed": "seed",
    "data.sentences.train": "train sentences",
    "config.max_train_samples": "train sentences asked (--max-train-samples)",
    "config.max_eval_samples": "evaluation sentences (--max-eval-samples)",
    "data.sentences.validation": "validation sentences",
    "data.sentences.test": "test sentences",
    "data.dir": "data folder",
    "config.epochs": "epochs",
    "config.max_steps": "max steps",
    "batching.total_steps": "optimizer steps",
    "config.batch_size": "batch size",
    "config.learning_rate": "learning rate",
    "config.lr_scheduler": "schedule",
    "config.warmup_ratio": "warm-up ratio",
    "config.weight_decay": "weight decay",
    "config.eval_steps": "evaluate every (steps)",
    "config.label_strategy": "label strategy",
    "encoding.document_context": "document context",
    "encoding.max_length": "max length",
    "device.type": "device",
    "config.mixed_precision": "precision",
}

#: Fields that name or date a run rather than say how it was set up.
BOOKKEEPING = frozenset({"name", "started_at", "resumed_at", "command", "config.output_dir", "git_commit"})


@dataclass(frozen=True)
class ConfigField:
    """One field of two run records.

    Attributes
    ----------
    path:
        The dotted path in run.json (``config.seed``).
    name:
        A readable name (:data:`KEY_FIELDS`), else the path.
    a, b:
        The two values as text (``—`` where a record lacks the field; lists as JSON).
    differs:
        Whether the values differ.
    bookkeeping:
        Whether the field names or dates the run (:data:`BOOKKEEPING`).
    """

    path: str
    name: str
    a: str
    b: str
    differs: bool
    bookkeeping: bool


MISSING = "—"


def flatten_record(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts of ``record`` flattened to dotted paths; lists and scalars kept as values.

    >>> flatten_record({"config": {"seed": 1, "tags": ["a"]}, "name": "x"})
    {'config.seed': 1, 'config.tags': ['a'], 'name': 'x'}
    """
    flat: dict[str, Any] = {}
    for key, value in record.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_record(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def config_diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[ConfigField]:
    """Every field of two run records, the differing ones first.

    Order: the fields that differ (the :data:`KEY_FIELDS` in their order, then the others by path,
    bookkeeping last), then the fields that are the same, in the same order.

    Parameters
    ----------
    a, b:
        Two ``run.json`` records (:attr:`nerlib.runs.folder.Run.config`).

    Returns
    -------
    list of ConfigField

    >>> a = {"name": "r1", "config": {"seed": 1, "epochs": 3, "cpu": True}, "data": {"sentences": {"train": 960}}}
    >>> b = {"name": "r2", "config": {"seed": 2, "epochs": 3, "cpu": True}, "data": {"sentences": {"train": 320}}}
    >>> [(f.name, f.a, f.b) for f in config_diff(a, b) if f.differs]
    [('seed', '1', '2'), ('train sentences', '960', '320'), ('name', 'r1', 'r2')]
    >>> [f.name for f in config_diff(a, b) if not f.differs]
    ['epochs', 'config.cpu']
    """
    flat_a, flat_b = flatten_record(a), flatten_record(b)
    paths = list(dict.fromkeys([*flat_a, *flat_b]))
    key_order = {path: index for index, path in enumerate(KEY_FIELDS)}

    def order(path: str) -> tuple[int, int, str]:
        group = 0 if path in key_order else (2 if path in BOOKKEEPING else 1)
        return group, key_order.get(path, 0), path

    rows = []
    for path in sorted(paths, key=order):
        in_a, in_b = path in flat_a, path in flat_b
        value_a = _text(flat_a[path]) if in_a else MISSING
        value_b = _text(flat_b[path]) if in_b else MISSING
        differs = in_a != in_b or (in_a and flat_a[path] != flat_b[path])
        rows.append(ConfigField(path, KEY_FIELDS.get(path, path), value_a, value_b, bool(differs),
                                path in BOOKKEEPING))
    return [row for row in rows if row.differs] + [row for row in rows if not row.differs]
