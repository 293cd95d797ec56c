"""Time of one full-size optimisation step by how the network runs (not a default test).

    python tests/benchmarks/steps.py --sizes 512 768 1024 --modes plain lean low \
        --precisions fp32 bf16 --repeat 5 --json steps.json

One step is what L-BFGS asks of the objective: VGG-19 forward and backward to relu5_1 with
the default losses, on Tübingen (resized to the size) styled by The Starry Night. ``plain``
keeps every activation, ``lean`` computes the first blocks on strips whatever the size
(``strips.LEAN_PIXELS`` decides that in a real run), ``low`` is Low memory;
``--layouts channels_last contiguous`` also compares the network's memory layouts. Each case takes
one step in turn, ``--repeat`` rounds after an untimed one, and the figure is its median:
what decides the lean threshold and the time factors of the estimate
(nst_desktop/ui/estimate.py). Needs no Qt.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import nst_desktop  # noqa: E402,F401  (before torch: its CPU maths set as the app has them)

# isort: split
import torch  # noqa: E402
from bench import find_shared, layout_name  # noqa: E402

from nst_desktop.core.imageio import load_image  # noqa: E402
from nst_desktop.engine import Params, build_network  # noqa: E402
from nst_desktop.engine.device import (  # noqa: E402
    CHANNELS_LAST,
    precision_context,
    resolve_device,
    resolve_precision,
)
from nst_desktop.engine.run import Objective, resize, scaled_shape, to_tensor  # noqa: E402


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def objective(net, p: Params, content: torch.Tensor, style: torch.Tensor, mode: str,
              precision: str, device: torch.device) -> Objective:
    obj = Objective.__new__(Objective)
    if mode == "lean":
        obj.lean_pixels = 1  # every size runs lean
    elif mode == "plain":
        obj.lean_pixels = 2**62  # never lean
    obj.__init__(net, p, content, [style], [1.0], precision, device)
    return obj


def time_step(obj: Objective, content: torch.Tensor, device: torch.device) -> float:
    x = content.clone().requires_grad_(True)
    sync(device)
    start = time.perf_counter()
    obj(x)
    sync(device)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[512, 768, 1024])
    ap.add_argument("--modes", nargs="+", default=["plain", "lean"],
                    choices=["plain", "lean", "low"])
    ap.add_argument("--precisions", nargs="+", default=["auto"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--layouts", nargs="+", default=["default"],
                    choices=["default", "channels_last", "contiguous"],
                    help="the network's memory layout (default: the engine's for the device)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None)
    a = ap.parse_args()

    shared = find_shared()
    device = resolve_device(a.device)
    content_rgb = load_image(shared / "images" / "tubingen.jpg").rgb
    style_rgb = load_image(shared / "images" / "starry_night.jpg").rgb
    # Every (precision, mode) at a size takes one step in turn, round after round, so that
    # a drift in the machine's speed (it is shared) weighs on all of them alike.
    rows = []
    nets = {}
    layouts = list(dict.fromkeys(layout_name(device.type, q) for q in a.layouts))
    for layout in layouts:
        CHANNELS_LAST[device.type] = layout == "channels_last"  # read by build_network
        for low in sorted({m == "low" for m in a.modes}):
            p = Params(low_memory=low)
            layers = list(dict.fromkeys([*p.content_layers, *p.style_layers]))
            nets[low, layout] = (p, build_network(p.weights, layers, p.pooling, device))
    precisions = list(dict.fromkeys(resolve_precision(q, device) for q in a.precisions))
    for size in a.sizes:
        shape = scaled_shape(*content_rgb.shape[:2], size)
        content = resize(to_tensor(content_rgb).to(device), shape)
        style = resize(to_tensor(style_rgb).to(device), shape)
        cases = [(q, m, lay) for lay in layouts for q in precisions for m in a.modes]
        objs = {}
        for q, m, lay in cases:
            p, net = nets[m == "low", lay]
            with precision_context(q, device):
                objs[q, m, lay] = objective(net, p, content, style, m, q, device)
        times: dict[tuple[str, str, str], list[float]] = {c: [] for c in cases}
        for i in range(a.repeat + 1):
            for case in cases:
                with precision_context(case[0], device):
                    t = time_step(objs[case], content, device)
                if i:  # the first round warms the kernels up
                    times[case].append(t)
        for q, m, lay in cases:
            row = {"size": size, "shape": list(shape), "device": str(device),
                   "precision": q, "mode": m, "layout": lay,
                   "median_s": round(statistics.median(times[q, m, lay]), 4),
                   "steps_s": [round(t, 4) for t in times[q, m, lay]]}
            rows.append(row)
            print(json.dumps(row), flush=True)
        del objs
    print("\n| size | precision | layout | " + " | ".join(a.modes) + " |\n|---|---|---|"
          + "---|" * len(a.modes))
    for size in a.sizes:
        for lay in layouts:
            for q in precisions:
                cells = [next((f"{r['median_s']:.3f} s" for r in rows if r["size"] == size
                               and r["precision"] == q and r["mode"] == m
                               and r["layout"] == lay), "")
                         for m in a.modes]
                print(f"| {size} px | {q} | {lay} | " + " | ".join(cells) + " |")
    if a.json:
        Path(a.json).write_text(json.dumps({
            "date": time.strftime("%Y-%m-%d"), "machine": platform.processor()
            or platform.machine(), "torch": torch.__version__,
            "threads": torch.get_num_threads(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
