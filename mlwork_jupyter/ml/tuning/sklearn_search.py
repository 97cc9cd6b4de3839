"""Capture of scikit-learn's hyper-parameter searches (`BaseSearchCV` subclasses) as trials."""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import inspect
import json
import math
import numbers
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import error_line
from mlwork_jupyter.ml.sklearn import _subclasses
from mlwork_jupyter.ml.tuning import SearchInfo, TrialResult
from mlwork_jupyter.provenance.record import json_safe

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import ModuleType

    from mlwork_jupyter.ml.tuning import TuningReporter

__all__ = ["capture_sklearn_searches"]

_FAILURES = "_warn_or_raise_about_fit_failures"  # sklearn's summary of the failed fits
_NOT_SETTINGS = ("estimator", "param_grid", "param_distributions")


def _warn(reporter: TuningReporter, message: str) -> None:
    with contextlib.suppress(Exception):
        reporter.warn(message)


def _json_value(value: Any) -> Any:
    """Return `value` as JSON: estimators and classes by name, distributions as short text."""
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if getattr(value, "ndim", 0) and callable(getattr(value, "tolist", None)):  # an array
        return _json_value(value.tolist())
    return _json_leaf(value)


def _json_leaf(value: Any) -> Any:
    if isinstance(value, type) or inspect.isfunction(value) or inspect.isbuiltin(value):
        return value.__qualname__
    if callable(getattr(value, "get_params", None)):  # an estimator, a kernel
        return type(value).__name__
    if callable(getattr(value, "rvs", None)):
        return _distribution(value)
    if callable(getattr(value, "item", None)) and getattr(value, "ndim", None) == 0:
        value = value.item()  # NumPy scalars: `np.float64` is a float that json_safe keeps
    return json_safe(value)


def _distribution(value: Any) -> str:
    """Describe a SciPy frozen distribution as ``"loguniform(0.001, 1)"``."""
    name = getattr(getattr(value, "dist", None), "name", None)
    if not isinstance(name, str):
        return type(value).__name__

    def text(arg: Any) -> str:
        arg = json_safe(arg)
        return f"{arg:.12g}" if isinstance(arg, float) else str(arg)

    args = [text(a) for a in getattr(value, "args", ())]
    args += [f"{k}={text(v)}" for k, v in getattr(value, "kwds", {}).items()]
    return f"{name}({', '.join(args)})"


