"""Compare two training runs on the same sentences: scores, their difference and how sure it is.

Comparing two runs on the test split::

    comparison = compare_runs("runs/minilm-seed1", "runs/minilm-seed2", "test")
    comparison.scores          # per type and ALL: P/R/F1 of A and B, B - A, 95% CI, p-value, seed spread
    comparison.partial         # nervaluate's strict / exact / partial / ent_type counts of A and B
    comparison.diff            # one row per sentence: only A right, only B right, both wrong ...

What is compared: a finished run's best checkpoint, an unfinished run's last complete checkpoint
(``notes`` says so). Each run's predictions are computed once (or read from the run folder's
``predictions/<split>.conll`` when the training wrote them for that checkpoint on exactly these
sentences); the interval and p-value then come from resampling per-sentence counts
(:mod:`nerlib.evaluation.significance`), over whole documents when the file has ``-DOCSTART-``
boundaries. The seed spread is the standard deviation of the test F1 that training recorded for the
runs of the same runs folder whose options differ from the run's only in the seed.

Without models, on predictions already made:

>>> gold = [["B-PER", "O"], ["B-LOC", "O"], ["B-ORG", "O"]]
>>> a = [["B-PER", "O"], ["O", "O"], ["B-ORG", "O"]]
>>> b = [["B-PER", "O"], ["B-LOC", "O"], ["B-LOC", "O"]]
>>> c = compare_predictions([["w", "x"]] * 3, gold, a, b, resamples=1000, seed=0)
>>> c.diff_counts()["only_a_right"], c.diff_counts()["only_b_right"]
(1, 1)
>>> round(c.overall()["f1_a"], 3), round(c.overall()["f1_b"], 3)   # B's extra LOC costs precision
(0.8, 0.667)

Why one module of this length: one concept, two runs compared on the same sentences (choosing
their checkpoints, reading or making their predictions, the `Comparison` record); the statistics
live in :mod:`nerlib.evaluation.significance` and the partial-match schemes in
:mod:`nerlib.evaluation.partial`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nerlib.data.conll import ConllSentence
from nerlib.data.labels import entity_spans, to_iob2
from nerlib.evaluation.significance import (
    ALL,
    approximate_randomization,
    entity_types,
    f1_from_counts,
    group_units,
    paired_bootstrap,
    unit_counts,
)

__all__ = [
    "DIFF_CATEGORIES",
    "CompareError",
    "Comparison",
    "RunChoice",
    "check_same_labels",
    "choose_checkpoint",
    "compare_predictions",
    "compare_runs",
    "saved_predictions",
    "seed_spread",
    "sentence_diff",
]

#: the sentence categories of the diff, in the order a view lists them
DIFF_CATEGORIES: tuple[str, ...] = ("only_a_right", "only_b_right", "both_wrong_differently", "both_wrong_same",
                                    "both_right")
SCORE_COLUMNS = ["type", "support", "precision_a", "recall_a", "f1_a", "precision_b", "recall_b", "f1_b",
                 "difference", "ci_low", "ci_high", "p_value", "seed_sd_a", "seed_sd_b"]
DIFF_COLUMNS = ["sentence", "document", "line", "category", "types", "text", "words", "gold", "a", "b"]
# run options that do not change what a run learns: runs differing only in these (and the seed)
# are seeds of one configuration
_NOT_CONFIG = {"seed", "output_dir", "resume", "disable_tqdm", "report_to", "run_name", "progress_interval",
               "logging_steps", "tracker_project", "data_dir"}


class CompareError(ValueError):
    """Two runs cannot be compared as asked (not a run, no checkpoint, different labels)."""


@dataclass
class RunChoice:
    """The checkpoint of a run that a comparison uses.

    Attributes
    ----------
    run:
        The :class:`nerlib.runs.folder.Run`.
    checkpoint:
        Its :class:`nerlib.runs.folder.CheckpointInfo` (best, or the last complete one).
    labels:
        The checkpoint's label names.
    note:
        Why not the best checkpoint (an unfinished run), else None.
    """

    run: Any
    checkpoint: Any
    labels: list[str]
    note: str | None = None

    @property
    def name(self) -> str:
        """The run's folder name."""
        return self.run.name

    def describe(self) -> str:
        """``name (checkpoint best = epoch-2, step 120)``."""
        source = self.checkpoint.source
        inner = f"{self.checkpoint.name}{f' = {source}' if source else ''}, step {self.checkpoint.step}"
        return f"{self.name} (checkpoint {inner})"


