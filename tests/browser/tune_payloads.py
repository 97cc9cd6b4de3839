"""Tune panel bundles for the browser tests, built by hand to the payload's documented shape.

A tune panel is a train panel (`lab_support.panel_bundle`) with `kind: "tune"`, the search's
progress keys and a `tune` section. Three searches: one running with a failed trial, one ended
with a best trial (and more trials than it lists), one stopped by an error.
"""

from __future__ import annotations

import copy
from typing import Any

from .lab_support import PANEL_MIME, panel_bundle

PARAMS = ("units", "learning_rate", "optimizer", "batch_norm")
FAILURE = "ValueError: Received an invalid value for 'units': expected a positive integer"

# Each row: number, status, score, the values of PARAMS in order, duration in seconds.
_TRIALS: list[tuple[int, str, float | None, tuple[Any, ...], float | None]] = [
    (1, "ok", 0.912, (64, 0.001, "adam", True), 4.1),
    (2, "failed", None, (0, 0.01, "sgd", False), 0.4),
    (3, "ok", 0.951, (256, 0.0003, "adam", False), 6.2),
    (4, "ok", 0.887, (32, 0.03, "sgd", True), 3.0),
    (5, "ok", 0.934, (128, 0.0001, "rmsprop", False), 5.5),
    (6, "invalid", None, (512, 0.001, "adam", True), 0.2),
    (7, "ok", 0.962, (512, 0.0005, "adam", True), 8.4),
    (8, "ok", 0.905, (16, 0.002, "rmsprop", False), 2.6),
]


def _trial(
    row: tuple[int, str, float | None, tuple[Any, ...], float | None], ended: float
) -> dict[str, Any]:
    number, status, score, values, duration = row
    message = None
    if status == "failed":
        message = FAILURE
    elif status == "invalid":
        message = "the objective val_accuracy is missing from the logs"
    return {
        "id": f"{number - 1:02d}",
        "number": number,
        "status": status,
        "score": score,
        "best_step": 2 if score is not None else None,
        "duration_s": duration,
        "ended_s": ended,
        "params": dict(zip(PARAMS, values, strict=True)),
        "message": message,
    }


def tune_bundle(
    ended: int,
    *,
    running: bool = True,
    trials_max: int | None = 5,
    title: str = "mnist-random-search",
    status: str | None = None,
    error: str | None = None,
    total: int | None = None,
    final_fit: bool = False,
) -> dict[str, Any]:
    """The panel after `ended` of the trials above ended, the next running when `running`.

    Series are the running trial's, or with `final_fit` those of a refit after the search.
    """
    base = panel_bundle(epochs=3, done=2 if running else 3, title=title)
    payload = base[PANEL_MIME]
    trials: list[dict[str, Any]] = []
    clock = 0.0
    best: dict[str, Any] | None = None
    curve: dict[str, list[Any]] = {"number": [], "ended_s": [], "score": []}
    for row in _TRIALS[:ended]:
        clock += (row[4] or 0.0) + 0.3
        trial = _trial(row, round(clock, 2))
        trials.append(trial)
        if trial["score"] is not None:
            if best is None or trial["score"] > best["score"]:
                best = trial
            curve["number"].append(trial["number"])
            curve["ended_s"].append(trial["ended_s"])
            curve["score"].append(best["score"])
    running_id = None
    if running:
        row = _TRIALS[ended]
        trial = _trial(row, 0.0)
        trial.update(status="running", score=None, best_step=None, duration_s=None)
        trial.update(ended_s=None, message=None)
        trials.append(trial)
        running_id = trial["id"]
    elif not final_fit:
        payload["series"], payload["final"] = {}, {}
    statuses = ("ok", "failed", "invalid", "running")
    counts = {key: sum(t["status"] == key for t in trials) for key in statuses}
    payload.update(
        kind="tune",
        status=status or ("running" if running else "ok"),
        progress=payload["progress"] | {
            "elapsed_s": round(clock + 1.5, 2),
            "eta_s": 12.5 if running else None,
            "trials_done": ended,
            "trials_max": trials_max,
        },
        tune={
            "library": "keras-tuner",
            "tuner": "RandomSearch",
            "objective": "val_accuracy",
            "direction": "max",
            "searches": 1,
            "params": list(PARAMS),
            "trials": trials,
            "total_trials": total if total is not None else len(trials),
            "best": None if best is None else best["id"],
            "running": running_id,
            "counts": counts,
            "best_so_far": curve,
            "error": error,
        },
    )  # fmt: skip
    return base


def running_search(**changes: Any) -> dict[str, Any]:
    """Three trials ended (one failed), the fourth running with its epoch curves."""
    return tune_bundle(3, **changes)


def ended_search(**changes: Any) -> dict[str, Any]:
    """Eight trials ended, trial 7 the best; the payload lists 8 of 12 trials."""
    return tune_bundle(8, running=False, trials_max=12, total=12, **changes)


def failed_search(**changes: Any) -> dict[str, Any]:
    """The search stopped by an error after two trials (one failed)."""
    error = ("RuntimeError: Number of consecutive failures exceeded the limit of 3. "
             f"The last trial failed with {FAILURE}")  # fmt: skip
    return tune_bundle(2, running=False, status="error", error=error, **changes)


def no_search() -> dict[str, Any]:
    """A tune cell that ran a plain fit: `tune` is null, shown as a train panel."""
    bundle = panel_bundle(epochs=3, title="plain-fit")
    bundle[PANEL_MIME].update(kind="tune", tune=None)
    return bundle


def hostile(evil: str) -> dict[str, Any]:
    """A running search whose title, parameter names, values, ids and messages are `evil`."""
    bundle = copy.deepcopy(running_search(title=evil))
    tune = bundle[PANEL_MIME]["tune"]
    tune["params"].append(evil)
    tune["objective"] = evil
    tune["error"] = evil
    for trial in tune["trials"]:
        trial["params"][evil] = evil
        if trial["message"] is not None:
            trial["message"] = evil
    tune["trials"][0]["id"] = evil
    return bundle
