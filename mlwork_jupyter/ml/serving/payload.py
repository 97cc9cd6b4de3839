"""Request bodies of both REST protocols, checked against the schema and turned into arrays.

Every function here either returns a `Batch` or raises `RequestError` with one line that names
the field at fault; none lets another exception out for any JSON or CSV input.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mlwork_jupyter.ml.serving.schema import Field, Schema, dtype_family

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from numpy.typing import NDArray

__all__ = ["Batch", "RequestError", "from_columnar", "from_csv", "from_mlflow", "from_rows"]

_MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_DEFAULT_DTYPE = {"float": "float64", "int": "int64", "bool": "bool"}


class RequestError(ValueError):
    """A request that does not fit the model: answered 400 with this one-line message."""


@dataclass(frozen=True, slots=True)
class Batch:
    """A request's rows: columns kind, column -> 1-D array; tensors kind, input -> array."""

    arrays: dict[str, NDArray[Any]]
    rows: int


def _label(schema: Schema, name: str) -> str:
    return f"column {name!r}" if schema.kind == "columns" else f"input {name!r}"


def _scalars(values: Any) -> Iterator[Any]:
    """Yield the scalars of nested lists, depth first, without recursion."""
    stack = [iter((values,))]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list | tuple):
                stack.append(iter(item))
                break
            yield item
        else:
            stack.pop()


def _first(values: Any, bad: Callable[[Any], bool]) -> Any:
    """Return the first scalar in (nested) `values` for which `bad` is true, else None."""
    return next((v for v in _scalars(values) if bad(v)), None)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)


def _target(field: Field, family: str) -> np.dtype[Any]:
    try:
        return np.dtype(field.dtype)
    except TypeError:
        return np.dtype(_DEFAULT_DTYPE.get(family, "object"))


def _numbers(label: str, field: Field, family: str, values: Any, raw: NDArray[Any]) -> NDArray[Any]:
    if raw.dtype.kind not in "fiub":  # strings, nulls or other objects somewhere
        bad = _first(values, lambda v: not (_is_number(v) or v is None or isinstance(v, bool)))
        if bad is not None:
            what = "integers" if family == "int" else "numbers"
            raise RequestError(f"{label}: expected {what} ({field.dtype}), got {bad!r}")
    if family == "int":
        if raw.dtype == object and any(v is None for v in _scalars(values)):
            raise RequestError(f"{label}: null in an integer input ({field.dtype})")
        floats = raw.astype(np.float64)
        if not np.all(np.isfinite(floats)) or not np.all(floats == np.round(floats)):
            raise RequestError(f"{label}: expected integers ({field.dtype}), got fractions")
    raw = np.asarray(values, dtype=np.float64) if raw.dtype == object else raw
    return raw.astype(_target(field, family))


def _others(label: str, field: Field, family: str, values: Any, raw: NDArray[Any]) -> NDArray[Any]:
    if family == "bool":
        bad = _first(values, lambda v: not isinstance(v, bool | np.bool_))
        if bad is not None:
            raise RequestError(f"{label}: expected true or false, got {bad!r}")
        return raw.astype(bool)
    if family == "string":
        bad = _first(values, lambda v: not (isinstance(v, str) or v is None))
        if bad is not None:
            raise RequestError(f"{label}: expected strings ({field.dtype}), got {bad!r}")
        return np.asarray(values, dtype=object)
    if family == "datetime":
        try:
            return np.asarray(values, dtype="datetime64[ns]")
        except (TypeError, ValueError):
            raise RequestError(f"{label}: expected ISO dates ({field.dtype})") from None
    return raw.astype(object) if raw.dtype.kind in "USV" else raw


def _convert(label: str, field: Field, values: Any) -> NDArray[Any]:
    """Return `values` as an array of the field's dtype, or raise naming the bad value."""
    family = dtype_family(field.dtype)
    try:
        raw = np.asarray(values)
    except ValueError:
        raise RequestError(f"{label}: rows have different lengths") from None
    if family in {"float", "int"}:
        return _numbers(label, field, family, values, raw)
    return _others(label, field, family, values, raw)


def _check_shape(label: str, field: Field, array: NDArray[Any]) -> None:
    if array.ndim == 0:
        raise RequestError(f"{label}: expected a list of rows, got a single value")
    if field.shape is None:
        return
    want, got = field.shape[1:], array.shape[1:]
    if len(want) != len(got) or any(w not in (-1, g) for w, g in zip(want, got, strict=False)):
        shown = "scalars" if not got else list(got)
        raise RequestError(f"{label}: expected rows of shape {list(want)}, got {shown}")


def _finish(schema: Schema, columns: dict[str, Any]) -> Batch:
    """Check names, dtypes, shapes and row counts of named values; return the batch."""
    names = schema.names
    for name in columns:
        if name not in names:
            raise RequestError(
                f"unexpected {_label(schema, name)}; the model takes: {', '.join(names)}"
            )
    for name in names:
        if name not in columns:
            raise RequestError(f"missing {_label(schema, name)}")
    arrays: dict[str, NDArray[Any]] = {}
    for field in schema.fields:
        label = _label(schema, field.name)
        array = _convert(label, field, columns[field.name])
        _check_shape(label, field, array)
        if schema.kind == "columns" and array.ndim != 1:
            shape = list(array.shape[1:])
            raise RequestError(f"{label}: expected one value per row, got rows of shape {shape}")
        arrays[field.name] = array
    counts = {name: len(a) for name, a in arrays.items()}
    if len(set(counts.values())) > 1:
        shown = ", ".join(f"{k} has {v}" for k, v in counts.items())
        raise RequestError(f"inputs have different row counts: {shown}")
    rows = next(iter(counts.values()))
    if rows == 0:
        raise RequestError("the request holds no rows")
    return Batch(arrays, rows)


