"""Keras `fit` capture: real fits of a one-Dense model on tiny data, reported to memory."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlwork_jupyter.ml.keras_capture import capture_keras_fit

from .memory_reporter import MemoryReporter

pytestmark = pytest.mark.tensorflow
keras = pytest.importorskip("keras")


class BoomError(RuntimeError):
    """Raised by the test callback."""


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    return x, y


def tiny_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


class Counting(keras.callbacks.Callback):
    def __init__(self, fail_at_epoch: int | None = None) -> None:
        super().__init__()
        self.epochs: list[int] = []
        self.fail_at_epoch = fail_at_epoch

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)
        if epoch == self.fail_at_epoch:
            raise BoomError("user callback failed")


def fit_is_original():
    return "fit" not in keras.Model.__dict__


def test_fit_reports_params_epoch_series_and_status(data):
    x, y = data
    reporter = MemoryReporter()
    user = Counting()
    with capture_keras_fit(reporter, batch_interval_s=0) as capture:
        history = tiny_model().fit(
            x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0, callbacks=[user]
        )
    assert fit_is_original()
    assert capture.fits == 1
    assert user.epochs == [0, 1, 2]
    assert history.history["val_loss"]
    params = reporter.params_seen[0]
    assert params["epochs"] == 3
    assert params["batch_size"] == 16
    assert params["steps_per_epoch"] == 3  # 48 training rows in batches of 16
    assert params["validation_split"] == 0.25
    assert params["optimizer"] == "Adam"
    assert params["learning_rate"] == pytest.approx(0.001)
    assert params["loss"] == "binary_crossentropy"
    assert params["metrics"] == ["accuracy"]
    assert params["param_count"] == 5
    assert "Dense" in params["model_summary"]
    json.dumps(params)
    steps, val_loss = reporter.series("val_loss")
    assert steps == [1, 2, 3]
    assert val_loss == pytest.approx(history.history["val_loss"])
    for name in ("loss", "accuracy", "val_accuracy", "epoch_seconds"):
        assert reporter.series(name)[0] == [1, 2, 3]
    batch_steps, _ = reporter.series("loss", "batch")
    assert batch_steps == list(range(1, 10))  # every batch, interval 0; global numbering
    last = reporter.progress_seen[-1]
    assert (last.epoch, last.epochs, last.step, last.steps, last.eta_s) == (3, 3, 3, 3, 0.0)
    assert reporter.statuses == [("running", None), ("ok", None)]
    assert not reporter.warnings


def test_batch_reports_are_throttled(data):
    x, y = data
    reporter = MemoryReporter()
    with capture_keras_fit(reporter, batch_interval_s=3600):
        tiny_model().fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert reporter.series("loss", "batch") == ([], [])
    assert reporter.series("loss")[0] == [1, 2]
    assert reporter.params_seen[0]["batch_size"] == 4


def test_two_fits_give_two_series(data):
    x, y = data
    reporter = MemoryReporter()
    model = tiny_model()
    with capture_keras_fit(reporter) as capture:
        model.fit(x, y, epochs=2, verbose=0)
        model.fit(x, y, epochs=3, validation_data=(x, y), verbose=0, callbacks=None)
    assert capture.fits == 2
    assert reporter.series("loss")[0] == [1, 2]
    assert reporter.series("fit2/loss")[0] == [1, 2, 3]
    assert reporter.series("fit2/val_loss")[0] == [1, 2, 3]
    assert reporter.params_seen[0]["batch_size"] == 32  # Keras' default for arrays
    assert reporter.params_seen[1]["fit2/epochs"] == 3
    assert reporter.params_seen[1]["fit2/validation_data"] is True
    assert reporter.params_seen[1]["fit2/fit"] == 2
    assert [p.fit for p in reporter.progress_seen][-1] == 2


def test_callback_list_and_single_callback_are_kept(data):
    x, y = data
    reporter = MemoryReporter()
    user = Counting()
    model = tiny_model()
    callbacks = keras.callbacks.CallbackList(
        [user], add_history=True, model=model, epochs=2, steps=2, verbose=0
    )
    with capture_keras_fit(reporter):
        model.fit(x, y, epochs=2, verbose=0, callbacks=callbacks)
        single = Counting()
        model.fit(x, y, epochs=1, verbose=0, callbacks=single)
    assert user.epochs == [0, 1]
    assert [type(c).__name__ for c in callbacks.callbacks] == ["Counting", "History"]
    assert single.epochs == [0]
    assert reporter.series("loss")[0] == [1, 2]
    assert reporter.series("fit2/loss")[0] == [1]


def test_positional_callbacks_are_kept(data):
    x, y = data
    reporter = MemoryReporter()
    user = Counting()
    with capture_keras_fit(reporter):
        tiny_model().fit(x, y, 16, 2, 0, [user])
    assert user.epochs == [0, 1]
    assert reporter.params_seen[0]["batch_size"] == 16
    assert reporter.series("loss")[0] == [1, 2]


def test_fit_restored_after_an_error_inside_fit(data):
    x, y = data
    reporter = MemoryReporter()
    original = keras.Model.fit
    with pytest.raises(ValueError), capture_keras_fit(reporter):  # noqa: PT012
        assert keras.Model.fit is not original
        tiny_model().fit(x, y[:10], epochs=1, verbose=0)  # x and y disagree in length
    assert fit_is_original()
    assert keras.Model.fit is original
    assert reporter.statuses[-1][0] == "error"
    assert "ValueError" in reporter.statuses[-1][1]


def test_fit_restored_after_a_user_callback_raises(data):
    x, y = data
    reporter = MemoryReporter()
    with pytest.raises(BoomError), capture_keras_fit(reporter):
        tiny_model().fit(x, y, epochs=5, verbose=0, callbacks=[Counting(fail_at_epoch=1)])
    assert fit_is_original()
    assert reporter.series("loss")[0] == [1]  # ours comes after the user's: epoch 2 unseen
    assert reporter.statuses[-1] == ("error", "BoomError: user callback failed")


def test_early_stop_is_ok_with_a_detail(data):
    x, y = data
    reporter = MemoryReporter()
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0)
    with capture_keras_fit(reporter):
        tiny_model().fit(x, y, epochs=10, verbose=0, callbacks=[stop])
    status, detail = reporter.statuses[-1]
    assert status == "ok"
    assert detail is not None
    assert "stopped early" in detail


class Broken(MemoryReporter):
    def metrics(self, values, step, kind):
        raise OSError("disk full")


def test_a_failing_reporter_never_breaks_the_fit(data):
    x, y = data
    reporter = Broken()
    with capture_keras_fit(reporter):
        history = tiny_model().fit(x, y, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert reporter.warnings == ["Keras fit capture stopped: OSError: disk full"]
