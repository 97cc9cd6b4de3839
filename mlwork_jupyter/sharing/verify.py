"""`mlwork verify`: a notebook's records against the present machine, packages and files."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mlwork_jupyter.display.report import Report, Table
from mlwork_jupyter.provenance import environment
from mlwork_jupyter.provenance.fingerprint import fingerprint_file
from mlwork_jupyter.provenance.notebook import cell_source
from mlwork_jupyter.provenance.record import code_hash
from mlwork_jupyter.sharing.drift import (
    SEVERITIES,
    Difference,
    compare_accelerators,
    compare_cuda,
    compare_env_vars,
    compare_git,
    compare_packages,
    compare_platform,
    compare_python,
)
from mlwork_jupyter.sharing.records import RecordSource

if TYPE_CHECKING:
    from mlwork_jupyter.provenance.notebook import NotebookRecord

__all__ = ["VerifyResult", "requirements_closure", "tensorflow_build_info", "verify_notebook"]

_HEADINGS: Final = {
    "major": "major: likely to change results",
    "minor": "minor: may change results",
    "info": "info: for the record",
}
_NAME: Final = re.compile(r"[-_.]+")


@dataclass(slots=True)
class VerifyResult:
    """What `verify_notebook` found.

    Attributes
    ----------
    notebook : str
        The notebook verified.
    differences : list of Difference
        Sorted by severity, then kind and name.
    checked : dict
        How much was compared: records, environments, packages, files, cells.
    notes : list of str
        What could not be compared, and why.
    """

    notebook: str
    differences: list[Difference] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def drift(self) -> list[Difference]:
        """The differences that count as drift (``major`` and ``minor``)."""
        return [d for d in self.differences if d.severity != "info"]

    @property
    def exit_code(self) -> int:
        """0 when nothing but ``info`` differs, else 1."""
        return 1 if self.drift else 0

    def summary(self) -> str:
        """Return the one-line verdict."""
        counts = {s: sum(d.severity == s for d in self.differences) for s in SEVERITIES}
        checked = ", ".join(f"{what}: {n}" for what, n in self.checked.items())
        if not self.drift:
            return f"{self.notebook}: matches its records ({checked} checked)"
        return (
            f"{self.notebook}: drift: {counts['major']} major, {counts['minor']} minor "
            f"difference(s) ({checked} checked)"
        )

    def report(self) -> Report:
        """Return the differences as tables, one per severity, with the verdict first."""
        tables = []
        for severity in SEVERITIES:
            rows = [
                [d.what, d.name, d.recorded or "-", d.present or "-", d.note]
                for d in self.differences
                if d.severity == severity
            ]
            columns = ["what", "name", "recorded", "present", "note"]
            tables.append(Table(_HEADINGS[severity], columns, rows))
        return Report(tables, [self.summary(), *self.notes])

    def as_json(self) -> dict[str, Any]:
        """Return the result for ``--json``."""
        return {
            "notebook": self.notebook,
            "clean": not self.drift,
            "differences": [d.as_dict() for d in self.differences],
            "checked": self.checked,
            "notes": self.notes,
        }


def _normalize(name: str) -> str:
    return _NAME.sub("-", name).lower()


def requirements_closure(names: set[str]) -> set[str]:
    """Return the installed distributions that `names` require, transitively (not `names`).

    Only unconditional requirements count: those behind an extra or a marker that is false
    here are left out.
    """
    from importlib import metadata

    from packaging.requirements import InvalidRequirement, Requirement

    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.distribution(name).requires or []
        except (metadata.PackageNotFoundError, ValueError):
            continue
        for line in requires:
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(_normalize(req.name))
    return seen - names


def tensorflow_build_info() -> dict[str, Any] | None:
    """Return TensorFlow's CUDA build facts by reading its build_info file, not importing it."""
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), "python/platform/build_info.py")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "build_info" for t in node.targets)
        ):
            continue
        value = node.value
        if isinstance(value, ast.Call) and value.args:  # collections.OrderedDict([...])
            value = value.args[0]
        try:
            info = dict(ast.literal_eval(value))
        except (ValueError, TypeError, SyntaxError):
            return None
        return {
            "is_cuda_build": bool(info.get("is_cuda_build", False)),
            "cuda_version": info.get("cuda_version"),
            "cudnn_version": info.get("cudnn_version"),
        }
    return None