def _run_folder(text: str | os.PathLike) -> Path:
    from nerlib.errors import check_usable_path
    from nerlib.settings import runs_dir

    path = check_usable_path(text)
    if not path.exists() and not path.is_absolute() and (runs_dir() / path).exists():
        path = runs_dir() / path
    if not path.exists():
        raise CompareError(f"{text}: no such run folder (nor a run of that name in {runs_dir()})")
    if not path.is_dir():
        raise CompareError(f"{text}: is a file; pass a training run folder (the one holding run.json)")
    return path


def choose_checkpoint(run_or_path: Any) -> RunChoice:
    """The checkpoint to compare of a run: the best of a finished run, else the last complete one.

    Parameters
    ----------
    run_or_path:
        A run folder, a run name in ``$NERLIB_RUNS_DIR``, or a loaded :class:`~nerlib.runs.folder.Run`.

    Returns
    -------
    RunChoice
        With a ``note`` when the run is not finished.

    Raises
    ------
    CompareError
        When the folder does not exist, is not a run (no ``run.json``), is damaged, or has no
        complete checkpoint yet.
    """
    from nerlib.runs.checkpoints import CheckpointError, read_label_map
    from nerlib.runs.folder import RUN_FILE, Run, is_run_dir, load_run

    if isinstance(run_or_path, Run):
        run = run_or_path
    else:
        path = _run_folder(run_or_path)
        if not is_run_dir(path):
            raise CompareError(f"{run_or_path}: not a training run folder (it holds no {RUN_FILE}); pass a folder "
                               "written by python -m training.train")
        run = load_run(path)
    if run.damaged:
        raise CompareError(f"run {run.name} cannot be read: {run.damaged}")
    note = None
    if run.status == "finished":
        checkpoint = run.best
    else:
        checkpoint = run.checkpoints[-1] if run.checkpoints else None
        if checkpoint is not None:
            note = (f"run {run.name} is not finished (status {run.status}): compared at its last complete "
                    f"checkpoint {checkpoint.name} (step {checkpoint.step}), not its best")
    if checkpoint is None:
        raise CompareError(f"run {run.name} has no complete checkpoint yet (status {run.status})")
    try:
        labels = [label for _, label in sorted(read_label_map(checkpoint.path).items())]
    except CheckpointError as error:
        raise CompareError(f"run {run.name}, checkpoint {checkpoint.name}: {error}") from error
    return RunChoice(run=run, checkpoint=checkpoint, labels=labels, note=note)


def check_same_labels(a: RunChoice, b: RunChoice) -> None:
    """Raise :class:`CompareError` naming the labels only one of the two runs has.

    >>> from types import SimpleNamespace as NS
    >>> check_same_labels(NS(name="a", labels=["O", "B-PER"]), NS(name="b", labels=["O", "B-LOC"]))
    Traceback (most recent call last):
    ...
    nerlib.evaluation.comparison.CompareError: runs a and b have different label sets: only a has B-PER; only b has B-LOC
    """
    only_a, only_b = sorted(set(a.labels) - set(b.labels)), sorted(set(b.labels) - set(a.labels))
    if only_a or only_b:
        parts = [f"only {run.name} has {', '.join(labels)}" for run, labels in ((a, only_a), (b, only_b)) if labels]
        raise CompareError(f"runs {a.name} and {b.name} have different label sets: {'; '.join(parts)}")


