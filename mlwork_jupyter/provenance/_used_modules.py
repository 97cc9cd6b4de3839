"""The top-level modules a cell uses: those its code imports and those of the values it touched."""

from __future__ import annotations

import ast
from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def imported_modules(code: str) -> frozenset[str]:
    """Return the top-level modules that `code`'s import statements name (none if unparsable).

    Examples
    --------
    >>> sorted(imported_modules("import pandas as pd; from sklearn.linear_model import X"))
    ['pandas', 'sklearn']
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):  # IPython syntax (`!pip`), a null byte
        return frozenset()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.partition(".")[0])
    return frozenset(found)


def _module_of(value: object) -> object:
    try:
        if isinstance(value, ModuleType):
            return value.__name__
        if isinstance(value, type | FunctionType | BuiltinFunctionType):
            return getattr(value, "__module__", None)
    except Exception:  # a proxy whose attributes raise names no module
        return None
    return type(value).__module__


def value_modules(values: Iterable[object]) -> frozenset[str]:
    """Return the top-level modules that define `values`: a module itself, else its class's.

    Examples
    --------
    >>> import json
    >>> sorted(value_modules([json, json.dumps, ValueError("x"), 1]))
    ['builtins', 'json']
    """
    found: set[str] = set()
    for value in values:
        module = _module_of(value)
        if isinstance(module, str) and module:
            found.add(module.partition(".")[0])
    return frozenset(found)
