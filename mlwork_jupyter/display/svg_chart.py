"""Static SVG line charts of metric families (train and validation overlaid), no JavaScript."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from mlwork_jupyter.provenance.metric_direction import is_bounded

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["Line", "Plot", "chart_svg", "family_plots", "log_tick_label", "log_ticks", "nice_ticks"]

_COLOURS = {"train": "#2f6fdf", "val": "#e8590c"}
_OTHER_COLOURS = ("#2f9e44", "#ae3ec9", "#f08c00", "#0c8599")
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
_PLOT_HEIGHT = 200
_GAP = 18
_MARGIN_LEFT = 58
_MARGIN_RIGHT = 14
_MARGIN_TOP = 26
_MARGIN_BOTTOM = 38
_LEGEND_HEIGHT = 22
_MARKER_LIMIT = 40
_LOG_RATIO = 30.0
_MAX_PLOTS = 6


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a plot: its legend label and points (None or NaN breaks the line)."""

    label: str
    xs: Sequence[float]
    ys: Sequence[float | None]
    dashed: bool = False
    best: tuple[float, float] | None = None
    """The best point ``(x, y)``, marked with a ring and its value."""


@dataclass(frozen=True, slots=True)
class Plot:
    """One small chart: a metric family with its lines and the x axis' name."""

    title: str
    lines: tuple[Line, ...]
    x_label: str = "epoch"
    log_y: bool = False
    stops: tuple[tuple[float, str], ...] = ()
    """Vertical marks ``(x, label)``: where EarlyStopping stopped, the epoch it restored."""


def family_plots(
    series: Mapping[str, tuple[Sequence[float], Sequence[float | None]]],
    x_label: str = "epoch",
    *,
    best: Mapping[str, tuple[float, float]] | None = None,
    stops: Mapping[str, Sequence[tuple[float, str]]] | None = None,
) -> list[Plot]:
    """Group series into one plot per metric family, validation drawn over training.

    ``loss`` goes with ``val_loss``, ``fit2/acc`` with ``fit2/val_acc``.

    Families keep the order in which their first series appears, except that loss families
    come first. Unbounded families (losses, errors; not accuracy, AUC...) whose positive
    values span a ratio of 30 or more get a log scale. `best` marks each series' best point
    (by series name); `stops` adds vertical marks to every plot of a fit (by fit prefix,
    ``""`` or ``"fit2/"``).
    """
    families: dict[str, dict[str, str]] = {}
    for name in series:
        prefix, _, base = name.rpartition("/")
        role = "train"
        if base.startswith("val_") and len(base) > len("val_"):
            role, base = "val", base[len("val_") :]
        family = f"{prefix}/{base}" if prefix else base
        families.setdefault(family, {})[role] = name
    order = sorted(families, key=lambda fam: 0 if "loss" in fam.rpartition("/")[2] else 1)
    plots = []
    for family in order:
        roles = families[family]
        lines = tuple(
            Line(
                role,
                series[roles[role]][0],
                series[roles[role]][1],
                dashed=role == "val",
                best=(best or {}).get(roles[role]),
            )
            for role in ("train", "val")
            if role in roles
        )
        prefix = family.rpartition("/")[0]
        marks = tuple((stops or {}).get(f"{prefix}/" if prefix else "", ()))
        plots.append(Plot(family, lines, x_label, _wants_log(family, lines), marks))
    return plots


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _wants_log(family: str, lines: Sequence[Line]) -> bool:
    if is_bounded(family):
        return False
    values = [v for line in lines for v in _finite(line.ys)]
    if not values or min(values) <= 0:
        return False
    return max(values) / min(values) >= _LOG_RATIO


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Return about `count` round tick values covering `[lo, hi]`."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value = first + len(ticks) * step
    return ticks


def log_ticks(lo: float, hi: float) -> list[float]:
    """Return tick values for a log axis over `[lo, hi]` (both > 0): decades, 1-2-5 when few.

    A log axis has no 0: every tick is a positive power of ten (``0.001, 0.01, 0.1, 1``), or
    1, 2 and 5 times one when the range spans less than two decades; at most about six.

    Examples
    --------
    >>> log_ticks(0.0005, 2.0)
    [0.001, 0.01, 0.1, 1.0]
    >>> log_ticks(0.15, 0.9)
    [0.2, 0.5]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or hi < lo:
        return []
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    factors = (1, 2, 5) if last - first <= 2 else (1,)  # noqa: PLR2004 - under two decades
    step = max(1, math.ceil((last - first + 1) / 6))
    ticks = [
        float(f"{m}e{k}")
        for k in range(first, last + 1)
        if (k - first) % step == 0
        for m in factors
    ]
    eps = 1e-9 * hi
    return [t for t in ticks if lo - eps <= t <= hi + eps]


def log_tick_label(value: float) -> str:
    """Return a log tick's label: ``0.01``, ``0.1``, ``1``, ``100`` or ``1e-3``, ``2e4``."""
    if value <= 0 or not math.isfinite(value):
        return ""
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = round(value / 10**exponent, 6)
    if -2 <= exponent <= 3:  # noqa: PLR2004 - 0.01 up to 5000 read best in plain digits
        return f"{value:.{max(0, -exponent)}f}"
    return f"{mantissa:g}e{exponent}"


