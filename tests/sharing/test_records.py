"""`RecordSource`: the one rule for where a notebook's records are read from."""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING

import nbformat
import pytest

from mlwork_jupyter.errors import RunNotFoundError, StoreError
from mlwork_jupyter.provenance.notebook import NotebookNotFoundError
from mlwork_jupyter.provenance.record import RECORD_MIME, RunRecord, new_run_id
from mlwork_jupyter.provenance.store import Store, default_store_dir
from mlwork_jupyter.sharing.records import NoRecordsError, RecordSource

if TYPE_CHECKING:
    from pathlib import Path


_SECONDS = itertools.count()


def _record(name: str, notebook: str = "nb.ipynb") -> RunRecord:
    return RunRecord(
        id=new_run_id(time.time() + next(_SECONDS)),  # ids sort in the order made
        stage="data",
        name=name,
        code="x = 1",
        code_hash="h",
        notebook=notebook,
        status="ok",
        ended=time.time(),
    )


def _notebook(path: Path, *records: RunRecord) -> Path:
    nb = nbformat.v4.new_notebook()
    for record in records:
        cell = nbformat.v4.new_code_cell(f"%%mlwork data --name {record.name}\nx = 1")
        cell.outputs = [
            nbformat.v4.new_output("display_data", data={RECORD_MIME: record.compact()})
        ]
        nb.cells.append(cell)
    nbformat.write(nb, path)
    return path


def _store(folder: Path, *records: RunRecord) -> None:
    with Store(default_store_dir(folder)) as store:
        for record in records:
            store.start_run(record)
            store.finish_run(record)


def test_a_notebook_reads_its_store_when_that_holds_its_runs(tmp_path):
    embedded = _record("embedded")
    stored = [_record("a"), _record("b"), _record("other", notebook="other.ipynb")]
    _store(tmp_path, *stored)
    with RecordSource(_notebook(tmp_path / "nb.ipynb", embedded)) as source:
        assert source.from_store
        assert [r.name for r in source.runs()] == ["a", "b"]
        assert [r.name for r in source.records] == ["embedded"]
        assert source.get("last").name == "other"  # ids name runs of any notebook, as before
        assert source.get(stored[0].id[-8:]).name == "a"
    assert source.store is None  # closed on leaving


def test_else_its_embedded_records(tmp_path):
    first, second = _record("first"), _record("second")
    _store(tmp_path, _record("other", notebook="other.ipynb"))
    path = _notebook(tmp_path / "nb.ipynb", first, second, first)  # a pasted copy of a card
    with RecordSource(path) as source:
        assert not source.from_store
        assert [r.name for r in source.runs(last=2)] == ["second", "first"]
        assert source.get("last").id == first.id
        assert source.get(first.id[:12]).name == "first"
        with pytest.raises(RunNotFoundError, match="no run matches"):
            source.get("ZZZZ")
    with RecordSource(path, use_store=False) as source:
        assert source.store is None
        assert source.environment("anything") is None
        assert source.series(first.id) == {}


def test_a_folder_needs_its_store(tmp_path):
    with pytest.raises(StoreError, match="no mlwork store"):
        RecordSource(tmp_path)
    _store(tmp_path, _record("a"), _record("b", notebook="other.ipynb"))
    with RecordSource(tmp_path) as source:
        assert [r.name for r in source.runs()] == ["a", "b"]
        assert source.folder == tmp_path.resolve()


def test_one_line_errors(tmp_path):
    with pytest.raises(NotebookNotFoundError, match="no such file"):
        RecordSource(tmp_path / "missing.ipynb")
    with pytest.raises(NotebookNotFoundError, match="no such notebook or folder"):
        RecordSource(tmp_path / "missing")
    empty = _notebook(tmp_path / "nb.ipynb")
    with pytest.raises(NoRecordsError, match="no mlwork records in its outputs or in a store"):
        RecordSource(empty)
    _store(tmp_path, _record("stored"))
    assert RecordSource(empty).runs()[0].name == "stored"
    with pytest.raises(NoRecordsError, match="no mlwork records in its outputs; run"):
        RecordSource(empty, need_notebook=True)
    with pytest.raises(StoreError, match="no such store folder"):
        RecordSource(empty, tmp_path / "elsewhere")


def test_over_a_kernels_store_leaves_it_open(tmp_path):
    store = Store(tmp_path / ".mlwork")
    store.start_run(_record("a"))
    with RecordSource.over(store, "nb.ipynb") as source:
        assert [r.name for r in source.runs()] == ["a"]
    assert store.count() == 1
    store.close()
