"""The `train` stage: captures estimator fits on top of the workbench's recording."""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import TYPE_CHECKING

from mlwork_jupyter.ml.sklearn import FitInfo, capture_fits
from mlwork_jupyter.stages.base import CellRequest, Stage

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mlwork_jupyter.stages.run import ActiveRun

__all__ = ["TrainStage"]


class TrainStage(Stage):
    """Train models; every scikit-learn `fit` is recorded with its parameters and duration."""

    name = "train"
    summary = "fits captured: estimator, hyper-parameters, duration"

    @contextlib.contextmanager
    def around(self, run: ActiveRun, request: CellRequest) -> Iterator[None]:
        """Capture every outermost estimator `fit` made by the cell."""
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
            yield
