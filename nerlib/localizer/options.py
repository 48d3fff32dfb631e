"""The `Localizer`'s options, checked: counts, weight tuples, type prototypes and the analogy anchors.

Each check raises a ValueError (a KeyError for anchors the vectors lack) that names the option.

>>> float_tuple([0.3, 0.3, 0], 3, "weights must be (type, entity, country)")
(0.3, 0.3, 0.0)
>>> check_counts(vocab_limit=100, topn=0, candidates=5)
Traceback (most recent call last):
...
ValueError: vocab_limit, topn and candidates must be positive
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from nerlib.localizer.countries import Country, default_anchors
from nerlib.localizer.vocab import Vocab

__all__ = ["ENTITY_TYPES", "check_counts", "float_tuple", "check_prototypes", "checked_anchors", "anchor_vector"]

#: The entity types anchors may be given for.
ENTITY_TYPES = ("PER", "LOC", "ORG", "MISC")


def check_counts(*, vocab_limit: int, topn: int, candidates: int) -> None:
    """Check that the vocabulary limit, the neighbours kept and the fallback's candidates are positive.

    Parameters
    ----------
    vocab_limit, topn, candidates : int
        The `Localizer` options of those names.

    Raises
    ------
    ValueError
        Where any of them is below 1.
    """
    if vocab_limit < 1 or topn < 1 or candidates < 1:
        raise ValueError("vocab_limit, topn and candidates must be positive")


def float_tuple(values: Iterable[float], size: int, message: str) -> tuple[float, ...]:
    """Return `values` as a tuple of floats of length `size`.

    Parameters
    ----------
    values : iterable of float
        The weights given.
    size : int
        How many there must be.
    message : str
        The error's message, naming the option and its parts.

    Returns
    -------
    tuple of float

    Raises
    ------
    ValueError
        With `message`, where there are not `size` values.
    """
    result = tuple(float(value) for value in values)
    if len(result) != size:
        raise ValueError(message)
    return result


def check_prototypes(prototypes: Any) -> None:
    """Check the fallback's `prototypes` option: ``"conllpp"``, a mapping of examples, or None.

    Parameters
    ----------
    prototypes : str, mapping or None
        The `Localizer` option.

    Raises
    ------
    ValueError
        For a string other than ``"conllpp"``.
    """
    if isinstance(prototypes, str) and prototypes != "conllpp":
        raise ValueError(f"prototypes must be 'conllpp', a mapping of examples or None, got {prototypes!r}")


def checked_anchors(anchors: Mapping[str, tuple[str, str]] | None, types: Sequence[str], source: Country,
                    target: Country, vocab: Vocab) -> dict[str, tuple[str, str]]:
    """Return the analogy anchors of each localized type: the given ones, else the pair's defaults.

    Parameters
    ----------
    anchors : mapping or None
        {type: (source word, target word)} given by the user (None: none).
    types : sequence of str
        The localized types; each gets an anchor pair.
    source, target : Country
        The source and target countries (their defaults: `nerlib.localizer.countries.default_anchors`;
        each country's own word where the vectors lack the measured ones).
    vocab : Vocab
        The vectors' vocabulary.

    Returns
    -------
    dict
        {type: (source word, target word)} for every type of `types`.

    Raises
    ------
    ValueError
        For anchors of an unknown type, or an anchor that is not a pair of non-empty words.
    """
    anchors = dict(anchors or {})
    unknown = set(anchors) - set(types) - set(ENTITY_TYPES)
    if unknown:
        raise ValueError(f"anchors for unknown entity types {sorted(unknown)}")
    for label, pair in anchors.items():
        if isinstance(pair, str) or len(pair) != 2 or not all(isinstance(w, str) and w.strip() for w in pair):
            raise ValueError(f"anchors[{label!r}] must be a (source word, target word) pair, got {pair!r}")
    defaults = default_anchors(source.name, target.name, types)
    if any(vocab.name_vector(word)[0] is None for pair in defaults.values() for word in pair):
        # Vectors without the measured words (made-up or other vectors): each country's own word.
        defaults = default_anchors(source.name, target.name, types, measured=False)
    return {label: tuple(anchors.get(label, defaults[label])) for label in types}


def anchor_vector(vocab: Vocab, words: str) -> np.ndarray:
    """Return the unit vector of an anchor: one word, a phrase, or several words joined by '+'.

    Parameters
    ----------
    vocab : Vocab
        The vectors' vocabulary.
    words : str
        The anchor, e.g. ``"india"`` or ``"india+indian"`` (the mean of both).

    Returns
    -------
    numpy.ndarray
        The unit mean vector of its parts.

    Raises
    ------
    KeyError
        Naming the words the vectors lack.
    """
    vectors, missing = [], []
    for part in words.split("+"):
        vector, _, absent = vocab.name_vector(part)
        missing += absent
        if vector is None:
            missing.append(part)
        else:
            vectors.append(vector)
    if missing or not vectors:
        raise KeyError(f"anchor {words!r}: {', '.join(dict.fromkeys(missing))} not in the vectors; "
                       "choose anchors the vectors know")
    vector = np.mean(vectors, axis=0)
    return vector / np.linalg.norm(vector)
