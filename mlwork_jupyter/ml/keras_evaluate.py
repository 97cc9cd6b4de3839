"""Capture of Keras `Model.evaluate` and `Model.predict` in a block: scores, rows and time."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["BatchProgress", "capture_keras_evaluate", "capture_keras_predict"]

# Called with (what, batches done, batches in all or None, finished): "predict" or "evaluate".
BatchProgress = Callable[[str, int, int | None, bool], None]


@contextlib.contextmanager
def capture_keras_evaluate(  # noqa: C901 - its callback's hooks
    report: Callable[[dict[str, float]], None], progress: BatchProgress | None = None
) -> Iterator[None]:
    """Report the final logs of every `keras.Model.evaluate` called inside the block.

    With `progress`, batches done are reported as they end (``"evaluate"``).

    The first evaluation reports bare names (``loss``, ``accuracy``); evaluation k >= 2
    prefixes them with ``evaluatek/``. Evaluations `fit` makes for its validation data are not
    reported. `evaluate` is restored on every exit path. Imports Keras.
    """
    import keras

    model_class: Any = keras.Model
    own = model_class.__dict__.get("evaluate")
    original = model_class.evaluate
    count = 0

    class _Scores(keras.callbacks.Callback):  # type: ignore[misc]
        def __init__(self, prefix: str) -> None:
            super().__init__()
            self.prefix = prefix

        def on_test_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            del logs
            if progress is not None:
                progress("evaluate", batch + 1, (self.params or {}).get("steps"), False)  # noqa: FBT003

        def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
            scores: dict[str, float] = {}
            for key, value in (logs or {}).items():
                with contextlib.suppress(TypeError, ValueError):
                    scores[self.prefix + key] = float(value)
            report(scores)
            if progress is not None:
                steps = (self.params or {}).get("steps")
                progress("evaluate", steps or 0, steps, True)  # noqa: FBT003

    @functools.wraps(original)
    def evaluate(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal count
        if kwargs.get("_use_cached_eval_dataset"):  # fit's own validation pass
            return original(self, *args, **kwargs)
        count += 1
        ours = _Scores("" if count == 1 else f"evaluate{count}/")
        callbacks = kwargs.get("callbacks")
        if callbacks is None:
            kwargs["callbacks"] = [ours]
        elif isinstance(callbacks, list | tuple):
            kwargs["callbacks"] = [*callbacks, ours]
        else:
            return original(self, *args, **kwargs)  # a CallbackList: leave it alone
        return original(self, *args, **kwargs)

    model_class.evaluate = evaluate
    try:
        yield
    finally:
        if own is None:
            del model_class.evaluate
        else:
            model_class.evaluate = own


def _rows(result: Any) -> int | None:
    """Return the number of rows of a `predict` result (an array, or a list/dict of them)."""
    first = result
    if isinstance(result, dict):
        first = next(iter(result.values()), None)
    elif isinstance(result, list | tuple):
        first = result[0] if result else None
    shape = getattr(first, "shape", None)
    return int(shape[0]) if shape else None


@contextlib.contextmanager
def capture_keras_predict(
    report: Callable[[dict[str, float]], None], progress: BatchProgress | None = None
) -> Iterator[None]:
    """Report rows and seconds of every `keras.Model.predict` called inside the block.

    With `progress`, batches done are reported as they end (``"predict"``).

    The first call reports ``predict/rows`` and ``predict/seconds``; call k >= 2 reports
    ``predictk/...``. `predict` is restored on every exit path. Imports Keras.
    """
    import keras

    model_class: Any = keras.Model
    own = model_class.__dict__.get("predict")
    original = model_class.predict
    count = 0

    class _Batches(keras.callbacks.Callback):  # type: ignore[misc]
        def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            del logs
            if progress is not None:
                progress("predict", batch + 1, (self.params or {}).get("steps"), False)  # noqa: FBT003

        def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
            del logs
            if progress is not None:
                steps = (self.params or {}).get("steps")
                progress("predict", steps or 0, steps, True)  # noqa: FBT003

    @functools.wraps(original)
    def predict(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal count
        callbacks = kwargs.get("callbacks")
        if progress is not None and callbacks is None:
            kwargs["callbacks"] = [_Batches()]
        elif progress is not None and isinstance(callbacks, list | tuple):
            kwargs["callbacks"] = [*callbacks, _Batches()]
        start = time.perf_counter()
        result = original(self, *args, **kwargs)
        took = time.perf_counter() - start
        count += 1
        prefix = "predict" if count == 1 else f"predict{count}"
        found = {f"{prefix}/seconds": took}
        rows = _rows(result)
        if rows is not None:
            found[f"{prefix}/rows"] = float(rows)
        with contextlib.suppress(Exception):  # reporting never breaks the user's call
            report(found)
        return result

    model_class.predict = predict
    try:
        yield
    finally:
        if own is None:
            del model_class.predict
        else:
            model_class.predict = own
