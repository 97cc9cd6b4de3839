"""The escaped HTML table that every static view (cards, panels, reports) is built from."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["html_table"]


def _style(css: str) -> str:
    return f' style="{escape(css)}"' if css else ""


def html_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str = "",
    style: str = "",
    cell_styles: Sequence[str] = (),
    empty: str = "",
) -> str:
    """Return a table as HTML with every title, header and cell escaped; ``""`` without rows.

    Parameters
    ----------
    columns
        Header cells; no header row when empty.
    rows
        The cells (``str()`` of each value, None as `empty`).
    title
        Shown in bold above the table.
    style
        CSS of the ``<table>``.
    cell_styles
        CSS of each column's cells, the first for the first column; the last one also
        serves any further columns.
    empty
        The text of a None cell.

    Examples
    --------
    >>> html = html_table(["name", "value"], [["<b>", None]], empty="-")
    >>> html.startswith("<table><thead><tr><th>name</th>"), "<td>&lt;b&gt;</td><td>-</td>" in html
    (True, True)
    >>> html_table(["name"], [])
    ''
    """
    rows = list(rows)
    if not rows:
        return ""

    def cell_style(index: int) -> str:
        return _style(cell_styles[min(index, len(cell_styles) - 1)]) if cell_styles else ""

    head = "".join(f"<th{cell_style(i)}>{escape(str(c))}</th>" for i, c in enumerate(columns))
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{cell_style(i)}>{escape(empty if c is None else str(c))}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    header = f"<thead><tr>{head}</tr></thead>" if columns else ""
    table = f"<table{_style(style)}>{header}<tbody>{body}</tbody></table>"
    return f"<div><b>{escape(title)}</b>{table}</div>" if title else table
