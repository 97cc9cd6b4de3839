"""`mlwork.deploy` and `mlwork.serve` in a real shell: versions, cards from lineage, a server."""

import json
import urllib.error
import urllib.request

import pytest

SETUP = """
import mlwork_jupyter as mlwork
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
X, y = load_iris(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
"""


@pytest.fixture
def trained(ip):
    pytest.importorskip("skops")
    assert ip.run_cell(SETUP).success
    assert ip.run_cell(
        "%%mlwork train --name iris-lr\n"
        "model = LogisticRegression(max_iter=300).fit(X_train, y_train)"
    ).success
    assert ip.run_cell(
        "%%mlwork evaluate --name iris-test\nev = mlwork.evaluate(y_test, model.predict(X_test))"
    ).success
    return ip


def test_deploy_writes_a_version_with_a_card_from_lineage(trained, store, tmp_path):
    res = trained.run_cell(
        "%%mlwork deploy --name ship\ndep = mlwork.deploy(model, 'iris', example=X_test.head(3))"
    )
    assert res.success, res.error_in_exec
    dep = trained.user_ns["dep"]
    assert (dep.name, dep.version) == ("iris", 1)
    assert dep.path == tmp_path / ".mlwork" / "models" / "iris" / "1"
    assert (dep.path / "card.md").is_file()
    card = dep.card
    text = json.dumps(card)
    assert "iris-lr" in text  # the training run, found through lineage
    assert "iris-test" in text  # and its evaluation
    run = next(r for r in store().runs() if r.name == "ship")
    assert run.params["deploy.iris.version"] == 1
    assert not [w for w in run.warnings if "no train run" in w]
    again = trained.run_cell("%%mlwork deploy\ndep2 = mlwork.deploy(model, 'iris')")
    assert again.success
    assert trained.user_ns["dep2"].version == 2


def test_existing_version_is_a_one_line_error(trained):
    trained.run_cell("%%mlwork deploy\nmlwork.deploy(model, 'iris', version=3)")
    res = trained.run_cell("%%mlwork deploy\nmlwork.deploy(model, 'iris', version=3)")
    assert res.error_in_exec is not None
    assert "\n" not in str(res.error_in_exec)


