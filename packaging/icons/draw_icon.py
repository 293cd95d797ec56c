"""Draw the application icon as SVG: a photo turning into a starry-night painting.

The icon is generated rather than hand-edited because its brush stroke, the
seam it hides and the bristle streaks are all offsets of one Bezier centre
line; changing the curve here keeps them in step.

    python packaging/icons/draw_icon.py          # writes both SVG sources

Writes ``resources/icons/hicolor/scalable/apps/<APP_ID>.svg`` (the detailed
icon, shipped) and ``packaging/icons/<APP_ID>-small.svg`` (fewer, bolder
shapes; the source of the 16-32 px PNGs, where fine detail turns to mush).
Then run ``render_icons.py`` for the PNG, ICO and ICNS files.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from nst_desktop.core.paths import APP_ID  # noqa: E402

Point = tuple[float, float]

# The brush stroke's centre line, which is also the seam between photo and painting.
CURVE: tuple[Point, Point, Point, Point] = ((34, 152), (190, 92), (250, 330), (458, 414))


def _path(points: list[Point]) -> str:
    return "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in points)


def _spiral(cx: float, cy: float, r0: float, r1: float, turns: float, start: float) -> list[Point]:
    n = int(turns * 36)
    points = []
    for i in range(n + 1):
        t = i / n
        angle = start + t * turns * 2 * math.pi
        r = r0 + (r1 - r0) * t
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return points


def _arc(cx: float, cy: float, r: float, a0: float, a1: float, squash: float = 1.0) -> list[Point]:
    points = []
    for i in range(25):
        angle = math.radians(a0 + (a1 - a0) * i / 24)
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle) * squash))
    return points


def _cubic(p0: Point, p1: Point, p2: Point, p3: Point, n: int = 48) -> list[Point]:
    out = []
    for i in range(n + 1):
        t = i / n
        u = 1 - t
        out.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return out


def _centre(t: float) -> Point:
    p0, p1, p2, p3 = CURVE
    u = 1 - t
    return (
        u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
        u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
    )


def _normal(t: float) -> Point:
    p0, p1, p2, p3 = CURVE
    u = 1 - t
    dx = 3 * u * u * (p1[0] - p0[0]) + 6 * u * t * (p2[0] - p1[0]) + 3 * t * t * (p3[0] - p2[0])
    dy = 3 * u * u * (p1[1] - p0[1]) + 6 * u * t * (p2[1] - p1[1]) + 3 * t * t * (p3[1] - p2[1])
    length = math.hypot(dx, dy)
    return (-dy / length, dx / length)


def _half_width(t: float) -> float:
    """Enters thin on the left, full in the middle, a slightly narrower round end."""
    rise = min(1.0, t / 0.35)
    return 4 + 36 * math.sin(rise * math.pi / 2) - 8 * max(0.0, t - 0.8) / 0.2


def _offset(t: float, fraction: float) -> Point:
    (cx, cy), (nx, ny) = _centre(t), _normal(t)
    w = _half_width(t) * fraction
    return (cx + nx * w, cy + ny * w)


def _stroke_outline() -> str:
    ts = [i / 80 for i in range(81)]
    upper = [_offset(t, 1.0) for t in ts]
    lower = [_offset(t, -1.0) for t in ts]
    (ex, ey), (nx, ny), w = _centre(1.0), _normal(1.0), _half_width(1.0)
    a0 = math.atan2(ny, nx)
    cap = [
        (ex + w * math.cos(a0 - math.pi * k / 12), ey + w * math.sin(a0 - math.pi * k / 12))
        for k in range(1, 12)
    ]
    return _path(upper + cap + lower[::-1]) + " Z"


def _bristle(fraction: float, t0: float, t1: float) -> str:
    return _path([_offset(t0 + (t1 - t0) * i / 40, fraction) for i in range(41)])


BRISTLES = (  # (offset across the stroke, start, end, colour, width, opacity)
    (0.75, 0.12, 0.93, "#ffd9a0", 4, 0.8),
    (0.35, 0.25, 0.99, "#ffc48a", 3, 0.7),
    (-0.1, 0.05, 0.85, "#e0507a", 3, 0.55),
    (-0.55, 0.2, 0.97, "#c2366f", 4, 0.6),
    (0.1, 0.45, 1.0, "#fff0d0", 2, 0.6),
)

# The canvas reaches a little under the frame's inner bevel (the hole is 52..460)
# but not past the outer frame's rounded corners.
LO, HI = 48.0, 464.0
CANVAS = [(LO, LO), (HI, LO), (HI, HI), (LO, HI)]
HILL_BACK = [*_cubic((LO, 300), (170, 240), (300, 250), (HI, 296)), (HI, HI), (LO, HI)]
HILL_FRONT = [*_cubic((LO, 390), (170, 330), (320, 340), (HI, 388)), (HI, HI), (LO, HI)]
MOON = (388, 112)

DEFS = """\
    <linearGradient id="frame" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#f5cf74"/>
      <stop offset="0.5" stop-color="#dc9d3e"/>
      <stop offset="1" stop-color="#a0651f"/>
    </linearGradient>
    <linearGradient id="frameInner" x1="1" y1="1" x2="0" y2="0">
      <stop offset="0" stop-color="#f8d98c"/>
      <stop offset="1" stop-color="#87501a"/>
    </linearGradient>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#7cc6ff"/>
      <stop offset="1" stop-color="#e6f5ff"/>
    </linearGradient>
    <linearGradient id="hillBack" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#9ad892"/>
      <stop offset="1" stop-color="#62b267"/>
    </linearGradient>
    <linearGradient id="hillFront" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#4ea85c"/>
      <stop offset="1" stop-color="#2c7443"/>
    </linearGradient>
    <linearGradient id="stroke" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#ffbe4d"/>
      <stop offset="0.5" stop-color="#ff7360"/>
      <stop offset="1" stop-color="#de3f8e"/>
    </linearGradient>
    <linearGradient id="night" gradientUnits="userSpaceOnUse" x1="40" y1="40" x2="256" y2="472">
      <stop offset="0" stop-color="#2148a8"/>
      <stop offset="1" stop-color="#0b1a4a"/>
    </linearGradient>
    <radialGradient id="moonGlow" cx="0.5" cy="0.5" r="0.5">
      <stop offset="0" stop-color="#fff6c0"/>
      <stop offset="1" stop-color="#ffc93c"/>
    </radialGradient>
