"""The `evaluate` stage: scores captured as metrics, the data they came from versioned."""

from __future__ import annotations

import contextlib
import importlib
import sys
import time
from typing import TYPE_CHECKING

from mlwork_jupyter.ml.sklearn import ScoreInfo, capture_scores
from mlwork_jupyter.ml.sklearn_metrics import capture_metric_calls
from mlwork_jupyter.stages.base import CellRequest, Stage
from mlwork_jupyter.stages.train import uses_tensorflow

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlwork_jupyter.ml.keras_evaluate import BatchProgress
    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["EvaluateStage"]

# Batches from which Keras scoring gets a live progress panel (a test set of a few thousand
# rows at Keras' default batch of 32 stays below it, and quiet).
_LIVE_BATCHES = 100


class EvaluateStage(Stage):
    """Score a model on held-out data; what the cell computes becomes the run's metrics.

    Captured with no change to the cell: Keras `Model.evaluate` (its logs) and
    `Model.predict` (``predict/rows``, ``predict/seconds``), scikit-learn `score(X, y)` (as
    ``score``), and the `sklearn.metrics` functions the cell calls, named as
    `mlwork.evaluate` names them (`accuracy_score` → ``accuracy``).
    """

    name = "evaluate"

    @contextlib.contextmanager
    def around(self, run: ActiveRun, request: CellRequest) -> Iterator[None]:
        """Capture the cell's evaluations, predictions and metric calls as metrics."""
        if "sklearn" in request.code:
            # Loaded first, so that the functions and classes the cell imports are wrapped.
            for module in ("sklearn.base", "sklearn.metrics"):
                if module not in sys.modules:
                    importlib.import_module(module)
        counts: dict[str, int] = {}

        def scored(info: ScoreInfo) -> None:
            counts["score"] = counts.get("score", 0) + 1
            n = counts["score"]
            run.log_metrics({"score" if n == 1 else f"score_{n}": info.value})

        with contextlib.ExitStack() as stack:
            stack.enter_context(capture_scores(scored))
            stack.enter_context(capture_metric_calls(run.log_metrics, self.namespace))
            if uses_tensorflow(request.code):
                stack.enter_context(self._keras(run))
            yield

    @contextlib.contextmanager
    def _keras(self, run: ActiveRun) -> Iterator[None]:
        from mlwork_jupyter.ml.keras_evaluate import capture_keras_evaluate, capture_keras_predict
        from mlwork_jupyter.ml.tf_startup import tensorflow_startup

        with tensorflow_startup() as startup:
            import keras  # noqa: F401 - loaded here so its start-up lines are kept, not shown
        if startup.text:
            run.record.device = {**(run.record.device or {}), "tensorflow_messages": startup.text}
        progress = self._progress(run)
        with (
            capture_keras_evaluate(run.log_metrics, progress),
            capture_keras_predict(run.log_metrics, progress),
        ):
            yield

    def _progress(self, run: ActiveRun) -> BatchProgress | None:
        """Return a reporter that shows a live panel of batches done while Keras scores.

        The panel appears once a `predict` or `evaluate` runs over many batches (at least
        `_LIVE_BATCHES`, or an unknown number): a quick scoring stays quiet. `mlwork.evaluate`
        later fills the same display with the evaluation.
        """
        publish = None if self.output is None else self.output.publisher()
        if publish is None:
            return None
        from mlwork_jupyter.display.panel import Panel

        panels: dict[str, Panel] = {}
        started: dict[int, float] = {}  # per panel: an ETA per batch, without building payloads

        def progress(_what: str, step: int, steps: int | None, finished: bool) -> None:  # noqa: FBT001
            panel = panels.get("live")
            if panel is None:
                if finished or (steps is not None and steps < _LIVE_BATCHES):
                    return
                panel = panels["live"] = Panel(publish, kind="evaluate", title=run.record.name)
                started[id(panel)] = time.monotonic()
                run.evaluation_display = publish
            elapsed = time.monotonic() - started[id(panel)]
            eta = None
            if steps and step:
                eta = max(0.0, elapsed * (steps - step) / step)
            panel.progress(step=step, steps=steps, eta_s=eta)
            if finished:
                panel.close("ok")
                panels.pop("live")

        return progress
