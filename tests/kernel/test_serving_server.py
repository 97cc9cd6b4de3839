"""Real model server processes on 127.0.0.1: both REST protocols, errors, batching, log, exits."""

from __future__ import annotations

import contextlib
import gc
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlwork_jupyter.ml.serving.export import export_model
from mlwork_jupyter.ml.serving.layout import DeployError
from mlwork_jupyter.ml.serving.request_log import read_requests
from mlwork_jupyter.ml.serving.server import start_server

pytestmark = pytest.mark.tensorflow
keras = pytest.importorskip("keras")
pytest.importorskip("tornado")
pytest.importorskip("skops", reason="scikit-learn exports need skops: the [serving] extra")

MAX_BODY = 200_000
COLUMNS = ["sepal", "petal", "colour"]


def request(
    url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "application/json",
):
    """Return (status, JSON or text) of one request over a fresh loopback connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = {"Content-Type": content_type} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(data)
    except ValueError:
        return response.status, data.decode("utf-8", "replace")


def post(url: str, path: str, payload, content_type: str = "application/json"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return request(url, "POST", path, body, content_type)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return False


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "sepal": rng.normal(size=60),
            "petal": rng.normal(size=60),
            "colour": rng.choice(["red", "blue"], size=60),
        }
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory, frame):
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    models = tmp_path_factory.mktemp("store") / "models"
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(1).normal(size=(8, 4)).astype(np.float32)
    export_model(model, models, "digits", example=x)
    export_model(model, models, "digits", example=x)  # version 2: the one served
    prep = ColumnTransformer(
        [("num", StandardScaler(), ["sepal", "petal"]), ("cat", OneHotEncoder(), ["colour"])]
    )
    pipeline = make_pipeline(prep, LogisticRegression()).fit(frame, frame["sepal"] > 0)
    export_model(pipeline, models, "iris", example=frame.head())
    return {"models": models, "keras": model, "sklearn": pipeline, "x": x}


@pytest.fixture(scope="module")
def keras_server(store):
    server = start_server(store["models"], "digits", max_wait_ms=25, max_body_bytes=MAX_BODY)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sklearn_server(store):
    server = start_server(store["models"], "iris", max_body_bytes=MAX_BODY)
    yield server
    server.stop()


def test_tensorflow_serving_rest_answers_like_tf_serving(keras_server, store):
    url, x = keras_server.url, store["x"]
    assert url.startswith("http://127.0.0.1:")
    assert (keras_server.name, keras_server.version) == ("digits", 2)
    status, body = request(url, "GET", "/v1/models/digits")
    assert status == 200
    assert body["model_version_status"][0]["version"] == "2"
    assert body["model_version_status"][0]["state"] == "AVAILABLE"
    assert request(url, "GET", "/v1/models/digits/versions/2")[0] == 200
    status, meta = request(url, "GET", "/v1/models/digits/metadata")
    serving = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    (spec,) = serving["inputs"].values()
    assert spec["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in spec["tensor_shape"]["dim"]] == ["-1", "4"]
    expected = store["keras"].predict(x, verbose=0)
    status, rows = post(url, "/v1/models/digits:predict", {"instances": x.tolist()})
    assert status == 200
    np.testing.assert_allclose(rows["predictions"], expected, rtol=1e-5)
    status, columnar = post(
        url,
        "/v1/models/digits/versions/2:predict",
        {"inputs": x.tolist(), "signature_name": "serving_default"},
    )
    np.testing.assert_allclose(columnar["outputs"], expected, rtol=1e-5)
    name = next(iter(serving["inputs"]))
    status, named = post(
        url, "/v1/models/digits:predict", {"instances": [{name: r} for r in x.tolist()]}
    )
    np.testing.assert_allclose(named["predictions"], expected, rtol=1e-5)
    assert request(url, "GET", "/v1/models/digits/versions/1") == (
        404,
        {"error": "version 1 of 'digits' is not served here; this server serves version 2"},
    )
    assert request(url, "GET", "/v1/models/other")[0] == 404


def test_mlflow_scoring_answers_like_mlflow(sklearn_server, store, frame):
    url = sklearn_server.url
    expected = {"predictions": store["sklearn"].predict(frame.head(3)).tolist()}
    rows = frame.head(3)
    for payload in (
        {"dataframe_split": json.loads(rows.to_json(orient="split"))},
        {"dataframe_records": rows.to_dict(orient="records")},
        {"instances": rows.to_dict(orient="records")},
        {"inputs": rows.to_dict(orient="list"), "params": {}},
    ):
        assert post(url, "/invocations", payload) == (200, expected)
    csv = rows.to_csv(index=False).encode()
    assert post(url, "/invocations", csv, "text/csv") == (200, expected)
    proba = {"inputs": rows.to_dict(orient="list"), "params": {"predict_method": "predict_proba"}}
    status, body = post(url, "/invocations", proba)
    assert status == 200
    np.testing.assert_allclose(body["predictions"], store["sklearn"].predict_proba(rows))
    status, body = post(
        url,
        "/v1/models/iris:predict",
        {"instances": rows.to_dict(orient="records"), "signature_name": "predict_proba"},
    )
    assert status == 200
    np.testing.assert_allclose(body["predictions"], store["sklearn"].predict_proba(rows))
    assert request(url, "GET", "/ping")[0] == 200
    assert request(url, "GET", "/health")[0] == 200
    assert request(url, "GET", "/version")[0] == 200


def test_bad_requests_get_the_protocols_error_shapes_and_codes(keras_server, sklearn_server):
    tf_url, ml_url = keras_server.url, sklearn_server.url
    status, body = post(tf_url, "/v1/models/digits:predict", {"instances": [[1, 2, 3]]})
    assert status == 400
    assert body["error"].endswith("expected rows of shape [4], got [3]")
    row = {"sepal": 1.0, "petal": 2.0, "colour": "red"}
    cases = [
        ({"dataframe_records": [{"sepal": 1.0, "colour": "red"}]}, "missing column 'petal'"),
        ({"dataframe_records": [{**row, "zip": 1}]}, "unexpected column 'zip'"),
        ({"dataframe_records": [{**row, "sepal": "tall"}]}, "column 'sepal': expected numbers"),
        ({"dataframe_records": [{**row, "colour": 3}]}, "column 'colour': expected strings"),
    ]
    for payload, message in cases:
        status, body = post(ml_url, "/invocations", payload)
        assert status == 400
        assert body == {"error_code": "BAD_REQUEST", "message": body["message"]}
        assert body["message"].startswith(message), body
    big = b'{"instances": [' + b"1," * MAX_BODY + b"1]}"
    status, body = post(tf_url, "/v1/models/digits:predict", big)
    assert status == 413
    assert "limit (--max-body-bytes)" in body["error"]
    status, body = post(ml_url, "/invocations", big)
    assert (status, body["error_code"]) == (413, "RESOURCE_LIMIT_EXCEEDED")
    assert post(ml_url, "/invocations", b"a", "application/xml")[0] == 415
    assert request(ml_url, "GET", "/nowhere")[0] == 404
    assert request(ml_url, "DELETE", "/invocations")[0] == 405


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=24,
)
bodies = st.one_of(
    json_values.map(json.dumps),
    st.fixed_dictionaries({"instances": json_values}).map(json.dumps),
    st.fixed_dictionaries({"inputs": json_values}).map(json.dumps),
    st.fixed_dictionaries(
        {
            "dataframe_split": st.fixed_dictionaries(
                {
                    "columns": st.lists(st.sampled_from([*COLUMNS, "x"]), max_size=4),
                    "data": json_values,
                }
            )
        }
    ).map(json.dumps),
    st.fixed_dictionaries(
        {
            "dataframe_records": st.lists(
                st.dictionaries(st.sampled_from(COLUMNS), json_values, max_size=3), max_size=3
            )
        }
    ).map(json.dumps),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=bodies,
    target=st.sampled_from(
        [
            ("keras", "/v1/models/digits:predict", "application/json"),
            ("sklearn", "/invocations", "application/json"),
            ("sklearn", "/invocations", "text/csv"),
        ]
    ),
)
def test_fuzzed_bodies_never_break_the_server(keras_server, sklearn_server, body, target):
    kind, path, content_type = target
    server = keras_server if kind == "keras" else sklearn_server
    status, answer = post(server.url, path, body.encode("utf-8", "surrogatepass"), content_type)
    assert status in {200, 400, 413, 415}, answer
    if status != 200:
        key = "error" if path.startswith("/v1/") else "message"
        assert isinstance(answer[key], str)
        assert "\n" not in answer[key]
        assert not answer[key].startswith("internal error"), answer


def test_the_fuzzed_servers_still_answer(keras_server, sklearn_server):
    for server in (keras_server, sklearn_server):
        assert server.running
        assert request(server.url, "GET", "/ping")[0] == 200


def test_concurrent_requests_are_merged_into_fewer_model_calls(keras_server, store):
    url, x = keras_server.url, store["x"]
    before = request(url, "GET", "/stats")[1]
    barrier = threading.Barrier(16)
    answers: list = [None] * 16

    def client(i: int) -> None:
        barrier.wait()
        answers[i] = post(url, "/v1/models/digits:predict", {"instances": [x[i % 8].tolist()]})

    threads = [threading.Thread(target=client, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    after = request(url, "GET", "/stats")[1]
    expected = store["keras"].predict(x, verbose=0)
    for i, (status, body) in enumerate(answers):
        assert status == 200
        np.testing.assert_allclose(body["predictions"][0], expected[i % 8], rtol=1e-5)
    requests = after["requests"] - before["requests"]
    calls = after["model_calls"] - before["model_calls"]
    assert requests == 16
    assert calls < requests, (calls, requests)
    merged = [e for e in read_requests(keras_server.log_dir) if (e.get("batch_requests") or 0) > 1]
    assert merged


def test_the_request_log_holds_one_line_per_prediction(sklearn_server, frame):
    url = sklearn_server.url
    many = {"dataframe_records": frame.to_dict(orient="records")}  # 60 rows
    post(url, "/invocations", many)
    post(url, "/invocations", many)
    post(url, "/invocations", {"dataframe_records": [{"sepal": 1.0}]})
    # The server writes a request's line just after answering it: wait for the last one's.
    deadline = time.monotonic() + 30
    entries: list[dict] = []
    while not entries or not str(entries[-1].get("error")).startswith("missing column"):
        assert time.monotonic() < deadline, entries[-3:]
        time.sleep(0.05)
        entries = list(read_requests(sklearn_server.log_dir))
    ok = [e for e in entries if e["status"] == 200 and e["rows"] == 60]
    assert len(ok) >= 2
    assert ok[-1]["input_fingerprint"] == ok[-2]["input_fingerprint"]
    assert ok[-1]["endpoint"] == "invocations"
    assert ok[-1]["version"] == "1"
    assert set(ok[-1]["inputs"]) == set(COLUMNS)
    assert len(ok[-1]["inputs"]["sepal"]) == 32 == len(ok[-1]["outputs"]["predictions"])
    assert entries[-1]["status"] == 400
    assert entries[-1]["error"].startswith("missing column")
    stats = sklearn_server.stats()
    assert stats["requests"] >= 3
    assert stats["errors"] >= 1
    assert 0 < stats["p50_ms"] <= stats["p99_ms"]


def test_stop_ends_the_process_and_a_dropped_handle_stops_too(store):
    server = start_server(store["models"], "iris", log_dir=store["models"].parent / "stop-test")
    pid, url = server.pid, server.url
    assert request(url, "GET", "/ping")[0] == 200
    server.stop()
    server.stop()
    assert not server.running
    assert gone(pid)
    with pytest.raises(OSError):
        request(url, "GET", "/ping")
    dropped = start_server(store["models"], "iris", log_dir=store["models"].parent / "drop-test")
    pid = dropped.pid
    del dropped
    gc.collect()
    deadline = time.monotonic() + 10
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gone(pid)


def test_a_killed_parent_leaves_no_server(store, tmp_path):
    code = (
        "import json, time\n"
        "from mlwork_jupyter.ml.serving.server import start_server\n"
        f"s = start_server({str(store['models'])!r}, 'iris', log_dir={str(tmp_path)!r})\n"
        "print(json.dumps({'pid': s.pid, 'url': s.url}), flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    info = None
    try:
        info = json.loads(parent.stdout.readline())
        assert request(info["url"], "GET", "/ping")[0] == 200
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(30)
        deadline = time.monotonic() + 10
        while not gone(info["pid"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert gone(info["pid"]), "the server outlived its parent"
    finally:
        parent.kill()
        parent.wait(30)
        if info is not None and not gone(info["pid"]):
            os.kill(info["pid"], signal.SIGKILL)


def test_a_server_that_cannot_start_says_why_in_one_line(store, sklearn_server):
    broken = store["models"] / "broken"
    shutil.copytree(store["models"] / "iris", broken)
    (broken / "1" / "model.skops").unlink()
    with pytest.raises(
        DeployError,
        match=r"the server for 'broken' exited \(1\) before it was ready: mlwork serve: ",
    ):
        start_server(store["models"], "broken")
    with pytest.raises(
        DeployError, match=r"a server already uses the log folder .* at http://127\.0\.0\.1:"
    ):
        start_server(store["models"], "iris", log_dir=sklearn_server.log_dir)
    assert sklearn_server.running


def test_deploy_with_serve_answers_at_its_url(store, frame, tmp_path):
    from mlwork_jupyter.ml.serving import deploy

    dep = deploy(store["sklearn"], store["models"], "served", example=frame.head(), serve=True)
    try:
        assert dep.url.startswith("http://127.0.0.1:")
        assert repr(dep) == f"<Deployment served version 1 at {dep.url}>"
        status, body = post(
            dep.url, "/invocations", {"dataframe_records": frame.head(2).to_dict("records")}
        )
        assert (status, body) == (
            200,
            {"predictions": store["sklearn"].predict(frame.head(2)).tolist()},
        )
    finally:
        dep.stop()
    assert not dep.server.running
