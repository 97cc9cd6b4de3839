"""The chief's oracle server of a `--workers` tune cell: keras-tuner's servicer, on loopback.

`serve` takes the place of keras-tuner's ``oracle_chief.start_server`` while a tune cell's
workers run (`tuner_cluster`). The same ``OracleServicer`` answers the workers, with a thread per
worker (keras-tuner's server has one), bound to the cluster's ``127.0.0.1`` address only. Every
0.2 s (keras-tuner: every second, then every 20 s) it checks keras-tuner's own end condition (a
worker was told to stop and ``exit_chief`` holds) and the workers: one that exited gives up its
running trial, which ends as failed so that the search can end without it; when all exited
before the search ended, a `WorkerError` ends it. An error the oracle raises while answering a
worker (``max_consecutive_failed_trials`` reached) is raised here, as a search without workers
raises it, and never leaves the oracle's lock held.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent import futures
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import MlworkError, error_line

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlwork_jupyter.ml.multiworker.tuner_cluster import TunerCluster, TunerWorker

__all__ = ["OracleServerError", "serve"]

_METHODS = (
    "GetSpace",
    "UpdateSpace",
    "CreateTrial",
    "UpdateTrial",
    "EndTrial",
    "GetTrial",
    "GetBestTrials",
)


class OracleServerError(MlworkError, OSError):
    """The chief's oracle cannot listen on its address."""


@contextlib.contextmanager
def _oracle_lock(oracle: Any) -> Iterator[None]:
    """Hold the oracle's lock the way keras-tuner's ``synchronized`` does, released on errors.

    ``synchronized`` does not release the lock when the method raises, which would block every
    other worker's request for good.
    """
    from keras_tuner.src.engine.oracle import LOCKS, THREADS

    name = threading.current_thread().name
    if THREADS[oracle] == name:  # already held by this thread: ``synchronized`` re-enters so
        yield
        return
    LOCKS[oracle].acquire()
    THREADS[oracle] = name
    try:
        yield
    finally:
        THREADS[oracle] = None
        LOCKS[oracle].release()


def _servicer(base: type, oracle: Any) -> Any:
    """Return keras-tuner's servicer whose answers hold the oracle's lock and keep its error."""

    def guard(method: Any) -> Any:
        def answer(self: Any, request: Any, context: Any) -> Any:
            try:
                with _oracle_lock(self.oracle):
                    return method(self, request, context)
            except Exception as exc:
                self.error = self.error or exc
                import grpc  # type: ignore[import-untyped]

                # The worker gets the oracle's error; gRPC logs nothing in the kernel.
                context.abort(grpc.StatusCode.INTERNAL, error_line(exc))
                raise  # not reached: `abort` raises

        answer.__name__ = method.__name__
        return answer

    namespace: dict[str, Any] = {name: guard(getattr(base, name)) for name in _METHODS}
    servicer = type("GuardedOracleServicer", (base,), namespace)(oracle)
    servicer.error = None
    return servicer


def _release(oracle: Any, worker: TunerWorker) -> None:
    """End a worker's running trial as failed and forget the worker: it is gone."""
    from keras_tuner.src.engine import trial as trial_module

    with _oracle_lock(oracle):
        oracle.tuner_ids.discard(worker.tuner_id)
        running = oracle.ongoing_trials.get(worker.tuner_id)
        if running is None:
            return
        message = (
            f"keras-tuner worker {worker.tuner_id} exited with code {worker.exit_code} "
            f"during this trial: {worker.last_line()}"
        )
        oracle.end_trial(
            trial_module.Trial(
                running.hyperparameters,
                trial_id=running.trial_id,
                status=trial_module.TrialStatus.FAILED,
                message=message,
            )
        )


def serve(oracle: Any, cluster: TunerCluster, *, poll_s: float = 0.2, grace_s: float = 1.0) -> None:
    """Answer the cluster's workers for `oracle` until the search is done (``start_server``).

    Raises
    ------
    WorkerError
        When every worker exited before the search ended.
    OracleServerError
        When the oracle's address cannot be bound.
    """
    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute import oracle_chief

    servicer = _servicer(oracle_chief.OracleServicer, oracle)
    executor = futures.ThreadPoolExecutor(
        max_workers=cluster.size + 1, thread_name_prefix="mlwork-oracle"
    )
    server = grpc.server(executor)
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(cluster.address)
    except RuntimeError:
        bound = 0
    if not bound:
        executor.shutdown(wait=False)
        raise OracleServerError(
            f"the oracle cannot listen on {cluster.address} (taken meanwhile); run the cell again"
        )
    server.start()
    try:
        while True:
            for worker in cluster.exited():
                _release(oracle, worker)
            if servicer.error is not None:
                raise servicer.error
            if servicer.stop_triggered and oracle_chief.exit_chief(oracle):
                return
            if cluster.all_exited():
                raise cluster.failure()
            time.sleep(poll_s)
    finally:
        # In-flight answers (a worker's last "stop") get `grace_s` to reach it.
        server.stop(grace_s).wait(grace_s + 1.0)
        executor.shutdown(wait=False, cancel_futures=True)
