"""The one-line alerts of a drift report: one per threshold crossed, and per broken schema."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mlwork_jupyter.ml.monitoring._compare import Comparison

__all__ = [
    "PSI_BANDS",
    "dataset_alert",
    "drift_alert",
    "number_text",
    "psi_band",
    "schema_alerts",
    "serving_alerts",
]

PSI_BANDS = ((0.1, "stable"), (0.25, "moderate"), (math.inf, "significant"))
"""PSI below 0.1 is stable, below 0.25 moderate, from 0.25 on a significant shift."""


def psi_band(value: float) -> str | None:
    """Return the named PSI band of `value` (None when it is not a number).

    Examples
    --------
    >>> [psi_band(v) for v in (0.05, 0.1, 0.3)]
    ['stable', 'moderate', 'significant']
    """
    if not math.isfinite(value):
        return None
    return next(name for upper, name in PSI_BANDS if value < upper)


def number_text(value: float | None) -> str:
    """Return a figure as alerts and tables show it (4 significant digits)."""
    if value is None or not math.isfinite(value):
        return "n/a" if value is None or math.isnan(value) else str(value)
    return f"{value:.4g}"


def _test_text(result: Comparison) -> str:
    if result.p_value is not None:
        relation = "<=" if result.method == "ks" else "<"
        return (
            f"{result.method} p = {number_text(result.p_value)} {relation} "
            f"{number_text(result.threshold)}"
        )
    return f"{result.method} {number_text(result.statistic)} >= {number_text(result.threshold)}"


def drift_alert(result: Comparison, *, prediction: bool = False) -> str:
    """Return the alert of a drifted feature (or of the predictions)."""
    what = "prediction drift" if prediction else f"drift in {result.feature!r}"
    band = psi_band(result.psi)
    psi = f" (PSI {number_text(result.psi)}, {band})" if band else ""
    return f"{what}: {_test_text(result)}{psi}"


def dataset_alert(drifted: int, features: int, share: float, threshold: float) -> str:
    """Return the dataset drift alert."""
    return (
        f"dataset drift: {drifted} of {features} features drifted "
        f"(share {number_text(share)} >= {number_text(threshold)})"
    )


def schema_alerts(schema: Mapping[str, Any]) -> list[str]:
    """Return an alert per reference column missing from the current data or changing kind."""
    alerts = [
        f"schema: column {name!r} is missing from the current data"
        for name in schema["missing_columns"]
    ]
    alerts.extend(
        f"schema: column {change['column']!r} changed kind ({change['reference']} -> "
        f"{change['current']})"
        for change in schema["dtype_changes"]
        if change["kind_changed"]
    )
    return alerts


_SERVING_TEXT = {
    "latency_p50_ms": "latency p50",
    "latency_p95_ms": "latency p95",
    "latency_p99_ms": "latency p99",
}


def serving_alerts(
    limits: Mapping[str, float], latency: Mapping[str, float] | None, error_rate: float | None
) -> list[str]:
    """Return an alert per serving limit crossed (latency in ms, error rate as a share)."""
    alerts = []
    for key, label in _SERVING_TEXT.items():
        quantile = key.removeprefix("latency_").removesuffix("_ms")
        value = None if latency is None else latency.get(quantile)
        if key in limits and value is not None and value >= limits[key]:
            alerts.append(f"{label} {number_text(value)} ms >= {number_text(limits[key])} ms")
    limit = limits.get("error_rate")
    if limit is not None and error_rate is not None and error_rate >= limit:
        alerts.append(f"error rate {number_text(error_rate)} >= {number_text(limit)}")
    return alerts
