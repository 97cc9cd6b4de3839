"""Cell source as Python: assignments with their value spans (`# @param`), and overrides.

Used by the forms (`display`), the stages (declared params) and `mlwork rerun` (`sharing`),
so it lives below all three; it needs neither IPython nor the store.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from typing import Any, Final

from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.provenance.notebook import cell_source

__all__ = [
    "Assignment",
    "Override",
    "UnknownParameterError",
    "apply_overrides",
    "find_assignments",
    "parse_value",
]

# Cell magics whose body is Python; any other (%%bash, %%html, ...) is not searched.
_PYTHON_CELL_MAGICS: Final = frozenset({"mlwork", "time", "timeit", "capture", "prun", "python"})
INJECTED_TAG: Final = "injected-parameters"
PARAMETERS_TAG: Final = "parameters"


class UnknownParameterError(MlworkError, KeyError):
    """A parameter to override is assigned nowhere it can be overridden."""

    def __str__(self) -> str:
        """Show the message, not KeyError's quoted repr."""
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True, slots=True)
class Assignment:
    """A top-level ``NAME = value`` in a cell, with the character span of its value."""

    name: str
    start: int
    end: int
    text: str
    is_str: bool
    is_param: bool


@dataclass(frozen=True, slots=True)
class Override:
    """One parameter override as applied to the notebook.

    Attributes
    ----------
    name : str
        The parameter.
    value : Any
        The value given (a Python literal, else the text as a string).
    how : str
        ``"injected"`` (a cell after the ``parameters`` cell) or ``"rewritten"`` (the
        ``# @param`` literal replaced in place).
    cell_index : int
        The cell changed or inserted (in the notebook after the change).
    was : str or None
        The source text of the value before (rewritten only).
    """

    name: str
    value: Any
    how: str
    cell_index: int
    was: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form recorded in the notebook's metadata."""
        return {
            "name": self.name,
            "value": self.value,
            "how": self.how,
            "cell": self.cell_index,
            "was": self.was,
        }


def parse_value(text: str) -> Any:
    """Return a command-line value as a Python literal, or the text itself, as papermill does.

    Examples
    --------
    >>> parse_value("50"), parse_value("0.1"), parse_value("sgd"), parse_value("[1, 2]")
    (50, 0.1, 'sgd', [1, 2])
    """
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _lines(text: str) -> list[str]:
    """Split lines at the line ends Python itself recognises (not form feeds and the like)."""
    return io.StringIO(text, newline="").readlines()


def _python_view(source: str) -> str:
    """Blank out IPython-only lines so `ast` can parse the rest; keep every offset in place.

    A first line ``%%magic`` is dropped (its body is Python for ``%%mlwork``, ``%%time``, ...);
    ``%line`` magics and ``!shell`` lines become ``pass`` at the same indentation.
    """
    lines = _lines(source)
    out = []
    for number, line in enumerate(lines):
        stripped = line.lstrip()
        ending = line[len(line.rstrip("\r\n")) :]
        if number == 0 and stripped.startswith("%%"):
            out.append(ending or "\n")
        elif stripped.startswith(("%", "!")):
            indent = line[: len(line) - len(stripped)]
            out.append(indent + "pass" + " " * max(0, len(stripped.rstrip("\r\n")) - 4) + ending)
        else:
            out.append(line)
    return "".join(out)


def _param_comment_lines(source: str) -> set[int]:
    lines: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and token.string.lstrip("#").strip().startswith(
                "@param"
            ):
                lines.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        return set()
    return lines


