"""The iris example run in a real JupyterLab: each `%%mlwork` cell shows its record card."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from mlwork_jupyter.provenance.store import Store

from .lab_support import KERNEL_TIMEOUT_MS

if TYPE_CHECKING:
    from .lab_support import LabPage

pytestmark = pytest.mark.browser

EXAMPLE = Path(__file__).parents[2] / "example_notebooks" / "01_iris_random_forest.ipynb"


def test_iris_run_in_lab_shows_four_cards(lab_page: LabPage, artifacts_dir: Path) -> None:
    lab, page = lab_page.lab, lab_page.page
    folder = lab.root / "iris"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    lab_page.open_notebook(f"iris/{EXAMPLE.name}")
    # The kernel connection itself (the indicator can say idle a moment before).
    lab_page.wait_for_kernel_ready()
    lab_page.execute("notebook:run-all-cells")

    cards = page.locator(".jp-NotebookPanel .mlwork-record")
    expect(cards).to_have_count(4, timeout=KERNEL_TIMEOUT_MS)
    for i in range(4):
        expect(cards.nth(i).locator(".mlwork-badge.mlwork-status")).to_have_text(
            "ok", timeout=KERNEL_TIMEOUT_MS
        )
    expect(cards.nth(3).locator(".mlwork-record-name")).to_have_text("forest-test")
    # `%mlwork runs` at the end lists the four runs.
    expect(page.locator(".mlwork-report tbody tr")).to_have_count(4, timeout=KERNEL_TIMEOUT_MS)
    cards.nth(2).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "iris-lab.png"), full_page=True)

    with Store(folder / ".mlwork") as store:
        runs = store.runs()
    assert [r.name for r in runs] == ["load-iris", "split", "forest", "forest-test"]
    # JupyterLab sends each cell's id with the execute request: the records carry it.
    assert all(r.cell_id for r in runs)
    assert runs[3].metrics["accuracy"] > 0.8
