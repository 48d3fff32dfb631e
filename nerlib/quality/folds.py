"""Out-of-sample class distributions: what a model that never saw a sentence's labels thinks of it.

A label can only be judged by a model that did not learn it. Two ways:

- **one pass** (:func:`sentence_distributions`): data the run was not trained on (a validation
  or test split, a new file) is read by the run's best checkpoint;
- **K-fold cross-training** (:func:`kfold_distributions`): for the run's own training data, the
  sentences are cut into K parts (whole ``-DOCSTART-`` documents where there are enough, so a
  document's repeated names do not leak across parts); for each part the run's recipe (the
  options of its ``run.json`` command) trains on the other parts in a subprocess of
  ``python -m training.train``, and that fold's model reads the held-out part.

Each fold is its own run folder under ``RUN/quality/folds-<file>-<checksum>-k<K>/fold-<i>/``; a fold
whose held-out distributions are saved is not trained again, so a killed K-fold resumes where it
stopped (an unfinished fold starts over). Progress goes to ``log`` (one line per fold, and the
training script's own lines, prefixed with the fold).

>>> fold_assignment([0, 0, 1, 1, 2, 3], 2)   # documents of six sentences -> parts
[0, 0, 0, 0, 1, 1]
>>> fold_assignment([0, 0, 0, 0], 2)          # one document: cut by sentences
[0, 0, 1, 1]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nerlib.data.conll import DOCSTART, ConllSentence, format_conll
from nerlib.quality.review import QUALITY_FOLDER

__all__ = [
    "DEFAULT_FOLDS",
    "FoldError",
    "fold_assignment",
    "kfold_distributions",
    "recipe_arguments",
    "sentence_distributions",
]

DEFAULT_FOLDS = 5
HELD_OUT_FILE = "held-out.npz"  # a fold's finished mark: the held-out part's distributions
# options of the recorded command that a fold sets itself (or must not repeat); value-taking ones
_DROPPED_WITH_VALUE = ("--output-dir", "--data-dir", "--max-train-samples", "--push-to-hub", "--report-to",
                       "--debug-kill-after-step")
_DROPPED_FLAGS = ("--no-test", "--disable-tqdm")


class FoldError(RuntimeError):
    """A fold's training failed, or the run records no recipe to cross-train with."""


def sentence_distributions(tagger: Any, sentences: Sequence[ConllSentence], labels: Sequence[str] | None = None,
                           *, batch_size: int | None = None,
                           progress: Callable[[int, int], None] | None = None) -> list[np.ndarray]:
    """Each word's class distribution, per sentence, from ``tagger`` (one pass).

    Long sentences are windowed as in tagging; a model trained with document context reads each
    sentence with its neighbours of the same ``-DOCSTART-`` document.

    Parameters
    ----------
    tagger:
        A :class:`~nerlib.tagging.tagger.Tagger`.
    sentences:
        The sentences (their words as the file splits them).
    labels:
        The columns wanted, by name (default the tagger's labels, in its order); a label the
        tagger lacks gets probability 0.
    batch_size:
        Windows per forward pass (default the tagger's).
    progress:
        Called as ``progress(done, total)`` (windows) after each batch.

    Returns
    -------
    list of numpy.ndarray
        Per sentence, float32 (words x labels), rows summing to 1.
    """
    if not sentences:
        return []
    documents = [(s.source, s.document) for s in sentences]
    results = tagger.predict([list(s.tokens) for s in sentences], batch_size, documents=documents,
                             distributions=True, progress=progress)
    return [_reorder(np.asarray(r[2], dtype=np.float32), list(tagger.labels), labels) for r in results]


def _reorder(probabilities: np.ndarray, have: list[str], want: Sequence[str] | None) -> np.ndarray:
    """The columns of ``probabilities`` (named ``have``) in the order ``want``; missing ones 0."""
    if want is None or list(want) == have:
        return probabilities
    out = np.zeros((probabilities.shape[0], len(want)), dtype=np.float32)
    for column, label in enumerate(want):
        if label in have:
            out[:, column] = probabilities[:, have.index(label)]
    totals = out.sum(axis=1, keepdims=True)
    return out / np.where(totals > 0, totals, 1.0)


