"""Metrics per slice: the same scores on the rows of each value of a grouping key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

__all__ = ["MAX_SLICES", "slice_table"]

MAX_SLICES = 200
"""Most slices scored; with more distinct keys, the largest ones (a note says so)."""


def slice_table(
    keys: NDArray[Any],
    name: str | None,
    score: Callable[[NDArray[np.intp]], dict[str, float]],
    notes: list[str],
) -> pd.DataFrame:
    """Return one row per key value (missing values form one slice): ``n`` and its metrics.

    Rows follow the sorted key values; `score` gets each slice's row positions.
    """
    try:
        codes, uniques = pd.factorize(keys, sort=True, use_na_sentinel=False)
    except TypeError:  # keys of mixed types do not sort: first-seen order
        codes, uniques = pd.factorize(keys, use_na_sentinel=False)
    sizes = np.bincount(codes, minlength=len(uniques))
    chosen = np.arange(len(uniques))
    if len(uniques) > MAX_SLICES:
        chosen = np.sort(np.argsort(-sizes, kind="stable")[:MAX_SLICES])
        notes.append(
            f"slices: the {MAX_SLICES} largest of {len(uniques):,} values of "
            f"{name or 'the slice key'} are scored"
        )
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    records = []
    for code in chosen:
        rows = order[bounds[code] : bounds[code + 1]]
        records.append({"n": int(sizes[code]), **score(rows.astype(np.intp))})
    index = pd.Index(np.asarray(uniques, dtype=object)[chosen].tolist(), name=name or "slice")
    return pd.DataFrame.from_records(records, index=index)
