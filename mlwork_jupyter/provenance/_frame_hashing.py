"""Stream the cells of columns, indexes and arrays into a length-prefixed xxh3-128 hash."""

from __future__ import annotations

import contextlib
import math
import struct
import sys
from typing import TYPE_CHECKING, Any

import xxhash

if TYPE_CHECKING:
    from collections.abc import Iterator

# Numeric buffers go through in slices this big so the NaN check and the hash share the cache.
CHUNK_BYTES = 1 << 20
# Rows of a text column joined at once: bounds the temporary string to a few MiB.
_TEXT_ROWS = 1 << 16


class Hasher:
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

    step = max(1, CHUNK_BYTES // max(1, arr.itemsize))
    for start in range(0, len(arr), step):
        yield np.ascontiguousarray(arr[start : start + step])


def _hash_fixed(h: Hasher, arr: Any) -> None:
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


def _hash_joined(h: Hasher, joined: str, items: list[str]) -> None:
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


def _hash_objects(h: Hasher, arr: Any) -> None:
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


def hash_ndarray_1d(h: Hasher, arr: Any) -> None:
    kind = arr.dtype.kind
    if kind == "O":
        _hash_objects(h, arr)
    elif kind == "T" or arr.dtype.hasobject:
        _hash_objects(h, arr.astype(object))
    else:
        _hash_fixed(h, arr)


def _hash_categorical(h: Hasher, cat: Any) -> None:
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
    hash_values(h, categories.array)
    h.text(codes.dtype.str)
    _hash_fixed(h, codes)


def _as_int64(arr: Any) -> Any:
    return arr.asi8  # datetime, timedelta and period arrays: int64 ticks, NaT included


def _hash_masked(h: Hasher, arr: Any) -> None:
    import numpy as np
    import pandas as pd

    # Values under the mask are arbitrary: blank them so equal arrays hash equal.
    mask = np.asarray(arr.isna(), dtype=bool)
    fill = False if isinstance(arr, pd.arrays.BooleanArray) else 0
    _hash_fixed(h, mask.view(np.uint8))
    _hash_fixed(h, arr.to_numpy(dtype=arr.dtype.numpy_dtype, na_value=fill))


def hash_values(h: Hasher, arr: Any) -> None:
    """Hash one column (an ndarray or a pandas ExtensionArray), dispatching on its storage."""
    import numpy as np

    h.integer(len(arr))
    if isinstance(arr, np.ndarray):
        hash_ndarray_1d(h, arr)
        return
    import pandas as pd

    datetimelike = (pd.arrays.DatetimeArray, pd.arrays.TimedeltaArray, pd.arrays.PeriodArray)
    masked = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)
    if isinstance(arr, pd.arrays.NumpyExtensionArray):
        hash_ndarray_1d(h, arr.to_numpy())
    elif isinstance(arr, pd.Categorical):
        _hash_categorical(h, arr)
    elif isinstance(arr, datetimelike):
        _hash_fixed(h, _as_int64(arr))
    elif isinstance(arr, masked):
        _hash_masked(h, arr)
    else:
        _hash_objects(h, np.asarray(arr, dtype=object))


def _hash_range(h: Hasher, index: Any) -> None:
    """Hash a RangeIndex exactly as its materialised int64 values, without materialising it."""
    import numpy as np

    h.integer(len(index))
    start, step, count = index.start, index.step, len(index)
    rows = CHUNK_BYTES // 8
    for first in range(0, count, rows):
        stop = min(count, first + rows)
        values = np.arange(start + first * step, start + stop * step, step, dtype=np.int64)
        h.raw(values.data)


def hash_index(h: Hasher, index: Any) -> None:
    import pandas as pd

    h.text("index")
    h.integer(index.nlevels)
    if isinstance(index, pd.MultiIndex):
        for level in range(index.nlevels):
            values = index.get_level_values(level)
            h.label(index.names[level])
            h.text(str(values.dtype))
            hash_values(h, values.array)
        return
    h.label(index.name)
    h.text(str(index.dtype))
    if isinstance(index, pd.RangeIndex):
        _hash_range(h, index)
    else:
        hash_values(h, index.array)
