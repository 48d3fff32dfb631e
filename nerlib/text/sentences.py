"""Split a text's words into sentences, keeping exact character offsets.

The models are trained on CoNLL sentences, one per line, so a document given as raw text is cut
into sentences before it is tagged: an entity never runs across a sentence boundary
("Robert Galvin\\nMELBOURNE" is two sentences, so two entities at most, never one). Boundaries are

- every line break (CoNLL documents written out as text have one sentence or headline per line);
- a sentence-final punctuation word (``.``, ``!``, ``?``, ``...`` and runs of them), together
  with closing quotes or brackets right after it, when the next word does not start with a
  lower-case letter ("He left. The end." -> two; "the U.S. and" stays one because
  :func:`nerlib.text.words.split_words` keeps ``U.S.`` as one word).

Offsets come from the words themselves (:class:`nerlib.text.words.Word`), so
``text[sentence.start:sentence.end]`` is the sentence and every word keeps its offsets.

>>> [s.text for s in split_sentences("Robert Galvin\\nMELBOURNE 1996-12-06\\nHe won. Then he left.")]
['Robert Galvin', 'MELBOURNE 1996-12-06', 'He won.', 'Then he left.']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from nerlib.text.words import Word, split_words

__all__ = ["Sentence", "split_sentences", "sentence_ranges", "sentence_word_ranges"]

_FINAL = frozenset({".", "!", "?", "...", "…", "?!", "!?", "..", "!!", "??"})
_CLOSING = frozenset({'"', "'", "''", "\u201d", "\u2019", ")", "]", "}", "\u00bb"})


@dataclass
class Sentence:
    """One sentence of a text.

    Attributes
    ----------
    text, start, end:
        The sentence and its character offsets, ``text == source[start:end]``.
    first_word:
        The index of its first word among all the text's words.
    words:
        Its words, with their offsets into the source text.
    """

    text: str
    start: int
    end: int
    first_word: int
    words: list[Word] = field(default_factory=list)


def _is_final(word: str) -> bool:
    return word in _FINAL or (len(word) > 1 and set(word) <= {".", "!", "?"})


# First characters of the words after which a sentence can end: final marks and closing quotes or
# brackets. Only the word after one of those (or after a line break) can start a sentence, so only
# those positions are looked at, not every word.
_TRIGGERS = frozenset(".!?\u2026") | frozenset(word[0] for word in _CLOSING)


def sentence_word_ranges(text: str, words: Sequence[Word], *, punctuation: bool = True) -> list[range]:
    """For each sentence of ``text``, the range of indices of its ``words``.

    A line break between two words always ends a sentence; with ``punctuation`` a sentence-final
    punctuation word (plus closing quotes/brackets) followed by a word that does not start with a
    lower-case letter ends one too.

    Parameters
    ----------
    text:
        The text the words come from.
    words:
        ``text``'s words in order (as :func:`nerlib.text.words.split_words` gives them).
    punctuation:
        Whether sentence-final punctuation ends a sentence; False splits at line breaks only.

    Returns
    -------
    list of range
        One range of word indices per sentence, in order, together covering all the words; ``[]``
        when there are no words.

    >>> from nerlib.text.words import split_words
    >>> text = "He won. Then he left.\\nBye"
    >>> sentence_word_ranges(text, split_words(text))
    [range(0, 3), range(3, 7), range(7, 8)]
    >>> sentence_word_ranges(text, split_words(text), punctuation=False)
    [range(0, 7), range(7, 8)]
    """
    return sentence_ranges(text, [w.text for w in words], [w.start for w in words], [w.end for w in words],
                           punctuation=punctuation)


def sentence_ranges(text: str, word_texts: Sequence[str], starts: Sequence[int], ends: Sequence[int], *,
                    punctuation: bool = True) -> list[range]:
    """:func:`sentence_word_ranges` for words given as parallel lists.

    Parameters
    ----------
    text:
        The text the words come from.
    word_texts, starts, ends:
        The words and their character offsets, ``word_texts[i] == text[starts[i]:ends[i]]`` (as
        :func:`nerlib.text.words.word_spans` returns them).
    punctuation:
        Whether sentence-final punctuation ends a sentence; False splits at line breaks only.

    Returns
    -------
    list of range
        One range of word indices per sentence (see :func:`sentence_word_ranges`).
    """
    n = len(word_texts)
    if n == 0:
        return []
    line_breaks = _line_break_positions(text, starts, ends)
    candidates = set(line_breaks)
    if punctuation:
        candidates.update(i + 1 for i, word in enumerate(word_texts) if word[:1] in _TRIGGERS and i + 1 < n)
    ranges: list[range] = []
    begin = 0
    for i in sorted(candidates):
        if i in line_breaks:
            ranges.append(range(begin, i))
            begin = i
            continue
        # the word before: closing quotes/brackets after a final mark belong to its sentence
        k = i - 1
        while k > begin and word_texts[k] in _CLOSING:
            k -= 1
        current = word_texts[i]
        if k > begin and _is_final(word_texts[k]) and current not in _CLOSING and not current[:1].islower():
            ranges.append(range(begin, i))
            begin = i
    ranges.append(range(begin, n))
    return ranges


def _line_break_between(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return "\n" in gap or "\r" in gap


def _line_break_positions(text: str, starts: Sequence[int], ends: Sequence[int]) -> set[int]:
    """Indices ``i`` of the words with a line break between word ``i - 1`` and word ``i``."""
    if "\n" not in text and "\r" not in text:  # most texts: one line
        return set()
    return {i for i in range(1, len(starts)) if _line_break_between(text, ends[i - 1], starts[i])}


def split_sentences(text: str, words: Sequence[Word] | None = None, *, punctuation: bool = True) -> list[Sentence]:
    """Split ``text`` into :class:`Sentence` records (see the module docstring for the rules).

    Parameters
    ----------
    text:
        The text.
    words:
        ``text``'s words in order; default ``split_words(text)``.
    punctuation:
        Whether sentence-final punctuation ends a sentence; False splits at line breaks only.

    Returns
    -------
    list of Sentence
        The sentences in order, with exact offsets; ``[]`` for empty or whitespace-only text.
    """
    words = list(split_words(text) if words is None else words)
    sentences = []
    for indices in sentence_word_ranges(text, words, punctuation=punctuation):
        start, end = words[indices.start].start, words[indices.stop - 1].end
        sentences.append(Sentence(text[start:end], start, end, indices.start, words[indices.start:indices.stop]))
    return sentences
