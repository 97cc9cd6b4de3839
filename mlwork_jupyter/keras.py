"""`LivePanel`: the live training panel, and a record, for a Keras `fit` in a plain cell.

Use it the way livelossplot's callback is used::

    from mlwork_jupyter.keras import LivePanel
    model.fit(x, y, epochs=20, validation_split=0.2, callbacks=[LivePanel()])

Inside a `%%mlwork train` (or `tune`) cell it does nothing: the stage already shows the panel
and records the fit. In any other cell it shows the panel, and, when the extension is loaded
(`%load_ext mlwork_jupyter`), records the fit as a `train` run with this cell's code. A fit
that raises leaves its panel as it last was.
"""

from __future__ import annotations

from typing import Any

import keras

from mlwork_jupyter.display.output import Output
from mlwork_jupyter.display.panel import Panel
from mlwork_jupyter.ml.keras_capture import FitRecorder, recorder_for
from mlwork_jupyter.stages.fit_reporter import RunReporter
from mlwork_jupyter.stages.run import ActiveRun, current_run

__all__ = ["LivePanel"]


def _cell_code() -> str:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        return str(shell.history_manager.input_hist_raw[-1]) if shell is not None else ""
    except Exception:
        return ""


def _in_kernel() -> bool:
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None


def _standalone_run(name: str) -> tuple[Any, ActiveRun, dict[str, Any]] | None:
    import mlwork_jupyter

    magics = mlwork_jupyter._magics  # noqa: SLF001 - the loaded extension, if any
    if magics is None:
        return None
    bench = magics.workbench()
    run, env_summary = bench.open_run("train", name, _cell_code())
    return bench, run, env_summary


class LivePanel(keras.callbacks.Callback):  # type: ignore[misc]
    """A Keras callback showing the live training panel of `mlwork_jupyter`.

    Parameters
    ----------
    title
        The panel's title and the run's name; default: the model's name.

    Examples
    --------
    >>> model.fit(x, y, epochs=20, callbacks=[LivePanel()])  # doctest: +SKIP
    """

    def __init__(self, title: str = "") -> None:
        super().__init__()
        self.title = title
        self._recorder: FitRecorder | None = None
        self._panel: Panel | None = None
        self._standalone: tuple[Any, ActiveRun, dict[str, Any]] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Show the panel (and open a run) unless a `%%mlwork train` cell already does."""
        del logs
        active = current_run()
        if active is not None and active.record.stage in ("train", "tune"):
            self._recorder = None
            return
        title = self.title or str(getattr(self.model, "name", "model"))
        publish = Output(live=_in_kernel()).publisher()
        self._panel = None if publish is None else Panel(publish, title=title)
        run = active
        if run is None:
            self._standalone = _standalone_run(title)
            run = None if self._standalone is None else self._standalone[1]
        self._recorder = recorder_for(RunReporter(run, self._panel))
        self._recorder.train_begin(self.model, self.params or {})
        if self._panel is not None:
            self._panel.show()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Note the epoch's start."""
        del logs
        if self._recorder is not None:
            self._recorder.epoch_begin(epoch)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Report the batch's values, throttled."""
        if self._recorder is not None:
            self._recorder.batch_end(batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Report the epoch's values."""
        if self._recorder is not None:
            self._recorder.epoch_end(epoch, logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Publish the final panel and close the run."""
        del logs
        if self._recorder is None:
            return
        self._recorder.finish("ok")
        if self._panel is not None:
            self._panel.close("ok")
        if self._standalone is not None:
            bench, run, env_summary = self._standalone
            bench.close_run(run, env_summary, "ok")
            self._standalone = None
