"""The model server process: ``python -m mlwork_jupyter.ml.serving.server_main --models-dir D ...``.

It loads one exported version (its files only), binds ``--host`` (127.0.0.1 unless told
otherwise, with a warning line for any other), writes ``--ready-file`` with the port it got,
and answers TensorFlow Serving's and MLflow's REST protocols through `protocol.handle` on
tornado: already installed with Jupyter, asynchronous, well kept, so no new dependency. It
stops on SIGTERM or SIGINT, and by itself once the process that started it is gone (checked
every half second), so a killed kernel leaves no server behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from mlwork_jupyter.ml.serving.server import DEFAULT_MAX_BODY, is_loopback

__all__ = ["main"]

_PARENT_POLL_S = 0.5


def _build_arg_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mlwork_jupyter.ml.serving.server_main",
        description="Serve an exported model over TensorFlow Serving's and MLflow's REST APIs.",
    )
    add = parser.add_argument
    add("--models-dir", required=True, type=Path, help="the folder of exports (.mlwork/models)")
    add("--name", required=True, help="the model's name")
    add("--version", default=None, help="the version to serve (default: the latest)")
    add("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine)")
    add("--port", type=int, default=0, help="port (default 0: a free one, in the ready file)")
    add("--log", type=Path, default=None, help="request log folder (default beside the models)")
    add("--parent-pid", type=int, default=None, help="exit when this process is gone")
    add(
        "--ready-file",
        type=Path,
        default=None,
        help="written once serving (default LOG/ready.json)",
    )
    add("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY, help="larger bodies get 413")
    add("--max-batch", type=int, default=64, help="most rows merged into one model call")
    add("--max-wait-ms", type=float, default=2.0, help="longest a request waits for others")
    add("--log-max-bytes", type=int, default=20 * 1024 * 1024, help="request log rotation size")
    add("--log-backups", type=int, default=2, help="rotated request logs kept")
    add("--log-sample-rows", type=int, default=32, help="input/output rows kept per log line")
    return parser


def _say(line: str) -> None:
    """Write one line to stderr (the server's log file when the kernel started it)."""
    sys.stderr.write(f"mlwork serve: {line}\n")
    sys.stderr.flush()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError, IndexError):  # a zombie is dead, though kill(0) works
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


async def _watch_parent(parent_pid: int | None, stop: asyncio.Event) -> None:
    first = os.getppid()
    while not stop.is_set():
        if os.getppid() != first or (parent_pid is not None and not _alive(parent_pid)):
            _say("the parent process is gone; stopping")
            stop.set()
            return
        await asyncio.sleep(_PARENT_POLL_S)


