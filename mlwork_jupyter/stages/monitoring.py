"""`mlwork.monitor` inside a run: drift and quality against a reference, logged and shown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlwork_jupyter.ml.monitoring import DriftReport, MonitorInputError, compute_drift

if TYPE_CHECKING:
    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["monitor_in_run", "show_report"]


def monitor_in_run(
    run: ActiveRun,
    current: Any = None,
    *,
    reference: Any = None,
    deployment: Any = None,
    predictions: Any = None,
    reference_predictions: Any = None,
    thresholds: Any = None,
) -> DriftReport:
    """Compare `current` with `reference` for the active run; log the figures and alerts.

    With `deployment`, `current` (and `predictions`) come from its server's request log
    (`current` may then be a time window such as ``"15min"``), and the report carries the
    latency, error rate and request count. Every argument is checked before anything is
    logged (`MonitorInputError`, one line). The summary figures become the run's metrics,
    the per-feature table the artifact ``drift.json``, and each alert a warning of the record.
    """
    traffic = None
    if deployment is not None:
        from mlwork_jupyter.stages.deployment import models_dir
        from mlwork_jupyter.stages.request_traffic import read_traffic

        window = current if isinstance(current, str) else None
        if current is not None and window is None:
            raise MonitorInputError(
                "with deployment=, current= is a time window ('15min') or left out; "
                "pass a DataFrame without deployment= instead"
            )
        traffic = read_traffic(models_dir(run), deployment, window)
        if reference is None:
            from mlwork_jupyter.stages.training_profile import load_training_profile

            reference = load_training_profile(traffic.export_dir, traffic.name, traffic.version)
        current = traffic.inputs
        if predictions is None and reference_predictions is not None:
            predictions = traffic.predictions
    if current is None:
        raise MonitorInputError(
            "mlwork.monitor needs current= (the live inputs: a DataFrame or an array), "
            "or deployment=NAME to read a server's request log"
        )
    if reference is None:
        raise MonitorInputError(
            "mlwork.monitor needs reference= (the training data, or a reference_profile of it) "
            "when no deployment is named"
        )
    report = compute_drift(
        current,
        reference,
        predictions=predictions,
        reference_predictions=reference_predictions,
        thresholds=thresholds,
    )
    if traffic is not None:
        report.set_serving(
            latency=traffic.latency, error_rate=traffic.error_rate, requests=traffic.requests
        )
        report.notes.extend(traffic.notes)
    record(run, report)
    return report


def record(run: ActiveRun, report: DriftReport) -> None:
    """Log a report's figures, its table (``drift.json``) and its alerts to the run."""
    run.log_metrics(report.metrics())
    if report.latency is not None:
        run.log_metrics({f"latency_{k}_ms": v for k, v in report.latency.items()})
    if report.error_rate is not None:
        run.log_metrics({"error_rate": report.error_rate, "requests": float(report.requests or 0)})
    run.log_artifact(report.to_json(indent=1).encode(), "drift.json")
    for alert in report.alerts:
        run.warn(f"monitor: {alert}")


def show_report(report: DriftReport, title: str) -> None:
    """Display the monitoring panel (interactive in JupyterLab, static HTML elsewhere)."""
    from mlwork_jupyter.display.monitor_panel import monitor_bundle
    from mlwork_jupyter.display.output import show

    show(monitor_bundle(report, title))
