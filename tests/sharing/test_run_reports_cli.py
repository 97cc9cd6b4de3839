"""`mlwork runs|show|diff` over a store in a temporary folder: what the reports say and show."""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.cli import main
from mlwork_jupyter.provenance.record import DataRef, RunRecord, new_run_id
from mlwork_jupyter.provenance.store import Store, default_store_dir
from mlwork_jupyter.sharing.commands import record_json
from mlwork_jupyter.sharing.records import RecordSource
from mlwork_jupyter.sharing.run_diff import diff_report
from mlwork_jupyter.sharing.runs_table import runs_report

if TYPE_CHECKING:
    from pathlib import Path

_SECONDS = itertools.count()

SUMMARY = """Model: "{model}" (Sequential)
layer    type   output shape  params
{first}  Dense  (None, 8)     40
{second}  Dense  (None, 1)     9
Total params: 49 (trainable 49, non-trainable 0)"""


def _keras_run(model: str, first: str, second: str, epochs: int, **changes: Any) -> RunRecord:
    """A train run as Keras' capture records it: the layer and model names Keras chose."""
    params = {
        "epochs": epochs,
        "batch_size": 32,
        "optimizer": "Adam",
        "optimizer_config": {"name": "adam" if model == "sequential" else "adam_1", "lr": 0.001},
        "model": f"Sequential {model!r}",
        "model_summary": SUMMARY.format(model=model, first=first, second=second),
    }
    return _run(
        stage="train",
        name="mlp",
        code=f"# @title MLP\nepochs = {epochs}\nmodel.fit(X, y, epochs=epochs)",
        params=params,
        metrics={"loss": 1 / epochs, "accuracy": 1 - 1 / epochs, "fit_seconds": 2.0},
        inputs=[DataRef("array", "X", "0123456789abcdef" * 2, shape=[32, 4])],
        **changes,
    )


def _run(**fields: Any) -> RunRecord:
    started = time.time() + next(_SECONDS)
    defaults: dict[str, Any] = {
        "id": new_run_id(started),  # ids sort in the order made
        "stage": "data",
        "name": "load",
        "code": "x = 1",
        "code_hash": "h",
        "notebook": "nb.ipynb",
        "status": "ok",
        "started": started,
        "ended": started + 1.5,
    }
    return RunRecord(**{**defaults, **fields})


def _store(folder: Path, *records: RunRecord) -> None:
    with Store(default_store_dir(folder)) as store:
        for record in records:
            store.start_run(record)
            store.finish_run(record)


def test_diff_of_a_rebuilt_keras_model_shows_params_data_code_then_environment(tmp_path, capsys):
    a = _keras_run("sequential", "dense  ", "dense_1", 40)
    b = _keras_run("sequential_1", "dense_2", "dense_3", 100)
    _store(tmp_path, a, b)
    assert main(["diff", a.id[-8:], b.id[-8:], str(tmp_path)]) == 0
    text = capsys.readouterr().out
    params, code, metrics = text.split("\n\n")[:3]
    assert params.splitlines()[3:] == [f"epochs  40{' ' * 8}100"]
    assert code.startswith("code\n--- ")
    assert "-epochs = 40\n+epochs = 100" in code
    assert metrics.startswith("metrics")
    assert "sequential_1" not in text
    assert "dense_2" not in text
    assert "optimizer_config.name" in text  # named where the note says what was left out


def test_diff_shows_a_real_change_of_a_model_summary_as_a_diff(tmp_path):
    a = _keras_run("sequential", "dense  ", "dense_1", 40)
    b = _keras_run("sequential_1", "dense_2", "dense_3", 40)
    b.params["model_summary"] = b.params["model_summary"].replace(
        "(None, 1)     9", "(None, 2)  18"
    )
    report = diff_report(a, b, None, None)
    [summary] = [s for s in report.sections if s.title == "model_summary"]
    lines = summary.body.splitlines()  # type: ignore[union-attr]
    assert [line for line in lines if line[:1] in "+-" and line[:3] not in {"---", "+++"}] == [
        "-dense_1  Dense  (None, 1)     9",
        "+dense_1  Dense  (None, 2)  18",
    ]
    html = report.html()
    assert "<span class='mlwork-diff-del'" in html
    assert "Model: &quot;sequential&quot; (Sequential)\n</span>" in html


def test_runs_lists_short_ids_and_keeps_the_json_in_full(tmp_path, capsys):
    runs = [_keras_run("sequential", "dense  ", "dense_1", n) for n in (10, 20)]
    runs.append(_run(status="error", error="ValueError: <b>bad</b> input\n  more lines"))
    _store(tmp_path, *runs)
    assert main(["runs", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    header = text.splitlines()[0].split()
    assert header[:6] == ["run", "started", "stage", "name", "status", "duration"]
    assert header[6] == "epochs"  # differs; batch_size does not, model* are too long
    assert sorted(header[7:9]) == ["accuracy", "loss"]  # fit_seconds is a timing
    assert header[9:] == ["read"]  # no run wrote data: no `wrote` column
    for line, run in zip(text.splitlines()[2:], runs, strict=True):
        assert line.startswith(f"{run.id[-8:]}  ")
        assert re.match(r"\w{8}  \d\d-\d\d \d\d:\d\d  ", line)
    assert "error: ValueError: <b>bad</b> input" in text
    assert "more lines" not in text
    assert main(["runs", str(tmp_path), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    with RecordSource(tmp_path) as source:
        expected = [record_json(r) for r in source.runs()]
    assert payload == json.loads(json.dumps(expected, default=repr))
    assert [p["id"] for p in payload] == [r.id for r in runs]


def test_tune_trials_follow_their_run_as_arrows(tmp_path, capsys):
    tune = _run(stage="tune", name="search", params={"units": 8})
    trials = [
        _run(
            stage="tune",
            name="search",
            parent=tune.id,
            params={"units": units},
            trial={"id": f"trial_{n}", "number": n, "status": "ok", "score": 0.5},
        )
        for n, units in ((1, 16), (0, 8))
    ]
    later = _run(name="after")
    _store(tmp_path, tune, *trials, later)
    assert main(["runs", str(tmp_path)]) == 0
    # run, started (two words), stage, name (`→ TRIAL` is two), ...
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [row[4] for row in rows] == [
        "search",
        "\N{RIGHTWARDS ARROW}",
        "\N{RIGHTWARDS ARROW}",
        "after",
    ]
    assert [row[5] for row in rows[1:3]] == ["trial_0", "trial_1"]
    assert [row[0] for row in rows[1:3]] == [trials[1].id[-8:], trials[0].id[-8:]]
    html = runs_report([tune, trials[1], trials[0], later]).html()
    assert 'padding-left:1.5em">\N{RIGHTWARDS ARROW} trial_0</td>' in html


def test_show_keeps_line_breaks_of_code_and_model_summary(tmp_path, capsys):
    run = _keras_run("sequential", "dense  ", "dense_1", 40)
    _store(tmp_path, run)
    assert main(["show", run.id[-8:], str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "code\n# @title MLP\nepochs = 40\nmodel.fit(X, y, epochs=epochs)" in text
    assert f"model_summary\n{run.params['model_summary']}\n" in text
    assert "\\n" not in text
