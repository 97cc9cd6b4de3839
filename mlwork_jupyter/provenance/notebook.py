"""The records a saved notebook carries in its cell outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.provenance.record import RECORD_MIME, RunRecord

__all__ = [
    "NotANotebookError",
    "NotebookNotFoundError",
    "NotebookRecord",
    "cell_source",
    "notebook_records",
    "read_notebook",
    "records_in",
]


class NotebookNotFoundError(MlworkError, FileNotFoundError):
    """The notebook file does not exist."""


class NotANotebookError(MlworkError, ValueError):
    """The file is not a Jupyter notebook (wrong suffix, not JSON, or no cells)."""


class NotebookRecord(RunRecord):
    """A run record read from a notebook, with the index and source of the cell carrying it."""

    __slots__ = ("cell_index", "environment")
    cell_index: int
    environment: dict[str, Any]


def cell_source(cell: dict[str, Any]) -> str:
    """Return a notebook cell's source as one string (nbformat allows a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def read_notebook(path: str | Path) -> dict[str, Any]:
    """Return a notebook's JSON, or raise a one-line error: missing, or not a notebook.

    Raises
    ------
    NotebookNotFoundError
        No such file.
    NotANotebookError
        Not a ``.ipynb`` file, not JSON, or no ``cells`` list.
    """
    nb_path = Path(path)
    if not nb_path.exists():
        raise NotebookNotFoundError(f"{nb_path}: no such file")
    if nb_path.is_dir() or nb_path.suffix != ".ipynb":
        raise NotANotebookError(f"{nb_path}: not a notebook; pass a .ipynb file")
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = next((line for line in str(exc).splitlines() if line.strip()), "")
        raise NotANotebookError(
            f"{nb_path}: not a readable notebook ({reason or type(exc).__name__})"
        ) from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotANotebookError(f"{nb_path}: not a Jupyter notebook (no 'cells' list)")
    return nb


def notebook_records(path: str | Path) -> list[NotebookRecord]:
    """Return the run records embedded in a notebook file's outputs, in cell order.

    Raises
    ------
    NotebookNotFoundError, NotANotebookError
        With a one-line reason (see `read_notebook`).
    """
    return records_in(read_notebook(path))


def records_in(nb: dict[str, Any]) -> list[NotebookRecord]:
    """Return the run records embedded in an already parsed notebook's outputs, in cell order."""
    found: list[NotebookRecord] = []
    for index, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []) if isinstance(cell, dict) else []:
            data = output.get("data", {}) if isinstance(output, dict) else {}
            compact = data.get(RECORD_MIME)
            if not isinstance(compact, dict):
                continue
            try:
                base = RunRecord.from_compact(compact, code=cell_source(cell))
            except (KeyError, TypeError, ValueError):
                continue
            record = NotebookRecord(**{s: getattr(base, s) for s in RunRecord.__slots__})
            record.cell_index = index
            record.environment = compact.get("environment") or {}
            found.append(record)
    return found
