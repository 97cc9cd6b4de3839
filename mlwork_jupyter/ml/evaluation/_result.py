"""What an evaluation returns: metrics, tables, plot data at full resolution, and notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

__all__ = ["Calibration", "Curve", "Curves", "Evaluation", "Histogram", "Leakage"]

LeakageStatus = Literal["not checked", "checked", "unavailable"]


@dataclass(frozen=True, slots=True)
class Curve:
    """One class's one-vs-rest curve, with the score threshold of each point.

    ROC: x = false positive rate, y = true positive rate. Precision-recall: x = recall
    (ascending), y = precision. `value` is the area the curve stands for (ROC AUC, average
    precision); `support` the class's (weighted) number of true rows.
    """

    label: Any
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    thresholds: NDArray[np.float64]
    value: float
    support: float


@dataclass(frozen=True, slots=True)
class Calibration:
    """Reliability curve of a binary classifier over 10 uniform bins of the positive score.

    Bin ``i`` holds scores in ``(i/10, (i+1)/10]`` (the first also 0). Empty bins have NaN
    means and count 0. Means are weighted by `sample_weight`; counts are rows.
    """

    mean_predicted: NDArray[np.float64]
    fraction_positive: NDArray[np.float64]
    count: NDArray[np.int64]
    edges: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Histogram:
    """Counts of values in bins: ``counts[i]`` rows fall in ``[edges[i], edges[i + 1])``."""

    counts: NDArray[np.int64]
    edges: NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Curves:
    """The plot data of an evaluation, at full resolution.

    Attributes
    ----------
    roc, pr
        Classification with `proba`: one-vs-rest curves, one per class (the positive class
        only for a binary task; the 10 classes with most support when there are more).
    calibration
        Binary classification with `proba`.
    y_true, y_pred, residuals, residual_hist
        Regression: the values for a predicted-vs-true scatter, ``y_true - y_pred``, and
        a 50-bin histogram of the residuals.
    cluster_sizes, silhouette_per_cluster
        Clustering: rows per cluster, and each cluster's mean silhouette (on the rows the
        silhouette was computed on).
    """

    roc: tuple[Curve, ...] = ()
    pr: tuple[Curve, ...] = ()
    calibration: Calibration | None = None
    y_true: NDArray[np.float64] | None = None
    y_pred: NDArray[np.float64] | None = None
    residuals: NDArray[np.float64] | None = None
    residual_hist: Histogram | None = None
    cluster_sizes: pd.Series | None = None
    silhouette_per_cluster: pd.Series | None = None


@dataclass(slots=True)
class Leakage:
    """Evaluation rows that also occur in the training data (row-hash overlap).

    Attributes
    ----------
    status
        ``"not checked"`` (the default), ``"checked"``, or ``"unavailable"`` when the check
        could not run (`detail` says why, e.g. no training data recorded).
    rows
        How many evaluation rows occur in the training data.
    examples
        Positions of a few of those rows in the evaluated data.
    detail
        One line on how the check ran, or why it could not.
    """

    status: LeakageStatus = "not checked"
    rows: int = 0
    examples: tuple[int, ...] = ()
    detail: str = ""


@dataclass(eq=False)
class Evaluation:
    """The result of `compute` (and of ``mlwork.evaluate``).

    Attributes
    ----------
    task
        ``"classification"``, ``"regression"`` or ``"clustering"``.
    task_reason
        ``"given"``, or how ``task="auto"`` decided (``"auto: proba given"``).
    metrics
        Metric name → value (scikit-learn's names in snake case).
    rows
        Rows evaluated.
    classes
        Classification: the class labels in order; clustering: the cluster ids.
    per_class
        Classification: precision, recall, f1 and support per class (plus ROC AUC and
        average precision with `proba` and more than two classes), indexed by class.
    confusion, confusion_normalized
        Classification: counts (weighted sums with `sample_weight`), index = true class,
        columns = predicted class; and the same divided by each true class's total.
    slices
        Metrics per slice value (``n`` = rows), or None.
    curves
        Plot data (`Curves`).
    notes
        What the reader should know: sampling, classes left out of plots, undefined metrics.
    delta
        Change of each metric against the previous run of the same name (filled by the
        stage), or None.
    best
        Best value of each metric over earlier runs of the same name (filled by the stage).
    leakage
        The training-overlap check (filled by the stage).
    """

    task: str
    task_reason: str
    metrics: dict[str, float]
    rows: int
    classes: tuple[Any, ...] = ()
    per_class: pd.DataFrame | None = None
    confusion: pd.DataFrame | None = None
    confusion_normalized: pd.DataFrame | None = None
    slices: pd.DataFrame | None = None
    curves: Curves = field(default_factory=Curves)
    notes: list[str] = field(default_factory=list)
    delta: dict[str, float] | None = None
    best: dict[str, float] = field(default_factory=dict)
    leakage: Leakage = field(default_factory=Leakage)

    def __repr__(self) -> str:
        """Return a one-line summary: task, rows and the first metrics."""
        shown = ", ".join(f"{k}={v:.4g}" for k, v in list(self.metrics.items())[:6])
        return f"Evaluation({self.task}, {self.rows} rows: {shown})"
