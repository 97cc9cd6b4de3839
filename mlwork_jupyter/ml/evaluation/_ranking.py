"""Score-ranking metrics: one sort per class gives ROC AUC, average precision and both curves.

For a class ``c`` the rows are sorted once by ``proba[:, c]``, descending; the cumulative
(weighted) counts of positives and negatives at each distinct score are the true and false
positives of every threshold, from which scikit-learn's ``roc_curve``, ``auc``,
``precision_recall_curve`` and ``average_precision_score`` follow without sorting again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from mlwork_jupyter.ml.evaluation._result import Curve

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["Ranking", "pr_curve", "rank", "roc_curve"]


@dataclass(frozen=True)
class Ranking:
    """True and false positives at each distinct score, highest score first."""

    tps: NDArray[np.float64]
    fps: NDArray[np.float64]
    thresholds: NDArray[np.float64]

    @property
    def positives(self) -> float:
        """Total (weighted) positives."""
        return float(self.tps[-1]) if len(self.tps) else 0.0

    @property
    def negatives(self) -> float:
        """Total (weighted) negatives."""
        return float(self.fps[-1]) if len(self.fps) else 0.0

    @cached_property
    def roc_auc(self) -> float:
        """Area under the ROC curve (trapezoids), NaN unless both classes occur."""
        if self.positives <= 0 or self.negatives <= 0:
            return float("nan")
        tpr = np.concatenate(([0.0], self.tps / self.positives))
        fpr = np.concatenate(([0.0], self.fps / self.negatives))
        return float((np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0).sum())  # np.trapezoid

    @cached_property
    def average_precision(self) -> float:
        """Average precision (the step integral of precision over recall), NaN without positives."""
        if self.positives <= 0:
            return float("nan")
        precision = self.tps / (self.tps + self.fps)
        recall = self.tps / self.positives
        steps = np.diff(recall, prepend=0.0)
        return max(0.0, float(np.sum(steps * precision)))


def rank(
    scores: NDArray[np.floating[Any]],
    positive: NDArray[np.bool_],
    weights: NDArray[np.float64] | None,
) -> Ranking:
    """Count positives and negatives at each distinct score, with one sort of `scores`.

    Unweighted, the sort is of the values alone (several times faster than `np.argsort`):
    positives are counted per distinct value by locating their own sorted scores among the
    distinct values. With weights, one stable `np.argsort` orders scores, labels and weights.
    """
    if weights is None:
        return _rank_counts(scores, positive)
    if not weights.all():  # zero weights add thresholds, not counts
        keep = weights != 0
        scores, positive, weights = scores[keep], positive[keep], weights[keep]
    # Stable, ties in row order, as scikit-learn sorts: the weighted sums then add up in
    # the same order and the curves keep the same corners to the last bit.
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    sorted_positive = positive[order]
    sorted_weights = weights[order]
    ends = np.append(np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]), len(order) - 1)
    tps = np.cumsum(np.where(sorted_positive, sorted_weights, 0.0))[ends]
    fps = np.cumsum(np.where(sorted_positive, 0.0, sorted_weights))[ends]
    return Ranking(tps, fps, sorted_scores[ends].astype(np.float64, copy=False))


def _rank_counts(scores: NDArray[np.floating[Any]], positive: NDArray[np.bool_]) -> Ranking:
    ascending = np.sort(scores)
    firsts = np.flatnonzero(np.concatenate(([True], ascending[1:] != ascending[:-1])))
    values = ascending[firsts]
    at_least = len(ascending) - firsts  # rows scoring >= each distinct value
    slots = np.searchsorted(values, np.sort(scores[positive]))
    per_value = np.bincount(slots, minlength=len(values))
    # Highest score first: cumulative counts from the top.
    tps = np.cumsum(per_value[::-1], dtype=np.float64)
    fps = at_least[::-1] - tps
    return Ranking(tps, fps, values[::-1].astype(np.float64, copy=False))


def roc_curve(ranking: Ranking, label: object, support: float) -> Curve:
    """Return the ROC curve as scikit-learn draws it (collinear points dropped)."""
    tps, fps, thresholds = ranking.tps, ranking.fps, ranking.thresholds
    if len(fps) > 2:  # noqa: PLR2004 - keep the ends and every corner
        corners = np.logical_or(np.diff(fps, 2), np.diff(tps, 2))
        keep = np.flatnonzero(np.concatenate(([True], corners, [True])))
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    pos, neg = ranking.positives, ranking.negatives
    tpr = np.concatenate(([0.0], tps / pos)) if pos > 0 else np.full(len(tps) + 1, np.nan)
    fpr = np.concatenate(([0.0], fps / neg)) if neg > 0 else np.full(len(fps) + 1, np.nan)
    return Curve(label, fpr, tpr, np.concatenate(([np.inf], thresholds)), ranking.roc_auc, support)


def pr_curve(ranking: Ranking, label: object, support: float) -> Curve:
    """Return the precision-recall curve, recall ascending from the point (0, 1).

    Points where recall does not change on either side are dropped
    (``drop_intermediate=True``); the staircase drawn is the same.
    """
    tps, fps, thresholds = ranking.tps, ranking.fps, ranking.thresholds
    if len(tps) > 2:  # noqa: PLR2004
        moves = np.logical_or(np.diff(tps[:-1]), np.diff(tps[1:]))
        keep = np.flatnonzero(np.concatenate(([True], moves, [True])))
        tps, fps, thresholds = tps[keep], fps[keep], thresholds[keep]
    pos = ranking.positives
    recall = tps / pos if pos > 0 else np.ones_like(tps)
    x = np.concatenate(([0.0], recall))
    y = np.concatenate(([1.0], tps / (tps + fps)))
    return Curve(
        label, x, y, np.concatenate(([np.inf], thresholds)), ranking.average_precision, support
    )
