"""Domain errors: each subclasses `MlworkError` and the matching built-in."""

from __future__ import annotations

import types
from pathlib import Path

__all__ = ["MlworkError", "NoActiveRunError", "RunNotFoundError", "StoreError", "error_line"]


class MlworkError(Exception):
    """Base class of every error this package raises on purpose.

    IPython shows one raised through the API as the user's own lines and the one-line
    message: the frames inside this package are left out (`_render_traceback_`).
    """

    def _render_traceback_(self) -> list[str]:
        """Return IPython's traceback of this error, cut at the first frame of this package."""
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:  # not under IPython: nothing calls this hook
            return [f"{type(self).__name__}: {self}"]
        tb = _user_frames(self.__traceback__)
        return shell.InteractiveTB.structured_traceback(type(self), self, tb)  # type: ignore[no-any-return]


class NoActiveRunError(MlworkError, RuntimeError):
    """An API call that needs a run was made outside a `%%mlwork` cell."""


class RunNotFoundError(MlworkError, LookupError):
    """A run id (or prefix) matched no run, or more than one."""


class StoreError(MlworkError, OSError):
    """The record store cannot be opened or written."""


def error_line(exc: BaseException) -> str:
    """Return ``Type: first non-empty line of the message`` (Keras' messages start with one)."""
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


_PACKAGE = str(Path(__file__).resolve().parent)


def _user_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    """Return the traceback up to (not into) the first frame whose code is in this package."""
    kept: list[types.TracebackType] = []
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE):
        kept.append(tb)
        tb = tb.tb_next
    chain = None
    for entry in reversed(kept):
        chain = types.TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return chain
