"""`mlwork.monitor` in a real shell: drift figures logged, alerts in the record, the panel shown."""

import json

from IPython.utils.capture import capture_output

from mlwork_jupyter.display.panel import PANEL_MIME

SETUP = """
import numpy as np
import pandas as pd
import mlwork_jupyter as mlwork
rng = np.random.default_rng(0)
reference = pd.DataFrame({"a": rng.normal(0, 1, 800), "b": rng.choice(["x", "y", "z"], 800)})
same = pd.DataFrame({"a": rng.normal(0, 1, 400), "b": rng.choice(["x", "y", "z"], 400)})
shifted = pd.DataFrame({"a": rng.normal(2, 1, 400), "b": rng.choice(["x", "y"], 400)})
"""


def test_drift_is_logged_alerted_and_shown(ip, store, tmp_path):
    assert ip.run_cell(SETUP).success
    with capture_output() as cap:
        res = ip.run_cell(
            "%%mlwork monitor --name live\nrep = mlwork.monitor(shifted, reference=reference)"
        )
    assert res.success, res.error_in_exec
    rep = ip.user_ns["rep"]
    assert rep.dataset_drift
    assert set(rep.features[rep.features["drifted"]]["feature"]) == {"a", "b"}
    [panel] = [o.data[PANEL_MIME] for o in cap.outputs if PANEL_MIME in o.data]
    assert panel["kind"] == "monitor"
    [run] = store().runs()
    assert run.metrics["drift_share"] == 1.0
    assert any(w.startswith("monitor: ") for w in run.warnings)
    [artifact] = [a for a in run.artifacts if a.name == "drift.json"]
    table = json.loads((tmp_path / artifact.path).read_text())
    assert {f["feature"] for f in table["features"]} == {"a", "b"}


def test_no_drift_has_no_alerts(ip, store):
    assert ip.run_cell(SETUP).success
    ip.run_cell("%%mlwork monitor --name calm\nrep = mlwork.monitor(same, reference=reference)")
    rep = ip.user_ns["rep"]
    assert not rep.dataset_drift
    assert store().runs()[0].metrics["drifted_features"] == 0


def test_missing_reference_is_one_line_and_logs_nothing(ip, store):
    assert ip.run_cell(SETUP).success
    res = ip.run_cell("%%mlwork monitor --name bad\nmlwork.monitor(same)")
    message = str(res.error_in_exec)
    assert "reference=" in message
    assert "\n" not in message
    [run] = store().runs()
    assert run.metrics == {}
    assert run.artifacts == []
