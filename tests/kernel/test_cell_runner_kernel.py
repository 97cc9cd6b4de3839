"""In a real kernel: top-level `await`, and TensorFlow's start-up lines kept out of the cell."""

import os

import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from mlwork_jupyter.provenance.record import RECORD_MIME
from mlwork_jupyter.provenance.store import Store

pytestmark = pytest.mark.kernel

# Lines TensorFlow's C++ start-up writes on this kind of machine (absl, oneDNN, CUDA).
_STARTUP_WORDS = ("oneDNN", "cuInit", "absl", "TF_ENABLE_ONEDNN_OPTS", "cuda")


def _run(tmp_path, cells, name="nb.ipynb"):
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    NotebookClient(
        nb, timeout=180, allow_errors=True, resources={"metadata": {"path": str(tmp_path)}}
    ).execute(env={**os.environ, "JPY_SESSION_NAME": str(tmp_path / name)})
    return nb


def _stream(cell, name):
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == name)


def test_top_level_await_in_a_kernel(tmp_path):
    nb = _run(
        tmp_path,
        [
            "%load_ext mlwork_jupyter",
            (
                "%%mlwork data --name wait\nimport asyncio\nawait asyncio.sleep(0.01)\n"
                "value = await asyncio.sleep(0, result=7)\nvalue * 6"
            ),
        ],
    )
    cell = nb.cells[1]
    assert not [o for o in cell.outputs if o["output_type"] == "error"]
    [result] = [o for o in cell.outputs if o["output_type"] == "execute_result"]
    assert result["data"]["text/plain"] == "42"
    with Store(tmp_path / ".mlwork") as store:
        [run] = store.runs()
        assert (run.name, run.status) == ("wait", "ok")


@pytest.mark.tensorflow
def test_tensorflow_start_up_lines_go_to_the_record_not_the_cell(tmp_path):
    plain = _run(
        tmp_path, ["import tensorflow as tf\ntf.config.list_physical_devices()"], "p.ipynb"
    )
    theirs = _stream(plain.cells[0], "stderr")
    nb = _run(
        tmp_path,
        [
            "%load_ext mlwork_jupyter",
            (
                "%%mlwork train --name quiet\nimport keras\n"
                "model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])"
            ),
        ],
    )
    cell = nb.cells[1]
    shown = _stream(cell, "stderr") + _stream(cell, "stdout")
    assert not [w for w in _STARTUP_WORDS if w in shown], shown
    [card] = [o["data"][RECORD_MIME] for o in cell.outputs if RECORD_MIME in o.get("data", {})]
    kept = (card.get("device") or {}).get("tensorflow_messages", "")
    if theirs.strip():  # this machine's TensorFlow prints at start-up: we kept it
        first = next(line for line in theirs.splitlines() if line.strip())
        assert first.split(":")[-1].strip()[:30] in kept
    html = next(o["data"]["text/html"] for o in cell.outputs if RECORD_MIME in o.get("data", {}))
    assert ("TensorFlow messages" in html) == bool(kept)
    # The user's own import shows its output: never hidden.
    assert not theirs.strip() or any(w in theirs for w in _STARTUP_WORDS)


@pytest.mark.tensorflow
def test_keras_scoring_shows_progress_then_the_evaluation_fills_it_in(tmp_path):
    from mlwork_jupyter.display.panel import PANEL_MIME

    nb = _run(
        tmp_path,
        [
            "%load_ext mlwork_jupyter",
            (
                "import numpy as np, keras\nimport mlwork_jupyter as mlwork\n"
                "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, 'softmax')])\n"
                "x = np.random.default_rng(0).random((320, 3)).astype('float32')\n"
                "y = (x[:, 0] > 0.5).astype(int)"
            ),
            (
                "%%mlwork evaluate --name scored\n"
                "p = m.predict(x, batch_size=2, verbose=0)\n"
                "ev = mlwork.evaluate(y, proba=p)"
            ),
        ],
    )
    cell = nb.cells[2]
    assert not [o for o in cell.outputs if o["output_type"] == "error"]
    panels = [o["data"][PANEL_MIME] for o in cell.outputs if PANEL_MIME in o.get("data", {})]
    assert len(panels) == 1  # the progress panel became the evaluation
    assert panels[0]["kind"] == "evaluate"
    assert "accuracy" in panels[0]["final"]


@pytest.mark.tensorflow
def test_progress_panel_counts_batches_before_the_evaluation(kernel_factory):
    from mlwork_jupyter.display.panel import PANEL_MIME

    _km, kc = kernel_factory()
    seen: list[tuple[str, dict]] = []

    def hook(msg):
        if msg["msg_type"] in ("display_data", "update_display_data"):
            data = msg["content"]["data"]
            if PANEL_MIME in data:
                seen.append((msg["msg_type"], data[PANEL_MIME]))

    setup = (
        "import numpy as np, keras\nimport mlwork_jupyter as mlwork\n"
        "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, 'softmax')])\n"
        "x = np.random.default_rng(0).random((320, 3)).astype('float32')\n"
        "y = (x[:, 0] > 0.5).astype(int)"
    )
    kc.execute_interactive(setup, timeout=120)
    reply = kc.execute_interactive(
        "%%mlwork evaluate --name scored\np = m.predict(x, batch_size=2, verbose=0)\n"
        "ev = mlwork.evaluate(y, proba=p)",
        timeout=120,
        output_hook=hook,
    )
    assert reply["content"]["status"] == "ok"
    assert seen[0][0] == "display_data"
    assert seen[0][1]["progress"]["steps"] == 160
    assert all(kind == "update_display_data" for kind, _ in seen[1:])
    assert seen[-1][1]["final"]["accuracy"] >= 0
