"""The `monitor` stage: live data against the training profile (recorded meanwhile)."""

from __future__ import annotations

from mlwork_jupyter.stages.base import Stage

__all__ = ["MonitorStage"]


class MonitorStage(Stage):
    """Compare live inputs and predictions with the training data."""

    name = "monitor"
