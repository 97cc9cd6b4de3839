"""Reports of `runs`, `show`, `diff`, `env`, `devices`, `verify`, and `seed`: line magic and CLI."""

from __future__ import annotations

import difflib
import json
import random
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.display.report import Report, Table
from mlwork_jupyter.display.text import duration_text
from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.provenance import environment
from mlwork_jupyter.sharing.records import RecordSource

if TYPE_CHECKING:
    import argparse

    from mlwork_jupyter.provenance.record import DataRef, RunRecord
    from mlwork_jupyter.stages.base import Workbench

__all__ = [
    "devices_report",
    "diff_report",
    "env_report",
    "record_command",
    "record_json",
    "run_line_command",
    "runs_report",
    "seed_everything",
    "show_report",
    "verify_report",
]


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def _refs(refs: list[DataRef]) -> str:
    return ", ".join(r.name for r in refs)


def record_json(record: RunRecord) -> dict[str, Any]:
    """Return a run as JSON for `--json` output: everything but the series."""
    return {
        "id": record.id,
        "parent": record.parent,
        "stage": record.stage,
        "name": record.name,
        "status": record.status,
        "notebook": record.notebook,
        "cell_id": record.cell_id,
        "started": record.started,
        "ended": record.ended,
        "duration_s": record.duration,
        "error": record.error,
        "code": record.code,
        "code_hash": record.code_hash,
        "env_hash": record.env_hash,
        "inputs": [r.as_dict() for r in record.inputs],
        "outputs": [r.as_dict() for r in record.outputs],
        "params": record.params,
        "metrics": record.metrics,
        "artifacts": [a.as_dict() for a in record.artifacts],
        "device": record.device,
        "warnings": record.warnings,
    }


def runs_report(records: list[RunRecord]) -> Report:
    """Return the table of runs, oldest first."""
    table = Table(
        "", ["run", "started", "stage", "name", "status", "duration", "read", "wrote", "metrics"]
    )
    for r in records:
        metrics = ", ".join(f"{k}={_num(v)}" for k, v in list(r.metrics.items())[:4])
        table.rows.append(
            [
                r.id,
                _when(r.started),
                r.stage,
                r.name,
                r.status,
                "" if r.duration is None else duration_text(r.duration),
                _refs(r.inputs),
                _refs(r.outputs),
                metrics,
            ]
        )
    notes = [] if records else ["no runs recorded yet: run a `%%mlwork STAGE` cell"]
    return Report([table], notes)


def show_report(
    record: RunRecord, env: dict[str, Any] | None, series: dict[str, list[tuple[int, float]]]
) -> Report:
    """Return one run in full: summary, data, params, metrics, artifacts, environment, code."""
    summary = Table(
        "run",
        ["field", "value"],
        [
            ["id", record.id],
            ["stage", record.stage],
            ["name", record.name],
            ["status", record.status],
            ["notebook", record.notebook],
            ["cell", record.cell_id or ""],
            ["started", _when(record.started)],
            ["duration", "" if record.duration is None else duration_text(record.duration)],
            ["environment", record.env_hash or ""],
        ],
    )
    if record.error:
        summary.rows.append(["error", record.error])
    data = Table("data", ["direction", "kind", "name", "fingerprint", "method", "shape"])
    for direction, refs in (("read", record.inputs), ("wrote", record.outputs)):
        for ref in refs:
            shape = "×".join(str(d) for d in ref.shape) if ref.shape else ""  # noqa: RUF001
            data.rows.append([direction, ref.kind, ref.name, ref.fingerprint, ref.method, shape])
    params = Table(
        "params",
        ["name", "value"],
        [[k, json.dumps(v, default=repr)] for k, v in record.params.items()],
    )
    metrics = Table(
        "metrics",
        ["name", "final", "points"],
        [[k, _num(v), str(len(series.get(k, [])))] for k, v in record.metrics.items()],
    )
    artifacts = Table(
        "artifacts",
        ["name", "size", "path"],
        [[a.name, str(a.size), a.path] for a in record.artifacts],
    )
    env_table = Table("environment", ["field", "value"])
    if env:
        env_table.rows = [
            ["python", str(env.get("python", {}).get("version", ""))],
            ["platform", str(env.get("platform", {}).get("platform", ""))],
            ["packages", str(len(env.get("packages", {})))],
        ]
        git = env.get("git")
        if git:
            dirty = " (dirty)" if git.get("dirty") else ""
            env_table.rows.append(["git", f"{git.get('commit', '')}{dirty}"])
    notes = [f"code:\n{record.code}"] + [f"warning: {w}" for w in record.warnings]
    return Report([summary, data, params, metrics, artifacts, env_table], notes)


