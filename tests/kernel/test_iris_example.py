import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlwork_jupyter.cli import main
from mlwork_jupyter.provenance.record import RECORD_MIME

pytestmark = pytest.mark.kernel

EXAMPLE = Path(__file__).parents[2] / "example_notebooks" / "01_iris_random_forest.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("iris")
    target = folder / EXAMPLE.name
    shutil.copy(EXAMPLE, target)
    nb = nbformat.read(target, as_version=4)
    client = NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(folder)}})
    client.execute(env={**os.environ, "JPY_SESSION_NAME": str(target)})
    nbformat.write(nb, target)
    return target


def _runs_json(capsys, *args):
    assert main(["runs", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_iris_records_four_runs_in_the_store(executed, capsys):
    runs = _runs_json(capsys, str(executed))
    assert [(r["stage"], r["name"]) for r in runs] == [
        ("data", "load-iris"),
        ("data", "split"),
        ("train", "forest"),
        ("evaluate", "forest-test"),
    ]
    assert all(r["status"] == "ok" for r in runs)
    load, split, train, evaluate = runs
    assert {"iris.csv", "df"} <= {o["name"] for o in load["outputs"]}
    assert "iris.csv" in {i["name"] for i in load["inputs"]}
    assert {o["name"] for o in split["outputs"]} >= {"X_train", "X_test", "y_train", "y_test"}
    assert {i["name"] for i in train["inputs"]} == {"X_train", "y_train"}
    assert train["params"]["RandomForestClassifier.n_estimators"] == 200
    assert [a["name"] for a in train["artifacts"]] == ["forest.pkl"]
    assert evaluate["metrics"]["accuracy"] > 0.8
    x_train = next(o for o in split["outputs"] if o["name"] == "X_train")
    assert next(i for i in train["inputs"] if i["name"] == "X_train") == x_train


def test_iris_notebook_carries_its_records(executed, capsys):
    nb = nbformat.read(executed, as_version=4)
    cards = [
        out["data"][RECORD_MIME]
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if RECORD_MIME in out.get("data", {})
    ]
    assert [c["status"] for c in cards] == ["ok"] * 4
    assert "all_packages" in cards[0]["environment"]
    assert all("all_packages" not in c["environment"] for c in cards[1:])
    embedded = _runs_json(capsys, str(executed), "--embedded")
    stored = _runs_json(capsys, str(executed))
    assert [r["id"] for r in embedded] == [r["id"] for r in stored]
    assert [r["metrics"] for r in embedded] == [r["metrics"] for r in stored]


def test_cli_show_and_diff(executed, capsys):
    assert main(["show", "last", str(executed)]) == 0
    assert "forest-test" in capsys.readouterr().out
    runs = _runs_json(capsys, str(executed), "--stage", "data")
    assert main(["diff", runs[0]["id"], runs[1]["id"], str(executed), "--json"]) == 0
    diff = json.loads(capsys.readouterr().out)
    assert any(line.startswith("code:") for line in diff["notes"])


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["runs", str(tmp_path / "missing.ipynb")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"mlwork runs: {tmp_path / 'missing.ipynb'}: no such file"
    (tmp_path / "plain.ipynb").write_text(json.dumps(nbformat.v4.new_notebook()))
    assert main(["runs", str(tmp_path / "plain.ipynb")]) == 2
    assert "no mlwork records" in capsys.readouterr().err


def test_verify_line_magic_in_the_notebook_kernel(executed, tmp_path):
    from jupyter_client.manager import start_new_kernel

    env = {**os.environ, "JPY_SESSION_NAME": str(executed)}
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(executed.parent), env=env)
    try:
        kc.execute_interactive("%load_ext mlwork_jupyter", timeout=60)
        outputs = []
        reply = kc.execute_interactive("%mlwork verify", timeout=120, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok"
        text = "\n".join(
            m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "display_data"
        )
        assert "matches its records (records: 4" in text, text
        assert "files: 1 checked" in text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
