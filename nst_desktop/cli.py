"""Headless front end on the same engine: ``nst-desktop-cli CONTENT STYLE [STYLE...] -o OUT``.

Every :class:`~nst_desktop.engine.Params` field is an option; ``--params-from``
takes them from a PNG this program (or the window) saved, so a result can be
reproduced. Progress goes to stderr; bad input exits with status 2 and one line.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import signal
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nst_desktop import __version__
from nst_desktop.errors import NSTError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def _fields() -> dict[str, dataclasses.Field[Any]]:
    from nst_desktop.engine.params import Params

    return {f.name: f for f in dataclasses.fields(Params)}


class _HelpFormatter(argparse.HelpFormatter):
    """Says an option's default once: the help texts name the engine's own defaults (the
    options themselves default to None, "not given", so that --params-from can fill them)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS):
            return text
        return f"{text} (default {action.default})"


def build_parser() -> argparse.ArgumentParser:
    from nst_desktop.core.imageio import DEFAULT_MAX_PIXELS
    from nst_desktop.engine import params as P

    d = P.Params()
    ap = argparse.ArgumentParser(
        prog="nst-desktop-cli",
        description="Neural style transfer (Gatys et al.) on the command line.",
        formatter_class=_HelpFormatter,
    )
    ap.add_argument("content", nargs="?", help="the photo to restyle")
    ap.add_argument("styles", nargs="*", metavar="STYLE", help="one or more style images")
    # As the window takes them (nst-desktop --content photo.jpg --style painting.jpg): with
    # --content every positional image is a style.
    ap.add_argument("--content", dest="content_option", metavar="PATH",
                    help="the photo, as the window takes it")
    ap.add_argument("--style", dest="style_option", metavar="PATH", nargs="+",
                    action="extend", default=[], help="style images, as the window takes them")
    ap.add_argument("-o", "--output", help="where to write the result (.png .jpg .webp .tif)")
    ap.add_argument("--version", action="version", version=f"nst-desktop {__version__}")
    ap.add_argument("--params-from", metavar="PNG", help="take every parameter from a saved result")
    ap.add_argument(
        "--blend",
        type=float,
        nargs="+",
        metavar="W",
        help="blend weight of each style (default: equal)",
    )
    g = ap.add_argument_group("result")
    g.add_argument("--size", type=int, help=f"longest side of the result (default {d.size})")
    g.add_argument(
        "--strength",
        type=float,
        help="style weight relative to content weight (sets --style-weight)",
    )
    g.add_argument("--content-weight", type=float, help=f"(default {d.content_weight})")
    g.add_argument("--style-weight", type=float, help=f"(default {d.style_weight})")
    g.add_argument("--tv-weight", type=float, help=f"total variation (default {d.tv_weight})")
    g.add_argument("--style-scale", type=float, help=f"(default {d.style_scale})")
    g.add_argument("--preserve-color", choices=P.COLOR_MODES, help=f"(default {d.preserve_color})")
    g.add_argument("--seed", type=int, help=f"(default {d.seed})")
    g = ap.add_argument_group("optimisation")
    g.add_argument("--iterations", type=int, help=f"at the full size (default {d.iterations})")
    g.add_argument(
        "--coarse-iterations",
        type=int,
        help=f"at each coarser size (default {d.coarse_iterations})",
    )
    g.add_argument("--optimizer", choices=P.OPTIMIZERS, help=f"(default {d.optimizer})")
    g.add_argument("--learning-rate", type=float, help=f"Adam step (default {d.learning_rate})")
    g.add_argument(
        "--no-coarse-to-fine",
        dest="coarse_to_fine",
        action="store_false",
        default=None,
        help="optimise at the full size only",
    )
    g.add_argument("--min-size", type=int, help=f"coarsest size (default {d.min_size})")
    g.add_argument(
        "--average",
        action="store_true",
        default=None,
        help="average the iterates of the second half of each scale",
    )
    g.add_argument("--init", choices=P.INITS, help=f"(default {d.init})")
    g.add_argument("--init-image", help="image to start from with --init image")
    g = ap.add_argument_group("network")
    g.add_argument(
        "--weights", help=f"original, torchvision or a state-dict file (default {d.weights})"
    )
    g.add_argument("--style-loss", choices=P.STYLE_LOSSES, help=f"(default {d.style_loss})")
    g.add_argument("--content-layers", nargs="+", metavar="LAYER",
                   help=f"VGG-19 ReLU layers (default {' '.join(d.content_layers)})")
    g.add_argument("--style-layers", nargs="+", metavar="LAYER",
                   help=f"(default {' '.join(d.style_layers)})")
    g.add_argument("--style-layer-weights", type=float, nargs="+", metavar="W",
                   help="one per style layer (default: equal)")
    g.add_argument("--pooling", choices=P.POOLINGS, help=f"(default {d.pooling})")
    g.add_argument("--device", help=f"auto, cpu, cuda, cuda:N or mps (default {d.device})")
    g.add_argument("--precision", choices=P.PRECISIONS, help=f"(default {d.precision})")
    g.add_argument(
        "--low-memory",
        action="store_true",
        default=None,
        help="run the network on strips of the image, recomputing them (same result), and "
        "keep a short L-BFGS history: larger sizes fit in GPU memory, each step is slower",
    )
    g = ap.add_argument_group("output")
    g.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality")
    g.add_argument(
        "--16-bit",
        dest="bit_depth",
        action="store_const",
        const=16,
        default=8,
        help="write a 16-bit PNG or TIFF (default 8 bits)",
    )
    g.add_argument(
        "--save-every",
        type=int,
        default=0,
        metavar="N",
        help="also save the image every N iterations (OUT-0050.png ...; default 0, never)",
    )
    g.add_argument("--preview-every", type=int, help="(default: with --save-every)")
    g.add_argument("--max-pixels", type=int,
                   help=f"refuse input images larger than this (default {DEFAULT_MAX_PIXELS:,})")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    g.add_argument("--json", action="store_true", help="print the result's summary as JSON")
    return ap


