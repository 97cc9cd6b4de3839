"""`%%mlwork tune --workers 2`: the kernel is keras-tuner's chief, two workers run the trials."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import psutil
import pytest
from jupyter_client.manager import start_new_kernel

from mlwork_jupyter.display.panel import PANEL_MIME
from mlwork_jupyter.provenance.store import Store

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = [pytest.mark.kernel, pytest.mark.tensorflow]

SETUP = """
import os
import numpy as np
import keras
import keras_tuner
X = np.random.default_rng(0).random((64, 4)).astype("float32")
y = (X[:, 0] > 0.5).astype("int32")

def build(hp):
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(hp.Int("units", 2, 8, step=2), activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(hp.Choice("lr", [1e-2, 1e-3])),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

class Where(keras.callbacks.Callback):
    # Which process fits: one line per fit, in a file named after its keras-tuner id.
    def on_train_begin(self, logs=None):
        with open(f"fits-{os.environ.get('KERASTUNER_TUNER_ID', 'kernel')}.txt", "a") as f:
            f.write(f"{os.getpid()}\\n")
    def on_epoch_end(self, epoch, logs=None):
        open("epoch.flag", "w").close()
"""

TUNER = (
    "tuner = keras_tuner.RandomSearch(build, objective='val_accuracy', max_trials=4, "
    "directory='kt', project_name='{name}', overwrite=True, seed=1)\n"
)
SEARCH = (
    "tuner.search(X, y, epochs={epochs}, validation_split=0.25, verbose=0, callbacks=[Where()])\n"
)
NO_CHIEF = (
    "from keras_tuner.src.distribute import oracle_chief\n"
    "assert oracle_chief.start_server.__module__ == oracle_chief.__name__\n"
    "assert not [k for k in os.environ if k.startswith('KERASTUNER_')], os.environ\n"
)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, Path]]:
    """One kernel for the module: starting one and importing TensorFlow takes a while."""
    folder = tmp_path_factory.mktemp("tune-workers")
    env = {**os.environ, "JPY_SESSION_NAME": str(folder / "test.ipynb")}
    (folder / "jobs").mkdir()  # the cells' --job-dir: every job folder goes when its cell ends
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(folder), env=env)
    try:
        execute(kc, "%load_ext mlwork_jupyter")
        execute(kc, SETUP)
        yield km, kc, folder
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _run(kc: Any, code: str, timeout: float = 120) -> tuple[dict, list[dict]]:
    messages: list[dict] = []
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=messages.append)
    return reply["content"], messages


def execute(kc: Any, code: str) -> None:
    reply, _ = _run(kc, code)
    assert reply["status"] == "ok", f"{reply.get('ename')}: {reply.get('evalue')}"


def _children(km: Any) -> list[psutil.Process]:
    return psutil.Process(km.provisioner.pid).children(recursive=True)


def _runs(folder: Path) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    with Store(folder / ".mlwork") as store:
        runs = store.runs(include_children=True)
    by_name = {run.name: run for run in runs if run.parent is None}
    trials: dict[str, list[Any]] = {}
    for run in runs:
        if run.parent is not None:
            trials.setdefault(run.parent, []).append(run)
    return by_name, trials


def test_the_workers_run_every_trial_and_the_kernel_gets_the_best_model(kernel):
    km, kc, folder = kernel
    cell = (
        "%%mlwork tune --workers 2 --job-dir jobs --name kt2\n"
        + TUNER.format(name="kt2")
        + SEARCH.format(epochs=1)
        + "best = tuner.get_best_models(1)[0]\n"
        + "open(f\"after-{os.environ['KERASTUNER_TUNER_ID']}.txt\", 'w').close()\n"
    )
    reply, messages = _run(kc, cell)
    assert reply["status"] == "ok", reply
    assert _children(km) == []
    assert list((folder / "jobs").iterdir()) == []
    panels = [
        m["content"]["data"][PANEL_MIME]
        for m in messages
        if m["msg_type"] in {"display_data", "update_display_data"}
        and PANEL_MIME in m["content"]["data"]
    ]
    assert panels[-1]["status"] == "ok"
    assert panels[-1]["tune"]["counts"]["ok"] == 4  # reported from the oracle's gRPC threads
    execute(kc, NO_CHIEF + "assert best.predict(X[:2], verbose=0).shape == (2, 2)")

    runs, trials = _runs(folder)
    run = runs["kt2"]
    assert run.status == "ok", run.error
    assert run.warnings == []
    assert run.params["tuner.workers"] == 2
    assert run.params["max_trials"] == 4
    assert run.device["strategy"] == "keras-tuner chief + 2 workers"
    cluster = run.device["cluster"]
    assert cluster["workers"] == 2
    assert cluster["tuner_ids"] == ["tuner0", "tuner1"]
    assert cluster["oracle"].startswith("127.0.0.1:")
    children = sorted(trials[run.id], key=lambda t: t.trial["number"])
    assert [t.trial["number"] for t in children] == [1, 2, 3, 4]
    assert run.metrics["trials_ok"] == 4
    for trial in children:
        assert trial.status == "ok"
        assert trial.trial["score"] is not None
        assert trial.trial["duration_s"] > 0
    assert run.params["best_trial"] in {t.trial["id"] for t in children}
    [artifact] = run.artifacts
    assert artifact.name.endswith(".keras")
    assert (folder / artifact.path).stat().st_size > 0

    # Every fit ran in a worker process: four of them, none in the kernel.
    fits = {path.name: path.read_text().split() for path in folder.glob("fits-*.txt")}
    assert set(fits) <= {"fits-tuner0.txt", "fits-tuner1.txt"}
    assert sum(len(pids) for pids in fits.values()) == 4
    assert str(km.provisioner.pid) not in {pid for pids in fits.values() for pid in pids}
    # The workers end with the search: what follows it runs in the kernel only.
    assert [path.name for path in folder.glob("after-*.txt")] == ["after-chief.txt"]


def test_workers_that_exit_end_the_search_with_one_line_and_leave_nothing(kernel):
    km, kc, folder = kernel
    cell = (
        "%%mlwork tune --workers 2 --job-dir jobs --name dead\n"
        "if os.environ.get('KERASTUNER_TUNER_ID', '').startswith('tuner'):\n"
        "    os._exit(3)\n" + TUNER.format(name="dead") + SEARCH.format(epochs=1)
    )
    started = time.monotonic()
    reply, messages = _run(kc, cell)
    assert time.monotonic() - started < 90
    assert reply["status"] == "error"
    assert reply["ename"] == "WorkerError"
    head = "all 2 keras-tuner workers exited before the search ended; tuner"
    assert reply["evalue"].startswith(head)
    assert "exited with code 3: " in reply["evalue"]
    assert "\n" not in reply["evalue"]
    [error] = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert error["traceback"][0] == f"WorkerError: {reply['evalue']}"
    assert _children(km) == []
    assert list((folder / "jobs").iterdir()) == []
    execute(kc, NO_CHIEF)

    runs, trials = _runs(folder)
    run = runs["dead"]
    assert run.status == "error"
    assert run.error == f"WorkerError: {reply['evalue']}"
    assert run.id not in trials
    assert any(w.startswith("keras-tuner worker tuner") for w in run.warnings)


def test_interrupting_the_kernel_during_the_search_stops_every_worker(kernel):
    km, kc, folder = kernel
    flag = folder / "epoch.flag"
    flag.unlink(missing_ok=True)
    msg_id = kc.execute(
        "%%mlwork tune --workers 2 --name stopped\n"
        + TUNER.format(name="stopped")
        + SEARCH.format(epochs=100000)
    )
    deadline = time.monotonic() + 90
    while not flag.exists():
        assert time.monotonic() < deadline, "no epoch ended on a worker"
        time.sleep(0.1)
    assert len(_children(km)) == 2
    km.interrupt_kernel()
    while True:
        reply = kc.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert _children(km) == []
    execute(kc, NO_CHIEF)

    runs, trials = _runs(folder)
    run = runs["stopped"]
    assert run.status == "interrupted"
    assert trials[run.id]
    assert {t.trial["status"] for t in trials[run.id]} == {"interrupted"}


@pytest.mark.parametrize(
    ("options", "body", "message"),
    [
        ("--workers 0", "z = 1", "--workers must be 1 or more, got 0"),
        ("--workers 2 --strategy mirrored", "z = 1", "--strategy mirrored cannot apply"),
        ("--workers 2 --hosts 127.0.0.1:2222,127.0.0.1:2223", "z = 1", "--hosts cannot go with"),
        ("--workers 2", "!ls", "line 2 is not plain Python"),
        ("--workers 2", "z = sum(gen)", "cannot send `gen` (generator"),
    ],
)
def test_what_the_workers_cannot_run_is_a_usage_error_before_anything_starts(
    kernel, options, body, message
):
    km, kc, folder = kernel
    execute(kc, "gen = (i for i in range(3))")
    reply, _ = _run(kc, f"%%mlwork tune {options} --job-dir jobs --name refused\n{body}")
    assert reply["ename"] == "UsageError"
    assert reply["evalue"].startswith("%%mlwork tune: ")
    assert message in reply["evalue"]
    assert "\n" not in reply["evalue"]
    assert _children(km) == []
    assert list((folder / "jobs").iterdir()) == []
    assert "refused" not in _runs(folder)[0]
