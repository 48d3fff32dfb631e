#!/usr/bin/env bash
# The GPU check: every GPU number of docs/benchmarks.md in one run on one GPU.
#
#   bash bench/gpu_payload.sh . /path/to/.gpu          # here: code, CoNLL++, wheels, MiniLM -> .gpu
#   bash .gpu/code/bench/gpu_check.sh .gpu             # there (OUT=folder for the results)
#   GPU_CHECK_SMOKE=1 bash .gpu/code/bench/gpu_check.sh .gpu   # here, on the CPU, tiny sizes: the dry run
#
# Steps (each logged to $OUT/log.txt; a failed step is reported and the next one still runs):
#   0. the CUDA-only tests (tests/test_cuda_graphs.py: the graphed training step against the eager one)
#   1. a MiniLM checkpoint: the minilm-cpu preset, bf16, 1 epoch (the tagging model)
#   2. tagging words/s (bench/tagger.py): ours default, ours float32, pipeline default and batch 64
#      (GPU_CHECK_VARIANTS=default,bfloat16-batch64,bfloat16-batch64-any-attention adds the diagnosis
#      of the old bfloat16 slowness: 64 windows a batch, with and without cuDNN attention)
#   3. training sentences/s (bench/training.py): ours vs HF Trainer and vs our loop before its rework
#      (the payload's previous/), MiniLM preset and a BERT-base-sized model from a config, same data,
#      batch, schedule and precision
#   4. bulk tagging words/s with 1 and 2 processes (python -m nerlib tag --file, accelerate launch)
#   5. with GPU_CHECK_COMPILE=1: ours with --compile (BERT-base-sized)
#   7. $OUT/summary.md: one table of all of it
#   with GPU_CHECK_FULL_PRESET=1: the whole minilm-cpu preset (every sentence, 5 epochs), with and
#   without CUDA graphs, same seed: minutes and test / unseen F1 of each (GPU_CHECK_PRESET_SEEDS="42 1 2",
#   GPU_CHECK_PRESET_MODES="cuda-graphs" choose the runs)
# GPU_CHECK_SKIP_TAGGING=1 / GPU_CHECK_SKIP_TRAINING=1 / GPU_CHECK_SKIP_BULK=1 skip steps 2 / 3 / 4 on a
# rerun whose code they do not touch.
# GPU_CHECK_DEADLINE=N (seconds) cuts the steps short so that the summary is always written.
# The machine needs torch, transformers, accelerate, tokenizers, safetensors, pandas, pyarrow; the
# payload brings datasets, dill, multiprocess, seqeval, pytest (wheels), CoNLL++ and the MiniLM weights.
set -uo pipefail
PAYLOAD=$(cd "${1:-.gpu}" && pwd)
OUT=${OUT:-/tmp/gpu-check-out}
mkdir -p "$OUT"
LOG="$OUT/log.txt"
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=true
SMOKE=${GPU_CHECK_SMOKE:-}
WORK=${GPU_CHECK_WORK:-/tmp/gpu-check-work}
rm -rf "$WORK" && mkdir -p "$WORK"
started=$(date +%s)

DEADLINE=${GPU_CHECK_DEADLINE:-100000}  # seconds from the start: later steps are cut short or skipped

step() {  # step NAME COMMAND...: run (until the deadline), log, report a failure, go on
    local name=$1; shift
    local left=$(( DEADLINE - ($(date +%s) - started) ))
    if [ "$left" -lt 20 ]; then echo "!!! $name skipped: ${left}s left before the deadline" | tee -a "$LOG"; return; fi
    echo "=== [$(( $(date +%s) - started ))s] $name" | tee -a "$LOG"
    timeout --signal=KILL "$left" "$@" 2>&1 | tee -a "$LOG"
    local code=${PIPESTATUS[0]}
    [ "$code" = 0 ] || echo "!!! $name failed (exit $code)" | tee -a "$LOG"
}

# -- set-up: wheels, data, MiniLM
if [ -z "$SMOKE" ]; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$WORK/site" \
        "$PAYLOAD"/whl/*.whl 2>&1 | tail -3
    export PYTHONPATH="$PAYLOAD/code:$WORK/site"
    nvidia-smi -L | tee -a "$LOG"
    DEVICE=cuda; MP=bf16
else
    export PYTHONPATH="$PAYLOAD/code:${PYTHONPATH:-}"
    DEVICE=cpu; MP=no
fi
mkdir -p "$WORK/conllpp"
for split in train dev test; do gunzip -c "$PAYLOAD/data/conllpp_$split.txt.gz" > "$WORK/conllpp/conllpp_$split.txt"; done
export NERLIB_DATA_DIR="$WORK/conllpp" NERLIB_CACHE_DIR="$WORK/cache" NERLIB_RUNS_DIR="$WORK/runs" HF_HUB_OFFLINE=1
cd "$PAYLOAD/code" || exit 1
step "versions" $PY -c "import torch, transformers, accelerate, datasets, sys; print(sys.version.split()[0], 'torch', torch.__version__, 'transformers', transformers.__version__, 'accelerate', accelerate.__version__, 'datasets', datasets.__version__, torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU')"
step "MiniLM weights" $PY bench/gpu_check.py unpack-minilm "$PAYLOAD/minilm" "$NERLIB_CACHE_DIR/models/all-MiniLM-L6-v2"

