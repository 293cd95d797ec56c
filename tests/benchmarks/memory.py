"""Peak memory of a run against the estimate the size control shows (not a default test).

    python tests/benchmarks/memory.py --sizes 256 512 768 --json memory.json
    python tests/benchmarks/memory.py --device cuda --sizes 1024 2048 4096

Each size x mode (plain, --low-memory) runs in a fresh process: the full-size scale of a
default run (40 L-BFGS iterations) on shared/images/tubingen.jpg styled by starry_night.jpg,
cancelled after a few iterations. The optimiser allocates the room for all the curvature
pairs the run will keep at its second step, so by then the run has reached its peak.

- CUDA: the peak is ``torch.cuda.max_memory_allocated`` over the run.
- CPU: the peak is the growth of the process's resident memory from before the network was
  built to its high-water mark (``ru_maxrss``), with glibc told to give every block over
  64 KiB back to the system when freed (``MALLOC_MMAP_THRESHOLD_``) so that the high-water
  mark follows the live tensors instead of the allocator's caches.

The estimate is ``nst_desktop.engine.estimate_run_memory``; the table gives estimate /
measured. ``--full`` runs the whole default run instead (coarse to fine, every iteration):
with ``--limit-gib`` that shows a result finishing on the smaller card.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

ITERATIONS = 3


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def synthetic(h: int, w: int, seed: int) -> np.ndarray:
    """A smooth random RGB image (for runs without shared/)."""
    rng = np.random.default_rng(seed)
    small = rng.random((h // 16 + 1, w // 16 + 1, 3), dtype=np.float32)
    return np.ascontiguousarray(small.repeat(16, 0).repeat(16, 1)[:h, :w])


def child(size: int, low_memory: bool, device_name: str, precision: str,
          use_synthetic: bool, strip_elements: int | None = None,
          limit_gib: float | None = None, full: bool = False) -> dict:
    import nst_desktop  # noqa: F401  (before torch: its CPU maths set as the app has them)

    # isort: split
    import torch
    from bench import find_shared

    from nst_desktop.core.imageio import load_image
    from nst_desktop.engine import Params, Progress, StyleInput, StyleTransfer, build_network
    from nst_desktop.engine.device import resolve_device, resolve_precision
    from nst_desktop.engine.run import Objective, estimate_run_memory, scaled_shape
    from nst_desktop.errors import OutOfMemoryError

    if strip_elements:
        Objective.strip_elements = strip_elements

    torch.set_num_threads(max(1, os.cpu_count() or 1))
    if use_synthetic:
        content_rgb, style_rgb = synthetic(768, 1024, 1), synthetic(640, 1024, 2)
    else:
        shared = find_shared()
        content_rgb = load_image(shared / "images" / "tubingen.jpg").rgb
        style_rgb = load_image(shared / "images" / "starry_night.jpg").rgb
    device = resolve_device(device_name)
    p = Params(
        size=size,
        coarse_to_fine=full,
        low_memory=low_memory,
        device=device_name,
        precision=precision,
        styles=(StyleInput("starry_night.jpg"),),
    )
    before = rss_bytes()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base_cuda = torch.cuda.memory_allocated(device)
        if limit_gib:  # emulate a smaller card
            total = torch.cuda.get_device_properties(device).total_memory
            torch.cuda.set_per_process_memory_fraction(min(1.0, limit_gib * 2**30 / total),
                                                       device)
    layers = list(dict.fromkeys([*p.content_layers, *p.style_layers]))
    net = build_network(p.weights, layers, p.pooling, device)
    start = time.perf_counter()
    transfer = StyleTransfer(p, content_rgb, [style_rgb], network=net)
    steps = 0
    completed = True
    try:
        for event in transfer.events():
            if isinstance(event, Progress):
                steps += 1
                if steps == ITERATIONS and not full:
                    transfer.cancel()
    except OutOfMemoryError:
        completed = False
    seconds = time.perf_counter() - start
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        peak = torch.cuda.max_memory_allocated(device) - base_cuda
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    h, w = scaled_shape(*content_rgb.shape[:2], size)
    estimate = estimate_run_memory(p, (content_rgb.shape[0], content_rgb.shape[1]))
    return {
        "size": size,
        "shape": [h, w],
        "device": str(device),
        "precision": resolve_precision(precision, device),
        "low_memory": low_memory,
        "measured_mib": round(peak / 2**20),
        "estimate_mib": round(estimate / 2**20),
        "ratio": round(estimate / peak, 3),
        "seconds": round(seconds, 2),
        "seconds_per_iteration": round(seconds / max(1, steps), 2),
        "limit_gib": limit_gib,
        "completed": completed,
        "full": full,
        "steps": steps,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 768])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--precision", default="auto")
    ap.add_argument("--modes", nargs="+", default=["plain", "low"], choices=["plain", "low"])
    ap.add_argument("--synthetic", action="store_true",
                    help="smooth random images instead of shared/images (same shapes)")
    ap.add_argument("--strip-elements", type=int, default=None,
                    help="low memory: values per activation of a strip (default 2**24)")
    ap.add_argument("--limit-gib", type=float, default=None,
                    help="CUDA: cap this process's GPU memory (set_per_process_memory_fraction) "
                    "to emulate a smaller card; the row says whether the run completed")
    ap.add_argument("--full", action="store_true",
                    help="the whole default run, not cancelled after a few iterations")
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", nargs=2, metavar=("SIZE", "MODE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(child(int(a.child[0]), a.child[1] == "low", a.device, a.precision,
                               a.synthetic, a.strip_elements, a.limit_gib, a.full)))
        return
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536", MALLOC_TRIM_THRESHOLD_="0")
    rows = []
    for size in a.sizes:
        for mode in a.modes:
            cmd = [sys.executable, __file__, "--child", str(size), mode, "--device", a.device,
                   "--precision", a.precision, *(["--synthetic"] if a.synthetic else []),
                   *(["--strip-elements", str(a.strip_elements)] if a.strip_elements else []),
                   *(["--limit-gib", str(a.limit_gib)] if a.limit_gib else []),
                   *(["--full"] if a.full else [])]
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(json.dumps(row), flush=True)
    header = ("size", "shape", "device", "precision", "low_memory", "measured_mib",
              "estimate_mib", "ratio", "seconds_per_iteration", "completed", "steps")
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(str(r[h]) for h in header) + " |")
    if a.json:
        Path(a.json).write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "rows": rows},
                                           indent=1))


if __name__ == "__main__":
    main()
