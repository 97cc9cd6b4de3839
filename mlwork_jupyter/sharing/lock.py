"""`mlwork lock`: exact requirements (pip's format) from the environment a notebook recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.sharing.records import RecordSource

if TYPE_CHECKING:
    import os


__all__ = ["LockEntry", "LockResult", "lock_entries", "lock_notebook"]


@dataclass(frozen=True, slots=True)
class LockEntry:
    """One recorded package as a requirement line, or a note on why pip cannot reproduce it.

    Attributes
    ----------
    name, version : str
        As recorded (normalized name).
    line : str or None
        The requirement (``name==version``, ``name===version`` or ``name @ URL``); None
        when pip cannot install the package from a requirements file.
    note : str
        Why not, or what else it needs.
    """

    name: str
    version: str
    line: str | None
    note: str = ""


@dataclass(slots=True)
class LockResult:
    """The lock of one notebook's recorded environment."""

    notebook: str
    env_hash: str | None
    python: str | None
    platform: str | None
    entries: list[LockEntry]
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """Return the requirements file: header, pins, then what pip cannot reproduce."""
        head = [
            f"# Exact pins of the environment recorded in {self.notebook}",
            f"# by `mlwork lock`: environment {self.env_hash or 'unknown'},",
            f"# Python {self.python or '?'} on {self.platform or '?'}.",
            "# Install into a fresh virtual environment: pip install -r THIS_FILE",
            *(f"# note: {n}" for n in self.notes),
        ]
        pins = [e.line + (f"  # {e.note}" if e.note else "") for e in self.entries if e.line]
        rest = [f"# {e.name}=={e.version}: {e.note}" for e in self.entries if e.line is None]
        if rest:
            rest.insert(0, "# Not reproducible by pip from this file:")
        return "\n".join([*head, *pins, *rest]) + "\n"

    def as_json(self) -> dict[str, Any]:
        """Return the lock for ``--json``."""
        return {
            "notebook": self.notebook,
            "environment": self.env_hash,
            "python": self.python,
            "platform": self.platform,
            "requirements": [
                {"name": e.name, "version": e.version, "line": e.line, "note": e.note}
                for e in self.entries
            ],
            "notes": self.notes,
        }


def _pin(name: str, version: str) -> LockEntry:
    from packaging.version import InvalidVersion, Version

    try:
        parsed = Version(version)
    except InvalidVersion:
        return LockEntry(name, version, f"{name}==={version}", "not a PEP 440 version")
    note = ""
    if parsed.local:
        note = f"a local build (+{parsed.local}): needs the index that served it"
    return LockEntry(name, version, f"{name}=={version}", note)


def lock_entries(packages: dict[str, str], origins: dict[str, str]) -> list[LockEntry]:
    """Turn recorded packages and their origins into requirement lines, sorted by name.

    Parameters
    ----------
    packages
        Normalized name -> version.
    origins
        Normalized name -> ``editable:/path`` or ``url:URL`` (from ``direct_url.json``).

    Examples
    --------
    >>> [e.line for e in lock_entries({"numpy": "2.4.6", "mine": "0.1"}, {"mine": "editable:/src"})]
    [None, 'numpy==2.4.6']
    """
    out = []
    for name, version in sorted(packages.items()):
        origin = origins.get(name, "")
        if origin.startswith("editable:"):
            path = origin.removeprefix("editable:")
            out.append(
                LockEntry(name, version, None, f"editable install of {path}: pip install -e it")
            )
        elif origin.startswith("url:"):
            url = origin.removeprefix("url:")
            if url.startswith("file:") or "[secret]" in url:
                where = "a local file" if url.startswith("file:") else "a URL with credentials"
                out.append(LockEntry(name, version, None, f"installed from {where}: {url}"))
            else:
                out.append(LockEntry(name, version, f"{name} @ {url}"))
        else:
            out.append(_pin(name, version))
    return out


def _full_packages(
    source: RecordSource,
) -> tuple[str | None, dict[str, str], dict[str, str], list[str]]:
    """Return the environment to lock: its hash, packages, origins, and notes on the choice."""
    notes: list[str] = []
    last = source.records[-1]
    full = source.environment(last.env_hash)
    if full and full.get("packages"):
        return last.env_hash, dict(full["packages"]), dict(full.get("package_origins") or {}), notes
    for record in reversed(source.records):
        listed = record.environment.get("all_packages")
        if isinstance(listed, dict) and listed:
            if record.env_hash != last.env_hash:
                notes.append(f"the full package list comes from an earlier run ({record.id})")
            notes.append("no store beside the notebook: editable and URL installs are not known")
            return record.env_hash, dict(listed), {}, notes
    used: dict[str, str] = {}
    for record in source.records:
        used.update(record.environment.get("packages") or {})
    notes.append("only the imported packages were recorded: pip resolves the rest")
    return last.env_hash, used, {}, notes


def lock_notebook(
    path: str | os.PathLike[str], store_dir: str | os.PathLike[str] | None = None
) -> LockResult:
    """Return exact requirements for the environment of a notebook's latest record.

    The full package list comes from the store beside the notebook (which also knows editable
    and URL installs), else from the list the notebook's first record per kernel carries.

    Raises
    ------
    mlwork_jupyter.errors.MlworkError
        One line: no such file, not a notebook, no records, unreadable store.

    Examples
    --------
    >>> lock = lock_notebook("example_notebooks/01_iris_random_forest.ipynb")  # doctest: +SKIP
    >>> print(lock.text())  # doctest: +SKIP
    """
    with RecordSource(path, store_dir, need_notebook=True) as source:
        env_hash, packages, origins, notes = _full_packages(source)
        last = source.records[-1]
        full = source.environment(env_hash) or {}
        python = (full.get("python") or {}).get("version") or last.environment.get("python")
        platform = (full.get("platform") or {}).get("platform") or last.environment.get("platform")
        return LockResult(
            str(source.path), env_hash, python, platform, lock_entries(packages, origins), notes
        )
