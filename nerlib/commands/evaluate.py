"""``python -m nerlib evaluate``: score a checkpoint on a split or CoNLL file (`nerlib.evaluation`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from nerlib.commands.common import (
    UsageError,
    add_model_options,
    check_device,
    check_output,
    format_partial,
    load_tagger,
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
    add_model_options(evaluate, default_dtype="float32")  # scores equal the training script's


def format_table(result) -> str:
    """The per-type table ``evaluate`` prints (percentages, like conlleval).

    Parameters
    ----------
    result:
        An :class:`~nerlib.evaluation.scoring.EvaluationResult`.

    Returns
    -------
    str
        Precision, recall, F1 and support per type and overall, the seen/unseen rows when the
        metrics have them, then counts, token accuracy, error counts by kind, and the checkpoint,
        data and seconds; lines joined by newlines, no final newline.
    """
    metrics = result.metrics
    lines = [f"{'type':<8}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}"]
    for row in result.table().itertuples(index=False):
        if row.type == "ALL":
            lines.append("-" * len(lines[0]))
        lines.append(f"{row.type:<8}{100 * row.precision:>10.2f}{100 * row.recall:>9.2f}{100 * row.f1:>8.2f}{row.support:>9d}")
    subsets = result.metrics.seen_unseen_table()
    if not subsets.empty:
        lines.append("")
        for row in subsets.itertuples(index=False):
            if row.entities != "all":
                lines.append(f"{row.entities:<8}{100 * row.precision:>10.2f}{100 * row.recall:>9.2f}"
                             f"{100 * row.f1:>8.2f}{row.support:>9d}   (entities {'seen' if row.entities == 'seen' else 'not seen'} in training)")
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
        stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        stdout.write(format_table(result) + "\n")
        if partial is not None:
            stdout.write("\n" + format_partial(partial) + "\n")
    return 0
