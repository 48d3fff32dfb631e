"""Score a checkpoint on a CoNLL++ split or any CoNLL file: metrics, per-sentence errors, predictions.

Scoring a trained run (its best checkpoint) on the validation split::

    result = evaluate_checkpoint("runs/minilm", "validation")
    result.metrics.f1, result.table()                       # overall F1, per-type table
    result.errors[result.errors.kind == "wrong_type"]       # one row per entity error

The errors of one sentence, without a model:

>>> tokens = ["Wales", "beat", "New", "Zealand", "in", "Cardiff"]
>>> gold = ["B-ORG", "O", "B-ORG", "I-ORG", "O", "B-LOC"]
>>> predicted = ["B-LOC", "O", "B-ORG", "O", "O", "O"]
>>> [(e["kind"], e["gold_text"], e["pred_text"]) for e in span_errors(tokens, gold, predicted)]
[('wrong_type', 'Wales', 'Wales'), ('wrong_boundary', 'New Zealand', 'New'), ('missed', 'Cardiff', None)]

The model reads the gold words exactly as the file splits them (no re-tokenization), one label per
word read the way the model was trained (:mod:`nerlib.modeling.pooling`: first sub-token, or the mean over
all its sub-tokens), repaired to IOB2 as conlleval does; a model trained with document
context gets the neighbouring sentences of the same ``-DOCSTART-`` document as context, as in
training. Metrics come from :func:`nerlib.evaluation.metrics.compute_metrics` (conlleval semantics), with
separate scores for entities seen and unseen in the training split (``metrics.seen`` /
``metrics.unseen``); the token confusion from :func:`nerlib.evaluation.metrics.confusion_matrix`.

Errors pair every gold entity the model missed with the predicted entity that overlaps it most
(each predicted entity used once) and classify the pair; a gold entity left without a partner is
``missed``, a predicted entity left without one ``spurious``. So the rows with a gold side are
exactly the false negatives and the rows with a predicted side exactly the false positives.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nerlib.data.conll import ConllSentence, format_predictions, read_conll
from nerlib.data.labels import entity_spans

# span_errors and ERROR_KINDS are this module's public names too (callers import them from here)
from nerlib.evaluation.errors import ERROR_KINDS, span_dict, span_errors
from nerlib.evaluation.metrics import EntityMetrics, compute_metrics, confusion_matrix, entity_surface_forms

__all__ = [
    "ERROR_KINDS",
    "EvaluationResult",
    "evaluate_checkpoint",
    "evaluate_saved_predictions",
    "evaluate_sentences",
    "load_sentences",
    "score_predictions",
    "span_errors",
    "training_entities",
]

_SPLIT_ALIASES = {"train": "train", "validation": "validation", "dev": "validation", "valid": "validation",
                  "test": "test"}

ERROR_COLUMNS = [
    "sentence", "document", "line", "kind",
    "gold_label", "gold_start", "gold_end", "gold_text",
    "pred_label", "pred_start", "pred_end", "pred_text",
]
SENTENCE_COLUMNS = [
    "sentence", "document", "line", "source", "text", "words",
    "gold", "predicted", "n_gold", "n_predicted", "n_correct", "n_errors", "error_kinds",
]


@dataclass
class EvaluationResult:
    """What :func:`evaluate_checkpoint` returns.

    Attributes
    ----------
    metrics:
        :class:`~nerlib.evaluation.metrics.EntityMetrics` (entity P/R/F1 per type, token accuracy).
    sentences:
        One row per sentence (``SENTENCE_COLUMNS``): its words, gold and predicted entities as
        ``[{"label", "start", "end", "text"}]`` over word indices, counts, error kinds.
    errors:
        One row per error (``ERROR_COLUMNS``), kind one of :data:`ERROR_KINDS`; rows name their
        sentence by index (``sentence_text(row.sentence)`` gives its text), so a long sentence with
        many errors is stored once, not once per error.
    confusion:
        Token confusion matrix (rows gold, columns predicted).
    conll_predictions:
        ``word gold predicted`` lines, a blank line after each sentence (conlleval's input;
        :func:`nerlib.runs.folder.read_predictions` reads it back).
    tokens, gold, predicted:
        Per sentence: the words, gold labels and predicted labels.
    source, checkpoint:
        Where the data and the model came from.
    seconds:
        How long tagging and scoring took.
    word_scores:
        Per sentence a float64 array: each word's score as the tagger gave it (the probability of
        its label's entity type, at the checkpoint's calibrated temperature); an entity's
        confidence is the product over its words (:mod:`nerlib.evaluation.thresholds`). None when
        no tagger ran (:func:`score_predictions`).
    threshold, dropped:
        When predictions were dropped below a confidence threshold
        (:func:`nerlib.evaluation.thresholds.apply_threshold`): the threshold and how many predicted
        entities it dropped; None and 0 otherwise.
    seen:
        The training entities' surface forms the seen/unseen scores were computed with (kept to
        score again the same way).
    probabilities:
        Only when asked for (``distributions=True``): per sentence a float32 array ``(words,
        labels)``, each word's whole label distribution (the pooled one its predicted label comes
        from), aligned with :attr:`gold`; else ``None``.
    labels:
        The label of each column of :attr:`probabilities` (the tagger's ``labels``, in id order).
    saved_from:
        Empty when the model tagged the sentences now; else the run and checkpoint whose saved
        predictions were read (:func:`evaluate_saved_predictions`), e.g. ``run (checkpoint best =
        epoch-3, step 375)``.
    """

    metrics: EntityMetrics
    sentences: pd.DataFrame
    errors: pd.DataFrame
    confusion: pd.DataFrame
    conll_predictions: str
    tokens: list[list[str]] = field(default_factory=list)
    gold: list[list[str]] = field(default_factory=list)
    predicted: list[list[str]] = field(default_factory=list)
    source: str = ""
    checkpoint: str = ""
    seconds: float = 0.0
    word_scores: list[np.ndarray] | None = field(default=None, repr=False)
    threshold: float | None = None
    dropped: int = 0
    seen: frozenset[str] | None = field(default=None, repr=False)
    probabilities: list[np.ndarray] | None = None
    labels: list[str] = field(default_factory=list)
    saved_from: str = ""

    def table(self) -> pd.DataFrame:
        """Per-type precision, recall, F1 and support, plus an ``ALL`` row."""
        return self.metrics.table()

    def error_counts(self) -> pd.Series:
        """Number of errors of each kind (every kind listed, zeros included)."""
        return self.errors["kind"].value_counts().reindex(list(ERROR_KINDS), fill_value=0)

    def sentence_text(self, index: int) -> str:
        """The words of sentence ``index`` joined by spaces (as in the ``sentences`` table)."""
        return " ".join(self.tokens[index])

    def rescored(self, predicted: Sequence[Sequence[str]], **changes: Any) -> EvaluationResult:
        """The same sentences scored against other predictions, without a model pass.

        Parameters
        ----------
        predicted:
            One IOB2 label per word of each sentence (as :attr:`predicted`).
        **changes:
            Other fields of the new result (``threshold``, ``dropped``...).

        Returns
        -------
        EvaluationResult
            Metrics, sentence rows, errors, confusion and CoNLL predictions of ``predicted``
            (:func:`score_predictions`); the rest (words, gold, word scores, distributions, names)
            as in this one.

        Raises
        ------
        ValueError
            When ``predicted`` does not hold one label per word of each sentence.
        """
        if [len(tags) for tags in predicted] != [len(words) for words in self.tokens]:
            raise ValueError("the predictions do not hold one label per word of each sentence")
        started = time.perf_counter()
        places = self.sentences[["document", "line", "source"]].itertuples(index=False)
        sentences = [ConllSentence(tokens=words, ner_tags=gold, document=place.document, line=place.line,
                                   source=place.source)
                     for words, gold, place in zip(self.tokens, self.gold, places)]
        fresh = score_predictions(sentences, predicted, labels=self.labels, source=self.source,
                                  checkpoint=self.checkpoint, seen=self.seen)
        scored = {name: getattr(fresh, name) for name in ("metrics", "sentences", "errors", "confusion",
                                                          "conll_predictions", "predicted")}
        return dataclasses.replace(self, **scored, seconds=self.seconds + time.perf_counter() - started, **changes)

    def write_predictions(self, path: str | os.PathLike) -> Path:
        """Write :attr:`conll_predictions` to ``path``; returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.conll_predictions, encoding="utf-8")
        return path


