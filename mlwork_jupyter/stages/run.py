"""The active run: what the Python API and the capture adapters write into while a cell runs."""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import MlworkError, NoActiveRunError
from mlwork_jupyter.provenance import secrets
from mlwork_jupyter.provenance.record import Artifact, RunRecord, json_safe

if TYPE_CHECKING:
    from mlwork_jupyter.provenance.store import Store
    from mlwork_jupyter.stages.training_data import TrainingData

__all__ = ["ActiveRun", "current_run", "require_run"]

_FLUSH_SECONDS = 1.0
_current: ActiveRun | None = None
_current_lock = threading.Lock()


def current_run() -> ActiveRun | None:
    """Return the run of the `%%mlwork` cell executing now, or None outside one."""
    return _current


def require_run(what: str) -> ActiveRun:
    """Return the active run, or raise a one-line error naming the call made outside one."""
    run = _current
    if run is None:
        raise NoActiveRunError(
            f"mlwork.{what}() needs a run: call it inside a `%%mlwork STAGE` cell "
            "(after `%load_ext mlwork_jupyter`)"
        )
    return run


def _check_key(kind: str, key: object) -> str:
    if not isinstance(key, str) or not key.strip():
        raise MlworkError(f"a {kind} name must be a non-empty string, got {key!r}")
    return key


class ActiveRun:
    """A run in progress: its record, the store it writes to (if any), and pending series.

    Parameters
    ----------
    record
        The record being filled.
    store
        The open store, or None when the record goes to the cell output only.
    """

    def __init__(self, record: RunRecord, store: Store | None) -> None:
        self.record = record
        self.store = store
        # Params the cell declares with `# @param`: what the source said wins over what a
        # capture adapter reports by the same name (an explicit log_param still overwrites).
        self.declared: frozenset[str] = frozenset()
        # What the cell loaded from the namespace (while it runs), and this kernel's trained
        # models with their training rows: the evaluation's leakage check reads both.
        self.reads: dict[str, object] = {}
        self.training: TrainingData | None = None
        # What `mlwork.deploy` exported in this cell (`%%mlwork deploy --serve` serves them).
        self.deployments: list[Any] = []
        # The display a live evaluate panel opened: `mlwork.evaluate` fills it in.
        self.evaluation_display: Any = None
        # Why the run failed although the cell raised nothing (a search whose trials all
        # failed): the run ends as `error` with this one-line reason.
        self.failure: str | None = None
        self._pending: list[tuple[str, int, float, float]] = []
        self._last_flush = time.monotonic()
        self._lock = threading.Lock()

    @property
    def id(self) -> str:
        """The run id."""
        return self.record.id

    def activate(self) -> None:
        """Make this the run that the API writes into."""
        global _current  # noqa: PLW0603 - one run per kernel is the model
        with _current_lock:
            _current = self

    def deactivate(self) -> None:
        """Stop routing API calls to this run."""
        global _current  # noqa: PLW0603
        with _current_lock:
            if _current is self:
                _current = None

    def warn(self, message: str) -> None:
        """Keep a one-line warning in the record, shown on the card."""
        if message not in self.record.warnings:
            self.record.warnings.append(message)

    def _to_store(self, action: str, *args: Any) -> None:
        if self.store is None:
            return
        try:
            getattr(self.store, action)(self.record.id, *args)
        except Exception as exc:
            self.warn(f"store write failed ({exc}); the record is in the output only")
            self.store = None

    def log_params(self, params: dict[str, Any]) -> None:
        """Record parameters (masked for secrets) and write them through to the store."""
        clean = {
            str(secrets.mask_text(_check_key("param", key))): secrets.mask_value(json_safe(v))
            for key, v in params.items()
        }
        self.record.params.update(clean)
        self._to_store("log_params", clean)

    def log_metrics(
        self, metrics: dict[str, Any], step: int | None = None, *, series_only: bool = False
    ) -> None:
        """Record final metric values; with `step`, also append them to the metric series.

        With `series_only`, the values are points of their series and not final values (per-
        batch values, epoch durations).
        """
        clean: dict[str, float] = {}
        for key, value in metrics.items():
            name = secrets.mask_text(_check_key("metric", key))
            try:
                clean[name] = float(value)
            except (TypeError, ValueError):
                raise MlworkError(
                    f"metric {key!r} must be a number, got {type(value).__name__} {value!r}"
                ) from None
        if not series_only:
            self.record.metrics.update(clean)
        if step is not None:
            now = time.time()
            with self._lock:
                self._pending.extend((k, step, v, now) for k, v in clean.items())
            self.flush(force=False)
        if not series_only:
            self._to_store("log_metrics", clean)

    def flush(self, *, force: bool = True) -> None:
        """Append pending series points to the store (at least once a second while logging)."""
        if not force and time.monotonic() - self._last_flush < _FLUSH_SECONDS:
            return
        with self._lock:
            points, self._pending = self._pending, []
            self._last_flush = time.monotonic()
        if points:
            self._to_store("append_series", points)

    def finish(self) -> None:
        """Write the pending series and the run's outcome to the store (status set by then)."""
        self.flush()
        if self.store is not None:
            try:
                self.store.finish_run(self.record)
            except Exception as exc:
                self.warn(f"store write failed ({exc}); this record is in the output only")

    def log_artifact(self, obj: Any, name: str | None = None) -> Artifact:
        """Store a file, bytes, an object with `.save(path)` (Keras), or a picklable object."""
        if isinstance(obj, str | os.PathLike):
            path = Path(obj)
            if not path.is_file():
                raise MlworkError(f"log_artifact: {str(path)!r} is not a file; pass a file path")
            return self._store_file(path, name or path.name)
        with tempfile.TemporaryDirectory(prefix="mlwork-artifact-") as tmp:
            if isinstance(obj, bytes | bytearray):
                target = Path(tmp) / (name or "artifact.bin")
                target.write_bytes(bytes(obj))
            elif callable(getattr(obj, "save", None)) and type(obj).__module__.startswith(
                ("keras", "tf_keras", "tensorflow")
            ):
                target = Path(tmp) / (name or f"{getattr(obj, 'name', 'model')}.keras")
                if type(obj).__module__.startswith("keras"):
                    from mlwork_jupyter.ml.keras_saving import save_model

                    save_model(obj, str(target))
                else:
                    obj.save(target)
            else:
                target = Path(tmp) / (name or f"{type(obj).__name__}.pkl")
                with target.open("wb") as handle:
                    pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)
            return self._store_file(target, target.name)

    def _store_file(self, path: Path, name: str) -> Artifact:
        if self.store is not None:
            try:
                artifact = self.store.put_artifact(self.record.id, path, name)
            except Exception as exc:
                self.warn(f"artifact {name!r} not stored ({exc})")
            else:
                self.record.artifacts.append(artifact)
                return artifact
        from mlwork_jupyter.provenance.fingerprint import fingerprint_file

        digest = fingerprint_file(path).digest
        artifact = Artifact(name=name, digest=digest, size=path.stat().st_size, path="")
        self.record.artifacts.append(artifact)
        return artifact
