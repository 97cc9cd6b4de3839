"""`mlwork verify` on the executed iris example, against `pip freeze` alone.

Side by side in one run, medians of fresh processes (the way a user types them):
- `mlwork verify NB.ipynb --json` (bar: < 1 s, and TensorFlow never imported), which snapshots
  this environment (every installed distribution, git, accelerators), reads the notebook's
  records and the store beside it, and hashes the files the notebook read;
- `pip freeze`, which only lists the installed distributions: the baseline a user would reach
  for to compare environments by hand.

The example is executed once first (nbclient, a fresh kernel), in a temporary folder.

Run: .venv/bin/python benchmarks/bench_verify.py
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEATS = int(os.environ.get("MLWORK_BENCH_REPEATS", "7"))
EXAMPLE = Path(__file__).parents[1] / "example_notebooks" / "01_iris_random_forest.ipynb"

_VERIFY = """
import json, sys, time
t0 = time.perf_counter()
from mlwork_jupyter.cli import main
import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["verify", sys.argv[1], "--json"])
print(json.dumps({"code": code, "in_process": time.perf_counter() - t0,
                  "tf": "tensorflow" in sys.modules}))
"""


def _execute(folder: Path) -> Path:
    import nbformat
    from nbclient import NotebookClient

    target = folder / EXAMPLE.name
    shutil.copy(EXAMPLE, target)
    nb = nbformat.read(target, as_version=4)
    client = NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(folder)}})
    client.execute(env={**os.environ, "JPY_SESSION_NAME": str(target)})
    nbformat.write(nb, target)
    return target


def _timed(argv: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in {0, 1}:
        raise SystemExit(f"{argv[:3]} failed: {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="mlwork-bench-verify-") as tmp:
        notebook = _execute(Path(tmp))
        verify, inside, freeze = [], [], []
        tf_imported = False
        codes = set()
        _timed([sys.executable, "-c", _VERIFY, str(notebook)])  # warm the OS file cache
        for _ in range(REPEATS):
            elapsed, out = _timed([sys.executable, "-c", _VERIFY, str(notebook)])
            result = json.loads(out.strip().splitlines()[-1])
            verify.append(elapsed)
            inside.append(result["in_process"])
            tf_imported |= result["tf"]
            codes.add(result["code"])
            elapsed, _ = _timed(
                [sys.executable, "-m", "pip", "freeze", "--disable-pip-version-check"]
            )
            freeze.append(elapsed)
    v, i, f = (statistics.median(x) for x in (verify, inside, freeze))
    print(f"repeats: {REPEATS} (medians, fresh processes)")
    print(f"mlwork verify (process):      {v * 1000:8.1f} ms   exit {sorted(codes)}")
    print(f"mlwork verify (in process):   {i * 1000:8.1f} ms   imports + snapshot + compare")
    print(f"pip freeze (process):         {f * 1000:8.1f} ms")
    print(f"ratio verify / pip freeze:    {v / f:8.2f}x")
    print(f"bar < 1 s:                    {'met' if v < 1.0 else 'MISSED'}")
    print(f"TensorFlow imported:          {'YES (bar missed)' if tf_imported else 'no'}")


if __name__ == "__main__":
    main()
