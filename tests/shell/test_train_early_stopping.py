"""`%%mlwork train` with Keras' EarlyStopping: stop and restored epochs in the record and panel."""

import pytest

from mlwork_jupyter.display.panel import PANEL_MIME

pytestmark = pytest.mark.tensorflow

SETUP = """
import numpy as np
import keras
keras.utils.set_random_seed(0)
X = np.random.default_rng(0).random((64, 4)).astype("float32")
y = (X[:, 0] > 0.5).astype("int32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
# min_delta larger than any one epoch's gain: it stops after patience epochs.
stop = keras.callbacks.EarlyStopping(
    monitor="val_loss", patience=2, min_delta=10.0, restore_best_weights=True
)
"""


def test_early_stopping_stop_and_restored_epochs_reach_record_and_panel(ip, store):
    assert ip.run_cell(SETUP).success
    res = ip.run_cell(
        "%%mlwork train --name early\n"
        "history = model.fit(X, y, validation_split=0.25, epochs=20, batch_size=16,"
        " callbacks=[stop], verbose=0)"
    )
    assert res.success, res.error_in_exec
    stop = ip.user_ns["stop"]
    assert stop.stopped_epoch > 0  # the fit really stopped early
    epochs_run = len(ip.user_ns["history"].history["loss"])
    run = store().runs()[0]
    early = run.params["early_stopping"]
    assert early == {
        "monitor": "val_loss",
        "stopped_epoch": stop.stopped_epoch + 1,
        "best_epoch": stop.best_epoch + 1,
        "restored_epoch": stop.best_epoch + 1,
    }
    assert early["stopped_epoch"] == epochs_run


def test_early_stopping_and_best_epochs_reach_the_live_panel(ip):
    from mlwork_jupyter.display.panel import Panel
    from mlwork_jupyter.ml.keras_capture import capture_keras_fit
    from mlwork_jupyter.stages.fit_reporter import RunReporter

    assert ip.run_cell(SETUP).success
    frames = []
    panel = Panel(lambda bundle, update: frames.append(bundle), min_interval_s=0)
    ns = ip.user_ns
    with capture_keras_fit(RunReporter(None, panel), quiet=True):
        history = (
            ns["model"]
            .fit(
                ns["X"],
                ns["y"],
                validation_split=0.25,
                epochs=20,
                batch_size=16,
                callbacks=[ns["stop"]],
            )
            .history
        )
    panel.close("ok")
    stop = ns["stop"]
    epochs_run = len(history["loss"])
    payload = frames[-1][PANEL_MIME]
    assert payload["early_stopping"] == [
        {
            "fit": 1,
            "monitor": "val_loss",
            "stopped_epoch": epochs_run,
            "best_epoch": stop.best_epoch + 1,
            "restored_epoch": stop.best_epoch + 1,
        }
    ]
    best = payload["best"]["val_loss"]
    assert best["goal"] == "min"
    assert best["value"] == pytest.approx(min(history["val_loss"]))
    assert best["epoch"] == 1 + history["val_loss"].index(min(history["val_loss"]))
    assert payload["best"]["val_accuracy"]["goal"] == "max"
    assert payload["progress"]["epoch"] == payload["series"]["loss"]["x"][-1] == epochs_run
    html = frames[-1]["text/html"]
    assert f">stopped {epochs_run}<" in html
    assert 'class="mlwork-best-mark"' in html
