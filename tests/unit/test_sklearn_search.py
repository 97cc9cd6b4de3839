"""scikit-learn search capture: real searches on iris at the smallest size, reported to memory."""

from __future__ import annotations

import json
import pickle
import threading
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pytest
from joblib import parallel_backend
from scipy.stats import loguniform
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    RandomizedSearchCV,
    _search,
    _search_successive_halving,
    cross_val_score,
)
from sklearn.tree import DecisionTreeClassifier

from mlwork_jupyter.ml.sklearn import capture_fits
from mlwork_jupyter.ml.tuning import SearchInfo, TrialResult
from mlwork_jupyter.ml.tuning.sklearn_search import capture_sklearn_searches


@dataclass
class RecordingReporter:
    """A `TuningReporter` that keeps every call, in order, as ``(method, arguments)``."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _keep(self, method: str, *args: Any) -> None:
        with self.lock:
            self.calls.append((method, args))

    def search_begin(self, info: SearchInfo) -> None:
        self._keep("search_begin", info)

    def trial_begin(self, trial_id: str, params: Any) -> None:
        self._keep("trial_begin", trial_id, dict(params))

    def trial_end(self, trial_id: str, result: TrialResult) -> None:
        self._keep("trial_end", trial_id, result)

    def search_end(self, *, error: str | None = None, best_model: Any = None) -> None:
        self._keep("search_end", error, best_model)

    def warn(self, message: str) -> None:
        self._keep("warn", message)

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def of(self, method: str) -> list[tuple[Any, ...]]:
        return [args for name, args in self.calls if name == method]

    def trials(self) -> list[tuple[str, dict[str, Any], TrialResult]]:
        """Return ``(id, params, result)`` per trial, checking begin and end come in pairs."""
        found = []
        for begin, end in zip(self.of("trial_begin"), self.of("trial_end"), strict=True):
            assert begin[0] == end[0]
            found.append((begin[0], begin[1], end[1]))
        return found

    def assert_json(self) -> None:
        for method, args in self.calls:
            if method in ("search_begin", "trial_end"):
                json.dumps(asdict(args[-1]), allow_nan=False)
            elif method == "trial_begin":
                json.dumps(args[1], allow_nan=False)


class BoomError(RuntimeError):
    """Raised by `Boom.fit`."""


BOOM = BoomError("the user's fit failed")


class Boom(ClassifierMixin, BaseEstimator):
    """A classifier whose fit raises `BOOM`, or `KeyboardInterrupt` when asked to."""

    def __init__(self, interrupt: bool = False) -> None:  # noqa: FBT001, FBT002
        self.interrupt = interrupt

    def fit(self, X, y):  # noqa: N803 - scikit-learn's names
        if self.interrupt:
            raise KeyboardInterrupt
        raise BOOM


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def tree():
    return DecisionTreeClassifier(random_state=0)


def originals():
    """What the capture patches, as it is now."""
    return (
        _search.BaseSearchCV.__dict__["fit"],
        _search_successive_halving.BaseSuccessiveHalving.__dict__["fit"],
        _search.GridSearchCV.__dict__["_run_search"],
        _search._warn_or_raise_about_fit_failures,
        DecisionTreeClassifier.__dict__["fit"],
    )


@pytest.fixture
def restored():
    before = originals()
    yield
    assert all(a is b for a, b in zip(originals(), before, strict=True))


def test_grid_search_reports_the_search_and_one_trial_per_candidate(iris, restored):
    reporter = RecordingReporter()
    grid = {"max_depth": [1, 2], "criterion": ["gini", "entropy"]}
    with capture_sklearn_searches(reporter):
        search = GridSearchCV(tree(), grid, cv=3).fit(*iris)
    assert "_run_search" not in vars(search)
    assert reporter.methods() == ["search_begin"] + ["trial_begin", "trial_end"] * 4 + [
        "search_end"
    ]
    (info,) = reporter.of("search_begin")[0]
    assert info == SearchInfo(
        library="scikit-learn",
        tuner="GridSearchCV",
        objective="mean_test_score",
        direction="max",
        max_trials=4,
        space={"max_depth": [1, 2], "criterion": ["gini", "entropy"]},
        settings=info.settings,
    )
    assert info.settings["cv"] == 3
    assert info.settings["scoring"] == "accuracy"
    assert info.settings["refit"] is True
    assert info.settings["estimator"] == "DecisionTreeClassifier"
    results = search.cv_results_
    trials = reporter.trials()
    assert [t[0] for t in trials] == ["0", "1", "2", "3"]
    for row, (_, params, result) in enumerate(trials):
        assert params == results["params"][row]
        assert result.status == "ok"
        assert result.score == pytest.approx(results["mean_test_score"][row])
        for key in ("std_test_score", "split2_test_score", "mean_fit_time", "rank_test_score"):
            assert result.metrics[key] == pytest.approx(results[key][row])
        took = (results["mean_fit_time"][row] + results["mean_score_time"][row]) * 3
        assert result.duration_s == pytest.approx(took)
    error, best_model = reporter.of("search_end")[0]
    assert error is None
    assert best_model() is search.best_estimator_
    reporter.assert_json()
    uncaptured = GridSearchCV(tree(), grid, cv=3).fit(*iris)
    assert uncaptured.best_params_ == search.best_params_


def test_randomized_search_describes_distributions_and_plain_params(iris, restored):
    reporter = RecordingReporter()
    space = {"ccp_alpha": loguniform(1e-3, 1e-1), "max_depth": [1, 2, 3]}
    with capture_sklearn_searches(reporter):
        search = RandomizedSearchCV(tree(), space, n_iter=3, cv=2, random_state=0).fit(*iris)
    (info,) = reporter.of("search_begin")[0]
    assert info.tuner == "RandomizedSearchCV"
    assert info.max_trials == 3
    assert info.space == {"ccp_alpha": "loguniform(0.001, 0.1)", "max_depth": [1, 2, 3]}
    assert info.settings["n_iter"] == 3
    assert info.settings["random_state"] == 0
    trials = reporter.trials()
    assert len(trials) == 3
    alphas = [params["ccp_alpha"] for _, params, _ in trials]
    assert all(type(alpha) is float for alpha in alphas)
    assert alphas == pytest.approx([p["ccp_alpha"] for p in search.cv_results_["params"]])
    assert all(result.metrics["split1_test_score"] >= 0 for *_, result in trials)
    reporter.assert_json()


def test_a_small_grid_of_lists_bounds_randomized_trials(iris):
    reporter = RecordingReporter()
    with capture_sklearn_searches(reporter), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # n_iter=10 is more than the grid
        RandomizedSearchCV(tree(), {"max_depth": [1, 2]}, n_iter=10, cv=2).fit(*iris)
    assert reporter.of("search_begin")[0][0].max_trials == 2
    assert len(reporter.trials()) == 2


def test_halving_reports_each_round_while_the_search_runs(iris, restored):
    reporter = RecordingReporter()
    fitted: list[bool] = []
    search = HalvingGridSearchCV(
        tree(), {"max_depth": [1, 2, 3, 4]}, cv=2, factor=2, min_resources=30, random_state=0
    )
    keep = reporter.trial_end

    def trial_end(trial_id, result):
        fitted.append("cv_results_" in vars(search))
        keep(trial_id, result)

    reporter.trial_end = trial_end
    with capture_sklearn_searches(reporter):
        search.fit(*iris)
    (info,) = reporter.of("search_begin")[0]
    assert info.tuner == "HalvingGridSearchCV"
    assert info.max_trials is None
    assert info.settings["factor"] == 2
    assert info.settings["min_resources"] == 30
    trials = reporter.trials()
    results = search.cv_results_
    assert len(trials) == len(results["params"]) == 4 + 2 + 1
    assert not any(fitted)  # every trial was reported before fit set cv_results_
    ids = [trial_id for trial_id, _, _ in trials]
    assert ids[:4] == ["iter0/00", "iter0/01", "iter0/02", "iter0/03"]
    for trial_id, params, result in trials[4:]:
        first = ids.index(f"iter0/{trial_id.split('/')[1]}")
        assert params == trials[first][1]  # a candidate keeps its number across rounds
        assert result.metrics["n_resources"] > 30
    assert [t[0].split("/")[0] for t in trials] == ["iter0"] * 4 + ["iter1"] * 2 + ["iter2"]
    assert trials[0][2].metrics["n_resources"] == 30
    assert "split0_train_score" in trials[0][2].metrics  # return_train_score is its default
    assert reporter.of("search_end")[0][1]() is search.best_estimator_


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_a_failing_candidate_is_a_failed_trial_with_sklearns_reason(iris, restored):
    reporter = RecordingReporter()
    with capture_sklearn_searches(reporter), pytest.warns(FitFailedWarning):
        GridSearchCV(tree(), {"max_depth": [2, -1]}, cv=3, error_score=np.nan).fit(*iris)
    (_, _, ok), (_, params, failed) = reporter.trials()
    assert ok.status == "ok"
    assert params == {"max_depth": -1}
    assert failed.status == "failed"
    assert failed.score is None
    assert failed.message.startswith("fit failed on 3 of 3 splits: InvalidParameterError: ")
    assert "max_depth" in failed.message
    assert "\n" not in failed.message
    assert "split0_test_score" not in failed.metrics  # NaN is no metric
    assert reporter.of("search_end")[0][0] is None
    reporter.assert_json()


def test_multi_metric_scoring_reports_the_refit_metric(iris):
    reporter = RecordingReporter()
    with capture_sklearn_searches(reporter):
        search = GridSearchCV(
            tree(), {"max_depth": [1, 3]}, cv=2, scoring=["accuracy", "f1_macro"], refit="f1_macro"
        ).fit(*iris)
    (info,) = reporter.of("search_begin")[0]
    assert info.objective == "mean_test_f1_macro"
    assert info.settings["scoring"] == ["accuracy", "f1_macro"]
    assert info.settings["refit"] == "f1_macro"
    for row, (_, _, result) in enumerate(reporter.trials()):
        assert result.score == pytest.approx(search.cv_results_["mean_test_f1_macro"][row])
        for key in ("mean_test_accuracy", "split1_test_accuracy", "rank_test_f1_macro"):
            assert key in result.metrics
        assert "mean_test_f1_macro" not in result.metrics  # it is the score
    assert reporter.of("search_end")[0][1]() is search.best_estimator_


def test_without_refit_there_is_no_best_model(iris):
    reporter = RecordingReporter()
    with capture_sklearn_searches(reporter):
        GridSearchCV(tree(), {"max_depth": [1, 3]}, cv=2, refit=False).fit(*iris)
    assert reporter.of("search_end") == [(None, None)]


def test_the_users_exception_propagates_and_ends_the_search(iris, restored):
    reporter = RecordingReporter()
    search = GridSearchCV(Boom(), {"interrupt": [False]}, cv=2, error_score="raise")
    with pytest.raises(BoomError) as raised, capture_sklearn_searches(reporter):
        search.fit(*iris)
    assert raised.value is BOOM
    assert reporter.methods() == ["search_begin", "search_end"]
    assert reporter.of("search_end") == [("BoomError: the user's fit failed", None)]
    assert "_run_search" not in vars(search)


def test_a_keyboard_interrupt_propagates_and_everything_is_restored(iris, restored):
    reporter = RecordingReporter()
    search = GridSearchCV(Boom(), {"interrupt": [True]}, cv=2, error_score=np.nan)
    with pytest.raises(KeyboardInterrupt), capture_sklearn_searches(reporter):
        search.fit(*iris)
    assert reporter.of("search_end") == [("KeyboardInterrupt", None)]
    with capture_sklearn_searches(reporter):
        GridSearchCV(tree(), {"max_depth": [1]}, cv=2).fit(*iris)  # not "inside a search"
    assert reporter.methods()[-1] == "search_end"
    assert len(reporter.of("search_begin")) == 2


def test_a_search_inside_a_search_is_reported_once(iris, restored):
    reporter = RecordingReporter()
    inner = GridSearchCV(tree(), {"max_depth": [1, 2]}, cv=2)
    with capture_sklearn_searches(reporter):
        outer = GridSearchCV(inner, {"estimator__criterion": ["gini", "entropy"]}, cv=2)
        outer.fit(*iris)
    (info,) = reporter.of("search_begin")[0]
    assert info.settings["estimator"] == "GridSearchCV"
    assert len(reporter.of("search_begin")) == len(reporter.of("search_end")) == 1
    trials = reporter.trials()
    assert [params for _, params, _ in trials] == [
        {"estimator__criterion": "gini"},
        {"estimator__criterion": "entropy"},
    ]


def test_cross_validating_a_search_reports_each_of_its_fits(iris):
    reporter = RecordingReporter()
    with capture_sklearn_searches(reporter):
        cross_val_score(GridSearchCV(tree(), {"max_depth": [1, 2]}, cv=2), *iris, cv=2)
    # No search contains them: each fit is an outermost search of its own.
    assert len(reporter.of("search_begin")) == 2
    assert len(reporter.trials()) == 4


class TunedSearch(GridSearchCV):
    """A user's search with its own `fit`."""

    def fit(self, X, y=None, **params):  # noqa: N803
        self.fitted_by_user = True
        return super().fit(X, y, **params)


