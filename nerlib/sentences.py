"""Split a text's words into sentences, keeping exact character offsets.

The models are trained on CoNLL sentences, one per line, so a document given as raw text is cut
into sentences before it is tagged: an entity never runs across a sentence boundary
("Robert Galvin\\nMELBOURNE" is two sentences, so two entities at most, never one). Boundaries are

- every line break (CoNLL documents written out as text have one sentence or headline per line);
- a sentence-final punctuation word (``.``, ``!``, ``?``, ``...`` and runs of them), together
  with closing quotes or brackets right after it, when the next word does not start with a
  lower-case letter ("He left. The end." -> two; "the U.S. and" stays one because
  :func:`nerlib.words.split_words` keeps ``U.S.`` as one word).

Offsets come from the words themselves (:class:`nerlib.words.Word`), so
``text[sentence.start:sentence.end]`` is the sentence and every word keeps its offsets.

>>> [s.text for s in split_sentences("Robert Galvin\\nMELBOURNE 1996-12-06\\nHe won. Then he left.")]
['Robert Galvin', 'MELBOURNE 1996-12-06', 'He won.', 'Then he left.']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from nerlib.words import Word, split_words

__all__ = ["Sentence", "split_sentences", "sentence_word_ranges"]

_FINAL = frozenset({".", "!", "?", "...", "…", "?!", "!?", "..", "!!", "??"})
_CLOSING = frozenset({'"', "'", "''", "\u201d", "\u2019", ")", "]", "}", "\u00bb"})


@dataclass
class Sentence:
    """One sentence of a text: ``text == source[start:end]``; ``words`` keep their offsets into
    the source text, ``first_word`` is the index of its first word among all the text's words."""

    text: str
    start: int
    end: int
    first_word: int
    words: list[Word] = field(default_factory=list)


def _is_final(word: str) -> bool:
    return word in _FINAL or (len(word) > 1 and set(word) <= {".", "!", "?"})


def sentence_word_ranges(text: str, words: Sequence[Word], *, punctuation: bool = True) -> list[range]:
    """Return, for each sentence of ``text``, the range of indices of its ``words``.

    ``words`` must be ``text``'s words in order (as :func:`nerlib.words.split_words` gives them).
    A line break between two words always ends a sentence; with ``punctuation`` a sentence-final
    punctuation word (plus closing quotes/brackets) followed by a word that does not start with a
    lower-case letter ends one too.
    """
    ranges: list[range] = []
    begin = 0
    for i in range(1, len(words)):
        previous, current = words[i - 1], words[i]
        if "\n" in text[previous.end:current.start] or "\r" in text[previous.end:current.start]:
            ranges.append(range(begin, i))
            begin = i
            continue
        if not punctuation:
            continue
        # the word before: closing quotes/brackets after a final mark belong to its sentence
        k = i - 1
        while k > begin and words[k].text in _CLOSING:
            k -= 1
        if _is_final(words[k].text) and k > begin and current.text not in _CLOSING \
                and not current.text[:1].islower():
            ranges.append(range(begin, i))
            begin = i
    if words:
        ranges.append(range(begin, len(words)))
    return ranges


def split_sentences(text: str, words: Sequence[Word] | None = None, *, punctuation: bool = True) -> list[Sentence]:
    """Split ``text`` into :class:`Sentence` records (see the module docstring for the rules).

    ``words`` defaults to ``split_words(text)``. Empty or whitespace-only text gives ``[]``.
    """
    words = list(split_words(text) if words is None else words)
    sentences = []
    for indices in sentence_word_ranges(text, words, punctuation=punctuation):
        start, end = words[indices.start].start, words[indices.stop - 1].end
        sentences.append(Sentence(text[start:end], start, end, indices.start, words[indices.start:indices.stop]))
    return sentences
