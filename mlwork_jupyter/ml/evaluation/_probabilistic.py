"""Metrics of class probabilities: log loss, ROC AUC, average precision, Brier, calibration.

Binary tasks score the positive class, ``classes[1]`` (column 1 of `proba`). Multiclass ROC
AUC and average precision are one-vs-rest, averaged with each class's (weighted) support as
its weight, as scikit-learn's ``average="weighted"``; a class absent from `y_true` has weight
0 and is left out (scikit-learn returns NaN then).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mlwork_jupyter.ml.evaluation._ranking import pr_curve, rank, roc_curve
from mlwork_jupyter.ml.evaluation._result import Calibration

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from mlwork_jupyter.ml.evaluation._classification import ClassCounts
    from mlwork_jupyter.ml.evaluation._encoding import ClassData
    from mlwork_jupyter.ml.evaluation._result import Curve

__all__ = ["MAX_CURVE_CLASSES", "ProbabilityScores", "probability_scores"]

MAX_CURVE_CLASSES = 10
"""Most classes given ROC and PR curves; with more, those with the largest support."""
_CALIBRATION_BINS = 10


@dataclass(slots=True)
class ProbabilityScores:
    """What `probability_scores` computes."""

    metrics: dict[str, float]
    roc_auc: NDArray[np.float64] | None = None  # per class, multiclass only
    average_precision: NDArray[np.float64] | None = None
    roc: list[Curve] = field(default_factory=list)
    pr: list[Curve] = field(default_factory=list)
    calibration: Calibration | None = None
    notes: list[str] = field(default_factory=list)


def probability_scores(data: ClassData, counts: ClassCounts, *, curves: bool) -> ProbabilityScores:
    """Return the probability metrics of `data` (which has `proba`), and curves if asked."""
    proba = data.proba
    if proba is None:
        return ProbabilityScores({})
    metrics = {"log_loss": _log_loss(proba, data.true, data.weights)}
    k = len(data.classes)
    if k == 2:  # noqa: PLR2004 - binary: the positive class
        return _binary(data, proba, counts, metrics, curves=curves)
    out = ProbabilityScores(metrics)
    auc = np.full(k, np.nan)
    ap = np.full(k, np.nan)
    shown = _curve_classes(counts, curves=curves)
    for c in np.flatnonzero(counts.true_sum > 0).tolist():
        ranking = rank(proba[:, c], data.true == c, data.weights)
        auc[c], ap[c] = ranking.roc_auc, ranking.average_precision
        if c in shown:
            label, support = data.classes[c], float(counts.true_sum[c])
            out.roc.append(roc_curve(ranking, label, support))
            out.pr.append(pr_curve(ranking, label, support))
    metrics["roc_auc"] = _support_weighted(auc, counts.true_sum)
    metrics["average_precision"] = _support_weighted(ap, counts.true_sum)
    out.roc_auc, out.average_precision = auc, ap
    if curves and k > MAX_CURVE_CLASSES:
        out.notes.append(
            f"ROC and PR curves shown for the {MAX_CURVE_CLASSES} classes with the most "
            f"support, of {k}"
        )
    if np.any(counts.true_sum == 0):
        absent = [data.classes[c] for c in np.flatnonzero(counts.true_sum == 0)][:5]
        out.notes.append(
            f"roc_auc and average_precision leave out classes absent from y_true: {absent}"
        )
    return out


def _binary(
    data: ClassData,
    proba: NDArray[np.floating[Any]],
    counts: ClassCounts,
    metrics: dict[str, float],
    *,
    curves: bool,
) -> ProbabilityScores:
    scores = proba[:, 1]
    positive = data.true == 1
    ranking = rank(scores, positive, data.weights)
    metrics["roc_auc"] = ranking.roc_auc
    metrics["average_precision"] = ranking.average_precision
    metrics["brier"] = _mean((positive - scores.astype(np.float64)) ** 2, data.weights)
    out = ProbabilityScores(metrics)
    if not (ranking.positives > 0 and ranking.negatives > 0):
        out.notes.append(
            "roc_auc is undefined (NaN): y_true holds only one class"
            + ("" if ranking.positives > 0 else "; average_precision too: no positives")
        )
    if curves:
        label, support = data.classes[1], float(counts.true_sum[1])
        out.roc.append(roc_curve(ranking, label, support))
        out.pr.append(pr_curve(ranking, label, support))
        out.calibration = _calibration(scores, positive, data.weights)
    return out


def _curve_classes(counts: ClassCounts, *, curves: bool) -> set[int]:
    if not curves:
        return set()
    return set(np.argsort(-counts.true_sum, kind="stable")[:MAX_CURVE_CLASSES].tolist())


def _log_loss(
    proba: NDArray[np.floating[Any]], true: NDArray[np.intp], weights: NDArray[np.float64] | None
) -> float:
    eps = np.finfo(proba.dtype).eps
    picked = np.clip(proba[np.arange(len(true)), true], eps, 1 - eps)
    return _mean(-np.log(picked.astype(np.float64)), weights)


def _calibration(
    scores: NDArray[np.floating[Any]],
    positive: NDArray[np.bool_],
    weights: NDArray[np.float64] | None,
) -> Calibration:
    edges = np.linspace(0.0, 1.0, _CALIBRATION_BINS + 1)
    bins = np.searchsorted(edges[1:-1], scores)
    n = _CALIBRATION_BINS
    count = np.bincount(bins, minlength=n).astype(np.int64)
    w = np.ones(len(scores)) if weights is None else weights
    total = np.bincount(bins, w, minlength=n)
    predicted = np.bincount(bins, w * scores, minlength=n)
    observed = np.bincount(bins, w * positive, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_predicted = np.where(total > 0, predicted / total, np.nan)
        fraction = np.where(total > 0, observed / total, np.nan)
    return Calibration(mean_predicted, fraction, count, edges)


def _mean(values: NDArray[np.float64], weights: NDArray[np.float64] | None) -> float:
    if weights is None:
        return float(values.mean())
    return float((values * weights).sum() / weights.sum())


def _support_weighted(values: NDArray[np.float64], support: NDArray[np.float64]) -> float:
    keep = ~np.isnan(values) & (support > 0)
    if not keep.any():
        return float("nan")
    return float((values[keep] * support[keep]).sum() / support[keep].sum())
