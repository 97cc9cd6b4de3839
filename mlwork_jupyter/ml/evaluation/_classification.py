"""Label metrics from per-class counts: accuracy, balanced accuracy, precision, recall, f1.

Every metric is scikit-learn's, with its defaults: a ratio whose denominator is 0 counts as
0 (``zero_division="warn"``, without the warning), balanced accuracy leaves out classes
absent from `y_true`, and a weighted average whose weights sum to 0 falls back to the mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from mlwork_jupyter.ml.evaluation._encoding import ClassData

__all__ = ["MAX_CONFUSION_CLASSES", "ClassCounts", "confusion_frames", "count", "label_metrics"]

MAX_CONFUSION_CLASSES = 1000
"""Above this many classes the confusion matrix is not built (k² cells); metrics still are."""


@dataclass(frozen=True, slots=True)
class ClassCounts:
    """Per-class sums (weighted with `sample_weight`) that every label metric derives from."""

    tp: NDArray[np.float64]
    true_sum: NDArray[np.float64]
    pred_sum: NDArray[np.float64]
    considered: NDArray[np.bool_]

    @property
    def total(self) -> float:
        """Sum of all weights (rows when unweighted)."""
        return float(self.true_sum.sum())

    def precision(self) -> NDArray[np.float64]:
        """Per-class precision, 0 where nothing was predicted."""
        return _ratio(self.tp, self.pred_sum)

    def recall(self) -> NDArray[np.float64]:
        """Per-class recall, 0 where the class never occurs."""
        return _ratio(self.tp, self.true_sum)

    def f1(self) -> NDArray[np.float64]:
        """Per-class F1 as ``2 tp / (true + predicted)``, 0 where both are 0."""
        return _ratio(2.0 * self.tp, self.true_sum + self.pred_sum)


def count(data: ClassData) -> ClassCounts:
    """Return the per-class sums of `data` (three `np.bincount` calls)."""
    k = len(data.classes)
    w = data.weights
    hit = data.true == data.pred
    tp = np.bincount(data.true[hit], None if w is None else w[hit], minlength=k)
    true_sum = np.bincount(data.true, w, minlength=k)
    pred_sum = np.bincount(data.pred, w, minlength=k)
    if data.explicit:
        considered = np.ones(k, dtype=bool)
    elif w is None:
        considered = (true_sum > 0) | (pred_sum > 0)
    else:  # presence is about rows, not weight (scikit-learn's unique_labels)
        considered = (np.bincount(data.true, minlength=k) > 0) | (
            np.bincount(data.pred, minlength=k) > 0
        )
    return ClassCounts(
        tp.astype(np.float64), true_sum.astype(np.float64), pred_sum.astype(np.float64), considered
    )


def label_metrics(counts: ClassCounts) -> dict[str, float]:
    """Return accuracy, balanced accuracy, weighted precision/recall/f1 and macro f1."""
    total = counts.total
    with np.errstate(divide="ignore", invalid="ignore"):
        per_class_recall = counts.tp / counts.true_sum
    occurring = per_class_recall[~np.isnan(per_class_recall)]
    keep = counts.considered
    weights = counts.true_sum[keep]
    f1 = counts.f1()[keep]
    return {
        "accuracy": float(counts.tp.sum() / total) if total else float("nan"),
        "balanced_accuracy": float(occurring.mean()) if len(occurring) else float("nan"),
        "precision_weighted": _weighted(counts.precision()[keep], weights),
        "recall_weighted": _weighted(counts.recall()[keep], weights),
        "f1_weighted": _weighted(f1, weights),
        "f1_macro": float(f1.mean()) if len(f1) else float("nan"),
    }


def per_class_frame(data: ClassData, counts: ClassCounts) -> pd.DataFrame:
    """Return precision, recall, f1 and support per class, indexed by class label."""
    support: NDArray[np.float64] | NDArray[np.int64] = counts.true_sum
    if data.weights is None:
        support = counts.true_sum.astype(np.int64)
    return pd.DataFrame(
        {
            "precision": counts.precision(),
            "recall": counts.recall(),
            "f1": counts.f1(),
            "support": support,
        },
        index=_class_index(data.classes, "class"),
    )


def confusion_frames(data: ClassData) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Return the confusion matrix (true by predicted) and its row-normalised copy.

    One `np.bincount` over the encoded pairs. None when there are more classes than
    `MAX_CONFUSION_CLASSES`.
    """
    k = len(data.classes)
    if k > MAX_CONFUSION_CLASSES:
        return None
    cells = np.bincount(data.true * k + data.pred, data.weights, minlength=k * k).reshape(k, k)
    if data.weights is None:
        cells = cells.astype(np.int64)
    row_sums = cells.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        normalised = np.where(row_sums > 0, cells / row_sums, 0.0)
    frame = pd.DataFrame(
        cells, index=_class_index(data.classes, "true"), columns=_class_index(data.classes, "pred")
    )
    return frame, pd.DataFrame(normalised, index=frame.index, columns=frame.columns)


def _class_index(classes: tuple[object, ...], name: str) -> pd.Index:
    return pd.Index(list(classes), name=name, tupleize_cols=False)


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _weighted(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    if not len(values):
        return float("nan")
    total = weights.sum()
    if total == 0:
        return float(values.mean())
    return float((values * weights).sum() / total)
