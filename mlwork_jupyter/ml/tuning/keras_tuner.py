"""Capture of keras-tuner searches (AutoKeras' tuners included): trials read from the oracle.

Three patches, for the block's duration, on keras-tuner's base classes:

- ``search`` of `BaseTuner` and of every subclass that defines its own (AutoKeras'
  `AutoTuner` runs its final fit inside its ``search``): the outermost call on a tuner is one
  search (``search_begin`` ... ``search_end``);
- `Oracle.create_trial`: a ``RUNNING`` trial begins (the chief's oracle also answers workers);
- `Oracle.end_trial`: the trial's status, score and best step, which keras-tuner sets only
  there, are read after the original ran (also when it raises, as it does once
  ``max_consecutive_failed_trials`` is reached).

With ``quiet=True`` (a live panel shows the same), the oracle's text display is silenced
and `keras_tuner.src.utils.try_clear`, which clears the whole cell output at every trial
end, does nothing.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import error_line
from mlwork_jupyter.ml.tuning import SearchInfo, TrialResult
from mlwork_jupyter.provenance.record import json_safe

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mlwork_jupyter.ml.tuning import TrialStatus, TuningReporter

__all__ = ["capture_keras_tuner", "search_info"]

_STATUS: dict[str, TrialStatus] = {"COMPLETED": "ok", "FAILED": "failed", "INVALID": "invalid"}
# Oracle settings worth a record, where the oracle has them (Hyperband, Bayesian, ...).
_ORACLE_SETTINGS = (
    "max_trials",
    "seed",
    "max_retries_per_trial",
    "max_consecutive_failed_trials",
    "max_epochs",
    "factor",
    "hyperband_iterations",
    "num_initial_points",
    "alpha",
    "beta",
)
_TUNER_SETTINGS = ("executions_per_trial", "project_name", "directory", "overwrite")


def _space(oracle: Any) -> dict[str, Any]:
    """Return the search space as hyper-parameter name to its class and settings."""
    try:
        config = oracle.get_space().get_config()
    except Exception:  # an oracle client (a worker) or a custom oracle without a space
        return {}
    space: dict[str, Any] = {}
    for entry in config.get("space", []):
        settings = dict(entry.get("config") or {})
        name = str(settings.pop("name", "?"))
        space[name] = json_safe({"type": entry.get("class_name"), **settings})
    return space


def search_info(tuner: Any) -> SearchInfo:
    """Describe a keras-tuner tuner's search: library, objective, budget, space, settings."""
    oracle = tuner.oracle
    objective = getattr(oracle, "objective", None)
    direction = getattr(objective, "direction", "min")
    settings: dict[str, Any] = {"oracle": type(oracle).__name__}
    for owner, names in ((oracle, _ORACLE_SETTINGS), (tuner, _TUNER_SETTINGS)):
        for name in names:
            value = getattr(owner, name, None)
            if isinstance(value, bool | int | float | str):
                settings[name] = value
    library = "autokeras" if type(tuner).__module__.startswith("autokeras") else "keras-tuner"
    max_trials = getattr(oracle, "max_trials", None)
    return SearchInfo(
        library=library,
        tuner=type(tuner).__name__,
        objective=getattr(objective, "name", None),
        direction="max" if direction == "max" else "min",
        max_trials=max_trials if isinstance(max_trials, int) else None,
        space=_space(oracle),
        settings=settings,
    )


def _oracle_metrics(trial: Any) -> dict[str, float]:
    """Return the values a trial reported to the oracle (a worker's fit, in a distributed run)."""
    found: dict[str, float] = {}
    with contextlib.suppress(Exception):  # an oracle of another shape: no metrics, no harm
        for name in trial.metrics.metrics:
            value = trial.metrics.get_last_value(name)
            if isinstance(value, int | float):
                found[str(name)] = float(value)
    return found


def _result(trial: Any) -> TrialResult:
    status = _STATUS.get(str(trial.status), "invalid")
    score = trial.score if status == "ok" else None
    message = trial.message if status != "ok" else None
    return TrialResult(
        status=status,
        score=None if score is None else float(score),
        best_step=None if trial.best_step is None or status != "ok" else int(trial.best_step),
        message=None if message is None else str(message),
        metrics=_oracle_metrics(trial) if status == "ok" else {},
    )


def _search_classes(base: type) -> list[type]:
    """Return `base` and its loaded subclasses that define their own ``search``."""
    found, queue = [], [base]
    while queue:
        cls = queue.pop()
        if "search" in cls.__dict__:
            found.append(cls)
        queue.extend(cls.__subclasses__())
    return found


