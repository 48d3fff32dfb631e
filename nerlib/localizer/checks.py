"""The type check and the country check of the vectors-only fallback, each its own unit.

Used where no pool covers an entity's subtype in the target country (a MISC entity, an organisation
subtype without a curated table): candidates then come from the whole vocabulary, and each must
pass

- the **type check** (`TypeModel`): a linear discriminant over type prototypes, the mean vectors of
  CoNLL++ training entities of each type and of ordinary words, so a person becomes a person;
- the **country check** (`CountryCheck`): its nearest country name is the target's.

>>> from nerlib.localizer.vectors import example_vectors
>>> from nerlib.localizer.vocab import vocabulary
>>> vocab = vocabulary(example_vectors(), 100)
>>> model = TypeModel.fit(vocab, {"PER": ["olivia", "smith", "priya"], "O": ["the", "and", "of", "flew"]})
>>> model.predict(np.stack([vocab.unit_vector("gupta"), vocab.unit_vector("works")]))
['PER', 'O']
>>> CountryCheck(vocab).nearest(vocab.unit_vector("mumbai")[None, :])
['india']
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from nerlib.localizer.vocab import Vocab
from nerlib.settings import cache_dir

__all__ = ["TypeModel", "CountryCheck", "COUNTRY_WORDS", "conllpp_type_examples"]

_EXAMPLES_FILE = "conllpp-train-type-examples.json"
#: Country names (lowercase) for the country check: a candidate's nearest country must be the target's.
COUNTRY_WORDS = tuple(
    """afghanistan albania algeria argentina armenia australia austria azerbaijan bangladesh belarus
    belgium bolivia bosnia brazil britain bulgaria cambodia cameroon canada chile china colombia croatia
    cuba cyprus czech denmark ecuador egypt england ethiopia finland france georgia germany ghana greece
    guatemala haiti hungary iceland india indonesia iran iraq ireland israel italy jamaica japan jordan
    kazakhstan kenya korea kuwait laos lebanon libya malaysia mexico mongolia morocco myanmar nepal
    netherlands nigeria norway pakistan palestine peru philippines poland portugal romania russia
    scotland senegal serbia singapore somalia spain sudan sweden switzerland syria taiwan tanzania
    thailand tunisia turkey uganda ukraine usa uruguay uzbekistan venezuela vietnam yemen zimbabwe
    lanka tibet""".split()
)


def conllpp_type_examples(data_dir: str | os.PathLike | None = None, *, refresh: bool = False) -> dict[str, list[str]]:
    """Return example strings per entity type from the CoNLL++ training split, plus ``"O"`` words.

    ``{"PER": [...], "LOC": [...], "ORG": [...], "MISC": [...], "O": [...]}``: the distinct entity
    strings of each type and the distinct alphabetic words tagged O (lowercased). Cached as JSON under
    ``$NERLIB_CACHE_DIR/localizer/`` (the data is read with `nerlib.data.conllpp.load_conllpp`).

    Parameters
    ----------
    data_dir : path, optional
        The CoNLL++ folder (default: `load_conllpp`'s; a given folder is read, not the cache).
    refresh : bool
        Rebuild the cache even where it exists.

    Returns
    -------
    dict of str to list of str
        Example strings per type, types in alphabetical order.

    Raises
    ------
    FileNotFoundError
        (`nerlib.data.conllpp.DataNotFoundError`) Where the training split is missing.
    """
    cache = cache_dir("localizer") / _EXAMPLES_FILE
    if cache.exists() and not refresh and data_dir is None:
        try:
            return json.loads(cache.read_text())
        except (OSError, ValueError):
            pass  # damaged cache: rebuild
    from nerlib.data.conllpp import load_conllpp
    from nerlib.data.labels import entity_spans

    train = load_conllpp(data_dir)["train"]
    names = train.features["ner_tags"].feature.names
    examples: dict[str, dict[str, None]] = {}
    for tokens, tag_ids in zip(train["tokens"], train["ner_tags"]):
        tags = [names[i] for i in tag_ids]
        for span in entity_spans(tags):
            examples.setdefault(span.label, {})[" ".join(tokens[span.start : span.end])] = None
        for token, tag in zip(tokens, tags):
            if tag == "O" and token.isalpha():
                examples.setdefault("O", {})[token.lower()] = None
    result = {label: list(strings) for label, strings in sorted(examples.items())}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(result))
        temporary.replace(cache)
    except OSError:
        pass  # a read-only cache only costs time
    return result


@dataclass
class TypeModel:
    """Type prototypes and a linear discriminant over them (shared covariance, priors from the counts).

    ``labels`` are the classes (entity types and ``"O"`` for ordinary words), ``prototypes`` their
    unit mean vectors. `predict` returns the most likely class of each row of a unit-vector matrix.
    """

    labels: tuple[str, ...]
    prototypes: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    examples: dict[str, int]

    @classmethod
    def fit(cls, vocab: Vocab, examples: Mapping[str, Iterable[str]], shrinkage: float = 0.1) -> TypeModel:
        """Fit the prototypes and the discriminant on example strings of each type.

        Parameters
        ----------
        vocab : Vocab
            The vectors' vocabulary (examples it lacks are left out).
        examples : mapping of str to iterable of str
            {type or ``"O"``: example strings}.
        shrinkage : float
            How far the shared covariance is shrunk towards a scaled identity (0: not at all).

        Returns
        -------
        TypeModel

        Raises
        ------
        ValueError
            Where fewer than two types have an example the vectors know.
        """
        labels, rows, ys, counts = [], [], [], {}
        for label, strings in examples.items():
            vecs = [v for v in (vocab.name_vector(s)[0] for s in strings) if v is not None]
            if not vecs:
                continue
            labels.append(label)
            counts[label] = len(vecs)
            rows.extend(vecs)
            ys.extend([len(labels) - 1] * len(vecs))
        if len(labels) < 2:
            raise ValueError(f"type prototypes need examples of at least two types found in the vectors, got {counts}")
        x, y = np.asarray(rows, dtype=np.float64), np.asarray(ys)
        means = np.stack([x[y == k].mean(axis=0) for k in range(len(labels))])
        residual = x - means[y]
        covariance = residual.T @ residual / len(x)
        dim = covariance.shape[0]
        # Shrink towards a scaled identity: stable even with few examples per type.
        covariance = (1 - shrinkage) * covariance + shrinkage * np.eye(dim) * np.trace(covariance) / dim
        weights = np.linalg.solve(covariance, means.T)
        # Class priors from the example counts: ordinary words ("O") are the most common class, so a
        # word the types barely tell apart is called ordinary and never becomes a replacement.
        priors = np.bincount(y, minlength=len(labels)) / len(y)
        bias = -0.5 * np.sum(means.T * weights, axis=0) + np.log(priors)
        prototypes = means / np.linalg.norm(means, axis=1, keepdims=True)
        return cls(tuple(labels), prototypes.astype(np.float32), weights.astype(np.float32),
                   bias.astype(np.float32), counts)

    def predict(self, unit_rows: np.ndarray) -> list[str]:
        """Return the predicted class label of each row.

        Parameters
        ----------
        unit_rows : numpy.ndarray
            Unit vectors, one per row.

        Returns
        -------
        list of str
            One of `labels` per row.
        """
        return [self.labels[i] for i in np.argmax(unit_rows @ self.weights + self.bias, axis=1)]

    def similarity(self, unit_rows: np.ndarray, label: str) -> np.ndarray:
        """Return the cosine of each row with the prototype of `label` (zeros for an unknown label).

        Parameters
        ----------
        unit_rows : numpy.ndarray
            Unit vectors, one per row.
        label : str
            A class label.

        Returns
        -------
        numpy.ndarray
            One cosine per row.
        """
        if label not in self.labels:
            return np.zeros(len(unit_rows), dtype=np.float32)
        return unit_rows @ self.prototypes[self.labels.index(label)]


class CountryCheck:
    """Nearest country name (among `COUNTRY_WORDS` the vectors know) of unit vectors.
    """

    def __init__(self, vocab: Vocab):
        self.countries = [c for c in COUNTRY_WORDS if vocab.find(c)]
        self.matrix = (np.stack([vocab.unit_vector(vocab.find(c)) for c in self.countries])
                       if self.countries else None)

    def nearest(self, unit_rows: np.ndarray) -> list[str]:
        """Return the nearest country word of each row ("" for every row when the vectors know none).

        Parameters
        ----------
        unit_rows : numpy.ndarray
            Unit vectors, one per row.

        Returns
        -------
        list of str
            A word of `COUNTRY_WORDS` per row.
        """
        if self.matrix is None:
            return [""] * len(unit_rows)
        return [self.countries[i] for i in np.argmax(unit_rows @ self.matrix.T, axis=1)]
