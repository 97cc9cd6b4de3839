"""Where a cell's record card and one-line warnings go: the IPython display system."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.display.record_view import record_bundle

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Output", "show"]


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
        # Keras' progress lines stay under a live panel (`MlworkMagics.keras_progress`).
        self.keras_progress = False

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
            show(bundle)
        else:
            handle.update(bundle, raw=True)

    def publisher(self) -> Callable[[dict[str, Any], bool], None] | None:
        """Return a live panel's publisher (display, then update in place); None in a terminal."""
        if not self.live:
            return None
        from IPython.display import display

        handle: Any = None

        def publish(bundle: dict[str, Any], update: bool) -> None:  # noqa: FBT001 - the protocol
            nonlocal handle
            if handle is None or not update:
                handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]
            else:
                handle.update(bundle, raw=True)

        return publish

    def warning(self, line: str) -> None:
        """Show one warning line before the cell's own output."""
        print(f"mlwork: {line}", file=sys.stderr)  # noqa: T201 - stderr is the warning channel


def show(bundle: dict[str, Any]) -> None:
    """Display a MIME bundle in the running cell's output (text/plain in a terminal)."""
    from IPython.display import display

    display(bundle, raw=True)  # type: ignore[no-untyped-call]
