"""The `evaluate` stage: scores and predictions, logged with `mlwork.log_metric(s)`."""

from __future__ import annotations

from mlwork_jupyter.stages.base import Stage

__all__ = ["EvaluateStage"]


class EvaluateStage(Stage):
    """Score a model on held-out data; the data it reads is versioned with the scores."""

    name = "evaluate"
    summary = "scores with the data they were computed on"
