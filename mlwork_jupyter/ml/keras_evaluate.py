"""Capture of Keras `Model.evaluate`: the scores of every evaluation made in a block."""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["capture_keras_evaluate"]


@contextlib.contextmanager
def capture_keras_evaluate(report: Callable[[dict[str, float]], None]) -> Iterator[None]:
    """Report the final logs of every `keras.Model.evaluate` called inside the block.

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

        def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
            scores: dict[str, float] = {}
            for key, value in (logs or {}).items():
                with contextlib.suppress(TypeError, ValueError):
                    scores[self.prefix + key] = float(value)
            report(scores)

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
