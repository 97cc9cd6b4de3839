"""One feature's comparison: the method Evidently would choose, its statistic, PSI and histogram.

Default method (`default_method`; n = reference values, u = distinct values in both):

============================  =========================  ======================
feature                       n <= 1000                  n > 1000
============================  =========================  ======================
numerical, u > 5              Kolmogorov-Smirnov          normed Wasserstein
categorical, or u <= 5        chi-squared (Z if u <= 2)   Jensen-Shannon
============================  =========================  ======================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlwork_jupyter.ml.monitoring._columns import Categorical, Numeric
from mlwork_jupyter.ml.monitoring._errors import MonitorInputError
from mlwork_jupyter.ml.monitoring._ks import ks_p_value, ks_test
from mlwork_jupyter.ml.monitoring._profile import OTHER, json_value
from mlwork_jupyter.ml.monitoring._sketch import Sketch
from mlwork_jupyter.ml.monitoring._stats import (
    BIN_PER_VALUE_MAX,
    STD_FLOOR,
    chisquare_test,
    distinct,
    histogram,
    jensen_shannon,
    pooled,
    psi,
    sturges_edges,
    value_counts,
    wasserstein,
    z_test,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from mlwork_jupyter.ml.monitoring._columns import Kind
    from mlwork_jupyter.ml.monitoring._profile import Column
    from mlwork_jupyter.ml.monitoring._stats import Pooled
    from mlwork_jupyter.ml.monitoring._thresholds import Thresholds

__all__ = ["SHOWN_CATEGORIES", "Comparison", "compare", "default_method"]

SMALL_REFERENCE = 1000
FEW_VALUES = 5
TWO_VALUES = 2
SHOWN_CATEGORIES = 30
"""Categories kept in a feature's histogram for display (the largest; the rest pooled)."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """One feature's drift result (a row of `DriftReport.features`)."""

    feature: str
    kind: Kind
    method: str
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool
    psi: float
    distribution: dict[str, Any] | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class _Bins:
    reference: NDArray[np.float64]
    current: NDArray[np.float64]
    edges: NDArray[np.float64] | None = None
    labels: list[Any] | None = None
    ref_counts: NDArray[np.int64] | None = None
    cur_counts: NDArray[np.int64] | None = None


def default_method(kind: Kind, n: int, unique: int) -> str:
    """Return Evidently's default method for a feature (see the module docstring)."""
    if kind == "numerical" and unique > FEW_VALUES:
        return "ks" if n <= SMALL_REFERENCE else "wasserstein"
    if n <= SMALL_REFERENCE:
        return "z" if unique <= TWO_VALUES else "chisquare"
    return "jensenshannon"


def _is_drifted(method: str, statistic: float, p_value: float | None, threshold: float) -> bool:
    if method == "ks":
        return p_value is not None and p_value <= threshold
    if method in {"chisquare", "z"}:
        return p_value is not None and p_value < threshold
    return math.isfinite(statistic) and statistic >= threshold


def _shown(bins: _Bins) -> dict[str, Any]:
    if bins.edges is not None:
        return {
            "type": "histogram",
            "edges": bins.edges.tolist(),
            "reference": np.round(bins.reference, 6).tolist(),
            "current": np.round(bins.current, 6).tolist(),
        }
    labels = [str(v) for v in bins.labels or []]
    order = np.argsort(-np.maximum(bins.reference, bins.current), kind="stable")
    keep, rest = order[:SHOWN_CATEGORIES], order[SHOWN_CATEGORIES:]
    if bins.edges is None and isinstance((bins.labels or [None])[0], float):
        keep = np.sort(keep)  # numbers read best in their own order
    return {
        "type": "categories",
        "labels": [labels[i] for i in keep],
        "reference": np.round(bins.reference[keep], 6).tolist(),
        "current": np.round(bins.current[keep], 6).tolist(),
        "other": None
        if not rest.size
        else {
            "categories": int(rest.size),
            "reference": round(float(bins.reference[rest].sum()), 6),
            "current": round(float(bins.current[rest].sum()), 6),
        },
    }


def _numeric_bins(
    ref: Numeric | Sketch, current: NDArray[np.float64], pool: Pooled | None
) -> _Bins:
    n_ref, n_cur = ref.n, current.size
    if isinstance(ref, Sketch) or distinct(ref.sample).size > BIN_PER_VALUE_MAX:
        lo, hi = min(ref.lo, float(current[0])), max(ref.hi, float(current[-1]))
        edges = sturges_edges(lo, hi, n_ref + n_cur, integer=ref.integer)
        ref_shares = (
            ref.shares(edges) if isinstance(ref, Sketch) else histogram(ref.sample, edges) / n_ref
        )
        return _Bins(ref_shares, histogram(current, edges) / n_cur, edges=edges)
    keys = (pool if pool is not None else pooled(ref.sample, current)).distinct
    r, c = value_counts(ref.sample, keys), value_counts(current, keys)
    return _Bins(r / n_ref, c / n_cur, labels=keys.tolist(), ref_counts=r, cur_counts=c)


