"""`compute_drift` against Evidently's DataDriftPreset and scipy's functions called per feature.

Builds a 100,000-row reference and a 50,000-row current frame of 20 features (16 float
columns, 4 text columns of 12 to 60 categories; 1 % missing in one column; the current data
shifted in a few columns) and prints medians over MLWORK_BENCH_REPEATS runs (default 5), side
by side, in one process:

- `compute_drift` with its defaults (normed Wasserstein for the numerical features,
  Jensen-Shannon for the categorical ones, as Evidently chooses above 1,000 reference rows),
  which also computes PSI and a histogram per feature and the quality checks;
- Evidently 0.7's ``Report([DataDriftPreset()])`` on the same frames (when it imports; it
  needs pandas < 3): what a user would run instead;
- scipy called per feature for the drift statistic alone: ``wasserstein_distance`` / std,
  and ``jensenshannon`` of the value counts: the least a hand-written loop does;
- the same with KS forced (``thresholds={"method": "ks"}`` against ``ks_2samp`` per feature).

Run: .venv/bin/python benchmarks/bench_monitor.py
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

# Run as a script from a checkout: `.venv/bin/python benchmarks/bench_monitor.py`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPEATS = int(os.environ.get("MLWORK_BENCH_REPEATS", "5"))
N_REF, N_CUR = 100_000, 50_000
N_NUM, N_CAT = 16, 4


def build(rows: int, shift: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    for i in range(N_NUM):
        s = shift if i % 4 == 0 else 0.0
        values = rng.gamma(2.0 + i % 3, 1.0 + s, rows) if i % 2 else rng.normal(s, 1.0, rows)
        if i == 1:
            values[::100] = np.nan
        columns[f"num{i}"] = values
    for i in range(N_CAT):
        k = (12, 24, 40, 60)[i]
        weights = np.linspace(1.0, 2.0 + (shift if i == 0 else 0.0), k)
        pool = np.array([f"cat{i}-{j:02d}" for j in range(k)], dtype=object)
        columns[f"cat{i}"] = pool[rng.choice(k, rows, p=weights / weights.sum())]
    return pd.DataFrame(columns)


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def scipy_per_feature(reference: pd.DataFrame, current: pd.DataFrame, *, ks: bool) -> None:
    from scipy import stats
    from scipy.spatial import distance

    for name in reference.columns:
        ref, cur = reference[name].dropna(), current[name].dropna()
        if ref.dtype.kind == "f":
            if ks:
                stats.ks_2samp(ref, cur)
            else:
                stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001)
        else:
            keys = sorted(set(ref.unique()) | set(cur.unique()))
            r = ref.value_counts().reindex(keys, fill_value=0).to_numpy()
            c = cur.value_counts().reindex(keys, fill_value=0).to_numpy()
            distance.jensenshannon(r / r.sum(), c / c.sum())


def evidently_run(reference: pd.DataFrame, current: pd.DataFrame):
    try:
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset
    except ImportError as exc:  # Evidently 0.7.23 fails to import under pandas 3
        return None, f"{type(exc).__name__}: {exc}"
    definition = DataDefinition(
        numerical_columns=[c for c in reference.columns if c.startswith("num")],
        categorical_columns=[c for c in reference.columns if c.startswith("cat")],
    )

    def run() -> float:
        snapshot = Report([DataDriftPreset()]).run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition),
        )
        return float(snapshot.dict()["metrics"][0]["value"]["share"])

    return run, None


def main() -> None:
    from mlwork_jupyter.ml.monitoring import compute_drift

    reference, current = build(N_REF, 0.0, 0), build(N_CUR, 0.15, 1)
    report = compute_drift(current, reference)
    print(f"frames: reference {N_REF:,} x {reference.shape[1]}, current {N_CUR:,} x 20")
    print(f"pandas {pd.__version__}, numpy {np.__version__}; repeats: {REPEATS} (medians)")
    print(f"drifted: {report.drifted_features} (share {report.drift_share:.2f})")
    ours = median_seconds(lambda: compute_drift(current, reference), REPEATS)
    ours_ks = median_seconds(
        lambda: compute_drift(current, reference, thresholds={"method": "ks"}), REPEATS
    )
    sp = median_seconds(lambda: scipy_per_feature(reference, current, ks=False), REPEATS)
    sp_ks = median_seconds(lambda: scipy_per_feature(reference, current, ks=True), REPEATS)
    print(f"compute_drift (defaults):            {ours * 1000:9.1f} ms")
    print(f"scipy per feature (statistic only):  {sp * 1000:9.1f} ms   ratio {sp / ours:6.2f}x")
    print(f"compute_drift (method ks):           {ours_ks * 1000:9.1f} ms")
    ratio = sp_ks / ours_ks
    print(f"scipy ks_2samp per feature:          {sp_ks * 1000:9.1f} ms   ratio {ratio:6.2f}x")
    run, why = evidently_run(reference, current)
    if run is None:
        print(f"Evidently DataDriftPreset:           not run ({why})")
        return
    share = run()  # also warms: Evidently registers its metrics on first use
    ev = median_seconds(run, REPEATS)
    print(f"Evidently DataDriftPreset report:    {ev * 1000:9.1f} ms   ratio {ev / ours:6.2f}x")
    same = "yes" if abs(share - report.drift_share) < 1e-12 else "NO"
    print(f"same drift share as Evidently:       {same} ({share:.2f})")


if __name__ == "__main__":
    main()
