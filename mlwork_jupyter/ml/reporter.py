"""The reporter protocol: how `ml` adapters hand parameters, metrics and progress to a stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["MetricKind", "Progress", "Reporter", "Status"]

MetricKind = Literal["epoch", "batch"]
Status = Literal["running", "ok", "error", "interrupted"]


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a fit stands.

    Attributes
    ----------
    fit
        1-based index of the fit within the capture (the second `fit` of a cell is 2).
    epoch
        1-based epoch in progress (or just finished).
    epochs
        Epochs the fit will run, None when unknown.
    step
        Batches done in the current epoch.
    steps
        Batches per epoch, None when the data has no length.
    elapsed_s
        Seconds since the fit started.
    eta_s
        Estimated seconds left, None until there is a basis for an estimate.
    """

    fit: int
    epoch: int
    epochs: int | None
    step: int
    steps: int | None
    elapsed_s: float
    eta_s: float | None


class Reporter(Protocol):
    """What a capture adapter reports to; the stage connects it to the store and the panel.

    Implementations must be cheap and thread-safe: batch reports can come from a Keras worker
    thread on backends that dispatch batch callbacks asynchronously.
    """

    def params(self, params: Mapping[str, Any]) -> None:
        """Record hyper-parameters and descriptions (JSON-able values)."""

    def metrics(self, values: Mapping[str, float], step: int, kind: MetricKind) -> None:
        """Record metric values at `step` (1-based epoch, or 1-based global batch)."""

    def progress(self, progress: Progress) -> None:
        """Show where the fit stands."""

    def artifact(self, path: str, name: str) -> None:
        """Keep the file at `path` (valid only during the call) as artifact `name`."""

    def status(self, status: Status, detail: str | None = None) -> None:
        """Report the fit's status, with a one-line detail (an error summary, early stop)."""

    def warn(self, message: str) -> None:
        """Keep a one-line warning about the capture itself."""
