"""Cached loaders for the dashboard pages: only plain strings (and tuples of them) cross a cache.

As in spacy-streamlit's ``util`` (``load_model(name)``, ``process_text(name, text)``), a model is
named by its source string and fetched by name inside every cached function, so pages never pass
objects into a cache key::

    model = loaders.tagger(source)                 # once per process and version, under a progress bar
    tagged = loaders.tag_text(source, text)        # st.cache_data: per source, version and text
    result = loaders.evaluation(source, "test", 500)

Caching policy: models, word vectors, the localizer and CoNLL++ load once per server process,
kept in a process-wide store (:class:`_Loads`) under a progress bar that counts the loader's
steps (the first visit waits seconds: docs/benchmarks.md, "Dashboard"); statistics, taggings and
run records are cached as data (``st.cache_data``) keyed by their inputs; evaluations and
comparisons, which draw a progress bar while they run, are kept in a process-wide store
(:class:`_Results`). The Errors page reads a run's saved predictions
(:func:`saved_evaluation`) before it asks a model (:func:`evaluation`). A local checkpoint's key
includes the modification time of its marker file and a run's files are keyed by their
modification times, so a checkpoint that a running training replaces is reloaded and a run still
training shows new evaluations.

Datasets are the one exception: an uploaded file is only reachable through its bytes, so the
dataset-level helpers take the dataset as an unhashed ``_dataset_dict`` next to its string key.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

import pandas as pd
import streamlit as st

from nerlib.data.conll import ConllProblems, find_conll_problems
from nerlib.data.conllpp import load_conll_stream, load_conllpp
from nerlib.data.statistics import DatasetStatistics, dataset_statistics
from nerlib.runs.folder import Run, default_runs_dir, iter_run_dirs, list_runs
from nerlib.settings import DATA_DIR_ENV
from nerlib.views import tables

# --------------------------------------------------------------------------- loads


def steps_bar(title: str):
    """Draw a progress bar for a load of a few steps; returns ``(report, clear)``: ``report(done,
    total, what)`` (the callback the nerlib loaders take) moves it, reading ``<title>: 3 of 5:
    importing bert code`` while step 3 runs and ``<title>: <what> (4.2 s, once per server process)``
    at the end, where the full bar stays until the next rerun; ``clear()`` removes it."""
    holder = st.empty()
    holder.progress(0.0, text=f"{title}: starting")
    started = time.perf_counter()

    def report(done: int, total: int, what: str) -> None:
        if done >= total:
            holder.progress(1.0, text=f"{title}: {what} ({time.perf_counter() - started:.1f} s, "
                                      "once per server process)")
        else:
            holder.progress(done / total, text=f"{title}: {done + 1} of {total}: {what}")

    return report, holder.empty


def _silent(done: int, total: int, what: str) -> None:
    """The progress callback of a load that draws nothing (one asked for inside a cached function)."""


class _Loads:
    """Values loaded once per server process (models, word vectors, datasets), each drawn under a
    progress bar by the session that loads it (:func:`steps_bar`, moved by the nerlib loader's
    ``progress(done, total, what)`` callback); the oldest of ``size`` goes first.

    Not ``st.cache_resource``: a cached function replays every element it drew on every hit, and
    one that moves a bar drawn outside it cannot be replayed at all. As with it, a value loads
    once: a session asking for one that another session is loading waits for it.
    """

    def __init__(self, size: int) -> None:
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()
        self.loading: dict[tuple, threading.Lock] = {}  # key -> held while a session loads it

    def get(self, key: tuple, load, title: str, *, report=None, quiet: bool = False):
        """The value of ``key``, loaded by ``load(progress)`` when missing: under a new bar titled
        ``title``, or reporting to ``report`` (a caller's bar), or drawing nothing when ``quiet``."""
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            turn = self.loading.setdefault(key, threading.Lock())
        if not turn.acquire(blocking=False):
            if quiet:
                turn.acquire()
            else:
                with st.spinner(f"{title}: another visitor's page is loading it ..."):
                    turn.acquire()
        try:
            with self.lock:
                if key in self.items:
                    return self.items[key]
            clear = None
            if report is None:
                report, clear = (_silent, None) if quiet else steps_bar(title)
            try:
                value = load(report)
            except BaseException:
                if clear is not None:
                    clear()
                raise
            with self.lock:
                self.items[key] = value
                while len(self.items) > self.size:
                    self.items.popitem(last=False)
                self.loading.pop(key, None)  # only once loaded: after a failure the next waiter tries
            return value
        finally:
            turn.release()


@st.cache_resource
def _loads(kind: str, size: int) -> _Loads:
    return _Loads(size)


# --------------------------------------------------------------------------- data


def conllpp_dataset(data_dir: str | None):
    """CoNLL++ as a DatasetDict (with the ``document`` column), loaded once per process under a
    bar counting the files and their sentences (``nerlib.data.conllpp.load_conllpp``)."""
    return _loads("conllpp", 2).get(("conllpp", data_dir),
                                    lambda report: load_conllpp(data_dir, with_documents=True, progress=report),
                                    "Reading CoNLL++")


@st.cache_resource(show_spinner="Reading the uploaded file ...", max_entries=4)
def uploaded_dataset(name: str, digest: str, _upload):
    """A user's CoNLL file as a DatasetDict (one split), cached by content ``digest``.

    The upload (a binary stream Streamlit holds in memory) is parsed a line at a time with the
    bound of every reader (``NERLIB_MAX_LINE_BYTES``, :func:`nerlib.data.conllpp.load_conll_stream`):
    no copy of it is made, nothing is written to disk, and one huge line ends in an error after the
    bound instead of costing memory in proportion to it. Raises
    ``nerlib.data.conll.ConllFormatError`` (path = the uploaded name) for a malformed line.
    """
    _upload.seek(0)
    return load_conll_stream(_upload, name or "upload.txt", with_documents=True)


def load_source(source: str, upload=None):
    """Return ``(source_key, DatasetDict)`` for ``"conllpp"`` or an uploaded file object; the key
    (``conllpp:<dir>`` or ``upload:<sha256>``) names the data for the caches below."""
    if source == "conllpp":
        data_dir = os.environ.get(DATA_DIR_ENV) or None
        return f"conllpp:{data_dir}", conllpp_dataset(data_dir)
    digest = hashlib.sha256(upload.getbuffer()).hexdigest()  # a view of the upload's bytes, not a copy
    return f"upload:{digest}", uploaded_dataset(upload.name, digest, upload)


@st.cache_data(show_spinner="Checking the uploaded file ...", max_entries=4)
def _upload_problems(name: str, digest: str, _upload) -> ConllProblems:
    _upload.seek(0)
    return find_conll_problems(_upload, name or "upload.txt")


def upload_problems(upload) -> ConllProblems:
    """Every problem of an uploaded CoNLL file (the first 20 with line numbers, and how many in
    all; :func:`nerlib.data.conll.find_conll_problems`), cached by content."""
    return _upload_problems(upload.name, hashlib.sha256(upload.getbuffer()).hexdigest(), upload)


@st.cache_data(show_spinner="Computing statistics ...", max_entries=8)
def statistics(source_key: str, _dataset_dict, top_n: int = 20) -> DatasetStatistics:
    """``nerlib.data.statistics.dataset_statistics`` cached by the data source key and ``top_n``."""
    return dataset_statistics(_dataset_dict, top_n=top_n)


@st.cache_data(show_spinner=False, max_entries=16)
def sentence_index(source_key: str, split: str, _dataset_dict) -> pd.DataFrame:
    """``nerlib.views.tables.sentence_index`` of ``split``, cached by source key and split."""
    return tables.sentence_index(_dataset_dict[split])


@st.cache_data(show_spinner="Indexing the sentences for search ...", max_entries=16)
def search_index(source_key: str, split: str, _dataset_dict) -> pd.DataFrame:
    """``nerlib.views.search.search_index`` of ``split``, cached by source key and split."""
    from nerlib.views.search import search_index as build

    return build(_dataset_dict[split])


# --------------------------------------------------------------------------- runs


def runs_dir() -> Path:
    """Where runs are read from: ``$NERLIB_RUNS_DIR`` or ``./runs`` (absolute)."""
    return default_runs_dir().resolve()


def runs_signature(folder: Path) -> tuple:
    """Cheap fingerprint of every run under ``folder``: modification times of the files a
    training process rewrites, so cached run records refresh exactly when a run changes."""
    signature = []
    for run_dir in iter_run_dirs(folder):
        stamps = []
        for name in ("run.json", "metrics.jsonl", "progress.json", "checkpoints", "checkpoints/best"):
            try:
                stamps.append((run_dir / name).stat().st_mtime_ns)
            except OSError:
                stamps.append(0)
        signature.append((run_dir.name, *stamps))
    return tuple(signature)


@st.cache_data(show_spinner=False, max_entries=8)
def _runs(folder: str, signature: tuple) -> list[Run]:
    return list_runs(folder)


def all_runs() -> list[Run]:
    """Every run under :func:`runs_dir`, newest first (re-read only when a run's files change)."""
    folder = runs_dir()
    return _runs(str(folder), runs_signature(folder))


# --------------------------------------------------------------------------- taggers


def checkpoint_stamp(source: str) -> int:
    """Modification time of a local checkpoint's marker file (0 for a hub id), so a ``best``
    checkpoint that a running training replaces is loaded again instead of served stale."""
    folder = Path(source).expanduser()
    try:  # a calibration.json written after the checkpoint changes every score
        calibrated = (folder / "calibration.json").stat().st_mtime_ns
    except OSError:
        calibrated = 0
    for name in ("checkpoint.json", "config.json", "run.json"):
        try:
            return (folder / name).stat().st_mtime_ns + calibrated
        except OSError:
            continue
    return calibrated


def _tagger(source: str, stamp: int, quiet: bool = False):
    def load(report):
        from nerlib.tagging.tagger import Tagger

        return Tagger.from_pretrained(source, progress=report)

    return _loads("tagger", 3).get(("tagger", source, stamp), load, "Loading the model", quiet=quiet)


def tagger(source: str):
    """``nerlib.tagging.tagger.Tagger.from_pretrained(source)``, loaded once per process, source and
    checkpoint version, under a bar counting the load's steps. Raises what ``from_pretrained``
    raises (``CheckpointError``, ``OSError``)."""
    return _tagger(source, checkpoint_stamp(source))


@st.cache_data(show_spinner="Tagging ...", max_entries=256)
def _tag_text(source: str, stamp: int, text: str):
    return _tagger(source, stamp, quiet=True).tag(text)  # quiet: a cached function replays what it drew


def tag_text(source: str, text: str):
    """The ``TaggedText`` of ``text`` by the tagger of ``source``, cached by source (and its
    version) and text; a model not loaded yet loads first under its bar (:func:`tagger`)."""
    stamp = checkpoint_stamp(source)
    _tagger(source, stamp)
    return _tag_text(source, stamp, text)


# --------------------------------------------------------------------------- evaluations


class _Results:
    """Process-wide results of work that draws its own progress bar (scoring a split, comparing
    two runs), least recently used first out.

    Not ``st.cache_data``: a cached function replays every element it drew, so the progress bar
    would be drawn again on every hit, and each hit would unpickle a copy of a result of several
    MB. Results are shared between sessions: pages read them and never change them.
    """

    def __init__(self, size: int) -> None:
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: tuple):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: tuple, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