def _pairs(a: dict[str, Any], b: dict[str, Any]) -> list[list[str]]:
    rows = []
    for key in sorted(a.keys() | b.keys()):
        va, vb = a.get(key), b.get(key)
        if va != vb:
            rows.append([key, "" if va is None else str(va), "" if vb is None else str(vb)])
    return rows


def diff_report(
    a: RunRecord, b: RunRecord, env_a: dict[str, Any] | None, env_b: dict[str, Any] | None
) -> Report:
    """Return what differs between two runs: code, params, metrics, data, environment."""
    cols = ["name", a.id[-8:], b.id[-8:]]
    params = Table("params", cols, _pairs(a.params, b.params))
    metrics = Table(
        "metrics",
        cols,
        _pairs(
            {k: _num(v) for k, v in a.metrics.items()}, {k: _num(v) for k, v in b.metrics.items()}
        ),
    )
    data = Table(
        "data",
        cols,
        _pairs(
            {
                f"{'read' if r in a.inputs else 'wrote'} {r.name}": r.fingerprint[:12]
                for r in a.inputs + a.outputs
            },
            {
                f"{'read' if r in b.inputs else 'wrote'} {r.name}": r.fingerprint[:12]
                for r in b.inputs + b.outputs
            },
        ),
    )
    env = Table("environment", cols)
    if env_a is not None and env_b is not None:
        env.rows = [[k, str(old), str(new)] for k, old, new in environment.diff(env_a, env_b)]
    notes = []
    if a.code != b.code:
        lines = difflib.unified_diff(
            a.code.splitlines(), b.code.splitlines(), a.id[-8:], b.id[-8:], lineterm=""
        )
        notes.append("code:\n" + "\n".join(lines))
    if not (params.rows or metrics.rows or data.rows or env.rows or notes):
        notes.append("the two runs recorded the same code, params, metrics, data and environment")
    return Report([params, metrics, data, env], notes)


def seed_everything(seed: int) -> dict[str, int]:
    """Seed Python, NumPy and, where already imported, TensorFlow/Keras; return what was seeded."""
    seeded = {"python": seed}
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed)
        seeded["numpy"] = seed
    keras = sys.modules.get("keras")
    tensorflow = sys.modules.get("tensorflow")
    if keras is not None:
        keras.utils.set_random_seed(seed)
        seeded["keras"] = seed
    elif tensorflow is not None:
        tensorflow.random.set_seed(seed)
        seeded["tensorflow"] = seed
    environment.set_seeds(**seeded)
    return seeded


def record_command(source: RecordSource, args: argparse.Namespace) -> tuple[Report, Any]:
    """Return the report and the ``--json`` payload of `runs`, `show` or `diff` over `source`.

    `args` has the command's arguments: ``stage``, ``name``, ``last`` (runs); ``run`` (show);
    ``run_a``, ``run_b`` (diff).
    """
    if args.command == "runs":
        records = source.runs(stage=args.stage, name=args.name, last=args.last)
        return runs_report(records), [record_json(r) for r in records]
    if args.command == "show":
        record = source.get(args.run)
        env = source.environment(record.env_hash)
        series = source.series(record.id)
        payload = {**record_json(record), "environment": env, "series": series}
        return show_report(record, env, series), payload
    a, b = source.get(args.run_a), source.get(args.run_b)
    report = diff_report(a, b, source.environment(a.env_hash), source.environment(b.env_hash))
    payload = {
        "a": a.id,
        "b": b.id,
        "tables": {t.title: t.rows for t in report.tables},
        "notes": report.notes,
    }
    return report, payload


