"""Checking everything `evaluate` was given, before any metric is computed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd

from mlwork_jupyter.ml.evaluation._arrays import (
    as_matrix,
    as_vector,
    is_numeric,
    missing_count,
    value_kind,
)
from mlwork_jupyter.ml.evaluation._encoding import ClassData, check_proba, encode_classification
from mlwork_jupyter.ml.evaluation._errors import EvaluationInputError, listing
from mlwork_jupyter.ml.evaluation._task import check_task, infer_task

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["ClusterData", "Prepared", "RegressionData", "TaskData", "prepare"]


@dataclass(frozen=True, slots=True)
class RegressionData:
    """Regression input as float64 vectors."""

    y_true: NDArray[np.float64]
    y_pred: NDArray[np.float64]
    weights: NDArray[np.float64] | None

    def take(self, rows: NDArray[np.intp]) -> RegressionData:
        """Return the same data restricted to `rows`."""
        weights = None if self.weights is None else self.weights[rows]
        return RegressionData(self.y_true[rows], self.y_pred[rows], weights)


@dataclass(frozen=True, slots=True)
class ClusterData:
    """Clustering input: assignments (and reference labels) as codes, features as float64."""

    clusters: tuple[Any, ...]
    assigned: NDArray[np.intp]
    truth: NDArray[np.intp] | None
    features: NDArray[np.float64] | None

    def take(self, rows: NDArray[np.intp]) -> ClusterData:
        """Return the same data restricted to `rows`."""
        return ClusterData(
            self.clusters,
            self.assigned[rows],
            None if self.truth is None else self.truth[rows],
            None if self.features is None else self.features[rows],
        )


TaskData: TypeAlias = ClassData | RegressionData | ClusterData


@dataclass(frozen=True, slots=True)
class Prepared:
    """Checked, encoded input: the task, its data, and the slice keys."""

    task: str
    task_reason: str
    rows: int
    data: TaskData
    slice_keys: NDArray[Any] | None
    slice_name: str | None
    notes: tuple[str, ...]


def prepare(
    y_true: Any,
    y_pred: Any,
    *,
    proba: Any,
    labels: Any,
    task: Any,
    X: Any,  # noqa: N803 - the public name, as in scikit-learn
    sample_weight: Any,
    slices: Any,
) -> Prepared:
    """Check every argument and encode it; raise `EvaluationInputError` on the first problem."""
    chosen = check_task(task)
    truth = None if y_true is None else as_vector("y_true", y_true)
    pred = None if y_pred is None else as_vector("y_pred", y_pred)
    if truth is None and pred is None:
        raise EvaluationInputError(
            "pass y_true and y_pred (or proba); for clustering pass the assignments as "
            "y_pred: evaluate(None, model.labels_, X=X)"
        )
    first, rows = ("y_true", len(truth)) if truth is not None else ("y_pred", len(pred))  # type: ignore[arg-type]
    if rows == 0:
        raise EvaluationInputError(f"{first} is empty; pass at least one row")
    probs = None if proba is None else check_proba(proba)
    weights = None if sample_weight is None else as_vector("sample_weight", sample_weight)
    _same_length(first, rows, y_pred=pred, proba=probs, sample_weight=weights, X=X)
    keys, slice_name = _slice_keys(slices, X, first, rows)
    for name, arr in (("y_true", truth), ("y_pred", pred)):
        if arr is not None and (missing := missing_count(arr)):
            raise EvaluationInputError(
                f"{name} has {missing} missing values (NaN/None); drop or impute those rows "
                "before evaluating"
            )
    checked_weights = None if weights is None else _weights(weights)
    if chosen == "auto":
        chosen, reason = infer_task(
            truth, pred, has_proba=probs is not None, has_labels=labels is not None
        )
    else:
        reason = "given"
    notes: list[str] = []
    data: TaskData
    if chosen == "classification":
        if truth is None:
            raise EvaluationInputError(
                "classification needs y_true (the true labels); pass it first, or "
                "task='clustering' to score cluster assignments"
            )
        data = encode_classification(truth, pred, probs, labels, checked_weights)
    elif chosen == "regression":
        _only_classification(chosen, probs, labels)
        data = _regression(truth, pred, checked_weights)
    else:
        _only_classification(chosen, probs, labels)
        data = _clustering(truth, pred, X, notes)
        if checked_weights is not None:
            notes.append("clustering scores ignore sample_weight (as scikit-learn's do)")
    return Prepared(chosen, reason, rows, data, keys, slice_name, tuple(notes))


def _same_length(first: str, rows: int, **arrays: Any) -> None:
    for name, arr in arrays.items():
        if arr is None:
            continue
        length = len(arr)
        if length != rows:
            raise EvaluationInputError(
                f"{name} has {length} rows but {first} has {rows}; pass one entry per row "
                f"of {first}"
            )


def _slice_keys(slices: Any, x: Any, first: str, rows: int) -> tuple[Any, str | None]:
    if slices is None:
        return None, None
    if isinstance(slices, str):
        if not isinstance(x, pd.DataFrame):
            raise EvaluationInputError(
                f"slices={slices!r} names a column, so X must be a DataFrame with it; pass "
                "X=frame, or slices as an array of group keys"
            )
        if slices not in x.columns:
            raise EvaluationInputError(
                f"slices={slices!r} is not a column of X; columns: {listing(x.columns, 8)}"
            )
        return x[slices].to_numpy(), slices
    keys = as_vector("slices", slices)
    if len(keys) != rows:
        raise EvaluationInputError(
            f"slices has {len(keys)} values but {first} has {rows}; pass one group key per row"
        )
    name = slices.name if isinstance(slices, pd.Series) and slices.name is not None else None
    return keys, None if name is None else str(name)


def _weights(weights: NDArray[Any]) -> NDArray[np.float64]:
    if not is_numeric(weights):
        raise EvaluationInputError(
            f"sample_weight must be numeric, got dtype {weights.dtype}; pass one number per row"
        )
    w = weights.astype(np.float64, copy=False)
    if not np.isfinite(w).all():
        raise EvaluationInputError(
            "sample_weight has NaN or infinite values; pass finite weights, one per row"
        )
    if (w < 0).any():
        raise EvaluationInputError(
            f"sample_weight has negative values (min {w.min():.4g}); pass weights >= 0"
        )
    if not w.sum() > 0:
        raise EvaluationInputError("sample_weight sums to 0; pass at least one positive weight")
    return w


def _only_classification(task: str, proba: Any, labels: Any) -> None:
    for name, value in (("proba", proba), ("labels", labels)):
        if value is not None:
            raise EvaluationInputError(
                f"{name} is for classification, but task is {task!r}; drop {name}=, or pass "
                "task='classification'"
            )


def _regression(
    truth: NDArray[Any] | None, pred: NDArray[Any] | None, weights: NDArray[np.float64] | None
) -> RegressionData:
    if truth is None or pred is None:
        missing = "y_true" if truth is None else "y_pred"
        raise EvaluationInputError(
            f"regression needs {missing}; pass y_true and y_pred=model.predict(X)"
        )
    for name, arr in (("y_true", truth), ("y_pred", pred)):
        if not is_numeric(arr):
            raise EvaluationInputError(
                f"task='regression' needs numbers, but {name} holds {value_kind(arr)} "
                f"(e.g. {arr[:1].tolist()[0]!r}); pass task='classification' for class labels, or "
                "convert with pd.to_numeric"
            )
        if not np.isfinite(arr.astype(np.float64, copy=False)).all():
            raise EvaluationInputError(
                f"{name} has infinite values; drop or clip those rows before evaluating"
            )
    return RegressionData(
        truth.astype(np.float64, copy=False), pred.astype(np.float64, copy=False), weights
    )


def _clustering(
    truth: NDArray[Any] | None, pred: NDArray[Any] | None, x: Any, notes: list[str]
) -> ClusterData:
    if x is None and truth is None:
        raise EvaluationInputError(
            "clustering needs X (for silhouette, Davies-Bouldin, Calinski-Harabasz) or y_true "
            "(reference labels, for adjusted Rand and NMI); pass X=features and/or y_true"
        )
    if pred is None:
        raise EvaluationInputError(
            "clustering needs the cluster assignments as y_pred; pass "
            "evaluate(y_true_or_None, model.labels_, X=X)"
        )
    codes, clusters = pd.factorize(pred, sort=True)
    truth_codes = None if truth is None else pd.factorize(truth, sort=True)[0]
    features = None if x is None else _features(x, notes)
    return ClusterData(
        tuple(np.asarray(clusters).tolist()),
        codes.astype(np.intp, copy=False),
        None if truth_codes is None else truth_codes.astype(np.intp, copy=False),
        features,
    )


def _features(x: Any, notes: list[str]) -> NDArray[np.float64]:
    if isinstance(x, pd.DataFrame):
        numeric = x.select_dtypes(include=["number", "bool"])
        dropped = [str(c) for c in x.columns if c not in numeric.columns]
        if dropped:
            notes.append(
                f"clustering scores use the numeric columns of X; left out: {listing(dropped)}"
            )
        if numeric.shape[1] == 0:
            raise EvaluationInputError(
                "X has no numeric columns; clustering scores need numeric features"
            )
        x = numeric
    matrix = as_matrix("X", x)
    if not is_numeric(matrix):
        raise EvaluationInputError(
            f"X must be numeric for clustering scores, got dtype {matrix.dtype}; "
            "encode or drop the non-numeric features"
        )
    features = matrix.astype(np.float64, copy=False)
    if not np.isfinite(features).all():
        raise EvaluationInputError(
            "X has NaN or infinite values; clustering scores need complete features: "
            "impute or drop those rows"
        )
    return features
