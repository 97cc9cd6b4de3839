"""`%load_ext` time and the recording overhead of a trivial `%%mlwork data` cell.

Side by side in one run, medians:
- `%load_ext mlwork_jupyter` against `%load_ext watermark` and a bare IPython shell start,
  each in fresh processes (bar: < 150 ms, and no TensorFlow imported);
- a trivial `%%mlwork data` cell against the bare cell (bar: < 2 ms median overhead, the
  environment snapshot cached), and against MLflow's `start_run()`/`end_run()` on a local
  file store.

Run: .venv/bin/python benchmarks/bench_magics.py
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPEATS = int(os.environ.get("MLWORK_BENCH_REPEATS", "9"))
CELLS = int(os.environ.get("MLWORK_BENCH_CELLS", "300"))

_LOAD = """
import json, sys, time
t0 = time.perf_counter()
from IPython.testing.globalipapp import start_ipython
ip = start_ipython()
t1 = time.perf_counter()
ext = sys.argv[1]
if ext != "-":
    ip.run_line_magic("load_ext", ext)
t2 = time.perf_counter()
print(json.dumps({"shell": t1 - t0, "load": t2 - t1, "tf": "tensorflow" in sys.modules}))
"""


def _load_times(ext: str) -> tuple[list[float], list[float], bool]:
    shells, loads, tf = [], [], False
    for _ in range(REPEATS):
        out = subprocess.run(
            [sys.executable, "-c", _LOAD, ext], capture_output=True, text=True, check=True
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        shells.append(row["shell"])
        loads.append(row["load"])
        tf = tf or row["tf"]
    return shells, loads, tf


def _ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def bench_load_ext() -> None:
    shell, _, _ = _load_times("-")
    _, ours, tf = _load_times("mlwork_jupyter")
    _, watermark, _ = _load_times("watermark")
    print("%load_ext (fresh process each, median of", REPEATS, "runs)")
    print(f"  bare IPython shell start      {_ms(shell):8.1f} ms")
    print(f"  %load_ext watermark           {_ms(watermark):8.1f} ms")
    print(
        f"  %load_ext mlwork_jupyter      {_ms(ours):8.1f} ms   "
        f"({_ms(ours) / _ms(watermark):.2f}x watermark, {_ms(ours) / _ms(shell):.2f}x shell "
        f"start; bar < 150 ms; TensorFlow imported: {tf})"
    )


def bench_overhead() -> None:
    from IPython.testing.globalipapp import start_ipython

    tmp = tempfile.mkdtemp(prefix="mlwork-bench-")
    os.chdir(tmp)
    ip = start_ipython()
    ip.run_line_magic("load_ext", "mlwork_jupyter")
    sink = io.StringIO()
    bare, ours = [], []
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        ip.run_cell("%%mlwork data\nx = 1")  # warm: environment snapshot, store opened
        for _ in range(CELLS):
            t0 = time.perf_counter()
            ip.run_cell("x = 1", store_history=True)
            t1 = time.perf_counter()
            ip.run_cell("%%mlwork data\nx = 1", store_history=True)
            t2 = time.perf_counter()
            bare.append(t1 - t0)
            ours.append(t2 - t1)
            sink.seek(0)
            sink.truncate()

    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    import mlflow

    mlflow.set_tracking_uri(f"file://{tmp}/mlruns")
    mlflow.start_run()
    mlflow.end_run()
    flow = []
    for _ in range(min(CELLS, 100)):
        t0 = time.perf_counter()
        mlflow.start_run()
        mlflow.end_run()
        flow.append(time.perf_counter() - t0)
    over = _ms(ours) - _ms(bare)
    print(f"\ntrivial cell, median of {CELLS} (environment cached)")
    print(f"  bare cell `x = 1`                    {_ms(bare):7.3f} ms")
    print(f"  %%mlwork data cell                   {_ms(ours):7.3f} ms")
    print(f"  recording overhead                   {over:7.3f} ms   (bar < 2 ms)")
    print(
        f"  mlflow start_run()+end_run(), file   {_ms(flow):7.3f} ms   "
        f"(ours is {_ms(flow) / over:.1f}x less)"
    )


if __name__ == "__main__":
    bench_load_ext()
    bench_overhead()
