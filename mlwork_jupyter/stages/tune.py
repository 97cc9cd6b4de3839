"""The `tune` stage: hyper-parameter searches (trial capture arrives with the tuning work)."""

from __future__ import annotations

from mlwork_jupyter.stages.train import TrainStage

__all__ = ["TuneStage"]


class TuneStage(TrainStage):
    """Search hyper-parameters; the search's outermost fits are recorded like `train`'s."""

    name = "tune"
    panel_kind = "tune"
