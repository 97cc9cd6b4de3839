"""The tune panel's static fallback: escaped header, trial table and inline SVG, no JavaScript.

Every function takes the plain values of the tune payload (`mlwork_jupyter.display.tune_panel`)
and escapes every string it writes: titles, ids, names, values and messages are data.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING, Any, TypeAlias

from mlwork_jupyter.display.html_table import PANEL_STYLE, panel_table
from mlwork_jupyter.display.svg_chart import Line, Plot, chart_svg, nice_ticks
from mlwork_jupyter.display.text import duration_text, number_text

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = [
    "MAX_SCATTERS",
    "best_chart",
    "fit_chart",
    "param_scatters",
    "shortened",
    "trial_table",
    "tune_html",
    "tune_text",
]

MAX_SCATTERS = 6
_WARN = "color:#c92a2a;font-weight:600;margin:2px 0"
_NOTE = "opacity:.7;font-size:12px"
_BEST_ROW = "font-weight:700"
_STAR = "\N{BLACK STAR} "
_CELL_CHARS = 40
_W, _H, _GAP = 270, 170, 14
_LEFT, _RIGHT, _TOP, _BOTTOM = 46, 10, 22, 32
_MAX_POINTS = 300
_MAX_CATEGORIES = 10
_LOG_RATIO = 100.0
_INSET = 8
_POINT, _BEST_POINT = "#2f6fdf", "#e8590c"
_Point: TypeAlias = tuple[Any, float, bool]  # a hyper-parameter's value, the score, is best


def shortened(text: object, chars: int = _CELL_CHARS) -> str:
    """Return ``str(text)`` cut to `chars` characters, an ellipsis last when cut."""
    value = str(text)
    return value if len(value) <= chars else value[: chars - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _best_row(tune: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((r for r in tune["trials"] if r["id"] == tune["best"]), None)


def _best_text(tune: Mapping[str, Any]) -> str:
    row = _best_row(tune)
    if row is None:
        return ""
    return f"best {tune['objective'] or 'score'} {number_text(row['score'])} (trial {row['id']})"


def _trials_text(total: int, most: int | None) -> str:
    if most is not None:
        return f"trial {total} of {most}" if total else f"0 of {most} trials"
    return f"{total} trial" + ("" if total == 1 else "s")


def _head(payload: Mapping[str, Any]) -> list[str]:
    tune, progress = payload["tune"], payload["progress"]
    parts = [payload["status"], _trials_text(tune["total_trials"], progress["trials_max"])]
    parts.append(f"{duration_text(progress['elapsed_s'] or 0.0)} elapsed")
    if progress["eta_s"] is not None and progress["eta_s"] > 0:
        parts.append(f"ETA {duration_text(progress['eta_s'])}")
    best = _best_text(tune)
    return [*parts, best] if best else parts


def fit_chart(label: str, progress: Mapping[str, Any], chart: str) -> str:
    """Return the running fit's line (whose fit, epoch, step) above its epoch chart."""
    parts = [label]
    for key, total in (("epoch", "epochs"), ("step", "steps")):
        if progress[key] is not None:
            of = f"/{progress[total]}" if progress[total] is not None else ""
            parts.append(f"{key} {progress[key]}{of}")
    return f"<div>{escape(' · '.join(parts))}</div>{chart}"


def best_chart(best_so_far: Mapping[str, Sequence[Any]], objective: str | None) -> str:
    """Return the best score so far against the trial number as an SVG chart."""
    if not best_so_far["number"]:
        return ""
    line = Line("best so far", best_so_far["number"], best_so_far["score"])
    return chart_svg([Plot(f"best {objective or 'score'} so far", (line,), x_label="trial")])


def _cell(value: Any) -> object:
    if value is None:
        return None
    if _is_number(value):
        return value if isinstance(value, int) else number_text(value)
    return shortened(value)


