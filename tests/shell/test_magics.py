import sys

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from mlwork_jupyter.errors import NoActiveRunError
from mlwork_jupyter.provenance.record import RECORD_MIME


def _record_outputs(captured):
    return [o.data[RECORD_MIME] for o in captured.outputs if RECORD_MIME in o.data]


def test_data_cell_records_values_read_and_written(ip, store):
    ip.run_cell("import numpy as np\nimport pandas as pd\ndf = pd.DataFrame({'a': [1, 2, 3]})")
    with capture_output() as cap:
        res = ip.run_cell("%%mlwork data --name double\ndoubled = df * 2\narr = np.arange(4)")
    assert res.success
    [card] = _record_outputs(cap)
    assert card["status"] == "ok"
    assert card["name"] == "double"
    assert [r["name"] for r in card["inputs"]] == ["df"]
    assert sorted(r["name"] for r in card["outputs"]) == ["arr", "doubled"]
    runs = store().runs()
    assert len(runs) == 1
    run = runs[0]
    assert run.stage == "data"
    assert run.status == "ok"
    assert {r.name for r in run.outputs} == {"doubled", "arr"}
    assert run.code == "doubled = df * 2\narr = np.arange(4)"
    assert run.env_hash
    assert store().environment(run.env_hash)["python"]


def test_in_place_change_is_a_write(ip, store):
    ip.run_cell("import pandas as pd\ndf = pd.DataFrame({'a': [1.0, 2.0]})")
    ip.run_cell("%%mlwork data --name scale\ndf['a'] = df['a'] * 10")
    run = store().runs()[0]
    assert [r.name for r in run.inputs] == ["df"]
    assert [r.name for r in run.outputs] == ["df"]
    assert run.inputs[0].fingerprint != run.outputs[0].fingerprint


def test_files_read_and_written_are_fingerprinted(ip, store, tmp_path):
    (tmp_path / "in.csv").write_text("a,b\n1,2\n")
    ip.run_cell(
        "%%mlwork data --name copy\nimport pandas as pd\n"
        "frame = pd.read_csv('in.csv')\nframe.to_csv('out.csv', index=False)"
    )
    run = store().runs()[0]
    assert [r.name for r in run.inputs if r.kind == "file"] == ["in.csv"]
    assert [r.name for r in run.outputs if r.kind == "file"] == ["out.csv"]
    assert all(len(r.fingerprint) == 32 for r in run.inputs + run.outputs)


def test_last_expression_is_the_cell_result(ip):
    res = ip.run_cell("%%mlwork data\nx = 20\nx + 1", store_history=True)
    assert res.result == 21
    quiet = ip.run_cell("%%mlwork data\nx + 1;", store_history=True)
    assert quiet.result is None


def test_unknown_stage_suggests_the_closest_and_runs_nothing(ip, store, tmp_path):
    res = ip.run_cell("%%mlwork trian\nran = True")
    assert isinstance(res.error_before_exec, UsageError)
    assert "did you mean 'train'" in str(res.error_before_exec)
    assert "\n" not in str(res.error_before_exec)
    assert "ran" not in ip.user_ns
    assert not (tmp_path / ".mlwork").exists() or store().count() == 0


def test_unknown_flag_is_a_usage_error(ip, tmp_path):
    res = ip.run_cell("%%mlwork data --epochs 3\nran = True")
    assert isinstance(res.error_before_exec, UsageError)
    assert "unrecognized arguments: --epochs 3" in str(res.error_before_exec)
    assert "ran" not in ip.user_ns


def test_line_magic_with_a_stage_explains(ip):
    res = ip.run_cell("%mlwork data")
    assert isinstance(res.error_in_exec, UsageError)
    assert "%%mlwork data" in str(res.error_in_exec)


def test_api_outside_a_run_is_a_one_line_error(ip):
    res = ip.run_cell("import mlwork_jupyter as mlwork\nmlwork.log_param('a', 1)")
    assert isinstance(res.error_in_exec, NoActiveRunError)
    assert "inside a `%%mlwork STAGE` cell" in str(res.error_in_exec)


