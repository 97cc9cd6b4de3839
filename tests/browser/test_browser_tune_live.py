"""A real keras-tuner search in a real JupyterLab: its trials panel updates live and persists."""

from __future__ import annotations

from typing import TYPE_CHECKING

import nbformat
import pytest
from playwright.sync_api import expect

from .lab_support import KERNEL_TIMEOUT_MS, PANEL_MIME

if TYPE_CHECKING:
    from pathlib import Path

    from .lab_support import LabPage

pytestmark = pytest.mark.browser

SEARCH = """%%mlwork tune --name live-search
import numpy as np, keras, keras_tuner
from sklearn.datasets import load_digits
digits = load_digits()
X = (digits.data[:400] / 16.0).astype("float32")
y = digits.target[:400]
def build(hp):
    model = keras.Sequential([
        keras.Input((64,)),
        keras.layers.Dense(hp.Int("units", 8, 32, step=8), activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(hp.Choice("lr", [1e-2, 1e-3])),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
tuner = keras_tuner.RandomSearch(build, objective="val_accuracy", max_trials=4, seed=5,
                                 directory="kt", overwrite=True)
tuner.search(X, y, epochs=4, validation_split=0.25)
"""

# Every distinct text the panel's search summary shows while the cell runs.
RECORD_SUMMARIES = """() => {
    window.__mlworkSummaries = [];
    const observer = new MutationObserver(() => {
        const panel = document.querySelector('.jp-NotebookPanel .mlwork-panel.mlwork-tune');
        const summary = panel && panel.querySelector('.mlwork-tune-summary');
        if (!summary || panel.dataset.mlworkStatus !== 'running') return;
        const seen = window.__mlworkSummaries;
        if (seen[seen.length - 1] !== summary.textContent) seen.push(summary.textContent);
    });
    observer.observe(document.body,
                     {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def test_a_search_updates_its_panel_live_and_the_saved_panel_reopens(
    lab_page: LabPage, artifacts_dir: Path
) -> None:
    lab, page = lab_page.lab, lab_page.page
    name = lab.write_notebook(
        "tune-live.ipynb",
        [nbformat.v4.new_code_cell("%load_ext mlwork_jupyter"), nbformat.v4.new_code_cell(SEARCH)],
    )
    lab_page.open_notebook(name)
    lab_page.wait_for_kernel_ready()
    page.evaluate(RECORD_SUMMARIES)
    lab_page.execute("notebook:run-all-cells")

    panel = page.locator(".jp-NotebookPanel .mlwork-panel.mlwork-tune")
    expect(panel).to_have_attribute("data-mlwork-status", "ok", timeout=3 * KERNEL_TIMEOUT_MS)
    seen: list[str] = page.evaluate("() => window.__mlworkSummaries")
    assert len(seen) >= 3, seen  # it changed at least three times while the search ran
    rows = panel.locator(".mlwork-tune-table tbody tr")
    expect(rows).to_have_count(4)
    expect(panel.locator("tr.mlwork-best")).to_have_count(1)
    expect(page.locator(".jp-NotebookPanel .mlwork-record")).to_have_count(1)  # not cleared
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=artifacts_dir / "tune-live.png")

    lab_page.save_and_shutdown()
    saved = nbformat.read(lab.root / name, as_version=4)
    [payload] = [
        out["data"][PANEL_MIME]
        for out in saved.cells[1].outputs
        if PANEL_MIME in out.get("data", {})
    ]
    assert payload["status"] == "ok"
    assert len(payload["tune"]["trials"]) == 4
    lab_page.open_notebook(name)
    expect(panel).to_have_attribute("data-mlwork-status", "ok")
    expect(rows).to_have_count(4)
    assert lab_page.dialogs == []
