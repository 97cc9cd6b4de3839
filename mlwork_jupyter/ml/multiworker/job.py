"""Multi-worker training on TensorFlow's own runtime: the worker processes and the chief's stream.

`%%mlwork train --workers N` runs a cell on N worker processes that form a
`tf.distribute.MultiWorkerMirroredStrategy` cluster (`mlwork_jupyter.ml.multiworker.cluster`).
This module is the kernel's side: `run_job` starts `mlwork_jupyter.ml.multiworker.worker` once
per worker, each with its ``TF_CONFIG`` and in its own session, on a job folder that
`mlwork_jupyter.ml.multiworker.shipping.pack_job` wrote. While the workers train, it replays
the chief's reporter calls (JSON lines in ``events.jsonl``) into the kernel's reporter and
echoes the chief's standard output. Whether the cell succeeds, fails on a worker
(`WorkerError`) or is interrupted, every process is terminated, killed after a grace period if
need be, and reaped. On success it returns what the chief's cell bound (`Outcome`).
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mlwork_jupyter.errors import MlworkError, error_line
from mlwork_jupyter.ml.multiworker.shipping import ModelFiles, loads
from mlwork_jupyter.ml.reporter import Progress

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from mlwork_jupyter.ml.multiworker.cluster import ClusterSpec
    from mlwork_jupyter.ml.reporter import Reporter

__all__ = [
    "Outcome",
    "WorkerError",
    "remote_command",
    "replay",
    "run_job",
    "start_worker",
    "stop",
    "worker_environment",
]

EVENTS_FILE = "events.jsonl"
OUTCOME_FILE = "outcome.pkl"
PARENT_ENV = "MLWORK_PARENT_PID"
COMMUNICATION_ENV = "MLWORK_COMMUNICATION"
STOP_FILE = "stop"
_POLL_S = 0.05
_SETTLE_S = 1.0
_LOG_TAIL = 20


class WorkerError(MlworkError, RuntimeError):
    """A worker failed; `remote_traceback` is the traceback it printed.

    IPython shows the one-line summary, then the worker's traceback of the cell.
    """

    def __init__(self, message: str, remote_traceback: str = "") -> None:
        super().__init__(message)
        self.remote_traceback = remote_traceback

    def _render_traceback_(self) -> list[str]:
        """Show the summary line, then the worker's own traceback of the cell."""
        lines = [f"{type(self).__name__}: {self}"]
        if self.remote_traceback:
            lines += ["", *self.remote_traceback.rstrip().splitlines()]
        return lines


def replay(event: Mapping[str, Any], reporter: Reporter, folder: Path) -> None:
    """Make the reporter call one event of ``events.jsonl`` describes."""
    call = event.get("call")
    args = list(event.get("args", ()))
    if call == "params":
        reporter.params(args[0])
    elif call == "metrics":
        reporter.metrics(args[0], int(args[1]), args[2])
    elif call == "progress":
        reporter.progress(Progress(**args[0]))
    elif call == "artifact":
        reporter.artifact(str(folder / args[0]), args[1])
    elif call == "status":
        reporter.status(args[0], args[1] if len(args) > 1 else None)
    elif call == "warn":
        reporter.warn(args[0])


