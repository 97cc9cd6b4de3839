"""The monitoring panel: a `DriftReport` as the panel payload (kind ``monitor``) and static HTML.

The payload follows the panel protocol of `mlwork_jupyter.display.panel` (``version``,
``kind``, ``status``, ``title``, ``progress``, ``series``, ``final``, ``table``) and adds a
``monitor`` section, plain JSON with NaN and infinity as null::

    "monitor": {
      "reference_rows": 100000, "current_rows": 50000, "reference_source": "data",
      "features_count": 20, "drifted": 3, "drift_share": 0.15, "drift_share_threshold": 0.5,
      "dataset_drift": false,
      "features": {"columns": ["feature", "kind", "method", "statistic", "p_value",
                               "threshold", "drifted", "psi", "psi_band"],
                   "rows": [[...], ...]},          # drifted first, then by PSI, descending
      "histograms": [{"feature": "age", "drifted": true, "type": "histogram",
                      "edges": [...], "reference": [...], "current": [...]},
                     {"feature": "city", "drifted": false, "type": "categories",
                      "labels": [...], "reference": [...], "current": [...],
                      "other": {"categories": 4, "reference": 0.01, "current": 0.02} | null}],
                                                   # the first 12 features of that order
      "prediction": {"row": {...}, "distribution": {...}} | null,
      "quality": {"columns": ["feature", "missing_reference", "missing_current",
                              "out_of_range", "unseen"], "rows": [[...]],
                  "schema": {"missing_columns": [...], "extra_columns": [...],
                             "dtype_changes": [...]}},
      "serving": {"latency": {"p50": 3.1, ...}, "error_rate": 0.0, "requests": 812} | null,
      "alerts": ["..."], "notes": ["..."]
    }

Shares are fractions of each side's values. ``series`` may carry figures over repeated checks
(``watch=True``), as the train panel's epoch series. Every name is data: the renderer writes
it as text, and this module escapes it in HTML and SVG.
"""

from __future__ import annotations

from html import escape
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np

from mlwork_jupyter.display.evaluation_parts import number
from mlwork_jupyter.display.html_table import PANEL_STYLE, panel_table
from mlwork_jupyter.display.panel import PANEL_MIME
from mlwork_jupyter.display.text import number_text

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mlwork_jupyter.ml.monitoring import DriftReport

__all__ = ["MAX_HISTOGRAMS", "monitor_bundle", "monitor_html", "monitor_payload", "monitor_text"]

MAX_HISTOGRAMS = 12
_COLUMNS = ("feature", "kind", "method", "statistic", "p_value", "threshold", "drifted", "psi")
_COLOURS = {"reference": "#2f6fdf", "current": "#e8590c"}
_WARN = "color:#c92a2a;font-weight:600;margin:2px 0"
_CHART_W, _CHART_H, _GAP = 200, 96, 14


def _rank(row: Mapping[str, Any]) -> tuple[bool, float]:
    psi = row["psi"]
    return (not row["drifted"], -psi if psi is not None else 1.0)


