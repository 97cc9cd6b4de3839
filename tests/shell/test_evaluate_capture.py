"""An evaluate cell records what it computes: sklearn metric calls, `score`, Keras predict."""

import pytest

SETUP = """
import numpy as np
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
import sklearn.metrics as metrics
X, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=500).fit(X, y)
pred = model.predict(X)
"""


def test_metric_functions_and_score_become_metrics(ip, store):
    assert ip.run_cell(SETUP).success
    import sklearn.metrics

    original = sklearn.metrics.accuracy_score
    res = ip.run_cell(
        "%%mlwork evaluate --name scores\n"
        "acc = accuracy_score(y, pred)\n"
        "acc_head = accuracy_score(y[:50], pred[:50])\n"
        "f1 = f1_score(y, pred, average='macro')\n"
        "per_class = f1_score(y, pred, average=None)\n"
        "mae = metrics.mean_absolute_error(y, pred)\n"
        "s = model.score(X, y)"
    )
    assert res.success, res.error_in_exec
    [run] = store().runs()
    ns = ip.user_ns
    assert run.metrics == pytest.approx(
        {
            "accuracy": ns["acc"],
            "accuracy_2": ns["acc_head"],
            "f1_macro": ns["f1"],
            "mae": ns["mae"],
            "score": ns["s"],
        }
    )
    # Everything put back: the module's functions and the user's own names.
    assert sklearn.metrics.accuracy_score is original
    assert ns["accuracy_score"] is original
    assert ns["metrics"].f1_score is ns["f1_score"]


def test_metric_calls_outside_an_evaluate_cell_are_not_captured(ip, store):
    assert ip.run_cell(SETUP).success
    ip.run_cell("%%mlwork data --name d\nacc = accuracy_score(y, pred)")
    [run] = store().runs()
    assert run.metrics == {}


def test_a_wrapper_kept_past_the_cell_reports_nothing(ip, store):
    assert ip.run_cell(SETUP).success
    ip.run_cell("%%mlwork evaluate --name keep\nscorers = {'acc': accuracy_score}")
    ip.run_cell("%%mlwork data --name later\nv = scorers['acc'](y, pred)")
    later = next(r for r in store().runs() if r.name == "later")
    assert later.metrics == {}
    assert ip.user_ns["v"] == pytest.approx(
        ip.user_ns["model"].score(ip.user_ns["X"], ip.user_ns["y"])
    )


@pytest.mark.tensorflow
def test_keras_predict_rows_and_seconds(ip, store):
    assert ip.run_cell(
        "import numpy as np, keras\n"
        "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
        "x = np.zeros((40, 3), 'float32')"
    ).success
    res = ip.run_cell(
        "%%mlwork evaluate --name p\nout = m.predict(x, verbose=0)\nm.predict(x[:5], verbose=0);"
    )
    assert res.success, res.error_in_exec
    [run] = store().runs()
    assert run.metrics["predict/rows"] == 40
    assert run.metrics["predict2/rows"] == 5
    assert run.metrics["predict/seconds"] > 0
    import keras

    assert "predict" not in keras.Model.__dict__
