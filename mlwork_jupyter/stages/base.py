"""The workbench: runs a cell's code in the user's namespace and records what it did."""

from __future__ import annotations

import ast
import contextlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import xxhash

from mlwork_jupyter.errors import StoreError, error_line
from mlwork_jupyter.provenance import audit, environment, secrets
from mlwork_jupyter.provenance.fingerprint import (
    Fingerprint,
    data_kind,
    fingerprint_file,
    fingerprint_value,
)
from mlwork_jupyter.provenance.record import (
    DataRef,
    RunRecord,
    code_hash,
    code_sha256,
    new_run_id,
)
from mlwork_jupyter.provenance.store import Store
from mlwork_jupyter.stages.lineage import Lineage
from mlwork_jupyter.stages.namespace import NamespaceSnapshot, cell_names
from mlwork_jupyter.stages.run import ActiveRun
from mlwork_jupyter.stages.training_data import TrainingData, TrainingRows, is_model, is_table

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator
    from types import CodeType

    from mlwork_jupyter.display.output import Output

__all__ = ["CellRequest", "OpenCell", "Stage", "Workbench"]


@dataclass(slots=True)
class CellRequest:
    """One `%%mlwork` cell to run: its stage options, code and identity."""

    code: str
    name: str | None = None
    cell_id: str | None = None
    options: argparse.Namespace | None = None
    filename: str = "<mlwork-cell>"
    first_line: int = 2
    # The whole cell as the front end holds it, `%%mlwork` line included (for `code_sha256`).
    source: str | None = None


class Stage:
    """A workload stage. Subclasses add capture around the cell body in `around`."""

    name: ClassVar[str] = ""

    def __init__(self, output: Output | None = None) -> None:
        self.output = output
        # The user's namespace while the cell runs (set before `around` is entered).
        self.namespace: dict[str, Any] = {}

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add this stage's own options to its `%%mlwork STAGE` parser."""

    def prepare(self, request: CellRequest) -> None:
        """Check and set up before the run exists; a `MlworkError` here means bad options."""
        del request

    @property
    def runs_here(self) -> bool:
        """Whether IPython runs the body in this kernel (False: `run_body` sends it elsewhere)."""
        return True

    @contextlib.contextmanager
    def around(self, run: ActiveRun, request: CellRequest) -> Iterator[None]:
        """Wrap the cell body: patch what to capture, restore it on every exit path."""
        del run, request
        yield

    def run_body(
        self,
        request: CellRequest,
        namespace: dict[str, Any],
        code: CodeType,
        last_expr: CodeType | None,
    ) -> Any:
        """Run the compiled cell body in `namespace` (inside `around`); return its last value.

        A stage that runs the body elsewhere (on a cluster) overrides this.
        """
        del request
        exec(code, namespace)  # noqa: S102 - running the user's cell is the point
        return None if last_expr is None else eval(last_expr, namespace)  # noqa: S307


_TRAINING_STAGES = frozenset({"train", "tune"})


def _default_name(request: CellRequest) -> str:
    if request.cell_id:
        return request.cell_id
    first = next((line for line in request.code.splitlines() if line.strip()), "")
    return "cell-" + xxhash.xxh3_64_hexdigest(first.strip().encode())[:8]


def _ref(kind_name: str, fp: Fingerprint) -> DataRef:
    return DataRef(
        kind=fp.kind,
        name=kind_name,
        fingerprint=fp.digest,
        method=fp.method,
        shape=None if fp.shape is None else list(fp.shape),
        schema=fp.schema,
        size=fp.size,
    )


def _declared_params(code: str) -> dict[str, Any]:
    """Return the `# @param` assignments of a cell as its source says them (Colab's syntax)."""
    if "@param" not in code:
        return {}
    from mlwork_jupyter.provenance.source import find_assignments

    params: dict[str, Any] = {}
    for found in find_assignments(code).values():
        if found.is_param:
            try:
                params[found.name] = ast.literal_eval(found.text)
            except (ValueError, SyntaxError):
                params[found.name] = found.text  # an expression: recorded as written
    return params


@dataclass(slots=True)
class _CellState:
    """What the workbench learns about a cell before, during and after it runs."""

    before: NamespaceSnapshot
    reads: dict[str, Fingerprint] = field(default_factory=dict)
    read_values: dict[str, object] = field(default_factory=dict)
    files: audit.FileAccessLog | None = None
    outcome: BaseException | None = None
    env_summary: dict[str, Any] = field(default_factory=dict)
    # Top-level modules the cell imports or whose values it read or bound: its card's packages.
    modules: frozenset[str] = frozenset()
    card: Any = None
    declared: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class OpenCell:
    """A cell whose run `Workbench.begin` opened and `Workbench.end` will close."""

    run: ActiveRun
    stage: Stage
    stores: frozenset[str]
    state: _CellState
    stack: contextlib.ExitStack[bool | None] = field(default_factory=contextlib.ExitStack)


