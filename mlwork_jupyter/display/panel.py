"""The live panel protocol: a JSON payload plus static HTML/SVG, published and throttled.

A panel is a MIME bundle published once (``publish(bundle, False)``) and then replaced in
place (``publish(bundle, True)``) at most every ``min_interval_s`` seconds, with a final
replacement always sent by `Panel.close`. The stage connects ``publish`` to IPython's
``display(..., display_id=...)`` / ``update_display``; this module knows nothing of IPython.

Bundle keys: ``PANEL_MIME`` (the payload below), ``text/html`` (escaped header, inline SVG
chart, table of final values; no JavaScript) and ``text/plain`` (one line).

Payload schema (version 1; plain JSON, no NaN: non-finite numbers are ``null``)::

    {
      "version": 1,
      "kind": "train",                  # panel kind: train | tune | evaluate | monitor
      "status": "running",              # running | ok | error | interrupted
      "title": "digits-mlp",
      "progress": {
        "epoch": 3, "epochs": 20,       # 1-based epoch in progress; null when unknown
        "step": 12, "steps": 45,        # batches done in this epoch / per epoch
        "eta_s": 4.2,                   # estimated seconds left, or null
        "elapsed_s": 1.3
      },
      "series": {                       # epoch series by metric name; batch series "batch/NAME"
        "loss": {"unit": "epoch", "x": [1, 2, 3], "y": [0.9, 0.5, null], "points": 3,
                 "bounded": false},     # bounded: values in [0, 1] (accuracy...): no log axis
        "batch/loss": {"unit": "batch", "x": [...], "y": [...], "points": 4500}
      },                                # x/y downsampled by LTTB to <= max_points (2000);
                                        # "points" is the full length held in memory
      "final": {"loss": 0.31, "val_loss": 0.35},   # last epoch value of each epoch series
      "best": {"loss": {"epoch": 2, "value": 0.5, "goal": "min"}},  # best epoch of each
                                        # epoch series (goal: min for losses, else max)
      "early_stopping": [               # one entry per fit that Keras' EarlyStopping watched
        {"fit": 1, "monitor": "val_loss", "stopped_epoch": 14, "best_epoch": 11,
         "restored_epoch": 11}          # 1-based; stopped/restored null when it did not
      ],
      "table": null                     # reserved: {"columns": [...], "rows": [[...], ...]}
    }

Series names beginning ``val_`` (after any ``fitN/`` prefix) are drawn over their training
counterpart in the same chart. An epoch's values and the header's epoch change in the same
frame: ``progress.epoch`` is never behind the last charted epoch.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any, TypeAlias

from mlwork_jupyter.display.html_table import html_table
from mlwork_jupyter.display.lttb import lttb
from mlwork_jupyter.display.svg_chart import chart_svg, family_plots
from mlwork_jupyter.display.text import NO_VALUE, duration_text, number_text
from mlwork_jupyter.provenance.metric_direction import higher_is_better, is_bounded

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["PANEL_MIME", "Panel", "Publisher"]

PANEL_MIME = "application/vnd.mlwork.panel.v1+json"
_VERSION = 1
_BATCH_PREFIX = "batch/"
_STYLE_PANEL = (
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "font-size:13px;line-height:1.4"
)
_STYLE_TABLE = "border-collapse:collapse;margin-top:6px;font-size:12px"
_STYLE_CELL = "padding:2px 10px;text-align:right;border-bottom:1px solid rgba(127,127,127,.25)"
_STYLE_NAME = "padding:2px 10px;text-align:left;border-bottom:1px solid rgba(127,127,127,.25)"

Publisher: TypeAlias = Callable[[dict[str, Any], bool], None]
"""``publish(bundle, update)``: show a bundle, or replace the one shown (``update=True``)."""


def _json_number(value: float) -> float | None:
    return value if math.isfinite(value) else None


class _Series:
    """One metric's full history, with its downsampled copy cached by length."""

    __slots__ = ("_cache", "unit", "xs", "ys")

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.xs: list[float] = []
        self.ys: list[float] = []
        self._cache: tuple[int, list[float], list[float | None]] | None = None

    def shown(self, max_points: int) -> tuple[list[float], list[float | None]]:
        """Return the series as drawn: downsampled to `max_points`, NaN as None."""
        n = len(self.xs)
        if self._cache is not None and self._cache[0] == n:
            return self._cache[1], self._cache[2]
        if n > max_points:
            kept_x, kept_y = lttb(self.xs, self.ys, max_points)
            xs: list[float] = kept_x.tolist()
            ys_raw: list[float] = kept_y.tolist()
        else:
            xs, ys_raw = list(self.xs), list(self.ys)
        ys = [_json_number(v) for v in ys_raw]
        self._cache = (n, xs, ys)
        return xs, ys


