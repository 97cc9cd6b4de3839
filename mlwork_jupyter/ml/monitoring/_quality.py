"""Quality of the current data against the reference: missing values, ranges, categories, schema.

The result is plain JSON::

    {"missing": {"age": {"reference": 0.0, "current": 0.02}, ...},
     "out_of_range": {"age": {"count": 3, "share": 0.003, "min": 18.0, "max": 90.0}, ...},
     "unseen_categories": {"city": {"count": 12, "share": 0.012, "distinct": 2,
                                    "examples": ["Oslo", "Bergen"], "approximate": false}, ...},
     "schema": {"missing_columns": ["income"], "extra_columns": ["note"],
                "dtype_changes": [{"column": "age", "reference": "int64",
                                   "current": "float64", "kind_changed": false}]},
     "skipped": {"when": "datetime64[ns] columns are not compared"}}

Shares are of the column's rows (missing) or of its present values (range, categories).
Out of range: current values below the reference minimum or above its maximum (infinite ones
included). ``approximate`` is true where the reference profile kept only the most frequent
categories, so "unseen" means "not among those kept".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlwork_jupyter.ml.monitoring._columns import Categorical, Numeric, column_kind, skip_reason
from mlwork_jupyter.ml.monitoring._profile import OTHER, json_value
from mlwork_jupyter.ml.monitoring._sketch import Sketch

if TYPE_CHECKING:
    import pandas as pd

    from mlwork_jupyter.ml.monitoring._profile import Column, Reference

__all__ = ["EXAMPLES", "quality"]

EXAMPLES = 10
"""Unseen category values listed per feature."""


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _missing(ref: Column, cur: Numeric | Categorical) -> dict[str, float]:
    return {"reference": _share(ref.missing, ref.rows), "current": _share(cur.missing, cur.rows)}


def _out_of_range(ref: Numeric | Sketch, cur: Numeric) -> dict[str, Any] | None:
    if ref.n == 0:
        return None
    lo, hi = ref.lo, ref.hi
    values = cur.sample
    below = int(np.searchsorted(values, lo, side="left"))
    above = int(values.size - np.searchsorted(values, hi, side="right"))
    count = below + above + cur.nonfinite
    return {"count": count, "share": _share(count, cur.n + cur.nonfinite), "min": lo, "max": hi}


def _unseen(
    ref: Categorical, cur: Categorical, *, from_profile: bool, approximate: bool
) -> dict[str, Any]:
    index = cur.counts.index
    keys = [json_value(v) for v in index] if from_profile else list(index)
    known = ref.counts.index[[key is not OTHER for key in ref.counts.index]]
    if from_profile:
        kept = set(known)
        seen = np.fromiter((k in kept for k in keys), dtype=bool, count=len(keys))
    else:
        seen = np.asarray(index.isin(known), dtype=bool)
    unseen = ~seen
    counts = cur.counts.to_numpy()[unseen]
    order = np.argsort(-counts, kind="stable")
    names = [str(keys[i]) for i in np.flatnonzero(unseen)[order][:EXAMPLES]]
    count = int(counts.sum())
    return {
        "count": count,
        "share": _share(count, cur.n),
        "distinct": int(unseen.sum()),
        "examples": names,
        "approximate": approximate,
    }


def _schema(reference: Reference, current: pd.DataFrame) -> dict[str, Any]:
    names = list(current.columns)
    present = set(names)
    changes = []
    for name, dtype in reference.dtypes.items():
        if name not in present or str(current[name].dtype) == dtype:
            continue
        now = current[name].dtype
        if name in reference.skipped:
            kind_changed = skip_reason(now) is None
        else:
            kind_changed = skip_reason(now) is not None or column_kind(now) != reference.kinds[name]
        changes.append(
            {"column": name, "reference": dtype, "current": str(now), "kind_changed": kind_changed}
        )
    return {
        "missing_columns": [n for n in reference.dtypes if n not in present],
        "extra_columns": [n for n in names if n not in reference.dtypes],
        "dtype_changes": changes,
    }


def quality(
    reference: Reference, current: pd.DataFrame, columns: dict[str, Numeric | Categorical]
) -> dict[str, Any]:
    """Return the quality checks of the compared `columns` of `current` (see the module doc)."""
    missing: dict[str, Any] = {}
    ranges: dict[str, Any] = {}
    unseen: dict[str, Any] = {}
    for name, cur in columns.items():
        ref = reference.columns[name]
        missing[name] = _missing(ref, cur)
        if isinstance(cur, Numeric) and isinstance(ref, (Numeric, Sketch)):
            found = _out_of_range(ref, cur)
            if found is not None:
                ranges[name] = found
        elif isinstance(cur, Categorical) and isinstance(ref, Categorical):
            unseen[name] = _unseen(
                ref,
                cur,
                from_profile=reference.from_profile,
                approximate=name in reference.truncated,
            )
    return {
        "missing": missing,
        "out_of_range": ranges,
        "unseen_categories": unseen,
        "schema": _schema(reference, current),
        "skipped": dict(reference.skipped),
    }
