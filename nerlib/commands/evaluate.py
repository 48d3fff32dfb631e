"""``python -m nerlib evaluate``: score a checkpoint on a split or CoNLL file (`nerlib.evaluation`)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TextIO

from nerlib.commands.common import (
    UsageError,
    add_model_options,
    check_device,
    check_output,
    format_partial,
    load_tagger,
    percent,
    positive_int,
)

NAME = "evaluate"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The ``evaluate`` subcommand's arguments."""
    evaluate = subparsers.add_parser(
        "evaluate", help="score a checkpoint on a split or CoNLL file",
        description="Run a checkpoint over a CoNLL++ split or any CoNLL file and print entity-level "
                    "precision, recall and F1 per type (conlleval semantics), token accuracy and error counts.",
    )
    evaluate.add_argument("model", help="run folder, checkpoint folder, run name, HF model folder or Hub id")
    evaluate.add_argument("data", nargs="?", default="validation",
                          help="train, validation (or dev), test, or a path to a CoNLL file (default: validation)")
    evaluate.add_argument("--data-dir", help="folder with conllpp_{train,dev,test}.txt (default: $NERLIB_DATA_DIR, cache, download)")
    evaluate.add_argument("--limit", type=positive_int, help="score only the first N sentences (N >= 1)")
    evaluate.add_argument("--predictions", help="write 'word gold predicted' CoNLL lines to this file")
    evaluate.add_argument("--errors", help="write one row per entity error to this CSV file")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON instead of a table")
    evaluate.add_argument("--seen-from", default="train",
                          help="training split or CoNLL file whose entities count as seen, for the seen/unseen "
                               "scores (default: train; 'none' to skip)")
    evaluate.add_argument("--partial", action="store_true",
                          help="add the partial-match scores (nervaluate's strict / exact / partial / ent_type "
                               "schemes; needs the compare extra)")
    _add_threshold_options(evaluate)
    add_model_options(evaluate, default_dtype="float32")  # scores equal the training script's


