"""Measuring an ONNX export against torch on this CPU: the evidence the tagger's ``auto`` reads.

:func:`measure_export` tags the same CoNLL sentences with torch's default (``dtype="auto"``) and
with each ONNX model of the run's export (float32, and int8 where exported), in turns, and writes
words/s and entity F1 of each, with this machine's CPU kind and the files measured, to the
export's ``onnx-measurement.json`` (:class:`nerlib.runs.exported.ExportMeasurement`). From then
on ``Tagger.from_pretrained(run)`` with ``backend="auto"`` runs the fastest ONNX model on CPUs of
that kind when it beat torch within 0.3 F1 points (:func:`nerlib.runs.exported.auto_onnx_choice`),
and torch otherwise. Nothing here is guessed: another CPU kind needs its own measurement.

Timings are wall-clock on a machine that may be shared: the variants take turns (torch, ONNX,
torch, ONNX, ... ``rounds`` times) and each keeps its best round, so a busy moment hits all alike.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nerlib.evaluation.metrics import compute_metrics
from nerlib.runs.exported import (
    ExportedModelError,
    ExportMeasurement,
    VariantFigures,
    checkpoint_identity,
    find_exported_folder,
    read_manifest,
    write_measurement,
)

__all__ = ["measure_export", "measure_taggers"]


def _timed(tagger: Any, sentences: Sequence[Any]) -> tuple[float, list[list[str]]]:
    """Seconds to tag ``sentences`` (their words, document context as in evaluation) and the labels."""
    tokens = [list(s.tokens) for s in sentences]
    documents = [(s.source, s.document) for s in sentences]
    started = time.perf_counter()
    tagged = tagger.tag_words(tokens, documents=documents)
    return time.perf_counter() - started, [t.labels for t in tagged]


def measure_taggers(taggers: dict[str, Any], sentences: Sequence[Any], *, rounds: int = 2) -> dict[str, VariantFigures]:
    """Words/s (best of ``rounds``, in turns) and entity F1 of each tagger on ``sentences``.

    Parameters
    ----------
    taggers:
        Name -> a :class:`~nerlib.tagging.tagger.Tagger`.
    sentences:
        CoNLL sentences (``tokens``, ``ner_tags``, ``source``, ``document``).
    rounds:
        Timed passes per tagger, taken in turns.

    Returns
    -------
    dict
        Name -> :class:`~nerlib.runs.exported.VariantFigures`.

    Raises
    ------
    ValueError
        For no sentences or fewer than one round.
    """
    if not sentences or rounds < 1:
        raise ValueError(f"need sentences and at least one round, got {len(sentences)} and {rounds}")
    words = sum(len(s.tokens) for s in sentences)
    gold = [list(s.ner_tags) for s in sentences]
    best = {name: float("inf") for name in taggers}
    labels: dict[str, list[list[str]]] = {}
    for tagger in taggers.values():  # warm-up: first-call allocations and kernel choices
        _timed(tagger, sentences[:16])
    for _ in range(rounds):
        for name, tagger in taggers.items():
            seconds, labels[name] = _timed(tagger, sentences)
            best[name] = min(best[name], seconds)
    return {name: VariantFigures(words_per_s=words / max(best[name], 1e-9),
                                 f1=compute_metrics(gold, labels[name]).f1) for name in taggers}


def measure_export(source: str | os.PathLike, *, split: str = "validation", limit: int | None = 500,
                   rounds: int = 2, data_dir: str | os.PathLike | None = None) -> tuple[Path, ExportMeasurement]:
    """Measure a run's ONNX export against its torch checkpoint here and record it in the export.

    Parameters
    ----------
    source:
        A run folder or checkpoint folder with an ``onnx/`` export (``python -m nerlib export-onnx``).
    split:
        The CoNLL++ split (or CoNLL file) to tag and score.
    limit:
        Its first ``limit`` sentences (None: all).
    rounds:
        Timed passes per variant, in turns.
    data_dir:
        Where the CoNLL++ splits are (default ``NERLIB_DATA_DIR``).

    Returns
    -------
    tuple
        ``(file written, measurement)``.

    Raises
    ------
    nerlib.runs.exported.ExportedModelError
        When there is no export beside the checkpoint, or it was exported from another model.
    nerlib.runs.checkpoints.CheckpointError
        For an unusable checkpoint.
    """
    import torch

    from nerlib.evaluation.scoring import load_sentences
    from nerlib.modeling.device import cpu_kind
    from nerlib.runs.checkpoints import resolve_checkpoint_dir
    from nerlib.runs.records import utc_timestamp
    from nerlib.tagging.tagger import Tagger

    exported = find_exported_folder(source)
    if exported is None or exported == Path(os.fspath(source)).expanduser():
        raise ExportedModelError(f"{source} has no ONNX export beside it (an onnx/ subfolder); export one first with "
                                 "python -m nerlib export-onnx, then measure the run, not the export")
    checkpoint = resolve_checkpoint_dir(source)
    manifest = read_manifest(exported)
    identity = checkpoint_identity(checkpoint)
    if manifest.model_id != identity:
        raise ExportedModelError(f"{exported} was exported from another model ({manifest.source}) than {checkpoint}; "
                                 "export it again before measuring")
    sentences, described = load_sentences(split, data_dir)
    sentences = sentences[:limit] if limit else sentences
    if not sentences:
        raise ValueError(f"{described} has no sentences to measure on")
    taggers = {"torch": Tagger.from_pretrained(checkpoint, device="cpu", backend="torch")}
    for precision in manifest.files:
        taggers[precision] = Tagger.from_pretrained(exported, quantize=precision == "int8")
    figures = measure_taggers(taggers, sentences, rounds=rounds)
    onnx = {precision: figures[precision].model_copy(update={"sha256": manifest.files[precision].sha256})
            for precision in manifest.files}
    measurement = ExportMeasurement(
        format="nerlib-onnx-measurement", version=1, model_id=manifest.model_id, cpu=cpu_kind(),
        threads=torch.get_num_threads(), split=str(split), sentences=len(sentences),
        torch_dtype=str(taggers["torch"].model.dtype).removeprefix("torch."), torch=figures["torch"], onnx=onnx,
        measured_at=utc_timestamp())
    return write_measurement(exported, measurement), measurement
