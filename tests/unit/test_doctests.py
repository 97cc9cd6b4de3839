"""Every docstring example in the package runs (those that cannot say ``# doctest: +SKIP``)."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "mlwork_jupyter"
# Imports Keras (so TensorFlow) at module level: its examples are a notebook's, and skipped.
_KERAS_AT_IMPORT = {"mlwork_jupyter.keras"}
MODULES = sorted(
    name
    for path in PACKAGE.rglob("*.py")
    if "labextension" not in path.parts
    and (name := ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
    not in _KERAS_AT_IMPORT
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name.removesuffix(".__init__"))
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(module, module.__name__):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_every_module_is_collected():
    assert "mlwork_jupyter.provenance.record" in MODULES
    assert "mlwork_jupyter.ml.multiworker.worker" in MODULES
