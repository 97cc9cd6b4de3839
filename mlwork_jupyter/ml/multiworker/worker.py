"""One worker of a multi-worker `%%mlwork train` cell: runs the shipped cell in the strategy scope.

`mlwork_jupyter.ml.multiworker.job` starts this module once per worker, with ``TF_CONFIG`` set::

    python -m mlwork_jupyter.ml.multiworker.worker JOB_DIR

Every worker builds a `tf.distribute.MultiWorkerMirroredStrategy`, loads the shipped values
inside its scope and runs the cell there. The chief (worker 0) also captures its Keras fits,
writing each reporter call as a JSON line to ``JOB_DIR/events.jsonl`` for the kernel to replay,
and at the end saves what the cell bound to ``JOB_DIR/outcome.pkl``. A worker that fails writes
``JOB_DIR/error-INDEX.json`` (the error and the cell's traceback) and exits with 1.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import dataclasses
import importlib
import json
import linecache
import marshal
import os
import pickle
import shutil
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from mlwork_jupyter.errors import error_line
from mlwork_jupyter.ml.multiworker.job import (
    COMMUNICATION_ENV,
    EVENTS_FILE,
    OUTCOME_FILE,
    PARENT_ENV,
    STOP_FILE,
)
from mlwork_jupyter.ml.multiworker.shipping import Job, ModelFiles, dumps, loads

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

    from mlwork_jupyter.ml.reporter import MetricKind, Progress, Status

__all__ = [
    "EventWriter",
    "apply_keras_fix",
    "cell_traceback",
    "keras_fix_applies",
    "main",
    "shipped_namespace",
    "watch_kernel",
]

# The Keras releases whose TensorFlow trainer the fix below was verified against (two workers on
# 127.0.0.1, tests/kernel/test_multiworker.py); other releases run unpatched, with a warning.
KERAS_FIX_RANGE = (Version("3.12"), Version("3.13"))


def keras_fix_applies(version: str) -> bool:
    """Tell whether the keras-team/keras#20585 fix is verified for this Keras version."""
    low, high = KERAS_FIX_RANGE
    return low <= Version(version) < high


def apply_keras_fix() -> str:
    """Fix Keras 3 `fit` under `MultiWorkerMirroredStrategy` (keras#20585) in this process.

    Two code paths of Keras' TensorFlow trainer fail on a multi-worker strategy:

    - ``TensorFlowTrainer._maybe_symbolic_build`` averages the first distributed batch with
      ``strategy.reduce("MEAN", batch, axis=None)`` only to learn its shapes, and the
      collective reduction cannot take the batch's ``PerReplica`` value ("Attempt to convert a
      value (PerReplica...) with an unsupported type"). Fixed: build from this worker's first
      replica's batch, which has the same shapes.
    - ``reduce_per_replica`` reduces the step's (scalar) logs with
      ``strategy.reduce("MEAN", v, axis=0)``, which also reduces over a batch axis that scalars
      lack ("Invalid reduction dimension 0 for input with 0 dimensions"). Fixed: the mean
      across replicas only (``axis=None``), as the single-host branch computes.

    Only this worker process is patched, and only on verified Keras versions.

    Returns
    -------
    str
        One line for the run's record: what was done.
    """
    import keras

    version = keras.version()
    if not keras_fix_applies(version):
        low, high = KERAS_FIX_RANGE
        return (
            f"keras {version} runs unpatched: the MultiWorkerMirroredStrategy fix "
            f"(keras-team/keras#20585) is verified for keras>={low},<{high} only"
        )
    import tensorflow as tf
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer

    multi_worker = trainer._collective_all_reduce_multi_worker  # noqa: SLF001
    build = trainer.TensorFlowTrainer._maybe_symbolic_build  # noqa: SLF001
    reduce_per_replica = trainer.reduce_per_replica

    def _maybe_symbolic_build(self: Any, iterator: Any = None, data_batch: Any = None) -> Any:
        strategy = self._distribute_strategy
        if strategy is None or iterator is None or not multi_worker(strategy):
            return build(self, iterator, data_batch)

        def local(value: Any) -> Any:
            if isinstance(value, tf.distribute.DistributedValues):
                return strategy.experimental_local_results(value)[0]
            return value

        for _, _, batches in iterator:
            data_batch = tree.map_structure(local, next(batches))
            break
        with strategy.scope():
            return self._symbolic_build(data_batch=data_batch)

    def _reduce_per_replica(values: Any, strategy: Any, reduction: Any) -> Any:
        mean = reduction == "mean" or (
            reduction == "auto" and not isinstance(strategy, tf.distribute.TPUStrategy)
        )
        if mean and multi_worker(strategy):
            return tree.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return reduce_per_replica(values, strategy, reduction)

    trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build  # noqa: SLF001
    trainer.reduce_per_replica = _reduce_per_replica
    return f"keras {version}: MultiWorkerMirroredStrategy fix for keras-team/keras#20585 applied"


class EventWriter:
    """A `Reporter` that appends each call as a JSON line to a file the kernel tails."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def _write(self, call: str, *args: Any) -> None:
        line = json.dumps({"call": call, "args": list(args)}, default=repr)
        with self._lock:
            self._handle.write(line + "\n")
            self._handle.flush()

    def info(self, info: Mapping[str, Any]) -> None:
        """Tell the kernel about this cluster (devices, replicas, notes)."""
        self._write("info", dict(info))

    def params(self, params: Mapping[str, Any]) -> None:
        """Send a fit's parameters."""
        self._write("params", dict(params))

    def metrics(self, values: Mapping[str, float], step: int, kind: MetricKind) -> None:
        """Send metric values."""
        self._write("metrics", {k: float(v) for k, v in values.items()}, step, kind)

    def progress(self, progress: Progress) -> None:
        """Send progress."""
        self._write("progress", dataclasses.asdict(progress))

    def artifact(self, path: str, name: str) -> None:
        """Copy the file into the job folder and send its place."""
        folder = self.path.parent / "artifacts"
        folder.mkdir(exist_ok=True)
        target = folder / f"{time.monotonic_ns()}-{Path(path).name}"
        shutil.copyfile(path, target)
        self._write("artifact", str(target.relative_to(self.path.parent)), name)

    def status(self, status: Status, detail: str | None = None) -> None:
        """Send a fit's status."""
        self._write("status", status, detail)

    def warn(self, message: str) -> None:
        """Send a warning."""
        self._write("warn", message)

    def close(self) -> None:
        """Close the file."""
        self._handle.close()


