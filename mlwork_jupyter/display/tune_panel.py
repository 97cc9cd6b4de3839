"""The live trials panel of ``%%mlwork tune``: the train panel's payload plus a ``tune`` section.

It is the train panel's payload (`mlwork_jupyter.display.panel`: version, kind, status, title,
progress, series, final, table) with ``kind: "tune"`` and one more key, ``"tune"``.
``series``/``final`` hold the epoch (and ``batch/``) curves of the trial running now (or of a
final fit outside any trial: AutoKeras refits the best model), exactly as a train panel's, so
the same chart code draws them; they are emptied when a new trial begins. ``"tune"`` is
``null`` when the cell ran no search (a plain ``fit`` in a tune cell): the payload is then
exactly a train panel's, and is rendered as one. Schema of the additions::

    "progress": {                         # the train panel's keys, for the running trial's fit
      "epoch": 2, "epochs": 3, "step": 10, "steps": 45,
      "elapsed_s": 12.3,                  # since the panel (the search) began
      "eta_s": 8.0,                       # of the whole search: elapsed/done*(max-done); null
                                          #   unknown (before a trial ended: the fit's own)
      "trials_done": 3, "trials_max": 5   # ended trials; the max is null when unknown
    },
    "tune": {
      "library": "keras-tuner",           # keras-tuner | autokeras | flaml | scikit-learn
      "tuner": "RandomSearch",            # the tuner's class name
      "objective": "val_accuracy",        # may be null
      "direction": "max",                 # max | min
      "searches": 1,                      # searches in the cell so far (ids of the 2nd:
                                          #   "search2/..")
      "params": ["units", "learning_rate"],   # hyper-parameter names, in first-seen order
      "trials": [                         # in the order they began; at most 1000 rows: beyond,
        {"id": "03",                      #   the 500 best and the latest are kept (the
         "number": 4,                     #   running ones too)
         "status": "ok",                  # running | ok | failed | invalid (or another
                                          #   ended status as reported: "interrupted")
         "score": 0.95,                   # null when none (failed, running)
         "best_step": 2,                  # null when unknown
         "duration_s": 1.23,              # null while running
         "ended_s": 5.1,                  # seconds from the panel's start to the trial's end
         "params": {"units": 64, "learning_rate": 0.001},   # JSON numbers, strings, bools
         "message": null}                 # a failed trial's one-line reason
      ],
      "total_trials": 4,                  # all trials, even those not in `trials`
      "best": "03",                       # id of the best ok trial with a finite score, or null
      "running": "04",                    # id of the trial running now (the latest begun), or null
      "counts": {"ok": 3, "failed": 0, "invalid": 0, "running": 1},   # + any other status
      "best_so_far": {                    # one point per ok trial with a finite score, in the
        "number": [1, 2, 3],              #   order they ended (all trials, not only the rows
        "ended_s": [1.2, 2.5, 3.9],       #   kept): the best score up to and including it;
        "score": [0.91, 0.93, 0.95]       #   ended_s may hold null
      },
      "error": null                       # one-line reason the search failed, else null
    }

Every string in it (title, names, params, messages) is untrusted data from a notebook; the
static HTML (`mlwork_jupyter.display.tune_static`) escapes it. Non-finite numbers are null.
Ties for the best score go to the trial that began first.
"""

from __future__ import annotations

import bisect
import math
import time
from dataclasses import dataclass, field, fields
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.display import tune_static
from mlwork_jupyter.display.panel import Panel
from mlwork_jupyter.display.text import message_line

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from mlwork_jupyter.display.panel import Publisher

__all__ = ["TunePanel"]

_DIRECTIONS = ("max", "min")
_MESSAGE_CHARS = 300
_HTML_ROWS = 50


def _number(value: float | None, digits: int | None = None) -> float | None:
    if value is None:
        return None
    result = float(value)
    if not math.isfinite(result):
        return None
    return round(result, digits) if digits is not None else result


def _json_value(value: Any) -> Any:
    """Return a hyper-parameter value as JSON: a number, string, bool or null (else its str)."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return _number(float(value))
    item = getattr(value, "item", None)  # a NumPy scalar, without importing NumPy
    if callable(item):
        plain = item()
        if plain is not value and not hasattr(plain, "item"):
            return _json_value(plain)
    return str(value)


def _one_line(text: str | None) -> str | None:
    """Return a message as one line: a traceback's last line, else the first; shortened."""
    line = message_line(text)
    return None if line is None else tune_static.shortened(line, _MESSAGE_CHARS)


