"""Training data with entity-switched copies mixed in: the CoNLL++ train split, then one localized copy of each document.

Every document of the train split is localized (`nerlib.localizer.conll.localize_file`, the code of
``python -m nerlib localize``: the file's gold entities, nothing tagged again) from ``--from`` into
each country of ``--to``; the output's ``train.txt`` holds the original documents, then document i
of the copy for country ``i mod k`` (`nerlib.localizer.conll.mixed_documents`), so the training data
doubles and every country gets about a k-th of the copies (Agarwal et al. 2020, entity-switched
datasets). ``dev.txt`` and ``test.txt`` are links to the original splits (``--copy``: copies), so
the model is still measured on the original data; ``bench/localized_eval.py`` measures it on
localized test copies.

Run::

    python bench/localized_train.py --to IN,BR,DE --from West --seed 0 --output /tmp/mixdata
    python -m training.train --preset minilm-cpu --data-dir /tmp/mixdata --output-dir runs/mix

(the folder is read as a folder of CoNLL files named train/dev/test: `nerlib.data.conllpp.load_conll`).
"""

from __future__ import annotations

import argparse
import bisect
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

from nerlib.data.conllpp import find_conllpp_dir
from nerlib.data.lines import open_regular, read_lines
from nerlib.errors import check_usable_path
from nerlib.localizer import Localizer, resolve_country
from nerlib.localizer.conll import documents_of, localize_file, mixed_documents
from nerlib.localizer.places import resolve_source
from nerlib.localizer.vectors import load_vectors

SPLITS = {"train": "conllpp_train.txt", "dev": "conllpp_dev.txt", "test": "conllpp_test.txt"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--to", required=True, help="target countries, comma-separated (IN,BR,DE)")
    parser.add_argument("--from", dest="source", default="USA", help="source country or region (default USA; West)")
    parser.add_argument("--seed", type=int, default=0, help="which of the near-best names are chosen (default 0)")
    parser.add_argument("--output", required=True, help="the folder to write train.txt, dev.txt, test.txt into")
    parser.add_argument("--data-dir", help="the CoNLL++ folder (default: $NERLIB_DATA_DIR or the cache)")
    parser.add_argument("--vectors", help="word vectors (default: $NERLIB_VECTORS or the offline GloVe)")
    parser.add_argument("--copy", action="store_true", help="copy dev and test instead of linking them")
    parser.add_argument("--max-documents", type=int, help="only the train split's first N documents (a quick check)")
    args = parser.parse_args()

    output = check_usable_path(args.output)
    codes = [code.strip() for code in args.to.split(",") if code.strip()]
    if not codes:
        raise SystemExit("error: --to names no country (e.g. --to IN,BR,DE)")
    resolve_source(args.source)  # unsupported countries fail before the vectors load
    countries = [resolve_country(code) for code in codes]
    if len({country.key for country in countries}) != len(countries):
        raise SystemExit(f"error: --to names a country twice: {args.to}")
    if args.max_documents is not None and args.max_documents < 1:
        raise SystemExit(f"error: --max-documents must be at least 1, got {args.max_documents}")
    data = find_conllpp_dir(args.data_dir, download=False)
    train = data / SPLITS["train"]
    with open_regular(train) as handle:
        original = [text for _, text in read_lines(handle, train, skip_bom=True)]
    scratch = tempfile.TemporaryDirectory(prefix="localized_train_")
    if args.max_documents:  # the first N documents, localized as a file of their own
        original = [line for document in documents_of(original)[: args.max_documents] for line in document]
        train = Path(scratch.name) / f"first_{args.max_documents}_documents.txt"
        train.write_text("".join(line + "\n" for line in original), encoding="utf-8")
    if output.exists() and not output.is_dir():
        raise SystemExit(f"error: --output {output} exists and is not a folder")
    if output.resolve() == data.resolve():
        raise SystemExit(f"error: --output {output} is the CoNLL++ folder itself")

    vectors = load_vectors(args.vectors)
    copies, rows = [], []
    for country in countries:
        started = time.perf_counter()
        # One localizer per country over the whole file, as `nerlib localize` does (its choices
        # spread over the pools across documents; the same seed gives the same file).
        localizer = Localizer(vectors, args.source, country.name, seed=args.seed, prototypes=None)
        localized = localize_file(localizer, train)
        copies.append(localized.lines)
        rows.append((country, localized, time.perf_counter() - started))
    mixed = mixed_documents(original, copies)
    scratch.cleanup()

    output.mkdir(parents=True, exist_ok=True)
    (output / "train.txt").write_text("".join(line + "\n" for line in mixed), encoding="utf-8")
    for split in ("dev", "test"):
        target, source = output / f"{split}.txt", (data / SPLITS[split]).resolve()
        if target.is_symlink() or target.exists():
            target.unlink()
        if args.copy:
            shutil.copyfile(source, target)
        else:
            target.symlink_to(source)

    documents = sum(1 for line in original if line.startswith("-DOCSTART-"))
    print(f"{output / 'train.txt'}: {len(original)} original lines ({documents} documents of {data / SPLITS['train']}"
          f"{'' if not args.max_documents else ', the first ' + str(args.max_documents)}) + one "
          f"localized copy of each document (document i into country i mod {len(countries)}), "
          f"{localizer.source} -> {', '.join(c.name for c in countries)}, seed {args.seed}")
    print(f"{'country':10s} {'documents':>9s} {'entities':>8s} {'replaced':>8s} "
          + " ".join(f"{t:>6s}" for t in ("PER", "LOC", "ORG", "MISC")) + "  seconds  (entities of the mixed-in copy)")
    for number, (country, localized, seconds) in enumerate(rows):
        chosen = _mixed_rows(localized, original, number, len(countries))
        types = Counter(row["type"] for row in chosen)
        print(f"{country.name:10s} {len(range(number, documents, len(countries))):9d} {len(chosen):8d} "
              f"{sum(row['changed'] for row in chosen):8d} "
              + " ".join(f"{types.get(t, 0):6d}" for t in ("PER", "LOC", "ORG", "MISC")) + f"  {seconds:7.1f}")
    print(f"{output}: dev.txt and test.txt {'copied' if args.copy else 'linked'} from {data}; train with "
          f"python -m training.train --data-dir {output}")


def _mixed_rows(localized, original: list[str], number: int, countries: int) -> list[dict]:
    """The entity rows of copy `number`'s documents that were mixed in (document i with i mod k == number)."""
    starts = [index + 1 for index, line in enumerate(original) if line.startswith("-DOCSTART-")]  # 1-based lines
    # a row's document: how many -DOCSTART- lines come before its (input) line, less one
    return [row for row in localized.rows if (bisect.bisect_right(starts, row["line"]) - 1) % countries == number]

if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
