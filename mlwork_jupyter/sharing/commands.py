"""Reports of `runs`, `show`, `diff`, `env`, `devices`, `verify`, and `seed`: line magic and CLI."""

from __future__ import annotations

import json
import random
import sys
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.display.report import Code, Report, Table
from mlwork_jupyter.display.text import duration_text
from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.provenance import environment
from mlwork_jupyter.sharing.records import RecordSource
from mlwork_jupyter.sharing.report_cells import STATUS_CSS, is_multiline, metric_text, when_text

if TYPE_CHECKING:
    import argparse

    from mlwork_jupyter.provenance.record import RunRecord
    from mlwork_jupyter.stages.base import Workbench

__all__ = [
    "devices_report",
    "env_report",
    "record_command",
    "record_json",
    "run_line_command",
    "seed_everything",
    "show_report",
    "trial_json",
    "verify_report",
]


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
        **({} if record.trial is None else {"trial": record.trial}),
    }


def trial_json(record: RunRecord) -> dict[str, Any]:
    """Return a tune trial as a row of `show --json`'s ``trials``."""
    trial = record.trial or {}
    return {
        "trial": trial.get("id"),
        "run": record.id,
        "number": trial.get("number"),
        "status": trial.get("status", record.status),
        "params": trial.get("params", {}),
        "score": trial.get("score"),
        "best_step": trial.get("best_step"),
        "duration_s": trial.get("duration_s", record.duration),
        "message": trial.get("message"),
    }


def _with_trials(top: list[RunRecord], every: list[RunRecord]) -> list[RunRecord]:
    """Return the top-level runs, each followed by its trial runs in trial order."""
    children: dict[str, list[RunRecord]] = {}
    for r in every:
        if r.parent is not None:
            children.setdefault(r.parent, []).append(r)
    ordered = []
    for r in top:
        ordered.append(r)
        ordered.extend(sorted(children.get(r.id, []), key=_trial_order))
    return ordered


def _trial_order(record: RunRecord) -> tuple[float, float]:
    number = (record.trial or {}).get("number")
    return (float(number) if isinstance(number, int | float) else float("inf"), record.started)


def show_report(
    record: RunRecord,
    env: dict[str, Any] | None,
    series: dict[str, list[tuple[int, float]]],
    trials: list[RunRecord] | None = None,
) -> Report:
    """Return one run in full: summary, data, params, metrics, trials, artifacts, env, code.

    The code and multi-line params (a model summary) are blocks that keep their line breaks.
    """
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
            ["started", when_text(record.started)],
            ["duration", "" if record.duration is None else duration_text(record.duration)],
            ["environment", record.env_hash or ""],
        ],
    )
    summary.cell_css[3, 1] = STATUS_CSS.get(record.status, "")
    if record.error:
        summary.rows.append(["error", record.error])
        summary.cell_css[len(summary.rows) - 1, 1] = "white-space:pre-wrap"
    data = Table("data", ["direction", "kind", "name", "fingerprint", "method", "shape"])
    for direction, refs in (("read", record.inputs), ("wrote", record.outputs)):
        for ref in refs:
            shape = "×".join(str(d) for d in ref.shape) if ref.shape else ""  # noqa: RUF001
            data.rows.append([direction, ref.kind, ref.name, ref.fingerprint, ref.method, shape])
    params = Table(
        "params",
        ["name", "value"],
        [[k, json.dumps(v, default=repr)] for k, v in record.params.items() if not is_multiline(v)],
    )
    texts = [Code(k, v) for k, v in record.params.items() if is_multiline(v)]
    metrics = Table(
        "metrics",
        ["name", "final", "points"],
        [[k, metric_text(v), str(len(series.get(k, [])))] for k, v in record.metrics.items()],
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
    sections: list[Table | Code] = [summary, data, params, *texts, metrics]
    if trials:
        sections.append(_trials_table(trials))
    sections += [artifacts, env_table, Code("code", record.code)]
    return Report(sections, [f"warning: {w}" for w in record.warnings])


def _trials_table(trials: list[RunRecord]) -> Table:
    rows = []
    for t in map(trial_json, trials):
        params = ", ".join(f"{k}={v}" for k, v in t["params"].items())
        duration = t["duration_s"]
        rows.append(
            [
                str(t["trial"]),
                str(t["status"]),
                metric_text(t["score"]),
                "" if t["best_step"] is None else str(t["best_step"]),
                "" if duration is None else duration_text(duration),
                params,
            ]
        )
    return Table("trials", ["trial", "status", "score", "best step", "duration", "params"], rows)


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
    # Imported here: `%load_ext` imports this module, and needs neither.
    from mlwork_jupyter.sharing.run_diff import diff_report
    from mlwork_jupyter.sharing.runs_table import runs_report

    if args.command == "runs":
        records = source.runs(stage=args.stage, name=args.name, last=args.last)
        if not getattr(args, "top", False):
            records = _with_trials(records, source.runs(stage=args.stage, include_children=True))
        return runs_report(records), [record_json(r) for r in records]
    if args.command == "show":
        record = source.get(args.run)
        env = source.environment(record.env_hash)
        series = source.series(record.id)
        trials = _with_trials([record], source.runs(include_children=True))[1:]
        payload = {**record_json(record), "environment": env, "series": series}
        if trials or record.stage == "tune":
            payload["trials"] = [trial_json(t) for t in trials]
        return show_report(record, env, series, trials), payload
    a, b = source.get(args.run_a), source.get(args.run_b)
    report = diff_report(a, b, source.environment(a.env_hash), source.environment(b.env_hash))
    texts = [f"{s.title}:\n{s.body}" for s in report.sections if isinstance(s, Code) and s.body]
    payload = {
        "a": a.id,
        "b": b.id,
        "tables": {t.title: t.rows for t in report.tables},
        "notes": texts + report.notes,
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
