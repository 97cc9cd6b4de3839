"""The fixed cost of `%%mlwork train` per cell, apart from the fit: a short fit, A/B.

One compiled digits-sized MLP is fitted for 2 epochs again and again in a real IPython shell,
alternately as a plain cell and as a `%%mlwork train` cell (so no variant pays for tracing);
medians of MLWORK_BENCH_REPEATS pairs (default 40) after 5 warm-up pairs. The difference is what
the magic adds to any fit (capture, store writes, the record, the `.keras` save), which
`bench_train.py`'s ratio divides by the length of its fit.

Run: .venv/bin/python benchmarks/bench_train_fixed.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPEATS = int(os.environ.get("MLWORK_BENCH_REPEATS", "40"))
WARMUP = 5
SETUP = """import keras, numpy as np
x = np.random.default_rng(0).random((256, 64), dtype="float32")
y = np.random.default_rng(1).integers(0, 10, 256)
model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=1, verbose=0)
"""
BODY = "h = model.fit(x, y, epochs=2, batch_size=64, validation_split=0.2, verbose=0)\n"


def main() -> None:
    from IPython.testing.globalipapp import start_ipython

    os.chdir(tempfile.mkdtemp(prefix="mlwork-bench-"))
    ip = start_ipython()
    ip.run_line_magic("load_ext", "mlwork_jupyter")
    ip.run_cell(SETUP)
    bare, ours = [], []
    for _ in range(REPEATS + WARMUP):
        start = time.perf_counter()
        ip.run_cell(BODY)
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        ip.run_cell("%%mlwork train --name bench\n" + BODY)
        ours.append(time.perf_counter() - start)
    b, o = statistics.median(bare[WARMUP:]), statistics.median(ours[WARMUP:])
    print(f"2-epoch fit of one compiled model, median of {REPEATS} interleaved pairs")
    print(f"  plain cell              {b * 1000:7.1f} ms")
    print(
        f"  %%mlwork train cell     {o * 1000:7.1f} ms   fixed cost {1000 * (o - b):.1f} ms a cell"
    )


if __name__ == "__main__":
    main()
