"""Cached loaders for the dashboard pages: only plain strings (and tuples of them) cross a cache.

As in spacy-streamlit's ``util`` (``load_model(name)``, ``process_text(name, text)``), a model is
named by its source string and fetched by name inside every cached function, so pages never pass
objects into a cache key::

    model = loaders.tagger(source)                 # st.cache_resource: once per process and version
    tagged = loaders.tag_text(source, text)        # st.cache_data: per source, version and text
    result = loaders.evaluation(source, "test", 500)

Caching policy: models and vectors load once per server process (``st.cache_resource``);
statistics, taggings, evaluations and run records are cached as data (``st.cache_data``) keyed by
their inputs. A local checkpoint's key includes the modification time of its marker file and a
run's files are keyed by their modification times, so a checkpoint that a running training replaces
is reloaded and a run still training shows new evaluations.

Datasets are the one exception: an uploaded file is only reachable through its bytes, so the
dataset-level helpers take the dataset as an unhashed ``_dataset_dict`` next to its string key.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from nerlib.data.conll import ConllProblems, find_conll_problems
from nerlib.data.conllpp import load_conll_stream, load_conllpp
from nerlib.data.statistics import DatasetStatistics, dataset_statistics
from nerlib.runs.folder import Run, default_runs_dir, iter_run_dirs, list_runs
from nerlib.settings import DATA_DIR_ENV
from nerlib.views import tables

# --------------------------------------------------------------------------- data


@st.cache_resource(show_spinner="Loading CoNLL++ ...", max_entries=2)
def conllpp_dataset(data_dir: str | None):
    """CoNLL++ as a DatasetDict (with the ``document`` column), loaded once per process."""
    return load_conllpp(data_dir, with_documents=True)


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


@st.cache_resource(show_spinner="Loading the model (once per server process) ...", max_entries=3)
def _tagger(source: str, stamp: int):
    from nerlib.tagging.tagger import Tagger

    return Tagger.from_pretrained(source)


def tagger(source: str):
    """``nerlib.tagging.tagger.Tagger.from_pretrained(source)``, loaded once per process, source and
    checkpoint version. Raises what ``from_pretrained`` raises (``CheckpointError``, ``OSError``)."""
    return _tagger(source, checkpoint_stamp(source))


@st.cache_data(show_spinner="Tagging ...", max_entries=256)
def _tag_text(source: str, stamp: int, text: str):
    return _tagger(source, stamp).tag(text)


def tag_text(source: str, text: str):
    """The ``TaggedText`` of ``text`` by the tagger of ``source``, cached by source (and its
    version) and text."""
    return _tag_text(source, checkpoint_stamp(source), text)


@st.cache_data(show_spinner="Evaluating the checkpoint (cached afterwards) ...", max_entries=16)
def _evaluation(source: str, stamp: int, split: str, limit: int | None):
    from nerlib.evaluation.scoring import evaluate_checkpoint

    # with each word's label distribution, for the calibration view (a few MB for a whole split)
    return evaluate_checkpoint(_tagger(source, stamp), split, limit=limit, distributions=True)


def evaluation(source: str, split: str, limit: int | None):
    """``nerlib.evaluation.scoring.evaluate_checkpoint`` of the tagger of ``source`` on ``split`` (first
    ``limit`` sentences, or all), cached by source (and its version), split and limit."""
    return _evaluation(source, checkpoint_stamp(source), split, limit)


@st.cache_data(show_spinner="Comparing the two runs (each tags once; cached afterwards) ...", max_entries=8)
def _comparison(run_a: str, run_b: str, split: str, limit: int | None, signature: tuple):
    from nerlib.evaluation.comparison import compare_runs

    return compare_runs(run_a, run_b, split, limit=limit)


def comparison(run_a: str, run_b: str, split: str, limit: int | None = None):
    """``nerlib.evaluation.comparison.compare_runs`` of two run folders on ``split`` (its first
    ``limit`` sentences, or all; 1,000 resamples, seed 0), cached by the runs, split, limit and the
    runs' files (re-run when either changes). Raises what ``compare_runs`` raises
    (``CompareError``, ``CheckpointError``, ``OSError``)."""
    return _comparison(run_a, run_b, split, limit, runs_signature(runs_dir()))


# --------------------------------------------------------------------------- localizer


@st.cache_resource(show_spinner="Loading word vectors (once per server process) ...", max_entries=2)
def vectors(source: str):
    """``nerlib.localizer.vectors.load_vectors(source)``, loaded once per process and source."""
    from nerlib.localizer.vectors import load_vectors

    return load_vectors(source)


@st.cache_resource(show_spinner="Preparing the localizer ...", max_entries=8)
def localizer(vectors_source: str, source: str, target: str, anchors: tuple, seed: int = 0):
    """A ``nerlib.localizer.Localizer`` for these vectors, contexts, ``anchors``
    (``((type, source word, target word), ...)``) and seed, built once per combination."""
    from nerlib.localizer import Localizer

    return Localizer(vectors(vectors_source), source, target, seed=seed,
                     anchors={label: (src, tgt) for label, src, tgt in anchors})


@st.cache_data(show_spinner="Localizing ...", max_entries=256)
def localize(settings: tuple, text: str, entities: tuple, overrides: tuple = ()):
    """``Localizer.localize(text, entities, overrides)`` for the localizer of ``settings`` (the
    arguments of :func:`localizer`), cached by settings, text, entities and the user's overrides
    (``((entity, type or None, keep, replacement or None), ...)``)."""
    from nerlib.localizer.overrides import Override

    chosen = {entity: Override(label, keep, replacement) for entity, label, keep, replacement in overrides}
    return localizer(*settings).localize(text, list(entities), overrides=chosen)


@st.cache_data(show_spinner=False, max_entries=512)
def entity_tables(settings: tuple, entity: str, label: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(nearest words with cosine scores, analogy candidates or None for types not localized) of
    one entity, for the localizer of ``settings``."""
    from nerlib.localizer import analogy_candidates, neighbours

    engine = localizer(*settings)
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