def _numeric(
    name: str, ref: Numeric | Sketch, cur: Numeric, thresholds: Thresholds
) -> tuple[str, float, float, float | None, _Bins, str | None]:
    current = cur.sample
    if isinstance(ref, Sketch):
        pool, unique = None, ref.unique
    else:
        pool = pooled(ref.sample, current)
        unique = int(pool.ends.sum())
    method, threshold, note = thresholds.resolve(
        name, "numerical", default_method("numerical", ref.n, unique)
    )
    bins = _numeric_bins(ref, current, pool)
    statistic: float
    p_value: float | None = None
    if method == "ks":
        if isinstance(ref, Sketch):
            statistic, p_value = ks_p_value(ref.n, current.size, ref.ks_gap(current))
        else:
            statistic, p_value = ks_test(ref.sample, current, pool)
    elif method == "wasserstein":
        if isinstance(ref, Sketch):
            distance, spread = ref.wasserstein(current), ref.std
        else:
            pool = pool or pooled(ref.sample, current)
            distance, spread = wasserstein(pool), float(np.std(ref.sample))
        statistic = distance / max(spread, STD_FLOOR)
    elif method in {"chisquare", "z"}:
        if bins.ref_counts is None or bins.cur_counts is None:
            raise MonitorInputError(
                f"{method} on {name!r} needs the reference values, which the profile keeps only "
                f"for columns of at most {BIN_PER_VALUE_MAX} distinct values or 1000 rows; "
                "use ks, wasserstein, jensenshannon or psi"
            )
        test = chisquare_test if method == "chisquare" else z_test
        statistic, p_value = test(bins.ref_counts, bins.cur_counts)
    elif method == "jensenshannon":
        statistic = jensen_shannon(bins.reference, bins.current)
    else:
        statistic = psi(bins.reference, bins.current)
    return method, threshold, statistic, p_value, bins, note


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value if isinstance(value, (int, float, str)) else str(value))


def _category_counts(
    ref: Categorical, cur: Categorical, *, from_profile: bool
) -> tuple[list[Any], NDArray[np.int64], NDArray[np.int64]]:
    current = cur.counts
    if from_profile:
        keys = [json_value(v) for v in current.index]
        if OTHER in ref.counts.index:
            kept = set(ref.counts.index)
            keys = [k if k in kept else OTHER for k in keys]
        current = current.groupby(pd.Index(keys, dtype=object), sort=False).sum()
    new = current.index[~current.index.isin(ref.counts.index)]
    index = ref.counts.index.append(new)
    try:
        order = sorted(range(len(index)), key=lambda i: index[i])
    except TypeError:
        order = sorted(range(len(index)), key=lambda i: _sort_key(index[i]))
    index = index[order]
    r = ref.counts.reindex(index, fill_value=0).to_numpy(dtype=np.int64)
    c = current.reindex(index, fill_value=0).to_numpy(dtype=np.int64)
    return list(index), r, c


def _categorical(
    name: str, ref: Categorical, cur: Categorical, thresholds: Thresholds, *, from_profile: bool
) -> tuple[str, float, float, float | None, _Bins, str | None]:
    labels, r, c = _category_counts(ref, cur, from_profile=from_profile)
    method, threshold, note = thresholds.resolve(
        name, "categorical", default_method("categorical", ref.n, len(labels))
    )
    bins = _Bins(r / r.sum(), c / c.sum(), labels=labels, ref_counts=r, cur_counts=c)
    p_value: float | None = None
    if method == "chisquare":
        statistic, p_value = chisquare_test(r, c)
    elif method == "z":
        statistic, p_value = z_test(r, c)
    elif method == "jensenshannon":
        statistic = jensen_shannon(bins.reference, bins.current)
    else:
        statistic = psi(bins.reference, bins.current)
    return method, threshold, statistic, p_value, bins, note


def _empty(name: str, kind: Kind, ref: Column, thresholds: Thresholds) -> Comparison:
    side = "reference" if ref.n == 0 else "current"
    method, threshold, _ = thresholds.resolve(name, kind, default_method(kind, ref.n, 0))
    return Comparison(
        feature=name,
        kind=kind,
        method=method,
        statistic=math.nan,
        p_value=None,
        threshold=threshold,
        drifted=False,
        psi=math.nan,
        distribution=None,
        note=f"{name!r}: no values in the {side} data (all missing), not compared",
    )


def compare(
    name: str,
    kind: Kind,
    ref: Column,
    cur: Numeric | Categorical,
    thresholds: Thresholds,
    *,
    from_profile: bool = False,
) -> Comparison:
    """Return the drift of one feature (`ref` and `cur` read as `kind`)."""
    if ref.n == 0 or cur.n == 0:
        return _empty(name, kind, ref, thresholds)
    if isinstance(cur, Numeric) and isinstance(ref, (Numeric, Sketch)):
        result = _numeric(name, ref, cur, thresholds)
    elif isinstance(cur, Categorical) and isinstance(ref, Categorical):
        result = _categorical(name, ref, cur, thresholds, from_profile=from_profile)
    else:  # pragma: no cover - the caller reads both sides as the reference's kind
        raise TypeError(f"{type(ref).__name__} vs {type(cur).__name__}")
    method, threshold, statistic, p_value, bins, note = result
    drifted = _is_drifted(method, statistic, p_value, threshold)
    return Comparison(
        feature=name,
        kind=kind,
        method=method,
        statistic=float(statistic),
        p_value=p_value,
        threshold=threshold,
        drifted=drifted,
        psi=psi(bins.reference, bins.current),
        distribution=_shown(bins),
        note=note,
    )
