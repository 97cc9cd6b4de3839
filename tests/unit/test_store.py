import sqlite3
import subprocess
import sys
import time

import pytest

from mlwork_jupyter.errors import RunNotFoundError, StoreError
from mlwork_jupyter.provenance.record import DataRef, RunRecord, new_run_id
from mlwork_jupyter.provenance.store import SCHEMA_VERSION, Store, process_token


def _record(**kw):
    base = {
        "id": new_run_id(),
        "stage": "data",
        "name": "n",
        "code": "x = 1",
        "code_hash": "h",
        "notebook": "nb.ipynb",
    }
    return RunRecord(**{**base, **kw})


def test_run_round_trip(tmp_path):
    store = Store(tmp_path / ".mlwork")
    rec = _record()
    store.start_run(rec)
    assert store.get_run(rec.id).status == "running"
    rec.status, rec.ended = "ok", time.time()
    rec.params = {"lr": 0.1, "layers": [3, 4]}
    rec.metrics = {"acc": 0.5}
    rec.inputs = [DataRef("frame", "df", "ab" * 16, shape=[3, 2], schema={"a": "int64"})]
    store.finish_run(rec)
    store.append_series(rec.id, [("loss", 0, 1.0, 0.0), ("loss", 1, 0.5, 0.1)])
    got = store.get_run(rec.id[:14])
    assert got.status == "ok"
    assert got.params == {"lr": 0.1, "layers": [3, 4]}
    assert got.metrics == {"acc": 0.5}
    assert got.inputs[0].shape == [3, 2]
    assert store.series(rec.id) == {"loss": [(0, 1.0), (1, 0.5)]}
    assert store.get_run("last").id == rec.id
    assert store.get_run(rec.id[-8:]).id == rec.id
    assert store.get_run("…" + rec.id[-8:]).id == rec.id


def test_run_ids_sort_by_time():
    ids = [new_run_id(now=t) for t in (1.0, 2.0, 1000.0, 2_000_000_000.0)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4
    assert all(len(i) == 26 for i in ids)


def test_unknown_and_ambiguous_run(tmp_path):
    store = Store(tmp_path)
    store.start_run(_record(id="01AAAA" + "0" * 20))
    store.start_run(_record(id="01AAAB" + "0" * 20))
    with pytest.raises(RunNotFoundError, match="no run matches"):
        store.get_run("ZZZ")
    with pytest.raises(RunNotFoundError, match="several runs"):
        store.get_run("01AAA")


def test_schema_version_recorded_and_newer_schema_refused(tmp_path):
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / "mlwork.sqlite")
    assert db.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.execute("UPDATE schema_version SET version = 999")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this"):
        Store(tmp_path)


def test_corrupt_store_is_a_store_error(tmp_path):
    (tmp_path / "mlwork.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the mlwork store"):
        Store(tmp_path)


def test_running_run_of_dead_process_becomes_killed(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    store = Store(tmp_path)
    dead = _record(pid=proc.pid)
    alive = _record()
    store.start_run(dead)
    store.start_run(alive)
    store.log_metrics(dead.id, {"m": 1.0})
    store.close()
    again = Store(tmp_path)
    assert again.killed == [dead.id]
    assert again.get_run(dead.id).status == "killed"
    assert again.get_run(dead.id).metrics == {"m": 1.0}
    assert again.get_run(alive.id).status == "running"


def test_process_token_names_this_process():
    host, pid, _start = process_token().rsplit(":", 2)
    assert int(pid) > 0
    assert host


def test_artifacts_are_content_addressed(tmp_path):
    store = Store(tmp_path / ".mlwork")
    rec = _record()
    store.start_run(rec)
    src = tmp_path / "model.bin"
    src.write_bytes(b"weights")
    first = store.put_artifact(rec.id, src, "model.bin")
    second = store.put_artifact(rec.id, src, "copy.bin")
    assert first.digest == second.digest
    assert (tmp_path / first.path).read_bytes() == b"weights"
    assert [a.name for a in store.get_run(rec.id).artifacts] == ["model.bin", "copy.bin"]
