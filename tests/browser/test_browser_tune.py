"""The tune panel in a real JupyterLab: saved searches, sorting, updates in place, themes."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect

from . import tune_payloads as payloads
from .lab_support import PANEL_MIME, panel_cell

if TYPE_CHECKING:
    from pathlib import Path

    import nbformat
    from playwright.sync_api import Locator, Page

    from .lab_support import LabPage

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=alert(1)>"
STAR, NO_VALUE = "\N{BLACK STAR}", "\N{EN DASH}"


def _tune_cell(*bundles: dict[str, Any]) -> nbformat.NotebookNode:
    return panel_cell(*bundles, source="%%mlwork tune\ntuner.search(x, y, epochs=3)")


def _panels(lab_page: LabPage, count: int) -> Locator:
    panels = lab_page.page.locator(".mlwork-panel.mlwork-tune")
    expect(panels).to_have_count(count)
    return panels


def _part(panel: Locator, key: str) -> Locator:
    return panel.locator(f".mlwork-tune-part[data-mlwork-part='{key}']")


def _section(panel: Locator, key: str) -> Locator:
    return panel.locator(f".mlwork-tune-section[data-mlwork-section='{key}']")


def _rows(panel: Locator) -> Locator:
    return panel.locator(".mlwork-trials-table tbody tr")


def _header(panel: Locator, key: str) -> Locator:
    return panel.locator(f".mlwork-trials-table th[data-mlwork-column='{key}']")


def _replace_output(page: Page, cell: int, bundle: dict[str, Any]) -> None:
    """Replace a cell's first output the way `update_display` does (the model's `set`)."""
    page.evaluate(
        """([index, bundle]) => {
            const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
            cell.outputArea.model.set(0, {output_type: 'display_data', data: bundle, metadata: {}});
        }""",
        [cell, bundle],
    )


def test_running_search_header_curves_and_charts(lab_page: LabPage) -> None:
    lab = lab_page.lab
    name = lab.write_notebook("tune-running.ipynb", [_tune_cell(payloads.running_search())])
    lab_page.open_notebook(name)
    panel = _panels(lab_page, 1).first

    # Header: the train panel's badges, then the search in one line.
    expect(panel.locator(".mlwork-badge.mlwork-stage")).to_have_text("tune")
    expect(panel.locator(".mlwork-panel-title")).to_have_text("mnist-random-search")
    expect(panel.locator(".mlwork-badge.mlwork-status")).to_have_text("running")
    expect(panel.locator(".mlwork-tune-tuner")).to_have_text(
        "keras-tuner · RandomSearch · val_accuracy ↑"
    )
    expect(_part(panel, "trials")).to_have_text("trial 4 of 5 (1 failed)")
    expect(_part(panel, "elapsed")).to_have_text("13.1 s elapsed")
    expect(_part(panel, "eta")).to_have_text("ETA 12.5 s")
    expect(_part(panel, "best")).to_have_text("best val_accuracy 0.951 · trial 3 (id 02)")
    expect(panel.locator(".mlwork-tune-summary [role=progressbar]")).to_have_attribute(
        "aria-valuenow", "60"
    )
    expect(panel.locator(".mlwork-tune-error")).to_be_hidden()

    # The running trial's epoch curves, drawn by the train panel's code.
    expect(panel.locator(".mlwork-tune-curves .mlwork-tune-heading-title")).to_have_text(
        "trial 4 (id 03)"
    )
    expect(panel.locator(".mlwork-tune-curves .mlwork-tune-heading-detail")).to_have_text(
        "units 32 · learning_rate 0.03 · optimizer sgd · batch_norm true"
    )
    expect(panel.locator(".mlwork-progress-text")).to_have_text("epoch 2/3 · step 36/36")
    epoch_charts = panel.locator(".mlwork-panel-charts:not(.mlwork-tune-charts) .mlwork-chart")
    expect(epoch_charts.locator(".mlwork-chart-title")).to_have_text(["loss", "accuracy"])
    expect(epoch_charts.locator("canvas")).to_have_count(2)

    # Best so far by trial and by time; one scatter per hyper-parameter, log where wide.
    best = _section(panel, "best")
    expect(best.locator(".mlwork-chart-title")).to_have_text(["by trial number", "by wall time"])
    expect(best.locator("canvas")).to_have_count(2)
    scatters = _section(panel, "params").locator(".mlwork-chart")
    expect(scatters.locator(".mlwork-chart-title")).to_have_text(list(payloads.PARAMS))
    expect(scatters.locator("canvas")).to_have_count(4)
    expect(panel).to_have_attribute("data-mlwork-tune-charts", "6")
    by_trial = best.locator("[data-mlwork-chart='best-number']")
    by_trial.locator(".u-over").hover()
    expect(by_trial.locator(".mlwork-chart-position")).to_have_text(re.compile(r"→ 0\.9\d+ · id 0"))

    assert lab_page.dialogs == []


def test_trial_table_sorts_and_keeps_its_sort_across_updates(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    name = lab.write_notebook("tune-table.ipynb", [_tune_cell(payloads.running_search())])
    lab_page.open_notebook(name)
    panel = _panels(lab_page, 1).first

    # One row per trial in number order, the best marked, failures explained.
    rows = _rows(panel)
    expect(rows).to_have_count(4)
    expect(panel.locator(".mlwork-trials-table th .mlwork-sort-label")).to_have_text(
        ["trial", "status", "val_accuracy", *payloads.PARAMS, "duration"]
    )
    expect(rows.locator("td:first-child")).to_have_text(["1 00", "2 01", f"{STAR} 3 02", "4 03"])
    expect(_header(panel, "number")).to_have_attribute("aria-sort", "ascending")
    expect(panel.locator(".mlwork-trials-table tr.mlwork-best")).to_have_attribute(
        "data-mlwork-trial", "02"
    )
    failed = panel.locator(".mlwork-trials-table tr[data-mlwork-trial='01']")
    expect(failed).to_have_attribute("title", payloads.FAILURE)
    expect(failed.locator(".mlwork-trial-status")).to_have_text("failed")
    expect(rows.nth(3).locator("td").last).to_have_text("…")

    # Sort by score: ascending with the unscored last, then descending.
    _header(panel, "score").get_by_role("button").click()
    expect(_header(panel, "score")).to_have_attribute("aria-sort", "ascending")
    expect(_header(panel, "number")).not_to_have_attribute("aria-sort", re.compile(".*"))
    expect(rows.locator("td:nth-child(3)")).to_have_text(["0.912", "0.951", NO_VALUE, NO_VALUE])
    _header(panel, "score").get_by_role("button").click()
    expect(_header(panel, "score")).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_have_class(re.compile(r"\bmlwork-best\b"))

    # An update in place: the same canvases, the user's sort kept, the search ended.
    expect(panel).to_have_attribute("data-mlwork-tune-charts", "6")
    builds = int(panel.get_attribute("data-mlwork-tune-builds") or 0)
    page.evaluate(
        "() => { window.__mlworkTuneCanvas ="
        " document.querySelector(\"[data-mlwork-chart='best-number'] canvas\"); }"
    )
    _replace_output(page, 0, payloads.ended_search())
    expect(panel).to_have_attribute("data-mlwork-renders", "2")
    expect(panel.locator(".mlwork-badge.mlwork-status")).to_have_text("ok")
    expect(_part(panel, "trials")).to_have_text("8 trials (1 failed, 1 invalid)")
    expect(_part(panel, "eta")).to_be_hidden()
    expect(_part(panel, "best")).to_have_text("best val_accuracy 0.962 · trial 7 (id 06)")
    expect(rows).to_have_count(8)
    expect(_header(panel, "score")).to_have_attribute("aria-sort", "descending")
    expect(rows.locator("td:nth-child(3)")).to_have_text(
        ["0.962", "0.951", "0.934", "0.912", "0.905", "0.887", NO_VALUE, NO_VALUE]
    )
    expect(panel.locator(".mlwork-tune-note")).to_have_text(
        "showing 8 of 12 trials: the best and the latest"
    )
    assert page.evaluate("() => window.__mlworkTuneCanvas.isConnected")
    # Only the scatters whose axis changed kind were built again (learning rate now spans
    # 300 times: a log axis; a third optimizer: one more category).
    expect(panel).to_have_attribute("data-mlwork-tune-builds", str(builds + 2))
    lr = _section(panel, "params").locator("[data-mlwork-chart='param:learning_rate']")
    expect(lr).to_have_class(re.compile(r"\bmlwork-tune-log\b"))
    # Nothing runs and no final fit: no epoch curves, no "waiting" line.
    expect(panel).to_have_attribute("data-mlwork-curves", "none")
    expect(panel.locator(".mlwork-tune-curves")).to_be_hidden()
    expect(panel.locator(".mlwork-panel-message")).to_be_hidden()

    # The sort buttons answer their own keys, not the notebook's shortcuts.
    _header(panel, "duration").get_by_role("button").focus()
    page.keyboard.press("Enter")
    expect(_header(panel, "duration")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator(".jp-Notebook .jp-Cell")).to_have_count(1)
    assert lab_page.dialogs == []


def test_failed_search_shows_one_error_line(lab_page: LabPage) -> None:
    lab = lab_page.lab
    bundle = payloads.failed_search()
    name = lab.write_notebook("tune-failed.ipynb", [_tune_cell(bundle)])
    lab_page.open_notebook(name)
    panel = _panels(lab_page, 1).first
    error = bundle[PANEL_MIME]["tune"]["error"]
    expect(panel.locator(".mlwork-badge.mlwork-status")).to_have_text("error")
    line = panel.locator(".mlwork-tune-error")
    expect(line).to_have_text(error)
    expect(line).to_have_attribute("title", error)
    expect(line).to_have_attribute("role", "alert")
    assert line.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"
    assert line.evaluate("el => el.getBoundingClientRect().height") < 30
    expect(_part(panel, "trials")).to_have_text("2 trials (1 failed)")
    expect(_rows(panel)).to_have_count(2)
    expect(panel.locator(".mlwork-trials-table tr.mlwork-best")).to_have_attribute(
        "data-mlwork-trial", "00"
    )
    expect(_section(panel, "best").locator("canvas")).to_have_count(2)
    assert lab_page.dialogs == []


def test_search_without_tune_section_is_a_train_panel(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    cells = [_tune_cell(payloads.no_search()), _tune_cell(payloads.ended_search(final_fit=True))]
    name = lab.write_notebook("tune-plain.ipynb", cells)
    lab_page.open_notebook(name)
    plain = page.locator(".mlwork-panel").first
    expect(plain.locator(".mlwork-panel-title")).to_have_text("plain-fit")
    expect(plain).not_to_have_class(re.compile(r"\bmlwork-tune\b"))
    expect(plain.locator(".mlwork-tune-summary, .mlwork-tune-section")).to_have_count(0)
    expect(plain.locator(".mlwork-chart canvas")).to_have_count(2)
    expect(plain.locator(".mlwork-progress-text")).to_contain_text("elapsed")

    # After the search, a final fit outside any trial: its curves, so labelled.
    final = _panels(lab_page, 1).first
    expect(final.locator(".mlwork-tune-curves .mlwork-tune-heading-title")).to_have_text(
        "final fit"
    )
    expect(final).to_have_attribute("data-mlwork-curves", "shown")
    expect(final.locator(".mlwork-panel-charts:not(.mlwork-tune-charts) canvas")).to_have_count(2)
    assert lab_page.dialogs == []


def test_malformed_tune_section_shows_message(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    broken = payloads.running_search()
    broken[PANEL_MIME]["tune"]["trials"][1]["params"]["units"] = [64]
    name = lab.write_notebook("tune-malformed.ipynb", [_tune_cell(broken)])
    lab_page.open_notebook(name)
    expect(page.locator(".mlwork-panel-problem")).to_have_text(
        "mlwork: cannot show this panel (tune.trials[1].params.units is a list, "
        "expected a number, a string or true/false)"
    )
    assert lab_page.dialogs == []


def test_hostile_strings_stay_text(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    name = lab.write_notebook(
        "tune-hostile.ipynb", [_tune_cell(payloads.hostile(EVIL))], trusted=True
    )
    lab_page.open_notebook(name)
    panel = _panels(lab_page, 1).first
    expect(panel.locator(".mlwork-panel-title")).to_have_text(EVIL)
    expect(panel.locator(".mlwork-tune-error")).to_have_text(EVIL)
    expect(_part(panel, "best")).to_contain_text(f"best {EVIL}")
    labels = panel.locator(".mlwork-trials-table th .mlwork-sort-label")
    expect(labels.nth(2)).to_have_text(EVIL)
    expect(labels.nth(7)).to_have_text(EVIL)
    first = _rows(panel).first
    expect(first.locator(".mlwork-trial-id")).to_have_text(EVIL)
    expect(first.locator("td").nth(7)).to_have_text(EVIL)
    expect(_rows(panel).nth(1)).to_have_attribute("title", EVIL)
    expect(panel.locator(".mlwork-tune-curves .mlwork-tune-heading-detail")).to_contain_text(
        f"{EVIL} {EVIL}"
    )
    scatter = _section(panel, "params").locator(".mlwork-chart").last
    expect(scatter.locator(".mlwork-chart-title")).to_have_text(EVIL)
    expect(scatter.locator("canvas")).to_have_count(1)
    assert page.locator(".jp-OutputArea img").count() == 0
    assert lab_page.dialogs == []


def _theme(lab_page: LabPage, name: str) -> None:
    lab_page.execute("apputils:change-theme", {"theme": name})
    expect(lab_page.page.locator("body")).to_have_attribute("data-jp-theme-name", name)
    expect(lab_page.page.locator("#jupyterlab-splash")).to_have_count(0)


def test_tune_screens_light_and_dark(lab_page: LabPage, artifacts_dir: Path) -> None:
    lab, page = lab_page.lab, lab_page.page
    screens = {
        "running": payloads.running_search(),
        "ended": payloads.ended_search(),
        "error": payloads.failed_search(),
        "final-fit": payloads.ended_search(final_fit=True, title="autokeras-final-fit"),
    }
    name = lab.write_notebook("tune-screens.ipynb", [_tune_cell(b) for b in screens.values()])
    lab_page.open_notebook(name)
    panels = _panels(lab_page, len(screens))
    expect(page.locator(".mlwork-tune .mlwork-tune-charts canvas")).to_have_count(6 * 4)
    plot = _section(panels.first, "best").locator(".mlwork-plot").first
    ink = "el => el.dataset.mlworkInk"
    page.set_viewport_size({"width": 1280, "height": 2400})
    try:
        for theme, suffix in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
            before = plot.evaluate(ink)
            _theme(lab_page, theme)
            if suffix == "dark":
                # The tune charts' strokes follow the theme: their colours are read again.
                page.wait_for_function(
                    "([el, ink]) => el.dataset.mlworkInk !== ink",
                    arg=[plot.element_handle(), before],
                )
                background = panels.first.evaluate("el => getComputedStyle(el).backgroundColor")
                assert background != "rgb(255, 255, 255)"
            for i, key in enumerate(screens):
                panel = panels.nth(i)
                panel.scroll_into_view_if_needed()
                panel.screenshot(path=artifacts_dir / f"tune-{key}-{suffix}.png")
    finally:
        _theme(lab_page, "JupyterLab Light")

    # Narrow: the table scrolls inside the panel, the panel itself never overflows.
    page.set_viewport_size({"width": 560, "height": 2400})
    first = panels.first
    page.wait_for_function(
        "el => el.getBoundingClientRect().width < 560", arg=first.element_handle()
    )
    assert first.evaluate("el => el.scrollWidth - el.clientWidth") <= 1
    first.screenshot(path=artifacts_dir / "tune-running-narrow.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert lab_page.dialogs == []
