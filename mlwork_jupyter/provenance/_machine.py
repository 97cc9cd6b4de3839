"""Describe the machine: Python, operating system, CPU, memory and accelerators."""

from __future__ import annotations

import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Any, Final

from mlwork_jupyter.provenance._command_output import run_command

_NVIDIA_SMI_TIMEOUT_S: Final = 5.0


def python_facts() -> dict[str, Any]:
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }


def platform_facts() -> dict[str, Any]:
    return {
        "os": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "platform": platform.platform(),
    }


def cpu_facts() -> dict[str, Any]:
    model: str | None = None
    physical: int | None = None
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    cores: set[tuple[str, str]] = set()
    package = core = ""
    for line in text.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "model name" and model is None:
            model = value
        elif key == "physical id":
            package = value
        elif key == "core id":
            core = value
            cores.add((package, core))
    if cores:
        physical = len(cores)
    if model is None and sys.platform == "darwin":
        out = run_command(["sysctl", "-n", "machdep.cpu.brand_string"], None, 2.0)
        model = out.strip() if out else None
        out = run_command(["sysctl", "-n", "hw.physicalcpu"], None, 2.0)
        physical = int(out) if out and out.strip().isdigit() else None
    try:
        available: int | None = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = None
    return {
        "model": model or platform.processor() or platform.machine(),
        "logical_cores": os.cpu_count(),
        "physical_cores": physical,
        "available_cores": available,
    }


def memory_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def nvidia_smi_gpus() -> list[dict[str, Any]]:
    binary = shutil.which("nvidia-smi")
    if binary is None:
        return []
    query = "--query-gpu=name,memory.total,driver_version"
    out = run_command([binary, query, "--format=csv,noheader,nounits"], None, _NVIDIA_SMI_TIMEOUT_S)
    gpus: list[dict[str, Any]] = []
    for line in (out or "").splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 3:  # noqa: PLR2004 - the three queried columns
            continue
        name, memory_mib, driver = fields
        memory = int(memory_mib) * 2**20 if memory_mib.isdigit() else None
        gpus.append(
            {"source": "nvidia-smi", "name": name, "memory_bytes": memory, "driver": driver}
        )
    return gpus


def tensorflow_devices() -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Devices and CUDA build info, only from a TensorFlow the user has already imported."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return [], None
    devices: list[dict[str, Any]] = []
    cuda: dict[str, Any] | None = None
    try:
        for device in tf.config.list_physical_devices():
            if device.device_type == "CPU":
                continue
            entry: dict[str, Any] = {
                "source": "tensorflow",
                "name": str(device.name),
                "type": str(device.device_type),
            }
            details = tf.config.experimental.get_device_details(device)
            if details.get("device_name"):
                entry["model"] = str(details["device_name"])
            if details.get("compute_capability"):
                entry["compute_capability"] = ".".join(map(str, details["compute_capability"]))
            devices.append(entry)
    except Exception:  # a half-initialised TensorFlow must not break the snapshot
        devices = []
    try:
        info = tf.sysconfig.get_build_info()
        cuda = {
            "tensorflow": str(getattr(tf, "__version__", "")),
            "is_cuda_build": bool(info.get("is_cuda_build", False)),
            "cuda_version": info.get("cuda_version"),
            "cudnn_version": info.get("cudnn_version"),
        }
    except Exception:
        cuda = None
    return devices, cuda
