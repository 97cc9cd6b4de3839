"""A notebook, the records its outputs carry, and the store beside it when there is one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import MlworkError, StoreError
from mlwork_jupyter.provenance.notebook import NotebookRecord, cell_source, records_in
from mlwork_jupyter.provenance.store import DB_NAME, Store

if TYPE_CHECKING:
    import os

__all__ = [
    "NoRecordsError",
    "NotANotebookError",
    "NotebookNotFoundError",
    "RecordSource",
    "cell_source",
    "open_source",
    "read_notebook",
]


class NotebookNotFoundError(MlworkError, FileNotFoundError):
    """The notebook file does not exist."""


class NotANotebookError(MlworkError, ValueError):
    """The file is not a Jupyter notebook (wrong suffix, not JSON, or no cells)."""


class NoRecordsError(MlworkError, LookupError):
    """The notebook carries no mlwork records in its outputs."""


@dataclass
class RecordSource:
    """What the sharing commands read: the notebook JSON, its records, and maybe a store.

    Attributes
    ----------
    path : Path
        The notebook file.
    notebook : dict
        The notebook as parsed JSON.
    records : list of NotebookRecord
        The records embedded in its outputs, in cell order.
    store : Store or None
        The store beside the notebook (or the one asked for), when it exists.
    """

    path: Path
    notebook: dict[str, Any]
    records: list[NotebookRecord]
    store: Store | None = None
    _environments: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """The notebook's folder, where its kernel ran and relative file names start."""
        return self.path.resolve().parent

    def environment(self, env_hash: str | None) -> dict[str, Any] | None:
        """Return the full environment snapshot with this hash from the store, if it has one."""
        if self.store is None or not env_hash:
            return None
        if env_hash not in self._environments:
            self._environments[env_hash] = self.store.environment(env_hash)
        return self._environments[env_hash]

    def close(self) -> None:
        """Close the store, if one is open."""
        if self.store is not None:
            self.store.close()
            self.store = None


def read_notebook(path: Path) -> dict[str, Any]:
    """Return a notebook's JSON, or raise a one-line error: missing, or not a notebook."""
    if not path.exists():
        raise NotebookNotFoundError(f"{path}: no such file")
    if path.is_dir() or path.suffix != ".ipynb":
        raise NotANotebookError(f"{path}: not a notebook; pass a .ipynb file")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NotANotebookError(f"{path}: not a readable notebook ({reason})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotANotebookError(f"{path}: not a Jupyter notebook (no 'cells' list)")
    return nb


def open_source(
    path: str | os.PathLike[str],
    store_dir: str | os.PathLike[str] | None = None,
    *,
    use_store: bool = True,
) -> RecordSource:
    """Read a notebook and its records; open the store beside it (or `store_dir`) if present.

    Parameters
    ----------
    path
        The notebook (``.ipynb``).
    store_dir
        The store folder; default ``.mlwork`` beside the notebook. A store that does not
        exist is not created: the records in the notebook are used alone.
    use_store
        False: ignore any store.

    Returns
    -------
    RecordSource
        Close it (``close()``) when done.

    Raises
    ------
    NotebookNotFoundError, NotANotebookError, NoRecordsError
        With a one-line reason.
    mlwork_jupyter.errors.StoreError
        The store exists but cannot be read.

    Examples
    --------
    >>> source = open_source("example_notebooks/01_iris_random_forest.ipynb")  # doctest: +SKIP
    >>> [r.name for r in source.records]  # doctest: +SKIP
    ['load-iris', 'split', 'forest', 'forest-test']
    """
    nb_path = Path(path)
    nb = read_notebook(nb_path)
    records = records_in(nb)  # parsed once, above
    if not records:
        raise NoRecordsError(
            f"{nb_path}: no mlwork records in its outputs; run its %%mlwork cells and save it"
        )
    store = None
    if use_store:
        folder = Path(store_dir) if store_dir else nb_path.resolve().parent / ".mlwork"
        if store_dir and not folder.is_dir():
            raise StoreError(f"{folder}: no such store folder")
        if (folder / DB_NAME).exists():
            store = Store(folder)
    return RecordSource(nb_path, nb, records, store)
