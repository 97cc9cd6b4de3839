"""The live panel's frames: header in step with the chart, log ticks, best epochs, early stops."""

from __future__ import annotations

import re

from mlwork_jupyter.display.panel import PANEL_MIME, Panel
from mlwork_jupyter.display.svg_chart import chart_svg, family_plots, log_tick_label, log_ticks


class Clock:
    """A hand-driven monotonic clock."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _frames(clock: Clock | None = None) -> tuple[Panel, list[dict]]:
    frames: list[dict] = []
    panel = Panel(
        lambda bundle, update: frames.append(bundle),
        title="run",
        min_interval_s=0.25,
        clock=clock or Clock(),
    )
    return panel, frames


def test_header_epoch_is_never_behind_the_charted_epochs_under_the_throttle():
    clock = Clock()
    panel, frames = _frames(clock)
    panel.progress(epoch=1, epochs=100, step=1, steps=45)
    for epoch in range(1, 13):
        clock.now += 0.3  # past the throttle: the epoch's values publish a frame at once
        panel.metrics({"loss": 1 / epoch}, step=epoch)
        panel.progress(epoch=epoch, epochs=100, step=45, steps=45)  # inside the throttle
    for frame in frames:
        payload = frame[PANEL_MIME]
        xs = payload["series"].get("loss", {}).get("x", [])
        if xs:
            assert payload["progress"]["epoch"] == xs[-1]
            assert f"epoch {int(xs[-1])}/100" in frame["text/html"]
    assert frames[-1][PANEL_MIME]["progress"]["epoch"] == 12


def test_first_frames_wait_for_the_first_epoch_instead_of_an_empty_batch_chart():
    panel, _ = _frames()
    panel.metrics({"loss": 2.0}, step=1, kind="batch")
    html = panel.bundle()["text/html"]
    assert "<svg" not in html
    assert "waiting for the first epoch" in html
    for step in range(2, 6):
        panel.metrics({"loss": 2.0 / step}, step=step, kind="batch")
    assert ">batch</text>" in panel.bundle()["text/html"]  # a batch line, not one dot
    panel.metrics({"loss": 0.4}, step=1)
    html = panel.bundle()["text/html"]
    assert ">epoch</text>" in html  # the first epoch is charted at once (one marked point)
    assert "<circle" in html


def test_series_say_whether_they_are_bounded():
    panel, _ = _frames()
    panel.metrics({"loss": 0.5, "accuracy": 0.8, "val_auc": 0.7, "mse": 3.0}, step=1)
    series = panel.payload()["series"]
    assert series["loss"]["bounded"] is False
    assert series["mse"]["bounded"] is False
    assert series["accuracy"]["bounded"] is True
    assert series["val_auc"]["bounded"] is True


def test_log_ticks_are_decades_with_no_zero():
    assert log_ticks(0.0005, 2.0) == [0.001, 0.01, 0.1, 1.0]
    assert [log_tick_label(t) for t in log_ticks(0.0005, 2.0)] == ["1e-3", "0.01", "0.1", "1"]
    assert log_ticks(0.15, 0.9) == [0.2, 0.5]  # within a decade: 1-2-5
    assert all(t > 0 for t in log_ticks(1e-9, 1e3))
    assert len(log_ticks(1e-9, 1e3)) <= 7
    assert log_ticks(0.0, 1.0) == []


def test_log_loss_chart_labels_decades_and_accuracy_stays_linear():
    losses = [10 ** (-k / 3) for k in range(10)]  # 1 down to 0.001
    plots = family_plots(
        {"loss": (list(range(1, 11)), losses), "accuracy": (list(range(1, 11)), [0.1] * 10)}
    )
    assert [p.log_y for p in plots] == [True, False]
    svg = chart_svg(plots[:1])
    labels = re.findall(r'text-anchor="end" opacity="0.75">([^<]*)<', svg)
    assert labels == ["1e-3", "0.01", "0.1", "1"]
    assert "0" not in labels
    # A bounded metric never gets a log axis, whatever its range.
    spread = family_plots({"accuracy": ([1, 2, 3], [0.001, 0.1, 0.9])})
    assert spread[0].log_y is False


def test_best_epoch_in_payload_chart_and_final_table():
    panel, _ = _frames()
    losses = [1.0, 0.6, 0.4, 0.45, 0.5]
    accuracies = [0.5, 0.7, 0.8, 0.85, 0.84]
    for epoch, (loss, acc) in enumerate(zip(losses, accuracies, strict=True), start=1):
        panel.metrics({"loss": loss, "val_accuracy": acc}, step=epoch)
    panel.close("ok")
    bundle = panel.bundle()
    best = bundle[PANEL_MIME]["best"]
    assert best["loss"] == {"epoch": 3, "value": 0.4, "goal": "min"}
    assert best["val_accuracy"] == {"epoch": 4, "value": 0.85, "goal": "max"}
    html = bundle["text/html"]
    assert html.count('class="mlwork-best-mark"') == 2
    assert "best 0.4 @ 3" in html
    assert "<th>best epoch</th>" in html or ">best epoch<" in html
    assert re.search(r">loss<.*?>0\.4 \(min\)<.*?>3<", html)


def test_early_stopping_marks_the_stop_and_restored_epochs():
    panel, _ = _frames()
    for epoch in range(1, 8):
        panel.metrics({"val_loss": abs(epoch - 4) + 1.0}, step=epoch)
    panel.early_stopping(1, monitor="val_loss", stopped_epoch=7, best_epoch=4, restored_epoch=4)
    payload = panel.payload()
    assert payload["early_stopping"] == [
        {
            "fit": 1,
            "monitor": "val_loss",
            "stopped_epoch": 7,
            "best_epoch": 4,
            "restored_epoch": 4,
        }
    ]
    html = panel.bundle()["text/html"]
    assert html.count('class="mlwork-stop-mark"') == 2
    assert ">stopped 7<" in html
    assert ">restored 4<" in html