def test_user_exception_keeps_its_traceback_and_is_recorded(ip, store):
    with capture_output() as cap:
        res = ip.run_cell("%%mlwork train --name boom\nx = 1\nraise ValueError('bad value')")
    assert isinstance(res.error_in_exec, ValueError)
    rendered = cap.stdout
    assert "bad value" in rendered
    assert "mlwork_jupyter" not in rendered
    assert "line 3" in rendered  # the cell's own line numbering
    run = store().runs()[0]
    assert run.status == "error"
    assert run.error == "ValueError: bad value"


def test_keyboard_interrupt_is_recorded_as_interrupted(ip, store):
    res = ip.run_cell("%%mlwork train\nraise KeyboardInterrupt")
    assert isinstance(res.error_in_exec, KeyboardInterrupt)
    assert store().runs()[0].status == "interrupted"


def test_params_and_metrics_from_the_api(ip, store):
    ip.run_cell(
        "%%mlwork train --name api\nimport mlwork_jupyter as mlwork\n"
        "mlwork.log_params({'lr': 0.1}, layers=2)\nmlwork.log_metric('loss', 0.5, step=1)\n"
        "mlwork.log_metrics(acc=0.9)"
    )
    run = store().runs()[0]
    assert run.params == {"lr": 0.1, "layers": 2}
    assert run.metrics == {"loss": 0.5, "acc": 0.9}
    assert store().series(run.id) == {"loss": [(1, 0.5)]}


def test_sklearn_fit_captured_and_restored(ip, store):
    from sklearn.linear_model import LogisticRegression

    original = LogisticRegression.fit
    ip.run_cell(
        "%%mlwork train --name lr\nimport numpy as np\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "X = np.random.default_rng(0).random((40, 3)); y = (X[:, 0] > 0.5).astype(int)\n"
        "clf = LogisticRegression(C=0.5).fit(X, y)"
    )
    assert LogisticRegression.fit is original
    run = store().runs()[0]
    assert run.params["estimator"] == "sklearn.linear_model._logistic.LogisticRegression"
    assert run.params["LogisticRegression.C"] == 0.5
    assert "LogisticRegression.fit_seconds" in run.metrics
    ip.run_cell("%%mlwork train --name fails\nLogisticRegression().fit(None, None)")
    assert LogisticRegression.fit is original


def test_staleness_warning_when_a_value_changed_outside_a_recorded_cell(ip, capfd):
    ip.run_cell("%%mlwork data --name make\nimport numpy as np\nfeatures = np.ones(5)")
    ip.run_cell("features[0] = 7")  # a plain cell changes it in place
    capfd.readouterr()
    ip.run_cell("%%mlwork train --name use\ntotal = features.sum()")
    err = capfd.readouterr().err
    assert "`features` is not what data run 'make'" in err


def test_staleness_warning_when_an_upstream_cell_reran(ip, capfd):
    ip.run_cell("%%mlwork data --name raw\nimport numpy as np\nraw = np.arange(5)")
    ip.run_cell("%%mlwork data --name feat\nfeat = raw * 2")
    ip.run_cell("%%mlwork data --name raw\nraw = np.arange(6)")
    capfd.readouterr()
    ip.run_cell("%%mlwork train --name use\nfeat.sum()")
    err = capfd.readouterr().err
    assert "`feat` was made by data run 'feat' (" in err
    assert "from an older `raw`" in err


def test_corrupt_store_keeps_the_cell_running(ip, tmp_path):
    (tmp_path / ".mlwork").mkdir()
    (tmp_path / ".mlwork" / "mlwork.sqlite").write_bytes(b"garbage" * 1000)
    with capture_output() as cap:
        res = ip.run_cell("%%mlwork data\nvalue = 42")
    assert res.success
    assert ip.user_ns["value"] == 42
    [card] = _record_outputs(cap)
    assert card["status"] == "ok"
    assert any("store unavailable" in w for w in card["warnings"])
    assert all("\n" not in w for w in card["warnings"])


def test_unwritable_store_keeps_the_cell_running(ip, tmp_path):
    (tmp_path / "blocker").write_text("a file where the store folder should be")
    ip.run_line_magic("config", f"MlworkMagics.store_dir = {str(tmp_path / 'blocker')!r}")
    with capture_output() as cap:
        res = ip.run_cell("%%mlwork data\nvalue = 43")
    assert res.success
    assert ip.user_ns["value"] == 43
    [card] = _record_outputs(cap)
    assert any("store unavailable" in w for w in card["warnings"])


