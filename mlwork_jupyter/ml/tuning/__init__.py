"""Capture of hyper-parameter searches: adapters report a search and its trials to a reporter.

One adapter a library (`keras_tuner`, `sklearn_search`, `flaml_search`); each patches what it
captures for the duration of a ``with`` block and restores it on every exit path. They report
to a `TuningReporter`, which the tune stage connects to child runs and the trials panel. This
package imports none of the tuning libraries at import time.

The order of calls for one search: ``search_begin``, then per trial ``trial_begin`` and
``trial_end`` (back to back for libraries that report trials after the fact), then
``search_end``. Trial ids are the library's own (keras-tuner's ``"00"``, a candidate's index
for scikit-learn, FLAML's ``record_id``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = ["Direction", "SearchInfo", "TrialResult", "TrialStatus", "TuningReporter"]

TrialStatus = Literal["running", "ok", "failed", "invalid"]
Direction = Literal["min", "max"]


@dataclass(frozen=True, slots=True)
class SearchInfo:
    """What a search is, as the library describes it.

    Attributes
    ----------
    library
        ``"keras-tuner"``, ``"autokeras"``, ``"flaml"`` or ``"scikit-learn"``.
    tuner
        The tuner's class name (``"RandomSearch"``, ``"GridSearchCV"``, ``"AutoML"``).
    objective
        The name of the score (``"val_accuracy"``, ``"mean_test_score"``,
        ``"validation_loss"``), None when the library does not say.
    direction
        Whether a higher (``"max"``) or a lower (``"min"``) score is better.
    max_trials
        The most trials the search will run, None when unbounded or unknown.
    space
        The search space: hyper-parameter name to a JSON description of its values.
    settings
        The tuner's other settings (seed, time budget, folds, ...), JSON values.
    """

    library: str
    tuner: str
    objective: str | None
    direction: Direction
    max_trials: int | None = None
    space: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class TrialResult:
    """How a trial ended.

    Attributes
    ----------
    status
        ``"ok"``, ``"failed"`` or ``"invalid"`` (keras-tuner's words for a trial that raised:
        failed ones are not retried).
    score
        The objective's value, None when the trial has none.
    best_step
        The step (epoch) the score comes from, when the library says.
    metrics
        Other final values the library reports (``std_test_score``, ``mean_fit_time``).
    message
        Why a trial failed (the library's message, a traceback for keras-tuner).
    duration_s
        The trial's duration when the library measured it (FLAML, scikit-learn); None: the
        time between ``trial_begin`` and ``trial_end``.
    elapsed_s
        Seconds from the search's start to the trial's end, when the library measured it.
    """

    status: TrialStatus
    score: float | None = None
    best_step: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    message: str | None = None
    duration_s: float | None = None
    elapsed_s: float | None = None


class TuningReporter(Protocol):
    """What a search adapter reports to; the tune stage implements it.

    Calls come from the thread that runs the search (keras-tuner's chief oracle answers
    workers from gRPC threads: implementations must be thread-safe).
    """

    def search_begin(self, info: SearchInfo) -> None:
        """Report that a search starts (a cell's second search is a second group of trials)."""

    def trial_begin(self, trial_id: str, params: Mapping[str, Any]) -> None:
        """Report that a trial starts with these hyper-parameter values (JSON values)."""

    def trial_end(self, trial_id: str, result: TrialResult) -> None:
        """Report how a trial ended."""

    def search_end(
        self, *, error: str | None = None, best_model: Callable[[], Any] | None = None
    ) -> None:
        """Report the search's end: `error` says why it failed, `best_model` loads its best."""

    def warn(self, message: str) -> None:
        """Keep a one-line warning about the capture itself."""
