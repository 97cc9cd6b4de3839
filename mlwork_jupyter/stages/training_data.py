"""Which trained models this kernel holds, and the row hashes of the data they were fit on.

The leakage check of `mlwork.evaluate` needs the rows a model was trained on. A `train` (or
`tune`) run that ends ok notes every model it bound (by object identity, held weakly) and the
row hashes (xxh3-64 per row, never the values) of the tables it read: its two-dimensional data
inputs, `X_train` and the like. An evaluate cell that reads such a model compares the rows it
scores with those hashes. The hashes also go to the store (`row_hashes` table), so the figures
can be checked later from the command line.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np
    from numpy.typing import NDArray

__all__ = ["TrainingData", "TrainingRows", "is_model", "is_table"]


def is_model(value: object) -> bool:
    """Tell whether a value looks like a trained model (Keras or a scikit-learn estimator)."""
    if isinstance(value, type):
        return False
    return callable(getattr(value, "fit", None)) and callable(getattr(value, "predict", None))


def is_table(value: object) -> bool:
    """Tell whether a value is two-dimensional data whose rows can be hashed."""
    shape = getattr(value, "shape", None)
    return isinstance(shape, tuple) and len(shape) == 2  # noqa: PLR2004 - rows x columns


@dataclass(slots=True)
class TrainingRows:
    """A train run and the row hashes of each table it read."""

    run_id: str
    run_name: str
    hashes: dict[str, NDArray[np.uint64]] = field(default_factory=dict)
    # Evaluate runs that scored a model trained here, oldest first (for the model card).
    evaluations: list[str] = field(default_factory=list)


class TrainingData:
    """A kernel's trained models (weakly, by identity) and their training rows."""

    def __init__(self) -> None:
        self._by_model: dict[int, tuple[weakref.ref[Any] | None, TrainingRows]] = {}

    def note(self, rows: TrainingRows, models: Iterable[object]) -> None:
        """Remember that `models` were trained on `rows`."""
        for model in models:
            try:
                ref: weakref.ref[Any] | None = weakref.ref(model)
            except TypeError:
                ref = None  # no weak references: identity is checked while it lives
            self._by_model[id(model)] = (ref, rows)

    def for_values(self, values: Iterable[object]) -> TrainingRows | None:
        """Return the training rows of the first value that is a model noted here."""
        for value in values:
            entry = self._by_model.get(id(value))
            if entry is None:
                continue
            ref, rows = entry
            if ref is None or ref() is value:
                return rows
        return None
