"""Training data: the splits (CoNLL++ or a folder of CoNLL files, cut by ``--max-*-samples``) and
their encoding into sub-token ids with aligned labels (kept in memory; CoNLL is small)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nerlib.modeling.encoding import EncodedSplit, encode_split


def load_splits(data_dir: str | None):
    """Read the train/validation/test splits, with their document indices (for document context).

    Parameters
    ----------
    data_dir:
        The CoNLL++ folder, a folder of CoNLL files (train/dev/test by name), or None
        (``$NERLIB_DATA_DIR``, the cache, or a download).

    Returns
    -------
    datasets.DatasetDict
        The splits found.
    """
    from nerlib.data.conllpp import load_conll, load_conllpp

    if data_dir and Path(data_dir).is_dir() and not (Path(data_dir) / "conllpp_train.txt").exists():
        return load_conll(data_dir, with_documents=True)
    return load_conllpp(data_dir, with_documents=True)


def read_splits(data_dir: str | None, max_train: int | None, max_eval: int | None) -> tuple[Any, list[str]]:
    """The splits a run trains and evaluates on, and the label list.

    Parameters
    ----------
    data_dir:
        As for :func:`load_splits`.
    max_train:
        Keep only the first N training sentences (None or 0: all).
    max_eval:
        Keep only the first N validation and test sentences (None or 0: all).

    Returns
    -------
    tuple
        ``(splits, label_names)``: the DatasetDict, cut; the training split's label names.

    Raises
    ------
    SystemExit
        The data has no training split.
    """
    raw = load_splits(data_dir)
    if "train" not in raw:
        raise SystemExit(f"error: no train split in {data_dir or 'the CoNLL++ folder'} (found {list(raw)})")
    label_names = list(raw["train"].features["ner_tags"].feature.names)
    if max_train:
        raw["train"] = raw["train"].select(range(min(max_train, len(raw["train"]))))
    for split in ("validation", "test"):
        if split in raw and max_eval:
            raw[split] = raw[split].select(range(min(max_eval, len(raw[split]))))
    return raw, label_names


def encoding_context(args: argparse.Namespace) -> int | None:
    """The encoder's ``context`` for these options.

    Parameters
    ----------
    args:
        Options with ``document_context`` and ``context_size``.

    Returns
    -------
    int or None
        0 (no document context), None (context fills the window) or N sub-tokens per side.
    """
    if not args.document_context:
        return 0
    return args.context_size or None


def encode_splits(raw, tokenizer, label_names: list[str], label_strategy: str, max_length: int,
                  context: int | None) -> dict[str, EncodedSplit]:
    """Encode every split, and mark the entities of each that occur in training (seen/unseen scores).

    Parameters
    ----------
    raw:
        The DatasetDict (train, and validation and test where present).
    tokenizer:
        The model's fast tokenizer.
    label_names:
        The label list.
    label_strategy:
        Which sub-tokens carry a word's label: ``first`` or ``all``.
    max_length:
        Sub-tokens per window.
    context:
        As :func:`encoding_context` returns it.

    Returns
    -------
    dict
        Split name -> :class:`nerlib.modeling.encoding.EncodedSplit`, in the order train, validation, test.
    """
    from nerlib.evaluation.metrics import entity_surface_forms

    encoded = {name: encode_split(name, raw[name], tokenizer, label_names, label_strategy, max_length, context)
               for name in ("train", "validation", "test") if name in raw}
    seen = entity_surface_forms(encoded["train"].tokens, encoded["train"].gold)
    for split in encoded.values():
        split.seen = seen
    return encoded
