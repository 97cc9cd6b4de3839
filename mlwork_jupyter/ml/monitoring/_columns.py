"""Monitor inputs as named columns: frames, arrays and series read as numerical or categorical.

A column's kind comes from its dtype: bool, category, object and string columns are
categorical; integer and float columns are numerical; datetime, timedelta, period, interval
and complex columns are not compared (`skip_reason` says why). Missing values (None, NaN, NaT)
are counted and left out; in numerical columns so are infinite values, as Evidently does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from mlwork_jupyter.ml.monitoring._errors import MonitorInputError

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "Categorical",
    "Kind",
    "Numeric",
    "as_frame",
    "column_kind",
    "prediction_series",
    "read_column",
    "skip_reason",
]

Kind = Literal["numerical", "categorical"]


@dataclass(frozen=True, slots=True)
class Numeric:
    """A numerical column: its finite values sorted, and what was left out.

    Attributes
    ----------
    sample
        The finite values, sorted ascending (float64).
    rows
        All rows of the column.
    missing
        Rows holding None or NaN (or a value that is not a number, when converted).
    nonfinite
        Rows holding +inf or -inf (left out of the tests, as Evidently does).
    integer
        The column had an integer dtype (NumPy's Sturges bins are then at least 1 wide).
    dtype
        The column's dtype as text.
    """

    sample: NDArray[np.float64]
    rows: int
    missing: int
    nonfinite: int
    integer: bool
    dtype: str

    @property
    def n(self) -> int:
        """Return the number of values the tests use."""
        return int(self.sample.size)

    @property
    def lo(self) -> float:
        """Return the smallest value (the sample must not be empty)."""
        return float(self.sample[0])

    @property
    def hi(self) -> float:
        """Return the largest value (the sample must not be empty)."""
        return float(self.sample[-1])


@dataclass(frozen=True, slots=True)
class Categorical:
    """A categorical column: rows per category (missing values left out).

    Attributes
    ----------
    counts
        Rows per category, index = category value, in order of first appearance.
    rows, missing, dtype
        As for `Numeric`.
    """

    counts: pd.Series
    rows: int
    missing: int
    dtype: str

    @property
    def n(self) -> int:
        """Return the number of values the tests use."""
        return int(self.counts.sum())


def as_frame(data: Any, what: str) -> pd.DataFrame:
    """Return `data` (DataFrame, Series, 1-D or 2-D array) as a frame with text column names.

    Array columns are named ``"0" .. "k-1"``; a nameless Series is column ``"0"``.
    """
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, pd.Series):
        frame = data.to_frame(name="0" if data.name is None else str(data.name))
    else:
        try:
            array = np.asarray(data)
        except Exception as exc:
            raise MonitorInputError(
                f"{what}: cannot read a {type(data).__name__} ({exc}); "
                "pass a pandas DataFrame, a Series or a 2-D NumPy array"
            ) from None
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:  # noqa: PLR2004
            raise MonitorInputError(
                f"{what}: got an array of shape {array.shape}; pass a 2-D array (rows, features)"
            )
        frame = pd.DataFrame(array, columns=[str(i) for i in range(array.shape[1])])
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise MonitorInputError(
            f"{what}: column names {repeated} occur more than once; give every column its own name"
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise MonitorInputError(
            f"{what} is empty ({frame.shape[0]} rows, {frame.shape[1]} columns); "
            "pass data with at least one row and one column"
        )
    if names != list(frame.columns):
        frame = frame.set_axis(names, axis=1)
    return frame


def skip_reason(dtype: Any) -> str | None:
    """Return why a column of `dtype` is not compared, or None when it is."""
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    if (
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, (pd.PeriodDtype, pd.IntervalDtype))
    ):
        return f"{dtype} columns are not compared"
    if pd.api.types.is_complex_dtype(dtype):
        return "complex columns are not compared"
    return None


def column_kind(dtype: Any) -> Kind:
    """Return the kind of a column of `dtype` (one that `skip_reason` accepts)."""
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numerical"
    return "categorical"


def _numeric(series: pd.Series) -> Numeric:
    dtype = series.dtype
    integer = pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:  # a current column whose reference is numerical: read what parses as a number
        values = pd.to_numeric(series.astype(object), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
    nan = np.isnan(values)
    finite = np.isfinite(values)
    kept = np.sort(values[finite])
    return Numeric(
        sample=kept,
        rows=int(values.size),
        missing=int(nan.sum()),
        nonfinite=int(values.size - finite.sum() - nan.sum()),
        integer=bool(integer),
        dtype=str(dtype),
    )


def _categorical(series: pd.Series) -> Categorical:
    counts = series.value_counts(dropna=True, sort=False)
    if isinstance(series.dtype, pd.CategoricalDtype):
        counts = counts[counts > 0]  # unused categories are not values
        counts.index = counts.index.astype(object)
    counts = counts.astype(np.int64)
    counts.name = None
    rows = len(series)
    return Categorical(
        counts=counts, rows=rows, missing=int(rows - counts.sum()), dtype=str(series.dtype)
    )


def read_column(series: pd.Series, kind: Kind) -> Numeric | Categorical:
    """Return `series` read as a column of `kind` (the reference's kind, for a current column)."""
    return _numeric(series) if kind == "numerical" else _categorical(series)


def prediction_series(data: Any, what: str) -> pd.Series:
    """Return predictions as one column named ``prediction``.

    A 1-D array, a Series or a one-column array/frame is taken as it is. Class scores of
    ``k > 1`` columns are compared as the predicted class: the arg-max column (its name for a
    DataFrame, its position for an array), a categorical column.
    """
    if isinstance(data, pd.DataFrame):
        if data.shape[1] == 1:
            series = data.iloc[:, 0]
        else:
            series = data.astype(np.float64).idxmax(axis=1).astype(str).astype("category")
    elif isinstance(data, pd.Series):
        series = data
    else:
        array = np.asarray(data)
        if array.ndim == 2 and array.shape[1] == 1:  # noqa: PLR2004
            array = array[:, 0]
        if array.ndim == 2:  # noqa: PLR2004
            series = pd.Series(np.argmax(array, axis=1)).astype("category")
        elif array.ndim == 1:
            series = pd.Series(array)
        else:
            raise MonitorInputError(
                f"{what}: got an array of shape {array.shape}; pass one prediction per row "
                "(n,) or class scores (n, k)"
            )
    if len(series) == 0:
        raise MonitorInputError(f"{what} is empty; pass at least one prediction")
    return series.rename("prediction").reset_index(drop=True)
