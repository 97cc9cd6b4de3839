"""The distribution: one version for Python and JavaScript, a wheel with the built extension."""

import json
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def test_python_and_javascript_versions_agree():
    js = json.loads((ROOT / "package.json").read_text())["version"]
    assert version("mlwork-jupyter") == js


def test_labextension_paths_point_at_the_built_extension():
    import mlwork_jupyter

    [entry] = mlwork_jupyter._jupyter_labextension_paths()
    built = Path(mlwork_jupyter.__file__).parent / entry["src"] / "package.json"
    assert json.loads(built.read_text())["name"] == entry["dest"] == "mlwork-jupyter"


@pytest.mark.skipif(
    not (ROOT / "mlwork_jupyter" / "labextension" / "static" / "style.js").exists(),
    reason="the labextension is not built (make install builds it)",
)
def test_wheel_ships_the_prebuilt_labextension(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            "-q",
        ],
        check=True,
    )
    [wheel] = tmp_path.glob("mlwork_jupyter-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    share = "mlwork_jupyter-{v}.data/data/share/jupyter/labextensions/mlwork-jupyter/".format(
        v=version("mlwork-jupyter")
    )
    assert share + "package.json" in names
    assert share + "install.json" in names
    assert any(n.startswith(share + "static/remoteEntry.") for n in names)
    assert not any("node_modules" in n for n in names)
    assert "mlwork_jupyter/cli.py" in names


def test_jupyter_mlwork_subcommand(tmp_path):
    jupyter = Path(sys.executable).parent / "jupyter"
    out = subprocess.run(
        [str(jupyter), "mlwork", "runs", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "example: mlwork runs" in out
