"""A deployment's traffic, read from its server's request log, for `mlwork.monitor`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlwork_jupyter.ml.monitoring import MonitorInputError

__all__ = ["Traffic", "read_traffic"]


@dataclass(slots=True)
class Traffic:
    """The sampled inputs and outputs of a server's requests, and their serving figures."""

    inputs: pd.DataFrame
    predictions: np.ndarray[Any, Any] | None
    latency: dict[str, float] | None
    error_rate: float | None
    requests: int
    name: str = ""
    version: int = 0
    export_dir: Path = Path()
    notes: list[str] = field(default_factory=list)


def _window_start(window: str) -> float:
    try:
        span = pd.Timedelta(window)
    except ValueError:
        raise MonitorInputError(
            f"current={window!r} is not a time window; pass e.g. '15min' or '2h', or a DataFrame"
        ) from None
    return time.time() - span.total_seconds()


def read_traffic(models_dir: Path, deployment: Any, window: str | None = None) -> Traffic:
    """Read the request log of `deployment` (a `Deployment` or a name: its latest version)."""
    from mlwork_jupyter.ml.serving.layout import resolve_version
    from mlwork_jupyter.ml.serving.request_log import read_requests
    from mlwork_jupyter.ml.serving.server import default_log_dir

    name = deployment if isinstance(deployment, str) else getattr(deployment, "name", None)
    if not isinstance(name, str):
        raise MonitorInputError(
            f"deployment= takes a deployment's name or what mlwork.deploy returned, "
            f"got {type(deployment).__name__}"
        )
    version = getattr(deployment, "version", None)
    number = resolve_version(models_dir, name, version)
    since = None if window is None else _window_start(window)
    entries = [
        e
        for e in read_requests(default_log_dir(models_dir, name, number))
        if since is None or float(e.get("ts") or 0) >= since
    ]
    if not entries:
        raise MonitorInputError(
            f"the server of {name!r} version {number} logged no requests"
            + ("" if window is None else f" in the last {window}")
            + "; send it traffic first, or pass current= a DataFrame"
        )
    served = [e for e in entries if e.get("status") == 200]  # noqa: PLR2004 - HTTP OK
    frames = [_frame(e["inputs"]) for e in served if isinstance(e.get("inputs"), dict)]
    outputs = [_first(e.get("outputs")) for e in served]
    latencies = [float(e["latency_ms"]) for e in entries if e.get("latency_ms") is not None]
    latency = None
    if latencies:
        p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
        latency = {"p50": float(p50), "p95": float(p95), "p99": float(p99)}
    predictions = None
    if outputs and all(o is not None for o in outputs):
        predictions = np.concatenate([np.asarray(o) for o in outputs])
    return Traffic(
        inputs=pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(),
        predictions=predictions,
        latency=latency,
        error_rate=1 - len(served) / len(entries),
        requests=len(entries),
        name=name,
        version=number,
        export_dir=Path(models_dir) / name / str(number),
        notes=["inputs and predictions are the request log's samples (up to 32 rows a request)"],
    )


def _frame(inputs: dict[str, Any]) -> pd.DataFrame:
    """Return logged inputs as a frame: named columns, or one array input as columns 0..k-1.

    A Keras model's single input (``keras_tensor``: rows of k values) becomes k columns
    named as `pandas.DataFrame(array)` names them, so it compares with the training array.
    """
    if len(inputs) == 1:
        values = np.asarray(next(iter(inputs.values())))
        if values.ndim == 2:  # noqa: PLR2004 - rows x features
            return pd.DataFrame(values)
    return pd.DataFrame(inputs)


def _first(outputs: Any) -> Any:
    if isinstance(outputs, dict) and outputs:
        return next(iter(outputs.values()))
    return None
