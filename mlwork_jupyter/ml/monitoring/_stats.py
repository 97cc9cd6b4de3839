"""The drift statistics on samples and counts, each as Evidently computes it (NumPy only).

- normed Wasserstein: ``scipy.stats.wasserstein_distance`` (the area between the two
  empirical CDFs) divided by the reference's standard deviation (``ddof=0``, at least 0.001);
- Jensen-Shannon: ``scipy.spatial.distance.jensenshannon`` (natural logarithm) of the two
  binned shares (`binned_shares`), empty bins kept at zero;
- chi-squared: Pearson's statistic of the current counts against the reference counts
  scaled to the current size (``scipy.stats.chisquare``), ``k - 1`` degrees of freedom;
  a category absent from the reference gives an infinite statistic, p = 0;
- Z: the two-proportion Z-test of "the first category (in sorted order)" against the rest,
  pooled variance; p = 1 when both sides hold the one same value;
- PSI: ``sum((r - c) ln(r / c))`` over the binned shares, zero shares first floored: to a
  millionth of the smallest non-zero share when that is at most 1e-4, else to 1e-4
  (Evidently's rule, so its ``psi`` figures match).

Binning (`binned_shares`, shared by PSI and Jensen-Shannon): a numerical column whose
reference holds more than 20 distinct values gets NumPy's Sturges bins over the reference
and current values together (``histogram_bin_edges(..., "sturges")``), anything else one bin
per distinct value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlwork_jupyter.ml.monitoring._special import chi2_sf, normal_sf

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = [
    "BIN_PER_VALUE_MAX",
    "STD_FLOOR",
    "Pooled",
    "chisquare_test",
    "distinct",
    "histogram",
    "jensen_shannon",
    "pooled",
    "psi",
    "sturges_edges",
    "value_counts",
    "wasserstein",
    "z_test",
]

BIN_PER_VALUE_MAX = 20
"""A numerical reference with at most this many distinct values gets one bin per value."""
STD_FLOOR = 0.001
"""The least standard deviation the Wasserstein distance is normed by (Evidently's)."""
_PSI_FLOOR = 1e-4


@dataclass(frozen=True, slots=True)
class Pooled:
    """Two sorted samples pooled in one sorted grid, with both empirical CDFs along it.

    ``ref_cdf[k]`` and ``cur_cdf[k]`` are the shares of each sample at most ``grid[k]`` where
    ``ends[k]`` (the last of a run of equal values); inside a run they count only up to
    ``k``, which no figure reads (the run's width is 0).
    """

    grid: NDArray[np.float64]
    ref_cdf: NDArray[np.float64]
    cur_cdf: NDArray[np.float64]
    ends: NDArray[np.bool_]

    @property
    def distinct(self) -> NDArray[np.float64]:
        """Return the distinct values of both samples, ascending."""
        return self.grid[self.ends]


def pooled(reference: NDArray[np.float64], current: NDArray[np.float64]) -> Pooled:
    """Return two **sorted** samples pooled (a stable sort merges the two runs in linear time).

    The CDFs come from running counts along the merge, which equal scipy's
    ``searchsorted(sample, grid, "right")`` at every end of a run, at a fraction of its cost.
    """
    both = np.concatenate([reference, current])
    order = np.argsort(both, kind="stable")
    grid = both[order]
    from_ref = order < reference.size
    ends = np.empty(grid.size, dtype=bool)
    ends[-1] = True
    np.not_equal(grid[1:], grid[:-1], out=ends[:-1])
    return Pooled(
        grid=grid,
        ref_cdf=np.cumsum(from_ref) / reference.size,
        cur_cdf=np.cumsum(~from_ref) / current.size,
        ends=ends,
    )


def distinct(sorted_values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the distinct values of a sorted array."""
    if sorted_values.size == 0:
        return sorted_values
    keep = np.empty(sorted_values.size, dtype=bool)
    keep[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=keep[1:])
    return sorted_values[keep]


def value_counts(
    sorted_values: NDArray[np.float64], keys: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Return how often each of the sorted `keys` occurs in a sorted sample."""
    right = np.searchsorted(sorted_values, keys, side="right")
    left = np.searchsorted(sorted_values, keys, side="left")
    return np.asarray(right - left, dtype=np.int64)


def wasserstein(pool: Pooled) -> float:
    """Return the first Wasserstein distance of two pooled samples (not normed)."""
    gaps = np.abs(pool.ref_cdf[:-1] - pool.cur_cdf[:-1])
    return float(np.sum(gaps * np.diff(pool.grid)))


def sturges_edges(lo: float, hi: float, size: int, *, integer: bool) -> NDArray[np.float64]:
    """Return NumPy's Sturges bin edges for `size` values spanning ``[lo, hi]``.

    Equal to ``np.histogram_bin_edges(values, bins="sturges")`` without the values.
    """
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
        return np.linspace(lo, hi, 2)
    width = (hi - lo) / (float(np.log2(size)) + 1.0)
    if integer and width < 1:
        width = 1.0
    bins = int(np.ceil((hi - lo) / width)) if width else 1
    return np.linspace(lo, hi, bins + 1)


def histogram(sorted_values: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.int64]:
    """Return ``np.histogram(values, edges)[0]`` for a sorted sample inside the edges."""
    inner = np.searchsorted(sorted_values, edges[1:-1], side="left")
    bounds = np.concatenate(([0], inner, [sorted_values.size]))
    return np.asarray(np.diff(bounds), dtype=np.int64)


def _floored(shares: NDArray[np.float64]) -> NDArray[np.float64]:
    nonzero = shares[shares != 0]
    if nonzero.size == 0:
        return shares
    smallest = float(nonzero.min())
    floor = smallest / 10**6 if smallest <= _PSI_FLOOR else _PSI_FLOOR
    return np.where(shares == 0, floor, shares)


def psi(reference: NDArray[np.float64], current: NDArray[np.float64]) -> float:
    """Return the population stability index of two binned share vectors (zero shares floored).

    Examples
    --------
    >>> round(psi(np.array([0.5, 0.5]), np.array([0.9, 0.1])), 4)
    0.8789
    """
    ref, cur = _floored(reference), _floored(current)
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def _rel_entr(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.zeros_like(p)
    positive = p > 0
    out[positive] = p[positive] * np.log(p[positive] / q[positive])
    return out


def jensen_shannon(reference: NDArray[np.float64], current: NDArray[np.float64]) -> float:
    """Return the Jensen-Shannon distance (natural log) of two share or count vectors.

    Examples
    --------
    >>> round(jensen_shannon(np.array([1.0, 0.0]), np.array([0.0, 1.0])) ** 2, 4)
    0.6931
    """
    p = reference / reference.sum()
    q = current / current.sum()
    m = (p + q) / 2.0
    divergence = float(np.sum(_rel_entr(p, m)) + np.sum(_rel_entr(q, m)))
    return math.sqrt(max(divergence, 0.0) / 2.0)


def chisquare_test(reference: NDArray[np.int64], current: NDArray[np.int64]) -> tuple[float, float]:
    """Return Pearson's chi-squared statistic and p-value of current against reference counts.

    With one category there is nothing to compare: statistic 0, p-value 1 (scipy: NaN).
    """
    if reference.size < 2:  # noqa: PLR2004
        return 0.0, 1.0
    expected = reference * (current.sum() / reference.sum())
    observed = current.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (observed - expected) ** 2 / expected
    terms[(expected == 0) & (observed == 0)] = 0.0
    statistic = float(terms.sum())
    return statistic, chi2_sf(statistic, reference.size - 1)


def z_test(reference: NDArray[np.int64], current: NDArray[np.int64]) -> tuple[float, float]:
    """Return the two-proportion Z statistic and two-sided p-value (first category vs rest).

    The counts are in the sorted order of the categories, so the first one is Evidently's
    ``sorted(keys)[0]``.
    """
    n1, n2 = int(reference.sum()), int(current.sum())
    if np.count_nonzero(reference) == 1 and np.array_equal(
        np.flatnonzero(reference), np.flatnonzero(current)
    ):
        return 0.0, 1.0  # both sides hold the one same value
    p1 = (n1 - int(reference[0])) / n1
    p2 = (n2 - int(current[0])) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2))
    if spread == 0:
        return 0.0, 1.0
    z = (p1 - p2) / spread
    return z, min(1.0, 2 * normal_sf(abs(z)))
