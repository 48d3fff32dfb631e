"""Label decoding: the model's label ids and scores per word -> IOB2 labels -> entity spans.

The records a tagger returns live here too: :class:`TaggedText` (its :class:`TaggedWord` list and
:class:`Entity` list). :func:`normalize_label` maps a checkpoint's label names onto IOB;
:class:`LabelDecoder` repairs word labels to IOB2 the conlleval way (an ``I-X`` after ``O`` or
after another type starts a new entity, as :func:`nerlib.data.labels.to_iob2` does), per
sentence, with array operations over all sentences of a call at once, finds the entities, and
builds the records with character offsets, so ``words`` and ``entities`` always agree. An
entity's score is its confidence: the product of its words' scores (each the probability of the
word's entity *type*, ``P(B-X) + P(I-X)``, :func:`nerlib.modeling.pooling.pool_words`), the chance
that every word of the span is in an entity of that type when the words are taken as independent (:func:`nerlib.evaluation.calibration.entity_confidence`; earlier
versions took the mean of the words' scores). With a calibrated checkpoint the word scores, hence this, use its
temperature.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from nerlib.data.labels import split_tag

__all__ = ["Entity", "LabelDecoder", "SplitText", "TaggedText", "TaggedWord", "normalize_label"]


@dataclass(slots=True)
class Entity:
    """An entity found in a text: ``text == source[start:end]``.

    Attributes
    ----------
    text:
        The entity's text.
    label:
        Its type (``PER``, ``LOC``, ...).
    start, end:
        Character offsets into the source text, end exclusive.
    score:
        Its confidence (0..1): the product of its words' scores (see the module docstring).
    """

    text: str
    label: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (score rounded to 4 decimals)."""
        return {**asdict(self), "score": round(self.score, 4)}


@dataclass(slots=True)
class TaggedWord:
    """A word with its IOB2 label and the model's probability for that label.

    Attributes
    ----------
    text:
        The word.
    start, end:
        Character offsets into the text, end exclusive.
    label:
        The word's IOB2 label.
    score:
        The model's probability for ``label`` (0..1).
    """

    text: str
    start: int
    end: int
    label: str
    score: float


@dataclass
class TaggedText:
    """One tagged text: its words (in order) and the entities they form.

    Attributes
    ----------
    text:
        The text as given.
    words:
        Its words, in order.
    entities:
        The entities the words' labels form, in order.
    probabilities:
        Only when asked for (``distributions=True``): each word's whole label distribution, a
        float32 array ``(words, labels)`` with columns in the order of the tagger's ``labels``
        (see :meth:`nerlib.tagging.tagger.Tagger.predict`); else ``None``.
    """

    text: str
    words: list[TaggedWord] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    probabilities: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def labels(self) -> list[str]:
        """The IOB2 label of each word."""
        return [word.label for word in self.words]

    def to_dict(self, words: bool = False) -> dict[str, Any]:
        """Return ``{"text", "entities"}`` (plus ``"words"`` if asked) ready for ``json.dumps``.

        Scores are rounded to 4 decimals.

        >>> word, entity = TaggedWord("Ann", 0, 3, "B-PER", 0.98765), Entity("Ann", "PER", 0, 3, 0.98765)
        >>> tagged = TaggedText("Ann", [word], [entity])
        >>> tagged.to_dict()
        {'text': 'Ann', 'entities': [{'text': 'Ann', 'label': 'PER', 'start': 0, 'end': 3, 'score': 0.9877}]}
        >>> tagged.to_dict(words=True)["words"]
        [{'text': 'Ann', 'start': 0, 'end': 3, 'label': 'B-PER', 'score': 0.9877}]
        """
        out: dict[str, Any] = {"text": self.text, "entities": [e.to_dict() for e in self.entities]}
        if words:
            out["words"] = [{**asdict(w), "score": round(w.score, 4)} for w in self.words]
        return out

    def to_conll(self) -> str:
        """Return the words as CoNLL: one ``word label`` line per word (IOB2), a blank line at the
        end; ``""`` for a text without words. A word holding whitespace (never produced by our
        word splitter) would break the columns, so whitespace inside a word becomes ``_``.

        >>> words = [TaggedWord("Ann", 0, 3, "B-PER", 0.9), TaggedWord("sings", 4, 9, "O", 0.8)]
        >>> print(TaggedText("Ann sings", words, []).to_conll(), end="")
        Ann B-PER
        sings O
        <BLANKLINE>
        """
        from nerlib.data.conll import format_conll

        if not self.words:
            return ""
        return format_conll([[("_".join(w.text.split()) or "_", w.label) for w in self.words]])


