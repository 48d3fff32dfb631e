"""The one encoder: words -> sub-token windows, shared by training, evaluation and tagging.

Every path from words to model input goes through here, so training, ``evaluate_checkpoint`` and
the :class:`~nerlib.tagging.tagger.Tagger` feed the model exactly the same sequences:

1. :func:`encode_words` tokenizes pre-split sentences (no special tokens; each distinct word
   once) and records where each word's sub-tokens start. A word the tokenizer drops entirely (a
   control character) gets the unknown token, so every word has a first sub-token to carry its
   label.
2. :func:`sentence_windows` cuts each *target* sentence into windows of whole words that fit
   ``max_length`` with the special tokens (one window per sentence unless it is longer than that;
   long ones either overlap, for prediction, or are truncated, for training), and with
   ``context`` fills the room left in a window with the sub-tokens of the neighbouring sentences
   of the same document, left and right (FLERT, Schweter & Akbik 2020; the BERT paper's CoNLL
   set-up). Context never crosses a document boundary and never carries a label. For prediction,
   :func:`merge_windows` gives each word of an over-long sentence the prediction of the window
   where it has the most context.
3. :func:`encode_examples` turns windows into training/evaluation examples: ``input_ids``,
   ``labels`` (``-100`` on special tokens, on every context token and, with the ``first``
   strategy, on continuation sub-tokens) and ``word_ids`` (the target word of each sub-token, -1
   elsewhere).

``context`` is the most context sub-tokens per side: ``0`` turns document context off, ``None``
fills the window up to ``max_length``. A model trained with context records its setting in its
``config.json`` (:func:`context_config` / :func:`read_context_config`), and the Tagger reads it back,
so a checkpoint is always tagged the way it was trained; the same record holds the word pooling
rule (:mod:`nerlib.modeling.pooling`: how a word's label is read from its sub-tokens' scores).

Why one module of this length: words, windows, examples and the merge back from windows are one
contract (a window's word ranges are what the merge and the labels index), kept in one place so
training and tagging cannot drift apart; more than half of it is docstrings and examples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

from nerlib.modeling.alignment import IGNORE_INDEX, Strategy, inside_label_ids
from nerlib.modeling.pooling import check_pooling

__all__ = [
    "CONFIG_KEY",
    "EncodedSplit",
    "EncodedWords",
    "EncodedExamples",
    "Window",
    "context_config",
    "document_ids",
    "encode_examples",
    "encode_split",
    "encode_words",
    "merge_windows",
    "read_context_config",
    "sentence_windows",
    "special_tokens",
]

#: the attribute of a model's config (config.json) that records how it was encoded in training
CONFIG_KEY = "nerlib_encoding"


@dataclass
class EncodedWords:
    """One sentence, tokenized.

    Attributes
    ----------
    ids:
        The sentence's sub-token ids (no special tokens).
    starts:
        ``starts[w]`` is the index in ``ids`` of word ``w``'s first sub-token;
        ``starts[-1] == len(ids)``.
    """

    ids: list[int]
    starts: np.ndarray

    @property
    def num_words(self) -> int:
        """Words in the sentence."""
        return len(self.starts) - 1


@dataclass
class Window:
    """One model input: target words ``[first_word, end_word)`` of sentence ``sentence``.

    Attributes
    ----------
    sentence:
        The index of the sentence the target words belong to.
    first_word, end_word:
        The target words, ``[first_word, end_word)``.
    input_ids:
        The special tokens, the left context, the target words' sub-tokens and the right context.
    target_start, target_end:
        Delimit the target's sub-tokens in ``input_ids``.
    word_positions:
        Each target word's first sub-token position in ``input_ids``.
    left_context, right_context:
        Context sub-tokens before and after the target.
    """

    sentence: int
    first_word: int
    end_word: int
    input_ids: list[int]
    target_start: int
    target_end: int
    word_positions: list[int]
    left_context: int = 0
    right_context: int = 0


def special_tokens(tokenizer: Any) -> tuple[list[int], list[int]]:
    """Return the token ids ``tokenizer`` puts before and after one sequence (``[CLS]``, ``[SEP]``)."""
    encoding = tokenizer(["x"], is_split_into_words=True, add_special_tokens=True)
    word_ids = encoding.word_ids()
    ids = encoding["input_ids"]
    positions = [i for i, w in enumerate(word_ids) if w is not None]
    return list(ids[: positions[0]]), list(ids[positions[-1] + 1:])


def encode_words(tokenizer: Any, word_lists: Sequence[Sequence[str]], *, chunk: int = 1000) -> list[EncodedWords]:
    """Tokenize pre-split sentences with a fast tokenizer.

    Each distinct word is tokenized once (in sequences of 128 words, ``chunk`` sequences per
    tokenizer call): with ``is_split_into_words`` a fast tokenizer normalizes, pre-tokenizes and
    splits every word on its own, so a word's sub-tokens do not depend on the sentence around it,
    and running text repeats most words, so this is much less tokenizer work than sentence by
    sentence (docs/benchmarks.md, "Host-side tagging cost").

    Parameters
    ----------
    tokenizer:
        A fast tokenizer.
    word_lists:
        The sentences, each a list of words.
    chunk:
        Sequences of 128 distinct words per tokenizer call.

    Returns
    -------
    list of EncodedWords
        One per sentence; an empty sentence gives empty ids. A word the tokenizer drops entirely
        (a control character) gets the unknown token.
    """
    unk = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else (tokenizer.pad_token_id or 0)
    # every word of every sentence, as an index into the distinct words (C loops, not Python ones)
    all_words = list(chain.from_iterable(word_lists))
    distinct = {word: i for i, word in enumerate(dict.fromkeys(all_words))}
    word_index = np.fromiter(map(distinct.__getitem__, all_words), dtype=np.int64, count=len(all_words))
    piece_ids, piece_starts = _tokenize_distinct(tokenizer, list(distinct), unk, chunk)
    # gather each word's sub-tokens into one flat array, sentence after sentence
    counts = np.diff(piece_starts)[word_index]
    word_starts = np.zeros(len(word_index) + 1, dtype=np.int64)
    np.cumsum(counts, out=word_starts[1:])
    flat_ids = piece_ids[np.repeat(piece_starts[word_index] - word_starts[:-1], counts)
                         + np.arange(word_starts[-1])].tolist()
    out: list[EncodedWords] = []
    first_word = 0
    for words in word_lists:
        last_word = first_word + len(words)
        starts = word_starts[first_word:last_word + 1]
        out.append(EncodedWords(flat_ids[starts[0]:starts[-1]], starts - starts[0]))
        first_word = last_word
    return out


# Distinct words go to the tokenizer as pseudo-sentences of this many words, `chunk` of them a call
# (a batch, which the Rust tokenizer spreads over its threads).
_WORDS_PER_SEQUENCE = 128


def _tokenize_distinct(tokenizer: Any, words: list[str], unk: int, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """Tokenize each of ``words`` once; returns ``(ids, starts)``: word ``i``'s sub-tokens are
    ``ids[starts[i]:starts[i + 1]]``. A word the tokenizer drops entirely (a control character)
    gets the unknown token, so every word has a first sub-token to carry its label."""
    sequences = [words[i:i + _WORDS_PER_SEQUENCE] for i in range(0, len(words), _WORDS_PER_SEQUENCE)]
    ids_parts: list[np.ndarray] = []
    count_parts: list[np.ndarray] = []
    for begin in range(0, len(sequences), chunk):
        part = sequences[begin:begin + chunk]
        batch = tokenizer(part, is_split_into_words=True, add_special_tokens=False, truncation=False, verbose=False)
        for sequence, encoding in zip(part, batch.encodings):
            ids = np.asarray(encoding.ids, dtype=np.int64)
            # no special tokens were added, so every sub-token has a word id (None marks specials only)
            counts = np.bincount(np.asarray(encoding.word_ids, dtype=np.int64), minlength=len(sequence))
            if (counts == 0).any():
                ids, counts = _fill_empty_words(ids, counts, unk)
            ids_parts.append(ids)
            count_parts.append(counts)
    starts = np.zeros(len(words) + 1, dtype=np.int64)
    if count_parts:
        np.cumsum(np.concatenate(count_parts), out=starts[1:])
    ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, dtype=np.int64)
    return ids, starts


def _fill_empty_words(ids: np.ndarray, counts: np.ndarray, unk: int) -> tuple[np.ndarray, np.ndarray]:
    """Give every word with no sub-token one unknown token (``ids`` are grouped by word, in order)."""
    empty = counts == 0
    # insert unk where each empty word's sub-tokens would start
    where = np.cumsum(counts)[empty] - counts[empty]
    return np.insert(ids, where, unk), np.where(empty, 1, counts)


def document_ids(documents: Sequence[Any] | None, count: int) -> list[Any]:
    """Return one document key per sentence.

    Parameters
    ----------
    documents:
        One document key per sentence, or ``None``: every sentence its own document (no context).
    count:
        The number of sentences.

    Returns
    -------
    list
        ``documents`` itself as a list, or ``0 .. count - 1``.

    Raises
    ------
    ValueError
        When ``documents`` does not hold ``count`` keys.

    >>> document_ids(None, 3), document_ids(["a", "a", "b"], 3)
    ([0, 1, 2], ['a', 'a', 'b'])
    """
    if documents is None:
        return list(range(count))
    documents = list(documents)
    if len(documents) != count:
        raise ValueError(f"{len(documents)} document ids for {count} sentences")
    return documents


def _context_budget(room: int, left_available: int, right_available: int, context: int | None) -> tuple[int, int]:
    """Split ``room`` free sub-tokens between left and right context: each side at most ``context``
    (``None``: no cap) and what it has; what one side cannot use goes to the other."""
    cap = room if context is None else min(context, room)
    left_max, right_max = min(left_available, cap), min(right_available, cap)
    left = min(left_max, max(room // 2, room - right_max))
    right = min(right_max, room - left)
    return left, right


def sentence_windows(
    encoded: Sequence[EncodedWords],
    *,
    max_length: int,
    prefix: Sequence[int] = (),
    suffix: Sequence[int] = (),
    documents: Sequence[Any] | None = None,
    context: int | None = 0,
    overlap: int | None = None,
    context_length: int | None = None,
) -> tuple[list[Window], int]:
    """Cut every sentence into model windows.

    Each window holds whole target words (one over-long word is cut to fit). A sentence that fits
    ``max_length`` (with ``prefix``/``suffix``) is one window, with context if asked for. A longer
    sentence gets no context: with ``overlap`` it is cut into several windows, without it only its
    first window is kept.

    Parameters
    ----------
    encoded:
        The sentences, from :func:`encode_words`.
    max_length:
        Sub-tokens per window at most, special tokens included.
    prefix, suffix:
        The special tokens before and after each window (:func:`special_tokens`).
    documents:
        One document key per sentence; consecutive sentences with the same key are one document.
        ``None``: no context at all.
    context:
        Context sub-tokens per side at most, taken from the sentences before and after the target
        in its document: 0 = off, ``None`` = fill up to ``max_length``.
    overlap:
        For prediction: cut a long sentence into windows sharing about ``overlap`` sub-tokens
        (:func:`merge_windows` keeps each word's best window). ``None`` (training): keep its first
        window only, and count it in ``truncated``.
    context_length:
        Caps a window with context below ``max_length`` (the tagger's window may be longer than the
        one the model was trained with; its context fills only what training filled).

    Returns
    -------
    tuple
        ``(windows, truncated)``: the windows in sentence order (none for an empty sentence), and
        how many sentences lost words because ``overlap`` was ``None``.

    Raises
    ------
    ValueError
        If ``max_length`` leaves fewer than two sub-tokens next to the special tokens, or
        ``documents`` does not hold one key per sentence.

    >>> encoded = [EncodedWords([7, 8, 9], np.array([0, 2, 3])), EncodedWords([5], np.array([0, 1]))]
    >>> windows, truncated = sentence_windows(encoded, max_length=6, prefix=[101], suffix=[102],
    ...                                       documents=["d", "d"], context=1)
    >>> [(w.input_ids, w.target_start, w.target_end) for w in windows], truncated
    ([([101, 7, 8, 9, 5, 102], 1, 4), ([101, 9, 5, 102], 2, 3)], 0)
    >>> long = [EncodedWords([4, 4, 4, 4, 4, 4], np.arange(7))]
    >>> windows, truncated = sentence_windows(long, max_length=6, prefix=[101], suffix=[102], overlap=2)
    >>> [(w.first_word, w.end_word) for w in windows], truncated
    ([(0, 4), (2, 6)], 0)
    >>> windows, truncated = sentence_windows(long, max_length=6, prefix=[101], suffix=[102])
    >>> [(w.first_word, w.end_word) for w in windows], truncated
    ([(0, 4)], 1)
    """
    capacity = max_length - len(prefix) - len(suffix)
    if capacity < 2:
        raise ValueError(f"max_length={max_length} leaves no room next to {len(prefix) + len(suffix)} special tokens")
    keys = document_ids(documents, len(encoded))
    use_context = documents is not None and context != 0
    windows: list[Window] = []
    truncated = 0
    # where each document starts and ends (consecutive sentences with the same key)
    bounds = _document_bounds(keys)
    cumulative = np.zeros(len(encoded) + 1, dtype=np.int64)  # sub-tokens before each sentence
    np.cumsum([len(e.ids) for e in encoded], out=cumulative[1:])
    for index, sentence in enumerate(encoded):
        n_words = sentence.num_words
        if n_words == 0:
            continue
        starts = sentence.starts
        if int(starts[-1]) <= capacity:
            left_ids: list[int] = []
            right_ids: list[int] = []
            if use_context:
                begin, end = bounds[index]
                room = max(0, min(capacity, (context_length or max_length) - len(prefix) - len(suffix))
                           - int(starts[-1]))
                left_available = int(cumulative[index] - cumulative[begin])
                right_available = int(cumulative[end] - cumulative[index + 1])
                n_left, n_right = _context_budget(room, left_available, right_available, context)
                left_ids = _take_left(encoded, begin, index, n_left)
                right_ids = _take_right(encoded, index + 1, end, n_right)
            target_start = len(prefix) + len(left_ids)
            ids = [*prefix, *left_ids, *sentence.ids, *right_ids, *suffix]
            windows.append(Window(index, 0, n_words, ids, target_start, target_start + len(sentence.ids),
                                  (starts[:-1] + target_start).tolist(), len(left_ids), len(right_ids)))
            continue
        truncated += overlap is None
        first = 0
        while True:
            end = int(np.searchsorted(starts, starts[first] + capacity, side="right")) - 1
            end = max(min(end, n_words), first + 1)  # one over-long word is cut to the window
            token_start = int(starts[first])
            token_ids = sentence.ids[token_start:int(starts[end])][:capacity]
            positions = [int(p) - token_start + len(prefix) for p in starts[first:end]]
            windows.append(Window(index, first, end, [*prefix, *token_ids, *suffix], len(prefix),
                                  len(prefix) + len(token_ids), positions))
            if end >= n_words or overlap is None:
                break
            # start the next window so that about `overlap` sub-tokens are shared, always moving on
            next_first = int(np.searchsorted(starts, starts[end] - overlap, side="left"))
            first = max(next_first, first + 1)
    return windows, truncated


def merge_windows(
    windows: Sequence[Window],
    sentence_lengths: Sequence[int],
    window_labels: Sequence[np.ndarray],
    window_scores: Sequence[np.ndarray],
    window_distributions: Sequence[np.ndarray] | None = None,
) -> list[tuple[np.ndarray, ...]]:
    """Combine the predictions of overlapping windows into one label and score per word.

    A sentence longer than the window is cut by :func:`sentence_windows` (with ``overlap``) into
    windows that share words; each shared word takes its prediction from the window where it has
    the most context on its poorer side: its *margin* is the smaller of the number of words left
    and right of it inside the window (``np.minimum``), and a sentence's first (last) window has no
    edge on its left (right), so that side does not limit the margin. On a tie the earlier window
    keeps the word. A sentence with one window takes that window's arrays as they are.

    Parameters
    ----------
    windows:
        The windows of all sentences, as :func:`sentence_windows` returns them (in any order).
    sentence_lengths:
        Words per sentence (``sentence_lengths[w.sentence]`` for each window ``w``).
    window_labels, window_scores:
        Per window, one label id (int64) and one score (float32) per target word, parallel to
        ``windows``.
    window_distributions:
        Optionally, per window a float32 array ``(target words, labels)``: each word's whole label
        distribution, taken from the same window as its label and score.

    Returns
    -------
    list of tuple
        Per sentence, ``(labels, scores)``: its words' label ids and scores as numpy arrays; empty
        arrays for a sentence without words. With ``window_distributions``, ``(labels, scores,
        distributions)``, the third of shape ``(words, labels)``.

    Two windows over a sentence of six words, sharing words 2 and 3: word 2 has one word right of
    it in the first window and none left of it in the second, so it keeps the first window's
    label; word 3 is the other way round.

    >>> first = Window(0, 0, 4, [], 0, 0, [])
    >>> second = Window(0, 2, 6, [], 0, 0, [])
    >>> labels, scores = merge_windows([first, second], [6], [np.array([1, 1, 1, 1]), np.array([2, 2, 2, 2])],
    ...                                [np.full(4, 0.25, np.float32), np.full(4, 0.75, np.float32)])[0]
    >>> labels.tolist(), scores.tolist()
    ([1, 1, 1, 2, 2, 2], [0.25, 0.25, 0.25, 0.75, 0.75, 0.75])
    """
    results: list = [None] * len(sentence_lengths)
    margins: list = [None] * len(sentence_lengths)
    # the distributions ride along with the scores: the kept window gives all three
    with_distributions = window_distributions is not None
    distributions = window_distributions if with_distributions else [None] * len(windows)
    n_labels = next((d.shape[1] for d in distributions if d is not None), 0)
    for window, labels, scores, distribution in zip(windows, window_labels, window_scores, distributions):
        n_words = sentence_lengths[window.sentence]
        if window.first_word == 0 and window.end_word == n_words:  # the sentence's only window
            results[window.sentence] = (labels, scores, distribution) if with_distributions else (labels, scores)
            continue
        if margins[window.sentence] is None:
            results[window.sentence] = (np.zeros(n_words, dtype=np.int64), np.zeros(n_words, dtype=np.float32))
            if with_distributions:
                results[window.sentence] += (np.zeros((n_words, n_labels), dtype=np.float32),)
            margins[window.sentence] = np.full(n_words, -1, dtype=np.int64)
        index = np.arange(window.first_word, window.end_word)
        # context on the poorer side; the first and last window have no edge on the outer side
        left = index - window.first_word if window.first_word > 0 else np.full(len(index), 1 << 40)
        right = window.end_word - 1 - index if window.end_word < n_words else np.full(len(index), 1 << 40)
        margin = np.minimum(left, right)
        better = margin > margins[window.sentence][index]
        target = results[window.sentence]
        target[0][index[better]] = labels[better]
        target[1][index[better]] = scores[better]
        if with_distributions:
            target[2][index[better]] = distribution[better]
        margins[window.sentence][index[better]] = margin[better]
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    if with_distributions:
        empty += (np.zeros((0, n_labels), dtype=np.float32),)
    return [result if result is not None else empty for result in results]


def _document_bounds(keys: Sequence[Any]) -> list[tuple[int, int]]:
    """For each sentence, the ``[begin, end)`` of the run of consecutive sentences sharing its key."""
    bounds: list[tuple[int, int]] = [(0, 0)] * len(keys)
    begin = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[begin]:
            for j in range(begin, i):
                bounds[j] = (begin, i)
            begin = i
    return bounds


def _take_left(encoded: Sequence[EncodedWords], begin: int, index: int, n: int) -> list[int]:
    """The last ``n`` sub-tokens of sentences ``[begin, index)``."""
    parts: list[list[int]] = []
    need = n
    j = index - 1
    while need > 0 and j >= begin:
        ids = encoded[j].ids
        parts.append(ids[max(0, len(ids) - need):])
        need -= len(parts[-1])
        j -= 1
    return [t for part in reversed(parts) for t in part]


def _take_right(encoded: Sequence[EncodedWords], begin: int, end: int, n: int) -> list[int]:
    """The first ``n`` sub-tokens of sentences ``[begin, end)``."""
    out: list[int] = []
    j = begin
    while len(out) < n and j < end:
        out.extend(encoded[j].ids[: n - len(out)])
        j += 1
    return out


@dataclass
class EncodedExamples:
    """Training/evaluation examples, one per sentence.

    ``None`` for an empty sentence is never produced: empty sentences get ``[prefix + suffix]``
    with no labels.

    Attributes
    ----------
    input_ids:
        The sub-token ids of each example.
    labels:
        Parallel to ``input_ids``: ``-100`` off the target's labelled sub-tokens.
    word_ids:
        Parallel to ``input_ids``: the target word of each sub-token, -1 for special and context
        tokens.
    truncated:
        Sentences cut at ``max_length``.
    context_tokens:
        The context sub-tokens added in all.
    """

    input_ids: list[list[int]] = field(default_factory=list)
    labels: list[list[int]] = field(default_factory=list)
    word_ids: list[list[int]] = field(default_factory=list)
    truncated: int = 0
    context_tokens: int = 0

    def __len__(self) -> int:
        return len(self.input_ids)


def encode_examples(
    tokenizer: Any,
    word_lists: Sequence[Sequence[str]],
    label_lists: Sequence[Sequence[int]] | None = None,
    *,
    max_length: int,
    documents: Sequence[Any] | None = None,
    context: int | None = 0,
    strategy: Strategy = "first",
    label_names: Sequence[str] | None = None,
) -> EncodedExamples:
    """Encode sentences for training or scoring: one example per sentence (see the module docstring).

    Parameters
    ----------
    tokenizer:
        A fast tokenizer.
    word_lists:
        The sentences, each a list of words.
    label_lists:
        One label id per word of each sentence; ``None``: all labels ``-100`` (e.g. unlabelled
        text).
    max_length:
        Sub-tokens per example at most. A longer sentence keeps its first window (words past it get
        no sub-tokens and count in ``truncated``).
    documents, context:
        Document key per sentence and context sub-tokens per side, as in :func:`sentence_windows`.
    strategy:
        ``"first"``: continuation sub-tokens get ``-100``; ``"all"``: they get the target word's
        I- label.
    label_names:
        The labels by id, to find each label's I- form; needed with ``strategy="all"``.

    Returns
    -------
    EncodedExamples
        The examples, in sentence order.

    Raises
    ------
    ValueError
        For a strategy other than ``"first"`` or ``"all"``, for ``"all"`` without
        ``label_names``, and as :func:`sentence_windows` raises.
    """
    if strategy not in ("first", "all"):
        raise ValueError(f"unknown alignment strategy {strategy!r}; use 'first' or 'all'")
    prefix, suffix = special_tokens(tokenizer)
    encoded = encode_words(tokenizer, word_lists)
    windows, truncated = sentence_windows(encoded, max_length=max_length, prefix=prefix, suffix=suffix,
                                          documents=documents, context=context, overlap=None)
    inside = inside_label_ids(label_names) if strategy == "all" and label_names is not None else None
    if strategy == "all" and inside is None:
        raise ValueError("strategy='all' needs label_names")
    out = EncodedExamples(truncated=truncated)
    by_sentence = {w.sentence: w for w in windows}
    for index, sentence in enumerate(encoded):
        window = by_sentence.get(index)
        if window is None:  # an empty sentence: nothing to label
            out.input_ids.append([*prefix, *suffix])
            out.labels.append([IGNORE_INDEX] * (len(prefix) + len(suffix)))
            out.word_ids.append([-1] * (len(prefix) + len(suffix)))
            continue
        length = len(window.input_ids)
        labels = [IGNORE_INDEX] * length
        word_ids = [-1] * length
        covered = window.target_end - window.target_start
        starts = sentence.starts
        for word in range(window.first_word, window.end_word):
            begin = window.target_start + int(starts[word])
            end = min(window.target_start + int(starts[word + 1]), window.target_start + covered)
            for position in range(begin, end):
                word_ids[position] = word
            if label_lists is not None and begin < end:
                label = int(label_lists[index][word])
                labels[begin] = label
                if inside is not None:
                    for position in range(begin + 1, end):
                        labels[position] = inside[label]
        out.input_ids.append(window.input_ids)
        out.labels.append(labels)
        out.word_ids.append(word_ids)
        out.context_tokens += window.left_context + window.right_context
    return out


def context_config(context: int | None, *, enabled: bool, max_length: int,
                   word_pooling: str = "first") -> dict[str, Any]:
    """Return the record saved in a model's config (``config.nerlib_encoding``) and run.json.

    Parameters
    ----------
    context:
        Context sub-tokens per side (``None`` = fill).
    enabled:
        Whether document context is on; off records a ``context_size`` of 0.
    max_length:
        The window the model was trained with.
    word_pooling:
        How a word's label is read from its sub-tokens (:mod:`nerlib.modeling.pooling`).

    Returns
    -------
    dict
        ``document_context``, ``context_size``, ``max_length`` and ``word_pooling``.

    Raises
    ------
    ValueError
        For an unknown ``word_pooling``.

    >>> context_config(8, enabled=True, max_length=128)
    {'document_context': True, 'context_size': 8, 'max_length': 128, 'word_pooling': 'first'}
    """
    return {"document_context": bool(enabled), "context_size": context if enabled else 0,
            "max_length": int(max_length), "word_pooling": check_pooling(word_pooling)}


def read_context_config(model_config: Any) -> dict[str, Any]:
    """Return the encoding record of a loaded model's config (see :func:`context_config`).

    A model trained elsewhere gets the no-context default (``document_context`` False). A record
    without ``word_pooling`` (a checkpoint from before it was recorded) reads ``"first"``, the rule
    it was scored with.

    >>> from types import SimpleNamespace
    >>> read_context_config(SimpleNamespace())
    {'document_context': False, 'context_size': 0, 'max_length': None, 'word_pooling': 'first'}
    """
    record = getattr(model_config, CONFIG_KEY, None)
    if isinstance(record, dict):
        return {"document_context": bool(record.get("document_context")),
                "context_size": record.get("context_size"),
                "max_length": record.get("max_length"),
                "word_pooling": check_pooling(record.get("word_pooling") or "first")}
    return {"document_context": False, "context_size": 0, "max_length": None, "word_pooling": "first"}


@dataclass
class EncodedSplit:
    """One split, tokenized.

    Attributes
    ----------
    name:
        The split's name.
    input_ids, labels:
        Per sentence, the sub-token ids and the aligned label ids.
    word_ids:
        Per sentence, the word of each sub-token (-1 for special tokens).
    tokens, gold:
        Per sentence, the words and gold tags, for scoring.
    truncated:
        Sentences cut at the window length.
    seen:
        The training entities' surface forms, for seen/unseen scores (``None``: none).
    """

    name: str
    input_ids: list[list[int]]
    labels: list[list[int]]
    word_ids: list[list[int]]
    tokens: list[list[str]]
    gold: list[list[str]]
    truncated: int
    seen: frozenset[str] | None = None  # the training entities' surface forms (seen/unseen scores)

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def lengths(self) -> list[int]:
        """Sub-tokens per sentence."""
        return [len(ids) for ids in self.input_ids]


def encode_split(name: str, dataset: Any, tokenizer: Any, label_names: Sequence[str], strategy: str,
                 max_length: int, context: int | None = 0) -> EncodedSplit:
    """Encode a ``datasets.Dataset`` with the shared encoder (:func:`encode_examples`).

    Parameters
    ----------
    name:
        The split's name, kept in the result.
    dataset:
        A dataset with ``tokens`` and ``ner_tags`` columns, and optionally ``document`` (then
        sentences of one document give each other context).
    tokenizer:
        A fast tokenizer.
    label_names:
        The labels by id.
    strategy:
        ``"first"`` or ``"all"`` (see :func:`encode_examples`).
    max_length:
        Sub-tokens per example at most.
    context:
        0 = off, ``None`` = fill, N = at most N sub-tokens per side.

    Returns
    -------
    EncodedSplit
        The encoded sentences with their words and gold tags.

    Raises
    ------
    ValueError
        As :func:`encode_examples` raises.
    """
    tokens, tags = list(dataset["tokens"]), list(dataset["ner_tags"])
    documents = list(dataset["document"]) if "document" in dataset.column_names else None
    examples = encode_examples(tokenizer, tokens, tags, max_length=max_length, documents=documents,
                               context=context, strategy=strategy, label_names=label_names)
    return EncodedSplit(name, examples.input_ids, examples.labels, examples.word_ids, tokens,
                        [[label_names[t] for t in s] for s in tags], examples.truncated)