def saved_predictions(choice: RunChoice, sentences: Sequence[ConllSentence], split: str | None) -> list | None:
    """The run folder's predictions of these very sentences by this checkpoint, else None.

    Training writes ``predictions/validation.conll`` whenever the best checkpoint changes and
    ``predictions/test.conll`` with the best checkpoint at the end. A file is used when its F1
    equals the F1 training recorded for the best checkpoint on that split (so it is that
    checkpoint's, not an earlier one's) and its words and gold tags equal the requested sentences'
    (the file may hold more sentences: those it holds first are compared). The one reader of saved
    predictions: ``compare`` and the dashboard's Errors page
    (:func:`nerlib.evaluation.scoring.evaluate_saved_predictions`) both use it.

    Parameters
    ----------
    choice:
        The run and checkpoint (:func:`choose_checkpoint`); only its best checkpoint has saved predictions.
    sentences:
        The requested sentences, the first ones of ``split``.
    split:
        ``validation`` or ``test`` (None, e.g. for a CoNLL file: never saved).

    Returns
    -------
    list or None
        The predicted tags (IOB2) of each requested sentence, or None when the run saved none that fit.
    """
    from nerlib.runs.folder import BEST, read_predictions

    if split is None or choice.checkpoint.name != BEST or split not in choice.run.predictions:
        return None
    recorded = (choice.checkpoint.metrics if split == "validation" else (choice.run.test_metrics or {})).get("f1")
    if recorded is None:
        return None
    try:
        saved = read_predictions(choice.run.predictions[split])
    except (OSError, ValueError):
        return None
    if len(saved.tokens) < len(sentences):
        return None
    for index, sentence in enumerate(sentences):
        if saved.tokens[index] != list(sentence.tokens) or saved.gold[index] != list(sentence.ner_tags):
            return None
    try:
        f1 = f1_from_counts(unit_counts(saved.gold, saved.predicted).sum(axis=0))[-1]
    except ValueError:
        return None
    if not abs((0.0 if math.isnan(f1) else f1) - float(recorded)) < 1e-6:
        return None  # another checkpoint's predictions
    # training saves raw argmax tags (an I-X may open an entity); the tagger writes IOB2: the same
    # entities either way, written the tagger's way so the two sources read alike
    return [to_iob2(tags) for tags in saved.predicted[: len(sentences)]]


@dataclass
class RunPredictions:
    """One run's predictions on the compared sentences, and where they came from."""

    choice: RunChoice
    predicted: list[list[str]]
    reused: bool
    seconds: float


def predict(choice: RunChoice, sentences: Sequence[ConllSentence], *, split: str | None = None,
            source: str = "", batch_size: int | None = None, device: str | None = None,
            reuse: bool = True, progress: Callable[[int, int], None] | None = None) -> RunPredictions:
    """The predictions of ``choice``'s checkpoint on ``sentences``: read from the run folder when it
    saved them (see :func:`saved_predictions`), else tagged now with
    :func:`nerlib.evaluation.scoring.evaluate_sentences` (float32, as ``evaluate`` does), calling
    ``progress(done, total)`` (windows) after every batch."""
    started = time.perf_counter()
    if reuse:
        saved = saved_predictions(choice, sentences, split)
        if saved is not None:
            return RunPredictions(choice, saved, True, time.perf_counter() - started)
    from nerlib.evaluation.scoring import evaluate_sentences
    from nerlib.tagging.tagger import Tagger

    tagger = Tagger.from_pretrained(str(choice.checkpoint.path), device=device, dtype="float32",
                                    batch_size=batch_size)
    result = evaluate_sentences(tagger, sentences, batch_size=batch_size, source=source,
                                checkpoint=str(choice.checkpoint.path), progress=progress)
    return RunPredictions(choice, result.predicted, False, time.perf_counter() - started)


@dataclass
class SeedSpread:
    """The spread of the recorded test F1 over the runs that differ from a run only in the seed.

    Attributes
    ----------
    runs:
        Their names (the run itself included).
    f1:
        Type (and ``ALL``) -> the test F1 of each of them, in the order of ``runs``.
    """

    runs: list[str]
    f1: dict[str, list[float]] = field(default_factory=dict)

    def sd(self, entity_type: str = ALL) -> float:
        """Sample standard deviation of the F1 of ``entity_type``; nan for fewer than two runs."""
        values = self.f1.get(entity_type, [])
        return float(np.std(values, ddof=1)) if len(values) >= 2 else math.nan


