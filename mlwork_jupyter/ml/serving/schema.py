"""A model's input schema (`schema.json`): what a request must hold, inferred or given.

Two kinds. ``columns``: named columns of one value per row (from a DataFrame example, or the
``{column: dtype}`` schema a data record keeps); a Keras model gets them stacked into one
``(rows, columns)`` input, a scikit-learn model a DataFrame. ``tensors``: named arrays whose
first axis is the row (from an array or a dict of arrays, or from the SavedModel signature).
A dtype or shape of None is not checked (a model exported without an example).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlwork_jupyter.ml.serving.layout import DeployError

__all__ = ["FORMAT", "Field", "Schema", "dtype_family", "infer_schema", "schema_from"]

FORMAT = "mlwork-schema/1"
_DEFAULT_INPUT = "input"


@dataclass(frozen=True, slots=True)
class Field:
    """One column or input: its name, dtype and (inputs only) shape with -1 for the rows."""

    name: str
    dtype: str | None
    shape: tuple[int, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """Return the field as `schema.json` writes it."""
        found: dict[str, Any] = {"name": self.name, "dtype": self.dtype}
        if self.shape is not None:
            found["shape"] = list(self.shape)
        return found


@dataclass(frozen=True, slots=True)
class Schema:
    """What a request must hold: ``kind`` is ``"columns"`` or ``"tensors"``."""

    kind: str
    fields: tuple[Field, ...]
    source: str = "example"

    @property
    def names(self) -> list[str]:
        """The field names, in order."""
        return [f.name for f in self.fields]

    def to_json(self) -> dict[str, Any]:
        """Return the schema as `schema.json` holds it."""
        return {
            "format": FORMAT,
            "kind": self.kind,
            "source": self.source,
            "fields": [f.to_json() for f in self.fields],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Schema:
        """Read a schema written by `to_json`."""
        fields = tuple(
            Field(
                name=str(f["name"]),
                dtype=None if f.get("dtype") is None else str(f["dtype"]),
                shape=None if f.get("shape") is None else tuple(int(d) for d in f["shape"]),
            )
            for f in data["fields"]
        )
        return cls(kind=str(data["kind"]), fields=fields, source=str(data.get("source", "")))


def dtype_family(dtype: str | None) -> str:
    """Return what values a dtype takes: float, int, bool, string, datetime or any."""
    if dtype is None:
        return "any"
    text = dtype.lower()
    for prefix, family in (
        ("float", "float"),
        ("double", "float"),
        ("half", "float"),
        ("bfloat", "float"),
        ("int", "int"),
        ("uint", "int"),
        ("bool", "bool"),
        ("datetime", "datetime"),
    ):
        if text.startswith(prefix):
            return family
    if text in {"object", "str", "string", "bytes"} or text.startswith(("<u", "|s")):
        return "string"
    return "any"


def _shape(value: Any) -> tuple[int, ...]:
    return (-1, *(int(d) for d in value.shape[1:]))


def _array_field(name: str, value: Any) -> Field:
    import numpy as np

    array = value if hasattr(value, "dtype") and hasattr(value, "shape") else np.asarray(value)
    if len(array.shape) == 0:
        raise DeployError(f"example input {name!r} is a scalar; give rows (an array of rows)")
    dtype = str(getattr(array.dtype, "name", array.dtype))
    return Field(name=name, dtype=dtype, shape=_shape(array))


def infer_schema(example: Any, input_names: list[str] | None = None) -> Schema:
    """Infer the schema of a model's input from an example of it.

    Parameters
    ----------
    example
        A DataFrame (columns and dtypes), a Series (one column), an array or tensor (its
        row shape and dtype) or a dict of arrays (one input each).
    input_names
        The model's input names (a SavedModel signature's); a lone array takes the first.
    """
    import pandas as pd

    if isinstance(example, pd.DataFrame):
        fields = tuple(Field(str(c), str(example[c].dtype)) for c in example.columns)
        return Schema("columns", fields)
    if isinstance(example, pd.Series):
        name = str(example.name) if example.name is not None else "0"
        return Schema("columns", (Field(name, str(example.dtype)),))
    if isinstance(example, dict):
        return Schema("tensors", tuple(_array_field(str(k), v) for k, v in example.items()))
    name = (input_names or [_DEFAULT_INPUT])[0]
    try:
        return Schema("tensors", (_array_field(name, example),))
    except (TypeError, ValueError) as exc:
        raise DeployError(
            "example= must be a DataFrame, Series, array or dict of arrays, got "
            f"{type(example).__name__} ({exc})"
        ) from exc


def _from_data_ref(ref: dict[str, Any]) -> Schema:
    """Return the schema of a data record's reference (`DataRef.as_dict()`) to the inputs."""
    kind, found, shape = ref.get("kind"), ref.get("schema") or {}, ref.get("shape")
    if kind == "frame":
        return Schema("columns", tuple(Field(str(k), str(v)) for k, v in found.items()), "lineage")
    if kind in {"array", "tensor"} and shape:
        row = (-1, *(int(d) for d in shape[1:]))
        return Schema("tensors", (Field(_DEFAULT_INPUT, found.get("dtype"), row),), "lineage")
    raise DeployError(f"the data record {ref.get('name')!r} ({kind}) gives no input schema")


def schema_from(value: Any) -> Schema:
    """Return a `Schema` from `schema.json`'s form, a data reference or a column mapping.

    A data record's reference to the training inputs (`DataRef.as_dict()`: kind, shape,
    schema) or a DataFrame's ``{column: dtype}`` (`DataRef.schema` of a frame) let the deploy
    stage pass the training data's schema from lineage.
    """
    if isinstance(value, Schema):
        return value
    if isinstance(value, dict) and {"kind", "schema", "shape", "fingerprint"} <= set(value):
        return _from_data_ref(value)
    if isinstance(value, dict) and "fields" in value and "kind" in value:
        try:
            schema = Schema.from_json(value)
        except (KeyError, TypeError, ValueError) as exc:
            raise DeployError(f"schema= is not a valid schema ({exc!r})") from exc
        if schema.kind not in {"columns", "tensors"} or not schema.fields:
            raise DeployError(f"schema= kind must be 'columns' or 'tensors', got {schema.kind!r}")
        return schema
    if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
        fields = tuple(Field(str(k), v) for k, v in value.items())
        return Schema("columns", fields, source="lineage")
    raise DeployError(
        "schema= must be a schema.json dict or a {column: dtype} mapping, got "
        f"{type(value).__name__}"
    )