@dataclass(slots=True)
class SplitText:
    """The words of one text as parallel lists: the tagger's working form, cheaper than a
    :class:`nerlib.text.words.Word` per word.

    Attributes
    ----------
    texts:
        The words; ``texts[i] == text[starts[i]:ends[i]]``.
    starts, ends:
        Each word's character offsets, end exclusive.
    """

    texts: list[str]
    starts: list[int]
    ends: list[int]

    @classmethod
    def joined(cls, tokens: list[str]) -> SplitText:
        """The words of ``" ".join(tokens)`` (pre-split input: one space between words).

        >>> SplitText.joined(["New", "York"])
        SplitText(texts=['New', 'York'], starts=[0, 4], ends=[3, 8])
        """
        starts, position = [], 0
        for token in tokens:
            starts.append(position)
            position += len(token) + 1
        return cls(tokens, starts, [start + len(token) for start, token in zip(starts, tokens)])


def normalize_label(label: str) -> str:
    """Map a model's label name onto IOB.

    ``S-X``/``E-X`` (IOBES) become ``B-X``/``I-X``, a bare type ``PER`` becomes ``I-PER`` (as the
    HF pipeline reads it), anything empty or ``O`` becomes ``O``.

    Parameters
    ----------
    label:
        A label name from a checkpoint's ``id2label``.

    Returns
    -------
    str
        ``O``, ``B-TYPE`` or ``I-TYPE``.

    >>> [normalize_label(label) for label in ["S-PER", "E-LOC", "PER", "0", "B-ORG"]]
    ['B-PER', 'I-LOC', 'I-PER', 'O', 'B-ORG']
    """
    if label in ("O", "", "0"):
        return "O"
    try:
        prefix, entity_type = split_tag(label)
    except ValueError:
        return f"I-{label}"
    return "O" if prefix == "O" else f"{prefix}-{entity_type}"