class Panel:
    """A live panel: holds the full series, publishes a downsampled bundle, throttled.

    Every mutating method publishes if the throttle allows (the first publication is a
    `display`, the later ones `update`s); `close` always publishes the final state. Safe to
    call from several threads.

    Parameters
    ----------
    publish
        ``publish(bundle, update)``: show `bundle` (``update=False``, exactly once) or replace
        the shown one (``update=True``).
    kind
        Panel kind in the payload (``"train"``).
    title
        Shown atop the panel (the run name).
    min_interval_s
        Least time between two publications, except the final one.
    max_points
        Most points per series in a payload.
    clock
        Monotonic clock in seconds (injectable for tests).

    Examples
    --------
    >>> shown = []
    >>> panel = Panel(lambda bundle, update: shown.append(update), title="demo")
    >>> panel.metrics({"loss": 0.5}, step=1)
    >>> panel.close("ok")
    >>> shown
    [False, True]
    """

    def __init__(
        self,
        publish: Publisher,
        *,
        kind: str = "train",
        title: str = "",
        min_interval_s: float = 0.25,
        max_points: int = 2000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publish = publish
        self.kind = kind
        self.title = title
        self.min_interval_s = min_interval_s
        self.max_points = max_points
        self._clock = clock
        self._lock = threading.RLock()
        self._series: dict[str, _Series] = {}
        self._status = "running"
        self._progress: dict[str, float | int | None] = {
            "epoch": None,
            "epochs": None,
            "step": None,
            "steps": None,
            "eta_s": None,
            "elapsed_s": 0.0,
        }
        self._started = clock()
        self._shown = False
        self._closed = False
        self._last_publish = -math.inf
        self._chart_version = 0
        self._chart_cache: tuple[int, str] | None = None
        self._early_stopping: list[dict[str, Any]] = []

    # --- state -----------------------------------------------------------------------------

    def metrics(self, values: Mapping[str, float], step: int, kind: str = "epoch") -> None:
        """Append metric values at `step` (`kind` ``"epoch"`` or ``"batch"``)."""
        with self._lock:
            for name, value in values.items():
                key = name if kind == "epoch" else _BATCH_PREFIX + name
                series = self._series.get(key)
                if series is None:
                    series = self._series[key] = _Series(kind)
                series.xs.append(float(step))
                series.ys.append(float(value))
            if kind == "epoch":
                # The header follows the chart: this epoch is done in the frame that draws it.
                self._progress["epoch"] = step
            if kind == "epoch" or not self._has_epoch_points():
                self._chart_version += 1  # the chart draws batch series only until then
            self._maybe_publish()

    def early_stopping(
        self,
        fit: int,
        *,
        monitor: str | None,
        stopped_epoch: int | None,
        best_epoch: int | None,
        restored_epoch: int | None,
    ) -> None:
        """Mark where EarlyStopping stopped fit `fit` and which epoch it restored (1-based)."""
        with self._lock:
            self._early_stopping = [e for e in self._early_stopping if e["fit"] != fit]
            self._early_stopping.append(
                {
                    "fit": fit,
                    "monitor": monitor,
                    "stopped_epoch": stopped_epoch,
                    "best_epoch": best_epoch,
                    "restored_epoch": restored_epoch,
                }
            )
            self._chart_version += 1
            self._maybe_publish()

    def progress(
        self,
        *,
        epoch: int | None = None,
        epochs: int | None = None,
        step: int | None = None,
        steps: int | None = None,
        eta_s: float | None = None,
        elapsed_s: float | None = None,
    ) -> None:
        """Set where the work stands; `elapsed_s` defaults to the time since the panel began."""
        with self._lock:
            self._progress.update(
                epoch=epoch,
                epochs=epochs,
                step=step,
                steps=steps,
                eta_s=None if eta_s is None else _json_number(float(eta_s)),
                elapsed_s=self._elapsed() if elapsed_s is None else float(elapsed_s),
            )
            self._maybe_publish()

    def status(self, status: str) -> None:
        """Set the status shown (``running``, ``ok``, ``error``, ``interrupted``)."""
        with self._lock:
            self._status = status
            self._maybe_publish()

    # --- publication -----------------------------------------------------------------------

    def show(self) -> None:
        """Publish the panel now (a `display` the first time, else an `update`)."""
        with self._lock:
            self._send()

    def close(self, status: str) -> None:
        """Set the final status and publish the final state, whatever the throttle says."""
        with self._lock:
            if self._closed:
                return
            self._status = status
            self._progress["elapsed_s"] = self._elapsed()
            if status == "ok":
                self._progress["eta_s"] = 0.0
            self._send()
            self._closed = True

    def _elapsed(self) -> float:
        return round(self._clock() - self._started, 3)

    def _maybe_publish(self) -> None:
        if self._closed:
            return
        if not self._shown or self._clock() - self._last_publish >= self.min_interval_s:
            self._send()

    def _send(self) -> None:
        bundle = self.bundle()
        update = self._shown
        self._shown = True
        self._last_publish = self._clock()
        self._publish(bundle, update)

    # --- rendering -------------------------------------------------------------------------

    def payload(self) -> dict[str, Any]:
        """Return the JSON payload (see the module docstring for its schema)."""
        with self._lock:
            series: dict[str, Any] = {}
            for name, data in self._series.items():
                xs, ys = data.shown(self.max_points)
                series[name] = {
                    "unit": data.unit,
                    "x": xs,
                    "y": ys,
                    "points": len(data.xs),
                    "bounded": is_bounded(name.removeprefix(_BATCH_PREFIX)),
                }
            return {
                "version": _VERSION,
                "kind": self.kind,
                "status": self._status,
                "title": self.title,
                "progress": dict(self._progress),
                "series": series,
                "final": self._final(),
                "best": self._best(),
                "early_stopping": [dict(e) for e in self._early_stopping],
                "table": None,
            }

    def _has_epoch_points(self) -> bool:
        return any(s.unit == "epoch" and s.xs for s in self._series.values())

    def _best(self) -> dict[str, dict[str, Any]]:
        """Each epoch series' best point: the lowest loss-like value, else the highest."""
        best: dict[str, dict[str, Any]] = {}
        for name, series in self._series.items():
            if series.unit != "epoch":
                continue
            found = _best_point(series.xs, series.ys, higher=higher_is_better(name))
            if found is not None:
                epoch, value = found
                goal = "max" if higher_is_better(name) else "min"
                best[name] = {"epoch": epoch, "value": value, "goal": goal}
        return best

    def _final(self) -> dict[str, float | None]:
        epoch = {k: s for k, s in self._series.items() if s.unit == "epoch" and s.ys}
        chosen = epoch or {k: s for k, s in self._series.items() if s.ys}
        return {name: _json_number(s.ys[-1]) for name, s in chosen.items()}

    def bundle(self) -> dict[str, Any]:
        """Return the MIME bundle: payload, HTML fallback and one-line text."""
        with self._lock:
            payload = self.payload()
            return {
                PANEL_MIME: payload,
                "text/html": self._html(payload),
                "text/plain": self._text(payload),
            }

    def _chart(self, payload: dict[str, Any]) -> str:
        if self._chart_cache is not None and self._chart_cache[0] == self._chart_version:
            return self._chart_cache[1]
        series = payload["series"]
        epoch = {
            name: (s["x"], s["y"]) for name, s in series.items() if s["unit"] == "epoch" and s["x"]
        }
        batch = {
            name.removeprefix(_BATCH_PREFIX): (s["x"], s["y"])
            for name, s in series.items()
            if s["unit"] == "batch" and len(s["x"]) > 1
        }
        if epoch:
            marks = {
                name: (float(b["epoch"]), float(b["value"])) for name, b in payload["best"].items()
            }
            plots = family_plots(epoch, "epoch", best=marks, stops=_stop_marks(payload))
            svg = chart_svg(plots)
        elif batch:
            svg = chart_svg(family_plots(batch, "batch"))
        elif series:
            svg = '<div class="mlwork-panel-waiting">waiting for the first epoch…</div>'
        else:
            svg = ""
        self._chart_cache = (self._chart_version, svg)
        return svg

    @staticmethod
    def _progress_text(progress: Mapping[str, Any]) -> list[str]:
        parts = []
        if progress["epoch"] is not None:
            of = f"/{progress['epochs']}" if progress["epochs"] is not None else ""
            parts.append(f"epoch {progress['epoch']}{of}")
        if progress["step"] is not None:
            of = f"/{progress['steps']}" if progress["steps"] is not None else ""
            parts.append(f"step {progress['step']}{of}")
        parts.append(f"{duration_text(progress['elapsed_s'] or 0.0)} elapsed")
        if progress["eta_s"] is not None and progress["eta_s"] > 0:
            parts.append(f"ETA {duration_text(progress['eta_s'])}")
        return parts

    def _html(self, payload: dict[str, Any]) -> str:
        head = [f"<strong>{escape(payload['title'] or payload['kind'])}</strong>"]
        head.append(f"<span>{escape(payload['status'])}</span>")
        head.extend(f"<span>{escape(p)}</span>" for p in self._progress_text(payload["progress"]))
        parts = [
            f'<div class="mlwork-panel" style="{_STYLE_PANEL}">',
            f"<div>{' · '.join(head)}</div>",
            self._chart(payload),
            self._final_table(),
        ]
        parts.append("</div>")
        return "".join(parts)

    def _final_table(self) -> str:
        rows = []
        best = self._best()
        for name, series in self._series.items():
            if series.unit != "epoch" or not series.ys:
                continue
            point = best.get(name)
            goal = "" if point is None else f" ({point['goal']})"
            rows.append(
                [
                    name,
                    number_text(series.ys[-1]),
                    None if point is None else number_text(point["value"]) + goal,
                    None if point is None else number_text(point["epoch"]),
                ]
            )
        if not rows:
            return ""
        return html_table(
            ["metric", "last", "best", "best epoch"],
            rows,
            style=_STYLE_TABLE,
            cell_styles=(_STYLE_NAME, _STYLE_CELL),
            empty=NO_VALUE,
        )

    def _text(self, payload: dict[str, Any]) -> str:
        name = payload["title"] or payload["kind"]
        parts = [f"mlwork {payload['kind']} panel {name!r}: {payload['status']}"]
        parts.extend(self._progress_text(payload["progress"])[:1])
        parts.extend(f"{k} {number_text(v)}" for k, v in list(payload["final"].items())[:6])
        return ", ".join(parts)


def _best_point(
    xs: list[float], ys: list[float], *, higher: bool
) -> tuple[int | float, float] | None:
    """Return the (x, y) of the best finite value, the earliest on ties; None when none."""
    found: tuple[float, float] | None = None
    for x, y in zip(xs, ys, strict=True):
        if not math.isfinite(y):
            continue
        if found is None or (y > found[1] if higher else y < found[1]):
            found = (x, y)
    if found is None:
        return None
    x = found[0]
    return (int(x) if float(x).is_integer() else x), found[1]


def _stop_marks(payload: Mapping[str, Any]) -> dict[str, list[tuple[float, str]]]:
    """EarlyStopping's epochs by fit prefix (``""``, ``"fit2/"``): ``(epoch, label)`` pairs."""
    marks: dict[str, list[tuple[float, str]]] = {}
    for entry in payload.get("early_stopping") or []:
        prefix = "" if entry["fit"] == 1 else f"fit{entry['fit']}/"
        found = marks.setdefault(prefix, [])
        if entry["stopped_epoch"] is not None:
            found.append((float(entry["stopped_epoch"]), "stopped"))
        if entry["restored_epoch"] is not None:
            found.append((float(entry["restored_epoch"]), "restored"))
    return marks
