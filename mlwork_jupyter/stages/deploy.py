"""The `deploy` stage: exports and serving (recorded like every stage meanwhile)."""

from __future__ import annotations

from mlwork_jupyter.stages.base import Stage

__all__ = ["DeployStage"]


class DeployStage(Stage):
    """Export and serve a model; artifacts logged with `mlwork.log_artifact` are versioned."""

    name = "deploy"
