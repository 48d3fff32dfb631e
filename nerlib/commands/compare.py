"""``python -m nerlib compare``: two runs side by side, with interval and p-value (`nerlib.evaluation.comparison`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from nerlib.commands.common import check_device, format_partial, percent, positive_int, quiet_transformers

NAME = "compare"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The ``compare`` subcommand's arguments."""
    compare = subparsers.add_parser(
        "compare", help="compare two runs: F1 difference, 95%% interval, p-value, sentence diff",
        description="Score two training runs on the same sentences: P/R/F1 per type of each, the F1 "
                    "difference (B - A) with a 95%% paired-bootstrap interval (whole documents resampled "
                    "when the file has -DOCSTART- lines) and an approximate-randomization p-value, the "
                    "seed spread of runs that differ only in the seed, the sentences only one run gets "
                    "right, and nervaluate's partial-match scores. A finished run is compared at its best "
                    "checkpoint, an unfinished one at its last complete checkpoint.",
    )
    compare.add_argument("run_a", metavar="RUN_A", help="a training run folder or a run name in $NERLIB_RUNS_DIR")
    compare.add_argument("run_b", metavar="RUN_B", help="the other run")
    compare.add_argument("data", nargs="?", default="test",
                         help="train, validation (or dev), test, or a path to a CoNLL file (default: test)")
    compare.add_argument("--data-dir", help="folder with conllpp_{train,dev,test}.txt")
    compare.add_argument("--resamples", type=positive_int, default=1000,
                         help="bootstrap resamples and randomization rounds (default 1000)")
    compare.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    compare.add_argument("--limit", type=positive_int, help="compare on the first N sentences only")
    compare.add_argument("--json", action="store_true", help="print everything as JSON (for scripts)")
    compare.add_argument("--sentences", type=int, default=5, metavar="N",
                         help="list N sentences of each diff category (default 5; 0: none)")
    compare.add_argument("--recompute", action="store_true",
                         help="tag with both checkpoints even when a run folder saved predictions of these sentences")
    compare.add_argument("--batch-size", type=positive_int, default=None, help="windows per forward pass")
    compare.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: cuda if available)")


def _category(name: str) -> str:
    """``only_a_right`` -> ``only A right``."""
    return " ".join(part.upper() if part in ("a", "b") else part for part in name.split("_"))


def format_comparison(comparison, sentences: int = 5) -> str:
    """The report ``compare`` prints: the two runs, the score table with the difference, its 95%
    interval, p-value and seed spread, the sentence diff counts and examples, the partial-match
    table and notes (percentages; n/a where undefined)."""
    from nerlib.evaluation.comparison import DIFF_CATEGORIES

    c = comparison
    how = lambda reused: "predictions saved by training" if reused else "tagged now"  # noqa: E731
    lines = [f"A: {c.run_a} ({how(c.reused_a)})", f"B: {c.run_b} ({how(c.reused_b)})",
             f"data: {c.source}, {c.sentences} sentences; {c.resamples} bootstrap resamples and randomization "
             f"rounds over {c.units} {c.unit_kind}, seed {c.seed}", ""]
    head = (f"{'type':<6}{'support':>8}{'P A':>7}{'R A':>7}{'F1 A':>7}{'P B':>7}{'R B':>7}{'F1 B':>7}"
            f"{'B-A':>8}  {'95% CI':<17}{'p':>7}  seed sd A/B")
    lines.append(head)
    for row in c.scores.itertuples(index=False):
        if row.type == "ALL":
            lines.append("-" * len(head))
        interval = f"[{percent(row.ci_low, 0, True)}, {percent(row.ci_high, 0, True)}]" \
            if row.ci_low == row.ci_low else "n/a"
        p_value = f"{row.p_value:>7.3f}" if row.p_value == row.p_value else f"{'n/a':>7}"
        lines.append(f"{row.type:<6}{row.support:>8d}{percent(row.precision_a)}{percent(row.recall_a)}{percent(row.f1_a)}"
                     f"{percent(row.precision_b)}{percent(row.recall_b)}{percent(row.f1_b)}{percent(row.difference, 8, True)}"
                     f"  {interval:<17}{p_value}  {percent(row.seed_sd_a, 0).strip()}/{percent(row.seed_sd_b, 0).strip()}")
    lines.append("(percent; B-A = F1(B) - F1(A); seed sd: standard deviation of the recorded test F1 over the runs "
                 "differing only in the seed: "
                 f"A {len(c.spread_runs_a)} run(s), B {len(c.spread_runs_b)} run(s))")
    counts = c.diff_counts()
    lines += ["", "sentences: " + ", ".join(f"{_category(k)} {n}" for k, n in counts.items())]
    for category in DIFF_CATEGORIES[:3]:
        rows = c.diff[c.diff.category == category].head(max(sentences, 0))
        for row in rows.itertuples(index=False):
            shown = lambda spans: ", ".join(f"{s['text']}/{s['label']}" for s in spans) or "-"  # noqa: E731
            lines.append(f"  {_category(category)} #{row.sentence} (line {row.line}): {row.text[:100]}")
            lines.append(f"    gold {shown(row.gold)} | A {shown(row.a)} | B {shown(row.b)}")
    if not c.partial.empty:
        lines += ["", format_partial(c.partial)]
    lines += [f"note: {note}" for note in c.notes]
    return "\n".join(lines)


def run(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    """``compare``: score two runs on the same sentences and print the report (or JSON).

    Parameters
    ----------
    args:
        The parsed ``compare`` arguments.
    stdout:
        Where the report goes.

    Returns
    -------
    int
        The exit code, 0.

    Raises
    ------
    nerlib.evaluation.comparison.CompareError
        For a folder that is no run, a run without a checkpoint, or runs with different label sets.
    UsageError
        When the device is not available or the data holds no sentences.
    """
    from nerlib.evaluation.comparison import compare_runs

    check_device(args.device)
    quiet_transformers()
    comparison = compare_runs(args.run_a, args.run_b, args.data, data_dir=args.data_dir, resamples=args.resamples,
                              seed=args.seed, batch_size=args.batch_size, device=args.device,
                              reuse=not args.recompute, limit=args.limit)
    for note in comparison.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        stdout.write(json.dumps(comparison.to_dict(), indent=2) + "\n")
    else:
        stdout.write(format_comparison(comparison, args.sentences) + "\n")
    return 0
