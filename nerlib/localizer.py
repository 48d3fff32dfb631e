"""Localizer: rewrite a text from one cultural context to another with word vectors.

"My name is Mitchell and I live in Paris" -> "My name is Sharma and I live in Delhi".

Public API (the dashboard codes against it):

    load_vectors(source=None) -> KeyedVectors                  # nerlib.vectors
    default_anchors(source="USA", target="India") -> {type: (source word, target word)}
    Localizer(vectors, source="USA", target="India", *, anchors=None,
              types=("PER", "LOC", "ORG"), prototypes="conllpp", vocab_limit=100_000,
              topn=10, candidates=300, weights=(0.3, 0.3, 0.0))
    Localizer.localize(text, entities) -> Localization          # entities: objects with .label/.start/.end
                                                                # (e.g. nerlib.tagger.Entity) or (start, end, label)
    Localizer.analogue(entity_text, label) -> Replacement       # one entity, no text around it
    Localizer.candidates(entity_text, label, topn=10) -> DataFrame
    neighbours(vectors, text, topn=10, vocab_limit=100_000) -> DataFrame      # rank, word, score
    analogy_candidates(localizer, text, label, topn=10) -> DataFrame
        # rank, candidate, score, analogy, type_score, entity_score, country_score, predicted_type,
        # country, passes, reason
    Localization(text, original, source, target, replacements).to_frame() -> DataFrame
    Replacement(label, start, end, original, replacement, new_start, new_end, changed, score,
                key, neighbours: list[tuple[str, float]], reason)

How an entity is replaced (better than the seed's plain 3CosAdd, see bench/localizer.py):

1. The entity becomes one vector: the phrase key (``New_York``) where the vectors have phrases,
   otherwise the mean of its words' unit vectors (stop words like "of" left out).
2. 3CosAdd gives candidates: the frequent, alphabetic words nearest ``entity - source + target``
   (the anchors are configurable per entity type), never the entity's own words, and never a
   country unless the entity is one.
3. Each candidate must pass two checks: a type check (a linear discriminant over type prototypes,
   the mean vectors of CoNLL++ training entities of each type and of ordinary words, so a person
   becomes a person and a company a company) and a country check (its nearest country among ~100
   country names is the target's).
4. Passing candidates are ranked by ``analogy + 0.3 * cos(c, type prototype) + 0.3 * cos(c, entity)``
   (the last term keeps some of the original's character and gives variety; weights are a
   parameter). Where none passes, the entity is kept and the record says why.
5. Within a text the same entity (case-insensitively) gets the same replacement, different entities
   get different ones where a comparable candidate is left, and each occurrence keeps its casing
   style (Title, UPPER, lower). Only the entities' character spans change.
"""

from __future__ import annotations

import json
import os
import re
import weakref
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from nerlib.settings import cache_dir

__all__ = [
    "DEFAULT_SOURCE",
    "DEFAULT_TARGET",
    "LOCALIZED_TYPES",
    "COUNTRIES",
    "Replacement",
    "Localization",
    "TypeModel",
    "Localizer",
    "default_anchors",
    "neighbours",
    "analogy_candidates",
    "conllpp_type_examples",
]

