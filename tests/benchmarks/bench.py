"""Speed and quality benchmark (not part of the default test run; needs no Qt).

    python tests/benchmarks/bench.py --sizes 256 512 --devices cpu --precisions auto \
        --json bench.json

For each size x device x precision it runs the engine with the default parameters on
shared/images/tubingen.jpg styled by starry_night.jpg (weights already loaded, so the
figure is the engine run itself), saves the result, scores it with
shared/tools/nst_score.py and prints a table: seconds, iterations per second, time to the
first preview, peak memory, the share of CPU time a hypervisor took meanwhile
(``cpu_steal``, Linux), style_err, content_err. ``--cold`` also times whole
``nst-desktop-cli`` processes from start to saved file (at ``--cold-size``, 512 px by
default, ``--cold-runs`` times: the first one also reads the libraries from disk).
``--warmup`` makes one short untimed run first on each device and precision (CUDA's
context, cuDNN's algorithm search), so the rows time the run itself; ``--torch-lbfgs``
runs torch.optim.LBFGS instead of the engine's own, for the A/B of the two (same
iteration, see nst_desktop/engine/lbfgs.py); ``--layout`` sets the network's memory layout
on the measured devices (``nst_desktop.engine.device.CHANNELS_LAST``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import nst_desktop  # noqa: E402,F401  (before torch: its CPU maths set as the app has them)

# isort: split
import torch  # noqa: E402

from nst_desktop.core.imageio import load_image, save_image  # noqa: E402
from nst_desktop.engine import Params, Progress, StyleInput, StyleTransfer, build_network  # noqa: E402
from nst_desktop.engine import device as engine_device  # noqa: E402
from nst_desktop.engine.device import resolve_device  # noqa: E402
from tests.machine import cpu_times, steal_share  # noqa: E402


def layout_name(kind: str, choice: str) -> str:
    """A --layout(s) choice as the layout it means on a device type ("default": the
    engine's, as ``CHANNELS_LAST`` has it before a benchmark sets it)."""
    if choice != "default":
        return choice
    return "channels_last" if engine_device.CHANNELS_LAST.get(kind) else "contiguous"


def find_shared() -> Path:
    env = os.environ.get("NST_SHARED_DIR")
    if env:
        return Path(env)
    for parent in ROOT.parents:
        if (parent / "shared" / "images").is_dir():
            return parent / "shared"
    raise SystemExit("cannot find shared/ (set NST_SHARED_DIR)")


def score(shared: Path, out: Path, content: Path, style: Path, device: str, size: int) -> dict:
    """nst_score at the run's own size (its default, 512, would upsample smaller results)."""
    cmd = [sys.executable, str(shared / "tools" / "nst_score.py"), str(out), "--content",
           str(content), "--style", str(style), "--size", str(size),
           "--device", "cuda" if "cuda" in device else "cpu"]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def peak_memory(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak RSS, MiB


def use_torch_lbfgs() -> None:
    """Make every run take torch.optim.LBFGS's steps (same iteration, with host reads)."""
    def make(self, image: torch.Tensor, steps: int) -> torch.optim.Optimizer:
        if self.params.optimizer != "lbfgs":
            return original(self, image, steps)
        return torch.optim.LBFGS([image], lr=1.0, max_iter=1,
                                 history_size=self.params.lbfgs_history,
                                 tolerance_grad=-1, tolerance_change=-1)

    original = StyleTransfer._make_optimizer
    StyleTransfer._make_optimizer = make  # type: ignore[method-assign]


def warm_up(params: Params, content, style, net) -> None:
    """A few untimed steps at ``params.size``: the device's context, kernels, cuDNN."""
    quick = params.replace(coarse_to_fine=False, iterations=3)
    for _ in StyleTransfer(quick, content.rgb, [style.rgb], network=net).events():
        pass


def run_one(params: Params, content, style, net, out: Path) -> dict:
    device = resolve_device(params.device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    transfer = StyleTransfer(params, content.rgb, [style.rgb], network=net)
    cpu_before = cpu_times()
    start = time.perf_counter()
    first_preview = None
    result = None
    for ev in transfer.events():
        if isinstance(ev, Progress):
            if ev.preview is not None and first_preview is None:
                first_preview = time.perf_counter() - start
        else:
            result = ev
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    steal = steal_share(cpu_before, cpu_times())
    save_image(out, result.image, params=params)
    return {
        "seconds": round(seconds, 2),
        "iterations": result.steps,
        "it_per_s": round(result.steps / seconds, 2),
        "first_preview_s": round(first_preview, 2) if first_preview is not None else None,
        "peak_mib": round(peak_memory(device)),
        # the share of the machine's CPU time a hypervisor took meanwhile: a slow figure
        # with a large one says more of the VM's neighbours than of the engine
        "cpu_steal": round(steal, 3) if steal is not None else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--devices", nargs="+", default=["auto"])
    ap.add_argument("--precisions", nargs="+", default=["auto"])
    ap.add_argument("--content", default="tubingen.jpg")
    ap.add_argument("--style", default="starry_night.jpg")
    ap.add_argument("--param", action="append", default=[], metavar="KEY=JSON",
                    help="override a Params field, e.g. --param iterations=50")
    ap.add_argument("--cold", action="store_true", help="also time cold CLI processes")
    ap.add_argument("--cold-size", type=int, default=512)
    ap.add_argument("--cold-runs", type=int, default=2)
    ap.add_argument("--warmup", action="store_true",
                    help="one short untimed run first on each device and precision")
    ap.add_argument("--layout", choices=["default", "channels_last", "contiguous"],
                    default="default", help="the network's memory layout on these devices")
    ap.add_argument("--torch-lbfgs", action="store_true",
                    help="torch.optim.LBFGS instead of the engine's (A/B)")
    ap.add_argument("--out-dir", default=None)
    ap.add_argument("--json", default=None, help="write the table here")
    a = ap.parse_args()
    shared = find_shared()
    content_path = shared / "images" / a.content
    style_path = shared / "images" / a.style
    content, style = load_image(content_path), load_image(style_path)
    out_dir = Path(a.out_dir or tempfile.mkdtemp(prefix="nst-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    overrides = {k: json.loads(v) for k, v in (p.split("=", 1) for p in a.param)}
    optimiser = "torch" if a.torch_lbfgs else "engine"
    if a.torch_lbfgs:
        use_torch_lbfgs()
    rows = []
    for device_name in a.devices:
        device = resolve_device(device_name)
        kind = device.type
        layout = layout_name(kind, a.layout)
        engine_device.CHANNELS_LAST[kind] = layout == "channels_last"
        for precision in a.precisions:
            base = Params(device=device_name, precision=precision, content=str(content_path),
                          styles=(StyleInput(str(style_path)),), **overrides)
            net = build_network(base.weights, [*base.content_layers, *base.style_layers],
                                base.pooling, device)
            if a.warmup:
                warm_up(base.replace(size=min([*a.sizes, 512])), content, style, net)  # small
            for size in a.sizes:
                p = base.replace(size=size)
                out = out_dir / f"bench_{size}_{device_name}_{precision}.png".replace(":", "")
                row = {"size": size, "device": str(device),
                       "precision": engine_device.resolve_precision(precision, device),
                       "asked": precision, "layout": layout, "lbfgs": optimiser,
                       **run_one(p, content, style, net, out)}
                row.update({k: v for k, v in score(shared, out, content_path, style_path,
                                                   row["device"], size).items() if k != "size"})
                rows.append(row)
                print(json.dumps(row), flush=True)
        if a.cold:
            out = out_dir / "cold.png"
            # Whole-number overrides (iterations...) are CLI options of the same name.
            cli_params = [arg for k, v in overrides.items()
                          if isinstance(v, int) and not isinstance(v, bool)
                          for arg in (f"--{k.replace('_', '-')}", str(v))]
            for run in range(1, a.cold_runs + 1):
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "nst_desktop.cli", str(content_path),
                                str(style_path), "-o", str(out), "--device", device_name,
                                "--size", str(a.cold_size), *cli_params, "-q"],
                               check=True, cwd=ROOT)
                rows.append({"size": a.cold_size, "device": device_name, "cold_run": run,
                             "cold_cli_s": round(time.perf_counter() - t, 2)})
                print(json.dumps(rows[-1]), flush=True)
    header = ("size", "device", "asked", "precision", "layout", "lbfgs", "seconds", "it_per_s",
              "first_preview_s", "peak_mib", "cpu_steal", "style_err", "content_err",
              "style_err_coarse")
    print("\n| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for r in rows:
        if "seconds" in r:
            print("| " + " | ".join(str(r.get(h, "")) for h in header) + " |")
    meta = {"date": time.strftime("%Y-%m-%d"), "machine": platform.platform(),
            "cpu_count": os.cpu_count(), "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "numpy": np.__version__, "warmup": a.warmup, "overrides": overrides}
    if a.json:
        Path(a.json).write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