def load_sentences(split_or_file: str | os.PathLike, data_dir: str | os.PathLike | None = None) -> tuple[list[ConllSentence], str]:
    """The sentences of a CoNLL++ split or of a CoNLL file, and a name for where they came from.

    Parameters
    ----------
    split_or_file:
        ``train``, ``validation`` (or ``dev``/``valid``), ``test``, or a path to a CoNLL file (a
        file of that name wins over the split).
    data_dir:
        The CoNLL++ folder for a split name; default as :func:`nerlib.data.conllpp.find_conllpp_dir`
        (which may download).

    Returns
    -------
    tuple
        ``(sentences, source)``: the sentences, and the file's path or the split's name.

    Raises
    ------
    FileNotFoundError
        When it is neither a file nor a split name (or is a folder);
        :class:`nerlib.data.conllpp.DataNotFoundError` when CoNLL++ cannot be found.
    ConllFormatError
        For a malformed line (:class:`nerlib.data.conll.ConllFormatError`).
    """
    file = _data_file(split_or_file, data_dir)
    text = os.fspath(split_or_file)
    return read_conll(file), (str(file) if Path(text).expanduser().is_file() else _SPLIT_ALIASES[text.lower()])


def _data_file(split_or_file: str | os.PathLike, data_dir: str | os.PathLike | None = None, *,
               download: bool = True) -> Path:
    """The CoNLL file a split name or path means (see :func:`load_sentences` for the errors)."""
    text = os.fspath(split_or_file)
    path = Path(text).expanduser()
    if path.is_file():
        return path
    if text.lower() in _SPLIT_ALIASES:
        from nerlib.data.conllpp import CONLLPP_FILES, find_conllpp_dir

        return find_conllpp_dir(data_dir, download=download) / CONLLPP_FILES[_SPLIT_ALIASES[text.lower()]]
    if path.is_dir():
        raise FileNotFoundError(f"{path} is a folder; pass one CoNLL file or a split name (train, validation, test)")
    raise FileNotFoundError(f"{text!r} is neither a CoNLL file nor a split name (train, validation, test)")


