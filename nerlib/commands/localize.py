"""``python -m nerlib localize``: a CoNLL file's entities rewritten into another country's context (`nerlib.localizer`)."""

from __future__ import annotations

import argparse
from typing import TextIO

from nerlib.commands.common import UsageError, check_output

NAME = "localize"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The ``localize`` subcommand's arguments."""
    localize = subparsers.add_parser(
        "localize", help="rewrite a CoNLL file's entities into another country's context (training data)",
        description="Rewrite the people, places, organisations and MISC of a CoNLL file from one country's "
                    "context to another's (nerlib.localizer) and write CoNLL with the new words and re-projected "
                    "IOB2 tags; untouched token lines are copied byte for byte. The file's own (gold) tags say "
                    "where the entities are: nothing is tagged again. RUN, when given, is a run or model folder "
                    "whose label set the tags must stay in (a tag of another type is an error with its line); "
                    "without it the CoNLL types PER, LOC, ORG and MISC are allowed.",
    )
    localize.add_argument("paths", nargs="+", metavar="[RUN] FILE", help="optional run or model folder, then the CoNLL file")
    localize.add_argument("--to", required=True, dest="target", help="target country (IN, India, JP, Brazil, ...)")
    localize.add_argument("--from", default="USA", dest="source",
                          help="source country or region (USA, UK, West, ...; default USA)")
    localize.add_argument("--output", "-o", required=True, help="the CoNLL file to write")
    localize.add_argument("--seed", type=int, default=0, help="which of the near-best names are chosen (default 0)")
    localize.add_argument("--report", help="write one row per entity (line, type, original, replacement, "
                                           "changed, reason) to this TSV file")
    localize.add_argument("--vectors", help="word vectors (default: $NERLIB_VECTORS or the offline GloVe)")


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """``localize``: write the localized CoNLL file and print one summary line.

    Parameters
    ----------
    args:
        The parsed ``localize`` arguments.
    stdout:
        Where the summary line goes.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    UsageError
        For more than two paths, an output that cannot be written, or a Hub id as RUN.
    nerlib.localizer.UnsupportedCountryError
        For an unsupported country (the message lists the supported ones).
    nerlib.data.conll.ConllFormatError
        With file and line, for a malformed line or a tag outside the run's label set.
    """
    import csv

    from nerlib.data.labels import split_tag
    from nerlib.localizer import Localizer, resolve_country
    from nerlib.localizer.conll import localize_conll
    from nerlib.localizer.places import resolve_source
    from nerlib.localizer.vectors import load_vectors
    from nerlib.runs.checkpoints import read_label_map, resolve_checkpoint_dir

    if len(args.paths) > 2:
        raise UsageError(f"localize takes [RUN] FILE, got {len(args.paths)} paths")
    check_output(args.output, "--output")
    check_output(args.report, "--report")
    resolve_source(args.source)  # unsupported countries fail before the vectors load
    resolve_country(args.target)
    types = None
    if len(args.paths) == 2:
        folder = resolve_checkpoint_dir(args.paths[0])
        if folder is None:
            raise UsageError(f"{args.paths[0]}: RUN must be a local run or model folder (its label set is read)")
        types = {split_tag(label)[1] for label in read_label_map(folder).values()} - {""}
    localizer = Localizer(load_vectors(args.vectors), args.source, args.target, seed=args.seed, prototypes=None)
    result = localize_conll(localizer, args.paths[-1], args.output, types)
    if args.report:
        with open(args.report, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, ["line", "type", "original", "replacement", "changed", "reason"],
                                    delimiter="\t")
            writer.writeheader()
            writer.writerows(result.rows)
    kept = result.entities - result.changed
    stdout.write(f"{args.output}: {result.changed} of {result.entities} entities replaced ({kept} kept"
                 f"{', listed in ' + args.report if args.report else '; --report lists them'}), "
                 f"{result.sentences} sentences in {result.documents} documents, {localizer.source} -> "
                 f"{localizer.target}, seed {args.seed}\n")
    return 0
