"""Row hashes (xxh3_64 per row) and the overlap of two sets of them, for the leakage check.

Two rows hash alike when their values and dtypes are alike. A NumPy array of one numeric
dtype, or a DataFrame whose columns share one, is hashed from the bytes of its row-major
rows (NaN made canonical, -0.0 made 0.0). A DataFrame of mixed columns is first turned into
one 64-bit code per cell: numbers widened to int64/float64 bits, datetimes as int64, and
anything else (strings, categories, objects) as the xxh3_64 of its ``str`` form, hashed
once per distinct value.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
import xxhash

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["overlap", "row_hashes"]

_NUMERIC = "biuf"


def row_hashes(data: Any) -> NDArray[np.uint64]:
    """Return the xxh3_64 of each row of `data` (DataFrame, Series, array or list).

    Examples
    --------
    >>> import numpy as np
    >>> h = row_hashes(np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]]))
    >>> bool(h[0] == h[2]), bool(h[0] == h[1])
    (True, False)
    """
    if isinstance(data, pd.DataFrame):
        return _hash_rows(_frame_matrix(data))
    if isinstance(data, pd.Series | pd.Index):
        return _hash_rows(_cell_codes(pd.Series(data))[:, None])
    arr = np.asarray(data)
    if arr.ndim == 0:
        msg = "row_hashes needs rows: pass a DataFrame, Series or array, got a scalar"
        raise ValueError(msg)
    matrix = arr.reshape(len(arr), -1)
    if matrix.dtype.kind in _NUMERIC:
        return _hash_rows(_canonical(matrix))
    if matrix.dtype.kind in "mM":
        return _hash_rows(matrix.view(np.int64))
    return _hash_rows(
        _codes_of_columns([pd.Series(matrix[:, i]) for i in range(matrix.shape[1])], len(arr))
    )


def overlap(
    eval_hashes: NDArray[np.uint64], train_hashes: NDArray[np.uint64], max_examples: int = 5
) -> tuple[int, list[int]]:
    """Return how many evaluation rows occur among the training rows, and a few positions.

    Parameters
    ----------
    eval_hashes, train_hashes
        `row_hashes` of the evaluated and of the training data.
    max_examples
        Most positions (into the evaluated data) returned.

    Returns
    -------
    tuple
        ``(rows, examples)``: the count of evaluation rows whose hash is among the training
        hashes, and the first `max_examples` of their positions.
    """
    evaluated = np.asarray(eval_hashes, dtype=np.uint64)
    known = np.sort(np.asarray(train_hashes, dtype=np.uint64))
    if not len(known):
        return 0, []
    at = np.minimum(np.searchsorted(known, evaluated), len(known) - 1)
    found = np.flatnonzero(known[at] == evaluated)
    return len(found), [int(i) for i in found[:max_examples]]


def _frame_matrix(frame: pd.DataFrame) -> NDArray[Any]:
    dtypes = set(frame.dtypes)
    if len(dtypes) == 1:
        (dtype,) = dtypes
        if isinstance(dtype, np.dtype) and dtype.kind in _NUMERIC:
            return _canonical(frame.to_numpy())
    return _codes_of_columns([frame.iloc[:, i] for i in range(frame.shape[1])], len(frame))


def _codes_of_columns(columns: list[pd.Series], rows: int) -> NDArray[np.uint64]:
    if not columns:
        return np.zeros((rows, 0), dtype=np.uint64)
    return np.column_stack([_cell_codes(column) for column in columns])


def _canonical(matrix: NDArray[Any]) -> NDArray[Any]:
    if matrix.dtype.kind != "f":
        return matrix
    matrix = matrix + matrix.dtype.type(0.0)  # a copy, with -0.0 turned into 0.0
    nan = np.isnan(matrix)
    if nan.any():
        matrix[nan] = np.nan
    return matrix


def _cell_codes(column: pd.Series) -> NDArray[np.uint64]:
    dtype = column.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind in "biu":
            return column.to_numpy().astype(np.int64).view(np.uint64)
        if dtype.kind == "f":
            return _canonical(column.to_numpy().astype(np.float64)).view(np.uint64)
        if dtype.kind in "mM":
            return column.to_numpy().view(np.int64).view(np.uint64)
    elif dtype.kind in _NUMERIC and not isinstance(dtype, pd.CategoricalDtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return _canonical(values).view(np.uint64)
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
    except TypeError:  # unhashable cells (lists, dicts): hash each one's text
        return np.fromiter((_text_hash(v) for v in column), np.uint64, count=len(column))
    table = np.fromiter((_text_hash(v) for v in uniques), np.uint64, count=len(uniques))
    return table[codes]


def _text_hash(value: object) -> int:
    return int(xxhash.xxh3_64_intdigest(str(value).encode("utf-8", "surrogatepass")))


def _hash_rows(matrix: NDArray[Any]) -> NDArray[np.uint64]:
    rows = len(matrix)
    contiguous = np.ascontiguousarray(matrix)
    width = contiguous.dtype.itemsize * (contiguous.shape[1] if contiguous.ndim > 1 else 1)
    if width == 0:
        empty = xxhash.xxh3_64_intdigest(b"")
        return np.full(rows, empty, dtype=np.uint64)
    records = contiguous.view(np.dtype((np.void, width))).reshape(rows)
    rows_bytes = cast("list[bytes]", records.tolist())
    digests = map(xxhash.xxh3_64_intdigest, rows_bytes, itertools.repeat(0))
    return np.fromiter(digests, np.uint64, count=rows)