_SURFACE_CACHE: dict[tuple[str, int, int], frozenset[str]] = {}


def training_entities(split_or_file: str | os.PathLike = "train",
                      data_dir: str | os.PathLike | None = None) -> frozenset[str]:
    """The surface forms of the entities of a training split or CoNLL file (for the seen/unseen
    scores).

    Cached per file, size and modification time. Never downloads CoNLL++.

    Parameters
    ----------
    split_or_file:
        A split name or a CoNLL file (see :func:`load_sentences`).
    data_dir:
        The CoNLL++ folder for a split name.

    Returns
    -------
    frozenset of str
        See :func:`nerlib.evaluation.metrics.entity_surface_forms`.

    Raises
    ------
    FileNotFoundError, ConllFormatError
        Like :func:`load_sentences`.
    """
    path = _data_file(split_or_file, data_dir, download=False)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _SURFACE_CACHE:
        sentences = read_conll(path)
        _SURFACE_CACHE[key] = entity_surface_forms([s.tokens for s in sentences], [s.ner_tags for s in sentences])
    return _SURFACE_CACHE[key]


def evaluate_sentences(tagger: Any, sentences: Sequence[ConllSentence], *, batch_size: int = 64,
                       source: str = "", checkpoint: str = "",
                       progress: Callable[[int, int], None] | None = None,
                       seen: frozenset[str] | None = None, distributions: bool = False) -> EvaluationResult:
    """Tag ``sentences`` (their gold words) with ``tagger`` and score them.

    Parameters
    ----------
    tagger:
        A :class:`~nerlib.tagging.tagger.Tagger` (anything with its ``tag_words`` and ``labels``).
    sentences:
        The sentences to score; for a model trained with document context, the sentences of one
        ``-DOCSTART-`` document are each other's context.
    batch_size:
        Windows per forward pass.
    source, checkpoint:
        Names recorded in the result (the data and the model).
    progress:
        Called as ``progress(done, total)`` after every batch of the model.
    seen:
        The training entities' surface forms (:func:`training_entities`); adds the seen/unseen
        scores.
    distributions:
        Keep every word's label distribution (:attr:`EvaluationResult.probabilities`).

    Returns
    -------
    EvaluationResult
        Metrics, per-sentence rows, errors, confusion and the predictions.
    """
    started = time.perf_counter()
    tokens = [list(s.tokens) for s in sentences]
    documents = [(s.source, s.document) for s in sentences]  # context stays inside a document
    options = {"distributions": True} if distributions else {}  # duck-typed taggers need not know it
    tagged = tagger.tag_words(tokens, batch_size=batch_size, progress=progress, documents=documents, **options)
    result = score_predictions(sentences, [t.labels for t in tagged], labels=list(getattr(tagger, "labels", [])),
                               source=source, checkpoint=checkpoint, seen=seen)
    if distributions:
        result.probabilities = [t.probabilities for t in tagged]
    # python floats, as the tagger's entity scores are products of them (math.prod): the threshold's input
    result.word_scores = [np.array([w.score for w in t.words], dtype=np.float64) for t in tagged]
    result.seconds = time.perf_counter() - started
    return result