def test_user_subclasses_are_reported_once_by_their_name(iris):
    class DefinedInTheBlock(GridSearchCV):
        pass

    reporter = RecordingReporter()
    with capture_sklearn_searches(reporter):

        class DefinedInside(TunedSearch):
            def fit(self, X, y=None, **params):  # noqa: N803
                return super().fit(X, y, **params)

        TunedSearch(tree(), {"max_depth": [1, 2]}, cv=2).fit(*iris)
        DefinedInside(tree(), {"max_depth": [1]}, cv=2).fit(*iris)
        DefinedInTheBlock(tree(), {"max_depth": [1]}, cv=2).fit(*iris)
    tuners = [args[0].tuner for args in reporter.of("search_begin")]
    assert tuners == ["TunedSearch", "DefinedInside", "DefinedInTheBlock"]
    assert reporter.of("search_begin")[0][0].max_trials == 2
    assert len(reporter.trials()) == 4
    assert TunedSearch.fit.__qualname__ == "TunedSearch.fit"
    for cls in (TunedSearch, DefinedInside, DefinedInTheBlock):
        assert "_run_search" not in cls.__dict__


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_a_parallel_search_is_reported_and_stays_picklable(iris, restored):
    search = GridSearchCV(tree(), {"max_depth": [1, -1]}, cv=2, n_jobs=2, error_score=np.nan)
    pickled = []

    class Pickling(RecordingReporter):
        def trial_end(self, trial_id, result):
            # With processes, fit pickles the search to each worker (``caller=self``).
            pickled.append(type(pickle.loads(pickle.dumps(search))).__name__)
            super().trial_end(trial_id, result)

    reporter = Pickling()
    with (
        capture_sklearn_searches(reporter),
        parallel_backend("threading", n_jobs=2),  # workers in threads: cheaper than processes
        pytest.warns(FitFailedWarning),
    ):
        search.fit(*iris)
    assert pickled == ["GridSearchCV", "GridSearchCV"]
    (_, _, ok), (_, _, failed) = reporter.trials()
    assert ok.score == pytest.approx(search.cv_results_["mean_test_score"][0])
    assert failed.message.startswith("fit failed on 2 of 2 splits: InvalidParameterError: ")
    assert len(reporter.of("search_begin")) == 1


