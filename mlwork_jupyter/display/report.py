"""Tables, code and notes for `runs`, `show` and `diff`, as escaped HTML and as plain text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

from mlwork_jupyter.display.html_table import html_table

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Code", "Report", "Table", "note_html", "note_text"]

_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_CELL = "text-align:left;vertical-align:top"
_PRE = (
    "margin:2px 0 8px;padding:6px 8px;white-space:pre;overflow-x:auto;font-size:12px;"
    "line-height:1.45;background:rgba(127,127,127,0.08);border-radius:4px"
)
# Translucent tints read on light and dark backgrounds alike; the text keeps the theme's colour.
_DIFF_LINES = (
    ("+++", "mlwork-diff-file", "font-weight:bold"),
    ("---", "mlwork-diff-file", "font-weight:bold"),
    ("@@", "mlwork-diff-hunk", "background:rgba(56,139,253,0.15);opacity:0.85"),
    ("+", "mlwork-diff-add", "background:rgba(46,160,67,0.2)"),
    ("-", "mlwork-diff-del", "background:rgba(248,81,73,0.2)"),
)


def note_text(note: str) -> str:
    """Return a note as plain text: its `code` spans without backticks.

    Examples
    --------
    >>> note_text("no runs recorded yet: run a `%%mlwork STAGE` cell")
    'no runs recorded yet: run a %%mlwork STAGE cell'
    """
    return _INLINE_CODE.sub(r"\1", note)


def note_html(note: str) -> str:
    """Return a note as escaped HTML, its `code` spans in ``<code>``.

    Examples
    --------
    >>> note_html("run a `%%mlwork <STAGE>` cell")
    'run a <code>%%mlwork &lt;STAGE&gt;</code> cell'
    """
    parts = _INLINE_CODE.split(note)
    return "".join(
        f"<code>{escape(part)}</code>" if n % 2 else escape(part) for n, part in enumerate(parts)
    )


@dataclass(slots=True)
class Table:
    """A titled table of strings.

    Attributes
    ----------
    column_css
        CSS of each column's cells in HTML (``white-space:nowrap`` for dates), the first for
        the first column.
    cell_css
        CSS of single cells in HTML by ``(row, column)`` (a coloured status).
    row_css
        CSS of each row in HTML, the first for the first row.
    """

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    column_css: list[str] = field(default_factory=list)
    cell_css: dict[tuple[int, int], str] = field(default_factory=dict)
    row_css: list[str] = field(default_factory=list)

    def text(self) -> str:
        """Return the table as aligned plain text."""
        cells = [self.columns, *self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines = [f"{self.title}"] if self.title else []
        for n, row in enumerate(cells):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def html(self) -> str:
        """Return the table as escaped HTML (nothing when it has no rows)."""
        styles = [
            ";".join(filter(None, (_CELL, self.column_css[i] if i < len(self.column_css) else "")))
            for i in range(len(self.columns))
        ]
        return html_table(
            self.columns,
            self.rows,
            title=self.title,
            cell_styles=styles or (_CELL,),
            row_styles=self.row_css,
            cell_css=self.cell_css,
        )


@dataclass(frozen=True, slots=True)
class Code:
    """A titled block of preformatted text: a cell's code, a model summary, a unified diff.

    Attributes
    ----------
    diff
        The body is a unified diff: HTML tints its added, removed and hunk lines.
    """

    title: str
    body: str
    diff: bool = False

    def text(self) -> str:
        """Return the block as plain text: its title, then the body with its line breaks."""
        return f"{self.title}\n{self.body}" if self.title else self.body

    def html(self) -> str:
        """Return the block as a ``<pre>`` of escaped text under its title."""
        if self.diff:
            inner = "".join(_diff_line(line) for line in self.body.splitlines())
            kind = "mlwork-diff"
        else:
            inner, kind = escape(self.body), "mlwork-code"
        title = f"<b>{escape(self.title)}</b>" if self.title else ""
        return f"<div>{title}<pre class='{kind}' style='{_PRE}'>{inner}</pre></div>"


def _diff_line(line: str) -> str:
    for prefix, css_class, css in _DIFF_LINES:
        if line.startswith(prefix):
            return f"<span class='{css_class}' style='display:block;{css}'>{escape(line)}\n</span>"
    return f"<span style='display:block'>{escape(line) or ' '}\n</span>"


def _shown(section: Table | Code) -> bool:
    """Whether a section has anything to show: a table its rows, a block its text."""
    return bool(section.rows if isinstance(section, Table) else section.body)


@dataclass(slots=True)
class Report:
    """Tables, code blocks and notes shown together, in a notebook or a terminal.

    Notes may mark code with backticks: ``<code>`` in HTML, plain in text.
    """

    sections: Sequence[Table | Code] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        """The report's tables, in order."""
        return [s for s in self.sections if isinstance(s, Table)]

    def text(self) -> str:
        """Return the whole report as plain text."""
        shown = [s.text() for s in self.sections if _shown(s)]
        parts = shown + [note_text(n) for n in self.notes]
        return "\n\n".join(parts)

    def html(self) -> str:
        """Return the whole report as escaped HTML."""
        parts = [s.html() for s in self.sections if _shown(s)]
        parts += [f"<p>{note_html(n)}</p>" for n in self.notes]
        return "<div class='mlwork-report'>" + "".join(parts) + "</div>"

    def bundle(self) -> dict[str, str]:
        """Return the display bundle of the report."""
        return {"text/html": self.html(), "text/plain": self.text()}
