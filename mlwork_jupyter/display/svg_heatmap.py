"""A static SVG heatmap: a grid of shaded cells with escaped row and column labels."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import numpy as np

from mlwork_jupyter.display.text import number_text

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["heatmap_svg"]

_VISIBLE = 0.005
_DARK = 0.6
_TEXT_CELL = 18.0


def heatmap_svg(
    cells: NDArray[np.float64],
    shades: NDArray[np.float64],
    row_labels: list[str],
    col_labels: list[str],
    caption: str,
    *,
    annotate: bool,
) -> str:
    """Return a grid of cells shaded by `shades` (0 to 1), as an inline SVG element.

    Parameters
    ----------
    cells
        The values written in the cells when `annotate` (and the cells are large enough).
    shades
        Opacity of each cell's fill, 0 (empty) to 1; NaN counts as 0.
    row_labels, col_labels
        Labels left of the rows and above the columns (cut to 14 characters); empty lists
        for none. Escaped, like the caption.
    caption
        Title line above the grid.
    annotate
        Whether to write each cell's value in it.
    """
    n_rows, n_cols = shades.shape
    size = max(6.0, min(34.0, 480.0 / max(n_rows, n_cols, 1)))
    left = 110.0 if row_labels else 10.0
    top = 84.0 if col_labels else 26.0
    width, height = left + n_cols * size + 10, top + n_rows * size + 10
    frame = (
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{n_cols * size:.1f}" '
        f'height="{n_rows * size:.1f}" fill="none" stroke="currentColor" stroke-opacity="0.3"/>'
    )
    out = [
        f'<text x="0" y="14" font-weight="600">{escape(caption)}</text>',
        frame,
        '<g fill="#2f6fdf">',
    ]
    safe = np.nan_to_num(np.asarray(shades, dtype=np.float64), nan=0.0).clip(0.0, 1.0)
    for i, j in zip(*np.nonzero(safe > _VISIBLE), strict=True):
        out.append(
            f'<rect x="{left + j * size:.1f}" y="{top + i * size:.1f}" width="{size:.1f}" '
            f'height="{size:.1f}" fill-opacity="{safe[i, j]:.2f}"/>'
        )
    out.append("</g>")
    if annotate and size >= _TEXT_CELL:
        out.append('<g font-size="10" text-anchor="middle">')
        for i in range(n_rows):
            for j in range(n_cols):
                dark = ' fill="#fff"' if safe[i, j] > _DARK else ""
                out.append(
                    f'<text x="{left + (j + 0.5) * size:.1f}" y="{top + (i + 0.65) * size:.1f}"'
                    f"{dark}>{escape(number_text(float(cells[i, j])))}</text>"
                )
        out.append("</g>")
    out.extend(
        f'<text x="{left - 4:.1f}" y="{top + (i + 0.65) * size:.1f}" text-anchor="end">'
        f"{escape(label[:14])}</text>"
        for i, label in enumerate(row_labels)
    )
    out.extend(
        f'<text transform="translate({left + (j + 0.5) * size:.1f},{top - 6:.1f}) '
        f'rotate(-45)">{escape(label[:14])}</text>'
        for j, label in enumerate(col_labels)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="{escape(caption)}" '
        f'font-size="11" fill="currentColor" style="max-width:100%;height:auto">'
        f"{''.join(out)}</svg>"
    )
