"""`mlwork.evaluate`'s core against scikit-learn's metric functions called one by one.

1,000,000 rows x 10 classes with probabilities (a softmax of noisy logits, seeded), medians
of MLWORK_BENCH_REPEATS runs (default 5), the two interleaved so both see the same load:

- ours: `compute(y_true, proba=proba)`: input checks, the label metrics, log loss, ROC AUC,
  average precision, per-class table, confusion matrices and the ROC/PR curves of every class;
- baseline: scikit-learn's ``accuracy_score``, ``balanced_accuracy_score``,
  ``precision_score``/``recall_score``/``f1_score`` (weighted), ``f1_score`` (macro),
  ``log_loss``, ``roc_auc_score`` (ovr, weighted), ``average_precision_score`` (weighted).

Bar: ours <= 1.0x the baseline. Also prints the panel payload's size (bar: <= 200 kB).

Run: .venv/bin/python benchmarks/bench_evaluate.py
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

# Run as a script from a checkout: `.venv/bin/python benchmarks/bench_evaluate.py`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlwork_jupyter.display.evaluation_panel import evaluation_payload
from mlwork_jupyter.ml.evaluation import compute

REPEATS = int(os.environ.get("MLWORK_BENCH_REPEATS", "5"))
ROWS = 1_000_000
CLASSES = 10


def data() -> tuple[np.ndarray, np.ndarray]:
    """Labels and softmax probabilities of noisy logits that favour the true class."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, CLASSES, ROWS)
    logits = rng.normal(0.0, 1.0, (ROWS, CLASSES))
    logits[np.arange(ROWS), y] += rng.normal(1.5, 1.0, ROWS)
    logits -= logits.max(axis=1, keepdims=True)
    proba = np.exp(logits)
    proba /= proba.sum(axis=1, keepdims=True)
    return y, proba


def sklearn_calls(y: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """The same metrics from scikit-learn, one function call each."""
    from sklearn import metrics

    pred = proba.argmax(axis=1)
    return {
        "accuracy_score": lambda: metrics.accuracy_score(y, pred),
        "balanced_accuracy_score": lambda: metrics.balanced_accuracy_score(y, pred),
        "precision_score(weighted)": lambda: metrics.precision_score(y, pred, average="weighted"),
        "recall_score(weighted)": lambda: metrics.recall_score(y, pred, average="weighted"),
        "f1_score(weighted)": lambda: metrics.f1_score(y, pred, average="weighted"),
        "f1_score(macro)": lambda: metrics.f1_score(y, pred, average="macro"),
        "log_loss": lambda: metrics.log_loss(y, proba),
        "roc_auc_score(ovr, weighted)": lambda: metrics.roc_auc_score(
            y, proba, multi_class="ovr", average="weighted"
        ),
        "average_precision_score(weighted)": lambda: metrics.average_precision_score(
            y, proba, average="weighted"
        ),
    }


def main() -> None:
    y, proba = data()
    calls = sklearn_calls(y, proba)
    ours: list[float] = []
    theirs: list[float] = []
    each: dict[str, list[float]] = {name: [] for name in calls}
    ev = compute(y, proba=proba)  # warm-up (imports, page faults), not timed
    for _ in range(REPEATS):
        start = time.perf_counter()
        ev = compute(y, proba=proba)
        ours.append(time.perf_counter() - start)
        total = 0.0
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            spent = time.perf_counter() - start
            each[name].append(spent)
            total += spent
        theirs.append(total)
    payload_kb = len(json.dumps(evaluation_payload(ev, "bench")).encode()) / 1000
    _report(ours, theirs, each, payload_kb, ev.metrics)


def _report(
    ours: list[float],
    theirs: list[float],
    each: dict[str, list[float]],
    payload_kb: float,
    metrics: dict[str, float],
) -> None:
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    ratio = ours_s / theirs_s
    print(
        f"evaluate, {ROWS:,} rows x {CLASSES} classes with proba, median of {REPEATS} runs"
        " (interleaved)"
    )
    print(f"  {'mlwork compute()':40s} {ours_s:8.3f} s")
    print(f"  {'scikit-learn, 9 metric calls':40s} {theirs_s:8.3f} s")
    for name, times in each.items():
        print(f"    {name:38s} {statistics.median(times):8.3f} s")
    print(f"  ratio mlwork / scikit-learn: {ratio:.3f}x  (bar <= 1.0x: ", end="")
    print("met)" if ratio <= 1.0 else "MISSED)")
    print(f"  panel payload: {payload_kb:.1f} kB  (bar <= 200 kB: ", end="")
    print("met)" if payload_kb <= 200 else "MISSED)")
    print("  " + json.dumps({k: round(v, 6) for k, v in metrics.items()}))


if __name__ == "__main__":
    main()
