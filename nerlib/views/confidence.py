"""What an entity's score means, in the words the dashboard shows beside it.

An entity's score (:attr:`nerlib.tagging.tagger.Entity.score`) is the product of its words' type
probabilities (:mod:`nerlib.evaluation.calibration`). With a calibration file in the checkpoint
folder (``python -m nerlib calibrate``, :mod:`nerlib.runs.calibration_file`) the tagger computes
those at the fitted temperature and the product is a calibrated probability that the entity is
right (same type, same words as the gold); without one it only ranks entities. These helpers turn
a checkpoint's calibration record into the tooltip texts, naming the split and the number of
sentences every figure comes from.
"""

from __future__ import annotations

from typing import Any

__all__ = ["hidden_share", "score_help", "threshold_help"]


def _fit_scores(calibration: Any) -> Any:
    """The ``after`` scores of the split the temperature was fitted on (None when absent)."""
    if calibration is None:
        return None
    return next((s for s in calibration.after if s.split == calibration.split), None)


def hidden_share(calibration: Any, threshold: float) -> float | None:
    """The share of right entities a minimum score of ``threshold`` hides, as measured on the
    calibration split; None when the record does not hold that threshold.

    >>> from nerlib.runs.schemas import CalibrationRecord
    >>> record = CalibrationRecord.model_validate({"temperature": 0.9, "split": "validation", "after": [
    ...     {"split": "validation", "sentences": 3250, "words": 51362, "word_ece": 0.006, "nll": 0.07,
    ...      "correct_hidden": {"0.5": 0.031}}]})
    >>> hidden_share(record, 0.5), hidden_share(record, 0.3), hidden_share(None, 0.5)
    (0.031, None, None)
    """
    scores = _fit_scores(calibration)
    if scores is None:
        return None
    return (scores.correct_hidden or {}).get(f"{threshold:g}")


def score_help(calibration: Any) -> str:
    """The tooltip of an entity score column or toggle.

    Parameters
    ----------
    calibration:
        The checkpoint's :class:`nerlib.runs.schemas.CalibrationRecord`, or None.

    Returns
    -------
    str
        Markdown.

    >>> score_help(None).startswith("Not calibrated")
    True
    """
    if calibration is None:
        return ("Not calibrated: the product of the entity's words' type probabilities. It ranks entities "
                "but is not the probability that the entity is right (it runs low on long entities). "
                "`python -m nerlib calibrate RUN` makes it one.")
    scores = _fit_scores(calibration)
    measured = ""
    if scores is not None and scores.entity_ece is not None:
        measured = (f" Measured on {scores.sentences:,} {calibration.split} sentences: an entity scored p was "
                    f"right with frequency p give or take {scores.entity_ece:.3f} (entity ECE).")
    return ("Calibrated: the probability that the entity is right (same type, same words as the gold), "
            f"the product of its words' type probabilities at temperature {calibration.temperature:.3f} fitted "
            f"on the {calibration.split} split (`python -m nerlib calibrate`)." + measured)


def threshold_help(calibration: Any, thresholds: tuple[float, ...] = (0.5, 0.75, 0.9)) -> str:
    """The tooltip of a "Minimum confidence" control: what the score is and, where the
    calibration file measured it, what share of the right entities each threshold hides.

    >>> "hides" in threshold_help(None)
    False
    """
    text = "Hide entities scored below this (default 0: every entity is shown). " + score_help(calibration)
    shares = [(t, hidden_share(calibration, t)) for t in thresholds]
    shares = [(t, s) for t, s in shares if s is not None]
    scores = _fit_scores(calibration)
    if shares and scores is not None:
        text += (f" On {scores.sentences:,} {calibration.split} sentences, a minimum of "
                 + ", ".join(f"{t:g} hides {100 * s:.1f}%" for t, s in shares) + " of the right entities.")
    return text
