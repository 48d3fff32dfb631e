"""Shared state for the dashboard pages: cached loaders and small Streamlit helpers.

Caching policy: models and vectors are loaded once per process (``st.cache_resource``);
statistics, evaluation results and run records are cached as data (``st.cache_data``) keyed
by their inputs (a run's files are keyed by their modification times, so a run still training
shows new epochs).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from nerlib.data import DATA_DIR_ENV, load_conll, load_conllpp
from nerlib.display import render_legend
from nerlib.runs import RUNS_DIR_ENV, Run, default_runs_dir, iter_run_dirs, list_runs
from nerlib.stats import DatasetStatistics, dataset_statistics

REPO_ROOT = Path(__file__).resolve().parent.parent
VIEWS = Path(__file__).resolve().parent / "views"


# --------------------------------------------------------------------------- data


@st.cache_resource(show_spinner="Loading CoNLL++ ...", max_entries=2)
def conllpp_dataset(data_dir: str | None):
    """CoNLL++ as a DatasetDict (with the ``document`` column), loaded once per process."""
    return load_conllpp(data_dir, with_documents=True)


@st.cache_resource(show_spinner="Reading the uploaded file ...", max_entries=4)
def uploaded_dataset(name: str, digest: str, _data: bytes):
    """A user's CoNLL file as a DatasetDict (one split). Cached by content ``digest``.

    Raises ``nerlib.conll.ConllFormatError`` (path = the uploaded name) for a malformed line.
    """
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name) or "upload.txt"
    with tempfile.TemporaryDirectory(prefix="nerlib-upload-") as folder:
        path = Path(folder) / safe_name
        path.write_bytes(_data)
        return load_conll(path, with_documents=True)


def load_source(source: str, upload=None):
    """Return ``(source_key, DatasetDict)`` for ``"conllpp"`` or an uploaded file object."""
    if source == "conllpp":
        data_dir = os.environ.get(DATA_DIR_ENV) or None
        return f"conllpp:{data_dir}", conllpp_dataset(data_dir)
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    return f"upload:{digest}", uploaded_dataset(upload.name, digest, data)


@st.cache_data(show_spinner="Computing statistics ...", max_entries=8)
def statistics(source_key: str, _dataset_dict, top_n: int = 20) -> DatasetStatistics:
    """``nerlib.stats.dataset_statistics`` cached by the data source and ``top_n``."""
    return dataset_statistics(_dataset_dict, top_n=top_n)


@st.cache_data(show_spinner=False, max_entries=16)
def sentence_index(source_key: str, split: str, _dataset_dict) -> pd.DataFrame:
    """One row per sentence of ``split``: ``text`` (lower-cased, for search) and ``types``
    (space-separated entity types present), so filtering is a vectorised pandas query."""
    from nerlib.labels import entity_spans

    dataset = _dataset_dict[split]
    names = dataset.features["ner_tags"].feature.names
    texts, types, counts = [], [], []
    for tokens, tags in zip(dataset["tokens"], dataset["ner_tags"]):
        spans = entity_spans([names[t] for t in tags])
        texts.append(" ".join(tokens).lower())
        types.append(" ".join(sorted({s.label for s in spans})))
        counts.append(len(spans))
    return pd.DataFrame({"text": texts, "types": types, "entities": counts})


# --------------------------------------------------------------------------- layout helpers


def legend(labels=None) -> None:
    """Draw the shared entity colour legend."""
    st.html(render_legend(labels) if labels else render_legend())


def runs_dir() -> Path:
    """Where runs are read from: ``$NERLIB_RUNS_DIR`` or ``./runs`` (absolute)."""
    return default_runs_dir().resolve()


def _runs_signature(folder: Path) -> tuple:
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
    return _runs(str(folder), _runs_signature(folder))


def run_checkpoints(runs: list[Run]) -> dict[str, Path]:
    """Every complete checkpoint of ``runs`` as ``{"<run> / <checkpoint>": path}``, each run's
    best first; the newest run comes first, so its best checkpoint is the natural default."""
    choices: dict[str, Path] = {}
    for run in runs:
        if run.best is not None:
            label = f"{run.name} / best" + (f" ({run.best.source})" if run.best.source else "")
            choices[label] = run.best.path
        for checkpoint in reversed(run.checkpoints):
            choices[f"{run.name} / {checkpoint.name}"] = checkpoint.path
    return choices


def sidebar_status() -> None:
    """Sidebar footer shared by all pages: where runs come from and how many exist."""
    runs = all_runs()
    with st.sidebar:
        st.caption(
            f"{len(runs)} run{'s' if len(runs) != 1 else ''} in `{runs_dir()}` "
            f"(set `{RUNS_DIR_ENV}` to change)"
        )


# --------------------------------------------------------------------------- evaluation records


def flatten_scores(metrics: dict) -> dict[str, float]:
    """``{"f1": .., "per_type": {"PER": {"f1": ..}}}`` -> ``{"overall_f1": .., "PER_f1": ..}``."""
    flat = {f"overall_{k}": metrics[k] for k in ("precision", "recall", "f1") if metrics.get(k) is not None}
    for entity_type, scores in (metrics.get("per_type") or {}).items():
        for name in ("precision", "recall", "f1", "support"):
            if isinstance(scores, dict) and scores.get(name) is not None:
                flat[f"{entity_type}_{name}"] = scores[name]
    return flat


def curves_frame(runs: list[Run], metric: str, split: str = "validation") -> pd.DataFrame:
    """Long table for the training curves: run, type (``overall`` + each entity type), epoch,
    step, value of ``metric`` (``f1``/``precision``/``recall``) on ``split``."""
    rows = []
    for run in runs:
        frame = run.metrics[run.metrics["split"] == split]
        for record in frame.to_dict("records"):
            base = {"run": run.name, "epoch": record.get("epoch"), "step": record.get("step")}
            if record.get(metric) is not None:
                rows.append({**base, "type": "overall", "value": record[metric]})
            for column, value in record.items():
                if column.endswith(f"_{metric}") and value == value and value is not None:
                    rows.append({**base, "type": column[: -len(metric) - 1], "value": value})
    return pd.DataFrame(rows, columns=["run", "epoch", "step", "type", "value"])