def score_predictions(sentences: Sequence[ConllSentence], predicted: Sequence[Sequence[str]], *,
                      labels: Sequence[str] = (), source: str = "", checkpoint: str = "",
                      seen: frozenset[str] | None = None) -> EvaluationResult:
    """Score predictions already made for ``sentences`` (no model): what
    :func:`evaluate_sentences` does after tagging.

    Parameters
    ----------
    sentences:
        The gold sentences.
    predicted:
        One IOB2 label per word of each sentence.
    labels:
        The model's labels (its own types join the confusion matrix's rows and columns).
    source, checkpoint:
        Names recorded in the result.
    seen:
        The training entities' surface forms (:func:`training_entities`).

    Returns
    -------
    EvaluationResult
        Without :attr:`~EvaluationResult.probabilities`.

    >>> from nerlib.data.conll import ConllSentence
    >>> sentence = ConllSentence(tokens=["Wales", "won"], ner_tags=["B-ORG", "O"])
    >>> result = score_predictions([sentence], [["B-LOC", "O"]])
    >>> result.metrics.f1, list(result.errors["kind"])
    (0.0, ['wrong_type'])
    """
    started = time.perf_counter()
    tokens = [list(s.tokens) for s in sentences]
    gold = [list(s.ner_tags) for s in sentences]
    predicted = [list(tags) for tags in predicted]
    metrics = compute_metrics(gold, predicted, tokens=tokens, seen=seen)
    confusion = confusion_matrix(gold, predicted, labels=_label_order(labels))

    sentence_rows, error_rows = [], []
    for index, (sentence, words, gold_tags, pred_tags) in enumerate(zip(sentences, tokens, gold, predicted)):
        errors = span_errors(words, gold_tags, pred_tags)
        gold_spans, pred_spans = entity_spans(gold_tags), entity_spans(pred_tags)
        where = {"sentence": index, "document": sentence.document, "line": sentence.line}
        error_rows.extend({**where, **error} for error in errors)
        sentence_rows.append({
            **where, "source": sentence.source or source, "text": " ".join(words), "words": len(words),
            "gold": [span_dict(s, words) for s in gold_spans],
            "predicted": [span_dict(s, words) for s in pred_spans],
            "n_gold": len(gold_spans), "n_predicted": len(pred_spans),
            "n_correct": len(set(gold_spans) & set(pred_spans)),
            "n_errors": len(errors),
            "error_kinds": ", ".join(sorted({e["kind"] for e in errors}, key=ERROR_KINDS.index)),
        })
    return EvaluationResult(
        metrics=metrics,
        sentences=pd.DataFrame(sentence_rows, columns=SENTENCE_COLUMNS),
        errors=pd.DataFrame(error_rows, columns=ERROR_COLUMNS),
        confusion=confusion,
        conll_predictions=format_predictions(tokens, gold, predicted),
        tokens=tokens, gold=gold, predicted=predicted, source=source, checkpoint=checkpoint,
        seconds=time.perf_counter() - started, labels=list(labels), seen=seen,
    )


def _label_order(labels: Sequence[str]) -> list[str]:
    from nerlib.data.labels import NER_LABELS

    own = [label for label in labels if label not in NER_LABELS]
    return list(NER_LABELS) + sorted(set(own))


