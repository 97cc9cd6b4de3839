"""Commands over a notebook's records: runs/show/diff reports, verify, rerun, lock, export."""

from __future__ import annotations

__all__: list[str] = []