def fold_assignment(documents: Sequence[int], folds: int) -> list[int]:
    """The part (0 .. folds-1) of each sentence: contiguous runs of whole documents of about equal
    size when there are at least ``folds`` documents, else contiguous runs of sentences.

    Parameters
    ----------
    documents:
        Each sentence's document index, in file order.
    folds:
        K, at least 2.

    Returns
    -------
    list of int
        One part per sentence; every part holds at least one sentence when there are at least
        ``folds`` sentences.

    Raises
    ------
    ValueError
        For ``folds`` < 2 or fewer sentences than folds.
    """
    total = len(documents)
    if folds < 2:
        raise ValueError(f"--folds {folds}: K-fold needs at least 2 folds")
    if total < folds:
        raise ValueError(f"{total} sentence(s) cannot be cut into {folds} folds")
    groups: list[list[int]] = []
    for index, document in enumerate(documents):
        if groups and documents[groups[-1][0]] == document:
            groups[-1].append(index)
        else:
            groups.append([index])
    if len(groups) < folds:
        groups = [[i] for i in range(total)]
    assignment = [0] * total
    done, part = 0, 0
    for number, group in enumerate(groups):
        # move to the next part once this one holds its share, keeping a group for each later part
        while part < folds - 1 and (done >= (part + 1) * total / folds or len(groups) - number <= folds - 1 - part):
            part += 1
        for index in group:
            assignment[index] = part
        done += len(group)
    return assignment


def recipe_arguments(run_dir: str | os.PathLike) -> list[str]:
    """The options the run was trained with (its ``run.json`` command after ``training.train``),
    without those a fold sets itself (output and data folders, sample cap, test, trackers).

    Parameters
    ----------
    run_dir:
        A training run folder.

    Returns
    -------
    list of str
        The arguments to give ``python -m training.train`` (with a fold's ``--data-dir`` and
        ``--output-dir``).

    Raises
    ------
    FoldError
        When the run's ``run.json`` records no ``training.train`` command.
    """
    from nerlib.runs.folder import read_run_config

    command = [str(part) for part in read_run_config(run_dir).get("command") or []]
    start = next((i + 1 for i, part in enumerate(command)
                  if part == "training.train" or part.endswith(("training/train.py", "training\\train.py"))), None)
    if start is None:
        raise FoldError(f"{run_dir}/run.json records no `python -m training.train` command to cross-train with")
    kept: list[str] = []
    arguments = command[start:]
    index = 0
    while index < len(arguments):
        part = arguments[index]
        name = part.split("=", 1)[0]
        if name in _DROPPED_WITH_VALUE:
            index += 1 if "=" in part else 2
            continue
        if name == "--resume":  # an optional value
            index += 2 if "=" not in part and index + 1 < len(arguments) and not arguments[index + 1].startswith("-") else 1
            continue
        if name not in _DROPPED_FLAGS:
            kept.append(part)
        index += 1
    return kept


def _write_sentences(path: Path, sentences: Sequence[ConllSentence]) -> None:
    """CoNLL ``word tag`` lines with a ``-DOCSTART-`` line where a document starts (document
    context stays as in the source)."""
    chunks, previous = [], None
    for sentence in sentences:
        key = (sentence.source, sentence.document)
        if key != previous:
            chunks.append(f"{DOCSTART} O\n\n")
            previous = key
        chunks.append(format_conll([list(zip(sentence.tokens, sentence.ner_tags))]))
    path.write_text("".join(chunks), encoding="utf-8")


def _validation_file(run_dir: Path) -> Path | None:
    """The run's validation data (best-checkpoint choice of every fold), if it can be found."""
    from nerlib.data.conllpp import DataNotFoundError, split_name
    from nerlib.runs.folder import read_run_config

    data_dir = read_run_config(run_dir).get("config", {}).get("data_dir")
    folder = Path(data_dir) if data_dir else None
    if folder is not None and folder.is_dir() and not (folder / "conllpp_dev.txt").exists():
        return next((p for p in sorted(folder.iterdir()) if p.is_file() and split_name(p) == "validation"), None)
    from nerlib.data.conllpp import CONLLPP_FILES, find_conllpp_dir

    try:
        return find_conllpp_dir(folder, download=False) / CONLLPP_FILES["validation"]
    except (DataNotFoundError, FileNotFoundError, ValueError):
        return None


def _project_root() -> Path:
    """The folder holding ``nerlib`` and ``training`` (the fold subprocess imports both)."""
    return Path(__file__).resolve().parents[2]


