"""Turn a new widget value into parameter source text and splice it into the cell."""

from __future__ import annotations

import ast
import datetime as dt
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.display._literals import EVAL_ERRORS, among, comments, is_date, is_number, show

if TYPE_CHECKING:
    from mlwork_jupyter.display.param_spec import ParamSpec

__all__ = ["apply_edit", "render_value"]


def _decimals(number: float) -> int:
    exponent = Decimal(repr(number)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _format_number(number: float) -> str:
    """Return the shortest source text of a number: ``0.001``, ``1e-5``, ``20``."""
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"{number!r} has no literal; give a finite number")
    text = repr(number)
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        sign = "-" if exponent.startswith("-") else ""
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def _render_str(value: str, quote: str | None) -> str:
    """Return a string literal for `value` in the original quote style, escaped as needed."""
    quote = quote or '"'
    delimiter = quote.lstrip("rRuUbBfF")
    prefix = "".join(c for c in quote[: len(quote) - len(delimiter)] if c in "rRuU")
    mark = delimiter[0]
    if "r" in prefix.lower():
        if mark not in value and "\\" not in value and value.isprintable():
            return prefix + delimiter + value + delimiter
        prefix = prefix.replace("r", "").replace("R", "")
    special = {"\\": "\\\\", mark: "\\" + mark, "\n": "\\n", "\r": "\\r", "\t": "\\t"}
    body = []
    for char in value:
        if char in special:
            body.append(special[char])
        elif char.isprintable():
            body.append(char)
        else:
            body.append(repr(char)[1:-1] if ord(char) > 0xFF else f"\\x{ord(char):02x}")  # noqa: PLR2004
    text = prefix + delimiter + "".join(body) + delimiter
    return text if ast.literal_eval(text) == value else repr(value)


def _render_raw(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a raw value is source text, got {type(value).__name__}")
    text = value.strip()
    problem = (
        "it is empty" if not text else "it spans lines" if "\n" in text or "\r" in text else ""
    )
    if not problem:
        try:
            tree = ast.parse(f"_ = {text}\n")
        except (SyntaxError, ValueError):
            problem = "it is not a Python expression"
        else:
            statement = tree.body[0]
            if len(tree.body) != 1 or not isinstance(statement, ast.Assign):
                problem = "it is more than one expression"
            elif len(statement.targets) != 1 or comments(text):
                problem = "it is not a single expression"
    if problem:
        raise ValueError(f"cannot insert {show(value)}: {problem}")
    return text


def _snap(spec: ParamSpec, number: float) -> float:
    """Snap a slider value to its step, then clamp it to [min, max]."""
    low, high, step = spec.min, spec.max, spec.step
    if step is not None and not spec.log:
        origin = low if low is not None else 0
        snapped = origin + math.floor((number - origin) / step + 0.5) * step  # half up
        number = round(snapped, max(_decimals(step), _decimals(origin)))
    if low is not None:
        number = max(number, low)
    return min(number, high) if high is not None else number


def _render_number(spec: ParamSpec, number: Any) -> str:
    if not is_number(number):
        raise TypeError(f"{spec.name} takes a number, got {show(number)}")
    if spec.kind == "slider":
        number = _snap(spec, number)
    elif (spec.min is not None and number < spec.min) or (
        spec.max is not None and number > spec.max
    ):
        raise ValueError(f"{spec.name}: {number} is outside [{spec.min}, {spec.max}]")
    keep_int = spec.kind == "integer" or (is_number(spec.value) and isinstance(spec.value, int))
    if isinstance(number, float) and number.is_integer() and keep_int:
        number = int(number)
    if spec.kind == "integer" and not isinstance(number, int):
        raise ValueError(f"{spec.name} takes an integer, got {number!r}")
    return _format_number(number)


def _render_literal(spec: ParamSpec, value: Any) -> str:
    if isinstance(value, str):
        return _render_str(value, spec.quote)
    if is_number(value):
        return _format_number(value)
    text = repr(value)
    try:
        same = ast.literal_eval(text) == value
    except EVAL_ERRORS:
        same = False
    if not same:
        raise ValueError(f"{spec.name}: {show(value)} has no Python literal")
    return text


def _render_date(spec: ParamSpec, value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    text = value.isoformat() if isinstance(value, dt.date) else value
    if not is_date(text):
        raise ValueError(f"{spec.name} takes a date YYYY-MM-DD, got {show(value)}")
    return _render_str(text, spec.quote)


def render_value(spec: ParamSpec, new_value: Any) -> str:
    """Return the source text for a new value of a parameter.

    Strings keep their quote style (escaped so that any text stays one valid literal), integers
    stay integers, slider values snap to the step, floats are written in their shortest form;
    a raw value is inserted as written if it is one Python expression on one line.

    Parameters
    ----------
    spec
        The parameter, as `parse_form` read it.
    new_value
        The value from the widget: a str for string, date (or a `datetime.date`) and raw kinds.

    Returns
    -------
    str
        Source text that `ast.literal_eval` reads back as the value (raw kinds: the text).

    Raises
    ------
    TypeError
        The value has the wrong type for the parameter's kind.
    ValueError
        The value is out of range, not among the options, or not a valid expression.

    Examples
    --------
    >>> from mlwork_jupyter.display.param_spec import parse_form
    >>> spec = parse_form("opt = 'adam'  # @param ['adam', 'sgd']").params[0]
    >>> render_value(spec, "sgd")
    "'sgd'"
    """
    if spec.kind == "raw" or spec.raw:
        text = _render_raw(new_value)
        if spec.options and not spec.allow_input and not among(text, spec.options, raw=True):
            raise ValueError(f"{spec.name}: {show(text)} is not one of {show(spec.options)}")
        return text
    if spec.kind in {"number", "integer", "slider"}:
        return _render_number(spec, new_value)
    if spec.kind == "boolean":
        if not isinstance(new_value, bool):
            raise TypeError(f"{spec.name} takes True or False, got {show(new_value)}")
        return repr(new_value)
    if spec.kind == "date":
        return _render_date(spec, new_value)
    if spec.kind == "string" and not isinstance(new_value, str):
        raise TypeError(f"{spec.name} takes a string, got {show(new_value)}")
    if spec.options and not spec.allow_input and not among(new_value, spec.options, raw=False):
        raise ValueError(f"{spec.name}: {show(new_value)} is not one of {show(spec.options)}")
    return _render_literal(spec, new_value)


def apply_edit(source: str, spec: ParamSpec, new_value: Any) -> str:
    r"""Return `source` with only the parameter's value span replaced by the new value.

    Parameters
    ----------
    source
        The cell source `spec` was read from.
    spec
        The parameter, from `parse_form` on this same source.
    new_value
        The new value, as for `render_value`.

    Returns
    -------
    str
        The new source, identical to `source` outside the value span.

    Raises
    ------
    ValueError
        The source no longer holds the value where `spec` found it, or `render_value` refused.

    Examples
    --------
    >>> from mlwork_jupyter.display.param_spec import parse_form
    >>> cell = "epochs = 20  # @param {type:'integer'}\n"
    >>> apply_edit(cell, parse_form(cell).params[0], 30)
    "epochs = 30  # @param {type:'integer'}\n"
    """
    start, end = spec.span
    if source[start:end] != spec.text:
        raise ValueError(
            f"the cell changed: {spec.name} no longer reads {show(spec.text)} at offset "
            f"{start}; parse the cell again"
        )
    return source[:start] + render_value(spec, new_value) + source[end:]
