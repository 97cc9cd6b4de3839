"""TFLite variants of a tiny Keras export: three kinds, each measured against the float model."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from mlwork_jupyter.ml.serving.export import export_model
from mlwork_jupyter.ml.serving.layout import DeployError
from mlwork_jupyter.ml.serving.quantize import KINDS, quantize

pytestmark = pytest.mark.tensorflow
keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(240, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0.5)
    return x, y


@pytest.fixture(scope="module")
def classifier(data):
    x, y = data
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    return model


def test_three_kinds_with_their_figures(classifier, data, tmp_path):
    x, y = data
    export = export_model(classifier, tmp_path, "clf", example=x[:5])
    variants = quantize(export, list(KINDS), example=x[:64], eval_data=(x, y))
    assert list(variants) == ["dynamic", "float16", "int8"]
    float_accuracy = float(np.mean(classifier.predict(x, verbose=0).argmax(-1) == y))
    for kind, variant in variants.items():
        path = export.path / variant.file
        assert variant.file == f"tflite/{kind}.tflite"
        assert path.stat().st_size == variant.size_bytes > 0
        assert variant.rows == len(x)
        assert 0.9 <= variant.agreement <= 1.0, variant
        assert 0 <= variant.max_abs_diff < (0.3 if kind == "int8" else 0.01)  # int8 clips
        assert variant.metric == "accuracy"
        assert variant.float_metric_value == pytest.approx(float_accuracy, abs=1e-6)
        assert abs(variant.metric_delta) <= 0.1
        assert variant.metric_delta == pytest.approx(
            variant.metric_value - float_accuracy, abs=1e-6
        )
        assert variant.latency_ms_per_row > 0
        assert variant.float_latency_ms_per_row > 0
    assert variants["dynamic"].max_abs_diff < 1e-3  # weights only: close to float
    written = json.loads((export.path / "variants.json").read_text())
    assert written["int8"] == variants["int8"].as_dict()
    assert "tensorflow_model_optimization" not in sys.modules
    with pytest.raises(DeployError, match="exists; variants are never overwritten"):
        quantize(export, "dynamic", example=x[:5])


def test_regression_variants_report_the_largest_difference(data, tmp_path):
    x, _ = data
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    export = export_model(model, tmp_path, "reg", example=x[:5])
    (variant,) = quantize(export, "float16", eval_data=x[:50]).values()
    assert variant.agreement is None
    assert variant.metric is None
    assert variant.max_abs_diff < 0.05
    assert variant.rows == 50
    target = x[:50].sum(axis=1)
    (scored,) = quantize(export, ["dynamic"], eval_data=(x[:50], target)).values()
    assert scored.metric == "mae"


def test_what_cannot_be_quantized_says_why_in_one_line(data, tmp_path):
    from sklearn.linear_model import LogisticRegression

    pytest.importorskip("skops")
    x, y = data
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    export = export_model(model, tmp_path, "m")
    with pytest.raises(DeployError, match="int8 quantization needs representative rows"):
        quantize(export, ["int8"])
    with pytest.raises(DeployError, match="unknown quantization 'int4'; use one of"):
        quantize(export, ["int4"])
    sizes_only = quantize(export, ["dynamic"])["dynamic"]
    assert sizes_only.size_bytes > 0
    assert sizes_only.rows is None
    fitted = export_model(LogisticRegression().fit(x, y), tmp_path, "lr", example=x[:3])
    with pytest.raises(DeployError, match="from Keras exports; 'lr' is sklearn"):
        quantize(fitted, "dynamic", example=x[:3])
