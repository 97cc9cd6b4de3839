"""Where a cell's record card and one-line warnings go: the IPython display system."""

from __future__ import annotations

import sys
from typing import Any

from mlwork_jupyter.display.record_view import record_bundle

__all__ = ["Output"]


class Output:
    """Shows record cards and warnings in the running cell's output.

    Parameters
    ----------
    live
        In a kernel with a front end, the card is shown when the cell starts (status
        `running`) and updated in place when it ends; in a terminal, only the final card.
    """

    def __init__(self, *, live: bool) -> None:
        self.live = live

    def card(self, record: dict[str, Any]) -> Any:
        """Show the starting card; return a handle for `update_card`."""
        if not self.live:
            return None
        from IPython.display import display

        return display(record_bundle(record), raw=True, display_id=True)  # type: ignore[no-untyped-call]

    def update_card(self, handle: Any, record: dict[str, Any]) -> None:
        """Replace the card with the final record (or show it, without a live handle)."""
        bundle = record_bundle(record)
        if handle is None:
            from IPython.display import display

            display(bundle, raw=True)  # type: ignore[no-untyped-call]
        else:
            handle.update(bundle, raw=True)

    def warning(self, line: str) -> None:
        """Show one warning line before the cell's own output."""
        print(f"mlwork: {line}", file=sys.stderr)  # noqa: T201 - stderr is the warning channel
