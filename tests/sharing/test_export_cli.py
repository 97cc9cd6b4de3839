import json

import pytest

from mlwork_jupyter.cli import main
from mlwork_jupyter.provenance.record import RunRecord, new_run_id
from mlwork_jupyter.provenance.store import Store

mlflow = pytest.importorskip("mlflow", reason="needs the [mlflow] extra (mlflow-skinny)")
from mlflow.tracking import MlflowClient  # noqa: E402


@pytest.fixture
def file_store(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return (tmp_path / "mlruns").as_uri()


def _runs(uri, experiment):
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None
    return client, {r.data.tags["mlwork.name"]: r for r in client.search_runs([exp.experiment_id])}


@pytest.mark.kernel
def test_export_of_the_iris_runs_reads_back_with_mlflows_client(iris, file_store, capsys):
    assert main(["export", "--mlflow", file_store, str(iris), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["exported"]) == 4
    client, runs = _runs(file_store, "01_iris_random_forest")
    assert set(runs) == {"load-iris", "split", "forest", "forest-test"}
    forest = runs["forest"]
    assert forest.info.status == "FINISHED"
    assert forest.info.run_name == "forest"
    assert forest.data.params["RandomForestClassifier.n_estimators"] == "200"
    tags = forest.data.tags
    assert tags["mlwork.stage"] == "train"
    assert tags["mlwork.notebook"] == iris.name
    assert tags["mlwork.cell"] == "7"
    assert tags["mlwork.input.X_train"].startswith("frame:")
    assert "RandomForestClassifier(" in tags["mlflow.note.content"]
    assert [a.path for a in client.list_artifacts(forest.info.run_id)] == ["forest.pkl"]
    evaluate = runs["forest-test"]
    assert evaluate.data.metrics["accuracy"] > 0.8
    load = runs["load-iris"]
    digests = {d.dataset.name: d.dataset.digest for d in load.inputs.dataset_inputs}
    assert digests["iris.csv"] == load.data.tags["mlwork.input.iris.csv"].removeprefix("file:")
    # A second export adds nothing.
    assert main(["export", "--mlflow", file_store, str(iris), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (len(again["exported"]), len(again["skipped"])) == (0, 4)


def _store_with_series(folder):
    with Store(folder / ".mlwork") as store:
        parent = RunRecord(new_run_id(), "tune", "search", "tuner.search()", "h1", "nb.ipynb")
        store.start_run(parent)
        trial = RunRecord(new_run_id(), "tune", "trial-1", "", "h2", "nb.ipynb", parent=parent.id)
        trial.trial = {"id": "03", "number": 4, "status": "ok", "score": 0.9, "best_step": 2}
        store.start_run(trial)
        store.append_series(trial.id, [("loss", s, 1.0 / (s + 1), 0.0) for s in range(5)])
        trial.metrics = {"loss": 0.2}
        trial.params = {"units": 32, "odd/key[x]": "v"}
        trial.status, trial.ended = "ok", trial.started + 1
        store.finish_run(trial)
        parent.status, parent.ended, parent.error = "error", parent.started + 2, "ValueError: x"
        store.finish_run(parent)
    return parent, trial


def test_export_of_a_store_keeps_series_children_and_status(tmp_path, file_store, capsys):
    _store_with_series(tmp_path)
    assert main(["export", "--mlflow", file_store, str(tmp_path)]) == 0
    assert "exported 2 run(s)" in capsys.readouterr().out
    client, runs = _runs(file_store, "nb")
    assert runs["search"].info.status == "FAILED"
    assert runs["search"].data.tags["mlwork.error"] == "ValueError: x"
    child = runs["trial-1"]
    assert child.data.tags["mlflow.parentRunId"] == runs["search"].info.run_id
    history = client.get_metric_history(child.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(5)]
    assert child.data.params == {"units": "32", "odd_key_x_": "v"}
    assert child.data.tags["mlwork.trial.id"] == "03"
    assert child.data.tags["mlwork.trial.status"] == "ok"
    assert child.data.tags["mlwork.trial.best_step"] == "2"


def test_the_file_store_needs_its_opt_in(tmp_path, monkeypatch, capsys):
    _store_with_series(tmp_path)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    assert main(["export", "--mlflow", (tmp_path / "mlruns").as_uri(), str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("set MLFLOW_ALLOW_FILE_STORE=true")
    assert len(err.splitlines()) == 1
