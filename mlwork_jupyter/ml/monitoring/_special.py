"""Survival functions the drift tests need (chi-squared, normal, Kolmogorov), NumPy only.

They reproduce what ``scipy.stats`` returns, so p-values match Evidently's (which calls
scipy) without making scipy a dependency:

- `chi2_sf` is the regularized upper incomplete gamma function ``Q(k/2, x/2)``, by its power
  series below ``x/2 < k/2 + 1`` and by Lentz's continued fraction above (Numerical Recipes
  §6.2), relative error about 1e-14;
- `normal_sf` is ``erfc(z / sqrt 2) / 2``;
- `kolmogorov_sf` is ``scipy.stats.kstwo.sf(x, n)``, the exact distribution of the two-sided
  one-sample statistic ``D_n``, chosen region by region as Simard and L'Ecuyer (2011) and
  scipy do: Ruben-Gambino closed forms at the ends, twice the one-sided Smirnov tail
  (Birnbaum-Tingey sum) for large ``n x^2``, the Durbin matrix (Marsaglia-Tsang-Wang) for
  small ``x`` and Pelz-Good's series otherwise. Where scipy uses Pomeranz's recursion
  (``n <= 140``, ``0.754693 < n x^2 <= 4``) this uses the Durbin matrix, also exact.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["chi2_sf", "kolmogorov_sf", "normal_sf", "smirnov_sf"]

_EPS = 1e-16
_TINY = 1e-300
_MAX_TERMS = 100_000
_SCALE_EXP = 128
_SCALE = 2.0**_SCALE_EXP
_PI2 = math.pi**2
_PI4 = math.pi**4
_PI6 = math.pi**6
_SQRT2PI = math.sqrt(2 * math.pi)
_SQRT3 = math.sqrt(3.0)
_MIN_LOG = -708.0
_SMALL_N = 140
_LARGE_N = 100_000


def _clip(p: float) -> float:
    return min(max(p, 0.0), 1.0)


def chi2_sf(x: float, df: float) -> float:
    """Return ``P(X >= x)`` for a chi-squared variable with `df` degrees of freedom.

    Examples
    --------
    >>> round(chi2_sf(3.841458820694124, 1), 6)
    0.05
    """
    if math.isnan(x) or df <= 0:
        return math.nan
    if x <= 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    a, z = df / 2.0, x / 2.0
    log_prefix = -z + a * math.log(z) - math.lgamma(a)
    if z < a + 1.0:  # series for the lower function P
        term = total = 1.0 / a
        ap = a
        for _ in range(_MAX_TERMS):
            ap += 1.0
            term *= z / ap
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        return _clip(1.0 - total * math.exp(log_prefix))
    b = z + 1.0 - a  # continued fraction for the upper function Q (modified Lentz)
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return _clip(math.exp(log_prefix) * h)


def normal_sf(z: float) -> float:
    """Return ``P(Z >= z)`` for a standard normal variable.

    Examples
    --------
    >>> round(2 * normal_sf(1.959963984540054), 6)
    0.05
    """
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _log_binomials(n: int, count: int) -> np.ndarray:
    """Return ``log C(n, j)`` for ``j = 0 .. count - 1`` (running sums of ``log((n-i+1)/i)``)."""
    i = np.arange(1, count, dtype=np.float64)
    return np.concatenate(([0.0], np.cumsum(np.log((n - i + 1.0) / i))))


def smirnov_sf(n: int, x: float) -> float:
    """Return ``P(D_n+ >= x)``, the one-sided statistic's exact tail (Birnbaum-Tingey).

    The sum's terms are all positive, so it is summed in log space without cancellation.

    Examples
    --------
    >>> round(smirnov_sf(1, 0.25), 6)
    0.75
    """
    if x <= 0:
        return 1.0
    if x >= 1:
        return 0.0
    js = np.arange(0, math.floor(n * (1.0 - x)) + 1, dtype=np.float64)
    low = 1.0 - x - js / n
    keep = low > 0
    binomials = _log_binomials(n, js.size)[keep]
    js, low = js[keep], low[keep]
    logs = binomials + (n - js) * np.log(low) + (js - 1) * np.log(x + js / n)
    top = float(logs.max())
    return _clip(x * math.exp(top) * float(np.exp(logs - top).sum()))


def _durbin_cdf(n: int, d: float) -> float:
    """Return ``P(D_n <= d)`` by the Durbin matrix, as Marsaglia, Tsang and Wang compute it."""
    k = math.ceil(n * d)
    h = k - n * d
    m = 2 * k - 1
    powers = np.arange(1, m + 1, dtype=np.float64)
    inverse = np.cumprod(1.0 / powers)  # 1/j!, underflowing gradually as scipy's does
    v = (1.0 - h**powers) * inverse
    v[-1] = (1.0 + max(2 * h - 1.0, 0.0) ** m - 2 * h**m) * inverse[-1]
    w = np.concatenate(([1.0], inverse[:-1]))
    matrix = np.zeros((m, m))
    for i in range(1, m):
        matrix[i - 1 :, i] = w[: m - i + 1]
    matrix[:, 0] = v
    matrix[-1, :] = v[::-1]
    result = np.eye(m)
    exponent = 0
    matrix_exponent = 0
    power = n
    while power > 0:
        if power % 2:
            result = result @ matrix
            exponent += matrix_exponent
        matrix = matrix @ matrix
        matrix_exponent *= 2
        if abs(matrix[k - 1, k - 1]) > _SCALE:
            matrix /= _SCALE
            matrix_exponent += _SCALE_EXP
        power //= 2
    value = float(result[k - 1, k - 1])
    if value <= 0:
        return 0.0
    # times n! / n^n, in log space (Stirling-free: lgamma is exact to rounding)
    log_p = math.log(value) + exponent * math.log(2.0) + math.lgamma(n + 1.0) - n * math.log(n)
    return _clip(math.exp(log_p))


def _pelz_good_cdf(n: int, x: float) -> float:
    """Return Pelz and Good's approximation of ``P(D_n <= x)``."""
    z = math.sqrt(n) * x
    z2, z3, z4, z6 = z**2, z**3, z**4, z**6
    q_log = -_PI2 / 8 / z2
    if q_log < _MIN_LOG:
        return 0.0
    q = math.exp(q_log)
    k1a, k1b = -z2, _PI2 / 4
    k2a, k2b, k2c = 6 * z6 + 2 * z4, (2 * z4 - 5 * z2) * _PI2 / 4, _PI4 * (1 - 2 * z2) / 16
    k3d = _PI6 * (5 - 30 * z2) / 64
    k3c = _PI4 * (-60 * z2 + 212 * z4) / 16
    k3b = _PI2 * (135 * z4 - 96 * z6) / 4
    k3a = -30 * z6 - 90 * z**8
    sums = np.zeros(4)
    max_k = math.ceil(16 * z / math.pi)
    for k in range(max_k, 0, -1):
        m = 2 * k - 1
        m2, m4, m6 = m**2, m**4, m**6
        coeffs = np.array(
            [1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6]
        )
        sums = sums * q ** (8 * k) + coeffs
    sums *= q * _SQRT2PI
    sums /= np.array([z, 6 * z4, 72 * z**7, 6480 * z**10])
    q = math.exp(-_PI2 / 2 / z2)
    ks = np.arange(max_k, 0, -1, dtype=np.float64)
    ks2 = ks**2
    q_powers = q**ks2
    sums[2] += float(np.sum(ks2 * q_powers)) * _PI2 * _SQRT2PI / (-36 * z3)
    kpi = math.pi * ks
    sqrt3z = _SQRT3 * z
    k3 = float(np.sum((sqrt3z + kpi) * (sqrt3z - kpi) * ks2 * q_powers))
    sums[3] += k3 * _PI2 * _SQRT2PI / (216 * z6)
    sums /= np.power(float(n), np.arange(4) / 2.0)
    return float(sums.sum())


