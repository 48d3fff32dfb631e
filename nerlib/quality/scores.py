"""Label quality with cleanlab: which words' labels disagree with a model that did not learn them.

Given each word's class distribution from a model that was **not trained on that word** (see
:mod:`nerlib.quality.folds`), cleanlab's ``token_classification`` scores every given label
(``rank.get_label_quality_scores``) and flags the words whose label is likely wrong
(``filter.find_label_issues``, confident learning). Here that becomes, per sentence:

- ``quality`` in [0, 1] (lower = more likely a label error): the sentence summary of its word
  scores (cleanlab's reference ranks a sentence by its worst word; :data:`SENTENCE_METHODS`);
- ``flagged``: the word positions cleanlab flags;
- ``suggested``: the given tags with each flagged word set to the model's most likely tag,
  repaired to IOB2;
- ``entities``: the span-level differences between given and suggested, each a
  :class:`EntityIssue` such as ``Wales ORG -> LOC`` or a missed / spurious entity.

A small example with hand-made distributions over ``O, B-LOC, B-ORG`` (in a real run they come
from :meth:`nerlib.tagging.tagger.Tagger.predict` with ``distributions=True``):

>>> import numpy as np
>>> labels = ["O", "B-LOC", "B-ORG"]
>>> tokens = [["Wales", "won"], ["Rome", "fell"], ["in", "Paris"], ["UN", "met"]]
>>> given = [["B-ORG", "O"], ["B-LOC", "O"], ["O", "B-LOC"], ["B-ORG", "O"]]
>>> sure = lambda i: [0.98 if j == i else 0.01 for j in range(3)]  # confident in label i
>>> probabilities = [np.array([sure(1), sure(0)]), np.array([sure(1), sure(0)]),
...                  np.array([sure(0), sure(1)]), np.array([sure(2), sure(0)])]
>>> issues = find_sentence_issues(tokens, given, probabilities, labels)
>>> first = issues[0]
>>> first.sentence, first.flagged, first.suggested, str(first.entities[0])
(0, [0], ['B-LOC', 'O'], 'Wales ORG -> LOC (wrong type)')
>>> [issue.sentence for issue in issues], round(first.quality, 2)
([0, 1, 2, 3], 0.01)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from nerlib.data.labels import to_iob2

__all__ = [
    "ENTITY_KINDS",
    "SENTENCE_METHODS",
    "TOKEN_METHODS",
    "EntityIssue",
    "SentenceIssue",
    "UnknownLabelsError",
    "check_given_labels",
    "entity_issues",
    "find_sentence_issues",
    "import_cleanlab",
]

#: cleanlab's per-word scores (``token_score_method``)
TOKEN_METHODS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")
#: how a sentence's word scores become one: cleanlab's ``min`` (the worst word, the reference
#: method) and ``softmin``, and ``product`` (the probability that every given label is right
#: under the model, so two doubtful words count more than one)
SENTENCE_METHODS = ("min", "softmin", "product")
DEFAULT_TOKEN_METHOD = "self_confidence"
DEFAULT_SENTENCE_METHOD = "min"
#: entity-level kinds, from the given labels' side (the order a filter lists them)
ENTITY_KINDS = ("wrong_type", "wrong_boundary", "wrong_type_and_boundary", "missed", "spurious")
_EXTRA = "quality"


class UnknownLabelsError(ValueError):
    """The data holds labels the model cannot predict, so their quality cannot be scored."""


def import_cleanlab():
    """``cleanlab.token_classification``'s ``rank`` and ``filter`` modules, imported on first use.

    Raises
    ------
    ModuleNotFoundError
        When cleanlab is not installed, saying which extra installs it.
    """
    try:
        from cleanlab.token_classification import filter as cl_filter
        from cleanlab.token_classification import rank as cl_rank
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"label quality needs cleanlab: pip install 'ner-workbench[{_EXTRA}]' (or pip install cleanlab)"
        ) from error
    return cl_rank, cl_filter


@dataclass
class EntityIssue:
    """One span-level difference between the given labels and the suggestion.

    Attributes
    ----------
    kind:
        One of :data:`ENTITY_KINDS`, said from the given labels' side: ``missed`` = the labels lack
        an entity the model suggests, ``spurious`` = the labels mark an entity the model does not
        see, ``wrong_type`` / ``wrong_boundary`` / ``wrong_type_and_boundary`` = a labelled entity
        the model reads with another type or other words.
    given_label, given_start, given_end, given_text:
        The labelled span (None when missed); word indices, end exclusive.
    suggested_label, suggested_start, suggested_end, suggested_text:
        The suggested span (None when spurious).
    """

    kind: str
    given_label: str | None
    given_start: int | None
    given_end: int | None
    given_text: str | None
    suggested_label: str | None
    suggested_start: int | None
    suggested_end: int | None
    suggested_text: str | None

    def __str__(self) -> str:
        if self.kind == "missed":
            return f"{self.suggested_text} O -> {self.suggested_label} (missed)"
        if self.kind == "spurious":
            return f"{self.given_text} {self.given_label} -> O (spurious)"
        if self.kind == "wrong_type":
            return f"{self.given_text} {self.given_label} -> {self.suggested_label} (wrong type)"
        return (f"{self.given_text} {self.given_label} -> {self.suggested_text} {self.suggested_label} "
                f"({self.kind.replace('_', ' ')})")


@dataclass
class SentenceIssue:
    """The label quality of one sentence.

    Attributes
    ----------
    sentence:
        Its 0-based index in the input, counted as :func:`nerlib.data.conll.read_conll` yields
        sentences.
    quality:
        In [0, 1]; lower = more likely a label error.
    tokens, given, suggested:
        The words, the given IOB2 tags, the suggested IOB2 tags.
    flagged:
        The word positions cleanlab flags as likely mislabelled.
    word_quality:
        cleanlab's score of each given label.
    entities:
        The span-level differences between given and suggested.
    line, document:
        Where the sentence starts in its file (1-based line) and its ``-DOCSTART-`` document.
    """

    sentence: int
    quality: float
    tokens: list[str]
    given: list[str]
    suggested: list[str]
    flagged: list[int]
    word_quality: list[float] = field(default_factory=list)
    entities: list[EntityIssue] = field(default_factory=list)
    line: int = 0
    document: int = 0

    @property
    def kinds(self) -> list[str]:
        """The entity kinds of this sentence, in :data:`ENTITY_KINDS` order, each once."""
        return [kind for kind in ENTITY_KINDS if any(e.kind == kind for e in self.entities)]

    def to_dict(self) -> dict[str, Any]:
        """The JSON line ``label-issues`` writes (rounded scores, the entities as dicts)."""
        data = asdict(self)
        data["quality"] = round(float(self.quality), 6)
        data["word_quality"] = [round(float(q), 6) for q in self.word_quality]
        data["entities"] = [{**asdict(e), "description": str(e)} for e in self.entities]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SentenceIssue:
        """Read back a line :meth:`to_dict` wrote."""
        entities = [EntityIssue(**{k: v for k, v in e.items() if k != "description"}) for e in data.get("entities", [])]
        known = {k: data[k] for k in ("sentence", "quality", "tokens", "given", "suggested", "flagged",
                                       "word_quality", "line", "document") if k in data}
        return cls(**known, entities=entities)


def check_given_labels(given: Sequence[Sequence[str]], labels: Sequence[str],
                       lines: Sequence[int] | None = None, source: str = "the data") -> None:
    """Refuse tags the model has no class for, naming them.

    Parameters
    ----------
    given:
        The given IOB2 tags, per sentence.
    labels:
        The model's labels.
    lines:
        Each sentence's first line, for the message.
    source:
        The data's name, for the message.

    Raises
    ------
    UnknownLabelsError
        Naming each unknown tag, how often it occurs and where it first does.

    >>> check_given_labels([["B-PER", "B-DATE", "B-DATE"]], ["O", "B-PER", "I-PER"], source="x.txt")
    Traceback (most recent call last):
    ...
    nerlib.quality.scores.UnknownLabelsError: x.txt: labels outside the model's label set (O, B-PER, I-PER): B-DATE (2 words, first in sentence 0)
    """
    known = set(labels)
    unknown: dict[str, list[int]] = {}
    for index, tags in enumerate(given):
        for tag in tags:
            if tag not in known:
                unknown.setdefault(tag, [0, index])[0] += 1
    if unknown:
        def where(index: int) -> str:
            return f"sentence {index}" + (f", line {lines[index]}" if lines is not None else "")

        named = ", ".join(f"{tag} ({count} word{'s' if count != 1 else ''}, first in {where(first)})"
                          for tag, (count, first) in unknown.items())
        raise UnknownLabelsError(f"{source}: labels outside the model's label set ({', '.join(labels)}): {named}")


def entity_issues(tokens: Sequence[str], given: Sequence[str], suggested: Sequence[str]) -> list[EntityIssue]:
    """The span-level differences between the given and the suggested tags of one sentence.

    Parameters
    ----------
    tokens:
        The words.
    given, suggested:
        One IOB2 tag per word each.

    Returns
    -------
    list of EntityIssue
        In word order (:func:`nerlib.evaluation.errors.span_errors` with the suggestion as the
        reference, renamed to the given labels' side).

    >>> [str(e) for e in entity_issues(["Ada", "met", "Bob"], ["B-PER", "O", "O"], ["B-PER", "O", "B-PER"])]
    ['Bob O -> PER (missed)']
    """
    from nerlib.evaluation.errors import span_errors

    issues = []
    for error in span_errors(tokens, suggested, given):  # "gold" = the suggestion, "pred" = the labels
        issues.append(EntityIssue(
            kind=error["kind"],
            given_label=error["pred_label"], given_start=error["pred_start"], given_end=error["pred_end"],
            given_text=error["pred_text"],
            suggested_label=error["gold_label"], suggested_start=error["gold_start"],
            suggested_end=error["gold_end"], suggested_text=error["gold_text"],
        ))
    return issues


def _sentence_scores(token_scores: list[np.ndarray], cl_rank, method: str) -> np.ndarray:
    if method == "product":
        return np.array([float(np.prod(np.clip(s, 0.0, 1.0))) if len(s) else 1.0 for s in token_scores])
    if method == "min":
        return np.array([float(np.min(s)) if len(s) else 1.0 for s in token_scores])
    nonempty = [s for s in token_scores if len(s)]
    summary = iter(cl_rank._softmin_sentence_score(nonempty) if nonempty else [])
    return np.array([float(next(summary)) if len(s) else 1.0 for s in token_scores])


def find_sentence_issues(
    tokens: Sequence[Sequence[str]],
    given: Sequence[Sequence[str]],
    probabilities: Sequence[np.ndarray],
    labels: Sequence[str],
    *,
    token_method: str = DEFAULT_TOKEN_METHOD,
    sentence_method: str = DEFAULT_SENTENCE_METHOD,
    lines: Sequence[int] | None = None,
    documents: Sequence[int] | None = None,
    source: str = "the data",
    low_memory: bool | None = None,
) -> list[SentenceIssue]:
    """Score every sentence's labels and rank the sentences, most likely wrong first.

    Parameters
    ----------
    tokens:
        The words, per sentence.
    given:
        The given IOB2 tags, per sentence.
    probabilities:
        Per sentence a float array (words x labels), out-of-sample class distributions whose
        columns follow ``labels``; rows sum to 1.
    labels:
        The model's labels, in its column order.
    token_method:
        cleanlab's word score, one of :data:`TOKEN_METHODS`.
    sentence_method:
        How word scores become a sentence's quality, one of :data:`SENTENCE_METHODS`.
    lines, documents:
        Each sentence's first line and document (recorded in the result).
    source:
        The data's name, for messages.
    low_memory:
        cleanlab's faster flagging for large inputs; default on above 200,000 words.

    Returns
    -------
    list of SentenceIssue
        One per sentence, lowest quality first (ties in input order). Empty sentences get quality
        1 and nothing flagged.

    Raises
    ------
    UnknownLabelsError
        For given tags outside ``labels``.
    ValueError
        When the shapes disagree, or for an unknown method.
    """
    if token_method not in TOKEN_METHODS:
        raise ValueError(f"token_method {token_method!r}: use one of {', '.join(TOKEN_METHODS)}")
    if sentence_method not in SENTENCE_METHODS:
        raise ValueError(f"sentence_method {sentence_method!r}: use one of {', '.join(SENTENCE_METHODS)}")
    if not len(tokens) == len(given) == len(probabilities):
        raise ValueError(f"{len(tokens)} sentences of words, {len(given)} of tags, {len(probabilities)} of "
                         "distributions")
    labels = list(labels)
    check_given_labels(given, labels, lines, source)
    index = {label: i for i, label in enumerate(labels)}
    label_ids, probs = [], []
    for number, (words, tags, dist) in enumerate(zip(tokens, given, probabilities)):
        dist = np.asarray(dist, dtype=np.float64)
        if dist.shape != (len(words), len(labels)) or len(tags) != len(words):
            raise ValueError(f"sentence {number}: {len(words)} words, {len(tags)} tags, distributions of shape "
                             f"{dist.shape} (expected ({len(words)}, {len(labels)}))")
        label_ids.append([index[tag] for tag in tags])
        probs.append(dist / np.clip(dist.sum(axis=1, keepdims=True), 1e-12, None) if len(words) else dist)
    scored = [i for i, words in enumerate(tokens) if len(words)]
    token_scores: list[np.ndarray] = [np.zeros(0) for _ in tokens]
    flagged: list[list[int]] = [[] for _ in tokens]
    if scored:
        cl_rank, cl_filter = import_cleanlab()
        words_total = sum(len(tokens[i]) for i in scored)
        kept_labels = [label_ids[i] for i in scored]
        kept_probs = [probs[i] for i in scored]
        _, scores = cl_rank.get_label_quality_scores(kept_labels, kept_probs, token_score_method=token_method)
        for i, s in zip(scored, scores):
            token_scores[i] = np.asarray(s, dtype=np.float64)
        if len(labels) > 1:
            # n_jobs=1: cleanlab's default forks a multiprocessing pool, and a fork of a process
            # that runs other threads (torch, Ray, a server) can deadlock in the child
            found = cl_filter.find_label_issues(
                kept_labels, kept_probs, n_jobs=1,
                low_memory=words_total > 200_000 if low_memory is None else low_memory)
            for sentence, word in found:
                flagged[scored[sentence]].append(int(word))
    quality = _sentence_scores(token_scores, import_cleanlab()[0] if scored else None, sentence_method)
    issues = []
    for i, words in enumerate(tokens):
        words = list(words)
        tags = list(given[i])
        positions = sorted(set(flagged[i]))
        suggested = list(tags)
        for position in positions:
            suggested[position] = labels[int(np.argmax(probs[i][position]))]
        suggested = to_iob2(suggested)
        issues.append(SentenceIssue(
            sentence=i, quality=float(np.clip(quality[i], 0.0, 1.0)), tokens=words, given=tags, suggested=suggested,
            flagged=positions, word_quality=[float(q) for q in token_scores[i]],
            entities=entity_issues(words, tags, suggested),
            line=int(lines[i]) if lines is not None else 0, document=int(documents[i]) if documents is not None else 0,
        ))
    issues.sort(key=lambda issue: (issue.quality, issue.sentence))
    return issues
