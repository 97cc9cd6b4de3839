"""The reference side of a comparison: raw training data, or its compact JSON profile.

`reference_profile` summarises a training frame so that a monitor can compare live data
with it later without the raw data. Per column (schema ``mlwork.profile`` version 1)::

    {"kind": "numerical", "dtype": "float64", "rows": 1000, "missing": 3, "nonfinite": 0,
     "n": 997, "integer": false, "min": -3.1, "max": 2.9, "mean": 0.01, "std": 0.99,
     "unique": 997,
     "values": [...]                         # all values, sorted, when n <= 1000; else
     "value_counts": {"values": [...], "counts": [...]}   # when unique <= 20; else
     "sketch": {"p": [...], "x": [...]}}     # ~220 quantiles (see `_sketch`)
    {"kind": "categorical", "dtype": "object", "rows": 1000, "missing": 0, "n": 1000,
     "unique": 3, "categories": ["a", "b", "c"], "counts": [500, 300, 200], "other": 0}
    {"kind": "skipped", "dtype": "datetime64[ns]", "reason": "..."}

With ``values`` or ``value_counts`` every method is exact. With ``sketch`` KS, Wasserstein,
PSI and Jensen-Shannon are approximated (see `_sketch`) and chi-squared and Z are not
available. A categorical column keeps its 1,000 most frequent categories; the rest are
counted in ``other``, and current values outside the kept ones are compared as that one
pooled category (the tests are then approximate, and "unseen" means "not among the kept").
Category values are stored as JSON strings, numbers or booleans (anything else as its
``str``), and current values are matched in the same form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

import numpy as np
import pandas as pd

from mlwork_jupyter.ml.monitoring._columns import (
    Categorical,
    Kind,
    Numeric,
    as_frame,
    column_kind,
    prediction_series,
    read_column,
    skip_reason,
)
from mlwork_jupyter.ml.monitoring._errors import MonitorInputError
from mlwork_jupyter.ml.monitoring._sketch import SKETCH_POINTS, Sketch, sketch_of
from mlwork_jupyter.ml.monitoring._stats import BIN_PER_VALUE_MAX

__all__ = [
    "CATEGORIES_MAX",
    "EXACT_VALUES_MAX",
    "OTHER",
    "PROFILE_FORMAT",
    "Column",
    "Reference",
    "is_profile",
    "json_value",
    "read_profile",
    "read_reference",
    "reference_profile",
]

PROFILE_FORMAT: Final = "mlwork.profile"
_VERSION: Final = 1
EXACT_VALUES_MAX: Final = 1000
"""A numerical column of at most this many values keeps them all (the KS regime)."""
CATEGORIES_MAX: Final = 1000
Column: TypeAlias = Numeric | Categorical | Sketch


class _Other:
    """The pooled category of a profile's less frequent categories."""

    def __repr__(self) -> str:
        return "<other categories>"


OTHER: Final = _Other()


@dataclass(frozen=True, slots=True)
class Reference:
    """The reference data, column by column, read from a frame or a profile."""

    columns: dict[str, Column]
    kinds: dict[str, Kind]
    dtypes: dict[str, str]
    skipped: dict[str, str]
    rows: int
    predictions: Column | None = None
    truncated: frozenset[str] = field(default_factory=frozenset)
    from_profile: bool = False


