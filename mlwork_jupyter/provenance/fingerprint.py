"""Content fingerprints (xxh3-128) of DataFrames, Series, arrays, tensors and files."""

from __future__ import annotations

import contextlib
import math
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xxhash

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np
    from numpy.typing import NDArray

__all__ = ["Fingerprint", "data_kind", "fingerprint_file", "fingerprint_value", "row_hashes"]

# Bump when the byte layout below changes: old and new digests must never compare equal.
_FORMAT = b"mlwork-fingerprint-v1"
# Numeric buffers go through in slices this big so the NaN check and the hash share the cache.
_CHUNK_BYTES = 1 << 20
# Rows of a text column joined at once: bounds the temporary string to a few MiB.
_TEXT_ROWS = 1 << 16
_FILE_CHUNK = 1 << 20
_FILE_CACHE_MAX = 4096
_KIND_CACHE_MAX = 4096


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


_KIND_CACHE: dict[type, str | None] = {}


def _classify(cls: type) -> tuple[str | None, bool]:
    """Return the data kind of instances of ``cls`` and whether that answer may be cached."""
    cacheable = True
    candidates: list[tuple[str, str, tuple[str, ...]]] = [
        ("pandas", "frame", ("DataFrame",)),
        ("pandas", "series", ("Series",)),
        ("numpy", "array", ("ndarray",)),
        ("tensorflow", "tensor", ("Tensor", "Variable")),
        ("keras", "tensor", ("Variable",)),
        ("torch", "tensor", ("Tensor",)),
    ]
    for module_name, kind, names in candidates:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for name in names:
            base = getattr(module, name, None)
            if not isinstance(base, type):
                # A module still being imported lacks its classes; ask again later.
                cacheable = False
            elif issubclass(cls, base):
                return kind, True
    return None, cacheable


def data_kind(value: object) -> str | None:
    """Say which kind of data ``value`` is, without importing anything.

    Parameters
    ----------
    value : object
        Any namespace value.

    Returns
    -------
    str or None
        ``"frame"``, ``"series"``, ``"array"`` or ``"tensor"``; None for anything else.
        Tensors are recognised only once TensorFlow, Keras or PyTorch has been imported.

    Examples
    --------
    >>> data_kind(3) is None
    True
    """
    cls = type(value)
    try:
        return _KIND_CACHE[cls]
    except KeyError:
        pass
    kind, cacheable = _classify(cls)
    if cacheable:
        if len(_KIND_CACHE) >= _KIND_CACHE_MAX:
            _KIND_CACHE.clear()
        _KIND_CACHE[cls] = kind
    return kind


