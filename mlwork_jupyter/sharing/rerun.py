"""`mlwork rerun`: execute a notebook in a fresh kernel and compare each cell with its record."""

from __future__ import annotations

import math
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mlwork_jupyter.display.report import Report, Table
from mlwork_jupyter.display.text import duration_text
from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.provenance.notebook import records_in
from mlwork_jupyter.provenance.source import Override, apply_overrides
from mlwork_jupyter.sharing.records import RecordSource
from mlwork_jupyter.sharing.tolerance import Tolerance

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlwork_jupyter.provenance.record import RunRecord

__all__ = ["RESULTS", "CellOutcome", "Check", "RerunOptions", "RerunResult", "rerun_notebook"]

RESULTS: Final = ("reproduced", "within tolerance", "differs", "failed", "not run")
_PASSING: Final = frozenset({"reproduced", "within tolerance"})
_ADDRESS: Final = re.compile(r" at 0x[0-9a-fA-F]+")


class KernelStartError(MlworkError, RuntimeError):
    """The kernel for the rerun could not be started."""


@dataclass(frozen=True, slots=True)
class RerunOptions:
    """How to rerun: where to write, tolerances, parameter overrides, limits.

    Attributes
    ----------
    output : Path or None
        The executed notebook; default ``NAME.rerun.ipynb`` beside the source.
    tolerance : Tolerance
        For metrics; data fingerprints must match exactly.
    params : tuple of (str, str)
        ``-p NAME VALUE`` overrides.
    timeout : float or None
        Seconds per cell; None: no limit (a dead kernel is still noticed within a second).
    kernel_name : str or None
        Default: the notebook's kernelspec, else ``python3``.
    """

    output: Path | None = None
    tolerance: Tolerance = field(default_factory=Tolerance)
    params: tuple[tuple[str, str], ...] = ()
    timeout: float | None = None
    kernel_name: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """One compared item of a cell: ``metric``, ``param``, ``input``, ``output`` or ``status``."""

    what: str
    name: str
    recorded: Any
    new: Any
    result: str
    note: str = ""

    def text(self) -> str:
        """Return a short description of a difference."""
        if self.what in {"input", "output"}:
            new = "missing" if self.new is None else f"{str(self.new)[:8]}"
            return f"{self.what} {self.name}: fingerprint {str(self.recorded)[:8]} -> {new}"
        return f"{self.what} {self.name}: {self.recorded} -> {self.new}" + (
            f" ({self.note})" if self.note else ""
        )


@dataclass(slots=True)
class CellOutcome:
    """The verdict on one recorded cell: one of `RESULTS`, and what was compared."""

    cell_index: int
    stage: str
    name: str
    result: str
    checks: list[Check] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form used by ``--json``."""
        return {
            "cell": self.cell_index,
            "stage": self.stage,
            "name": self.name,
            "result": self.result,
            "error": self.error,
            "checks": [
                {"what": c.what, "name": c.name, "recorded": c.recorded, "new": c.new,
                 "result": c.result, "note": c.note}
                for c in self.checks
            ],
        }  # fmt: skip


@dataclass(slots=True)
class RerunResult:
    """What `rerun_notebook` did and found."""

    notebook: str
    output: str
    kernel: str
    seconds: float
    overrides: list[Override]
    cells: list[CellOutcome]
    stopped: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every recorded cell reproduced (within tolerance), else 1."""
        ok = self.stopped is None and all(c.result in _PASSING for c in self.cells)
        return 0 if ok else 1

    def summary(self) -> str:
        """Return the one-line verdict."""
        counts = [f"{sum(c.result == r for c in self.cells)} {r}" for r in RESULTS]
        return "verdict: " + ", ".join(c for c in counts if not c.startswith("0 "))

    def report(self) -> Report:
        """Return the per-cell table with the header, the stop reason and the verdict."""
        table = Table("", ["cell", "stage", "name", "result", "details"])
        for cell in self.cells:
            details = [c.text() for c in cell.checks if c.result in {"within", "differs"}]
            if cell.error:
                details.insert(0, cell.error)
            table.rows.append(
                [str(cell.cell_index), cell.stage, cell.name, cell.result, "; ".join(details)]
            )
        ran = f"ran {self.notebook} in a fresh {self.kernel} kernel"
        notes = [f"{ran} -> {self.output} ({duration_text(self.seconds)})"]
        notes += [
            f"parameter {o.name} = {o.value!r} ({o.how} in cell {o.cell_index})"
            for o in self.overrides
        ]
        if self.stopped:
            notes.append(
                f"execution stopped in cell {self.stopped['cell']}: {self.stopped['reason']}"
            )
        notes += [*self.notes, self.summary()]
        return Report([table], notes)

    def as_json(self) -> dict[str, Any]:
        """Return the result for ``--json``."""
        return {
            "notebook": self.notebook,
            "output": self.output,
            "kernel": self.kernel,
            "seconds": self.seconds,
            "parameters": [o.as_dict() for o in self.overrides],
            "stopped": self.stopped,
            "reproduced": self.exit_code == 0,
            "cells": [c.as_dict() for c in self.cells],
            "notes": self.notes,
        }


