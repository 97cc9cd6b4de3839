"""A train cell sets TensorFlow up itself: nothing imports it before the cell's own code."""

from __future__ import annotations

from typing import Any

import pytest

from mlwork_jupyter.provenance.store import Store

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]


def _run(kc: Any, code: str, *, ok: bool = True) -> tuple[str, dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    reply = kc.execute_interactive(code, timeout=180, output_hook=seen.append)
    assert (reply["content"]["status"] == "ok") is ok, reply["content"]
    out = "".join(m["content"].get("text", "") for m in seen if m["msg_type"] == "stream")
    return out, reply["content"]


def test_keras_backend_set_by_the_cell_is_the_one_keras_uses(kernel_factory, tmp_path):
    _, kc = kernel_factory()
    cell = (
        "import os, sys\n"
        "print('tensorflow imported before:', 'tensorflow' in sys.modules)\n"
        "os.environ['KERAS_BACKEND'] = 'numpy'\n"
        "import keras\n"
    )
    # Keras' NumPy backend needs JAX, which is not installed: the cell fails as it does without
    # the magic, because Keras did read the backend the cell set (under TensorFlow it would run).
    out, reply = _run(kc, "%%mlwork train --name numpy-backend\n" + cell, ok=False)
    assert "tensorflow imported before: False" in out
    assert (reply["ename"], reply["evalue"]) == ("ModuleNotFoundError", "No module named 'jax'")
    with Store(tmp_path / ".mlwork") as store:
        [run] = store.runs()
    assert run.status == "error"
    assert run.error == "ModuleNotFoundError: No module named 'jax'"


def test_tensorflow_set_up_by_the_cell_still_records_its_fits(kernel_factory, tmp_path):
    _, kc = kernel_factory()
    out, _ = _run(
        kc,
        "%%mlwork train --name quiet-tf\n"
        "import os, sys\n"
        "print('tensorflow imported before:', 'tensorflow' in sys.modules)\n"
        "os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
        "import numpy as np\n"
        "import keras\n"
        "import tensorflow as tf\n"
        "print('log level seen by TensorFlow:', os.environ['TF_CPP_MIN_LOG_LEVEL'])\n"
        "X = np.random.default_rng(0).random((32, 4)).astype('float32')\n"
        "y = (X[:, 0] > 0.5).astype('int32')\n"
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])\n"
        "model.compile('adam', keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
        "model.fit(X, y, epochs=2, verbose=0)\n",
    )
    assert "tensorflow imported before: False" in out
    with Store(tmp_path / ".mlwork") as store:
        [run] = store.runs()
        series = store.series(run.id)
    assert run.status == "ok"
    assert [step for step, _ in series["loss"]] == [1, 2]
    assert run.device["keras_backend"] == "tensorflow"
    assert run.device["strategy"] == "default"
    assert run.device["devices"]["devices"][0]["kind"] == "CPU"
    assert run.artifacts