@st.cache_resource
def _results() -> _Results:
    return _Results(16)


def counting_bar(text: str, total: int | None):
    """Draw a progress bar; returns the ``progress(done, total)`` callback that moves it, reading
    ``<text>: 120 / 500 sentences``. The tagger reports windows; a sentence is one window unless it
    is longer than the model's maximum length, so the sentence count is the share of windows done."""
    bar = st.progress(0.0, text=f"{text}: starting")

    def report(done: int, windows: int) -> None:
        share = done / windows if windows else 1.0
        count = f"{round(share * total):,} / {total:,} sentences" if total else f"{done:,} / {windows:,} windows"
        bar.progress(min(1.0, share), text=f"{text}: {count}")

    return report


def sentences_asked(split: str, limit: int | None) -> int | None:
    """How many sentences scoring the first ``limit`` of ``split`` reads (None when unknown)."""
    from nerlib.runs.coverage import split_size

    size = split_size(os.environ.get(DATA_DIR_ENV) or None, split)
    if size is None:
        return limit
    return size if limit is None else min(limit, size)


def _predictions_stamp(source: str, split: str) -> int:
    """Modification time of the run's saved predictions of ``split`` for a checkpoint
    ``<run>/checkpoints/<name>`` (0 when there are none), so a file training rewrites is read again."""
    try:
        return (Path(source).expanduser().parent.parent / "predictions" / f"{split}.conll").stat().st_mtime_ns
    except OSError:
        return 0


