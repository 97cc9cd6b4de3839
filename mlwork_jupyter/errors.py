"""Domain errors: each subclasses `MlworkError` and the matching built-in."""

from __future__ import annotations

__all__ = ["MlworkError", "NoActiveRunError", "RunNotFoundError", "StoreError"]


class MlworkError(Exception):
    """Base class of every error this package raises on purpose."""


class NoActiveRunError(MlworkError, RuntimeError):
    """An API call that needs a run was made outside a `%%mlwork` cell."""


class RunNotFoundError(MlworkError, LookupError):
    """A run id (or prefix) matched no run, or more than one."""


class StoreError(MlworkError, OSError):
    """The record store cannot be opened or written."""
