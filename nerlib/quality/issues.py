"""Find the label issues of a split or CoNLL file with a run: the work behind ``label-issues``.

::

    report = detect_label_issues("runs/minilm", "validation")            # one pass (not trained on)
    report = detect_label_issues("runs/minilm", "train", folds=5)         # K-fold cross-training
    report.issues[0].sentence, report.issues[0].quality, report.issues[0].suggested
    save_report(report, "runs/minilm")          # runs/minilm/quality/conllpp_dev.txt.issues.jsonl

Data the run was trained on (its training split, or a file with the same bytes) is scored by
K-fold cross-training (:func:`nerlib.quality.folds.kfold_distributions`, default K =
:data:`~nerlib.quality.folds.DEFAULT_FOLDS`); anything else in one pass of the run's best
checkpoint. ``folds`` forces K-fold on any data.

A report saved beside the run is two files in ``RUN/quality/``: ``<file>.issues.jsonl`` (one
line per sentence, most likely wrong first: :meth:`SentenceIssue.to_dict`) and
``<file>.issues.json`` (where the source is, its checksum, how the scores were made). The Data
quality page lists them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nerlib.quality.folds import DEFAULT_FOLDS, kfold_distributions, sentence_distributions
from nerlib.quality.review import QUALITY_FOLDER, file_sha256
from nerlib.quality.scores import (
    DEFAULT_SENTENCE_METHOD,
    DEFAULT_TOKEN_METHOD,
    SentenceIssue,
    check_given_labels,
    find_sentence_issues,
)

__all__ = ["IssueReport", "detect_label_issues", "format_issue_table", "list_reports", "read_report",
           "save_report"]

ISSUES_SUFFIX = ".issues.jsonl"
META_SUFFIX = ".issues.json"


@dataclass
class IssueReport:
    """What :func:`detect_label_issues` found.

    Attributes
    ----------
    issues:
        One per sentence, most likely wrong first.
    source:
        The data's name (a split name or the file's path).
    source_path:
        The CoNLL file read.
    source_sha256:
        Its checksum (a review records it).
    labels:
        The model's labels (the distributions' columns).
    method:
        ``"one pass"`` or ``"K-fold (K=...)"``.
    model:
        The run or checkpoint.
    token_method, sentence_method:
        How words and sentences were scored (:mod:`nerlib.quality.scores`).
    seconds:
        How long it took.
    """

    issues: list[SentenceIssue]
    source: str
    source_path: Path
    source_sha256: str
    labels: list[str] = field(default_factory=list)
    method: str = "one pass"
    model: str = ""
    token_method: str = DEFAULT_TOKEN_METHOD
    sentence_method: str = DEFAULT_SENTENCE_METHOD
    seconds: float = 0.0

    @property
    def flagged(self) -> list[SentenceIssue]:
        """The sentences with at least one flagged word, most likely wrong first."""
        return [issue for issue in self.issues if issue.flagged]

    def meta(self) -> dict[str, Any]:
        """The facts saved beside the issues (``<file>.issues.json``)."""
        return {"source": self.source, "source_path": str(self.source_path), "source_sha256": self.source_sha256,
                "labels": self.labels, "method": self.method, "model": self.model,
                "token_method": self.token_method, "sentence_method": self.sentence_method,
                "sentences": len(self.issues), "flagged_sentences": len(self.flagged),
                "seconds": round(self.seconds, 1)}


def _trained_on(run_dir: Path | None, path: Path, data_dir: str | os.PathLike | None) -> bool:
    """Whether ``path`` holds the run's training data (its training file, or the same bytes)."""
    if run_dir is None or not (run_dir / "run.json").is_file():
        return False
    from nerlib.evaluation.scoring import _data_file
    from nerlib.runs.folder import read_run_config

    config = read_run_config(run_dir).get("config", {})
    trained_dir = config.get("data_dir") or data_dir
    try:
        if trained_dir and Path(trained_dir).is_dir() and not (Path(trained_dir) / "conllpp_train.txt").exists():
            from nerlib.data.conllpp import split_name

            candidates = [p for p in Path(trained_dir).iterdir() if p.is_file() and split_name(p) == "train"]
        else:
            candidates = [_data_file("train", trained_dir, download=False)]
    except (FileNotFoundError, ValueError):
        return False
    for candidate in candidates:
        if candidate.resolve() == path.resolve():
            return True
        if candidate.stat().st_size == path.stat().st_size and file_sha256(candidate) == file_sha256(path):
            return True
    return False


