"""The Python API for what a cell cannot have inferred: params, metrics, artifacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlwork_jupyter.stages.run import require_run

if TYPE_CHECKING:
    from mlwork_jupyter.ml.evaluation import Evaluation
    from mlwork_jupyter.ml.monitoring import DriftReport
    from mlwork_jupyter.ml.serving.deployment import Deployment
    from mlwork_jupyter.ml.serving.server import Server
    from mlwork_jupyter.provenance.record import Artifact
    from mlwork_jupyter.stages.run import ActiveRun

__all__ = [
    "current_run",
    "deploy",
    "evaluate",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "monitor",
    "serve",
]


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


def evaluate(
    y_true: Any,
    y_pred: Any = None,
    *,
    proba: Any = None,
    labels: Any = None,
    task: str = "auto",
    X: Any = None,  # noqa: N803 - scikit-learn's name for the features
    sample_weight: Any = None,
    slices: Any = None,
) -> Evaluation:
    """Score predictions, log the metrics to the current run and show the evaluation panel.

    Parameters
    ----------
    y_true
        True labels or values (for clustering: reference labels, or None).
    y_pred
        Predicted labels or values (for clustering: the cluster assignments). With `proba`
        and no `y_pred`, the most probable class.
    proba
        Class probabilities, ``(n, k)`` in the order of `labels`, or ``(n,)`` for the
        positive class of a binary task.
    labels
        The classes, in order.
    task
        ``"classification"``, ``"regression"``, ``"clustering"`` or ``"auto"`` (from
        dtypes and cardinality; the choice is recorded as the param ``evaluate.task``).
    X
        The evaluated features: for the leakage check, slices by column, clustering scores.
    sample_weight
        Row weights.
    slices
        A column name of `X`, or an array of group keys: metrics per slice value.

    Returns
    -------
    Evaluation
        ``.task .metrics .per_class .confusion .confusion_normalized .slices .delta .best
        .leakage`` (see docs/evaluate.md).

    Examples
    --------
    >>> ev = mlwork.evaluate(y_test, model.predict(X_test), X=X_test)  # doctest: +SKIP
    >>> ev.metrics["accuracy"], ev.delta  # doctest: +SKIP
    """
    run = require_run("evaluate")
    from mlwork_jupyter.stages.evaluation import evaluate_in_run, show_evaluation

    ev = evaluate_in_run(
        run,
        y_true,
        y_pred,
        proba=proba,
        labels=labels,
        task=task,
        X=X,
        sample_weight=sample_weight,
        slices=slices,
    )
    show_evaluation(ev, run.record.name, run.evaluation_display)
    run.evaluation_display = None
    return ev


def monitor(
    current: Any = None,
    *,
    reference: Any = None,
    deployment: Any = None,
    predictions: Any = None,
    reference_predictions: Any = None,
    thresholds: Any = None,
    watch: bool = False,
    every: float = 5.0,
) -> DriftReport:
    """Compare live inputs (and predictions) with the training data; log and show the report.

    Parameters
    ----------
    current
        The live inputs: a DataFrame or an array.
    reference
        The baseline: the training data, or a `reference_profile` of it.
    deployment
        A deployed model's name (or what `deploy` returned): `current` and `predictions`
        come from its server's request log; `current` may then be a time window ("15min").
    predictions, reference_predictions
        Predictions on `current` and on the reference: their drift is reported too.
    thresholds
        Methods and thresholds, global or per feature (see docs/monitor.md).
    watch, every
        Refresh from a server's request log every `every` seconds (needs `deployment`).

    Returns
    -------
    DriftReport
        ``.features .drift_share .dataset_drift .prediction_drift .quality .latency
        .error_rate .requests .alerts .as_frame() .to_json()``.

    Examples
    --------
    >>> rep = mlwork.monitor(live_frame, reference=X_train)  # doctest: +SKIP
    >>> rep.drift_share, rep.alerts  # doctest: +SKIP
    """
    run = require_run("monitor")
    from mlwork_jupyter.ml.monitoring import MonitorInputError
    from mlwork_jupyter.stages.monitoring import monitor_in_run, show_report

    if watch:
        raise MonitorInputError(
            "mlwork.monitor(watch=True) is not in this version; call mlwork.monitor again "
            "(with deployment=) to refresh the report"
        )
    del every
    report = monitor_in_run(
        run,
        current,
        reference=reference,
        deployment=deployment,
        predictions=predictions,
        reference_predictions=reference_predictions,
        thresholds=thresholds,
    )
    show_report(report, run.record.name)
    return report


def deploy(
    model: Any,
    name: str,
    *,
    version: int | None = None,
    example: Any = None,
    quantize: Any = None,
    serve: bool = False,
    port: int = 0,
    host: str = "127.0.0.1",
) -> Deployment:
    """Export a model as a new version of `name`, with its input schema and model card.

    Parameters
    ----------
    model
        A Keras model (``model.keras`` and a SavedModel) or a scikit-learn estimator or
        pipeline (a skops file).
    name
        The deployment's name: exports go to ``.mlwork/models/NAME/VERSION/``.
    version
        The version number (default: the next one); an existing version is never replaced.
    example
        A few input rows: the input schema, and calibration rows for ``int8``.
    quantize
        ``"dynamic"``, ``"float16"``, ``"int8"`` or a list of them: TFLite variants, each
        compared with the float model (Keras only).
    serve, port, host
        Start a local server (its own process) speaking TensorFlow Serving's REST API and
        MLflow's scoring protocol; binds 127.0.0.1 unless `host` says otherwise.

    Returns
    -------
    Deployment
        ``.name .version .path .schema .card .variants .url .stop()``.

    Examples
    --------
    >>> dep = mlwork.deploy(model, "digits", example=x_test[:8], serve=True)  # doctest: +SKIP
    >>> dep.url  # doctest: +SKIP
    """
    run = require_run("deploy")
    from mlwork_jupyter.stages.deployment import deploy_in_run

    return deploy_in_run(
        run,
        model,
        name,
        version=version,
        example=example,
        quantize=quantize,
        serve=serve,
        port=port,
        host=host,
    )


def serve(
    name: str, *, version: int | None = None, port: int = 0, host: str = "127.0.0.1"
) -> Server:
    """Serve an exported version (default: the latest) of `name` in a process of its own.

    Examples
    --------
    >>> srv = mlwork.serve("digits", version=2)  # doctest: +SKIP
    >>> srv.url, srv.stop()  # doctest: +SKIP
    """
    run = require_run("serve")
    from mlwork_jupyter.stages.deployment import serve_in_run

    return serve_in_run(run, name, version=version, port=port, host=host)
