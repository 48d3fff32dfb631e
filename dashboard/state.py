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

from nerlib.data import load_conll, load_conllpp
from nerlib.settings import DATA_DIR_ENV, RUNS_DIR_ENV
from nerlib.display import render_legend
from nerlib.labels import ENTITY_TYPES
from nerlib.runs import Run, default_runs_dir, iter_run_dirs, list_runs
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
    from dashboard import quickrun

    runs = all_runs()
    with st.sidebar:
        st.caption(
            f"{len(runs)} run{'s' if len(runs) != 1 else ''} in `{runs_dir()}` "
            f"(set `{RUNS_DIR_ENV}` to change)"
        )
        if not runs and not quickrun.running():
            st.caption("No trained model yet: the Training, Tagger and Errors pages need one.")
            quickrun.start_button(key="sidebar_quick_run")


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


def _checkpoint_scores(run: Run, checkpoint) -> dict:
    """Validation scores of a checkpoint: the ``metrics.jsonl`` record of its step (which has the
    per-type scores), else what ``checkpoint.json`` holds."""
    records = [r for r in run.validation_metrics if r.get("step") == checkpoint.step]
    return records[-1] if records else checkpoint.metrics


def _checkpoint_rows(runs: list[Run]) -> list[tuple[str, object, dict]]:
    """``("<run> / <checkpoint>", CheckpointInfo, scores)`` for every checkpoint of ``runs`` (best first)."""
    rows = []
    for run in runs:
        found = ([(f"{run.name} / best", run.best)] if run.best is not None else []) + [
            (f"{run.name} / {c.name}", c) for c in reversed(run.checkpoints)]
        rows += [(label, checkpoint, _checkpoint_scores(run, checkpoint)) for label, checkpoint in found]
    return rows


def checkpoint_table(runs: list[Run]) -> pd.DataFrame:
    """One row per checkpoint: label, step, epoch, validation F1 overall and per type."""
    rows = []
    for label, checkpoint, scores in _checkpoint_rows(runs):
        flat = flatten_scores(scores)
        row = {"checkpoint": label, "step": checkpoint.step, "epoch": checkpoint.epoch,
               "F1": flat.get("overall_f1")}
        row.update({f"{k[:-3]} F1": v for k, v in flat.items() if k.endswith("_f1") and not k.startswith("overall")})
        if checkpoint.source:
            row["same as"] = checkpoint.source
        rows.append(row)
    frame = pd.DataFrame(rows)
    typed = [f"{t} F1" for t in ENTITY_TYPES if f"{t} F1" in frame.columns]
    return frame[[c for c in frame.columns if c not in typed and c != "same as"] + typed
                 + (["same as"] if "same as" in frame.columns else [])]


def checkpoint_delta(runs: list[Run], first: str, second: str) -> pd.DataFrame:
    """Per type and score (precision, recall, F1): checkpoint ``first`` (A), ``second`` (B), B - A."""
    found = {label: scores for label, _, scores in _checkpoint_rows(runs)}
    a, b = flatten_scores(found[first]), flatten_scores(found[second])
    rows = []
    order = ["overall", *ENTITY_TYPES]
    for key in sorted(set(a) | set(b), key=lambda k: (order.index(k.rpartition("_")[0]) if k.rpartition("_")[0] in order else 99, k)):
        entity_type, _, score = key.rpartition("_")
        if score == "support":
            continue
        rows.append({"type": entity_type, "score": score, "A": a.get(key), "B": b.get(key),
                     "Δ (B - A)": (b[key] - a[key]) if key in a and key in b else None})
    return pd.DataFrame(rows, columns=["type", "score", "A", "B", "Δ (B - A)"])


# --------------------------------------------------------------------------- models


def checkpoint_stamp(source: str) -> int:
    """Modification time of a local checkpoint's marker file (0 for a hub id), so a ``best``
    checkpoint that a running training replaces is loaded again instead of served stale."""
    folder = Path(source).expanduser()
    for name in ("checkpoint.json", "config.json", "run.json"):
        try:
            return (folder / name).stat().st_mtime_ns
        except OSError:
            continue
    return 0


@st.cache_resource(show_spinner="Loading the model (once per server process) ...", max_entries=3)
def _tagger(source: str, stamp: int):
    from nerlib.tagger import Tagger

    return Tagger.from_pretrained(source)


def tagger(source: str):
    """``nerlib.tagger.Tagger.from_pretrained(source)``, loaded once per process, source and
    checkpoint version."""
    return _tagger(source, checkpoint_stamp(source))


@st.cache_data(show_spinner="Tagging ...", max_entries=256)
def _tag_text(source: str, stamp: int, text: str, _tagger):
    return _tagger.tag(text)


def tag_text(source: str, text: str, model):
    """The tagger's ``TaggedText`` for ``text``, cached by checkpoint (and its version) and text."""
    return _tag_text(source, checkpoint_stamp(source), text, model)


