import os
import shutil
import signal
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mlwork_jupyter.display.panel import PANEL_MIME
from mlwork_jupyter.provenance.record import RECORD_MIME
from mlwork_jupyter.provenance.store import Store

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

EXAMPLE = Path(__file__).parents[2] / "example_notebooks" / "02_digits_keras.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits")
    target = folder / EXAMPLE.name
    shutil.copy(EXAMPLE, target)
    nb = nbformat.read(target, as_version=4)
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(folder)}}).execute(
        env={**os.environ, "JPY_SESSION_NAME": str(target)}
    )
    nbformat.write(nb, target)
    return target, nb


def _outputs(nb, mime):
    return [
        out["data"][mime]
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if mime in out.get("data", {})
    ]


def test_train_record_has_epochs_batch_size_series_and_model(executed):
    path, nb = executed
    train = next(r for r in _outputs(nb, RECORD_MIME) if r["stage"] == "train")
    assert train["status"] == "ok"
    assert train["params"]["epochs"] == 20
    assert train["params"]["batch_size"] == 32
    assert train["params"]["learning_rate"] == 1e-3
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= train["metrics"].keys()
    [model] = [a for a in train["artifacts"] if a["name"].endswith(".keras")]
    assert (path.parent / model["path"]).is_file()
    with Store(path.parent / ".mlwork") as store:
        series = store.series(train["id"])
    assert [step for step, _ in series["val_accuracy"]] == list(range(1, 21))
    assert series["batch/loss"]


def test_panel_bundle_is_final_and_agrees_with_the_record(executed):
    _, nb = executed
    [panel] = _outputs(nb, PANEL_MIME)
    train = next(r for r in _outputs(nb, RECORD_MIME) if r["stage"] == "train")
    assert panel["status"] == "ok"
    assert panel["progress"]["epoch"] == 20
    for name in ("loss", "val_loss", "accuracy", "val_accuracy"):
        assert panel["final"][name] == pytest.approx(train["metrics"][name])
    bundle = next(
        out["data"]
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if PANEL_MIME in out.get("data", {})
    )
    assert "<svg" in bundle["text/html"]
    assert "val_loss" in bundle["text/plain"]


def test_evaluate_record(executed):
    _, nb = executed
    evaluate = next(r for r in _outputs(nb, RECORD_MIME) if r["stage"] == "evaluate")
    # `model.evaluate` is captured: no logging call in the cell.
    assert evaluate["metrics"]["accuracy"] > 0.8
    assert "loss" in evaluate["metrics"]


def test_kill_9_during_fit_keeps_every_completed_epoch(kernel_factory, tmp_path):
    km, kc = kernel_factory()
    kc.execute(
        "%%mlwork train --name doomed-fit\nimport pathlib, time\nimport numpy as np, keras\n"
        "class Hang(keras.callbacks.Callback):\n"
        "    def on_epoch_begin(self, epoch, logs=None):\n"
        "        if epoch == 3:\n"
        "            pathlib.Path('epochs.flag').touch()\n            time.sleep(600)\n"
        "X = np.random.default_rng(0).random((32, 4)).astype('float32')\n"
        "y = (X[:, 0] > 0.5).astype('int32')\n"
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
        "model.compile('adam', keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
        "model.fit(X, y, epochs=10, verbose=0, callbacks=[Hang()])"
    )
    deadline = time.monotonic() + 120
    while not (tmp_path / "epochs.flag").exists():
        assert time.monotonic() < deadline, "the fit never reached epoch 4"
        time.sleep(0.1)
    os.kill(km.provisioner.pid, signal.SIGKILL)
    while km.is_alive():
        time.sleep(0.05)
    with Store(tmp_path / ".mlwork") as store:
        [run] = store.runs()
        assert run.status == "killed"
        assert run.params["epochs"] == 10
        assert [step for step, _ in store.series(run.id)["loss"]] == [1, 2, 3]
