"""`%mlwork runs`, `show` and `diff` as saved HTML outputs in a real JupyterLab, both themes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import nbformat
import pytest
from playwright.sync_api import expect

from mlwork_jupyter.provenance.record import DataRef, RunRecord, new_run_id
from mlwork_jupyter.sharing.commands import show_report
from mlwork_jupyter.sharing.run_diff import diff_report
from mlwork_jupyter.sharing.runs_table import runs_report

if TYPE_CHECKING:
    from pathlib import Path

    from mlwork_jupyter.display.report import Report

    from .lab_support import LabPage

pytestmark = pytest.mark.browser

START = time.time() - 3600
SUMMARY = """Model: "{model}" (Sequential)
layer    type   output shape  params
{first}  Dense  (None, 16)    1040
{second}  Dense  (None, 10)    170
Total params: 1210 (trainable 1210, non-trainable 0)"""
CODE = """# @title Digits MLP
epochs = {epochs}  # @param {{type:"integer"}}
model = keras.Sequential([keras.Input((64,)), layers.Dense(16, "relu"), layers.Dense(10)])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=epochs, validation_split=0.2)"""
ENV = {
    "python": {"version": "3.11.7"},
    "platform": {"platform": "Linux-6.1-x86_64"},
    "packages": {"keras": "3.12.0", "numpy": "2.4.6", "tensorflow": "2.21.0"},
    "git": {"commit": "5f0c3a9e1b2d", "dirty": True},
}
DIGITS = DataRef("array", "x_train", "0123456789abcdef0123456789abcdef", shape=[1437, 64])


def _run(n: int, **fields: Any) -> RunRecord:
    started = START + 60 * n
    defaults: dict[str, Any] = {
        "id": new_run_id(started),
        "stage": "train",
        "name": "digits-mlp",
        "code": "x = 1",
        "code_hash": "h",
        "notebook": "01_digits.ipynb",
        "status": "ok",
        "started": started,
        "ended": started + 12.3 * (n + 1),
        "inputs": [DIGITS],
        "env_hash": "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
    }
    return RunRecord(**{**defaults, **fields})


def _keras(n: int, epochs: int, names: tuple[str, str, str]) -> RunRecord:
    model, first, second = names
    return _run(
        n,
        code=CODE.format(epochs=epochs),
        params={
            "epochs": epochs,
            "batch_size": 32,
            "learning_rate": 0.001 * (n + 1),
            "optimizer": "Adam",
            "optimizer_config": {"name": "adam", "learning_rate": 0.001 * (n + 1)},
            "model": f"Sequential {model!r}",
            "model_summary": SUMMARY.format(model=model, first=first, second=second),
        },
        metrics={
            "loss": 0.5 / epochs,
            "accuracy": 1 - 1 / epochs,
            "val_loss": 0.6 / epochs,
            "val_accuracy": 0.98 - 1 / epochs,
            "fit_seconds": 0.12 * epochs,
        },
    )


def _reports() -> dict[str, Report]:
    first = _keras(0, 40, ("sequential", "dense  ", "dense_1"))
    second = _keras(1, 100, ("sequential_1", "dense_2", "dense_3"))
    second.inputs = [
        DataRef("array", "x_train", "fedcba9876543210fedcba9876543210", shape=[1437, 64])
    ]
    failed = _run(
        2,
        stage="data",
        name="load-digits",
        status="error",
        error="FileNotFoundError: [Errno 2] No such file or directory: 'digits.csv'",
        inputs=[],
    )
    tune = _run(3, stage="tune", name="search <units>", params={"units": 8})
    trials = [
        _run(
            4 + n,
            stage="tune",
            name="search",
            parent=tune.id,
            params={"units": units},
            metrics={"val_accuracy": 0.9 + n / 100},
            trial={"id": f"trial_{n}", "number": n, "status": "ok"},
        )
        for n, units in enumerate((16, 32))
    ]
    env_b = {**ENV, "packages": {**ENV["packages"], "numpy": "2.4.7"}}
    return {
        "runs": runs_report([first, second, failed, tune, *trials]),
        "show": show_report(second, ENV, {"loss": [(1, 0.5), (2, 0.4)]}),
        "diff": diff_report(first, second, ENV, env_b),
    }


def _line_boxes(locator: Any) -> list[int]:
    """How many lines each matched element's text takes."""
    return locator.evaluate_all(
        """els => els.map(el => {
            const range = document.createRange();
            range.selectNodeContents(el);
            return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
        })"""
    )


