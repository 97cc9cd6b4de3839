"""A real IPython shell with the extension loaded and a store in a temporary folder."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

import pytest
from IPython.testing import globalipapp

from mlwork_jupyter.provenance.store import Store

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def ip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    # A doctest run earlier in the session leaves `builtins._` behind, and IPython then never
    # binds `_` to a cell's value (it will not shadow a builtin `_`, as gettext installs).
    monkeypatch.delattr(builtins, "_", raising=False)
    globalipapp.start_ipython()
    shell = globalipapp.get_ipython()
    monkeypatch.chdir(tmp_path)
    shell.run_line_magic("load_ext", "mlwork_jupyter")
    shell.run_line_magic("config", f"MlworkMagics.store_dir = {str(tmp_path / '.mlwork')!r}")
    for name in [k for k in shell.user_ns if not k.startswith("_")]:
        if name not in ("In", "Out", "get_ipython", "exit", "quit"):
            shell.user_ns.pop(name)
    yield shell
    shell.run_line_magic("unload_ext", "mlwork_jupyter")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The store the shell writes to (opened after the shell made it)."""
    s = None

    def open_store() -> Store:
        nonlocal s
        s = Store(tmp_path / ".mlwork")
        return s

    yield open_store  # type: ignore[misc]
    if s is not None:
        s.close()