def _ordered(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Return the feature rows drifted first, then by PSI (largest first; none last)."""
    return sorted(rows, key=_rank)


def _quality_rows(report: DriftReport) -> list[list[Any]]:
    q = report.quality
    rows = []
    for name, missing in q["missing"].items():
        ranged = q["out_of_range"].get(name)
        unseen = q["unseen_categories"].get(name)
        rows.append(
            [
                name,
                number(missing["reference"], 6),
                number(missing["current"], 6),
                None if ranged is None else ranged["count"],
                None if unseen is None else unseen["count"],
            ]
        )
    return rows


def monitor_payload(
    report: DriftReport,
    title: str = "",
    *,
    status: str = "ok",
    series: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the panel payload of `report` (see the module docstring for the schema)."""
    data = report.as_dict()
    ordered = _ordered(data["features"])
    histograms = [
        {
            "feature": row["feature"],
            "drifted": row["drifted"],
            **report.distributions[row["feature"]],
        }
        for row in ordered
        if report.distributions.get(row["feature"]) is not None
    ][:MAX_HISTOGRAMS]
    prediction = None
    if report.prediction_drift is not None:
        prediction = {
            "row": data["prediction_drift"],
            "distribution": data["prediction_distribution"],
        }
    serving = None
    if report.latency is not None or report.error_rate is not None or report.requests is not None:
        serving = {
            "latency": data["latency"],
            "error_rate": data["error_rate"],
            "requests": data["requests"],
        }
    return {
        "version": 1,
        "kind": "monitor",
        "status": status,
        "title": title,
        "progress": None,
        "series": dict(series or {}),
        "final": data["metrics"],
        "table": None,
        "monitor": {
            "reference_rows": report.reference_rows,
            "current_rows": report.current_rows,
            "reference_source": report.reference_source,
            "features_count": len(ordered),
            "drifted": sum(bool(r["drifted"]) for r in ordered),
            "drift_share": number(report.drift_share),
            "drift_share_threshold": report.drift_share_threshold,
            "dataset_drift": report.dataset_drift,
            "features": {
                "columns": [*_COLUMNS, "psi_band"],
                "rows": [[row[c] for c in (*_COLUMNS, "psi_band")] for row in ordered],
            },
            "histograms": histograms,
            "prediction": prediction,
            "quality": {
                "columns": [
                    "feature",
                    "missing_reference",
                    "missing_current",
                    "out_of_range",
                    "unseen",
                ],
                "rows": _quality_rows(report),
                "schema": data["quality"]["schema"],
            },
            "serving": serving,
            "alerts": list(report.alerts),
            "notes": list(report.notes),
        },
    }


def _bars(name: str, caption: str, dist: Mapping[str, Any], left: float, top: float) -> list[str]:
    """Return one small chart: reference and current shares per bin, side by side."""
    ref, cur = dist["reference"], dist["current"]
    if dist["type"] == "histogram":
        edges = dist["edges"]
        labels = [f"{number_text(a)} to {number_text(b)}" for a, b in pairwise(edges)]
    else:
        labels = list(dist["labels"])
    out = [
        f'<text x="{left:.1f}" y="{top + 11:.1f}" font-weight="600">{escape(name[:32])}</text>',
        f'<text x="{left:.1f}" y="{top + 24:.1f}" opacity="0.7">{escape(caption)}</text>',
    ]
    bins = max(len(ref), 1)
    tallest = max([*ref, *cur, 1e-12])
    base, height, width = top + _CHART_H, _CHART_H - 34, _CHART_W / bins
    for i, (label, r, c) in enumerate(zip(labels, ref, cur, strict=True)):
        for j, (side, share) in enumerate((("reference", r), ("current", c))):
            h = height * share / tallest
            x = left + i * width + j * width / 2
            tip = escape(f"{label}: {side} {share:.2%}")
            out.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{max(width / 2 - 0.6, 0.4):.1f}" '
                f'height="{h:.1f}" fill="{_COLOURS[side]}"><title>{tip}</title></rect>'
            )
    out.append(
        f'<line x1="{left:.1f}" x2="{left + _CHART_W:.1f}" y1="{base:.1f}" y2="{base:.1f}" '
        'stroke="currentColor" stroke-opacity="0.4"/>'
    )
    return out


def _charts(items: Sequence[tuple[str, str, Mapping[str, Any]]], label: str) -> str:
    if not items:
        return ""
    cols = min(4, len(items))
    rows = -(-len(items) // cols)
    width = cols * _CHART_W + (cols - 1) * _GAP
    height = 20 + rows * (_CHART_H + _GAP)
    body = [
        (
            f'<rect x="{width - 190}" y="4" width="10" height="10" '
            f'fill="{_COLOURS["reference"]}"/><text x="{width - 176}" y="13">reference</text>'
            f'<rect x="{width - 100}" y="4" width="10" height="10" '
            f'fill="{_COLOURS["current"]}"/><text x="{width - 86}" y="13">current</text>'
        )
    ]
    for index, (name, caption, dist) in enumerate(items):
        row, col = divmod(index, cols)
        body.extend(
            _bars(name, caption, dist, col * (_CHART_W + _GAP), 20 + row * (_CHART_H + _GAP))
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(label)}" font-size="10" '
        f'fill="currentColor" style="max-width:100%;height:auto">{"".join(body)}</svg>'
    )


def _caption(row: Mapping[str, Any]) -> str:
    figure = row["p_value"] if row["p_value"] is not None else row["statistic"]
    what = "p" if row["p_value"] is not None else row["method"]
    flag = "drifted" if row["drifted"] else "stable"
    return f"{row['method']} · {what} {number_text(figure)} · {flag}"