def trial_table(
    rows: Sequence[Mapping[str, Any]], params: Sequence[str], best: str | None, total: int
) -> str:
    """Return the trial table (rows as given: best first), the best row starred and bold."""
    body = []
    for row in rows:
        mark = _STAR if row["id"] == best else ""
        status = row["status"] + (f": {shortened(row['message'], 60)}" if row["message"] else "")
        duration = None if row["duration_s"] is None else duration_text(row["duration_s"])
        body.append(
            [
                f"{mark}{row['id']}",
                status,
                _cell(row["score"]),
                *(_cell(row["params"].get(name)) for name in params),
                duration,
            ]
        )
    styles = [_BEST_ROW if row["id"] == best else "" for row in rows]
    table = panel_table(["trial", "status", "score", *params, "duration"], body, row_styles=styles)
    left = total - len(rows)
    if left > 0:
        table += f'<div style="{_NOTE}">… {left} more trials in the record</div>'
    return table


def _sample(points: list[_Point]) -> list[_Point]:
    """Return at most `_MAX_POINTS` points, evenly strided, the best one always among them."""
    if len(points) <= _MAX_POINTS:
        return points
    step = len(points) / _MAX_POINTS
    kept = [points[int(i * step)] for i in range(_MAX_POINTS)]
    best = [p for p in points if p[2]]
    return kept if not best or any(p[2] for p in kept) else [*kept[1:], best[0]]


def _tick(value: float) -> str:
    return f"{value:.3g}"


def _x_positions(
    values: Sequence[Any], x0: float, x1: float
) -> tuple[list[float | None], list[tuple[float, str]]]:
    """Return each point's x pixel (None: not drawn) and the axis' ticks (pixel, text).

    Numbers get a linear axis (a log one when positive and spanning 100 times or more);
    anything else one column per category, the first ten in the order seen.
    """
    if all(_is_number(v) and math.isfinite(v) for v in values):
        nums = [float(v) for v in values]
        log = min(nums) > 0 and max(nums) / min(nums) >= _LOG_RATIO
        scaled = [math.log10(v) for v in nums] if log else nums
        lo, hi = min(scaled), max(scaled)
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5

        def pixel(value: float) -> float:  # inset, so that no point sits on the frame
            return x0 + _INSET + (value - lo) / (hi - lo) * (x1 - x0 - 2 * _INSET)

        if log:
            ticks = [(float(k), _tick(10.0**k)) for k in range(math.ceil(lo), math.floor(hi) + 1)]
        else:
            ticks = [(t, _tick(t)) for t in nice_ticks(lo, hi, 4)]
        return [pixel(v) for v in scaled], [(pixel(t), text) for t, text in ticks]
    categories = list(dict.fromkeys(str(v) for v in values))[:_MAX_CATEGORIES]
    width = (x1 - x0) / max(len(categories), 1)
    where = {c: x0 + (i + 0.5) * width for i, c in enumerate(categories)}
    ticks = [(x, shortened(c, max(int(width / 6), 3))) for c, x in where.items()]
    return [where.get(str(v)) for v in values], ticks


def _scatter(
    name: str, points: Sequence[_Point], y_label: str, left: float, top: float
) -> list[str]:
    """Return one plot: the score (y) of each trial against one hyper-parameter's value (x)."""
    x0, x1 = left + _LEFT, left + _W - _RIGHT
    y0, y1 = top + _H - _BOTTOM, top + _TOP
    scores = [s for _, s, _ in points]
    lo, hi = min(scores), max(scores)
    pad = (hi - lo) * 0.1 or (abs(hi) * 0.05 or 0.5)
    lo, hi = lo - pad, hi + pad
    xs, ticks = _x_positions([v for v, _, _ in points], x0, x1)
    title = escape(shortened(f"{y_label} vs {name}", 44))
    out = [
        f'<text x="{left:.1f}" y="{top + 14:.1f}" font-weight="600">{title}</text>',
        (
            f'<rect x="{x0:.1f}" y="{y1:.1f}" width="{x1 - x0:.1f}" height="{y0 - y1:.1f}" '
            'fill="none" stroke="currentColor" stroke-opacity="0.25"/>'
        ),
    ]
    out.extend(
        f'<text x="{x:.1f}" y="{y0 + 14:.1f}" text-anchor="middle" opacity="0.75">'
        f"{escape(text)}</text>"
        for x, text in ticks
    )
    for tick in nice_ticks(lo, hi, 4):
        y = y0 - (tick - lo) / (hi - lo) * (y0 - y1)
        out.append(
            f'<text x="{x0 - 5:.1f}" y="{y + 3.5:.1f}" text-anchor="end" opacity="0.75">'
            f"{escape(_tick(tick))}</text>"
        )
    for x, (_, score, is_best) in zip(xs, points, strict=True):
        if x is None:
            continue
        y = y0 - (score - lo) / (hi - lo) * (y0 - y1)
        if is_best:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{_BEST_POINT}">'
                "<title>best trial</title></circle>"
            )
        else:
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{_POINT}" fill-opacity="0.6"/>'
            )
    return out


