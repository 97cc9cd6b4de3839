"""`tune --workers N`: the checks, the packed job, the environment and the chief's oracle server."""

from __future__ import annotations

import gc
import os
import re
import socket
import subprocess
import sys
import threading
import time

import psutil
import pytest

from mlwork_jupyter.ml.multiworker.cluster import WorkersError
from mlwork_jupyter.ml.multiworker.job import WorkerError
from mlwork_jupyter.ml.multiworker.shipping import Job, ShippingError
from mlwork_jupyter.ml.multiworker.tuner_cluster import (
    TunerCluster,
    TunerJob,
    TunerWorker,
    _environment,
    check_tuner_workers,
    compile_cell,
)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"workers": 0}, "--workers must be 1 or more, got 0"),
        ({"workers": 2, "hosts": "a:1,b:2"}, "--hosts cannot go with it: drop --hosts"),
        ({"workers": 2, "strategy": "mirrored"}, "--strategy mirrored cannot apply: drop it"),
        (
            {"workers": 2, "available": lambda name: None if name == "grpc" else object()},
            "needs grpcio; pip install 'mlwork-jupyter[tensorflow]'",
        ),
    ],
)
def test_bad_requests_are_one_line_errors(kwargs, message):
    with pytest.raises(WorkersError, match=re.escape(message)):
        check_tuner_workers(**kwargs)


def test_one_worker_is_a_cluster_too():
    check_tuner_workers(1, available=lambda name: object())


def test_the_workers_run_plain_python_with_the_cells_line_numbers():
    code, source = compile_cell("x = 1\ny = 1 / 0", "<cell>", first_line=2)
    with pytest.raises(ZeroDivisionError) as caught:
        exec(code, {})
    assert caught.traceback[-1].lineno + 1 == 3  # pytest counts from 0
    assert source.splitlines()[2] == "y = 1 / 0"
    with pytest.raises(WorkersError, match=r"^line 3 is not plain Python \(.*\): the workers run"):
        compile_cell("x = 1\n!ls", "<cell>")


def test_a_job_is_packed_in_its_own_folder_and_removed_once(tmp_path):
    namespace = {"x": 3, "np": os, "unused": object()}
    job = TunerJob(tmp_path)
    job.pack("y = x + 1", namespace=namespace, reads={"x", "np", "print"})
    packed = Job.read(job.folder)
    assert set(packed.values) == {"x"}
    assert packed.modules == {"np": "os"}
    assert packed.last_expr is None
    assert job.packed("y = x + 1", namespace)
    assert not job.packed("y = x + 2", namespace)
    assert not job.packed("y = x + 1", dict(namespace))
    job.remove()
    job.remove()
    assert list(tmp_path.iterdir()) == []


def test_a_value_that_cannot_go_is_named_and_a_dropped_job_leaves_nothing(tmp_path):
    job = TunerJob(tmp_path)
    with pytest.raises(ShippingError, match=r"cannot send `gen` \(generator"):
        job.pack("sum(gen)", namespace={"gen": (i for i in range(3))}, reads={"gen"})
    del job
    gc.collect()
    assert list(tmp_path.iterdir()) == []


def test_the_environment_is_put_back_exactly(monkeypatch):
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "10.0.0.1")
    monkeypatch.delenv("KERASTUNER_TUNER_ID", raising=False)
    seen = []
    chief = {"KERASTUNER_TUNER_ID": "chief", "KERASTUNER_ORACLE_IP": "127.0.0.1"}
    with pytest.raises(KeyboardInterrupt), _environment(chief):  # noqa: PT012 - the block is checked
        seen.append(os.environ["KERASTUNER_TUNER_ID"])
        raise KeyboardInterrupt
    assert seen == ["chief"]
    assert "KERASTUNER_TUNER_ID" not in os.environ
    assert os.environ["KERASTUNER_ORACLE_IP"] == "10.0.0.1"


def test_the_cluster_record_and_the_gpus_each_worker_gets(tmp_path):
    cluster = TunerCluster(tmp_path, 2, gpus=["0", "1", "2", "3"])
    cluster.port = 4321
    assert cluster.describe() == {
        "workers": 2,
        "oracle": "127.0.0.1:4321",
        "chief": "the kernel (KERASTUNER_TUNER_ID=chief)",
        "tuner_ids": ["tuner0", "tuner1"],
        "gpus": ["0,1", "2,3"],
    }
    assert "gpus" not in TunerCluster(tmp_path, 2, gpus=[]).describe()


def _exited_worker(tmp_path, tuner_id: str, code: int, stderr: str) -> TunerWorker:
    out, err = tmp_path / f"{tuner_id}.stdout", tmp_path / f"{tuner_id}.stderr"
    script = f"import sys; sys.stderr.write({stderr!r}); sys.exit({code})"
    with out.open("wb") as o, err.open("wb") as e:
        process = subprocess.Popen([sys.executable, "-c", script], stdout=o, stderr=e)
    process.wait()
    return TunerWorker(tuner_id, process, out, err)


def test_a_workers_last_stderr_line_names_its_failure(tmp_path):
    worker = _exited_worker(tmp_path, "tuner0", 2, "noise\nValueError: bad units\n\n")
    assert worker.last_line() == "ValueError: bad units"
    assert worker.tail() == "noise\nValueError: bad units"
    assert _exited_worker(tmp_path, "tuner1", 2, "").last_line() == "nothing on its stderr"


# --- the chief's oracle server, with keras-tuner's own oracle and client ---------------------