_SIMPLE = [
    "size",
    "content_weight",
    "style_weight",
    "tv_weight",
    "style_scale",
    "preserve_color",
    "seed",
    "iterations",
    "coarse_iterations",
    "optimizer",
    "learning_rate",
    "coarse_to_fine",
    "min_size",
    "average",
    "init",
    "init_image",
    "weights",
    "style_loss",
    "pooling",
    "device",
    "precision",
    "low_memory",
]


def split_inputs(content: str | None, positional: Sequence[str],
                 styles: Sequence[str]) -> tuple[str | None, list[str]]:
    """The photo and the paintings, as both commands take them: the photo is ``content``
    (--content) if given, and every positional image a painting; else the first positional
    image is the photo and the rest paintings, beside ``styles`` (--style)."""
    if content:
        return content, [*positional, *styles]
    return (positional[0] if positional else None), [*positional[1:], *styles]


def input_paths(args: argparse.Namespace) -> tuple[str | None, list[str]]:
    """The photo and the paintings named, positionally or as the window takes them."""
    positional = [p for p in (args.content, *args.styles) if p]
    if args.style_option and not (args.content_option or positional or args.params_from):
        from nst_desktop.errors import ParameterError

        raise ParameterError("No photo given: --style takes every image after it as a style; "
                             "name the photo first, or with --content PATH.")
    return split_inputs(args.content_option, positional, args.style_option)


