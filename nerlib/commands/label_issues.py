"""``python -m nerlib label-issues``: rank a dataset's sentences by how likely their labels are wrong (`nerlib.quality`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from nerlib.commands.common import check_device, check_output, positive_int, quiet_transformers

NAME = "label-issues"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The ``label-issues`` subcommand's arguments."""
    issues = subparsers.add_parser(
        "label-issues", help="find the likely label errors of a split or CoNLL file (cleanlab)",
        description="Score every label of a CoNLL++ split or CoNLL file against the run's out-of-sample class "
                    "distributions (cleanlab token_classification) and write one JSON line per sentence, most "
                    'likely wrong first: {"sentence", "quality", "tokens", "given", "suggested", "flagged", '
                    '"entities", ...}. Data the run was trained on is scored by K-fold cross-training (each fold '
                    "trains the run's recipe on the other parts; resumable), other data in one pass. The result "
                    "is also saved in RUN/quality/ for the dashboard's Data quality page (docs/quality.md).",
    )
    issues.add_argument("model", metavar="RUN", help="a training run folder (or, for one pass, any checkpoint)")
    issues.add_argument("data", metavar="FILE_OR_SPLIT", help="train, validation (or dev), test, or a CoNLL file")
    issues.add_argument("--folds", type=positive_int, default=None,
                        help="K-fold cross-training with K folds (default: 5 for the run's training data, "
                             "one pass for anything else)")
    issues.add_argument("-o", "--output", help="write the JSON lines to this file (default: standard output)")
    issues.add_argument("--top", type=positive_int, default=None,
                        help="print a readable table of the N most likely wrong sentences instead of JSON lines")
    issues.add_argument("--data-dir", help="folder with conllpp_{train,dev,test}.txt (default: $NERLIB_DATA_DIR, cache)")
    issues.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: cuda if available)")
    issues.add_argument("--batch-size", type=positive_int, default=None, help="windows per forward pass")
    issues.add_argument("--no-save", action="store_true",
                        help="do not save the result in RUN/quality/ (the Data quality page reads it there)")


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """``label-issues``: write the ranked sentences (or, with ``--top``, a table).

    Parameters
    ----------
    args:
        The parsed ``label-issues`` arguments.
    stdout:
        Where the JSON lines (without ``--output``) or the table go.

    Returns
    -------
    int
        The exit code, 0 (also for an empty file: no issues).

    Raises
    ------
    UsageError
        When ``--output`` cannot be written or the device is not available.
    nerlib.quality.scores.UnknownLabelsError
        For labels outside the model's label set.
    """
    from nerlib.quality.issues import detect_label_issues, format_issue_table, save_report, write_issues

    check_output(args.output, "--output")
    check_device(args.device)
    quiet_transformers()
    report = detect_label_issues(args.model, args.data, data_dir=args.data_dir, folds=args.folds,
                                 device=args.device, batch_size=args.batch_size)
    if (Path(args.model) / "run.json").is_file() and not args.no_save and report.issues:
        print(f"saved for the Data quality page: {save_report(report, args.model)}", file=sys.stderr)
    if args.output and args.output != "-":
        write_issues(report.issues, args.output)
    if args.top:
        stdout.write(format_issue_table(report, args.top) + "\n")
    elif not args.output or args.output == "-":
        for issue in report.issues:
            stdout.write(json.dumps(issue.to_dict(), ensure_ascii=False) + "\n")
    print(f"{report.source}: {len(report.issues)} sentences, {len(report.flagged)} with flagged words "
          f"({report.method}, {report.seconds:.1f} s)", file=sys.stderr)
    return 0
