"""A keras-tuner search in a real kernel: the card and the trials panel survive the search."""

from __future__ import annotations

import os
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel

from mlwork_jupyter.display.panel import PANEL_MIME
from mlwork_jupyter.provenance.record import RECORD_MIME
from mlwork_jupyter.provenance.store import Store

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

SEARCH = """%%mlwork tune --name kt
import numpy as np, keras, keras_tuner
X = np.random.default_rng(0).random((64, 4)).astype("float32")
y = (X[:, 0] > 0.5).astype("int32")
def build(hp):
    model = keras.Sequential([keras.Input((4,)),
                              keras.layers.Dense(hp.Int("units", 2, 8), activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
tuner = keras_tuner.RandomSearch(build, objective="val_accuracy", max_trials=3,
                                 directory="kt", overwrite=True, seed=3)
tuner.search(X, y, epochs=2, validation_split=0.25)
"""


def _messages(kc: Any, code: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    reply = kc.execute_interactive(code, timeout=300, output_hook=seen.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    return seen


def test_a_search_keeps_the_card_and_one_trials_panel_in_the_output(tmp_path):
    env = {**os.environ, "JPY_SESSION_NAME": str(tmp_path / "tune.ipynb")}
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env=env)
    try:
        _messages(kc, "%load_ext mlwork_jupyter")
        seen = _messages(kc, SEARCH)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    kinds = [m["msg_type"] for m in seen]
    assert "clear_output" not in kinds  # keras-tuner's clear at every trial end is held off
    text = "".join(m["content"].get("text", "") for m in seen if m["msg_type"] == "stream")
    assert "Search: Running Trial" not in text  # the panel shows the trials instead
    panels = [
        m["content"]
        for m in seen
        if m["msg_type"] in ("display_data", "update_display_data")
        and PANEL_MIME in m["content"]["data"]
    ]
    ids = {p["transient"]["display_id"] for p in panels}
    assert len(ids) == 1  # one panel, updated in place
    payloads = [p["data"][PANEL_MIME] for p in panels]
    assert payloads[0]["kind"] == "tune"
    done = [len(p["tune"]["trials"]) for p in payloads if p.get("tune")]
    assert len(set(map(str, payloads))) >= 3  # it changed while the search ran
    assert max(done) == 3
    final = payloads[-1]
    assert final["status"] == "ok"
    assert final["tune"]["best"] is not None
    assert final["tune"]["counts"]["ok"] == 3
    cards = [
        m["content"]["data"][RECORD_MIME]
        for m in seen
        if RECORD_MIME in m["content"].get("data", {})
    ]
    assert cards[-1]["status"] == "ok"
    with Store(tmp_path / ".mlwork") as store:
        [run] = store.runs()
        assert run.metrics["trials"] == 3
