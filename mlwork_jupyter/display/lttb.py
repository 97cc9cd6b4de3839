"""Largest-Triangle-Three-Buckets downsampling of a line series, for display."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import ArrayLike, NDArray

__all__ = ["lttb", "lttb_indices"]


class _Buckets:
    """The interior buckets of a series as one padded matrix, for vectorised area sums."""

    def __init__(self, xs: NDArray[np.float64], ys: NDArray[np.float64], threshold: int) -> None:
        n = len(xs)
        self.xs = xs
        self.ys = ys
        # Bucket edges over the interior points 1 .. n-2, as in Steinarsson's reference.
        edges = (np.arange(threshold - 1) * ((n - 2) / (threshold - 2))).astype(np.intp) + 1
        edges[-1] = n - 1
        starts, ends = edges[:-1], edges[1:]
        sizes = ends - starts
        width = int(sizes.max())
        offsets = np.arange(width)
        self.idx = np.minimum(starts[:, None] + offsets[None, :], n - 1)
        real = offsets[None, :] < sizes[:, None]
        finite = np.isfinite(ys)
        # Non-finite points lose to any finite one; padding loses to everything.
        self.penalty = np.where(real, np.where(finite[self.idx], 0.0, -1.0), -2.0)
        self.bx = xs[self.idx]
        self.by = ys[self.idx]
        # The third vertex of bucket i's triangles: the average of bucket i + 1 (the last
        # bucket's neighbour is the final point).
        next_starts = np.append(ends[:-1], n - 1)
        next_ends = np.append(ends[1:], n)
        ys_clean = np.where(finite, ys, 0.0)
        cum_x = np.concatenate(([0.0], np.cumsum(xs)))
        cum_y = np.concatenate(([0.0], np.cumsum(ys_clean)))
        cum_f = np.concatenate(([0], np.cumsum(finite)))
        self.cx = (cum_x[next_ends] - cum_x[next_starts]) / (next_ends - next_starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.cy = (cum_y[next_ends] - cum_y[next_starts]) / (
                cum_f[next_ends] - cum_f[next_starts]
            )
        self.count = len(starts)

    def picks(self, anchors: NDArray[np.intp], rows: NDArray[np.intp]) -> NDArray[np.intp]:
        """Return the kept index of each bucket in `rows`, given the point kept before it."""
        ax = self.xs[anchors]
        ay = self.ys[anchors]
        cx = self.cx[rows]
        cy = self.cy[rows]
        ay = np.where(np.isfinite(ay), ay, cy)
        cy = np.where(np.isfinite(cy), cy, ay)
        ay = np.nan_to_num(ay, nan=0.0, posinf=0.0, neginf=0.0)
        cy = np.nan_to_num(cy, nan=0.0, posinf=0.0, neginf=0.0)
        penalty = self.penalty[rows]
        with np.errstate(invalid="ignore"):
            area = np.abs(
                (ax - cx)[:, None] * (self.by[rows] - ay[:, None])
                - (ax[:, None] - self.bx[rows]) * (cy - ay)[:, None]
            )
        area = np.where(penalty < 0, penalty, area)
        picked: NDArray[np.intp] = self.idx[rows, np.argmax(area, axis=1)]
        return picked


def lttb_indices(
    xs: NDArray[np.float64], ys: NDArray[np.float64], threshold: int
) -> NDArray[np.intp]:
    """Return the sorted indices of the points LTTB keeps.

    Each bucket's choice depends on the point kept in the bucket before it. Rather than a
    Python loop over buckets, the choices are iterated to a fixed point in vectorised rounds
    over the buckets whose anchor moved; the fixed point is exactly the sequential answer.

    Parameters
    ----------
    xs, ys
        Coordinates, `xs` ascending and finite. Non-finite `ys` are never chosen to represent
        a bucket that has a finite point; a bucket of only non-finite points keeps its first
        one, so a run of NaN stays visible as a gap.
    threshold
        Points to keep, at least 3; with `len(xs) <= threshold` every index is returned.

    Returns
    -------
    numpy.ndarray
        Indices into `xs`, first and last always included.
    """
    n = len(xs)
    if threshold < 3:  # noqa: PLR2004 - first, last and at least one bucket
        raise ValueError(f"lttb threshold must be at least 3, got {threshold}")
    if n <= threshold:
        return np.arange(n)
    buckets = _Buckets(xs, ys, threshold)
    # First guess: anchor each bucket on the middle of the bucket before it. Then recompute
    # only the buckets whose anchor moved, until none does; bucket k is final after round k,
    # so this ends, and in practice within a dozen cheap rounds.
    picks = np.empty(buckets.count, dtype=np.intp)
    guess = np.concatenate(([0], buckets.idx[:-1, buckets.idx.shape[1] // 2]))
    rows = np.arange(buckets.count)
    picks[:] = buckets.picks(guess, rows)
    dirty = rows[1:][picks[:-1] != guess[1:]]
    while len(dirty):
        anchors = picks[dirty - 1]
        new = buckets.picks(anchors, dirty)
        changed = dirty[new != picks[dirty]]
        picks[dirty] = new
        dirty = changed + 1
        dirty = dirty[dirty < buckets.count]
    return np.concatenate(([0], picks, [n - 1])).astype(np.intp)


def lttb(
    xs: ArrayLike | Sequence[float], ys: ArrayLike | Sequence[float], threshold: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Downsample the line `(xs, ys)` to at most `threshold` points, keeping its shape.

    Largest-Triangle-Three-Buckets (Steinarsson, 2013): first and last points are kept; each
    bucket in between keeps the point forming the largest triangle with the point kept before
    it and the average of the next bucket, so spikes survive where averaging would flatten
    them.

    Parameters
    ----------
    xs, ys
        Coordinates of equal length, `xs` ascending (steps, epochs, seconds).
    threshold
        Maximum number of points to return (at least 3).

    Returns
    -------
    tuple of numpy.ndarray
        The kept `xs` and `ys` as float64 arrays; the input values unchanged when
        `len(xs) <= threshold`.

    Examples
    --------
    >>> xs, ys = lttb(range(10_000), [i % 100 for i in range(10_000)], 500)
    >>> len(xs)
    500
    """
    x = np.asarray(xs, dtype=np.float64).ravel()
    y = np.asarray(ys, dtype=np.float64).ravel()
    if len(x) != len(y):
        raise ValueError(f"lttb needs xs and ys of equal length, got {len(x)} and {len(y)}")
    keep = lttb_indices(x, y, threshold)
    if len(keep) == len(x):
        return x, y
    return x[keep], y[keep]
