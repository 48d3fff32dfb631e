"""A vocabulary view of a gensim KeyedVectors: casing convention, phrases, unit vectors, name lookup.

>>> from nerlib.localizer.vectors import example_vectors
>>> vocab = vocabulary(example_vectors(), 100_000)
>>> vocab.lowercase, vocab.find("Paris"), vocab.name_vector("São Paulo")[1]
(True, 'paris', 'sao+paulo')
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from typing import Any

import numpy as np

__all__ = ["Vocab", "vocabulary", "fold", "name_key", "words_of", "STOP_WORDS"]

STOP_WORDS = frozenset("of the and for de del la le des du do da dos das von van & a an in on at".split())
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")


def words_of(text: str) -> list[str]:
    """Return the words of `text` (letters and digits, inner apostrophes, dots and hyphens kept).

    Parameters
    ----------
    text : str

    Returns
    -------
    list of str

    Examples
    --------
    >>> words_of("O'Brien & Co., Winston-Salem")
    ["O'Brien", 'Co', 'Winston-Salem']
    """
    return _WORD.findall(text)


def fold(text: str) -> str:
    """Return `text` without diacritics (``Mahārāshtra`` -> ``Maharashtra``, ``São`` -> ``Sao``).

    Parameters
    ----------
    text : str

    Returns
    -------
    str
    """
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def name_key(text: str) -> str:
    """Return the form under which two spellings of a name count as one: folded, lowercase, single spaces.

    Parameters
    ----------
    text : str
        A name or entity string.

    Returns
    -------
    str
        `text` without diacritics, lowercased, its whitespace runs made single spaces.

    Examples
    --------
    >>> name_key("  São   PAULO ")
    'sao paulo'
    """
    return " ".join(fold(text).lower().split())


class Vocab:
    """Frequent-word unit vectors and lookup conventions of one KeyedVectors (built once, cached).

    ``words``/``unit`` cover the `limit` most frequent keys (the candidates of the vectors-only
    fallback); `find` and `name_vector` look up any key, with a rank limit for names.
    """

    def __init__(self, vectors: Any, vocab_limit: int):
        # Keep the lookup table and the matrix, not the KeyedVectors itself: the module cache is keyed
        # weakly by the KeyedVectors, and a strong reference here would keep it alive forever.
        self.key_to_index = vectors.key_to_index
        self.matrix = vectors.vectors
        keys = vectors.index_to_key
        self.limit = min(vocab_limit, len(keys))
        sample = [k for k in keys[:20000] if isinstance(k, str)]
        self.lowercase = not any(ch.isupper() for k in sample for ch in k)
        self.phrases = any("_" in k.strip("_") and k.replace("_", "").isalpha() for k in sample)
        self.words = list(keys[: self.limit])
        matrix = np.asarray(vectors.vectors[: self.limit], dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.unit = matrix / np.maximum(norms, 1e-12)
        # Candidates must be words (or phrases of words): no numbers, punctuation or URLs.
        self.alphabetic = np.array([isinstance(w, str) and w.replace("_", "").isalpha() for w in self.words])
        self.lower_words = [w.lower() if isinstance(w, str) else "" for w in self.words]
        self.cache: dict[Any, Any] = {}  # per-vectors memo of derived tables (type model, pool matrices)

    # lookup -----------------------------------------------------------------------------------
    def forms(self, word: str) -> list[str]:
        """Return the keys tried for `word`, in order: its casing variants, then without diacritics.

        Parameters
        ----------
        word : str

        Returns
        -------
        list of str
            Lowercase forms only, for lowercase vectors.
        """
        variants = [word, fold(word)] if fold(word) != word else [word]
        if self.lowercase:
            return list(dict.fromkeys(v.lower() for v in variants))
        return list(dict.fromkeys(f for v in variants for f in (v, v.title(), v.lower(), v.upper())))

    def find(self, word: str, max_rank: int | None = None) -> str | None:
        """Return the key for `word` in the vectors' casing convention.

        Parameters
        ----------
        word : str
            A word or phrase key (``New_York``).
        max_rank : int, optional
            Only keys among this many most frequent count.

        Returns
        -------
        str or None
            The first of `forms` the vectors have, or None.
        """
        for form in self.forms(word):
            index = self.key_to_index.get(form)
            if index is not None and (max_rank is None or index < max_rank):
                return form
        return None

    def unit_vector(self, key: str) -> np.ndarray:
        """Return the unit vector of an existing key.

        Parameters
        ----------
        key : str
            A key of the vectors.

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        KeyError
            For a key the vectors lack.
        """
        vector = np.asarray(self.matrix[self.key_to_index[key]], dtype=np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def name_vector(self, text: str, max_rank: int | None = None) -> tuple[np.ndarray | None, str, list[str]]:
        """Return (unit vector, key description, missing words) for a name or entity string.

        The phrase key where the vectors have one (``New_York``), else the mean of the words' unit
        vectors (stop words left out unless nothing else is there).

        Parameters
        ----------
        text : str
            A name or entity.
        max_rank : int, optional
            Only keys among this many most frequent count.

        Returns
        -------
        (numpy.ndarray or None, str, list of str)
            The unit vector (None when no word is known), the key(s) used joined by ``+``, and the words
            the vectors lack.
        """
        tokens = words_of(text)
        if not tokens:
            return None, "", []
        if len(tokens) > 1 and self.phrases:
            key = self.find("_".join(tokens), max_rank)
            if key is not None:
                return self.unit_vector(key), key, []
        content = [t for t in tokens if t.lower() not in STOP_WORDS] or tokens
        keys, missing = [], []
        for token in content:
            key = self.find(token, max_rank)
            if key is None:
                missing.append(token)
            else:
                keys.append(key)
        if not keys:
            return None, "", missing
        vector = np.mean([self.unit_vector(k) for k in keys], axis=0)
        vector /= max(float(np.linalg.norm(vector)), 1e-12)
        return vector, "+".join(keys), missing


_VOCABS: weakref.WeakKeyDictionary[Any, dict[int, Vocab]] = weakref.WeakKeyDictionary()


def vocabulary(vectors: Any, vocab_limit: int) -> Vocab:
    """Return the (cached) `Vocab` of a KeyedVectors for a frequency limit.

    Parameters
    ----------
    vectors : KeyedVectors
        The vectors (anything with ``key_to_index``, ``index_to_key`` and ``vectors``).
    vocab_limit : int
        How many most frequent keys are the candidate words.

    Returns
    -------
    Vocab
        One per vectors and limit, kept while the vectors live.
    """
    try:
        per_limit = _VOCABS.setdefault(vectors, {})
    except TypeError:  # not weak-referenceable: build without caching
        return Vocab(vectors, vocab_limit)
    if vocab_limit not in per_limit:
        per_limit[vocab_limit] = Vocab(vectors, vocab_limit)
    return per_limit[vocab_limit]
