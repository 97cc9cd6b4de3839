"""The static evaluation view: escaped tables and inline SVG charts, no JavaScript.

It is what viewers without our renderer show (GitHub, nbviewer, VS Code, ``nbconvert``).
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from mlwork_jupyter.display.evaluation_parts import (
    label_text,
    largest_classes,
    leakage_warning,
    numbers,
    worst_slice,
)
from mlwork_jupyter.display.html_table import PANEL_STYLE, panel_table
from mlwork_jupyter.display.lttb import lttb
from mlwork_jupyter.display.svg_chart import Line, Plot, chart_svg
from mlwork_jupyter.display.svg_heatmap import heatmap_svg
from mlwork_jupyter.display.text import number_text
from mlwork_jupyter.ml.evaluation import higher_is_better, value_range

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from mlwork_jupyter.ml.evaluation import Curve, Evaluation

__all__ = ["evaluation_html", "evaluation_text"]

_CONFUSION = 20
_PER_CLASS = 50
_POINTS = 150
_WARN = "color:#c92a2a;font-weight:600;margin:4px 0"


def evaluation_text(ev: Evaluation, title: str = "") -> str:
    """Return the one-line plain-text summary."""
    shown = ", ".join(f"{k} {number_text(v)}" for k, v in list(ev.metrics.items())[:6])
    name = f" {title!r}" if title else ""
    return f"mlwork evaluate{name}: {ev.task}, {ev.rows:,} rows, {shown}"


def evaluation_html(ev: Evaluation, title: str = "") -> str:
    """Return the static fallback: escaped tables and inline SVG charts, no JavaScript."""
    head = " · ".join(
        escape(part)
        for part in (title or "evaluate", ev.task, f"{ev.rows:,} rows", ev.task_reason)
        if part
    )
    parts = [f'<div class="mlwork-panel mlwork-evaluate" style="{PANEL_STYLE}">']
    parts.append(f"<div><strong>{head}</strong></div>")
    warning = leakage_warning(ev)
    if warning:
        parts.append(f'<div style="{_WARN}">⚠ {escape(warning)}</div>')
    parts.append(_table(["metric", "value", "delta", "best"], _metric_text_rows(ev)))
    parts.extend(_classification_html(ev))
    parts.extend(_regression_html(ev))
    parts.extend(_clustering_html(ev))
    parts.append(_slices_html(ev))
    if ev.notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in ev.notes)
        parts.append(f'<ul style="margin:4px 0;opacity:.8">{items}</ul>')
    parts.append("</div>")
    return "".join(parts)


def _table(columns: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    return panel_table(columns, rows, title=title)


def _metric_text_rows(ev: Evaluation) -> list[list[object]]:
    delta = ev.delta or {}
    rows: list[list[object]] = []
    for name, value in ev.metrics.items():
        change = delta.get(name)
        arrow = ""
        if change is not None and math.isfinite(change) and change != 0:
            better = (change > 0) == higher_is_better(name)
            arrow = " ▲" if better else " ▼"
        rows.append(
            [
                name,
                number_text(value),
                None if change is None else f"{change:+.4g}{arrow}",
                None if name not in ev.best else number_text(ev.best[name]),
            ]
        )
    return rows


def _coords(values: NDArray[np.float64]) -> list[float]:
    coords: list[float] = np.asarray(values, dtype=np.float64).tolist()
    return coords


def _svg_line(curve: Curve) -> Line:
    x, y = curve.x, curve.y
    if len(x) > _POINTS:
        x, y = lttb(x, y, _POINTS)
    return Line(label_text(curve.label), _coords(x), numbers(y))


def _classification_html(ev: Evaluation) -> list[str]:
    parts = []
    if ev.confusion is not None and ev.confusion_normalized is not None:
        keep = largest_classes(ev, _CONFUSION)
        labels = [label_text(ev.classes[i]) for i in keep]
        caption = "confusion matrix (rows: true, columns: predicted, shade: share of true)"
        parts.append(
            heatmap_svg(
                ev.confusion.to_numpy(dtype=np.float64)[np.ix_(keep, keep)],
                ev.confusion_normalized.to_numpy()[np.ix_(keep, keep)],
                labels,
                labels,
                caption,
                annotate=True,
            )
        )
    plots = []
    chance = Line("chance", [0.0, 1.0], [0.0, 1.0], dashed=True)
    if ev.curves.roc:
        lines = (*(_svg_line(c) for c in ev.curves.roc), chance)
        plots.append(Plot("ROC (one-vs-rest)", lines, "false positive rate"))
    if ev.curves.pr:
        plots.append(Plot("precision-recall", tuple(map(_svg_line, ev.curves.pr)), "recall"))
    calibration = ev.curves.calibration
    if calibration is not None:
        filled = calibration.count > 0
        line = Line(
            "observed",
            _coords(calibration.mean_predicted[filled]),
            numbers(calibration.fraction_positive[filled]),
        )
        plots.append(Plot("calibration", (line, chance), "mean predicted probability"))
    parts.append(chart_svg(plots))
    if ev.per_class is not None:
        frame = ev.per_class.iloc[largest_classes(ev, _PER_CLASS)]
        rows = [
            [label_text(label), *(number_text(v) for v in values)]
            for label, values in zip(frame.index, frame.to_numpy(dtype=np.float64), strict=True)
        ]
        parts.append(_table(["class", *map(str, frame.columns)], rows, "per class"))
    return parts


def _regression_html(ev: Evaluation) -> list[str]:
    c = ev.curves
    if c.y_true is None or c.y_pred is None or c.residual_hist is None:
        return []
    lo, hi = value_range(c.y_true, c.y_pred)
    bins = 32
    counts, _, _ = np.histogram2d(c.y_pred, c.y_true, bins=bins, range=[[lo, hi], [lo, hi]])
    grid = counts[::-1]  # predicted grows upwards
    shades = np.log1p(grid) / max(float(np.log1p(grid).max()), 1.0)
    caption = (
        f"predicted (up) vs true (right), both {number_text(lo)} to {number_text(hi)}; shade: rows"
    )
    density = heatmap_svg(grid, shades, [], [], caption, annotate=False)
    hist = c.residual_hist
    centres = (hist.edges[:-1] + hist.edges[1:]) / 2
    line = Line("rows", _coords(centres), hist.counts.astype(np.float64).tolist())
    return [density, chart_svg([Plot("residuals (true - predicted)", (line,), "residual")])]


def _clustering_html(ev: Evaluation) -> list[str]:
    sizes = ev.curves.cluster_sizes
    if sizes is None:
        return []
    silhouette = ev.curves.silhouette_per_cluster
    values = (
        silhouette.reindex(sizes.index).to_numpy()
        if silhouette is not None and not silhouette.empty
        else np.full(len(sizes), np.nan)
    )
    rows: list[list[object]] = [
        [label_text(cluster), int(size), number_text(float(value))]
        for cluster, size, value in zip(sizes.index, sizes.to_numpy(), values, strict=True)
    ]
    return [_table(["cluster", "rows", "silhouette"], rows, "clusters")]


def _slices_html(ev: Evaluation) -> str:
    frame = ev.slices
    if frame is None:
        return ""
    metric, worst = worst_slice(ev)
    rows: list[list[object]] = []
    for position, (key, values) in enumerate(
        zip(frame.index, frame.to_numpy(dtype=np.float64), strict=True)
    ):
        flag = f"worst {metric}" if position == worst else ""
        rows.append([label_text(key), *(number_text(v) for v in values), flag])
    name = str(frame.index.name or "slice")
    return _table([name, *map(str, frame.columns), ""], rows, f"by {name}")
