"""The record renderer in a real JupyterLab: saved outputs, hostile text, bad payloads, themes."""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING, Any

import nbformat
import pytest
from playwright.sync_api import expect

from .lab_support import KERNEL_TIMEOUT_MS, record_cell, sample_record

if TYPE_CHECKING:
    from pathlib import Path

    from .lab_support import Lab, LabPage

pytestmark = pytest.mark.browser

EVIL = "<img src=x onerror=alert(1)>"
STORE_WARNING = (
    "store unavailable (database disk image is malformed); this record is in the output only"
)


def _cells_trusted(lab: Lab, name: str) -> bool:
    """What the server says about a notebook's trust (it marks each cell when it loads it)."""
    request = urllib.request.Request(
        f"{lab.url}api/contents/{name}?content=1",
        headers={"Authorization": f"token {lab.token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        model = json.load(response)
    return all(cell["metadata"].get("trusted", False) for cell in model["content"]["cells"])


def _open_all_sections(card: Any) -> None:
    summaries = card.locator("details:not([open]) > summary")
    while summaries.count() > 0:
        summaries.first.click()


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "untrusted"])
def test_saved_record_shows_as_card_not_html(lab_page: LabPage, *, trusted: bool) -> None:
    lab, page = lab_page.lab, lab_page.page
    name = lab.write_notebook(
        f"saved-{'trusted' if trusted else 'untrusted'}.ipynb",
        [record_cell(sample_record())],
        trusted=trusted,
    )
    assert _cells_trusted(lab, name) is trusted
    lab_page.open_notebook(name)

    card = page.locator(".mlwork-record")
    expect(card).to_be_visible()
    expect(card.locator(".mlwork-record-name")).to_have_text("digits-mlp")
    expect(card.locator(".mlwork-badge.mlwork-status")).to_have_text("ok")
    expect(card.locator(".mlwork-stage")).to_have_text("train")
    expect(card.locator(".mlwork-record-duration")).to_have_text("12.3 s")
    expect(card.locator(".mlwork-record-id")).to_have_text("…R6S8T0VW")
    # The record renderer won the output, not text/html (a trusted notebook could show either).
    expect(page.locator(".jp-OutputArea-output")).to_have_count(1)
    expect(page.locator(".jp-OutputArea-output.mlwork-RenderedRecord")).to_have_count(1)
    expect(page.locator(".jp-OutputArea .jp-RenderedHTML")).to_have_count(0)
    expect(page.locator(".jp-Notebook").get_by_text("fallback")).to_have_count(0)

    # Sections start closed; a keyboard user opens one from its summary.
    params = card.locator("details[data-mlwork-section='params']")
    expect(params).not_to_have_attribute("open", "")
    params.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(params).to_have_attribute("open", "")
    expect(params.locator("table")).to_be_visible()
    expect(params.locator("tbody tr")).to_have_count(3)
    expect(params.locator("tbody")).to_contain_text("learning_rate")
    expect(params.locator("tbody")).to_contain_text("0.001")
    page.keyboard.press("Enter")
    expect(params).not_to_have_attribute("open", "")

    metrics = card.locator("details[data-mlwork-section='metrics']")
    expect(metrics.locator("summary")).to_contain_text("accuracy 0.9667")
    metrics.locator("summary").click()
    expect(metrics.locator("tbody tr")).to_have_count(3)

    data = card.locator("details[data-mlwork-section='data']")
    data.locator("summary").click()
    expect(data.locator("tbody tr").first).to_contain_text("1437 \u00d7 64")
    expect(data.locator("tbody tr").first).to_contain_text("0123456789ab…")
    assert lab_page.dialogs == []