def saved_predictions_coverage(source: str, split: str):
    """The sentences the run of checkpoint ``source`` saved its best checkpoint's predictions of
    ``split`` for (a ``nerlib.runs.coverage.Coverage`` of its recorded metrics line), or None when
    ``source`` is not a run's best checkpoint (or the one it was copied from) or the run saved none."""
    from nerlib.runs.coverage import record_coverage

    folder = Path(source).expanduser()
    run = next((run for run in all_runs() if run.path.resolve() == folder.parent.parent.resolve()), None)
    if run is None or run.best is None or split not in run.predictions or run.status != "finished":
        return None
    if folder.resolve() != run.best.path.resolve() and folder.name != run.best.source:
        return None
    records = [record for record in run.records if record.get("split") == split]
    return record_coverage(run.config, records[-1]) if records else None


def saved_evaluation(source: str, split: str, limit: int | None):
    """``nerlib.evaluation.scoring.evaluate_saved_predictions``: the run's saved predictions of
    ``source`` (its best checkpoint) on the first ``limit`` sentences of ``split``, scored without a
    model, or None when they do not cover them. Kept per source, split, limit and the files'
    versions."""
    from nerlib.evaluation.scoring import evaluate_saved_predictions

    key = ("saved", source, checkpoint_stamp(source), _predictions_stamp(source, split), split, limit)
    store = _results()
    result = store.get(key)
    if result is None:
        if not _predictions_stamp(source, split):
            return None
        with st.spinner(f"Reading the run's saved predictions of {split} (no model needed) ..."):
            result = evaluate_saved_predictions(source, split, limit=limit) or False  # False: looked, none fit
        store.put(key, result)
    return result or None


