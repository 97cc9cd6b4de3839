"""Reproducible sharing: verify, rerun, lock and export a notebook from the records it carries."""

from __future__ import annotations

__all__: list[str] = []