def _oracle(tmp_path, **settings):
    kt = pytest.importorskip("keras_tuner")
    oracle = kt.oracles.RandomSearchOracle(
        objective=kt.Objective("score", "max"), max_trials=2, seed=0, **settings
    )
    oracle._set_project_dir(str(tmp_path), "p")
    space = kt.HyperParameters()
    space.Int("units", 1, 8)
    oracle.update_space(space)
    return oracle


def _cluster(tmp_path, workers: list[TunerWorker]) -> TunerCluster:
    cluster = TunerCluster(tmp_path, len(workers), gpus=[])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        cluster.port = sock.getsockname()[1]
    cluster.workers = workers
    return cluster


def _lock_is_free(oracle) -> bool:
    from keras_tuner.src.engine.oracle import LOCKS

    if not LOCKS[oracle].acquire(timeout=1):
        return False
    LOCKS[oracle].release()
    return True


@pytest.mark.tensorflow
def test_workers_that_all_die_give_up_their_trials_and_end_the_search_in_one_line(tmp_path):
    from mlwork_jupyter.ml.multiworker.oracle_server import serve

    oracle = _oracle(tmp_path, max_consecutive_failed_trials=5)
    trial = oracle.create_trial("tuner0")
    cluster = _cluster(tmp_path, [_exited_worker(tmp_path, "tuner0", 4, "RuntimeError: boom\n")])
    head = "all 1 keras-tuner workers exited before the search ended; tuner0 exited with code 4"
    with pytest.raises(WorkerError, match=f"^{head}: RuntimeError: boom$") as caught:
        serve(oracle, cluster, poll_s=0.01)
    assert caught.value.remote_traceback == "RuntimeError: boom"
    ended = oracle.trials[trial.trial_id]
    assert ended.status == "FAILED"
    assert ended.message == (
        "keras-tuner worker tuner0 exited with code 4 during this trial: RuntimeError: boom"
    )
    assert oracle.ongoing_trials == {}
    assert "tuner0" not in oracle.tuner_ids
    assert cluster.warnings == ["keras-tuner worker tuner0 exited with code 4: RuntimeError: boom"]
    assert _lock_is_free(oracle)


@pytest.mark.tensorflow
def test_an_error_of_the_oracle_ends_the_search_and_frees_its_lock(tmp_path):
    from mlwork_jupyter.ml.multiworker.oracle_server import serve

    oracle = _oracle(tmp_path, max_consecutive_failed_trials=1)
    oracle.create_trial("tuner0")
    cluster = _cluster(tmp_path, [_exited_worker(tmp_path, "tuner0", 1, "")])
    with pytest.raises(
        RuntimeError, match="Number of consecutive failures exceeded the limit of 1"
    ):
        serve(oracle, cluster, poll_s=0.01)
    assert _lock_is_free(oracle)


@pytest.mark.tensorflow
def test_the_oracle_answers_a_client_on_loopback_and_ends_with_the_search(tmp_path, monkeypatch):
    from keras_tuner.src.distribute.oracle_client import OracleClient

    from mlwork_jupyter.ml.multiworker.oracle_server import serve

    oracle = _oracle(tmp_path)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    cluster = _cluster(tmp_path, [TunerWorker("tuner0", sleeper, tmp_path / "o", tmp_path / "e")])
    done = threading.Event()
    errors: list[BaseException] = []

    def chief() -> None:
        try:
            serve(oracle, cluster, poll_s=0.05)
        except BaseException as exc:
            errors.append(exc)
        done.set()

    try:
        threading.Thread(target=chief, daemon=True).start()
        monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
        monkeypatch.setenv("KERASTUNER_ORACLE_PORT", str(cluster.port))
        monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
        client = OracleClient(oracle)
        listening = [
            c.laddr.ip
            for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr.port == cluster.port
        ]
        assert listening
        assert set(listening) <= {"127.0.0.1", "::ffff:127.0.0.1"}
        for _ in range(2):
            trial = client.create_trial("tuner0")
            assert trial.status == "RUNNING"
            client.update_trial(trial.trial_id, {"score": 0.5}, step=0)
            trial.status = "COMPLETED"
            client.end_trial(trial)
        assert not done.is_set()
        assert client.create_trial("tuner0").status == "STOPPED"
        started = time.monotonic()
        assert done.wait(10)
        assert time.monotonic() - started < 3  # keras-tuner's own server checks every 20 s
        assert errors == []
        assert [t.status for t in oracle.trials.values()] == ["COMPLETED", "COMPLETED"]
    finally:
        sleeper.kill()
        sleeper.wait()


KERNEL = """
import sys, time
from pathlib import Path
from mlwork_jupyter.ml.multiworker.tuner_cluster import TunerCluster, TunerJob
job = TunerJob(Path(sys.argv[1]))
job.pack("import time\\ntime.sleep(600)", namespace={}, reads=())
with TunerCluster(job.folder, 2, gpus=[]).running():
    time.sleep(600)
"""


@pytest.mark.tensorflow
def test_the_workers_exit_by_themselves_when_their_kernel_is_killed(tmp_path):
    pytest.importorskip("keras_tuner")
    kernel = subprocess.Popen([sys.executable, "-c", KERNEL, str(tmp_path)])
    try:
        deadline = time.monotonic() + 60
        while len(workers := psutil.Process(kernel.pid).children()) < 2:
            assert kernel.poll() is None, "the kernel stand-in failed"
            assert time.monotonic() < deadline, "no workers started"
            time.sleep(0.05)
        assert psutil.STATUS_ZOMBIE not in {w.status() for w in workers}
    finally:
        kernel.kill()  # kill -9: nothing in it runs after
        kernel.wait()
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == []
