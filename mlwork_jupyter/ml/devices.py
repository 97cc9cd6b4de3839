"""Accelerator detection: CPUs, GPUs (with memory growth) and configured TPUs."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from mlwork_jupyter.ml.tf_startup import tensorflow_startup

__all__ = ["DeviceInfo", "DeviceKind", "Devices", "detect", "probe", "tpu_configured"]

DeviceKind = Literal["CPU", "GPU", "TPU"]
_TPU_ENV = ("TPU_NAME", "COLAB_TPU_ADDR", "TPU_ACCELERATOR_TYPE", "KUBE_GOOGLE_CLOUD_TPU_ENDPOINTS")
_MIB = 1024 * 1024
_SMI_FIELDS = ("index", "name", "memory.total", "compute_cap")


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """One device as TensorFlow sees it.

    Attributes
    ----------
    kind
        ``"CPU"``, ``"GPU"`` or ``"TPU"``.
    name
        TensorFlow's device name (``/physical_device:GPU:0``, ``/device:TPU:3``).
    description
        The model (``NVIDIA H100 80GB HBM3``, the CPU's model name), when known.
    memory_bytes
        Total memory (host memory for the CPU), when known.
    compute_capability
        ``(major, minor)`` of an NVIDIA GPU, when TensorFlow reports it.
    """

    kind: DeviceKind
    name: str
    description: str | None = None
    memory_bytes: int | None = None
    compute_capability: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Devices:
    """What `detect` found: the devices, a TPU address when one is configured, and notes."""

    devices: tuple[DeviceInfo, ...]
    tpu_address: str | None = None
    notes: tuple[str, ...] = field(default=())
    startup_messages: str = ""

    @property
    def gpus(self) -> tuple[DeviceInfo, ...]:
        """The GPUs."""
        return tuple(d for d in self.devices if d.kind == "GPU")

    @property
    def tpus(self) -> tuple[DeviceInfo, ...]:
        """The TPU cores."""
        return tuple(d for d in self.devices if d.kind == "TPU")

    @property
    def cpus(self) -> tuple[DeviceInfo, ...]:
        """The CPUs (TensorFlow shows one for the host)."""
        return tuple(d for d in self.devices if d.kind == "CPU")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able description, for records and `%mlwork devices`."""
        return {
            "devices": [
                {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(d).items()}
                for d in self.devices
            ],
            "tpu_address": self.tpu_address,
            "notes": list(self.notes),
        }


def _cpu_description() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:  # noqa: PTH123
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _host_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def nvidia_smi(fields: str) -> str | None:
    """Return ``nvidia-smi --query-gpu=FIELDS`` as CSV without header or units; None if absent."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        return subprocess.run(
            [exe, f"--query-gpu={fields}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None


def _nvidia_memory(count: int) -> list[int | None]:
    """Return the total memory of each visible GPU from nvidia-smi, None where unsure."""
    unknown: list[int | None] = [None] * count
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    out = nvidia_smi("index,memory.total") if count else None
    if out is None:
        return unknown
    by_index: dict[str, int] = {}
    for line in out.strip().splitlines():
        index, _, mib = line.partition(",")
        if mib.strip().isdigit():
            by_index[index.strip()] = int(mib.strip()) * _MIB
    # TensorFlow numbers the GPUs CUDA lets it see; nvidia-smi numbers all of them.
    order = [v.strip() for v in visible.split(",")] if visible else sorted(by_index, key=int)
    memory = [by_index.get(index) for index in order[:count]]
    return memory if len(memory) == count else unknown


def _gpus(tf: Any, *, memory_growth: bool) -> tuple[list[DeviceInfo], list[str]]:
    notes: list[str] = []
    physical = tf.config.list_physical_devices("GPU")
    if memory_growth:
        for gpu in physical:
            try:
                if not tf.config.experimental.get_memory_growth(gpu):
                    tf.config.experimental.set_memory_growth(gpu, enable=True)
            except RuntimeError:
                notes.append(
                    "GPU memory growth not set: TensorFlow had already initialised the GPUs "
                    "(restart the kernel and run `%%mlwork train` before other TensorFlow code)"
                )
                break
    memory = _nvidia_memory(len(physical))
    gpus = []
    for gpu, total in zip(physical, memory, strict=True):
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except Exception:  # details are a nicety; an exotic driver must not stop detection
            details = {}
        capability = details.get("compute_capability")
        gpus.append(
            DeviceInfo(
                kind="GPU",
                name=gpu.name,
                description=details.get("device_name"),
                memory_bytes=total,
                compute_capability=tuple(capability[:2]) if capability else None,
            )
        )
    return gpus, notes


def tpu_configured() -> bool:
    """Tell whether this machine says it has a TPU (``TPU_NAME``, a TPU VM's ``/dev/accel0``)."""
    return any(os.environ.get(name) for name in _TPU_ENV) or os.path.exists("/dev/accel0")  # noqa: PTH110


def _tpus(tf: Any) -> tuple[list[DeviceInfo], str | None, list[str]]:
    if not tpu_configured():
        return [], None, []
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        address = str(resolver.master())
        cores = int(resolver.num_accelerators().get("TPU", 0))
    except Exception as exc:  # a stale TPU_NAME or unreachable metadata server
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [], None, [f"a TPU is configured but could not be resolved ({first})"]
    devices = [DeviceInfo(kind="TPU", name=f"/device:TPU:{i}") for i in range(cores)]
    return devices, address, []


def _visible(indices: list[str]) -> list[str]:
    """Return the nvidia-smi indices CUDA lets a process see, in CUDA's order."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return indices
    wanted = [v.strip() for v in visible.split(",") if v.strip()]
    return [index for index in wanted if index in indices]


def probe() -> Devices:
    """Find the GPUs with ``nvidia-smi`` and the host's CPU, without importing TensorFlow.

    What `choose_strategy` needs before the cell's code runs, so that the cell can set
    TensorFlow up itself (``KERAS_BACKEND``, ``TF_CPP_MIN_LOG_LEVEL``) before it is imported.
    `detect` tells what TensorFlow itself sees, once it is imported. No TPUs: a configured TPU
    is found through TensorFlow (`detect`).
    """
    cpu = DeviceInfo(
        kind="CPU",
        name="/physical_device:CPU:0",
        description=_cpu_description(),
        memory_bytes=_host_memory(),
    )
    out = nvidia_smi(",".join(_SMI_FIELDS)) or ""
    rows: dict[str, list[str]] = {}
    for line in out.strip().splitlines():
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) == len(_SMI_FIELDS) and cells[0].isdigit():
            rows[cells[0]] = cells
    gpus = []
    for number, index in enumerate(_visible(sorted(rows, key=int))):
        _, name, mib, capability = rows[index]
        major, _, minor = capability.partition(".")
        gpus.append(
            DeviceInfo(
                kind="GPU",
                name=f"/physical_device:GPU:{number}",
                description=name or None,
                memory_bytes=int(mib) * _MIB if mib.isdigit() else None,
                compute_capability=(int(major), int(minor))
                if major.isdigit() and minor.isdigit()
                else None,
            )
        )
    return Devices(devices=(cpu, *gpus))


def detect(*, memory_growth: bool = True) -> Devices:
    """Detect the devices TensorFlow can use; import TensorFlow if it is not yet imported.

    GPU memory growth is turned on first (before anything initialises the GPUs), so a
    notebook does not grab all GPU memory at its first op; if TensorFlow already initialised
    them, a note says so. TPUs are looked for only when one is configured (``TPU_NAME``,
    ``COLAB_TPU_ADDR``, a TPU VM's ``/dev/accel0``), through ``TPUClusterResolver``.

    Parameters
    ----------
    memory_growth
        Turn GPU memory growth on.

    Returns
    -------
    Devices
        The devices found, in CPU, GPU, TPU order; when this call first imported
        TensorFlow, the lines it wrote meanwhile (`startup_messages`), not shown in the cell.
    """
    with tensorflow_startup() as startup:
        import tensorflow as tf

        gpus, notes = _gpus(tf, memory_growth=memory_growth)
        tpus, address, tpu_notes = _tpus(tf)
        cpus = [
            DeviceInfo(
                kind="CPU",
                name=cpu.name,
                description=_cpu_description(),
                memory_bytes=_host_memory(),
            )
            for cpu in tf.config.list_physical_devices("CPU")
        ]
    return Devices(
        devices=(*cpus, *gpus, *tpus),
        tpu_address=address,
        notes=(*notes, *tpu_notes),
        startup_messages=startup.text,
    )