def _closed_form(n: int, x: float) -> float | None:
    """Return ``P(D_n >= x)`` where a closed form holds (both ends, ``x >= 0.5``), else None."""
    t = n * x
    if x >= 1.0:
        return 0.0
    if t <= 0.5:  # noqa: PLR2004 - Ruben-Gambino: the lower end
        return 1.0
    if t <= 1.0:
        log_cdf = math.lgamma(n + 1.0) - n * math.log(n) + n * math.log(2 * t - 1)
        return _clip(1.0 - math.exp(log_cdf))
    if t >= n - 1:  # Ruben-Gambino: the upper end
        return _clip(2 * (1.0 - x) ** n)
    if x >= 0.5:  # noqa: PLR2004 - exactly twice the one-sided tail
        return _clip(2 * smirnov_sf(n, x))
    return None


def kolmogorov_sf(n: int, x: float) -> float:
    """Return ``P(D_n >= x)`` for the two-sided one-sample statistic (scipy's ``kstwo.sf``).

    Examples
    --------
    >>> round(kolmogorov_sf(10, 0.5), 6)
    0.007777
    """
    closed = _closed_form(n, x)
    if closed is not None:
        return closed
    nx2 = n * x * x
    if n <= _SMALL_N:  # scipy: Durbin below n x^2 = 0.754693, Pomeranz up to 4
        tail = 1.0 - _durbin_cdf(n, x) if nx2 <= 4 else 2 * smirnov_sf(n, x)  # noqa: PLR2004
    elif nx2 >= 370:  # noqa: PLR2004
        tail = 0.0
    elif nx2 >= 2.2:  # noqa: PLR2004
        tail = 2 * smirnov_sf(n, x)
    elif n <= _LARGE_N and n * x**1.5 <= 1.4:  # noqa: PLR2004
        tail = 1.0 - _durbin_cdf(n, x)
    else:
        tail = 1.0 - _pelz_good_cdf(n, x)
    return _clip(tail)
