"""Tables and sections for `runs`, `show` and `diff`, as escaped HTML and as plain text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from mlwork_jupyter.display.html_table import html_table

__all__ = ["Report", "Table"]


@dataclass(slots=True)
class Table:
    """A titled table of strings."""

    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)

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
        return html_table(
            self.columns, self.rows, title=self.title, cell_styles=("text-align:left",)
        )


@dataclass(slots=True)
class Report:
    """Several tables and notes shown together, in a notebook or a terminal."""

    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        """Return the whole report as plain text."""
        parts = [t.text() for t in self.tables if t.rows] + self.notes
        return "\n\n".join(parts)

    def html(self) -> str:
        """Return the whole report as escaped HTML."""
        parts = [t.html() for t in self.tables if t.rows]
        parts += [f"<p>{escape(n)}</p>" for n in self.notes]
        return "<div class='mlwork-report'>" + "".join(parts) + "</div>"

    def bundle(self) -> dict[str, str]:
        """Return the display bundle of the report."""
        return {"text/html": self.html(), "text/plain": self.text()}
