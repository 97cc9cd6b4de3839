"""The live panel renderer in a real JupyterLab: saved panels, updates in place, controls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from .lab_support import PANEL_MIME, panel_bundle, panel_cell

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Locator, Page

    from .lab_support import LabPage

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=alert(1)>"


def _replace_output(page: Page, cell: int, bundle: dict[str, Any]) -> None:
    """Replace a cell's first output the way `update_display` does (the model's `set`)."""
    page.evaluate(
        """([index, bundle]) => {
            const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
            cell.outputArea.model.set(0, {output_type: 'display_data', data: bundle, metadata: {}});
        }""",
        [cell, bundle],
    )


def _drag(page: Page, plot: Locator, start: float, end: float) -> None:
    box = plot.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * start, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (start + end) / 2, y)
    page.mouse.move(box["x"] + box["width"] * end, y)
    page.mouse.up()


def test_saved_panel_charts_controls_and_update_in_place(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    name = lab.write_notebook("panel.ipynb", [panel_cell(panel_bundle(done=12))])
    lab_page.open_notebook(name)

    panel = page.locator(".mlwork-panel")
    expect(panel).to_be_visible()
    # The panel renderer won the output, not the bundle's text/html fallback.
    expect(page.locator(".jp-OutputArea-output.mlwork-RenderedPanel")).to_have_count(1)
    expect(page.locator(".jp-OutputArea .jp-RenderedHTML")).to_have_count(0)
    expect(panel.locator(".mlwork-panel-title")).to_have_text("digits-mlp")
    expect(panel.locator(".mlwork-badge.mlwork-status")).to_have_text("running")
    expect(panel.locator(".mlwork-progress-text")).to_contain_text("epoch 12/20")
    expect(panel.locator(".mlwork-progress-text")).to_contain_text("ETA 2.00 s")
    expect(panel.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "60")

    # One chart per metric family, training and validation overlaid; batch series stay aside.
    charts = panel.locator(".mlwork-chart")
    expect(charts).to_have_count(2)
    expect(panel).to_have_attribute("data-mlwork-mode", "epoch")
    expect(charts.nth(0).locator(".mlwork-chart-title")).to_have_text("loss")
    expect(charts.nth(0).locator(".mlwork-series-name")).to_have_text(["loss", "val_loss"])
    expect(charts.nth(1).locator(".mlwork-series-name")).to_have_text(["accuracy", "val_accuracy"])
    expect(panel.locator("canvas")).to_have_count(2)
    expect(panel).to_have_attribute("data-mlwork-builds", "2")
    final = panel.locator(".mlwork-final-table tbody tr")
    expect(final).to_have_count(4)
    expect(final.nth(0)).to_contain_text("loss")

    # Hover values: the cursor over a chart shows the x and each series' value there.
    loss = charts.nth(0)
    loss.locator(".u-over").hover(position={"x": 1, "y": 60})
    expect(loss.locator(".mlwork-chart-position")).to_have_text("epoch 1")
    expect(loss.locator(".mlwork-series-value").first).to_have_text("1.8312")

    # Zoom by dragging; an update keeps the zoom and the canvas (no rebuild).
    _drag(page, loss.locator(".u-over"), 0.5, 0.9)
    page.evaluate(
        "() => { window.__mlworkCanvas = document.querySelector('.mlwork-panel canvas'); }"
    )
    _replace_output(page, 0, panel_bundle(done=16))
    expect(panel.locator(".mlwork-progress-text")).to_contain_text("epoch 16/20")
    expect(panel).to_have_attribute("data-mlwork-renders", "2")
    expect(loss).to_have_attribute("data-mlwork-zoomed", "true")
    expect(charts.nth(1)).to_have_attribute("data-mlwork-zoomed", "false")
    assert page.evaluate("() => window.__mlworkCanvas.isConnected")
    expect(panel).to_have_attribute("data-mlwork-builds", "2")
    panel.get_by_role("button", name="Reset zoom").click()
    _replace_output(page, 0, panel_bundle())
    expect(loss).to_have_attribute("data-mlwork-zoomed", "false")
    expect(panel.locator(".mlwork-badge.mlwork-status")).to_have_text("ok")
    assert lab_page.dialogs == []


def test_controls_are_keyboard_reachable_and_survive_updates(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    name = lab.write_notebook("panel-controls.ipynb", [panel_cell(panel_bundle())])
    lab_page.open_notebook(name)
    panel = page.locator(".mlwork-panel")
    charts = panel.locator(".mlwork-chart")
    expect(panel).to_have_attribute("data-mlwork-builds", "2")
    loss = charts.nth(0)
    log = panel.get_by_role("checkbox", name="log scale")
    log.focus()
    page.keyboard.press("Space")
    expect(log).to_be_checked()
    expect(panel).to_have_attribute("data-mlwork-builds", "4")  # a log axis is a new plot
    toggle = loss.get_by_role("checkbox", name="Show val_loss")
    toggle.focus()
    page.keyboard.press("Space")
    expect(toggle).not_to_be_checked()
    smoothing = panel.get_by_role("slider", name="smoothing")
    smoothing.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(panel.locator(".mlwork-smoothing-value")).to_have_text("0.03")
    batch = panel.get_by_role("checkbox", name="per batch")
    batch.focus()
    page.keyboard.press("Space")
    expect(panel).to_have_attribute("data-mlwork-mode", "batch")
    expect(charts).to_have_count(1)
    expect(charts.first.locator(".mlwork-chart-title")).to_have_text("loss · per batch")
    page.keyboard.press("Space")
    expect(charts).to_have_count(2)
    # The user's choices survive the next update.
    _replace_output(page, 0, panel_bundle())
    expect(charts.nth(0).get_by_role("checkbox", name="Show val_loss")).not_to_be_checked()
    expect(log).to_be_checked()
    assert lab_page.dialogs == []


def test_running_panel_shows_batch_series_until_epochs_exist(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    name = lab.write_notebook("first-epoch.ipynb", [panel_cell(panel_bundle(done=1))])
    lab_page.open_notebook(name)
    panel = page.locator(".mlwork-panel")
    expect(panel).to_have_attribute("data-mlwork-mode", "batch")
    expect(panel.locator(".mlwork-chart-title")).to_have_text(["loss · per batch"])
    expect(panel.get_by_role("checkbox", name="per batch")).to_be_checked()

    _replace_output(page, 0, panel_bundle(done=2))
    expect(panel).to_have_attribute("data-mlwork-mode", "epoch")
    expect(panel.locator(".mlwork-chart")).to_have_count(2)
    expect(panel.get_by_role("checkbox", name="per batch")).not_to_be_checked()


def test_hostile_strings_stay_text(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    bundle = panel_bundle(title=EVIL, kind=EVIL, status=EVIL)
    payload = bundle[PANEL_MIME]
    payload["series"][EVIL] = payload["series"]["loss"]
    payload["series"][f"val_{EVIL}"] = payload["series"]["val_loss"]
    payload["final"][EVIL] = 1.5
    payload["table"] = {"columns": [EVIL, "value"], "rows": [[EVIL, EVIL]]}
    name = lab.write_notebook("hostile-panel.ipynb", [panel_cell(bundle)], trusted=True)
    lab_page.open_notebook(name)

    panel = page.locator(".mlwork-panel")
    expect(panel.locator(".mlwork-chart")).to_have_count(3)
    expect(panel.locator(".mlwork-panel-title")).to_have_text(EVIL)
    expect(panel.locator(".mlwork-badge.mlwork-status")).to_have_text(EVIL)
    evil = panel.locator(".mlwork-chart").filter(has_text=EVIL)
    expect(evil.locator(".mlwork-chart-title")).to_have_text(EVIL)
    expect(evil.locator(".mlwork-series-name")).to_have_text([EVIL, f"val_{EVIL}"])
    expect(panel.locator(f"[data-mlwork-metric='{EVIL}']")).to_contain_text("1.5")
    expect(panel.locator(".mlwork-panel-table tbody td").first).to_have_text(EVIL)
    # An unknown status gets neutral styling, never a class made from the payload.
    expect(panel).to_have_class("mlwork-panel mlwork-status-unknown")
    assert page.locator(".jp-OutputArea img").count() == 0
    assert lab_page.dialogs == []


MALFORMED: list[tuple[Any, str]] = [
    ("not a panel", "panel is a string, expected an object"),
    (
        {"version": 2, "kind": "train", "status": "ok"},
        "version is a number, this renderer reads version 1",
    ),
    ({"version": 1, "kind": "train"}, "status is missing, expected a string"),
    ({"series": []}, "series is a list, expected an object"),
    ({"series": {"loss": {"x": [1, 2], "y": [1]}}}, "series.loss has 2 x and 1 y values"),
    ({"series": {"loss": {"x": [1], "y": ["a"]}}}, "series.loss.y[0] is a string"),
    ({"progress": {"epoch": "3"}}, "progress.epoch is a string, expected a number"),
    ({"table": {"columns": ["a"], "rows": 5}}, "table.rows is a number, expected a list"),
]


def test_malformed_payload_shows_message(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    bundles = []
    for payload, _ in MALFORMED:
        bundle = panel_bundle()
        if isinstance(payload, dict) and "version" not in payload:
            bundle[PANEL_MIME].update(payload)
        else:
            bundle[PANEL_MIME] = payload
        bundles.append(bundle)
    cells = [panel_cell(*bundles), panel_cell(panel_bundle(title="still-fine"))]
    name = lab.write_notebook("malformed-panel.ipynb", cells)
    lab_page.open_notebook(name)

    problems = page.locator(".mlwork-panel-problem")
    expect(problems).to_have_count(len(MALFORMED))
    for i, (_, message) in enumerate(MALFORMED):
        expect(problems.nth(i)).to_contain_text(f"mlwork: cannot show this panel ({message}")
    expect(page.locator(".mlwork-panel .mlwork-panel-title")).to_have_text("still-fine")
    assert lab_page.dialogs == []


def _theme(lab_page: LabPage, name: str) -> None:
    lab_page.execute("apputils:change-theme", {"theme": name})
    expect(lab_page.page.locator("body")).to_have_attribute("data-jp-theme-name", name)
    expect(lab_page.page.locator("#jupyterlab-splash")).to_have_count(0)


def test_panel_themes_sizes_collapse_and_print(lab_page: LabPage, artifacts_dir: Path) -> None:
    lab, page = lab_page.lab, lab_page.page
    failed = panel_bundle(done=7, status="error")
    running = panel_bundle(done=9)
    name = lab.write_notebook(
        "panel-screens.ipynb",
        [panel_cell(panel_bundle()), panel_cell(running), panel_cell(failed)],
    )
    lab_page.open_notebook(name)
    page.wait_for_function("() => window.jupyterapp !== undefined")
    panels = page.locator(".mlwork-panel")
    expect(panels).to_have_count(3)
    expect(page.locator(".mlwork-panel canvas")).to_have_count(6)
    first = panels.first
    plot = first.locator(".mlwork-plot").first
    notebook = page.locator(".jp-NotebookPanel-notebook")
    ink = "el => el.dataset.mlworkInk"
    try:
        _theme(lab_page, "JupyterLab Light")
        light_ink = plot.evaluate(ink)
        notebook.screenshot(path=artifacts_dir / "panel-light-notebook.png")
        _theme(lab_page, "JupyterLab Dark")
        # The canvas strokes follow the theme: its colours are read again.
        page.wait_for_function(
            "([el, ink]) => el.dataset.mlworkInk !== ink", arg=[plot.element_handle(), light_ink]
        )
        notebook.screenshot(path=artifacts_dir / "panel-dark-notebook.png")
        first.screenshot(path=artifacts_dir / "panel-dark.png")
        _theme(lab_page, "JupyterLab Light")
        expect(plot).to_have_attribute("data-mlwork-ink", light_ink)
        first.screenshot(path=artifacts_dir / "panel-light.png")
    finally:
        _theme(lab_page, "JupyterLab Light")

    canvas_width = "el => el.querySelector('canvas').getBoundingClientRect().width"
    wide = plot.evaluate(canvas_width)
    page.set_viewport_size({"width": 560, "height": 900})
    page.wait_for_function(
        "([el, w]) => el.querySelector('canvas').getBoundingClientRect().width < w - 50",
        arg=[plot.element_handle(), wide],
    )
    # The plot fills its figure again, whatever the new width.
    page.wait_for_function(
        """el => Math.abs(el.querySelector('canvas').getBoundingClientRect().width
                 - el.getBoundingClientRect().width) < 2""",
        arg=plot.element_handle(),
    )
    first.screenshot(path=artifacts_dir / "panel-narrow.png")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A collapsed output hides the panel; expanded again it has its charts, full width.
    cell = page.locator(".jp-Notebook .jp-Cell").first
    cell.locator(".jp-OutputArea-output").click()
    lab_page.execute("notebook:hide-cell-outputs")
    expect(cell.locator(".mlwork-panel")).to_be_hidden()
    lab_page.execute("notebook:show-cell-outputs")
    expect(cell.locator(".mlwork-panel")).to_be_visible()
    page.wait_for_function(
        """el => Math.abs(el.querySelector('canvas').getBoundingClientRect().width
                 - el.getBoundingClientRect().width) < 2""",
        arg=cell.locator(".mlwork-plot").first.element_handle(),
    )

    page.emulate_media(media="print")
    expect(first.locator(".mlwork-panel-controls")).to_be_hidden()
    first.screenshot(path=artifacts_dir / "panel-print.png")
    page.emulate_media(media="screen")
    assert lab_page.dialogs == []