def _number(value: Any) -> float | None:
    """Return `value` as a finite float, None for anything else (NaN, text, masked)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _reason(traceback: str) -> str | None:
    """Return the exception line of a formatted traceback (the line after its last frame)."""
    lines = [line for line in traceback.splitlines() if line.strip()]
    frames = [i for i, line in enumerate(lines) if line[0].isspace()]
    if not lines:
        return None
    at = frames[-1] + 1 if frames and frames[-1] + 1 < len(lines) else -1
    name, colon, message = lines[at].strip().partition(": ")
    if colon and "." in name and name.replace(".", "").isidentifier():
        name = name.rpartition(".")[2]  # ``sklearn.utils._param_validation.InvalidParameterError``
    return f"{name}{colon}{message}"


def _scoring_name(search: Any) -> Any:
    scoring = search.scoring
    if scoring is None:  # the estimator's own `score`
        base = importlib.import_module("sklearn.base")
        if base.is_classifier(search.estimator):
            return "accuracy"
        return "r2" if base.is_regressor(search.estimator) else "score"
    if isinstance(scoring, set | frozenset):
        return sorted(str(s) for s in scoring)
    if callable(scoring) and not inspect.isfunction(scoring):
        return json_safe(scoring)  # a scorer's repr: ``make_scorer(f1_score, ...)``
    return _json_value(scoring)


def _space(search: Any) -> dict[str, Any]:
    grid = getattr(search, "param_grid", None)
    if grid is None:
        grid = getattr(search, "param_distributions", None)
    if isinstance(grid, list | tuple) and len(grid) == 1:
        grid = grid[0]
    if isinstance(grid, Mapping):
        return {str(name): _json_value(values) for name, values in grid.items()}
    return {"grids": _json_value(grid)} if isinstance(grid, list | tuple) else {}


def _max_trials(search: Any, module: ModuleType) -> int | None:
    with contextlib.suppress(Exception):  # a bad grid: fit raises the user's error
        if isinstance(search, module.GridSearchCV):
            return len(module.ParameterGrid(search.param_grid))
        if isinstance(search, module.RandomizedSearchCV):
            sampler = module.ParameterSampler(
                search.param_distributions, search.n_iter, random_state=search.random_state
            )
            return len(sampler)  # fewer than n_iter for a small grid of lists
    return None


def _objective(search: Any) -> str | None:
    if not isinstance(search.scoring, list | tuple | set | frozenset | dict):
        return "mean_test_score"
    return f"mean_test_{search.refit}" if isinstance(search.refit, str) else None


def _search_info(search: Any, module: ModuleType) -> SearchInfo:
    params = search.get_params(deep=False)
    settings = {k: _json_value(v) for k, v in params.items() if k not in _NOT_SETTINGS}
    settings["estimator"] = type(search.estimator).__name__
    settings["scoring"] = _scoring_name(search)
    return SearchInfo(
        library="scikit-learn",
        tuner=type(search).__name__,
        objective=_objective(search),
        direction="max",
        max_trials=_max_trials(search, module),
        space=_space(search),
        settings=settings,
    )


class _Search:
    """One outermost search being reported: which rows of its results were reported."""

    def __init__(self, reporter: TuningReporter, search: Any, objective: str | None) -> None:
        self.reporter = reporter
        self.search = search
        self.thread = threading.get_ident()
        refit = search.refit
        keys = [objective, f"mean_test_{refit}" if isinstance(refit, str) else None]
        self.score_keys = [k for k in [*keys, "mean_test_score"] if k]
        resource = getattr(search, "resource", None)
        self.resource = resource if isinstance(resource, str) else None
        self.reported = 0
        self.fit_errors: list[str | None] | None = None  # sklearn's, for the last candidates
        self.numbers: dict[str, list[int]] = {}  # a halving candidate's params -> its numbers

    def evaluate(self, evaluate_candidates: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap sklearn's `evaluate_candidates`: report the rows each call adds."""

        @functools.wraps(evaluate_candidates)
        def evaluate(*args: Any, **kwargs: Any) -> Any:
            self.fit_errors = None
            results = evaluate_candidates(*args, **kwargs)
            self.report_rows(results)
            return results

        return evaluate

    def report_rows(self, results: Any) -> None:
        """Report every row of `results` (``cv_results_``) not reported yet; never raise."""
        try:
            rows = range(self.reported, len(results["params"]))
            splits = self._splits(results)
            errors = self.fit_errors
            if errors is None or len(errors) != len(rows) * len(splits):
                errors = None
            iteration_numbers: set[int] = set()
            for at, row in enumerate(rows):
                self.reported = row + 1
                trial_id = self._trial_id(results, row, iteration_numbers)
                params = {str(k): _json_value(v) for k, v in results["params"][row].items()}
                own = None if errors is None else errors[at * len(splits) : (at + 1) * len(splits)]
                self.reporter.trial_begin(trial_id, params)
                self.reporter.trial_end(trial_id, self._result(results, row, splits, own))
        except Exception as exc:
            _warn(self.reporter, f"scikit-learn trials not reported ({error_line(exc)})")

    def _splits(self, results: Mapping[str, Any]) -> list[str]:
        """Return the objective's per-split test columns (``split0_test_score``, ...)."""
        tests = [k for k in results if k.startswith("mean_test_")]
        metric = next((k for k in self.score_keys if k in results), tests[0] if tests else "")
        pattern = re.compile(rf"split\d+_test_{re.escape(metric.removeprefix('mean_test_'))}")
        return [key for key in results if pattern.fullmatch(key)]

    def _trial_id(self, results: Mapping[str, Any], row: int, taken: set[int]) -> str:
        """Return a candidate's row; for halving ``"iter1/07"``: round and candidate number."""
        if "iter" not in results:
            return str(row)
        params = {k: v for k, v in results["params"][row].items() if k != self.resource}
        key = json.dumps(_json_value(params), sort_keys=True, default=repr)
        numbers = self.numbers.setdefault(key, [])
        number = next((n for n in numbers if n not in taken), None)
        if number is None:  # a new candidate (or a duplicate one of the first round)
            number = sum(len(v) for v in self.numbers.values())
            numbers.append(number)
        taken.add(number)
        return f"iter{int(results['iter'][row])}/{number:02d}"

    def _result(
        self,
        results: Mapping[str, Any],
        row: int,
        splits: list[str],
        errors: list[str | None] | None,
    ) -> TrialResult:
        score_key = next((k for k in self.score_keys if k in results), None)
        metrics = {
            key: value
            for key, column in results.items()
            if key not in ("params", score_key)
            and not key.startswith("param_")
            and (value := _number(column[row])) is not None
        }
        took = metrics.get("mean_fit_time", 0.0) + metrics.get("mean_score_time", 0.0)
        took *= len(splits)
        tests = [
            _number(column[row]) for k, column in results.items() if k.startswith("mean_test_")
        ]
        if None not in tests:
            score = _number(results[score_key][row]) if score_key else None
            return TrialResult("ok", score, metrics=metrics, duration_s=took)
        failures = [e for e in errors or () if e is not None]
        failed = len(failures) or sum(_number(results[split][row]) is None for split in splits)
        message = f"fit failed on {failed} of {len(splits)} splits"
        if failures and (reason := _reason(failures[0])):
            message += f": {reason}"
        return TrialResult("failed", metrics=metrics, message=message, duration_s=took)


