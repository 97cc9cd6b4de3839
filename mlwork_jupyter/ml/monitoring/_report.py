"""What `compute_drift` returns: per-feature drift, the dataset verdict, quality and alerts."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from mlwork_jupyter.ml.monitoring._alerts import psi_band, serving_alerts

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mlwork_jupyter.ml.monitoring._compare import Comparison

__all__ = ["FEATURE_COLUMNS", "DriftReport", "feature_row", "features_frame", "json_safe"]

FEATURE_COLUMNS: Final = (
    "feature",
    "kind",
    "method",
    "statistic",
    "p_value",
    "threshold",
    "drifted",
    "psi",
    "psi_band",
)


def json_safe(value: Any) -> Any:
    """Return `value` with NumPy scalars made Python ones and non-finite floats None."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _row(result: Comparison) -> dict[str, Any]:
    return {
        "feature": result.feature,
        "kind": result.kind,
        "method": result.method,
        "statistic": result.statistic,
        "p_value": result.p_value,
        "threshold": result.threshold,
        "drifted": result.drifted,
        "psi": result.psi,
        "psi_band": psi_band(result.psi),
    }


def feature_row(result: Comparison) -> dict[str, Any]:
    """Return one feature's result as a JSON row (None where a figure is missing or infinite)."""
    row: dict[str, Any] = json_safe(_row(result))
    return row


def features_frame(results: Sequence[Comparison]) -> pd.DataFrame:
    """Return the rows as a frame; missing figures (e.g. distance methods' p-value) are NaN."""
    frame = pd.DataFrame([_row(r) for r in results], columns=list(FEATURE_COLUMNS))
    for name in ("statistic", "p_value", "threshold", "psi"):
        frame[name] = frame[name].astype(np.float64)
    frame["drifted"] = frame["drifted"].astype(bool)
    return frame


@dataclass(eq=False)
class DriftReport:
    """Live data compared with the reference: what `mlwork.monitor` returns.

    Attributes
    ----------
    features
        One row per compared feature, in the data's column order: ``feature``, ``kind``
        (numerical/categorical), ``method``, ``statistic``, ``p_value`` (NaN for distance
        methods), ``threshold``, ``drifted``, ``psi`` and ``psi_band`` (stable / moderate /
        significant).
    drift_share
        Drifted features / compared features.
    dataset_drift
        ``drift_share >= drift_share_threshold``.
    drift_share_threshold
        The share at which the dataset counts as drifted (0.5 unless configured).
    prediction_drift
        The predictions' row as a dict (None in place of NaN), when predictions were given.
    quality
        Missing shares, out-of-range values, unseen categories, schema changes (plain JSON).
    alerts
        One line per threshold crossed (and per missing column or changed kind).
    distributions
        Per feature, the reference and current shares per bin, for charts (plain JSON).
    prediction_distribution
        The same for the predictions.
    reference_rows, current_rows
        Rows on each side.
    reference_source
        ``"data"`` or ``"profile"``.
    notes
        What the figures rest on, where it is worth saying (approximations, fallbacks).
    latency, error_rate, requests
        Serving figures (latency in ms by ``"p50"``, ``"p95"``, ``"p99"``), filled by the
        stage from a server's request log through `set_serving`; None otherwise.
    serving_limits
        The serving thresholds configured (``latency_p95_ms``, ``error_rate``, ...).
    """

    features: pd.DataFrame
    drift_share: float
    dataset_drift: bool
    drift_share_threshold: float
    prediction_drift: dict[str, Any] | None
    quality: dict[str, Any]
    alerts: list[str]
    distributions: dict[str, Any]
    prediction_distribution: dict[str, Any] | None
    reference_rows: int
    current_rows: int
    reference_source: str
    notes: list[str] = field(default_factory=list)
    latency: dict[str, float] | None = None
    error_rate: float | None = None
    requests: int | None = None
    serving_limits: Mapping[str, float] = field(default_factory=dict)

    @property
    def drifted_features(self) -> list[str]:
        """Return the names of the drifted features."""
        return [str(name) for name in self.features.loc[self.features["drifted"], "feature"]]

    def set_serving(
        self,
        *,
        latency: Mapping[str, float] | None = None,
        error_rate: float | None = None,
        requests: int | None = None,
    ) -> None:
        """Fill the serving figures and add an alert per configured limit they cross."""
        self.latency = None if latency is None else {k: float(v) for k, v in latency.items()}
        self.error_rate = None if error_rate is None else float(error_rate)
        self.requests = None if requests is None else int(requests)
        self.alerts.extend(serving_alerts(self.serving_limits, self.latency, self.error_rate))

    def as_frame(self) -> pd.DataFrame:
        """Return a copy of the per-feature table."""
        return self.features.copy()

    def metrics(self) -> dict[str, float]:
        """Return the summary figures to log as run metrics (only those that exist)."""
        frame = self.features
        out: dict[str, float] = {
            "drift_share": float(self.drift_share),
            "drifted_features": float(frame["drifted"].sum()),
            "features": float(len(frame)),
            "dataset_drift": 1.0 if self.dataset_drift else 0.0,
            "alerts": float(len(self.alerts)),
        }
        psi = frame["psi"].to_numpy(dtype=np.float64)
        if np.isfinite(psi).any():
            out["max_psi"] = float(np.nanmax(psi))
        if self.prediction_drift is not None:
            pred = self.prediction_drift
            out["prediction_drift"] = 1.0 if pred["drifted"] else 0.0
            for key in ("psi", "statistic", "p_value"):
                if pred[key] is not None:
                    out[f"prediction_{key}"] = float(pred[key])
        for name, value in (self.latency or {}).items():
            out[f"latency_{name}_ms"] = float(value)
        if self.error_rate is not None:
            out["error_rate"] = self.error_rate
        if self.requests is not None:
            out["requests"] = float(self.requests)
        return out

    def as_dict(self) -> dict[str, Any]:
        """Return the whole report as plain JSON data (None in place of NaN)."""
        rows = self.features.astype(object).where(self.features.notna(), None)
        data: dict[str, Any] = json_safe(
            {
                "features": rows.to_dict(orient="records"),
                "drift_share": self.drift_share,
                "dataset_drift": self.dataset_drift,
                "drift_share_threshold": self.drift_share_threshold,
                "prediction_drift": self.prediction_drift,
                "quality": self.quality,
                "alerts": list(self.alerts),
                "distributions": self.distributions,
                "prediction_distribution": self.prediction_distribution,
                "reference_rows": self.reference_rows,
                "current_rows": self.current_rows,
                "reference_source": self.reference_source,
                "notes": list(self.notes),
                "latency": self.latency,
                "error_rate": self.error_rate,
                "requests": self.requests,
                "metrics": self.metrics(),
            }
        )
        return data

    def to_json(self, indent: int | None = None) -> str:
        """Return `as_dict` as JSON text (strict: no NaN or Infinity)."""
        return json.dumps(self.as_dict(), indent=indent, allow_nan=False)

    def __repr__(self) -> str:
        """Return a one-line summary."""
        drifted = int(self.features["drifted"].sum())
        verdict = "dataset drift" if self.dataset_drift else "no dataset drift"
        return (
            f"<DriftReport {drifted}/{len(self.features)} features drifted "
            f"(share {self.drift_share:.3g}), {verdict}, {len(self.alerts)} alerts>"
        )
