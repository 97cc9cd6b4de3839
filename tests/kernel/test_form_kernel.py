"""Widget forms through a real kernel: the bridge protocol and the fallback, by raw messages.

The tests play the front end: they answer comm messages as JupyterLab's widget manager and our
labextension would, so the kernel's side of each path is exercised for real.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from mlwork_jupyter.provenance.store import Store

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.kernel

CELL = (
    "%%mlwork train --form --name tuned\n"
    "# @title Settings 😀\n"
    "epochs = 3  # @param {type:'slider', min:1, max:10, step:1}\n"
    "lr = 0.5  # @param {type:'number'}\n"
    "print('epochs', epochs)"
)


@dataclass
class Front:
    """A minimal front end: runs cells with a cell id, and tracks widget comms."""

    kc: Any
    comms: dict[str, dict[str, Any]] = field(default_factory=dict)
    custom: list[tuple[str, Any]] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)

    def _take(self, msg: dict[str, Any], out: list[str]) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_open":
            self.comms[content["comm_id"]] = content["data"]["state"]
        elif kind == "comm_close":
            self.closed.add(content["comm_id"])
        elif kind == "comm_msg" and content["data"].get("method") == "custom":
            self.custom.append((content["comm_id"], content["data"]["content"]))
        elif kind == "comm_msg" and content["data"].get("method") in {"update", "echo_update"}:
            self.comms.get(content["comm_id"], {}).update(content["data"]["state"])
        elif kind == "stream":
            out.append(content["text"])

    def run(self, code: str, cell_id: str) -> tuple[dict[str, Any], str]:
        """Execute a cell as JupyterLab does (with `metadata.cellId`); return reply, stdout."""
        msg = self.kc.session.msg(
            "execute_request",
            {"code": code, "silent": False, "store_history": True, "user_expressions": {}},
            metadata={"cellId": cell_id},
        )
        self.kc.shell_channel.send(msg)
        out: list[str] = []
        reply = self.kc._recv_reply(msg["header"]["msg_id"], timeout=120)
        self.drain(out)
        return reply["content"], "".join(out)

    def drain(self, out: list[str] | None = None, timeout: float = 2.0) -> None:
        """Read iopub until it is quiet."""
        sink: list[str] = [] if out is None else out
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=timeout)
            except queue.Empty:
                return
            self._take(msg, sink)

    def comm(self, model: str, description: str | None = None) -> str:
        """The comm id of the newest widget of this model (and description)."""
        found = [
            cid
            for cid, state in self.comms.items()
            if state.get("_model_name") == model
            and (description is None or state.get("description") == description)
        ]
        assert found, (model, description, [s.get("_model_name") for s in self.comms.values()])
        return found[-1]

    def send(self, comm_id: str, data: dict[str, Any]) -> None:
        """Send a comm message to the kernel, as the widget manager would."""
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.kc.shell_channel.send(msg)

    def set_value(self, comm_id: str, value: Any) -> None:
        self.send(comm_id, {"method": "update", "state": {"value": value}, "buffer_paths": []})

    def requests(self, bridge: str) -> list[dict[str, Any]]:
        return [content for cid, content in self.custom if cid == bridge and "op" in content]


def _front(kernel_factory: Callable[[], tuple[Any, Any]]) -> Front:
    _km, kc = kernel_factory()
    front = Front(kc)
    front.drain(timeout=0.5)
    return front


def test_bridge_edit_is_the_literal_span_in_utf16(
    kernel_factory: Callable[[], tuple[Any, Any]], tmp_path: Path
) -> None:
    front = _front(kernel_factory)
    reply, out = front.run(CELL, "cell-a")
    assert reply["status"] == "ok"
    assert "epochs 3" in out
    bridge = front.comm("SourceBridgeModel")
    assert front.comms[bridge]["_model_module"] == "mlwork-jupyter"
    front.send(bridge, {"method": "custom", "content": {"event": "ready", "protocol": 1}})

    front.set_value(front.comm("IntSliderModel", "epochs"), 7)
    front.drain()
    (edit,) = front.requests(bridge)
    assert edit["op"] == "edit"
    assert edit["cell_id"] == "cell-a"
    assert edit["expected"] == CELL
    # JavaScript counts the emoji in the title as two code units.
    start = CELL.index("3  # @param") + 1
    assert (edit["start"], edit["end"], edit["text"]) == (start, start + 1, "7")
    edited = CELL[: start - 1] + "7" + CELL[start:]

    # The front end applied it; the next change is computed on the edited source.
    front.send(
        bridge,
        {"method": "custom", "content": {"event": "edit-result", "seq": 1, "status": "applied"}},
    )
    front.set_value(front.comm("FloatTextModel", "lr"), 0.25)
    front.drain()
    second = front.requests(bridge)[1]
    assert second["expected"] == edited
    assert second["text"] == "0.25"

    # Run: the form asks the front end to run the cell.
    front.send(front.comm("ButtonModel"), {"method": "custom", "content": {"event": "click"}})
    front.drain()
    assert front.requests(bridge)[2] == {"op": "run", "seq": 3, "cell_id": "cell-a"}

    # The front end runs the edited source: the record's params are what it says.
    ran = edited.replace("lr = 0.5", "lr = 0.25")
    old_slider = front.comm("IntSliderModel", "epochs")
    reply, out = front.run(ran, "cell-a")
    assert old_slider in front.closed
    assert bridge not in front.closed
    assert "epochs 7" in out
    # The new run's form edits the source that ran; the old form's widgets are closed.
    front.set_value(front.comm("IntSliderModel", "epochs"), 2)
    front.drain()
    last = front.requests(bridge)[-1]
    assert (last["op"], last["expected"], last["text"]) == ("edit", ran, "2")
    with Store(tmp_path / ".mlwork") as store:
        run = store.runs()[-1]
    assert (run.params["epochs"], run.params["lr"]) == (7, 0.25)


def test_without_the_extension_values_apply_at_the_next_run(
    kernel_factory: Callable[[], tuple[Any, Any]],
) -> None:
    front = _front(kernel_factory)
    front.run(CELL, "cell-b")
    # No `ready`: our labextension is not there (VS Code, Notebook 7 without it).
    front.set_value(front.comm("IntSliderModel", "epochs"), 9)
    front.drain()
    bridge = front.comm("SourceBridgeModel")
    assert front.requests(bridge) == []
    notes = [
        s.get("value", "") for s in front.comms.values() if s.get("_model_name") == "HTMLModel"
    ]
    assert any("updated when you next run it" in note for note in notes), notes

    reply, out = front.run(CELL, "cell-b")
    assert reply["status"] == "ok"
    assert "epochs 9" in out
    (payload,) = [p for p in reply["payload"] if p["source"] == "set_next_input"]
    assert payload["replace"] is True
    assert payload["clear_output"] is False
    assert payload["text"] == CELL.replace("epochs = 3", "epochs = 9")


def test_hand_edited_cell_takes_no_pending_value_that_no_longer_fits(
    kernel_factory: Callable[[], tuple[Any, Any]],
) -> None:
    front = _front(kernel_factory)
    front.run(CELL, "cell-c")
    front.set_value(front.comm("IntSliderModel", "epochs"), 9)
    front.drain()
    # The user removed the declaration by hand before running again: nothing is written.
    hand = CELL.replace("epochs = 3  # @param {type:'slider', min:1, max:10, step:1}", "epochs = 2")
    reply, out = front.run(hand, "cell-c")
    assert "epochs 2" in out
    assert [p for p in reply["payload"] if p["source"] == "set_next_input"] == []


def test_papermill_style_parameters_cell(kernel_factory: Callable[[], tuple[Any, Any]]) -> None:
    front = _front(kernel_factory)
    params = "%mlwork form\nalpha = 0.1  # @param {type:'number'}\nname = 'x'  # @param ['x', 'y']"
    reply, _ = front.run(params, "params")
    assert reply["status"] == "ok"
    front.send(
        front.comm("DropdownModel", "name"),
        {"method": "update", "state": {"index": 1}, "buffer_paths": []},
    )
    front.drain()
    reply, out = front.run(params + "\nprint('name', name)", "params")
    assert "name x" in out  # the cell's own assignment ran with the text it had...
    reply, out = front.run("print('after', name)", "other")
    assert "after y" in out  # ...and the namespace then holds the form's value
