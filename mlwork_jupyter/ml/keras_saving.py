"""Saving trained Keras models as `.keras` artifacts, without Keras' repeated set-up cost.

Keras 3's `saving_lib.get_attr_skipset` builds, on every save, a set of attribute names per
object type by instantiating reference objects (a Layer, an Optimizer, Metrics...): it caches
the set under ``saving_attr_skipset_<type>`` but looks it up under ``saving_attr_skiplist_<type>``
(keras 3.12), so the cache never hits. The set depends only on the type, so after a save we store
it under the name Keras reads too. Where Keras reads the name it writes, this does nothing.
Measured: a digits-MLP save from ~25 ms to ~18 ms here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["save_model", "warm_skipset_cache"]

_TYPES = (
    "Operation",
    "Layer",
    "Functional",
    "Sequential",
    "Metric",
    "Optimizer",
    "Loss",
    "Cross",
    "Feature",
)


def warm_skipset_cache() -> int:
    """Make Keras' per-type skipsets findable under the key it reads; return how many."""
    try:
        from keras.src.backend.common import global_state
    except ImportError:  # another Keras layout: nothing to do
        return 0
    copied = 0
    for kind in _TYPES:
        made = global_state.get_global_attribute(f"saving_attr_skipset_{kind}", None)
        read = f"saving_attr_skiplist_{kind}"
        if made is not None and global_state.get_global_attribute(read, None) is None:
            global_state.set_global_attribute(read, made)
            copied += 1
    return copied


def save_model(model: Any, path: str) -> None:
    """`model.save(path)`, then keep what Keras computed for the next save."""
    model.save(path)
    warm_skipset_cache()
