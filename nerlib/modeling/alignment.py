"""Word labels <-> sub-token labels.

A fast tokenizer splits each word into sub-tokens and tells, through ``word_ids()``, which word
each sub-token came from (``None`` for special tokens). Training needs one label per sub-token;
prediction needs one label per word again.

The training script, evaluation and the Tagger build their model inputs with
:mod:`nerlib.modeling.encoding` (the one encoder, with document context); :func:`tokenize_and_align` and
:func:`align_dataset` serve ``Dataset.map`` pipelines such as the Hugging Face ``Trainer`` baseline
in ``bench/training.py``, and give the same ids and labels for sentences without context (tested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from nerlib.data.labels import NER_LABELS

IGNORE_INDEX = -100  # the label id PyTorch's cross-entropy skips
Strategy = Literal["first", "all"]
T = TypeVar("T")


def inside_label_ids(label_names: Sequence[str] = NER_LABELS) -> list[int]:
    """For each label id, the id of its I- form (``B-PER`` -> ``I-PER``; others unchanged).

    >>> inside_label_ids(["O", "B-PER", "I-PER"])
    [0, 2, 2]
    """
    index = {name: i for i, name in enumerate(label_names)}
    return [index.get("I-" + name[2:], i) if name.startswith("B-") else i for i, name in enumerate(label_names)]


def align_labels(
    word_ids: Sequence[int | None],
    word_labels: Sequence[int],
    strategy: Strategy = "first",
    label_names: Sequence[str] = NER_LABELS,
) -> list[int]:
    """One label id per sub-token, from the tokenizer's ``word_ids`` and one label id per word.

    Parameters
    ----------
    word_ids:
        The word index of each sub-token (``None`` for special tokens), as ``word_ids()`` gives it.
    word_labels:
        One label id per word.
    strategy:
        ``"first"``: only a word's first sub-token carries its label, continuations get ``-100``;
        ``"all"``: continuations get the I- form of the word's label (a ``B-PER`` word's later
        pieces become ``I-PER``).
    label_names:
        The labels by id, to find each label's I- form.

    Returns
    -------
    list of int
        One label id per sub-token; special tokens get ``-100`` (:data:`IGNORE_INDEX`).

    Raises
    ------
    ValueError
        For a strategy other than ``"first"`` or ``"all"``.

    >>> word_ids = [None, 0, 0, 1, None]  # [CLS] Jo ##hn ran [SEP]
    >>> align_labels(word_ids, [1, 0], "first", ["O", "B-PER", "I-PER"])
    [-100, 1, -100, 0, -100]
    >>> align_labels(word_ids, [1, 0], "all", ["O", "B-PER", "I-PER"])
    [-100, 1, 2, 0, -100]
    """
    if strategy not in ("first", "all"):
        raise ValueError(f"unknown alignment strategy {strategy!r}; use 'first' or 'all'")
    inside = inside_label_ids(label_names) if strategy == "all" else None
    labels: list[int] = []
    previous: int | None = None
    for word in word_ids:
        if word is None:
            labels.append(IGNORE_INDEX)
        elif word != previous:
            labels.append(word_labels[word])
        else:
            labels.append(inside[word_labels[word]] if inside is not None else IGNORE_INDEX)
        previous = word
    return labels


def tokenize_and_align(
    batch: dict[str, list],
    tokenizer: Any,
    strategy: Strategy = "first",
    max_length: int | None = None,
    label_column: str = "ner_tags",
    label_names: Sequence[str] = NER_LABELS,
) -> dict[str, list]:
    """Tokenize a batch of pre-split sentences and align their labels; for ``Dataset.map(batched=True)``.

    Parameters
    ----------
    batch:
        Columns of a batch: ``tokens`` (word lists) and ``label_column`` (label ids per word).
    tokenizer:
        A fast tokenizer (it must give ``word_ids()``).
    strategy:
        Which sub-tokens carry a word's label (see :func:`align_labels`).
    max_length:
        Sub-tokens per sentence at most; default the tokenizer's ``model_max_length`` (capped at
        100,000).
    label_column:
        The column holding the word labels.
    label_names:
        The labels by id (see :func:`align_labels`).

    Returns
    -------
    dict of list
        ``input_ids``, ``attention_mask``, ``labels`` and ``words_cut`` (how many words of each
        sentence fell off the end because of truncation), one entry per sentence.
    """
    limit = max_length or min(getattr(tokenizer, "model_max_length", 512), 100_000)
    encoded = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True, max_length=limit)
    labels, cut = [], []
    for i, words in enumerate(batch["tokens"]):
        word_ids = encoded.word_ids(i)
        labels.append(align_labels(word_ids, batch[label_column][i], strategy, label_names))
        kept = max((w for w in word_ids if w is not None), default=-1) + 1
        cut.append(len(words) - kept)
    return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"],
            "labels": labels, "words_cut": cut}


@dataclass
class AlignedDataset:
    """A tokenized, label-aligned dataset and how many of its sentences truncation cut."""

    dataset: Any  # datasets.Dataset with input_ids, attention_mask, labels, words_cut
    truncated_sentences: int


def align_dataset(
    dataset: Any,
    tokenizer: Any,
    strategy: Strategy = "first",
    max_length: int | None = None,
    label_column: str = "ner_tags",
    keep_columns: Sequence[str] = (),
    num_proc: int | None = None,
) -> AlignedDataset:
    """Tokenize and align a whole ``datasets.Dataset``.

    Parameters
    ----------
    dataset:
        A dataset with ``tokens`` and a ClassLabel ``label_column`` (its names are the label names).
    tokenizer, strategy, max_length, label_column:
        As in :func:`tokenize_and_align`.
    keep_columns:
        Original columns to keep; all others are dropped.
    num_proc:
        Processes for ``Dataset.map``; None for one.

    Returns
    -------
    AlignedDataset
        The aligned dataset and how many of its sentences truncation cut.
    """
    label_names = dataset.features[label_column].feature.names
    aligned = dataset.map(
        tokenize_and_align,
        batched=True,
        fn_kwargs={"tokenizer": tokenizer, "strategy": strategy, "max_length": max_length,
                   "label_column": label_column, "label_names": label_names},
        remove_columns=[c for c in dataset.column_names if c not in keep_columns],
        num_proc=num_proc,
        desc="Tokenizing and aligning labels",
    )
    return AlignedDataset(aligned, sum(1 for n in aligned["words_cut"] if n > 0))


def word_level_predictions(
    word_ids: Sequence[int | None],
    token_predictions: Sequence[T],
    num_words: int | None = None,
    fill: T | None = None,
) -> list[T | None]:
    """One prediction per word: the prediction of the word's first sub-token.

    Parameters
    ----------
    word_ids:
        The word index of each sub-token (``None`` for special tokens).
    token_predictions:
        One prediction per sub-token, parallel to ``word_ids`` (label ids, label strings, score
        vectors, anything).
    num_words:
        The number of words; default the highest word id + 1.
    fill:
        The prediction of a word the tokenizer never reached (truncation).

    Returns
    -------
    list
        ``num_words`` predictions, in word order.

    >>> word_level_predictions([None, 0, 0, 1, None], ["-", "B-PER", "I-PER", "O", "-"], num_words=3, fill="O")
    ['B-PER', 'O', 'O']
    """
    if num_words is None:
        num_words = max((w for w in word_ids if w is not None), default=-1) + 1
    words: list[T | None] = [fill] * num_words
    seen: set[int] = set()
    for word, prediction in zip(word_ids, token_predictions):
        if word is not None and word not in seen and word < num_words:
            words[word] = prediction
            seen.add(word)
    return words