class _Tail:
    """The complete new lines (or text) of a file another process appends to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[bytes] | None = None
        self._partial = b""

    def read(self) -> bytes:
        if self._handle is None:
            try:
                self._handle = self.path.open("rb")
            except FileNotFoundError:
                return b""
        return self._handle.read()

    def lines(self) -> list[bytes]:
        data = self._partial + self.read()
        *complete, self._partial = data.split(b"\n")
        return complete

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


@dataclass(slots=True)
class Outcome:
    """What the chief's cell produced, brought back to the kernel.

    Attributes
    ----------
    values
        Names the cell bound on the chief, with their values.
    result
        The cell's last expression value (None without one, or when not sendable).
    artifacts
        ``(path, name)`` of every model a captured `fit` trained (valid inside the job folder).
    warnings
        One line per value that could not come back.
    """

    values: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    artifacts: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(process.pid, sig)
        else:  # Windows: no process groups to signal
            process.kill() if sig != signal.SIGTERM else process.terminate()


def stop(processes: Iterable[subprocess.Popen[bytes]], grace_s: float = 3.0) -> None:
    """Terminate each process's group, kill what is left after `grace_s`, and reap them all.

    An interrupt while waiting cuts the grace period short: what is left is killed and reaped
    before the interrupt goes on.
    """
    processes = list(processes)
    try:
        for process in processes:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(deadline - time.monotonic(), 0.0))
    finally:
        for process in processes:
            _signal_group(process, getattr(signal, "SIGKILL", signal.SIGTERM))
        for process in processes:
            process.wait()


def worker_environment(gpus: str | None = None, **values: str) -> dict[str, str]:
    """Return the environment of a worker process started from this kernel.

    The kernel's own, plus: its ``sys.path`` (a path the notebook appended included), unbuffered
    output, a plotting backend that needs no kernel, the kernel's pid (the worker exits when
    the kernel is gone), `gpus` as ``CUDA_VISIBLE_DEVICES`` (None: left as it is) and `values`.
    """
    env = dict(os.environ)
    paths = [p for p in sys.path if p and Path(p).is_dir()]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env.update(
        PYTHONPATH=os.pathsep.join(paths),
        PYTHONUNBUFFERED="1",
        MPLBACKEND="Agg",  # the kernel's inline backend needs a kernel
    )
    if gpus is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpus
    env.update(values)
    env[PARENT_ENV] = str(os.getpid())
    return env


def start_worker(
    module: str, folder: Path, env: Mapping[str, str], stdout: Path, stderr: Path
) -> subprocess.Popen[bytes]:
    """Start ``python -m MODULE FOLDER`` in its own session, its output going to two files.

    Its own session: the kernel's interrupt does not reach it, and `stop` ends its whole group.
    """
    with stdout.open("wb") as out, stderr.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", module, str(folder)],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=log,
            start_new_session=True,
        )


def _start(spec: ClusterSpec, folder: Path) -> dict[int, subprocess.Popen[bytes]]:
    """Start the workers on this machine; return them by index."""
    processes: dict[int, subprocess.Popen[bytes]] = {}
    try:
        for index in range(len(spec.addresses)):
            if index in spec.remote:
                continue
            env = worker_environment(
                spec.gpus_of(index),
                TF_CONFIG=spec.tf_config(index),
                **{COMMUNICATION_ENV: spec.communication},
            )
            processes[index] = start_worker(
                "mlwork_jupyter.ml.multiworker.worker",
                folder,
                env,
                folder / f"worker-{index}.out",
                folder / f"worker-{index}.log",
            )
    except BaseException:
        stop(processes.values())
        raise
    return processes


def remote_command(spec: ClusterSpec, index: int, folder: Path) -> str:
    """Return the shell command that starts worker `index` on its own machine."""
    env = f"TF_CONFIG={shlex.quote(spec.tf_config(index))} {COMMUNICATION_ENV}={spec.communication}"
    return f"{env} python -m mlwork_jupyter.ml.multiworker.worker {shlex.quote(str(folder))}"


def _error_of(folder: Path, index: int, code: int | None, workers: int) -> WorkerError:
    who = f"worker {index} of {workers}" + (" (chief)" if index == 0 else "")
    path = folder / f"error-{index}.json"
    with contextlib.suppress(OSError, ValueError):
        error = json.loads(path.read_text(encoding="utf-8"))
        hint = ""
        if "PerReplica" in error["error"] or "Invalid reduction dimension" in error["error"]:
            hint = " (keras-team/keras#20585: use a Keras version the fix covers, see the record)"
        return WorkerError(f"{who} raised {error['error']}{hint}", error.get("traceback", ""))
    log = folder / f"worker-{index}.log"
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.is_file() else []
    tail = "\n".join(lines[-_LOG_TAIL:])
    how = f"exited with code {code}" if code is not None else "was stopped"
    return WorkerError(f"{who} {how}; the last lines of its log follow", tail)


class _Stream:
    """The chief's events and standard output, read as the chief writes them."""

    def __init__(
        self,
        folder: Path,
        on_event: Callable[[dict[str, Any]], None],
        echo: Callable[[str], None] | None,
    ) -> None:
        self._events = _Tail(folder / EVENTS_FILE)
        self._out = _Tail(folder / "worker-0.out")
        self._on_event = on_event
        self._echo = echo

    def drain(self) -> None:
        if self._echo is not None:
            text = self._out.read()
            if text:
                self._echo(text.decode("utf-8", errors="replace"))
        for line in self._events.lines():
            if line.strip():
                self._on_event(json.loads(line))

    def close(self) -> None:
        self._events.close()
        self._out.close()


