"""Typed schemas of the run-folder records: run.json, progress.json, each metrics.jsonl line,
checkpoint.json, a checkpoint's label map and encoding settings (in its config.json), and its
calibration.json.

Every reader of a run folder validates what it reads against these models, so a tampered or
damaged record is named (file, line, field) where it is read instead of failing later, far away,
with a message naming nothing. The models are strict where a wrong type would change what is shown
or trusted (scores are numbers in 0..1, steps whole numbers >= 0, ``per_type`` a dict of score
dicts) and tolerant of keys they do not know (newer writers may add fields).

Why pydantic (v2): the schemas are declared once as typed classes, validated by a compiled core
(a metrics.jsonl of thousands of lines costs milliseconds), and a failure lists every offending
field by its path (``per_type.PER.f1``), which is what "name the field" needs. It is a small,
widely kept dependency that the lean install (the tagger) already gets with transformers' and
huggingface-hub's usual companions; hand-written ``int(info.get(...))`` checks were what let the
defects through.

Older run.json files keep loading: options added after the first runs have their value for such
files in :data:`OLDER_RUN_DEFAULTS`, the one table of them (``training.options`` imports it).

This module imports neither torch nor transformers.

>>> MetricsLine.model_validate({"step": 5, "split": "validation", "f1": 0.5}).step
5
>>> try:
...     MetricsLine.model_validate({"step": "x"})
... except ValidationError as error:
...     print(describe_error(error))
field 'step' is 'x': Input should be a valid integer
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "OLDER_RUN_DEFAULTS",
    "STATUSES",
    "LABEL_PATTERN",
    "RunOptions",
    "RunRecord",
    "ProgressRecord",
    "ScoreDict",
    "MetricsLine",
    "TrainStateRecord",
    "CheckpointRecord",
    "EncodingSettings",
    "LabelMap",
    "CalibrationScores",
    "CalibrationRecord",
    "ValidationError",
    "describe_error",
]

# Options added after the first runs -> their value for a run.json written before they existed
# (``--resume`` reads the rest of its options from run.json's ``config``).
OLDER_RUN_DEFAULTS: dict[str, Any] = {"document_context": False, "context_size": 0, "freeze_word_embeddings": False,
                                      "report_to": "none", "push_to_hub": None}

STATUSES = ("running", "finished", "failed", "stopped")

# One label of an IOB/IOB2 scheme: O, or B-/I- and a type free of whitespace and markup characters.
LABEL_PATTERN = re.compile(r"O|[BI]-[^\s<>&\"'`]+")

# A field that may be absent but, when present, must have its type (``null`` is refused): its
# default is not validated, an explicit value is.
_ABSENT: Any = None


class _Record(BaseModel):
    """Strict types (no "5" for 5, no true for 1), unknown keys kept."""

    model_config = ConfigDict(strict=True, extra="allow")


class RunOptions(_Record):
    """run.json's ``config``: the training options as ``--resume`` reads them back.

    Only the options whose type is certain are typed (any may be absent; ``None`` where the option
    may stay unset); the others are kept as they are.
    """

    model: str = _ABSENT
    data_dir: str | None = None
    output_dir: str | None = None
    epochs: int | None = Field(default=None, ge=1)
    batch_size: int | None = Field(default=None, ge=1)
    eval_batch_size: int = Field(default=_ABSENT, ge=1)
    gradient_accumulation_steps: int = Field(default=_ABSENT, ge=1)
    learning_rate: float | None = Field(default=None, gt=0)
    warmup_ratio: float | None = Field(default=None, ge=0, le=1)
    weight_decay: float | None = Field(default=None, ge=0)
    max_grad_norm: float | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    max_steps: int | None = Field(default=None, ge=0)
    eval_steps: int = Field(default=_ABSENT, ge=0)
    max_train_samples: int | None = Field(default=None, ge=0)
    max_eval_samples: int | None = Field(default=None, ge=0)
    save_total_limit: int | None = Field(default=None, ge=0)
    seed: int = _ABSENT
    document_context: bool | None = None
    context_size: int | None = Field(default=None, ge=0)
    freeze_word_embeddings: bool | None = None


class RunRecord(_Record):
    """run.json: what was run (``config``: the options), on what data, with which versions."""

    format_version: int = Field(default=1, ge=1)
    name: str | None = None
    started_at: str | None = None
    resumed_at: list[str] = Field(default_factory=list)
    command: list[str] | None = None
    config: RunOptions = Field(default_factory=RunOptions)
    labels: list[str] | None = None
    model: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    batching: dict[str, Any] | None = None
    encoding: EncodingSettings | None = None
    device: dict[str, Any] | None = None
    versions: dict[str, Any] | None = None
    git_commit: str | None = None

    def options(self) -> dict[str, Any]:
        """The run's options: ``config`` over :data:`OLDER_RUN_DEFAULTS`.

        >>> RunRecord.model_validate({"config": {"epochs": 2}}).options()["report_to"]
        'none'
        """
        return {**OLDER_RUN_DEFAULTS, **self.config.model_dump(exclude_unset=True)}


class ProgressRecord(_Record):
    """progress.json: the live state of a training process (see ``nerlib.runs.folder.Progress``)."""

    status: str = "running"
    phase: str = "loading"
    step: int = Field(default=0, ge=0)
    total_steps: int = Field(default=0, ge=0)
    epoch: float = Field(default=0.0, ge=0)
    num_epochs: int = Field(default=0, ge=0)
    elapsed_s: float = 0.0
    eta_s: float | None = None
    loss: float | None = None
    learning_rate: float | None = None
    sentences_per_s: float | None = None
    best_f1: float | None = Field(default=None, ge=0, le=1)
    message: str = ""
    updated_at: float = 0.0
    pid: int = Field(default=0, ge=0)
    host: str = ""

    @field_validator("status")
    @classmethod
    def _known_status(cls, status: str) -> str:
        if status not in STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        return status


class ScoreDict(_Record):
    """Scores of one entity type (or a subset): fractions in 0..1 and a count."""

    precision: float = Field(default=_ABSENT, ge=0, le=1)
    recall: float = Field(default=_ABSENT, ge=0, le=1)
    f1: float = Field(default=_ABSENT, ge=0, le=1)
    support: int = Field(default=_ABSENT, ge=0)


class MetricsLine(_Record):
    """One metrics.jsonl line: an evaluation of one split at one step.

    Every field may be absent (tests and older writers leave some out); one that is present has its
    type: ``epoch`` a number, ``step`` a whole number >= 0, scores in 0..1, ``per_type`` a dict of
    :class:`ScoreDict`.
    """

    epoch: float = Field(default=_ABSENT, ge=0)
    step: int = Field(default=_ABSENT, ge=0)
    split: str = _ABSENT
    loss: float | None = None
    learning_rate: float | None = None
    elapsed_s: float = Field(default=_ABSENT, ge=0)
    eval_seconds: float = Field(default=_ABSENT, ge=0)
    precision: float = Field(default=_ABSENT, ge=0, le=1)
    recall: float = Field(default=_ABSENT, ge=0, le=1)
    f1: float = Field(default=_ABSENT, ge=0, le=1)
    support: int = Field(default=_ABSENT, ge=0)
    predicted: int = Field(default=_ABSENT, ge=0)
    sentences: int = Field(default=_ABSENT, ge=0)
    token_accuracy: float | None = Field(default=None, ge=0, le=1)
    train_loss: float | None = None
    sentences_per_s: float | None = Field(default=None, ge=0)
    checkpoint: str | None = None
    source: str | None = None
    per_type: dict[str, ScoreDict] = Field(default_factory=dict)
    seen: ScoreDict | None = None
    unseen: ScoreDict | None = None


class TrainStateRecord(_Record):
    """checkpoint.json's ``state``: where training stood (what ``--resume`` continues from)."""

    step: int = Field(default=0, ge=0)
    epoch: int = Field(default=0, ge=0)
    batches_in_epoch: int = Field(default=0, ge=0)
    elapsed_s: float = Field(default=0.0, ge=0)
    metrics_lines: int = Field(default=0, ge=0)
    best_f1: float | None = Field(default=None, ge=0, le=1)
    best_source: str | None = None
    train_sentences: int = Field(default=0, ge=0)
    sessions: int = Field(default=1, ge=1)


