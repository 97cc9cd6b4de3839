"""`%%mlwork train` around a plain Keras fit, in a real shell with real (tiny) training."""

import pytest
from IPython.core.error import UsageError

pytestmark = pytest.mark.tensorflow

SETUP = """
import numpy as np
import keras
keras.utils.set_random_seed(0)
X = np.random.default_rng(0).random((64, 4)).astype("float32")
y = (X[:, 0] > 0.5).astype("int32")
def make_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
"""


@pytest.fixture
def kip(ip):
    assert ip.run_cell(SETUP).success
    return ip


def test_plain_fit_is_recorded_with_epochs_metrics_and_model(kip, store, tmp_path):
    res = kip.run_cell(
        "%%mlwork train --name tiny\nmodel = make_model()\n"
        "history = model.fit(X, y, validation_split=0.25, epochs=3, batch_size=16, verbose=0)"
    )
    assert res.success, res.error_in_exec
    run = store().runs()[0]
    assert run.status == "ok"
    assert run.params["epochs"] == 3
    assert run.params["batch_size"] == 16
    assert run.params["optimizer"] == "Adam"
    assert run.params["param_count"] == 10
    series = store().series(run.id)
    assert [step for step, _ in series["val_loss"]] == [1, 2, 3]
    assert len(series["val_accuracy"]) == 3
    history = kip.user_ns["history"].history
    assert run.metrics["val_loss"] == pytest.approx(history["val_loss"][-1])
    assert "epoch_seconds" not in run.metrics
    [artifact] = run.artifacts
    assert artifact.name.endswith(".keras")
    assert (tmp_path / artifact.path).stat().st_size > 0
    assert run.device["strategy"] == "default"
    assert "CPU" in run.device["reason"] or run.device["reason"]


def test_two_fits_in_one_cell_make_two_series_of_one_run(kip, store):
    kip.run_cell(
        "%%mlwork train --name twice\nmodel = make_model()\n"
        "model.fit(X, y, epochs=2, verbose=0)\nmodel.fit(X, y, epochs=3, verbose=0)"
    )
    [run] = store().runs()
    series = store().series(run.id)
    assert len(series["loss"]) == 2
    assert len(series["fit2/loss"]) == 3


def test_exception_inside_fit_is_an_error_and_fit_is_restored(kip, store):
    import keras

    original = keras.Model.fit
    res = kip.run_cell(
        "%%mlwork train --name bad\nmodel = make_model()\nmodel.fit(X, y[:5], epochs=1, verbose=0)"
    )
    assert res.error_in_exec is not None
    assert keras.Model.fit is original
    assert store().runs()[0].status == "error"


def test_user_callback_raising_is_an_error_and_ours_is_removed(kip, store):
    import keras

    original = keras.Model.fit
    res = kip.run_cell(
        "%%mlwork train --name cb\nclass Boom(keras.callbacks.Callback):\n"
        "    def on_epoch_end(self, epoch, logs=None):\n        raise RuntimeError('boom')\n"
        "cbs = [Boom()]\nmodel = make_model()\nmodel.fit(X, y, epochs=2, verbose=0, callbacks=cbs)"
    )
    assert isinstance(res.error_in_exec, RuntimeError)
    assert keras.Model.fit is original
    assert len(kip.user_ns["cbs"]) == 1  # the user's list is never changed
    assert store().runs()[0].status == "error"


def test_keyboard_interrupt_during_fit_is_interrupted(kip, store):
    import keras

    original = keras.Model.fit
    res = kip.run_cell(
        "%%mlwork train --name stop\nclass Stop(keras.callbacks.Callback):\n"
        "    def on_epoch_begin(self, epoch, logs=None):\n"
        "        if epoch == 2:\n            raise KeyboardInterrupt\n"
        "model = make_model()\nmodel.fit(X, y, epochs=5, verbose=0, callbacks=[Stop()])"
    )
    assert isinstance(res.error_in_exec, KeyboardInterrupt)
    assert keras.Model.fit is original
    run = store().runs()[0]
    assert run.status == "interrupted"
    assert len(store().series(run.id)["loss"]) == 2


def test_impossible_strategy_is_a_usage_error_and_nothing_runs(kip, tmp_path):
    res = kip.run_cell("%%mlwork train --strategy tpu\nran = True\nkeras.backend")
    assert isinstance(res.error_before_exec, UsageError)
    assert "\n" not in str(res.error_before_exec)
    assert "ran" not in kip.user_ns
    assert not (tmp_path / ".mlwork" / "mlwork.sqlite").exists()


def test_devices_line_magic_explains_the_choice(kip, capsys):
    kip.run_line_magic("mlwork", "devices")
    out = capsys.readouterr().out
    assert "strategy" in out
    assert "CPU" in out


def test_live_panel_in_a_plain_cell_ends_its_run_when_fit_raises(kip, store):
    res = kip.run_cell(
        "from mlwork_jupyter.keras import LivePanel\n"
        "class Boom(keras.callbacks.Callback):\n"
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        raise RuntimeError('boom at epoch end')\n"
        "model = make_model()\n"
        "model.fit(X, y, epochs=3, verbose=0, callbacks=[LivePanel('raising'), Boom()])"
    )
    assert isinstance(res.error_in_exec, RuntimeError)
    [run] = store().runs()
    assert run.status == "error"
    assert run.error == "RuntimeError: boom at epoch end"
    assert [s for s, _ in store().series(run.id)["loss"]] == [1]  # the epoch before the raise
    assert not [c for c in kip.events.callbacks["post_run_cell"] if "after_cell" in repr(c)]


def test_live_panel_fit_that_completes_is_ok(kip, store):
    res = kip.run_cell(
        "from mlwork_jupyter.keras import LivePanel\nmodel = make_model()\n"
        "model.fit(X, y, epochs=2, verbose=0, callbacks=[LivePanel('fine')])"
    )
    assert res.success
    [run] = store().runs()
    assert run.status == "ok"
    assert not [c for c in kip.events.callbacks["post_run_cell"] if "after_cell" in repr(c)]


def test_a_model_keras_cannot_save_whole_keeps_its_weights(kip, store):
    res = kip.run_cell(
        "%%mlwork train --name subclassed\n"
        "class Net(keras.Model):\n"
        "    def __init__(self, units):\n"
        "        super().__init__()\n"
        "        self.d = keras.layers.Dense(units, activation='softmax')\n"
        "    def call(self, x):\n"
        "        return self.d(x)\n"
        "net = Net(2)\n"
        "net.compile('adam', 'sparse_categorical_crossentropy')\n"
        "net.fit(X, y, epochs=1, verbose=0)"
    )
    assert res.success, res.error_in_exec
    [run] = store().runs()
    [warning] = [w for w in run.warnings if "not saved" in w]
    # Keras' message starts with a line break: the first non-empty line is kept.
    assert "NotImplementedError: Object Net was created by passing" in warning
    assert warning.endswith("its weights are: net.weights.h5")
    assert [a.name for a in run.artifacts] == ["net.weights.h5"]
