"""Widget forms in a real JupyterLab: every change is a minimal edit of the cell's own source."""

from __future__ import annotations

from typing import TYPE_CHECKING

import nbformat
import pytest
from playwright.sync_api import expect

from mlwork_jupyter.provenance.store import Store

from .lab_support import KERNEL_TIMEOUT_MS

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Locator, Page

    from .lab_support import LabPage

pytestmark = pytest.mark.browser

FORM_CELL = (
    "%%mlwork train --form --name tuned\n"
    "# @title Training settings\n"
    "# @markdown Move a control: the literal below changes, nothing else.\n"
    'epochs = 3  # @param {type:"slider", min:1, max:10, step:1}\n'
    'optimizer = \'adam\'  # @param ["adam", "sgd", "rmsprop"]\n'
    'label = "ünï 😀 # not a comment"  # @param {type:"string"}\n'
    "print('ran with', epochs, optimizer)"
)

SOURCE_OF = (
    "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.sharedModel.getSource()"
)


def _source(page: Page, index: int) -> str:
    return str(page.evaluate(SOURCE_OF, index))


def _wait_source_change(page: Page, index: int, before: str) -> str:
    page.wait_for_function(
        f"([i, before]) => ({SOURCE_OF})(i) !== before", arg=[index, before], timeout=30_000
    )
    return _source(page, index)