class CheckpointMetrics(_Record):
    """The validation scores saved with a checkpoint."""

    precision: float = Field(default=_ABSENT, ge=0, le=1)
    recall: float = Field(default=_ABSENT, ge=0, le=1)
    f1: float = Field(default=_ABSENT, ge=0, le=1)
    loss: float | None = None
    token_accuracy: float | None = Field(default=None, ge=0, le=1)


class CheckpointRecord(_Record):
    """checkpoint.json: written last into a checkpoint folder; its presence marks it complete."""

    format_version: int = Field(default=1, ge=1)
    step: int = Field(default=0, ge=0)
    epoch: float = Field(default=0.0, ge=0)
    metrics: CheckpointMetrics | None = None
    resumable: bool = False
    source: str | None = None
    state: TrainStateRecord | None = None
    world_size: int = Field(default=_ABSENT, ge=1)
    created_at: str = _ABSENT


class EncodingSettings(_Record):
    """``nerlib_encoding`` in a checkpoint's config.json (and run.json's ``encoding``): how the
    model's windows were built (see ``nerlib.modeling.encoding.context_config``)."""

    document_context: bool = False
    context_size: int | None = Field(default=0, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    word_pooling: Literal["first", "mean"] | None = None


class LabelMap(BaseModel):
    """A checkpoint's ``id2label`` (config.json): non-empty labels of an IOB/IOB2 scheme.

    >>> LabelMap(labels=["O", "B-PER", "I-PER"]).labels
    ['O', 'B-PER', 'I-PER']
    """

    model_config = ConfigDict(strict=True)

    labels: list[str] = Field(min_length=1)

    @field_validator("labels")
    @classmethod
    def _iob_labels(cls, labels: list[str]) -> list[str]:
        for index, label in enumerate(labels):
            if not LABEL_PATTERN.fullmatch(label):
                raise ValueError(f"label {index} is {_quote(label)}, not O, B-<type> or I-<type> "
                                 "(a type without whitespace or markup)")
        return labels


class CalibrationScores(_Record):
    """How well a checkpoint's word scores are calibrated on one split (calibration.json's
    ``before`` / ``after``): what they were computed on, the expected calibration errors (15 equal
    bins) and the mean negative log-likelihood of the gold labels."""

    model_config = ConfigDict(strict=True, extra="allow", allow_inf_nan=False)

    split: str
    sentences: int = Field(ge=0)
    words: int = Field(ge=0)
    entities: int = Field(default=0, ge=0)
    word_ece: float = Field(ge=0, le=1)
    entity_ece: float | None = Field(default=None, ge=0, le=1)
    nll: float = Field(ge=0)
    # threshold ("0.5") -> share of the right entities whose confidence is below it (the slider's help)
    correct_hidden: dict[str, float] = Field(default_factory=dict)


class CalibrationRecord(_Record):
    """calibration.json in a checkpoint folder: the temperature every score of a
    :class:`nerlib.tagging.tagger.Tagger` of that checkpoint is computed with, and what it did.

    >>> CalibrationRecord.model_validate({"temperature": 1.5, "split": "validation"}).temperature
    1.5
    """

    model_config = ConfigDict(strict=True, extra="allow", allow_inf_nan=False)

    format_version: int = Field(default=1, ge=1)
    # softmax(pooled logits / temperature); bounded as the fit is (nerlib.evaluation.calibration)
    temperature: float = Field(gt=0, le=1000)
    split: str
    created_at: str = _ABSENT
    before: list[CalibrationScores] = Field(default_factory=list)
    after: list[CalibrationScores] = Field(default_factory=list)


RunRecord.model_rebuild()


def _quote(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters (a hostile value may be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_error(error: ValidationError, limit: int = 3) -> str:
    """A validation failure in one line: the first offending fields, each with its value.

    Parameters
    ----------
    error:
        What ``model_validate`` raised.
    limit:
        How many fields to name at most.

    Returns
    -------
    str
        ``field 'a.b' is <value>: <why>; ...``, values cut to 80 characters.
    """
    parts = []
    for item in error.errors()[:limit]:
        location = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if location:
            parts.append(f"field {location!r} is {_quote(item.get('input'))}: {message}")
        else:
            parts.append(message)
    more = len(error.errors()) - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")