def test_hostile_strings_stay_text(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    record = sample_record(
        name=EVIL,
        stage=EVIL,
        status=EVIL,
        id=EVIL,
        error=EVIL,
        warnings=[EVIL],
        params={EVIL: EVIL},
        metrics={EVIL: 1.5},
        environment={"hash": EVIL, "python": EVIL, "platform": EVIL, "packages": {EVIL: EVIL}},
        inputs=[{"kind": EVIL, "name": EVIL, "fingerprint": EVIL, "method": EVIL}],
        outputs=[],
        artifacts=[{"name": EVIL, "digest": EVIL, "path": EVIL}],
        device=EVIL,
    )
    name = lab.write_notebook("hostile.ipynb", [record_cell(record)], trusted=True)
    lab_page.open_notebook(name)

    card = page.locator(".mlwork-record")
    expect(card).to_be_visible()
    _open_all_sections(card)
    expect(card.locator(".mlwork-record-name")).to_have_text(EVIL)
    expect(card.locator(".mlwork-badge.mlwork-status")).to_have_text(EVIL)
    expect(card.locator("details[data-mlwork-section='metrics'] tbody")).to_contain_text(EVIL)
    expect(card.locator("details[data-mlwork-section='error'] pre")).to_have_text(EVIL)
    # An unknown status gets neutral styling, never a class made from the payload.
    expect(card).to_have_class("mlwork-record mlwork-status-unknown")
    assert card.locator("img").count() == 0
    assert page.locator(".jp-OutputArea img").count() == 0
    assert lab_page.dialogs == []


MALFORMED: list[Any] = [
    "not a record",
    {"version": 1, "inputs": 5},
    [1, 2, 3],
    {"version": 2, "id": "x", "stage": "data", "name": "n", "status": "ok"},
    sample_record(metrics=[1, 2]),
    sample_record(inputs=[{"kind": "frame"}]),
]


def test_malformed_payload_shows_message_and_notebook_works(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    cells = [
        record_cell(*MALFORMED),
        nbformat.v4.new_code_cell("print(6 * 7)"),
        record_cell(sample_record(name="still-fine")),
    ]
    name = lab.write_notebook("malformed.ipynb", cells, trusted=True)
    lab_page.open_notebook(name)

    problems = page.locator(".mlwork-record-problem")
    expect(problems).to_have_count(len(MALFORMED))
    for i in range(len(MALFORMED)):
        expect(problems.nth(i)).to_contain_text("mlwork: cannot show this record (")
    expect(problems.nth(0)).to_contain_text("record is a string, expected an object")
    expect(problems.nth(1)).to_contain_text("id is missing, expected a string")
    expect(problems.nth(3)).to_contain_text("this renderer reads version 1")
    expect(problems.nth(4)).to_contain_text("metrics is a list, expected an object")
    expect(problems.nth(5)).to_contain_text("inputs[0].name is missing")
    expect(page.locator(".mlwork-record .mlwork-record-name")).to_have_text("still-fine")

    code = page.locator(".jp-Notebook .jp-Cell").nth(1)
    lab_page.wait_for_kernel_ready()  # a key press before the session is ready can be lost
    code.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    expect(code.locator(".jp-OutputArea-output")).to_have_text("42", timeout=KERNEL_TIMEOUT_MS)
    assert lab_page.dialogs == []


def _theme(page: Any, name: str, lab_page: LabPage) -> None:
    lab_page.execute("apputils:change-theme", {"theme": name})
    expect(page.locator("body")).to_have_attribute("data-jp-theme-name", name)
    # Lab shows its splash while a theme loads.
    expect(page.locator("#jupyterlab-splash")).to_have_count(0)


def test_card_screenshots_in_light_and_dark(lab_page: LabPage, artifacts_dir: Path) -> None:
    lab, page = lab_page.lab, lab_page.page
    failed = sample_record(
        id="01JDQ40000AAAABBBBCCCCDDDD",
        stage="evaluate",
        name="digits-eval",
        status="error",
        duration_s=0.042,
        error="ValueError: y_true and y_pred have different lengths (360 vs 359)",
        warnings=[STORE_WARNING],
        params={},
        artifacts=[],
    )
    running = sample_record(
        id="01JDQ41111EEEEFFFFGGGGHHHH",
        stage="data",
        name="load-digits",
        status="running",
        duration_s=None,
        metrics={},
        params={},
        artifacts=[],
        environment=None,
    )
    name = lab.write_notebook(
        "screenshots.ipynb",
        [record_cell(sample_record()), record_cell(failed), record_cell(running)],
        trusted=True,
    )
    lab_page.open_notebook(name)
    page.wait_for_function("() => window.jupyterapp !== undefined")
    cards = page.locator(".mlwork-record")
    expect(cards).to_have_count(3)
    notebook = page.locator(".jp-NotebookPanel-notebook")

    background = "el => getComputedStyle(el).backgroundColor"
    try:
        _theme(page, "JupyterLab Light", lab_page)
        light_bg = cards.first.evaluate(background)
        notebook.screenshot(path=artifacts_dir / "record-light-notebook.png")

        _theme(page, "JupyterLab Dark", lab_page)
        # The theme's stylesheet has applied once the card's own background changed.
        page.wait_for_function(
            "([el, bg]) => getComputedStyle(el).backgroundColor !== bg",
            arg=[cards.first.element_handle(), light_bg],
        )
        notebook.screenshot(path=artifacts_dir / "record-dark-notebook.png")
        _open_all_sections(cards.nth(0))
        _open_all_sections(cards.nth(1))
        cards.nth(0).screenshot(path=artifacts_dir / "record-dark-expanded.png")
        cards.nth(1).screenshot(path=artifacts_dir / "record-dark-error.png")

        _theme(page, "JupyterLab Light", lab_page)
        expect(cards.first).to_have_css("background-color", light_bg)
        cards.nth(0).screenshot(path=artifacts_dir / "record-light-expanded.png")
        cards.nth(1).screenshot(path=artifacts_dir / "record-light-error.png")
    finally:
        _theme(page, "JupyterLab Light", lab_page)
    assert lab_page.dialogs == []


def test_tensorflow_messages_are_a_closed_section_of_text(lab_page: LabPage) -> None:
    lab, page = lab_page.lab, lab_page.page
    messages = f"E0000 cuda_platform.cc:52] failed call to cuInit (303)\n{EVIL}"
    record = sample_record(device={"strategy": "default", "tensorflow_messages": messages})
    name = lab.write_notebook("tf-messages.ipynb", [record_cell(record)], trusted=True)
    lab_page.open_notebook(name)

    card = page.locator(".mlwork-record")
    section = card.locator("details[data-mlwork-section='tensorflow']")
    expect(section).to_be_visible()
    expect(section.locator("summary")).to_have_text("TensorFlow messages")
    expect(section).not_to_have_attribute("open", "")
    section.locator("summary").click()
    expect(section.locator("pre")).to_have_text(messages)
    assert section.locator("img").count() == 0
    run = card.locator("details[data-mlwork-section='run']")
    run.locator("summary").click()
    expect(run).to_contain_text('{"strategy":"default"}')
    expect(run).not_to_contain_text("cuInit")
