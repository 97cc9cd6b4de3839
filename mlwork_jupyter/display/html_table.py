"""The escaped HTML table that every static view (cards, panels, reports) is built from."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from mlwork_jupyter.display.text import NO_VALUE

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = ["PANEL_STYLE", "html_table", "panel_table"]

# The static panels' (evaluation, monitoring) font and tables, as their HTML fallback shows them.
PANEL_STYLE = (
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:13px;"
    "line-height:1.4"
)
_PANEL_TABLE = "border-collapse:collapse;margin:6px 0;font-size:12px"
_PANEL_CELLS = (
    "padding:2px 10px;text-align:left;border-bottom:1px solid rgba(127,127,127,.25)",
    "padding:2px 10px;text-align:right;border-bottom:1px solid rgba(127,127,127,.25)",
)


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
    row_styles: Sequence[str] = (),
    cell_css: Mapping[tuple[int, int], str] | None = None,
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
    row_styles
        CSS of each row's ``<tr>``, the first for the first row (``""``: none); rows beyond
        it have none.
    cell_css
        CSS of single cells by ``(row, column)``, after their column's (a coloured status).

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

    def column_css(index: int) -> str:
        return cell_styles[min(index, len(cell_styles) - 1)] if cell_styles else ""

    def cell_style(index: int, row: int | None = None) -> str:
        extra = "" if row is None or cell_css is None else cell_css.get((row, index), "")
        return _style(";".join(css for css in (column_css(index), extra) if css))

    head = "".join(f"<th{cell_style(i)}>{escape(str(c))}</th>" for i, c in enumerate(columns))
    body = "".join(
        f"<tr{_style(row_styles[r]) if r < len(row_styles) else ''}>"
        + "".join(
            f"<td{cell_style(i, r)}>{escape(empty if c is None else str(c))}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for r, row in enumerate(rows)
    )
    header = f"<thead><tr>{head}</tr></thead>" if columns else ""
    table = f"<table{_style(style)}>{header}<tbody>{body}</tbody></table>"
    return f"<div><b>{escape(title)}</b>{table}</div>" if title else table


def panel_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str = "",
    row_styles: Sequence[str] = (),
) -> str:
    """Return `html_table` in the static panels' style (first column left, the rest right)."""
    return html_table(
        columns,
        rows,
        title=title,
        style=_PANEL_TABLE,
        cell_styles=_PANEL_CELLS,
        empty=NO_VALUE,
        row_styles=row_styles,
    )