def _cell(page: Page, index: int) -> Locator:
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.split("\n"), after.split("\n")
    assert len(old) == len(new), (before, after)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def _open_and_run(lab_page: LabPage, name: str) -> None:
    """Write a notebook with the form cell, open it and run it."""
    lab_page.lab.write_notebook(
        name,
        [
            nbformat.v4.new_code_cell("%load_ext mlwork_jupyter"),
            nbformat.v4.new_code_cell(FORM_CELL),
        ],
    )
    lab_page.open_notebook(name)
    lab_page.wait_for_kernel_ready()
    lab_page.execute("notebook:run-all-cells")
    expect(_cell(lab_page.page, 1).locator(".mlwork-form")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    lab_page.wait_for_kernel_idle()


def _select(form: Locator, label: str, value: str) -> None:
    form.locator(".widget-dropdown", has_text=label).locator("select").select_option(value)


def test_form_edits_run_and_respect_hand_edits(lab_page: LabPage, artifacts_dir: Path) -> None:
    page, lab = lab_page.page, lab_page.lab
    name = "form.ipynb"
    _open_and_run(lab_page, name)
    form = _cell(page, 1).locator(".mlwork-form")
    expect(form).to_contain_text("Training settings")
    expect(_cell(page, 1)).to_contain_text("ran with 3 adam")
    form.screenshot(path=artifacts_dir / "form-light.png")

    # Move the slider one step with the keyboard: only the epochs literal changes.
    before = _source(page, 1)
    handle = form.locator(".widget-slider", has_text="epochs").locator(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")
    after = _wait_source_change(page, 1, before)
    assert _changed_lines(before, after) == [
        (
            'epochs = 3  # @param {type:"slider", min:1, max:10, step:1}',
            'epochs = 4  # @param {type:"slider", min:1, max:10, step:1}',
        )
    ]

    # A dropdown after a non-ASCII line: the single-quoted literal keeps its quotes.
    _select(form, "optimizer", "sgd")
    after2 = _wait_source_change(page, 1, after)
    assert _changed_lines(after, after2) == [
        (
            'optimizer = \'adam\'  # @param ["adam", "sgd", "rmsprop"]',
            'optimizer = \'sgd\'  # @param ["adam", "sgd", "rmsprop"]',
        )
    ]

    # Run: the new values run, and the record's params are what the source said.
    form.locator(".mlwork-form-run").click()
    expect(_cell(page, 1)).to_contain_text("ran with 4 sgd", timeout=KERNEL_TIMEOUT_MS)
    expect(_cell(page, 1).locator(".mlwork-record.mlwork-status-ok")).to_be_visible()
    with Store(lab.root / ".mlwork") as store:
        runs = [r for r in store.runs() if r.name == "tuned"]
    newest = max(runs, key=lambda r: r.started)
    assert newest.params["epochs"] == 4
    assert newest.params["optimizer"] == "sgd"
    assert newest.code == _source(page, 1).partition("\n")[2].rstrip("\n")

    # A hand edit, then a widget change: the hand edit stays and nothing is overwritten.
    form = _cell(page, 1).locator(".mlwork-form")
    ran = _source(page, 1)
    _cell(page, 1).locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n# tuned by hand")
    hand = _wait_source_change(page, 1, ran)
    assert hand.endswith("# tuned by hand")
    _select(form, "optimizer", "rmsprop")
    expect(form.locator(".mlwork-form-note")).to_contain_text("nothing was overwritten")
    assert _source(page, 1) == hand
    assert lab_page.dialogs == []


def test_form_pasted_copy_and_reopen(lab_page: LabPage, artifacts_dir: Path) -> None:
    page = lab_page.page
    name = "form-copy.ipynb"
    _open_and_run(lab_page, name)

    # Copy the cell, paste it below and run the copy: its form edits the copy only.
    page.evaluate("() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 1; }")
    lab_page.execute("notebook:copy-cell")
    lab_page.execute("notebook:paste-cell-below")
    expect(page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")).to_have_count(3)
    # Before it runs, the copy's output holds no controls that would edit the original.
    expect(_cell(page, 2).locator(".mlwork-form-static")).to_contain_text("A copy of another")
    expect(_cell(page, 2).locator(".mlwork-form")).to_have_count(0)
    expect(_cell(page, 1).locator(".mlwork-form")).to_be_visible()
    _cell(page, 2).screenshot(path=artifacts_dir / "form-pasted-copy.png")
    lab_page.execute("notebook:run-cell")
    copy_form = _cell(page, 2).locator(".mlwork-form")
    expect(copy_form).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    lab_page.wait_for_kernel_idle()
    original, copy = _source(page, 1), _source(page, 2)
    assert original == copy
    _select(copy_form, "optimizer", "rmsprop")
    changed = _wait_source_change(page, 2, copy)
    assert "optimizer = 'rmsprop'" in changed
    assert _source(page, 1) == original

    # Dark theme screenshot, for a look.
    lab_page.execute("apputils:change-theme", {"theme": "JupyterLab Dark"})
    expect(page.locator("body")).to_have_attribute("data-jp-theme-name", "JupyterLab Dark")
    copy_form.screenshot(path=artifacts_dir / "form-dark.png")
    lab_page.execute("apputils:change-theme", {"theme": "JupyterLab Light"})

    # Saved, kernel gone, reopened: the form says how to get it back; a run restores it.
    lab_page.save_and_shutdown()
    lab_page.open_notebook(name)
    static = _cell(page, 1).locator(".mlwork-form-static")
    expect(static).to_have_text(
        "Form with epochs, optimizer, label: run the cell to show the form."
    )
    expect(page.locator(".jp-NotebookPanel")).not_to_contain_text("model not found")
    _cell(page, 1).screenshot(path=artifacts_dir / "form-reopened.png")
    lab_page.wait_for_kernel_ready()
    lab_page.execute("notebook:run-all-cells")
    expect(_cell(page, 1).locator(".mlwork-form")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    lab_page.wait_for_kernel_idle()
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    assert lab_page.dialogs == []


def test_without_the_forms_plugin_values_apply_at_the_next_run(
    lab_page_without_forms: LabPage, artifacts_dir: Path
) -> None:
    """A front end without our bridge (VS Code, Notebook 7 without it): the set_next_input path."""
    lab_page = lab_page_without_forms
    page = lab_page.page
    _open_and_run(lab_page, "form-fallback.ipynb")
    form = _cell(page, 1).locator(".mlwork-form")
    before = _source(page, 1)
    handle = form.locator(".widget-slider", has_text="epochs").locator(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")
    expect(form.locator(".mlwork-form-note")).to_contain_text("updated when you next run it")
    assert _source(page, 1) == before  # nothing can edit the cell here...
    form.locator(".mlwork-form-run").click()
    expect(form.locator(".mlwork-form-note")).to_contain_text("Shift+Enter")
    form.screenshot(path=artifacts_dir / "form-fallback.png")

    # ...until it runs: the new value runs and the front end puts it in the source.
    page.evaluate("() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 1; }")
    lab_page.execute("notebook:run-cell")
    expect(_cell(page, 1)).to_contain_text("ran with 4 adam", timeout=KERNEL_TIMEOUT_MS)
    after = _wait_source_change(page, 1, before)
    assert _changed_lines(before, after) == [
        (
            'epochs = 3  # @param {type:"slider", min:1, max:10, step:1}',
            'epochs = 4  # @param {type:"slider", min:1, max:10, step:1}',
        )
    ]
    lab_page.wait_for_kernel_idle()
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    assert lab_page.dialogs == []