def detect_label_issues(
    model: str | os.PathLike,
    data: str | os.PathLike,
    *,
    data_dir: str | os.PathLike | None = None,
    folds: int | None = None,
    device: str | None = None,
    batch_size: int | None = None,
    token_method: str = DEFAULT_TOKEN_METHOD,
    sentence_method: str = DEFAULT_SENTENCE_METHOD,
    log: Callable[[str], None] | None = None,
    tagger: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> IssueReport:
    """Score the labels of a split or CoNLL file with a run's model (see the module docstring).

    Parameters
    ----------
    model:
        A training run folder (K-fold needs one: it retrains the run's recipe) or any checkpoint
        the :class:`~nerlib.tagging.tagger.Tagger` loads (one pass only).
    data:
        ``train``, ``validation``, ``test`` or a CoNLL file.
    data_dir:
        The CoNLL++ folder for a split name.
    folds:
        K for K-fold cross-training; default K-fold with
        :data:`~nerlib.quality.folds.DEFAULT_FOLDS` for the run's training data, one pass otherwise.
    device, batch_size:
        Where and in what batches the model reads.
    token_method, sentence_method:
        See :func:`nerlib.quality.scores.find_sentence_issues`.
    log:
        Progress lines (default standard error).
    tagger:
        A ready tagger for the one pass (the dashboard's cached one); default loaded from ``model``.
    progress:
        Called as ``progress(done, total)`` (windows) after each batch of the one pass.

    Returns
    -------
    IssueReport
        The ranked sentences (none for an empty file).

    Raises
    ------
    nerlib.quality.scores.UnknownLabelsError
        For labels outside the model's label set (before any training or tagging).
    FileNotFoundError, nerlib.data.conll.ConllFormatError
        For unusable data.
    nerlib.quality.folds.FoldError
        When K-fold is asked of a checkpoint that is no run, or a fold fails.
    """
    from nerlib.evaluation.scoring import _data_file, load_sentences
    from nerlib.quality.folds import FoldError
    from nerlib.tagging.tagger import Tagger

    say = log or (lambda line: print(line, file=sys.stderr, flush=True))
    started = time.perf_counter()
    path = _data_file(data, data_dir)
    sentences, source = load_sentences(path, data_dir)
    source = source if Path(os.fspath(data)).expanduser().is_file() else str(data)
    sha = file_sha256(path)
    run_dir = Path(model) if (Path(model) / "run.json").is_file() else None
    if folds is None and _trained_on(run_dir, path, data_dir):
        folds = DEFAULT_FOLDS
        say(f"{source}: the run was trained on this data; K-fold cross-training with K={folds} (--folds K to change)")
    if folds is not None and run_dir is None:
        raise FoldError(f"{model}: K-fold cross-training needs a training run folder (it trains the run's recipe "
                        "on each fold)")
    if tagger is None:
        tagger = Tagger.from_pretrained(model, device=device, dtype="float32")
    labels = list(tagger.labels)
    report = IssueReport(issues=[], source=source, source_path=path.resolve(), source_sha256=sha, labels=labels,
                         model=str(model), token_method=token_method, sentence_method=sentence_method,
                         method="one pass" if folds is None else f"K-fold (K={folds})")
    if not sentences:
        return report
    tokens = [s.tokens for s in sentences]
    given = [s.ner_tags for s in sentences]
    lines = [s.line for s in sentences]
    check_given_labels(given, labels, lines, source)
    if folds is None:
        say(f"{source}: reading {len(sentences)} sentences with {model} (one pass)")
        probabilities = sentence_distributions(tagger, sentences, labels, batch_size=batch_size, progress=progress)
    else:
        probabilities = kfold_distributions(run_dir, sentences, labels, folds=folds, source_sha256=sha,
                                            source_name=path.name, device=device, batch_size=batch_size, log=say)
    report.issues = find_sentence_issues(tokens, given, probabilities, labels, token_method=token_method,
                                         sentence_method=sentence_method, lines=lines,
                                         documents=[s.document for s in sentences], source=source)
    report.seconds = time.perf_counter() - started
    return report


def write_issues(issues: Sequence[SentenceIssue], path: str | os.PathLike) -> Path:
    """Write one JSON line per sentence (atomically: a partial file never shows)."""
    path = Path(path)
    temporary = path.with_name(path.name + ".partial")
    with open(temporary, "w", encoding="utf-8") as handle:
        for issue in issues:
            handle.write(json.dumps(issue.to_dict(), ensure_ascii=False) + "\n")
    os.replace(temporary, path)
    return path


def save_report(report: IssueReport, run_dir: str | os.PathLike) -> Path:
    """Save ``report`` beside the run (``RUN/quality/<file>.issues.jsonl`` and ``.issues.json``);
    returns the issues file."""
    folder = Path(run_dir) / QUALITY_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    issues = write_issues(report.issues, folder / (report.source_path.name + ISSUES_SUFFIX))
    meta = folder / (report.source_path.name + META_SUFFIX)
    meta.write_text(json.dumps(report.meta(), indent=2) + "\n", encoding="utf-8")
    return issues


def list_reports(run_dir: str | os.PathLike) -> list[Path]:
    """The issues files saved beside a run, newest first."""
    folder = Path(run_dir) / QUALITY_FOLDER
    if not folder.is_dir():
        return []
    found = [p for p in folder.glob("*" + ISSUES_SUFFIX) if p.is_file()
             and p.with_name(p.name[: -len(ISSUES_SUFFIX)] + META_SUFFIX).is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def read_report(issues_path: str | os.PathLike) -> IssueReport:
    """Read a report :func:`save_report` wrote.

    Raises
    ------
    nerlib.errors.InputError
        Naming the line, for a line that is not an issue record.
    """
    from nerlib.data.lines import open_regular, read_lines
    from nerlib.errors import InputError

    issues_path = Path(issues_path)
    meta_path = issues_path.with_name(issues_path.name[: -len(ISSUES_SUFFIX)] + META_SUFFIX)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(meta_path, None, f"not a JSON record ({error})") from None
    issues = []
    with open_regular(issues_path) as handle:
        for number, text in read_lines(handle, issues_path):
            if not text.strip():
                continue
            try:
                issues.append(SentenceIssue.from_dict(json.loads(text)))
            except (json.JSONDecodeError, TypeError, KeyError, AttributeError) as error:
                raise InputError(issues_path, number, f"not an issue record ({error})") from None
    return IssueReport(issues=issues, source=str(meta.get("source", "")), source_path=Path(meta["source_path"]),
                       source_sha256=str(meta.get("source_sha256", "")), labels=list(meta.get("labels", [])),
                       method=str(meta.get("method", "")), model=str(meta.get("model", "")),
                       token_method=str(meta.get("token_method", DEFAULT_TOKEN_METHOD)),
                       sentence_method=str(meta.get("sentence_method", DEFAULT_SENTENCE_METHOD)),
                       seconds=float(meta.get("seconds", 0.0)))


def format_issue_table(report: IssueReport, top: int) -> str:
    """The ``--top N`` table: the N most likely wrong sentences, their flagged words and entity
    changes.

    Parameters
    ----------
    report:
        What :func:`detect_label_issues` found.
    top:
        How many sentences.

    Returns
    -------
    str
        Lines joined by newlines, ending with what the ranking was computed on.
    """
    lines = [f"{'rank':>4}  {'sentence':>8}  {'line':>6}  {'quality':>7}  changes (given -> suggested) | text"]
    for rank, issue in enumerate(report.issues[:top], start=1):
        changes = "; ".join(str(e) for e in issue.entities) or (
            "flagged: " + ", ".join(f"{issue.tokens[w]} {issue.given[w]}" for w in issue.flagged)
            if issue.flagged else "-")
        text = " ".join(issue.tokens)
        text = text if len(text) <= 80 else text[:77] + "..."
        lines.append(f"{rank:>4}  {issue.sentence:>8}  {issue.line:>6}  {issue.quality:>7.4f}  {changes} | {text}")
    lines.append(f"{report.source}: {len(report.issues)} sentences, {len(report.flagged)} with flagged words; "
                 f"{report.method} with {report.model}; quality = {report.sentence_method} of cleanlab "
                 f"{report.token_method} word scores")
    return "\n".join(lines)
