"""What the evaluation views share: which classes and slices they show, and how values read.

Used by the panel payload (`evaluation_panel`) and the static HTML (`evaluation_static`),
so both show the same classes, flag the same slice and word the leakage warning alike.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mlwork_jupyter.ml.evaluation import higher_is_better, primary_metric

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from mlwork_jupyter.ml.evaluation import Evaluation

__all__ = [
    "DECIMALS",
    "label_text",
    "largest_classes",
    "leakage_warning",
    "number",
    "numbers",
    "worst_slice",
]

DECIMALS = 4
"""Decimals kept for curve coordinates and shares in [0, 1] (display resolution)."""


def number(value: Any, digits: int | None = None) -> float | None:
    """Return `value` as a JSON number (rounded to `digits` decimals), None unless finite."""
    result = float(value)
    if not math.isfinite(result):
        return None
    return round(result, digits) if digits is not None else result


def numbers(values: NDArray[Any], digits: int = DECIMALS) -> list[float | None]:
    """Return `values` rounded to `digits` decimals as a JSON list, None where not finite."""
    rounded = np.round(np.asarray(values, dtype=np.float64), digits)
    return [v if math.isfinite(v) else None for v in rounded.tolist()]


def label_text(value: object) -> str:
    """Return a class, cluster or slice label as text (still to be escaped for HTML)."""
    return value if isinstance(value, str) else str(value)


def largest_classes(ev: Evaluation, limit: int) -> list[int]:
    """Return the positions of the `limit` classes with most support, in class order."""
    k = len(ev.classes)
    if k <= limit or ev.per_class is None:
        return list(range(k))
    support = ev.per_class["support"].to_numpy(dtype=np.float64)
    return sorted(np.argsort(-support, kind="stable")[:limit].tolist())


def worst_slice(ev: Evaluation) -> tuple[str | None, int | None]:
    """Return the metric that ranks slices and the position of the worst slice by it."""
    frame = ev.slices
    metric = primary_metric(ev.task, ev.metrics)
    if frame is None or metric is None or metric not in frame.columns:
        return metric, None
    values = frame[metric].to_numpy(dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(values))
    if not len(finite):
        return metric, None
    pick = np.argmin if higher_is_better(metric) else np.argmax
    return metric, int(finite[pick(values[finite])])


def leakage_warning(ev: Evaluation) -> str | None:
    """Return the one-line training-overlap warning, or None when there is nothing to say."""
    leak = ev.leakage
    if leak.status == "unavailable":
        reason = leak.detail.removeprefix("could not run:").strip()
        return f"leakage check could not run: {reason}" if reason else None
    if leak.status != "checked" or leak.rows == 0:
        return None
    examples = ", ".join(str(i) for i in leak.examples)
    word = "row" if len(leak.examples) == 1 else "rows"
    more = f" (e.g. {word} {examples})" if examples else ""
    return f"{leak.rows:,} of {ev.rows:,} evaluated rows also occur in the training data{more}"