def evaluation(source: str, split: str, limit: int | None):
    """``nerlib.evaluation.scoring.evaluate_checkpoint`` of the tagger of ``source`` on ``split`` (first
    ``limit`` sentences, or all), with each word's label distribution (for the calibration view),
    kept per source (and its version), split and limit. The first call tags with the model under a
    progress bar counting the sentences; later calls return the kept result."""
    key = ("evaluation", source, checkpoint_stamp(source), split, limit)
    store = _results()
    result = store.get(key)
    if result is None:
        from nerlib.evaluation.scoring import evaluate_checkpoint

        model = tagger(source)  # before the bar: loading shows its own message
        total = sentences_asked(split, limit)
        report = counting_bar(f"Scoring afresh: the model tags {split}", total)
        # with each word's label distribution, for the calibration view (a few MB for a whole split)
        result = evaluate_checkpoint(model, split, limit=limit, distributions=True, progress=report)
        store.put(key, result)  # the full bar stays until the next rerun: it says what was done
    return result


def thresholded_evaluation(source: str, split: str, limit: int | None, threshold: float):
    """:func:`evaluation` with the predicted entities whose confidence is below ``threshold``
    dropped before scoring (``nerlib.evaluation.thresholds.apply_threshold``, as ``python -m nerlib
    evaluate --threshold`` does); its ``dropped`` says how many. Kept per inputs: moving a slider
    back to a threshold seen before costs nothing."""
    key = ("threshold", source, checkpoint_stamp(source), split, limit, threshold)
    store = _results()
    result = store.get(key)
    if result is None:
        from nerlib.evaluation.thresholds import apply_threshold

        everything = evaluation(source, split, limit)
        with st.spinner(f"Dropping the entities below {threshold:.2f} and counting again ..."):
            result = apply_threshold(everything, threshold)
        store.put(key, result)
    return result


def calibration_record(source: str):
    """The calibration record of checkpoint ``source`` (``nerlib.runs.calibration_file``), read
    without loading the model, for the tooltips that say what a score is; None when there is none
    or it cannot be read (a page that loads the model says why)."""
    from nerlib.runs.calibration_file import CalibrationError, read_calibration
    from nerlib.runs.checkpoints import CheckpointError, resolve_checkpoint_dir

    try:
        folder = resolve_checkpoint_dir(source)
        return read_calibration(folder) if folder is not None else None
    except (CalibrationError, CheckpointError, OSError, ValueError):
        return None


def comparison(run_a: str, run_b: str, split: str, limit: int | None = None):
    """``nerlib.evaluation.comparison.compare_runs`` of two run folders on ``split`` (its first
    ``limit`` sentences, or all; 1,000 resamples, seed 0), kept per runs, split, limit and the
    runs' files (done again when either changes). A run whose saved predictions cover the sentences
    is read, the other tagged under a progress bar counting the sentences. Raises what
    ``compare_runs`` raises (``CompareError``, ``CheckpointError``, ``OSError``)."""
    key = ("comparison", run_a, run_b, split, limit, runs_signature(runs_dir()))
    store = _results()
    result = store.get(key)
    if result is None:
        from nerlib.evaluation.comparison import compare_runs

        total = sentences_asked(split, limit)
        bars: dict[str, object] = {}

        def report(name: str, done: int, windows: int) -> None:
            if name not in bars:  # one bar per run the model tags (none for saved predictions)
                bars[name] = counting_bar(f"Comparing: the model of `{name}` tags {split}", total)
            bars[name](done, windows)

        with st.spinner("Comparing the two runs: saved predictions are read, a run without them is tagged "
                        "(a bar counts its sentences), then 1,000 resamples ..."):
            result = compare_runs(run_a, run_b, split, limit=limit, progress=report)
        store.put(key, result)
    return result


