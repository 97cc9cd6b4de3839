"""The one error type of bad `monitor` input, and how its messages name values and choices."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from mlwork_jupyter.errors import MlworkError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["MonitorInputError", "choices_text", "listing"]

_SHOWN = 5


class MonitorInputError(MlworkError, ValueError):
    """`monitor` was given inputs or thresholds it cannot use; the one-line message says why."""


def listing(values: Iterable[object], limit: int = _SHOWN) -> str:
    """Return up to `limit` values as reprs joined by commas, with how many more there are.

    Examples
    --------
    >>> listing(["a", "b", "c"], limit=2)
    "'a', 'b' and 1 more"
    """
    items = list(values)
    shown = ", ".join(repr(v) for v in items[:limit])
    left = len(items) - limit
    return f"{shown} and {left} more" if left > 0 else shown


def choices_text(value: object, choices: Iterable[str], what: str) -> str:
    """Return ``did you mean 'x'? WHAT: a, b, c`` for a value that is none of `choices`.

    Examples
    --------
    >>> choices_text("kss", ["ks", "psi"], "methods")
    "did you mean 'ks'? methods: ks, psi"
    """
    options = list(choices)
    close = difflib.get_close_matches(str(value), options, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}{what}: {', '.join(options)}"
