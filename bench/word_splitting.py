"""Benchmark: word splitting time on hostile text grows linearly with its length.

Inputs of 16, 32, 64 and 128 KB: ``a_`` repeated (the issue's reproduction), dotted snake_case
identifiers (``config.input_file_name.`` repeated), ``a.b`` repeated and ``+1`` repeated (both once quadratic through the e-mail
alternative), and ordinary prose (CoNLL++ sentences, a control). Each is split with
``nerlib.text.words.split_words`` and with the named baseline, **main's pattern before issue 13**
(the e-mail alternative tried from every position of a run of name characters), in the same run.

Printed per input: seconds for each size (ours: best of 3 runs; baseline: one run), ``x2`` = time(2n)/time(n) (about 2 when linear, about 4
when quadratic), and the baseline's seconds and ratio. The baseline is skipped above
``--baseline-max-kb`` (default 64) because it is quadratic: 128 KB of ``a_`` takes it minutes.

Run: ``python bench/word_splitting.py [--baseline-max-kb 128]`` (prose needs NERLIB_DATA_DIR).
"""

from __future__ import annotations

import argparse
import os
import time

import regex

from nerlib.text import words

SIZES_KB = (16, 32, 64, 128)
OLD_EMAIL = r"(?P<email>[\w.+-]+@\w[\w-]*(?:\.\w[\w-]*)+)"


def baseline_pattern() -> regex.Pattern:
    """main's pattern before issue 13: the same alternatives with the old e-mail clause."""
    source = words._PATTERN.pattern
    start = source.index("(?P<email>")
    end = source.index("\n", start)
    return regex.compile(source[:start] + OLD_EMAIL + source[end:], words._PATTERN.flags)


def prose(size: int) -> str:
    from nerlib.data.conll import read_conll

    folder = os.environ.get("NERLIB_DATA_DIR")
    if not folder:
        return ""
    text = " ".join(" ".join(s.tokens) for s in read_conll(os.path.join(folder, "conllpp_train.txt"))[:4000])
    return (text * (size // len(text) + 1))[:size]


def inputs(size: int) -> dict[str, str]:
    def repeat(unit: str) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    return {"a_ repeated": repeat("a_"), "dotted snake_case ids": repeat("config.input_file_name."),
            "a.b repeated": repeat("a.b"), "+1 repeated": repeat("+1"), "prose (control)": prose(size)}


def timed(split, text: str, repeats: int = 1) -> float:
    """Best of ``repeats`` wall-clock times (the machine is shared: the minimum is the least noisy)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        split(text)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline-max-kb", type=int, default=64)
    args = parser.parse_args()
    old = baseline_pattern()

    def split_old(text: str) -> list[words.Word]:  # split_words itself, with the old pattern
        return [words.Word(m.group(), m.start(), m.end()) for m in old.finditer(text)]

    by_size = {kb: inputs(kb * 1024) for kb in SIZES_KB}
    control = by_size[SIZES_KB[0]]["prose (control)"]
    same = words.split_words(control) == split_old(control)
    print(f"ordinary text splits the same with both patterns: {same}")
    for name in by_size[SIZES_KB[0]]:
        if not by_size[SIZES_KB[0]][name]:
            print(f"{name}: skipped (set NERLIB_DATA_DIR)")
            continue
        print(f"\n{name}")
        print(f"{'KB':>5} {'ours s':>9} {'x2':>5} {'baseline s':>11} {'x2':>5} {'baseline/ours':>14}")
        previous_ours = previous_old = None
        for kb in SIZES_KB:
            text = by_size[kb][name]
            ours = timed(words.split_words, text, repeats=3)
            baseline = timed(split_old, text) if kb <= args.baseline_max_kb else None
            growth = f"{ours / previous_ours:5.1f}" if previous_ours else "     "
            old_growth = f"{baseline / previous_old:5.1f}" if previous_old and baseline else "     "
            shown = f"{baseline:11.3f}" if baseline is not None else f"{'skipped':>11}"
            ratio = f"{baseline / ours:14.1f}" if baseline is not None else f"{'':>14}"
            print(f"{kb:>5} {ours:9.3f} {growth} {shown} {old_growth} {ratio}", flush=True)
            previous_ours, previous_old = ours, baseline


if __name__ == "__main__":
    from nerlib.errors import run_script  # one error line, traceback only with --debug

    run_script(main)
