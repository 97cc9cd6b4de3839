import os

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from mlwork_jupyter.display.panel import PANEL_MIME
from mlwork_jupyter.provenance.record import RECORD_MIME
from mlwork_jupyter.provenance.store import Store

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

FIT = """
import numpy as np, keras
from mlwork_jupyter.keras import LivePanel
X = np.random.default_rng(0).random((32, 4)).astype("float32")
y = (X[:, 0] > 0.5).astype("int32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)], name="plain")
model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(X, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[LivePanel()]);
"""


def test_live_panel_in_a_plain_cell_shows_the_panel_and_records(tmp_path):
    target = tmp_path / "plain.ipynb"
    nb = new_notebook(cells=[new_code_cell("%load_ext mlwork_jupyter"), new_code_cell(FIT)])
    NotebookClient(nb, timeout=180, resources={"metadata": {"path": str(tmp_path)}}).execute(
        env={**os.environ, "JPY_SESSION_NAME": str(target)}
    )
    outputs = [o.get("data", {}) for o in nb.cells[1].outputs]
    [panel] = [d[PANEL_MIME] for d in outputs if PANEL_MIME in d]
    assert panel["status"] == "ok"
    assert panel["title"] == "plain"
    assert len(panel["series"]["val_loss"]["y"]) == 3
    [card] = [d[RECORD_MIME] for d in outputs if RECORD_MIME in d]
    assert card["stage"] == "train"
    with Store(tmp_path / ".mlwork") as store:
        [run] = store.runs()
        assert run.status == "ok"
        assert run.params["epochs"] == 3
        assert "LivePanel()" in run.code
        assert [s for s, _ in store.series(run.id)["val_loss"]] == [1, 2, 3]


def test_live_panel_inside_a_train_cell_adds_nothing(tmp_path):
    target = tmp_path / "cell.ipynb"
    nb = new_notebook(
        cells=[new_code_cell("%load_ext mlwork_jupyter"), new_code_cell("%%mlwork train\n" + FIT)]
    )
    NotebookClient(nb, timeout=180, resources={"metadata": {"path": str(tmp_path)}}).execute(
        env={**os.environ, "JPY_SESSION_NAME": str(target)}
    )
    outputs = [o.get("data", {}) for o in nb.cells[1].outputs]
    assert len([d for d in outputs if PANEL_MIME in d]) == 1
    assert len([d for d in outputs if RECORD_MIME in d]) == 1
    with Store(tmp_path / ".mlwork") as store:
        assert len(store.runs()) == 1