def find_assignments(source: str) -> dict[str, Assignment]:
    r"""Return the top-level single-name assignments of a cell, with their value spans.

    Spans come from `tokenize` (the ``# @param`` comment) and `ast` (the value's position),
    never from pattern matching, so strings containing ``=`` or ``#`` are safe. A cell that is
    not Python (``%%bash``) has none.

    Examples
    --------
    >>> found = find_assignments('lr = 1e-3  # @param {type:"number"}\nname = "a#b"\n')
    >>> found["lr"].text, found["lr"].is_param, found["name"].text
    ('1e-3', True, '"a#b"')
    """
    first = source.lstrip().partition("\n")[0]
    if first.startswith("%%") and first[2:].split(" ", 1)[0] not in _PYTHON_CELL_MAGICS:
        return {}
    view = _python_view(source)
    try:
        tree = ast.parse(view)
    except (SyntaxError, ValueError):
        return {}
    params = _param_comment_lines(view)
    # Values never sit on a blanked-out line, so columns agree; offsets count the real lines.
    lines = _lines(view)
    starts = [0]
    for line in _lines(source):
        starts.append(starts[-1] + len(line))

    def offset(lineno: int, col_bytes: int) -> int:
        line = lines[lineno - 1]
        return starts[lineno - 1] + len(line.encode("utf-8")[:col_bytes].decode("utf-8"))

    found: dict[str, Assignment] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name) or value.end_lineno is None:
            continue
        is_param = node.end_lineno in params
        earlier = found.get(target.id)
        if earlier is not None and earlier.is_param and not is_param:
            continue  # `lr = lr * 2` after `lr = 1e-3  # @param`: the declaration is the parameter
        start = offset(value.lineno, value.col_offset)
        end = offset(value.end_lineno, value.end_col_offset or 0)
        found[target.id] = Assignment(
            name=target.id,
            start=start,
            end=end,
            text=source[start:end],
            is_str=isinstance(value, ast.Constant) and isinstance(value.value, str),
            is_param=is_param,
        )
    return found


def _coerce(value: Any, raw: str, like: Assignment | None) -> Any:
    """Return the value to assign: a string stays a string where the source had a string."""
    if like is not None and like.is_str and not isinstance(value, str):
        return raw
    return value


def _tags(cell: dict[str, Any]) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [str(t) for t in tags] if isinstance(tags, list) else []


def _set_source(cell: dict[str, Any], text: str) -> None:
    cell["source"] = text


def apply_overrides(
    nb: dict[str, Any], params: list[tuple[str, str]]
) -> tuple[list[Override], int | None]:
    """Apply ``-p NAME VALUE`` overrides to a notebook (in place), the way papermill does.

    With a cell tagged ``parameters``, a cell tagged ``injected-parameters`` that assigns the
    values is inserted after it (replacing one left by an earlier run). Without one, each name
    must be a ``NAME = literal  # @param ...`` assignment, whose value span alone is rewritten.

    Parameters
    ----------
    nb
        The notebook (nbformat 4, as a dict or NotebookNode).
    params
        ``(name, text)`` pairs; each text is parsed with `parse_value`.

    Returns
    -------
    tuple
        The overrides applied, and the index of the inserted cell (None when none was).

    Raises
    ------
    UnknownParameterError
        A name assigned by no ``# @param`` line, in a notebook without a ``parameters`` cell.
    """
    if not params:
        return [], None
    from nbformat.v4 import new_code_cell

    cells: list[dict[str, Any]] = nb["cells"]
    values = {name: (parse_value(raw), raw) for name, raw in params}
    marked = [i for i, c in enumerate(cells) if PARAMETERS_TAG in _tags(c)]
    if marked:
        at = marked[0]
        declared = find_assignments(cell_source(cells[at]))
        chosen = {name: _coerce(v, raw, declared.get(name)) for name, (v, raw) in values.items()}
        text = "# Parameters injected by `mlwork rerun`\n" + "".join(
            f"{name} = {value!r}\n" for name, value in chosen.items()
        )
        cell = new_code_cell(text.rstrip("\n"), metadata={"tags": [INJECTED_TAG]})  # type: ignore[no-untyped-call]
        if at + 1 < len(cells) and INJECTED_TAG in _tags(cells[at + 1]):
            cells[at + 1] = cell
            inserted = None
        else:
            cells.insert(at + 1, cell)
            inserted = at + 1
        applied = [Override(name, value, "injected", at + 1) for name, value in chosen.items()]
        return applied, inserted
    applied = []
    for name, (value, raw) in values.items():
        for index, cell in enumerate(cells):
            if cell.get("cell_type") != "code":
                continue
            text = cell_source(cell)
            found = find_assignments(text).get(name)
            if found is None or not found.is_param:
                continue
            value = _coerce(value, raw, found)  # noqa: PLW2901 - the value actually assigned
            new = repr(value)
            _set_source(cell, text[: found.start] + new + text[found.end :])
            overridden = cell.setdefault("metadata", {}).setdefault("mlwork", {})
            overridden.setdefault("overridden", {})[name] = {"was": found.text, "now": new}
            applied.append(Override(name, value, "rewritten", index, found.text))
            break
        else:
            raise UnknownParameterError(
                f"parameter {name!r} not found: no cell is tagged 'parameters' and no cell "
                f"has `{name} = ...  # @param`"
            )
    return applied, None
