"""Checks on parameter literals and their cell, shared by reading a form and rendering an edit."""

from __future__ import annotations

import ast
import datetime as dt
import io
import tokenize
from typing import Any, Final

_SHOWN: Final = 40
EVAL_ERRORS: Final = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)


def comments(source: str) -> list[tokenize.TokenInfo]:
    """Return the comment tokens of a cell, as far as it tokenizes (IPython lines included)."""
    found: list[tokenize.TokenInfo] = []
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        found.extend(token for token in tokens if token.type == tokenize.COMMENT)
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def is_number(value: Any) -> bool:
    """Return whether `value` is an int or float (a bool is not a number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_date(value: Any) -> bool:
    """Return whether `value` is an ISO date string ``YYYY-MM-DD``."""
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return len(value) == len("2024-01-31")


def show(value: Any) -> str:
    """Render a value for a one-line message."""
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _normal(expression: str) -> str:
    try:
        return ast.dump(ast.parse(expression.strip(), mode="eval"))
    except (SyntaxError, ValueError):
        return expression.strip()


def among(value: Any, options: tuple[Any, ...], *, raw: bool) -> bool:
    """Return whether `value` is one of `options` (raw: as the same expression, spacing aside)."""
    if raw:
        return _normal(value) in {_normal(str(o)) for o in options}
    return any(type(value) is type(o) and value == o for o in options) or (
        is_number(value) and any(is_number(o) and value == o for o in options)
    )
