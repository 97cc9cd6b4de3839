"""The `data` stage: the data card comes from the workbench's read/write fingerprints."""

from __future__ import annotations

from mlwork_jupyter.stages.base import Stage

__all__ = ["DataStage"]


class DataStage(Stage):
    """Load, clean and split data; every frame, array and file it touches is versioned."""

    name = "data"