# 0. the tests that need a GPU, first: a failing test says more than any number below (pytest comes
# as a wheel in the payload)
[ -n "$SMOKE" ] || step "CUDA tests" $PY -m pytest -q -p no:cacheprovider tests/test_cuda_graphs.py
if [ -z "$SMOKE" ]; then
    TRAIN_LIMIT=(--max-train-samples 8000); TAG_LIMIT=(--chunk 1000 --repeats 2 --variants "${GPU_CHECK_VARIANTS:-default}")
    MINILM_SAMPLES=4000; BERT_SAMPLES=3000; BULK_REPEAT=4; BULK_PROCESSES=1,2,4
    BERT=scratch:layers=12,hidden=768,heads=12,intermediate=3072
else
    TRAIN_LIMIT=(--max-train-samples 300 --max-eval-samples 100 --cpu); TAG_LIMIT=(--limit 200 --chunk 100)
    MINILM_SAMPLES=64; BERT_SAMPLES=64; BULK_REPEAT=1; BULK_PROCESSES=1,2
    BERT=scratch:layers=1,hidden=64,heads=2,intermediate=128
fi

# 1. the tagging checkpoint (8,000 of the 14,041 training sentences: enough for a model to time)
[ -n "${GPU_CHECK_SKIP_TAGGING:-}" ] && [ -n "${GPU_CHECK_SKIP_BULK:-}" ] || step "train minilm-cpu preset, $MP, 1 epoch" $PY -m training.train --model minilm-cpu --mixed-precision "$MP" \
    --epochs 1 --output-dir "$WORK/runs/minilm" --disable-tqdm "${TRAIN_LIMIT[@]}"
[ -f "$WORK/runs/minilm/metrics.jsonl" ] && step "its training speed" $PY -c "import json, sys; lines = [json.loads(l) for l in open(sys.argv[1])]; print('preset, 1 epoch:', [(l['split'], l.get('sentences_per_s'), l['f1']) for l in lines])" "$WORK/runs/minilm/metrics.jsonl"
# 2. tagging
[ -n "${GPU_CHECK_SKIP_TAGGING:-}" ] || step "tagging benchmark" $PY bench/tagger.py --device "$DEVICE" --model "$WORK/runs/minilm" "${TAG_LIMIT[@]}" \
    --examples 0 --json-out "$OUT/tagger.json"
# 3. training: MiniLM preset schedule (batch 32, lr 2e-4), then the BERT-base-sized model (batch 16, lr 5e-5)
[ -n "${GPU_CHECK_SKIP_TRAINING:-}" ] || step "training benchmark, MiniLM" $PY bench/training.py --device "$DEVICE" --mixed-precision "$MP" --model minilm-cpu \
    --batch-size 32 --learning-rate 2e-4 --samples "$MINILM_SAMPLES" --previous-loop "$PAYLOAD/previous" \
    --json-out "$OUT/training-minilm.json"
[ -n "${GPU_CHECK_SKIP_TRAINING:-}" ] || step "training benchmark, BERT-base-sized" $PY bench/training.py --device "$DEVICE" --mixed-precision "$MP" \
    --model "$BERT" --batch-size 16 --learning-rate 5e-5 --samples "$BERT_SAMPLES" --previous-loop "$PAYLOAD/previous" \
    --json-out "$OUT/training-bert-base.json"
# 4. bulk tagging, 1, 2 (and 4) processes on the one GPU (GPU_CHECK_SKIP_BULK=1: not this time)
[ -n "${GPU_CHECK_SKIP_BULK:-}" ] || step "bulk tagging, $BULK_PROCESSES processes" $PY bench/gpu_check.py bulk-bench --model "$WORK/runs/minilm/checkpoints/best" \
    --repeat "$BULK_REPEAT" --processes "$BULK_PROCESSES" --out "$OUT/bulk.json" ${SMOKE:+--device cpu}
# 5. optional (GPU_CHECK_COMPILE=1): ours with --compile on the BERT-base-sized model
if [ -n "${GPU_CHECK_COMPILE:-}" ]; then
    step "training, BERT-base-sized, --compile" $PY bench/training.py --device "$DEVICE" --mixed-precision "$MP" \
        --model "$BERT" --batch-size 16 --learning-rate 5e-5 --samples "$BERT_SAMPLES" --only-compiled \
        --json-out "$OUT/training-bert-base-compiled.json"
fi
if [ -n "${GPU_CHECK_FULL_PRESET:-}" ]; then
    for seed in ${GPU_CHECK_PRESET_SEEDS:-42}; do
        for graphs in ${GPU_CHECK_PRESET_MODES:-cuda-graphs no-cuda-graphs}; do
            step "the whole minilm-cpu preset, --$graphs, seed $seed" $PY -m training.train --model minilm-cpu \
                --seed "$seed" --"$graphs" --output-dir "$WORK/runs/preset-$graphs-seed$seed" --disable-tqdm \
                ${SMOKE:+--cpu --epochs 1 "${TRAIN_LIMIT[@]}"}
            cp "$WORK/runs/preset-$graphs-seed$seed/metrics.jsonl" "$OUT/preset-$graphs-seed$seed.metrics.jsonl" 2>/dev/null
        done
    done
fi
# 7. the table
$PY bench/gpu_check.py summary "$OUT" > "$OUT/summary.md"
echo "=== [$(( $(date +%s) - started ))s] done" | tee -a "$LOG"
cat "$OUT/summary.md"
