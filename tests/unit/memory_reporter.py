"""A reporter that keeps every call in lists, for tests of the capture adapters."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mlwork_jupyter.ml.reporter import MetricKind, Progress, Status


@dataclass
class MemoryReporter:
    """A `mlwork_jupyter.ml.reporter.Reporter` that keeps everything in lists."""

    params_seen: list[dict[str, Any]] = field(default_factory=list)
    metrics_seen: list[tuple[dict[str, float], int, MetricKind]] = field(default_factory=list)
    progress_seen: list[Progress] = field(default_factory=list)
    artifacts_seen: list[tuple[str, str]] = field(default_factory=list)
    statuses: list[tuple[Status, str | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def params(self, params: Mapping[str, Any]) -> None:
        """Keep a copy of `params`."""
        with self._lock:
            self.params_seen.append(dict(params))

    def metrics(self, values: Mapping[str, float], step: int, kind: MetricKind) -> None:
        """Keep a copy of `values` with its step and kind."""
        with self._lock:
            self.metrics_seen.append((dict(values), step, kind))

    def progress(self, progress: Progress) -> None:
        """Keep `progress`."""
        with self._lock:
            self.progress_seen.append(progress)

    def artifact(self, path: str, name: str) -> None:
        """Keep the path and name (the file itself is not copied)."""
        with self._lock:
            self.artifacts_seen.append((path, name))

    def status(self, status: Status, detail: str | None = None) -> None:
        """Keep the status and its detail."""
        with self._lock:
            self.statuses.append((status, detail))

    def warn(self, message: str) -> None:
        """Keep the warning."""
        with self._lock:
            self.warnings.append(message)

    def series(self, name: str, kind: MetricKind = "epoch") -> tuple[list[int], list[float]]:
        """Return the steps and values reported for metric `name` of `kind`."""
        steps: list[int] = []
        values: list[float] = []
        with self._lock:
            for reported, step, seen_kind in self.metrics_seen:
                if seen_kind == kind and name in reported:
                    steps.append(step)
                    values.append(reported[name])
        return steps, values
