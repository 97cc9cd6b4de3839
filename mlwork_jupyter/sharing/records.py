"""Where a notebook's records are read from: the store beside it, else the notebook's outputs.

Every command (`mlwork runs|show|diff|verify|lock|rerun|export`) and every `%mlwork` line
magic reads records through `RecordSource`, so that the rule for finding them, the default
store folder (`mlwork_jupyter.provenance.store.default_store_dir`) and the run-id resolver
(`mlwork_jupyter.provenance.record.resolve_run_id`) are decided once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from mlwork_jupyter.errors import MlworkError, StoreError
from mlwork_jupyter.provenance.notebook import NotebookNotFoundError, read_notebook, records_in
from mlwork_jupyter.provenance.record import resolve_run_id
from mlwork_jupyter.provenance.store import DB_NAME, Store, default_store_dir

if TYPE_CHECKING:
    import os

    from mlwork_jupyter.provenance.notebook import NotebookRecord
    from mlwork_jupyter.provenance.record import RunRecord

__all__ = ["NoRecordsError", "RecordSource"]


class NoRecordsError(MlworkError, LookupError):
    """The notebook carries no mlwork records in its outputs (nor has any in a store)."""


class RecordSource:
    """The records of a notebook or a folder, and the store they came from.

    A notebook's runs are those of the store beside it (or `store_dir`) when it holds any,
    else the records embedded in the notebook's outputs; a folder's runs are those of its
    store. Use it as a context manager: leaving it closes the store it opened.

    Parameters
    ----------
    path
        A notebook (``.ipynb``) or a folder.
    store_dir
        The store folder; default ``.mlwork`` beside the notebook (in the folder). It must
        exist when given. A default store that does not exist is not created.
    use_store
        False: read only the records embedded in the notebook (``--embedded``).
    need_notebook
        True: `path` must be a notebook that carries records (``verify``, ``lock``, ``rerun``,
        which compare what the notebook says); a store only adds environments.

    Attributes
    ----------
    path : Path or None
        The notebook file (None for a folder).
    notebook : dict or None
        The notebook as parsed JSON.
    records : list of NotebookRecord
        The records embedded in the notebook's outputs, in cell order.
    store : Store or None
        The open store, when there is one.

    Raises
    ------
    mlwork_jupyter.provenance.notebook.NotebookNotFoundError, NotANotebookError
        No such notebook or folder, or not a notebook.
    NoRecordsError
        A notebook with no records (in its outputs or, unless `need_notebook`, in a store).
    mlwork_jupyter.errors.StoreError
        No store for a folder; `store_dir` missing; a store that cannot be read.

    Examples
    --------
    >>> notebook = "example_notebooks/01_iris_random_forest.ipynb"
    >>> with RecordSource(notebook) as source:  # doctest: +SKIP
    ...     [r.name for r in source.runs()]
    ['load-iris', 'split', 'forest', 'forest-test']
    """

    path: Path | None
    notebook: dict[str, Any] | None
    records: list[NotebookRecord]
    store: Store | None
    _name: str | None
    _owns_store: bool
    _from_store: bool
    _folder: Path
    _environments: dict[str, dict[str, Any] | None]

    def __init__(
        self,
        path: str | os.PathLike[str] = ".",
        store_dir: str | os.PathLike[str] | None = None,
        *,
        use_store: bool = True,
        need_notebook: bool = False,
    ) -> None:
        target = Path(path)
        self._start(None, None, owns_store=True)
        if need_notebook or target.suffix == ".ipynb" or target.is_file():
            self.notebook = read_notebook(target)
            self.path, self._name = target, target.name
            self.records = records_in(self.notebook)
        elif not target.is_dir():
            raise NotebookNotFoundError(f"{target}: no such notebook or folder")
        self._folder = target.resolve() if self.path is None else target.resolve().parent
        folder = Path(store_dir) if store_dir else default_store_dir(target)
        if store_dir and not folder.is_dir():
            raise StoreError(f"{folder}: no such store folder")
        if use_store and (folder / DB_NAME).is_file():
            self.store = Store(folder)
            self._from_store = self.path is None or bool(
                self.store.runs(notebook=self._name, last=1, include_children=True)
            )
        if self.path is None and self.store is None:
            raise StoreError(f"no mlwork store at {folder}; pass a notebook or --store DIR")
        if self.path is not None and not self.records and (need_notebook or not self._from_store):
            self.close()
            beside = "" if need_notebook else " or in a store beside it"
            raise NoRecordsError(
                f"{target}: no mlwork records in its outputs{beside}; "
                "run its %%mlwork cells and save it"
            )

    def _start(self, store: Store | None, name: str | None, *, owns_store: bool) -> None:
        self.path = None
        self.notebook = None
        self.records = []
        self.store = store
        self._name = name
        self._owns_store = owns_store
        self._from_store = store is not None
        self._folder = Path.cwd() if store is None else store.root.resolve().parent
        self._environments = {}

    @classmethod
    def over(cls, store: Store, notebook: str | None) -> RecordSource:
        """Return a source over a store opened elsewhere (a kernel's), left open on `close`.

        `notebook` names the notebook whose runs `runs` lists; None lists every notebook's.
        """
        return _OpenStore(store, notebook)

    def __enter__(self) -> Self:
        """Return the source itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store if this source opened it."""
        self.close()

    @property
    def folder(self) -> Path:
        """The notebook's folder (where its kernel ran), or the folder the source reads."""
        return self._folder

    @property
    def from_store(self) -> bool:
        """Whether `runs` and `get` read the store (else the notebook's embedded records)."""
        return self._from_store

    def runs(
        self,
        *,
        stage: str | None = None,
        name: str | None = None,
        last: int | None = None,
        include_children: bool = False,
    ) -> list[RunRecord]:
        """Return the runs, oldest first, filtered by stage and name; the `last` ones only."""
        if self._from_store:
            assert self.store is not None
            return self.store.runs(
                stage=stage,
                name=name,
                notebook=self._name,
                last=last,
                include_children=include_children,
            )
        found: list[RunRecord] = [
            r
            for r in self.records
            if stage in (None, r.stage)
            and name in (None, r.name)
            and (include_children or r.parent is None)
        ]
        return found[-last:] if last else found

    def get(self, ref: str) -> RunRecord:
        """Return the run named by its id, a unique prefix or suffix of it, or ``last``."""
        if self._from_store:
            assert self.store is not None
            return self.store.get_run(ref)
        by_id = {r.id: r for r in reversed(self.records)}  # the first copy of a pasted record
        return by_id[resolve_run_id(ref, [r.id for r in self.records])]

    def environment(self, env_hash: str | None) -> dict[str, Any] | None:
        """Return the full environment snapshot with this hash from the store, if it has one."""
        if self.store is None or not env_hash:
            return None
        if env_hash not in self._environments:
            self._environments[env_hash] = self.store.environment(env_hash)
        return self._environments[env_hash]

    def series(self, run_id: str) -> dict[str, list[tuple[int, float]]]:
        """Return a run's metric series from the store (none for embedded records)."""
        return self.store.series(run_id) if self.store is not None else {}

    def close(self) -> None:
        """Close the store, if this source opened it."""
        if self.store is not None and self._owns_store:
            self.store.close()
        self.store = None


class _OpenStore(RecordSource):
    """A source over a store that its owner (a kernel's workbench) opened and will close."""

    def __init__(self, store: Store, notebook: str | None) -> None:
        self._start(store, notebook, owns_store=False)
