"""`%%mlwork train` on a small Keras fit against bare `fit` and the peers, side by side.

Digits MLP (scikit-learn's bundled digits), 20 epochs, batch 32, validation split 0.2, on the
CPU; every variant trains the same fresh model in the same process, interleaved, median of
MLWORK_BENCH_REPEATS runs (default 5). Bar: < 1 % over bare `fit`, and faster than each peer:
livelossplot's callback, TensorBoard's callback, MLflow's Keras autolog.

Run: .venv/bin/python benchmarks/bench_train.py
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
os.environ.setdefault("MPLBACKEND", "Agg")

REPEATS = int(os.environ.get("MLWORK_BENCH_REPEATS", "5"))
EPOCHS = 20


def _data():
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.data / 16.0).astype("float32"), digits.target


def _model():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


FIT = "model.fit(X, y, validation_split=0.2, epochs={epochs}, batch_size=32, verbose=0{extra})"


def main() -> None:  # noqa: C901 - one flat script reads best
    import keras
    from IPython.testing.globalipapp import start_ipython

    tmp = tempfile.mkdtemp(prefix="mlwork-bench-train-")
    os.chdir(tmp)
    ip = start_ipython()
    ip.run_line_magic("load_ext", "mlwork_jupyter")
    x, y = _data()
    ip.user_ns.update(X=x, y=y, keras=keras, _model=_model)

    import mlflow
    from livelossplot import PlotLossesKeras

    mlflow.set_tracking_uri(f"file://{tmp}/mlruns")

    def bare() -> str:
        return FIT.format(epochs=EPOCHS, extra="")

    def livelossplot() -> str:
        ip.user_ns["_cb"] = PlotLossesKeras()  # its default outputs, as users run it
        return FIT.format(epochs=EPOCHS, extra=", callbacks=[_cb]")

    def tensorboard() -> str:
        ip.user_ns["_cb"] = keras.callbacks.TensorBoard(log_dir=tempfile.mkdtemp(dir=tmp))
        return FIT.format(epochs=EPOCHS, extra=", callbacks=[_cb]")

    def mlflow_autolog() -> str:
        return (
            "import mlflow\nmlflow.keras.autolog(log_models=False)\nwith mlflow.start_run():\n"
            "    " + FIT.format(epochs=EPOCHS, extra="") + "\nmlflow.keras.autolog(disable=True)"
        )

    def ours() -> str:
        return "%%mlwork train --name bench\n" + FIT.format(epochs=EPOCHS, extra="")

    variants = {
        "bare fit": bare,
        "%%mlwork train": ours,
        "livelossplot callback": livelossplot,
        "TensorBoard callback": tensorboard,
        "MLflow Keras autolog": mlflow_autolog,
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        for make in variants.values():  # warm every code path once
            ip.run_cell("model = _model()")
            ip.run_cell(make().replace(f"epochs={EPOCHS}", "epochs=1"))
        for _ in range(REPEATS):
            for name, make in variants.items():
                ip.run_cell("model = _model()")
                code = make()
                start = time.perf_counter()
                result = ip.run_cell(code)
                times[name].append(time.perf_counter() - start)
                if not result.success:
                    raise SystemExit(f"{name} failed: {result.error_in_exec!r}")
            sink.seek(0)
            sink.truncate()
    base = statistics.median(times["bare fit"])
    print(f"digits MLP, {EPOCHS} epochs, median of {REPEATS} (same process, interleaved)")
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:24s} {med:7.3f} s   {med / base:6.3f}x bare fit")
    ours_med = statistics.median(times["%%mlwork train"])
    print(
        f"\n  overhead of %%mlwork train over bare fit: {100 * (ours_med / base - 1):+.2f} % "
        "(bar < 1 %)"
    )
    for peer in ("livelossplot callback", "TensorBoard callback", "MLflow Keras autolog"):
        print(f"  {peer} / %%mlwork train: {statistics.median(times[peer]) / ours_med:.3f}x")


if __name__ == "__main__":
    main()
