"""The `train` stage: device and strategy, fits captured, live panel; or a multi-worker cluster."""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import linecache
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from mlwork_jupyter.errors import error_line
from mlwork_jupyter.ml.sklearn import FitInfo, capture_fits
from mlwork_jupyter.ml.strategy import STRATEGIES
from mlwork_jupyter.stages.base import CellRequest, Stage
from mlwork_jupyter.stages.fit_reporter import RunReporter
from mlwork_jupyter.stages.namespace import cell_names

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator
    from types import CodeType

    from mlwork_jupyter.display.output import Output
    from mlwork_jupyter.display.panel import Panel
    from mlwork_jupyter.ml.keras_capture import KerasCapture
    from mlwork_jupyter.ml.multiworker.cluster import ClusterSpec
    from mlwork_jupyter.ml.strategy import StrategyChoice
    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["TrainStage", "save_model", "uses_tensorflow"]

_TF_WORDS = re.compile(r"\b(?:keras|tensorflow|tf)\b")


def uses_tensorflow(code: str) -> bool:
    """Tell whether a cell needs TensorFlow set up: it names Keras or TF, or TF is loaded."""
    return "tensorflow" in sys.modules or _TF_WORDS.search(code) is not None


class TrainStage(Stage):
    """Train models: the device and strategy chosen, every fit recorded, a live panel."""

    name = "train"
    panel_kind: ClassVar[str] = "train"
    workers_help: ClassVar[str] = (
        "train on N worker processes on 127.0.0.1 (MultiWorkerMirroredStrategy)"
    )

    def __init__(self, output: Output | None = None) -> None:
        super().__init__(output)
        self.choice: StrategyChoice | None = None
        self.devices: Any = None
        self.workers: int | None = None
        self.cluster_spec: ClusterSpec | None = None
        self.job_dir: Path | None = None
        self._cluster_run: tuple[ActiveRun, RunReporter] | None = None
        # Until the cell imports Keras, the devices are `probe`'s (no TensorFlow imported).
        self.deferred = False
        self.requested = "auto"

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add `--strategy`, `--mixed-precision` and `--workers`."""
        parser.add_argument(
            "--strategy",
            default="auto",
            choices=["auto", *STRATEGIES],
            help="distribution strategy (default: chosen from the devices found)",
        )
        parser.add_argument(
            "--mixed-precision",
            action="store_true",
            help="use mixed precision on GPUs that benefit (compute capability 7.0 or newer)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            metavar="N",
            help=cls.workers_help,
        )
        parser.add_argument(
            "--hosts",
            metavar="HOST:PORT,...",
            help="the workers' addresses, the chief (this machine) first; you start the others",
        )
        parser.add_argument(
            "--job-dir",
            type=Path,
            metavar="DIR",
            help="where the workers' job folder goes (a folder every host shares, for --hosts)",
        )

    def prepare(self, request: CellRequest) -> None:
        """Detect devices and choose the strategy before anything runs (errors: bad options)."""
        options = request.options
        requested = getattr(options, "strategy", "auto") if options is not None else "auto"
        if self._prepare_workers(options, requested):
            return  # the workers choose their devices, not this kernel
        self._choose_strategy(request.code, requested)

    def _choose_strategy(self, code: str, requested: str) -> None:
        """Find the devices and choose the strategy for a cell that uses TensorFlow.

        Until the cell's own code imports Keras, TensorFlow stays unimported: the devices come
        from ``nvidia-smi`` (`probe`), so that the cell can still set ``KERAS_BACKEND`` or
        ``TF_CPP_MIN_LOG_LEVEL`` first; TensorFlow's own view (`detect`) follows at that import.
        """
        if not uses_tensorflow(code):
            return
        from mlwork_jupyter.ml.devices import detect, probe, tpu_configured
        from mlwork_jupyter.ml.strategy import choose_strategy

        self.requested = requested
        self.deferred = not any(m in sys.modules for m in ("keras", "tensorflow"))
        self.deferred = self.deferred and not tpu_configured()
        self.devices = probe() if self.deferred else detect()
        self.choice = choose_strategy(self.devices, requested, os.environ.get("TF_CONFIG"))

    @property
    def runs_here(self) -> bool:
        """False for `--workers`/`--hosts`: the body runs on the cluster (the cell-magic path)."""
        return self.workers is None

    def _prepare_workers(self, options: argparse.Namespace | None, strategy: str) -> bool:
        """Check `--workers`, `--hosts` and `--job-dir`; tell whether the cell runs on workers."""
        from mlwork_jupyter.ml.multiworker.cluster import WorkersError, check_workers, hosts_cluster

        workers = getattr(options, "workers", None)
        hosts = getattr(options, "hosts", None)
        self.job_dir = getattr(options, "job_dir", None)
        if self.job_dir is not None and not self.job_dir.is_dir():
            raise WorkersError(f"--job-dir {str(self.job_dir)!r} is not a folder")
        if hosts is not None:
            self.cluster_spec = hosts_cluster(hosts, workers, job_dir=self.job_dir)
            workers = len(self.cluster_spec.addresses)
        if workers is None:
            if self.job_dir is not None:
                raise WorkersError("--job-dir goes with --workers N or --hosts")
            return False
        check_workers(workers, strategy, available=importlib.util.find_spec)
        if workers > 1:
            self.workers = workers
        return self.workers is not None

    @contextlib.contextmanager
    def around(self, run: ActiveRun, request: CellRequest) -> Iterator[None]:
        """Capture every fit of the cell inside the chosen strategy's scope."""
        if self.workers is not None:
            with self._cluster(run):
                yield
            return
        if "sklearn" in request.code and "sklearn.base" not in sys.modules:
            # The cell imports scikit-learn itself: load its base class first, so that the
            # estimator classes it imports are wrapped as they are defined.
            importlib.import_module("sklearn.base")

        def report(fit: FitInfo) -> None:
            short = fit.estimator.rsplit(".", 1)[-1]
            run.log_params({"estimator": fit.estimator})
            run.log_params({f"{short}.{key}": value for key, value in fit.params.items()})
            run.log_metrics({f"{short}.fit_seconds": fit.duration_s})

        with capture_fits(report):
            if self.choice is None:
                yield
            else:
                with self._keras(run, request):
                    yield

    @contextlib.contextmanager
    def _keras(self, run: ActiveRun, request: CellRequest) -> Iterator[None]:
        """Capture Keras fits in the chosen strategy: now, or when the cell imports Keras."""
        from mlwork_jupyter.ml.import_hook import when_imported

        panel, reporter = self._fit_reporting(run)
        # The live panel replaces Keras' progress lines, unless kept or `verbose=` is given.
        quiet = panel is not None and not getattr(self.output, "keras_progress", False)
        captures: list[KerasCapture] = []
        with contextlib.ExitStack() as stack:

            def set_up() -> None:
                captures.append(self._set_up_keras(run, request, stack, reporter, quiet=quiet))

            def set_up_at_import() -> None:
                try:
                    set_up()
                except Exception as exc:  # the user's import must not fail for our sake
                    run.warn(f"Keras fits not captured ({error_line(exc)})")

            if self.deferred:
                stack.enter_context(when_imported(("keras",), set_up_at_import))
            else:
                set_up()

            def finish(status: str) -> None:
                if captures:
                    self._fits_done(run, panel, captures[0], status)

            with _on_exit(finish):
                yield

    def _set_up_keras(
        self,
        run: ActiveRun,
        request: CellRequest,
        stack: contextlib.ExitStack[bool | None],
        reporter: RunReporter,
        *,
        quiet: bool,
    ) -> KerasCapture:
        """Enter mixed precision, the strategy's scope and the fit capture; record the device."""
        import keras

        from mlwork_jupyter.ml.keras_capture import capture_keras_fit
        from mlwork_jupyter.ml.strategy import (
            StrategyChoice,
            choose_strategy,
            enable_mixed_precision,
            make_strategy,
        )

        backend = str(keras.backend.backend())
        if self.deferred and backend == "tensorflow":
            from mlwork_jupyter.ml.devices import detect

            # TensorFlow is imported now, by Keras: what it sees, memory growth before any op.
            self.devices = detect()
            self.choice = choose_strategy(self.devices, self.requested, os.environ.get("TF_CONFIG"))
        elif backend != "tensorflow":
            self.choice = StrategyChoice(
                "default", f"Keras runs on its {backend} backend: no TensorFlow strategy"
            )
        choice = self.choice
        assert choice is not None
        run.record.device = {
            "devices": self.devices.to_dict(),
            "strategy": choice.name,
            "reason": choice.reason,
            "keras_backend": backend,
        }
        if self.devices.startup_messages:
            run.record.device["tensorflow_messages"] = self.devices.startup_messages
        for note in self.devices.notes:
            run.warn(note)
        options = request.options
        if backend == "tensorflow" and getattr(options, "mixed_precision", False):
            message = stack.enter_context(_mixed_precision(enable_mixed_precision, self.devices))
            run.record.device["mixed_precision"] = message
        if choice.name != "default":
            stack.enter_context(make_strategy(choice).scope())
        return stack.enter_context(
            capture_keras_fit(reporter, route=self._fit_route(), quiet=quiet)
        )

    def _fit_reporting(self, run: ActiveRun) -> tuple[Panel | None, RunReporter]:
        """Return the live panel (None in a terminal) and the reporter the fits report to."""
        from mlwork_jupyter.display.panel import Panel

        publish = None if self.output is None else self.output.publisher()
        panel = (
            None if publish is None else Panel(publish, kind=self.panel_kind, title=run.record.name)
        )
        return panel, RunReporter(run, panel)

    def _fit_route(self) -> Callable[[], Any] | None:
        """Where a fit reports instead of the run (a tune trial); None: always the run."""
        return None

    def _fits_done(
        self, run: ActiveRun, panel: Panel | None, capture: KerasCapture, status: str
    ) -> None:
        """Close the panel and keep the trained models, once the cell's fits are done."""
        if panel is not None and capture.fits:
            panel.close(status)
        if status == "ok":
            for model in capture.models:
                save_model(run, model)

    @contextlib.contextmanager
    def _cluster(self, run: ActiveRun) -> Iterator[None]:
        """Connect the chief's stream to the record and a live panel while the workers run."""
        from mlwork_jupyter.display.panel import Panel

        publish = None if self.output is None else self.output.publisher()
        panel = None
        shown: list[bool] = []
        if publish is not None:
            inner = publish

            def publish_seen(bundle: dict[str, Any], update: bool) -> None:  # noqa: FBT001
                shown.append(True)
                inner(bundle, update)

            panel = Panel(publish_seen, kind=self.panel_kind, title=run.record.name)
        reporter = RunReporter(run, panel)
        self._cluster_run = (run, reporter)

        def finish(status: str) -> None:
            self._cluster_run = None
            if panel is not None and shown:  # a fit on the chief showed it
                panel.close(status)

        with _on_exit(finish):
            yield

    def run_body(
        self,
        request: CellRequest,
        namespace: dict[str, Any],
        code: CodeType,
        last_expr: CodeType | None,
    ) -> Any:
        """Run the cell here, or with `--workers N` on N worker processes (`_on_workers`)."""
        if self.workers is None or self._cluster_run is None:
            return super().run_body(request, namespace, code, last_expr)
        with tempfile.TemporaryDirectory(prefix="mlwork-job-", dir=self.job_dir) as tmp:
            return self._on_workers(Path(tmp), request, namespace, (code, last_expr))

    def _on_workers(
        self,
        folder: Path,
        request: CellRequest,
        namespace: dict[str, Any],
        compiled: tuple[CodeType, CodeType | None],
    ) -> Any:
        """Ship the cell, run it on the cluster, bring the chief's bindings back."""
        from mlwork_jupyter.ml.multiworker.cluster import local_cluster
        from mlwork_jupyter.ml.multiworker.job import run_job
        from mlwork_jupyter.ml.multiworker.shipping import pack_job

        assert self.workers is not None
        assert self._cluster_run is not None
        run, reporter = self._cluster_run
        names = cell_names(ast.parse(request.code))
        options = request.options
        pack_job(
            folder,
            *compiled,
            source=_cell_source(request),
            namespace=namespace,
            reads=names.loads,
            stores=names.stores,
            mixed_precision=bool(getattr(options, "mixed_precision", False)),
        )
        spec = self.cluster_spec or local_cluster(self.workers)
        device: dict[str, Any] = {
            "strategy": "multi_worker_mirrored",
            "reason": f"a cluster of {self.workers} worker processes",
            "cluster": spec.describe(),
        }
        run.record.device = device

        def on_info(info: dict[str, Any]) -> None:
            device["devices"] = info.get("devices")
            device["cluster"]["replicas"] = info.get("replicas")
            for key in ("keras_fix", "mixed_precision"):
                if info.get(key):
                    device[key] = info[key]
            if "unpatched" in str(info.get("keras_fix", "")):
                run.warn(str(info["keras_fix"]))

        outcome = run_job(folder, spec, reporter, on_info=on_info, echo=_echo)
        for line in outcome.warnings:
            run.warn(line)
        for path, name in outcome.artifacts:
            try:
                run.log_artifact(path, name)
            except Exception as exc:
                run.warn(f"trained model not saved ({error_line(exc)})")
        namespace.update(outcome.values)
        return outcome.result


