"""`compute_drift`: read both sides, compare every common feature and the predictions, report."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pandas as pd

from mlwork_jupyter.ml.monitoring._alerts import dataset_alert, drift_alert, schema_alerts
from mlwork_jupyter.ml.monitoring._columns import (
    Numeric,
    as_frame,
    prediction_series,
    read_column,
    skip_reason,
)
from mlwork_jupyter.ml.monitoring._compare import compare
from mlwork_jupyter.ml.monitoring._errors import MonitorInputError, listing
from mlwork_jupyter.ml.monitoring._profile import (
    Reference,
    is_profile,
    read_profile,
    read_reference,
)
from mlwork_jupyter.ml.monitoring._quality import quality
from mlwork_jupyter.ml.monitoring._report import DriftReport, feature_row, features_frame
from mlwork_jupyter.ml.monitoring._sketch import Sketch
from mlwork_jupyter.ml.monitoring._thresholds import PREDICTION, parse_thresholds

if TYPE_CHECKING:
    from mlwork_jupyter.ml.monitoring._columns import Kind
    from mlwork_jupyter.ml.monitoring._compare import Comparison

__all__ = ["compute_drift"]

_APPROXIMATED = frozenset({"ks", "wasserstein", "jensenshannon", "psi"})


def _is_array(data: Any) -> bool:
    return not isinstance(data, (pd.DataFrame, pd.Series, dict))


def _reference(reference: Any, reference_predictions: Any) -> Reference:
    if reference is None:
        raise MonitorInputError(
            "reference=None: pass the training inputs (a DataFrame, a 2-D array or a Series) "
            "or a profile made by reference_profile()"
        )
    if not is_profile(reference):
        if isinstance(reference, dict):
            raise MonitorInputError(
                "reference is a dict but not a profile (no 'format': 'mlwork.profile'); "
                "pass a DataFrame, or the dict reference_profile() returns"
            )
        return read_reference(reference, reference_predictions)
    ref = read_profile(reference)
    if reference_predictions is None:
        return ref
    series = prediction_series(reference_predictions, "reference_predictions")
    pred = read_reference(series.to_frame()).columns[str(series.name)]
    return dataclasses.replace(ref, predictions=pred)


def _check_widths(current: Any, reference: Any, frame: pd.DataFrame, ref: Reference) -> None:
    if not _is_array(current):
        return
    positional = list(ref.dtypes) == [str(i) for i in range(len(ref.dtypes))]
    if (_is_array(reference) or positional) and frame.shape[1] != len(ref.dtypes):
        raise MonitorInputError(
            f"reference has {len(ref.dtypes)} columns and current {frame.shape[1]}: pass arrays "
            "of the same width, or DataFrames with named columns"
        )


def _common(frame: pd.DataFrame, ref: Reference) -> list[str]:
    names = [
        name
        for name in ref.columns
        if name in frame.columns and skip_reason(frame[name].dtype) is None
    ]
    if not names:
        raise MonitorInputError(
            f"no common columns to compare: reference has {listing(ref.dtypes)} and current "
            f"has {listing(frame.columns)}; pass frames with the same column names"
        )
    return names


def _prediction(
    predictions: Any, ref: Reference, config: Any, notes: list[str]
) -> Comparison | None:
    if predictions is None:
        if ref.predictions is not None and not ref.from_profile:
            notes.append("reference_predictions given without predictions: not compared")
        return None
    if ref.predictions is None:
        raise MonitorInputError(
            "predictions given without reference predictions: pass reference_predictions= "
            "(the model's predictions on the reference data), or a profile made with "
            "reference_profile(..., predictions=...)"
        )
    kind: Kind = "numerical" if isinstance(ref.predictions, (Numeric, Sketch)) else "categorical"
    series = prediction_series(predictions, "predictions")
    current = read_column(series, kind)
    return compare(
        PREDICTION, kind, ref.predictions, current, config, from_profile=ref.from_profile
    )


def _approximation_notes(ref: Reference, results: list[Comparison]) -> list[str]:
    notes = []
    sketched = [
        r.feature
        for r in results
        if isinstance(ref.columns[r.feature], Sketch) and r.method in _APPROXIMATED
    ]
    if sketched:
        notes.append(
            f"approximated from the profile's quantile sketch: {listing(sketched)} "
            "(KS gap within 0.005; bins exact, reference shares approximate)"
        )
    truncated = [r.feature for r in results if r.feature in ref.truncated]
    if truncated:
        notes.append(
            f"the profile kept only the most frequent categories of {listing(truncated)}; "
            "the rest are compared as one pooled category"
        )
    return notes


def compute_drift(
    current: Any,
    reference: Any,
    *,
    predictions: Any = None,
    reference_predictions: Any = None,
    thresholds: Any = None,
) -> DriftReport:
    """Compare live data (and predictions) with the reference data or its profile.

    Parameters
    ----------
    current
        The live inputs: a DataFrame, a 2-D array (columns ``"0" ..``) or a Series.
    reference
        The training inputs in the same form, or a profile from `reference_profile`.
    predictions
        The model's predictions on `current`: ``(n,)``, or class scores ``(n, k)`` (compared
        as the arg-max class).
    reference_predictions
        The model's predictions on the reference data (a profile may carry them instead).
    thresholds
        Methods and thresholds, globally or per feature (see `parse_thresholds`).

    Returns
    -------
    DriftReport
        ``latency``, ``error_rate`` and ``requests`` are None (`DriftReport.set_serving`).

    Raises
    ------
    MonitorInputError
        On bad input or configuration, with a one-line message naming the fix.

    Examples
    --------
    >>> ref = pd.DataFrame({"x": range(100), "c": ["a", "b"] * 50})
    >>> cur = pd.DataFrame({"x": range(50, 150), "c": ["a", "b"] * 50})
    >>> rep = compute_drift(cur, ref)
    >>> rep.features[["feature", "method", "drifted"]].to_numpy().tolist()
    [['x', 'ks', True], ['c', 'z', False]]
    """
    if current is None:
        raise MonitorInputError(
            "current=None: pass the live inputs (a DataFrame, a 2-D array or a Series)"
        )
    ref = _reference(reference, reference_predictions)
    frame = as_frame(current, "current")
    _check_widths(current, reference, frame, ref)
    names = _common(frame, ref)
    config = parse_thresholds(thresholds, names, known=[*ref.dtypes, *frame.columns])
    columns = {name: read_column(frame[name], ref.kinds[name]) for name in names}
    results = [
        compare(
            name,
            ref.kinds[name],
            ref.columns[name],
            columns[name],
            config,
            from_profile=ref.from_profile,
        )
        for name in names
    ]
    notes = [r.note for r in results if r.note]
    pred = _prediction(predictions, ref, config, notes)
    drifted = sum(r.drifted for r in results)
    share = drifted / len(results)
    dataset = share >= config.drift_share
    checks = quality(ref, frame, columns)
    alerts = [drift_alert(r) for r in results if r.drifted]
    if pred is not None and pred.drifted:
        alerts.append(drift_alert(pred, prediction=True))
    if dataset:
        alerts.append(dataset_alert(drifted, len(results), share, config.drift_share))
    alerts.extend(schema_alerts(checks["schema"]))
    if pred is not None and pred.note:
        notes.append(pred.note)
    notes.extend(_approximation_notes(ref, results))
    return DriftReport(
        features=features_frame(results),
        drift_share=share,
        dataset_drift=dataset,
        drift_share_threshold=config.drift_share,
        prediction_drift=None if pred is None else feature_row(pred),
        quality=checks,
        alerts=alerts,
        distributions={r.feature: r.distribution for r in results},
        prediction_distribution=None if pred is None else pred.distribution,
        reference_rows=ref.rows,
        current_rows=len(frame),
        reference_source="profile" if ref.from_profile else "data",
        notes=notes,
        serving_limits=dict(config.serving),
    )