def checkpoint_picker(key: str, allow_other: bool = True) -> str | None:
    """Let the user choose a checkpoint: from the runs (default: the newest run's best), a local
    folder, or a hub id. Returns the source string for ``Tagger.from_pretrained``, or None (with
    an explanation and the quick-run button drawn) when nothing is available yet."""
    from dashboard import quickrun

    runs = all_runs()
    choices = run_checkpoints(runs)
    kinds = ["From runs", "Local folder", "Hub id"] if allow_other else ["From runs"]
    kind = st.segmented_control("Checkpoint", kinds, default="From runs", required=True,
                                key=f"{key}_kind") if allow_other else "From runs"
    if kind == "From runs":
        if not choices:
            st.info(
                f"No trained checkpoint in `{runs_dir()}` yet. Train one from a terminal in the "
                "repository root, or start a quick CPU run here:", icon=":material/info:")
            st.code(quickrun.QUICK_COMMAND_TEXT, language="bash")
            quickrun.start_button(key=f"{key}_quick_run")
            return None
        label = st.selectbox("Run checkpoint", list(choices), key=f"{key}_run_checkpoint",
                             help="Newest run first; `best` is the checkpoint with the best validation F1.")
        return str(choices[label])
    if kind == "Local folder":
        folder = st.text_input("Checkpoint folder (saved with save_pretrained, or a run folder)",
                               key=f"{key}_folder").strip()
        return folder or None
    hub_id = st.text_input("Hugging Face Hub id", placeholder="dslim/bert-base-NER", key=f"{key}_hub").strip()
    return hub_id or None


# --------------------------------------------------------------------------- localizer


@st.cache_resource(show_spinner="Loading word vectors (once per server process) ...", max_entries=2)
def vectors(source: str):
    """``nerlib.vectors.load_vectors(source)``, loaded once per process and source."""
    from nerlib.vectors import load_vectors

    return load_vectors(source)


@st.cache_resource(show_spinner="Preparing the localizer ...", max_entries=8)
def localizer(vectors_source: str, source: str, target: str, anchors: tuple):
    """A ``nerlib.localizer.Localizer`` for these vectors, contexts and ``anchors``
    (``((type, source word, target word), ...)``), built once per combination."""
    from nerlib.localizer import Localizer

    return Localizer(vectors(vectors_source), source, target,
                     anchors={label: (src, tgt) for label, src, tgt in anchors})


@st.cache_data(show_spinner="Localizing ...", max_entries=256)
def localize(settings: tuple, text: str, entities: tuple, _localizer):
    """``Localizer.localize(text, entities)`` cached by the localizer ``settings``, text and entities."""
    return _localizer.localize(text, list(entities))


_MARKED = re.compile(r"\[([^\[\]]+)\]\((PER|ORG|LOC|MISC)\)")


def parse_marked_entities(marked: str) -> tuple[str, list[tuple[int, int, str]]]:
    """``"I live in [Paris](LOC)"`` -> ``("I live in Paris", [(10, 15, "LOC")])``: entities typed
    by hand when no trained tagger is available."""
    plain, entities, cursor = [], [], 0
    length = 0
    for match in _MARKED.finditer(marked):
        before = marked[cursor : match.start()]
        plain.append(before)
        length += len(before)
        entities.append((length, length + len(match.group(1)), match.group(2)))
        plain.append(match.group(1))
        length += len(match.group(1))
        cursor = match.end()
    plain.append(marked[cursor:])
    return "".join(plain), entities


@st.cache_data(show_spinner=False, max_entries=512)
def entity_tables(settings: tuple, entity: str, label: str, _localizer) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(nearest words with cosine scores, analogy candidates or None for types not localized) of
    one entity, cached by the localizer ``settings``."""
    from nerlib.localizer import analogy_candidates, neighbours

    near = neighbours(_localizer.vectors, entity, topn=10)
    candidates = analogy_candidates(_localizer, entity, label, topn=10) if label in _localizer.types else None
    return near, candidates


# --------------------------------------------------------------------------- evaluation


@st.cache_data(show_spinner="Evaluating the checkpoint (cached afterwards) ...", max_entries=16)
def _evaluation(source: str, stamp: int, split: str, limit: int | None, _tagger):
    from nerlib.evaluation import evaluate_checkpoint

    return evaluate_checkpoint(_tagger, split, limit=limit)


def evaluation(source: str, split: str, limit: int | None, model):
    """``nerlib.evaluation.evaluate_checkpoint`` of the loaded tagger on ``split`` (first ``limit``
    sentences, or all), cached by checkpoint (and its version), split and limit."""
    return _evaluation(source, checkpoint_stamp(source), split, limit, model)


def error_kind_counts(errors: pd.DataFrame) -> pd.DataFrame:
    """Errors per entity type and kind: columns type (gold type, else predicted), kind, count."""
    if errors.empty:
        return pd.DataFrame(columns=["type", "kind", "count"])
    typed = errors.assign(type=errors["gold_label"].fillna(errors["pred_label"]))
    return typed.groupby(["type", "kind"]).size().reset_index(name="count")


def pager(num_pages: int, key: str) -> int:
    """A page picker (1-based): ``st.pagination`` where this Streamlit has it, else a number box."""
    if num_pages <= 1:
        return 1
    if hasattr(st, "pagination"):
        return st.pagination(num_pages, key=key)
    return int(st.number_input("Page", min_value=1, max_value=num_pages, value=1, step=1, key=key))


@st.fragment(run_every=5)
def _watch_runs(signature: tuple) -> None:
    if _runs_signature(runs_dir()) != signature:
        st.rerun(scope="app")


def refresh_while_training(runs: list[Run]) -> None:
    """While one of ``runs`` is still training, re-draw the page when its files change."""
    if any(run.status == "running" for run in runs):
        st.caption("A run is training: this page refreshes when it writes new results.")
        _watch_runs(_runs_signature(runs_dir()))


@st.cache_data(show_spinner=False, max_entries=64)
def figure(name: str, key: tuple, _build):
    """A plotly figure cached by ``name`` and ``key`` (the inputs it is drawn from): building a
    plotly-express figure costs ~0.1 s, a cached copy a fraction of that."""
    return _build()
