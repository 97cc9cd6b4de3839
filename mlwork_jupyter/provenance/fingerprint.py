"""Content fingerprints (xxh3-128) of DataFrames, Series, arrays, tensors and files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xxhash

from mlwork_jupyter.provenance._data_kinds import data_kind, tensor_to_numpy
from mlwork_jupyter.provenance._frame_hashing import (
    CHUNK_BYTES,
    Hasher,
    hash_index,
    hash_ndarray_1d,
    hash_values,
)

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["Fingerprint", "data_kind", "fingerprint_file", "fingerprint_value", "row_hashes"]

# Bump when the byte layout changes: old and new digests must never compare equal.
_FORMAT = b"mlwork-fingerprint-v1"
_FILE_CHUNK = 1 << 20
_FILE_CACHE_MAX = 4096


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """How a value or file looked when it was fingerprinted.

    Attributes
    ----------
    kind : str
        ``"frame"``, ``"series"``, ``"array"``, ``"tensor"`` or ``"file"``.
    digest : str
        xxh3-128 as 32 lowercase hex characters.
    method : str
        ``"full"``, or ``"sampled (n of N rows)"`` when only evenly spaced rows were hashed.
    shape : tuple of int or None
        Shape of the whole value (not of the sample); None for files.
    schema : dict or None
        Frames: column label -> dtype; series, arrays and tensors: ``{"dtype": ...}``.
    size : int or None
        Bytes fed to the hash (files: the file size).
    """

    kind: str
    digest: str
    method: str
    shape: tuple[int, ...] | None
    schema: dict[str, str] | None
    size: int | None

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-able dict (``shape`` as a list).

        Returns
        -------
        dict
            The fields by name.
        """
        return {
            "kind": self.kind,
            "digest": self.digest,
            "method": self.method,
            "shape": None if self.shape is None else list(self.shape),
            "schema": None if self.schema is None else dict(self.schema),
            "size": self.size,
        }


def _sample(total: int, sample_rows: int | None) -> tuple[Any, str]:
    """Return the evenly spaced row positions to hash (None: every row) and the method."""
    if sample_rows is None or sample_rows >= total:
        return None, "full"
    import numpy as np

    positions = (np.arange(sample_rows, dtype=np.int64) * total) // sample_rows
    return positions, f"sampled ({sample_rows} of {total} rows)"


def _start(kind: str, method: str) -> Hasher:
    h = Hasher()
    h.raw(_FORMAT)
    h.text(kind)
    h.text(method)
    return h


def _fingerprint_frame(frame: Any, sample_rows: int | None) -> Fingerprint:
    total, ncols = frame.shape
    positions, method = _sample(total, sample_rows)
    part = frame if positions is None else frame.take(positions)
    h = _start("frame", method)
    h.integer(len(part))
    h.integer(ncols)
    h.integer(frame.columns.nlevels)
    for name in frame.columns.names:
        h.label(name)
    schema: dict[str, str] = {}
    for label, dtype in zip(frame.columns, frame.dtypes, strict=True):
        h.label(label)
        h.text(str(dtype))
        schema[str(label)] = str(dtype)
    hash_index(h, part.index)
    for _, column in part.items():  # noqa: PERF102 - positional, duplicate labels included
        hash_values(h, column.array)
    return Fingerprint("frame", h.hexdigest(), method, (total, ncols), schema, h.size)


def _fingerprint_series(series: Any, sample_rows: int | None) -> Fingerprint:
    total = len(series)
    positions, method = _sample(total, sample_rows)
    part = series if positions is None else series.take(positions)
    h = _start("series", method)
    h.label(series.name)
    h.text(str(series.dtype))
    hash_index(h, part.index)
    hash_values(h, part.array)
    schema = {"dtype": str(series.dtype)}
    return Fingerprint("series", h.hexdigest(), method, (total,), schema, h.size)


