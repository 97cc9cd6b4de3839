"""`mlwork export --mlflow`: copy recorded runs into an MLflow tracking store (optional extra)."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mlwork_jupyter.errors import MlworkError, error_line
from mlwork_jupyter.sharing.records import NoRecordsError, RecordSource

if TYPE_CHECKING:
    import os

    from mlwork_jupyter.provenance.record import RunRecord

__all__ = ["ExportError", "ExportResult", "export_to_mlflow", "mlflow_key"]

_STATUS: Final = {
    "ok": "FINISHED",
    "error": "FAILED",
    "killed": "KILLED",
    "interrupted": "KILLED",
}
_PARAM_MAX: Final = 6000
_TAG_MAX: Final = 8000
_BATCH: Final = 100
_KEY_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-. ")


class ExportError(MlworkError, RuntimeError):
    """MLflow is missing, or refused the tracking URI or a run."""


@dataclass(slots=True)
class ExportResult:
    """Which runs went where: ``(mlwork run id, experiment, MLflow run id or None if skipped)``."""

    uri: str
    exported: list[tuple[str, str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """Return the summary lines."""
        lines = [f"{run} -> {exp} / {mlflow_id}" for run, exp, mlflow_id in self.exported]
        lines.append(
            f"exported {len(self.exported)} run(s) to {self.uri}; {len(self.skipped)} already there"
        )
        return "\n".join(lines + self.notes)

    def as_json(self) -> dict[str, Any]:
        """Return the result for ``--json``."""

        def rows(items: list[tuple[str, str, str]]) -> list[dict[str, str]]:
            return [{"run": r, "experiment": e, "mlflow_run": m} for r, e, m in items]

        return {
            "uri": self.uri,
            "exported": rows(self.exported),
            "skipped": rows(self.skipped),
            "notes": self.notes,
        }


def mlflow_key(name: str) -> str:
    """Return a name MLflow accepts as a param, metric or tag key (no ``/``, no ``..``).

    Examples
    --------
    >>> mlflow_key("data/iris.csv"), mlflow_key("loss[val]")
    ('data_iris.csv', 'loss_val_')
    """
    key = "".join(c if c in _KEY_CHARS else "_" for c in name).strip() or "_"
    while ".." in key:
        key = key.replace("..", "_.")
    return key[:250]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _param_value(value: Any) -> str:
    return _clip(value if isinstance(value, str) else json.dumps(value, default=repr), _PARAM_MAX)


def _tags(record: RunRecord, parent: str | None, cell: int | None) -> dict[str, str]:
    tags = {
        "mlwork.run_id": record.id,
        "mlwork.stage": record.stage,
        "mlwork.name": record.name,
        "mlwork.notebook": record.notebook,
        "mlwork.cell_id": record.cell_id or "",
        "mlwork.cell": "" if cell is None else str(cell),
        "mlwork.status": record.status,
        "mlwork.code_hash": record.code_hash,
        "mlwork.env_hash": record.env_hash or "",
        "mlflow.source.name": record.notebook,
        "mlflow.source.type": "NOTEBOOK",
        "mlflow.note.content": _clip(f"```python\n{record.code}\n```", _TAG_MAX),
    }
    if record.error:
        tags["mlwork.error"] = _clip(record.error, _TAG_MAX)
    if parent:
        tags["mlflow.parentRunId"] = parent
    trial = record.trial or {}
    for key in ("id", "number", "status", "objective", "direction", "best_step"):
        if trial.get(key) is not None:
            tags[f"mlwork.trial.{key}"] = str(trial[key])
    for direction, refs in (("input", record.inputs), ("output", record.outputs)):
        for ref in refs:
            tags[f"mlwork.{direction}.{mlflow_key(ref.name)}"] = f"{ref.kind}:{ref.fingerprint}"
    return {k: v for k, v in tags.items() if v != ""}


def _metrics(
    record: RunRecord, series: dict[str, list[tuple[int, float]]], end_ms: int
) -> list[Any]:
    """Return MLflow metrics: each series point, and the final value where no point has it."""
    from mlflow.entities import Metric

    metrics = []
    for key in sorted(record.metrics.keys() | series.keys()):
        points = [(step, v) for step, v in series.get(key, []) if v is not None]
        metrics += [Metric(mlflow_key(key), v, end_ms, step) for step, v in points]
        final = record.metrics.get(key)
        if final is not None and (not points or points[-1][1] != final):
            metrics.append(Metric(mlflow_key(key), final, end_ms, points[-1][0] if points else 0))
    return metrics


def _datasets(record: RunRecord) -> list[Any]:
    """Return the data a run read and wrote as MLflow dataset inputs (digest: fingerprint)."""
    from mlflow.entities import Dataset, DatasetInput, InputTag

    return [
        DatasetInput(
            Dataset(
                ref.name[:500],
                ref.fingerprint,
                "mlwork",
                json.dumps({"kind": ref.kind}),
                profile=json.dumps({"shape": ref.shape, "method": ref.method}),
            ),
            [InputTag("mlflow.data.context", direction)],
        )
        for direction, refs in (("read", record.inputs), ("written", record.outputs))
        for ref in refs
        if ref.kind != "model"  # a model is not a dataset: its tag names the run that made it
    ]


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + _BATCH] for i in range(0, len(items), _BATCH)] or [[]]


class _Exporter:
    """One MLflow client and the experiments it has looked up."""

    def __init__(self, uri: str) -> None:
        try:
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise ExportError(
                "MLflow is not installed: pip install 'mlwork-jupyter[mlflow]' (or mlflow-skinny)"
            ) from None
        self.client = MlflowClient(tracking_uri=uri)
        self.done: dict[str, dict[str, str]] = {}

    def experiment(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        exp_id = found.experiment_id if found else self.client.create_experiment(name)
        if exp_id not in self.done:
            exported: dict[str, str] = {}
            token = None
            while True:
                page = self.client.search_runs([exp_id], max_results=1000, page_token=token)
                for run in page:
                    ours = run.data.tags.get("mlwork.run_id")
                    if ours:
                        exported[ours] = run.info.run_id
                token = page.token
                if not token:
                    break
            self.done[exp_id] = exported
        return str(exp_id)

    def run(
        self,
        exp_id: str,
        record: RunRecord,
        *,
        series: dict[str, list[tuple[int, float]]],
        artifact_base: Path | None,
        notes: list[str],
        cell: int | None,
    ) -> str:
        """Create one MLflow run from a record; return its MLflow id."""
        from mlflow.entities import Param, RunTag

        parent = self.done[exp_id].get(record.parent or "")
        start_ms = int(record.started * 1000)
        end_ms = int((record.ended or record.started) * 1000)
        run = self.client.create_run(exp_id, start_time=start_ms, run_name=record.name)
        run_id = run.info.run_id
        params = [Param(mlflow_key(k), _param_value(v)) for k, v in record.params.items()]
        tags = [
            RunTag(k if k.startswith("mlflow.") else mlflow_key(k), v)
            for k, v in _tags(record, parent, cell).items()
        ]
        metrics = _metrics(record, series, end_ms)
        for chunk in _chunks(params):
            self.client.log_batch(run_id, params=chunk)
        for chunk in _chunks(tags):
            self.client.log_batch(run_id, tags=chunk)
        for n in range(0, len(metrics), 1000):
            self.client.log_batch(run_id, metrics=metrics[n : n + 1000])
        datasets = _datasets(record)
        if datasets:
            try:
                self.client.log_inputs(run_id, datasets=datasets)
            except Exception as exc:
                notes.append(f"{record.id}: data fingerprints kept as tags only ({exc})")
        self._artifacts(run_id, record, artifact_base, notes)
        status = _STATUS.get(record.status)
        if status:
            self.client.set_terminated(run_id, status, end_time=end_ms)
        self.done[exp_id][record.id] = run_id
        return str(run_id)

    def _artifacts(
        self, run_id: str, record: RunRecord, base: Path | None, notes: list[str]
    ) -> None:
        for art in record.artifacts:
            stored = (base / art.path) if base is not None else None
            if stored is None or not stored.is_file():
                notes.append(f"{record.id}: artifact {art.name} not found at {art.path}")
                continue
            name = Path(art.name)
            safe = (
                Path(*[p for p in name.parts if p not in {"..", "/", ""}]) if name.parts else None
            )
            with tempfile.TemporaryDirectory(prefix="mlwork-export-") as tmp:
                target = Path(tmp, safe.name if safe else art.digest)
                shutil.copyfile(stored, target)
                folder = str(safe.parent) if safe and str(safe.parent) != "." else None
                self.client.log_artifact(run_id, str(target), artifact_path=folder)


def export_to_mlflow(
    uri: str,
    path: str | os.PathLike[str] = ".",
    *,
    store_dir: str | os.PathLike[str] | None = None,
    experiment: str | None = None,
) -> ExportResult:
    """Write recorded runs into an MLflow tracking store; runs exported before are skipped.

    Each run becomes an MLflow run named after it, in an experiment named after its notebook
    (or `experiment`): params, metrics with their per-step series, tags (``mlwork.stage``,
    ``mlwork.notebook``, ``mlwork.cell_id``, ``mlwork.input.NAME`` = ``kind:fingerprint``,
    ...), data fingerprints as MLflow dataset inputs, artifacts, status and times. Child runs
    (tuning trials) keep their parent.

    Parameters
    ----------
    uri
        An MLflow tracking URI (``http://...``, ``sqlite:///...`` with full MLflow, or
        ``file://...`` with ``MLFLOW_ALLOW_FILE_STORE=true``).
    path
        A notebook (its runs in the store beside it, else its embedded records) or a folder
        (every run in its ``.mlwork`` store).
    store_dir
        Another store folder.
    experiment
        One experiment name for all runs.

    Raises
    ------
    ExportError
        MLflow is not installed, or refused the URI.
    mlwork_jupyter.errors.MlworkError
        One line: no such notebook, no records, unreadable store.

    Examples
    --------
    >>> export_to_mlflow("http://127.0.0.1:5000", "analysis.ipynb")  # doctest: +SKIP
    """
    with RecordSource(path, store_dir) as source:
        return _export(uri, source, experiment)


def _export(uri: str, source: RecordSource, experiment: str | None) -> ExportResult:
    runs = source.runs(include_children=True)
    if not runs:  # a folder whose store has none (a notebook without records does not open)
        where = source.store.root if source.store is not None else source.folder
        raise NoRecordsError(f"the store at {where} has no runs")
    store = source.store if source.from_store else None
    base = store.root.parent if store is not None else source.folder
    label = source.path.stem if source.path is not None else source.folder.name
    cells = {r.id: r.cell_index for r in source.records}
    result = ExportResult(uri)
    try:
        exporter = _Exporter(uri)
        for record in sorted(runs, key=lambda r: (r.parent is not None, r.id)):
            name = experiment or (Path(record.notebook).stem if record.notebook else label)
            exp_id = exporter.experiment(name)
            existing = exporter.done[exp_id].get(record.id)
            if existing:
                result.skipped.append((record.id, name, existing))
                continue
            series = source.series(record.id) if store is not None else {}
            run_id = exporter.run(
                exp_id,
                record,
                series=series,
                artifact_base=base,
                notes=result.notes,
                cell=cells.get(record.id),
            )
            result.exported.append((record.id, name, run_id))
    except MlworkError:
        raise
    except Exception as exc:
        first = error_line(exc).partition(": ")[2] or type(exc).__name__
        if "MLFLOW_ALLOW_FILE_STORE" in str(exc):
            first = "MLflow's file store is off by default: set MLFLOW_ALLOW_FILE_STORE=true"
        raise ExportError(f"MLflow refused the export to {uri}: {first}") from None
    return result