def run_line_command(bench: Workbench, args: argparse.Namespace) -> None:
    """Carry out a `%mlwork` line command and display its report."""
    from IPython.display import display

    if args.command == "seed":
        seeded = seed_everything(args.seed)
        print(f"mlwork: seeded {', '.join(seeded)} with {args.seed}; recorded with every run")  # noqa: T201
        return
    if args.command == "env":
        display(env_report(bench).bundle(), raw=True)  # type: ignore[no-untyped-call]
        return
    if args.command == "devices":
        display(devices_report().bundle(), raw=True)  # type: ignore[no-untyped-call]
        return
    if args.command == "verify":
        display(verify_report(bench).bundle(), raw=True)  # type: ignore[no-untyped-call]
        return
    store = bench.store()
    if store is None:
        raise MlworkError(f"no store to read: {bench.store_error}")
    every = args.command == "runs" and args.all_notebooks
    source = RecordSource.over(store, None if every else bench.notebook or None)
    report, _ = record_command(source, args)
    display(report.bundle(), raw=True)  # type: ignore[no-untyped-call]


def env_report(bench: Workbench) -> Report:
    """Return the present environment, and how it differs from the last one recorded here."""
    snap = environment.snapshot()
    data = snap.data
    git = data.get("git") or {}
    table = Table(
        "environment",
        ["field", "value"],
        [
            ["hash", snap.hash],
            ["python", str(data.get("python", {}).get("version", ""))],
            ["platform", str(data.get("platform", {}).get("platform", ""))],
            ["cpu", str(data.get("cpu", {}).get("model", ""))],
            ["memory", f"{(data.get('memory_bytes') or 0) / 2**30:.1f} GiB"],
            [
                "accelerators",
                ", ".join(str(a.get("name", a)) for a in data.get("accelerators", [])),
            ],
            ["packages", str(len(data.get("packages", {})))],
            ["git", f"{git.get('commit', '')}{' (dirty)' if git.get('dirty') else ''}"],
        ],
    )
    notes: list[str] = []
    store = bench.store()
    if store is not None:
        source = RecordSource.over(store, bench.notebook or None)
        recorded = source.runs(last=1)
        if recorded and recorded[-1].env_hash and recorded[-1].env_hash != snap.hash:
            old = source.environment(recorded[-1].env_hash) or {}
            changes = Table(
                "changed since the last recorded run",
                ["what", "recorded", "now"],
                [[k, str(o), str(n)] for k, o, n in environment.diff(old, data)],
            )
            return Report([table, changes], notes)
        if recorded:
            notes.append("same environment as the last recorded run")
    return Report([table], notes)


def verify_report(bench: Workbench) -> Report:
    """Return this notebook's records (as last saved) checked against the present machine."""
    from mlwork_jupyter.sharing.verify import verify_notebook

    path = bench.notebook_path
    if path is None or not path.is_file():
        raise MlworkError(
            "`%mlwork verify` needs the notebook file, which this kernel was not told about; "
            "run `mlwork verify NOTEBOOK.ipynb` in a terminal"
        )
    store_dir = bench.store_dir if bench.store_dir.is_dir() else None
    return verify_notebook(path, store_dir=store_dir).report()


def devices_report() -> Report:
    """Return the accelerators TensorFlow sees, the strategy `auto` picks, and why."""
    import os

    from mlwork_jupyter.ml.devices import detect
    from mlwork_jupyter.ml.strategy import choose_strategy

    devices = detect()
    choice = choose_strategy(devices, "auto", os.environ.get("TF_CONFIG"))
    table = Table("devices", ["kind", "name", "model", "memory", "compute capability"])
    for d in devices.devices:
        memory = "" if d.memory_bytes is None else f"{d.memory_bytes / 2**30:.1f} GiB"
        cc = d.compute_capability
        capability = "" if cc is None else f"{cc[0]}.{cc[1]}"
        table.rows.append([d.kind, d.name, d.description or "", memory, capability])
    notes = [f"strategy: {choice.name} ({choice.reason})", *devices.notes]
    return Report([table], notes)
