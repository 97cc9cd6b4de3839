"""Multi-worker parts: TF_CONFIG, hosts, checks, shipping, the stream, stopping, a remote join."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from mlwork_jupyter.errors import MlworkError
from mlwork_jupyter.ml.multiworker.cluster import (
    ClusterSpec,
    WorkersError,
    check_workers,
    hosts_cluster,
    is_local,
    local_cluster,
    plan_gpus,
    visible_gpus,
)
from mlwork_jupyter.ml.multiworker.job import WorkerError, remote_command, replay, run_job, stop
from mlwork_jupyter.ml.multiworker.shipping import (
    JOB_FILE,
    Job,
    ModelFiles,
    ShippingError,
    dumps,
    loads,
    pack_job,
)
from mlwork_jupyter.ml.multiworker.worker import EventWriter, keras_fix_applies
from mlwork_jupyter.ml.reporter import Progress
from mlwork_jupyter.stages.base import CellRequest
from mlwork_jupyter.stages.train import TrainStage

from .memory_reporter import MemoryReporter

SPEC = ClusterSpec(("127.0.0.1:2222", "127.0.0.1:2223"))


def test_tf_config_names_the_cluster_and_the_task():
    for index in range(2):
        config = json.loads(SPEC.tf_config(index))
        assert config == {
            "cluster": {"worker": ["127.0.0.1:2222", "127.0.0.1:2223"]},
            "task": {"type": "worker", "index": index},
        }
    with pytest.raises(IndexError, match="worker 2 is not in a cluster of 2"):
        SPEC.tf_config(2)


def test_the_record_keeps_workers_addresses_and_strategy():
    assert SPEC.describe() == {
        "workers": 2,
        "addresses": ["127.0.0.1:2222", "127.0.0.1:2223"],
        "chief": "127.0.0.1:2222",
        "strategy": "MultiWorkerMirroredStrategy",
        "communication": "auto",
    }
    shared = ClusterSpec(SPEC.addresses, ("0", "0"), "ring").describe()
    assert (shared["gpus"], shared["communication"]) == (["0", "0"], "ring")


@pytest.mark.parametrize(
    ("workers", "gpus", "shares", "communication"),
    [
        (2, [], (), "auto"),
        (2, ["0", "1"], ("0", "1"), "auto"),
        (2, ["0", "1", "2", "3", "4"], ("0,1", "2,3"), "auto"),
        (2, ["GPU-a1"], ("GPU-a1", "GPU-a1"), "ring"),
        (3, ["2", "3"], ("2", "3", "2"), "ring"),
    ],
)
def test_local_workers_share_the_gpus_and_never_put_nccl_on_a_shared_one(
    workers, gpus, shares, communication
):
    assert plan_gpus(workers, gpus) == (shares, communication)


@pytest.mark.parametrize(
    ("visible", "gpus"), [("", []), ("-1", []), ("1,3", ["1", "3"]), (" 2 ", ["2"])]
)
def test_visible_gpus_follow_cuda_visible_devices(monkeypatch, visible, gpus):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert visible_gpus() == gpus


def test_local_cluster_gives_distinct_free_ports_on_loopback():
    spec = local_cluster(4)
    hosts, ports = zip(*(a.rsplit(":", 1) for a in spec.addresses), strict=True)
    assert set(hosts) == {"127.0.0.1"}
    assert len(set(ports)) == 4
    for port in ports:  # released: a worker can bind it
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", int(port)))


@pytest.mark.parametrize(
    ("workers", "strategy", "message"),
    [
        (0, "auto", "--workers must be 1 or more, got 0"),
        (-2, "auto", "--workers must be 1 or more, got -2"),
        (2, "mirrored", "--strategy mirrored cannot apply; drop --strategy"),
        (3, "one_device", "--workers 3 trains with MultiWorkerMirroredStrategy"),
    ],
)
def test_bad_worker_requests_are_one_line_errors(workers, strategy, message):
    with pytest.raises(WorkersError, match=message) as info:
        check_workers(workers, strategy)
    assert isinstance(info.value, MlworkError)
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("workers", "strategy"), [(2, "auto"), (2, "multi_worker_mirrored"), (1, "mirrored")]
)
def test_good_worker_requests_pass(workers, strategy):
    check_workers(workers, strategy)


def test_missing_packages_are_named_with_the_install_line():
    with pytest.raises(WorkersError, match=r"needs tensorflow and cloudpickle; pip install"):
        check_workers(2, available=lambda name: None)


def test_only_addresses_of_this_machine_are_local():
    assert is_local("127.0.0.1")
    assert is_local("localhost")
    assert not is_local("192.0.2.1")  # TEST-NET-1: never this machine
    assert not is_local("no-such-host.invalid")


def _here(host):
    return host.startswith("127.")


def test_hosts_name_the_cluster_and_which_workers_the_user_starts(tmp_path):
    spec = hosts_cluster(
        "127.0.0.1:2222, 10.0.0.6:2222,127.0.0.1:2223", job_dir=tmp_path, gpus=["0"], local=_here
    )
    assert spec.addresses == ("127.0.0.1:2222", "10.0.0.6:2222", "127.0.0.1:2223")
    assert spec.remote == frozenset({1})
    assert spec.gpus == ("0", None, "0")
    assert spec.communication == "ring"
    assert spec.describe()["remote"] == ["10.0.0.6:2222"]
    assert hosts_cluster("127.0.0.1:2222,127.0.0.1:2223", 2, gpus=[]).remote == frozenset()


@pytest.mark.parametrize(
    ("hosts", "workers", "job_dir", "message"),
    [
        ("127.0.0.1", None, None, "--hosts wants HOST:PORT,HOST:PORT,...; got '127.0.0.1'"),
        ("127.0.0.1:x", None, None, "got '127.0.0.1:x'"),
        (":2222", None, None, "got ':2222'"),
        (" , ", None, None, "got nothing"),
        ("127.0.0.1:1,127.0.0.1:2", 3, None, "--workers 3 but --hosts names 2"),
        ("10.0.0.5:1,127.0.0.1:2", None, None, "the chief and must be this machine"),
        ("127.0.0.1:1,10.0.0.6:2", None, None, "needs --job-dir DIR"),
    ],
)
def test_bad_hosts_are_one_line_errors(hosts, workers, job_dir, message):
    with pytest.raises(WorkersError, match=re.escape(message)):
        hosts_cluster(hosts, workers, job_dir=job_dir, gpus=[], local=_here)


def test_the_command_for_a_remote_worker_carries_its_tf_config(tmp_path):
    spec = ClusterSpec(("127.0.0.1:1", "10.0.0.6:2"), (), "ring", frozenset({1}))
    folder = tmp_path / "job dir"
    words = shlex.split(remote_command(spec, 1, folder))
    assert words[0] == f"TF_CONFIG={spec.tf_config(1)}"
    assert words[1:] == [
        "MLWORK_COMMUNICATION=ring",
        "python",
        "-m",
        "mlwork_jupyter.ml.multiworker.worker",
        str(folder),
    ]


def _prepared(line: str) -> TrainStage:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name")
    TrainStage.add_arguments(parser)
    stage = TrainStage()
    stage.prepare(CellRequest(code="x = 1", options=parser.parse_args(line.split())))
    return stage


def test_train_stage_runs_two_workers_remotely_and_one_worker_here(tmp_path):
    assert _prepared("--workers 2").workers == 2
    assert _prepared("--workers 1").workers is None
    assert _prepared("").workers is None
    hosts = _prepared(f"--hosts 127.0.0.1:2222,localhost:2223 --job-dir {tmp_path}")
    assert hosts.workers == 2
    assert hosts.cluster_spec is not None
    assert hosts.cluster_spec.addresses == ("127.0.0.1:2222", "localhost:2223")
    assert hosts.job_dir == tmp_path
    assert _prepared("--hosts 127.0.0.1:2222").workers is None
    for line, message in [
        ("--workers 0", "--workers must be 1 or more"),
        ("--workers 2 --strategy mirrored", "--strategy mirrored cannot apply"),
        ("--hosts 127.0.0.1:1,127.0.0.1:2 --strategy tpu", "--strategy tpu cannot apply"),
        (f"--job-dir {tmp_path}", "--job-dir goes with --workers N or --hosts"),
        (f"--workers 2 --job-dir {tmp_path / 'missing'}", "is not a folder"),
    ]:
        with pytest.raises(MlworkError, match=message):
            _prepared(line)


def scale(v):
    return v * 2


def _pack(tmp_path, namespace, reads, stores=()):
    code = compile("y = scale(x)", "<cell>", "exec")
    return pack_job(
        tmp_path, code, None, source="y = scale(x)", namespace=namespace, reads=reads, stores=stores
    )


def test_pack_job_ships_values_and_names_modules(tmp_path):
    namespace = {"x": np.arange(3), "scale": scale, "np": np, "os": os.path}
    job = _pack(tmp_path, namespace, {"x", "scale", "np", "os", "print", "undefined"}, {"y"})
    assert job.modules == {"np": "numpy", "os": os.path.__name__}
    assert set(job.values) == {"x", "scale"}
    assert job.returns == ("y",)
    files = ModelFiles(tmp_path / "ship")
    assert loads(job.values["scale"], files)(3) == 6
    assert Job.read(tmp_path) == job


def test_a_value_that_cannot_be_shipped_is_named_before_anything_starts(tmp_path):
    namespace = {"x": 1, "gen": (i for i in range(3)), "lock": __import__("threading").Lock()}
    with pytest.raises(ShippingError) as info:
        _pack(tmp_path, namespace, {"x", "gen", "lock"})
    message = str(info.value)
    assert "`gen` (generator" in message
    assert "`lock` (lock" in message
    assert "create it inside the cell" in message
    assert "\n" not in message
    assert info.value._render_traceback_() == [f"ShippingError: {message}"]
    assert not (tmp_path / JOB_FILE).exists()


def test_worker_error_shows_a_one_line_head_then_the_worker_traceback():
    error = WorkerError(
        "worker 1 of 2 raised ValueError: boom", "Traceback...\n  line 3\nValueError: boom\n"
    )
    assert error._render_traceback_() == [
        "WorkerError: worker 1 of 2 raised ValueError: boom",
        "",
        "Traceback...",
        "  line 3",
        "ValueError: boom",
    ]


def test_the_chief_stream_replays_every_reporter_call(tmp_path):
    writer = EventWriter(tmp_path / "events.jsonl")
    source = tmp_path / "model.bin"
    source.write_bytes(b"weights")
    progress = Progress(fit=1, epoch=2, epochs=3, step=4, steps=4, elapsed_s=1.5, eta_s=None)
    writer.params({"epochs": 3, "optimizer": "Adam"})
    writer.metrics({"loss": np.float32(0.5), "val_loss": float("nan")}, 1, "epoch")
    writer.progress(progress)
    writer.artifact(str(source), "model.keras")
    writer.status("ok", "stopped early after epoch 2 of 3")
    writer.warn("a warning")
    writer.info({"replicas": 2})
    writer.close()
    reporter = MemoryReporter()
    for line in (tmp_path / "events.jsonl").read_text().splitlines():
        replay(json.loads(line), reporter, tmp_path)
    assert reporter.params_seen == [{"epochs": 3, "optimizer": "Adam"}]
    [(values, step, kind)] = reporter.metrics_seen
    assert values["loss"] == 0.5
    assert np.isnan(values["val_loss"])
    assert (step, kind) == (1, "epoch")
    assert reporter.progress_seen == [progress]
    [(path, name)] = reporter.artifacts_seen
    assert name == "model.keras"
    assert open(path, "rb").read() == b"weights"  # noqa: PTH123, SIM115
    assert reporter.statuses == [("ok", "stopped early after epoch 2 of 3")]
    assert reporter.warnings == ["a warning"]


@pytest.mark.parametrize(
    ("version", "applies"),
    [("3.12.0", True), ("3.12.4", True), ("3.11.3", False), ("3.13.0", False), ("3.15.1", False)],
)
def test_the_keras_fix_is_gated_on_the_verified_versions(version, applies):
    assert keras_fix_applies(version) is applies


def test_a_worker_that_cannot_start_is_an_error_and_nothing_is_left(tmp_path):
    # No job in the folder: each worker fails at once, writes its error and exits.
    # (The test process may have other children: a session's JupyterLab, Chromium.)
    before = set(psutil.Process().children(recursive=True))
    with pytest.raises(WorkerError, match=r"worker 0 of 2 \(chief\) raised FileNotFoundError"):
        run_job(tmp_path, local_cluster(2), MemoryReporter())
    assert set(psutil.Process().children(recursive=True)) - before == set()


SLEEPER = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    if sys.argv[1] == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    print(child.pid, flush=True)
    time.sleep(60)
    """
)


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX")
def test_stop_ends_whole_groups_and_kills_what_ignores_sigterm():
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SLEEPER, how],
            stdout=subprocess.PIPE,
            start_new_session=True,
        )
        for how in ("polite", "stubborn")
    ]
    grandchildren = []
    for process in processes:
        assert process.stdout is not None
        grandchildren.append(psutil.Process(int(process.stdout.readline())))
    started = time.monotonic()
    stop(processes, grace_s=0.5)
    assert time.monotonic() - started < 10
    assert processes[0].returncode == -signal.SIGTERM
    assert processes[1].returncode == -signal.SIGKILL
    for process in processes:
        assert process.stdout is not None
        process.stdout.close()
    gone, alive = psutil.wait_procs(grandchildren, timeout=5)
    assert alive == []
    assert len(gone) == 2


