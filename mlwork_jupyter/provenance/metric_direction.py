"""Which way each metric improves, whether it is bounded, and which metric ranks slices."""

from __future__ import annotations

__all__ = ["LOWER_IS_BETTER", "higher_is_better", "is_bounded", "primary_metric"]

LOWER_IS_BETTER = frozenset(
    {
        "log_loss",
        "brier",
        "mae",
        "mse",
        "rmse",
        "max_error",
        "median_ae",
        "mape",
        "davies_bouldin",
    }
)
_LOWER_WORDS = frozenset(
    {
        "loss",
        "error",
        "mae",
        "mse",
        "rmse",
        "mape",
        "msle",
        "brier",
        "crossentropy",
        "hinge",
        "deviance",
        "divergence",
        "kld",
        "logcosh",
        "huber",
        "poisson",
    }
)
# Words of metrics whose values lie in [0, 1] (a log axis has nothing to show for them).
_BOUNDED_WORDS = frozenset(
    {
        "accuracy",
        "acc",
        "auc",
        "precision",
        "recall",
        "f1",
        "fbeta",
        "iou",
        "sensitivity",
        "specificity",
        "brier",
    }
)
_PRIMARY = {
    "classification": ("accuracy",),
    "regression": ("mae",),
    "clustering": ("silhouette", "adjusted_rand"),
}


def higher_is_better(metric: str) -> bool:
    """Return whether a larger value of `metric` is an improvement.

    Our metric names are listed (`LOWER_IS_BETTER`); any other name, such as a Keras
    metric (``val_loss``, ``mean_squared_error``, ``categorical_crossentropy``), is
    lower-is-better when one of its words names a loss or an error, else higher-is-better.

    Examples
    --------
    >>> higher_is_better("f1_macro"), higher_is_better("log_loss"), higher_is_better("val_loss")
    (True, False, False)
    """
    if metric in LOWER_IS_BETTER:
        return False
    base = metric.rpartition("/")[2].removeprefix("val_").lower()
    if base in LOWER_IS_BETTER:
        return False
    return _LOWER_WORDS.isdisjoint(base.replace("-", "_").split("_"))


def _words(metric: str) -> list[str]:
    base = metric.rpartition("/")[2].removeprefix("val_").lower()
    return base.replace("-", "_").split("_")


def is_bounded(metric: str) -> bool:
    """Return whether `metric` takes values in [0, 1] (accuracy, AUC, precision, recall, F1).

    Losses and errors (``loss``, ``mse``, ``mae``...) are unbounded above: a log axis suits
    them, not these.

    Examples
    --------
    >>> is_bounded("val_accuracy"), is_bounded("fit2/auc_1"), is_bounded("loss")
    (True, True, False)
    """
    words = _words(metric)
    if not _LOWER_WORDS.isdisjoint(words) and "brier" not in words:
        return False
    return not _BOUNDED_WORDS.isdisjoint(words)


def primary_metric(task: str, metrics: dict[str, float]) -> str | None:
    """Return the metric that ranks slices for `task` (accuracy, mae, silhouette...)."""
    return next((m for m in _PRIMARY.get(task, ()) if m in metrics), None)
