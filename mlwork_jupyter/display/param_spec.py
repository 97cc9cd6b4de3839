"""Colab-style ``# @param`` form declarations: read them into specs, and rewrite one value."""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

from mlwork_jupyter.display._literals import EVAL_ERRORS, among, comments, is_date, is_number, show
from mlwork_jupyter.display._option_syntax import OptionSyntaxError, parse_options, strip_options
from mlwork_jupyter.display.param_render import apply_edit, render_value
from mlwork_jupyter.provenance.source import Assignment, find_assignments

__all__ = [
    "Form",
    "Kind",
    "OptionSyntaxError",
    "ParamSpec",
    "apply_edit",
    "parse_form",
    "render_value",
]

Kind = Literal["string", "number", "integer", "boolean", "date", "raw", "slider", "dropdown"]

_TYPES: Final = ("boolean", "date", "integer", "number", "raw", "slider", "string")
_KEYS: Final = ("allow-input", "log", "max", "min", "placeholder", "step", "type")


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One ``NAME = literal  # @param ...`` declaration, ready to become a widget.

    Attributes
    ----------
    name : str
        The assigned name.
    kind : str
        One of ``string``, ``number``, ``integer``, ``boolean``, ``date``, ``raw``, ``slider``,
        ``dropdown`` (declared, or inferred from the literal when no ``type`` is given).
    value : Any
        The literal's Python value; the source text for ``raw`` kinds and raw dropdowns.
    text : str
        The value's source text, exactly.
    span : tuple of int
        ``(start, end)`` character offsets of `text` in the cell source.
    options : tuple or None
        Dropdown choices (source texts for a raw dropdown).
    allow_input : bool
        A dropdown that also accepts values outside `options`.
    raw : bool
        A dropdown declared ``{type:"raw"}``: values are expressions inserted as written.
    min, max, step : int, float or None
        Bounds and step (numbers and sliders).
    log : bool
        A slider on a logarithmic scale.
    placeholder : str or None
        Hint text for an empty string field.
    quote : str or None
        The string literal's prefix and opening delimiter (``'``, ``"``, ``r'``, ``\"\"\"``).
    error : str or None
        Why the declaration is invalid (one line); the field is shown in an error state.
    warnings : tuple of str
        Non-fatal remarks (unknown keys, ignored options).
    """

    name: str
    kind: Kind
    value: Any
    text: str
    span: tuple[int, int]
    options: tuple[Any, ...] | None = None
    allow_input: bool = False
    raw: bool = False
    min: int | float | None = None
    max: int | float | None = None
    step: int | float | None = None
    log: bool = False
    placeholder: str | None = None
    quote: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Form:
    """A cell's form: its ``# @title``, ``# @markdown`` lines and parameters in source order."""

    title: str | None
    markdown: tuple[str, ...]
    params: tuple[ParamSpec, ...]

    def param(self, name: str) -> ParamSpec:
        """Return the parameter called `name` (KeyError when the cell declares none)."""
        for spec in self.params:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _annotation(source: str, end: int) -> str | None:
    """Return the text after ``@param`` in the comment that ends the value's line."""
    stop = len(source)
    for newline in "\r\n":
        at = source.find(newline, end)
        stop = min(stop, at) if at >= 0 else stop
    for token in comments(source[end:stop].lstrip(" \t\f")):
        body = token.string.lstrip("#").strip()
        after = body.removeprefix("@param")
        if after != body and (not after or after[0].isspace() or after[0] in "[{"):
            return after
    return None


def _quote(text: str) -> str | None:
    """Return the prefix and opening delimiter of a string literal's source text."""
    prefix = len(text) - len(text.lstrip("rRuUbBfF"))
    rest = text[prefix:]
    if not rest or rest[0] not in "\"'":
        return None
    return text[:prefix] + (rest[:3] if rest[:3] in {'"""', "'''"} else rest[0])


def _kind(declared: Any, value: Any, *, is_literal: bool, dropdown: bool) -> Kind:
    """Return the declared kind, else the kind the literal implies."""
    if dropdown:
        return "dropdown"
    if declared in _TYPES:
        return declared  # type: ignore[no-any-return]
    implied: dict[type, Kind] = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return implied.get(type(value), "raw") if is_literal else "raw"


_FITS: Final[dict[str, Callable[[Any], bool]]] = {
    "string": lambda v: isinstance(v, str),
    "date": is_date,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: is_number(v) and math.isfinite(v),
    "slider": lambda v: is_number(v) and math.isfinite(v),
}