def _config_without_seed(run: Any) -> dict[str, Any]:
    options = run.config.get("config") or {}
    config = {k: v for k, v in options.items() if k not in _NOT_CONFIG}
    # the folder may differ (`data_dir` is left out above) but not what is in it: a run trained on
    # other sentences (say, localized copies mixed in) is another configuration, not another seed
    data = run.config.get("data") or {}
    config["_train_data"] = ((data.get("sentences") or {}).get("train"), data.get("train_tokens"))
    return config


def seed_spread(run: Any, runs: Sequence[Any]) -> SeedSpread:
    """The runs among ``runs`` that share ``run``'s options except the seed, and their test F1.

    Parameters
    ----------
    run:
        A :class:`~nerlib.runs.folder.Run`.
    runs:
        Candidates (e.g. every run of its runs folder); the unreadable ones and those without a
        recorded test score are left out.

    Returns
    -------
    SeedSpread
        Their names and test F1 overall and per type, as training recorded it.
    """
    mine = _config_without_seed(run)
    spread = SeedSpread(runs=[])
    for other in runs:
        record = other.test_metrics if not other.damaged else None
        if record is None or _config_without_seed(other) != mine or record.get("f1") is None:
            continue
        spread.runs.append(other.name)
        spread.f1.setdefault(ALL, []).append(float(record["f1"]))
        for entity_type, scores in (record.get("per_type") or {}).items():
            spread.f1.setdefault(entity_type, []).append(float(scores.get("f1", math.nan)))
    return spread


def _spans(tags: Sequence[str], words: Sequence[str]) -> list[dict[str, Any]]:
    return [{"label": s.label, "start": s.start, "end": s.end, "text": " ".join(words[s.start:s.end])}
            for s in entity_spans(list(tags))]


def sentence_diff(tokens: Sequence[Sequence[str]], gold: Sequence[Sequence[str]],
                  pred_a: Sequence[Sequence[str]], pred_b: Sequence[Sequence[str]],
                  sentences: Sequence[ConllSentence] | None = None) -> pd.DataFrame:
    """One row per sentence: which of the two runs got it right (every entity exact, none extra).

    Parameters
    ----------
    tokens, gold, pred_a, pred_b:
        Per sentence: the words, and one IOB tag per word of gold and each run.
    sentences:
        The sentences, for their document and line (optional).

    Returns
    -------
    pandas.DataFrame
        ``DIFF_COLUMNS``: ``category`` one of :data:`DIFF_CATEGORIES`; ``types`` the entity types
        of the spans where gold, A and B do not all agree (sorted; what a type filter matches);
        ``gold``/``a``/``b`` the spans as ``[{"label", "start", "end", "text"}]`` over word indices.

    >>> sentence_diff([["Paris"]], [["B-LOC"]], [["B-LOC"]], [["B-PER"]])[["category", "types"]].iloc[0].tolist()
    ['only_a_right', ['LOC', 'PER']]
    """
    rows = []
    for index, (words, g, a, b) in enumerate(zip(tokens, gold, pred_a, pred_b)):
        spans = [set(entity_spans(list(tags))) for tags in (g, a, b)]
        right_a, right_b = spans[1] == spans[0], spans[2] == spans[0]
        if right_a and right_b:
            category = "both_right"
        elif right_a:
            category = "only_a_right"
        elif right_b:
            category = "only_b_right"
        else:
            category = "both_wrong_same" if spans[1] == spans[2] else "both_wrong_differently"
        disagreeing = (spans[0] | spans[1] | spans[2]) - (spans[0] & spans[1] & spans[2])
        sentence = sentences[index] if sentences is not None else None
        rows.append({"sentence": index, "document": getattr(sentence, "document", 0),
                     "line": getattr(sentence, "line", 0), "category": category,
                     "types": sorted({s.label for s in disagreeing}), "text": " ".join(words), "words": list(words),
                     "gold": _spans(g, words), "a": _spans(a, words), "b": _spans(b, words)})
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


