"""The `mlwork` command (also `jupyter mlwork`): inspect, verify, rerun, lock and export records."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter import serving_cli
from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.sharing.commands import record_command
from mlwork_jupyter.sharing.records import RecordSource
from mlwork_jupyter.sharing.tolerance import DEFAULT_ATOL, DEFAULT_RTOL, Tolerance, parse_tol
from mlwork_jupyter.stages import STAGES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlwork_jupyter.display.report import Report

__all__ = ["main"]

_EPILOG = """examples:
  mlwork runs example_notebooks/01_iris_random_forest.ipynb
  mlwork runs --stage train --json
  mlwork show 01JDQ3Z8 analysis.ipynb
  mlwork diff 01JDQ3Z8 01JDQ4A1
  mlwork verify analysis.ipynb
  mlwork rerun analysis.ipynb -o rerun.ipynb --tol accuracy=0.01 -p epochs 5
  mlwork lock analysis.ipynb -o requirements.txt
  mlwork export --mlflow http://127.0.0.1:5000 analysis.ipynb

exit status: 0 ok; 1 drift (verify) or not reproduced (rerun); 2 bad input
"""
_VERIFY_EPILOG = """example:
  mlwork verify analysis.ipynb          # table grouped by severity
  mlwork verify analysis.ipynb --json   # for machines

Compares the records the notebook carries (and the store beside it, when present) with this
machine: Python, packages (those the notebook imported: major; what they require: minor;
others: info), GPUs, TensorFlow's CUDA/cuDNN build, the files the notebook read (content
fingerprints), the git commit and uncommitted changes, and each recorded cell's code.
exit status: 0 clean (info only), 1 drift (major or minor differences), 2 bad input
"""
_RERUN_EPILOG = f"""example:
  mlwork rerun analysis.ipynb -o checked.ipynb --tol accuracy=0.01 --tol '*loss=1%' \\
      -p learning_rate 0.01 --timeout 600

Executes the notebook's code in a fresh kernel (nbclient), then compares each recorded cell's
metrics (|new - old| <= atol + rtol * |old|; --tol NAME=ABS or NAME=REL% per metric, NAME may
be a glob; timing metrics such as *seconds are not compared unless named), parameters and data
fingerprints (exactly). -p NAME VALUE: injected after the cell tagged `parameters` (as
papermill), else the literal of `NAME = ...  # @param` rewritten; recorded in the output's
metadata (mlwork.rerun). Defaults: --rtol {DEFAULT_RTOL:g} --atol {DEFAULT_ATOL:g}.
exit status: 0 every recorded cell reproduced (within tolerance), 1 otherwise, 2 bad input
"""
_LOCK_EPILOG = """example:
  mlwork lock analysis.ipynb -o requirements.txt && pip install -r requirements.txt

Exact pins (name==version, or name @ URL for VCS and URL installs) of the environment that
recorded the notebook's last run; editable and local-path installs, which pip cannot
reproduce from the file, are listed as comments at the end.
"""
_EXPORT_EPILOG = """example:
  mlwork export --mlflow http://127.0.0.1:5000 analysis.ipynb
  MLFLOW_ALLOW_FILE_STORE=true mlwork export --mlflow file:///tmp/mlruns .