def _bounds(kind: Kind, value: Any, opts: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    """Check min/max/step/log; append errors to `problems`; return the fields to set."""
    numeric = {key: opts[key] for key in ("min", "max", "step") if key in opts}
    for key, bound in numeric.items():
        if not is_number(bound):
            problems.append(f"{key} must be a number, got {show(bound)}")
    if problems:
        return {}
    low, high, step = numeric.get("min"), numeric.get("max"), numeric.get("step")
    log = opts.get("log", False)
    if not isinstance(log, bool):
        problems.append(f"log must be true or false, got {show(log)}")
    if kind == "slider" and (low is None or high is None):
        problems.append('a slider needs min and max, e.g. {type:"slider", min:0, max:1}')
    if low is not None and high is not None and low > high:
        problems.append(f"min {low} is greater than max {high}")
    if step is not None and step <= 0:
        problems.append(f"step must be greater than 0, got {step}")
    if log is True and low is not None and low <= 0:
        problems.append(f"a log slider needs min > 0, got {low}")
    if is_number(value) and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        problems.append(f"value {show(value)} is outside [{low}, {high}]")
    return {"min": low, "max": high, "step": step, "log": log is True}


def _options(
    choices: list[Any] | None, opts: dict[str, Any], problems: list[str], warnings: list[str]
) -> tuple[tuple[Any, ...] | None, bool]:
    """Check a dropdown's list and ``allow-input``; return the options and allow-input."""
    declared = opts.get("type")
    options: tuple[Any, ...] | None = None
    if choices is not None:
        if declared in {"slider", "date"}:
            problems.append(f"type {declared!r} cannot have a list of options")
        if not choices:
            problems.append("the list of options is empty")
        bad = [c for c in choices if isinstance(c, list | dict)]
        if bad:
            problems.append(f"options must be strings or numbers, got {show(bad[0])}")
        raw = declared == "raw"
        options = tuple(c if isinstance(c, str) or not raw else repr(c) for c in choices)
    allow = opts.get("allow-input", False)
    if not isinstance(allow, bool):
        problems.append(f"allow-input must be true or false, got {show(allow)}")
        allow = False
    if allow and options is None:
        warnings.append("allow-input ignored without a list of options")
    return options, allow


def _build(assignment: Assignment, annotation: str) -> ParamSpec:
    """Turn one assignment and the text after its ``@param`` into a validated spec."""
    text = assignment.text
    try:
        value, is_literal = ast.literal_eval(text), True
    except EVAL_ERRORS:
        value, is_literal = text, False
    problems: list[str] = []
    warnings: list[str] = []
    try:
        choices, opts, warnings = parse_options(annotation)
    except OptionSyntaxError as exc:
        choices, opts = None, {}
        problems.append(f"cannot read the @param options: {exc}")
    warnings += [
        f"unknown key {key!r} ignored; known keys: {', '.join(_KEYS)}"
        for key in opts
        if key not in _KEYS
    ]
    declared = opts.get("type")
    raw = declared == "raw"
    kind = _kind(declared, value, is_literal=is_literal, dropdown=choices is not None)
    if declared is not None and declared not in _TYPES:
        problems.append(f"unknown type {declared!r}; types: {', '.join(_TYPES)}")
    if raw or kind == "raw":
        value = text
    if not is_literal and not raw:
        problems.append(f'{show(text)} is not a literal; declare {{type:"raw"}} to keep it')
    elif kind in _FITS and not _FITS[kind](value):
        problems.append(f"value {show(text)} is not a valid {kind}")
    fields: dict[str, Any] = {}
    if kind in {"number", "integer", "slider"}:
        fields = _bounds(kind, value, opts, problems)
    else:
        warnings += [f"{key} ignored for a {kind}" for key in ("min", "max", "step") if key in opts]
    options, allow = _options(choices, opts, problems, warnings)
    if options and not allow and not problems and not among(value, options, raw=raw):
        problems.append(f"value {show(text)} is not one of the options {show(list(options))}")
    placeholder = opts.get("placeholder")
    if placeholder is not None and not isinstance(placeholder, str):
        problems.append(f"placeholder must be a string, got {show(placeholder)}")
        placeholder = None
    return ParamSpec(
        name=assignment.name,
        kind=kind,
        value=value,
        text=text,
        span=(assignment.start, assignment.end),
        options=options,
        allow_input=allow,
        raw=raw and kind == "dropdown",
        placeholder=placeholder,
        quote=_quote(text) if assignment.is_str else None,
        error=problems[0] if problems else None,
        warnings=tuple(warnings),
        **fields,
    )


def parse_form(source: str) -> Form:
    r"""Read a cell's ``# @title``, ``# @markdown`` lines and ``# @param`` declarations.

    Parameters
    ----------
    source
        The cell source (a first ``%%mlwork`` line and ``%`` / ``!`` lines are allowed).

    Returns
    -------
    Form
        The title, markdown lines and one `ParamSpec` per declaration, in source order. An
        invalid declaration still yields a spec, with `ParamSpec.error` set.

    Examples
    --------
    >>> form = parse_form('# @title Train\nlr = 1e-3  # @param {type:"number"}\n')
    >>> form.title, form.params[0].kind, form.params[0].value
    ('Train', 'number', 0.001)
    """
    title: str | None = None
    markdown: list[str] = []
    for token in comments(source):
        if token.line[: token.start[1]].strip():
            continue  # a trailing comment, not a heading line
        body = token.string.lstrip("#").strip()
        if body.startswith("@title") and title is None:
            title = strip_options(body.removeprefix("@title").strip())
        elif body.startswith("@markdown"):
            markdown.append(body.removeprefix("@markdown").strip())
    specs = []
    for assignment in sorted(find_assignments(source).values(), key=lambda a: a.start):
        annotation = _annotation(source, assignment.end) if assignment.is_param else None
        if annotation is not None:
            specs.append(_build(assignment, annotation))
    return Form(title=title, markdown=tuple(markdown), params=tuple(specs))
