"""The table of `runs`: short ids, compact times, coloured statuses, the params that differ."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from mlwork_jupyter.display.report import Report, Table
from mlwork_jupyter.display.text import duration_text
from mlwork_jupyter.sharing.keras_names import auto_name_bases, without_auto_numbers
from mlwork_jupyter.sharing.report_cells import (
    STATUS_CSS,
    metric_text,
    refs_text,
    short_when_text,
    value_text,
)

if TYPE_CHECKING:
    from mlwork_jupyter.provenance.record import RunRecord

__all__ = ["runs_report"]

_NOWRAP: Final = "white-space:nowrap"
_ID_CSS: Final = "white-space:nowrap;font-family:monospace"
_PARAM_COLUMNS: Final = 3
_METRIC_COLUMNS: Final = 3
_SHORT_VALUE: Final = 20
_ERROR_CHARS: Final = 100
# Params that describe a whole object: `show` has them, a column cannot.
_WHOLE_OBJECTS: Final = frozenset({"model", "model_summary", "optimizer_config"})
_TIMING: Final = re.compile(r"seconds|_time\b|time_|duration|latency", re.IGNORECASE)
_HELD_OUT: Final = ("val_", "test_")


def _short_param(key: str, value: Any) -> str | None:
    """Return a param value short enough for a column (Keras' numbers dropped), else None."""
    if key.rpartition("/")[2] in _WHOLE_OBJECTS or isinstance(value, dict | list):
        return None
    text = value_text(value)
    if len(text) > _SHORT_VALUE or "\n" in text:
        return None
    return without_auto_numbers(text, auto_name_bases([text]))


def _varying_params(records: list[RunRecord]) -> list[str]:
    """Return the few short params whose values differ most between `records`."""
    values: dict[str, set[str]] = {}
    long: set[str] = set()
    for r in records:
        for key, value in r.params.items():
            text = _short_param(key, value)
            if text is None:
                long.add(key)
            else:
                values.setdefault(key, set()).add(text)
    order = {key: n for n, key in enumerate(values)}
    varying = [k for k, v in values.items() if len(v) > 1 and k not in long]
    varying.sort(key=lambda k: (-len(values[k]), order[k]))
    return varying[:_PARAM_COLUMNS]


def _key_metrics(records: list[RunRecord]) -> list[str]:
    """Return the few metrics worth a column: the most common, held-out first; no timings."""
    count: dict[str, int] = {}
    for r in records:
        for key in r.metrics:
            if not _TIMING.search(key):  # the duration column says how long a run took
                count[key] = count.get(key, 0) + 1
    order = {key: n for n, key in enumerate(count)}

    def rank(key: str) -> tuple[int, bool, int]:
        held_out = key.rpartition("/")[2].startswith(_HELD_OUT)
        return (-count[key], not held_out, order[key])

    return sorted(count, key=rank)[:_METRIC_COLUMNS]


def _status_text(record: RunRecord) -> str:
    """Return the status, with the first line of the error when there is one."""
    lines = (record.error or "").strip().splitlines()
    if not lines or record.status == "ok":
        return record.status
    error = lines[0]
    if len(error) > _ERROR_CHARS:
        error = error[: _ERROR_CHARS - 1] + "\N{HORIZONTAL ELLIPSIS}"
    return f"{record.status}: {error}"


def runs_report(records: list[RunRecord]) -> Report:
    """Return the table of runs, oldest first, a tune run's trials after it as ``→ TRIAL``.

    Ids are the last eight characters, as cards show them (`show` and `diff` take them);
    columns follow for the few params that differ between these runs, a few key metrics,
    and the data read and written (when any run read or wrote some).
    """
    params = _varying_params(records)
    metrics = _key_metrics(records)
    data = [
        (name, [refs_text(getattr(r, field)) for r in records])
        for name, field in (("read", "inputs"), ("wrote", "outputs"))
    ]
    data = [(name, cells) for name, cells in data if any(cells)]  # no empty column
    columns = ["run", "started", "stage", "name", "status", "duration"]
    table = Table(
        "",
        [*columns, *params, *metrics, *(name for name, _ in data)],
        column_css=[_ID_CSS, _NOWRAP, _NOWRAP, _NOWRAP, "min-width:15em", _NOWRAP],
    )
    for n, r in enumerate(records):
        trial = (r.trial or {}).get("id")
        is_trial = r.parent is not None and trial is not None
        table.rows.append(
            [
                r.id[-8:],
                short_when_text(r.started),
                r.stage,
                f"\N{RIGHTWARDS ARROW} {trial}" if is_trial else r.name,
                _status_text(r),
                "" if r.duration is None else duration_text(r.duration),
                *(value_text(r.params.get(k)) for k in params),
                *(metric_text(r.metrics.get(k)) for k in metrics),
                *(cells[n] for _, cells in data),
            ]
        )
        table.cell_css[n, 4] = STATUS_CSS.get(r.status, "")
        if is_trial:
            table.cell_css[n, 3] = "padding-left:1.5em"
    notes = [] if records else ["no runs recorded yet: run a `%%mlwork STAGE` cell"]
    return Report([table], notes)