@dataclass(slots=True, eq=False)
class _Trial:
    """One trial's state, with its payload row cached until it changes."""

    id: str
    number: int
    status: str = ""  # neither running nor ended (not counted) until its caller says
    score: float | None = None
    best_step: int | None = None
    duration_s: float | None = None
    ended_s: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    began: float | None = None
    cached: dict[str, Any] | None = None  # a new dict on a change: published ones stay

    def row(self) -> dict[str, Any]:
        if self.cached is None:
            self.cached = {key: getattr(self, key) for key in _ROW_KEYS}
            self.cached["params"] = dict(self.params)
        return self.cached


_ROW_KEYS = tuple(f.name for f in fields(_Trial) if f.name not in {"began", "cached"})


class TunePanel(Panel):
    """The live panel of a hyper-parameter search: trials, best so far and the running fit.

    The running trial's fit reports through the inherited `metrics` and `progress`; the
    search through `search`, `trial_begin`, `trial_end` and `final_fit`. Every mutating
    method publishes if the throttle allows; `close` always publishes. Safe to call from
    several threads.

    Parameters
    ----------
    publish
        ``publish(bundle, update)``, as for `Panel`.
    title
        Shown atop the panel (the run name).
    min_interval_s
        Least time between two publications, except the final one.
    max_points
        Most points per series in a payload.
    clock
        Monotonic clock in seconds (injectable for tests).
    max_rows
        Most trial rows in a payload: beyond, the ``max_rows // 2`` best and the latest.

    Examples
    --------
    >>> shown = []
    >>> panel = TunePanel(lambda bundle, update: shown.append(bundle), title="demo")
    >>> panel.search(library="keras-tuner", tuner="RandomSearch", objective="val_accuracy",
    ...              direction="max", max_trials=2)
    >>> panel.trial_begin("00", {"units": 32})
    >>> panel.trial_end("00", status="ok", score=0.91)
    >>> panel.trial_end("01", status="failed", message="ValueError: bad units")
    >>> panel.close("ok")
    >>> shown[-1]["text/plain"]
    "mlwork tune panel 'demo': ok, 2 trials (1 ok, 1 failed), best val_accuracy 0.91 (trial 00)"
    """

    def __init__(
        self,
        publish: Publisher,
        *,
        title: str = "",
        min_interval_s: float = 0.25,
        max_points: int = 2000,
        clock: Callable[[], float] = time.monotonic,
        max_rows: int = 1000,
    ) -> None:
        if max_rows < 2:  # noqa: PLR2004 - one best row and one latest at the least
            raise ValueError(f"max_rows must be at least 2, got {max_rows!r}")
        super().__init__(
            publish,
            kind="tune",
            title=title,
            min_interval_s=min_interval_s,
            max_points=max_points,
            clock=clock,
        )
        self.max_rows = max_rows
        self._search: dict[str, Any] | None = None
        self._searches = 0
        self._maxima: list[int | None] = []
        self._params: dict[str, None] = {}  # an ordered set
        self._trials: dict[str, _Trial] = {}  # in the order first seen
        self._ranked: list[_Trial] = []  # ok trials with a finite score, best first
        self._running: dict[str, _Trial] = {}
        # the schema's four always; another ended status (the stage's "interrupted") as it comes
        self._counts = {"ok": 0, "failed": 0, "invalid": 0, "running": 0}
        self._points: list[tuple[int, float | None, float]] = []  # number, ended_s, score
        self._so_far: list[float] = []
        self._error: str | None = None
        self._fit_label: str | None = None  # whose curves the series hold, while it fits
        self._version = 0  # bumped on every change of the tune section
        self._cache: dict[str, tuple[int, Any]] = {}

    # --- state -----------------------------------------------------------------------------

    def search(
        self,
        *,
        library: str,
        tuner: str,
        objective: str | None,
        direction: str,
        max_trials: int | None,
        params: Sequence[str] = (),
    ) -> None:
        """Start a search: the first sets library, tuner, objective and direction."""
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be 'max' or 'min', got {direction!r}")
        with self._lock:
            if self._search is None:
                self._search = {
                    "library": library,
                    "tuner": tuner,
                    "objective": objective,
                    "direction": direction,
                }
                self._rerank()
            self._searches += 1
            self._maxima.append(max_trials)
            self._params.update(dict.fromkeys(map(str, params)))
            self._changed()

    def trial_begin(self, trial_id: str, params: Mapping[str, Any]) -> None:
        """Start a trial: it runs, and the running fit's series and progress are emptied."""
        values = {str(k): _json_value(v) for k, v in params.items()}
        with self._lock:
            trial = self._trial(trial_id)
            self._leave(trial)
            trial.status = "running"
            trial.score = trial.best_step = trial.duration_s = trial.ended_s = None
            trial.message = None
            trial.params = values
            trial.began = self._clock()
            trial.cached = None
            self._params.update(dict.fromkeys(trial.params))
            self._counts["running"] += 1
            self._running[trial.id] = trial
            self._new_fit(f"trial {trial.id}")

    def trial_end(
        self,
        trial_id: str,
        *,
        status: str,
        score: float | None = None,
        best_step: int | None = None,
        duration_s: float | None = None,
        message: str | None = None,
        ended_s: float | None = None,
    ) -> None:
        """End a trial (one never begun is added); times default to the panel's clock."""
        if not status or status == "running":
            raise ValueError(
                f"trial_end needs how the trial ended (ok, failed, invalid), got {status!r}"
            )
        value, step = _number(score), None if best_step is None else int(best_step)
        line = _one_line(message)
        given = (_number(duration_s, 3), None if ended_s is None else _number(ended_s, 3))
        with self._lock:
            trial = self._trial(trial_id)
            began = trial.began if trial.status == "running" else None
            self._leave(trial)
            trial.status, trial.score, trial.best_step, trial.message = status, value, step, line
            trial.duration_s, trial.ended_s = given
            if duration_s is None and began is not None:
                trial.duration_s = round(self._clock() - began, 3)
            if ended_s is None:
                trial.ended_s = self._elapsed()
            trial.cached = None
            self._counts[status] = self._counts.get(status, 0) + 1
            if status == "ok" and trial.score is not None:
                bisect.insort(self._ranked, trial, key=self._rank)
                self._points.append((trial.number, trial.ended_s, trial.score))
                last = self._so_far[-1] if self._so_far else trial.score
                self._so_far.append(self._better(trial.score, last))
            if self._fit_label == f"trial {trial.id}":
                # Its curves go with it: what is left shown is the next fit's, never a stale one.
                self._series.clear()
                self._chart_version += 1
                self._progress.update(epoch=None, epochs=None, step=None, steps=None)
                self._fit_label = None
            self._changed()

    def final_fit(self) -> None:
        """Start a fit outside any trial (AutoKeras refitting the best model)."""
        with self._lock:
            self._new_fit("final fit")

    def close(self, status: str, error: str | None = None) -> None:
        """Set the final status (and the search's error) and publish, whatever the throttle."""
        with self._lock:
            if not self._closed:
                self._error = _one_line(error)
                self._changed(publish=False)
            super().close(status)

    def _trial(self, trial_id: str) -> _Trial:
        key = str(trial_id)
        prefix = f"search{self._searches}/"
        if self._searches > 1 and not key.startswith(prefix):
            key = prefix + key
        trial = self._trials.get(key)
        if trial is None:  # its caller sets its status before letting go of the lock
            trial = self._trials[key] = _Trial(key, len(self._trials) + 1)
        return trial

    def _leave(self, trial: _Trial) -> None:
        """Take `trial` out of the counts (and the ranking) of its present status."""
        if trial.status in self._counts:
            self._counts[trial.status] -= 1
        self._running.pop(trial.id, None)
        if trial.status == "ok" and trial.score is not None:
            index = bisect.bisect_left(self._ranked, self._rank(trial), key=self._rank)
            if index < len(self._ranked) and self._ranked[index] is trial:
                del self._ranked[index]

    def _new_fit(self, label: str) -> None:
        self._series.clear()
        self._chart_version += 1
        self._progress.update(epoch=None, epochs=None, step=None, steps=None, eta_s=None)
        self._fit_label = label
        self._changed()

    def _changed(self, *, publish: bool = True) -> None:
        self._version += 1
        self._progress["elapsed_s"] = self._elapsed()
        if publish:
            self._maybe_publish()

    @property
    def _direction(self) -> str:
        return "max" if self._search is None else str(self._search["direction"])

    def _rank(self, trial: _Trial) -> tuple[float, int]:
        score = trial.score if trial.score is not None else math.nan
        return (-score if self._direction == "max" else score, trial.number)

    def _better(self, score: float, other: float) -> float:
        return max(score, other) if self._direction == "max" else min(score, other)

    def _rerank(self) -> None:
        """Order again by the direction now known (trials may be reported before `search`)."""
        self._ranked.sort(key=self._rank)
        self._so_far = []
        for _, _, score in self._points:
            self._so_far.append(self._better(score, self._so_far[-1]) if self._so_far else score)

    # --- rendering -------------------------------------------------------------------------

    def payload(self) -> dict[str, Any]:
        """Return the JSON payload (see the module docstring for its schema)."""
        with self._lock:
            payload = super().payload()
            payload["tune"] = None
            if self._search is None:
                return payload
            progress = payload["progress"]
            done = len(self._trials) - self._counts["running"]
            most = None if None in self._maxima else sum(m or 0 for m in self._maxima)
            progress["trials_done"], progress["trials_max"] = done, most
            if self._status != "running":
                progress["eta_s"] = 0.0 if self._status == "ok" else None
            elif most is None:
                progress["eta_s"] = None
            elif done:
                elapsed = progress["elapsed_s"] or 0.0
                progress["eta_s"] = round(max(elapsed / done * (most - done), 0.0), 3)
            payload["tune"] = dict(self._cached("tune", self._tune_section))
            return payload

    def _cached(self, name: str, build: Callable[[], Any]) -> Any:
        hit = self._cache.get(name)
        if hit is not None and hit[0] == self._version:
            return hit[1]
        value = build()
        self._cache[name] = (self._version, value)
        return value

    def _kept(self) -> list[_Trial]:
        """Return the trials in the payload: all, or the best half, the running and the latest."""
        if len(self._trials) <= self.max_rows:
            return list(self._trials.values())
        kept = {t.id: t for t in self._ranked[: self.max_rows // 2]}
        kept.update(self._running)
        for trial in reversed(self._trials.values()):
            if len(kept) >= self.max_rows:
                break
            kept.setdefault(trial.id, trial)
        return sorted(kept.values(), key=lambda t: t.number)

    def _tune_section(self) -> dict[str, Any]:
        search = self._search or {}
        running = next(reversed(self._running), None)
        return {
            **search,
            "searches": self._searches,
            "params": list(self._params),
            "trials": [t.row() for t in self._kept()],
            "total_trials": len(self._trials),
            "best": self._ranked[0].id if self._ranked else None,
            "running": running,
            "counts": dict(self._counts),
            "best_so_far": {
                "number": [p[0] for p in self._points],
                "ended_s": [p[1] for p in self._points],
                "score": list(self._so_far),
            },
            "error": self._error,
        }

    def _table_rows(self) -> list[dict[str, Any]]:
        """Return the first rows of the HTML table: best first, then running, others, failed."""
        rows = [t.row() for t in self._ranked[:_HTML_ROWS]]
        if len(rows) < _HTML_ROWS:
            rest = [t for t in self._trials.values() if t.status != "ok" or t.score is None]
            order = {"running": 0, "ok": 1}  # then failed and invalid
            rest.sort(key=lambda t: (order.get(t.status, 2), t.number))
            rows.extend(t.row() for t in rest[: _HTML_ROWS - len(rows)])
        return rows

    def _html(self, payload: dict[str, Any]) -> str:
        tune = payload["tune"]
        if tune is None:
            return super()._html(payload)
        fit = ""
        if self._fit_label is not None and payload["series"]:
            fit = tune_static.fit_chart(self._fit_label, payload["progress"], self._chart(payload))
        parts = self._cached(
            "html",
            lambda: (
                tune_static.best_chart(tune["best_so_far"], tune["objective"]),
                tune_static.trial_table(
                    self._table_rows(), tune["params"], tune["best"], tune["total_trials"]
                ),
                tune_static.param_scatters(
                    tune["trials"], tune["params"], tune["best"], tune["objective"]
                ),
            ),
        )
        return tune_static.tune_html(payload, fit, *parts)

    def _text(self, payload: dict[str, Any]) -> str:
        if payload["tune"] is None:
            return super()._text(payload)
        return tune_static.tune_text(payload)
