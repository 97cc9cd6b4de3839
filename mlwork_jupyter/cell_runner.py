"""IPython runs a `%%mlwork` cell's body itself; the magics open and close its run around it.

A cleanup input transformer (`shell.input_transformers_cleanup`) recognises a first line
``%%mlwork STAGE ...``, has it parsed (a bad line is a `UsageError`: the body does not run) and
hands IPython the body, with that line made a comment so that line numbers and traceback
context stay the cell's. The
``pre_execute`` event then opens the run (record, card, patches, strategy scope, audit hook)
and ``post_execute`` closes it with what IPython saw (`shell.last_execution_result`); these two
fire for silent executions too, unlike ``pre_run_cell``/``post_run_cell``. A plan that no
execution took is dropped when the next execution ends. A cell transformed while another one
executes (``ip.run_cell`` inside a cell, ``%%time``) keeps the cell-magic path, as does a stage
whose body runs elsewhere (``--workers``). Otherwise compile flags, AST transformers, the
displayhook (``Out[n]``, ``_``, ``;``), top-level ``await`` and tracebacks are IPython's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlwork_jupyter.stages.base import CellRequest, Stage

__all__ = ["CellPlan", "MagicLine", "is_magic_line"]

_MAGIC = "%%mlwork"


def is_magic_line(line: str) -> bool:
    """Tell whether a cell's first line is ``%%mlwork ...`` (not ``%%mlwork?``, the help)."""
    return line.startswith(_MAGIC) and (
        line[len(_MAGIC) : len(_MAGIC) + 1] in ("", " ", "\t", "\n")
    )


@dataclass(slots=True)
class CellPlan:
    """A parsed `%%mlwork` cell that IPython is about to run.

    Attributes
    ----------
    stage
        The prepared stage.
    request
        Its options and code (the cell id is filled in when the cell starts).
    source
        The whole cell as it runs, first line included (form values applied).
    raw
        The cell as the transformer was given it (a second transform of the same text,
        as some kernels' runners do, gets this plan again).
    form_key
        Show the cell's form under this key when it starts; None for no form.
    """

    stage: Stage
    request: CellRequest
    source: str
    raw: str
    form_key: str | None = None


class MagicLine:
    """The cleanup input transformer that takes a `%%mlwork` line off the cell it heads.

    Parameters
    ----------
    plan
        Called with the cell's whole source; returns its plan, or None to leave the cell to
        the cell magic (a body that runs elsewhere). Raises `UsageError` for a bad line.
    """

    # IPython's completeness check (`check_complete`) skips transformers marked so.
    has_side_effects = True

    def __init__(self, plan: Callable[[str], CellPlan | None]) -> None:
        self._plan = plan

    def __call__(self, lines: list[str]) -> list[str]:
        """Return a `%%mlwork` cell with its first line commented out; others unchanged."""
        if not lines or not is_magic_line(lines[0]):
            return lines
        plan = self._plan("".join(lines))
        if plan is None:
            return lines
        first, _, body = plan.source.partition("\n")
        return [f"# {first}\n", *body.splitlines(keepends=True)]
