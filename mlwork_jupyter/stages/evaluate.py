"""The `evaluate` stage: Keras `evaluate` scores captured, the data they came from versioned."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from mlwork_jupyter.stages.base import CellRequest, Stage
from mlwork_jupyter.stages.train import uses_tensorflow

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["EvaluateStage"]


class EvaluateStage(Stage):
    """Score a model on held-out data; `Model.evaluate` results become the run's metrics."""

    name = "evaluate"
    summary = "Keras evaluate scores and logged metrics, with the data they were computed on"

    @contextlib.contextmanager
    def around(self, run: ActiveRun, request: CellRequest) -> Iterator[None]:
        """Capture every `keras.Model.evaluate` of the cell as metrics."""
        if not uses_tensorflow(request.code):
            yield
            return
        from mlwork_jupyter.ml.keras_evaluate import capture_keras_evaluate

        with capture_keras_evaluate(run.log_metrics):
            yield
