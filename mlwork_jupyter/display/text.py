"""Short text for values every view shows: durations and numbers, as the renderer writes them."""

from __future__ import annotations

import math

__all__ = ["NO_VALUE", "duration_text", "message_line", "number_text"]

NO_VALUE = "\N{EN DASH}"

_MINUTE = 60
_HOUR = 3600
_FINER_BELOW = 10


def duration_text(seconds: float) -> str:
    """Return a duration as people read it (the renderer's ``formatDuration`` in TypeScript).

    Examples
    --------
    >>> [duration_text(s) for s in (0.34, 1.234, 12.34, 125, 3720)]
    ['340 ms', '1.23 s', '12.3 s', '2 min 05 s', '1 h 02 min']
    """
    if seconds < 0:
        return f"{seconds} s"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < _MINUTE:
        return f"{seconds:.{2 if seconds < _FINER_BELOW else 1}f} s"
    total = round(seconds)
    if total < _HOUR:
        return f"{total // _MINUTE} min {total % _MINUTE:02d} s"
    return f"{total // _HOUR} h {total % _HOUR // _MINUTE:02d} min"


def number_text(value: float | None) -> str:
    """Return a metric value in four significant digits, scientific when very large or small.

    Examples
    --------
    >>> [number_text(v) for v in (None, 0.0, 0.98765, 123456.0, 0.0001)]
    ['\u2013', '0', '0.9877', '1.235e+05', '1.000e-04']
    """
    if value is None:
        return NO_VALUE
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):  # noqa: PLR2004
        return f"{value:.3e}"
    return f"{value:.4g}"


def message_line(message: str | None) -> str | None:
    r"""Return the line that says why something failed: a traceback's last line, else the first.

    Examples
    --------
    >>> message_line("Traceback (most recent call last):\n  ...\nValueError: bad")
    'ValueError: bad'
    """
    if not message:
        return None
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    if not lines:
        return None
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]
