"""`example_notebooks/04_deploy_monitor.ipynb` end to end in a real kernel."""

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlwork_jupyter.provenance.store import Store

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

EXAMPLE = Path(__file__).parents[2] / "example_notebooks" / "04_deploy_monitor.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    pytest.importorskip("skops")
    folder = tmp_path_factory.mktemp("deploy")
    target = folder / EXAMPLE.name
    shutil.copy(EXAMPLE, target)
    nb = nbformat.read(target, as_version=4)
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(folder)}}).execute(
        env={**os.environ, "JPY_SESSION_NAME": str(target)}
    )
    return folder, nb


def _stdout(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def test_deploys_serves_both_protocols_and_monitors(executed):
    folder, nb = executed
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    version = folder / ".mlwork" / "models" / "digits" / "1"
    card = json.loads((version / "card.json").read_text())
    assert "digits-small" in json.dumps(card)  # the training run, through lineage
    assert sorted(p.name for p in (version / "tflite").glob("*.tflite")) == [
        "dynamic.tflite",
        "int8.tflite",
    ]
    calls = next(c for c in nb.cells if "tf_serving = requests.post" in c.source)
    lines = _stdout(calls).splitlines()
    assert lines[0].startswith("200 [")
    assert lines[1].startswith("200 [")
    assert lines[0][4:] == lines[1][4:]  # both protocols, the same predictions
    with Store(folder / ".mlwork") as store:
        monitor = next(r for r in store.runs() if r.name == "digits-live")
        deploy = next(r for r in store.runs() if r.name == "ship-digits")
    assert monitor.metrics["requests"] == 12
    assert monitor.metrics["dataset_drift"] == 1.0
    assert 0 < monitor.metrics["error_rate"] < 0.1
    assert not [r for r in deploy.inputs + deploy.outputs if "autograph" in r.name]
