"""`Server`: a handle on a model server process started from the kernel (or the CLI).

`start_server` spawns ``python -m mlwork_jupyter.ml.serving.server_main`` in its own session
(a Ctrl-C or interrupt of the kernel does not reach it), waits for its ready file and returns
the handle. The process stops with `Server.stop`, when the handle is garbage collected, at
interpreter exit (a `weakref.finalize`, which runs at exit too), and by itself when the
kernel is killed (it watches its parent).
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import warnings
import weakref
from http import HTTPStatus
from pathlib import Path
from typing import Any

from mlwork_jupyter.ml.serving.layout import DeployError, check_name, resolve_version
from mlwork_jupyter.ml.serving.request_log import read_requests

__all__ = ["DEFAULT_MAX_BODY", "Server", "default_log_dir", "is_loopback", "start_server"]

DEFAULT_MAX_BODY = 10_000_000
_MODULE = "mlwork_jupyter.ml.serving.server_main"  # never imported here: it runs as __main__
_TAIL_CHARS = 300


def is_loopback(host: str) -> bool:
    """Return whether `host` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_log_dir(models_dir: str | os.PathLike[str], name: str, version: int) -> Path:
    """Return ``<store_dir>/serving/NAME/VERSION``: the request log the monitor stage reads."""
    return Path(models_dir).parent / "serving" / name / str(version)


def _terminate(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)
    except OSError:  # already gone
        pass


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


class Server:
    """A running model server: its `url`, the served `name` and `version`, and `stop`."""

    def __init__(
        self, process: subprocess.Popen[bytes], url: str, name: str, version: int, log_dir: Path
    ) -> None:
        self.process = process
        self.url = url
        self.name = name
        self.version = version
        self.log_dir = log_dir
        self.started = time.time()
        self._finalizer = weakref.finalize(self, _terminate, process)

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    @property
    def running(self) -> bool:
        """Whether the process is still alive."""
        return self.process.poll() is None

    @property
    def predict_url(self) -> str:
        """TF Serving's predict URL for the served version."""
        return f"{self.url}/v1/models/{self.name}/versions/{self.version}:predict"

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s); doing it twice is harmless."""
        self._finalizer()

    def stats(self) -> dict[str, Any]:
        """Return request counts and latency percentiles from this server's request log."""
        entries = [e for e in read_requests(self.log_dir) if e.get("ts", 0) >= self.started - 1]
        ok = [e for e in entries if e.get("status") == HTTPStatus.OK]
        latencies = sorted(float(e["latency_ms"]) for e in entries if "latency_ms" in e)
        return {
            "requests": len(entries),
            "errors": len(entries) - len(ok),
            "rows": sum(int(e.get("rows") or 0) for e in ok),
            "model_calls": len({e.get("batch") for e in ok}),
            "p50_ms": _percentile(latencies, 50),
            "p99_ms": _percentile(latencies, 99),
        }

    def __repr__(self) -> str:
        """Return e.g. ``<Server iris version 2 at http://127.0.0.1:8501 (running)>``."""
        state = "running" if self.running else "stopped"
        return f"<Server {self.name} version {self.version} at {self.url} ({state})>"


def _tail(path: Path, offset: int) -> str:
    """Return the line that best says why the server failed: ours, else the last one."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return "no output"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    ours = [line for line in lines if line.startswith("mlwork serve:")]
    line = (ours or lines or ["no output"])[-1]
    return line if len(line) <= _TAIL_CHARS else line[: _TAIL_CHARS - 3] + "..."


def start_server(
    models_dir: str | os.PathLike[str],
    name: str,
    version: int | None = None,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    log_dir: str | os.PathLike[str] | None = None,
    timeout: float = 180.0,
    max_batch: int = 64,
    max_wait_ms: float = 2.0,
    max_body_bytes: int = DEFAULT_MAX_BODY,
) -> Server:
    """Start a server for version `version` (default: the latest) of `name`; wait until ready.

    Parameters
    ----------
    models_dir
        The folder of exports (``<store_dir>/models``).
    port
        0 for a free port (see `Server.url`).
    host
        127.0.0.1 keeps it on this machine; anything else warns.
    log_dir
        Request log folder; default `default_log_dir`.
    timeout
        Seconds to wait for the server to load the model and bind (TensorFlow's first import
        can be slow).
    """
    number = resolve_version(models_dir, check_name(name), version)
    folder = Path(log_dir) if log_dir is not None else default_log_dir(models_dir, name, number)
    folder.mkdir(parents=True, exist_ok=True)
    ready = folder / "ready.json"
    output = folder / "server.log"
    command = [
        sys.executable, "-m", _MODULE,
        "--models-dir", str(Path(models_dir).resolve()), "--name", name,
        "--version", str(number), "--host", host, "--port", str(port),
        "--log", str(folder.resolve()), "--ready-file", str(ready.resolve()),
        "--parent-pid", str(os.getpid()), "--max-batch", str(max_batch),
        "--max-wait-ms", str(max_wait_ms), "--max-body-bytes", str(max_body_bytes),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with output.open("ab") as sink:
        offset = sink.tell()
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
            env=env, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + timeout
    while True:
        code = process.poll()
        if code is not None:
            raise DeployError(
                f"the server for {name!r} exited ({code}) before it was ready: "
                f"{_tail(output, offset)}"
            )
        try:
            info = json.loads(ready.read_text(encoding="utf-8"))
            if info.get("pid") == process.pid:
                break
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            _terminate(process)
            raise DeployError(
                f"the server for {name!r} was not ready after {timeout:.0f} s: "
                f"{_tail(output, offset)} (see {output})"
            )
        time.sleep(0.05)
    if not is_loopback(host):
        warnings.warn(
            f"the model server listens on {host}: other machines can reach it, and it has no "
            "authentication; use host='127.0.0.1' to keep it on this machine",
            stacklevel=2,
        )
    return Server(process, str(info["url"]), name, number, folder)