def _theme(lab_page: LabPage, name: str) -> None:
    lab_page.execute("apputils:change-theme", {"theme": name})
    expect(lab_page.page.locator("body")).to_have_attribute("data-jp-theme-name", name)
    expect(lab_page.page.locator("#jupyterlab-splash")).to_have_count(0)


def test_reports_keep_lines_colours_and_widths_in_both_themes(
    lab_page: LabPage, artifacts_dir: Path
) -> None:
    lab, page = lab_page.lab, lab_page.page
    reports = _reports()
    cells = []
    for command, report in reports.items():
        output = nbformat.v4.new_output("display_data", data=report.bundle())
        cell = nbformat.v4.new_code_cell(f"%mlwork {command}", outputs=[output])
        cell.execution_count = 1
        cells.append(cell)
    # Untrusted, as a notebook someone sent: JupyterLab sanitizes the saved HTML.
    name = lab.write_notebook("reports.ipynb", cells)
    lab_page.open_notebook(name)
    page.wait_for_function("() => window.jupyterapp !== undefined")
    outputs = page.locator(".jp-OutputArea-output")
    expect(page.locator(".mlwork-report")).to_have_count(3)
    runs, show, diff = (outputs.nth(i) for i in range(3))

    # runs: one line per date, id and name; the error says why, on a red tint.
    rows = runs.locator("tbody tr")
    expect(rows).to_have_count(6)
    assert set(_line_boxes(rows.locator("td:nth-child(2)"))) == {1}
    assert set(_line_boxes(rows.locator("td:nth-child(4)"))) == {1}
    error = rows.nth(2).locator("td").nth(4)
    expect(error).to_contain_text("error: FileNotFoundError")
    tint = error.evaluate("el => getComputedStyle(el).backgroundColor")
    assert tint == "rgba(248, 81, 73, 0.22)"
    expect(rows.nth(4).locator("td").nth(3)).to_have_text("\N{RIGHTWARDS ARROW} trial_0")
    expect(runs.locator("thead th")).to_contain_text(["units", "epochs", "learning_rate"])

    # show and diff: code and the model summary in <pre>, one line per line.
    code = show.locator("pre.mlwork-code").last
    expect(code).to_contain_text("# @title Digits MLP\nepochs = 100")
    assert _line_boxes(code) == [5]
    summary = show.locator("pre.mlwork-code").first
    expect(summary).to_contain_text('Model: "sequential_1" (Sequential)\nlayer')
    added = diff.locator("pre.mlwork-diff .mlwork-diff-add")
    expect(added).to_have_count(1)
    expect(added).to_have_text('+epochs = 100  # @param {type:"integer"}')
    colour = added.evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgba(46, 160, 67, 0.2)"
    expect(diff.locator(".mlwork-diff-del")).to_have_count(1)
    [code_diff] = [s for s in reports["diff"].sections if s.title == "code"]
    text = diff.locator("pre.mlwork-diff").evaluate("el => el.textContent")
    assert text == code_diff.body + "\n"  # type: ignore[union-attr]
    titles = diff.locator("b").all_inner_texts()
    assert titles == ["params", "data", "code", "metrics", "environment"]
    expect(diff).not_to_contain_text("sequential_1")

    # Tall and wide enough that each whole output is on screen.
    page.set_viewport_size({"width": 1600, "height": 2400})
    try:
        for theme, suffix in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
            _theme(lab_page, theme)
            for command, output in zip(reports, (runs, show, diff), strict=True):
                output.screenshot(path=artifacts_dir / f"report-{command}-{suffix}.png")
    finally:
        _theme(lab_page, "JupyterLab Light")
    assert lab_page.dialogs == []
