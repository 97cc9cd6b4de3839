"""The two-sample Kolmogorov-Smirnov test, as ``scipy.stats.ks_2samp(method="auto")`` does it.

The statistic is the largest gap between the two empirical CDFs. The p-value is exact
while both samples have at most 10,000 values and asymptotic above, as scipy's ``auto``:

- equal sizes: the reflection sum for paths leaving the band (Hodges), in Horner form;
- unequal sizes: the lattice-path count of Hodges' "inside method" in Viehmann's (2021)
  recursion for ``1 - p``, which stays in [0, 1]. scipy walks the lattice column by column
  in compiled code; here it walks anti-diagonals, each one vectorized, so the cost is
  ``n1 + n2`` NumPy steps over the band rather than ``n1 n2`` Python steps. The arithmetic
  of every lattice cell is the same as scipy's;
- asymptotic: ``kstwo.sf(d, round(n1 n2 / (n1 + n2)))`` (`kolmogorov_sf`).

With the exact method, the statistic is rounded to the lattice (``round(d lcm) / lcm``),
as scipy reports it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from mlwork_jupyter.ml.monitoring._special import kolmogorov_sf
from mlwork_jupyter.ml.monitoring._stats import pooled

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from mlwork_jupyter.ml.monitoring._stats import Pooled

__all__ = ["EXACT_MAX_N", "ks_p_value", "ks_statistic", "ks_test"]

EXACT_MAX_N = 10_000
"""scipy's ``MAX_AUTO_N``: the exact p-value while both samples are at most this large."""


def ks_statistic(pool: Pooled) -> float:
    """Return the largest gap between the empirical CDFs of two pooled samples."""
    gap = pool.ref_cdf[pool.ends] - pool.cur_cdf[pool.ends]
    return float(max(float(gap.max()), float(np.clip(-gap.min(), 0.0, 1.0))))


def _outside_square(n: int, h: int) -> float:
    """Return ``P(D_{n,n} >= h/n)``: the reflection sum, evaluated Horner-wise (as scipy)."""
    total = 0.0
    k = n // h
    while k >= 0:
        term = 1.0
        for j in range(h):
            term = (n - k * h - j) * term / (n + k * h + j + 1)
        total = term * (1.0 - total)
        k -= 1
    return 2 * total


def _outside_band(n1: int, n2: int, g: int, h: int) -> float:
    """Return the share of lattice paths from (0, 0) to (m, n) that leave the open band.

    The band is ``|n i / g - m j / g| < h`` for cell ``(i, j)``. Each cell holds the share of
    the paths reaching it that have already left the band: 1 outside, and inside
    ``(i A(i-1, j) + j A(i, j-1)) / (i + j)`` (Viehmann's recursion for ``1 - p``).
    """
    m, n = max(n1, n2), min(n1, n2)
    mg, ng = m // g, n // g
    width = mg + ng
    previous = np.ones(m + 2)  # cell (i, s - 1 - i) at index i + 1; index 0 stands for i = -1
    current = np.ones(m + 2)
    previous[1] = 0.0  # (0, 0) is inside the band: no path has left yet
    stale = (1, 1)  # the index range written two diagonals back, to reset to 1
    last = (1, 2)  # where diagonal 0 was written
    index = np.arange(m + 1, dtype=np.float64)
    for s in range(1, m + n + 1):
        lo = max((mg * s - h) // width + 1, s - n, 0)
        hi = min(-(-(mg * s + h) // width) - 1, s, m)
        if hi < lo:  # no cell of this diagonal is inside: every path has left
            return 1.0
        current[stale[0] : stale[1]] = 1.0
        i = index[lo : hi + 1]
        current[lo + 1 : hi + 2] = (
            previous[lo : hi + 1] * i + previous[lo + 1 : hi + 2] * (s - i)
        ) / s
        stale, last = last, (lo + 1, hi + 2)
        previous, current = current, previous
    return float(previous[m + 1])


def _exact(n1: int, n2: int, d: float) -> tuple[float, float] | None:
    """Return the lattice-rounded statistic and its exact p-value, or None if out of range."""
    g = math.gcd(n1, n2)
    lcm = (n1 // g) * n2
    h = round(d * lcm)
    d = h / lcm
    if h == 0:
        return d, 1.0
    with np.errstate(invalid="raise", over="raise"):
        try:
            prob = _outside_square(n1, h) if n1 == n2 else _outside_band(n1, n2, g, h)
        except (FloatingPointError, OverflowError):
            return None
    return (d, prob) if 0.0 <= prob <= 1.0 else None


def ks_p_value(n1: int, n2: int, d: float) -> tuple[float, float]:
    """Return the statistic as reported and the two-sided p-value of a gap `d`.

    Examples
    --------
    >>> ks_p_value(5, 5, 0.6)
    (0.6, 0.35714285714285715)
    """
    if max(n1, n2) <= EXACT_MAX_N:
        exact = _exact(n1, n2, d)
        if exact is not None:
            return exact
    en = n1 * n2 / (n1 + n2)
    return d, min(max(kolmogorov_sf(round(en), d), 0.0), 1.0)


def ks_test(
    reference: NDArray[np.float64], current: NDArray[np.float64], pool: Pooled | None = None
) -> tuple[float, float]:
    """Return the KS statistic and p-value of two **sorted** samples (scipy's ``auto``)."""
    gap = ks_statistic(pooled(reference, current) if pool is None else pool)
    return ks_p_value(reference.size, current.size, gap)