def test_html_in_names_is_escaped(ip):
    evil = "<img src=x onerror=alert(1)>"
    with capture_output() as cap:
        ip.run_cell(
            f"%%mlwork evaluate --name '{evil}'\nimport mlwork_jupyter as mlwork\n"
            f"mlwork.log_metric({evil!r}, 1.0)\nmlwork.log_param({evil!r}, {evil!r})"
        )
    html = next(o.data["text/html"] for o in cap.outputs if RECORD_MIME in o.data)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_runs_show_diff_line_magics(ip, store):
    ip.run_cell("%%mlwork data --name a\nimport numpy as np\nv = np.arange(3)")
    ip.run_cell("%%mlwork data --name a\nv = np.arange(4)")
    with capture_output() as cap:
        ip.run_line_magic("mlwork", "runs")
    text = cap.outputs[0].data["text/plain"]
    runs = store().runs()
    assert all(r.id[-8:] in text for r in runs)  # the eight characters cards show
    with capture_output() as cap:
        ip.run_line_magic("mlwork", f"diff {runs[0].id} {runs[1].id}")
    text = cap.outputs[0].data["text/plain"]
    assert "-v = np.arange(3)" in text
    assert "+v = np.arange(4)" in text
    with capture_output() as cap:
        ip.run_line_magic("mlwork", "show last")
    assert runs[1].id in cap.outputs[0].data["text/plain"]
    with pytest.raises(UsageError, match="no run matches"):
        ip.run_line_magic("mlwork", "show NOPE")


def test_seed_is_recorded(ip, store):
    ip.run_line_magic("mlwork", "seed 7")
    ip.run_cell("%%mlwork data\nimport random\nr = random.random()")
    run = store().runs()[0]
    assert store().environment(run.env_hash)["seeds"]["python"] == 7


def test_help_names_every_stage(ip, capsys):
    ip.run_line_magic("mlwork", "help")
    out = capsys.readouterr().out
    for stage in ("data", "train", "tune", "evaluate", "deploy", "monitor"):
        assert stage in out


def test_provenance_imports_neither_ipython_nor_tensorflow():
    import subprocess

    code = (
        "import sys, mlwork_jupyter.provenance.store, mlwork_jupyter.provenance.record\n"
        "import mlwork_jupyter.provenance.notebook\n"
        "bad = [m for m in ('IPython', 'tensorflow', 'keras') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_load_ext_does_not_import_tensorflow():
    import subprocess

    code = (
        "import sys\nfrom IPython.testing.globalipapp import start_ipython\n"
        "ip = start_ipython()\nip.run_line_magic('load_ext', 'mlwork_jupyter')\n"
        "assert 'mlwork' in ip.magics_manager.magics['cell']\n"
        "bad = [m for m in ('tensorflow', 'keras', 'detect_secrets') if m in sys.modules]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_sklearn_imported_inside_the_train_cell_is_captured(tmp_path):
    import subprocess

    code = f"""
from IPython.testing.globalipapp import start_ipython
ip = start_ipython()
ip.run_line_magic("load_ext", "mlwork_jupyter")
ip.run_line_magic("config", "MlworkMagics.store_dir = {str(tmp_path / "store")!r}")
assert "sklearn" not in __import__("sys").modules
res = ip.run_cell('''%%mlwork train --name fresh
from sklearn.tree import DecisionTreeClassifier
tree = DecisionTreeClassifier(max_depth=2).fit([[0], [1], [2], [3]], [0, 0, 1, 1])''')
assert res.success, res.error_in_exec
from mlwork_jupyter.provenance.store import Store
[run] = Store({str(tmp_path / "store")!r}).runs()
assert run.params["DecisionTreeClassifier.max_depth"] == 2, run.params
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_param_declarations_are_recorded_as_the_source_says(ip, store):
    ip.run_cell(
        "%%mlwork train --name declared\n"
        'lr = 1e-3  # @param {type:"slider", min:1e-5, max:1e-1, log:true}\n'
        'optimizer = "adam"  # @param ["adam", "sgd"]\n'
        'epochs = 2 * 10  # @param {type:"raw"}\n'
        "plain = 5\n"
        "lr = lr * 2"
    )
    run = store().runs()[0]
    assert run.params == {"lr": 1e-3, "optimizer": "adam", "epochs": "2 * 10"}
