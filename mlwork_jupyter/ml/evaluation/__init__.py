"""The computational core of the evaluate stage: metrics, tables and plot data, NumPy only.

`compute` scores predictions the way scikit-learn's metric functions do (same names, same
values, `sample_weight` included) without needing scikit-learn, sharing the work between
metrics: one pass of `np.bincount` gives every label metric, and one sort per class gives
ROC AUC, average precision and both curves.

Tasks
-----
``task="auto"`` decides, first match wins (`infer_task`):

1. no `y_true` → clustering (`y_pred` holds the cluster assignments);
2. `proba` or `labels` given → classification;
3. `y_true` or `y_pred` holds booleans, strings or other objects → classification;
4. only whole numbers with at most 50 distinct values in `y_true` and `y_pred` together →
   classification;
5. otherwise → regression.

The choice and its reason are kept in `Evaluation.task` and `Evaluation.task_reason`.

Classes
-------
The class order is `labels`, else the sorted values seen in `y_true` and `y_pred`, except
that with `proba` of ``k`` columns and integer labels all in ``0 .. k-1`` the classes are
``0 .. k-1`` (column ``i`` is class ``i``, as Keras outputs are). Binary scores (ROC AUC,
average precision, Brier, calibration) are for the second class.

Sampling and limits
-------------------
Silhouette is O(n²): above 10,000 rows it is computed on a deterministic sample of 10,000
(``numpy.random.default_rng(0)``), as scikit-learn's ``sample_size`` does, and a note
says so. ROC/PR curves are kept for at most 10 classes, those with the most support (a note
says so); the metrics cover every class. At most 200 slices are scored (the largest).
"""

from __future__ import annotations

from typing import Any

from mlwork_jupyter.ml.evaluation._assemble import assemble, scores
from mlwork_jupyter.ml.evaluation._direction import (
    higher_is_better,
    is_bounded,
    primary_metric,
)
from mlwork_jupyter.ml.evaluation._errors import EvaluationInputError
from mlwork_jupyter.ml.evaluation._hashing import overlap, row_hashes
from mlwork_jupyter.ml.evaluation._inputs import prepare
from mlwork_jupyter.ml.evaluation._regression import value_range
from mlwork_jupyter.ml.evaluation._result import (
    Calibration,
    Curve,
    Curves,
    Evaluation,
    Histogram,
    Leakage,
)
from mlwork_jupyter.ml.evaluation._slices import slice_table
from mlwork_jupyter.ml.evaluation._task import TASKS, infer_task

__all__ = [
    "TASKS",
    "Calibration",
    "Curve",
    "Curves",
    "Evaluation",
    "EvaluationInputError",
    "Histogram",
    "Leakage",
    "compute",
    "higher_is_better",
    "infer_task",
    "is_bounded",
    "overlap",
    "primary_metric",
    "row_hashes",
    "value_range",
]


def compute(
    y_true: Any,
    y_pred: Any = None,
    *,
    proba: Any = None,
    labels: Any = None,
    task: str = "auto",
    X: Any = None,  # noqa: N803 - scikit-learn's name for the features
    sample_weight: Any = None,
    slices: Any = None,
) -> Evaluation:
    """Score predictions; every argument is checked before anything is computed.

    Parameters
    ----------
    y_true
        True labels or values (reference labels for clustering, or None).
    y_pred
        Predicted labels or values (cluster assignments for clustering). With `proba` and
        no `y_pred`, the class of highest probability.
    proba
        Class probabilities, ``(n, k)`` with columns in class order, or ``(n,)`` for the
        positive class of a binary task. Rows must sum to 1 within 1e-3.
    labels
        The classes, in the order of `proba`'s columns and of the tables.
    task
        ``"classification"``, ``"regression"``, ``"clustering"`` or ``"auto"``.
    X
        The evaluated features: clustering scores use them, and `slices` may name one of
        their columns.
    sample_weight
        One weight per row; metrics are weighted as scikit-learn weights them (clustering
        scores and ``max_error`` take no weights).
    slices
        A column name of `X`, or one group key per row: metrics per slice value.

    Returns
    -------
    Evaluation
        Metrics, tables, plot data and notes; `delta`, `best` and `leakage` are left for
        the stage to fill.

    Raises
    ------
    EvaluationInputError
        On bad input, with a one-line message naming the argument and the fix.

    Examples
    --------
    >>> ev = compute(["cat", "dog", "dog"], ["cat", "dog", "cat"])
    >>> ev.task, round(ev.metrics["accuracy"], 3)
    ('classification', 0.667)
    >>> ev.confusion.loc["dog", "cat"]
    np.int64(1)
    """
    prepared = prepare(
        y_true,
        y_pred,
        proba=proba,
        labels=labels,
        task=task,
        X=X,
        sample_weight=sample_weight,
        slices=slices,
    )
    evaluation = assemble(prepared)
    if prepared.slice_keys is not None:
        data = prepared.data
        evaluation.slices = slice_table(
            prepared.slice_keys,
            prepared.slice_name,
            lambda rows: scores(data.take(rows)),
            evaluation.notes,
        )
    return evaluation