def _stable(value: Any) -> Any:
    """Drop memory addresses from reprs (``<function f at 0x7f...>``) before comparing."""
    return _ADDRESS.sub("", value) if isinstance(value, str) else value


def _metric_checks(old: RunRecord, new: RunRecord, tol: Tolerance) -> list[Check]:
    checks = []
    for name in sorted(old.metrics.keys() | new.metrics.keys()):
        a, b = old.metrics.get(name), new.metrics.get(name)
        if a is None or b is None:
            result = "differs" if b is None else "equal"
            note = "missing in the rerun" if b is None else "new in the rerun"
            checks.append(Check("metric", name, a, b, result, note))
            continue
        verdict = tol.check(name, a, b)
        note = "" if verdict.result == "equal" else f"|diff| {abs(b - a):.3g}"
        if verdict.result in {"within", "differs"}:
            sign = "<=" if verdict.result == "within" else ">"
            note += f" {sign} {verdict.allowed:.3g}"
        elif verdict.result == "ignored" and math.isfinite(a):
            note = "timing: not compared"
        checks.append(Check("metric", name, a, b, verdict.result, note))
    return checks


def _record_checks(old: RunRecord, new: RunRecord, tol: Tolerance) -> list[Check]:
    checks = _metric_checks(old, new, tol)
    for name in sorted(old.params.keys() | new.params.keys()):
        a, b = old.params.get(name), new.params.get(name)
        result = "equal" if _stable(a) == _stable(b) else "differs"
        checks.append(Check("param", name, a, b, result))
    for what, old_refs, new_refs in (
        ("input", old.inputs, new.inputs),
        ("output", old.outputs, new.outputs),
    ):
        now = {ref.name: ref.fingerprint for ref in new_refs}
        for ref in old_refs:
            if ref.kind == "model":
                continue  # a model is named by the run that trained it: that run is checked
            digest = now.get(ref.name)
            result = "equal" if digest == ref.fingerprint else "differs"
            checks.append(Check(what, ref.name, ref.fingerprint, digest, result))
    return checks


def compare_records(
    old: RunRecord, new: RunRecord | None, tol: Tolerance
) -> tuple[str, list[Check], str | None]:
    """Return a recorded cell's verdict against its rerun: result, checks, error line."""
    if new is None:
        return "failed", [], "no record in the rerun's output"
    if new.status != old.status:
        error = new.error or f"status {new.status}"
        if new.status == "running":
            error = "the kernel died during the cell"
        return "failed" if new.status != "ok" else "differs", [], error
    checks = _record_checks(old, new, tol)
    results = {c.result for c in checks}
    if "differs" in results:
        return "differs", checks, None
    return ("within tolerance" if "within" in results else "reproduced"), checks, None


def _execute(
    nb: Any, folder: Path, output: Path, kernel: str, timeout: float | None
) -> dict[str, Any] | None:
    """Run every cell in a fresh kernel; return where and why it stopped early, or None."""
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    current: dict[str, int] = {"cell": -1}

    def on_cell_execute(**kwargs: Any) -> None:
        current["cell"] = int(kwargs["cell_index"])

    client = NotebookClient(
        nb,
        timeout=None if timeout is None else math.ceil(timeout),
        kernel_name=kernel,
        resources={"metadata": {"path": str(folder)}},
        on_cell_execute=on_cell_execute,
        record_timing=False,
    )
    env = {**os.environ, "JPY_SESSION_NAME": str(output.resolve())}
    try:
        client.execute(env=env)
    except CellTimeoutError:
        return {
            "cell": current["cell"],
            "kind": "timeout",
            "reason": f"timed out after {timeout} s",
        }
    except CellExecutionError as exc:
        name, value = getattr(exc, "ename", "") or "error", getattr(exc, "evalue", "") or ""
        reason = f"{name}: {str(value).strip().splitlines()[0] if value else ''}".rstrip(": ")
        return {"cell": current["cell"], "kind": "error", "reason": reason}
    except DeadKernelError:
        return {"cell": current["cell"], "kind": "kernel died", "reason": "the kernel died"}
    except NoSuchKernel:
        raise KernelStartError(
            f"no Jupyter kernel named {kernel!r} here; pass --kernel NAME"
        ) from None
    return None


