"""`when_imported` and `probe`: what lets a train cell import TensorFlow itself."""

from __future__ import annotations

import importlib
import sys

import pytest

from mlwork_jupyter.ml.devices import probe
from mlwork_jupyter.ml.import_hook import when_imported
from mlwork_jupyter.ml.strategy import choose_strategy


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    (tmp_path / "late_module.py").write_text("VALUE = 41\nimport sys\nsys.late_loaded = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("late_module", None)
    if hasattr(sys, "late_loaded"):
        del sys.late_loaded


def test_the_callback_runs_once_right_after_the_module_ran(module_dir):
    seen = []

    def callback():
        seen.append(sys.modules["late_module"].VALUE)

    before = list(sys.meta_path)
    with when_imported(["late_module"], callback):
        assert seen == []
        module = importlib.import_module("late_module")
        assert seen == [41]  # inside the import statement, with the module complete
        importlib.reload(module)
        assert seen == [41]
    assert sys.meta_path == before
    assert module.__spec__.loader.is_package("late_module") is False  # the loader delegates


def test_a_module_imported_already_gets_the_callback_at_once(module_dir):
    importlib.import_module("late_module")
    seen = []
    with when_imported(["late_module"], lambda: seen.append(True)):
        assert seen == [True]


def test_nothing_happens_for_a_module_never_imported(module_dir):
    seen = []
    with when_imported(["late_module"], lambda: seen.append(True)):
        pass
    assert seen == []
    assert "late_module" not in sys.modules


def test_probe_finds_the_gpus_cuda_shows_without_tensorflow(tmp_path, monkeypatch):
    smi = tmp_path / "nvidia-smi"  # the driver's tool cannot run here: its output, as it prints
    smi.write_text(
        "#!/bin/sh\necho '0, NVIDIA H200, 143771, 9.0'\necho '1, NVIDIA H200, 143771, 9.0'\n"
    )
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    devices = probe()
    [gpu] = devices.gpus
    assert gpu.name == "/physical_device:GPU:0"  # CUDA numbers what it lets a process see
    assert gpu.description == "NVIDIA H200"
    assert gpu.compute_capability == (9, 0)
    assert gpu.memory_bytes == 143771 * 1024 * 1024
    assert choose_strategy(devices, "auto", None).name == "one_device"
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert choose_strategy(probe(), "auto", None).name == "mirrored"


def test_probe_without_nvidia_smi_is_the_cpu(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    devices = probe()
    assert [d.kind for d in devices.devices] == ["CPU"]
    assert choose_strategy(devices, "auto", None).name == "default"
