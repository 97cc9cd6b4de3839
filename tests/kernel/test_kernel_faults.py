import os
import signal
import time

import pytest

from mlwork_jupyter.provenance.store import Store

pytestmark = pytest.mark.kernel


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_kill_9_during_a_cell_leaves_a_killed_run_with_what_was_flushed(kernel_factory, tmp_path):
    km, kc = kernel_factory()
    kc.execute(
        "%%mlwork train --name doomed\nimport time\nimport mlwork_jupyter as mlwork\n"
        "mlwork.log_param('lr', 0.01)\n"
        "for step in range(3):\n    mlwork.log_metric('loss', 1.0 / (step + 1), step=step)\n"
        "mlwork.current_run().flush()\n"
        "open('flushed.flag', 'w').close()\n"
        "time.sleep(600)"
    )
    _wait_for((tmp_path / "flushed.flag").exists)
    os.kill(km.provisioner.pid, signal.SIGKILL)  # kill -9: nothing in the kernel runs after
    _wait_for(lambda: not km.is_alive())
    with Store(tmp_path / ".mlwork") as store:
        [run] = store.runs()
        assert run.status == "killed"
        assert run.name == "doomed"
        assert run.notebook == "test.ipynb"
        assert run.params == {"lr": 0.01}
        assert [v for _, v in store.series(run.id)["loss"]] == [1.0, 0.5, 1.0 / 3]


def test_two_kernels_writing_one_store_lose_nothing(kernel_factory, tmp_path):
    loop = (
        "ip = get_ipython()\n"
        "for i in range(500):\n"
        "    r = ip.run_cell(f'%%mlwork data --name k{K}\\nimport mlwork_jupyter as mlwork\\n"
        'mlwork.log_metric("i", {i})\\nx = {i}\', silent=True)\n'
        "    assert r.success, r.error_in_exec\n"
    )
    kernels = [kernel_factory() for _ in range(2)]
    msg_ids = [kc.execute(loop.replace("{K}", str(n))) for n, (_, kc) in enumerate(kernels)]
    for (_, kc), msg_id in zip(kernels, msg_ids, strict=True):
        while True:
            reply = kc.get_shell_msg(timeout=600)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        assert reply["content"]["status"] == "ok", reply["content"]
    with Store(tmp_path / ".mlwork") as store:
        runs = store.runs()
        assert len(runs) == 1000
        assert all(r.status == "ok" for r in runs)
        for n in range(2):
            mine = [r for r in runs if r.name == f"k{n}"]
            assert sorted(r.metrics["i"] for r in mine) == list(range(500))
