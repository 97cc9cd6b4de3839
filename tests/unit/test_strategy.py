"""Device detection on this machine and the strategy choice over every branch."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.ml.devices import DeviceInfo, Devices
from mlwork_jupyter.ml.strategy import (
    STRATEGIES,
    StrategyError,
    choose_strategy,
    enable_mixed_precision,
)

CPU = DeviceInfo("CPU", "/physical_device:CPU:0", "a CPU", 8 << 30)


def gpu(index: int, capability: tuple[int, int] | None = (8, 0)) -> DeviceInfo:
    return DeviceInfo("GPU", f"/physical_device:GPU:{index}", "NVIDIA A100", 40 << 30, capability)


CPU_ONLY = Devices((CPU,))
ONE_GPU = Devices((CPU, gpu(0)))
TWO_GPUS = Devices((CPU, gpu(0), gpu(1)))
TPU = Devices(
    (CPU, *(DeviceInfo("TPU", f"/device:TPU:{i}") for i in range(8))), tpu_address="grpc://t:8470"
)
CLUSTER = json.dumps(
    {
        "cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]},
        "task": {"type": "worker", "index": 0},
    }
)


@pytest.mark.parametrize(
    ("devices", "tf_config", "name", "used", "reason"),
    [
        (CPU_ONLY, None, "default", (), "no GPU or TPU"),
        (ONE_GPU, None, "one_device", ("/gpu:0",), "one GPU"),
        (TWO_GPUS, None, "mirrored", ("/gpu:0", "/gpu:1"), "2 GPUs"),
        (TWO_GPUS, CLUSTER, "multi_worker_mirrored", (), "cluster of 2 tasks"),
        (CPU_ONLY, CLUSTER, "multi_worker_mirrored", (), "cluster of 2 tasks"),
        (TPU, CLUSTER, "tpu", (), "8 cores"),
        (ONE_GPU, "", "one_device", ("/gpu:0",), "one GPU"),
        (ONE_GPU, '{"task": {"type": "worker", "index": 0}}', "one_device", ("/gpu:0",), "GPU"),
    ],
)
def test_auto_choice(devices, tf_config, name, used, reason):
    choice = choose_strategy(devices, "auto", tf_config)
    assert choice.name == name
    assert choice.devices == used
    assert reason in choice.reason


def test_tpu_choice_carries_the_address():
    assert choose_strategy(TPU).tpu_address == "grpc://t:8470"


@pytest.mark.parametrize(
    ("requested", "devices", "name", "used"),
    [
        ("mirrored", CPU_ONLY, "mirrored", ("/cpu:0",)),
        ("MirroredStrategy", TWO_GPUS, "mirrored", ("/gpu:0", "/gpu:1")),
        ("one-device", TWO_GPUS, "one_device", ("/gpu:0",)),
        ("OneDeviceStrategy", CPU_ONLY, "one_device", ("/cpu:0",)),
        ("default", TWO_GPUS, "default", ()),
        ("multi_worker_mirrored", CPU_ONLY, "multi_worker_mirrored", ()),
        ("tpu", TPU, "tpu", ()),
        ("  Auto ", ONE_GPU, "one_device", ("/gpu:0",)),
    ],
)
def test_requested_overrides(requested, devices, name, used):
    choice = choose_strategy(devices, requested)
    assert choice.name == name
    assert choice.devices == used
    if requested.strip().lower() != "auto":
        assert "requested" in choice.reason


def test_unknown_name_is_a_one_line_error_listing_the_valid_names():
    with pytest.raises(StrategyError) as info:
        choose_strategy(CPU_ONLY, "mirorred")
    message = str(info.value)
    assert "\n" not in message
    assert "'mirorred'" in message
    for name in STRATEGIES:
        assert name in message
    assert isinstance(info.value, MlworkError)
    assert isinstance(info.value, ValueError)


def test_tpu_without_a_tpu_and_bad_tf_config_are_errors():
    with pytest.raises(StrategyError, match="needs a TPU"):
        choose_strategy(ONE_GPU, "tpu")
    with pytest.raises(StrategyError, match="TF_CONFIG is not valid JSON"):
        choose_strategy(ONE_GPU, "auto", "{not json")


def test_mixed_precision_is_declined_without_a_capable_gpu():
    assert "no GPU" in enable_mixed_precision(CPU_ONLY)
    old = Devices((CPU, gpu(0, (6, 1)), gpu(1, None)))
    message = enable_mixed_precision(old)
    assert "not enabled" in message
    assert "6.1" in message
    assert "unknown" in message


def test_importing_the_ml_modules_imports_no_tensorflow():
    code = (
        "import sys; import mlwork_jupyter.ml.devices, mlwork_jupyter.ml.strategy, "
        "mlwork_jupyter.ml.keras_capture, mlwork_jupyter.ml.reporter, "
        "mlwork_jupyter.display.panel; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.tensorflow
def test_detect_and_build_on_this_machine():
    tf = pytest.importorskip("tensorflow")
    from mlwork_jupyter.ml.devices import detect
    from mlwork_jupyter.ml.strategy import make_strategy

    devices = detect()
    assert devices.cpus
    assert (devices.cpus[0].memory_bytes or 0) > 0
    assert len(devices.gpus) == len(tf.config.list_physical_devices("GPU"))
    assert not devices.tpus  # no TPU is configured here
    json.dumps(devices.to_dict())
    choice = choose_strategy(devices)
    expected = {0: "default", 1: "one_device"}.get(len(devices.gpus), "mirrored")
    assert choice.name == expected
    strategy = make_strategy(choice)
    assert isinstance(strategy, tf.distribute.Strategy)
    assert detect() == devices  # a second detection finds the same, memory growth already on
    for name in ("one_device", "mirrored", "default"):
        built = make_strategy(choose_strategy(devices, name))
        assert isinstance(built, tf.distribute.Strategy)
        with built.scope():
            variable = tf.Variable(1.0)
        assert float(variable.numpy()) == 1.0
