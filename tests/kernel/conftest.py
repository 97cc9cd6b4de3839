"""Real Jupyter kernels started through jupyter_client, in a temporary folder."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pytest
from jupyter_client.manager import start_new_kernel

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


def execute(kc: Any, code: str, timeout: float = 120) -> dict[str, Any]:
    """Run code in a kernel; return the reply content, raising on an error reply."""
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda msg: None)
    content = reply["content"]
    if content["status"] != "ok":
        raise AssertionError(f"{content.get('ename')}: {content.get('evalue')}")
    return content


@pytest.fixture
def kernel_factory(tmp_path: Path) -> Iterator[Callable[[], tuple[Any, Any]]]:
    started: list[tuple[Any, Any]] = []

    def start() -> tuple[Any, Any]:
        env = {**os.environ, "JPY_SESSION_NAME": str(tmp_path / "test.ipynb")}
        km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=env)
        started.append((km, kc))
        execute(kc, "%load_ext mlwork_jupyter")
        return km, kc

    yield start
    for km, kc in started:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)
