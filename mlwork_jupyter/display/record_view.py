"""The record card as a MIME bundle: JSON for our renderer, escaped HTML and plain text."""

from __future__ import annotations

from html import escape
from typing import Any

from mlwork_jupyter.display.html_table import html_table
from mlwork_jupyter.display.text import duration_text
from mlwork_jupyter.provenance.record import RECORD_MIME

__all__ = ["record_bundle", "record_html", "record_plain"]

_STATUS_COLOURS = {
    "running": "#1976d2",
    "ok": "#2e7d32",
    "error": "#c62828",
    "interrupted": "#ef6c00",
    "killed": "#6a1b9a",
}


def _duration(seconds: object) -> str:
    return duration_text(seconds) if isinstance(seconds, int | float) else "…"


def _ref_text(ref: dict[str, Any]) -> str:
    shape = ref.get("shape")
    dims = "×".join(str(d) for d in shape) if shape else ""  # noqa: RUF001
    extra = f" {dims}" if dims else ""
    if ref.get("kind") == "file" and ref.get("size") is not None:
        extra = f" {ref['size']} B"
    method = "" if ref.get("method", "full") == "full" else f", {ref['method']}"
    return (
        f"{ref.get('name')} ({ref.get('kind')}{extra}, {str(ref.get('fingerprint'))[:12]}{method})"
    )


def record_plain(record: dict[str, Any]) -> str:
    """Return the one-line text summary of a compact record."""
    parts = [
        f"mlwork {record.get('stage')} {record.get('name')!s}: {record.get('status')}",
        _duration(record.get("duration_s")),
        f"run {str(record.get('id', ''))[-8:]}",
    ]
    reads = [_ref_text(r) for r in record.get("inputs", [])]
    writes = [_ref_text(r) for r in record.get("outputs", [])]
    if reads:
        parts.append("read " + "; ".join(reads))
    if writes:
        parts.append("wrote " + "; ".join(writes))
    metrics = record.get("metrics") or {}
    if metrics:
        parts.append(", ".join(f"{k}={v:.4g}" for k, v in list(metrics.items())[:6]))
    if record.get("error"):
        parts.append(str(record["error"]))
    parts.extend(f"warning: {w}" for w in record.get("warnings", []))
    return " · ".join(parts)


_KEY_CELL = "padding:1px 8px 1px 0;text-align:left;vertical-align:top"
_VALUE_CELL = "padding:1px 0;font-family:monospace;text-align:left;white-space:pre-wrap"


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    return html_table(
        [],
        rows,
        title=title,
        style="border-collapse:collapse",
        cell_styles=(_KEY_CELL, _VALUE_CELL),
    )


def record_html(record: dict[str, Any]) -> str:
    """Return the static, fully escaped HTML card for viewers without our extension."""
    status = str(record.get("status"))
    colour = _STATUS_COLOURS.get(status, "#555")
    header = (
        f"<b>mlwork {escape(str(record.get('stage')))}</b> "
        f"<span>{escape(str(record.get('name')))}</span> "
        f"<span style='color:#fff;background:{colour};border-radius:3px;padding:0 4px'>"
        f"{escape(status)}</span> "
        f"<span>{escape(_duration(record.get('duration_s')))}</span> "
        f"<span style='opacity:.7'>run {escape(str(record.get('id', '')))}</span>"
    )
    sections = [
        _table("read", [(r.get("kind", ""), _ref_text(r)) for r in record.get("inputs", [])]),
        _table("wrote", [(r.get("kind", ""), _ref_text(r)) for r in record.get("outputs", [])]),
        _table("params", [(str(k), str(v)) for k, v in (record.get("params") or {}).items()]),
        _table("metrics", [(str(k), f"{v:.6g}") for k, v in (record.get("metrics") or {}).items()]),
        _table(
            "artifacts",
            [
                (str(a.get("name")), f"{a.get('size')} B {a.get('path')}")
                for a in record.get("artifacts", [])
            ],
        ),
    ]
    if record.get("error"):
        sections.append(
            f"<div style='color:{_STATUS_COLOURS['error']}'>{escape(str(record['error']))}</div>"
        )
    sections.extend(
        f"<div style='color:{_STATUS_COLOURS['interrupted']}'>⚠ {escape(str(w))}</div>"
        for w in record.get("warnings", [])
    )
    messages = (record.get("device") or {}).get("tensorflow_messages")
    if messages:
        sections.append(
            "<details><summary>TensorFlow messages</summary>"
            f"<pre style='font-size:11px;white-space:pre-wrap'>{escape(str(messages))}</pre>"
            "</details>"
        )
    return (
        "<div class='mlwork-record-static' style='border-left:3px solid "
        f"{colour};padding:2px 8px;font-size:12px'>{header}{''.join(sections)}</div>"
    )


def record_bundle(record: dict[str, Any]) -> dict[str, Any]:
    """Return the display bundle `{mime: data}` for a compact record."""
    return {
        RECORD_MIME: record,
        "text/html": record_html(record),
        "text/plain": record_plain(record),
    }
