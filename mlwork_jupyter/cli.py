"""The `mlwork` command (also `jupyter mlwork`): runs, show and diff from a store or notebook."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.provenance.notebook import notebook_records
from mlwork_jupyter.provenance.store import DB_NAME, Store
from mlwork_jupyter.stages import STAGES
from mlwork_jupyter.stages.commands import diff_report, record_json, runs_report, show_report

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlwork_jupyter.display.report import Report
    from mlwork_jupyter.provenance.record import RunRecord

__all__ = ["main"]

_EPILOG = """examples:
  mlwork runs example_notebooks/01_iris_random_forest.ipynb
  mlwork runs --stage train --json
  mlwork show 01JDQ3Z8 analysis.ipynb
  mlwork diff 01JDQ3Z8 01JDQ4A1
"""


class _Source:
    """Where records come from: the store beside a notebook, or the notebook's own outputs."""

    def __init__(self, path: str | None, store_dir: str | None, *, embedded: bool) -> None:
        target = Path(path or ".")
        self.notebook: str | None = None
        self.records: list[RunRecord] | None = None
        self.store: Store | None = None
        is_notebook = target.suffix == ".ipynb"
        if is_notebook:
            if not target.is_file():
                raise MlworkError(f"{target}: no such notebook")
            self.notebook = target.name
        folder = (
            Path(store_dir)
            if store_dir
            else ((target.parent if is_notebook else target) / ".mlwork")
        )
        if is_notebook and (embedded or not (folder / DB_NAME).is_file()):
            self.records = list(notebook_records(target))
            if not self.records:
                raise MlworkError(f"{target}: no mlwork records in its outputs; run it first")
            return
        if not (folder / DB_NAME).is_file():
            raise MlworkError(f"no mlwork store at {folder}; pass a notebook or --store DIR")
        self.store = Store(folder)

    def runs(self, stage: str | None, name: str | None, last: int | None) -> list[RunRecord]:
        if self.store is not None:
            return self.store.runs(stage=stage, name=name, notebook=self.notebook, last=last)
        assert self.records is not None
        found = [r for r in self.records if (stage in (None, r.stage)) and name in (None, r.name)]
        return found[-last:] if last else found

    def get(self, ref: str) -> RunRecord:
        if self.store is not None:
            return self.store.get_run(ref)
        assert self.records is not None
        if ref == "last":
            return self.records[-1]
        key = ref.strip().lstrip(".…").upper()
        hits = [r for r in self.records if key and (r.id.startswith(key) or r.id.endswith(key))]
        if len(hits) != 1:
            why = "no run" if not hits else "several runs"
            raise MlworkError(f"{why} in the notebook match {ref!r}; `mlwork runs` lists them")
        return hits[0]

    def environment(self, record: RunRecord) -> dict[str, Any] | None:
        if self.store is not None and record.env_hash:
            return self.store.environment(record.env_hash)
        return None

    def series(self, record: RunRecord) -> dict[str, list[tuple[int, float]]]:
        return self.store.series(record.id) if self.store is not None else {}


def _build_arg_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlwork",
        description="Inspect the runs recorded by `%%mlwork` cells.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--store", metavar="DIR", help="store folder (default: .mlwork beside)")
        p.add_argument(
            "--embedded",
            action="store_true",
            help="read the records inside the notebook, not the store beside it",
        )
        p.add_argument("--json", action="store_true", help="print JSON for machines")

    runs = sub.add_parser(
        "runs",
        help="list runs, oldest first",
        epilog="example: mlwork runs analysis.ipynb --stage train --json",
    )
    runs.add_argument("path", nargs="?", help="a notebook (.ipynb) or a folder (default: .)")
    runs.add_argument("--stage", choices=list(STAGES))
    runs.add_argument("--name")
    runs.add_argument("--last", type=int)
    common(runs)
    show = sub.add_parser("show", help="one run in full", epilog="example: mlwork show last")
    show.add_argument("run", help="run id, unique prefix, or `last`")
    show.add_argument("path", nargs="?")
    common(show)
    diff = sub.add_parser(
        "diff",
        help="what differs between two runs",
        epilog="example: mlwork diff 01JDQ3Z8 01JDQ4A1 analysis.ipynb",
    )
    diff.add_argument("run_a")
    diff.add_argument("run_b")
    diff.add_argument("path", nargs="?")
    common(diff)
    return parser


def _emit(report: Report, payload: Any, *, as_json: bool) -> None:
    if as_json:
        json.dump(payload, sys.stdout, indent=2, default=repr)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report.text() + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 usage or input error)."""
    args = _build_arg_parser().parse_args(argv)
    try:
        source = _Source(args.path, args.store, embedded=args.embedded)
        if args.command == "runs":
            records = source.runs(args.stage, args.name, args.last)
            _emit(runs_report(records), [record_json(r) for r in records], as_json=args.json)
        elif args.command == "show":
            record = source.get(args.run)
            env = source.environment(record)
            series = source.series(record)
            payload = {**record_json(record), "environment": env, "series": series}
            _emit(show_report(record, env, series), payload, as_json=args.json)
        else:
            a, b = source.get(args.run_a), source.get(args.run_b)
            report = diff_report(a, b, source.environment(a), source.environment(b))
            payload = {
                "a": a.id,
                "b": b.id,
                "tables": {t.title: t.rows for t in report.tables},
                "notes": report.notes,
            }
            _emit(report, payload, as_json=args.json)
    except MlworkError as exc:
        print(f"mlwork {args.command}: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
