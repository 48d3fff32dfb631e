"""Benchmark: entity-switched robustness -- a checkpoint's F1 on the test split localized into other countries.

The CoNLL++ test split (its first ``--sentences`` sentences) is rewritten by the localizer
(`nerlib.localizer.conll.localize_lines`, the file's gold entities, nothing tagged again) from
``--from`` into each country of ``--to``, and the checkpoint is scored on the original and on each
copy with the same code as ``python -m nerlib evaluate``: entity F1 per type and overall. A drop
against the original says how much the model leans on the names it saw in training (Agarwal et
al. 2020, entity-switched datasets; CheckList's change-names / change-location tests). The
localized copies are written to ``--keep DIR`` when asked.

Run: ``python bench/localized_eval.py RUN [--sentences 500] [--to IN,JP,BR,DE,FR,MX] [--json out.json]``
(offline GloVe; ``RUN``: a run folder, checkpoint folder or run name).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from nerlib.data.conll import DOCSTART, read_conll_file
from nerlib.data.conllpp import find_conllpp_dir
from nerlib.evaluation.scoring import evaluate_sentences
from nerlib.localizer import Localizer, resolve_country
from nerlib.localizer.conll import localize_lines
from nerlib.localizer.tables import ROBUSTNESS_FILE
from nerlib.localizer.vectors import load_vectors
from nerlib.tagging.tagger import Tagger

TYPES = ("PER", "LOC", "ORG", "MISC")


def first_sentences_lines(path: Path, sentences: int) -> list[str]:
    """The file's lines up to the end of its `sentences`-th sentence."""
    lines, seen, inside = [], 0, False
    for line in path.read_text(encoding="utf8").splitlines():
        lines.append(line)
        if line.strip() and not line.startswith(DOCSTART):
            inside = True
        elif inside and not line.strip():
            seen, inside = seen + 1, False
            if seen >= sentences:
                break
    return lines


def scores(tagger, path: Path) -> dict[str, float]:
    result = evaluate_sentences(tagger, read_conll_file(path).sentences)
    metrics = result.metrics
    row = {"ALL": metrics.f1, "sentences": metrics.sentences, "entities": metrics.support}
    row.update({t: metrics.per_type[t].f1 for t in TYPES if t in metrics.per_type})
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", help="run folder, checkpoint folder or run name")
    parser.add_argument("--sentences", type=int, default=500, help="first N test sentences (default 500)")
    parser.add_argument("--to", default="IN,JP,BR,DE,FR,MX", help="target countries, comma-separated")
    parser.add_argument("--from", dest="source", default="USA", help="source country or region (default USA)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--keep", help="folder to keep the localized copies in")
    parser.add_argument("--json", help="write the table as JSON here (default: the run folder's "
                                       "localized_eval.json, which the Localizer page draws as a heatmap)")
    args = parser.parse_args()

    folder = Path(args.keep) if args.keep else Path("/tmp/localized_eval")
    folder.mkdir(parents=True, exist_ok=True)
    split = {"validation": "dev", "dev": "dev", "test": "test", "train": "train"}[args.split]
    lines = first_sentences_lines(find_conllpp_dir(download=False) / f"conllpp_{split}.txt", args.sentences)
    original = folder / "original.conll"
    original.write_text("".join(line + "\n" for line in lines), encoding="utf8")
    tagger = Tagger.from_pretrained(args.run)
    vectors = load_vectors()
    table = {"original": scores(tagger, original)}
    print(f"checkpoint {tagger.path}; {args.split} split, first {table['original']['sentences']} sentences, "
          f"{table['original']['entities']} entities; localized from {args.source} (gold entities, not re-tagged)")
    for code in args.to.split(","):
        country = resolve_country(code.strip())
        started = time.perf_counter()
        localizer = Localizer(vectors, args.source, country.name, prototypes=None)
        localized = localize_lines(localizer, lines)
        path = folder / f"{country.key}.conll"
        path.write_text("".join(line + "\n" for line in localized.lines), encoding="utf8")
        row = scores(tagger, path)
        row["replaced"] = localized.changed
        row["seconds"] = time.perf_counter() - started
        table[country.name] = row
    print(f"\n{'data':10s} {'replaced':>9s} " + " ".join(f"{t:>6s}" for t in (*TYPES, "ALL")) + "   (entity F1; "
          "delta against the original)")
    base = table["original"]
    for name, row in table.items():
        cells = []
        for t in (*TYPES, "ALL"):
            value = row.get(t)
            cells.append("     -" if value is None else f"{100 * value:6.1f}" if name == "original"
                         else f"{100 * (value - base.get(t, 0.0)):+6.1f}")
        print(f"{name:10s} {str(row.get('replaced', '')):>9s} " + " ".join(cells))
    target = Path(args.json) if args.json else (Path(args.run) / ROBUSTNESS_FILE
                                                if (Path(args.run) / "run.json").is_file() else None)
    if target is not None:
        target.write_text(json.dumps(table, indent=2), encoding="utf8")
        print(f"table written to {target}")


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
