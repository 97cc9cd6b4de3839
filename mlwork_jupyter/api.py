"""The Python API for what a cell cannot have inferred: params, metrics, artifacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlwork_jupyter.stages.run import require_run

if TYPE_CHECKING:
    from mlwork_jupyter.provenance.record import Artifact
    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["current_run", "log_artifact", "log_metric", "log_metrics", "log_param", "log_params"]


def log_param(key: str, value: Any) -> None:
    """Record one parameter of the current run.

    Examples
    --------
    >>> mlwork.log_param("n_estimators", 200)  # doctest: +SKIP
    """
    require_run("log_param").log_params({key: value})


def log_params(params: dict[str, Any] | None = None, /, **kwargs: Any) -> None:
    """Record several parameters of the current run, from a dict and/or keywords."""
    require_run("log_params").log_params({**(params or {}), **kwargs})


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Record a metric's value; with `step`, also a point of its series."""
    require_run("log_metric").log_metrics({key: value}, step=step)


def log_metrics(
    metrics: dict[str, float] | None = None, /, step: int | None = None, **kwargs: float
) -> None:
    """Record several metrics of the current run, from a dict and/or keywords."""
    require_run("log_metrics").log_metrics({**(metrics or {}), **kwargs}, step=step)


def log_artifact(obj: Any, name: str | None = None) -> Artifact:
    """Store a file path, bytes, a Keras model or a picklable object with the current run."""
    return require_run("log_artifact").log_artifact(obj, name)


def current_run() -> ActiveRun:
    """Return the run of the `%%mlwork` cell executing now."""
    return require_run("current_run")
