"""How `runs`, `show` and `diff` write a value in a cell: numbers, times, params, statuses."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlwork_jupyter.provenance.record import DataRef

__all__ = [
    "STATUS_CSS",
    "is_multiline",
    "metric_text",
    "refs_text",
    "short_when_text",
    "value_text",
    "when_text",
]

# Translucent tints: the text keeps the theme's colour, so they read in light and dark themes.
STATUS_CSS = {
    "ok": "background:rgba(46,160,67,0.18)",
    "running": "background:rgba(56,139,253,0.18)",
    "error": "background:rgba(248,81,73,0.22);border-left:3px solid rgb(207,34,46)",
    "interrupted": "background:rgba(219,143,0,0.22);border-left:3px solid rgb(219,143,0)",
    "killed": "background:rgba(163,113,247,0.22);border-left:3px solid rgb(130,80,223)",
}


def when_text(ts: float) -> str:
    """Return a time in full, in local time: ``2026-12-01 14:03:27``."""
    return datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def short_when_text(ts: float) -> str:
    """Return a time as a list of runs shows it, in local time: ``12-01 14:03``."""
    return datetime.fromtimestamp(ts).astimezone().strftime("%m-%d %H:%M")


def metric_text(value: float | None) -> str:
    """Return a metric in four significant digits, ``""`` for none.

    Examples
    --------
    >>> metric_text(0.987654), metric_text(None)
    ('0.9877', '')
    """
    return "" if value is None else f"{value:.4g}"


def refs_text(refs: list[DataRef]) -> str:
    """Return the names of data read or written, comma-separated."""
    return ", ".join(r.name for r in refs)


def value_text(value: Any) -> str:
    """Return a param value as a cell shows it: a string as it is, anything else as JSON.

    Examples
    --------
    >>> value_text("adam"), value_text(0.001), value_text([1, 2]), value_text(None)
    ('adam', '0.001', '[1, 2]', '')
    """
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, default=repr)


def is_multiline(value: Any) -> bool:
    """Whether a param value is a text of several lines (a model summary): a block, not a cell."""
    return isinstance(value, str) and "\n" in value