def _label(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e5 or magnitude < 1e-3:  # noqa: PLR2004 - switch to exponent form
        return f"{value:.1e}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")
    return f"{value:.4g}"


class _Scale:
    """A linear (or log) map from data values to pixel coordinates."""

    def __init__(self, lo: float, hi: float, start: float, end: float, *, log: bool) -> None:
        self.log = log
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
        if hi <= lo:
            pad = abs(lo) * 0.05 or 0.5
            lo, hi = lo - pad, hi + pad
        self.lo, self.hi, self.start, self.end = lo, hi, start, end

    def __call__(self, value: float) -> float:
        if self.log:
            value = math.log10(value)
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)

    def ticks(self) -> list[float]:
        if not self.log:
            return nice_ticks(self.lo, self.hi)
        return log_ticks(10**self.lo, 10**self.hi)


def _y_range(values: list[float], *, log: bool) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if log:
        return lo / 1.15, hi * 1.15
    pad = (hi - lo) * 0.06 or (abs(hi) * 0.05 or 0.5)
    return lo - pad, hi + pad


def _path(points: list[tuple[float, float] | None]) -> str:
    parts: list[str] = []
    pen_down = False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{point[0]:.1f},{point[1]:.1f}")
        pen_down = True
    return "".join(parts)


def _points(line: Line, sx: _Scale, sy: _Scale, *, log_y: bool) -> list[tuple[float, float] | None]:
    """Return the line's pixel points, None where a value cannot be drawn (a gap)."""
    points: list[tuple[float, float] | None] = []
    for x_value, y_value in zip(line.xs, line.ys, strict=True):
        x = float(x_value)
        if (
            y_value is None
            or not math.isfinite(y_value)
            or not math.isfinite(x)
            or (log_y and y_value <= 0)
        ):
            points.append(None)
        else:
            points.append((sx(x), sy(y_value)))
    return points


def _colour(label: str, index: int) -> str:
    return _COLOURS.get(label, _OTHER_COLOURS[index % len(_OTHER_COLOURS)])


def _plot_svg(plot: Plot, left: float, top: float, width: float) -> list[str]:
    x0, x1 = left + _MARGIN_LEFT, left + width - _MARGIN_RIGHT
    y0, y1 = top + _MARGIN_TOP + _PLOT_HEIGHT, top + _MARGIN_TOP
    title = plot.title + (" (log scale)" if plot.log_y else "")
    out = [
        (
            f'<text x="{x0:.1f}" y="{top + 16:.1f}" font-weight="600" font-size="12">'
            f"{escape(title)}</text>"
        )
    ]
    xs_all = [float(x) for line in plot.lines for x in line.xs if math.isfinite(float(x))]
    ys_all = [v for line in plot.lines for v in _finite(line.ys) if v > 0 or not plot.log_y]
    if not xs_all or not ys_all:
        out.append(
            f'<text x="{(x0 + x1) / 2:.1f}" y="{(y0 + y1) / 2:.1f}" text-anchor="middle" '
            f'opacity="0.6">no finite values yet</text>'
        )
        return out
    sx = _Scale(min(xs_all), max(xs_all), x0, x1, log=False)
    sy = _Scale(*_y_range(ys_all, log=plot.log_y), y0, y1, log=plot.log_y)
    out.append(
        f'<rect x="{x0:.1f}" y="{y1:.1f}" width="{x1 - x0:.1f}" height="{y0 - y1:.1f}" '
        'fill="none" stroke="currentColor" stroke-opacity="0.25"/>'
    )
    for tick in sy.ticks():
        y = sy(tick)
        out.append(
            f'<line x1="{x0:.1f}" x2="{x1:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="currentColor" stroke-opacity="0.1"/>'
            f'<text x="{x0 - 6:.1f}" y="{y + 3.5:.1f}" text-anchor="end" opacity="0.75">'
            f"{escape(log_tick_label(tick) if plot.log_y else _label(tick))}</text>"
        )
    x_ticks = nice_ticks(sx.lo, sx.hi)
    if all(float(x).is_integer() for x in xs_all):
        x_ticks = [t for t in x_ticks if float(t).is_integer()] or x_ticks
    for tick in x_ticks:
        x = sx(tick)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0:.1f}" y2="{y0 + 4:.1f}" '
            'stroke="currentColor" stroke-opacity="0.5"/>'
            f'<text x="{x:.1f}" y="{y0 + 16:.1f}" text-anchor="middle" opacity="0.75">'
            f"{escape(_label(tick))}</text>"
        )
    out.append(
        f'<text x="{(x0 + x1) / 2:.1f}" y="{y0 + 32:.1f}" text-anchor="middle" opacity="0.75">'
        f"{escape(plot.x_label)}</text>"
    )
    for index, line in enumerate(plot.lines):
        colour = _colour(line.label, index)
        points = _points(line, sx, sy, log_y=plot.log_y)
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        out.append(
            f'<path d="{_path(points)}" fill="none" stroke="{colour}" stroke-width="2" '
            f'stroke-linejoin="round" stroke-linecap="round"{dash}>'
            f"<title>{escape(line.label)}</title></path>"
        )
        drawn = [p for p in points if p is not None]
        if len(drawn) <= _MARKER_LIMIT:
            out.extend(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.6" fill="{colour}"/>' for px, py in drawn
            )
        out.extend(_best_mark(line, sx, sy, colour, index))
    for x_value, label in plot.stops:
        if sx.lo - 1e-9 <= x_value <= sx.hi + 1e-9:
            x = sx(x_value)
            out.append(
                f'<g class="mlwork-stop-mark"><line x1="{x:.1f}" x2="{x:.1f}" y1="{y1:.1f}" '
                f'y2="{y0:.1f}" stroke="currentColor" stroke-opacity="0.55" '
                'stroke-dasharray="2 3"/>'
                f'<text x="{x + 3:.1f}" y="{y1 + 10 + 11 * (label == "restored"):.1f}" '
                f'font-size="10" opacity="0.8">{escape(f"{label} {_label(x_value)}")}</text></g>'
            )
    return out


