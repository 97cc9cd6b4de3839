"""How close a rerun's metric must come to the recorded value: global and per-metric rules."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Final

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_RTOL",
    "TIMING_PATTERNS",
    "MetricCheck",
    "Tolerance",
    "parse_tol",
]

DEFAULT_RTOL: Final = 1e-5
DEFAULT_ATOL: Final = 1e-8
TIMING_PATTERNS: Final = ("*seconds", "*_time", "*duration*", "*latency*")
"""Metrics that measure time differ on every run: not compared unless a ``--tol`` names them."""


@dataclass(frozen=True, slots=True)
class MetricCheck:
    """The comparison of one metric.

    Attributes
    ----------
    result : str
        ``equal``, ``within`` (differs within tolerance), ``differs`` or ``ignored``.
    allowed : float
        The largest difference accepted (``inf`` when ignored).
    """

    result: str
    allowed: float


def parse_tol(text: str) -> tuple[str, float, float]:
    """Parse ``NAME=ABS`` or ``NAME=REL%`` (NAME may be a glob) into ``(pattern, rtol, atol)``.

    Raises
    ------
    ValueError
        Not of that form.

    Examples
    --------
    >>> parse_tol("accuracy=0.01"), parse_tol("*loss=1%"), parse_tol("fit_seconds=inf")
    (('accuracy', 0.0, 0.01), ('*loss', 0.01, 0.0), ('fit_seconds', 0.0, inf))
    """
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise ValueError(f"expected NAME=TOLERANCE (e.g. accuracy=0.01 or loss=1%), got {text!r}")
    value = value.strip()
    relative = value.endswith("%")
    try:
        number = float(value.removesuffix("%"))
    except ValueError:
        raise ValueError(f"tolerance of {name!r} is not a number: {value!r}") from None
    if number < 0 or math.isnan(number):
        raise ValueError(f"tolerance of {name!r} must be >= 0, got {value!r}")
    if relative:
        return name.strip(), number / 100, 0.0
    return name.strip(), 0.0, number


@dataclass(frozen=True, slots=True)
class Tolerance:
    """Tolerances: ``|new - recorded| <= atol + rtol * |recorded|`` (as `math.isclose`, one-sided).

    Parameters
    ----------
    rtol, atol
        For every metric no rule names.
    rules
        ``(pattern, rtol, atol)`` from `parse_tol`; the last rule whose glob matches wins, and
        replaces both global tolerances for that metric. Timing metrics (`TIMING_PATTERNS`) are
        ignored unless a rule names them.
    """

    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    rules: tuple[tuple[str, float, float], ...] = ()

    def for_metric(self, name: str) -> tuple[float, float]:
        """Return ``(rtol, atol)`` for a metric; ``atol`` is ``inf`` when it is not compared."""
        for pattern, rtol, atol in reversed(self.rules):
            if fnmatchcase(name, pattern):
                return rtol, atol
        if any(fnmatchcase(name, p) for p in TIMING_PATTERNS):
            return 0.0, math.inf
        return self.rtol, self.atol

    def check(self, name: str, recorded: float, new: float) -> MetricCheck:
        """Compare one metric's recorded and new values.

        Examples
        --------
        >>> Tolerance(rules=(("accuracy", 0.0, 0.01),)).check("accuracy", 0.96, 0.955)
        MetricCheck(result='within', allowed=0.01)
        """
        rtol, atol = self.for_metric(name)
        if math.isinf(atol):
            return MetricCheck("ignored", math.inf)
        allowed = atol + rtol * abs(recorded) if math.isfinite(recorded) else 0.0
        same = recorded == new or (math.isnan(recorded) and math.isnan(new))
        if same:
            return MetricCheck("equal", allowed)
        if abs(new - recorded) <= allowed:
            return MetricCheck("within", allowed)
        return MetricCheck("differs", allowed)

    def as_dict(self) -> dict[str, object]:
        """Return the JSON form recorded with a rerun."""
        return {
            "rtol": self.rtol,
            "atol": self.atol,
            "rules": [{"metric": p, "rtol": r, "atol": a} for p, r, a in self.rules],
            "ignored_by_default": list(TIMING_PATTERNS),
        }
