"""The digits example run in a real JupyterLab: its live panel streams, persists and exports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest
from playwright.sync_api import expect

from mlwork_jupyter.provenance.store import Store

from .lab_support import KERNEL_TIMEOUT_MS, PANEL_MIME

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .lab_support import LabPage

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).parents[2] / "example_notebooks" / "02_digits_keras.ipynb"

# Records, in the page, every distinct state the panel shows while the notebook runs, and the
# first canvas of the epoch charts, to check later that updates drew into that same canvas.
RECORD_STATES = """() => {
    window.__mlworkSeen = [];
    const observer = new MutationObserver(() => {
        const panel = document.querySelector('.jp-NotebookPanel .mlwork-panel');
        if (!panel) return;
        const charts = panel.querySelector('.mlwork-panel-charts');
        const state = [panel.dataset.mlworkStatus, panel.dataset.mlworkMode,
                       charts && charts.dataset.mlworkPoints,
                       panel.querySelector('.mlwork-progress-text').textContent].join('|');
        if (window.__mlworkSeen[window.__mlworkSeen.length - 1] !== state) {
            window.__mlworkSeen.push(state);
        }
        if (!window.__mlworkCanvas && panel.dataset.mlworkMode === 'epoch') {
            window.__mlworkCanvas = panel.querySelector('canvas');
        }
    });
    observer.observe(document.body,
                     {subtree: true, childList: true, attributes: true, characterData: true});
}"""


def _final_values(page: Page) -> dict[str, str]:
    rows = page.locator(".mlwork-panel .mlwork-final-table tbody tr")
    expect(rows.first).to_be_visible()
    return {
        row.get_attribute("data-mlwork-metric") or "": row.locator("td").nth(1).inner_text()
        for row in rows.all()
    }


def _run_all(lab_page: LabPage) -> None:
    page = lab_page.page
    lab_page.wait_for_kernel_ready()
    page.evaluate(RECORD_STATES)
    lab_page.execute("notebook:run-all-cells")


def test_digits_panel_streams_persists_and_exports(
    lab_page: LabPage, artifacts_dir: Path, tmp_path: Path
) -> None:
    lab, page = lab_page.lab, lab_page.page
    folder = lab.root / "digits"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    name = f"digits/{EXAMPLE.name}"
    lab_page.open_notebook(name)
    _run_all(lab_page)

    panel = page.locator(".jp-NotebookPanel .mlwork-panel")
    expect(panel).to_have_attribute("data-mlwork-status", "ok", timeout=KERNEL_TIMEOUT_MS)
    cards = page.locator(".jp-NotebookPanel .mlwork-record")
    expect(cards).to_have_count(3, timeout=KERNEL_TIMEOUT_MS)
    expect(page.locator(".mlwork-report tbody tr")).to_have_count(3, timeout=KERNEL_TIMEOUT_MS)

    # The chart changed at least three times while the fit ran, drawn into the same canvas.
    seen: list[str] = page.evaluate("() => window.__mlworkSeen")
    running_points = {s.split("|")[2] for s in seen if s.startswith("running|epoch|")}
    assert len(running_points) >= 3, seen
    assert page.evaluate("() => window.__mlworkCanvas.isConnected")
    expect(panel.locator(".mlwork-chart-title")).to_have_text(["loss", "accuracy"])
    expect(panel.locator(".mlwork-progress-text")).to_contain_text("epoch 20/20")
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=artifacts_dir / "panel-digits-live.png")

    final = _check_final_values(page, folder)
    _check_reload(lab_page, name, final)
    _check_static_export(page, folder / EXAMPLE.name, tmp_path, artifacts_dir)
    assert lab_page.dialogs == []


def _check_final_values(page: Page, folder: Path) -> dict[str, str]:
    """The panel's final values are the record's, as the card and the store have them."""
    cards = page.locator(".jp-NotebookPanel .mlwork-record")
    final = _final_values(page)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(final)
    card = cards.nth(1)
    expect(card.locator(".mlwork-record-name")).to_have_text("digits-mlp")
    metrics = card.locator("details[data-mlwork-section='metrics']")
    metrics.locator("summary").click()
    card_values = {
        row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text()
        for row in metrics.locator("tbody tr").all()
    }
    assert {k: card_values.get(k) for k in final} == final
    with Store(folder / ".mlwork") as store:
        run = next(r for r in store.runs() if r.name == "digits-mlp")
    for key, text in final.items():
        assert float(text) == pytest.approx(run.metrics[key], rel=1e-4), key
    return final


def _check_reload(lab_page: LabPage, name: str, final: dict[str, str]) -> None:
    """Saved with its last update; with the kernel gone a reload shows the same panel."""
    page, folder = lab_page.page, lab_page.lab.root
    panel = page.locator(".jp-NotebookPanel .mlwork-panel")
    points = panel.locator(".mlwork-panel-charts").get_attribute("data-mlwork-points")
    lab_page.save_and_shutdown()
    saved = nbformat.read(folder / name, as_version=4)
    payloads = [
        out["data"][PANEL_MIME]
        for cell in saved.cells
        for out in cell.get("outputs", [])
        if PANEL_MIME in out.get("data", {})
    ]
    assert [p["status"] for p in payloads] == ["ok"]
    lab_page.open_notebook(name)
    expect(panel).to_have_attribute("data-mlwork-status", "ok")
    expect(panel.locator(".mlwork-panel-charts")).to_have_attribute(
        "data-mlwork-points", points or ""
    )
    assert _final_values(page) == final
    expect(panel.locator("canvas")).to_have_count(2)
    lab_page.wait_for_kernel_idle()
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")


def _check_static_export(page: Page, notebook: Path, tmp_path: Path, artifacts: Path) -> None:
    """Outside JupyterLab the static fallback shows: nbconvert's HTML has the SVG and table."""
    subprocess.run(
        [
            str(Path(sys.executable).parent / "jupyter"),
            "nbconvert",
            "--to",
            "html",
            f"--output-dir={tmp_path}",
            str(notebook),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    html = (tmp_path / notebook.with_suffix(".html").name).as_uri()
    static = page.context.new_page()
    try:
        static.goto(html, wait_until="domcontentloaded")
        fallback = static.locator(".mlwork-panel")
        expect(fallback).to_have_count(1)
        expect(fallback.locator("svg")).to_have_count(1)
        expect(fallback.locator("table").first).to_contain_text("val_accuracy")
        fallback.scroll_into_view_if_needed()
        fallback.screenshot(path=artifacts / "panel-nbconvert.png")
    finally:
        static.close()
