"""The evaluation panel: an `Evaluation` as the panel payload (kind ``evaluate``) and static HTML.

The payload follows the panel protocol of `mlwork_jupyter.display.panel` (``version``,
``kind``, ``status``, ``title``, ``progress``, ``series``, ``final``, ``table``) and adds an
``evaluate`` section, plain JSON with NaN as null::

    "evaluate": {
      "task": "classification", "task_reason": "auto: proba given", "rows": 1000000,
      "notes": ["..."],
      "metrics": [{"name": "accuracy", "value": 0.91, "delta": 0.02, "best": 0.93,
                   "higher_is_better": true}, ...],
      "confusion": {"labels": ["cat", ...], "counts": [[...]], "normalized": [[...]],
                    "classes": 10, "shown": 10} | null,     # shown: the largest classes
      "per_class": {"columns": ["class", "precision", ...], "rows": [[...]],
                    "classes": 10, "shown": 10} | null,
      "curves": {"roc": [{"label", "value", "support", "x", "y", "points"}], "pr": [...],
                 "calibration": {"mean_predicted", "fraction_positive", "count"} | null},
      "regression": {"scatter": SCATTER, "residuals": SCATTER,
                     "residual_hist": {"edges": [...], "counts": [...]}} | null,
      "clustering": {"clusters": [...], "sizes": [...], "silhouette": [...] | null} | null,
      "slices": {"by": "region", "metric": "accuracy", "higher_is_better": true,
                 "columns": ["region", "n", ...], "rows": [[...]], "worst": 2} | null,
      "leakage": {"status": "checked", "rows": 12, "examples": [3, 17], "detail": "",
                  "warning": "12 of 2,000 evaluated rows also occur in the training data"}
    }

A SCATTER is ``{"kind": "points", "x": [...], "y": [...]}`` up to 2,000 points, else a
density grid ``{"kind": "density", "x_edges": [...], "y_edges": [...], "counts": [[...]]}``
(``counts[i][j]``: x in bin ``i``, y in bin ``j``). Curve lines are LTTB-downsampled to at
most 2,000 points each, fewer when there are many lines, so the payload stays under 200 kB.
Every label is data: the renderer writes it as text, and this module escapes it in HTML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlwork_jupyter.display.evaluation_parts import (
    label_text,
    largest_classes,
    leakage_warning,
    number,
    numbers,
    worst_slice,
)
from mlwork_jupyter.display.evaluation_static import evaluation_html, evaluation_text
from mlwork_jupyter.display.lttb import lttb
from mlwork_jupyter.display.panel import PANEL_MIME
from mlwork_jupyter.ml.evaluation import higher_is_better, value_range

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from mlwork_jupyter.ml.evaluation import Curve, Evaluation

__all__ = ["evaluation_bundle", "evaluation_html", "evaluation_payload", "evaluation_text"]

MAX_POINTS = 2000
CURVE_POINT_BUDGET = 8000
"""Points shared by all curve lines of a payload (each line gets at most `MAX_POINTS`)."""
DENSITY_BINS = 64
MAX_CONFUSION = 30
MAX_PER_CLASS = 50


def evaluation_payload(ev: Evaluation, title: str = "", *, status: str = "ok") -> dict[str, Any]:
    """Return the panel payload of `ev` (see the module docstring for the schema)."""
    return {
        "version": 1,
        "kind": "evaluate",
        "status": status,
        "title": title,
        "progress": None,
        "series": {},
        "final": {name: number(value) for name, value in ev.metrics.items()},
        "table": None,
        "evaluate": {
            "task": ev.task,
            "task_reason": ev.task_reason,
            "rows": ev.rows,
            "notes": [*ev.notes, *_payload_notes(ev)],
            "metrics": _metric_rows(ev),
            "confusion": _confusion(ev),
            "per_class": _per_class(ev),
            "curves": _curves(ev),
            "regression": _regression(ev),
            "clustering": _clustering(ev),
            "slices": _slices(ev),
            "leakage": _leakage(ev),
        },
    }


def _metric_rows(ev: Evaluation) -> list[dict[str, Any]]:
    delta = ev.delta or {}
    return [
        {
            "name": name,
            "value": number(value),
            "delta": None if name not in delta else number(delta[name]),
            "best": None if name not in ev.best else number(ev.best[name]),
            "higher_is_better": higher_is_better(name),
        }
        for name, value in ev.metrics.items()
    ]


def _payload_notes(ev: Evaluation) -> list[str]:
    notes = []
    k = len(ev.classes)
    if ev.confusion is not None and k > MAX_CONFUSION:
        notes.append(f"confusion matrix shows the {MAX_CONFUSION} classes with most support")
    if ev.per_class is not None and k > MAX_PER_CLASS:
        notes.append(f"per-class table shows the {MAX_PER_CLASS} classes with most support")
    return notes


def _confusion(ev: Evaluation) -> dict[str, Any] | None:
    if ev.confusion is None or ev.confusion_normalized is None:
        return None
    keep = largest_classes(ev, MAX_CONFUSION)
    counts = ev.confusion.to_numpy()[np.ix_(keep, keep)]
    normalised = ev.confusion_normalized.to_numpy()[np.ix_(keep, keep)]
    return {
        "labels": [label_text(ev.classes[i]) for i in keep],
        "counts": counts.tolist() if counts.dtype.kind in "iu" else [numbers(r, 6) for r in counts],
        "normalized": [numbers(row) for row in normalised],
        "classes": len(ev.classes),
        "shown": len(keep),
    }


def _per_class(ev: Evaluation) -> dict[str, Any] | None:
    if ev.per_class is None:
        return None
    keep = largest_classes(ev, MAX_PER_CLASS)
    frame = ev.per_class.iloc[keep]
    rows = [
        [label_text(label), *numbers(values, 6)]
        for label, values in zip(frame.index, frame.to_numpy(dtype=np.float64), strict=True)
    ]
    return {
        "columns": ["class", *map(str, frame.columns)],
        "rows": rows,
        "classes": len(ev.classes),
        "shown": len(keep),
    }


def _line(curve: Curve, points: int) -> dict[str, Any]:
    x, y = lttb(curve.x, curve.y, points) if len(curve.x) > points else (curve.x, curve.y)
    return {
        "label": label_text(curve.label),
        "value": number(curve.value),
        "support": number(curve.support),
        "x": numbers(x),
        "y": numbers(y),
        "points": len(curve.x),
    }


def _curves(ev: Evaluation) -> dict[str, Any]:
    curves = ev.curves
    lines = len(curves.roc) + len(curves.pr)
    points = max(100, min(MAX_POINTS, CURVE_POINT_BUDGET // max(lines, 1)))
    calibration = curves.calibration
    return {
        "roc": [_line(c, points) for c in curves.roc],
        "pr": [_line(c, points) for c in curves.pr],
        "calibration": None
        if calibration is None
        else {
            "mean_predicted": numbers(calibration.mean_predicted),
            "fraction_positive": numbers(calibration.fraction_positive),
            "count": calibration.count.tolist(),
        },
    }


def _scatter(x: NDArray[np.float64], y: NDArray[np.float64], *, same: bool) -> dict[str, Any]:
    if len(x) <= MAX_POINTS:
        return {"kind": "points", "x": numbers(x, 6), "y": numbers(y, 6)}
    if same:  # predicted vs true: one range for both axes, so the diagonal is y = x
        both = value_range(x, y)
        bounds = [both, both]
    else:
        bounds = [value_range(x), value_range(y)]
    counts, x_edges, y_edges = np.histogram2d(x, y, bins=DENSITY_BINS, range=bounds)
    return {
        "kind": "density",
        "x_edges": numbers(x_edges, 6),
        "y_edges": numbers(y_edges, 6),
        "counts": counts.astype(np.int64).tolist(),
    }


def _regression(ev: Evaluation) -> dict[str, Any] | None:
    c = ev.curves
    if c.y_true is None or c.y_pred is None or c.residuals is None or c.residual_hist is None:
        return None
    return {
        "scatter": _scatter(c.y_true, c.y_pred, same=True),
        "residuals": _scatter(c.y_pred, c.residuals, same=False),
        "residual_hist": {
            "edges": numbers(c.residual_hist.edges, 6),
            "counts": c.residual_hist.counts.tolist(),
        },
    }


def _clustering(ev: Evaluation) -> dict[str, Any] | None:
    sizes = ev.curves.cluster_sizes
    if sizes is None:
        return None
    silhouette = ev.curves.silhouette_per_cluster
    return {
        "clusters": [label_text(c) for c in sizes.index],
        "sizes": sizes.astype(np.int64).tolist(),
        "silhouette": None
        if silhouette is None or silhouette.empty
        else numbers(silhouette.reindex(sizes.index).to_numpy()),
    }


def _slices(ev: Evaluation) -> dict[str, Any] | None:
    frame = ev.slices
    if frame is None:
        return None
    metric, worst = worst_slice(ev)
    name = str(frame.index.name or "slice")
    sizes = frame["n"].to_numpy(dtype=np.int64).tolist()
    metrics = frame.drop(columns="n").to_numpy(dtype=np.float64)
    rows = [
        [label_text(key), size, *numbers(values, 6)]
        for key, size, values in zip(frame.index, sizes, metrics, strict=True)
    ]
    return {
        "by": name,
        "metric": metric,
        "higher_is_better": None if metric is None else higher_is_better(metric),
        "columns": [name, "n", *(str(c) for c in frame.columns if c != "n")],
        "rows": rows,
        "worst": worst,
    }


def _leakage(ev: Evaluation) -> dict[str, Any]:
    leak = ev.leakage
    return {
        "status": leak.status,
        "rows": leak.rows,
        "examples": list(leak.examples),
        "detail": leak.detail,
        "warning": leakage_warning(ev),
    }


def evaluation_bundle(ev: Evaluation, title: str = "", *, status: str = "ok") -> dict[str, Any]:
    """Return the MIME bundle: the panel payload, the static HTML and the one-line text."""
    return {
        PANEL_MIME: evaluation_payload(ev, title, status=status),
        "text/html": evaluation_html(ev, title),
        "text/plain": evaluation_text(ev, title),
    }
