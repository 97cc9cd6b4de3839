"""FLAML `AutoML.fit` capture: real searches of a few trials on iris, reported to memory."""

from __future__ import annotations

import json
import math
import threading

import pytest
from sklearn.datasets import load_iris

from mlwork_jupyter.ml.sklearn import capture_fits
from mlwork_jupyter.ml.tuning.flaml_search import THREAD_NAME, capture_flaml

from .test_sklearn_search import RecordingReporter

automl_module = pytest.importorskip(
    "flaml.automl.automl", reason="needs flaml[automl]", exc_type=ImportError
)
AutoML = automl_module.AutoML

SMALL = {
    "task": "classification",
    "max_iter": 4,
    "time_budget": 30,
    "estimator_list": ["lgbm", "rf"],
    "verbose": 0,
}


class BoomError(RuntimeError):
    """Raised by the test metric."""


BOOM = BoomError("the user's metric failed")


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture
def restored():
    fit = AutoML.__dict__["fit"]
    yield
    assert AutoML.__dict__["fit"] is fit
    assert not [t for t in threading.enumerate() if t.name == THREAD_NAME]


def records(path):
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [line for line in lines if "record_id" in line]


def test_a_fit_without_a_log_logs_to_ours_and_reports_every_trial(iris, tmp_path, restored):
    reporter = RecordingReporter()
    fits = []
    automl = AutoML()
    original = AutoML.__dict__["fit"]
    with capture_fits(fits.append), capture_flaml(reporter, tmp_path / "logs"):
        assert AutoML.__dict__["fit"] is not original
        automl.fit(*iris, **SMALL)
    assert [fit.estimator for fit in fits] == ["flaml.automl.automl.AutoML"]
    methods = reporter.methods()
    assert methods[0] == "search_begin"
    assert methods[-1] == "search_end"
    assert "warn" not in methods
    (info,) = reporter.of("search_begin")[0]
    assert (info.library, info.tuner, info.objective, info.direction, info.max_trials) == (
        "flaml",
        "AutoML",
        "validation_loss",
        "min",
        4,
    )
    assert info.space == {"estimator_list": ["lgbm", "rf"]}
    settings = info.settings
    assert settings["time_budget"] == 30
    assert settings["max_iter"] == 4
    assert settings["task"] == "classification"
    assert settings["log_type"] == "all"
    (log,) = (tmp_path / "logs").iterdir()
    assert settings["log_file_name"] == str(log)
    logged = records(log)
    trials = reporter.trials()
    assert [t[0] for t in trials] == [str(r["record_id"]) for r in logged]
    assert len(trials) == 4
    for (_, params, result), record in zip(trials, logged, strict=True):
        assert params == {"learner": record["learner"], **record["config"], "sample_size": 150}
        assert result.status == "ok"
        assert result.score == pytest.approx(record["validation_loss"])
        assert result.duration_s == pytest.approx(record["trial_time"])
        assert result.elapsed_s == pytest.approx(record["wall_clock_time"])
        assert "pred_time" in result.metrics
    assert min(t[2].score for t in trials) == pytest.approx(automl.best_loss)
    error, best_model = reporter.of("search_end")[0]
    assert error is None
    assert best_model() is automl.model.estimator
    reporter.assert_json()


def test_the_users_log_is_followed_from_this_fits_records(iris, tmp_path, restored):
    theirs = tmp_path / "theirs.log"
    old = {"record_id": 99, "validation_loss": 0.5, "config": {}, "learner": "old"}
    theirs.write_text(json.dumps(old) + "\n")
    reporter = RecordingReporter()
    with capture_flaml(reporter, tmp_path / "logs"):
        AutoML().fit(*iris, **SMALL, log_file_name=str(theirs), log_type="all")
    assert not (tmp_path / "logs").exists()
    (info,) = reporter.of("search_begin")[0]
    assert info.settings["log_file_name"] == str(theirs)
    ids = [t[0] for t in reporter.trials()]
    assert ids == [str(r["record_id"]) for r in records(theirs)]
    assert "99" not in ids
    assert "warn" not in reporter.methods()


def test_log_type_better_is_followed_with_one_warning(iris, tmp_path, restored):
    reporter = RecordingReporter()
    automl = AutoML(log_file_name=str(tmp_path / "better.log"), verbose=0)
    with capture_flaml(reporter, tmp_path / "logs"):
        for _ in range(2):
            automl.fit(*iris, task="classification", max_iter=3, estimator_list=["lgbm"])
    (warning,) = reporter.of("warn")
    assert "log_type='better'" in warning[0]
    assert len(reporter.of("search_begin")) == 2
    assert reporter.of("search_begin")[1][0].settings["log_type"] == "better"
    scores = [result.score for *_, result in reporter.trials()]
    assert scores
    # Only improving trials are logged: each fit's scores decrease.
    first = len(records(tmp_path / "better.log"))
    assert scores[-first:] == sorted(scores[-first:], reverse=True)


def test_trials_are_reported_while_fit_runs_and_inf_is_a_failed_trial(iris, tmp_path, restored):
    reporter = RecordingReporter()
    reported = threading.Event()
    keep = reporter.trial_end

    def trial_end(trial_id, result):
        keep(trial_id, result)
        if threading.current_thread().name == THREAD_NAME:
            reported.set()

    reporter.trial_end = trial_end
    calls = []

    def metric(x_val, y_val, estimator, *args, **kwargs):
        calls.append(estimator)
        if len(calls) == 1:
            return math.inf, {"val_accuracy": 0.0}
        if any(records(log) for log in (tmp_path / "logs").iterdir()):
            reported.wait(10)  # the log has a record: the thread reports it while we wait
        accuracy = float((estimator.predict(x_val) == y_val).mean())
        return 1 - accuracy, {"val_accuracy": accuracy}

    with capture_flaml(reporter, tmp_path / "logs"):
        AutoML().fit(*iris, **{**SMALL, "max_iter": 3}, metric=metric, eval_method="holdout")
    assert reported.is_set()
    trials = reporter.trials()
    assert len(trials) == 3
    failed = trials[0][2]
    assert failed.status == "failed"
    assert failed.score is None
    assert failed.message == "validation_loss is inf"
    assert failed.metrics == {"val_accuracy": 0.0}
    assert all(result.status == "ok" for *_, result in trials[1:])
    assert reporter.methods()[-1] == "search_end"


@pytest.mark.parametrize("raised", [BOOM, KeyboardInterrupt()])
def test_the_users_exception_propagates_and_the_thread_stops(iris, tmp_path, restored, raised):
    def metric(*args, **kwargs):
        raise raised

    reporter = RecordingReporter()
    with pytest.raises(type(raised)) as info, capture_flaml(reporter, tmp_path / "logs"):
        AutoML().fit(*iris, **SMALL, metric=metric)
    assert info.value is raised
    assert reporter.methods() == ["search_begin", "search_end"]
    error, best_model = reporter.of("search_end")[0]
    assert error == (
        "BoomError: the user's metric failed" if raised is BOOM else "KeyboardInterrupt"
    )
    assert best_model is None
