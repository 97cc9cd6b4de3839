"""How each framework's model is written into an export folder, and its schema settled.

Keras: ``model.keras`` (`keras_saving.save_model`) and ``saved_model/`` (`Model.export`, whose
``serving_default`` signature the server calls); the schema is checked against that signature.
scikit-learn: ``model.skops`` (`skops.io.dump`, refused if it holds types the server would not
trust); signatures ``serving_default`` (predict) and ``predict_proba`` where the model has it.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.ml.serving.layout import DeployError
from mlwork_jupyter.ml.serving.predictor import (
    DEFAULT_SIGNATURE,
    skops_io,
    skops_trust,
    tf_signatures,
)
from mlwork_jupyter.ml.serving.schema import Field, Schema, dtype_family, infer_schema, schema_from
from mlwork_jupyter.provenance.record import json_safe

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["write_keras", "write_sklearn"]


def _keras_schema(schema: Schema, signature: dict[str, Any]) -> Schema:
    """Check a schema against the SavedModel's serving signature; name a lone input after it."""
    inputs = signature["inputs"]
    if schema.kind == "columns":
        shape = next(iter(inputs.values()))["shape"] if len(inputs) == 1 else None
        width = shape[-1] if shape else None
        if len(inputs) != 1 or (width not in (-1, None) and width != len(schema.fields)):
            raise DeployError(
                f"a DataFrame of {len(schema.fields)} columns needs a model with one input of "
                f"width {len(schema.fields)}; this one takes {inputs}"
            )
        bad = [
            f.name
            for f in schema.fields
            if dtype_family(f.dtype) not in {"float", "int", "bool", "any"}
        ]
        if bad:
            raise DeployError(f"a Keras model takes numeric columns; {bad[0]!r} is not numeric")
        return schema
    if len(schema.fields) == 1 and len(inputs) == 1:
        (name,) = inputs
        return Schema(
            "tensors", (Field(name, schema.fields[0].dtype, schema.fields[0].shape),), schema.source
        )
    if set(schema.names) != set(inputs):
        raise DeployError(
            f"example inputs {schema.names} do not match the model's {sorted(inputs)}"
        )
    return schema


def write_keras(
    model: Any, folder: Path, example: Any, schema: Any
) -> tuple[Schema, dict[str, Any]]:
    """Write a Keras model into `folder`; return its schema and its part of `export.json`."""
    import tensorflow as tf

    from mlwork_jupyter.ml.keras_saving import save_model

    try:
        save_model(model, str(folder / "model.keras"))
        model.export(str(folder / "saved_model"), format="tf_saved_model", verbose=False)
    except Exception as exc:
        raise DeployError(
            f"the Keras model cannot be exported: {str(exc).splitlines()[0]}"
        ) from exc
    signatures = tf_signatures(tf.saved_model.load(str(folder / "saved_model")))
    serving = signatures[DEFAULT_SIGNATURE]
    if schema is not None:
        found = schema_from(schema)
    elif example is not None:
        found = infer_schema(example, input_names=list(serving["inputs"]))
    else:
        fields = tuple(
            Field(k, v["dtype"], tuple(v["shape"] or ()) or None)
            for k, v in serving["inputs"].items()
        )
        found = Schema("tensors", fields, source="signature")
    details = {"parameters": int(model.count_params()), "signatures": signatures}
    return _keras_schema(found, serving), details


def _sklearn_schema(model: Any, example: Any, schema: Any) -> Schema:
    if schema is not None:
        return schema_from(schema)
    if isinstance(example, dict):
        raise DeployError("a scikit-learn model takes one table: give a DataFrame or array example")
    if example is not None:
        return infer_schema(example)
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        return Schema("columns", tuple(Field(str(n), None) for n in names), source="estimator")
    width = getattr(model, "n_features_in_", None)
    if width is not None:
        return Schema("tensors", (Field("input", None, (-1, int(width))),), source="estimator")
    raise DeployError("cannot tell this model's inputs: pass example= (a few rows of its input)")


def write_sklearn(
    model: Any, folder: Path, example: Any, schema: Any, trust: list[str]
) -> tuple[Schema, dict[str, Any]]:
    """Write a fitted scikit-learn model into `folder`; return its schema and description."""
    import numpy as np
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except NotFittedError:
        raise DeployError(
            f"{type(model).__name__} is not fitted: call fit before deploying"
        ) from None
    found = _sklearn_schema(model, example, schema)
    try:
        skops_io().dump(model, str(folder / "model.skops"))
    except (TypeError, ValueError, RecursionError) as exc:
        raise DeployError(f"skops cannot save this model: {str(exc).splitlines()[0]}") from exc
    skops_trust(folder / "model.skops", trust)
    signatures: dict[str, Any] = {}
    rows = example[:2] if example is not None else None
    inputs = {
        f.name: {"dtype": f.dtype, "shape": list(f.shape) if f.shape else [-1]}
        for f in found.fields
    }
    for signature, method in ((DEFAULT_SIGNATURE, "predict"), ("predict_proba", "predict_proba")):
        if not hasattr(model, method):
            continue
        outputs: dict[str, Any] = {"dtype": None, "shape": None}
        if rows is not None:
            with contextlib.suppress(Exception):  # a description only: never fail the export
                out = np.asarray(getattr(model, method)(rows))
                outputs = {"dtype": out.dtype.name, "shape": [-1, *out.shape[1:]]}
        signatures[signature] = {"inputs": inputs, "outputs": {"predictions": outputs}}
    hyper = json_safe(model.get_params(deep=False))
    return found, {
        "parameters": None,
        "hyperparameters": hyper,
        "signatures": signatures,
        "trust": trust,
    }