def kfold_distributions(
    run_dir: str | os.PathLike,
    sentences: Sequence[ConllSentence],
    labels: Sequence[str],
    *,
    folds: int = DEFAULT_FOLDS,
    source_sha256: str,
    source_name: str,
    device: str | None = None,
    batch_size: int | None = None,
    log: Callable[[str], None] | None = None,
    python: str = sys.executable,
) -> list[np.ndarray]:
    """Out-of-sample distributions for data the run was trained on, by K-fold cross-training.

    Parameters
    ----------
    run_dir:
        The run whose recipe each fold trains (:func:`recipe_arguments`).
    sentences:
        The sentences to score, in file order.
    labels:
        The columns wanted (the run's labels).
    folds:
        K (at least 2).
    source_sha256, source_name:
        The source file's checksum and name: they name the folder of the folds, so another file
        or version never reuses them.
    device:
        Where each fold's model reads its held-out part.
    batch_size:
        Windows per forward pass when reading.
    log:
        Gets one line per fold and the training subprocess's own lines, prefixed with the fold
        (default: standard error).
    python:
        The interpreter that runs ``-m training.train``.

    Returns
    -------
    list of numpy.ndarray
        Per sentence, float32 (words x labels).

    Raises
    ------
    FoldError
        When a fold's training exits non-zero (its run folder stays, for a look), or the run records
        no recipe.
    ValueError
        For fewer sentences than folds.
    """
    from nerlib.tagging.tagger import Tagger

    say = log or (lambda line: print(line, file=sys.stderr, flush=True))
    run_dir = Path(run_dir)
    recipe = recipe_arguments(run_dir)
    assignment = fold_assignment([s.document for s in sentences], folds)
    work = run_dir / QUALITY_FOLDER / f"folds-{Path(source_name).name}-{source_sha256[:12]}-k{folds}"
    work.mkdir(parents=True, exist_ok=True)
    plan = {"source": source_name, "source_sha256": source_sha256, "folds": folds, "sentences": len(sentences),
            "labels": list(labels), "recipe": recipe}
    (work / "plan.json").write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")
    validation = _validation_file(run_dir)
    result: list[np.ndarray | None] = [None] * len(sentences)
    started = time.perf_counter()
    for fold in range(folds):
        held = [i for i, part in enumerate(assignment) if part == fold]
        fold_dir, data_dir = work / f"fold-{fold + 1}", work / f"fold-{fold + 1}-data"
        marker = fold_dir / HELD_OUT_FILE
        head = f"fold {fold + 1}/{folds}"
        if marker.exists():
            say(f"{head}: done already ({len(held)} held-out sentences; {fold_dir})")
        else:
            if fold_dir.exists():  # killed while training: this fold starts over
                say(f"{head}: unfinished run found; training it again")
                shutil.rmtree(fold_dir)
            data_dir.mkdir(parents=True, exist_ok=True)
            _write_sentences(data_dir / "train.txt", [s for s, part in zip(sentences, assignment) if part != fold])
            if validation is not None:
                shutil.copyfile(validation, data_dir / "dev.txt")
            else:  # no validation data: the held-out part chooses the best checkpoint (said in the docs)
                _write_sentences(data_dir / "dev.txt", [sentences[i] for i in held])
            command = [python, "-m", "training.train", *recipe, "--data-dir", str(data_dir),
                       "--output-dir", str(fold_dir), "--no-test", "--disable-tqdm"]
            say(f"{head}: training on {len(sentences) - len(held)} sentences, holding out {len(held)} "
                f"({time.perf_counter() - started:.0f} s so far)")
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_project_root()), env.get("PYTHONPATH")]))
            # the training script's lines go through `log` too (a caller's stream may be no real file)
            with subprocess.Popen(command, cwd=_project_root(), env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, errors="replace") as child:
                for line in child.stdout:
                    if line.strip():
                        say(f"{head}: {line.rstrip()}")
            if child.returncode != 0:
                raise FoldError(f"{head}: `python -m training.train` exited with code {child.returncode}; its "
                                f"run folder is {fold_dir} (run label-issues again to retry this fold)")
            tagger = Tagger.from_pretrained(fold_dir, device=device, dtype="float32")
            held_out = sentence_distributions(tagger, [sentences[i] for i in held], labels, batch_size=batch_size)
            del tagger
            temporary = fold_dir / (HELD_OUT_FILE + ".partial.npz")
            np.savez(temporary, indices=np.array(held, dtype=np.int64),
                     lengths=np.array([len(p) for p in held_out], dtype=np.int64),
                     probabilities=np.concatenate(held_out) if held_out else np.zeros((0, len(labels)), np.float32))
            os.replace(temporary, marker)
            say(f"{head}: done ({time.perf_counter() - started:.0f} s so far)")
        with np.load(marker) as saved:
            indices, lengths, flat = saved["indices"], saved["lengths"], saved["probabilities"]
        if list(indices) != held or flat.shape[1] != len(labels):
            raise FoldError(f"{marker}: holds another fold plan ({len(indices)} sentences); delete {work} and run again")
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        for position, index in enumerate(indices):
            result[int(index)] = flat[offsets[position]:offsets[position + 1]]
    return [r for r in result if r is not None]