Needs MLflow: pip install 'mlwork-jupyter[mlflow]'. One MLflow run per recorded run, in an
experiment named after its notebook: params, metrics with their series, tags (mlwork.stage,
mlwork.notebook, mlwork.cell, mlwork.input.NAME = kind:fingerprint, ...), artifacts. Runs
exported before (tag mlwork.run_id) are skipped.
"""


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
    runs.add_argument(
        "--top", action="store_true", help="leave out tune trials (child runs of a tune run)"
    )
    common(runs)
    show = sub.add_parser("show", help="one run in full", epilog="example: mlwork show last")
    show.add_argument("run", help="run id, a unique prefix or suffix of one, or `last`")
    show.add_argument("path", nargs="?")
    common(show)
    diff = sub.add_parser(
        "diff",
        help="what differs between two runs",
        epilog="example: mlwork diff 01JDQ3Z8 01JDQ4A1 analysis.ipynb",
    )
    diff.add_argument("run_a", help="run id, a unique prefix or suffix of one, or `last`")
    diff.add_argument("run_b", help="the run to compare it with (the same forms)")
    diff.add_argument("path", nargs="?")
    common(diff)
    _add_sharing_commands(sub)
    return parser


def _tolerance_rule(text: str) -> tuple[str, float, float]:
    try:
        return parse_tol(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_sharing_commands(sub: Any) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    as_json = {"action": "store_true", "help": "print JSON for machines"}
    store = {"metavar": "DIR", "help": "store folder (default: .mlwork beside the notebook)"}
    verify = sub.add_parser(
        "verify",
        help="the notebook's records against this machine and its data files",
        description="Verify a notebook's records against this machine and its data files.",
        epilog=_VERIFY_EPILOG,
        formatter_class=raw,
    )
    verify.add_argument("path", help="the notebook (.ipynb)")
    verify.add_argument("--store", **store)
    verify.add_argument("--json", **as_json)
    rerun = sub.add_parser(
        "rerun",
        help="execute the notebook in a fresh kernel; compare each cell with its record",
        description="Execute a notebook in a fresh kernel and compare each cell with its record.",
        epilog=_RERUN_EPILOG,
        formatter_class=raw,
    )
    rerun.add_argument("path", help="the notebook (.ipynb), run and saved before")
    rerun.add_argument("-o", "--output", metavar="OUT", help="default: NAME.rerun.ipynb beside")
    rerun.add_argument("--rtol", type=float, default=DEFAULT_RTOL, metavar="R")
    rerun.add_argument("--atol", type=float, default=DEFAULT_ATOL, metavar="A")
    rerun.add_argument(
        "--tol",
        type=_tolerance_rule,
        action="append",
        default=[],
        metavar="NAME=TOL",
        help="per-metric tolerance: absolute (accuracy=0.01) or relative (loss=1%%)",
    )
    rerun.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="override a parameter (VALUE is a Python literal, else a string)",
    )
    rerun.add_argument("--timeout", type=float, metavar="S", help="seconds per cell")
    rerun.add_argument("--kernel", metavar="NAME", help="kernel (default: the notebook's)")
    rerun.add_argument("--json", **as_json)
    lock = sub.add_parser(
        "lock",
        help="exact requirements from the recorded environment",
        description="Write exact requirements (pip's format) from the recorded environment.",
        epilog=_LOCK_EPILOG,
        formatter_class=raw,
    )
    lock.add_argument("path", help="the notebook (.ipynb)")
    lock.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    lock.add_argument("--store", **store)
    lock.add_argument("--json", **as_json)
    export = sub.add_parser(
        "export",
        help="write recorded runs into an MLflow tracking store",
        description="Write recorded runs into an MLflow tracking store.",
        epilog=_EXPORT_EPILOG,
        formatter_class=raw,
    )
    export.add_argument("path", nargs="?", default=".", help="a notebook or a folder (default: .)")
    export.add_argument("--mlflow", required=True, metavar="URI", help="MLflow tracking URI")
    export.add_argument("--experiment", metavar="NAME", help="default: the notebook's name")
    export.add_argument("--store", **store)
    export.add_argument("--json", **as_json)
    serving_cli.add_parsers(sub)


def _print_json(payload: Any) -> None:
    json.dump(payload, sys.stdout, indent=2, default=repr)
    sys.stdout.write("\n")


def _sharing_command(args: argparse.Namespace) -> int:
    """Carry out verify, rerun, lock or export; return the exit status."""
    if args.command == "verify":
        from mlwork_jupyter.sharing.verify import verify_notebook

        result = verify_notebook(args.path, args.store)
        _emit(result.report(), result.as_json(), as_json=args.json)
        return result.exit_code
    if args.command == "rerun":
        from mlwork_jupyter.sharing.rerun import RerunOptions, rerun_notebook

        options = RerunOptions(
            output=Path(args.output) if args.output else None,
            tolerance=Tolerance(args.rtol, args.atol, tuple(args.tol)),
            params=tuple((name, value) for name, value in args.parameter),
            timeout=args.timeout,
            kernel_name=args.kernel,
        )
        outcome = rerun_notebook(
            args.path,
            options,
            announce=lambda line: print(f"mlwork rerun: {line}", file=sys.stderr),  # noqa: T201
        )
        _emit(outcome.report(), outcome.as_json(), as_json=args.json)
        return outcome.exit_code
    if args.command == "lock":
        from mlwork_jupyter.sharing.lock import lock_notebook

        locked = lock_notebook(args.path, args.store)
        if args.output:
            Path(args.output).write_text(locked.text(), encoding="utf-8")
        if args.json:
            _print_json(locked.as_json())
        elif args.output:
            pins = sum(e.line is not None for e in locked.entries)
            left = len(locked.entries) - pins
            sys.stdout.write(
                f"mlwork lock: wrote {pins} pins to {args.output}; {left} not reproducible by pip\n"
            )
        else:
            sys.stdout.write(locked.text())
        return 0
    from mlwork_jupyter.sharing.mlflow_export import export_to_mlflow

    exported = export_to_mlflow(
        args.mlflow, args.path, store_dir=args.store, experiment=args.experiment
    )
    if args.json:
        _print_json(exported.as_json())
    else:
        print(exported.text())  # noqa: T201
    return 0


def _emit(report: Report, payload: Any, *, as_json: bool) -> None:
    if as_json:
        _print_json(payload)
    else:
        sys.stdout.write(report.text() + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    0 ok; 1 drift (``verify``) or not reproduced (``rerun``); 2 usage or input error.
    """
    args = _build_arg_parser().parse_args(argv)
    try:
        if args.command in {"verify", "rerun", "lock", "export"}:
            return _sharing_command(args)
        if args.command in serving_cli.COMMANDS:
            return serving_cli.run(args)
        with RecordSource(args.path or ".", args.store, use_store=not args.embedded) as source:
            report, payload = record_command(source, args)
        _emit(report, payload, as_json=args.json)
    except MlworkError as exc:
        print(f"mlwork {args.command}: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    except OSError as exc:  # e.g. -o into a folder that does not exist
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(f"mlwork {args.command}: {exc.strerror or exc}{where}\n")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