def _failed(
    processes: Mapping[int, subprocess.Popen[bytes]], spec: ClusterSpec, folder: Path
) -> list[int]:
    here = [i for i, p in processes.items() if p.poll() not in (None, 0)]
    away = [i for i in spec.remote if (folder / f"error-{i}.json").is_file()]
    return sorted(here + away)


def _wait(
    processes: Mapping[int, subprocess.Popen[bytes]],
    spec: ClusterSpec,
    folder: Path,
    stream: _Stream,
) -> list[int]:
    """Follow the stream until the workers here exited or one failed; return the failed ones.

    The chief is here and waits for every worker before it exits, so the workers here ending
    well means the whole cluster did. A worker elsewhere fails by leaving its error file.
    """
    while True:
        stream.drain()
        failed = _failed(processes, spec, folder)
        if failed or all(p.poll() == 0 for p in processes.values()):
            break
        time.sleep(_POLL_S)
    if failed:  # the others often fail a moment later with the same error: let them say it
        deadline = time.monotonic() + _SETTLE_S
        while time.monotonic() < deadline and any(p.poll() is None for p in processes.values()):
            time.sleep(_POLL_S)
        failed = _failed(processes, spec, folder)
    stream.drain()
    return failed


def _read_outcome(folder: Path) -> Outcome:
    files = ModelFiles(folder / "result")
    raw = pickle.loads((folder / OUTCOME_FILE).read_bytes())  # noqa: S301 - our own file
    outcome = Outcome(warnings=list(raw["warnings"]))
    skipped = []
    for name, data in raw["values"].items():
        try:
            outcome.values[name] = loads(data, files)
        except Exception as exc:
            skipped.append(f"`{name}` ({error_line(exc)})")
    if raw["result"] is not None:
        try:
            outcome.result = loads(raw["result"], files)
        except Exception as exc:
            skipped.append(f"the cell's value ({error_line(exc)})")
    if skipped:
        outcome.warnings.append(f"not brought back from the chief: {', '.join(skipped)}")
    outcome.artifacts = [(str(folder / "result" / f), name) for f, name in raw["artifacts"]]
    return outcome


def run_job(
    folder: Path,
    spec: ClusterSpec,
    reporter: Reporter,
    *,
    on_info: Callable[[dict[str, Any]], None] | None = None,
    echo: Callable[[str], None] | None = None,
    grace_s: float = 3.0,
) -> Outcome:
    """Run the job in `folder` on the cluster `spec`; return what the chief's cell bound.

    Blocks until every worker here has exited. The chief's reporter calls reach `reporter` as
    they happen (in this thread); its ``info`` event (devices, replicas) reaches `on_info`, its
    standard output `echo`, with the command to run for each worker on another machine. Every
    worker process here is stopped and reaped on every exit path; the workers elsewhere stop
    when the job folder's ``stop`` file appears.

    Raises
    ------
    WorkerError
        When a worker fails: the worker's exception and traceback, or its exit code and log.
    """

    def on_event(event: dict[str, Any]) -> None:
        if event.get("call") == "info":
            if on_info is not None:
                on_info(event.get("args", [{}])[0])
        else:
            replay(event, reporter, folder)

    stream = _Stream(folder, on_event, echo)
    processes = _start(spec, folder)
    try:
        for index in sorted(spec.remote):
            if echo is not None:
                host = spec.addresses[index].rpartition(":")[0]
                command = remote_command(spec, index, folder)
                echo(f"mlwork: start worker {index} on {host}: {command}\n")
        failed = _wait(processes, spec, folder, stream)
    finally:
        (folder / STOP_FILE).touch()  # the workers elsewhere watch for it
        stop(processes.values(), grace_s)
        stream.close()
    if failed:  # a worker's own error first (the chief's, of several), else an exit code
        first = min(failed, key=lambda i: (not (folder / f"error-{i}.json").is_file(), i))
        code = processes[first].returncode if first in processes else None
        raise _error_of(folder, first, code, len(spec.addresses))
    return _read_outcome(folder)
