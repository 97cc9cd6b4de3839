"""The model server under loopback load, against the SavedModel in-process and MLflow's server.

One tiny Keras model (Dense, 4 features -> 3 classes) exported once; side by side in one run:
- ours, TensorFlow Serving REST (`POST /v1/models/NAME:predict`, `instances`) and MLflow's
  protocol (`POST /invocations`, `inputs`), dynamic batching at its defaults (64 rows, 2 ms);
- MLflow's scoring server (`mlflow models serve --env-manager local`, uvicorn + FastAPI) on a
  pyfunc model that calls the same SavedModel signature;
- the loaded SavedModel's signature called in-process (the floor: no HTTP, no JSON).
Each cell: 1-row or 64-row requests from 1 or 16 concurrent clients (threads with keep-alive
connections in a second process), MLWORK_BENCH_REQUESTS requests (default 300) or 10 s,
whichever ends first, after a warm-up; MLWORK_BENCH_REPEATS rounds interleaved (default 3),
medians of the rounds' p50, p99 and throughput printed. Loopback only.

Run: .venv/bin/python benchmarks/bench_serving.py
"""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REQUESTS = int(os.environ.get("MLWORK_BENCH_REQUESTS", "300"))
REPEATS = int(os.environ.get("MLWORK_BENCH_REPEATS", "3"))
CELL_SECONDS = 10.0

# The load generator: a second process, so the benchmark's own work is not the server's.
CLIENT = r"""
import http.client, json, sys, threading, time
from urllib.parse import urlsplit
spec = json.loads(sys.argv[1])
parts = urlsplit(spec["url"])
body = spec["body"].encode()
headers = {"Content-Type": "application/json"}
latencies, lock, errors = [], threading.Lock(), [0]
left = [spec["requests"]]
deadline = time.perf_counter() + spec["seconds"]

def client():
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    for _ in range(spec["warmup"]):
        conn.request("POST", spec["path"], body, headers); conn.getresponse().read()
    while True:
        with lock:
            if left[0] <= 0 or time.perf_counter() > deadline:
                break
            left[0] -= 1
        start = time.perf_counter()
        conn.request("POST", spec["path"], body, headers)
        response = conn.getresponse(); response.read()
        took = time.perf_counter() - start
        with lock:
            latencies.append(took)
            errors[0] += response.status != 200
    conn.close()

threads = [threading.Thread(target=client) for _ in range(spec["clients"])]
start = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
wall = time.perf_counter() - start
print(json.dumps({"latencies": latencies, "wall": wall, "errors": errors[0]}))
"""

