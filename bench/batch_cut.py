"""Benchmark: how CPU batches are cut, the cheapest cut against the padding share, same run.

    NERLIB_DATA_DIR=../shared/data/conllpp python bench/batch_cut.py --model runs/<run>

One model, one torch thread, one process; ``Tagger.tag_many`` over the CoNLL++ test sentences
written as plain text, with the windows of each call cut into forward passes two ways:

1. baseline, padding share: :func:`nerlib.modeling.batching.token_budget_batches` with the CPU's
   10% padding share (``pass_tokens=0``; how the tagger cut CPU batches before the fixed cost of a
   pass was counted, and how it still cuts GPU batches);
2. ours, cheapest cut: :func:`nerlib.modeling.batching.cheapest_batches` with
   ``CPU_PASS_TOKENS`` (the default on a CPU now).

Workloads: *served* batches (``--served`` random draws of 32 and of 64 sentences each, as the HTTP
service's batcher hands them over) and *bulk* (the whole split in one call, sorted into nearly
rectangular batches of 64). The two cuts take turns per workload (``--rounds``); each figure is
process CPU time per text, the best round. Prints forward passes per call, CPU ms per text and
the ratio ours / baseline, how many words got the same label both ways and the largest score
difference (the shapes of the passes differ, so bfloat16 rounding may differ).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="run folder, checkpoint folder or HF folder")
    parser.add_argument("--split", default="test", help="CoNLL++ split or CoNLL file for the texts (default test)")
    parser.add_argument("--served", type=int, default=24, help="random served batches per size (default 24)")
    parser.add_argument("--rounds", type=int, default=3, help="turns per cut and workload (default 3)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    from nerlib.evaluation.scoring import load_sentences
    from nerlib.tagging.settings import CPU_PASS_TOKENS
    from nerlib.tagging.tagger import Tagger

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    sentences, source = load_sentences(args.split)
    texts = [" ".join(s.tokens) for s in sentences]
    tagger = Tagger.from_pretrained(args.model, device="cpu")
    rng = random.Random(0)
    workloads = {f"served, {size} per call": [rng.sample(texts, size) for _ in range(args.served)]
                 for size in (32, 64)}
    workloads["bulk, the whole split in one call"] = [texts]
    cuts = {"padding share (baseline)": 0, "cheapest cut (ours)": CPU_PASS_TOKENS}
    forward = tagger.model.forward
    passes = [0]

    def counted(**inputs):
        passes[0] += 1
        return forward(**inputs)

    tagger.model.forward = counted
    tagger.tag_many(texts[:64])  # warm-up
    print(f"model {args.model} ({tagger.model.dtype}); texts: {source}, {len(texts)} sentences; "
          f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}; CPU_PASS_TOKENS={CPU_PASS_TOKENS}", flush=True)
    for workload, calls in workloads.items():
        best = {name: float("inf") for name in cuts}
        answers, call_passes = {}, {}
        for _ in range(args.rounds):
            for name, pass_tokens in cuts.items():
                tagger.pass_tokens = pass_tokens
                passes[0] = 0
                started = time.process_time()
                results = [tagger.tag_many(call) for call in calls]
                seconds = time.process_time() - started
                best[name] = min(best[name], seconds / sum(len(call) for call in calls))
                call_passes[name] = passes[0] / len(calls)
                answers[name] = [(w["label"], w["score"]) for call in results for r in call
                                 for w in r.to_dict(words=True)["words"]]
        for name in cuts:
            print(f"{workload:<36} {name:<26} {call_passes[name]:6.1f} passes per call   "
                  f"{1000 * best[name]:6.2f} ms CPU per text", flush=True)
        baseline, ours = best["padding share (baseline)"], best["cheapest cut (ours)"]
        pairs = list(zip(answers["padding share (baseline)"], answers["cheapest cut (ours)"]))
        same = sum(a[0] == b[0] for a, b in pairs)
        drift = max(abs(a[1] - b[1]) for a, b in pairs)
        # padding changes the shapes, so a reduced precision's rounding (bfloat16) may move a score
        print(f"{workload:<36} ours / baseline: {ours / baseline:.2f}x CPU per text "
              f"({baseline / ours:.2f}x texts per CPU second); word labels identical: {same} of {len(pairs)}; "
              f"largest score difference {drift:.4f}", flush=True)


if __name__ == "__main__":
    main()
