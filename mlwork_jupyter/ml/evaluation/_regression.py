"""Regression metrics (scikit-learn's definitions) and the residual plot data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlwork_jupyter.ml.evaluation._result import Curves, Histogram

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from mlwork_jupyter.ml.evaluation._inputs import RegressionData

__all__ = ["RESIDUAL_BINS", "regression_curves", "regression_metrics", "value_range"]

RESIDUAL_BINS = 50
_FLAT = 1e-6


def regression_metrics(data: RegressionData) -> dict[str, float]:
    """Return mae, mse, rmse, r2, max_error, median_ae, and mape when no true value is 0.

    `max_error` ignores `sample_weight` (scikit-learn's takes none); `median_ae` with weights
    is scikit-learn's weighted median (the midpoint where the weight splits exactly in half).
    """
    y, w = data.y_true, data.weights
    error = data.y_pred - y
    absolute = np.abs(error)
    squared = error * error
    mse = _mean(squared, w)
    metrics = {
        "mae": _mean(absolute, w),
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "r2": _r2(y, squared, w),
        "max_error": float(absolute.max()),
        "median_ae": float(np.median(absolute)) if w is None else _weighted_median(absolute, w),
    }
    if not (y == 0).any():
        eps = np.finfo(np.float64).eps
        metrics["mape"] = _mean(absolute / np.maximum(np.abs(y), eps), w)
    return metrics


def regression_curves(data: RegressionData) -> Curves:
    """Return the scatter, residual and residual-histogram data."""
    residuals = data.y_true - data.y_pred
    counts, edges = np.histogram(residuals, bins=RESIDUAL_BINS, range=value_range(residuals))
    return Curves(
        y_true=data.y_true,
        y_pred=data.y_pred,
        residuals=residuals,
        residual_hist=Histogram(counts.astype(np.int64), edges),
    )


def value_range(*arrays: NDArray[np.float64]) -> tuple[float, float]:
    """Return the smallest and largest value, widened by 0.5 each way when (nearly) equal.

    Binning a constant (or all but constant) array needs a range with room for the bins.
    """
    lo = min(float(a.min()) for a in arrays)
    hi = max(float(a.max()) for a in arrays)
    if hi - lo <= _FLAT * max(1.0, abs(lo), abs(hi)):
        return lo - 0.5, hi + 0.5
    return lo, hi


def _mean(values: NDArray[np.float64], weights: NDArray[np.float64] | None) -> float:
    if weights is None:
        return float(values.mean())
    return float((values * weights).sum() / weights.sum())


def _r2(
    y: NDArray[np.float64], squared: NDArray[np.float64], weights: NDArray[np.float64] | None
) -> float:
    if len(y) < 2:  # noqa: PLR2004 - scikit-learn: not well-defined with one sample
        return float("nan")
    w = np.ones_like(y) if weights is None else weights
    numerator = float((w * squared).sum())
    centre = float((w * y).sum() / w.sum())
    denominator = float((w * (y - centre) ** 2).sum())
    if denominator == 0:  # scikit-learn's force_finite
        return 1.0 if numerator == 0 else 0.0
    return 1.0 - numerator / denominator


def _weighted_median(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    """scikit-learn's ``_weighted_percentile(values, weights, 50, average=True)``."""
    order = np.argsort(values)
    ordered_weights = weights[order]
    cdf = np.cumsum(ordered_weights)
    half = 0.5 * cdf[-1]
    if half == 0:
        half = np.nextafter(half, 1.0)
    last = len(values) - 1
    at = min(int(np.searchsorted(cdf, half)), last)
    low = values[order[at]]
    if cdf[at] - half > np.finfo(np.float64).eps:
        return float(low)
    after = min(at + 1, last)
    if ordered_weights[after] == 0:
        after = int(np.searchsorted(cdf, cdf[at], side="right"))
        if after > last:
            after = at
    return float((low + values[order[after]]) / 2)