class _Capture:
    """The patches of one ``with`` block and the search it is reporting, if any."""

    def __init__(self, reporter: TuningReporter, module: ModuleType) -> None:
        self.reporter = reporter
        self.module = module
        self.lock = threading.Lock()
        self.current: _Search | None = None
        self.busy = False  # an outermost search runs: searches inside it are not reported

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        base = self.module.BaseSearchCV
        saved: list[tuple[Any, str, Any]] = []
        try:
            for cls in [base, *_subclasses(base)]:
                original = cls.__dict__.get("fit")
                if callable(original):
                    saved.append((cls, "fit", original))
                    cls.fit = self._fit(original)
            failures = getattr(self.module, _FAILURES, None)
            if callable(failures):
                saved.append((self.module, _FAILURES, failures))
                setattr(self.module, _FAILURES, self._failures(failures))
            yield
        finally:
            for owner, name, original in reversed(saved):
                setattr(owner, name, original)

    def _fit(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def fit(search: Any, *args: Any, **kwargs: Any) -> Any:
            with self.lock:
                outermost = not self.busy
                self.busy = True
            if not outermost:
                return original(search, *args, **kwargs)
            try:
                return self._run(search, original, args, kwargs)
            finally:
                self.current = None
                self.busy = False

        return fit

    def _failures(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def warn_or_raise(results: Any, error_score: Any) -> Any:
            current = self.current
            if current is not None and current.thread == threading.get_ident():
                with contextlib.suppress(Exception):  # nested searches call it first: last wins
                    current.fit_errors = [r.get("fit_error") for r in results]
            return original(results, error_score)

        return warn_or_raise

    def _run(
        self,
        search: Any,
        original: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        try:
            info = _search_info(search, self.module)
            current = _Search(self.reporter, search, info.objective)
            self.reporter.search_begin(info)
        except Exception as exc:
            _warn(self.reporter, f"scikit-learn search not reported ({error_line(exc)})")
            return original(search, *args, **kwargs)
        self.current = current
        unhook = self._hook(search, current)
        error = None
        try:
            return original(search, *args, **kwargs)
        except BaseException as exc:
            error = error_line(exc)
            raise
        finally:
            unhook()
            self._end(current, error)

    def _hook(self, search: Any, current: _Search) -> Callable[[], None]:
        """Wrap `_run_search` of the search's class, for it alone; return the undo.

        Not on the instance: with ``n_jobs`` > 1, ``BaseSearchCV.fit`` pickles the search
        (``caller=self``) to its worker processes, and a closure does not pickle.
        """
        cls = type(search)
        own = cls.__dict__.get("_run_search")
        resolved = getattr(cls, "_run_search", None)
        if not inspect.isfunction(resolved):  # no hook: the rows are read after fit
            return lambda: None

        # `wraps` keeps the signature: fit looks in it for ``callback_ctx``.
        @functools.wraps(resolved)
        def run_search(instance: Any, evaluate_candidates: Any, *args: Any, **kwargs: Any) -> Any:
            if instance is search:  # not a search of the same class inside it
                evaluate_candidates = current.evaluate(evaluate_candidates)
            return resolved(instance, evaluate_candidates, *args, **kwargs)

        try:
            cls._run_search = run_search
        except Exception:  # a class that refuses: the rows are read after fit
            return lambda: None

        def unhook() -> None:
            if own is None:
                del cls._run_search
            else:
                cls._run_search = own

        return unhook

    def _end(self, current: _Search, error: str | None) -> None:
        try:
            best_model = None
            if error is None:
                results = getattr(current.search, "cv_results_", None)
                if isinstance(results, Mapping):
                    current.fit_errors = None
                    current.report_rows(results)
                if current.search.refit and hasattr(current.search, "best_estimator_"):
                    search = current.search
                    best_model = lambda: search.best_estimator_  # noqa: E731
            self.reporter.search_end(error=error, best_model=best_model)
        except Exception as exc:
            _warn(self.reporter, f"scikit-learn search end not reported ({error_line(exc)})")


def _search_module() -> ModuleType | None:
    """Return `sklearn.model_selection._search`, None when scikit-learn is not installed."""
    try:
        if importlib.util.find_spec("sklearn") is None:
            return None
        return importlib.import_module("sklearn.model_selection._search")
    except Exception:  # scikit-learn broken or not installed: nothing to capture
        return None


@contextlib.contextmanager
def capture_sklearn_searches(reporter: TuningReporter) -> Iterator[None]:
    """Report every outermost scikit-learn search `fit` inside the block to `reporter`.

    `fit` of `BaseSearchCV` and of its subclasses (``GridSearchCV``, ``RandomizedSearchCV``,
    the halving searches, the user's) is wrapped for the block. Each outermost search gives
    ``search_begin``, one ``trial_begin``/``trial_end`` pair per row of ``cv_results_``
    (reported as each batch of candidates ends, so a halving search reports its rounds as
    they run; trial ids are the row, or ``"iter1/07"``: the round and the candidate), then
    ``search_end``. Searches inside a search are not reported, nor ones in other threads
    while one runs. The user's exceptions propagate unchanged; a failure of the reporting
    becomes ``reporter.warn``. Everything is restored on exit. Imports
    ``sklearn.model_selection`` when scikit-learn is installed; without it, does nothing.

    Parameters
    ----------
    reporter
        Where the searches and their trials go.

    Yields
    ------
    None
        Inside the block, the searches are captured.

    Examples
    --------
    >>> with capture_sklearn_searches(reporter):  # doctest: +SKIP
    ...     GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2, 3]}).fit(X, y)
    """
    module = _search_module()
    if module is None:
        yield
        return
    with _Capture(reporter, module).patched():
        yield
