"""Turning what users pass (lists, Series, arrays, Categoricals) into plain NumPy vectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mlwork_jupyter.ml.evaluation._errors import EvaluationInputError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "as_matrix",
    "as_vector",
    "integer_valued",
    "is_numeric",
    "missing_count",
    "value_kind",
]

_NUMERIC_KINDS = "biuf"


def as_vector(name: str, value: Any) -> NDArray[Any]:
    """Return `value` as a 1-D NumPy array; a column vector ``(n, 1)`` is flattened.

    Pandas extension arrays become NumPy arrays of the matching kind: nullable integers and
    floats become float64 with NaN where values are missing, categoricals and strings become
    object arrays of their values.
    """
    if isinstance(value, pd.DataFrame):
        if value.shape[1] != 1:
            raise EvaluationInputError(
                f"{name} is a DataFrame with {value.shape[1]} columns; pass one column "
                f"(a Series or 1-D array), e.g. frame[{str(value.columns[0])!r}]"
            )
        value = value.iloc[:, 0]
    if isinstance(value, pd.Series | pd.Index | pd.Categorical | pd.api.extensions.ExtensionArray):
        arr = _from_pandas(value)
    else:
        arr = np.asarray(value)
    if arr.ndim == 2 and arr.shape[1] == 1:  # noqa: PLR2004 - a column vector
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise EvaluationInputError(
            f"{name} must be 1-D, got shape {arr.shape}; pass one value per row "
            "(class labels, not one-hot rows: use argmax)"
        )
    return arr


def _from_pandas(value: Any) -> NDArray[Any]:
    dtype = value.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return np.asarray(pd.Series(value).astype(object).to_numpy())
    if dtype.kind in "iufb" and not isinstance(dtype, np.dtype):
        # Nullable Int64/Float64/boolean: float with NaN keeps missing values visible.
        series = pd.Series(value)
        if series.isna().any():
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        return series.to_numpy(dtype=dtype.numpy_dtype)
    return np.asarray(pd.Series(value).to_numpy())


def as_matrix(name: str, value: Any) -> NDArray[Any]:
    """Return `value` as a 2-D NumPy array (rows by features); images are flattened per row."""
    arr = value.to_numpy() if isinstance(value, pd.DataFrame | pd.Series) else np.asarray(value)
    if arr.ndim == 0:
        raise EvaluationInputError(f"{name} must have one row per sample, got a scalar")
    if arr.ndim == 1:
        return arr[:, None]
    return arr.reshape(len(arr), -1) if arr.ndim > 2 else arr  # noqa: PLR2004


def is_numeric(arr: NDArray[Any]) -> bool:
    """Whether `arr` holds booleans, integers or real floats."""
    return arr.dtype.kind in _NUMERIC_KINDS


def missing_count(arr: NDArray[Any]) -> int:
    """Return how many entries are NaN, None or NaT."""
    if arr.dtype.kind == "f":
        return int(np.count_nonzero(np.isnan(arr)))
    if arr.dtype.kind in "biu":
        return 0
    return int(np.count_nonzero(pd.isna(arr)))


def integer_valued(arr: NDArray[Any]) -> bool:
    """Whether a numeric array holds only whole numbers (ints, bools, or floats like 3.0)."""
    if arr.dtype.kind in "biu":
        return True
    if arr.dtype.kind != "f":
        return False
    finite = arr[np.isfinite(arr)]
    return bool(np.array_equal(finite, np.floor(finite)))


def value_kind(arr: NDArray[Any]) -> str:
    """Return what `arr` holds, in words: ``booleans``, ``strings``, ``int, str values``."""
    if arr.dtype.kind == "b":
        return "booleans"
    if arr.dtype.kind in "US":
        return "strings"
    kinds = {type(v).__name__ for v in arr[:1000]}
    return "strings" if kinds == {"str"} else f"{', '.join(sorted(kinds))} values"
