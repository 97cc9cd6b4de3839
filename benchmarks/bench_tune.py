"""`%%mlwork tune` around keras-tuner and FLAML searches against the bare searches and peers.

keras-tuner: a RandomSearch of 5 trials x 3 epochs of a small MLP on scikit-learn's digits
(validation split 0.2), keras-tuner's own display on (its default `verbose`), bare against
`%%mlwork tune`, against the same search with a `keras.callbacks.TensorBoard` callback and with
MLflow's Keras autolog. FLAML: `AutoML.fit` with a fixed `max_iter` (lgbm, 10 iterations), bare
against `%%mlwork tune`. Every variant runs in one real kernel (the way a notebook runs it: the
trials panel and the card are published as display messages), interleaved, timed from the
client (the round trip a user waits for), median of MLWORK_BENCH_REPEATS runs (default 5).
Bars: keras-tuner and FLAML <= 1.02x bare; faster than TensorBoard's callback and MLflow autolog.

Run: .venv/bin/python benchmarks/bench_tune.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from typing import Any

from jupyter_client.manager import start_new_kernel

REPEATS = int(os.environ.get("MLWORK_BENCH_REPEATS", "5"))

SETUP = """
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
import keras, keras_tuner, mlflow
from flaml import AutoML
from sklearn.datasets import load_digits
digits = load_digits()
X = (digits.data / 16.0).astype("float32")
y = digits.target
mlflow.set_tracking_uri("file://" + os.getcwd() + "/mlruns")

def build(hp):
    model = keras.Sequential([
        keras.Input(shape=(64,)),
        keras.layers.Dense(hp.Int("units", 16, 64, step=16), activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(hp.Choice("lr", [1e-2, 3e-3, 1e-3])),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""

SEARCH = (
    "tuner = keras_tuner.RandomSearch(build, objective='val_accuracy', max_trials=5, seed=1,"
    " directory='kt', project_name='p{n}', overwrite=True)\n"
    "tuner.search(X, y, epochs={epochs}, validation_split=0.2{extra})"
)
FLAML = (
    "automl = AutoML()\n"
    "automl.fit(X, y, task='classification', estimator_list=['lgbm'], max_iter={iters},"
    " time_budget=600, seed=1, verbose=0)"
)


def _variants() -> dict[str, Any]:
    def search(extra: str = "", prefix: str = "", epochs: int = 3) -> Any:
        return lambda n: prefix + SEARCH.format(n=n, epochs=epochs, extra=extra)

    autolog = (
        "mlflow.keras.autolog(log_models=False)\nwith mlflow.start_run():\n    "
        + SEARCH.format(n="{n}", epochs=3, extra="").replace("\n", "\n    ")
        + "\nmlflow.keras.autolog(disable=True)"
    )
    return {
        "bare keras-tuner search": search(),
        "%%mlwork tune": search(prefix="%%mlwork tune --name bench\n"),
        "TensorBoard callback": lambda n: SEARCH.format(
            n=n, epochs=3, extra=f", callbacks=[keras.callbacks.TensorBoard(log_dir='tb/{n}')]"
        ),
        "MLflow Keras autolog": lambda n: autolog.format(n=n),
        "bare FLAML fit": lambda _: FLAML.format(iters=10),
        "%%mlwork tune FLAML": lambda _: "%%mlwork tune --name flaml\n" + FLAML.format(iters=10),
    }


def _run(kc: Any, code: str) -> float:
    start = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=600, output_hook=lambda _: None)
    elapsed = time.perf_counter() - start
    if reply["content"]["status"] != "ok":
        raise SystemExit(f"failed: {reply['content'].get('evalue')}\n{code}")
    return elapsed


def main() -> None:
    """Time each variant REPEATS times, interleaved, in one kernel; print medians and ratios."""
    folder = tempfile.mkdtemp(prefix="mlwork-bench-tune-")
    env = {**os.environ, "JPY_SESSION_NAME": os.path.join(folder, "bench.ipynb")}  # noqa: PTH118
    km, kc = start_new_kernel(kernel_name="python3", cwd=folder, env=env)
    try:
        _run(kc, "%load_ext mlwork_jupyter")
        _run(kc, SETUP)
        variants = _variants()
        for make in variants.values():  # warm every code path once (imports, graphs)
            _run(
                kc,
                make("warm").replace("epochs=3", "epochs=1").replace("max_iter=10", "max_iter=2"),
            )
        times: dict[str, list[float]] = {name: [] for name in variants}
        for repeat in range(REPEATS):
            for name, make in variants.items():
                times[name].append(_run(kc, make(f"{repeat}")))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    med = {name: statistics.median(values) for name, values in times.items()}
    print(f"median of {REPEATS} runs, one kernel, interleaved, timed from the client")
    print("keras-tuner RandomSearch, 5 trials x 3 epochs, digits MLP:")
    base = med["bare keras-tuner search"]
    for name in (
        "bare keras-tuner search",
        "%%mlwork tune",
        "TensorBoard callback",
        "MLflow Keras autolog",
    ):
        print(f"  {name:26s} {med[name]:7.3f} s   {med[name] / base:6.3f}x bare")
    ours = med["%%mlwork tune"]
    print(f"  %%mlwork tune / bare: {ours / base:.3f}x (bar <= 1.02x)")
    for peer in ("TensorBoard callback", "MLflow Keras autolog"):
        print(f"  {peer} / %%mlwork tune: {med[peer] / ours:.3f}x (bar > 1)")
    print("FLAML AutoML.fit, lgbm, max_iter=10, digits:")
    flaml_base = med["bare FLAML fit"]
    for name in ("bare FLAML fit", "%%mlwork tune FLAML"):
        print(f"  {name:26s} {med[name]:7.3f} s   {med[name] / flaml_base:6.3f}x bare")
    flaml_ours = med["%%mlwork tune FLAML"]
    print(f"  %%mlwork tune / bare FLAML: {flaml_ours / flaml_base:.3f}x (bar <= 1.02x)")


if __name__ == "__main__":
    main()