def confidence_threshold(text: str) -> float:
    """A confidence threshold: a number from 0 to 1 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a confidence from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:  # NaN too
        raise argparse.ArgumentTypeError(f"expected a confidence from 0 to 1, got {text!r}")
    return value


def _add_threshold_options(evaluate: argparse.ArgumentParser) -> None:
    group = evaluate.add_argument_group(
        "confidence threshold",
        "An entity's confidence is the tagger's score for it: the product of its words' scores, calibrated "
        "when python -m nerlib calibrate was run (docs/calibration.md).")
    group.add_argument("--threshold", type=confidence_threshold, metavar="T",
                       help="drop the predicted entities whose confidence is below T (0 to 1) before scoring; "
                            "--predictions, --errors and --partial follow")
    group.add_argument("--threshold-table", action="store_true",
                       help="also print precision, recall and F1 against the threshold (0, 0.05, ..., 1), per "
                            "type in --json ('threshold_table')")
    group.add_argument("--pr-curve", metavar="FILE",
                       help="write a precision-recall curve per entity type and overall to this CSV file "
                            "(type, threshold, precision, recall; a point per predicted entity)")


def format_threshold_table(table, source: str, sentences: int) -> str:
    """P/R/F1 against the threshold as ``evaluate --threshold-table`` prints it: a row per threshold
    with the entities kept, overall precision, recall and F1, and each type's F1 (percentages; n/a
    where undefined)."""
    types = [t for t in dict.fromkeys(table["type"]) if t != "ALL"]
    overall = table[table["type"] == "ALL"].reset_index(drop=True)
    f1 = {t: table[table["type"] == t]["f1"].to_numpy() for t in types}
    head = f"{'threshold':>9}{'kept':>7}{'P':>8}{'R':>8}{'F1':>8}" + "".join(f"{'F1 ' + t:>10}" for t in types)
    lines = [f"P/R/F1 against the confidence threshold ({source}, {sentences} sentences; an entity is kept when "
             "its confidence is at least the threshold)", head]
    for i, row in overall.iterrows():
        lines.append(f"{row.threshold:>9.2f}{int(row.kept):>7d}{percent(row.precision, 8)}{percent(row.recall, 8)}"
                     f"{percent(row.f1, 8)}" + "".join(percent(f1[t][i], 10) for t in types))
    return "\n".join(lines)


def format_table(result) -> str:
    """The per-type table ``evaluate`` prints (percentages, like conlleval).

    Parameters
    ----------
    result:
        An :class:`~nerlib.evaluation.scoring.EvaluationResult`.

    Returns
    -------
    str
        Precision, recall, F1 and support per type and overall (recall and F1 ``n/a`` where there
        is no gold entity: undefined), the seen/unseen rows when the metrics have them, then counts, token accuracy, error counts by kind, and the checkpoint,
        data and seconds; lines joined by newlines, no final newline.
    """
    metrics = result.metrics
    lines = [f"{'type':<8}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}"]
    for row in result.table().itertuples(index=False):
        if row.type == "ALL":
            lines.append("-" * len(lines[0]))
        recall, f1 = (row.recall, row.f1) if row.support else (math.nan, math.nan)  # no gold: undefined, not 0
        lines.append(f"{row.type:<8}{percent(row.precision, 10)}{percent(recall, 9)}{percent(f1, 8)}{row.support:>9d}")
    subsets = result.metrics.seen_unseen_table()
    if not subsets.empty:
        lines.append("")
        for row in subsets.itertuples(index=False):
            if row.entities != "all":
                recall, f1 = (row.recall, row.f1) if row.support else (math.nan, math.nan)
                lines.append(f"{row.entities:<8}{percent(row.precision, 10)}{percent(recall, 9)}"
                             f"{percent(f1, 8)}{row.support:>9d}   (entities {'seen' if row.entities == 'seen' else 'not seen'} in training)")
    counts = result.error_counts()
    lines += [
        "",
        f"sentences {metrics.sentences}, gold entities {metrics.support}, predicted {metrics.predicted}, "
        f"token accuracy {100 * metrics.token_accuracy:.2f}%",
        "errors: " + ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in counts.items()),
        f"checkpoint {result.checkpoint}; data {result.source}; {result.seconds:.1f} s",
    ]
    return "\n".join(lines)


def _json_records(frame) -> list[dict]:
    from nerlib.evaluation.comparison import _json_ready

    return _json_ready(frame.to_dict("records"))


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """``evaluate``: print the per-type table (or JSON) and write the optional files.

    With ``--threshold`` the entities whose confidence is below it are dropped before scoring
    (:func:`nerlib.evaluation.thresholds.apply_threshold`), and every output follows;
    ``--threshold-table`` and ``--pr-curve`` sweep the threshold over every predicted entity.
    Output paths, the device and the data are checked before the model loads. When ``--seen-from``
    names a training split that is not available, the seen/unseen scores are left out with a note
    on standard error.

    Parameters
    ----------
    args:
        The parsed ``evaluate`` arguments.
    stdout:
        Where the table (or, with ``--json``, the metrics and error counts as JSON) is printed.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    UsageError
        When an output file cannot be written, the device is not available, or the data holds no
        sentences.
    FileNotFoundError
        When the data is neither a split name nor a CoNLL file;
        :class:`nerlib.data.conllpp.DataNotFoundError` when the CoNLL++ split cannot be found.
    """
    from nerlib.data.conllpp import DataNotFoundError
    from nerlib.evaluation.scoring import evaluate_sentences, load_sentences, training_entities

    check_output(args.predictions, "--predictions")  # bad outputs, devices and data fail before the model loads
    check_output(args.errors, "--errors")
    check_output(args.pr_curve, "--pr-curve")
    check_device(args.device)
    sentences, source = load_sentences(args.data, args.data_dir)
    if not sentences:
        raise UsageError(f"{source}: nothing to score: no sentences (the file is empty or holds only "
                         "-DOCSTART- lines)")
    if args.limit is not None:
        sentences = sentences[: args.limit]
    seen = None
    if args.seen_from.lower() != "none":
        try:
            seen = training_entities(args.seen_from, args.data_dir)
        except DataNotFoundError:  # no CoNLL++ here: scores without the seen/unseen split
            print("note: no training split found; seen/unseen scores left out (--seen-from FILE)", file=sys.stderr)
    tagger = load_tagger(args)
    result = evaluate_sentences(tagger, sentences, batch_size=args.batch_size, source=source,
                                checkpoint=str(tagger.path), seen=seen)
    table, before = None, result.metrics.predicted
    if args.threshold_table or args.pr_curve:  # over every predicted entity, before any threshold
        from nerlib.evaluation import thresholds

        confidences = thresholds.entity_confidences(result)
        if args.threshold_table:
            table = thresholds.threshold_table(confidences)
        if args.pr_curve:
            thresholds.precision_recall_curves(confidences).to_csv(args.pr_curve, index=False)
    if args.threshold is not None:
        from nerlib.evaluation.thresholds import apply_threshold

        result = apply_threshold(result, args.threshold)
    if args.predictions:
        result.write_predictions(args.predictions)
    if args.errors:
        result.errors.to_csv(args.errors, index=False)
    partial = None
    if args.partial:
        from nerlib.evaluation.partial import partial_match

        partial = partial_match(result.gold, result.predicted)
    if args.json:
        payload = {"checkpoint": result.checkpoint, "data": result.source, "metrics": result.metrics.to_dict(),
                   "errors": {k: int(v) for k, v in result.error_counts().items()}}
        if partial is not None:
            payload["partial"] = _json_records(partial)
        if args.threshold is not None:
            payload["threshold"] = {"threshold": args.threshold, "dropped": result.dropped,
                                    "predicted_before": before, "temperature": tagger.temperature}
        if table is not None:
            payload["threshold_table"] = _json_records(table)
        stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        stdout.write(format_table(result) + "\n")
        if args.threshold is not None:
            calibrated = (f"scores calibrated at temperature {tagger.temperature:.3f}" if tagger.temperature != 1.0
                          else "scores not calibrated: python -m nerlib calibrate")
            stdout.write(f"threshold {args.threshold:.2f}: {result.dropped} of {before} predicted entities had a "
                         f"confidence below it and were dropped before scoring ({calibrated})\n")
        if partial is not None:
            stdout.write("\n" + format_partial(partial) + "\n")
        if table is not None:
            stdout.write("\n" + format_threshold_table(table, result.source, result.metrics.sentences) + "\n")
    return 0
