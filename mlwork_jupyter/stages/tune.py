"""The `tune` stage: keras-tuner, AutoKeras, FLAML and scikit-learn searches, trial by trial."""

from __future__ import annotations

import ast
import contextlib
import importlib
import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.stages.namespace import cell_names
from mlwork_jupyter.stages.train import TrainStage
from mlwork_jupyter.stages.tuning import TuneSession

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mlwork_jupyter.display.panel import Panel
    from mlwork_jupyter.ml.keras_capture import KerasCapture
    from mlwork_jupyter.ml.multiworker.tuner_cluster import TunerJob
    from mlwork_jupyter.stages.base import CellRequest
    from mlwork_jupyter.stages.fit_reporter import RunReporter
    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["TuneStage"]

# The modules a cell's code or the kernel names, for each search library.
_KERAS_TUNER = ("keras_tuner", "kerastuner", "autokeras")


def _wanted(code: str, modules: tuple[str, ...]) -> bool:
    """Tell whether a library is loaded, or named by the cell (and installed)."""
    if any(name in sys.modules for name in modules):
        return True
    return any(name in code for name in modules) and any(
        importlib.util.find_spec(name) is not None for name in modules
    )


class TuneStage(TrainStage):
    """Search hyper-parameters: every trial a child run, a live trials panel, the best model."""

    name = "tune"
    panel_kind = "tune"
    workers_help = (
        "search with N keras-tuner worker processes on 127.0.0.1 running the trials; "
        "this kernel serves the oracle"
    )

    def __init__(self, output: Any = None) -> None:
        super().__init__(output)
        self.session: TuneSession | None = None
        self.tuner_workers: int | None = None
        self.tuner_job: TunerJob | None = None

    def prepare(self, request: CellRequest) -> None:
        """Check the options; with `--workers N` also pack the cell for the workers.

        Packing here makes a value that cannot go a usage error, before anything runs.
        """
        options = request.options
        workers = getattr(options, "workers", None)
        if workers is None:
            super().prepare(request)
            return
        from mlwork_jupyter.ml.multiworker.cluster import WorkersError
        from mlwork_jupyter.ml.multiworker.tuner_cluster import TunerJob, check_tuner_workers

        check_tuner_workers(
            workers,
            strategy=getattr(options, "strategy", "auto"),
            hosts=getattr(options, "hosts", None),
            available=importlib.util.find_spec,
        )
        job_dir = getattr(options, "job_dir", None)
        if job_dir is not None and not job_dir.is_dir():
            raise WorkersError(f"--job-dir {str(job_dir)!r} is not a folder")
        self.tuner_workers = workers
        self.tuner_job = TunerJob(job_dir)
        try:
            self._pack(request)
        except BaseException:
            self.tuner_job.remove()
            raise
        self._choose_strategy(request.code, "auto")  # for the kernel: the chief, and a final fit

    def _pack(self, request: CellRequest) -> None:
        assert self.tuner_job is not None
        try:
            reads = cell_names(ast.parse(request.code)).loads
        except SyntaxError:
            reads = frozenset()  # `pack` says what the workers cannot run
        self.tuner_job.pack(
            request.code,
            namespace=self.namespace,
            reads=reads,
            filename=request.filename,
            first_line=request.first_line,
            mixed_precision=bool(getattr(request.options, "mixed_precision", False)),
        )

    @contextlib.contextmanager
    def around(self, run: ActiveRun, request: CellRequest) -> Iterator[None]:
        """Capture the cell's searches and fits; summarise the search when the cell ends."""
        if self.workers is not None:
            with super().around(run, request):
                yield
            return
        publish = None if self.output is None else self.output.publisher()
        panel = None
        if publish is not None:
            from mlwork_jupyter.display.tune_panel import TunePanel

            panel = TunePanel(publish, title=run.record.name)
        session = self.session = TuneSession(run, panel)
        code = request.code
        with contextlib.ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mlwork-tune-")))
            if _wanted(code, _KERAS_TUNER):
                for name in ("keras_tuner", "autokeras"):
                    if name in code and importlib.util.find_spec(name) is not None:
                        # Loaded before the cell runs, so that its tuner classes are patched.
                        importlib.import_module(name)
                from mlwork_jupyter.ml.tuning.keras_tuner import capture_keras_tuner

                stack.enter_context(capture_keras_tuner(session, quiet=panel is not None))
            if _wanted(code, ("sklearn",)):
                from mlwork_jupyter.ml.tuning.sklearn_search import capture_sklearn_searches

                stack.enter_context(capture_sklearn_searches(session))
            if _wanted(code, ("flaml",)):
                from mlwork_jupyter.ml.tuning.flaml_search import capture_flaml

                stack.enter_context(capture_flaml(session, tmp))
            status = "error"
            try:
                with super().around(run, request):
                    if self.tuner_workers is None:
                        yield
                    else:
                        with self._tuner_cluster(run, request):
                            yield
                status = "ok"
            except KeyboardInterrupt:
                status = "interrupted"
                raise
            finally:
                session.finish(status)
                self.session = None

    @contextlib.contextmanager
    def _tuner_cluster(self, run: ActiveRun, request: CellRequest) -> Iterator[None]:
        """Make the kernel keras-tuner's chief and run the workers while the cell runs."""
        from mlwork_jupyter.ml.multiworker.tuner_cluster import TunerCluster

        job, workers = self.tuner_job, self.tuner_workers
        assert job is not None
        assert workers is not None
        try:
            if not job.packed(request.code, self.namespace):
                self._pack(request)  # a form's values written in since `prepare`
            cluster = TunerCluster(job.folder, workers)
            ended = False
            try:
                with cluster.running():
                    run.record.device = {
                        **(run.record.device or {}),
                        "strategy": f"keras-tuner chief + {workers} worker"
                        + ("s" if workers > 1 else ""),
                        "reason": f"--workers {workers}: this kernel serves keras-tuner's "
                        "oracle, worker processes on 127.0.0.1 run the trials",
                        "cluster": cluster.describe(),
                    }
                    run.log_params({"tuner.workers": workers})
                    yield
                ended = True
            finally:
                for line in cluster.warnings:
                    run.warn(line)
                if ended and not cluster.searches:
                    run.warn(f"--workers {workers}: the cell ran no keras-tuner search")
        finally:
            job.remove()
            self.tuner_job = None

    def _fit_reporting(self, run: ActiveRun) -> tuple[Panel | None, RunReporter]:
        """Report fits to the session: the trials panel, and the trial's run or the tune run."""
        if self.session is None:
            return super()._fit_reporting(run)
        return self.session.panel, self.session.fit_reporter

    def _fit_route(self) -> Callable[[], Any] | None:
        return None if self.session is None else self.session.route

    def _fits_done(
        self, run: ActiveRun, panel: Panel | None, capture: KerasCapture, status: str
    ) -> None:
        """Hand the models of fits outside any trial to the session, which stores them.

        The session closes the panel and stores the best model (a final fit's, or the best
        trial's) when the whole cell is done.
        """
        del run, panel, status
        if self.session is not None:
            self.session.final_models = list(capture.models)
