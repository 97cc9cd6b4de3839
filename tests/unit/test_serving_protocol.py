"""The serving protocols without a socket: routes, checks, error shapes, batching, request log."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.ml.serving.batching import Batcher
from mlwork_jupyter.ml.serving.layout import DeployError
from mlwork_jupyter.ml.serving.payload import RequestError, from_mlflow, from_rows
from mlwork_jupyter.ml.serving.predictor import Predictor
from mlwork_jupyter.ml.serving.protocol import ServingState, handle
from mlwork_jupyter.ml.serving.request_log import (
    LOG_NAME,
    RequestLog,
    read_requests,
    sample_rows,
)
from mlwork_jupyter.ml.serving.schema import Field, Schema, infer_schema, schema_from

if TYPE_CHECKING:
    from pathlib import Path

TENSORS = Schema("tensors", (Field("x", "float32", (-1, 4)),))
COLUMNS = Schema("columns", (Field("a", "float64"), Field("b", "int64"), Field("city", "object")))


def _run_loop(coroutine):
    """Run a coroutine on a loop of its own thread: the browser tier's Playwright keeps an
    event loop running on the test thread, where `asyncio.run` refuses to start."""
    box = {}

    def target():
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class Model:
    """A stand-in for a loaded model: sums each row; counts calls; fails on a poison value."""

    def __init__(self, schema: Schema, outputs: int = 1) -> None:
        self.schema = schema
        self.outputs = outputs
        self.calls: list[int] = []
        self.lock = threading.Lock()

    def __call__(self, signature: str, arrays: dict[str, Any]) -> dict[str, Any]:
        if self.schema.kind == "columns":
            total = arrays["a"] + arrays["b"]
        else:
            total = arrays["x"].sum(axis=1)
        if np.any(total == 666):
            raise ValueError("poisoned row")
        with self.lock:
            self.calls.append(len(total))
        found = {"y": total}
        if self.outputs == 2:
            found["z"] = -total
        return found


def make_state(schema: Schema, tmp_path: Path | None = None, **options: Any):
    model = Model(schema, options.pop("outputs", 1))
    signatures = {
        "serving_default": {
            "inputs": {"x": {"dtype": "float32", "shape": [-1, 4]}},
            "outputs": {"y": {"dtype": "float32", "shape": [-1]}},
        }
    }
    predictor = Predictor(schema, signatures, model)
    batcher = Batcher(model, options.pop("max_batch", 64), options.pop("max_wait_ms", 2.0))
    log = RequestLog(tmp_path, sample_rows=3) if tmp_path is not None else None
    state = ServingState("m", 3, predictor, batcher, log, options.pop("max_body", 10_000))
    return state, model


_EMPTY = object()


def call(state: ServingState, method: str, path: str, body: Any = _EMPTY, **kw: Any):
    """Answer one request; `body` None stands for a body over the size limit."""
    if body is _EMPTY:
        data = b""
    elif body is None or isinstance(body, bytes):
        data = body
    else:
        data = json.dumps(body).encode()

    async def run():
        state.batcher.start()
        try:
            return await handle(state, method, path, body=data, **kw)
        finally:
            await state.batcher.close()

    response = _run_loop(run())
    try:
        payload = json.loads(response.body)
    except ValueError:
        payload = response.body
    return response.status, payload


def rows(n: int = 2) -> list[list[float]]:
    return [[1.0, 2.0, 3.0, float(i)] for i in range(n)]


def test_tf_serving_status_metadata_and_both_request_forms():
    state, _ = make_state(TENSORS)
    assert call(state, "GET", "/v1/models/m") == (
        200,
        {
            "model_version_status": [
                {
                    "version": "3",
                    "state": "AVAILABLE",
                    "status": {"error_code": "OK", "error_message": ""},
                }
            ]
        },
    )
    status, meta = call(state, "GET", "/v1/models/m/versions/3/metadata")
    assert status == 200
    assert meta["model_spec"] == {"name": "m", "signature_name": "", "version": "3"}
    x = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]["x"]
    assert x["dtype"] == "DT_FLOAT"
    assert x["tensor_shape"]["dim"] == [{"size": "-1", "name": ""}, {"size": "4", "name": ""}]
    assert call(state, "POST", "/v1/models/m:predict", {"instances": rows()}) == (
        200,
        {"predictions": [6.0, 7.0]},
    )
    assert call(state, "POST", "/v1/models/m/versions/3:predict", {"inputs": rows()}) == (
        200,
        {"outputs": [6.0, 7.0]},
    )
    named = {"instances": [{"x": r} for r in rows()], "signature_name": "serving_default"}
    assert call(state, "POST", "/v1/models/m:predict", named)[1] == {"predictions": [6.0, 7.0]}


def test_tf_serving_many_outputs_answer_an_object_per_row():
    state, _ = make_state(TENSORS, outputs=2)
    assert call(state, "POST", "/v1/models/m:predict", {"instances": rows()})[1] == {
        "predictions": [{"y": 6.0, "z": -6.0}, {"y": 7.0, "z": -7.0}]
    }
    assert call(state, "POST", "/v1/models/m:predict", {"inputs": rows()})[1] == {
        "outputs": {"y": [6.0, 7.0], "z": [-6.0, -7.0]}
    }


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/v1/models/other", 404, "model 'other' is not served here; this server serves 'm'"),
        ("/v1/models/m/versions/2", 404, "version 2 of 'm' is not served here"),
        ("/v1/models/m/versions/x:predict", 404, "version x of 'm' is not served here"),
        ("/v1/models/m:classify", 400, "classify is not supported here; use :predict"),
        ("/v1/nothing", 404, "no endpoint /v1/nothing"),
    ],
)
def test_tf_serving_errors_are_one_line_error_objects(path, status, message):
    state, _ = make_state(TENSORS)
    got_status, body = call(state, "POST" if ":" in path else "GET", path, {"instances": rows()})
    assert got_status == status
    assert set(body) == {"error"}
    assert body["error"].startswith(message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"instances": [[1, 2, 3]]}, "input 'x': expected rows of shape [4], got [3]"),
        ({"instances": [1, 2]}, "input 'x': expected rows of shape [4], got scalars"),
        ({"instances": [[1, 2, 3, 4], [1, 2]]}, "input 'x': rows have different lengths"),
        ({"instances": [[1, 2, 3, "a"]]}, "input 'x': expected numbers (float32), got 'a'"),
        ({"instances": []}, "instances must be a non-empty list of rows"),
        ({"instances": [{"y": [1, 2, 3, 4]}]}, "unexpected input 'y'; the model takes: x"),
        ({"instances": rows(), "inputs": rows()}, 'the body must hold one of "instances"'),
        ({"instances": rows(), "signature_name": "nope"}, "unknown signature_name 'nope'"),
        ([1, 2], 'the body must be a JSON object with "instances" or "inputs"'),
        (b"{not json", "the body is not valid JSON"),
        (b"\xff\xfe", "the body is not valid JSON"),
    ],
)
def test_tf_serving_bad_input_is_400_naming_the_field(body, message):
    state, model = make_state(TENSORS)
    status, answer = call(state, "POST", "/v1/models/m:predict", body)
    assert status == 400
    assert answer["error"].startswith(message), answer
    assert "\n" not in answer["error"]
    assert not model.calls


def test_mlflow_accepts_each_of_its_four_forms_and_csv():
    state, _ = make_state(COLUMNS)
    frame = pd.DataFrame({"a": [1.5, 2.0], "b": [1, 2], "city": ["x", "y"]})
    split = json.loads(frame.to_json(orient="split"))
    expected = {"predictions": [2.5, 4.0]}
    bodies = [
        {"dataframe_split": split},
        {"dataframe_records": frame.to_dict(orient="records")},
        {"instances": frame.to_dict(orient="records")},
        {"inputs": frame.to_dict(orient="list")},
        {"inputs": frame.to_dict(orient="list"), "params": {"anything": 1}},
    ]
    for body in bodies:
        assert call(state, "POST", "/invocations", body) == (200, expected), body
    csv = frame.to_csv(index=False).encode()
    assert call(state, "POST", "/invocations", csv, content_type="text/csv") == (200, expected)
    charset = "application/json; charset=utf-8"
    assert call(state, "POST", "/invocations", bodies[0], content_type=charset)[0] == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"dataframe_records": [{"a": 1.0, "b": 1}]}, "missing column 'city'"),
        (
            {"dataframe_records": [{"a": 1.0, "b": 1, "city": "x", "zip": 1}]},
            "unexpected column 'zip'; the model takes: a, b, city",
        ),
        (
            {"dataframe_records": [{"a": "one", "b": 1, "city": "x"}]},
            "column 'a': expected numbers (float64), got 'one'",
        ),
        (
            {"dataframe_records": [{"a": 1.0, "b": 1.5, "city": "x"}]},
            "column 'b': expected integers (int64), got fractions",
        ),
        (
            {"dataframe_records": [{"a": 1.0, "b": None, "city": "x"}]},
            "column 'b': null in an integer input (int64)",
        ),
        (
            {"dataframe_records": [{"a": 1.0, "b": 1, "city": 7}]},
            "column 'city': expected strings (object), got 7",
        ),
        (
            {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 1, "x"]]}},
            "dataframe_split.data[0] has 3 values for 2 columns",
        ),
        ({"instances": [[1.0, 2]]}, "instances[0] must hold 3 values (a, b, city), got 2"),
        (
            {"inputs": {"a": [1.0], "b": [1, 2], "city": ["x"]}},
            "inputs have different row counts: a has 1, b has 2, city has 1",
        ),
        ({"instances": [], "inputs": []}, "the body must hold exactly one of dataframe_split"),
        ({"foo": 1}, "the body must hold exactly one of"),
        (
            {"inputs": {"a": [1.0], "b": [1], "city": ["x"]}, "params": 3},
            "params must be an object",
        ),
    ],
)
def test_mlflow_bad_input_is_bad_request_naming_the_field(body, message):
    state, _ = make_state(COLUMNS)
    status, answer = call(state, "POST", "/invocations", body)
    assert status == 400
    assert answer["error_code"] == "BAD_REQUEST"
    assert answer["message"].startswith(message), answer


def test_mlflow_predict_method_picks_a_signature():
    state, _ = make_state(COLUMNS)
    body = {
        "inputs": {"a": [1.0], "b": [1], "city": ["x"]},
        "params": {"predict_method": "predict"},
    }
    assert call(state, "POST", "/invocations", body) == (200, {"predictions": [2.0]})
    body["params"]["predict_method"] = "predict_proba"
    status, answer = call(state, "POST", "/invocations", body)
    assert status == 400
    assert (
        answer["message"]
        == "unknown predict_method 'predict_proba'; this model has: serving_default"
    )


def test_mlflow_other_errors_keep_its_shape():
    state, _ = make_state(COLUMNS)
    status, answer = call(state, "POST", "/invocations", b"x", content_type="text/plain")
    assert status == 415
    assert answer["error_code"] == "BAD_REQUEST"
    assert (
        call(
            state, "POST", "/invocations", b"{}", content_type="application/json; charset=latin-1"
        )[0]
        == 415
    )
    assert call(state, "GET", "/invocations")[0] == 405
    status, answer = call(state, "GET", "/nothing")
    assert (status, answer["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
    status, answer = call(state, "POST", "/invocations", body=None, size=20_000)
    assert status == 413
    assert answer["error_code"] == "RESOURCE_LIMIT_EXCEEDED"
    assert "20000 bytes" in answer["message"]
    assert call(state, "GET", "/ping") == (200, b"\n")
    assert call(state, "GET", "/health")[0] == 200
    assert call(state, "GET", "/version")[0] == 200


def test_a_failing_model_call_fails_only_its_own_request():
    state, model = make_state(TENSORS, max_wait_ms=50)

    async def run():
        state.batcher.start()
        bodies = [{"instances": [[1, 2, 3, 4]]} for _ in range(5)]
        bodies[2] = {"instances": [[600, 60, 6, 0]]}  # sums to 666: the model raises
        answers = await asyncio.gather(
            *(
                handle(state, "POST", "/v1/models/m:predict", body=json.dumps(b).encode())
                for b in bodies
            )
        )
        await state.batcher.close()
        return answers

    answers = _run_loop(run())
    assert [a.status for a in answers] == [200, 200, 400, 200, 200]
    assert json.loads(answers[2].body)["error"] == (
        "the model could not score these inputs: ValueError: poisoned row"
    )
    assert sum(model.calls) == 4  # the merged call failed, then each ran alone


def test_concurrent_requests_share_model_calls_up_to_max_batch():
    state, model = make_state(TENSORS, max_batch=8, max_wait_ms=20)

    async def run():
        state.batcher.start()
        answers = await asyncio.gather(
            *(
                handle(
                    state,
                    "POST",
                    "/v1/models/m:predict",
                    body=json.dumps({"instances": [[1, 2, 3, float(i)]]}).encode(),
                )
                for i in range(20)
            )
        )
        await state.batcher.close()
        return answers

    answers = _run_loop(run())
    assert [json.loads(a.body)["predictions"] for a in answers] == [[6.0 + i] for i in range(20)]
    assert sum(model.calls) == 20
    assert len(model.calls) < 20
    assert max(model.calls) <= 8


def test_request_log_lines_hold_what_the_monitor_reads(tmp_path):
    state, _ = make_state(TENSORS, tmp_path)
    call(state, "POST", "/v1/models/m:predict", {"instances": rows(10)})
    call(state, "POST", "/invocations", {"instances": rows(10)})
    call(state, "POST", "/v1/models/m:predict", {"instances": [[1]]})
    state.log.close()
    first, second, bad = list(read_requests(tmp_path))
    assert first["endpoint"] == "predict"
    assert second["endpoint"] == "invocations"
    assert first["status"] == 200
    assert first["error"] is None
    assert first["rows"] == 10
    assert first["version"] == "3"
    assert first["model"] == "m"
    assert first["input_fingerprint"] == second["input_fingerprint"]
    assert len(first["input_fingerprint"]) == 32
    assert first["sample_index"] == [0, 4, 9]  # evenly spaced, bounded by sample_rows=3
    assert first["inputs"] == {
        "x": [[1.0, 2.0, 3.0, 0.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 9.0]]
    }
    assert first["outputs"] == {"y": [6.0, 10.0, 15.0]}
    assert first["latency_ms"] >= 0
    assert first["batch"] >= 1
    assert first["time"].endswith("+00:00")
    assert bad["status"] == 400
    assert bad["error"].startswith("input 'x'")


def test_request_log_rotates_and_reads_across_files_oldest_first(tmp_path):
    log = RequestLog(tmp_path, max_bytes=400, backups=2)
    for i in range(40):
        log.write({"n": i, "pad": "x" * 50})
    log.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        LOG_NAME,
        f"{LOG_NAME}.1",
        f"{LOG_NAME}.2",
    ]
    assert all(p.stat().st_size <= 400 for p in tmp_path.iterdir())
    with (tmp_path / LOG_NAME).open("a") as handle:
        handle.write('{"n": 99, "half')  # a line being written
    numbers = [e["n"] for e in read_requests(tmp_path)]
    assert numbers == sorted(numbers)
    assert numbers[-1] == 39


def test_sample_rows_is_bounded_and_even():
    assert sample_rows(3, 32) == [0, 1, 2]
    assert sample_rows(1000, 5) == [0, 250, 500, 749, 999]
    assert sample_rows(10, 0) == []


def test_schemas_from_examples_and_from_lineage():
    frame = pd.DataFrame({"a": [1.0], "b": [1], "s": ["x"]})
    assert infer_schema(frame).to_json()["fields"] == [
        {"name": "a", "dtype": "float64"},
        {"name": "b", "dtype": "int64"},
        {"name": "s", "dtype": frame["s"].dtype.name},
    ]
    array = infer_schema(np.zeros((3, 4, 2), np.float32), input_names=["inp"])
    assert array.fields == (Field("inp", "float32", (-1, 4, 2)),)
    multi = infer_schema({"a": np.zeros((2, 3)), "b": np.zeros(2, np.int32)})
    assert multi.names == ["a", "b"]
    assert multi.fields[1].shape == (-1,)
    lineage = schema_from({"a": "float64", "s": "object"})
    assert (lineage.kind, lineage.source, lineage.names) == ("columns", "lineage", ["a", "s"])
    assert schema_from(lineage.to_json()) == lineage
    frame_ref = {
        "kind": "frame",
        "name": "X",
        "fingerprint": "f" * 32,
        "shape": [9, 2],
        "schema": {"a": "float64", "s": "object"},
    }
    assert schema_from(frame_ref) == lineage
    array_ref = {**frame_ref, "kind": "array", "shape": [9, 4], "schema": {"dtype": "float32"}}
    assert schema_from(array_ref).fields == (Field("input", "float32", (-1, 4)),)
    with pytest.raises(DeployError, match="schema= must be"):
        schema_from([1, 2])
    with pytest.raises(DeployError, match="is a scalar"):
        infer_schema(np.float32(1))


def test_errors_are_mlwork_errors_and_value_errors():
    assert issubclass(DeployError, MlworkError)
    assert issubclass(DeployError, ValueError)
    with pytest.raises(RequestError):
        from_rows(TENSORS, "nope")
    with pytest.raises(RequestError, match="dataframe_records must be a list of objects"):
        from_mlflow(COLUMNS, {"dataframe_records": [1]})


@pytest.mark.parametrize("path", ["/v1/models/m:predict", "/invocations"])
def test_unknown_keys_with_line_breaks_stay_on_one_line(path):
    # Found by the fuzzed server test: a key holding a line break was echoed as it was.
    state, _ = make_state(TENSORS)
    status, body = call(state, "POST", path, {"a\nb": 1}, content_type="application/json")
    message = body.get("error") or body.get("message")
    assert status == 400
    assert "\n" not in message
    assert '"a\\nb"' in message
