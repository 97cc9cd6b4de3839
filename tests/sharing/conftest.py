"""Executed notebooks for the sharing commands: each is run once per session, then copied."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

EXAMPLE = Path(__file__).parents[2] / "example_notebooks" / "01_iris_random_forest.ipynb"

NOISY_CELL = (
    "%%mlwork train --name noisy\n"
    "import random\n"
    "import mlwork_jupyter as mlwork\n"
    'lr = 0.1  # @param {type:"number"}\n'
    'mlwork.log_param("lr", lr)\n'
    "mlwork.log_metrics(noise=random.random(), steady=lr * 2)"
)


def execute_notebook(path: Path, timeout: int = 300) -> None:
    """Run a notebook in place with nbclient, its store beside it (as Jupyter Server would)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, resources={"metadata": {"path": str(path.parent)}})
    client.execute(env={**os.environ, "JPY_SESSION_NAME": str(path)})
    nbformat.write(nb, path)


def _copier(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Path]:
    def copy() -> Path:
        target = tmp_path_factory.mktemp("copy")
        shutil.copytree(source.parent, target, dirs_exist_ok=True)
        return target / source.name

    return copy


@pytest.fixture(scope="session")
def _executed_iris(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("iris")
    target = folder / EXAMPLE.name
    shutil.copy(EXAMPLE, target)
    execute_notebook(target)
    return target


@pytest.fixture
def iris(_executed_iris: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of the executed iris example: notebook, iris.csv and its .mlwork store."""
    return _copier(_executed_iris, tmp_path_factory)()


@pytest.fixture(scope="session")
def _executed_noisy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("noisy")
    target = folder / "noisy.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext mlwork_jupyter"),
        nbformat.v4.new_code_cell(NOISY_CELL),
    ]
    nbformat.write(nb, target)
    execute_notebook(target)
    return target


@pytest.fixture
def noisy(_executed_noisy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of an executed one-cell notebook whose metric `noise` is random."""
    return _copier(_executed_noisy, tmp_path_factory)()
