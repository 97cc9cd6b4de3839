"""Run a callback right after a module's first import (Python has no post-import hooks).

`when_imported` puts a finder first on `sys.meta_path` for the block's duration: when the
watched module is imported, the finder hands out the module's own spec with its loader
wrapped, so that the callback runs once the module has executed, inside the importing
statement, before the code after it. A module already imported gets the callback at once.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__all__ = ["when_imported"]


class _Loader(importlib.abc.Loader):
    """The module's own loader, then the callback."""

    def __init__(self, loader: Any, after: Callable[[ModuleType], None]) -> None:
        self._loader = loader
        self._after = after

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return None if create is None else create(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._after(module)

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of the watched modules' real specs."""

    def __init__(self, names: Sequence[str], fire: Callable[[ModuleType], None]) -> None:
        self.names = frozenset(names)
        self._fire = fire
        self._searching = threading.local()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        del path, target
        if fullname not in self.names or getattr(self._searching, "on", False):
            return None
        self._searching.on = True
        try:
            spec = importlib.util.find_spec(fullname)
        except (ImportError, ValueError):
            return None
        finally:
            self._searching.on = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _Loader(spec.loader, self._fire)
        return spec


@contextlib.contextmanager
def when_imported(names: Sequence[str], callback: Callable[[], None]) -> Iterator[None]:
    """Call `callback` once, when the first of `names` has been imported, within the block.

    If one of them is imported already, the callback runs at once. An exception from the
    callback propagates out of the importing statement, so keep it from raising.

    Examples
    --------
    >>> with when_imported(["keras"], lambda: print("keras is here")):  # doctest: +SKIP
    ...     import keras
    keras is here
    """
    fired = threading.Event()

    def fire(module: ModuleType | None = None) -> None:
        del module
        if not fired.is_set():
            fired.set()
            callback()

    if any(name in sys.modules for name in names):
        fire()
        yield
        return
    finder = _Finder(names, fire)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)
