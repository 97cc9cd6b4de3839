"""`%%mlwork train --workers 2`: two real TensorFlow workers on 127.0.0.1, from a real kernel."""

from __future__ import annotations

import time

import psutil
import pytest

from mlwork_jupyter.display.panel import PANEL_MIME
from mlwork_jupyter.provenance.store import Store

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

SETUP = """
import numpy as np
import keras
X = np.random.default_rng(0).random((64, 4)).astype("float32")
y = (X[:, 0] > 0.5).astype("int32")
def make_model():
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)],
        name="mlp",
    )
    model.compile(
        "adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    return model
"""

TRAIN = """%%mlwork train --workers 2 --name mw
model = make_model()
history = model.fit(X, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
print("chief done")
len(history.history["loss"])
"""


def _children(km) -> list[psutil.Process]:
    return psutil.Process(km.provisioner.pid).children(recursive=True)


def _run(kc, code: str, timeout: float = 120) -> tuple[dict, list[dict]]:
    messages: list[dict] = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=messages.append)
    return reply["content"], messages


def execute(kc, code: str) -> None:
    reply, _ = _run(kc, code)
    assert reply["status"] == "ok", f"{reply.get('ename')}: {reply.get('evalue')}"


def test_two_workers_train_stream_the_chief_and_bring_the_model_back(kernel_factory, tmp_path):
    km, kc = kernel_factory()
    execute(kc, SETUP)
    reply, messages = _run(kc, TRAIN)
    assert reply["status"] == "ok", reply
    assert _children(km) == []

    panels = [
        m["content"]["data"][PANEL_MIME]
        for m in messages
        if m["msg_type"] in {"display_data", "update_display_data"}
        and PANEL_MIME in m["content"]["data"]
    ]
    assert panels
    assert panels[-1]["status"] == "ok"
    assert panels[-1]["series"]["val_loss"]["x"] == [1, 2]
    stdout = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream")
    assert "chief done" in stdout
    [result] = [m["content"]["data"] for m in messages if m["msg_type"] == "execute_result"]
    assert result["text/plain"] == "2"

    execute(
        kc,
        "assert isinstance(model, keras.Model) and model.name == 'mlp'\n"
        "assert history.model is model\n"
        "assert len(history.history['val_loss']) == 2\n"
        "assert model.predict(X[:3], verbose=0).shape == (3, 2)",
    )
    with Store(tmp_path / ".mlwork") as store:
        [run] = store.runs()
        assert run.status == "ok"
        series = store.series(run.id)
        assert [step for step, _ in series["loss"]] == [1, 2]
        assert [step for step, _ in series["val_accuracy"]] == [1, 2]
        assert run.metrics["val_loss"] == pytest.approx(series["val_loss"][-1][1])
        assert run.params["epochs"] == 2
        assert run.params["batch_size"] == 16
        cluster = run.device["cluster"]
        assert cluster["workers"] == 2
        assert cluster["replicas"] == 2
        assert cluster["strategy"] == "MultiWorkerMirroredStrategy"
        assert [a.split(":")[0] for a in cluster["addresses"]] == ["127.0.0.1"] * 2
        assert run.device["strategy"] == "multi_worker_mirrored"
        assert "keras-team/keras#20585" in run.device["keras_fix"]
        assert [a.name for a in run.artifacts] == ["mlp.keras"]
        assert run.warnings == []


def test_an_error_on_the_workers_is_an_error_run_and_leaves_no_process(kernel_factory, tmp_path):
    km, kc = kernel_factory()
    execute(kc, SETUP + "gen = (i for i in range(3))")
    reply, messages = _run(
        kc, "%%mlwork train --workers 2 --name bad\nmodel = make_model()\nraise ValueError('boom')"
    )
    assert reply["status"] == "error"
    assert reply["ename"] == "WorkerError"
    [error] = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert error["traceback"][0] == "WorkerError: worker 0 of 2 (chief) raised ValueError: boom"
    assert "raise ValueError('boom')" in "\n".join(error["traceback"])
    assert _children(km) == []

    reply, _ = _run(kc, "%%mlwork train --workers 2 --name unsent\nx = sum(gen)")
    assert reply["ename"] == "ShippingError"
    assert "`gen` (generator" in reply["evalue"]
    assert _children(km) == []
    with Store(tmp_path / ".mlwork") as store:
        runs = {run.name: run for run in store.runs()}
        assert runs["bad"].status == "error"
        assert runs["bad"].error == "WorkerError: worker 0 of 2 (chief) raised ValueError: boom"
        assert runs["unsent"].status == "error"


def _epoch_stored(folder):
    if not (folder / ".mlwork").exists():
        return False
    with Store(folder / ".mlwork") as store:
        return any(store.series(run.id).get("loss") for run in store.runs())


def test_interrupting_the_kernel_stops_every_worker(kernel_factory, tmp_path):
    km, kc = kernel_factory()
    execute(kc, SETUP)
    flag = tmp_path / "epoch.flag"
    msg_id = kc.execute(
        "%%mlwork train --workers 2 --name stopped\n"
        "class Flag(keras.callbacks.Callback):\n"
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        open('epoch.flag', 'w').close()\n"
        "model = make_model()\n"
        "model.fit(X, y, epochs=100000, verbose=0, callbacks=[Flag()])"
    )
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert time.monotonic() < deadline, "no epoch finished on the workers"
        time.sleep(0.1)
    # The worker writes the flag before its epoch's event reaches the kernel: wait for that too.
    while not _epoch_stored(tmp_path):
        assert time.monotonic() < deadline, "no epoch reached the store"
        time.sleep(0.1)
    assert len(_children(km)) >= 2
    km.interrupt_kernel()
    while True:
        reply = kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert _children(km) == []
    with Store(tmp_path / ".mlwork") as store:
        [run] = store.runs()
        assert run.status == "interrupted"
        assert store.series(run.id)["loss"]
