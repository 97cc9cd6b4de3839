"""The distribution strategy for a cell: chosen from the devices (a pure function), then built."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlwork_jupyter.errors import MlworkError

if TYPE_CHECKING:
    from mlwork_jupyter.ml.devices import Devices

__all__ = [
    "STRATEGIES",
    "StrategyChoice",
    "StrategyError",
    "StrategyName",
    "choose_strategy",
    "enable_mixed_precision",
    "make_strategy",
]

StrategyName = Literal["default", "one_device", "mirrored", "multi_worker_mirrored", "tpu"]
STRATEGIES: tuple[StrategyName, ...] = (
    "default",
    "one_device",
    "mirrored",
    "multi_worker_mirrored",
    "tpu",
)
_MIXED_PRECISION_CC = (7, 0)


class StrategyError(MlworkError, ValueError):
    """An unknown or impossible `--strategy`, or a malformed `TF_CONFIG`."""


@dataclass(frozen=True, slots=True)
class StrategyChoice:
    """A distribution strategy and why it was chosen.

    Attributes
    ----------
    name
        One of `STRATEGIES`.
    reason
        One line for `%mlwork devices` and the record.
    devices
        Logical device names the strategy uses (``/gpu:0``), empty for its own default.
    tpu_address
        The TPU to connect to, for ``"tpu"``.
    """

    name: StrategyName
    reason: str
    devices: tuple[str, ...] = ()
    tpu_address: str | None = None


def _normalise(requested: str) -> str:
    key = requested.strip().lower().replace("-", "_")
    key = key.removesuffix("strategy").rstrip("_")
    aliases = {
        "": "auto",
        "onedevice": "one_device",
        "multiworkermirrored": "multi_worker_mirrored",
        "multi_worker": "multi_worker_mirrored",
        "none": "default",
    }
    return aliases.get(key, key)


def _cluster_size(tf_config: str | None) -> int:
    """Return how many tasks TF_CONFIG's cluster names (0 without a cluster)."""
    if not tf_config or not tf_config.strip():
        return 0
    try:
        config = json.loads(tf_config)
    except json.JSONDecodeError as exc:
        raise StrategyError(f"TF_CONFIG is not valid JSON ({exc.msg}); fix or unset it") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    if not isinstance(cluster, dict):
        return 0
    return sum(len(tasks) for tasks in cluster.values() if isinstance(tasks, list | dict))


def _gpu_names(devices: Devices) -> tuple[str, ...]:
    return tuple(f"/gpu:{i}" for i in range(len(devices.gpus)))


def choose_strategy(
    devices: Devices, requested: str = "auto", tf_config: str | None = None
) -> StrategyChoice:
    """Choose the distribution strategy for the devices found; a pure function.

    ``auto`` picks, in order: a TPU -> ``tpu``; a ``TF_CONFIG`` cluster ->
    ``multi_worker_mirrored``; several GPUs -> ``mirrored``; one GPU -> ``one_device``; else
    ``default``. Any other `requested` name overrides the choice.

    Parameters
    ----------
    devices
        What `mlwork_jupyter.ml.devices.detect` found.
    requested
        ``auto`` or a strategy name (``mirrored``, ``MirroredStrategy``, ``one-device``...).
    tf_config
        The ``TF_CONFIG`` environment value, if any.

    Returns
    -------
    StrategyChoice
        The strategy's name, the reason, and the devices it uses.

    Raises
    ------
    StrategyError
        For an unknown name, ``tpu`` without a TPU, or a malformed `tf_config`.

    Examples
    --------
    >>> from mlwork_jupyter.ml.devices import DeviceInfo, Devices
    >>> cpu = Devices((DeviceInfo("CPU", "/physical_device:CPU:0"),))
    >>> choose_strategy(cpu).name
    'default'
    """
    key = _normalise(requested)
    if key != "auto" and key not in STRATEGIES:
        raise StrategyError(
            f"unknown strategy {requested!r}; use auto or one of: {', '.join(STRATEGIES)}"
        )
    tasks = _cluster_size(tf_config)
    gpus = _gpu_names(devices)
    tpu_cores = len(devices.tpus)
    if key == "auto":
        if tpu_cores:
            return StrategyChoice(
                "tpu", f"a TPU with {tpu_cores} cores is configured", (), devices.tpu_address
            )
        if tasks:
            return StrategyChoice(
                "multi_worker_mirrored", f"TF_CONFIG names a cluster of {tasks} tasks"
            )
        if len(gpus) > 1:
            return StrategyChoice(
                "mirrored", f"{len(gpus)} GPUs: one replica per GPU on this machine", gpus
            )
        if gpus:
            return StrategyChoice("one_device", "one GPU: place variables and ops on it", gpus)
        return StrategyChoice("default", "no GPU or TPU: TensorFlow's default (CPU) placement")
    return _requested(key, devices, gpus, tasks)