"""


def _photo() -> list[str]:
    return [
        _polygon(CANVAS, 'fill="url(#sky)"'),
        '<circle cx="118" cy="236" r="42" fill="#ffe9a0" opacity="0.45"/>',
        '<circle cx="118" cy="236" r="30" fill="#ffd75e"/>',
        _polygon(HILL_BACK, 'fill="url(#hillBack)"'),
        _polygon(HILL_FRONT, 'fill="url(#hillFront)"'),
    ]


def _painting(small: bool) -> list[str]:
    """The same scene as a starry night, cut to the painting's side of the seam."""
    out = [
        # The night's gradient is laid over the whole canvas (user space), not
        # over the cut outline's bounding box, so the seam does not shift it.
        _polygon(_clip_polygon(CANVAS), 'fill="url(#night)"'),
        _polygon(_clip_polygon(HILL_BACK), 'fill="#1d5b6b"'),
        _polygon(_clip_polygon(HILL_FRONT), 'fill="#163f57"'),
    ]
    mx, my = MOON
    if small:
        swirl = _spiral(230, 150, 10, 80, 1.3, 0.5)
        out.append(_line(swirl, "#d6e4ff", 22))
        out.append(f'<circle cx="{mx}" cy="{my}" r="52" fill="url(#moonGlow)"/>')
        out.append(f'<circle cx="{mx + 22}" cy="{my - 16}" r="40" fill="#1a3b93"/>')
        return out
    for y0, colour, width in (
        (312, "#3c8f8c", 7), (334, "#2f7d80", 6), (356, "#5aa89a", 5),
        (404, "#2d6a83", 6), (428, "#3b7f9a", 5),
    ):  # fmt: skip
        ridge = _cubic((250, y0), (330, y0 - 14), (400, y0 - 12), (470, y0 + 6))
        out.append(_line(ridge, colour, width, 'stroke-dasharray="34 12"'))
    for points, colour, width in (
        (_spiral(238, 150, 14, 80, 2.0, 2.2), "#7fa6ee", 9),
        (_spiral(238, 150, 5, 62, 2.3, 0.5), "#d6e4ff", 8),
        (_arc(238, 150, 100, 160, 340, 0.78), "#5b86dc", 8),
        (_arc(238, 150, 116, 172, 334, 0.78), "#a5c3f6", 6),
        (_spiral(118, 96, 4, 26, 1.6, 1.0), "#e9f0ff", 6),
        (_arc(118, 96, 38, 200, 360), "#8fb1f0", 5),
    ):
        out.append(_line(points, colour, width))
    for r, colour, width, dash in ((64, "#f1c94f", 6, "24 10"), (50, "#fbe38a", 5, "18 9")):
        out.append(
            f'<circle cx="{mx}" cy="{my}" r="{r}" fill="none" stroke="{colour}" '
            f'stroke-width="{width}" stroke-dasharray="{dash}" stroke-linecap="round"/>'
        )
    out.append(f'<circle cx="{mx}" cy="{my}" r="34" fill="url(#moonGlow)"/>')
    out.append(f'<circle cx="{mx + 14}" cy="{my - 10}" r="26" fill="#1a3b93"/>')
    for sx, sy, r in ((320, 60, 7), (440, 212, 6), (178, 62, 5), (330, 230, 5)):
        out.append(f'<circle cx="{sx}" cy="{sy}" r="{r + 6}" fill="#f6e27a" opacity="0.35"/>')
        out.append(f'<circle cx="{sx}" cy="{sy}" r="{r}" fill="#fff6c8"/>')
    return out