def _table(columns: Sequence[str], rows: Sequence[Sequence[object]], title: str = "") -> str:
    return panel_table(columns, rows, title=title)


def _cell(value: Any) -> object:
    """Return a table cell's text: figures in 4 digits, NaN as none, drifted as yes."""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else ""
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else number_text(float(value))
    return value


def monitor_text(report: DriftReport, title: str = "") -> str:
    """Return the one-line plain-text summary."""
    name = f" {title!r}" if title else ""
    drifted = int(report.features["drifted"].sum())
    verdict = "dataset drift" if report.dataset_drift else "no dataset drift"
    return (
        f"mlwork monitor{name}: {drifted}/{len(report.features)} features drifted "
        f"(share {number_text(report.drift_share)}), {verdict}, {len(report.alerts)} alerts"
    )


def _serving_text(report: DriftReport) -> str:
    parts = [f"latency {k} {number_text(v)} ms" for k, v in (report.latency or {}).items()]
    if report.error_rate is not None:
        parts.append(f"error rate {number_text(report.error_rate)}")
    if report.requests is not None:
        parts.append(f"{report.requests:,} requests")
    return f"<div>{escape(' · '.join(parts))}</div>" if parts else ""


def monitor_html(report: DriftReport, title: str = "") -> str:
    """Return the static fallback: escaped tables and inline SVG bars, no JavaScript."""
    data = report.as_dict()
    ordered = _ordered(data["features"])
    drifted = sum(bool(r["drifted"]) for r in ordered)
    verdict = "dataset drift" if report.dataset_drift else "no dataset drift"
    head = [
        title or "monitor",
        f"{drifted} of {len(ordered)} features drifted (share {number_text(report.drift_share)})",
        verdict,
        f"reference {report.reference_rows:,} rows ({report.reference_source})",
        f"current {report.current_rows:,} rows",
    ]
    parts = [f'<div class="mlwork-panel mlwork-monitor" style="{PANEL_STYLE}">']
    parts.append(f"<div><strong>{' · '.join(escape(p) for p in head)}</strong></div>")
    parts.append(_serving_text(report))
    parts.extend(f'<div style="{_WARN}">⚠ {escape(alert)}</div>' for alert in report.alerts)
    frame = report.features.set_index("feature", drop=False)
    rows = [
        [_cell(frame.at[row["feature"], c]) for c in (*_COLUMNS, "psi_band")] for row in ordered
    ]
    parts.append(_table([*_COLUMNS, "band"], rows, "features (drifted first, then by PSI)"))
    shown = [
        (row["feature"], _caption(row), report.distributions[row["feature"]])
        for row in ordered
        if report.distributions.get(row["feature"]) is not None
    ][:MAX_HISTOGRAMS]
    parts.append(_charts(shown, "reference and current distributions"))
    pred = data["prediction_drift"]
    if pred is not None and report.prediction_distribution is not None:
        parts.append(
            _charts([("prediction", _caption(pred), report.prediction_distribution)], "predictions")
        )
    quality = [[_cell(v) for v in row] for row in _quality_rows(report)]
    parts.append(
        _table(
            ["feature", "missing (ref)", "missing (cur)", "out of range", "unseen"],
            quality,
            "quality",
        )
    )
    schema = report.quality["schema"]
    for label, key in (("missing columns", "missing_columns"), ("extra columns", "extra_columns")):
        if schema[key]:
            parts.append(f"<div>{escape(label)}: {escape(', '.join(map(str, schema[key])))}</div>")
    changes = [[c["column"], c["reference"], c["current"]] for c in schema["dtype_changes"]]
    parts.append(_table(["column", "reference dtype", "current dtype"], changes, "dtype changes"))
    if report.notes:
        items = "".join(f"<li>{escape(note)}</li>" for note in report.notes)
        parts.append(f'<ul style="margin:4px 0;opacity:.8">{items}</ul>')
    parts.append("</div>")
    return "".join(parts)


def monitor_bundle(
    report: DriftReport,
    title: str = "",
    *,
    status: str = "ok",
    series: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the MIME bundle: the panel payload, the static HTML and the one-line text."""
    return {
        PANEL_MIME: monitor_payload(report, title, status=status, series=series),
        "text/html": monitor_html(report, title),
        "text/plain": monitor_text(report, title),
    }
