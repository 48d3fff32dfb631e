"""Command line: ``python -m nerlib`` and its subcommands (``tag``, ``evaluate``, ``compare``, ...; ``--help`` lists them).

Examples::

    python -m nerlib tag -m runs/minilm "Angela Merkel visited Paris."
    cat articles.txt | python -m nerlib tag -m runs/minilm          # one text per line
    python -m nerlib tag -m runs/minilm --file story.txt --whole-file --words
    python -m nerlib evaluate runs/minilm test --predictions test.conll --errors errors.csv
    python -m nerlib push runs/minilm my-name/conllpp-minilm    # best checkpoint + model card to the Hub
    python -m nerlib calibrate runs/minilm                       # temperature scaling, ECE before/after
    python -m nerlib export-onnx runs/minilm --int8             # runs/minilm/onnx for onnxruntime
    python -m nerlib compare runs/minilm-seed1 runs/minilm-seed2 test   # difference, 95% CI, p-value
    python -m nerlib serve runs/minilm --port 8000             # HTTP: POST /tag, /ready, /docs
    python -m nerlib localize runs/minilm test.conll --to IN --output test.in.conll  # entity-switched copy

``tag`` writes one JSON object per input text (JSON lines, in input order):
``{"text": ..., "entities": [{"text", "label", "start", "end", "score"}]}`` with character offsets
(Unicode code points, end exclusive) into that text. ``evaluate`` prints a per-type table.

Each subcommand is one module of `nerlib.commands` (its parser and its front end); this module
keeps the table of commands, in the order ``--help`` lists them, and the one place where errors
become an ``error:`` line and an exit code. The work itself lives in `nerlib.tagging`,
`nerlib.evaluation`, `nerlib.quality`, `nerlib.localizer`, `nerlib.serving` and `nerlib.runs`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from nerlib import old_paths
from nerlib.commands import (
    calibrate,
    compare,
    evaluate,
    export_onnx,
    label_issues,
    localize,
    push,
    serve,
    tag,
)

# The names that moved to nerlib.commands still import from here, with a DeprecationWarning (old_paths.MOVED).
__getattr__, __dir__ = old_paths.package_exports(__name__, {})

# The subcommands, in the order ``--help`` lists them.
COMMANDS = (tag, evaluate, push, label_issues, compare, serve, localize, export_onnx, calibrate)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m nerlib``: the top-level options and one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="python -m nerlib",
        description="NER workbench: tag text with a trained checkpoint, or evaluate one on CoNLL data.",
    )
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback under an error line (also NERLIB_DEBUG=1); anywhere on the "
                             "command line")
    subparsers = parser.add_subparsers(dest="command", required=True,
                                       metavar="{" + ",".join(module.NAME for module in COMMANDS) + "}")
    for module in COMMANDS:
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Entry point of ``python -m nerlib`` (and the ``nerlib`` console script).

    Runs inside the one error boundary (:func:`nerlib.errors.run_command`): every failure (a
    missing checkpoint or file, a malformed or undecodable input line, a bad value, a failed upload,
    an OS error, a bug) prints one ``error: ...`` line on standard error naming the file (and line)
    where known, instead of a traceback (``--debug`` or ``NERLIB_DEBUG=1`` adds it); a closed pipe
    (``... | head``) is not an error. Bad options exit 2 with argparse's usage message.

    Parameters
    ----------
    argv:
        The arguments, without the program name; None reads ``sys.argv``.
    stdin, stdout:
        The streams to read texts from and print to; None means ``sys.stdin`` / ``sys.stdout``.

    Returns
    -------
    int
        The exit code: 0 on success, 1 after an error it reported.
    """
    from nerlib.errors import run_command

    def work(arguments: list[str]) -> int:
        args = build_parser().parse_args(arguments)
        command = next(module for module in COMMANDS if module.NAME == args.command)
        return command.run(args, stdin or sys.stdin, stdout or sys.stdout)

    return run_command(work, argv)
