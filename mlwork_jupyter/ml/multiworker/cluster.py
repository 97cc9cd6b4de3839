"""The cluster of a multi-worker cell: what may run, where (ports, GPUs), and each TF_CONFIG.

Pure functions and values, apart from asking the OS for free ports and nvidia-smi for GPUs.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.ml.devices import nvidia_smi

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "ClusterSpec",
    "WorkersError",
    "check_workers",
    "hosts_cluster",
    "is_local",
    "local_cluster",
    "plan_gpus",
    "visible_gpus",
]

_STRATEGIES_WITH_WORKERS = ("auto", "multi_worker_mirrored")


class WorkersError(MlworkError, ValueError):
    """A `--workers` value or combination that cannot run."""


def check_workers(
    workers: int, strategy: str = "auto", available: Callable[[str], object] | None = None
) -> None:
    """Check a `--workers` request; raise a one-line `WorkersError` naming the fix.

    Parameters
    ----------
    workers
        The number asked for (1 runs in the kernel as usual).
    strategy
        The `--strategy` given with it.
    available
        ``importlib.util.find_spec``, to check that what the workers import is installed.
    """
    if workers < 1:
        raise WorkersError(f"--workers must be 1 or more, got {workers}")
    if workers > 1 and strategy not in _STRATEGIES_WITH_WORKERS:
        raise WorkersError(
            f"--workers {workers} trains with MultiWorkerMirroredStrategy, so --strategy "
            f"{strategy} cannot apply; drop --strategy or use multi_worker_mirrored"
        )
    if workers > 1 and available is not None:
        missing = [name for name in ("tensorflow", "cloudpickle") if available(name) is None]
        if missing:
            raise WorkersError(
                f"--workers needs {' and '.join(missing)}; pip install 'mlwork-jupyter[tensorflow]'"
            )


@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """The workers of a cluster; worker 0 is the chief.

    Attributes
    ----------
    addresses
        Each worker's ``host:port``.
    gpus
        Each worker's ``CUDA_VISIBLE_DEVICES`` (None: left as it is); empty for all None.
    communication
        The collective implementation: ``auto`` (NCCL on GPUs) or ``ring`` (workers sharing a
        GPU, which NCCL refuses).
    remote
        Indices of the workers on other machines, which the user starts; the kernel starts
        the others.
    """

    addresses: tuple[str, ...]
    gpus: tuple[str | None, ...] = ()
    communication: str = "auto"
    remote: frozenset[int] = frozenset()

    def tf_config(self, index: int) -> str:
        """Return the ``TF_CONFIG`` JSON of worker `index`."""
        if not 0 <= index < len(self.addresses):
            raise IndexError(f"worker {index} is not in a cluster of {len(self.addresses)}")
        return json.dumps(
            {
                "cluster": {"worker": list(self.addresses)},
                "task": {"type": "worker", "index": index},
            }
        )

    def describe(self) -> dict[str, Any]:
        """Return the cluster as a run record keeps it."""
        found: dict[str, Any] = {
            "workers": len(self.addresses),
            "addresses": list(self.addresses),
            "chief": self.addresses[0],
            "strategy": "MultiWorkerMirroredStrategy",
            "communication": self.communication,
        }
        if any(g is not None for g in self.gpus):
            found["gpus"] = list(self.gpus)
        if self.remote:
            found["remote"] = [self.addresses[i] for i in sorted(self.remote)]
        return found

    def gpus_of(self, index: int) -> str | None:
        """Return worker `index`'s ``CUDA_VISIBLE_DEVICES``, or None to leave it alone."""
        return self.gpus[index] if self.gpus else None


def plan_gpus(workers: int, gpus: list[str]) -> tuple[tuple[str, ...], str]:
    """Share this machine's GPUs among local workers; return each one's and the collective.

    With at least one GPU per worker, each gets an equal share and NCCL does the collectives.
    With fewer GPUs than workers, GPUs are shared in turn and the collectives use the ring
    implementation, because NCCL cannot run two workers on one GPU. Without GPUs nothing
    changes.
    """
    if not gpus:
        return (), "auto"
    if len(gpus) >= workers:
        share = len(gpus) // workers
        return tuple(",".join(gpus[i * share : (i + 1) * share]) for i in range(workers)), "auto"
    return tuple(gpus[i % len(gpus)] for i in range(workers)), "ring"


def visible_gpus() -> list[str]:
    """Return the GPUs the kernel may use (``CUDA_VISIBLE_DEVICES``, else nvidia-smi's list)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [v.strip() for v in visible.split(",") if v.strip()]
        return [] if not ids or ids[0] == "-1" else ids
    out = nvidia_smi("index")
    return [] if out is None else [v.strip() for v in out.splitlines() if v.strip().isdigit()]


def local_cluster(
    workers: int, host: str = "127.0.0.1", gpus: list[str] | None = None
) -> ClusterSpec:
    """Return a cluster of `workers` tasks on `host`, on ports the OS just gave out.

    All sockets are held open until every port is known, so the ports are distinct; they are
    released just before the workers bind them (another process could take one in between;
    the worker then fails naming the address). `gpus` (default: `visible_gpus`) are shared among
    the workers by `plan_gpus`.
    """
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(workers):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            ports.append(sock.getsockname()[1])
    shares, communication = plan_gpus(workers, visible_gpus() if gpus is None else gpus)
    return ClusterSpec(tuple(f"{host}:{port}" for port in ports), shares, communication)


def is_local(host: str) -> bool:
    """Tell whether `host` (a name or an address) is this machine: a socket can bind to it."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
    except OSError:  # not an address of this machine, or a name that does not resolve
        return False
    return True


def hosts_cluster(
    hosts: str,
    workers: int | None = None,
    *,
    job_dir: Path | None = None,
    gpus: list[str] | None = None,
    local: Callable[[str], bool] = is_local,
) -> ClusterSpec:
    """Return the cluster `--hosts HOST:PORT,...` names; worker 0, the chief, must be here.

    The workers on this machine are started by the kernel and share its GPUs (`plan_gpus`);
    the others, started by the user, need a `job_dir` that every host reads at the same path.

    Raises
    ------
    WorkersError
        For a malformed list, a count that differs from `workers`, a chief elsewhere, or
        remote workers without `job_dir`.
    """
    addresses = tuple(a.strip() for a in hosts.split(",") if a.strip())
    for address in addresses:
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:  # noqa: PLR2004
            raise WorkersError(f"--hosts wants HOST:PORT,HOST:PORT,...; got {address!r}")
    if not addresses:
        raise WorkersError("--hosts wants HOST:PORT,HOST:PORT,...; got nothing")
    if workers is not None and workers != len(addresses):
        raise WorkersError(
            f"--workers {workers} but --hosts names {len(addresses)}; give one of them"
        )
    on_here = [local(address.rpartition(":")[0].strip("[]")) for address in addresses]
    if not on_here[0]:
        raise WorkersError(
            f"the first of --hosts is the chief and must be this machine; got {addresses[0]!r}"
        )
    remote = frozenset(i for i, here in enumerate(on_here) if not here)
    if remote and job_dir is None:
        raise WorkersError(
            "--hosts with other machines needs --job-dir DIR, a folder every host reads at "
            "the same path (a shared filesystem)"
        )
    mine = [i for i, here in enumerate(on_here) if here]
    shares, communication = plan_gpus(len(mine), visible_gpus() if gpus is None else gpus)
    per_worker: list[str | None] = [None] * len(addresses)
    for i, share in zip(mine, shares, strict=False):
        per_worker[i] = share
    return ClusterSpec(addresses, tuple(per_worker) if shares else (), communication, remote)