def json_value(value: Any) -> Any:
    """Return a category value as a JSON string, number or boolean (else its ``str``)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return value if isinstance(value, str) else str(value)


def read_reference(data: Any, predictions: Any = None) -> Reference:
    """Return raw reference data read column by column."""
    frame = as_frame(data, "reference")
    columns: dict[str, Column] = {}
    kinds: dict[str, Kind] = {}
    skipped: dict[str, str] = {}
    for name in frame.columns:
        series = frame[name]
        reason = skip_reason(series.dtype)
        if reason is not None:
            skipped[name] = reason
            continue
        kinds[name] = column_kind(series.dtype)
        columns[name] = read_column(series, kinds[name])
    dtypes = {name: str(frame[name].dtype) for name in frame.columns}
    pred = None
    if predictions is not None:
        series = prediction_series(predictions, "reference_predictions")
        pred = read_column(series, column_kind(series.dtype))
    return Reference(columns, kinds, dtypes, skipped, len(frame), pred)


def _numeric_entry(column: Numeric, points: int) -> dict[str, Any]:
    values = column.sample
    entry: dict[str, Any] = {
        "kind": "numerical",
        "dtype": column.dtype,
        "rows": column.rows,
        "missing": column.missing,
        "nonfinite": column.nonfinite,
        "n": column.n,
        "integer": column.integer,
    }
    if column.n == 0:
        return entry
    unique = np.unique(values)
    entry |= {
        "min": float(values[0]),
        "max": float(values[-1]),
        "mean": float(values.mean()),
        "std": float(np.std(values)),
        "unique": int(unique.size),
    }
    if column.n <= EXACT_VALUES_MAX:
        entry["values"] = values.tolist()
    elif unique.size <= BIN_PER_VALUE_MAX:
        counts = np.searchsorted(values, unique, "right") - np.searchsorted(values, unique, "left")
        entry["value_counts"] = {"values": unique.tolist(), "counts": counts.tolist()}
    else:
        sketch = sketch_of(values, points=points)
        entry["sketch"] = {"p": sketch.probabilities.tolist(), "x": sketch.quantiles.tolist()}
    return entry


def _categorical_entry(column: Categorical) -> dict[str, Any]:
    counts = column.counts.sort_values(ascending=False, kind="stable")
    kept = counts.iloc[:CATEGORIES_MAX]
    return {
        "kind": "categorical",
        "dtype": column.dtype,
        "rows": column.rows,
        "missing": column.missing,
        "n": column.n,
        "unique": len(counts),
        "categories": [json_value(v) for v in kept.index],
        "counts": [int(c) for c in kept.to_numpy()],
        "other": int(counts.iloc[CATEGORIES_MAX:].sum()),
    }


def _entry(column: Column, points: int) -> dict[str, Any]:
    if isinstance(column, Numeric):
        return _numeric_entry(column, points)
    if isinstance(column, Categorical):
        return _categorical_entry(column)
    raise TypeError(type(column).__name__)  # pragma: no cover - a profile is built from data


def reference_profile(
    reference: Any, *, predictions: Any = None, quantiles: int = SKETCH_POINTS
) -> dict[str, Any]:
    """Return a compact JSON-able profile of training data, to monitor against later.

    Parameters
    ----------
    reference
        The training inputs: a DataFrame, a 2-D array (columns ``"0" ..``) or a Series.
    predictions
        The model's predictions on them, kept as the reference of prediction drift.
    quantiles
        Quantiles kept for a large continuous column (see the module docstring).

    Returns
    -------
    dict
        ``{"format": "mlwork.profile", "version": 1, "rows": N, "columns": {...},
        "predictions": {...} or None}``.

    Examples
    --------
    >>> profile = reference_profile(pd.DataFrame({"x": [1.0, 2.0, 2.0], "c": list("aab")}))
    >>> profile["columns"]["x"]["values"], profile["columns"]["c"]["counts"]
    ([1.0, 2.0, 2.0], [2, 1])
    """
    if isinstance(quantiles, bool) or not isinstance(quantiles, int) or quantiles < 2:  # noqa: PLR2004
        raise MonitorInputError(f"quantiles={quantiles!r}: expected an integer of at least 2")
    ref = read_reference(reference, predictions)
    columns: dict[str, Any] = {}
    for name, dtype in ref.dtypes.items():
        if name in ref.skipped:
            columns[name] = {"kind": "skipped", "dtype": dtype, "reason": ref.skipped[name]}
        else:
            columns[name] = _entry(ref.columns[name], quantiles)
    return {
        "format": PROFILE_FORMAT,
        "version": _VERSION,
        "rows": ref.rows,
        "columns": columns,
        "predictions": None if ref.predictions is None else _entry(ref.predictions, quantiles),
    }


def is_profile(data: Any) -> bool:
    """Return whether `data` is a profile dict (made by `reference_profile`)."""
    return isinstance(data, Mapping) and data.get("format") == PROFILE_FORMAT


def _read_numeric(entry: Mapping[str, Any]) -> Column:
    rows, missing = int(entry["rows"]), int(entry["missing"])
    nonfinite = int(entry.get("nonfinite", 0))
    integer, dtype = bool(entry.get("integer", False)), str(entry["dtype"])
    if int(entry["n"]) == 0:
        sample = np.empty(0)
    elif "values" in entry:
        sample = np.sort(np.asarray(entry["values"], dtype=np.float64))
    elif "value_counts" in entry:
        vc = entry["value_counts"]
        sample = np.sort(np.repeat(np.asarray(vc["values"], dtype=np.float64), vc["counts"]))
    else:
        return Sketch(
            probabilities=np.asarray(entry["sketch"]["p"], dtype=np.float64),
            quantiles=np.asarray(entry["sketch"]["x"], dtype=np.float64),
            n=int(entry["n"]),
            std=float(entry["std"]),
            unique=int(entry["unique"]),
            integer=integer,
            rows=rows,
            missing=missing,
            nonfinite=nonfinite,
            dtype=dtype,
        )
    return Numeric(sample, rows, missing, nonfinite, integer, dtype)


def _read_categorical(entry: Mapping[str, Any]) -> Categorical:
    counts = pd.Series(
        np.asarray(entry["counts"], dtype=np.int64),
        index=pd.Index(list(entry["categories"]), dtype=object),
    )
    if int(entry.get("other", 0)) > 0:
        other = pd.Series([int(entry["other"])], index=pd.Index([OTHER], dtype=object))
        counts = pd.concat([counts, other])
    return Categorical(
        counts=counts, rows=int(entry["rows"]), missing=int(entry["missing"]), dtype=entry["dtype"]
    )


def _read_entry(entry: Mapping[str, Any]) -> Column:
    if entry["kind"] == "numerical":
        return _read_numeric(entry)
    return _read_categorical(entry)


def read_profile(profile: Mapping[str, Any]) -> Reference:
    """Return the reference held by a profile dict.

    Raises
    ------
    MonitorInputError
        When the dict is not a profile this version can read.
    """
    version = profile.get("version")
    if version != _VERSION:
        raise MonitorInputError(
            f"reference profile version {version!r}: this mlwork reads version {_VERSION}; "
            "make the profile again with reference_profile()"
        )
    try:
        columns: dict[str, Column] = {}
        kinds: dict[str, Kind] = {}
        skipped: dict[str, str] = {}
        dtypes: dict[str, str] = {}
        truncated = set()
        for name, entry in profile["columns"].items():
            dtypes[name] = str(entry["dtype"])
            if entry["kind"] == "skipped":
                skipped[name] = str(entry.get("reason", "not compared"))
                continue
            kinds[name] = "numerical" if entry["kind"] == "numerical" else "categorical"
            columns[name] = _read_entry(entry)
            if entry["kind"] == "categorical" and int(entry.get("other", 0)) > 0:
                truncated.add(name)
        pred_entry = profile.get("predictions")
        predictions = None if pred_entry is None else _read_entry(pred_entry)
        rows = int(profile["rows"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MonitorInputError(
            f"reference profile is malformed ({type(exc).__name__}: {exc}); "
            "make it again with reference_profile()"
        ) from None
    if not columns and not skipped:
        raise MonitorInputError("reference profile has no columns; profile a non-empty frame")
    return Reference(
        columns, kinds, dtypes, skipped, rows, predictions, frozenset(truncated), from_profile=True
    )
