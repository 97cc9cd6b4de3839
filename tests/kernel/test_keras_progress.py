"""Under a live panel Keras' own progress lines give way, unless kept or `verbose=` is given."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

SETUP = """
import numpy as np, keras
X = np.random.default_rng(0).random((32, 4)).astype("float32")
y = (X[:, 0] > 0.5).astype("int32")
def make():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model
"""


def _stdout(kc: Any, code: str) -> str:
    seen: list[dict[str, Any]] = []
    reply = kc.execute_interactive(code, timeout=120, output_hook=seen.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(
        m["content"]["text"]
        for m in seen
        if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
    )


def test_the_panel_replaces_keras_progress_lines_unless_asked(kernel_factory):
    _, kc = kernel_factory()
    _stdout(kc, SETUP)
    fit = "%%mlwork train\nmake().fit(X, y, epochs=2{extra})"
    assert "Epoch 1/2" not in _stdout(kc, fit.format(extra=""))
    assert "Epoch 1/2" in _stdout(kc, fit.format(extra=", verbose=2"))  # always respected
    _stdout(kc, "%config MlworkMagics.keras_progress = True")
    assert "Epoch 1/2" in _stdout(kc, fit.format(extra=""))
    assert "Epoch 1/2" in _stdout(kc, "make().fit(X, y, epochs=2)")  # a plain cell: untouched
