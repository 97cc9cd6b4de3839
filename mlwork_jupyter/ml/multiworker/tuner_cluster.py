"""keras-tuner's own distributed tuning from a kernel: the kernel is the chief, N workers here.

For a `%%mlwork tune --workers N` cell the kernel runs the cell as usual, its environment naming
it keras-tuner's chief for the cell's duration (``KERASTUNER_TUNER_ID=chief``,
``KERASTUNER_ORACLE_IP=127.0.0.1``, ``KERASTUNER_ORACLE_PORT=PORT``): the cell's
``tuner.search`` then serves the oracle over gRPC (`oracle_server.serve`, in place of
keras-tuner's ``start_server``) and returns when the search is done. At the cell's start, N
processes (`tuner_worker`) start on the same cell and the values it reads (`TunerJob`); as
``tuner0``, ``tuner1``, ... they ask the chief for trials, run them, and exit when the search
ends (one search a cell). Their output goes to files in the job folder. On every exit path
every worker is stopped and reaped, and the environment and keras-tuner's ``start_server`` are
put back exactly as they were.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.ml.multiworker.cluster import WorkersError, plan_gpus, visible_gpus
from mlwork_jupyter.ml.multiworker.job import WorkerError, start_worker, stop, worker_environment
from mlwork_jupyter.ml.multiworker.shipping import pack_job

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from types import CodeType

__all__ = [
    "ORACLE_HOST",
    "TUNER_ENV",
    "TunerCluster",
    "TunerJob",
    "TunerWorker",
    "check_tuner_workers",
    "compile_cell",
]

ORACLE_HOST = "127.0.0.1"
# keras-tuner's own variables: this process's tuner id, and where the chief's oracle listens.
TUNER_ENV = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")
_WORKER_MODULE = "mlwork_jupyter.ml.multiworker.tuner_worker"
_NEEDS = {"keras_tuner": "keras-tuner", "cloudpickle": "cloudpickle", "grpc": "grpcio"}
_TAIL_LINES = 20
_TAIL_BYTES = 16384


def check_tuner_workers(
    workers: int,
    *,
    strategy: str = "auto",
    hosts: str | None = None,
    available: Callable[[str], object] | None = None,
) -> None:
    """Check `--workers N` on a tune cell; raise a one-line `WorkersError` naming the fix.

    Parameters
    ----------
    workers
        The number of worker processes asked for (the kernel is the chief besides them).
    strategy, hosts
        The `--strategy` and `--hosts` given with it (neither applies).
    available
        ``importlib.util.find_spec``, to check that what the cluster imports is installed.
    """
    if workers < 1:
        raise WorkersError(f"--workers must be 1 or more, got {workers}")
    if hosts is not None:
        raise WorkersError(
            "--workers on a tune cell starts keras-tuner workers on this machine; "
            "--hosts cannot go with it: drop --hosts"
        )
    if strategy != "auto":
        raise WorkersError(
            f"--workers {workers} on a tune cell runs keras-tuner workers, each training its "
            f"own trials; --strategy {strategy} cannot apply: drop it"
        )
    if available is not None:
        missing = [name for module, name in _NEEDS.items() if available(module) is None]
        if missing:
            raise WorkersError(
                f"--workers on a tune cell needs {' and '.join(missing)}; "
                "pip install 'mlwork-jupyter[tensorflow]'"
            )


def compile_cell(code: str, filename: str, first_line: int = 2) -> tuple[CodeType, str]:
    """Compile a cell's body as the workers run it, plain Python; return it and its source.

    Line numbers are the cell's (its body starts on `first_line`).
    """
    source = "\n" * (first_line - 1) + code + "\n"
    try:
        return compile(source, filename, "exec", dont_inherit=True), source
    except SyntaxError as exc:
        raise WorkersError(
            f"line {exc.lineno} is not plain Python ({exc.msg}): the workers run the cell "
            "without IPython, so a --workers cell cannot hold %magics or !commands"
        ) from None


class TunerJob:
    """A tune cell packed for its workers, in a private folder that `remove` deletes.

    The folder is also deleted when the job is dropped unused (a cell planned, never run).

    Parameters
    ----------
    parent
        Where the folder goes (None: the system's temporary folder).
    """

    def __init__(self, parent: Path | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="mlwork-tune-", dir=parent))
        self._remove = weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)
        self._packed: tuple[str, Mapping[str, Any]] | None = None

    def pack(
        self,
        code: str,
        *,
        namespace: Mapping[str, Any],
        reads: Iterable[str],
        filename: str = "<mlwork-cell>",
        first_line: int = 2,
        mixed_precision: bool = False,
    ) -> None:
        """Compile the cell and ship the values it reads (`ShippingError`: one cannot go)."""
        compiled, source = compile_cell(code, filename, first_line)
        pack_job(
            self.folder,
            compiled,
            None,
            source=source,
            namespace=namespace,
            reads=reads,
            mixed_precision=mixed_precision,
        )
        self._packed = (code, namespace)

    def packed(self, code: str, namespace: Mapping[str, Any]) -> bool:
        """Tell whether this code with values from this namespace is what was packed."""
        return self._packed is not None and self._packed[0] == code and self._packed[1] is namespace

    def remove(self) -> None:
        """Delete the folder (once)."""
        self._remove()


@dataclass(eq=False)
class TunerWorker:
    """One worker process: its tuner id, process and output files."""

    tuner_id: str
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    exit_code: int | None = None  # set when it is seen to have exited by itself

    def tail(self, count: int = _TAIL_LINES) -> str:
        """Return the last `count` non-empty lines of its standard error."""
        try:
            with self.stderr.open("rb") as handle:
                handle.seek(max(handle.seek(0, os.SEEK_END) - _TAIL_BYTES, 0))
                text = handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join([line for line in text.splitlines() if line.strip()][-count:])

    def last_line(self) -> str:
        """Return the last line of its standard error, or a note that there is none."""
        return self.tail(1).strip() or "nothing on its stderr"


class TunerCluster:
    """The N keras-tuner workers of one tune cell and the address of the chief's oracle.

    Parameters
    ----------
    folder
        The job folder `TunerJob` packed (the workers' output files go there too).
    workers
        How many worker processes.
    gpus
        This machine's GPUs (default: `visible_gpus`), shared among the workers by `plan_gpus`.
    """

    def __init__(self, folder: Path, workers: int, *, gpus: list[str] | None = None) -> None:
        self.folder = folder
        self.size = workers
        self.host = ORACLE_HOST
        self.port = 0
        self.gpus = plan_gpus(workers, visible_gpus() if gpus is None else gpus)[0]
        self.workers: list[TunerWorker] = []
        self.warnings: list[str] = []
        self.searches = 0
        self._exited: list[TunerWorker] = []

    @property
    def address(self) -> str:
        """Where the chief's oracle listens, ``127.0.0.1:PORT``."""
        return f"{self.host}:{self.port}"

    def describe(self) -> dict[str, Any]:
        """Return the cluster as the tune run's record keeps it."""
        found: dict[str, Any] = {
            "workers": self.size,
            "oracle": self.address,
            "chief": "the kernel (KERASTUNER_TUNER_ID=chief)",
            "tuner_ids": [f"tuner{i}" for i in range(self.size)],
        }
        if self.gpus:
            found["gpus"] = list(self.gpus)
        return found

    def exited(self) -> list[TunerWorker]:
        """Return the workers seen to have exited since the last call; a failure is a warning."""
        new = []
        for worker in self.workers:
            code = worker.process.poll() if worker.exit_code is None else None
            if code is None:
                continue
            worker.exit_code = code
            new.append(worker)
            self._exited.append(worker)
            if code != 0:
                self.warnings.append(
                    f"keras-tuner worker {worker.tuner_id} exited with code {code}: "
                    f"{worker.last_line()}"
                )
        return new

    def all_exited(self) -> bool:
        """Tell whether every worker has exited (as `exited` saw)."""
        return all(worker.exit_code is not None for worker in self.workers)

    def failure(self) -> WorkerError:
        """Return the error of a search whose workers all exited before it ended."""
        failed = next((w for w in self._exited if w.exit_code != 0), self._exited[-1])
        return WorkerError(
            f"all {self.size} keras-tuner workers exited before the search ended; "
            f"{failed.tuner_id} exited with code {failed.exit_code}: {failed.last_line()}",
            failed.tail(),
        )

    @contextlib.contextmanager
    def running(self, grace_s: float = 3.0) -> Iterator[TunerCluster]:
        """Make this process the chief and run the workers for the block.

        On every exit path keras-tuner's ``start_server`` is put back, the workers are stopped
        (SIGTERM, SIGKILL after `grace_s`) and reaped, and the environment is put back.
        """
        with contextlib.ExitStack() as stack:
            self.port = stack.enter_context(_reserved_port(self.host))
            chief = dict(zip(TUNER_ENV, ("chief", self.host, str(self.port)), strict=True))
            stack.enter_context(_environment(chief))
            stack.callback(self._stop, grace_s)
            self._start()  # first: the workers start up while this process imports keras-tuner
            stack.enter_context(_serving(self))
            yield self

    def _start(self) -> None:
        for index in range(self.size):
            tuner_id = f"tuner{index}"
            values = dict(zip(TUNER_ENV, (tuner_id, self.host, str(self.port)), strict=True))
            env = worker_environment(self.gpus[index] if self.gpus else None, **values)
            env.pop("TF_CONFIG", None)  # a kernel's TF cluster is not the workers'
            stdout, stderr = self.folder / f"{tuner_id}.stdout", self.folder / f"{tuner_id}.stderr"
            process = start_worker(_WORKER_MODULE, self.folder, env, stdout, stderr)
            self.workers.append(TunerWorker(tuner_id, process, stdout, stderr))

    def _stop(self, grace_s: float) -> None:
        self.exited()  # those that ended by themselves, before being stopped
        stop([worker.process for worker in self.workers], grace_s)


@contextlib.contextmanager
def _reserved_port(host: str) -> Iterator[int]:
    """Hold a free port for the block, bound but never listening.

    Bound with ``SO_REUSEPORT``, as gRPC binds its servers, so the oracle's server can take the
    port while this socket holds it against other programs.
    """
    shared = hasattr(socket, "SO_REUSEPORT")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, 0))
        port = int(sock.getsockname()[1])
        if not shared:  # nothing could bind it beside this socket: give it up now
            sock.close()
        yield port


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block; put back exactly what was there."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _serving(cluster: TunerCluster) -> Iterator[None]:
    """Put `oracle_server.serve` in place of keras-tuner's ``start_server`` for the block."""
    from keras_tuner.src.distribute import oracle_chief

    from mlwork_jupyter.ml.multiworker.oracle_server import serve

    original = oracle_chief.start_server

    def start_server(oracle: Any) -> None:
        if cluster.searches:  # the workers ended with the first
            raise WorkersError(
                "--workers runs one keras-tuner search per cell and this cell started "
                "another: give each search a cell of its own"
            )
        cluster.searches += 1
        serve(oracle, cluster)

    oracle_chief.start_server = start_server
    try:
        yield
    finally:
        oracle_chief.start_server = original
