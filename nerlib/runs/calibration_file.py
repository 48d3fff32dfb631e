"""A checkpoint's calibration.json: the temperature its scores are computed with.

``python -m nerlib calibrate RUN`` (:func:`nerlib.evaluation.calibration.calibrate_checkpoint`)
fits one temperature on the validation split and writes it here, into the checkpoint folder, next
to the weights; :meth:`nerlib.tagging.tagger.Tagger.from_pretrained` reads it back, so every score
a tagger of that checkpoint gives afterwards is ``softmax(pooled logits / temperature)``. The file
is read bounded and validated against :class:`nerlib.runs.schemas.CalibrationRecord`; a damaged
one raises :class:`CalibrationError` naming the file and the field, never a traceback deep inside
tagging. A checkpoint without the file is simply not calibrated (temperature 1).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nerlib.runs.checkpoints import CheckpointError
from nerlib.runs.folder import RunFileError, read_json_record, write_json_atomic
from nerlib.runs.schemas import CalibrationRecord, ValidationError, describe_error

__all__ = ["CALIBRATION_FILE", "CalibrationError", "read_calibration", "write_calibration"]

CALIBRATION_FILE = "calibration.json"


class CalibrationError(CheckpointError):
    """A checkpoint's calibration.json exists but cannot be used; the message names the file."""


def read_calibration(folder: str | os.PathLike) -> CalibrationRecord | None:
    """The calibration record of the checkpoint in ``folder``.

    Parameters
    ----------
    folder:
        A checkpoint folder.

    Returns
    -------
    CalibrationRecord or None
        The validated record; None when the folder has no calibration.json.

    Raises
    ------
    CalibrationError
        When the file is no regular file, too large, not a JSON object, or a field is missing or
        out of range (a temperature that is not a positive number, for one).

    >>> import tempfile
    >>> read_calibration(tempfile.mkdtemp()) is None
    True
    """
    path = Path(folder) / CALIBRATION_FILE
    try:
        data = read_json_record(path)
    except RunFileError as error:
        raise CalibrationError(f"{error}; delete it or run `python -m nerlib calibrate` again") from None
    if data is None:
        return None
    try:
        return CalibrationRecord.model_validate(data)
    except ValidationError as error:
        raise CalibrationError(f"{path}: {describe_error(error)}; delete it or run `python -m nerlib calibrate` "
                               "again") from None


def write_calibration(folder: str | os.PathLike, record: dict[str, Any]) -> Path:
    """Validate ``record`` and write it to ``folder``/calibration.json atomically.

    Parameters
    ----------
    folder:
        A checkpoint folder.
    record:
        The fields of :class:`nerlib.runs.schemas.CalibrationRecord`.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        When ``record`` does not fit the schema (pydantic's ``ValidationError``).
    """
    checked = CalibrationRecord.model_validate(record)
    return write_json_atomic(Path(folder) / CALIBRATION_FILE, checked.model_dump(mode="json", exclude_none=True))
