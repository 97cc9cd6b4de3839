"""Exports (Keras, scikit-learn), versions, schemas, model cards and Kubernetes manifests."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlwork_jupyter.ml.serving.card import model_card
from mlwork_jupyter.ml.serving.card_text import TO_FILL
from mlwork_jupyter.ml.serving.export import export_model
from mlwork_jupyter.ml.serving.layout import DeployError, load_export, resolve_version, versions
from mlwork_jupyter.ml.serving.manifests import (
    TF_SERVING_IMAGE,
    kubernetes_manifests,
    write_manifests,
)
from mlwork_jupyter.ml.serving.predictor import load_predictor

pytest.importorskip("skops", reason="scikit-learn exports need skops: the [serving] extra")
sklearn_pipeline = pytest.importorskip("sklearn.pipeline")
sklearn_preprocessing = pytest.importorskip("sklearn.preprocessing")


class Doubler(sklearn_preprocessing.FunctionTransformer):  # a type of ours: skops refuses it
    def predict(self, x):
        return self.transform(x)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "sepal": rng.normal(size=40),
            "petal": rng.normal(size=40),
            "colour": rng.choice(["red", "blue"], size=40),
        }
    )


@pytest.fixture(scope="module")
def pipeline(frame):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    labels = (frame["sepal"] > 0).astype(int)
    prep = ColumnTransformer(
        [("num", StandardScaler(), ["sepal", "petal"]), ("cat", OneHotEncoder(), ["colour"])]
    )
    return sklearn_pipeline.make_pipeline(prep, LogisticRegression()).fit(frame, labels)


@pytest.fixture(scope="module")
def keras_model():
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture(scope="module")
def keras_export(keras_model, tmp_path_factory):
    models = tmp_path_factory.mktemp("store") / "models"
    return export_model(keras_model, models, "digits", example=np.zeros((3, 4), np.float32))


@pytest.mark.tensorflow
def test_keras_export_writes_both_formats_a_schema_and_its_description(keras_export):
    path = keras_export.path
    assert (keras_export.name, keras_export.version, keras_export.kind) == ("digits", 1, "keras")
    assert (path / "model.keras").is_file()
    assert (path / "saved_model" / "saved_model.pb").is_file()
    schema = json.loads((path / "schema.json").read_text())
    assert schema == keras_export.schema
    (field,) = schema["fields"]
    assert schema["kind"] == "tensors"
    assert (field["dtype"], field["shape"]) == ("float32", [-1, 4])
    info = json.loads((path / "export.json").read_text())
    assert info["version"] == 1
    assert info["parameters"] == 15
    assert info["model_class"].endswith("Sequential")
    assert set(info["frameworks"]) >= {"python", "tensorflow", "keras", "numpy"}
    assert info["files"]["model.keras"]["bytes"] == (path / "model.keras").stat().st_size
    assert len(info["files"]["model.keras"]["xxh3"]) == 32
    assert "saved_model/saved_model.pb" in info["files"]
    assert info["size_bytes"] == sum(f["bytes"] for f in info["files"].values())
    serving = info["signatures"]["serving_default"]
    assert serving["inputs"] == {field["name"]: {"dtype": "float32", "shape": [-1, 4]}}
    assert list(serving["outputs"].values()) == [{"dtype": "float32", "shape": [-1, 3]}]


@pytest.mark.tensorflow
def test_versions_count_up_and_are_never_overwritten(keras_model, tmp_path):
    models = tmp_path / "models"
    first = export_model(keras_model, models, "m")
    assert first.schema["source"] == "signature"
    before = (first.path / "model.keras").read_bytes()
    assert export_model(keras_model, models, "m", version=7).version == 7
    assert export_model(keras_model, models, "m").version == 8
    with pytest.raises(DeployError, match="version 1 of 'm' exists and is never overwritten"):
        export_model(keras_model, models, "m", version=1)
    assert (first.path / "model.keras").read_bytes() == before
    assert versions(models, "m") == [1, 7, 8]
    assert not [p for p in (models / "m").iterdir() if p.name.startswith(".")]
    assert load_export(models, "m").version == 8
    with pytest.raises(DeployError, match="model 'm' has no version 2; its versions: 1, 7, 8"):
        resolve_version(models, "m", 2)
    with pytest.raises(DeployError, match="no exported model named 'n'"):
        load_export(models, "n")


@pytest.mark.tensorflow
def test_a_dataframe_example_gives_named_columns_for_a_keras_model(keras_model, tmp_path):
    frame = pd.DataFrame(np.zeros((2, 4), np.float32), columns=list("abcd"))
    export = export_model(keras_model, tmp_path, "m", example=frame)
    assert export.schema["kind"] == "columns"
    assert [f["name"] for f in export.schema["fields"]] == list("abcd")
    predictor = load_predictor(export)
    out = predictor.call("serving_default", {c: np.ones(2) for c in "abcd"})
    expected = keras_model.predict(np.ones((2, 4), np.float32), verbose=0)
    np.testing.assert_allclose(next(iter(out.values())), expected, rtol=1e-5)
    with pytest.raises(DeployError, match="a DataFrame of 3 columns needs a model with one input"):
        export_model(keras_model, tmp_path, "n", example=frame[["a", "b", "c"]])


def test_sklearn_pipeline_exports_with_skops_and_serves_the_same_predictions(
    pipeline, frame, tmp_path
):
    export = export_model(pipeline, tmp_path / "models", "iris", example=frame.head())
    assert export.kind == "sklearn"
    assert (export.path / "model.skops").is_file()
    assert [f["name"] for f in export.schema["fields"]] == ["sepal", "petal", "colour"]
    assert export.schema["fields"][0]["dtype"] == "float64"
    info = export.info
    assert set(info["frameworks"]) >= {"scikit-learn", "skops", "numpy"}
    assert info["signatures"]["predict_proba"]["outputs"]["predictions"]["shape"] == [-1, 2]
    assert info["model_class"] == "sklearn.pipeline.Pipeline"
    assert "steps" in info["hyperparameters"]
    predictor = load_predictor(load_export(tmp_path / "models", "iris"))
    columns = {c: frame[c].to_numpy() for c in frame.columns}
    got = predictor.call("serving_default", columns)["predictions"]
    np.testing.assert_array_equal(got, pipeline.predict(frame))
    proba = predictor.call("predict_proba", columns)["predictions"]
    np.testing.assert_allclose(proba, pipeline.predict_proba(frame))


def test_sklearn_schema_without_example_comes_from_the_estimator(frame, tmp_path):
    from sklearn.linear_model import LinearRegression

    named = LinearRegression().fit(frame[["sepal", "petal"]], frame["sepal"])
    schema = export_model(named, tmp_path, "named").schema
    assert (schema["kind"], schema["source"]) == ("columns", "estimator")
    assert [f["name"] for f in schema["fields"]] == ["sepal", "petal"]
    plain = LinearRegression().fit(frame[["sepal", "petal"]].to_numpy(), frame["sepal"])
    (field,) = export_model(plain, tmp_path, "plain").schema["fields"]
    assert field == {"name": "input", "dtype": None, "shape": [-1, 2]}
    lineage = export_model(plain, tmp_path, "lin", schema={"sepal": "float64", "petal": "float64"})
    assert lineage.schema["source"] == "lineage"


def test_what_cannot_be_exported_is_refused_in_one_line(tmp_path):
    from sklearn.linear_model import LogisticRegression

    for model in ([1, 2], {"w": 1}, np.zeros(3), object()):
        with pytest.raises(DeployError, match=r"^deploy supports Keras models .* got "):
            export_model(model, tmp_path, "m")
    with pytest.raises(DeployError, match="LogisticRegression is not fitted: call fit"):
        export_model(LogisticRegression(), tmp_path, "m")
    fitted = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    for name in ("../up", "", "a/b", "-x", 3):
        with pytest.raises(DeployError, match="cannot be used"):
            export_model(fitted, tmp_path, name)
    for version in (0, -1, "x", 1.5, True):
        with pytest.raises(DeployError, match="version must be a positive integer"):
            export_model(fitted, tmp_path, "m", version=version)
    assert not (tmp_path / "m").exists() or versions(tmp_path, "m") == []


def test_skops_files_with_foreign_types_are_refused_unless_trusted(frame, tmp_path):
    model = Doubler().fit(frame[["sepal"]])
    name = f"{Doubler.__module__}.{Doubler.__name__}"
    with pytest.raises(DeployError, match=r"holds types outside scikit-learn, NumPy and SciPy: "):
        export_model(model, tmp_path, "f")
    assert versions(tmp_path, "f") == []
    assert not list((tmp_path / "f").iterdir())  # the half-written export is gone
    trusted = export_model(model, tmp_path, "f", trust=[name])
    assert trusted.info["trust"] == [name]


def test_model_card_gathers_runs_environment_and_variants(pipeline, frame, tmp_path):
    export = export_model(pipeline, tmp_path, "iris", example=frame.head())
    training = {
        "id": "run-train-1",
        "name": "fit | v2",
        "stage": "train",
        "status": "ok",
        "started": "2026-12-01T10:00:00+00:00",
        "duration_s": 3.5,
        "inputs": [
            {
                "kind": "frame",
                "name": "X_train",
                "fingerprint": "ab" * 16,
                "method": "full",
                "shape": [40, 3],
            }
        ],
        "params": {"C": 1.0, "note": "a|b\nc"},
        "metrics": {"accuracy": 0.9},
    }
    evaluation = {"id": "run-eval-1", "name": "test", "metrics": {"accuracy": 0.85}, "inputs": []}
    environment = {
        "python": {"version": "3.11.9"},
        "platform": {"os": "Linux", "machine": "x86_64"},
        "packages": {"scikit-learn": "1.9.1", "numpy": "2.0", "other": "1"},
        "accelerators": [],
        "hash": "e" * 32,
    }
    variants = [
        {
            "kind": "int8",
            "file": "tflite/int8.tflite",
            "size_bytes": 9200,
            "agreement": 0.985,
            "max_abs_diff": 0.01,
        }
    ]
    card = model_card(
        export, training=training, evaluation=evaluation, environment=environment, variants=variants
    )
    assert json.loads((export.path / "card.json").read_text()) == card
    assert card["model"]["class"] == "sklearn.pipeline.Pipeline"
    assert card["model"]["size_bytes"] == export.info["size_bytes"]
    assert card["training"]["data"][0]["fingerprint"] == "ab" * 16
    assert card["training"]["params"]["note"] == "a|b\nc"  # JSON keeps values as they are
    assert card["evaluation"]["metrics"] == {"accuracy": 0.85}
    assert card["environment"]["packages"] == {"scikit-learn": "1.9.1", "numpy": "2.0"}
    assert card["intended_use"] is None
    assert card["to_fill"] == ["intended_use", "limitations"]
    assert card["inputs"] == export.schema
    text = (export.path / "card.md").read_text()
    assert text.startswith("# Model card: iris, version 1\n")
    assert "| note | a\\|b c |" in text
    assert "| run-train-1 | fit \\| v2 | ok |" in text
    assert text.count(TO_FILL) == 2
    assert "| int8 | 9.2 kB | 0.985 | 0.01 |" in text
    written = model_card(export, intended_use="<b>triage</b> only", limitations="small data")
    assert written["to_fill"] == []
    assert "No run recorded." in (export.path / "card.md").read_text()


def _validate(doc):
    validator = pytest.importorskip("kubernetes_validate", reason="needs the test extra")
    validator.validate(doc, validator.latest_version(), strict=True)


@pytest.mark.tensorflow
def test_keras_manifests_run_tensorflow_serving_and_validate(keras_export, tmp_path):
    models = keras_export.models_dir
    deployment, service = kubernetes_manifests(models, "digits")
    for doc in (deployment, service):
        _validate(doc)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == TF_SERVING_IMAGE
    assert ":" in TF_SERVING_IMAGE
    assert not TF_SERVING_IMAGE.endswith(":latest")
    assert "--model_base_path=/models/digits" in container["args"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v1/models/digits"
    (mount,) = container["volumeMounts"]
    assert (mount["mountPath"], mount["subPath"]) == ("/models/digits/1", "digits/1/saved_model")
    assert set(container["resources"]) == {"requests", "limits"}
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    (path,) = write_manifests(models, "digits", out_dir=tmp_path)
    assert path.name == "digits-v1.yaml"
    yaml = pytest.importorskip("yaml")
    assert list(yaml.safe_load_all(path.read_text())) == [deployment, service]


def test_sklearn_manifests_run_the_mlflow_protocol_server_and_validate(pipeline, frame, tmp_path):
    models = tmp_path / "store" / "models"
    export_model(pipeline, models, "Iris_Model", example=frame.head())
    docs = kubernetes_manifests(models, "Iris_Model", namespace="ml", claim="models")
    for doc in docs:
        _validate(doc)
        assert doc["metadata"]["name"] == "iris-model-v1"
        assert doc["metadata"]["namespace"] == "ml"
    (container,) = docs[0]["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "mlwork-serving/iris-model:1"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ping"
    assert container["args"][:2] == ["--models-dir", "/models"]
    written = write_manifests(models, "Iris_Model")
    assert [p.name for p in written] == ["iris-model-v1.yaml", "Dockerfile"]
    assert written[0].parent == tmp_path / "store" / "manifests" / "Iris_Model" / "1"
    dockerfile = written[1].read_text()
    import sklearn

    assert f'"scikit-learn=={sklearn.__version__}"' in dockerfile
    assert "server_main" in dockerfile
    assert dockerfile.splitlines()[2].startswith("FROM python:3.")


def test_deploy_without_serving_returns_the_export_and_its_card(pipeline, frame, tmp_path):
    from mlwork_jupyter.ml.serving import deploy

    training = {"id": "run-1", "name": "fit", "params": {"C": 1.0}, "metrics": {}, "inputs": []}
    dep = deploy(pipeline, tmp_path / "models", "iris", example=frame.head(), training=training)
    assert (dep.name, dep.version, dep.url, dep.variants) == ("iris", 1, None, {})
    assert dep.path == tmp_path / "models" / "iris" / "1"
    assert dep.schema["kind"] == "columns"
    assert dep.card["training"]["run"] == "run-1"
    assert (dep.path / "card.md").is_file()
    dep.stop()  # nothing runs: nothing to stop
    assert repr(dep) == f"<Deployment iris version 1 in {dep.path}>"
    with pytest.raises(DeployError, match="TFLite variants of Keras models only"):
        deploy(pipeline, tmp_path / "models", "iris", example=frame.head(), quantize="dynamic")
    with pytest.raises(DeployError, match="unknown quantization 'int3'"):
        deploy(pipeline, tmp_path / "models", "iris", quantize=["int3"])
    assert versions(tmp_path / "models", "iris") == [1]  # refused before anything was written


def test_only_loopback_hosts_count_as_local():
    from mlwork_jupyter.ml.serving.server import is_loopback

    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "::1", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.4", "example.org"]))
