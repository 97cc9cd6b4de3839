"""A numerical reference known only by a quantile sketch, and the drift figures it allows.

A profile keeps a large continuous column as quantiles (``np.quantile``) plus its size,
extremes and standard deviation. The probabilities are ``linspace(0, 1, K)`` (``K = 201`` by
default) and, in each tail, halving steps below the first one (``1/400, 1/800, ...`` down to
about one value), so that the sparse tails, where PSI's outer bins live, are drawn as finely
as the middle is. The sketch's CDF is the straight line through the knots, each knot ``x_r``
(order statistic ``r``, fractional between two) at ``(r + 1) / n``, so it equals the
empirical CDF at every knot of untied data; 0 below the minimum and 1 from the maximum on.
Repeated knots (ties) keep their highest level. Between knots the true CDF may differ by at
most the knot spacing, ``1 / (K - 1)`` (0.005 for 201 knots). From that CDF:

- KS: the largest gap to the current empirical CDF (found at the knots and current values,
  both one-sided limits); within 0.005 of the exact statistic. Its p-value is computed as
  for raw samples, with the profile's ``n``;
- Wasserstein: the area between the line-wise reference CDF and the current step CDF, exact
  per piece; the error is at most 0.005 times the spread of the data, typically far less;
- binned shares (PSI, Jensen-Shannon): the CDF's rise over each bin. The bins themselves are
  exact (Sturges over the combined data needs only its extremes and size).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["SKETCH_POINTS", "Sketch", "probabilities", "sketch_of"]

SKETCH_POINTS = 201


@dataclass(frozen=True, slots=True)
class Sketch:
    """A numerical reference column as a quantile sketch (see the module docstring).

    Attributes
    ----------
    probabilities
        The probabilities of the knots, ascending from 0 to 1.
    quantiles
        The quantiles at those probabilities.
    n
        Values summarised (finite ones).
    std
        Their standard deviation (``ddof=0``).
    unique
        Their number of distinct values.
    integer
        The column had an integer dtype.
    rows, missing, nonfinite, dtype
        As for `Numeric`.
    """

    probabilities: NDArray[np.float64]
    quantiles: NDArray[np.float64]
    n: int
    std: float
    unique: int
    integer: bool
    rows: int
    missing: int
    nonfinite: int
    dtype: str

    @property
    def lo(self) -> float:
        """Return the smallest value."""
        return float(self.quantiles[0])

    @property
    def hi(self) -> float:
        """Return the largest value."""
        return float(self.quantiles[-1])

    def _knots(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        levels = (self.probabilities * (self.n - 1) + 1.0) / self.n
        # ties: keep each distinct knot once, at its highest level (right-continuous)
        last = np.append(self.quantiles[1:] != self.quantiles[:-1], True)
        return self.quantiles[last], levels[last]

    def cdf(self, x: NDArray[np.float64], *, left: bool = False) -> NDArray[np.float64]:
        """Return the approximate CDF at `x` (its left limit with ``left=True``)."""
        knots, levels = self._knots()
        values = np.interp(x, knots, levels, left=0.0, right=1.0)
        if left:
            values = np.where(x <= knots[0], 0.0, values)
        return np.asarray(values)

    def ks_gap(self, current: NDArray[np.float64]) -> float:
        """Return the largest gap between this CDF and a **sorted** current sample's."""
        grid = np.union1d(self.quantiles, current)
        cur_right = np.searchsorted(current, grid, side="right") / current.size
        cur_left = np.searchsorted(current, grid, side="left") / current.size
        right = np.abs(self.cdf(grid) - cur_right)
        left = np.abs(self.cdf(grid, left=True) - cur_left)
        return float(max(right.max(), left.max()))

    def wasserstein(self, current: NDArray[np.float64]) -> float:
        """Return the area between this CDF and a **sorted** current sample's CDF."""
        grid = np.union1d(self.quantiles, current)
        widths = np.diff(grid)
        step = np.searchsorted(current, grid[:-1], side="right") / current.size
        a = self.cdf(grid[:-1]) - step
        b = self.cdf(grid[1:], left=True) - step
        same_sign = a * b >= 0
        total = np.abs(a) + np.abs(b)
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = np.where(total > 0, (a * a + b * b) / (2 * total), 0.0)
        area = np.where(same_sign, total / 2, crossing) * widths
        return float(area.sum())

    def shares(self, edges: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the reference share in each bin ``[e_k, e_k+1)`` (the last one closed)."""
        inner = self.cdf(edges[1:-1], left=True)
        bounds = np.concatenate(([0.0], inner, [1.0]))
        return np.asarray(np.maximum(np.diff(bounds), 0.0))


def probabilities(points: int, n: int) -> NDArray[np.float64]:
    """Return the knot probabilities: `points` evenly spaced, plus halving steps in each tail.

    Examples
    --------
    >>> probabilities(5, 40).tolist()
    [0.0, 0.03125, 0.0625, 0.125, 0.25, 0.5, 0.75, 0.875, 0.9375, 0.96875, 1.0]
    """
    even = np.linspace(0.0, 1.0, points)
    tail = []
    step = 1.0 / (points - 1) / 2
    while step * n >= 1.0:
        tail.append(step)
        step /= 2
    low = np.asarray(tail, dtype=np.float64)
    return np.unique(np.concatenate([even, low, 1.0 - low]))


def sketch_of(
    values: NDArray[np.float64],
    *,
    points: int = SKETCH_POINTS,
    integer: bool = False,
    rows: int | None = None,
    missing: int = 0,
    nonfinite: int = 0,
    dtype: str = "float64",
) -> Sketch:
    """Return the sketch of a **sorted** non-empty sample."""
    unique = int(np.count_nonzero(values[1:] != values[:-1]) + 1)
    probs = probabilities(points, values.size)
    return Sketch(
        probabilities=probs,
        quantiles=np.quantile(values, probs),
        n=int(values.size),
        std=float(np.std(values)),
        unique=unique,
        integer=integer,
        rows=int(values.size) if rows is None else rows,
        missing=missing,
        nonfinite=nonfinite,
        dtype=dtype,
    )
