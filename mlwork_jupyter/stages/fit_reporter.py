"""The reporter a train run hands the capture adapters: it feeds the record and the panel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mlwork_jupyter.display.panel import Panel
    from mlwork_jupyter.ml.reporter import MetricKind, Progress, Status
    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["RunReporter"]

# Reported every epoch, kept as series only: a final value of these means little.
_SERIES_ONLY = ("epoch_seconds",)


class RunReporter:
    """Implements `mlwork_jupyter.ml.reporter.Reporter` for one run and its live panel.

    Parameters
    ----------
    run
        The run being recorded, or None for a panel alone.
    panel
        The live panel, or None where none is shown (a terminal).
    """

    def __init__(self, run: ActiveRun | None, panel: Panel | None) -> None:
        self.run = run
        self.panel = panel
        self._shown = False

    def params(self, params: Mapping[str, Any]) -> None:
        """Record a fit's parameters; the panel appears with the first fit."""
        if self.run is not None:
            declared = self.run.declared
            self.run.log_params({k: v for k, v in params.items() if k not in declared})
        if self.panel is not None and not self._shown:
            self._shown = True
            self.panel.show()
        if self.panel is not None:
            for key, value in params.items():
                if key.rpartition("/")[2] == "early_stopping" and isinstance(value, dict):
                    prefix = key.rpartition("/")[0]
                    fit = int(prefix.removeprefix("fit")) if prefix.startswith("fit") else 1
                    self.panel.early_stopping(
                        fit,
                        monitor=value.get("monitor"),
                        stopped_epoch=value.get("stopped_epoch"),
                        best_epoch=value.get("best_epoch"),
                        restored_epoch=value.get("restored_epoch"),
                    )

    def metrics(self, values: Mapping[str, float], step: int, kind: MetricKind) -> None:
        """Epoch values are series points and final values; batch values series points only."""
        if self.run is None:
            pass
        elif kind == "batch":
            self.run.log_metrics(
                {f"batch/{k}": v for k, v in values.items()}, step=step, series_only=True
            )
        else:
            final = {k: v for k, v in values.items() if not k.endswith(_SERIES_ONLY)}
            rest = {k: v for k, v in values.items() if k.endswith(_SERIES_ONLY)}
            self.run.log_metrics(final, step=step)
            if rest:
                self.run.log_metrics(rest, step=step, series_only=True)
            self.run.flush()  # every completed epoch reaches the store, whatever happens next
        if self.panel is not None:
            shown = {k: v for k, v in values.items() if not k.endswith(_SERIES_ONLY)}
            self.panel.metrics(shown, step, kind)

    def progress(self, progress: Progress) -> None:
        """Move the panel's progress bar."""
        if self.panel is not None:
            self.panel.progress(
                epoch=progress.epoch,
                epochs=progress.epochs,
                step=progress.step,
                steps=progress.steps,
                eta_s=progress.eta_s,
                elapsed_s=progress.elapsed_s,
            )

    def artifact(self, path: str, name: str) -> None:
        """Store a file the adapter produced."""
        if self.run is not None:
            self.run.log_artifact(path, name)

    def status(self, status: Status, detail: str | None = None) -> None:
        """Show a fit's status on the panel; a detail (early stop) becomes a warning."""
        if self.panel is not None:
            self.panel.status(status)
        if detail and status == "ok" and self.run is not None:
            self.run.warn(detail)

    def warn(self, message: str) -> None:
        """Keep an adapter's warning in the record."""
        if self.run is not None:
            self.run.warn(message)