@pytest.mark.parametrize("searches_first", [True, False])
def test_fit_capture_and_search_capture_compose_and_both_restore(iris, restored, searches_first):
    reporter = RecordingReporter()
    fits = []
    captures = [capture_sklearn_searches(reporter), capture_fits(fits.append)]
    first, second = captures if searches_first else captures[::-1]
    with first, second:
        search = GridSearchCV(tree(), {"max_depth": [1, 2]}, cv=2).fit(*iris)
    assert [fit.estimator for fit in fits] == ["sklearn.model_selection._search.GridSearchCV"]
    assert fits[0].ok
    assert len(reporter.trials()) == 2
    assert reporter.of("search_end")[0][1]() is search.best_estimator_


def test_a_broken_reporter_warns_and_never_breaks_the_fit(iris, restored):
    class Broken(RecordingReporter):
        def trial_end(self, trial_id, result):
            raise ValueError("the panel is gone")

    reporter = Broken()
    with capture_sklearn_searches(reporter):
        search = GridSearchCV(tree(), {"max_depth": [1, 2]}, cv=2).fit(*iris)
    assert hasattr(search, "best_estimator_")
    (message,) = reporter.of("warn")[0]
    assert message == "scikit-learn trials not reported (ValueError: the panel is gone)"
    assert reporter.methods()[-1] == "search_end"
