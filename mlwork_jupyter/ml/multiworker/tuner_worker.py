r"""One keras-tuner worker of a `%%mlwork tune --workers N` cell: runs the cell, so the trials.

`mlwork_jupyter.ml.multiworker.tuner_cluster` starts this module once per worker, with
``KERASTUNER_TUNER_ID=tunerI`` and the chief's oracle address in the environment::

    python -m mlwork_jupyter.ml.multiworker.tuner_worker JOB_DIR

It runs the shipped cell in a fresh namespace holding the values the cell reads. Its tuners
are keras-tuner's ``OracleClient``\ s: ``search`` asks the chief (the kernel) for trials and runs
them until the chief says stop, and then the worker exits: the rest of the cell (loading the
best model, saving files) is the chief's alone. Two more adjustments, in this process only: a
tuner never deletes its project folder (``overwrite=True`` there would delete what the chief
and the other workers wrote; the chief's tuner has done that already), and a tuner that came
from the kernel's namespace asks the chief too. A failure prints the cell's traceback to
standard error and exits with 1; the worker exits as soon as its kernel is gone.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import linecache
import marshal
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.ml.multiworker.shipping import Job, ModelFiles
from mlwork_jupyter.ml.multiworker.worker import cell_traceback, shipped_namespace, watch_kernel

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["main"]


class _SearchEnded(BaseException):
    """The worker's search ended: the rest of the cell runs on the chief only.

    A `BaseException`, so that the cell's own ``except Exception`` does not catch it.
    """


def _end_with_the_search() -> None:
    """Make the end of this process's first search the end of the worker."""
    from keras_tuner.src.engine import base_tuner

    search = base_tuner.BaseTuner.search

    @functools.wraps(search)
    def searched(self: Any, *args: Any, **kwargs: Any) -> None:
        search(self, *args, **kwargs)
        raise _SearchEnded

    base_tuner.BaseTuner.search = searched


def _keep_projects() -> None:
    """Make every tuner of this process keep its project folder (``overwrite=False``)."""
    from keras_tuner.src.engine import base_tuner

    init = base_tuner.BaseTuner.__init__
    signature = inspect.signature(init)

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807 - the patched method
        bound = signature.bind(self, *args, **kwargs)
        bound.arguments["overwrite"] = False
        init(*bound.args, **bound.kwargs)

    base_tuner.BaseTuner.__init__ = __init__


def _ask_the_chief(namespace: Mapping[str, Any]) -> None:
    """Make the tuners that came from the kernel ask the chief's oracle, as new ones do."""
    from keras_tuner.src.distribute import oracle_client
    from keras_tuner.src.engine import base_tuner

    for value in namespace.values():
        if isinstance(value, base_tuner.BaseTuner) and not isinstance(
            value.oracle, oracle_client.OracleClient
        ):
            value.tuner_id = os.environ["KERASTUNER_TUNER_ID"]
            value.oracle = oracle_client.OracleClient(value.oracle)


def _run(folder: Path, job: Job) -> None:
    from mlwork_jupyter.ml.devices import detect

    devices = detect()  # GPU memory growth before anything initialises the GPUs
    if job.mixed_precision:
        from mlwork_jupyter.ml.strategy import enable_mixed_precision

        print(enable_mixed_precision(devices), file=sys.stderr)  # noqa: T201 - the worker's log
    _keep_projects()
    _end_with_the_search()
    namespace = shipped_namespace(job, ModelFiles(folder / "ship"))
    _ask_the_chief(namespace)
    source = job.source
    linecache.cache[job.filename] = (
        len(source),
        None,
        source.splitlines(keepends=True),
        job.filename,
    )
    code = marshal.loads(job.code)  # noqa: S302 - the kernel's own compiled cell
    exec(code, namespace)  # noqa: S102 - running the user's cell is the point


def main(argv: list[str] | None = None) -> int:
    """Run the cell in ``JOB_DIR`` as the keras-tuner worker the environment names."""
    parser = argparse.ArgumentParser(prog="python -m mlwork_jupyter.ml.multiworker.tuner_worker")
    parser.add_argument("job_dir", type=Path, help="the folder `TunerJob.pack` wrote")
    folder: Path = parser.parse_args(argv).job_dir
    watch_kernel(folder)
    job: Job | None = None
    try:
        job = Job.read(folder)
        _run(folder, job)
    except _SearchEnded:
        return 0
    except SystemExit:
        raise
    except BaseException as exc:
        text = cell_traceback(exc, job.filename) if job else traceback.format_exc()
        sys.stderr.write(text)
        sys.stderr.flush()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
