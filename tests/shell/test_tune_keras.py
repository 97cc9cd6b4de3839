"""`%%mlwork tune` around keras-tuner and AutoKeras searches: real (tiny) searches in a shell."""

from __future__ import annotations

import copy
import json

import pytest

from mlwork_jupyter.cli import main

pytestmark = pytest.mark.tensorflow

SETUP = """
import numpy as np
import keras
import keras_tuner
keras.utils.set_random_seed(0)
X = np.random.default_rng(0).random((64, 4)).astype("float32")
y = (X[:, 0] > 0.5).astype("int32")

def build(hp):
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(hp.Int("units", 2, 8, step=2), activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(hp.Choice("lr", [1e-2, 1e-3])),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

class Broken(keras_tuner.HyperModel):
    def __init__(self, error, fail_from=0):
        super().__init__()
        self.error, self.fail_from, self.calls = error, fail_from, 0
    def build(self, hp):
        return build(hp)
    def fit(self, hp, model, *args, **kwargs):
        self.calls += 1
        if self.calls > self.fail_from:
            raise self.error(f"broken fit {self.calls}")
        return model.fit(*args, **kwargs)
"""


def _tuner(
    kind: str = "RandomSearch", model: str = "build", trials: int = 3, **extra: object
) -> str:
    settings = ", ".join(f"{k}={v!r}" for k, v in extra.items())
    budget = "max_epochs=2" if kind == "Hyperband" else f"max_trials={trials}"
    return (
        f"tuner = keras_tuner.{kind}({model}, objective='val_accuracy', {budget}, "
        f"directory='kt', project_name='{kind}', overwrite=True, seed=1"
        + (f", {settings}" if settings else "")
        + ")\n"
    )


SEARCH = "tuner.search(X, y, epochs=2, validation_split=0.25, verbose=0)\n"


@pytest.fixture
def kip(ip):
    assert ip.run_cell(SETUP).success
    return ip


def _trials(store, run):
    children = [r for r in store.runs(include_children=True) if r.parent == run.id]
    return sorted(children, key=lambda r: r.trial["number"])


