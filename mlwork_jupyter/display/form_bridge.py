"""The kernel's end of the source bridge: a model-only widget our labextension implements.

Protocol (version 1), custom widget messages:

front end -> kernel::

    {"event": "ready", "protocol": 1}
    {"event": "edit-result", "seq": 3, "status": "applied" | "conflict" | "missing", "ms": 1.2}
    {"event": "run-result", "seq": 4, "status": "started" | "missing"}

kernel -> front end::

    {"op": "edit", "seq": 3, "cell_id": "...", "expected": "<whole source before>",
     "start": 40, "end": 44, "text": "0.01"}          # offsets in UTF-16 code units
    {"op": "run", "seq": 4, "cell_id": "..."}

The front end applies an edit with ``sharedModel.updateSource(start, end, text)`` only if the
cell's source equals ``expected``; otherwise it answers ``conflict`` and changes nothing. Where
our labextension is absent the model class cannot load, ``ready`` never arrives, and the forms
fall back to applying values on the next run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets
from traitlets import Unicode

from mlwork_jupyter import __version__

__all__ = ["PROTOCOL", "SourceBridge", "utf16_offset"]

PROTOCOL = 1

Handler = Callable[[dict[str, Any]], None]


def utf16_offset(text: str, index: int) -> int:
    """Return the UTF-16 code-unit offset of code point `index` in `text` (JavaScript's view)."""
    head = text[:index]
    return len(head) + sum(1 for char in head if ord(char) > 0xFFFF)  # noqa: PLR2004 - BMP end


class SourceBridge(ipywidgets.Widget):  # type: ignore[misc]
    """One per kernel: sends source edits and run requests to the notebook, hears answers."""

    _model_name = Unicode("SourceBridgeModel").tag(sync=True)
    _model_module = Unicode("mlwork-jupyter").tag(sync=True)
    _model_module_version = Unicode(f"^{__version__}").tag(sync=True)
    _view_name = Unicode(None, allow_none=True).tag(sync=True)
    _view_module = Unicode(None, allow_none=True).tag(sync=True)
    _view_module_version = Unicode("").tag(sync=True)

    def __init__(self, on_event: Handler) -> None:
        super().__init__()
        self.ready = False
        self._seq = 0
        self._on_event = on_event
        self.on_msg(self._received)

    def _received(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        if content.get("event") == "ready" and content.get("protocol") == PROTOCOL:
            self.ready = True
        self._on_event(content)

    def request(self, op: str, **fields: Any) -> int:
        """Send one request to the front end; return its sequence number."""
        self._seq += 1
        self.send({"op": op, "seq": self._seq, **fields})
        return self._seq
