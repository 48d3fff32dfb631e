"""Pandas tables the dashboard draws, built from run records, evaluations and datasets.

Pure functions, no Streamlit: each takes ``nerlib`` records (``nerlib.runs.folder.Run``, an evaluation's
error table, a ``datasets.Dataset``) and returns a ``pandas.DataFrame`` or a plain dict, so the
dashboard pages stay thin and these are unit-tested on hand-made records::

    runs = [load_run("runs/minilm")]   # nerlib.runs.folder.load_run
    checkpoint_choices(runs)           # {"minilm / best (epoch-3)": Path(...), "minilm / epoch-3": ...}
    curves_frame(runs, "f1")           # run, epoch, step, type (overall, PER, ...), value
    checkpoint_table(runs)             # one row per checkpoint: step, epoch, F1, PER F1, ...
    checkpoint_delta(runs, "minilm / epoch-1", "minilm / best")   # type, score, A, B, B - A

Scores are read through :func:`nerlib.runs.folder.flatten_metrics`, the one flattening of a
``metrics.jsonl`` line (``f1`` overall, ``PER_f1`` per type).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from nerlib.data.labels import ENTITY_TYPES, entity_spans
from nerlib.runs.config_diff import config_diff
from nerlib.runs.folder import CheckpointInfo, Run, flatten_metrics
from nerlib.runs.ranking import rank_runs

SCORES = ("precision", "recall", "f1")
DELTA_COLUMN = "Δ (B - A)"
#: Streamlit's data grid: pixels per row (the header row too) and the frame's border.
ROW_HEIGHT, GRID_BORDER = 35, 3


def table_height(rows: int, max_rows: int = 20) -> int:
    """The pixel height of an ``st.dataframe`` that shows ``rows`` rows whole: every row up to
    ``max_rows``, else ``max_rows`` whole rows and a scroll bar (never a row cut in half, as
    Streamlit's default height of "ten rows and a bit" does for an 11th).

    >>> table_height(3), table_height(0), table_height(500) == table_height(20)
    (143, 38, True)
    """
    return (min(max(rows, 0), max_rows) + 1) * ROW_HEIGHT + GRID_BORDER


def _type_order(types) -> list[str]:
    """``ENTITY_TYPES`` order first, any other type after, sorted."""
    present = set(types)
    return [t for t in ENTITY_TYPES if t in present] + sorted(present - set(ENTITY_TYPES))


# --------------------------------------------------------------------------- checkpoints of runs


def _run_checkpoints(run: Run) -> list[tuple[str, CheckpointInfo]]:
    """``("<run> / <checkpoint>", info)`` for ``run``'s best checkpoint first, then the others,
    newest first."""
    found = [(f"{run.name} / best", run.best)] if run.best is not None else []
    return found + [(f"{run.name} / {c.name}", c) for c in reversed(run.checkpoints)]


def checkpoint_choices(runs: Sequence[Run]) -> dict[str, Path]:
    """Every complete checkpoint of ``runs`` as ``{"<run> / <checkpoint>": folder}``.

    Each run's best comes first, labelled with the checkpoint it was copied from
    (``"tiny / best (epoch-2)"``), then the others newest first; with the newest run first (as
    ``list_runs`` orders them), the first entry is the natural default.

    Parameters
    ----------
    runs:
        The runs, in the order to list them.

    Returns
    -------
    dict of str to Path
        Label -> checkpoint folder.
    """
    choices: dict[str, Path] = {}
    for run in runs:
        for label, checkpoint in _run_checkpoints(run):
            if checkpoint.name == "best" and checkpoint.source:
                label += f" ({checkpoint.source})"
            choices[label] = checkpoint.path
    return choices


def checkpoint_scores(run: Run, checkpoint: CheckpointInfo) -> dict[str, Any]:
    """Validation scores of a checkpoint as a ``metrics.jsonl`` record.

    Parameters
    ----------
    run:
        The run the checkpoint belongs to.
    checkpoint:
        The checkpoint.

    Returns
    -------
    dict
        The run's last validation line of the checkpoint's step (which has the per-type scores),
        else what ``checkpoint.json`` holds.
    """
    records = [r for r in run.validation_metrics if r.get("step") == checkpoint.step]
    return records[-1] if records else checkpoint.metrics


def _types(record: dict[str, Any]) -> list[str]:
    return list(record.get("per_type") or {})


def _scored_checkpoints(runs: Sequence[Run]) -> list[tuple[str, CheckpointInfo, dict[str, Any]]]:
    """``(label, info, validation record)`` for every checkpoint of ``runs``."""
    return [(label, checkpoint, checkpoint_scores(run, checkpoint))
            for run in runs for label, checkpoint in _run_checkpoints(run)]


def checkpoint_table(runs: Sequence[Run]) -> pd.DataFrame:
    """One row per checkpoint of ``runs`` (each run's best first).

    Parameters
    ----------
    runs:
        The runs.

    Returns
    -------
    pandas.DataFrame
        Columns ``checkpoint`` (label as in :func:`checkpoint_choices`, without the source),
        ``step``, ``epoch``, validation ``F1`` and ``<TYPE> F1`` per entity type, and ``same as``
        (the checkpoint ``best`` was copied from) when any row has one. Empty when no checkpoint
        exists.
    """
    rows = []
    for label, checkpoint, record in _scored_checkpoints(runs):
        flat = flatten_metrics(record)
        types = [t for t in _types(record) if f"{t}_f1" in flat]
        row = {"checkpoint": label, "step": checkpoint.step, "epoch": checkpoint.epoch, "F1": flat.get("f1")}
        row.update({f"{t} F1": flat[f"{t}_f1"] for t in types})
        if checkpoint.source:
            row["same as"] = checkpoint.source
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    typed = [f"{t} F1" for t in _type_order(c[:-3] for c in frame.columns if c.endswith(" F1"))]
    tail = ["same as"] if "same as" in frame.columns else []
    return frame[["checkpoint", "step", "epoch", "F1", *typed, *tail]]


def default_checkpoint_pair(runs: Sequence[Run]) -> tuple[str, str] | None:
    """The two different checkpoints a comparison of ``runs``' checkpoints opens on (labels as in
    :func:`checkpoint_table`).

    With two or more ranked runs (:func:`nerlib.runs.ranking.rank_runs`), the best checkpoints of
    the best two (A the better); with one, its best and its earliest other checkpoint that ``best``
    is not a copy of (so A and B never hold the same weights). None when no such pair exists.
    """
    ranked = rank_runs(runs)
    if len(ranked) >= 2:
        return f"{ranked[0].run.name} / best", f"{ranked[1].run.name} / best"
    for run in runs:
        if run.best is None:
            continue
        others = [c for c in run.checkpoints if c.name != run.best.source and c.path != run.best.path]
        if others:
            return f"{run.name} / best", f"{run.name} / {others[0].name}"
    return None


def checkpoint_delta(runs: Sequence[Run], first: str, second: str) -> pd.DataFrame:
    """Two checkpoints' validation scores side by side, and their difference.

    Parameters
    ----------
    runs:
        The runs the checkpoints belong to.
    first, second:
        Checkpoint labels as in :func:`checkpoint_table` (A and B).

    Returns
    -------
    pandas.DataFrame
        Per type (``overall`` first) and score (precision, recall, f1): ``A``, ``B`` and
        :data:`DELTA_COLUMN` (B - A; None where either is missing).

    Raises
    ------
    KeyError
        For an unknown label.
    """
    found = {label: record for label, _, record in _scored_checkpoints(runs)}
    types = _type_order([*_types(found[first]), *_types(found[second])])
    a, b = flatten_metrics(found[first]), flatten_metrics(found[second])
    rows = []
    for entity_type in ["overall", *types]:
        for score in SCORES:
            key = score if entity_type == "overall" else f"{entity_type}_{score}"
            if key not in a and key not in b:
                continue
            both = a.get(key) is not None and b.get(key) is not None
            rows.append({"type": entity_type, "score": score, "A": a.get(key), "B": b.get(key),
                         DELTA_COLUMN: b[key] - a[key] if both else None})
    return pd.DataFrame(rows, columns=["type", "score", "A", "B", DELTA_COLUMN])


def curves_frame(runs: Sequence[Run], metric: str, split: str = "validation") -> pd.DataFrame:
    """Long table for training curves, one row per evaluation and type.

    Parameters
    ----------
    runs:
        The runs.
    metric:
        ``precision``, ``recall`` or ``f1``.
    split:
        The split of the evaluations to read (``validation`` or ``test``).

    Returns
    -------
    pandas.DataFrame
        Columns ``run``, ``epoch``, ``step``, ``type`` (``overall`` and each entity type of the
        line's ``per_type``) and ``value``.
    """
    rows = []
    for run in runs:
        for record in run.records:
            if record.get("split") != split:
                continue
            base = {"run": run.name, "epoch": record.get("epoch"), "step": record.get("step")}
            if record.get(metric) is not None:
                rows.append({**base, "type": "overall", "value": record[metric]})
            for entity_type, scores in (record.get("per_type") or {}).items():
                if isinstance(scores, dict) and scores.get(metric) is not None:
                    rows.append({**base, "type": entity_type, "value": scores[metric]})
    return pd.DataFrame(rows, columns=["run", "epoch", "step", "type", "value"])


def learning_rate_schedule(run: Run, points: int = 200) -> pd.DataFrame:
    """The learning rate ``run`` was planned to follow, from its run.json: ``learning_rate``,
    ``lr_scheduler``, ``warmup_ratio`` and the optimizer steps (``batching.total_steps``); the
    formulas of transformers' ``get_scheduler`` for ``linear``, ``cosine``, ``constant`` and
    ``constant_with_warmup`` (the warm-up is ``int(warmup_ratio * total_steps)`` steps, as
    ``training.train`` sets it).

    Parameters
    ----------
    run:
        The run.
    points:
        How many steps to sample (at most; the first and last step always).

    Returns
    -------
    pandas.DataFrame
        Columns ``run``, ``step``, ``epoch``, ``learning_rate``; empty when run.json lacks a field
        or names another schedule.

    >>> import dataclasses
    >>> run = dataclasses.make_dataclass("R", ["name", "config"])("r", {
    ...     "config": {"learning_rate": 1e-3, "lr_scheduler": "linear", "warmup_ratio": 0.1},
    ...     "batching": {"total_steps": 100, "steps_per_epoch": 50}})
    >>> learning_rate_schedule(run, points=5)[["step", "epoch", "learning_rate"]].round(5).values.tolist()
    [[0.0, 0.0, 0.0], [10.0, 0.2, 0.001], [25.0, 0.5, 0.00083], [50.0, 1.0, 0.00056], [75.0, 1.5, 0.00028], [100.0, 2.0, 0.0]]
    """
    import math

    config = run.config.get("config") or {}
    batching = run.config.get("batching") or {}
    peak, name = config.get("learning_rate"), config.get("lr_scheduler", "linear")
    total, per_epoch = batching.get("total_steps"), batching.get("steps_per_epoch")
    columns = ["run", "step", "epoch", "learning_rate"]
    if not isinstance(peak, (int, float)) or not isinstance(total, int) or total <= 0 or name not in (
            "linear", "cosine", "constant", "constant_with_warmup"):
        return pd.DataFrame(columns=columns)
    warmup = int(float(config.get("warmup_ratio") or 0) * total) if name != "constant" else 0

    def rate(step: int) -> float:
        if step < warmup:
            return peak * step / max(1, warmup)
        if name.startswith("constant"):
            return peak
        progress = (step - warmup) / max(1, total - warmup)
        if name == "linear":
            return peak * max(0.0, 1 - progress)
        return peak * max(0.0, 0.5 * (1 + math.cos(math.pi * progress)))

    steps = sorted({0, warmup, total, *(round(i * total / max(1, points - 1)) for i in range(points))})
    return pd.DataFrame([{"run": run.name, "step": float(step),
                          "epoch": step / per_epoch if isinstance(per_epoch, int) and per_epoch > 0 else None,
                          "learning_rate": rate(step)} for step in steps], columns=columns)


# --------------------------------------------------------------------------- evaluation and data


def error_kind_counts(errors: pd.DataFrame) -> pd.DataFrame:
    """Errors per entity type and kind, from an evaluation's ``errors`` table.

    Returns
    -------
    pandas.DataFrame
        Columns ``type`` (the gold type, else the predicted one), ``kind``, ``count``.

    >>> errors = pd.DataFrame({"kind": ["missed", "spurious", "missed"],
    ...                        "gold_label": ["PER", None, "PER"], "pred_label": [None, "LOC", None]})
    >>> error_kind_counts(errors).to_dict("records")
    [{'type': 'LOC', 'kind': 'spurious', 'count': 1}, {'type': 'PER', 'kind': 'missed', 'count': 2}]
    """
    if errors.empty:
        return pd.DataFrame(columns=["type", "kind", "count"])
    typed = errors.assign(type=errors["gold_label"].fillna(errors["pred_label"]))
    return typed.groupby(["type", "kind"]).size().reset_index(name="count")


def sentence_index(dataset) -> pd.DataFrame:
    """One row per sentence of a CoNLL ``datasets.Dataset``, so filters are vectorised pandas queries.

    Parameters
    ----------
    dataset:
        A dataset with ``tokens`` and ClassLabel ``ner_tags`` columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``text`` (words joined by spaces, lower-cased, for search), ``types``
        (space-separated entity types present, sorted) and ``entities`` (count).
    """
    from nerlib.data.statistics import column_values  # imports datasets: only where a dataset is at hand

    names = dataset.features["ner_tags"].feature.names
    texts, types, counts = [], [], []
    for tokens, tags in zip(column_values(dataset, "tokens"), column_values(dataset, "ner_tags")):
        spans = entity_spans([names[t] for t in tags])
        texts.append(" ".join(tokens).lower())
        types.append(" ".join(sorted({s.label for s in spans})))
        counts.append(len(spans))
    return pd.DataFrame({"text": texts, "types": types, "entities": counts})


# --------------------------------------------------------------------------- the Compare view


def comparable_runs(runs: Sequence[Run]) -> list[Run]:
    """The runs a comparison can use: readable, with at least one complete checkpoint."""
    return [run for run in runs if not run.damaged and (run.best is not None or run.checkpoints)]


def best_two_runs(runs: Sequence[Run]) -> tuple[str, str] | None:
    """The names of the two best different runs by :func:`nerlib.runs.ranking.rank_runs` (the rule
    every checkpoint picker follows), or None with fewer than two comparable runs.

    The better one is A, the runner-up B, so ``B - A`` reads as what the runner-up loses.
    """
    ranked = rank_runs(comparable_runs(runs))
    if len(ranked) < 2:
        return None
    return ranked[0].run.name, ranked[1].run.name


def comparison_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """The Compare view's score table: F1 of A and B, B - A, the 95% interval and p-value, the
    seed spreads and support, in percent (one decimal place of a percentage kept as a number).

    Parameters
    ----------
    scores:
        :attr:`nerlib.evaluation.comparison.Comparison.scores`.

    Returns
    -------
    pandas.DataFrame
        Columns ``type``, ``support``, ``P A``, ``R A``, ``F1 A``, ``P B``, ``R B``, ``F1 B``,
        ``B - A``, ``95% CI``, ``p``, ``seed sd A``, ``seed sd B`` (None where undefined).
    """
    def pct(value: Any) -> float | None:
        return None if value is None or value != value else round(100 * float(value), 2)

    def interval(low: Any, high: Any) -> str:
        return "n/a" if low != low or high != high else f"[{100 * low:+.2f}, {100 * high:+.2f}]"

    rows = [{"type": r.type, "support": int(r.support), "P A": pct(r.precision_a), "R A": pct(r.recall_a),
             "F1 A": pct(r.f1_a), "P B": pct(r.precision_b), "R B": pct(r.recall_b), "F1 B": pct(r.f1_b),
             "B - A": pct(r.difference), "95% CI": interval(r.ci_low, r.ci_high),
             "p": None if r.p_value != r.p_value else round(float(r.p_value), 4),
             "seed sd A": pct(r.seed_sd_a), "seed sd B": pct(r.seed_sd_b)}
            for r in scores.itertuples(index=False)]
    return pd.DataFrame(rows)


def filter_diff(diff: pd.DataFrame, categories: Sequence[str] = (), types: Sequence[str] = ()) -> pd.DataFrame:
    """The rows of a sentence diff in ``categories`` (all when empty) that involve one of
    ``types`` (all when empty).

    >>> diff = pd.DataFrame({"category": ["only_a_right", "both_right"], "types": [["PER"], []]})
    >>> len(filter_diff(diff, ["only_a_right"])), len(filter_diff(diff, types=["LOC"]))
    (1, 0)
    """
    rows = diff
    if categories:
        rows = rows[rows["category"].isin(list(categories))]
    if types:
        wanted = set(types)
        rows = rows[[bool(wanted & set(found)) for found in rows["types"]]]
    return rows


# --------------------------------------------------------------------------- how two runs differ


def config_diff_frame(run_a: Run, run_b: Run) -> pd.DataFrame:
    """Two runs' run.json side by side (:func:`nerlib.runs.config_diff.config_diff`), the fields
    that differ first.

    Parameters
    ----------
    run_a, run_b:
        The runs (A and B).

    Returns
    -------
    pandas.DataFrame
        Columns ``field`` (a readable name or the dotted path), ``A``, ``B``, ``differs`` and
        ``bookkeeping`` (the field names or dates a run: name, start time, output folder).
    """
    rows = [{"field": f.name, "A": f.a, "B": f.b, "differs": f.differs, "bookkeeping": f.bookkeeping}
            for f in config_diff(run_a.config, run_b.config)]
    return pd.DataFrame(rows, columns=["field", "A", "B", "differs", "bookkeeping"])