def _requested(key: str, devices: Devices, gpus: tuple[str, ...], tasks: int) -> StrategyChoice:
    why = "requested with --strategy"
    if key == "tpu":
        if not devices.tpus:
            raise StrategyError(
                "strategy 'tpu' needs a TPU and none is configured (set TPU_NAME, or use auto)"
            )
        return StrategyChoice("tpu", why, (), devices.tpu_address)
    if key == "multi_worker_mirrored":
        note = f"; TF_CONFIG names {tasks} tasks" if tasks else "; no TF_CONFIG: a single worker"
        return StrategyChoice("multi_worker_mirrored", why + note)
    if key == "mirrored":
        return StrategyChoice("mirrored", why, gpus or ("/cpu:0",))
    if key == "one_device":
        return StrategyChoice("one_device", why, gpus[:1] or ("/cpu:0",))
    return StrategyChoice("default", why)


def make_strategy(choice: StrategyChoice) -> Any:
    """Build the `tf.distribute.Strategy` for `choice` (imports TensorFlow).

    For ``tpu`` this connects to the TPU cluster and initialises the TPU system.
    """
    import tensorflow as tf

    if choice.name == "one_device":
        return tf.distribute.OneDeviceStrategy(choice.devices[0] if choice.devices else "/cpu:0")
    if choice.name == "mirrored":
        return tf.distribute.MirroredStrategy(devices=list(choice.devices) or None)
    if choice.name == "multi_worker_mirrored":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if choice.name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=choice.tpu_address or "")
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    return tf.distribute.get_strategy()


def enable_mixed_precision(devices: Devices) -> str:
    """Set Keras' global ``mixed_float16`` policy where it pays off; return what was done.

    Float16 compute pays off on NVIDIA GPUs with compute capability 7.0 or more (tensor
    cores); TPUs get ``mixed_bfloat16``. Elsewhere nothing changes and the reason is
    returned. The policy is global: the caller restores the previous one
    (``keras.mixed_precision.global_policy()``) when it should no longer apply.

    Returns
    -------
    str
        One line: the policy set, or why none was.
    """
    if devices.tpus:
        import keras

        keras.mixed_precision.set_global_policy("mixed_bfloat16")
        return "mixed precision on: mixed_bfloat16 policy for the TPU"
    gpus = devices.gpus
    if not gpus:
        return "mixed precision not enabled: no GPU (it speeds up GPUs of compute capability 7.0+)"
    slow = [
        g
        for g in gpus
        if g.compute_capability is None or g.compute_capability < _MIXED_PRECISION_CC
    ]
    if slow:
        shown = ", ".join(
            f"{g.description or g.name} "
            + (
                "(compute capability unknown)"
                if g.compute_capability is None
                else f"(compute capability {g.compute_capability[0]}.{g.compute_capability[1]})"
            )
            for g in slow
        )
        return f"mixed precision not enabled: needs compute capability 7.0+, found {shown}"
    import keras

    keras.mixed_precision.set_global_policy("mixed_float16")
    caps = sorted(
        {
            f"{g.compute_capability[0]}.{g.compute_capability[1]}"
            for g in gpus
            if g.compute_capability
        }
    )
    return (
        f"mixed precision on: mixed_float16 on {len(gpus)} GPU(s), "
        f"compute capability {', '.join(caps)}"
    )