class LabelDecoder:
    """Decode label ids of a model with IOB ``labels`` into IOB2 labels and entities.

    Parameters
    ----------
    labels:
        The IOB label of each label id (``O``, ``B-TYPE``, ``I-TYPE``; see :func:`normalize_label`).

    >>> decoder = LabelDecoder(["O", "B-PER", "I-PER", "I-LOC"])
    >>> labels, spans = decoder.repair(np.array([2, 2, 0, 3, 1]), np.array([0, 5]))
    >>> labels.tolist(), spans
    (['B-PER', 'I-PER', 'O', 'B-LOC', 'B-PER'], [(0, 2, 'PER'), (3, 4, 'LOC'), (4, 5, 'PER')])
    """

    def __init__(self, labels: Sequence[str]):
        self.labels = list(labels)
        # per label id: its IOB prefix code (0 O, 1 B, 2 I) and entity type code (0 for O); the
        # label strings are followed by the B- form of every type (for repaired I- starts)
        type_names = [""]
        prefixes, types = [], []
        for label in self.labels:
            prefix, entity_type = split_tag(label)
            if prefix != "O" and entity_type not in type_names:
                type_names.append(entity_type)
            prefixes.append({"O": 0, "B": 1, "I": 2}[prefix])
            types.append(type_names.index(entity_type) if prefix != "O" else 0)
        self._prefix_code = np.array(prefixes, dtype=np.int8)
        self._type_code = np.array(types, dtype=np.int64)
        self._type_names = type_names
        self._label_strings = np.array(self.labels + [f"B-{t}" for t in type_names[1:]], dtype=object)

    def repair(self, label_ids: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, str]]]:
        """IOB2-repair the word labels of many sentences at once and find their entities.

        Same result as :func:`nerlib.data.labels.to_iob2` then :func:`nerlib.data.labels.entity_spans`
        per sentence (conlleval semantics: an ``I-X`` after ``O`` or after another type starts an
        entity), computed with array operations instead of a Python loop per word.

        Parameters
        ----------
        label_ids:
            The label ids of all words of all sentences, one sentence after another (at least one
            word), as a numpy array.
        offsets:
            Sentence ``i`` holds words ``offsets[i]:offsets[i + 1]``.

        Returns
        -------
        tuple
            ``(labels, spans)``: the repaired label strings, one per word (a numpy object array),
            and the entities as ``(first word, end word, type)`` in the flat word numbering.
        """
        prefix, kind = self._prefix_code[label_ids], self._type_code[label_ids]
        previous = np.empty_like(kind)
        previous[0] = 0
        previous[1:] = kind[:-1]
        previous[offsets[:-1][offsets[:-1] < len(kind)]] = 0  # a sentence starts as if after O
        starts = (prefix != 0) & ((prefix == 1) | (previous != kind))
        repaired = label_ids.copy()
        fix = starts & (prefix == 2)
        repaired[fix] = len(self.labels) + kind[fix] - 1
        # an entity runs from its start up to the next word that does not continue it
        breaks = np.append(np.flatnonzero((prefix == 0) | starts), len(kind))
        first = np.flatnonzero(starts)
        last = breaks[np.searchsorted(breaks, first, side="right")]
        names = self._type_names
        spans = [(b, e, names[k]) for b, e, k in zip(first.tolist(), last.tolist(), kind[first].tolist())]
        return self._label_strings[repaired], spans

    def tagged_texts(self, texts: Sequence[str], words: Sequence[SplitText],
                     predictions: Sequence[tuple[np.ndarray, ...]]) -> list[TaggedText]:
        """Build the :class:`TaggedText` of each text from the predictions of its sentences.

        Parameters
        ----------
        texts:
            The texts.
        words:
            The words of each text (:class:`SplitText`), with character offsets into it.
        predictions:
            Label ids and scores per sentence, as pairs of numpy arrays: the sentences of all
            texts in order, those of one text covering its words in order. Labels are repaired to
            IOB2 per sentence, so no entity crosses a sentence boundary. Triples whose third item
            is the words' label distributions (``(words, labels)``) set each result's
            ``probabilities``.

        Returns
        -------
        list of TaggedText
            One per text, in order.
        """
        if not predictions:
            return [TaggedText(text=text) for text in texts]
        with_distributions = len(predictions[0]) == 3
        # every word of every sentence in one flat numbering: sentence s is words bounds[s]:bounds[s + 1];
        # sentences cover their text's words in order, so text t is words firsts[t]:firsts[t + 1]
        bounds = np.zeros(len(predictions) + 1, dtype=np.int64)
        np.cumsum([len(p[0]) for p in predictions], out=bounds[1:])
        labels, spans = self.repair(np.concatenate([p[0] for p in predictions]), bounds)
        all_labels = labels.tolist()
        all_scores = np.concatenate([p[1] for p in predictions]).tolist()
        if with_distributions:
            all_distributions = np.concatenate([p[2] for p in predictions])
        firsts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([len(w.texts) for w in words], out=firsts[1:])
        entities = _entities(texts, words, firsts, spans, all_scores)
        results = []
        for t, (text, split) in enumerate(zip(texts, words)):
            begin, end = int(firsts[t]), int(firsts[t + 1])
            tagged = list(map(TaggedWord, split.texts, split.starts, split.ends,
                              all_labels[begin:end], all_scores[begin:end]))
            results.append(TaggedText(text=text, words=tagged, entities=entities[t],
                                      probabilities=all_distributions[begin:end] if with_distributions else None))
        return results


def _entities(texts: Sequence[str], words: Sequence[SplitText], firsts: np.ndarray,
              spans: list[tuple[int, int, str]], scores: list[float]) -> list[list[Entity]]:
    """The :class:`Entity` records of each text from entity spans in the flat word numbering
    (text ``t`` holds words ``firsts[t]:firsts[t + 1]``)."""
    entities: list[list[Entity]] = [[] for _ in texts]
    owners = (np.searchsorted(firsts, [begin for begin, _, _ in spans], side="right") - 1).tolist()
    for t, (begin, end, entity_type) in zip(owners, spans):
        split, base = words[t], int(firsts[t])
        start, stop = split.starts[begin - base], split.ends[end - 1 - base]
        entities[t].append(Entity(text=texts[t][start:stop], label=entity_type, start=start, end=stop,
                                  score=float(math.prod(scores[begin:end]))))
    return entities
