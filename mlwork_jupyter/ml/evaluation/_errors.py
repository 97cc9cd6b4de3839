"""The one error type of bad `evaluate` input, and the helpers that word its messages."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from mlwork_jupyter.errors import MlworkError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["EvaluationInputError", "listing", "suggestion"]

_SHOWN = 5


class EvaluationInputError(MlworkError, ValueError):
    """`evaluate` was given inputs it cannot score; the one-line message names the fix."""


def listing(values: Iterable[object], limit: int = _SHOWN) -> str:
    """Return up to `limit` values as reprs joined by commas, with how many more there are."""
    items = list(values)
    shown = ", ".join(repr(v) for v in items[:limit])
    left = len(items) - limit
    return f"{shown} and {left} more" if left > 0 else shown


def suggestion(value: str, choices: Iterable[str]) -> str:
    """Return ``" did you mean 'x'?"`` for the closest of `choices`, or an empty string."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    return f" did you mean {close[0]!r}?" if close else ""