def _cell_source(request: CellRequest) -> str:
    """Return the source the cell was compiled from (IPython caches it), line numbers kept."""
    lines = linecache.getlines(request.filename)
    if lines:
        return "".join(lines)
    return "\n" * (request.first_line - 1) + request.code


def _echo(text: str) -> None:
    """Show the chief's standard output as the cell's own."""
    sys.stdout.write(text)
    sys.stdout.flush()


@contextlib.contextmanager
def _on_exit(finish: Callable[[str], None]) -> Iterator[None]:
    """Call `finish` with how the cell ended: ``ok``, ``interrupted`` or ``error``."""
    status = "error"
    try:
        yield
        status = "ok"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        finish(status)


@contextlib.contextmanager
def _mixed_precision(enable: Any, devices: Any) -> Iterator[str]:
    """Apply the mixed-precision policy for the cell; Keras' global policy is restored after."""
    import keras

    before = keras.mixed_precision.global_policy()
    try:
        yield enable(devices)
    finally:
        keras.mixed_precision.set_global_policy(before)


def save_model(run: ActiveRun, model: Any) -> None:
    """Store a trained model as an artifact: Keras' as `.keras`, else its weights; others pickled.

    A subclassed model without `get_config` cannot be saved whole; its weights
    (``NAME.weights.h5``) still let deploy and rerun rebuild it from the cell's code.
    """
    keras_made = ("keras", "tf_keras", "tensorflow")
    if not any(cls.__module__.startswith(keras_made) for cls in type(model).__mro__):
        try:
            run.log_artifact(model)
        except Exception as exc:
            run.warn(f"best model not saved ({error_line(exc)})")
        return
    name = str(getattr(model, "name", "model"))
    try:
        run.log_artifact(model, f"{name}.keras")
    except Exception as exc:
        reason = error_line(exc)
    else:
        return
    try:
        with tempfile.TemporaryDirectory(prefix="mlwork-weights-") as tmp:
            path = Path(tmp) / f"{name}.weights.h5"
            model.save_weights(path)
            run.log_artifact(path)
    except Exception as exc:
        run.warn(f"trained model not saved ({reason}), nor its weights ({error_line(exc)})")
    else:
        run.warn(f"trained model not saved as .keras ({reason}); its weights are: {path.name}")
