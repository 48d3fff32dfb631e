"""``python -m nerlib calibrate``: temperature scaling stored with the checkpoint (`nerlib.evaluation.calibration`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from nerlib.commands.common import UsageError, check_device, positive_int, quiet_transformers

NAME = "calibrate"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The ``calibrate`` subcommand's arguments."""
    calibrate = subparsers.add_parser(
        "calibrate", help="fit a temperature so that scores mean what they say; store it with the checkpoint",
        description="Fit one temperature on the validation split (minimising the negative log-likelihood of "
                    "the gold labels), print the expected calibration error (15 bins, word and entity level) "
                    "and NLL before and after on that split and the test split, and write calibration.json "
                    "into the checkpoint folder: every score a Tagger of that checkpoint gives afterwards "
                    "uses it (labels never change). See docs/calibration.md.",
    )
    calibrate.add_argument("run", help="a training run folder (its best checkpoint), a checkpoint folder or a run name")
    calibrate.add_argument("--split", default="validation",
                           help="split or CoNLL file to fit on (default: validation; 'dev' works too)")
    calibrate.add_argument("--test", default="test",
                           help="split or CoNLL file also scored before and after (default: test; 'none' to skip)")
    calibrate.add_argument("--data-dir", help="folder with conllpp_{train,dev,test}.txt")
    calibrate.add_argument("--limit", type=positive_int, help="use only the first N sentences of each split")
    calibrate.add_argument("--batch-size", type=positive_int, default=64, help="windows per forward pass")
    calibrate.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: cuda if available)")
    calibrate.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """``calibrate``: fit, print the before/after table (or JSON), write calibration.json.

    Raises
    ------
    UsageError
        For a Hub id (calibration.json goes into a local checkpoint folder) or an unknown device.
    """
    from nerlib.evaluation.calibration import calibrate_checkpoint
    from nerlib.runs.checkpoints import resolve_checkpoint_dir

    check_device(args.device)
    if resolve_checkpoint_dir(args.run) is None:
        raise UsageError(f"{args.run!r} is no local run or checkpoint folder; calibrate writes calibration.json "
                         "into one (download a Hub model with save_pretrained first)")
    quiet_transformers()
    report = calibrate_checkpoint(args.run, args.split, None if args.test.lower() == "none" else args.test,
                                  data_dir=args.data_dir, batch_size=args.batch_size, device=args.device,
                                  limit=args.limit, progress=lambda line: print(line, file=sys.stderr))
    if args.json:
        stdout.write(json.dumps({"checkpoint": report.checkpoint, "temperature": report.temperature,
                                 "split": report.split, "before": report.before, "after": report.after,
                                 "file": str(report.path)}, indent=2) + "\n")
        return 0
    lines = [f"temperature {report.temperature:.4f}, fitted on {report.split} ({report.before[0]['sentences']} "
             f"sentences, {report.before[0]['words']} words)",
             f"{'split':<12}{'state':<8}{'sentences':>10}{'words':>8}{'entities':>9}{'word ECE':>10}"
             f"{'entity ECE':>11}{'NLL':>8}"]
    for row in report.table().itertuples(index=False):
        entity_ece = "-" if row.entity_ece is None or row.entity_ece != row.entity_ece else f"{row.entity_ece:.4f}"
        lines.append(f"{row.split:<12}{row.state:<8}{row.sentences:>10}{row.words:>8}{row.entities:>9}"
                     f"{row.word_ece:>10.4f}{entity_ece:>11}{row.nll:>8.4f}")
    lines.append(f"wrote {report.path}")
    stdout.write("\n".join(lines) + "\n")
    return 0