DEFAULT_SOURCE = "USA"
DEFAULT_TARGET = "India"
LOCALIZED_TYPES = ("PER", "LOC", "ORG")
#: Default weights of the re-ranking terms next to the 3CosAdd similarity (chosen with
#: bench/localizer.py: the entity term keeps some of the original's character, e.g. first name vs
#: surname, and gives variety; a country term adds accuracy only where the country check already holds).
TYPE_WEIGHT = 0.3
ENTITY_WEIGHT = 0.3
COUNTRY_WEIGHT = 0.0
#: A different entity of the same text takes the next candidate only if it scores within this of the best.
ALTERNATIVE_MARGIN = 0.15
#: Country names (lowercase) for the country check: a candidate's nearest country must be the target's.
COUNTRIES = tuple(
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
#: Analogy anchor word for a source/target name, where a different word measured better
#: (bench/localizer.py --sweep: "america" beat "usa" and "american" as the negative anchor for
#: every type with GloVe 6B 50d). Keys are lowercase.
ANCHOR_WORDS = {
    "usa": "america",
    "us": "america",
    "u.s.": "america",
    "united states": "america",
    "united states of america": "america",
    "uk": "britain",
    "united kingdom": "britain",
    "great britain": "britain",
}
_STOP_WORDS = frozenset("of the and for de del la le des du von van & a an in on at".split())
_WORD = re.compile(r"[^\W_]+(?:['’.\-][^\W_]+)*")
_VOWELS = set("aeiouy")
_EXAMPLES_FILE = "conllpp-train-type-examples.json"


def default_anchors(source: str = DEFAULT_SOURCE, target: str = DEFAULT_TARGET,
                    types: Sequence[str] = LOCALIZED_TYPES) -> dict[str, tuple[str, str]]:
    """Return the analogy anchors `Localizer` uses when none are given: type -> (source word, target word).

    The names themselves, except where `ANCHOR_WORDS` holds a word that measured better
    (USA -> ``america``). Show these as the defaults of an anchors editor.
    """
    def word(name: str) -> str:
        return ANCHOR_WORDS.get(name.strip().lower(), name)

    return {label: (word(source), word(target)) for label in types}


# ---------------------------------------------------------------------------------------------
# records


@dataclass
class Replacement:
    """What happened to one entity occurrence.

    ``start``/``end`` are character offsets in the original text, ``new_start``/``new_end`` in the
    new text. ``changed`` is False where the entity was kept (``reason`` says why). ``score`` is the
    ranking score of the chosen candidate (None when kept), ``key`` the vector key(s) looked up,
    ``neighbours`` the top candidates that passed the checks with their scores.
    """

    label: str
    start: int
    end: int
    original: str
    replacement: str
    new_start: int = 0
    new_end: int = 0
    changed: bool = False
    score: float | None = None
    key: str = ""
    neighbours: list[tuple[str, float]] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a plain dict (JSON-ready)."""
        return asdict(self)


@dataclass
class Localization:
    """A rewritten text: ``text`` (new), ``original``, and one `Replacement` per entity occurrence."""

    text: str
    original: str
    source: str
    target: str
    replacements: list[Replacement] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """Number of entity occurrences that were replaced."""
        return sum(r.changed for r in self.replacements)

    def to_frame(self) -> pd.DataFrame:
        """Return one row per entity occurrence: label, original, replacement, score, reason, spans."""
        columns = ["label", "original", "replacement", "changed", "score", "reason", "start", "end",
                   "new_start", "new_end", "key", "neighbours"]
        rows = [{name: getattr(r, name) for name in columns} for r in self.replacements]
        frame = pd.DataFrame(rows, columns=columns)
        frame["neighbours"] = [", ".join(f"{w} ({s:.2f})" for w, s in r.neighbours) for r in self.replacements]
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Return the whole result as a plain dict (JSON-ready)."""
        return {"text": self.text, "original": self.original, "source": self.source, "target": self.target,
                "replacements": [r.to_dict() for r in self.replacements]}


# ---------------------------------------------------------------------------------------------
# vocabulary view of a KeyedVectors: casing convention, phrases, unit vectors of frequent words


class _Vocab:
    """Frequent-word unit vectors and lookup conventions of one KeyedVectors (built once, cached)."""

    def __init__(self, vectors, vocab_limit: int):
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
        self.type_models: dict[str, TypeModel] = {}  # fitted once per vectors: "conllpp" -> model

    # lookup -----------------------------------------------------------------------------------
    def _forms(self, word: str) -> list[str]:
        if self.lowercase:
            return [word.lower()]
        return list(dict.fromkeys([word, word.title(), word.lower(), word.upper()]))

    def find(self, word: str) -> str | None:
        """Return the key for `word` in the vectors' casing convention, or None."""
        for form in self._forms(word):
            if form in self.key_to_index:
                return form
        return None

    def unit_vector(self, key: str) -> np.ndarray:
        vector = np.asarray(self.matrix[self.key_to_index[key]], dtype=np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)

    def entity_vector(self, text: str) -> tuple[np.ndarray | None, str, list[str]]:
        """Return (unit vector, key description, missing words) for an entity string.

        The phrase key where the vectors have one, else the mean of the words' unit vectors
        (stop words left out unless nothing else is there).
        """
        tokens = _WORD.findall(text)
        if not tokens:
            return None, "", []
        if len(tokens) > 1 and self.phrases:
            key = self.find("_".join(tokens))
            if key is not None:
                return self.unit_vector(key), key, []
        content = [t for t in tokens if t.lower() not in _STOP_WORDS] or tokens
        keys, missing = [], []
        for token in content:
            key = self.find(token)
            (keys if key is not None else missing).append(key if key is not None else token)
        if not keys:
            return None, "", missing
        vector = np.mean([self.unit_vector(k) for k in keys], axis=0)
        vector /= max(float(np.linalg.norm(vector)), 1e-12)
        return vector, "+".join(keys), missing


_VOCABS: "weakref.WeakKeyDictionary[Any, dict[int, _Vocab]]" = weakref.WeakKeyDictionary()


def _vocab(vectors, vocab_limit: int) -> _Vocab:
    try:
        per_limit = _VOCABS.setdefault(vectors, {})
    except TypeError:  # not weak-referenceable: build without caching
        return _Vocab(vectors, vocab_limit)
    if vocab_limit not in per_limit:
        per_limit[vocab_limit] = _Vocab(vectors, vocab_limit)
    return per_limit[vocab_limit]


# ---------------------------------------------------------------------------------------------
# type prototypes


def conllpp_type_examples(data_dir: str | os.PathLike | None = None, *, refresh: bool = False) -> dict[str, list[str]]:
    """Return example strings per entity type from the CoNLL++ training split, plus ``"O"`` words.

    ``{"PER": [...], "LOC": [...], "ORG": [...], "MISC": [...], "O": [...]}``: the distinct entity
    strings of each type and the distinct alphabetic words tagged O (lowercased). Cached as JSON under
    ``$NERLIB_CACHE_DIR/localizer/`` (the data is read with `nerlib.data.load_conllpp`).
    """
    cache = cache_dir("localizer") / _EXAMPLES_FILE
    if cache.exists() and not refresh and data_dir is None:
        try:
            return json.loads(cache.read_text())
        except (OSError, ValueError):
            pass  # damaged cache: rebuild
    from nerlib.data import load_conllpp
    from nerlib.labels import entity_spans

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
    def fit(cls, vocab: _Vocab, examples: Mapping[str, Iterable[str]], shrinkage: float = 0.1) -> "TypeModel":
        labels, rows, ys, counts = [], [], [], {}
        for label, strings in examples.items():
            vecs = [v for v in (vocab.entity_vector(s)[0] for s in strings) if v is not None]
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
        """Return the predicted class label of each row."""
        return [self.labels[i] for i in np.argmax(unit_rows @ self.weights + self.bias, axis=1)]

    def similarity(self, unit_rows: np.ndarray, label: str) -> np.ndarray:
        """Return the cosine of each row with the prototype of `label` (zeros for an unknown label)."""
        if label not in self.labels:
            return np.zeros(len(unit_rows), dtype=np.float32)
        return unit_rows @ self.prototypes[self.labels.index(label)]


# ---------------------------------------------------------------------------------------------
# the localizer


def _entity_triples(entities: Iterable[Any]) -> list[tuple[int, int, str]]:
    triples = []
    for entity in entities:
        if hasattr(entity, "start") and hasattr(entity, "end") and hasattr(entity, "label"):
            start, end, label = entity.start, entity.end, entity.label
        elif isinstance(entity, (tuple, list)) and len(entity) == 3:
            start, end, label = entity
        else:
            raise TypeError(f"an entity needs .label/.start/.end attributes or be a (start, end, label) tuple, got {entity!r}")
        triples.append((int(start), int(end), str(label)))
    return triples


def _casing_style(text: str) -> str:
    """``upper`` for all-caps text (a headline; short acronyms excepted), ``lower``, else ``title``."""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and all(ch.isupper() for ch in letters) and (len(letters) > 4 or " " in text.strip()):
        return "upper"
    if letters and all(ch.islower() for ch in letters):
        return "lower"
    return "title"


def _apply_casing(candidate: str, style: str, lowercase_vectors: bool) -> str:
    """Write a vector key in the input's casing style (phrase underscores become spaces)."""
    words = candidate.replace("_", " ")
    if style == "upper":
        return words.upper()
    if style == "lower":
        return words.lower()
    if not lowercase_vectors and any(ch.isupper() for ch in words):
        return words  # cased vectors know the word's own casing (McDonald, iPhone)
    # Lowercase vectors: a short word without vowels is most likely an acronym (bjp, hdfc).
    return " ".join(
        w.upper() if len(w) <= 5 and not (_VOWELS & set(w.lower())) else w[:1].upper() + w[1:]
        for w in words.split(" ")
    )


class Localizer:
    """Rewrite entities of `types` from the `source` context to the `target` context.

    `vectors` is a gensim KeyedVectors (see `nerlib.vectors.load_vectors`). `anchors` maps an entity
    type to a (source word, target word) pair for the analogy; types not given use `source`/`target`
    themselves (through `ANCHOR_WORDS`, e.g. USA -> america). `prototypes` is ``"conllpp"`` (type
    examples from the CoNLL++ training split, cached), a mapping type -> example strings (include
    ``"O"`` for ordinary words), or None to turn the type check off. Only the `vocab_limit` most
    frequent words are candidates; `candidates` is the 3CosAdd pool re-ranked per entity, `topn`
    the number of neighbours kept in each record. `weights` are the (type, entity, country) weights
    of the ranking score ``analogy + type * cos(c, type prototype) + entity * cos(c, entity) +
    country * (cos(c, target) - cos(c, source))``.
    """

    def __init__(
        self,
        vectors,
        source: str = DEFAULT_SOURCE,
        target: str = DEFAULT_TARGET,
        *,
        anchors: Mapping[str, tuple[str, str]] | None = None,
        types: Sequence[str] = LOCALIZED_TYPES,
        prototypes: str | Mapping[str, Iterable[str]] | None = "conllpp",
        vocab_limit: int = 100_000,
        topn: int = 10,
        candidates: int = 300,
        weights: tuple[float, float, float] = (TYPE_WEIGHT, ENTITY_WEIGHT, COUNTRY_WEIGHT),
    ):
        if vocab_limit < 1 or topn < 1 or candidates < 1:
            raise ValueError("vocab_limit, topn and candidates must be positive")
        self.vectors = vectors
        self.source, self.target = source, target
        self.types = tuple(types)
        self.topn, self.pool = topn, candidates
        self.weights = tuple(float(w) for w in weights)
        if len(self.weights) != 3:
            raise ValueError("weights must be (type, entity, country)")
        self.vocab_limit = vocab_limit
        self.vocab = _vocab(vectors, vocab_limit)
        anchors = dict(anchors or {})
        unknown = set(anchors) - set(self.types) - {"PER", "LOC", "ORG", "MISC"}
        if unknown:
            raise ValueError(f"anchors for unknown entity types {sorted(unknown)}")
        for label, pair in anchors.items():
            if isinstance(pair, str) or len(pair) != 2 or not all(isinstance(w, str) and w.strip() for w in pair):
                raise ValueError(f"anchors[{label!r}] must be a (source word, target word) pair, got {pair!r}")
        defaults = default_anchors(source, target, self.types)
        self.anchors: dict[str, tuple[str, str]] = {
            label: tuple(anchors.get(label, defaults[label])) for label in self.types
        }
        self._anchor_vectors = {
            label: (self._anchor_vector(s), self._anchor_vector(t)) for label, (s, t) in self.anchors.items()
        }
        countries = [c for c in COUNTRIES if self.vocab.find(c)]
        anchor_words = {w.lower() for pair in self.anchors.values() for part in pair for w in part.split("+")}
        self._country_words = set(COUNTRIES) | set(ANCHOR_WORDS) | {source.lower(), target.lower()} | anchor_words
        self._countries = countries
        self._country_matrix = (
            np.stack([self.vocab.unit_vector(self.vocab.find(c)) for c in countries]) if countries else None
        )
        self._target_country = {
            label: self._country_of(pair[1][None, :])[0] for label, pair in self._anchor_vectors.items()
        }
        if isinstance(prototypes, str):
            if prototypes != "conllpp":
                raise ValueError(f"prototypes must be 'conllpp', a mapping of examples or None, got {prototypes!r}")
            if "conllpp" not in self.vocab.type_models:
                try:
                    examples = conllpp_type_examples()
                except FileNotFoundError as error:  # nerlib.data.DataNotFoundError
                    raise FileNotFoundError(
                        f"the localizer's type prototypes come from the CoNLL++ training split: {error} "
                        "(or pass prototypes=None to turn the type check off, or a mapping of examples)"
                    ) from error
                self.vocab.type_models["conllpp"] = TypeModel.fit(self.vocab, examples)
            self.type_model: TypeModel | None = self.vocab.type_models["conllpp"]
        else:
            self.type_model = TypeModel.fit(self.vocab, prototypes) if prototypes is not None else None
        self._ranked: dict[tuple[str, str], tuple[str, list[tuple[str, float]], str]] = {}

    # anchors ----------------------------------------------------------------------------------
    def _anchor_vector(self, words: str) -> np.ndarray:
        """Unit vector of an anchor: one word, a phrase, or several words joined by '+'."""
        vectors, missing = [], []
        for part in words.split("+"):
            vector, _, absent = self.vocab.entity_vector(part)
            missing += absent
            if vector is None:
                missing.append(part)
            else:
                vectors.append(vector)
        if missing or not vectors:
            raise KeyError(f"anchor {words!r}: {', '.join(dict.fromkeys(missing))} not in the vectors; "
                           "choose source/target/anchors the vectors know")
        vector = np.mean(vectors, axis=0)
        return vector / np.linalg.norm(vector)

    def _country_of(self, unit_rows: np.ndarray) -> list[str]:
        if self._country_matrix is None:
            return [""] * len(unit_rows)
        return [self._countries[i] for i in np.argmax(unit_rows @ self._country_matrix.T, axis=1)]

    # ranking ----------------------------------------------------------------------------------
    def _score(self, text: str, label: str, pool: int) -> tuple[dict[str, np.ndarray] | None, str, str]:
        """Score the 3CosAdd pool of one entity: (columns or None, key, reason: why None, or a note).

        The columns (numpy arrays, passing candidates first, then by score) are those of
        `candidates`; plain arrays keep a warm call at a few milliseconds.
        """
        vector, key, missing = self.vocab.entity_vector(text)
        if vector is None:
            looked = ", ".join(self.vocab._forms(missing[0])) if missing else text
            return None, key, f"kept: {text!r} is not in the vectors (looked up {looked})"
        if label not in self._anchor_vectors:
            return None, key, f"kept: type {label} is not localized (types={list(self.types)})"
        note = f" (not in the vectors, left out: {', '.join(missing)})" if missing else ""
        source, target = self._anchor_vectors[label]
        query = vector - source + target
        query /= max(float(np.linalg.norm(query)), 1e-12)
        sims = self.vocab.unit @ query
        # Take more than the pool: the word filters below drop some before the checks.
        size = min(len(sims), pool + 50)
        top = np.argpartition(sims, len(sims) - size)[len(sims) - size :]
        top = top[np.argsort(-sims[top])]
        tokens = [t.lower() for t in _WORD.findall(text)]
        own = set(tokens)
        # Only a country becomes a country (USA -> India); a city or a firm never does.
        countries = set() if " ".join(tokens) in self._country_words else self._country_words
        keep = []
        for index in top:
            if not self.vocab.alphabetic[index]:
                continue
            word = self.vocab.lower_words[index]
            if word in countries:
                continue
            parts = word.split("_")
            if any(o in word or (len(p) > 2 and p in o) for o in own for p in parts):
                continue  # the entity itself, a form of it, or a piece of it
            keep.append(index)
            if len(keep) == pool:
                break
        if not keep:
            return None, key, "kept: no alphabetic frequent word near the analogy" + note
        index = np.asarray(keep)
        rows = self.vocab.unit[index]
        n = len(index)
        columns: dict[str, np.ndarray] = {
            "candidate": np.array([self.vocab.words[i] for i in index], dtype=object),
            "analogy": sims[index],
            "type_score": self.type_model.similarity(rows, label) if self.type_model else np.zeros(n, np.float32),
            "entity_score": rows @ vector,
            "country_score": rows @ target - rows @ source,
            "predicted_type": np.array(self.type_model.predict(rows) if self.type_model else [""] * n, dtype=object),
            "country": np.array(self._country_of(rows), dtype=object),
        }
        type_weight, entity_weight, country_weight = self.weights
        columns["score"] = (columns["analogy"] + type_weight * columns["type_score"]
                            + entity_weight * columns["entity_score"] + country_weight * columns["country_score"])
        country_ok = columns["country"] == self._target_country[label]
        type_ok = columns["predicted_type"] == label if self.type_model else np.ones(n, bool)
        columns["passes"] = type_ok & country_ok
        reason = np.where(country_ok, "", "nearest country is " + columns["country"])
        columns["reason"] = np.where(type_ok, reason, "looks like " + columns["predicted_type"])
        order = np.lexsort((-columns["score"], ~columns["passes"]))
        return {name: values[order] for name, values in columns.items()}, key, note

    def _ranked_candidates(self, text: str, label: str) -> tuple[str, list[tuple[str, float]], str]:
        """(key, passing candidates with scores best first, reason when none) for one entity string."""
        cache_key = (text, label)
        if cache_key not in self._ranked:
            columns, key, reason = self._score(text, label, self.pool)
            ranked: list[tuple[str, float]] = []
            if columns is not None:
                passes = columns["passes"]
                ranked = [(str(w), round(float(v), 4)) for w, v in zip(columns["candidate"][passes], columns["score"][passes])]
                if not ranked:
                    reason = (f"kept: none of the top {len(passes)} candidates passed the type and country checks "
                              f"(best: {columns['candidate'][0]}, {columns['reason'][0]})" + reason)
            if len(self._ranked) > 10_000:
                self._ranked.clear()  # bound the memo; entries are cheap to recompute
            self._ranked[cache_key] = (key, ranked, reason)
        return self._ranked[cache_key]

    # public -----------------------------------------------------------------------------------
    def candidates(self, text: str, label: str, topn: int = 10) -> pd.DataFrame:
        """Return the top analogy candidates of one entity with all scores and checks (see `analogy_candidates`)."""
        columns, _, _ = self._score(text, label, self.pool)
        names = ["rank", "candidate", "score", "analogy", "type_score", "entity_score", "country_score",
                 "predicted_type", "country", "passes", "reason"]
        if columns is None:
            return pd.DataFrame(columns=names)
        frame = pd.DataFrame({name: values[:topn] for name, values in columns.items()})
        frame["candidate"] = frame["candidate"].str.replace("_", " ")
        frame.insert(0, "rank", range(1, len(frame) + 1))
        return frame[names]

    def analogue(self, text: str, label: str) -> Replacement:
        """Return the replacement record of one entity string (offsets relative to `text` itself)."""
        return self.localize(text, [(0, len(text), label)]).replacements[0]

    def localize(self, text: str, entities: Iterable[Any]) -> Localization:
        """Rewrite `text`, replacing each entity of this localizer's types by its analogue.

        `entities` are objects with ``.label/.start/.end`` (character offsets, end exclusive; e.g.
        ``nerlib.tagger.Entity``) or ``(start, end, label)`` tuples. Everything outside the entities is
        kept exactly. The same entity string always gets the same replacement; different entities
        get different ones where a candidate is left. Returns a `Localization` with one record per
        entity occurrence (entities of other types are kept and recorded as such).
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        triples = sorted(_entity_triples(entities))
        previous_end = 0
        for start, end, label in triples:
            if not 0 <= start < end <= len(text):
                raise ValueError(f"entity ({start}, {end}, {label!r}) is outside the text of length {len(text)}")
            if start < previous_end:
                raise ValueError(f"entity ({start}, {end}, {label!r}) overlaps the entity before it")
            previous_end = end
        chosen: dict[tuple[str, str], tuple[str, float | None, str]] = {}
        used: set[str] = set()
        pieces, records, cursor, offset = [], [], 0, 0
        for start, end, label in triples:
            original = text[start:end]
            record = Replacement(label=label, start=start, end=end, original=original, replacement=original)
            if label not in self.types:
                record.reason = f"kept: type {label} is not localized (types={list(self.types)})"
            else:
                # Case-insensitive: "New York" and "NEW YORK" are one entity (each keeps its casing).
                identity = (" ".join(original.split()).lower(), label)
                key, ranked, reason = self._ranked_candidates(original.strip(), label)
                record.key = key
                record.neighbours = ranked[: self.topn]
                if identity not in chosen:
                    chosen[identity] = self._choose(ranked, reason, used)
                word, score, record.reason = chosen[identity]
                if word is not None:
                    style = _casing_style(original.strip())
                    lead = original[: len(original) - len(original.lstrip())]
                    trail = original[len(original.rstrip()) :]
                    record.replacement = lead + _apply_casing(word, style, self.vocab.lowercase) + trail
                    record.score, record.changed = score, True
            pieces.append(text[cursor:start])
            offset += start - cursor
            record.new_start = offset
            record.new_end = offset + len(record.replacement)
            pieces.append(record.replacement)
            offset = record.new_end
            cursor = end
            records.append(record)
        pieces.append(text[cursor:])
        return Localization("".join(pieces), text, self.source, self.target, records)

    def _choose(self, ranked, reason, used) -> tuple[str | None, float | None, str]:
        """Pick the best candidate no other entity of this text has taken: (key or None, score, reason)."""
        if not ranked:
            return None, None, reason
        best = ranked[0][1]
        for rank, (word, score) in enumerate(ranked, 1):
            if score < best - ALTERNATIVE_MARGIN:
                break  # the rest are much worse than repeating the best
            if word.lower() in used:
                continue  # another entity in this text already became this word
            used.add(word.lower())
            note = "" if rank == 1 else f" (rank {rank}: better ones already used for other entities)"
            return word, float(score), f"replaced: best candidate passing type and country checks{note}{reason}"
        word, score = ranked[0]
        return word, float(score), ("replaced: best candidate, although another entity of this text got it too "
                                    f"(no unused candidate within {ALTERNATIVE_MARGIN} of its score){reason}")


# ---------------------------------------------------------------------------------------------
# tables for the dashboard


def neighbours(vectors, text: str, topn: int = 10, vocab_limit: int = 100_000) -> pd.DataFrame:
    """Return the `topn` nearest frequent words of a word or entity: columns rank, word, score (cosine).

    `vectors` is a KeyedVectors or a `Localizer` (then its vocabulary limit applies). Multi-word text
    uses its phrase key or the mean of its words (as the localizer does); the entity's own words are
    left out. An empty table comes back for text not in the vectors.
    """
    if isinstance(vectors, Localizer):
        vectors, vocab_limit = vectors.vectors, vectors.vocab_limit
    vocab = _vocab(vectors, vocab_limit)
    vector, _, _ = vocab.entity_vector(text)
    columns = ["rank", "word", "score"]
    if vector is None:
        return pd.DataFrame(columns=columns)
    sims = vocab.unit @ vector
    own = {t.lower() for t in _WORD.findall(text)}
    size = min(len(sims), topn + len(own) + 10)
    top = np.argpartition(-sims, size - 1)[:size]
    top = top[np.argsort(-sims[top])]
    rows = [(vocab.words[i].replace("_", " "), float(sims[i])) for i in top
            if vocab.lower_words[i] not in own and "_".join(own) != vocab.lower_words[i]][:topn]
    return pd.DataFrame([(rank, word, score) for rank, (word, score) in enumerate(rows, 1)], columns=columns)


def analogy_candidates(localizer: Localizer, text: str, label: str, topn: int = 10) -> pd.DataFrame:
    """Return the top analogy candidates of an entity for `localizer`'s source -> target.

    Columns: rank, candidate, score (what the localizer ranks by), analogy (3CosAdd cosine),
    type_score (cosine with the type prototype), entity_score (cosine with the entity itself),
    country_score (cos to target minus cos to source),
    predicted_type, country (nearest country), passes (both checks), reason (why not). Passing
    candidates come first; the first row is what `Localizer.localize` picks.
    """
    return localizer.candidates(text, label, topn=topn)