@pytest.mark.tensorflow
def test_a_model_inside_two_values_comes_back_as_one_model(tmp_path):
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="tiny")
    history = keras.callbacks.History()
    history.set_model(model)
    sent = ModelFiles(tmp_path)
    data = {"model": dumps(model, sent), "history": dumps(history, sent)}
    assert [p.name for p in tmp_path.iterdir()] == ["0-tiny.keras"]
    received = ModelFiles(tmp_path)
    back = {name: loads(raw, received) for name, raw in data.items()}
    assert back["history"].model is back["model"]
    assert back["model"].name == "tiny"
    np.testing.assert_allclose(back["model"].get_weights()[0], model.get_weights()[0])


@pytest.mark.tensorflow
def test_a_worker_on_another_machine_is_started_by_the_user_and_joins(tmp_path):
    pytest.importorskip("tensorflow")
    ports = [a.rsplit(":", 1)[1] for a in local_cluster(2).addresses]
    spec = ClusterSpec(tuple(f"127.0.0.1:{p}" for p in ports), remote=frozenset({1}))
    code = compile("z = 2 * w", "<cell>", "exec")
    pack_job(
        tmp_path, code, None, source="z = 2 * w", namespace={"w": 21}, reads={"w"}, stores={"z"}
    )
    bin_dir = Path(sys.executable).parent
    started: list[subprocess.Popen[bytes]] = []

    def echo(text: str) -> None:  # the user, reading the cell's output, on "the other host"
        _, _, command = text.partition(": ")
        _, _, command = command.partition(": ")
        started.append(
            subprocess.Popen(
                command,
                shell=True,
                env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    outcome = run_job(tmp_path, spec, MemoryReporter(), echo=echo)
    assert outcome.values == {"z": 42}
    [remote] = started
    assert remote.wait(timeout=30) == 0
    assert (tmp_path / "stop").exists()


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs POSIX interval timers")
def test_an_interrupt_while_stopping_still_kills_and_reaps_every_process():
    stubborn = subprocess.Popen(
        [sys.executable, "-c", SLEEPER, "stubborn"], stdout=subprocess.PIPE, start_new_session=True
    )
    assert stubborn.stdout is not None
    stubborn.stdout.readline()  # its SIGTERM handler is set

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            stop([stubborn], grace_s=30)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        stubborn.stdout.close()
    assert time.monotonic() - started < 10
    assert stubborn.returncode == -signal.SIGKILL
