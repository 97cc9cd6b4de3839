"""Which task an evaluation scores: the user's choice, or the documented `auto` rule."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlwork_jupyter.ml.evaluation._arrays import integer_valued, is_numeric, value_kind
from mlwork_jupyter.ml.evaluation._errors import EvaluationInputError, suggestion

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["MAX_AUTO_CLASSES", "TASKS", "check_task", "infer_task"]

TASKS = ("classification", "regression", "clustering")
MAX_AUTO_CLASSES = 50
"""Whole-number targets with at most this many distinct values count as class labels."""


def check_task(task: object) -> str:
    """Return `task` when it names a task or ``"auto"``, else raise the one-line error."""
    valid = ("auto", *TASKS)
    if not isinstance(task, str) or task not in valid:
        hint = suggestion(task, valid) if isinstance(task, str) else ""
        raise EvaluationInputError(f"unknown task {task!r};{hint} tasks: {', '.join(valid)}")
    return task


def infer_task(
    y_true: NDArray[Any] | None,
    y_pred: NDArray[Any] | None,
    *,
    has_proba: bool,
    has_labels: bool,
) -> tuple[str, str]:
    """Apply the ``task="auto"`` rule; return the task and the reason, in words.

    The rule, first match wins:

    1. no `y_true` → clustering (`y_pred` holds the cluster assignments);
    2. `proba` or `labels` given → classification;
    3. `y_true` or `y_pred` holds booleans, strings or other objects → classification;
    4. `y_true` and `y_pred` hold only whole numbers with at most `MAX_AUTO_CLASSES` (50)
       distinct values between them → classification;
    5. otherwise (numbers with fractions, or many distinct whole numbers) → regression.
    """
    if y_true is None:
        return "clustering", "auto: no y_true, so y_pred holds cluster assignments"
    if has_proba or has_labels:
        return "classification", f"auto: {'proba' if has_proba else 'labels'} given"
    given = [("y_true", y_true)] + ([("y_pred", y_pred)] if y_pred is not None else [])
    for name, arr in given:
        if arr.dtype.kind == "b" or not is_numeric(arr):
            return "classification", f"auto: {name} holds {value_kind(arr)}"
    for name, arr in given:
        if not integer_valued(arr):
            return "regression", f"auto: {name} holds numbers with fractional parts"
    count = len(pd.unique(np.concatenate([arr for _, arr in given])))
    words = f"whole numbers with {count} distinct values"
    if count <= MAX_AUTO_CLASSES:
        return "classification", f"auto: {words} (at most {MAX_AUTO_CLASSES})"
    return "regression", f"auto: {words} (more than {MAX_AUTO_CLASSES})"
