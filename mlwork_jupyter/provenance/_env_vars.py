"""The allow-listed environment variables a snapshot reads, and only those."""

from __future__ import annotations

import os
from typing import Final

from mlwork_jupyter.provenance.secrets import mask_text

ENV_ALLOWLIST: Final = (
    "CUDA_DEVICE_ORDER",
    "CUDA_HOME",
    "CUDA_VISIBLE_DEVICES",
    "CUDNN_HOME",
    "KERAS_BACKEND",
    "KERAS_HOME",
    "LANG",
    "LC_ALL",
    "MKL_NUM_THREADS",
    "NVIDIA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "PYTHONHASHSEED",
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_CUDNN_DETERMINISTIC",
    "TF_DETERMINISTIC_OPS",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_FORCE_GPU_ALLOW_GROWTH",
    "TF_GPU_ALLOCATOR",
    "TF_NUM_INTEROP_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_USE_LEGACY_KERAS",
    "TF_XLA_FLAGS",
    "TZ",
    "XLA_FLAGS",
)
"""The only environment variables whose values a snapshot reads (then masks like any text)."""

_ENV_KEYS: Final = tuple(os.fsencode(name) for name in ENV_ALLOWLIST)


def env_vars_key() -> tuple[object, ...]:
    """Return the allow-listed variables' raw values, to notice a change."""
    raw = getattr(os.environ, "_data", None)
    if os.name == "posix" and isinstance(raw, dict):
        # os.environ.get costs ~2 us per missing name (it raises KeyError inside); its bytes
        # store answers in ~0.1 us. Only allow-listed names are looked up either way.
        return tuple(map(raw.get, _ENV_KEYS))
    return tuple(os.environ.get(name) for name in ENV_ALLOWLIST)


def env_vars() -> dict[str, str]:
    """Return the allow-listed variables that are set, their values masked like any text."""
    return {
        name: mask_text(value)
        for name in ENV_ALLOWLIST
        if (value := os.environ.get(name)) is not None
    }