MLFLOW_MODEL = '''
import mlflow.pyfunc


class SavedModelPyfunc(mlflow.pyfunc.PythonModel):
    """Call the exported SavedModel's serving signature, as our server does."""

    def load_context(self, context):
        import tensorflow as tf

        loaded = tf.saved_model.load(context.artifacts["saved_model"])
        self.fn = loaded.signatures["serving_default"]
        (self.name,) = self.fn.structured_input_signature[1]

    def predict(self, context, model_input, params=None):
        import numpy as np
        import tensorflow as tf

        x = tf.constant(np.asarray(model_input, dtype=np.float32))
        (out,) = self.fn(**{self.name: x}).values()
        return out.numpy()
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def load(url: str, path: str, body: str, clients: int) -> dict[str, float]:
    spec = {
        "url": url,
        "path": path,
        "body": body,
        "clients": clients,
        "requests": REQUESTS,
        "seconds": CELL_SECONDS,
        "warmup": 5,
    }
    done = subprocess.run(
        [sys.executable, "-c", CLIENT, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    latencies = result["latencies"]
    return {
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "rps": len(latencies) / result["wall"],
        "errors": result["errors"],
    }


def in_process(export_path: Path, rows, clients: int) -> dict[str, float]:
    """The floor: the signature called directly, `clients` threads sharing it."""
    import threading

    import tensorflow as tf

    fn = tf.saved_model.load(str(export_path / "saved_model")).signatures["serving_default"]
    (name,) = fn.structured_input_signature[1]
    x = tf.constant(rows)
    for _ in range(5):
        fn(**{name: x})
    latencies: list[float] = []
    lock = threading.Lock()
    left = [REQUESTS]

    def work() -> None:
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            start = time.perf_counter()
            fn(**{name: x})["output_0"].numpy()
            with lock:
                latencies.append(time.perf_counter() - start)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    return {
        "p50": percentile(latencies, 50) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "rps": len(latencies) / wall,
        "errors": 0,
    }


def start_mlflow(folder: Path, export_path: Path) -> tuple[subprocess.Popen[bytes] | None, str]:
    """Save a pyfunc on the SavedModel and serve it with `mlflow models serve`; or say why not."""
    try:
        import mlflow.pyfunc
    except ImportError as exc:
        return None, f"mlflow is not installed ({exc})"
    code = folder / "saved_model_pyfunc.py"
    code.write_text(MLFLOW_MODEL)
    sys.path.insert(0, str(folder))
    import saved_model_pyfunc  # written just above

    model_dir = folder / "mlflow-model"
    mlflow.pyfunc.save_model(
        str(model_dir),
        python_model=saved_model_pyfunc.SavedModelPyfunc(),
        artifacts={"saved_model": str(export_path / "saved_model")},
        code_paths=[str(code)],
    )
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)  # `mlflow models serve` runs `uvicorn` from PATH
    env = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    process = subprocess.Popen(
        [
            str(mlflow_cli),
            "models",
            "serve",
            "-m",
            str(model_dir),
            "--env-manager",
            "local",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-w",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "mlflow.log").open("wb"),
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = (folder / "mlflow.log").read_text(errors="replace").strip().splitlines()[-1:]
            return None, f"mlflow models serve exited: {' '.join(tail)}"
        try:
            with urllib.request.urlopen(url + "/ping", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    return None, "mlflow models serve was not ready after 180 s"


def main() -> None:
    import keras
    import numpy as np

    from mlwork_jupyter.ml.serving import export_model, start_server

    folder = Path(tempfile.mkdtemp(prefix="mlwork-bench-serving-"))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    rows = {n: np.random.default_rng(n).normal(size=(n, 4)).astype(np.float32) for n in (1, 64)}
    export = export_model(model, folder / "models", "bench", example=rows[1])
    ours = start_server(folder / "models", "bench")
    mlflow_process, mlflow_url = start_mlflow(folder, export.path)
    targets = {
        "ours TF Serving REST": (ours.url, "/v1/models/bench:predict", "instances"),
        "ours MLflow /invocations": (ours.url, "/invocations", "inputs"),
    }
    if mlflow_process is not None:
        targets["MLflow scoring server"] = (mlflow_url, "/invocations", "inputs")
    cells = [(n, c) for n in (1, 64) for c in (1, 16)]
    results: dict[tuple[str, int, int], list[dict[str, float]]] = {}
    try:
        for _ in range(REPEATS):
            for n, c in cells:
                for name, (url, path, key) in targets.items():
                    body = json.dumps({key: rows[n].tolist()})
                    results.setdefault((name, n, c), []).append(load(url, path, body, c))
                results.setdefault(("in-process SavedModel", n, c), []).append(
                    in_process(export.path, rows[n], c)
                )
        calls = json.loads(urllib.request.urlopen(ours.url + "/stats").read())
    finally:
        ours.stop()
        if mlflow_process is not None:
            mlflow_process.terminate()
            mlflow_process.wait(10)
    print(
        f"tiny Keras model (Dense 4->3); {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{REQUESTS} requests or {CELL_SECONDS:.0f} s per cell; medians of {REPEATS} rounds"
    )
    if mlflow_process is None:
        print(f"MLflow scoring server: not measured ({mlflow_url})")
    print(
        f"ours: {calls['requests']} requests served in {calls['model_calls']} model calls "
        "(dynamic batching)"
    )
    names = [*targets, "in-process SavedModel"]
    for n, c in cells:
        print(f"\n{n} row(s) per request, {c} concurrent client(s)")
        print(
            f"  {'':28s} {'p50 ms':>8s} {'p99 ms':>8s} {'req/s':>9s} {'rows/s':>10s} {'errors':>6s}"
        )
        med = {}
        for name in names:
            runs = results[(name, n, c)]
            med[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            m = med[name]
            print(
                f"  {name:28s} {m['p50']:8.2f} {m['p99']:8.2f} {m['rps']:9.0f} "
                f"{m['rps'] * n:10.0f} {m['errors']:6.0f}"
            )
        ref = med["ours TF Serving REST"]
        floor = med["in-process SavedModel"]
        print(
            f"  ours TF REST p50 / in-process p50: {ref['p50'] / floor['p50']:6.1f}x; "
            f"throughput ours / in-process: {ref['rps'] / floor['rps']:5.2f}x"
        )
        if "MLflow scoring server" in med:
            other = med["MLflow scoring server"]
            mine = med["ours MLflow /invocations"]
            print(
                f"  MLflow server p50 / ours (/invocations) p50: "
                f"{other['p50'] / mine['p50']:6.2f}x; throughput ours / MLflow: "
                f"{mine['rps'] / other['rps']:5.2f}x"
            )


if __name__ == "__main__":
    main()