class _Patches:
    """Set attributes for a while and put back exactly what was there."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        had = name in vars(owner)
        old = vars(owner).get(name)
        setattr(owner, name, value)

        def undo() -> None:
            if had:
                setattr(owner, name, old)
            else:
                delattr(owner, name)

        self._undo.append(undo)

    def restore(self) -> None:
        while self._undo:
            with contextlib.suppress(Exception):
                self._undo.pop()()


class _Capture:
    """The state of a capture: the oracles searching now and what the patches call."""

    def __init__(self, reporter: TuningReporter, *, quiet: bool) -> None:
        self.reporter = reporter
        self.quiet = quiet
        self.oracles: dict[int, Any] = {}
        self.depth: dict[int, int] = {}
        self.lock = threading.RLock()

    def guard(self, action: Callable[[], None]) -> None:
        """Report; a failing report becomes a warning, never the search's error."""
        try:
            action()
        except Exception as exc:
            with contextlib.suppress(Exception):
                self.reporter.warn(f"keras-tuner capture: {error_line(exc)}")

    def begin_trial(self, oracle: Any, trial: Any) -> None:
        if id(oracle) in self.oracles and str(getattr(trial, "status", "")) == "RUNNING":
            values = json_safe(dict(trial.hyperparameters.values))
            self.guard(lambda: self.reporter.trial_begin(str(trial.trial_id), values))

    def end_trial(self, oracle: Any, trial_id: str) -> None:
        if id(oracle) not in self.oracles:
            return
        trial = oracle.trials.get(trial_id)
        if trial is not None:
            self.guard(lambda: self.reporter.trial_end(trial_id, _result(trial)))

    @contextlib.contextmanager
    def searching(self, tuner: Any) -> Iterator[bool]:
        """Yield whether this call is the tuner's outermost search (the one reported)."""
        key = id(tuner)
        with self.lock:
            depth = self.depth.get(key, 0)
            self.depth[key] = depth + 1
        try:
            yield depth == 0
        finally:
            with self.lock:
                self.depth[key] = depth
                if depth == 0:
                    del self.depth[key]

    def run_search(self, tuner: Any, original: Callable[[], Any]) -> Any:
        oracle = tuner.oracle
        self.guard(lambda: self.reporter.search_begin(search_info(tuner)))
        self.oracles[id(oracle)] = oracle
        display = getattr(oracle, "_display", None)
        patches = _Patches()
        if self.quiet and display is not None:
            patches.set(display, "on_trial_begin", _nothing)
            patches.set(display, "on_trial_end", _nothing)
        error: str | None = None
        try:
            return original()
        except BaseException as exc:
            error = "KeyboardInterrupt" if isinstance(exc, KeyboardInterrupt) else error_line(exc)
            raise
        finally:
            patches.restore()
            self.oracles.pop(id(oracle), None)
            best = _best_model(tuner) if error is None else None
            self.guard(lambda: self.reporter.search_end(error=error, best_model=best))


def _nothing(*args: Any) -> None:
    """Stand in for keras-tuner's trial display while a live panel shows the trials."""
    del args


def _best_model(tuner: Any) -> Callable[[], Any] | None:
    """Return how to load the tuner's best model, if it has a finished ok trial."""
    try:
        if not tuner.oracle.get_best_trials(1):
            return None
    except Exception:
        return None
    return lambda: tuner.get_best_models(num_models=1)[0]


@contextlib.contextmanager
def capture_keras_tuner(reporter: TuningReporter, *, quiet: bool = False) -> Iterator[None]:
    """Report every keras-tuner search run inside the block, trial by trial (imports it).

    Parameters
    ----------
    reporter
        Where the searches report.
    quiet
        Silence keras-tuner's own trial display and its clearing of the cell output (a live
        panel shows the same).

    Examples
    --------
    >>> with capture_keras_tuner(reporter, quiet=True):  # doctest: +SKIP
    ...     tuner.search(x, y, epochs=3, validation_split=0.2)
    """
    from keras_tuner.src import utils
    from keras_tuner.src.engine import base_tuner
    from keras_tuner.src.engine import oracle as oracle_module

    capture = _Capture(reporter, quiet=quiet)
    patches = _Patches()
    oracle_class: Any = oracle_module.Oracle
    create, end = oracle_class.create_trial, oracle_class.end_trial

    @functools.wraps(create)
    def create_trial(self: Any, *args: Any, **kwargs: Any) -> Any:
        trial = create(self, *args, **kwargs)
        capture.begin_trial(self, trial)
        return trial

    @functools.wraps(end)
    def end_trial(self: Any, trial: Any, *args: Any, **kwargs: Any) -> Any:
        trial_id = str(trial if isinstance(trial, str) else trial.trial_id)
        try:
            return end(self, trial, *args, **kwargs)
        finally:
            capture.end_trial(self, trial_id)

    def search_patch(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def search(self: Any, *args: Any, **kwargs: Any) -> Any:
            with capture.searching(self) as outermost:
                if not outermost:
                    return original(self, *args, **kwargs)
                return capture.run_search(self, lambda: original(self, *args, **kwargs))

        return search

    patches.set(oracle_class, "create_trial", create_trial)
    patches.set(oracle_class, "end_trial", end_trial)
    for cls in _search_classes(base_tuner.BaseTuner):
        patches.set(cls, "search", search_patch(cls.__dict__["search"]))
    if quiet:
        patches.set(utils, "try_clear", lambda: None)
    try:
        yield
    finally:
        patches.restore()