def _best_mark(line: Line, sx: _Scale, sy: _Scale, colour: str, index: int) -> list[str]:
    """Return a ring around the line's best point, its value and a tooltip."""
    if line.best is None:
        return []
    x_value, y_value = line.best
    if not (math.isfinite(x_value) and math.isfinite(y_value)) or (sy.log and y_value <= 0):
        return []
    x, y = sx(x_value), sy(y_value)
    anchor = "end" if x > (sx.start + sx.end) / 2 else "start"
    dx = -7 if anchor == "end" else 7
    text = f"best {_label(y_value)} @ {_label(x_value)}"
    return [
        f'<g class="mlwork-best-mark"><title>{escape(f"{line.label} {text}")}</title>'  # noqa: ISC004
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="none" stroke="{colour}" '
        'stroke-width="2"/>'
        f'<text x="{x + dx:.1f}" y="{y - 7 + 20 * index:.1f}" text-anchor="{anchor}" '
        f'font-size="10" fill="{colour}">{escape(text)}</text></g>'
    ]


def _legend(labels: list[str], width: float) -> list[str]:
    out = []
    x = width - _MARGIN_RIGHT
    for index, label in reversed(list(enumerate(labels))):
        text_width = 7 * len(label) + 8
        x -= text_width + 26
        colour = _colour(label, index)
        dash = ' stroke-dasharray="6 4"' if label == "val" else ""
        out.append(
            f'<line x1="{x:.1f}" x2="{x + 20:.1f}" y1="11" y2="11" stroke="{colour}" '
            f'stroke-width="2"{dash}/>'
            f'<text x="{x + 25:.1f}" y="15">{escape(label)}</text>'
        )
    return out


def chart_svg(plots: Sequence[Plot], *, width: int = 860, columns: int | None = None) -> str:
    """Render plots as small multiples in one inline SVG element.

    Text and axes use `currentColor`, so the chart follows the page's light or dark theme.
    Every string is escaped. At most six plots are drawn; a note says how many were left out.

    Parameters
    ----------
    plots
        The plots, in order.
    width
        Total width in pixels.
    columns
        Plots per row (default: 1 for one plot, 2 up to four plots, else 3).

    Returns
    -------
    str
        An `<svg>` element, or an empty string when there is nothing to draw.
    """
    if not plots:
        return ""
    shown = list(plots[:_MAX_PLOTS])
    cols = columns or (1 if len(shown) == 1 else 2 if len(shown) <= 4 else 3)  # noqa: PLR2004
    rows = math.ceil(len(shown) / cols)
    cell_width = (width - _GAP * (cols - 1)) / cols
    cell_height = _MARGIN_TOP + _PLOT_HEIGHT + _MARGIN_BOTTOM
    height = _LEGEND_HEIGHT + rows * cell_height + (rows - 1) * _GAP
    labels: list[str] = []
    for plot in shown:
        labels.extend(line.label for line in plot.lines if line.label not in labels)
    body = _legend(labels, width)
    left_out = len(plots) - len(shown)
    if left_out:
        body.append(f'<text x="0" y="15" opacity="0.7">{left_out} more not shown</text>')
    for index, plot in enumerate(shown):
        row, col = divmod(index, cols)
        left = col * (cell_width + _GAP)
        top = _LEGEND_HEIGHT + row * (cell_height + _GAP)
        body.extend(_plot_svg(plot, left, top, cell_width))
    label = escape("metrics chart: " + ", ".join(plot.title for plot in shown))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" role="img" aria-label="{label}" '
        f'font-family="{_FONT}" font-size="11" fill="currentColor" '
        f'style="max-width:100%;height:auto">{"".join(body)}</svg>'
    )