def params_from_args(args: argparse.Namespace) -> Any:
    from nst_desktop.core.imageio import read_params
    from nst_desktop.engine.params import Params, StyleInput
    from nst_desktop.errors import ParameterError

    if args.params_from:
        base = read_params(args.params_from)
        if base is None:
            raise ParameterError(f"{args.params_from} holds no nst_desktop parameters.")
    else:
        base = Params()
    changes: dict[str, Any] = {}
    for name in _SIMPLE:
        value = getattr(args, name, None)
        if value is not None:
            changes[name] = value
    for name in ("content_layers", "style_layers", "style_layer_weights"):
        value = getattr(args, name, None)
        if value is not None:
            changes[name] = tuple(value)
    if args.preview_every is not None:
        changes["preview_every"] = args.preview_every
    elif args.save_every:
        changes["preview_every"] = args.save_every
    content, given_styles = input_paths(args)
    content = content or base.content
    style_paths = given_styles or [s.path for s in base.styles]
    if args.blend is not None:
        if len(args.blend) != len(style_paths):
            raise ParameterError(
                f"--blend has {len(args.blend)} weights for {len(style_paths)} style images."
            )
        weights = list(args.blend)
    elif given_styles:
        weights = [1.0] * len(style_paths)
    else:
        weights = [s.weight for s in base.styles]
    changes["content"] = str(content) if content else ""
    changes["styles"] = tuple(StyleInput(str(p), float(w)) for p, w in zip(style_paths, weights))
    params = base.replace(**changes)
    if args.strength is not None:
        # Checked here, by the name the person typed: the engine would report
        # the style weight it becomes, a parameter they never gave.
        if not math.isfinite(args.strength) or args.strength < 0:
            raise ParameterError(f"--strength must be a finite number >= 0; got {args.strength}.")
        params = params.with_strength(args.strength)
    return params.validate(need_inputs=True)


def check_input_files(params: Any) -> None:
    """Every photo and painting a run names must be a regular file, checked before any is
    decoded: saved settings may list paths that are gone, and decoding the rest first wastes
    minutes and memory."""
    import stat

    from nst_desktop.errors import ImageLoadError

    paths = [params.content, *(s.path for s in params.styles)]
    if params.init == "image":
        paths.append(params.init_image)
    for path in map(Path, paths):
        label = f"“{path.name or path}”"
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            folder = path.parent if str(path.parent) not in ("", ".") else Path.cwd()
            raise ImageLoadError(f"Cannot open {label}: there is no such file in {folder}.") \
                from None
        except OSError as exc:
            raise ImageLoadError(f"Cannot open {label}: {exc.strerror or exc}.") from None
        if stat.S_ISDIR(mode):
            raise ImageLoadError(f"{label} is a folder, not an image file.")
        if not stat.S_ISREG(mode):
            raise ImageLoadError(f"Cannot open {label}: it is not a regular file.")


def output_path(args: argparse.Namespace) -> Path:
    """Where the result goes, once every output option is known to work: checked before
    the run, so that a bad one is said at once and not after minutes of work."""
    from nst_desktop.core import imageio
    from nst_desktop.core.imagesave import check_save_target
    from nst_desktop.errors import ParameterError

    if not args.output:
        raise ParameterError("Say where to write the result with -o OUT.")
    if not 1 <= args.quality <= 100:
        raise ParameterError(f"--quality must be from 1 to 100; got {args.quality}.")
    if args.save_every < 0:
        raise ParameterError(f"--save-every must be 0 (never) or more; got {args.save_every}.")
    if args.max_pixels is not None and args.max_pixels <= 0:
        raise ParameterError(f"--max-pixels must be a number of pixels above 0; "
                             f"got {args.max_pixels}.")
    out = Path(args.output)
    try:
        is_folder = out.is_dir()
    except OSError:
        is_folder = False  # a name too long to look up: check_save_target says so
    if is_folder:
        raise ParameterError(f"-o names the folder {out}; give a file name in it, "
                             f"like {out / 'result.png'}.")
    if out.suffix.lower() not in imageio.SAVE_FORMATS:
        raise ParameterError(
            f"Cannot write {out.suffix or 'files without a suffix'}; use one of "
            f"{', '.join(sorted(imageio.SAVE_FORMATS))}."
        )
    if args.bit_depth == 16 and imageio.SAVE_FORMATS[out.suffix.lower()] not in ("PNG", "TIFF"):
        raise ParameterError(f"--16-bit needs a .png or .tif output; {out.suffix} stores 8 bits.")
    check_save_target(out, quality=args.quality, bit_depth=args.bit_depth)
    if args.save_every:  # OUT-0050.png ...: the longest name a snapshot gets
        check_save_target(out.with_name(f"{out.stem}-00000{out.suffix}"), quality=args.quality)
    return out


