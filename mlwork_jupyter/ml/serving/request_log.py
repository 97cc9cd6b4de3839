"""The server's request log: one JSON line per prediction request, rotated at a size cap.

``LOG_DIR/requests.jsonl`` (then ``requests.jsonl.1`` ... older), written by the server and
read by the monitor stage and `Server.stats`. Each line is one object:

``time``
    ISO 8601 UTC time the request arrived; ``ts`` the same as Unix seconds.
``endpoint``
    ``"predict"`` (TensorFlow Serving ``:predict``) or ``"invocations"`` (MLflow).
``model``, ``version``, ``signature``
    What was asked for (``version`` a string, as TF Serving writes it).
``status``
    The HTTP status answered; ``error`` the one-line message when it is not 200, else null.
``rows``
    Rows in the request (null when it could not be read).
``latency_ms``
    From the body being read to the answer being written.
``batch``, ``batch_rows``, ``batch_requests``
    The model call that served it (a counter), its rows and the requests merged into it.
``input_fingerprint``
    xxh3-128 (hex) of the checked inputs: names, dtypes, shapes and bytes.
``inputs``, ``outputs``
    Up to ``sample_rows`` evenly spaced rows, column (or input) name -> list of values in
    row order; ``sample_index`` their row numbers. JSON-safe: non-finite floats are null.

Lines are written whole and flushed, so a reader may tail the file; a reader skips a line it
cannot parse (the last one while it is being written).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xxhash

if TYPE_CHECKING:
    import os
    from collections.abc import Iterator

    from numpy.typing import NDArray

__all__ = [
    "LOG_NAME",
    "RequestLog",
    "fingerprint_arrays",
    "read_requests",
    "sample",
    "sample_rows",
]

LOG_NAME = "requests.jsonl"
MAX_BYTES = 20 * 1024 * 1024
BACKUPS = 2  # requests.jsonl + 2 older files: 3 in all


def fingerprint_arrays(arrays: dict[str, NDArray[Any]]) -> str:
    """Return xxh3-128 of named arrays: names, dtypes, shapes and contents."""
    hasher = xxhash.xxh3_128()
    for name in sorted(arrays):
        value = arrays[name]
        hasher.update(f"{name}\0{value.dtype.str}\0{value.shape}\0".encode())
        if value.dtype == object:
            hasher.update(json.dumps(value.tolist(), default=str).encode())
        else:
            hasher.update(np.ascontiguousarray(value).tobytes())
    return hasher.hexdigest()


def _safe(value: Any) -> Any:
    """Return `value` (from `tolist`) with non-finite floats as None and bytes as text."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, list):
        return [_safe(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str | int | bool) or value is None:
        return value
    return str(value)


def sample_rows(rows: int, limit: int) -> list[int]:
    """Return up to `limit` evenly spaced row numbers out of `rows`, first and last included."""
    if rows <= limit:
        return list(range(rows))
    if limit <= 1:
        return [0][:limit]
    return sorted({round(i * (rows - 1) / (limit - 1)) for i in range(limit)})


def sample(arrays: dict[str, NDArray[Any]], index: list[int]) -> dict[str, Any]:
    """Return the rows `index` of each array, as JSON-safe lists."""
    found = {}
    for name, value in arrays.items():
        rows = np.asarray(value)[index]
        if rows.dtype.kind == "f" and not np.isfinite(rows).all():
            finite = np.isfinite(rows)
            rows = rows.astype(object)
            rows[~finite] = None
        if rows.dtype.kind in "biuf":  # plain numbers: no per-value walk
            found[name] = rows.tolist()
        else:
            found[name] = _safe((rows.astype(str) if rows.dtype.kind == "M" else rows).tolist())
    return found


class RequestLog:
    """Append request lines to ``log_dir/requests.jsonl``, rotating past `max_bytes`.

    Parameters
    ----------
    log_dir
        The folder (created).
    max_bytes
        Size after which the file is renamed to ``.1`` (older ones shift; `backups` kept).
    sample_rows
        Most rows of inputs and outputs kept per line.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str],
        max_bytes: int = MAX_BYTES,
        backups: int = BACKUPS,
        sample_rows: int = 32,
    ) -> None:
        self.path = Path(log_dir) / LOG_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self.backups = backups
        self.sample_rows = sample_rows
        self._file = self.path.open("ab")
        self._size = self._file.tell()

    def _rotate(self) -> None:
        self._file.close()
        for i in range(self.backups, 0, -1):
            older = self.path.with_name(f"{LOG_NAME}.{i}")
            newer = self.path.with_name(f"{LOG_NAME}.{i - 1}") if i > 1 else self.path
            if i == self.backups and older.exists():
                older.unlink()
            if newer.exists():
                newer.rename(older)
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
        self._file = self.path.open("ab")
        self._size = 0

    def write(self, entry: dict[str, Any]) -> None:
        """Write one line (``time`` and ``ts`` added when missing)."""
        ts = entry.get("ts") or time.time()
        line = {"time": datetime.fromtimestamp(ts, UTC).isoformat(), "ts": ts, **entry}
        data = (json.dumps(line, ensure_ascii=False, allow_nan=False, default=str) + "\n").encode()
        if self._size + len(data) > self.max_bytes and self._size > 0:
            self._rotate()
        self._file.write(data)
        self._file.flush()
        self._size += len(data)

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def read_requests(log_dir: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Yield the logged requests, oldest first, across rotated files; skip unreadable lines."""
    folder = Path(log_dir)
    older = sorted(
        (p for p in folder.glob(f"{LOG_NAME}.*") if p.suffix[1:].isdigit()),
        key=lambda p: -int(p.suffix[1:]),
    )
    for path in [*older, folder / LOG_NAME]:
        try:
            handle = path.open(encoding="utf-8")
        except OSError:
            continue
        with handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict):
                    yield entry
