"""`mlwork.evaluate` inside a run: score, compare with earlier runs, check for leakage, log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlwork_jupyter.ml.evaluation import (
    Evaluation,
    Leakage,
    compute,
    higher_is_better,
    overlap,
    row_hashes,
)
from mlwork_jupyter.stages.training_data import is_table

if TYPE_CHECKING:
    from mlwork_jupyter.stages.run import ActiveRun
    from mlwork_jupyter.stages.training_data import TrainingRows

__all__ = ["evaluate_in_run", "show_evaluation"]

_HISTORY = 200  # earlier runs of one name looked at for `best`


def evaluate_in_run(run: ActiveRun, y_true: Any, y_pred: Any = None, **options: Any) -> Evaluation:
    """Score predictions for the active run and log the metrics.

    Every argument is checked before anything is logged (a bad one raises
    `EvaluationInputError`). `delta` compares with the newest earlier ``ok`` run of the same
    name that has each metric; `best` is the best value among those runs and this one;
    `leakage` compares the evaluated rows with the training rows of the model the cell read.
    """
    ev = compute(y_true, y_pred, **options)
    ev.delta, ev.best = _history(run, ev.metrics)
    # The model this cell scores, through lineage: its training rows, and its card's evaluation.
    training = None if run.training is None else run.training.for_values(run.reads.values())
    if training is not None and run.record.id not in training.evaluations:
        training.evaluations.append(run.record.id)
    ev.leakage = _leakage(run, training, options.get("X"))
    run.log_params({"evaluate.task": ev.task})
    run.log_metrics(ev.metrics)
    if ev.leakage.rows:
        run.warn(
            f"leakage: {ev.leakage.rows} of {ev.rows} evaluated rows also occur in the "
            f"training data ({ev.leakage.detail})"
        )
    return ev


def _history(
    run: ActiveRun, metrics: dict[str, float]
) -> tuple[dict[str, float] | None, dict[str, float]]:
    earlier = []
    if run.store is not None:
        try:
            earlier = [
                r
                for r in run.store.runs(name=run.record.name, last=_HISTORY)
                if r.status == "ok" and r.id != run.record.id
            ]
        except Exception:  # a broken store never breaks the cell: no history then
            earlier = []
    delta: dict[str, float] = {}
    best: dict[str, float] = {}
    for key, value in metrics.items():
        seen = [r.metrics[key] for r in earlier if key in r.metrics]
        if seen:
            delta[key] = value - seen[-1]
        pick = max if higher_is_better(key) else min
        best[key] = pick([*seen, value])
    return (delta or None), best


def _leakage(run: ActiveRun, training: TrainingRows | None, features: Any) -> Leakage:
    if training is None or not training.hashes:
        return Leakage(
            status="unavailable",
            detail="could not run: no train run of this kernel produced a model this cell reads",
        )
    if features is None:
        tables = [v for v in run.reads.values() if is_table(v)]
        if not tables:
            return Leakage(
                status="unavailable", detail="could not run: pass X= (the evaluated features)"
            )
        features = tables[0] if len(tables) == 1 else None
        if features is None:
            return Leakage(
                status="unavailable",
                detail="could not run: the cell read several tables; pass X= to say which",
            )
    try:
        hashes = row_hashes(features)
    except Exception as exc:
        return Leakage(status="unavailable", detail=f"could not run: X is not hashable ({exc})")
    seen = np.concatenate(list(training.hashes.values()))
    rows, examples = overlap(hashes, seen)
    names = ", ".join(sorted(training.hashes))
    detail = f"against {names} of train run {training.run_name!r} ({training.run_id[-8:]})"
    return Leakage(status="checked", rows=rows, examples=tuple(examples), detail=detail)


def show_evaluation(ev: Evaluation, title: str, publish: Any = None) -> None:
    """Display the evaluation panel (interactive in JupyterLab, static HTML elsewhere).

    `publish` is the live panel's publisher when Keras scoring opened one in this cell: the
    evaluation then replaces that panel (it "fills in") instead of adding another.
    """
    from mlwork_jupyter.display.evaluation_panel import evaluation_bundle
    from mlwork_jupyter.display.output import show

    bundle = evaluation_bundle(ev, title)
    if publish is None:
        show(bundle)
    else:
        publish(bundle, True)  # noqa: FBT003 - the publisher's protocol