def _lock(folder: Path) -> Any:
    """Hold ``server.lock`` in the log folder, so two servers never share one request log."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; one server per folder is on the user
        return None
    handle = (folder / "server.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        ready = folder / "ready.json"
        where = ""
        with contextlib.suppress(OSError, ValueError):
            where = f" at {json.loads(ready.read_text())['url']}"
        raise SystemExit(
            f"a server already uses the log folder {folder}{where}; stop it or give another --log"
        ) from None
    return handle


def _warm_up(predictor: Any) -> None:
    """Call the model once on a row of zeros, so the first request is not the slow one."""
    import numpy as np

    from mlwork_jupyter.ml.serving.predictor import DEFAULT_SIGNATURE
    from mlwork_jupyter.ml.serving.schema import dtype_family

    fields = predictor.schema.fields
    if any(dtype_family(f.dtype) not in {"float", "int", "bool"} for f in fields):
        return  # strings or unknown types: no safe dummy row
    rows = {
        f.name: np.zeros((1, *(max(d, 1) for d in (f.shape or (-1,))[1:])), dtype=f.dtype)
        for f in fields
    }
    if predictor.schema.kind == "columns":
        rows = {name: value.reshape(1) for name, value in rows.items()}
    with contextlib.suppress(Exception):  # a model that refuses zeros is warmed by its first call
        predictor.call(DEFAULT_SIGNATURE, rows)


def _write_ready(path: Path, data: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    temporary.replace(path)


def _handler_class() -> type:
    """Return the tornado handler that hands every request to `protocol.handle`."""
    import tornado.web

    from mlwork_jupyter.ml.serving.protocol import handle

    @tornado.web.stream_request_body
    class Handler(tornado.web.RequestHandler):
        def initialize(self, state: Any, hard_limit: int) -> None:
            self.state = state
            self.hard_limit = hard_limit

        def prepare(self) -> None:
            self.arrived = time.time()
            self.chunks: list[bytes] = []
            self.size = 0
            self.request.connection.set_max_body_size(self.hard_limit)  # type: ignore[union-attr]

        def data_received(self, chunk: bytes) -> None:
            self.size += len(chunk)
            if self.size > self.state.max_body_bytes:
                self.chunks.clear()  # read on, so the client gets its 413, but keep nothing
            else:
                self.chunks.append(chunk)

        async def answer(self, *_: Any) -> None:
            over = self.size > self.state.max_body_bytes
            response = await handle(
                self.state,
                self.request.method or "GET",
                self.request.path,
                body=None if over else b"".join(self.chunks),
                size=self.size,
                content_type=self.request.headers.get("Content-Type", ""),
                arrived=self.arrived,
            )
            self.set_status(response.status)
            self.set_header("Content-Type", response.content_type)
            self.finish(response.body)

        get = post = put = delete = patch = answer

        def write_error(self, status_code: int, **_: Any) -> None:
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"error": f"{status_code} {self._reason}"}))

    return Handler


async def _serve(args: argparse.Namespace, export: Any, predictor: Any, log_dir: Path) -> None:
    import tornado.httpserver
    import tornado.netutil
    import tornado.web

    from mlwork_jupyter.ml.serving.batching import Batcher
    from mlwork_jupyter.ml.serving.protocol import ServingState
    from mlwork_jupyter.ml.serving.request_log import RequestLog

    batcher = Batcher(predictor.call, args.max_batch, args.max_wait_ms)
    batcher.start()
    log = RequestLog(log_dir, args.log_max_bytes, args.log_backups, args.log_sample_rows)
    try:
        package = importlib.metadata.version("mlwork-jupyter")
    except importlib.metadata.PackageNotFoundError:
        package = "unknown"
    state = ServingState(
        export.name, export.version, predictor, batcher, log, args.max_body_bytes, package
    )
    hard = max(4 * args.max_body_bytes, args.max_body_bytes + (1 << 20))
    app = tornado.web.Application(
        [(r"/.*", _handler_class(), {"state": state, "hard_limit": hard})],
        log_function=lambda _handler: None,  # the request log is ours
    )
    server = tornado.httpserver.HTTPServer(app, max_body_size=hard, idle_connection_timeout=60)
    sockets = tornado.netutil.bind_sockets(args.port, args.host)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    watcher = loop.create_task(_watch_parent(args.parent_pid, stop))
    host = f"[{args.host}]" if ":" in args.host else args.host
    ready = args.ready_file or log_dir / "ready.json"
    url = f"http://{host}:{port}"
    _write_ready(
        ready,
        {
            "pid": os.getpid(),
            "url": url,
            "host": args.host,
            "port": port,
            "name": export.name,
            "version": export.version,
            "log_dir": str(log_dir),
            "started": state.started,
        },
    )
    _say(f"{export.name} version {export.version} at {url}")
    try:
        await stop.wait()
    finally:
        server.stop()
        watcher.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.close_all_connections(), 2)
        await batcher.close()
        log.close()
        ready.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Run the server until SIGTERM or the parent's end; return the exit status."""
    args = _build_arg_parser().parse_args(argv)
    from mlwork_jupyter.errors import error_line
    from mlwork_jupyter.ml.serving.layout import load_export, resolve_version
    from mlwork_jupyter.ml.serving.predictor import load_predictor

    if not is_loopback(args.host):
        _say(
            f"warning: listening on {args.host}, reachable from other machines "
            "and with no authentication"
        )
    try:
        version = resolve_version(args.models_dir, args.name, args.version)
        log_dir = args.log or args.models_dir.parent / "serving" / args.name / str(version)
        log_dir.mkdir(parents=True, exist_ok=True)
        lock = _lock(log_dir)
        export = load_export(args.models_dir, args.name, version)
        predictor = load_predictor(export)
        _warm_up(predictor)
        asyncio.run(_serve(args, export, predictor, log_dir))
    except SystemExit as exc:
        _say(str(exc))
        return 3
    except KeyboardInterrupt:  # Ctrl-C while the model loads, before the loop handles it
        return 130
    except Exception as exc:
        _say(error_line(exc))
        return 1
    if lock is not None:
        lock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
