"""A tune run's searches: each trial a child run, the trials panel, the search's summary.

`TuneSession` implements `mlwork_jupyter.ml.tuning.TuningReporter`. Trial ids are the
library's own; those of a cell's second search get the prefix ``search2/``. A trial's run is
named ``TUNE_RUN_NAME/TRIAL_ID``, has the tune run as its parent and carries ``trial``
(id, number, status ``ok``/``failed``/``invalid``/``interrupted``, score, objective,
direction, best step, duration, message); its record status is ``ok``, or ``error`` for a
failed or invalid trial.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.display.text import message_line
from mlwork_jupyter.errors import error_line
from mlwork_jupyter.provenance import secrets
from mlwork_jupyter.provenance.record import RunRecord, json_safe, new_run_id
from mlwork_jupyter.stages.fit_reporter import RunReporter
from mlwork_jupyter.stages.run import ActiveRun

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mlwork_jupyter.display.tune_panel import TunePanel
    from mlwork_jupyter.ml.reporter import Reporter, Status
    from mlwork_jupyter.ml.tuning import SearchInfo, TrialResult

__all__ = ["TuneSession"]

_MESSAGE_CHARS = 4000


class _FitReporter(RunReporter):
    """A fit's reporter inside a tune run, which leaves the panel's status to the search.

    A fit's end is not the search's.
    """

    def status(self, status: Status, detail: str | None = None) -> None:
        if detail and status == "ok" and self.run is not None:
            self.run.warn(detail)


@dataclass
class _Trial:
    """One trial: its run, and how many Keras fits it ran."""

    run: ActiveRun
    reporter: _FitReporter
    started: float
    fits: int = 0
    ended: bool = False


@dataclass
class _Search:
    """One search of the cell: what it is and how to load its best model."""

    info: SearchInfo
    prefix: str
    best_model: Callable[[], Any] | None = None
    error: str | None = None
    trial_ids: list[str] = field(default_factory=list)


class TuneSession:
    """The searches of one tune run, reported by the capture adapters.

    Parameters
    ----------
    run
        The tune run.
    panel
        The live trials panel, or None in a terminal.
    """

    def __init__(self, run: ActiveRun, panel: TunePanel | None) -> None:
        self.run = run
        self.panel = panel
        self.searches: list[_Search] = []
        self.trials: dict[str, _Trial] = {}
        self.running: str | None = None
        self.final_models: list[Any] = []
        self.fit_reporter = _FitReporter(run, panel)
        self._lock = threading.RLock()

    # --- TuningReporter --------------------------------------------------------------------

    def search_begin(self, info: SearchInfo) -> None:
        """Record the search's tuner, objective, space and settings on the tune run."""
        with self._lock:
            number = len(self.searches) + 1
            prefix = "" if number == 1 else f"search{number}/"
            self.searches.append(_Search(info, prefix))
            params: dict[str, Any] = {
                "library": info.library,
                "tuner": info.tuner,
                "objective": info.objective,
                "direction": info.direction,
                "max_trials": info.max_trials,
                "search_space": info.space,
            }
            params.update({f"tuner.{key}": value for key, value in info.settings.items()})
            self.run.log_params({prefix + k: v for k, v in params.items() if v is not None})
            if self.panel is not None:
                self.panel.search(
                    library=info.library,
                    tuner=info.tuner,
                    objective=info.objective,
                    direction=info.direction,
                    max_trials=info.max_trials,
                    params=list(info.space),
                )

    def _search(self) -> _Search:
        if not self.searches:  # an adapter that reports trials without a search
            from mlwork_jupyter.ml.tuning import SearchInfo

            self.search_begin(SearchInfo("unknown", "unknown", None, "max"))
        return self.searches[-1]

    def trial_begin(self, trial_id: str, params: Mapping[str, Any]) -> None:
        """Open the trial's child run with its hyper-parameters."""
        with self._lock:
            search = self._search()
            full = search.prefix + trial_id
            if full in self.trials and not self.trials[full].ended:
                return  # reported twice (a retried trial that never ended)
            clean = json_safe(dict(params))
            parent = self.run.record
            record = RunRecord(
                id=new_run_id(),
                stage="tune",
                name=f"{parent.name}/{full}",
                code="",
                code_hash=parent.code_hash,
                notebook=parent.notebook,
                cell_id=parent.cell_id,
                parent=parent.id,
                env_hash=parent.env_hash,
                trial={
                    "id": full,
                    "number": len(self.trials) + 1,
                    "status": "running",
                    "objective": search.info.objective,
                    "direction": search.info.direction,
                    "params": clean,
                },
            )
            child = ActiveRun(record, self.run.store)
            if child.store is not None:
                try:
                    child.store.start_run(record)
                except Exception as exc:
                    self.run.warn(f"trial {full} not stored ({error_line(exc)})")
                    child.store = None
            child.declared = frozenset(str(key) for key in clean)
            child.log_params(clean)
            self.trials[full] = _Trial(child, _FitReporter(child, self.panel), time.time())
            search.trial_ids.append(full)
            self.running = full
            if self.panel is not None:
                self.panel.trial_begin(full, clean)

    def trial_end(self, trial_id: str, result: TrialResult) -> None:
        """Close the trial's child run with its status, score and message."""
        with self._lock:
            full = self._search().prefix + trial_id
            trial = self.trials.get(full)
            if trial is None or trial.ended:
                self.trial_begin(trial_id, {})
                trial = self.trials[full]
            self._close_trial(full, trial, result.status, result)

    def _close_trial(
        self, full: str, trial: _Trial, status: str, result: TrialResult | None
    ) -> None:
        trial.ended = True
        if self.running == full:
            self.running = None
        child = trial.run
        record = child.record
        record.ended = time.time()
        duration = None if result is None else result.duration_s
        if duration is not None:
            record.started = record.ended - duration
        score = None if result is None else _finite(result.score)
        # The library's figures, where the trial's own fits did not report the same name.
        metrics = {} if result is None else dict(result.metrics)
        metrics = {k: v for k, v in metrics.items() if k not in record.metrics}
        if score is not None:
            metrics["score"] = score
        if metrics:
            child.log_metrics({k: v for k, v in metrics.items() if _finite(v) is not None})
        message = None if result is None else result.message
        line = message_line(message)
        assert record.trial is not None
        record.trial.update(
            status=status,
            score=score,
            best_step=None if result is None else result.best_step,
            duration_s=round(record.ended - record.started, 6),
        )
        if message:
            record.trial["message"] = secrets.mask_text(message[-_MESSAGE_CHARS:])
        if status == "ok":
            record.status = "ok"
        elif status == "interrupted":
            record.status, record.error = "interrupted", "KeyboardInterrupt"
        else:
            record.status = "error"
            record.error = secrets.mask_text(line or f"trial {status}")
        child.finish()
        if self.panel is not None:
            self.panel.trial_end(
                full,
                status=status,
                score=score,
                best_step=record.trial["best_step"],
                duration_s=duration,
                message=None if line is None else secrets.mask_text(line),
                ended_s=None if result is None else result.elapsed_s,
            )

    def search_end(
        self, *, error: str | None = None, best_model: Callable[[], Any] | None = None
    ) -> None:
        """Keep how the search ended and how to load its best model."""
        with self._lock:
            search = self._search()
            search.error = error
            search.best_model = best_model

    def warn(self, message: str) -> None:
        """Keep an adapter's warning on the tune run."""
        self.run.warn(message)

    # --- Keras fits ------------------------------------------------------------------------

    def route(self) -> tuple[Reporter, int] | None:
        """Send a fit inside a trial to the trial's run (`capture_keras_fit`'s ``route``)."""
        with self._lock:
            trial = None if self.running is None else self.trials[self.running]
            if trial is None:
                if self.searches and self.panel is not None:
                    self.panel.final_fit()  # AutoKeras refits the best model after its search
                return None
            trial.fits += 1
            return trial.reporter, trial.fits

    # --- the end of the cell ---------------------------------------------------------------

    def best(self) -> tuple[str, _Trial, float] | None:
        """Return the best ok trial over the cell's searches: id, trial, score."""
        found: tuple[str, _Trial, float] | None = None
        for search in self.searches:
            sign = 1.0 if search.info.direction == "max" else -1.0
            for full in search.trial_ids:
                trial = self.trials[full]
                facts = trial.run.record.trial or {}
                score = facts.get("score")
                if facts.get("status") != "ok" or score is None:
                    continue
                if found is None or sign * score > sign * found[2]:
                    found = (full, trial, float(score))
        return found

    def finish(self, status: str) -> None:
        """Close running trials, record the summary and the best model, close the panel."""
        with self._lock:
            for full, trial in list(self.trials.items()):
                if not trial.ended:
                    ended = "interrupted" if status == "interrupted" else "invalid"
                    self._close_trial(full, trial, ended, None)
            failure = self._summarise() if self.searches else None
            if failure is not None and status == "ok":
                self.run.failure = failure
                status = "error"
            if status == "ok":
                self._save_best()
            if self.panel is not None:
                error = failure or next((s.error for s in self.searches if s.error), None)
                self.panel.close(status, error=error)

    def _summarise(self) -> str | None:
        """Record best trial, score and counts on the tune run; say why it failed, if it did."""
        counts: dict[str, int] = {}
        for trial in self.trials.values():
            state = str((trial.run.record.trial or {}).get("status"))
            counts[state] = counts.get(state, 0) + 1
        metrics = {f"trials_{state}": float(n) for state, n in counts.items()}
        metrics["trials"] = float(len(self.trials))
        best = self.best()
        if best is not None:
            full, trial, score = best
            metrics["best_score"] = score
            hyper = {k: trial.run.record.params[k] for k in trial.run.declared}
            self.run.log_params({"best_trial": full, "best_hyperparameters": hyper})
        self.run.log_metrics(metrics)
        if best is not None or not self.trials:
            return None
        first = next((t.run.record.error for t in self.trials.values() if t.run.record.error), None)
        reason = f": {first}" if first else ""
        return f"all {len(self.trials)} trials failed{reason}"

    def _save_best(self) -> None:
        """Store the best model (a final fit's model, else the best trial's) as an artifact."""
        from mlwork_jupyter.stages.train import save_model

        if self.final_models:
            for model in self.final_models:
                save_model(self.run, model)
            return
        best = self.best()
        owner = next((s for s in self.searches if best and best[0] in s.trial_ids), None)
        if owner is None or owner.best_model is None:
            return
        try:
            model = owner.best_model()
        except Exception as exc:
            self.run.warn(f"best model not loaded ({error_line(exc)})")
            return
        save_model(self.run, model)


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    with contextlib.suppress(TypeError, ValueError):
        number = float(value)
        return number if math.isfinite(number) else None
    return None
