"""The audit hook sees the files a block opens, and only those that are data."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest

from mlwork_jupyter.provenance import audit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    real = tmp_path.resolve()
    (real / "in.csv").write_text("a,b\n1,2\n3,4\n")
    return real


def test_pandas_read_csv_and_to_csv(data_dir: Path) -> None:
    with audit.watching() as log:
        frame = pd.read_csv(data_dir / "in.csv")
        frame.to_csv(data_dir / "out.csv", index=False)
    assert str(data_dir / "in.csv") in log.reads
    assert str(data_dir / "out.csv") in log.writes
    assert str(data_dir / "out.csv") not in log.reads
    assert str(data_dir / "in.csv") not in log.writes


def test_builtin_open_modes(data_dir: Path) -> None:
    with audit.watching() as log:
        (data_dir / "w.txt").write_text("x")  # pathlib goes through builtin open
        with open(data_dir / "a.txt", "a") as f:  # noqa: PTH123 - builtin open is the subject
            f.write("x")
        with open(data_dir / "in.csv", "rb") as f:  # noqa: PTH123
            f.read()
        with open(data_dir / "w.txt", "r+") as f:  # noqa: PTH123
            f.read()
        with open(os.fsencode(data_dir / "x.bin"), "xb"):  # noqa: PTH123 - a bytes path
            pass
    assert log.reads == {str(data_dir / "in.csv"), str(data_dir / "w.txt")}
    assert log.writes == {str(data_dir / p) for p in ("w.txt", "a.txt", "x.bin")}


def test_os_open_flags(data_dir: Path) -> None:
    with audit.watching() as log:
        os.close(os.open(data_dir / "wo.bin", os.O_WRONLY | os.O_CREAT))
        os.close(os.open(data_dir / "in.csv", os.O_RDONLY))
        os.close(os.open(data_dir / "rw.bin", os.O_RDWR | os.O_CREAT))
    assert log.writes == {str(data_dir / "wo.bin"), str(data_dir / "rw.bin")}
    assert log.reads == {str(data_dir / "in.csv"), str(data_dir / "rw.bin")}


def test_relative_paths_and_symlinks_resolve(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (data_dir / "link.csv").symlink_to(data_dir / "in.csv")
    monkeypatch.chdir(data_dir)
    with audit.watching() as log:
        Path("link.csv").read_text()
    assert log.reads == {str(data_dir / "in.csv")}


def test_ignored_opens(data_dir: Path) -> None:
    site_file = Path(pd.__file__).resolve()
    sub = data_dir / "sub"
    sub.mkdir()
    with audit.watching(exclude=[str(data_dir / "store")]) as log:
        site_file.read_bytes()  # under site-packages
        Path(os.__file__).read_bytes()  # the standard library, under sys.base_prefix
        with open(os.devnull, "w") as f:  # noqa: PTH123
            f.write("x")
        Path("/proc/self/status").read_text()
        os.close(os.open(sub, os.O_RDONLY))  # a directory
        fd = os.open(data_dir / "in.csv", os.O_RDONLY)
        with os.fdopen(fd) as f:  # the int path is ignored; os.open above was seen
            f.read()
        (data_dir / "store").mkdir()
        (data_dir / "store" / "runs.sqlite").write_bytes(b"x")
        (data_dir / "storeroom.txt").write_text("prefix match is per directory")
        (data_dir / "cached.pyc").write_bytes(b"")
    assert log.reads == {str(data_dir / "in.csv")}
    assert log.writes == {str(data_dir / "storeroom.txt")}


def test_imports_are_not_data_reads(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (data_dir / "local_module_for_audit.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(data_dir))
    import xxhash.version

    with audit.watching() as log:
        importlib.import_module("local_module_for_audit")
        importlib.reload(xxhash.version)  # re-reads a site-packages module
    sys.modules.pop("local_module_for_audit", None)
    assert log.reads == set()
    assert log.writes == set()


def test_other_threads_count_and_nothing_is_seen_outside_a_watch(data_dir: Path) -> None:
    def write() -> None:
        (data_dir / "from_thread.txt").write_text("x")

    with audit.watching() as log:
        thread = threading.Thread(target=write)
        thread.start()
        thread.join()
    (data_dir / "after.txt").write_text("x")
    assert log.writes == {str(data_dir / "from_thread.txt")}


def test_nested_watches_both_see(data_dir: Path) -> None:
    with audit.watching() as outer:
        (data_dir / "one.txt").write_text("1")
        with audit.watching() as inner:
            (data_dir / "two.txt").write_text("2")
        (data_dir / "three.txt").write_text("3")
    assert inner.writes == {str(data_dir / "two.txt")}
    assert outer.writes == {str(data_dir / p) for p in ("one.txt", "two.txt", "three.txt")}


def test_watch_ends_on_exceptions(data_dir: Path) -> None:
    logs: list[audit.FileAccessLog] = []

    def cell() -> None:
        with audit.watching() as log:
            logs.append(log)
            (data_dir / "before.txt").write_text("x")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        cell()
    (data_dir / "after.txt").write_text("x")
    assert logs[0].writes == {str(data_dir / "before.txt")}
    assert not audit._ACTIVE


def test_hook_never_raises() -> None:
    with audit.watching() as log:
        for args in [
            (object(), "r", 0),
            (None, None, None),
            (),
            ("\udcff-not-encodable\x00", "w", 1),
            (b"\xff\xfe", "rb", 0),
            ("x", object(), object()),
        ]:
            audit._hook("open", args)  # type: ignore[arg-type]
        audit._hook("open", None)  # type: ignore[arg-type]
    assert isinstance(log.reads, set)


def test_install_is_idempotent_and_light() -> None:
    code = """
        import os, sys
        from mlwork_jupyter.provenance import audit
        audit.install()
        audit.install()
        calls = []
        audit._record = calls.append  # counts how many hooks reach it
        with audit.watching():
            open(os.devnull).close()
        assert len(calls) == 1, calls
        assert not {"IPython", "tensorflow"} & set(sys.modules)
        print("ok")
    """
    paths = [p for p in (os.environ.get("PYTHONPATH"), str(ROOT)) if p]
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
        cwd=tempfile.gettempdir(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.skipif(not Path("/usr/share/zoneinfo/UTC").exists(), reason="no system tz data")
def test_system_time_zone_files_are_not_data(data_dir: Path) -> None:
    with audit.watching() as log:
        Path("/usr/share/zoneinfo/UTC").read_bytes()  # pandas and zoneinfo read these
        (data_dir / "in.csv").read_text()
    assert log.reads == {str(data_dir / "in.csv")}


def test_autograph_generated_files_are_code_not_data(tmp_path):
    from mlwork_jupyter.provenance import audit

    audit.install()
    generated = tmp_path / "__autograph_generated_fileab12cd.py"
    data = tmp_path / "data.csv"
    with audit.watching() as log:
        generated.write_text("x = 1\n")
        generated.read_text()
        data.write_text("a\n1\n")
    assert str(data.resolve()) in log.writes
    assert not [p for p in log.reads | log.writes if "__autograph_generated_file" in p]