# --------------------------------------------------------------------------- localizer


def _vectors(source: str, report=None, quiet: bool = False):
    def load(progress):
        from nerlib.localizer.vectors import load_vectors

        return load_vectors(source, progress=progress)

    return _loads("vectors", 2).get(("vectors", source), load, "Loading word vectors", report=report, quiet=quiet)


def vectors(source: str):
    """``nerlib.localizer.vectors.load_vectors(source)``, loaded once per process and source under
    a bar counting its steps."""
    return _vectors(source)


def _localizer(settings: tuple, quiet: bool = False):
    vectors_source, source, target, anchors, seed = settings

    def build(report):
        from nerlib.localizer import Localizer

        steps = {"vectors": 0}  # the vectors' steps (none when they are loaded), then one to build

        def vectors_report(done: int, total: int, what: str) -> None:
            steps["vectors"] = total
            report(done, total + 1, f"word vectors: {what}")

        words = _vectors(vectors_source, report=vectors_report, quiet=quiet)
        total = steps["vectors"] + 1
        report(total - 1, total, f"the {source} -> {target} localizer: its vocabulary, anchors and candidate pools")
        engine = Localizer(words, source, target, seed=seed, anchors={label: (src, tgt) for label, src, tgt in anchors})
        report(total, total, f"{source} -> {target}, {len(words.index_to_key):,} words of vectors")
        return engine

    return _loads("localizer", 8).get(("localizer", *settings), build, "Preparing the localizer", quiet=quiet)


def localizer(vectors_source: str, source: str, target: str, anchors: tuple, seed: int = 0):
    """A ``nerlib.localizer.Localizer`` for these vectors, contexts, ``anchors``
    (``((type, source word, target word), ...)``) and seed, built once per combination under a bar
    counting the steps (loading the vectors when they are not loaded yet, then building it)."""
    return _localizer((vectors_source, source, target, anchors, seed))


@st.cache_data(show_spinner="Localizing ...", max_entries=256)
def localize(settings: tuple, text: str, entities: tuple, overrides: tuple = ()):
    """``Localizer.localize(text, entities, overrides)`` for the localizer of ``settings`` (the
    arguments of :func:`localizer`), cached by settings, text, entities and the user's overrides
    (``((entity, type or None, keep, replacement or None), ...)``)."""
    from nerlib.localizer.overrides import Override

    chosen = {entity: Override(label, keep, replacement) for entity, label, keep, replacement in overrides}
    return _localizer(settings, quiet=True).localize(text, list(entities), overrides=chosen)


@st.cache_data(show_spinner=False, max_entries=512)
def entity_tables(settings: tuple, entity: str, label: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(nearest words with cosine scores, analogy candidates or None for types not localized) of
    one entity, for the localizer of ``settings``."""
    from nerlib.localizer import analogy_candidates, neighbours

    engine = _localizer(settings, quiet=True)  # quiet: a cached function replays what it drew
    near = neighbours(engine.vectors, entity, topn=10)
    candidates = analogy_candidates(engine, entity, label, topn=10) if label in engine.types else None
    return near, candidates


# --------------------------------------------------------------------------- figures


@st.cache_data(show_spinner=False, max_entries=64)
def figure(name: str, key: tuple, _build):
    """A plotly figure cached by ``name`` and ``key`` (the inputs it is drawn from): building a
    plotly-express figure costs ~0.1 s, a cached copy a fraction of that."""
    return _build()


# --------------------------------------------------------------------------- data quality


@st.cache_data(show_spinner="Reading the label issues ...", max_entries=8)
def _label_report(path: str, stamp: int):
    from nerlib.quality.issues import read_report

    return read_report(path)


def label_report(path: str | Path):
    """``nerlib.quality.issues.read_report(path)``, re-read when the file changes. (The review
    file is never cached: another tab's decisions must show on the next re-run.)"""
    return _label_report(str(path), Path(path).stat().st_mtime_ns)
