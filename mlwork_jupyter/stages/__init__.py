"""Workload stages: each runs a cell in the user's namespace and records what it did."""

from __future__ import annotations

import difflib

from mlwork_jupyter.stages.base import CellRequest, Stage, Workbench
from mlwork_jupyter.stages.data import DataStage
from mlwork_jupyter.stages.deploy import DeployStage
from mlwork_jupyter.stages.evaluate import EvaluateStage
from mlwork_jupyter.stages.monitor import MonitorStage
from mlwork_jupyter.stages.train import TrainStage
from mlwork_jupyter.stages.tune import TuneStage

__all__ = ["STAGES", "CellRequest", "Stage", "Workbench", "unknown_stage_message"]

STAGES: dict[str, type[Stage]] = {
    cls.name: cls
    for cls in (DataStage, TrainStage, TuneStage, EvaluateStage, DeployStage, MonitorStage)
}


def unknown_stage_message(word: str) -> str:
    """Return the one-line error for a stage name that does not exist."""
    close = difflib.get_close_matches(word, STAGES, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown stage {word!r}; {hint}Stages: {', '.join(STAGES)}"
