"""Loading an export's artifacts for serving: the SavedModel's signatures, or the skops file.

Only the exported files are read, never a notebook object. A SavedModel is loaded with
`tf.saved_model.load` and called through its signatures (``serving_default`` first); a
scikit-learn model with `skops.io.load`, trusting only the types `skops_trust` allows.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mlwork_jupyter.ml.serving.layout import DeployError, Export
from mlwork_jupyter.ml.serving.schema import Schema

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_SIGNATURE",
    "TRUSTED_PREFIXES",
    "Predictor",
    "load_predictor",
    "skops_io",
    "skops_trust",
    "tf_signatures",
]

DEFAULT_SIGNATURE = "serving_default"
# skops already trusts most of these; what it leaves (e.g. sklearn.tree._tree.Tree) is
# trusted here by module, never anything outside scikit-learn, NumPy and SciPy.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.")
_SKLEARN_METHODS = {DEFAULT_SIGNATURE: "predict", "predict_proba": "predict_proba"}

Arrays = dict[str, "NDArray[Any]"]


@dataclass(slots=True)
class Predictor:
    """A loaded model: its signatures' JSON description and a function to call one.

    Attributes
    ----------
    schema
        The input schema requests are checked against.
    signatures
        Signature name -> ``{"inputs": {name: {"dtype", "shape"}}, "outputs": {...}}``.
    call
        ``call(signature, arrays)`` -> output name -> array, for a checked batch.
    """

    schema: Schema
    signatures: dict[str, dict[str, Any]]
    call: Callable[[str, Arrays], Arrays]
    keep: list[Any] = field(default_factory=list)  # what the signatures need alive


def skops_io() -> Any:
    """Return `skops.io`, or a one-line error saying how to install it."""
    try:
        return importlib.import_module("skops.io")
    except ImportError:
        raise DeployError(
            "scikit-learn models are exported with skops: pip install 'mlwork-jupyter[serving]'"
        ) from None


def skops_trust(path: str | Path, extra: Iterable[str] = ()) -> list[str]:
    """Return the types to pass as ``trusted=`` for a skops file, or a one-line error.

    `skops.io.get_untrusted_types` lists what skops would not load by default; those from
    scikit-learn, NumPy or SciPy, or named in `extra` (``trust=`` at export), are trusted.
    """
    untrusted = list(skops_io().get_untrusted_types(file=str(path)))
    allowed = set(extra)
    refused = [t for t in untrusted if not (t.startswith(TRUSTED_PREFIXES) or t in allowed)]
    if refused:
        raise DeployError(
            "the skops file holds types outside scikit-learn, NumPy and SciPy: "
            f"{', '.join(refused)}; if you wrote them and trust them, export with trust=[...]"
        )
    return untrusted


def _spec_json(spec: Any) -> dict[str, Any]:
    shape = spec.shape
    dims = None if shape.rank is None else [-1 if d is None else int(d) for d in shape.as_list()]
    return {"dtype": spec.dtype.name, "shape": dims}


def tf_signatures(loaded: Any) -> dict[str, dict[str, Any]]:
    """Describe a loaded SavedModel's signatures as JSON (inputs and outputs, dtype, shape)."""
    found = {}
    for name, fn in loaded.signatures.items():
        inputs = fn.structured_input_signature[1]
        outputs = fn.structured_outputs
        found[name] = {
            "inputs": {k: _spec_json(v) for k, v in sorted(inputs.items())},
            "outputs": {k: _spec_json(v) for k, v in sorted(outputs.items())},
        }
    return dict(sorted(found.items(), key=lambda kv: kv[0] != DEFAULT_SIGNATURE))


def _keras_inputs(schema: Schema, specs: dict[str, Any], arrays: Arrays) -> Arrays:
    """Map a checked batch onto a signature's inputs (stacking columns into one input)."""
    if schema.kind == "columns":
        if len(specs) != 1:
            raise DeployError(
                f"a columns schema needs a one-input model, this one has {len(specs)}"
            )
        (name,) = specs
        return {name: np.stack([np.asarray(arrays[n], dtype=np.float64) for n in schema.names], 1)}
    if set(arrays) == set(specs):
        return arrays
    if len(arrays) == 1 and len(specs) == 1:  # a schema from lineage names it otherwise
        return {next(iter(specs)): next(iter(arrays.values()))}
    raise DeployError(f"inputs {sorted(arrays)} do not match the signature's {sorted(specs)}")


def _load_keras(export: Export, schema: Schema) -> Predictor:
    import tensorflow as tf

    loaded = tf.saved_model.load(str(export.path / "saved_model"))
    functions = dict(loaded.signatures)

    def call(signature: str, arrays: Arrays) -> Arrays:
        fn = functions[signature]
        specs = fn.structured_input_signature[1]
        feeds = _keras_inputs(schema, specs, arrays)
        tensors = {k: tf.constant(np.asarray(v), dtype=specs[k].dtype) for k, v in feeds.items()}
        return {k: v.numpy() for k, v in fn(**tensors).items()}

    return Predictor(schema, tf_signatures(loaded), call, keep=[loaded])


def _load_sklearn(export: Export, schema: Schema) -> Predictor:
    import pandas as pd

    path = export.path / "model.skops"
    model = skops_io().load(str(path), trusted=skops_trust(path, export.info.get("trust", ())))
    recorded = export.info.get("signatures", {})
    methods = {s: m for s, m in _SKLEARN_METHODS.items() if hasattr(model, m)}

    def call(signature: str, arrays: Arrays) -> Arrays:
        if schema.kind == "columns":
            features: Any = pd.DataFrame({n: arrays[n] for n in schema.names})
        else:
            features = next(iter(arrays.values()))
        return {"predictions": np.asarray(getattr(model, methods[signature])(features))}

    signatures = {s: recorded.get(s) or {"inputs": {}, "outputs": {}} for s in methods}
    return Predictor(schema, signatures, call, keep=[model])


def load_predictor(export: Export) -> Predictor:
    """Load what `export` wrote, for the server (TensorFlow or skops imported here)."""
    schema = Schema.from_json(export.schema)
    if export.kind == "keras":
        return _load_keras(export, schema)
    if export.kind == "sklearn":
        return _load_sklearn(export, schema)
    raise DeployError(f"export {export.path} is of unknown kind {export.kind!r}")