def _fingerprint_array(arr: Any, kind: str, sample_rows: int | None) -> Fingerprint:
    import numpy as np

    shape = tuple(int(n) for n in arr.shape)
    positions, method = _sample(shape[0], sample_rows) if arr.ndim else (None, "full")
    part = arr if positions is None else arr[positions]
    h = _start(kind, method)
    h.text(part.dtype.str)
    h.integer(part.ndim)
    for n in part.shape:
        h.integer(int(n))
    if part.ndim <= 1 or part.flags.c_contiguous or part.dtype.kind in "OT":
        hash_values(h, part.reshape(-1))
    else:
        h.integer(part.size)
        rows = max(1, CHUNK_BYTES // max(1, part[0].nbytes))
        for first in range(0, len(part), rows):
            block = np.ascontiguousarray(part[first : first + rows])
            hash_ndarray_1d(h, block.reshape(-1))
    return Fingerprint(kind, h.hexdigest(), method, shape, {"dtype": str(arr.dtype)}, h.size)


def fingerprint_value(value: object, *, sample_rows: int | None = None) -> Fingerprint:
    """Fingerprint a DataFrame, Series, NumPy array or tensor by content.

    Parameters
    ----------
    value : object
        The value; see `data_kind` for what is accepted.
    sample_rows : int, optional
        Hash only this many evenly spaced rows (the first always included) when the value
        has more; the fingerprint's ``method`` then says so. Default: every row.

    Returns
    -------
    Fingerprint
        Equal for equal values (same labels, dtypes, index and cells, NaN equal to NaN);
        different when any of them differs.

    Raises
    ------
    TypeError
        ``value`` is not data, or is a tensor with no concrete values.
    ValueError
        ``sample_rows`` is smaller than 1.

    Examples
    --------
    >>> import pandas as pd
    >>> fp = fingerprint_value(pd.DataFrame({"a": [1, 2]}))
    >>> fp.kind, fp.method, fp.shape
    ('frame', 'full', (2, 1))
    """
    kind = data_kind(value)
    if kind is None:
        raise TypeError(
            f"cannot fingerprint a {type(value).__name__}; expected a pandas DataFrame or "
            "Series, a NumPy array or a tensor"
        )
    if sample_rows is not None and sample_rows < 1:
        raise ValueError(f"sample_rows must be at least 1, got {sample_rows}; omit it to hash all")
    if kind == "frame":
        return _fingerprint_frame(value, sample_rows)
    if kind == "series":
        return _fingerprint_series(value, sample_rows)
    arr = tensor_to_numpy(value) if kind == "tensor" else value
    return _fingerprint_array(arr, kind, sample_rows)


_FILE_CACHE: dict[tuple[str, int, int, int, int, int], Fingerprint] = {}


def fingerprint_file(path: str | os.PathLike[str]) -> Fingerprint:
    """Fingerprint a file by content, streamed in 1 MiB chunks.

    The digest is the plain xxh3-128 of the file's bytes (what ``xxhsum -H2`` prints).
    Results are cached per process on (real path, size, mtime, ctime, inode, device),
    so an unchanged file is not read twice.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    Fingerprint
        ``kind="file"``, ``shape=None``, ``size`` = file size in bytes.

    Raises
    ------
    OSError
        The file cannot be read (missing, a directory, no permission).
    """
    real = os.path.realpath(path)
    before = Path(real).stat()
    key = (
        real,
        before.st_size,
        before.st_mtime_ns,
        before.st_ctime_ns,
        before.st_ino,
        before.st_dev,
    )
    cached = _FILE_CACHE.get(key)
    if cached is not None:
        return cached
    hasher = xxhash.xxh3_128()
    size = 0
    view = memoryview(bytearray(_FILE_CHUNK))
    with Path(real).open("rb", buffering=0) as file:
        while read := file.readinto(view):
            hasher.update(view[:read])
            size += read
    result = Fingerprint("file", hasher.hexdigest(), "full", None, None, size)
    after = Path(real).stat()
    # A file written while we read it is reported, never cached.
    if (after.st_size, after.st_mtime_ns, after.st_ctime_ns) == key[1:4]:
        if len(_FILE_CACHE) >= _FILE_CACHE_MAX:
            del _FILE_CACHE[next(iter(_FILE_CACHE))]
        _FILE_CACHE[key] = result
    return result


def row_hashes(frame_or_array: object) -> NDArray[np.uint64]:
    """Return one uint64 hash per row, for overlap (leakage) and drift checks.

    Parameters
    ----------
    frame_or_array : object
        A DataFrame, Series, array (rows along the first axis) or tensor.

    Returns
    -------
    numpy.ndarray
        ``uint64`` of length ``len(frame_or_array)``; equal rows give equal hashes.
        The row index is not part of a row.

    Raises
    ------
    TypeError
        The value is not data, or is a zero-dimensional array.
    """
    kind = data_kind(frame_or_array)
    if kind is None:
        raise TypeError(
            f"cannot hash the rows of a {type(frame_or_array).__name__}; expected a pandas "
            "DataFrame or Series, a NumPy array or a tensor"
        )
    import numpy as np
    import pandas as pd

    if kind in {"frame", "series"}:
        hashed = pd.util.hash_pandas_object(frame_or_array, index=False)  # type: ignore[arg-type]
        return np.asarray(hashed, dtype=np.uint64)
    arr = tensor_to_numpy(frame_or_array) if kind == "tensor" else frame_or_array
    arr = np.asarray(arr)
    if arr.ndim == 0:
        raise TypeError("cannot hash the rows of a 0-dimensional array; pass arr.reshape(1)")
    if arr.dtype.kind == "T":
        arr = arr.astype(object)
    if arr.ndim == 1:
        return np.asarray(pd.util.hash_array(arr), dtype=np.uint64)
    table = pd.DataFrame(arr.reshape(len(arr), -1))
    hashed = pd.util.hash_pandas_object(table, index=False)
    return np.asarray(hashed, dtype=np.uint64)
