"""Response bodies of both protocols: TF Serving's status, metadata and predictions, MLflow's.

TensorFlow Serving REST (``/v1/models/...``): a row request (``instances``) answers
``{"predictions": [...]}`` (one entry per row; an object per row when the model has several
outputs), a columnar one (``inputs``) ``{"outputs": ...}``; errors ``{"error": "..."}``.
MLflow (``/invocations``): ``{"predictions": ...}``; errors
``{"error_code": "BAD_REQUEST", "message": "..."}``.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "error_body",
    "metadata_body",
    "mlflow_predictions",
    "status_body",
    "tf_columnar",
    "tf_rows",
]

_TF_TYPES = {
    "float16": "DT_HALF",
    "bfloat16": "DT_BFLOAT16",
    "float32": "DT_FLOAT",
    "float64": "DT_DOUBLE",
    "int8": "DT_INT8",
    "int16": "DT_INT16",
    "int32": "DT_INT32",
    "int64": "DT_INT64",
    "uint8": "DT_UINT8",
    "uint16": "DT_UINT16",
    "uint32": "DT_UINT32",
    "uint64": "DT_UINT64",
    "bool": "DT_BOOL",
    "string": "DT_STRING",
    "object": "DT_STRING",
    "str": "DT_STRING",
}
_MLFLOW_CODES = {
    400: "BAD_REQUEST",
    404: "ENDPOINT_NOT_FOUND",
    405: "BAD_REQUEST",
    413: "RESOURCE_LIMIT_EXCEEDED",
    415: "BAD_REQUEST",
    500: "INTERNAL_ERROR",
    503: "TEMPORARILY_UNAVAILABLE",
}


def error_body(protocol: str, status: int, message: str) -> bytes:
    """Return the error JSON of `protocol` (``"tfserving"`` or ``"mlflow"``)."""
    if protocol == "mlflow":
        code = _MLFLOW_CODES.get(
            status, "BAD_REQUEST" if status < HTTPStatus.INTERNAL_SERVER_ERROR else "INTERNAL_ERROR"
        )
        return json.dumps({"error_code": code, "message": message}).encode()
    return json.dumps({"error": message}).encode()


def status_body(version: int) -> dict[str, Any]:
    """Return TF Serving's model status: the one served version, available."""
    return {
        "model_version_status": [
            {
                "version": str(version),
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }


def _tensor_info(name: str, info: dict[str, Any]) -> dict[str, Any]:
    shape = info.get("shape")
    found: dict[str, Any] = {"dtype": _TF_TYPES.get(str(info.get("dtype")), "DT_INVALID")}
    if shape is None:
        found["tensor_shape"] = {"dim": [], "unknown_rank": True}
    else:
        dims = [{"size": str(d), "name": ""} for d in shape]
        found["tensor_shape"] = {"dim": dims, "unknown_rank": False}
    found["name"] = name
    return found


def metadata_body(name: str, version: int, signatures: dict[str, Any]) -> dict[str, Any]:
    """Return TF Serving's ``/metadata``: every signature's inputs and outputs."""
    defs = {
        sig: {
            "inputs": {k: _tensor_info(k, v) for k, v in spec.get("inputs", {}).items()},
            "outputs": {k: _tensor_info(k, v) for k, v in spec.get("outputs", {}).items()},
            "method_name": "tensorflow/serving/predict",
        }
        for sig, spec in signatures.items()
    }
    return {
        "model_spec": {"name": name, "signature_name": "", "version": str(version)},
        "metadata": {"signature_def": {"signature_def": defs}},
    }


def _plain(value: NDArray[Any]) -> Any:
    array = np.asarray(value)
    if array.dtype.kind in "OSU":
        return (
            [
                v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                for v in array.reshape(-1).tolist()
            ]
            if array.ndim == 1
            else [_plain(row) for row in array]
        )
    return array.tolist()


def tf_rows(outputs: dict[str, NDArray[Any]]) -> dict[str, Any]:
    """Return ``{"predictions": ...}``: a value per row, or an object per row (many outputs)."""
    if len(outputs) == 1:
        return {"predictions": _plain(next(iter(outputs.values())))}
    columns = {k: _plain(v) for k, v in outputs.items()}
    rows = len(next(iter(columns.values())))
    return {"predictions": [{k: v[i] for k, v in columns.items()} for i in range(rows)]}


def tf_columnar(outputs: dict[str, NDArray[Any]]) -> dict[str, Any]:
    """Return ``{"outputs": ...}``: the lone output's value, or an object of outputs."""
    if len(outputs) == 1:
        return {"outputs": _plain(next(iter(outputs.values())))}
    return {"outputs": {k: _plain(v) for k, v in outputs.items()}}


def mlflow_predictions(outputs: dict[str, NDArray[Any]]) -> dict[str, Any]:
    """Return MLflow's ``{"predictions": ...}``: a list, or an object of lists."""
    if len(outputs) == 1:
        return {"predictions": _plain(next(iter(outputs.values())))}
    return {"predictions": {k: _plain(v) for k, v in outputs.items()}}