def test_serve_flag_serves_what_the_cell_deployed(trained):
    res = trained.run_cell(
        "%%mlwork deploy --serve\ndep = mlwork.deploy(model, 'iris', example=X_test.head(3))"
    )
    assert res.success, res.error_in_exec
    dep = trained.user_ns["dep"]
    try:
        assert dep.url.startswith("http://127.0.0.1:")
        rows = trained.user_ns["X_test"].head(2).to_dict(orient="split")
        body = json.dumps({"dataframe_split": {"columns": rows["columns"], "data": rows["data"]}})
        request = urllib.request.Request(
            f"{dep.url}/invocations", body.encode(), {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            predictions = json.load(response)["predictions"]
        assert len(predictions) == 2
    finally:
        dep.stop()


def test_deploy_outside_a_run_is_the_one_line_error(ip):
    ip.run_cell("import mlwork_jupyter as mlwork")
    res = ip.run_cell("mlwork.deploy(object(), 'x')")
    assert "mlwork.deploy() needs a run" in str(res.error_in_exec)


def test_deploy_manifests_command_writes_validated_manifests(trained, tmp_path):
    from mlwork_jupyter.cli import main

    assert trained.run_cell("%%mlwork deploy\nmlwork.deploy(model, 'iris')").success
    out = tmp_path / "k8s"
    assert (
        main(["deploy-manifests", "iris", "-o", str(out), "--store", str(tmp_path / ".mlwork")])
        == 0
    )
    written = sorted(p.name for p in out.iterdir())
    assert written
    validate = pytest.importorskip("kubernetes_validate")
    import yaml

    for path in out.glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                validate.validate(doc, "1.37", strict=True)


def _post(url, body):
    request = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_monitor_reads_the_servers_request_log(trained, store):
    res = trained.run_cell(
        "%%mlwork deploy\ndep = mlwork.deploy(model, 'iris', example=X_test.head(3), serve=True)"
    )
    assert res.success, res.error_in_exec
    dep = trained.user_ns["dep"]
    try:
        shifted = trained.user_ns["X_test"] + 3.0
        for start in range(0, len(shifted), 9):
            part = shifted.iloc[start : start + 9].to_dict(orient="split")
            body = json.dumps(
                {"dataframe_split": {"columns": part["columns"], "data": part["data"]}}
            )
            assert _post(f"{dep.url}/invocations", body) == 200
        assert _post(f"{dep.url}/invocations", '{"dataframe_split": {"columns": ["x"]}}') == 400
        res = trained.run_cell(
            "%%mlwork monitor --name traffic\n"
            "rep = mlwork.monitor(deployment='iris', reference=X_train)"
        )
        assert res.success, res.error_in_exec
    finally:
        dep.stop()
    rep = trained.user_ns["rep"]
    assert rep.requests == 6
    assert rep.error_rate == pytest.approx(1 / 6)
    assert rep.latency["p50"] > 0
    assert rep.dataset_drift
    run = next(r for r in store().runs() if r.name == "traffic")
    assert run.metrics["requests"] == 6
    assert "latency_p99_ms" in run.metrics


def _send(dep, frame, rows=9):
    for start in range(0, len(frame), rows):
        part = frame.iloc[start : start + rows].to_dict(orient="split")
        body = json.dumps({"dataframe_split": {"columns": part["columns"], "data": part["data"]}})
        assert _post(f"{dep.url}/invocations", body) == 200


def test_monitor_takes_the_training_data_as_reference_by_default(trained, store, tmp_path):
    res = trained.run_cell("%%mlwork deploy\ndep = mlwork.deploy(model, 'iris', serve=True)")
    assert res.success, res.error_in_exec
    dep = trained.user_ns["dep"]
    profile = json.loads((tmp_path / ".mlwork/models/iris/1/reference_profile.json").read_text())
    assert profile["source"]["table"] == "X_train"
    assert profile["source"]["run_name"] == "iris-lr"
    try:
        _send(dep, trained.user_ns["X_test"] + 3.0)
        res = trained.run_cell(
            "%%mlwork monitor --name default-ref\nrep = mlwork.monitor(deployment='iris')"
        )
        assert res.success, res.error_in_exec
    finally:
        dep.stop()
    rep = trained.user_ns["rep"]
    assert rep.dataset_drift
    # The profile stands in for X_train: the same decisions as against the frame itself.
    assert trained.run_cell(
        "from mlwork_jupyter.ml.monitoring import compute_drift\n"
        "direct = compute_drift(X_test + 3.0, X_train)"
    ).success
    direct = trained.user_ns["direct"]
    decisions = dict(zip(rep.features["feature"], rep.features["drifted"], strict=True))
    assert decisions == dict(
        zip(direct.features["feature"], direct.features["drifted"], strict=True)
    )
    deploy_run = next(r for r in store().runs() if r.stage == "deploy")
    assert deploy_run.params["deploy.iris.reference"] == "X_train"


def test_a_version_without_a_profile_asks_for_reference(trained, store):
    # The training table changed after the fit: its rows no longer hash as the run read them.
    assert trained.run_cell("X_train = X_train * 2").success
    res = trained.run_cell("%%mlwork deploy\ndep = mlwork.deploy(model, 'iris', serve=True)")
    assert res.success, res.error_in_exec
    dep = trained.user_ns["dep"]
    try:
        _send(dep, trained.user_ns["X_test"])
        res = trained.run_cell("%%mlwork monitor --name no-ref\nmlwork.monitor(deployment='iris')")
    finally:
        dep.stop()
    message = str(res.error_in_exec)
    assert "reference=" in message
    assert "\n" not in message
    run = next(r for r in store().runs() if r.name == "no-ref")
    assert run.metrics == {}
