"""DataFrame fingerprint throughput against memcpy, hash_pandas_object + sha256 and MLflow.

Builds a mixed frame of MLWORK_BENCH_GB gigabytes (default 1.0): float64 and int64 columns
plus two text columns (pandas ``str`` dtype), and prints medians over MLWORK_BENCH_REPEATS
runs (default 5; the slow baseline gets 3) side by side. The text columns are one of low
cardinality (10,000 distinct values, which suits hash_pandas_object's categorize step) and
one of distinct ids; 0.1 % of their cells are missing. Bars (DESIGN.md section 6): our
fingerprint >= 2 GB/s on the numeric part and >= 5x hash_pandas_object + sha256.
"""

from __future__ import annotations

import gc
import hashlib
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

# Run as a script from a checkout: `.venv/bin/python benchmarks/bench_fingerprint.py`.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

GB = float(os.environ.get("MLWORK_BENCH_GB", "1.0"))
REPEATS = int(os.environ.get("MLWORK_BENCH_REPEATS", "5"))
N_FLOAT, N_INT, N_TEXT = 20, 6, 2
TEXT_BYTES_PER_ROW = 2 * (8 + 60)  # pointer + a short str object, as memory_usage(deep) counts


def build_frame(gb: float) -> pd.DataFrame:
    row_bytes = 8 * (N_FLOAT + N_INT) + TEXT_BYTES_PER_ROW
    rows = int(gb * 1e9 / row_bytes)
    rng = np.random.default_rng(0)
    columns: dict[str, object] = {}
    for i in range(N_FLOAT):
        values = rng.standard_normal(rows)
        if i == 0:
            values[::1000] = np.nan  # real data has gaps
        columns[f"f{i}"] = values
    for i in range(N_INT):
        columns[f"i{i}"] = rng.integers(0, 1 << 40, rows)
    pool = np.array([f"city-{k:05d}" for k in range(10_000)], dtype=object)
    low = pool[rng.integers(0, len(pool), rows)]
    ids = np.array([f"id-{k:010d}" for k in rng.permutation(rows)], dtype=object)
    for i, text in enumerate([low, ids][:N_TEXT]):
        text[5::997] = None
        columns[f"s{i}"] = pd.array(text, dtype="str")
    return pd.DataFrame(columns)


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from mlwork_jupyter.provenance.fingerprint import fingerprint_value

    frame = build_frame(GB)
    numeric = frame[[c for c in frame.columns if not c.startswith("s")]]
    buffers = [numeric[c].to_numpy() for c in numeric.columns]
    numeric_bytes = sum(b.nbytes for b in buffers)
    total_bytes = int(frame.memory_usage(deep=True, index=False).sum())
    targets = [np.empty_like(b) for b in buffers]

    def memcpy() -> None:
        for src, dst in zip(buffers, targets, strict=True):
            np.copyto(dst, src)

    def baseline(df: pd.DataFrame) -> str:
        return hashlib.sha256(pd.util.hash_pandas_object(df).to_numpy()).hexdigest()

    from mlflow.data.digest_utils import compute_pandas_digest

    rows = [
        ("memcpy of the numeric column buffers (limit)", numeric_bytes, memcpy, REPEATS),
        (
            "ours: fingerprint_value, numeric columns",
            numeric_bytes,
            lambda: fingerprint_value(numeric),
            REPEATS,
        ),
        (
            "ours: fingerprint_value, whole frame",
            total_bytes,
            lambda: fingerprint_value(frame),
            REPEATS,
        ),
        (
            "hash_pandas_object + sha256, numeric columns",
            numeric_bytes,
            lambda: baseline(numeric),
            3,
        ),
        ("hash_pandas_object + sha256, whole frame", total_bytes, lambda: baseline(frame), 3),
        (
            "mlflow compute_pandas_digest (first 10,000 rows only)",
            total_bytes,
            lambda: compute_pandas_digest(frame),
            REPEATS,
        ),
    ]
    print(
        f"frame: {len(frame):,} rows x {frame.shape[1]} columns "
        f"({N_FLOAT} float64, {N_INT} int64, {N_TEXT} str); numeric {numeric_bytes / 1e9:.2f} GB, "
        f"whole {total_bytes / 1e9:.2f} GB (deep); {platform.machine()}, "
        f"{os.cpu_count()} CPUs; medians of {REPEATS} (baseline: 3)"
    )
    seconds: dict[str, float] = {}
    print(f"{'':58s} {'median s':>9s} {'GB/s':>8s}")
    for name, nbytes, fn, repeats in rows:
        fn()  # warm-up: page faults of fresh buffers, lazy imports
        seconds[name] = median_seconds(fn, repeats)
        print(f"{name:58s} {seconds[name]:9.3f} {nbytes / 1e9 / seconds[name]:8.2f}")
    ours_num = seconds[rows[1][0]]
    ours_all = seconds[rows[2][0]]
    print()
    print(f"ours vs memcpy, numeric:                    {seconds[rows[0][0]] / ours_num:6.2f}x")
    print(
        f"ours vs hash_pandas_object+sha256, numeric: {seconds[rows[3][0]] / ours_num:6.1f}x"
        "  (bar >= 5x)"
    )
    print(
        f"ours vs hash_pandas_object+sha256, whole:   {seconds[rows[4][0]] / ours_all:6.1f}x"
        "  (bar >= 5x)"
    )
    print(
        f"ours numeric throughput:                    {numeric_bytes / 1e9 / ours_num:6.2f} GB/s"
        "  (bar >= 2 GB/s)"
    )
    print(
        f"mlflow digest time / ours whole frame:      {seconds[rows[5][0]] / ours_all:6.3f}"
        "  (mlflow hashes the first 10,000 rows only)"
    )


if __name__ == "__main__":
    main()