class _Hasher:
    """Streaming xxh3-128 with length-prefixed fields and a byte count."""

    __slots__ = ("_h", "size")

    def __init__(self) -> None:
        self._h = xxhash.xxh3_128()
        self.size = 0

    def raw(self, data: bytes | bytearray | memoryview) -> None:
        self._h.update(data)
        self.size += data.nbytes if isinstance(data, memoryview) else len(data)

    def integer(self, value: int) -> None:
        self.raw(value.to_bytes(8, "little", signed=True))

    def blob(self, data: bytes | bytearray | memoryview) -> None:
        self.integer(data.nbytes if isinstance(data, memoryview) else len(data))
        self.raw(data)

    def text(self, value: str) -> None:
        self.blob(value.encode("utf-8", "surrogatepass"))

    def label(self, value: object) -> None:
        self.text(f"{type(value).__module__}.{type(value).__qualname__}")
        self.text(value if isinstance(value, str) else repr(value))

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def _contiguous_chunks(arr: Any) -> Any:
    """Yield C-contiguous 1-D slices of a 1-D array, copying only strided slices."""
    import numpy as np

    step = max(1, _CHUNK_BYTES // max(1, arr.itemsize))
    for start in range(0, len(arr), step):
        yield np.ascontiguousarray(arr[start : start + step])


def _hash_fixed(h: _Hasher, arr: Any) -> None:
    """Hash a 1-D fixed-width array's bytes; floats with any NaN get one canonical NaN."""
    import numpy as np

    if arr.flags.c_contiguous and arr.dtype.kind not in "fc":
        h.raw(arr.view(np.uint8).data)
        return
    for chunk in _contiguous_chunks(arr):
        part = chunk
        if part.dtype.kind == "c":
            part = part.view(part.real.dtype)
        # maximum propagates NaN: one cheap pass decides whether anything needs rewriting.
        if part.dtype.kind == "f" and np.isnan(np.maximum.reduce(part)):
            part = part.copy()
            part[np.isnan(part)] = np.nan
        h.raw(part.view(np.uint8).data)


def _encode_object(buf: bytearray, item: object) -> None:
    """Append a type-tagged, unambiguous encoding of one object to ``buf``."""
    if isinstance(item, str):
        data = item.encode("utf-8", "surrogatepass")
        tag = b"s"
    elif isinstance(item, bytes):
        data, tag = item, b"b"
    elif item is None:
        data, tag = b"", b"N"
    elif isinstance(item, bool):
        data, tag = (b"1" if item else b"0"), b"?"
    elif isinstance(item, int):
        data, tag = item.to_bytes(item.bit_length() // 8 + 1, "little", signed=True), b"i"
    elif isinstance(item, float):
        data, tag = (b"nan" if math.isnan(item) else struct.pack("<d", item)), b"f"
    else:
        cls = type(item)
        data, tag = f"{cls.__module__}.{cls.__qualname__}:{item!r}".encode(), b"r"
    buf += tag
    buf += len(data).to_bytes(8, "little")
    buf += data


def _join(items: list[Any]) -> str | None:
    """Join with NUL, or None when some item is not a string (join checks that in C)."""
    try:
        return "\x00".join(items)
    except TypeError:
        return None


def _hash_joined(h: _Hasher, joined: str, items: list[str]) -> None:
    """Hash NUL-joined strings; length-prefixed instead when some string holds a NUL itself."""
    data = joined.encode("utf-8", "surrogatepass")
    # UTF-8 writes 0x00 only for U+0000, so the count says whether the separators are unique.
    if data.count(0) == len(items) - 1:
        h.raw(b"j")
        h.blob(data)
        return
    import numpy as np

    h.raw(b"l")
    h.blob(np.fromiter(map(len, items), dtype=np.int64, count=len(items)).data)
    h.text("".join(items))


def _missing_masks(chunk: Any) -> Iterator[Any]:
    """Yield ever wider bool masks of missing markers; none of them ever flags a string."""
    import numpy as np

    with contextlib.suppress(Exception):
        differs = chunk != chunk  # noqa: PLR0124 - NaN and NaT differ from themselves
        yield np.asarray(differs, dtype=bool)
        yield np.asarray(differs | np.equal(chunk, np.array(None, dtype=object)), dtype=bool)
    pd = sys.modules.get("pandas")
    if pd is not None:
        with contextlib.suppress(Exception):
            yield np.asarray(pd.isna(chunk), dtype=bool)


def _hash_objects(h: _Hasher, arr: Any) -> None:
    """Hash a 1-D object array: text column-wise, anything else element by element.

    A chunk whose non-string cells are all missing markers hashes as text plus a mask of
    those cells and their types, so None, NaN and "nan" differ. Whichever mask first lets the
    strings join, it flags exactly the non-string cells, so the bytes hashed do not depend
    on which one that was.
    """
    for start in range(0, len(arr), _TEXT_ROWS):
        chunk = arr[start : start + _TEXT_ROWS]
        items: list[Any] = chunk.tolist()
        joined = _join(items)
        if joined is not None:
            h.raw(b"T")
            _hash_joined(h, joined, items)
            continue
        for mask in _missing_masks(chunk):
            positions: list[int] = mask.nonzero()[0].tolist()
            filled = list(items)
            for i in positions:
                filled[i] = ""
            joined = _join(filled)
            if joined is not None:
                h.raw(b"M")
                h.raw(mask.view("u1").data)
                h.text("\x00".join(type(items[i]).__qualname__ for i in positions))
                _hash_joined(h, joined, filled)
                break
        else:
            buf = bytearray()
            for item in items:
                _encode_object(buf, item)
            h.raw(b"O")
            h.blob(buf)


def _hash_ndarray_1d(h: _Hasher, arr: Any) -> None:
    kind = arr.dtype.kind
    if kind == "O":
        _hash_objects(h, arr)
    elif kind == "T" or arr.dtype.hasobject:
        _hash_objects(h, arr.astype(object))
    else:
        _hash_fixed(h, arr)


def _hash_categorical(h: _Hasher, cat: Any) -> None:
    import numpy as np

    categories, codes = cat.categories, cat.codes
    if not cat.ordered and not categories.is_monotonic_increasing:
        # Unordered categoricals that list the same categories in another order are equal.
        try:
            order = categories.argsort()
        except TypeError:
            order = None
        if order is not None:
            categories = categories.take(order)
            inverse = np.empty(len(order), dtype=codes.dtype)
            inverse[order] = np.arange(len(order), dtype=codes.dtype)
            codes = np.where(codes >= 0, inverse[codes], codes)
    h.integer(int(bool(cat.ordered)))
    h.integer(len(categories))
    h.text(str(categories.dtype))
    _hash_values(h, categories.array)
    h.text(codes.dtype.str)
    _hash_fixed(h, codes)


def _as_int64(arr: Any) -> Any:
    return arr.asi8  # datetime, timedelta and period arrays: int64 ticks, NaT included


def _hash_masked(h: _Hasher, arr: Any) -> None:
    import numpy as np
    import pandas as pd

    # Values under the mask are arbitrary: blank them so equal arrays hash equal.
    mask = np.asarray(arr.isna(), dtype=bool)
    fill = False if isinstance(arr, pd.arrays.BooleanArray) else 0
    _hash_fixed(h, mask.view(np.uint8))
    _hash_fixed(h, arr.to_numpy(dtype=arr.dtype.numpy_dtype, na_value=fill))


def _hash_values(h: _Hasher, arr: Any) -> None:
    """Hash one column (an ndarray or a pandas ExtensionArray), dispatching on its storage."""
    import numpy as np

    h.integer(len(arr))
    if isinstance(arr, np.ndarray):
        _hash_ndarray_1d(h, arr)
        return
    import pandas as pd

    datetimelike = (pd.arrays.DatetimeArray, pd.arrays.TimedeltaArray, pd.arrays.PeriodArray)
    masked = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)
    if isinstance(arr, pd.arrays.NumpyExtensionArray):
        _hash_ndarray_1d(h, arr.to_numpy())
    elif isinstance(arr, pd.Categorical):
        _hash_categorical(h, arr)
    elif isinstance(arr, datetimelike):
        _hash_fixed(h, _as_int64(arr))
    elif isinstance(arr, masked):
        _hash_masked(h, arr)
    else:
        _hash_objects(h, np.asarray(arr, dtype=object))


def _hash_range(h: _Hasher, index: Any) -> None:
    """Hash a RangeIndex exactly as its materialised int64 values, without materialising it."""
    import numpy as np

    h.integer(len(index))
    start, step, count = index.start, index.step, len(index)
    rows = _CHUNK_BYTES // 8
    for first in range(0, count, rows):
        stop = min(count, first + rows)
        values = np.arange(start + first * step, start + stop * step, step, dtype=np.int64)
        h.raw(values.data)


def _hash_index(h: _Hasher, index: Any) -> None:
    import pandas as pd

    h.text("index")
    h.integer(index.nlevels)
    if isinstance(index, pd.MultiIndex):
        for level in range(index.nlevels):
            values = index.get_level_values(level)
            h.label(index.names[level])
            h.text(str(values.dtype))
            _hash_values(h, values.array)
        return
    h.label(index.name)
    h.text(str(index.dtype))
    if isinstance(index, pd.RangeIndex):
        _hash_range(h, index)
    else:
        _hash_values(h, index.array)


def _sample_positions(total: int, sample_rows: int | None) -> Any:
    if sample_rows is None or sample_rows >= total:
        return None
    import numpy as np

    return (np.arange(sample_rows, dtype=np.int64) * total) // sample_rows


def _start(h: _Hasher, kind: str, method: str) -> None:
    h.raw(_FORMAT)
    h.text(kind)
    h.text(method)


def _fingerprint_frame(frame: Any, sample_rows: int | None) -> Fingerprint:
    total, ncols = frame.shape
    positions = _sample_positions(total, sample_rows)
    method = "full" if positions is None else f"sampled ({len(positions)} of {total} rows)"
    part = frame if positions is None else frame.take(positions)
    h = _Hasher()
    _start(h, "frame", method)
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
    _hash_index(h, part.index)
    for _, column in part.items():  # noqa: PERF102 - positional, duplicate labels included
        _hash_values(h, column.array)
    return Fingerprint("frame", h.hexdigest(), method, (total, ncols), schema, h.size)


def _fingerprint_series(series: Any, sample_rows: int | None) -> Fingerprint:
    total = len(series)
    positions = _sample_positions(total, sample_rows)
    method = "full" if positions is None else f"sampled ({len(positions)} of {total} rows)"
    part = series if positions is None else series.take(positions)
    h = _Hasher()
    _start(h, "series", method)
    h.label(series.name)
    h.text(str(series.dtype))
    _hash_index(h, part.index)
    _hash_values(h, part.array)
    schema = {"dtype": str(series.dtype)}
    return Fingerprint("series", h.hexdigest(), method, (total,), schema, h.size)


def _tensor_to_numpy(tensor: Any) -> Any:
    detach = getattr(tensor, "detach", None)  # torch
    try:
        if detach is not None:
            return detach().cpu().numpy()
        return tensor.numpy()
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TypeError(
            f"cannot read the values of {type(tensor).__name__} ({message}); "
            "fingerprint an eager tensor or its .numpy()"
        ) from exc


def _fingerprint_array(arr: Any, kind: str, sample_rows: int | None) -> Fingerprint:
    import numpy as np

    shape = tuple(int(n) for n in arr.shape)
    positions = _sample_positions(shape[0], sample_rows) if arr.ndim else None
    method = "full" if positions is None else f"sampled ({len(positions)} of {shape[0]} rows)"
    part = arr if positions is None else arr[positions]
    h = _Hasher()
    _start(h, kind, method)
    h.text(part.dtype.str)
    h.integer(part.ndim)
    for n in part.shape:
        h.integer(int(n))
    if part.ndim <= 1 or part.flags.c_contiguous or part.dtype.kind in "OT":
        _hash_values(h, part.reshape(-1))
    else:
        h.integer(part.size)
        rows = max(1, _CHUNK_BYTES // max(1, part[0].nbytes))
        for first in range(0, len(part), rows):
            block = np.ascontiguousarray(part[first : first + rows])
            _hash_ndarray_1d(h, block.reshape(-1))
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
    arr = _tensor_to_numpy(value) if kind == "tensor" else value
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
    arr = _tensor_to_numpy(frame_or_array) if kind == "tensor" else frame_or_array
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