def watch_kernel(folder: Path) -> None:
    """Exit when the kernel that started this worker is gone or the job's stop file appears."""
    parent = os.environ.get(PARENT_ENV)
    stop = folder / STOP_FILE

    def watch() -> None:
        while not stop.exists() and (parent is None or os.getppid() == int(parent)):
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, name="mlwork-watch", daemon=True).start()


def _task_index() -> int:
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    return int(config.get("task", {}).get("index", 0))


def shipped_namespace(job: Job, files: ModelFiles) -> dict[str, Any]:
    """Return a fresh ``__main__`` namespace holding the job's modules and values."""
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    for name, module in job.modules.items():
        namespace[name] = importlib.import_module(module)
    for name, data in job.values.items():
        namespace[name] = loads(data, files)
    return namespace


def _outcome(
    folder: Path, job: Job, namespace: Mapping[str, Any], result: Any, models: list[Any]
) -> None:
    """Save what the chief's cell bound, its value and its trained models for the kernel."""
    files = ModelFiles(folder / "result")
    values: dict[str, bytes] = {}
    skipped: list[str] = []
    for name in job.returns:
        if name not in namespace:
            continue
        try:
            values[name] = dumps(namespace[name], files)
        except Exception as exc:
            skipped.append(f"`{name}` ({error_line(exc)})")
    raw_result = None
    if result is not None:
        try:
            raw_result = dumps(result, files)
        except Exception as exc:
            skipped.append(f"the cell's value ({error_line(exc)})")
    artifacts = []
    for model in models:
        try:
            artifacts.append((files.save(model), f"{getattr(model, 'name', 'model')}.keras"))
        except Exception as exc:
            skipped.append(f"a trained model's artifact ({error_line(exc)})")
    warnings = [f"not brought back from the chief: {', '.join(skipped)}"] if skipped else []
    outcome = {"values": values, "result": raw_result, "artifacts": artifacts, "warnings": warnings}
    (folder / OUTCOME_FILE).write_bytes(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))


def _run(folder: Path, job: Job, index: int) -> None:
    import tensorflow as tf

    from mlwork_jupyter.ml.devices import detect
    from mlwork_jupyter.ml.keras_capture import capture_keras_fit
    from mlwork_jupyter.ml.strategy import enable_mixed_precision

    fix = apply_keras_fix()
    devices = detect()  # GPU memory growth before TensorFlow initialises the GPUs
    implementation = tf.distribute.experimental.CommunicationImplementation
    ring = os.environ.get(COMMUNICATION_ENV) == "ring"  # workers sharing a GPU: no NCCL
    strategy = tf.distribute.MultiWorkerMirroredStrategy(
        communication_options=tf.distribute.experimental.CommunicationOptions(
            implementation=implementation.RING if ring else implementation.AUTO
        )
    )
    events = EventWriter(folder / EVENTS_FILE) if index == 0 else None
    info: dict[str, Any] = {
        "replicas": strategy.num_replicas_in_sync,
        "devices": devices.to_dict(),
        "keras_fix": fix,
    }
    if job.mixed_precision:
        info["mixed_precision"] = enable_mixed_precision(devices)
    if events is not None:
        events.info(info)
    source = job.source
    linecache.cache[job.filename] = (
        len(source),
        None,
        source.splitlines(keepends=True),
        job.filename,
    )
    code = marshal.loads(job.code)  # noqa: S302 - the kernel's own compiled cell
    last = None if job.last_expr is None else marshal.loads(job.last_expr)  # noqa: S302
    with contextlib.ExitStack() as stack:
        stack.enter_context(strategy.scope())
        namespace = shipped_namespace(job, ModelFiles(folder / "ship"))
        capture = None if events is None else stack.enter_context(capture_keras_fit(events))
        exec(code, namespace)  # noqa: S102 - running the user's cell is the point
        result = None if last is None else eval(last, namespace)  # noqa: S307
    if events is not None and capture is not None:
        _outcome(folder, job, namespace, result, capture.models)
        events.close()


def cell_traceback(exc: BaseException, filename: str) -> str:
    """Format the traceback from the cell's own frame down (all of it without one)."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb or exc.__traceback__))


def main(argv: list[str] | None = None) -> int:
    """Run the job in ``JOB_DIR`` as the worker ``TF_CONFIG`` names; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m mlwork_jupyter.ml.multiworker.worker")
    parser.add_argument("job_dir", type=Path, help="the folder `pack_job` wrote")
    folder: Path = parser.parse_args(argv).job_dir
    watch_kernel(folder)
    index = _task_index()
    job: Job | None = None
    try:
        job = Job.read(folder)
        _run(folder, job, index)
    except BaseException as exc:
        error = {
            "error": error_line(exc),
            "traceback": cell_traceback(exc, job.filename if job else ""),
        }
        # Whole or not at all: the kernel may be watching for it (a worker on another host).
        partial = folder / f".error-{index}.json"
        partial.write_text(json.dumps(error), encoding="utf-8")
        partial.replace(folder / f"error-{index}.json")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
