"""`LivePanel`: the live training panel, and a record, for a Keras `fit` in a plain cell.

Use it the way livelossplot's callback is used::

    from mlwork_jupyter.keras import LivePanel
    model.fit(x, y, epochs=20, validation_split=0.2, callbacks=[LivePanel()])

Inside a `%%mlwork train` (or `tune`) cell it does nothing: the stage already shows the panel
and records the fit. In any other cell it shows the panel, and, when the extension is loaded
(`%load_ext mlwork_jupyter`), records the fit as a `train` run with this cell's code. A fit
that raises ends its panel and run as `error` (`interrupted` for KeyboardInterrupt) when
the cell ends, since Keras calls no `on_train_end` then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlwork_jupyter.display.output import Output
from mlwork_jupyter.display.panel import Panel
from mlwork_jupyter.errors import error_line
from mlwork_jupyter.ml.keras_capture import callback_class, recorder_for
from mlwork_jupyter.stages.fit_reporter import RunReporter
from mlwork_jupyter.stages.run import ActiveRun, current_run

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlwork_jupyter.ml.reporter import Status

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


_FitCallback: Any = callback_class()


class LivePanel(_FitCallback):  # type: ignore[misc]
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
        super().__init__(None)
        self.title = title
        self._panel: Panel | None = None
        self._standalone: tuple[Any, ActiveRun, dict[str, Any]] | None = None
        self._watch: tuple[Any, Callable[[Any], None]] | None = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Show the panel (and open a run) unless a `%%mlwork train` cell already does."""
        active = current_run()
        if active is not None and active.record.stage in ("train", "tune"):
            self.recorder = None
            return
        title = self.title or str(getattr(self.model, "name", "model"))
        publish = Output(live=_in_kernel()).publisher()
        self._panel = None if publish is None else Panel(publish, title=title)
        run = active
        if run is None:
            self._standalone = _standalone_run(title)
            run = None if self._standalone is None else self._standalone[1]
        self.recorder = recorder_for(RunReporter(run, self._panel))
        self._end_with_the_cell()
        super().on_train_begin(logs)
        if self._panel is not None:
            self._panel.show()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Publish the final panel and close the run."""
        del logs
        self._end("ok")

    def _end_with_the_cell(self) -> None:
        """Close what a raising `fit` leaves open (Keras calls no `on_train_end` then)."""
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            return

        def after_cell(result: Any) -> None:
            error = getattr(result, "error_in_exec", None)
            if isinstance(error, KeyboardInterrupt):
                self._end("interrupted", "KeyboardInterrupt")
            else:
                self._end("error", error_line(error) if error else "fit raised")

        shell.events.register("post_run_cell", after_cell)
        self._watch = shell, after_cell

    def _end(self, status: Status, detail: str | None = None) -> None:
        recorder, self.recorder = self.recorder, None
        if recorder is None:
            return
        if self._watch is not None:
            shell, after_cell = self._watch
            self._watch = None
            shell.events.unregister("post_run_cell", after_cell)
        recorder.finish(status, detail)
        if self._panel is not None:
            self._panel.close(status)
        if self._standalone is not None:
            bench, run, env_summary = self._standalone
            self._standalone = None
            if status != "ok":
                run.record.error = detail
            bench.close_run(run, env_summary, status)
