"""Mutation score of the core modules, with mutmut.

mutmut (configured in ``[tool.mutmut]`` of pyproject.toml) copies ``nerlib/`` and ``training/`` into
``mutants/``, makes small changes ("mutants": ``<`` for ``<=``, ``and`` for ``or``, a constant
changed, an argument dropped, ...) to each function of the core modules, and runs, for each mutant,
only the selected fast tests that call the mutated function (found in one plain run first). A
mutant a test fails on is *killed*; one every test passes on *survived*; one no selected test
calls has *no tests*; one that runs past its time limit is a *timeout* (counted as killed, as
mutmut does: the tests did not pass).

The core modules are mutated whole; three files are mutated only in the named functions (the rest
of them is plumbing with its own integration tests): ``nerlib/runs/folder.py`` (best-checkpoint
selection and the run-record readers), ``training/train.py`` (``update_best``) and
``nerlib/modeling/batching.py`` (how batches are cut: ``cheapest_batches``,
``token_budget_batches``).

Printed: one row per module, killed / survived / timeout / no tests, and the score
(killed + timeout) / all mutants checked. ``--survivors`` lists the surviving mutants; see one
with ``mutmut show NAME`` (from the project folder, after a run).

Run (8 to 12 minutes on 2 cores): ``python bench/mutation.py`` (all modules, 2 workers), or
``python bench/mutation.py --modules labels metrics --survivors``. ``--report-only`` prints the
table of the last run without running anything. Needs NERLIB_DATA_DIR (the tests read CoNLL++).
The latest scores and every surviving mutant's reason: docs/benchmarks.md, "Mutation score".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS_DIR = ROOT / "mutants"

# Module name -> (source file, mutmut name patterns). mutmut names a mutant
# ``<module>.x_<function>__mutmut_<n>`` (methods: ``<module>.xǁ<Class>ǁ<method>__mutmut_<n>``).
FOLDER_READERS = ("read_metrics", "read_progress", "read_checkpoint", "list_checkpoints", "load_run", "list_runs")
MODULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "labels": ("nerlib/data/labels.py", ("nerlib.data.labels.*",)),
    "metrics": ("nerlib/evaluation/metrics.py", ("nerlib.evaluation.metrics.*",)),
    "alignment": ("nerlib/modeling/alignment.py", ("nerlib.modeling.alignment.*",)),
    "encoding": ("nerlib/modeling/encoding.py", ("nerlib.modeling.encoding.*",)),
    "words": ("nerlib/text/words.py", ("nerlib.text.words.*",)),
    "sentences": ("nerlib/text/sentences.py", ("nerlib.text.sentences.*",)),
    "pooling": ("nerlib/modeling/pooling.py", ("nerlib.modeling.pooling.*",)),
    "decoding": ("nerlib/tagging/decoding.py", ("nerlib.tagging.decoding.*",)),
    "best-checkpoint": ("nerlib/runs/folder.py + training/train.py",
                        ("nerlib.runs.folder.x_best_checkpoint__mutmut_*", "training.train.x_update_best__mutmut_*")),
    "run-readers": ("nerlib/runs/folder.py",
                    tuple(f"nerlib.runs.folder.x_{name}__mutmut_*" for name in FOLDER_READERS)),
    "batch-cut": ("nerlib/modeling/batching.py",
                  ("nerlib.modeling.batching.x_cheapest_batches__mutmut_*",
                   "nerlib.modeling.batching.x_token_budget_batches__mutmut_*")),
}
# merge_windows lives in encoding.py; its own row shows the window-merging score apart.
SUB_ROWS = {"merge_windows": ("encoding", "nerlib.modeling.encoding.x_merge_windows__mutmut_")}

# mutmut's exit codes per mutant (mutmut/stats.py): 1 and 3 = a test failed, 0 = all passed.
KILLED, SURVIVED, NO_TESTS = {1, 3}, {0}, {5, 33}
TIMEOUT = {24, -24, 36, 152, 255}


@dataclass
class Score:
    """Mutant counts of one module."""

    killed: int = 0
    survived: int = 0
    timeout: int = 0
    no_tests: int = 0
    other: int = 0
    survivors: list[str] = field(default_factory=list)

    def add(self, name: str, exit_code: int | None) -> None:
        if exit_code in KILLED:
            self.killed += 1
        elif exit_code in SURVIVED:
            self.survived += 1
            self.survivors.append(name)
        elif exit_code in TIMEOUT:
            self.timeout += 1
        elif exit_code in NO_TESTS:
            self.no_tests += 1
        else:  # not checked, segfault, suspicious
            self.other += 1

    @property
    def checked(self) -> int:
        return self.killed + self.survived + self.timeout + self.no_tests

    @property
    def percent(self) -> float:
        return 100.0 * (self.killed + self.timeout) / self.checked if self.checked else 0.0


def matches(name: str, patterns: tuple[str, ...]) -> bool:
    from fnmatch import fnmatchcase

    return any(fnmatchcase(name, pattern) for pattern in patterns)


def read_results() -> dict[str, int | None]:
    """Every mutant's exit code from mutmut's ``mutants/**/*.py.meta`` files."""
    results: dict[str, int | None] = {}
    for meta in MUTANTS_DIR.rglob("*.py.meta"):
        results.update(json.loads(meta.read_text())["exit_code_by_key"])
    return results


def scores(modules: list[str], results: dict[str, int | None]) -> dict[str, Score]:
    table: dict[str, Score] = {}
    for module in modules:
        patterns = MODULES[module][1]
        table[module] = Score()
        for name, code in sorted(results.items()):
            if matches(name, patterns):
                table[module].add(name, code)
        for row, (parent, prefix) in SUB_ROWS.items():
            if parent == module:
                table[f"  {row}"] = Score()
                for name, code in sorted(results.items()):
                    if name.startswith(prefix):
                        table[f"  {row}"].add(name, code)
    return table


def print_table(table: dict[str, Score], survivors: bool) -> None:
    header = f"{'module':<18} {'mutants':>7} {'killed':>6} {'survived':>8} {'timeout':>7} {'no tests':>8} {'score':>7}"
    print(header)
    print("-" * len(header))
    total = Score()
    for module, s in table.items():
        print(f"{module:<18} {s.checked:>7} {s.killed:>6} {s.survived:>8} {s.timeout:>7} {s.no_tests:>8} {s.percent:>6.1f}%")
        if not module.startswith(" "):
            for name in ("killed", "survived", "timeout", "no_tests", "other"):
                setattr(total, name, getattr(total, name) + getattr(s, name))
    print("-" * len(header))
    print(f"{'all':<18} {total.checked:>7} {total.killed:>6} {total.survived:>8} {total.timeout:>7} "
          f"{total.no_tests:>8} {total.percent:>6.1f}%")
    if total.other:
        print(f"({total.other} mutants not checked, suspicious or crashed; not counted)")
    if survivors:
        for module, s in table.items():
            if s.survivors and not module.startswith(" "):
                print(f"\nsurvived in {module}:")
                for name in s.survivors:
                    print(f"  {name}")


def run_mutmut(modules: list[str], workers: int, fresh: bool) -> None:
    """One mutmut run over every mutant of ``modules`` (named mutants are always re-run)."""
    if fresh and MUTANTS_DIR.exists():
        shutil.rmtree(MUTANTS_DIR)
    patterns = [pattern for module in modules for pattern in MODULES[module][1]]
    mutmut = Path(sys.executable).with_name("mutmut")
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    command = [str(mutmut), "run", "--max-children", str(workers), *patterns]
    start = time.perf_counter()
    # mutmut redraws a progress line many times a second: keep its output out of the terminal.
    MUTANTS_DIR.mkdir(exist_ok=True)
    with open(MUTANTS_DIR / "bench-mutation.log", "w") as log:
        completed = subprocess.run(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    print(f"mutmut ran {time.perf_counter() - start:.0f} s (exit status {completed.returncode}; "
          f"its output: mutants/bench-mutation.log)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", nargs="+", choices=list(MODULES), default=list(MODULES),
                        help="modules to mutate (default: all)")
    parser.add_argument("--workers", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--keep", action="store_true",
                        help="reuse mutants/ (and its test-to-function map) from the last run instead of a fresh copy")
    parser.add_argument("--report-only", action="store_true", help="print the last run's table; run nothing")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    args = parser.parse_args(argv)
    if not args.report_only:
        run_mutmut(args.modules, args.workers, fresh=not args.keep)
    print_table(scores(args.modules, read_results()), args.survivors)


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
