"""Classification input: the class order, labels as integer codes, probabilities checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from mlwork_jupyter.ml.evaluation._arrays import integer_valued
from mlwork_jupyter.ml.evaluation._errors import EvaluationInputError, listing

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["PROBA_TOLERANCE", "ClassData", "check_proba", "encode_classification"]

PROBA_TOLERANCE = 1e-3
"""How far a row of `proba` may sum from 1 (relative) before it is refused."""


@dataclass(frozen=True, slots=True)
class ClassData:
    """Classification input, encoded: class ``i`` is ``classes[i]``.

    Attributes
    ----------
    classes
        The class labels in order (the user's `labels`, else the sorted values seen).
    explicit
        Whether the user named the classes; macro averages then cover every one of them,
        else only those that occur in `y_true` or `y_pred` (as scikit-learn does).
    true, pred
        Class codes of each row.
    proba
        ``(n, k)`` probabilities, column ``i`` for ``classes[i]``; None without `proba`.
    weights
        Sample weights, or None.
    """

    classes: tuple[Any, ...]
    explicit: bool
    true: NDArray[np.intp]
    pred: NDArray[np.intp]
    proba: NDArray[np.floating[Any]] | None
    weights: NDArray[np.float64] | None

    def take(self, rows: NDArray[np.intp]) -> ClassData:
        """Return the same data restricted to `rows`."""
        return ClassData(
            self.classes,
            self.explicit,
            self.true[rows],
            self.pred[rows],
            None if self.proba is None else self.proba[rows],
            None if self.weights is None else self.weights[rows],
        )


def check_proba(proba: Any) -> NDArray[np.floating[Any]]:
    """Return `proba` as an ``(n, k)`` float array after checking it holds probabilities.

    A 1-D `proba` (or one column) is the positive class of a binary task and becomes the two
    columns ``1 - p, p``.
    """
    arr = np.asarray(proba.to_numpy() if isinstance(proba, pd.DataFrame) else proba)
    if arr.dtype.kind not in "biuf":
        raise EvaluationInputError(
            f"proba must hold numbers (class probabilities), got dtype {arr.dtype}; "
            "pass model.predict_proba(X) or a softmax output"
        )
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:  # noqa: PLR2004 - one column: the positive class
        arr = arr[:, 0]
    if arr.ndim not in (1, 2):
        raise EvaluationInputError(
            f"proba must be (n_rows, n_classes) or (n_rows,) for a binary task, got shape "
            f"{arr.shape}"
        )
    sums = arr if arr.ndim == 1 else arr.sum(axis=1)
    bad_rows = np.flatnonzero(np.isnan(sums))
    if len(bad_rows):
        raise EvaluationInputError(
            f"proba has NaN in {len(bad_rows)} rows (first: row {bad_rows[0]}); "
            "drop or fix those rows before evaluating"
        )
    lo, hi = float(arr.min(initial=0.0)), float(arr.max(initial=0.0))
    if lo < 0 or hi > 1:
        raise EvaluationInputError(
            f"proba has values outside [0, 1] (min {lo:.4g}, max {hi:.4g}); pass "
            "probabilities, not logits or scores: apply a softmax (or sigmoid) first"
        )
    if arr.ndim == 1:
        return np.column_stack((1.0 - arr, arr))
    off = np.flatnonzero(np.abs(sums - 1.0) > PROBA_TOLERANCE)
    if len(off):
        raise EvaluationInputError(
            f"proba rows must sum to 1 (within {PROBA_TOLERANCE:g}), but {len(off)} do not "
            f"(row {off[0]} sums to {sums[off[0]]:.6g}); pass normalised probabilities, "
            "e.g. a softmax output"
        )
    return arr


def encode_classification(
    y_true: NDArray[Any],
    y_pred: NDArray[Any] | None,
    proba: NDArray[np.floating[Any]] | None,
    labels: Any,
    weights: NDArray[np.float64] | None,
) -> ClassData:
    """Check classification input and encode it (see `ClassData`)."""
    if y_pred is None and proba is None:
        raise EvaluationInputError(
            "classification needs y_pred (predicted labels) or proba (class probabilities); "
            "pass one of them"
        )
    if y_pred is not None and labels is None:
        _refuse_scores_as_labels(y_true, y_pred)
    explicit = labels is not None
    if labels is not None:
        classes = _given_classes(labels, proba)
    else:
        classes = _seen_classes(y_true, y_pred, proba)
    index = pd.Index(classes, tupleize_cols=False)
    true = _codes("y_true", y_true, index)
    pred = (
        _codes("y_pred", y_pred, index)
        if y_pred is not None
        else np.argmax(proba, axis=1).astype(np.intp)  # type: ignore[arg-type]
    )
    return ClassData(tuple(classes), explicit, true, pred, proba, weights)


def _refuse_scores_as_labels(y_true: NDArray[Any], y_pred: NDArray[Any]) -> None:
    fractional_truth = y_true.dtype.kind == "f" and not integer_valued(y_true)
    if y_pred.dtype.kind == "f" and not fractional_truth and not integer_valued(y_pred):
        frac = y_pred[np.isfinite(y_pred) & (y_pred != np.floor(y_pred))]
        example = f" (e.g. {frac[0]:.4g})" if len(frac) else ""
        raise EvaluationInputError(
            f"y_pred holds numbers with fractional parts{example}, not class labels; pass "
            "probabilities as proba=..., or task='regression' for numeric targets"
        )


def _given_classes(labels: Any, proba: NDArray[np.floating[Any]] | None) -> list[Any]:
    classes = _python_values(np.asarray(labels, dtype=object).ravel())
    if not classes:
        raise EvaluationInputError("labels is empty; pass the class labels, or labels=None")
    dupes = pd.Index(classes, tupleize_cols=False)
    if dupes.has_duplicates:
        repeated = dupes[dupes.duplicated()].unique().tolist()
        raise EvaluationInputError(
            f"labels has duplicates: {listing(repeated)}; pass each class once"
        )
    if proba is not None and proba.shape[1] != len(classes):
        raise EvaluationInputError(
            f"proba has {proba.shape[1]} columns but labels has {len(classes)} classes; "
            "pass one proba column per class, in the order of labels"
        )
    return classes


def _seen_classes(
    y_true: NDArray[Any], y_pred: NDArray[Any] | None, proba: NDArray[np.floating[Any]] | None
) -> list[Any]:
    parts = [pd.unique(y_true)] + ([pd.unique(y_pred)] if y_pred is not None else [])
    seen = _python_values(pd.unique(np.concatenate(parts)))
    try:
        classes = sorted(seen)
    except TypeError:
        types = sorted({type(v).__name__ for v in seen})
        raise EvaluationInputError(
            f"y_true and y_pred mix label types ({', '.join(types)}); convert them to one "
            "type, or pass labels=[...] in the order you want"
        ) from None
    if proba is None:
        return classes
    k = proba.shape[1]
    whole = all(
        isinstance(c, int | float) and not isinstance(c, bool) and float(c).is_integer()
        for c in classes
    )
    if whole and all(0 <= c < k for c in classes):
        return list(range(k))  # integer labels index proba's columns, as Keras' do
    if len(classes) == k:
        return classes
    raise EvaluationInputError(
        f"proba has {k} columns but y_true/y_pred hold {len(classes)} classes "
        f"({listing(classes)}); pass labels=[...] naming the class of each proba column"
    )


def _python_values(values: NDArray[Any]) -> list[Any]:
    out: list[Any] = values.tolist()
    return out


def _codes(name: str, values: NDArray[Any], index: pd.Index) -> NDArray[np.intp]:
    k = len(index)
    if values.dtype.kind in "iu" and len(values) and index.equals(pd.RangeIndex(k)):
        lo, hi = int(values.min()), int(values.max())
        if lo >= 0 and hi < k:
            return values.astype(np.intp, copy=False)
    codes = index.get_indexer(cast("Any", values))
    missing = codes < 0
    if missing.any():
        unknown = _python_values(pd.unique(values[missing]))
        raise EvaluationInputError(
            f"{name} has values not in labels: {listing(unknown)}; add them to labels "
            "(or leave labels=None to use every value seen)"
        )
    return codes.astype(np.intp, copy=False)
