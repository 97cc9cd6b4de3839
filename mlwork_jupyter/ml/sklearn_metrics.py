"""Capture of the `sklearn.metrics` functions a cell calls, as metrics under `evaluate`'s names.

`accuracy_score(y_test, pred)` in an evaluate cell becomes the metric ``accuracy``; a second call
of the same function in the cell becomes ``accuracy_2``. `precision_score`, `recall_score` and
`f1_score` take the ``average`` they were called with as a suffix (``f1_macro``; the default,
binary, has none). Only calls that return one number are recorded, and only calls made from
outside scikit-learn (an estimator's `score` calling `accuracy_score` is not one).

The functions are reached three ways, and all three are covered for the block's duration: as
attributes of `sklearn.metrics` (``metrics.accuracy_score(...)``), imported inside the block
(``from sklearn.metrics import accuracy_score`` reads that attribute), and imported before it, as
names in the user's namespace bound to the original function. Each is put back on exit; a
wrapper that escaped the block (stored in a dict) only calls the original outside it.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, MutableMapping

__all__ = ["METRIC_NAMES", "capture_metric_calls"]

METRIC_NAMES: dict[str, str] = {
    "accuracy_score": "accuracy",
    "balanced_accuracy_score": "balanced_accuracy",
    "precision_score": "precision",
    "recall_score": "recall",
    "f1_score": "f1",
    "log_loss": "log_loss",
    "roc_auc_score": "roc_auc",
    "average_precision_score": "average_precision",
    "brier_score_loss": "brier",
    "mean_absolute_error": "mae",
    "mean_squared_error": "mse",
    "root_mean_squared_error": "rmse",
    "r2_score": "r2",
    "max_error": "max_error",
    "median_absolute_error": "median_ae",
    "mean_absolute_percentage_error": "mape",
    "silhouette_score": "silhouette",
    "davies_bouldin_score": "davies_bouldin",
    "calinski_harabasz_score": "calinski_harabasz",
    "adjusted_rand_score": "adjusted_rand",
    "normalized_mutual_info_score": "normalized_mutual_info",
}
_AVERAGED = frozenset({"precision_score", "recall_score", "f1_score"})
_state = threading.local()


def _metric_name(function: str, kwargs: dict[str, Any]) -> str:
    name = METRIC_NAMES[function]
    average = kwargs.get("average", "binary")
    if function in _AVERAGED and isinstance(average, str) and average != "binary":
        name = f"{name}_{average}"
    return name


def _wrapper(function: str, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        seen: Callable[[str, Any], None] | None = getattr(_state, "seen", None)
        # Only the cell's own calls: scikit-learn calling its metrics (`score` calls
        # `accuracy_score`) is not a metric the cell computed.
        caller = str(sys._getframe(1).f_globals.get("__name__", ""))  # noqa: SLF001
        if seen is not None and not caller.startswith("sklearn."):
            with contextlib.suppress(Exception):  # reporting never breaks the user's call
                seen(_metric_name(function, kwargs), result)
        return result

    return wrapper


@contextlib.contextmanager
def capture_metric_calls(
    report: Callable[[dict[str, float]], None], namespace: MutableMapping[str, Any]
) -> Iterator[None]:
    """Report each `sklearn.metrics` function call of the block as a named metric.

    Without `sklearn.metrics` imported yet and never imported in the block, nothing is done;
    a cell that imports it inside the block is covered through the module attributes only if
    it was imported before (import `sklearn.metrics` first when the cell's code names it).

    Parameters
    ----------
    report
        Called with ``{name: value}`` for each call that returned a number.
    namespace
        The user's namespace: names bound to the original functions are swapped for the
        block's duration and put back after.
    """
    module = sys.modules.get("sklearn.metrics")
    if module is None:
        yield
        return
    counts: dict[str, int] = {}

    def seen(name: str, result: Any) -> None:
        try:
            value = float(result)
        except (TypeError, ValueError):
            return  # an array (average=None) or a report string: not one metric
        counts[name] = counts.get(name, 0) + 1
        report({name if counts[name] == 1 else f"{name}_{counts[name]}": value})

    originals = {f: getattr(module, f) for f in METRIC_NAMES if hasattr(module, f)}
    wrappers = {f: _wrapper(f, fn) for f, fn in originals.items()}
    # By identity: a user's value is never compared (an array's `==` is elementwise).
    wrapper_of = {id(fn): wrappers[f] for f, fn in originals.items()}
    original_of = {id(wrappers[f]): fn for f, fn in originals.items()}
    for function, wrapper in wrappers.items():
        setattr(module, function, wrapper)
    for key, value in list(namespace.items()):
        if id(value) in wrapper_of:
            namespace[key] = wrapper_of[id(value)]
    _state.seen = seen
    try:
        yield
    finally:
        _state.seen = None
        for function, original in originals.items():
            setattr(module, function, original)
        for key, value in list(namespace.items()):
            if id(value) in original_of:
                namespace[key] = original_of[id(value)]
