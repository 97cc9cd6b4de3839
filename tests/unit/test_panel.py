"""The live panel: throttled publication, final publish, escaping, payload size and JSON."""

from __future__ import annotations

import json
import math
import re

from mlwork_jupyter.display.panel import PANEL_MIME, Panel
from mlwork_jupyter.display.svg_chart import chart_svg, family_plots, nice_ticks

EVIL = "<img src=x onerror=alert(1)>"


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Shown:
    """Keeps what a panel published, as IPython's display would show it."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict, bool]] = []

    def __call__(self, bundle: dict, update: bool) -> None:  # noqa: FBT001 - the protocol
        self.calls.append((bundle, update))

    @property
    def last(self) -> dict:
        return self.calls[-1][0]


def test_tight_loop_publishes_few_times_and_always_a_final_one():
    shown = Shown()
    panel = Panel(shown, title="run", min_interval_s=0.25)  # the real monotonic clock
    for step in range(1, 20_001):
        panel.metrics({"loss": 1 / step}, step=step, kind="batch")
    assert 1 <= len(shown.calls) <= 20
    before = len(shown.calls)
    panel.close("ok")
    assert len(shown.calls) == before + 1
    payload = shown.last[PANEL_MIME]
    assert payload["status"] == "ok"
    assert payload["series"]["batch/loss"]["points"] == 20_000


def test_display_once_then_updates_throttled_by_the_clock():
    shown, clock = Shown(), Clock()
    panel = Panel(shown, min_interval_s=0.25, clock=clock)
    panel.metrics({"loss": 1.0}, step=1)
    panel.metrics({"loss": 0.9}, step=2)
    clock.now += 0.1
    panel.progress(epoch=2, epochs=5, step=3, steps=10)
    assert [update for _, update in shown.calls] == [False]
    clock.now += 0.2
    panel.metrics({"loss": 0.8}, step=3)
    assert [update for _, update in shown.calls] == [False, True]
    assert shown.last[PANEL_MIME]["series"]["loss"]["y"] == [1.0, 0.9, 0.8]
    panel.close("error")
    panel.close("ok")  # a second close changes nothing
    assert [update for _, update in shown.calls] == [False, True, True]
    assert shown.last[PANEL_MIME]["status"] == "error"
    panel.metrics({"loss": 0.1}, step=4)
    assert len(shown.calls) == 3


def test_close_without_anything_before_displays_once():
    shown = Shown()
    Panel(shown).close("ok")
    assert [update for _, update in shown.calls] == [False]


def test_hostile_names_are_escaped_in_html_and_svg():
    shown = Shown()
    panel = Panel(shown, title=EVIL, min_interval_s=0)
    for epoch in range(1, 4):
        panel.metrics({EVIL: epoch * 0.5, "val_" + EVIL: epoch * 0.4, "loss": 1 / epoch}, epoch)
    panel.close("ok")
    html = shown.last["text/html"]
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg
    assert "<script" not in html
    assert EVIL in shown.last["text/plain"]
    assert shown.last[PANEL_MIME]["title"] == EVIL  # the payload carries text; renderers escape


def test_payload_is_downsampled_and_json_serialisable():
    shown = Shown()
    panel = Panel(shown, min_interval_s=3600, max_points=2000)
    for step in range(1, 50_001):
        panel.metrics({"loss": math.sin(step / 500)}, step=step, kind="batch")
    for epoch in range(1, 11):
        panel.metrics(
            {"loss": 1 / epoch, "val_loss": math.nan if epoch == 5 else 1.1 / epoch}, epoch
        )
    panel.progress(epoch=10, epochs=10, step=5000, steps=5000, eta_s=math.inf)
    panel.close("ok")
    payload = shown.last[PANEL_MIME]
    text = json.dumps(payload, allow_nan=False)
    batch = payload["series"]["batch/loss"]
    assert len(batch["x"]) == len(batch["y"]) == 2000
    assert batch["points"] == 50_000
    assert payload["series"]["loss"]["x"] == list(range(1, 11))
    assert payload["series"]["val_loss"]["y"][4] is None
    assert payload["final"] == {"loss": 0.1, "val_loss": 0.11000000000000001}
    assert payload["progress"]["eta_s"] == 0.0
    assert set(payload) == {
        "version",
        "kind",
        "status",
        "title",
        "progress",
        "series",
        "final",
        "best",
        "early_stopping",
        "table",
    }
    assert len(text) < 120_000
    json.dumps(shown.last)  # the whole bundle too


def test_html_chart_overlays_train_and_val_with_axis_labels_and_legend():
    shown = Shown()
    panel = Panel(shown, title="digits", min_interval_s=0)
    for epoch in range(1, 6):
        panel.metrics(
            {"loss": 1 / epoch, "val_loss": 1.2 / epoch, "accuracy": 0.5 + epoch / 20}, epoch
        )
    panel.close("ok")
    html = shown.last["text/html"]
    assert html.count("<svg") == 1
    assert re.search(r"stroke-dasharray=\"6 4\"[^>]*><title>val</title>", html)
    assert ">epoch</text>" in html
    assert ">train</text>" in html
    assert ">val</text>" in html
    assert ">loss</text>" in html
    assert ">accuracy</text>" in html
    assert "digits" in shown.last["text/plain"]


def test_batch_series_drawn_when_there_is_no_epoch_curve_yet():
    svg = Panel(lambda bundle, update: None, min_interval_s=0)
    for step in range(1, 50):
        svg.metrics({"loss": 1 / step}, step=step, kind="batch")
    assert ">batch</text>" in svg.bundle()["text/html"]


def test_family_grouping_and_ticks():
    plots = family_plots(
        {
            "accuracy": ([1, 2], [0.5, 0.6]),
            "loss": ([1, 2], [1.0, 0.5]),
            "val_loss": ([1, 2], [1.1, 0.6]),
            "fit2/loss": ([1, 2], [1.0, 0.001]),
        }
    )
    assert [p.title for p in plots] == ["loss", "fit2/loss", "accuracy"]
    assert [line.label for line in plots[0].lines] == ["train", "val"]
    assert plots[1].log_y
    assert not plots[0].log_y
    assert nice_ticks(0.0, 1.0) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert chart_svg([]) == ""
