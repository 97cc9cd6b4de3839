"""The records a saved notebook carries in its cell outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.provenance.record import RECORD_MIME, RunRecord

__all__ = ["NotebookRecord", "cell_source", "notebook_records", "records_in"]


class NotebookRecord(RunRecord):
    """A run record read from a notebook, with the index and source of the cell carrying it."""

    __slots__ = ("cell_index", "environment")
    cell_index: int
    environment: dict[str, Any]


def cell_source(cell: dict[str, Any]) -> str:
    """Return a notebook cell's source as one string (nbformat allows a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def notebook_records(path: str | Path) -> list[NotebookRecord]:
    """Return the run records embedded in a notebook's outputs, in cell order.

    Raises
    ------
    MlworkError
        With a one-line reason when the file is missing or is not a notebook.
    """
    nb_path = Path(path)
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MlworkError(f"{nb_path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MlworkError(f"{nb_path}: not a readable notebook ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise MlworkError(f"{nb_path}: not a Jupyter notebook (no 'cells' list)")
    return records_in(nb)


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
