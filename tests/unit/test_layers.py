"""The layers of DESIGN §5: which package may import which, checked statically and at runtime."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "mlwork_jupyter"

# Every "never" of DESIGN §5 and STYLE rule 1, by layer: modules no file of the layer imports,
# at module level or inside a function.
NEVER: dict[str, tuple[str, ...]] = {
    "provenance": (
        "IPython",
        "tensorflow",
        "keras",
        "mlwork_jupyter.display",
        "mlwork_jupyter.stages",
        "mlwork_jupyter.magics",
        "mlwork_jupyter.sharing",
        "mlwork_jupyter.cli",
    ),
    "display": ("mlwork_jupyter.magics",),
    "ml": ("mlwork_jupyter.magics", "mlwork_jupyter.display"),
}


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    """Return ``(line, module)`` for every import in `tree`, ``from X import y`` as ``X.y``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"line {node.lineno}: a relative import"
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _is_under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize("layer", sorted(NEVER))
def test_no_module_of_a_layer_imports_what_the_design_forbids(layer):
    broken = [
        f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        for path in _modules(layer)
        for line, module in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if any(_is_under(module, never) for never in NEVER[layer])
    ]
    assert not broken, broken


def test_nothing_but_the_package_init_imports_the_magics():
    broken = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "__init__.py" and "labextension" not in path.parts
        for line, module in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if _is_under(module, "mlwork_jupyter.magics")
    ]
    assert not broken, broken


def _top_level_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """Return the imports a module runs when imported (not in functions or TYPE_CHECKING)."""
    found = []
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending += node.orelse
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found += _imports(node)
        pending += ast.iter_child_nodes(node)
    return found


def test_ml_imports_tensorflow_and_keras_only_inside_functions():
    broken = [
        f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        for path in _modules("ml")
        for line, module in _top_level_imports(ast.parse(path.read_text(encoding="utf-8")))
        if _is_under(module, "tensorflow") or _is_under(module, "keras")
    ]
    assert not broken, broken


def _loaded_after_importing(layer: str) -> set[str]:
    """Import every module of a layer in a fresh interpreter; return what `sys.modules` holds."""
    names = [
        ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for path in _modules(layer)
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("layer", sorted(NEVER))
def test_importing_a_whole_layer_loads_nothing_it_must_not(layer):
    loaded = _loaded_after_importing(layer)
    never = (*NEVER[layer], "tensorflow", "keras")  # TensorFlow only on first need, everywhere
    assert not {m for m in loaded if any(_is_under(m, n) for n in never)}


def test_the_form_code_loads_neither_the_store_nor_the_stages():
    code = (
        "import sys\n"
        "import mlwork_jupyter.display.form, mlwork_jupyter.display.param_spec\n"
        "import mlwork_jupyter.provenance.source\n"
        "bad = {'mlwork_jupyter.provenance.store', 'mlwork_jupyter.stages', 'sqlite3'}\n"
        "assert not bad & set(sys.modules), bad & set(sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


def test_python_dash_m_mlwork_jupyter_is_the_mlwork_command(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps help to the terminal's width

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)

    as_module = run(sys.executable, "-m", "mlwork_jupyter", "--help")
    assert as_module.returncode == 0, as_module.stderr
    script = Path(sys.executable).with_name("mlwork")
    if script.is_file():
        assert as_module.stdout == run(str(script), "--help").stdout
    assert as_module.stdout.startswith("usage: mlwork [-h] COMMAND")
    bad = run(sys.executable, "-m", "mlwork_jupyter", "runs", "--stage", "trian")
    assert bad.returncode == 2
    assert bad.stderr.startswith("usage: mlwork runs")


def test_every_api_function_is_reachable_from_the_package():
    import mlwork_jupyter
    from mlwork_jupyter import api

    assert set(api.__all__) == mlwork_jupyter._API
    assert all(getattr(mlwork_jupyter, name) is getattr(api, name) for name in api.__all__)