def test_random_search_records_each_trial_as_a_child_run(kip, store, tmp_path, capsys):
    res = kip.run_cell("%%mlwork tune --name rs\n" + _tuner() + SEARCH)
    assert res.success, res.error_in_exec
    s = store()
    [run] = s.runs()
    assert run.status == "ok"
    assert run.params["tuner"] == "RandomSearch"
    assert run.params["library"] == "keras-tuner"
    assert run.params["objective"] == "val_accuracy"
    assert run.params["direction"] == "max"
    assert run.params["max_trials"] == 3
    assert run.params["tuner.seed"] == 1
    assert set(run.params["search_space"]) == {"units", "lr"}
    assert run.params["search_space"]["units"]["type"] == "Int"
    trials = _trials(s, run)
    assert len(trials) == 3
    assert run.metrics["trials"] == 3
    assert run.metrics["trials_ok"] == 3
    for number, trial in enumerate(trials, 1):
        assert trial.stage == "tune"
        assert trial.status == "ok"
        assert trial.name == f"rs/{trial.trial['id']}"
        assert trial.trial["number"] == number
        assert trial.trial["status"] == "ok"
        assert set(trial.trial["params"]) == {"units", "lr"}
        assert trial.params["units"] == trial.trial["params"]["units"]
        assert trial.metrics["score"] == trial.trial["score"]
        assert [step for step, _ in s.series(trial.id)["val_accuracy"]] == [1, 2]
        assert trial.trial["best_step"] in (0, 1)
    best = max(trials, key=lambda t: t.trial["score"])
    assert run.metrics["best_score"] == pytest.approx(best.trial["score"])
    assert run.params["best_trial"] == best.trial["id"]
    assert run.params["best_hyperparameters"] == best.trial["params"]
    assert not any(key.startswith("fit") for key in s.series(run.id))  # trials' fits are theirs
    [artifact] = run.artifacts
    assert artifact.name.endswith(".keras")
    assert (tmp_path / artifact.path).stat().st_size > 0
    assert not [i for i in run.inputs if i.kind == "file"]  # tracebacks read no data

    capsys.readouterr()
    assert main(["show", run.id, "--store", str(tmp_path / ".mlwork"), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [t["trial"] for t in shown["trials"]] == [t.trial["id"] for t in trials]
    assert {"status", "params", "score", "best_step", "duration_s"} <= set(shown["trials"][0])
    assert main(["runs", "--store", str(tmp_path / ".mlwork"), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["parent"] for r in listed] == [None, run.id, run.id, run.id]


def test_a_second_search_in_the_cell_is_a_second_group_of_one_run(kip, store):
    code = _tuner(trials=2) + SEARCH + _tuner("GridSearch", trials=2) + SEARCH
    assert kip.run_cell("%%mlwork tune --name two\n" + code).success
    s = store()
    [run] = s.runs()
    ids = [t.trial["id"] for t in _trials(s, run)]
    assert len(ids) == 4
    assert not ids[0].startswith("search2/")
    assert all(i.startswith("search2/") for i in ids[2:])
    assert run.params["search2/tuner"] == "GridSearch"


@pytest.mark.parametrize("kind", ["BayesianOptimization", "Hyperband", "GridSearch"])
def test_every_tuner_class_is_captured(kip, store, kind):
    assert kip.run_cell("%%mlwork tune\n" + _tuner(kind, trials=2) + SEARCH).success
    s = store()
    [run] = s.runs()
    trials = _trials(s, run)
    assert trials
    assert all(t.trial["status"] == "ok" for t in trials)
    assert run.params["tuner"] == kind


def test_a_custom_tuner_without_keras_fits_is_captured(kip, store):
    code = (
        "class Quadratic(keras_tuner.Tuner):\n"
        "    def run_trial(self, trial):\n"
        "        x = trial.hyperparameters.Float('x', -1, 1)\n"
        "        return {'score': (x - 0.3) ** 2}\n"
        "tuner = Quadratic(oracle=keras_tuner.oracles.RandomSearchOracle("
        "objective=keras_tuner.Objective('score', 'min'), max_trials=4, seed=2),"
        " directory='kt', project_name='q', overwrite=True)\n"
        "tuner.search()\n"
    )
    assert kip.run_cell("%%mlwork tune --name custom\n" + code).success
    s = store()
    [run] = s.runs()
    trials = _trials(s, run)
    assert len(trials) == 4
    scores = [t.trial["score"] for t in trials]
    assert run.metrics["best_score"] == pytest.approx(min(scores))
    assert run.params["direction"] == "min"
    assert not run.artifacts  # no model to keep


def test_a_search_whose_trials_all_fail_ends_the_run_in_error(kip, store):
    code = _tuner(model="Broken(ValueError)", trials=2) + SEARCH + "after = True\n"
    res = kip.run_cell("%%mlwork tune --name bad\n" + code)
    assert res.success  # the search itself raised nothing: the cell went on
    assert kip.user_ns["after"] is True
    s = store()
    [run] = s.runs()
    assert run.status == "error"
    assert run.error.startswith("all 2 trials failed: ValueError: broken fit")
    for trial in _trials(s, run):
        assert trial.status == "error"
        assert trial.trial["status"] == "failed"
        assert "broken fit" in trial.trial["message"]
        assert trial.trial["score"] is None


def test_reaching_max_consecutive_failed_trials_is_the_run_error(kip, store):
    code = _tuner(model="Broken(keras_tuner.errors.FailedTrialError)", trials=6) + SEARCH
    res = kip.run_cell("%%mlwork tune --name limit\n" + code)
    assert isinstance(res.error_in_exec, RuntimeError)
    s = store()
    [run] = s.runs()
    assert run.status == "error"
    assert run.error == "RuntimeError: Number of consecutive failures exceeded the limit of 3."
    assert [t.trial["status"] for t in _trials(s, run)] == ["failed"] * 3


def test_interrupting_a_search_keeps_completed_trials_and_restores_keras_tuner(kip, store):
    from keras_tuner.src import utils
    from keras_tuner.src.engine import base_tuner, oracle

    before = (
        oracle.Oracle.__dict__["create_trial"],
        oracle.Oracle.__dict__["end_trial"],
        base_tuner.BaseTuner.__dict__["search"],
        utils.try_clear,
    )
    code = _tuner(model="Broken(KeyboardInterrupt, fail_from=1)", trials=3) + SEARCH
    res = kip.run_cell("%%mlwork tune --name stop\n" + code)
    assert isinstance(res.error_in_exec, KeyboardInterrupt)
    s = store()
    [run] = s.runs()
    assert run.status == "interrupted"
    statuses = [t.trial["status"] for t in _trials(s, run)]
    assert statuses == ["ok", "interrupted"]
    after = (
        oracle.Oracle.__dict__["create_trial"],
        oracle.Oracle.__dict__["end_trial"],
        base_tuner.BaseTuner.__dict__["search"],
        utils.try_clear,
    )
    assert after == before


def test_callbacks_given_to_search_are_deep_copied_with_ours_working(kip, store):
    code = _tuner(trials=2) + (
        "tuner.search(X, y, epochs=3, validation_split=0.25, verbose=0,"
        " callbacks=[keras.callbacks.EarlyStopping(patience=5)])\n"
    )
    assert kip.run_cell("%%mlwork tune --name cb\n" + code).success
    s = store()
    [run] = s.runs()
    for trial in _trials(s, run):
        assert len(s.series(trial.id)["loss"]) == 3

    from mlwork_jupyter.ml.keras_capture import callback_class, recorder_for

    recorder = recorder_for(_Nowhere())
    ours = callback_class()(recorder)
    clone = copy.deepcopy(ours)
    assert clone is not ours
    assert clone.recorder is recorder


class _Nowhere:
    """A reporter that keeps nothing (the deep-copy check needs only a recorder)."""

    def __getattr__(self, name: str):
        return lambda *args, **kwargs: None


def test_autokeras_final_fit_is_the_tune_runs_model_not_a_trial(kip, store, tmp_path):
    kip.run_cell(
        "from sklearn.datasets import load_breast_cancer\n"
        "Xb, yb = load_breast_cancer(return_X_y=True)\n"
        "Xb, yb = Xb[:160].astype('float32'), yb[:160]\n"
    )
    code = (
        "import autokeras as ak\n"
        "clf = ak.StructuredDataClassifier(max_trials=2, directory='ak', overwrite=True, seed=1)\n"
        "clf.fit(Xb, yb, epochs=1, validation_split=0.2, verbose=0)\n"
    )
    res = kip.run_cell("%%mlwork tune --name ak\n" + code)
    assert res.success, res.error_in_exec
    s = store()
    [run] = s.runs()
    assert run.params["library"] == "autokeras"
    trials = _trials(s, run)
    assert len(trials) == 2
    assert "loss" in run.metrics  # the final fit reports to the tune run
    assert [step for step, _ in s.series(run.id)["loss"]] == [1]
    [artifact] = run.artifacts
    assert artifact.name.endswith(".keras")
