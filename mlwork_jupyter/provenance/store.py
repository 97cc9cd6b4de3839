"""The embedded SQLite store of runs, environments, metric series and artifacts."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

import xxhash

from mlwork_jupyter.errors import StoreError
from mlwork_jupyter.provenance.record import Artifact, DataRef, RunRecord, resolve_run_id

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

__all__ = [
    "DB_NAME",
    "SCHEMA_VERSION",
    "STORE_FOLDER",
    "Store",
    "default_store_dir",
    "process_token",
]

_T = TypeVar("_T")

DB_NAME = "mlwork.sqlite"
STORE_FOLDER = ".mlwork"
_BUSY_TIMEOUT_MS = 30_000
_RETRIES = 20

# Each entry migrates the schema from version i to i + 1; never edit one that has shipped.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE environments (
        hash TEXT PRIMARY KEY,
        created REAL NOT NULL,
        snapshot TEXT NOT NULL
    );
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        parent_id TEXT,
        notebook TEXT NOT NULL,
        cell_id TEXT,
        stage TEXT NOT NULL,
        name TEXT NOT NULL,
        code TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        started REAL NOT NULL,
        ended REAL,
        duration REAL,
        status TEXT NOT NULL,
        error TEXT,
        env_hash TEXT REFERENCES environments(hash),
        inputs TEXT NOT NULL DEFAULT '[]',
        outputs TEXT NOT NULL DEFAULT '[]',
        device TEXT,
        warnings TEXT NOT NULL DEFAULT '[]',
        process TEXT NOT NULL
    );
    CREATE INDEX runs_stage_name ON runs(stage, name);
    CREATE INDEX runs_status ON runs(status);
    CREATE TABLE params (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (run_id, key)
    );
    CREATE TABLE metrics (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        value REAL,
        PRIMARY KEY (run_id, key)
    );
    CREATE TABLE metric_series (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        step INTEGER NOT NULL,
        value REAL,
        ts REAL NOT NULL
    );
    CREATE INDEX metric_series_run ON metric_series(run_id, key, step);
    CREATE TABLE artifacts (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        digest TEXT NOT NULL,
        size INTEGER NOT NULL,
        path TEXT NOT NULL
    );
    """,
    # 2: row hashes (xxh3-64 per row, little-endian uint64s) of the tables a train run read.
    """
    CREATE TABLE row_hashes (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        hashes BLOB NOT NULL,
        PRIMARY KEY (run_id, name)
    );
    """,
    # 3: a tune trial's own facts (JSON: id, number, status, score, objective, best_step, ...).
    """
    ALTER TABLE runs ADD COLUMN trial TEXT;
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)


def _proc_start(pid: int) -> str:
    """Return a process's start tick (Linux), so that a reused pid is not taken as alive."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def process_token(pid: int | None = None) -> str:
    """Return `host:pid:start`, which names one process for the life of the machine."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_proc_start(pid)}"


def _process_alive(token: str) -> bool:
    host, pid_text, start = token.rsplit(":", 2)
    if host != socket.gethostname():
        return True  # another machine's kernel: we cannot tell, so leave it alone
    pid = int(pid_text)
    if start and Path("/proc").is_dir():
        return _proc_start(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _dumps(value: Any) -> str:
    return json.dumps(value, default=repr, sort_keys=True, allow_nan=True)


def default_store_dir(path: str | os.PathLike[str]) -> Path:
    """Return the default store folder for a notebook or a folder: `.mlwork` beside or in it.

    Examples
    --------
    >>> default_store_dir("work/analysis.ipynb").as_posix(), default_store_dir("work").as_posix()
    ('work/.mlwork', 'work/.mlwork')
    """
    target = Path(path)
    return (target.parent if target.suffix == ".ipynb" else target) / STORE_FOLDER


class Store:
    """A run store in a folder (`.mlwork/` beside the notebook).

    Opening it creates the folder and the database on first use, applies pending migrations,
    and marks runs left `running` by a kernel that no longer exists as `killed`.

    Parameters
    ----------
    root
        The store folder. The database is `root/mlwork.sqlite`; artifacts live under
        `root/artifacts/` by content hash.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.path = self.root / DB_NAME
        self.artifact_dir = self.root / "artifacts"
        self._lock = threading.RLock()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path,
                timeout=_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            self._retry(lambda: self._db.execute("PRAGMA journal_mode = WAL").fetchone())
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
            self.killed = self.sweep_killed()
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(Exception):
                self._db.close()
            raise StoreError(f"cannot open the mlwork store at {self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Self:
        """Use the store as a context manager that closes it."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()

    def _retry(self, action: Callable[[], _T]) -> _T:
        delay = 0.005
        for attempt in range(_RETRIES):
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if attempt == _RETRIES - 1:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one write transaction, taken up front so it cannot deadlock."""
        with self._lock:
            self._retry(lambda: self._db.execute("BEGIN IMMEDIATE"))
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._retry(lambda: self._db.execute("COMMIT"))

    def _migrate(self) -> None:
        with self._write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            version = 0 if row is None else int(row[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the store at {self.path} has schema {version}, newer than this "
                    f"mlwork-jupyter ({SCHEMA_VERSION}); upgrade mlwork-jupyter"
                )
            for script in _MIGRATIONS[version:]:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            else:
                db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    def sweep_killed(self) -> list[str]:
        """Mark `running` runs whose kernel process is gone as `killed`; return their ids."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, process FROM runs WHERE status = 'running'"
            ).fetchall()
        dead = [run_id for run_id, token in rows if not _process_alive(token)]
        if dead:
            with self._write() as db:
                db.executemany(
                    "UPDATE runs SET status = 'killed', error = 'the kernel died during the run'"
                    " WHERE id = ? AND status = 'running'",
                    [(run_id,) for run_id in dead],
                )
        return dead

    # --- writing -------------------------------------------------------------------------

    def put_environment(self, env_hash: str, snapshot: dict[str, Any]) -> None:
        """Store an environment snapshot once per distinct hash."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO environments VALUES (?, ?, ?)",
                (env_hash, time.time(), _dumps(snapshot)),
            )

    def has_environment(self, env_hash: str) -> bool:
        """Tell whether a snapshot with this hash is stored."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM environments WHERE hash = ?", (env_hash,)
            ).fetchone()
        return row is not None

    def start_run(self, record: RunRecord) -> None:
        """Insert a run with status `running`, before the cell body starts."""
        with self._write() as db:
            db.execute(
                "INSERT INTO runs (id, parent_id, notebook, cell_id, stage, name, code, code_hash,"
                " started, status, env_hash, device, process, trial)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.parent,
                    record.notebook,
                    record.cell_id,
                    record.stage,
                    record.name,
                    record.code,
                    record.code_hash,
                    record.started,
                    record.status,
                    record.env_hash,
                    _dumps(record.device),
                    process_token(record.pid),
                    _dumps(record.trial),
                ),
            )

    def log_params(self, run_id: str, params: dict[str, Any]) -> None:
        """Write (or overwrite) parameters of a run."""
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO params VALUES (?, ?, ?)",
                [(run_id, key, _dumps(value)) for key, value in params.items()],
            )

    def log_metrics(self, run_id: str, metrics: dict[str, float]) -> None:
        """Write (or overwrite) the final values of metrics of a run."""
        with self._write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO metrics VALUES (?, ?, ?)",
                [(run_id, key, value) for key, value in metrics.items()],
            )

    def append_series(self, run_id: str, points: Iterable[tuple[str, int, float, float]]) -> None:
        """Append metric points `(key, step, value, timestamp)` in one transaction."""
        rows = [(run_id, key, step, value, ts) for key, step, value, ts in points]
        if rows:
            with self._write() as db:
                db.executemany("INSERT INTO metric_series VALUES (?, ?, ?, ?, ?)", rows)

    def put_artifact(self, run_id: str, source: str | os.PathLike[str], name: str) -> Artifact:
        """Copy a file into the content-addressed artifact folder and link it to a run."""
        hasher = xxhash.xxh3_128()
        with Path(source).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                hasher.update(chunk)
        digest = hasher.hexdigest()
        target = self.artifact_dir / digest[:2] / digest
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.part")
            shutil.copyfile(source, partial)
            partial.replace(target)
        artifact = Artifact(
            name=name,
            digest=digest,
            size=target.stat().st_size,
            path=str(target.relative_to(self.root.parent)),
        )
        with self._write() as db:
            db.execute(
                "INSERT INTO artifacts VALUES (?, ?, ?, ?, ?)",
                (run_id, artifact.name, artifact.digest, artifact.size, artifact.path),
            )
        return artifact

    def finish_run(self, record: RunRecord) -> None:
        """Write the outcome of a run: status, timing, data, params, metrics, warnings."""
        with self._write() as db:
            db.execute(
                "UPDATE runs SET ended = ?, duration = ?, status = ?, error = ?, env_hash = ?,"
                " inputs = ?, outputs = ?, device = ?, warnings = ?, code = ?, trial = ?"
                " WHERE id = ?",
                (
                    record.ended,
                    record.duration,
                    record.status,
                    record.error,
                    record.env_hash,
                    _dumps([r.as_dict() for r in record.inputs]),
                    _dumps([r.as_dict() for r in record.outputs]),
                    _dumps(record.device),
                    _dumps(record.warnings),
                    record.code,
                    _dumps(record.trial),
                    record.id,
                ),
            )
            db.executemany(
                "INSERT OR REPLACE INTO params VALUES (?, ?, ?)",
                [(record.id, key, _dumps(value)) for key, value in record.params.items()],
            )
            db.executemany(
                "INSERT OR REPLACE INTO metrics VALUES (?, ?, ?)",
                [(record.id, key, value) for key, value in record.metrics.items()],
            )

    # --- reading -------------------------------------------------------------------------

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._retry(lambda: self._db.execute(sql, args).fetchall())

    def _hydrate(self, row: tuple[Any, ...]) -> RunRecord:
        (
            run_id,
            parent,
            notebook,
            cell_id,
            stage,
            name,
            code,
            code_hash,
            started,
            ended,
            _dur,
            status,
            error,
            env_hash,
            inputs,
            outputs,
            device,
            warnings,
            process,
            trial,
        ) = row
        record = RunRecord(
            id=run_id,
            stage=stage,
            name=name,
            code=code,
            code_hash=code_hash,
            notebook=notebook,
            cell_id=cell_id,
            parent=parent,
            status=status,
            started=started,
            ended=ended,
            error=error,
            env_hash=env_hash,
            inputs=[DataRef.from_dict(d) for d in json.loads(inputs)],
            outputs=[DataRef.from_dict(d) for d in json.loads(outputs)],
            device=json.loads(device) if device else None,
            warnings=json.loads(warnings),
            pid=int(process.rsplit(":", 2)[1]),
            trial=json.loads(trial) if trial else None,
        )
        record.params = {
            key: json.loads(value)
            for key, value in self._read(
                "SELECT key, value FROM params WHERE run_id = ? ORDER BY key", (run_id,)
            )
        }
        record.metrics = dict(
            self._read("SELECT key, value FROM metrics WHERE run_id = ? ORDER BY key", (run_id,))
        )
        record.artifacts = [
            Artifact(*art)
            for art in self._read(
                "SELECT name, digest, size, path FROM artifacts WHERE run_id = ? ORDER BY rowid",
                (run_id,),
            )
        ]
        return record

    def runs(
        self,
        *,
        stage: str | None = None,
        name: str | None = None,
        notebook: str | None = None,
        last: int | None = None,
        include_children: bool = False,
    ) -> list[RunRecord]:
        """Return runs, oldest first, filtered by stage, name and notebook."""
        where, args = [], []
        for column, value in (("stage", stage), ("name", name), ("notebook", notebook)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if not include_children:
            where.append("parent_id IS NULL")
        sql = "SELECT * FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if last is not None:
            sql += f" LIMIT {int(last)}"
        return [self._hydrate(row) for row in reversed(self._read(sql, tuple(args)))]

    def get_run(self, ref: str) -> RunRecord:
        """Return the run named by its id, a unique prefix or suffix of it, or `last`.

        See `mlwork_jupyter.provenance.record.resolve_run_id`.
        """
        ids = [row[0] for row in self._read("SELECT id FROM runs ORDER BY id")]
        run_id = resolve_run_id(ref, ids)
        return self._hydrate(self._read("SELECT * FROM runs WHERE id = ?", (run_id,))[0])

    def environment(self, env_hash: str) -> dict[str, Any] | None:
        """Return a stored environment snapshot by hash."""
        rows = self._read("SELECT snapshot FROM environments WHERE hash = ?", (env_hash,))
        return json.loads(rows[0][0]) if rows else None

    def series(self, run_id: str) -> dict[str, list[tuple[int, float]]]:
        """Return every metric series of a run as `{key: [(step, value), ...]}`."""
        out: dict[str, list[tuple[int, float]]] = {}
        for key, step, value in self._read(
            "SELECT key, step, value FROM metric_series WHERE run_id = ? ORDER BY rowid",
            (run_id,),
        ):
            out.setdefault(key, []).append((step, value))
        return out

    def put_row_hashes(self, run_id: str, name: str, hashes: bytes) -> None:
        """Keep the row hashes of a table a run read (little-endian uint64s, no values)."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO row_hashes VALUES (?, ?, ?)", (run_id, name, hashes))

    def row_hashes(self, run_id: str) -> dict[str, bytes]:
        """Return `{table name: row hashes}` kept for a run."""
        rows = self._read("SELECT name, hashes FROM row_hashes WHERE run_id = ?", (run_id,))
        return {str(name): bytes(blob) for name, blob in rows}

    def count(self) -> int:
        """Return the number of runs in the store."""
        return int(self._read("SELECT COUNT(*) FROM runs")[0][0])
