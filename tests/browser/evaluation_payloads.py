"""Real evaluation bundles for the browser tests, built by the kernel side's own code.

Each function scores deterministic data with `mlwork_jupyter.ml.evaluation.compute`, fills
what the evaluate stage fills (delta against a previous run, best so far, leakage) and returns
`evaluation_bundle(...)`: the panel payload, the static HTML and the text line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlwork_jupyter.display.evaluation_panel import evaluation_bundle
from mlwork_jupyter.ml.evaluation import Evaluation, Leakage, compute, higher_is_better

IRIS = ("setosa", "versicolor", "virginica")


def _history(ev: Evaluation, shift: float) -> None:
    """As if a previous run of the same name scored every metric `shift` better.

    The first metric is the exception: this run improved it by `shift`, so it is the best.
    """
    ev.delta, ev.best = {}, {}
    for i, (name, value) in enumerate(ev.metrics.items()):
        up = 1 if higher_is_better(name) else -1
        previous = value - up * shift if i == 0 else value + up * shift
        ev.delta[name] = value - previous
        ev.best[name] = value if i == 0 else previous


def binary(*, title: str = "churn-binary", rows: int = 400) -> dict[str, Any]:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, rows)
    score = np.clip(0.35 * y + 0.65 * rng.random(rows), 0, 1)
    ev = compute(np.where(y == 1, "churn", "stay"), proba=np.c_[1 - score, score],
                 labels=["stay", "churn"])  # fmt: skip
    _history(ev, 0.01)
    return evaluation_bundle(ev, title)


def multiclass(
    *, title: str = "iris-forest", labels: tuple[str, ...] = IRIS, leak: int = 0, rows: int = 300
) -> dict[str, Any]:
    """Three classes (or `labels`) with probabilities, slices by region, optional leakage."""
    rng = np.random.default_rng(2)
    k = len(labels)
    y = rng.integers(0, k, rows)
    proba = rng.random((rows, k))
    proba[np.arange(rows), y] += 0.9
    proba /= proba.sum(axis=1, keepdims=True)
    region = rng.choice(["north", "south", "east", "west"], rows)
    noisy = region == "east"  # one region scores worse
    proba[noisy] = rng.dirichlet(np.ones(k), noisy.sum())
    ev = compute(np.array(labels)[y], proba=proba, labels=list(labels), slices=region)
    _history(ev, 0.02)
    if leak:
        ev.leakage = Leakage(status="checked", rows=leak, examples=(3, 17),
                             detail="against X_train of train run 'forest' (a1b2c3d4)")  # fmt: skip
    else:
        ev.leakage = Leakage(status="unavailable",
                             detail="could not run: pass X= (the evaluated features)")  # fmt: skip
    return evaluation_bundle(ev, title)


def regression(*, rows: int = 600, title: str = "house-prices") -> dict[str, Any]:
    """Points below 2,000 rows, density grids above."""
    rng = np.random.default_rng(3)
    actual = rng.gamma(3.0, 50.0, rows)
    predicted = actual * 0.9 + 12 + rng.normal(0, 12 + actual * 0.08, rows)
    ev = compute(actual, predicted)
    _history(ev, 0.02)
    ev.leakage = Leakage(status="checked", rows=0, detail="against X_train of train run 'gbr'")
    return evaluation_bundle(ev, title)


def clustering(*, title: str = "kmeans-4") -> dict[str, Any]:
    rng = np.random.default_rng(4)
    centres = np.array([[0, 0], [4, 0], [0, 4], [1.2, 1.2]])
    assigned = rng.integers(0, 4, 400)
    X = centres[assigned] + rng.normal(0, 0.9, (400, 2))  # noqa: N806 - scikit-learn's name
    ev = compute(None, assigned, X=X, task="clustering")
    return evaluation_bundle(ev, title)