def _unnamed(schema: Schema, what: str) -> Field:
    if len(schema.fields) != 1:
        raise RequestError(
            f"this model takes {len(schema.fields)} inputs ({', '.join(schema.names)}): "
            f"send {what} as objects keyed by input name"
        )
    return schema.fields[0]


def from_rows(schema: Schema, rows: Any, key: str = "instances") -> Batch:
    """Rows: a list of objects keyed by field name, or of values (lists) in field order."""
    if not isinstance(rows, list) or not rows:
        raise RequestError(f"{key} must be a non-empty list of rows")
    if all(isinstance(r, dict) for r in rows):
        names = list(dict.fromkeys(k for r in rows for k in r))
        for i, r in enumerate(rows):
            missing = [n for n in names if n not in r]
            if missing:
                raise RequestError(f"{key}[{i}] has no {missing[0]!r}")
        return _finish(schema, {n: [r[n] for r in rows] for n in names})
    if any(isinstance(r, dict) for r in rows):
        raise RequestError(f"{key} mixes objects and lists; use one form for every row")
    if schema.kind == "columns":
        width = len(schema.fields)
        if width == 1 and not any(isinstance(r, list) for r in rows):
            return _finish(schema, {schema.fields[0].name: rows})
        for i, r in enumerate(rows):
            if not isinstance(r, list) or len(r) != width:
                got = len(r) if isinstance(r, list) else "a single value"
                raise RequestError(
                    f"{key}[{i}] must hold {width} values ({', '.join(schema.names)}), got {got}"
                )
        return _finish(schema, {n: [r[j] for r in rows] for j, n in enumerate(schema.names)})
    return _finish(schema, {_unnamed(schema, key).name: rows})


def from_columnar(schema: Schema, inputs: Any, key: str = "inputs") -> Batch:
    """Columnar: an object of field name -> values (first axis the row), or one input's rows."""
    if isinstance(inputs, dict):
        if not inputs:
            raise RequestError(f"{key} is an empty object")
        return _finish(schema, {str(k): v for k, v in inputs.items()})
    if schema.kind == "columns":
        return from_rows(schema, inputs, key)
    if not isinstance(inputs, list):
        raise RequestError(f"{key} must be a list of rows or an object of named inputs")
    return _finish(schema, {_unnamed(schema, key).name: inputs})


def _from_table(schema: Schema, columns: list[str], data: list[Any]) -> Batch:
    if schema.kind == "columns":
        return from_rows(schema, [dict(zip(columns, row, strict=False)) for row in data])
    field = _unnamed(schema, "columns")
    return _finish(schema, {field.name: data})


def _dataframe_split(schema: Schema, split: Any) -> Batch:
    if not isinstance(split, dict) or not isinstance(split.get("data"), list):
        raise RequestError('dataframe_split must be an object with "data" (and "columns")')
    data = split["data"]
    if not data or not all(isinstance(row, list) for row in data):
        raise RequestError("dataframe_split.data must be a non-empty list of rows (lists)")
    columns = split.get("columns")
    if columns is None:
        return from_rows(schema, data, "dataframe_split.data")
    if not isinstance(columns, list) or len(set(map(str, columns))) != len(columns):
        raise RequestError("dataframe_split.columns must be a list of distinct names")
    for i, row in enumerate(data):
        if len(row) != len(columns):
            raise RequestError(
                f"dataframe_split.data[{i}] has {len(row)} values for {len(columns)} columns"
            )
    return _from_table(schema, [str(c) for c in columns], data)


def from_mlflow(schema: Schema, body: Any) -> Batch:
    """Read an MLflow ``/invocations`` JSON body: exactly one of four keys (+ ``params``)."""
    if not isinstance(body, dict):
        raise RequestError(f"the body must be a JSON object with one of {', '.join(_MLFLOW_KEYS)}")
    keys = [k for k in _MLFLOW_KEYS if k in body]
    unknown = [k for k in body if k not in (*_MLFLOW_KEYS, "params")]
    if len(keys) != 1 or unknown:
        raise RequestError(
            f"the body must hold exactly one of {', '.join(_MLFLOW_KEYS)} (and optionally "
            f"params), got: {', '.join(json.dumps(str(k)) for k in body) or 'nothing'}"
        )
    if "params" in body and not isinstance(body["params"], dict):
        raise RequestError("params must be an object")
    key = keys[0]
    if key == "dataframe_split":
        return _dataframe_split(schema, body[key])
    if key == "dataframe_records":
        records = body[key]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise RequestError("dataframe_records must be a list of objects")
        return from_rows(schema, records, key)
    if key == "instances":
        return from_rows(schema, body[key], key)
    return from_columnar(schema, body[key], key)


def from_csv(schema: Schema, text: str) -> Batch:
    """Read a CSV body with a header row (MLflow's ``text/csv``)."""
    import pandas as pd

    try:
        frame = pd.read_csv(io.StringIO(text))
    except Exception as exc:  # pandas raises several kinds for bad CSV
        raise RequestError(f"the CSV body cannot be read: {str(exc).splitlines()[0]}") from None
    if frame.empty:
        raise RequestError("the CSV body holds no rows")
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="split")
    return _from_table(schema, [str(c) for c in records["columns"]], records["data"])