def _dirty_beyond(notebook: Path) -> bool | None:
    """Tell whether tracked files other than the notebook have uncommitted changes."""
    try:
        done = subprocess.run(
            [
                "git",
                "status",
                "--porcelain=v1",
                "--untracked-files=no",
                "--",
                ":/",
                f":(exclude){notebook.name}",
            ],
            cwd=notebook.parent,
            capture_output=True,
            timeout=5,
            check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(done.stdout.strip()) if done.returncode == 0 else None


def _environments(source: RecordSource) -> list[dict[str, Any]]:
    """Return one view per distinct recorded environment, from the store or the records."""
    views: dict[str, dict[str, Any]] = {}
    for record in source.records:
        key = record.env_hash or f"record:{record.id}"
        summary = record.environment
        view = views.get(key)
        if view is None:
            full = source.environment(record.env_hash)
            view = views[key] = {
                "full": full,
                "python": (full or {}).get("python") or {"version": summary.get("python")},
                "platform": (full or {}).get("platform") or summary.get("platform") or {},
                "used": {},
                "all": (full or {}).get("packages"),
            }
        view["used"].update(summary.get("packages") or {})
        if view["all"] is None and isinstance(summary.get("all_packages"), dict):
            view["all"] = summary["all_packages"]
    return list(views.values())


def _environment_differences(
    source: RecordSource, present: dict[str, Any], notes: list[str]
) -> list[Difference]:
    views = _environments(source)
    used_names = {name for view in views for name in view["used"]}
    dependencies = requirements_closure(used_names)
    out: list[Difference] = []
    build: dict[str, Any] | None = None
    git_checked = False
    for view in views:
        full = view["full"]
        out += compare_python(view["python"], present.get("python") or {})
        out += compare_platform(view["platform"], present.get("platform") or {})
        out += compare_packages(
            view["used"], view["all"], present.get("packages") or {}, dependencies
        )
        if view["all"] is None:
            notes.append(
                "the records carry no full package list: only the imported packages were compared"
            )
        if full is None:
            continue
        out += compare_accelerators(
            full.get("accelerators") or [], present.get("accelerators") or []
        )
        if full.get("cuda"):
            build = build or tensorflow_build_info()
            out += compare_cuda(full["cuda"], build)
        out += compare_env_vars(full.get("env_vars") or {}, present.get("env_vars") or {})
        if "git" in full:
            git_checked = True
            dirty = None
            if source.path is not None and (present.get("git") or {}).get("dirty"):
                dirty = _dirty_beyond(source.path)
            out += compare_git(full["git"], present.get("git"), dirty_beyond_notebook=dirty)
    if not any(view["full"] for view in views):
        notes.append(
            "no store beside the notebook: GPUs, CUDA and git were not compared "
            "(the notebook's records carry Python, platform and packages only)"
        )
    elif not git_checked:
        notes.append("git state not recorded")
    return out


def _file_differences(records: list[NotebookRecord], folder: Path) -> tuple[list[Difference], int]:
    latest: dict[str, str] = {}
    written: set[str] = set()
    for record in records:
        for ref in record.inputs:
            if ref.kind == "file":
                latest[ref.name] = ref.fingerprint
        written.update(ref.name for ref in record.outputs if ref.kind == "file")
    out: list[Difference] = []
    for name, digest in latest.items():
        path = Path(name) if Path(name).is_absolute() else folder / name
        note = "the notebook also writes it" if name in written else ""
        try:
            now = fingerprint_file(path).digest
        except OSError:
            out.append(Difference("major", "file", name, digest, None, "missing " + note))
            continue
        if now != digest:
            why = "content changed" + (f"; {note}" if note else "")
            out.append(Difference("major", "file", name, digest, now, why))
    return out, len(latest)


def _code_differences(source: RecordSource) -> list[Difference]:
    out: list[Difference] = []
    cells = (source.notebook or {}).get("cells", [])
    for record in source.records:
        if not record.code_hash or record.cell_index >= len(cells):
            continue
        text = cell_source(cells[record.cell_index])
        body = text.partition("\n")[2] if text.lstrip().startswith("%%") else text
        now = code_hash(body.rstrip("\n"))
        if now != record.code_hash:
            out.append(
                Difference(
                    "minor",
                    "code",
                    f"cell {record.cell_index} ({record.name})",
                    record.code_hash[:12],
                    now[:12],
                    "edited since it ran: its outputs come from other code",
                )
            )
    return out


def _dedupe(differences: list[Difference]) -> list[Difference]:
    unique = list(dict.fromkeys(differences))
    order = {s: n for n, s in enumerate(SEVERITIES)}
    return sorted(unique, key=lambda d: (order[d.severity], d.what, d.name))


def verify_source(source: RecordSource) -> VerifyResult:
    """Verify an opened notebook source (see `verify_notebook`)."""
    notes: list[str] = []
    present = environment.snapshot(source.folder).data
    differences = _environment_differences(source, present, notes)
    files, n_files = _file_differences(source.records, source.folder)
    differences += files + _code_differences(source)
    checked = {
        "records": len(source.records),
        "packages": len(present.get("packages") or {}),
        "files": n_files,
    }
    return VerifyResult(str(source.path), _dedupe(differences), checked, list(dict.fromkeys(notes)))


def verify_notebook(
    path: str | os.PathLike[str], store_dir: str | os.PathLike[str] | None = None
) -> VerifyResult:
    """Compare a notebook's records with this machine: Python, packages, GPUs, files, git.

    Parameters
    ----------
    path
        The notebook. Its embedded records say what ran; the store beside it (or
        `store_dir`), when present, adds the full environment snapshots.
    store_dir
        Another store folder.

    Returns
    -------
    VerifyResult
        ``exit_code`` 0 when clean, 1 on drift; ``report()`` for display.

    Raises
    ------
    mlwork_jupyter.errors.MlworkError
        One line: no such file, not a notebook, no records, unreadable store.

    Examples
    --------
    >>> result = verify_notebook("example_notebooks/01_iris_random_forest.ipynb")  # doctest: +SKIP
    >>> result.exit_code  # doctest: +SKIP
    0
    """
    with RecordSource(path, store_dir, need_notebook=True) as source:
        return verify_source(source)
