"""Recognise data values (frames, series, arrays, tensors) by type, without importing them."""

from __future__ import annotations

import sys
from typing import Any

from mlwork_jupyter.errors import error_line

_KIND_CACHE_MAX = 4096
_KIND_CACHE: dict[type, str | None] = {}


def _classify(cls: type) -> tuple[str | None, bool]:
    """Return the data kind of instances of ``cls`` and whether that answer may be cached."""
    cacheable = True
    candidates: list[tuple[str, str, tuple[str, ...]]] = [
        ("pandas", "frame", ("DataFrame",)),
        ("pandas", "series", ("Series",)),
        ("numpy", "array", ("ndarray",)),
        ("tensorflow", "tensor", ("Tensor", "Variable")),
        ("keras", "tensor", ("Variable",)),
        ("torch", "tensor", ("Tensor",)),
    ]
    for module_name, kind, names in candidates:
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for name in names:
            base = getattr(module, name, None)
            if not isinstance(base, type):
                # A module still being imported lacks its classes; ask again later.
                cacheable = False
            elif issubclass(cls, base):
                return kind, True
    return None, cacheable


def data_kind(value: object) -> str | None:
    """Say which kind of data ``value`` is, without importing anything.

    Parameters
    ----------
    value : object
        Any namespace value.

    Returns
    -------
    str or None
        ``"frame"``, ``"series"``, ``"array"`` or ``"tensor"``; None for anything else.
        Tensors are recognised only once TensorFlow, Keras or PyTorch has been imported.

    Examples
    --------
    >>> data_kind(3) is None
    True
    """
    cls = type(value)
    try:
        return _KIND_CACHE[cls]
    except KeyError:
        pass
    kind, cacheable = _classify(cls)
    if cacheable:
        if len(_KIND_CACHE) >= _KIND_CACHE_MAX:
            _KIND_CACHE.clear()
        _KIND_CACHE[cls] = kind
    return kind


def tensor_to_numpy(tensor: Any) -> Any:
    """Return a TensorFlow, Keras or PyTorch tensor's values as a NumPy array."""
    detach = getattr(tensor, "detach", None)  # torch
    try:
        if detach is not None:
            return detach().cpu().numpy()
        return tensor.numpy()
    except Exception as exc:
        raise TypeError(
            f"cannot read the values of {type(tensor).__name__} ({error_line(exc)}); "
            "fingerprint an eager tensor or its .numpy()"
        ) from exc