@dataclass
class Comparison:
    """What :func:`compare_runs` / :func:`compare_predictions` return.

    Attributes
    ----------
    scores:
        ``SCORE_COLUMNS``, one row per type and ``ALL`` (last): support (gold entities), precision,
        recall and F1 of A and B (0..1, conlleval-exact; ``nan`` where undefined), ``difference``
        = F1(B) - F1(A), its bootstrap interval, the approximate-randomization p-value, and the
        seed spreads (``nan`` without two runs of the configuration).
    partial:
        nervaluate's schemes (:data:`nerlib.evaluation.partial.PARTIAL_COLUMNS`) for ``run`` A and B.
    diff:
        :func:`sentence_diff`.
    source, sentences, units, unit_kind:
        The data, its sentence count, and the resampled units (``documents`` or ``sentences``).
    resamples, rounds, seed:
        The bootstrap resamples, randomization rounds and seed.
    run_a, run_b:
        The two runs' descriptions; ``reused_a``/``reused_b`` whether their predictions came from
        the run folder; ``notes`` what the reader should know (unfinished runs, undefined scores).
    tokens, gold, pred_a, pred_b:
        The sentences' words and tags.
    seconds:
        Time spent: ``predict_a``, ``predict_b``, ``significance``, ``partial``, ``total``.
    """

    scores: pd.DataFrame
    partial: pd.DataFrame
    diff: pd.DataFrame
    source: str
    sentences: int
    units: int
    unit_kind: str
    resamples: int
    rounds: int
    seed: int
    run_a: str = "A"
    run_b: str = "B"
    reused_a: bool = False
    reused_b: bool = False
    notes: list[str] = field(default_factory=list)
    spread_runs_a: list[str] = field(default_factory=list)
    spread_runs_b: list[str] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)
    gold: list[list[str]] = field(default_factory=list)
    pred_a: list[list[str]] = field(default_factory=list)
    pred_b: list[list[str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def overall(self) -> dict[str, Any]:
        """The ``ALL`` row of :attr:`scores` as a dict."""
        return self.scores[self.scores.type == ALL].iloc[0].to_dict()

    def diff_counts(self) -> dict[str, int]:
        """Sentences per diff category (every category listed)."""
        counts = self.diff["category"].value_counts()
        return {category: int(counts.get(category, 0)) for category in DIFF_CATEGORIES}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``nan`` as None; the diff lists only the sentences where A and B differ
        in rightness or in what they predicted)."""
        changed = self.diff[self.diff.category.isin(["only_a_right", "only_b_right", "both_wrong_differently"])]
        return _json_ready({
            "data": self.source, "sentences": self.sentences, "units": self.units, "unit_kind": self.unit_kind,
            "resamples": self.resamples, "rounds": self.rounds, "seed": self.seed,
            "run_a": self.run_a, "run_b": self.run_b, "reused_predictions": {"a": self.reused_a, "b": self.reused_b},
            "seed_spread_runs": {"a": self.spread_runs_a, "b": self.spread_runs_b},
            "notes": self.notes, "scores": self.scores.to_dict("records"),
            "partial": self.partial.to_dict("records"), "diff_counts": self.diff_counts(),
            "diff": changed.drop(columns=["words"]).to_dict("records"), "seconds": self.seconds,
        })


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(value) else float(value)
    return value


def compare_predictions(tokens: Sequence[Sequence[str]], gold: Sequence[Sequence[str]],
                        pred_a: Sequence[Sequence[str]], pred_b: Sequence[Sequence[str]], *,
                        documents: Sequence[int] | None = None, sentences: Sequence[ConllSentence] | None = None,
                        resamples: int = 1000, rounds: int | None = None, seed: int = 0,
                        source: str = "", partial: bool = True) -> Comparison:
    """Compare two runs' predictions of the same sentences (no model involved).

    Parameters
    ----------
    tokens, gold, pred_a, pred_b:
        Per sentence: words, gold tags, and the tags of run A and run B.
    documents:
        The document of each sentence; with more than one document, whole documents are resampled.
    sentences:
        The sentences (for the diff's document and line).
    resamples:
        Bootstrap resamples (at least 1; 1,000 or more for a 95% interval worth reading).
    rounds:
        Approximate-randomization rounds (default: as many as ``resamples``).
    seed:
        Seeds the bootstrap (``seed``) and the randomization (``seed + 1``).
    source:
        What the sentences are, for the record.
    partial:
        Whether to add nervaluate's partial-match table (needs the ``compare`` extra).

    Returns
    -------
    Comparison
        Scores, partial-match table and sentence diff (run names ``A`` and ``B``).

    Raises
    ------
    ValueError
        When the sequences disagree in sentences or words, or ``resamples``/``rounds`` < 1.
    """
    started = time.perf_counter()
    rounds = resamples if rounds is None else rounds
    types = entity_types(gold, pred_a, pred_b)
    counts_a, counts_b = unit_counts(gold, pred_a, types), unit_counts(gold, pred_b, types)
    unit_kind = "sentences"
    if documents is not None and len(set(documents)) > 1:
        counts_a, counts_b = group_units(counts_a, documents), group_units(counts_b, documents)
        unit_kind = "documents"
    low, high = paired_bootstrap(counts_a, counts_b, resamples=resamples, seed=seed)
    p_values = approximate_randomization(counts_a, counts_b, rounds=rounds, seed=seed + 1)
    total_a, total_b = counts_a.sum(axis=0).astype(float), counts_b.sum(axis=0).astype(float)
    f1_a, f1_b = f1_from_counts(total_a), f1_from_counts(total_b)
    scores = pd.DataFrame({
        "type": [*types, ALL], "support": (total_a[:, 0] + total_a[:, 2]).astype(int),
        "precision_a": _ratio(total_a[:, 0], total_a[:, 0] + total_a[:, 1]),
        "recall_a": _ratio(total_a[:, 0], total_a[:, 0] + total_a[:, 2]), "f1_a": f1_a,
        "precision_b": _ratio(total_b[:, 0], total_b[:, 0] + total_b[:, 1]),
        "recall_b": _ratio(total_b[:, 0], total_b[:, 0] + total_b[:, 2]), "f1_b": f1_b,
        "difference": f1_b - f1_a, "ci_low": low, "ci_high": high, "p_value": p_values,
        "seed_sd_a": math.nan, "seed_sd_b": math.nan,
    }, columns=SCORE_COLUMNS)
    significance_s = time.perf_counter() - started
    partial_started = time.perf_counter()
    if partial:
        from nerlib.evaluation.partial import partial_match

        table = pd.concat([partial_match(gold, pred_a).assign(run="A"), partial_match(gold, pred_b).assign(run="B")],
                          ignore_index=True)
        partial_table = table[["run", *table.columns[:-1]]]
    else:
        partial_table = pd.DataFrame()
    partial_s = time.perf_counter() - partial_started
    notes = []
    if not int(scores.support.iloc[-1]):
        notes.append(f"{source or 'the data'} holds no gold entity: recall and F1 are undefined (shown as "
                     "n/a), and so are their interval and p-value")
    return Comparison(
        scores=scores, partial=partial_table, diff=sentence_diff(tokens, gold, pred_a, pred_b, sentences),
        source=source, sentences=len(gold), units=len(counts_a), unit_kind=unit_kind, resamples=resamples,
        rounds=rounds, seed=seed, notes=notes, tokens=[list(t) for t in tokens], gold=[list(g) for g in gold],
        pred_a=[list(p) for p in pred_a], pred_b=[list(p) for p in pred_b],
        seconds={"significance": significance_s, "partial": partial_s},
    )


def compare_runs(run_a: Any, run_b: Any, split_or_file: str | os.PathLike = "test", *,
                 data_dir: str | os.PathLike | None = None, resamples: int = 1000, seed: int = 0,
                 batch_size: int | None = None, device: str | None = None, reuse: bool = True,
                 limit: int | None = None, runs: Sequence[Any] | None = None,
                 progress: Callable[[str, int, int], None] | None = None) -> Comparison:
    """Compare two runs on a CoNLL++ split or a CoNLL file.

    Parameters
    ----------
    run_a, run_b:
        Run folders, run names in ``$NERLIB_RUNS_DIR``, or loaded runs (see :func:`choose_checkpoint`).
    split_or_file:
        ``test`` (default), ``validation``, ``train`` or a CoNLL file.
    data_dir:
        The CoNLL++ folder for a split name.
    resamples:
        Bootstrap resamples and randomization rounds.
    seed:
        Their seed.
    batch_size, device:
        For the model passes.
    reuse:
        Read the predictions a run folder saved for these sentences instead of tagging again.
    limit:
        Compare on the first ``limit`` sentences only.
    runs:
        The runs to look for seeds of the same configuration in; default every run in run A's and
        run B's runs folders.
    progress:
        Called as ``progress(run name, done, total)`` (windows) after every batch of a run that is
        tagged now (not for saved predictions), e.g. to drive a progress bar.

    Returns
    -------
    Comparison
        See :class:`Comparison`; ``run_a``/``run_b`` name the runs and checkpoints.

    Raises
    ------
    CompareError
        For a folder that is no run, a run without a checkpoint, or runs with different label sets.
    FileNotFoundError, ConllFormatError
        For unusable data (:func:`nerlib.evaluation.scoring.load_sentences`).
    """
    from nerlib.evaluation.scoring import load_sentences
    from nerlib.runs.folder import list_runs

    started = time.perf_counter()
    choice_a, choice_b = choose_checkpoint(run_a), choose_checkpoint(run_b)
    check_same_labels(choice_a, choice_b)
    sentences, source = load_sentences(split_or_file, data_dir)  # data errors before any model work
    if limit is not None:
        sentences = sentences[:limit]
    if not sentences:
        raise CompareError(f"{source}: nothing to compare: no sentences (the file is empty or holds only "
                           "-DOCSTART- lines)")
    split = source if source in ("train", "validation", "test") else None
    def reporter(choice: RunChoice) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda done, total: progress(choice.name, done, total))

    predictions = [predict(choice_a, sentences, split=split, source=source, batch_size=batch_size, device=device,
                           reuse=reuse, progress=reporter(choice_a))]
    if choice_b.checkpoint.path.resolve() == choice_a.checkpoint.path.resolve():  # one checkpoint: tagged once
        predictions.append(RunPredictions(choice_b, predictions[0].predicted, predictions[0].reused, 0.0))
    else:
        predictions.append(predict(choice_b, sentences, split=split, source=source, batch_size=batch_size,
                                   device=device, reuse=reuse, progress=reporter(choice_b)))
    comparison = compare_predictions(
        [s.tokens for s in sentences], [s.ner_tags for s in sentences], predictions[0].predicted,
        predictions[1].predicted, documents=[s.document for s in sentences], sentences=sentences,
        resamples=resamples, seed=seed, source=source)
    if runs is None:
        folders = {choice_a.run.path.parent, choice_b.run.path.parent}
        runs = [run for folder in sorted(folders) for run in list_runs(folder)]
    spreads = [seed_spread(choice.run, runs) for choice in (choice_a, choice_b)]
    comparison.scores["seed_sd_a"] = [spreads[0].sd(t) for t in comparison.scores.type]
    comparison.scores["seed_sd_b"] = [spreads[1].sd(t) for t in comparison.scores.type]
    comparison.spread_runs_a, comparison.spread_runs_b = spreads[0].runs, spreads[1].runs
    comparison.run_a, comparison.run_b = choice_a.describe(), choice_b.describe()
    comparison.reused_a, comparison.reused_b = predictions[0].reused, predictions[1].reused
    comparison.notes = [c.note for c in (choice_a, choice_b) if c.note] + comparison.notes
    comparison.seconds.update(predict_a=predictions[0].seconds, predict_b=predictions[1].seconds,
                              total=time.perf_counter() - started)
    return comparison
