"""Putting one task's metrics, tables and plot data together into an `Evaluation`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlwork_jupyter.ml.evaluation._classification import (
    MAX_CONFUSION_CLASSES,
    confusion_frames,
    count,
    label_metrics,
    per_class_frame,
)
from mlwork_jupyter.ml.evaluation._clustering import clustering_scores
from mlwork_jupyter.ml.evaluation._encoding import ClassData
from mlwork_jupyter.ml.evaluation._inputs import ClusterData, RegressionData
from mlwork_jupyter.ml.evaluation._probabilistic import probability_scores
from mlwork_jupyter.ml.evaluation._regression import regression_curves, regression_metrics
from mlwork_jupyter.ml.evaluation._result import Curves, Evaluation

if TYPE_CHECKING:
    from mlwork_jupyter.ml.evaluation._inputs import Prepared, TaskData

__all__ = ["assemble", "scores"]


def scores(data: TaskData) -> dict[str, float]:
    """Return the metrics of `data` alone (no tables, no plot data): a slice's row."""
    if isinstance(data, ClassData):
        counts = count(data)
        metrics = label_metrics(counts)
        metrics.update(probability_scores(data, counts, curves=False).metrics)
        return metrics
    if isinstance(data, RegressionData):
        return regression_metrics(data)
    return clustering_scores(data, curves=False)[0]


def assemble(prepared: Prepared) -> Evaluation:
    """Return the full `Evaluation` of checked input (slices are added by the caller)."""
    data = prepared.data
    notes = list(prepared.notes)
    if isinstance(data, ClassData):
        return _classification(prepared, data, notes)
    if isinstance(data, RegressionData):
        return Evaluation(
            prepared.task,
            prepared.task_reason,
            regression_metrics(data),
            prepared.rows,
            curves=regression_curves(data),
            notes=notes,
        )
    return _clustering(prepared, data, notes)


def _classification(prepared: Prepared, data: ClassData, notes: list[str]) -> Evaluation:
    counts = count(data)
    metrics = label_metrics(counts)
    probability = probability_scores(data, counts, curves=True)
    metrics.update(probability.metrics)
    notes.extend(probability.notes)
    if len(data.classes) == 2:  # noqa: PLR2004
        positive = data.classes[1]
        if probability.metrics:
            notes.append(f"binary scores use {positive!r} (the second class) as the positive")
    per_class = per_class_frame(data, counts)
    if probability.roc_auc is not None and probability.average_precision is not None:
        per_class["roc_auc"] = probability.roc_auc
        per_class["average_precision"] = probability.average_precision
    frames = confusion_frames(data)
    if frames is None:
        notes.append(
            f"confusion matrix not built: {len(data.classes):,} classes "
            f"(more than {MAX_CONFUSION_CLASSES})"
        )
    if not np.all(counts.true_sum > 0) and data.explicit:
        notes.append("some classes in labels never occur in y_true")
    return Evaluation(
        prepared.task,
        prepared.task_reason,
        metrics,
        prepared.rows,
        classes=data.classes,
        per_class=per_class,
        confusion=None if frames is None else frames[0],
        confusion_normalized=None if frames is None else frames[1],
        curves=Curves(
            roc=tuple(probability.roc),
            pr=tuple(probability.pr),
            calibration=probability.calibration,
        ),
        notes=notes,
    )


def _clustering(prepared: Prepared, data: ClusterData, notes: list[str]) -> Evaluation:
    metrics, curves, more = clustering_scores(data, curves=True)
    notes.extend(more)
    return Evaluation(
        prepared.task,
        prepared.task_reason,
        metrics,
        prepared.rows,
        classes=data.clusters,
        curves=curves,
        notes=notes,
    )
