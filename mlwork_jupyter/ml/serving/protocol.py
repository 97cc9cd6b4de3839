"""The server's endpoints as plain async functions: a request in, a `Response` out.

Kept apart from the HTTP library (server_main adapts tornado to `handle`), so every route,
check and error shape can be tested without a socket. `handle` never raises: whatever goes
wrong in one request becomes that request's error response.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import error_line
from mlwork_jupyter.ml.serving import formats
from mlwork_jupyter.ml.serving.payload import (
    Batch,
    RequestError,
    from_columnar,
    from_csv,
    from_mlflow,
    from_rows,
)
from mlwork_jupyter.ml.serving.predictor import DEFAULT_SIGNATURE
from mlwork_jupyter.ml.serving.request_log import fingerprint_arrays, sample, sample_rows

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlwork_jupyter.ml.serving.batching import Batcher, BatchResult
    from mlwork_jupyter.ml.serving.predictor import Predictor
    from mlwork_jupyter.ml.serving.request_log import RequestLog

__all__ = ["Response", "ServingState", "handle"]

_TF_PATH = re.compile(
    r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+))?(?P<rest>/metadata|:\w+)?/?$"
)
_JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Response:
    """What to answer: status, body bytes and content type."""

    status: int
    body: bytes
    content_type: str = _JSON


@dataclass(slots=True)
class ServingState:
    """What every request needs: the model, its batcher, the log and the limits."""

    name: str
    version: int
    predictor: Predictor
    batcher: Batcher
    log: RequestLog | None = None
    max_body_bytes: int = 10_000_000
    package_version: str = ""
    started: float = field(default_factory=time.time)
    errors: int = 0
    log_failures: int = 0


class _HTTPError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _ok(payload: Any) -> Response:
    return Response(200, json.dumps(payload).encode())


def _read_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise _HTTPError(400, f"the body is not valid JSON: {str(exc).splitlines()[0]}") from None


def _signature(state: ServingState, name: Any, what: str = "signature_name") -> str:
    if name is None or name == "":
        return DEFAULT_SIGNATURE
    if not isinstance(name, str) or name not in state.predictor.signatures:
        known = ", ".join(state.predictor.signatures)
        raise _HTTPError(400, f"unknown {what} {name!r}; this model has: {known}")
    return name


Parsed = tuple[str, Batch, "Callable[[dict[str, Any]], dict[str, Any]]"]


def _tf_parse(state: ServingState, body: bytes, _content_type: str) -> Parsed:
    data = _read_json(body)
    if not isinstance(data, dict):
        raise _HTTPError(400, 'the body must be a JSON object with "instances" or "inputs"')
    keys = [k for k in ("instances", "inputs") if k in data]
    unknown = [k for k in data if k not in ("instances", "inputs", "signature_name")]
    if len(keys) != 1 or unknown:
        got = ", ".join(json.dumps(str(k)) for k in data) or "nothing"  # quoted: one line
        raise _HTTPError(
            400,
            f'the body must hold one of "instances" or "inputs" (and optionally '
            f'"signature_name"), got: {got}',
        )
    signature = _signature(state, data.get("signature_name"))
    schema = state.predictor.schema
    if keys[0] == "instances":
        return signature, from_rows(schema, data["instances"]), formats.tf_rows
    return signature, from_columnar(schema, data["inputs"]), formats.tf_columnar


def _mlflow_parse(state: ServingState, body: bytes, content_type: str) -> Parsed:
    mime, *params = [part.strip() for part in (content_type or _JSON).split(";")]
    options = dict(p.partition("=")[::2] for p in params if p)
    if options.get("charset", "utf-8").lower() != "utf-8":
        raise _HTTPError(415, "the scoring server only supports UTF-8")
    schema = state.predictor.schema
    if mime.lower() == "text/csv":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _HTTPError(400, "the CSV body is not valid UTF-8") from None
        return DEFAULT_SIGNATURE, from_csv(schema, text), formats.mlflow_predictions
    if mime.lower() != _JSON:
        raise _HTTPError(
            415, f"content type {mime!r} is not supported; use application/json or text/csv"
        )
    data = _read_json(body)
    batch = from_mlflow(schema, data)
    method = (data.get("params") or {}).get("predict_method", "predict")
    # MLflow's scikit-learn flavour picks the method with params={"predict_method": ...}
    signature = (
        DEFAULT_SIGNATURE if method == "predict" else _signature(state, method, "predict_method")
    )
    return signature, batch, formats.mlflow_predictions


def _log(state: ServingState, entry: dict[str, Any]) -> None:
    if state.log is None:
        return
    try:
        state.log.write(entry)
    except Exception:  # a full disk must not fail the request
        state.log_failures += 1


@dataclass(frozen=True, slots=True)
class _Request:
    method: str
    path: str
    body: bytes | None
    size: int
    content_type: str
    arrived: float


async def _score(
    state: ServingState, protocol: str, request: _Request, entry: dict[str, Any]
) -> Response:
    """Parse, check and score one prediction request, filling its log `entry`."""
    if request.body is None:
        raise _HTTPError(
            413,
            f"the request body ({request.size} bytes) is over the server's "
            f"{state.max_body_bytes}-byte limit (--max-body-bytes)",
        )
    parse = _tf_parse if protocol == "tfserving" else _mlflow_parse
    try:
        signature, batch, shape = parse(state, request.body, request.content_type)
    except RequestError as exc:
        raise _HTTPError(400, str(exc)) from None
    entry.update(
        signature=signature, rows=batch.rows, input_fingerprint=fingerprint_arrays(batch.arrays)
    )
    try:
        result: BatchResult = await state.batcher.submit(signature, batch.arrays, batch.rows)
    except Exception as exc:
        raise _HTTPError(
            400, f"the model could not score these inputs: {error_line(exc)}"
        ) from None
    response = _ok(shape(result.outputs))
    index = sample_rows(batch.rows, state.log.sample_rows if state.log else 0)
    entry.update(
        status=200,
        error=None,
        batch=result.batch,
        batch_rows=result.batch_rows,
        batch_requests=result.batch_requests,
        sample_index=index,
        inputs=sample(batch.arrays, index),
        outputs=sample(result.outputs, index),
    )
    return response


async def _predict(state: ServingState, protocol: str, request: _Request) -> Response:
    start = time.perf_counter()
    entry: dict[str, Any] = {
        "ts": request.arrived,
        "endpoint": "predict" if protocol == "tfserving" else "invocations",
        "model": state.name,
        "version": str(state.version),
        "signature": None,
        "rows": None,
    }
    try:
        response = await _score(state, protocol, request, entry)
    except _HTTPError as exc:
        state.errors += 1
        response = Response(exc.status, formats.error_body(protocol, exc.status, str(exc)))
        entry.update(status=exc.status, error=str(exc))
    entry["latency_ms"] = round((time.perf_counter() - start) * 1000, 3)
    # Written once the answer is on its way: the client does not wait for the log line.
    asyncio.get_running_loop().call_soon(_log, state, entry)
    return response


def _stats(state: ServingState) -> dict[str, Any]:
    batcher = state.batcher
    return {
        "model": state.name,
        "version": str(state.version),
        "pid": os.getpid(),
        "requests": batcher.requests,
        "model_calls": batcher.calls,
        "rows": batcher.rows,
        "errors": state.errors,
        "log_failures": state.log_failures,
        "max_batch": batcher.max_batch,
        "max_wait_ms": batcher.max_wait * 1000,
        "schema": state.predictor.schema.to_json(),
        "uptime_s": time.time() - state.started,
    }


async def _tf_route(state: ServingState, request: _Request, match: re.Match[str]) -> Response:
    name, version, rest = match["name"], match["version"], match["rest"]
    if name != state.name:
        raise _HTTPError(
            404, f"model {name!r} is not served here; this server serves {state.name!r}"
        )
    if version is not None and (not version.isdigit() or int(version) != state.version):
        raise _HTTPError(
            404,
            f"version {version} of {name!r} is not served here; "
            f"this server serves version {state.version}",
        )
    want = "POST" if rest == ":predict" else "GET"
    if rest is not None and rest.startswith(":") and rest != ":predict":
        raise _HTTPError(400, f"{rest[1:]} is not supported here; use :predict")
    if request.method != want:
        raise _HTTPError(405, f"use {want} for {match[0]}")
    if rest is None:
        return _ok(formats.status_body(state.version))
    if rest == "/metadata":
        return _ok(formats.metadata_body(name, state.version, state.predictor.signatures))
    return await _predict(state, "tfserving", request)


async def _route(state: ServingState, request: _Request) -> Response:
    path, method = request.path, request.method
    match = _TF_PATH.match(path)
    if match is not None:
        return await _tf_route(state, request, match)
    if path.startswith("/v1/"):
        raise _HTTPError(404, f"no endpoint {path}; try /v1/models/{state.name}")
    simple = {"/ping": b"\n", "/health": b"\n", "/version": state.package_version.encode()}
    if path in simple or path == "/stats":
        if method != "GET":
            raise _HTTPError(405, f"use GET for {path}")
        return _ok(_stats(state)) if path == "/stats" else Response(200, simple[path])
    if path == "/invocations":
        if method != "POST":
            raise _HTTPError(405, "use POST for /invocations")
        return await _predict(state, "mlflow", request)
    raise _HTTPError(404, f"no endpoint {path}; try POST /invocations or /v1/models/{state.name}")


async def handle(
    state: ServingState,
    method: str,
    path: str,
    *,
    body: bytes | None = b"",
    size: int = 0,
    content_type: str = "",
    arrived: float | None = None,
) -> Response:
    """Answer one request; never raises.

    Parameters
    ----------
    body
        The request body, or None when it was over ``max_body_bytes`` (then `size` bytes).
    arrived
        Unix time the request arrived (the log's ``ts``); now when None.
    """
    protocol = "tfserving" if path.startswith("/v1/") else "mlflow"
    try:
        when = time.time() if arrived is None else arrived
        request = _Request(method.upper(), path, body, size, content_type, when)
        return await _route(state, request)
    except _HTTPError as exc:
        state.errors += 1
        return Response(exc.status, formats.error_body(protocol, exc.status, str(exc)))
    except Exception as exc:
        state.errors += 1
        return Response(
            500, formats.error_body(protocol, 500, f"internal error: {error_line(exc)}")
        )