class Workbench:
    """Everything one kernel needs to run and record `%%mlwork` cells.

    Parameters
    ----------
    store_dir
        Folder of the store (`.mlwork/` beside the notebook by default).
    notebook
        The notebook's name as records carry it.
    output
        Where cards and warnings are shown.
    sample_rows
        Fingerprint frames with more rows than this from an even sample (opt-in).
    notebook_path
        The notebook file, when the kernel knows it (for `%mlwork verify`).
    """

    def __init__(
        self,
        store_dir: Path,
        notebook: str,
        output: Output,
        sample_rows: int | None = None,
        notebook_path: Path | None = None,
    ) -> None:
        self.store_dir = store_dir
        self.notebook_path = notebook_path
        self.notebook = notebook
        self.output = output
        self.sample_rows = sample_rows
        self.lineage = Lineage()
        self.training = TrainingData()
        self._store: Store | None = None
        self._store_error: str | None = None
        self._full_env_sent: str | None = None
        audit.install()

    # --- store ---------------------------------------------------------------------------

    def store(self) -> Store | None:
        """Return the open store, opening it on first use; None (with a reason) if it fails."""
        if self._store is None:
            try:
                self._store = Store(self.store_dir)
            except StoreError as exc:
                self._store_error = str(exc)
                return None
            self._store_error = None
        return self._store

    @property
    def store_error(self) -> str | None:
        """Why the store could not be opened, if it could not."""
        return self._store_error

    def close(self) -> None:
        """Close the store."""
        if self._store is not None:
            self._store.close()
            self._store = None

    # --- running a cell ------------------------------------------------------------------

    def _fingerprint(self, value: object) -> Fingerprint | None:
        try:
            return fingerprint_value(value, sample_rows=self.sample_rows)
        except Exception:  # an exotic array type must not break the user's cell
            return None

    def _environment(self, run: ActiveRun, modules: frozenset[str]) -> dict[str, Any]:
        """Store the environment; return the card's summary, its packages those of `modules`."""
        snap = environment.snapshot()
        run.record.env_hash = snap.hash
        store = run.store
        if store is not None:
            try:
                if not store.has_environment(snap.hash):
                    store.put_environment(snap.hash, snap.data)
            except Exception as exc:
                run.warn(f"environment not stored ({exc})")
        summary: dict[str, Any] = {
            "hash": snap.hash,
            "python": snap.data.get("python", {}).get("version"),
            "platform": snap.data.get("platform", {}).get("platform"),
            "packages": environment.packages_in_use(snap, modules),
        }
        if self._full_env_sent != snap.hash:
            summary["all_packages"] = snap.data.get("packages", {})
            self._full_env_sent = snap.hash
        return summary

    def _reads(self, loads: frozenset[str], namespace: dict[str, Any]) -> _CellState:
        state = _CellState(before=NamespaceSnapshot(namespace))
        for name in sorted(loads):
            value = namespace.get(name)
            if value is not None and data_kind(value) is not None:
                fp = self._fingerprint(value)
                if fp is not None:
                    state.reads[name] = fp
                    state.read_values[name] = value
        return state

    def _start(
        self, record: RunRecord, modules: frozenset[str]
    ) -> tuple[ActiveRun, dict[str, Any]]:
        """Open the run: the store (if it can be had), the environment, the `running` row."""
        run = ActiveRun(record, self.store())
        if run.store is None:
            run.warn(f"store unavailable ({self._store_error}); this record is in the output only")
        env_summary = self._environment(run, modules)
        if run.store is not None:
            try:
                run.store.start_run(record)
            except Exception as exc:
                run.warn(f"store write failed ({exc}); this record is in the output only")
                run.store = None
        return run, env_summary

    def open_run(self, stage: str, name: str, code: str) -> tuple[ActiveRun, dict[str, Any]]:
        """Start a run that no `%%mlwork` cell wraps (the stand-alone Keras callback)."""
        record = RunRecord(
            id=new_run_id(),
            stage=stage,
            name=secrets.mask_text(name),
            code=secrets.mask_text(code),
            code_hash=code_hash(code),
            notebook=self.notebook,
        )
        # The callback is Keras': its module is in use whatever the cell imports.
        keras = [sys.modules["keras"]] if "keras" in sys.modules else []
        modules = environment.imported_modules(code) | environment.value_modules(keras)
        return self._start(record, modules)

    def close_run(self, run: ActiveRun, env_summary: dict[str, Any], status: str) -> None:
        """Finish a run from `open_run`: final status, store, and its card in the output."""
        record = run.record
        record.ended = time.time()
        record.status = status
        run.finish()
        self.output.update_card(None, record.compact(env_summary))

    def begin(self, stage: Stage, request: CellRequest, namespace: dict[str, Any]) -> OpenCell:
        """Open the run of a cell about to run: its record, card, patches and audit hook.

        Raises `SyntaxError` (before anything is recorded) when the body does not parse.
        `end` closes what this opened, on every path.
        """
        names = cell_names(ast.parse(request.code))
        record = RunRecord(
            id=new_run_id(),
            stage=stage.name,
            name=secrets.mask_text(request.name or _default_name(request)),
            code=secrets.mask_text(request.code),
            code_hash=code_hash(request.code),
            code_sha256=None if request.source is None else code_sha256(request.source),
            notebook=self.notebook,
            cell_id=request.cell_id,
        )
        state = self._reads(names.loads, namespace)
        for line in self.lineage.stale({k: fp.digest for k, fp in state.reads.items()}):
            self.output.warning(line)
        loaded = [namespace[n] for n in names.loads if n in namespace]
        state.modules = environment.imported_modules(request.code) | environment.value_modules(
            loaded
        )
        run, state.env_summary = self._start(record, state.modules)
        state.declared = _declared_params(request.code)
        if state.declared:
            run.log_params(state.declared)
            run.declared = frozenset(state.declared)
        state.card = self.output.card(record.compact(state.env_summary))
        state.before = NamespaceSnapshot(namespace)
        cell = OpenCell(run, stage, names.stores, state)
        stage.namespace = namespace
        run.reads = {name: namespace[name] for name in names.loads if name in namespace}
        run.training = self.training
        try:
            state.files = cell.stack.enter_context(
                audit.watching(exclude=[str(self.store_dir.resolve())])
            )
            cell.stack.enter_context(stage.around(run, request))
        except BaseException as exc:
            self.end(cell, namespace, exc)
            raise
        run.activate()
        return cell

    def end(self, cell: OpenCell, namespace: dict[str, Any], outcome: BaseException | None) -> None:
        """Close a cell's run: undo the patches, then record the outcome and the data written.

        `outcome` is the exception the body raised (None: it ran to the end). An exception
        from closing the stage's own wrappers is kept as a warning, never raised over the
        user's outcome.
        """
        cell.run.deactivate()
        state = cell.state
        state.outcome = outcome
        try:
            if outcome is None:
                cell.stack.close()
            else:
                cell.stack.__exit__(type(outcome), outcome, outcome.__traceback__)
        except Exception as exc:
            if exc is not outcome:
                cell.run.warn(f"closing the {cell.stage.name} stage failed ({error_line(exc)})")
                self.output.warning(cell.run.record.warnings[-1])
        finally:
            self._finish(cell.run, namespace, cell.stores, state)

    def run_cell(
        self,
        stage: Stage,
        request: CellRequest,
        namespace: dict[str, Any],
        code: CodeType,
        last_expr: CodeType | None,
    ) -> Any:
        """Run compiled cell code through `stage.run_body`, recording it (the cell-magic path).

        The user's exception propagates unchanged after the run is recorded as `error` (or
        `interrupted` for KeyboardInterrupt).
        """
        cell = self.begin(stage, request, namespace)
        outcome: BaseException | None = None
        try:
            return stage.run_body(request, namespace, code, last_expr)
        except BaseException as exc:
            outcome = exc
            raise
        finally:
            self.end(cell, namespace, outcome)

    def _written(
        self, namespace: dict[str, Any], stores: frozenset[str], state: _CellState
    ) -> dict[str, Fingerprint]:
        """Return the data values the cell bound, rebound or changed in place."""
        written: dict[str, Fingerprint] = {}
        changed = set(state.before.rebound(namespace)) | (stores & namespace.keys())
        for name in sorted(changed | state.read_values.keys()):
            value = namespace.get(name)
            if value is None or data_kind(value) is None:
                if name in changed:
                    self.lineage.forget(name)
                continue
            fp = self._fingerprint(value)
            if fp is not None and (
                name not in state.reads or fp.digest != state.reads[name].digest
            ):
                written[name] = fp
        return written

    def _model_refs(
        self, run: ActiveRun, namespace: dict[str, Any], state: _CellState
    ) -> list[DataRef]:
        """Return the models the cell read (and did not rebind), each with the run that made it.

        A model's reference is the run that trained it (`method` ``"run"``, the run id as its
        fingerprint), or ``"unrecorded"`` when no recorded cell of this kernel trained it.
        """
        refs = []
        for name, value in sorted(run.reads.items()):
            rebound = name in namespace and namespace[name] is not value
            if rebound or name in state.reads or not is_model(value):
                continue
            rows = self.training.for_values([value])
            cls = type(value)
            refs.append(
                DataRef(
                    kind="model",
                    name=name,
                    fingerprint="" if rows is None else rows.run_id,
                    method="unrecorded" if rows is None else "run",
                    schema={"class": f"{cls.__module__}.{cls.__qualname__}"},
                )
            )
        return refs

    @staticmethod
    def _file_refs(paths: set[str]) -> list[DataRef]:
        refs = []
        cwd = Path.cwd()
        for path in sorted(paths):
            try:
                fp = fingerprint_file(path)
            except OSError:
                continue  # written then deleted (a temporary file): nothing to version
            shown = Path(path)
            with contextlib.suppress(ValueError):
                shown = shown.relative_to(cwd)
            refs.append(_ref(str(shown), fp))
        return refs

    def _finish(
        self, run: ActiveRun, namespace: dict[str, Any], stores: frozenset[str], state: _CellState
    ) -> None:
        record = run.record
        record.ended = time.time()
        outcome = state.outcome
        if outcome is None and run.failure is not None:
            record.status = "error"
            record.error = secrets.mask_text(run.failure)
        elif outcome is None:
            record.status = "ok"
        elif isinstance(outcome, KeyboardInterrupt):
            record.status = "interrupted"
            record.error = "KeyboardInterrupt"
        else:
            record.status = "error"
            record.error = secrets.mask_text(error_line(outcome))
        written = self._written(namespace, stores, state)
        record.inputs = [_ref(name, fp) for name, fp in state.reads.items()]
        record.inputs += self._model_refs(run, namespace, state)
        record.outputs = [_ref(name, fp) for name, fp in written.items()]
        if state.files is not None:
            record.inputs += self._file_refs(state.files.reads)
            record.outputs += self._file_refs(state.files.writes)
        self.lineage.record(
            record.id,
            record.name,
            record.stage,
            {name: fp.digest for name, fp in state.reads.items()},
            {name: fp.digest for name, fp in written.items()},
        )
        if record.status == "ok" and record.stage in _TRAINING_STAGES:
            self._note_training(run, namespace, state)
        self._packages_written(namespace, stores, state)
        run.reads = {}
        run.finish()
        self.output.update_card(state.card, record.compact(state.env_summary))

    @staticmethod
    def _packages_written(
        namespace: dict[str, Any], stores: frozenset[str], state: _CellState
    ) -> None:
        """Add the packages of the values the cell bound to its card's (a fitted model's)."""
        bound = environment.value_modules(namespace[n] for n in stores if n in namespace)
        if bound <= state.modules or "packages" not in state.env_summary:
            return
        snap = environment.snapshot()
        if snap.hash == state.env_summary.get("hash"):  # the versions the run recorded
            state.modules |= bound
            state.env_summary["packages"] = environment.packages_in_use(snap, state.modules)

    def _note_training(self, run: ActiveRun, namespace: dict[str, Any], state: _CellState) -> None:
        """Keep the row hashes of the tables a train run read, for the leakage check."""
        # The models it bound, and the ones it read (a model built earlier and fit here).
        candidates = [namespace[n] for n in state.before.rebound(namespace)]
        models = [v for v in [*candidates, *run.reads.values()] if is_model(v)]
        tables = {n: v for n, v in state.read_values.items() if is_table(v)}
        if not models:
            return
        from mlwork_jupyter.ml.evaluation import row_hashes

        rows = TrainingRows(run.record.id, run.record.name)
        for name, value in tables.items():
            try:
                hashes = row_hashes(value)
            except Exception as exc:  # an exotic table type: no leakage check against it
                run.warn(f"rows of {name!r} not hashed ({error_line(exc)})")
                continue
            rows.hashes[name] = hashes
            if run.store is not None:
                try:
                    run.store.put_row_hashes(run.record.id, name, hashes.astype("<u8").tobytes())
                except Exception as exc:
                    run.warn(f"row hashes of {name!r} not stored ({error_line(exc)})")
        self.training.note(rows, models)
