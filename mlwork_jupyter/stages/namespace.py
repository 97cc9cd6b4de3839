"""What a cell reads from and writes to the user's namespace, found by AST and by identity."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

__all__ = ["CellNames", "NamespaceSnapshot", "cell_names"]

# IPython's own bookkeeping names, never data the user made.
_IGNORED = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})


def _hidden(name: str) -> bool:
    return name.startswith("_") or name in _IGNORED


@dataclass(frozen=True, slots=True)
class CellNames:
    """Names a cell's code loads and stores at any depth (comprehension scopes included)."""

    loads: frozenset[str]
    stores: frozenset[str]


def cell_names(tree: ast.AST) -> CellNames:
    """Return the global names a parsed cell loads and stores."""
    loads: set[str] = set()
    stores: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            stores.add(node.name)
        elif isinstance(node, ast.Global):
            stores.update(node.names)
    return CellNames(
        loads=frozenset(n for n in loads if not _hidden(n)),
        stores=frozenset(n for n in stores if not _hidden(n)),
    )


class NamespaceSnapshot:
    """The identity of every visible binding before a cell runs, to see what it rebound.

    Taking it costs one dict pass; it holds ids, not references, so it keeps nothing alive.
    """

    def __init__(self, namespace: dict[str, Any]) -> None:
        self._ids = {k: id(v) for k, v in namespace.items() if not _hidden(k)}

    def rebound(self, namespace: dict[str, Any]) -> list[str]:
        """Return names created or bound to another object since the snapshot, sorted."""
        ids = self._ids
        return sorted(k for k, v in namespace.items() if not _hidden(k) and ids.get(k) != id(v))
