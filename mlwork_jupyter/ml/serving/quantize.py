"""TFLite variants of a Keras export (dynamic-range, float16, full int8), measured against it.

Each variant is converted from the export's SavedModel with `tf.lite.TFLiteConverter`
(tensorflow-model-optimization is never imported: it switches a kernel to legacy Keras),
written as ``VERSION/tflite/KIND.tflite``, and run with the TFLite interpreter on the evaluation
rows next to the float SavedModel: size, agreement of the argmax (classifiers) and the largest
absolute difference, accuracy (or mean absolute error) and its change when labels are given,
and the latency of one row. Full int8 takes int8 inputs and outputs, as microcontrollers and
Edge TPUs do, so it needs representative rows to calibrate: `example` or `eval_data`.
"""

from __future__ import annotations

import importlib
import json
import statistics
import time
import warnings
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mlwork_jupyter.ml.serving.layout import DeployError, Export
from mlwork_jupyter.ml.tf_startup import descriptor_output

if TYPE_CHECKING:
    import contextlib
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from numpy.typing import NDArray

    from mlwork_jupyter.ml.tf_startup import StartupMessages

__all__ = ["KINDS", "VARIANTS_FILE", "Variant", "check_kinds", "quantize"]

KINDS = ("dynamic", "float16", "int8")
VARIANTS_FILE = "variants.json"
_CALIBRATION_ROWS = 200
_LATENCY_ROWS = 100


@dataclass(frozen=True, slots=True)
class Variant:
    """One TFLite variant and how it compares with the float model on the evaluation rows."""

    kind: str
    file: str
    size_bytes: int
    rows: int | None = None
    agreement: float | None = None
    max_abs_diff: float | None = None
    metric: str | None = None
    metric_value: float | None = None
    float_metric_value: float | None = None
    metric_delta: float | None = None
    latency_ms_per_row: float | None = None
    float_latency_ms_per_row: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the variant as `variants.json` and the model card keep it."""
        return asdict(self)


def _quiet_stderr() -> contextlib.AbstractContextManager[StartupMessages]:
    """Keep the converter's C++ log lines (written to descriptor 2) out of the cell."""
    return descriptor_output((2,))


def _features(data: Any) -> NDArray[np.float32]:
    import pandas as pd

    values = data.to_numpy() if isinstance(data, pd.DataFrame | pd.Series) else np.asarray(data)
    return np.asarray(values, dtype=np.float32)


def _split(data: Any) -> tuple[NDArray[np.float32] | None, NDArray[Any] | None]:
    if data is None:
        return None, None
    if isinstance(data, tuple) and len(data) == 2:  # noqa: PLR2004 - (x, y)
        return _features(data[0]), np.asarray(data[1])
    return _features(data), None


def _convert(export: Export, kind: str, calibration: NDArray[np.float32] | None) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(export.path / "saved_model"))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if kind == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif kind == "int8":
        rows: Any = calibration[:_CALIBRATION_ROWS] if calibration is not None else []

        def representative() -> Iterator[list[NDArray[np.float32]]]:
            for row in rows:
                yield [row[None]]

        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with _quiet_stderr():
        return bytes(converter.convert())


def _interpreter(content: bytes) -> Any:
    try:  # TFLite's successor, where installed
        interpreter = importlib.import_module("ai_edge_litert.interpreter").Interpreter
    except ImportError:
        import tensorflow as tf

        interpreter = tf.lite.Interpreter
    with warnings.catch_warnings(), _quiet_stderr():
        warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated")
        return interpreter(model_content=content)


def _runner(content: bytes, rows: int) -> Callable[[NDArray[np.float32]], NDArray[np.float32]]:
    """Return a function running the TFLite model on `rows` rows (quantizing int8 I/O)."""
    interpreter = _interpreter(content)
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    interpreter.resize_tensor_input(inp["index"], [rows, *inp["shape_signature"][1:]])
    with _quiet_stderr():
        interpreter.allocate_tensors()

    def run(x: NDArray[np.float32]) -> NDArray[np.float32]:
        value: NDArray[Any] = x
        scale, zero = inp["quantization"]
        if np.issubdtype(inp["dtype"], np.integer) and scale:
            info = np.iinfo(inp["dtype"])
            value = np.clip(np.round(x / scale + zero), info.min, info.max)
        interpreter.set_tensor(inp["index"], value.astype(inp["dtype"]))
        interpreter.invoke()
        result = np.asarray(interpreter.get_tensor(out["index"]), dtype=np.float32)
        scale, zero = out["quantization"]
        if np.issubdtype(out["dtype"], np.integer) and scale:
            result = (result - np.float32(zero)) * np.float32(scale)
        return result

    return run


def _latency(run: Callable[[NDArray[np.float32]], Any], x: NDArray[np.float32]) -> float:
    times = []
    for row in x[:_LATENCY_ROWS]:
        start = time.perf_counter()
        run(row[None])
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 4)