def evaluate_checkpoint(
    path_or_tagger: Any,
    split_or_file: str | os.PathLike = "validation",
    *,
    data_dir: str | os.PathLike | None = None,
    batch_size: int = 64,
    device: str | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    seen_from: str | os.PathLike | None = "train",
    distributions: bool = False,
) -> EvaluationResult:
    """Run a checkpoint over a CoNLL++ split or a CoNLL file and score it.

    Data errors surface before any model work is done.

    Parameters
    ----------
    path_or_tagger:
        A checkpoint path, run name or Hub id (loaded in float32, so scores equal the training
        script's), or a ready :class:`~nerlib.tagging.tagger.Tagger`.
    split_or_file:
        A split name or a CoNLL file (see :func:`load_sentences`).
    data_dir:
        The CoNLL++ folder.
    batch_size:
        Windows per forward pass.
    device:
        Where a loaded checkpoint runs; default CUDA if available.
    limit:
        Score only the first ``limit`` sentences (quick looks).
    progress:
        Called as ``progress(done, total)`` after every batch of the model (e.g. to drive a
        progress bar).
    seen_from:
        A split name or CoNLL file whose entities count as seen (default CoNLL++ ``train``;
        ``None`` to skip); when it cannot be found the seen/unseen scores are left out (``None``).
    distributions:
        Keep every word's label distribution (:attr:`EvaluationResult.probabilities`).

    Returns
    -------
    EvaluationResult
        Metrics, per-sentence rows, errors, confusion and the predictions.

    Raises
    ------
    nerlib.runs.checkpoints.CheckpointError
        For an unusable checkpoint.
    FileNotFoundError, ConllFormatError
        For unusable data (see :func:`load_sentences`).
    """
    from nerlib.tagging.tagger import Tagger

    sentences, source = load_sentences(split_or_file, data_dir)
    if limit is not None:
        sentences = sentences[:limit]
    seen = None
    if seen_from is not None:
        try:
            seen = training_entities(seen_from, data_dir)
        except FileNotFoundError:  # no training data here (a DataNotFoundError too): no seen/unseen split
            seen = None
    if isinstance(path_or_tagger, Tagger):
        tagger = path_or_tagger
        checkpoint = str(getattr(tagger, "path", "") or getattr(tagger, "source", ""))
    else:
        tagger = Tagger.from_pretrained(path_or_tagger, device=device, dtype="float32")
        checkpoint = str(tagger.path)
    return evaluate_sentences(tagger, sentences, batch_size=batch_size, source=source, checkpoint=checkpoint,
                              progress=progress, seen=seen, distributions=distributions)


def evaluate_saved_predictions(
    checkpoint: str | os.PathLike,
    split: str,
    *,
    data_dir: str | os.PathLike | None = None,
    limit: int | None = None,
    seen_from: str | os.PathLike | None = "train",
) -> EvaluationResult | None:
    """Score the predictions a training run saved for its best checkpoint, without a model.

    Training writes the best checkpoint's predictions into the run folder
    (``predictions/validation.conll``, ``predictions/test.conll``); they are read with
    :func:`nerlib.evaluation.comparison.saved_predictions`, the reader ``compare`` uses, and only
    when they are this checkpoint's and hold the requested sentences.

    Parameters
    ----------
    checkpoint:
        A checkpoint folder inside a run (``<run>/checkpoints/best``, or the checkpoint ``best`` was
        copied from), or the run folder itself.
    split:
        ``validation`` or ``test``.
    data_dir:
        The CoNLL++ folder.
    limit:
        Score only the first ``limit`` sentences; None for the whole split.
    seen_from:
        As for :func:`evaluate_checkpoint`.

    Returns
    -------
    EvaluationResult or None
        With :attr:`~EvaluationResult.saved_from` naming the run and checkpoint; None when the
        folder is no run's checkpoint, is not the run's best, or the saved predictions do not
        cover the requested sentences (then a model has to tag them).

    Raises
    ------
    FileNotFoundError, ConllFormatError
        For unusable data (see :func:`load_sentences`).
    """
    from nerlib.evaluation.comparison import CompareError, choose_checkpoint, saved_predictions
    from nerlib.runs.folder import is_run_dir

    started = time.perf_counter()
    folder = Path(checkpoint).expanduser()
    run_dir = folder if is_run_dir(folder) else folder.parent.parent
    if not (is_run_dir(run_dir) and (folder == run_dir or folder.parent.name == "checkpoints")):
        return None
    try:
        choice = choose_checkpoint(run_dir)
    except CompareError:
        return None
    best = choice.checkpoint
    if folder != run_dir and folder.resolve() != best.path.resolve() and folder.name != best.source:
        return None  # another checkpoint than the one the run saved predictions of
    sentences, source = load_sentences(split, data_dir)
    if limit is not None:
        sentences = sentences[:limit]
    predicted = saved_predictions(choice, sentences, source)
    if predicted is None:
        return None
    seen = None
    if seen_from is not None:
        try:
            seen = training_entities(seen_from, data_dir)
        except FileNotFoundError:
            seen = None
    result = score_predictions(sentences, predicted, labels=choice.labels, source=source,
                               checkpoint=str(best.path), seen=seen)
    result.saved_from, result.seconds = choice.describe(), time.perf_counter() - started
    return result
