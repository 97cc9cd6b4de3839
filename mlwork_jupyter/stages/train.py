"""The `train` stage: device and strategy, Keras and scikit-learn fits captured, live panel."""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
from typing import TYPE_CHECKING, Any, ClassVar

from mlwork_jupyter.ml.sklearn import FitInfo, capture_fits
from mlwork_jupyter.ml.strategy import STRATEGIES
from mlwork_jupyter.stages.base import CellRequest, Stage
from mlwork_jupyter.stages.fit_reporter import RunReporter

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator

    from mlwork_jupyter.display.output import Output
    from mlwork_jupyter.ml.strategy import StrategyChoice
    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["TrainStage", "uses_tensorflow"]

_TF_WORDS = re.compile(r"\b(?:keras|tensorflow|tf)\b")


def uses_tensorflow(code: str) -> bool:
    """Tell whether a cell needs TensorFlow set up: it names Keras or TF, or TF is loaded."""
    return "tensorflow" in sys.modules or _TF_WORDS.search(code) is not None


class TrainStage(Stage):
    """Train models: the device and strategy chosen, every fit recorded, a live panel."""

    name = "train"
    summary = "device and strategy; Keras and scikit-learn fits captured; live panel"
    panel_kind: ClassVar[str] = "train"

    def __init__(self, output: Output | None = None) -> None:
        super().__init__(output)
        self.choice: StrategyChoice | None = None
        self.devices: Any = None

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add `--strategy` and `--mixed-precision`."""
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

    def prepare(self, request: CellRequest) -> None:
        """Detect devices and choose the strategy before anything runs (errors: bad options)."""
        if not uses_tensorflow(request.code):
            return
        from mlwork_jupyter.ml.devices import detect
        from mlwork_jupyter.ml.strategy import choose_strategy

        options = request.options
        requested = getattr(options, "strategy", "auto") if options is not None else "auto"
        self.devices = detect()
        self.choice = choose_strategy(self.devices, requested, os.environ.get("TF_CONFIG"))

    @contextlib.contextmanager
    def around(self, run: ActiveRun, request: CellRequest) -> Iterator[None]:
        """Capture every fit of the cell inside the chosen strategy's scope."""
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
        from mlwork_jupyter.display.panel import Panel
        from mlwork_jupyter.ml.keras_capture import capture_keras_fit
        from mlwork_jupyter.ml.strategy import enable_mixed_precision, make_strategy

        choice = self.choice
        assert choice is not None
        run.record.device = {
            "devices": self.devices.to_dict(),
            "strategy": choice.name,
            "reason": choice.reason,
        }
        for note in self.devices.notes:
            run.warn(note)
        publish = None if self.output is None else self.output.publisher()
        panel = None
        if publish is not None:
            panel = Panel(publish, kind=self.panel_kind, title=run.record.name)
        reporter = RunReporter(run, panel)
        status = "error"
        with contextlib.ExitStack() as stack:
            options = request.options
            if options is not None and getattr(options, "mixed_precision", False):
                message = stack.enter_context(
                    _mixed_precision(enable_mixed_precision, self.devices)
                )
                run.record.device["mixed_precision"] = message
            if choice.name != "default":
                stack.enter_context(make_strategy(choice).scope())
            capture = stack.enter_context(capture_keras_fit(reporter))
            try:
                yield
                status = "ok"
            except KeyboardInterrupt:
                status = "interrupted"
                raise
            finally:
                if panel is not None and capture.fits:
                    panel.close(status)
                if status == "ok":
                    for model in capture.models:
                        _save_model(run, model)


@contextlib.contextmanager
def _mixed_precision(enable: Any, devices: Any) -> Iterator[str]:
    """Apply the mixed-precision policy for the cell; Keras' global policy is restored after."""
    import keras

    before = keras.mixed_precision.global_policy()
    try:
        yield enable(devices)
    finally:
        keras.mixed_precision.set_global_policy(before)


def _save_model(run: ActiveRun, model: Any) -> None:
    """Store a trained model as a `.keras` artifact; a model that cannot be saved is noted."""
    try:
        run.log_artifact(model, f"{getattr(model, 'name', 'model')}.keras")
    except Exception as exc:
        run.warn(f"trained model not saved ({type(exc).__name__}: {exc})".splitlines()[0])