def _metric(pred: NDArray[Any], y: NDArray[Any], classify: bool) -> tuple[str, float]:  # noqa: FBT001
    if classify:
        labels = y.argmax(-1) if y.ndim == pred.ndim and y.shape[-1] > 1 else y.reshape(-1)
        guess = pred.argmax(-1) if pred.shape[-1] > 1 else (pred.reshape(-1) > 0.5)  # noqa: PLR2004
        return "accuracy", float(np.mean(guess.astype(int) == labels.astype(int)))
    return "mae", float(np.mean(np.abs(pred.reshape(y.shape) - y)))


def _measure(
    kind: str,
    path: Path,
    content: bytes,
    *,
    x: NDArray[np.float32] | None,
    y: NDArray[Any] | None,
    floats: Any,
) -> Variant:
    if x is None:
        return Variant(kind, str(path), len(content))
    quantized = _runner(content, len(x))(x)
    reference = floats(x)
    classify = reference.shape[-1] > 1 or (y is not None and np.issubdtype(y.dtype, np.integer))
    found: dict[str, Any] = {
        "rows": len(x),
        "max_abs_diff": float(np.max(np.abs(quantized - reference))),
        "latency_ms_per_row": _latency(_runner(content, 1), x),
        "float_latency_ms_per_row": _latency(floats, x),
    }
    if classify and reference.shape[-1] > 1:
        found["agreement"] = float(np.mean(quantized.argmax(-1) == reference.argmax(-1)))
    if y is not None:
        name, value = _metric(quantized, y, classify)
        _, base = _metric(reference, y, classify)
        found.update(
            metric=name, metric_value=value, float_metric_value=base, metric_delta=value - base
        )
    return Variant(kind, str(path), len(content), **found)


def _float_model(export: Export) -> Callable[[NDArray[np.float32]], NDArray[np.float32]]:
    import tensorflow as tf

    function = tf.saved_model.load(str(export.path / "saved_model")).signatures["serving_default"]
    (name,) = function.structured_input_signature[1]

    def run(x: NDArray[np.float32]) -> NDArray[np.float32]:
        (value,) = function(**{name: tf.constant(x)}).values()
        return np.asarray(value.numpy(), dtype=np.float32)

    return run


def check_kinds(kinds: str | list[str] | tuple[str, ...]) -> list[str]:
    """Return the quantization kinds asked for, once each, or a one-line error."""
    wanted = [kinds] if isinstance(kinds, str) else list(dict.fromkeys(kinds))
    unknown = [k for k in wanted if k not in KINDS]
    if unknown or not wanted:
        shown = unknown[0] if unknown else ""
        raise DeployError(f"unknown quantization {shown!r}; use one of {', '.join(KINDS)}")
    return wanted


def quantize(
    export: Export,
    kinds: str | list[str] | tuple[str, ...],
    example: Any = None,
    eval_data: Any = None,
) -> dict[str, Variant]:
    """Write TFLite variants of a Keras export and compare each with the float model.

    Parameters
    ----------
    export
        A Keras export (`export_model`), one input and one output.
    kinds
        Any of ``"dynamic"``, ``"float16"``, ``"int8"``.
    example
        Rows of input: int8's calibration, and the evaluation rows without `eval_data`.
    eval_data
        ``x`` or ``(x, y)``: the rows compared (and, with labels, scored).

    Returns
    -------
    dict
        Kind -> `Variant`; also written to ``VERSION/variants.json``.
    """
    wanted = check_kinds(kinds)
    if export.kind != "keras":
        raise DeployError(
            f"quantization makes TFLite models from Keras exports; {export.name!r} is {export.kind}"
        )
    signature = export.info["signatures"]["serving_default"]
    if len(signature["inputs"]) != 1 or len(signature["outputs"]) != 1:
        raise DeployError("quantization supports models with one input and one output")
    x, y = _split(eval_data)
    calibration = x if x is not None else _split(example)[0]
    if x is None:
        x = calibration
    if "int8" in wanted and calibration is None:
        raise DeployError(
            "int8 quantization needs representative rows: pass example= or eval_data="
        )
    folder = export.path / "tflite"
    folder.mkdir(exist_ok=True)
    floats = _float_model(export) if x is not None else None
    found: dict[str, Variant] = {}
    for kind in wanted:
        path = folder / f"{kind}.tflite"
        if path.exists():
            raise DeployError(
                f"the {kind} variant of {export.name!r} version {export.version} exists; "
                "variants are never overwritten"
            )
        content = _convert(export, kind, calibration)
        path.write_bytes(content)
        found[kind] = _measure(
            kind, path.relative_to(export.path), content, x=x, y=y, floats=floats
        )
    index = export.path / VARIANTS_FILE
    known = json.loads(index.read_text(encoding="utf-8")) if index.exists() else {}
    known.update({k: v.as_dict() for k, v in found.items()})
    index.write_text(json.dumps(known, indent=2) + "\n", encoding="utf-8")
    return found