def param_scatters(
    rows: Sequence[Mapping[str, Any]],
    params: Sequence[str],
    best: str | None,
    objective: str | None,
) -> str:
    """Return one scatter per hyper-parameter (at most six) of the ok trials' scores."""
    scored = [r for r in rows if r["status"] == "ok" and r["score"] is not None]
    plots = []
    for name in params:
        points = [
            (r["params"][name], float(r["score"]), r["id"] == best)
            for r in scored
            if r["params"].get(name) is not None
        ]
        if points:
            plots.append((name, _sample(points)))
    if not plots:
        return ""
    shown = plots[:MAX_SCATTERS]
    cols = min(3, len(shown))
    rows_n = -(-len(shown) // cols)
    width = cols * _W + (cols - 1) * _GAP
    height = rows_n * (_H + _GAP)
    body: list[str] = []
    for index, (name, points) in enumerate(shown):
        row, col = divmod(index, cols)
        body.extend(
            _scatter(name, points, objective or "score", col * (_W + _GAP), row * (_H + _GAP))
        )
    note = ""
    if len(plots) > len(shown):
        note = (
            f'<div style="{_NOTE}">{len(plots) - len(shown)} more hyper-parameters not shown</div>'
        )
    label = escape("score against hyper-parameters: " + ", ".join(name for name, _ in shown))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{label}" font-size="10" '
        f'fill="currentColor" style="max-width:100%;height:auto">{"".join(body)}</svg>{note}'
    )


def tune_html(payload: Mapping[str, Any], fit: str, best: str, table: str, scatters: str) -> str:
    """Return the whole fallback: header, error, best-so-far, running fit, table, scatters."""
    tune = payload["tune"]
    head = [f"<strong>{escape(payload['title'] or payload['kind'])}</strong>"]
    head.extend(f"<span>{escape(p)}</span>" for p in _head(payload))
    what = [tune["library"], tune["tuner"]]
    if tune["objective"]:
        what.append(f"{tune['objective']} ({tune['direction']})")
    if tune["searches"] > 1:
        what.append(f"{tune['searches']} searches")
    parts = [
        f'<div class="mlwork-panel mlwork-tune" style="{PANEL_STYLE}">',
        f"<div>{' · '.join(head)}</div>",
        f'<div style="{_NOTE}">{escape(" · ".join(what))}</div>',
    ]
    if tune["error"]:
        parts.append(f'<div style="{_WARN}">{escape(tune["error"])}</div>')
    parts.extend([best, fit, table, scatters, "</div>"])
    return "".join(parts)


def tune_text(payload: Mapping[str, Any]) -> str:
    """Return the one-line summary: status, trials by status and the best one."""
    tune = payload["tune"]
    name = payload["title"] or payload["kind"]
    counts = ", ".join(f"{n} {s}" for s, n in tune["counts"].items() if n)
    total = tune["total_trials"]
    line = f"mlwork tune panel {name!r}: {payload['status']}, {_trials_text(total, None)}"
    line += f" ({counts})" if counts else ""
    best = _best_text(tune)
    line += f", {best}" if best else ""
    return line + (f", error: {tune['error']}" if tune["error"] else "")
