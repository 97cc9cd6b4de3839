"""`mlwork.evaluate` in a real shell: metrics logged, deltas across runs, leakage, bad input."""

import pytest
from IPython.utils.capture import capture_output

from mlwork_jupyter.display.panel import PANEL_MIME

SETUP = """
import numpy as np
import pandas as pd
import mlwork_jupyter as mlwork
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
X, y = load_iris(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
"""
TRAIN = (
    "%%mlwork train --name forest\n"
    "model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train)"
)


def _panels(cap):
    return [o.data[PANEL_MIME] for o in cap.outputs if PANEL_MIME in o.data]


def test_evaluate_logs_metrics_shows_the_panel_and_checks_leakage(ip, store):
    assert ip.run_cell(SETUP).success
    assert ip.run_cell(TRAIN).success
    with capture_output() as cap:
        res = ip.run_cell(
            "%%mlwork evaluate --name forest-test\n"
            "ev = mlwork.evaluate(y_test, model.predict(X_test), X=X_test)"
        )
    assert res.success, res.error_in_exec
    ev = ip.user_ns["ev"]
    assert ev.task == "classification"
    assert ev.leakage.status == "checked"
    assert ev.leakage.rows == 0
    assert "X_train" in ev.leakage.detail
    assert ev.delta is None  # the first run of this name
    [panel] = _panels(cap)
    assert panel["kind"] == "evaluate"
    run = next(r for r in store().runs() if r.name == "forest-test")
    assert run.metrics["accuracy"] == pytest.approx(ev.metrics["accuracy"])
    assert run.params["evaluate.task"] == "classification"
    assert not run.warnings


def test_overlapping_split_is_reported_as_leakage(ip, store):
    assert ip.run_cell(SETUP).success
    assert ip.run_cell(TRAIN).success
    res = ip.run_cell(
        "%%mlwork evaluate --name leaky\n"
        "X_eval = pd.concat([X_test, X_train.iloc[:7]])\n"
        "y_eval = pd.concat([y_test, y_train.iloc[:7]])\n"
        "ev = mlwork.evaluate(y_eval, model.predict(X_eval), X=X_eval)"
    )
    assert res.success, res.error_in_exec
    ev = ip.user_ns["ev"]
    assert ev.leakage.rows >= 7  # iris has a few duplicate rows besides
    assert any(i >= len(ip.user_ns["X_test"]) for i in ev.leakage.examples)
    run = next(r for r in store().runs() if r.name == "leaky")
    assert any(w.startswith("leakage:") for w in run.warnings)


def test_without_lineage_the_check_says_it_could_not_run(ip):
    assert ip.run_cell(SETUP).success
    ip.run_cell("model = RandomForestClassifier(n_estimators=5).fit(X_train, y_train)")
    ip.run_cell("%%mlwork evaluate\nev = mlwork.evaluate(y_test, model.predict(X_test), X=X_test)")
    leak = ip.user_ns["ev"].leakage
    assert leak.status == "unavailable"
    assert "could not run" in leak.detail


def test_delta_and_best_across_two_runs_of_one_name(ip):
    assert ip.run_cell(SETUP).success
    ip.run_cell(
        "%%mlwork evaluate --name same\nfirst = mlwork.evaluate([0, 1, 1, 0], [0, 1, 0, 0])"
    )
    ip.run_cell(
        "%%mlwork evaluate --name same\nsecond = mlwork.evaluate([0, 1, 1, 0], [0, 1, 1, 0])"
    )
    first, second = ip.user_ns["first"], ip.user_ns["second"]
    assert first.delta is None
    assert second.delta["accuracy"] == pytest.approx(1.0 - 0.75)
    assert second.best["accuracy"] == 1.0


def test_bad_input_is_one_line_and_logs_nothing(ip, store):
    assert ip.run_cell(SETUP).success
    with capture_output() as cap:
        res = ip.run_cell("%%mlwork evaluate --name bad\nmlwork.evaluate([0, 1, 1], [0, 1])")
    assert res.error_in_exec is not None
    assert "mlwork_jupyter/" not in cap.stdout
    message = str(res.error_in_exec)
    assert "\n" not in message
    assert "y_pred has 2 rows but y_true has 3" in message
    [run] = store().runs()
    assert run.metrics == {}
    assert run.status == "error"


def test_evaluate_outside_a_run_is_the_one_line_error(ip):
    assert ip.run_cell(SETUP).success
    res = ip.run_cell("mlwork.evaluate([0, 1], [0, 1])")
    assert "mlwork.evaluate() needs a run" in str(res.error_in_exec)


def test_a_model_the_cell_reads_is_an_input_with_the_run_that_trained_it(ip, store):
    assert ip.run_cell(SETUP).success
    assert ip.run_cell(TRAIN).success
    assert ip.run_cell("other = RandomForestClassifier(n_estimators=3).fit(X_train, y_train)")
    res = ip.run_cell(
        "%%mlwork evaluate --name scored\n"
        "ev = mlwork.evaluate(y_test, model.predict(X_test))\n"
        "other.predict(X_test[:1])"
    )
    assert res.success, res.error_in_exec
    runs = {r.name: r for r in store().runs()}
    models = {r.name: r for r in runs["scored"].inputs if r.kind == "model"}
    assert set(models) == {"model", "other"}
    assert models["model"].fingerprint == runs["forest"].id
    assert models["model"].method == "run"
    assert models["model"].schema == {"class": "sklearn.ensemble._forest.RandomForestClassifier"}
    # Fitted in a plain cell: no run made it, and the record says so.
    assert (models["other"].fingerprint, models["other"].method) == ("", "unrecorded")
    # The train cell that bound `model` did not read it.
    assert not [r for r in runs["forest"].inputs if r.kind == "model"]