def _line(points: list[Point], colour: str, width: float, extra: str = "") -> str:
    """A round-capped polyline, cut to the painting's side of the seam."""
    pieces = _clip_polyline(points)
    if not pieces:
        return ""
    d = " ".join(_path(piece) for piece in pieces)
    return (
        f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}" '
        f'stroke-linecap="round" stroke-linejoin="round"{" " + extra if extra else ""}/>'
    )


def _seam_y(x: float) -> float:
    """The seam as a function of x (the curve's x grows monotonically), extended by
    straight lines beyond its ends so that it cuts the whole canvas."""
    (x0, y0), (x1, y1) = CURVE[0], CURVE[3]
    if x <= x0:
        return y0 + (x - x0) * (y0 - 150) / x0
    if x >= x1:
        return y1 + (x - x1) * (500 - y1) / (500 - x1)
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = (lo + hi) / 2
        if _centre(mid)[0] < x:
            lo = mid
        else:
            hi = mid
    return _centre(lo)[1]


def _in_painting(p: Point) -> bool:
    return p[1] < _seam_y(p[0])


def _densify(points: list[Point], closed: bool, step: float = 2.0) -> list[Point]:
    ends = points[1:] + points[:1] if closed else points[1:]
    pairs = list(zip(points[: len(ends)], ends, strict=True))
    out: list[Point] = []
    for (ax, ay), (bx, by) in pairs:
        n = max(1, int(math.hypot(bx - ax, by - ay) / step))
        out.extend((ax + (bx - ax) * i / n, ay + (by - ay) * i / n) for i in range(n))
    if not closed:
        out.append(points[-1])
    return out


def _crossing(a: Point, b: Point) -> Point:
    """The point between ``a`` and ``b`` (one on each side) where the seam is crossed."""
    for _ in range(30):
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        if _in_painting(mid) == _in_painting(a):
            a = mid
        else:
            b = mid
    return a


def _seam_between(xa: float, xb: float) -> list[Point]:
    n = max(1, int(abs(xb - xa) / 2))
    return [(xa + (xb - xa) * i / n, _seam_y(xa + (xb - xa) * i / n)) for i in range(n + 1)]


