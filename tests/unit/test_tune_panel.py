"""The tune panel: payload against its schema, best trial, row cap, ETA, throttle and escaping."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading

import numpy as np
import pytest

from mlwork_jupyter.display.panel import PANEL_MIME, Panel
from mlwork_jupyter.display.tune_panel import TunePanel

EVIL = "<img src=x onerror=alert(1)>"
PANEL_KEYS = {
    *("version", "kind", "status", "title", "progress", "series", "final"),
    *("best", "early_stopping", "table"),
}
TUNE_KEYS = {
    "library",
    "tuner",
    "objective",
    "direction",
    "searches",
    "params",
    "trials",
    "total_trials",
    "best",
    "running",
    "counts",
    "best_so_far",
    "error",
}
ROW_KEYS = {
    "id",
    "number",
    "status",
    "score",
    "best_step",
    "duration_s",
    "ended_s",
    "params",
    "message",
}


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

    @property
    def payload(self) -> dict:
        return self.last[PANEL_MIME]


def keras_search(panel: TunePanel, *, direction: str = "max", max_trials: int | None = 5) -> None:
    panel.search(
        library="keras-tuner",
        tuner="RandomSearch",
        objective="val_accuracy" if direction == "max" else "val_loss",
        direction=direction,
        max_trials=max_trials,
        params=["units"],
    )


def run_trial(panel: TunePanel, clock: Clock, trial_id: str, score: float | None, **params):
    panel.trial_begin(trial_id, {"units": 32, **params})
    for epoch in range(1, 4):
        clock.now += 1.0
        panel.metrics({"loss": 1 / epoch, "val_loss": 1.2 / epoch}, step=epoch)
        panel.progress(epoch=epoch, epochs=3, step=10, steps=10)
    status = "ok" if score is not None else "failed"
    panel.trial_end(trial_id, status=status, score=score, best_step=2, message=None)


def test_payload_has_the_schema_keys_and_trial_rows():
    shown, clock = Shown(), Clock()
    panel = TunePanel(shown, title="digits", clock=clock, min_interval_s=0)
    keras_search(panel)
    run_trial(panel, clock, "00", 0.91, learning_rate=0.01)
    run_trial(panel, clock, "01", 0.95, learning_rate=0.001)
    panel.trial_begin("02", {"units": 64, "learning_rate": 0.1})
    clock.now += 1.0
    panel.metrics({"loss": 0.7}, step=1)
    payload = shown.payload
    assert set(payload) == {*PANEL_KEYS, "tune"}
    assert payload["kind"] == "tune"
    assert payload["status"] == "running"
    assert payload["series"]["loss"]["y"] == [0.7]  # only the running trial's curves
    progress = payload["progress"]
    assert progress["trials_done"] == 2
    assert progress["trials_max"] == 5
    assert progress["epoch"] == 1  # trial 02 began afresh; the header follows its charted epoch
    tune = payload["tune"]
    assert set(tune) == TUNE_KEYS
    assert tune["library"] == "keras-tuner"
    assert tune["tuner"] == "RandomSearch"
    assert tune["objective"] == "val_accuracy"
    assert tune["direction"] == "max"
    assert tune["searches"] == 1
    assert tune["params"] == ["units", "learning_rate"]
    assert [r["id"] for r in tune["trials"]] == ["00", "01", "02"]
    assert all(set(r) == ROW_KEYS for r in tune["trials"])
    first, _, running = tune["trials"]
    assert first == {
        "id": "00",
        "number": 1,
        "status": "ok",
        "score": 0.91,
        "best_step": 2,
        "duration_s": 3.0,
        "ended_s": 3.0,
        "params": {"units": 32, "learning_rate": 0.01},
        "message": None,
    }
    assert running["status"] == "running"
    assert running["score"] is running["duration_s"] is running["ended_s"] is None
    assert tune["total_trials"] == 3
    assert tune["best"] == "01"
    assert tune["running"] == "02"
    assert tune["counts"] == {"ok": 2, "failed": 0, "invalid": 0, "running": 1}
    assert tune["best_so_far"] == {
        "number": [1, 2],
        "ended_s": [3.0, 6.0],
        "score": [0.91, 0.95],
    }
    assert tune["error"] is None


@pytest.mark.parametrize(
    ("direction", "best", "so_far"),
    [("max", "b", [0.5, 0.9, 0.9, 0.9]), ("min", "a", [0.5, 0.5, 0.5, 0.5])],
)
def test_best_trial_by_direction(direction, best, so_far):
    panel = TunePanel(lambda bundle, update: None)
    keras_search(panel, direction=direction)
    for trial_id, score in (("a", 0.5), ("b", 0.9), ("c", 0.7), ("d", 0.6)):
        panel.trial_begin(trial_id, {"units": 8})
        panel.trial_end(trial_id, status="ok", score=score)
    tune = panel.payload()["tune"]
    assert tune["best"] == best
    assert tune["best_so_far"]["score"] == so_far


def test_ties_go_to_the_earliest_trial_and_failed_or_non_finite_never_win():
    panel = TunePanel(lambda bundle, update: None)
    keras_search(panel, direction="min")
    panel.trial_end("nan", status="ok", score=math.nan)
    panel.trial_end("inf", status="ok", score=-math.inf)
    panel.trial_end("failed", status="failed", score=0.0, message="boom")
    panel.trial_end("first", status="ok", score=0.3)
    panel.trial_end("second", status="ok", score=0.3)
    panel.trial_end("worse", status="ok", score=0.4)
    payload = panel.payload()
    tune = payload["tune"]
    assert tune["best"] == "first"
    assert tune["best_so_far"]["number"] == [4, 5, 6]
    assert tune["best_so_far"]["score"] == [0.3, 0.3, 0.3]
    rows = {r["id"]: r for r in tune["trials"]}
    assert rows["nan"]["score"] is None
    assert rows["inf"]["score"] is None
    assert rows["failed"]["message"] == "boom"
    json.dumps(payload, allow_nan=False)


def test_no_best_while_nothing_succeeded():
    shown = Shown()
    panel = TunePanel(shown, title="t")
    keras_search(panel)
    panel.trial_end(
        "00",
        status="invalid",
        message="Traceback (most recent call last):\n"
        '  File "x.py", line 1\nValueError: units must be > 0\n',
    )
    panel.close("error", error="RuntimeError: every trial failed\nmore detail")
    tune = shown.payload["tune"]
    assert tune["best"] is None
    assert tune["best_so_far"] == {"number": [], "ended_s": [], "score": []}
    assert tune["trials"][0]["message"] == "ValueError: units must be > 0"  # one line
    assert tune["error"] == "RuntimeError: every trial failed"
    assert tune["counts"] == {"ok": 0, "failed": 0, "invalid": 1, "running": 0}
    assert shown.payload["progress"]["eta_s"] is None
    html = shown.last["text/html"]
    assert "RuntimeError: every trial failed" in html
    assert "best" not in shown.last["text/plain"]


def test_row_cap_keeps_the_best_and_the_latest():
    panel = TunePanel(lambda bundle, update: None, max_rows=10)
    keras_search(panel, max_trials=30)
    for number in range(1, 31):
        trial_id = f"{number:02d}"
        panel.trial_begin(trial_id, {"units": number})
        # the first trials score best; 13 failed
        failed = number == 13
        score = None if failed else 1.0 - number / 100
        panel.trial_end(trial_id, status="failed" if failed else "ok", score=score)
    tune = panel.payload()["tune"]
    assert [r["number"] for r in tune["trials"]] == [1, 2, 3, 4, 5, 26, 27, 28, 29, 30]
    assert tune["total_trials"] == 30
    assert tune["best"] == "01"
    assert len(tune["best_so_far"]["number"]) == 29  # every ok trial, kept as a row or not
    assert tune["counts"]["ok"] == 29


def test_row_cap_fills_with_the_latest_when_the_best_are_recent():
    panel = TunePanel(lambda bundle, update: None, max_rows=10)
    keras_search(panel, max_trials=None)
    for number in range(1, 31):
        panel.trial_end(str(number), status="ok", score=number)  # each better than the last
    tune = panel.payload()["tune"]
    assert [r["number"] for r in tune["trials"]] == list(range(21, 31))
    assert tune["best"] == "30"


def test_max_rows_below_two_is_refused():
    with pytest.raises(ValueError, match="max_rows must be at least 2, got 1"):
        TunePanel(lambda bundle, update: None, max_rows=1)


def test_throttle_publishes_by_the_clock_and_close_always_publishes():
    shown, clock = Shown(), Clock()
    panel = TunePanel(shown, clock=clock, min_interval_s=1.0)
    keras_search(panel)  # the first publication: a display
    for number in range(20):
        panel.trial_begin(str(number), {"units": number})
        panel.metrics({"loss": 0.5}, step=1)
        panel.trial_end(str(number), status="ok", score=number / 20)
        clock.now += 0.125
    assert [update for _, update in shown.calls] == [False, True, True]  # at 0, 1 and 2 s
    before = len(shown.calls)
    panel.close("ok")
    assert len(shown.calls) == before + 1
    assert shown.payload["tune"]["total_trials"] == 20
    assert shown.payload["status"] == "ok"
    panel.trial_end("late", status="ok", score=1.0)
    panel.close("error")
    assert len(shown.calls) == before + 1


def test_eta_of_the_search_over_the_fits_own():
    clock = Clock()
    panel = TunePanel(lambda bundle, update: None, clock=clock)
    keras_search(panel, max_trials=4)
    panel.trial_begin("00", {"units": 8})
    clock.now += 5.0
    panel.progress(epoch=1, epochs=3, eta_s=10.0)
    assert panel.payload()["progress"]["eta_s"] == 10.0  # no trial done yet: the fit's own
    clock.now += 5.0
    panel.trial_end("00", status="ok", score=0.5)
    panel.trial_begin("01", {"units": 16})
    panel.progress(epoch=1, epochs=3, eta_s=3.0)
    progress = panel.payload()["progress"]
    assert progress["elapsed_s"] == 10.0
    assert progress["eta_s"] == 30.0  # 10 s for one trial, three left
    panel.close("ok")
    assert panel.payload()["progress"]["eta_s"] == 0.0


def test_eta_unknown_without_a_max():
    clock = Clock()
    panel = TunePanel(lambda bundle, update: None, clock=clock)
    keras_search(panel, max_trials=None)
    panel.trial_begin("00", {})
    panel.progress(epoch=1, epochs=3, eta_s=10.0)
    clock.now += 1.0
    panel.trial_end("00", status="ok", score=0.5)
    assert panel.payload()["progress"]["eta_s"] is None
    assert panel.payload()["progress"]["trials_max"] is None


def test_trials_max_is_the_sum_over_searches_or_none():
    panel = TunePanel(lambda bundle, update: None)
    panel.search(library="flaml", tuner="AutoML", objective=None, direction="min", max_trials=3)
    panel.search(library="flaml", tuner="AutoML", objective="x", direction="max", max_trials=4)
    payload = panel.payload()
    assert payload["progress"]["trials_max"] == 7
    tune = payload["tune"]
    assert (tune["searches"], tune["objective"], tune["direction"]) == (2, None, "min")
    panel.search(library="flaml", tuner="AutoML", objective=None, direction="min", max_trials=None)
    assert panel.payload()["progress"]["trials_max"] is None


def test_ids_of_a_second_search_are_prefixed():
    panel = TunePanel(lambda bundle, update: None)
    keras_search(panel)
    panel.trial_begin("00", {"units": 8})
    panel.trial_end("00", status="ok", score=0.5)
    keras_search(panel)
    panel.trial_begin("00", {"units": 16})
    panel.trial_end("search2/00", status="ok", score=0.7)  # already prefixed: kept as is
    tune = panel.payload()["tune"]
    assert [r["id"] for r in tune["trials"]] == ["00", "search2/00"]
    assert tune["best"] == "search2/00"
    assert tune["counts"]["running"] == 0


def test_trial_end_without_trial_begin_is_a_trial():
    clock = Clock()
    panel = TunePanel(lambda bundle, update: None, clock=clock)
    panel.search(
        library="scikit-learn",
        tuner="GridSearchCV",
        objective="mean_test_score",
        direction="max",
        max_trials=2,
        params=["C"],
    )
    clock.now += 2.0
    panel.trial_end("0", status="ok", score=0.8, duration_s=0.25, ended_s=1.5)
    panel.trial_end("1", status="ok", score=0.9)
    tune = panel.payload()["tune"]
    first, second = tune["trials"]
    assert (first["duration_s"], first["ended_s"], first["params"]) == (0.25, 1.5, {})
    assert (second["duration_s"], second["ended_s"]) == (None, 2.0)
    assert tune["params"] == ["C"]
    assert tune["running"] is None
    assert panel.payload()["progress"]["trials_done"] == 2


def test_a_retried_trial_counts_once():
    panel = TunePanel(lambda bundle, update: None)
    keras_search(panel)
    panel.trial_begin("00", {"units": 8})
    panel.trial_end("00", status="ok", score=0.9)
    panel.trial_begin("00", {"units": 8})  # keras-tuner retries a trial under its own id
    tune = panel.payload()["tune"]
    assert tune["counts"] == {"ok": 0, "failed": 0, "invalid": 0, "running": 1}
    assert tune["best"] is None
    panel.trial_end("00", status="ok", score=0.8)
    tune = panel.payload()["tune"]
    assert tune["total_trials"] == 1
    assert tune["best"] == "00"
    assert tune["trials"][0]["score"] == 0.8


def test_trials_before_the_search_are_ranked_by_its_direction():
    panel = TunePanel(lambda bundle, update: None)
    panel.trial_end("a", status="ok", score=0.2)
    panel.trial_end("b", status="ok", score=0.1)
    assert panel.payload()["tune"] is None
    keras_search(panel, direction="min")
    tune = panel.payload()["tune"]
    assert tune["best"] == "b"
    assert tune["best_so_far"]["score"] == [0.2, 0.1]


def test_no_search_is_exactly_a_train_payload():
    shown, clock = Shown(), Clock()
    panel = TunePanel(shown, title="fit only", clock=clock)
    train_shown = Shown()
    train = Panel(train_shown, title="fit only", clock=clock)
    for target in (panel, train):
        target.metrics({"loss": 0.5, "val_loss": 0.6}, step=1)
        target.metrics({"loss": 0.4, "val_loss": 0.5}, step=2)
        target.progress(epoch=2, epochs=2, eta_s=1.0)
        target.close("ok")
    payload = shown.payload
    assert payload.pop("tune") is None
    assert payload == {**train_shown.payload, "kind": "tune"}
    assert shown.last["text/html"] == train_shown.last["text/html"]
    train_text = train_shown.last["text/plain"]
    assert shown.last["text/plain"] == train_text.replace("mlwork train", "mlwork tune")


def test_final_fit_empties_the_series():
    shown = Shown()
    panel = TunePanel(shown, min_interval_s=0)
    panel.search(
        library="autokeras", tuner="Greedy", objective="val_loss", direction="min", max_trials=1
    )
    panel.trial_begin("0", {"units": 8})
    panel.metrics({"loss": 0.5}, step=1)
    panel.metrics({"loss": 0.4}, step=2)
    panel.trial_end("0", status="ok", score=0.4)
    assert ">epoch</text>" not in shown.last["text/html"]  # no running fit: no epoch chart
    panel.final_fit()
    assert shown.payload["series"] == {}
    panel.metrics({"loss": 0.3}, step=1)
    panel.metrics({"loss": 0.2}, step=2)
    assert shown.payload["series"]["loss"]["y"] == [0.3, 0.2]
    assert shown.payload["tune"]["running"] is None
    html = shown.last["text/html"]
    assert "final fit" in html
    assert html.count("<svg") == 3  # best so far, the fit's epochs, the scatter of units


def test_bad_status_and_direction_are_refused_with_the_value():
    panel = TunePanel(lambda bundle, update: None)
    with pytest.raises(ValueError, match="got 'maximise'"):
        panel.search(library="x", tuner="y", objective=None, direction="maximise", max_trials=1)
    with pytest.raises(ValueError, match="got 'running'"):
        panel.trial_end("0", status="running")
    with pytest.raises(ValueError, match="could not convert"):
        panel.trial_end("0", status="ok", score="high")
    assert panel.payload()["tune"] is None
    keras_search(panel)
    assert panel.payload()["tune"]["total_trials"] == 0  # a refused call left nothing behind


def test_another_ended_status_is_kept_and_counted():
    shown = Shown()
    panel = TunePanel(shown)
    keras_search(panel)
    panel.trial_begin("00", {"units": 8})
    panel.trial_end("00", status="ok", score=0.5)
    panel.trial_begin("01", {"units": 16})
    panel.trial_end("01", status="interrupted")  # the stage ends a trial a Ctrl-C cut short
    panel.close("interrupted")
    payload = shown.payload
    tune = payload["tune"]
    assert tune["counts"] == {"ok": 1, "failed": 0, "invalid": 0, "running": 0, "interrupted": 1}
    assert tune["total_trials"] == 2
    assert payload["progress"]["trials_done"] == 2
    assert tune["trials"][1]["status"] == "interrupted"
    assert "(1 ok, 1 interrupted)" in shown.last["text/plain"]


def test_hostile_strings_are_escaped_in_the_html():
    shown = Shown()
    panel = TunePanel(shown, title=EVIL, min_interval_s=0)
    panel.search(library=EVIL, tuner=EVIL, objective=EVIL, direction="max", max_trials=3)
    for number, units in enumerate((8, 16)):
        panel.trial_begin(EVIL + str(number), {EVIL: units, "act": EVIL})
        panel.metrics({EVIL: 0.5, "loss": 0.4}, step=1)
        panel.metrics({EVIL: 0.6, "loss": 0.3}, step=2)
        panel.trial_end(EVIL + str(number), status="ok", score=0.5 + number / 10)
    panel.trial_begin("x", {EVIL: 4})
    panel.metrics({EVIL: 0.5}, step=1)
    panel.metrics({EVIL: 0.5}, step=2)
    panel.trial_end("x", status="failed", message=EVIL)
    panel.trial_begin("y", {EVIL: 2})
    panel.metrics({EVIL: 0.5}, step=1)
    panel.metrics({EVIL: 0.6}, step=2)
    panel.close("error", error=EVIL)
    html = shown.last["text/html"]
    assert EVIL not in html
    assert "<img" not in html
    assert "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert shown.payload["tune"]["params"] == [EVIL, "act"]  # the payload carries the text
    assert EVIL in shown.last["text/plain"]


def test_html_marks_the_best_row_and_caps_the_table():
    shown = Shown()
    panel = TunePanel(shown, title="search", min_interval_s=3600)
    keras_search(panel, max_trials=60)
    for number in range(60):
        panel.trial_begin(
            f"{number:02d}", {"units": number % 7, "act": ("relu", "tanh")[number % 2]}
        )
        if number == 3:
            panel.trial_end("03", status="failed", message="out of memory")
        else:
            panel.trial_end(f"{number:02d}", status="ok", score=0.5 + (number % 10) / 100)
    panel.close("ok")
    html = shown.last["text/html"]
    assert html.count("<tr") == 51  # the header and 50 rows
    assert "… 10 more trials in the record" in html
    assert '<tr style="font-weight:700"><td' in html
    assert "★ 09</td>" in html  # 0.59 first reached by trial 09
    assert ">trial</text>" in html  # the best-so-far chart's x axis
    assert "val_accuracy vs units" in html
    assert "val_accuracy vs act" in html
    assert "<script" not in html
    assert shown.last["text/plain"] == (
        "mlwork tune panel 'search': ok, 60 trials (59 ok, 1 failed), "
        "best val_accuracy 0.59 (trial 09)"
    )


def test_html_header_says_where_the_search_stands():
    shown, clock = Shown(), Clock()
    panel = TunePanel(shown, title="digits", clock=clock, min_interval_s=0)
    keras_search(panel, max_trials=5)
    run_trial(panel, clock, "00", 0.91)
    run_trial(panel, clock, "01", None)
    panel.trial_begin("02", {"units": 64})
    panel.progress(epoch=2, epochs=3, step=10, steps=45)
    panel.metrics({"loss": 0.5}, step=1)
    panel.metrics({"loss": 0.4}, step=2)
    html = shown.last["text/html"]
    head = html[: html.index("<svg")]
    assert "trial 3 of 5" in head
    assert "6.00 s elapsed" in head
    assert "ETA 9.00 s" in head
    assert "best val_accuracy 0.91 (trial 00)" in head
    assert "trial 02 · epoch 2/3 · step 10/45" in html
    assert ">epoch</text>" in html  # the running trial's curves


def test_payload_is_json_without_nan_even_with_odd_values():
    shown = Shown()
    panel = TunePanel(shown, min_interval_s=0)
    keras_search(panel)
    panel.trial_begin(
        "00",
        {"a": math.nan, "b": np.float32(0.5), "c": np.int64(3), "d": (1, 2), "e": True},
    )
    panel.metrics({"loss": math.nan}, step=1)
    panel.progress(eta_s=math.inf)
    panel.trial_end("00", status="ok", score=math.inf, duration_s=math.nan, ended_s=math.inf)
    panel.close("ok")
    text = json.dumps(shown.payload, allow_nan=False)
    assert '"params": {"a": null, "b": 0.5, "c": 3, "d": "(1, 2)", "e": true}' in text
    json.dumps(shown.last)


def test_many_trials_stay_cheap_to_publish():
    shown = Shown()
    panel = TunePanel(shown)  # the real clock: a tight loop publishes a few times
    panel.search(
        library="flaml",
        tuner="AutoML",
        objective="val_loss",
        direction="min",
        max_trials=None,
        params=["n_estimators", "learning_rate"],
    )
    for number in range(5000):
        panel.trial_end(
            str(number),
            status="ok",
            score=1 / (number + 1),
            duration_s=0.01,
            ended_s=number / 100,
        )
    panel.close("ok")
    payload = shown.payload
    assert len(payload["tune"]["trials"]) == 1000
    assert len(payload["tune"]["best_so_far"]["score"]) == 5000
    assert len(shown.calls) < 100


def test_display_layer_imports_no_ml_stages_ipython_or_tensorflow():
    code = (
        "import sys, mlwork_jupyter.display.tune_panel\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('IPython', 'tensorflow')\n"
        "       or m.startswith(('mlwork_jupyter.ml', 'mlwork_jupyter.stages'))]\n"
        "print(bad)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "[]"


def test_trials_from_several_threads_are_all_counted():
    shown = Shown()
    panel = TunePanel(shown, min_interval_s=0)
    keras_search(panel, max_trials=200)

    def worker(first: int) -> None:
        for number in range(first, first + 50):
            panel.trial_begin(str(number), {"units": number})
            panel.metrics({"loss": 0.5}, step=1)
            panel.trial_end(str(number), status="ok", score=number)

    threads = [threading.Thread(target=worker, args=(first,)) for first in range(0, 200, 50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    panel.close("ok")
    tune = shown.payload["tune"]
    assert tune["counts"] == {"ok": 200, "failed": 0, "invalid": 0, "running": 0}
    assert tune["best"] == "199"
    assert sorted(tune["best_so_far"]["number"]) == list(range(1, 201))