class ProgressBar:
    """A one-line progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, stream: Any = None, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._last_line = 0.0

    def update(self, ev: Any) -> None:
        if self.quiet:
            return
        frac = ev.fraction
        width = 30
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        eta = f"{ev.eta:5.0f}s" if ev.eta is not None else "    ?"
        h, w = ev.size
        text = (
            f"[{bar}] {frac * 100:5.1f}% step {ev.step}/{ev.total_steps} "
            f"scale {ev.scale_index + 1}/{ev.scale_count} ({w}x{h}) "
            f"loss {ev.losses['total']:.4g} eta {eta}"
        )
        if self.tty:
            self.stream.write("\r" + text)
            self.stream.flush()
        elif time.monotonic() - self._last_line > 5 or ev.step == ev.total_steps:
            self._last_line = time.monotonic()
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from nst_desktop.core import imageio
    from nst_desktop.engine import Progress, StyleTransfer
    from nst_desktop.engine.device import resolve_device, slow_bf16

    params = params_from_args(args)
    out = output_path(args)
    limit = {"max_pixels": args.max_pixels} if args.max_pixels is not None else {}
    check_input_files(params)
    content = imageio.load_image(params.content, **limit)
    styles = [imageio.load_image(s.path, **limit).rgb for s in params.styles]
    init = imageio.load_image(params.init_image, **limit).rgb if params.init == "image" else None
    transfer = StyleTransfer(params, content.rgb, styles, init_image=init)
    if not args.quiet and slow_bf16(params.precision, resolve_device(params.device)):
        print("nst-desktop-cli: warning: this CPU has no fast bfloat16: a bf16 run takes tens "
              "of times as long as fp32 here (--precision auto chooses fp32).", file=sys.stderr)

    def on_sigint(signum: int, frame: Any) -> None:
        transfer.cancel()

    previous = signal.signal(signal.SIGINT, on_sigint)
    bar = ProgressBar(quiet=args.quiet)
    result = None
    try:
        for event in transfer.events():
            if isinstance(event, Progress):
                bar.update(event)
                if (
                    args.save_every
                    and event.preview is not None
                    and (event.step % args.save_every == 0)
                ):
                    snap = out.with_name(f"{out.stem}-{event.step:04d}{out.suffix}")
                    imageio.save_image(
                        snap,
                        event.preview.astype("float32") / 255,
                        params=params,
                        quality=args.quality,
                    )
            else:
                result = event
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.close()
    assert result is not None
    imageio.save_image(
        out,
        result.image,
        alpha=content.alpha,
        params=params,
        quality=args.quality,
        bit_depth=args.bit_depth,
    )
    summary = {
        "output": str(out),
        "seconds": round(result.elapsed, 2),
        "device": result.device,
        "precision": result.precision,
        "steps": result.steps,
        "cancelled": result.cancelled,
        "losses": {k: round(v, 5) for k, v in result.losses.items()},
    }
    if args.json:
        import json

        print(json.dumps(summary))
    elif not args.quiet:
        state = "stopped early, partial result" if result.cancelled else "done"
        print(f"{out}: {state} in {result.elapsed:.1f} s on {result.device} "
              f"({result.precision})", file=sys.stderr)
    return EXIT_INTERRUPTED if result.cancelled else 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with warnings.catch_warnings():
            # The person gets this program's own lines, never a library's warning with its
            # source line (Pillow on a damaged EXIF block, torch on an old pickle): what
            # matters in one is said by the error it comes with, or does not matter.
            warnings.simplefilter("ignore")
            return run(argv)
    except NSTError as exc:
        print(f"nst-desktop-cli: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