def _clip_polygon(polygon: list[Point]) -> list[Point]:
    """``polygon`` cut to the painting's side of the seam.

    Qt's SVG renderer (and so KDE's icon loader) ignores ``clip-path``, so the
    icon is clipped here, when it is drawn, instead of by the renderer. Runs of
    the outline outside the painting are replaced by the seam between the
    points where the outline leaves and re-enters (enough for the simple shapes
    used here: rectangles and hills)."""
    pts = _densify(polygon, closed=True)
    inside = [_in_painting(p) for p in pts]
    if all(inside) or not any(inside):
        return pts if all(inside) else []
    k = inside.index(True)
    pts, inside = pts[k:] + pts[:k], inside[k:] + inside[:k]
    out: list[Point] = []
    i, n = 0, len(pts)
    while i < n:
        if inside[i]:
            out.append(pts[i])
            i += 1
            continue
        leave = _crossing(pts[i - 1], pts[i])
        j = i
        while not inside[j % n]:
            j += 1
        enter = _crossing(pts[j % n], pts[(j - 1) % n])
        out.extend(_seam_between(leave[0], enter[0]))
        i = j
    return out


def _clip_polyline(points: list[Point]) -> list[list[Point]]:
    pieces: list[list[Point]] = []
    current: list[Point] = []
    for p in _densify(points, closed=False):
        if _in_painting(p):
            current.append(p)
        elif current:
            pieces.append(current)
            current = []
    if current:
        pieces.append(current)
    return [piece for piece in pieces if len(piece) > 1]


def _polygon(points: list[Point], attrs: str) -> str:
    if not points:
        return ""
    return f'<path d="{_path(points)} Z" {attrs}/>'


def _rounded_rect(x: float, y: float, size: float, r: float) -> str:
    e = x + size
    f = y + size
    return (
        f"M {x + r} {y} H {e - r} A {r} {r} 0 0 1 {e} {y + r} V {f - r} "
        f"A {r} {r} 0 0 1 {e - r} {f} H {x + r} A {r} {r} 0 0 1 {x} {f - r} "
        f"V {y + r} A {r} {r} 0 0 1 {x + r} {y} Z"
    )


def _frame() -> list[str]:
    """The picture frame: two rings drawn over the canvas, whose hole is the canvas."""
    outer = _rounded_rect(16, 16, 480, 100)
    bevel = _rounded_rect(40, 40, 432, 62)
    hole = _rounded_rect(52, 52, 408, 48)
    return [
        f'<path d="{outer} {bevel}" fill="url(#frame)" fill-rule="evenodd"/>',
        f'<path d="{bevel} {hole}" fill="url(#frameInner)" fill-rule="evenodd"/>',
    ]


def icon_svg(small: bool = False) -> str:
    outline = _stroke_outline()
    lines = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512">',
        "  <title>NST Desktop</title>",
        "  <desc>A photograph turning into a starry-night painting under a brush stroke.</desc>",
        "  <defs>",
        DEFS.rstrip("\n"),
        "  </defs>",
        *("  " + s for s in _photo()),
        *("  " + s for s in _painting(small) if s),
        *("  " + s for s in _frame()),
        f'  <path d="{outline}" fill="#7a2440" opacity="0.25" transform="translate(4 7)"/>',
        f'  <path d="{outline}" fill="url(#stroke)"/>',
    ]
    if not small:
        # The streaks lie inside the stroke by construction (|offset| + width < 1).
        for fraction, t0, t1, colour, width, opacity in BRISTLES:
            lines.append(
                f'  <path d="{_bristle(fraction, t0, t1)}" fill="none" stroke="{colour}" '
                f'stroke-width="{width}" stroke-linecap="round" opacity="{opacity}"/>'
            )
    lines.append("</svg>")
    return "\n".join(lines) + "\n"


SCALABLE = ROOT / "resources" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
SMALL_SOURCE = ROOT / "packaging" / "icons" / f"{APP_ID}-small.svg"


def main() -> int:
    SCALABLE.parent.mkdir(parents=True, exist_ok=True)
    SCALABLE.write_text(icon_svg(small=False), encoding="utf-8")
    SMALL_SOURCE.write_text(icon_svg(small=True), encoding="utf-8")
    print(f"wrote {SCALABLE.relative_to(ROOT)} and {SMALL_SOURCE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