def rerun_notebook(
    path: str | os.PathLike[str],
    options: RerunOptions | None = None,
    *,
    announce: Callable[[str], None] | None = None,
) -> RerunResult:
    """Execute a notebook in a fresh kernel and compare every recorded cell with its rerun.

    Parameters
    ----------
    path
        The notebook; it must carry records (run and saved before).
    options
        Output, tolerances, overrides, limits.
    announce
        Called once, before anything runs, with a line saying that the notebook's code will be
        executed (the command line prints it on stderr).

    Returns
    -------
    RerunResult
        ``exit_code`` 0 when every recorded cell reproduced, else 1.

    Raises
    ------
    mlwork_jupyter.errors.MlworkError
        One line: not a notebook, no records, unknown parameter, no such kernel.

    Examples
    --------
    >>> options = RerunOptions(params=(("epochs", "5"),))
    >>> result = rerun_notebook("analysis.ipynb", options)  # doctest: +SKIP
    >>> result.exit_code  # doctest: +SKIP
    1
    """
    import nbformat

    options = options or RerunOptions()
    source_path = Path(path)
    with RecordSource(source_path, use_store=False, need_notebook=True) as source:
        records, folder = source.records, source.folder
    output = options.output or source_path.with_name(source_path.stem + ".rerun.ipynb")
    nb = nbformat.read(source_path, as_version=4)  # type: ignore[no-untyped-call]
    overrides, inserted = apply_overrides(nb, list(options.params))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    kernel = options.kernel_name or nb.metadata.get("kernelspec", {}).get("name") or "python3"
    if announce is not None:
        announce(
            f"running the code of {source_path} in a fresh {kernel} kernel "
            f"(it can do anything that code does); output: {output}"
        )
    started = time.monotonic()
    when = datetime.now(UTC).isoformat()
    stopped = _execute(nb, folder, output, kernel, options.timeout)
    seconds = time.monotonic() - started
    meta = nb.metadata.setdefault("mlwork", {})
    meta["rerun"] = {
        "source": str(source_path),
        "started": when,
        "kernel": kernel,
        "parameters": {o.name: o.value for o in overrides},
        "overrides": [o.as_dict() for o in overrides],
        "tolerance": options.tolerance.as_dict(),
        "stopped": stopped,
    }
    nbformat.write(nb, output)  # type: ignore[no-untyped-call]

    def moved(index: int) -> int:
        return index + 1 if inserted is not None and index >= inserted else index

    rerun_records: dict[int, list[RunRecord]] = {}
    for record in records_in(nb):
        rerun_records.setdefault(record.cell_index, []).append(record)
    outcomes: list[CellOutcome] = []
    seen: dict[int, int] = {}
    for old in records:
        index = moved(old.cell_index)
        nth = seen[index] = seen.get(index, -1) + 1
        outcome = CellOutcome(index, old.stage, old.name, "not run")
        if stopped is None or index < stopped["cell"]:
            news = rerun_records.get(index, [])
            new = news[nth] if nth < len(news) else None
            outcome.result, outcome.checks, outcome.error = compare_records(
                old, new, options.tolerance
            )
        elif index == stopped["cell"]:
            outcome.result, outcome.error = "failed", f"{stopped['kind']}: {stopped['reason']}"
        outcomes.append(outcome)
    result = RerunResult(
        str(source_path), str(output), kernel, seconds, overrides, outcomes, stopped
    )
    if overrides:
        result.notes.append("parameters were overridden: differences may be expected")
    meta["rerun"]["result"] = {
        "exit": result.exit_code,
        "cells": [{"cell": o.cell_index, "name": o.name, "result": o.result} for o in outcomes],
    }
    nbformat.write(nb, output)  # type: ignore[no-untyped-call]
    return result
