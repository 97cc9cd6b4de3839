"""The kernel side of widget forms: controls per kind, edits, the bridge protocol, fallback."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ipywidgets as w
import pytest

from mlwork_jupyter.display.form import FORM_MIME, CellForm, Forms
from mlwork_jupyter.display.form_bridge import utf16_offset

CELL = (
    "%%mlwork train --form\n"
    "# @title Settings <b>bold</b>\n"
    "lr = 0.001  # @param {type:'slider', min:0.0001, max:0.1, step:0.0001}\n"
    "rate = 0.01  # @param {type:'slider', min:1e-4, max:1, log:true}\n"
    "epochs = 20  # @param {type:'integer', min:1, max:100}\n"
    "opt = 'adam'  # @param ['adam', 'sgd']\n"
    "width = 64  # @param [32, 64, 128] {allow-input: true}\n"
    "flag = True  # @param {type:'boolean'}\n"
    "day = '2024-01-02'  # @param {type:'date'}\n"
    "shape = (8, 8)  # @param {type:'raw'}\n"
    "name = \"run\"  # @param {type:'string', placeholder:'a name'}\n"
    "bad = 500  # @param {type:'slider', min:0, max:10}\n"
)


class Bridge:
    """What the kernel sent to the front end, by widget message."""

    def __init__(self, forms: Forms, *, ready: bool) -> None:
        self.sent: list[dict[str, Any]] = []
        forms.bridge.send = lambda content, buffers=None: self.sent.append(content)
        if ready:
            forms.bridge._received(None, {"event": "ready", "protocol": 1}, None)

    def answer(self, forms: Forms, seq: int, status: str) -> None:
        event = {"event": "edit-result", "seq": seq, "status": status}
        forms.bridge._received(None, event, None)


def _form(*, ready: bool = True, cell_id: str | None = "c1") -> tuple[Forms, CellForm, Bridge]:
    shown: list[dict[str, Any]] = []
    forms = Forms(shown.append)
    cell = forms.show(cell_id or "source:x", cell_id, CELL)
    bridge = Bridge(forms, ready=ready)
    assert shown[0][FORM_MIME]["model_id"] == cell.box.model_id
    return forms, cell, bridge


def _control(cell: CellForm, name: str) -> Any:
    return cell.fields[name].control


def test_each_kind_gets_its_control() -> None:
    _, cell, _ = _form()
    kinds = {name: type(entry.control) for name, entry in cell.fields.items()}
    assert kinds == {
        "lr": w.FloatSlider,
        "rate": w.FloatLogSlider,
        "epochs": w.BoundedIntText,
        "opt": w.Dropdown,
        "width": w.Combobox,
        "flag": w.Checkbox,
        "day": w.DatePicker,
        "shape": w.Text,
        "name": w.Text,
        "bad": w.Text,
    }
    assert _control(cell, "day").value == dt.date(2024, 1, 2)
    assert _control(cell, "name").placeholder == "a name"
    assert _control(cell, "shape").value == "(8, 8)"


def test_invalid_declaration_is_a_disabled_field_with_its_message() -> None:
    _, cell, _ = _form()
    assert _control(cell, "bad").disabled
    assert "outside [0, 10]" in cell.fields["bad"].message.value


def test_title_is_escaped() -> None:
    _, cell, _ = _form()
    assert "&lt;b&gt;bold&lt;/b&gt;" in cell.box.children[0].value


@pytest.mark.parametrize(
    ("name", "value", "line"),
    [
        ("lr", 0.01234, "lr = 0.0123  #"),  # snapped to the step
        ("rate", 0.1, "rate = 0.1  #"),
        ("epochs", 30, "epochs = 30  #"),
        ("opt", "sgd", "opt = 'sgd'  #"),  # the quote style kept
        ("width", "256", "width = 256  #"),  # typed in a combobox: a number stays a number
        ("flag", False, "flag = False  #"),
        ("day", dt.date(2025, 3, 4), "day = '2025-03-04'  #"),
        ("shape", "(4, 4)", "shape = (4, 4)  #"),
        ("name", 'say "hi"', 'name = "say \\"hi\\""  #'),
    ],
)
def test_a_change_edits_only_that_literal(name: str, value: Any, line: str) -> None:
    _, cell, bridge = _form()
    _control(cell, name).value = value
    (edit,) = bridge.sent
    before, after = CELL.splitlines(), cell.source.splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0][1].startswith(line)
    start = edit["start"]
    assert CELL[:start] + edit["text"] + CELL[edit["end"] :] == cell.source  # all ASCII here


def test_snapped_value_shows_in_the_control() -> None:
    _, cell, _ = _form()
    _control(cell, "lr").value = 0.01234
    assert _control(cell, "lr").value == pytest.approx(0.0123)


def test_a_value_that_cannot_be_written_stays_out_of_the_source() -> None:
    _, cell, bridge = _form()
    _control(cell, "shape").value = "(4, 4"
    assert bridge.sent == []
    assert cell.source == CELL
    assert "not a Python expression" in cell.fields["shape"].message.value


def test_conflict_detaches_the_form() -> None:
    forms, cell, bridge = _form()
    _control(cell, "epochs").value = 30
    bridge.answer(forms, 1, "conflict")
    assert cell.state == "detached"
    assert all(entry.control.disabled for entry in cell.fields.values())
    _control(cell, "opt").disabled = False
    _control(cell, "opt").value = "sgd"
    assert len(bridge.sent) == 1  # nothing more is written
    assert "nothing was overwritten" in cell.status.value


def test_applied_edits_are_timed_and_chained() -> None:
    forms, cell, bridge = _form()
    _control(cell, "epochs").value = 30
    _control(cell, "epochs").value = 40
    assert bridge.sent[1]["expected"] == CELL.replace("epochs = 20", "epochs = 30")
    bridge.answer(forms, 1, "applied")
    assert len(cell.applied_s) == 1


def test_without_a_bridge_values_wait_for_the_next_run() -> None:
    forms, cell, bridge = _form(ready=False)
    _control(cell, "epochs").value = 30
    _control(cell, "opt").value = "sgd"
    assert bridge.sent == []
    assert "when you next run it" in cell.status.value
    taken = forms.take_pending("c1", CELL)
    assert taken is not None
    source, values = taken
    assert values == {"epochs": 30, "opt": "sgd"}
    assert source == CELL.replace("epochs = 20", "epochs = 30").replace(
        "opt = 'adam'", "opt = 'sgd'"
    )
    assert forms.take_pending("c1", CELL) is None  # taken once


def test_without_a_cell_id_the_bridge_is_not_used() -> None:
    _, cell, bridge = _form(cell_id=None)
    _control(cell, "epochs").value = 30
    assert bridge.sent == []
    assert cell.pending


def test_run_asks_the_front_end_or_says_how() -> None:
    _, cell, bridge = _form()
    cell.run()
    assert bridge.sent == [{"op": "run", "seq": 1, "cell_id": "c1"}]
    _, cell, bridge = _form(ready=False)
    cell.run()
    assert bridge.sent == []
    assert "Shift+Enter" in cell.status.value


def test_a_new_run_closes_the_old_form_but_not_the_bridge() -> None:
    forms, cell, _ = _form()
    old = _control(cell, "epochs")
    new = forms.show("c1", "c1", CELL)
    assert old.comm is None
    assert forms.bridge.comm is not None
    assert forms.form("c1") is new


@pytest.mark.parametrize(
    ("text", "index", "expected"),
    [("abc", 2, 2), ("😀x", 1, 2), ("😀x", 2, 3), ("é😀😀", 3, 5)],
)
def test_utf16_offset(text: str, index: int, expected: int) -> None:
    assert utf16_offset(text, index) == expected
