"""Capture of FLAML's `AutoML.fit` as a search: its trials are read from the log it writes."""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import inspect
import json
import math
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import error_line
from mlwork_jupyter.ml.tuning import SearchInfo, TrialResult
from mlwork_jupyter.provenance.record import json_safe

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import ModuleType

    from mlwork_jupyter.ml.tuning import TuningReporter

__all__ = ["THREAD_NAME", "capture_flaml"]

THREAD_NAME = "mlwork-flaml-log"
_POLL_S = 0.2
_JOIN_S = 5.0
_SETTINGS = ("time_budget", "metric", "task", "estimator_list", "seed", "max_iter", "eval_method")


def _warn(reporter: TuningReporter, message: str) -> None:
    with contextlib.suppress(Exception):
        reporter.warn(message)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _trial(record: dict[str, Any]) -> tuple[str, dict[str, Any], TrialResult]:
    """Return the trial id, params and result of one record of FLAML's log."""
    config = record.get("config")
    params = {"learner": record.get("learner"), **(config if isinstance(config, dict) else {})}
    params["sample_size"] = record.get("sample_size")
    logged = record.get("logged_metric")
    metrics: dict[str, float] = {}
    if isinstance(logged, dict):
        numbers = {str(k): _number(v) for k, v in logged.items()}
        metrics = {k: v for k, v in numbers.items() if v is not None}
    elif (value := _number(logged)) is not None:
        metrics["logged_metric"] = value
    loss = record.get("validation_loss")
    score = _number(loss)
    result = TrialResult(
        "ok" if score is not None else "failed",
        score,
        metrics=metrics,
        message=None if score is not None else f"validation_loss is {loss!r}",
        duration_s=_number(record.get("trial_time")),
        elapsed_s=_number(record.get("wall_clock_time")),
    )
    return str(record["record_id"]), json_safe(params), result


class _LogTail:
    """Reads the records FLAML appends to its log, from where this fit's records start."""

    def __init__(self, reporter: TuningReporter, path: Path, *, append: bool) -> None:
        self.reporter = reporter
        self.path = path
        self.lock = threading.Lock()
        self.offset = 0
        self.pending = b""
        self.seen: set[Any] = set()
        self.broken = False
        self.before: tuple[int, int, int] | None = None  # the old file, until FLAML rewrites it
        with contextlib.suppress(OSError):
            stat = path.stat()
            if append:
                self.offset = stat.st_size
            elif stat.st_size:
                self.before = (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def read(self, *, final: bool = False) -> None:
        """Report the records written since the last read; never raise."""
        with self.lock:
            try:
                lines = self._lines(final=final)
            except Exception as exc:
                self._warn_once(f"FLAML log {self.path} not read ({error_line(exc)})")
                return
            for line in lines:
                try:
                    self._record(line)
                except Exception as exc:
                    self._warn_once(f"FLAML trial not reported ({error_line(exc)})")

    def _warn_once(self, message: str) -> None:
        if not self.broken:
            self.broken = True
            _warn(self.reporter, message)

    def _lines(self, *, final: bool) -> list[bytes]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return []
        if self.before is not None:
            if (stat.st_ino, stat.st_size, stat.st_mtime_ns) == self.before:
                return []
            self.before = None  # FLAML truncated the user's old log: its records start at 0
        if stat.st_size < self.offset:
            self.offset, self.pending = 0, b""
        with self.path.open("rb") as file:
            file.seek(self.offset)
            data = file.read()
        self.offset += len(data)
        *lines, self.pending = (self.pending + data).split(b"\n")
        if final and self.pending.strip():
            lines.append(self.pending)
            self.pending = b""
        return lines

    def _record(self, line: bytes) -> None:
        if not line.strip():
            return
        record = json.loads(line)
        if not isinstance(record, dict) or "record_id" not in record:
            return  # the checkpoint line: ``{"curr_best_record_id": 2}``
        if record["record_id"] in self.seen:
            return
        self.seen.add(record["record_id"])
        trial_id, params, result = _trial(record)
        self.reporter.trial_begin(trial_id, params)
        self.reporter.trial_end(trial_id, result)


def _follow(tail: _LogTail, stop: threading.Event) -> None:
    while not stop.wait(_POLL_S):
        tail.read()


class _Capture:
    """The patch of one ``with`` block: where logs go, and whether a fit is being reported."""

    def __init__(self, reporter: TuningReporter, log_dir: Path) -> None:
        self.reporter = reporter
        self.log_dir = log_dir
        self.lock = threading.Lock()
        self.busy = False
        self.warned_better = False

    def fit(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def fit(automl: Any, *args: Any, **kwargs: Any) -> Any:
            with self.lock:
                outermost = not self.busy
                self.busy = True
            if not outermost:
                return original(automl, *args, **kwargs)
            try:
                return self._run(automl, original, args, kwargs)
            finally:
                self.busy = False

        return fit

    def _plan(
        self, automl: Any, original: Callable[..., Any], args: tuple[Any, ...], kwargs: Any
    ) -> tuple[tuple[Any, ...], dict[str, Any], _LogTail, SearchInfo]:
        """Return the arguments to call `fit` with, the log's tail and the search's info."""
        bound = inspect.signature(original).bind(automl, *args, **kwargs)
        settings = getattr(automl, "_settings", None)
        settings = settings if isinstance(settings, dict) else {}

        def setting(name: str) -> Any:
            value = bound.arguments.get(name)
            return settings.get(name) if value is None else value

        log_file = setting("log_file_name")
        log_type = bound.arguments.get("log_type") or settings.get("log_type") or "better"
        if log_file:  # the user's log, as they asked for it
            call_args, call_kwargs, path = args, kwargs, Path(log_file)
            append = bool(setting("append_log"))
        else:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix="flaml-", suffix=".log", dir=self.log_dir)
            os.close(handle)
            path = Path(name)
            bound.arguments["log_file_name"] = name
            if not bound.arguments.get("log_type"):  # one the user chose is theirs
                log_type = bound.arguments["log_type"] = "all"
            call_args, call_kwargs, append = bound.args[1:], bound.kwargs, False
        if log_type != "all" and not self.warned_better:
            self.warned_better = True
            _warn(
                self.reporter,
                f"FLAML logs only improving trials with log_type={log_type!r}: the others are "
                "not captured (pass log_type='all' to AutoML.fit to see every trial)",
            )
        described = {name: setting(name) for name in _SETTINGS}
        for name in ("task", "metric"):  # a Task object, a metric function
            value = described[name]
            described[name] = getattr(value, "name", getattr(value, "__name__", value))
        max_iter = described["max_iter"]
        space = {"estimator_list": json_safe(described["estimator_list"] or "auto")}
        if setting("custom_hp"):
            space["custom_hp"] = json_safe(setting("custom_hp"))
        info = SearchInfo(
            library="flaml",
            tuner=type(automl).__name__,
            objective="validation_loss",
            direction="min",
            max_trials=max_iter if isinstance(max_iter, int) and max_iter > 0 else None,
            space=space,
            settings=json_safe({**described, "log_file_name": str(path), "log_type": log_type}),
        )
        return call_args, call_kwargs, _LogTail(self.reporter, path, append=append), info

    def _run(
        self,
        automl: Any,
        original: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        try:
            call_args, call_kwargs, tail, info = self._plan(automl, original, args, kwargs)
            self.reporter.search_begin(info)
        except Exception as exc:  # unknown arguments too: FLAML says so itself
            _warn(self.reporter, f"FLAML search not reported ({error_line(exc)})")
            return original(automl, *args, **kwargs)
        stop = threading.Event()
        thread = threading.Thread(target=_follow, args=(tail, stop), name=THREAD_NAME, daemon=True)
        try:
            thread.start()
        except RuntimeError as exc:  # no thread to spare: the log is read once, at the end
            _warn(self.reporter, f"FLAML trials reported after the fit ({error_line(exc)})")
        error = None
        try:
            return original(automl, *call_args, **call_kwargs)
        except BaseException as exc:
            error = error_line(exc)
            raise
        finally:
            stop.set()
            if thread.is_alive():
                thread.join(_JOIN_S)
            tail.read(final=True)
            self._end(automl, error)

    def _end(self, automl: Any, error: str | None) -> None:
        try:
            best_model = None
            if error is None and getattr(automl.model, "estimator", None) is not None:
                best_model = lambda: automl.model.estimator  # noqa: E731
            self.reporter.search_end(error=error, best_model=best_model)
        except Exception as exc:
            _warn(self.reporter, f"FLAML search end not reported ({error_line(exc)})")


def _automl_module(reporter: TuningReporter) -> ModuleType | None:
    """Return `flaml.automl.automl`, importing it if FLAML is installed; None without it."""
    module = sys.modules.get("flaml.automl.automl")
    if module is not None:
        return module
    try:
        if importlib.util.find_spec("flaml") is None:
            return None
        return importlib.import_module("flaml.automl.automl")
    except ImportError:  # plain `flaml`, without its [automl] extra: no AutoML to capture
        return None
    except Exception as exc:
        _warn(reporter, f"FLAML searches not captured: importing FLAML failed ({error_line(exc)})")
        return None


@contextlib.contextmanager
def capture_flaml(reporter: TuningReporter, log_dir: Path) -> Iterator[None]:
    """Report every outermost FLAML `AutoML.fit` inside the block to `reporter`.

    FLAML has no callback hook: each fit writes a JSON-lines log, which a thread named
    `THREAD_NAME` tails while the fit runs (the rest is read before ``search_end``). A fit
    without a ``log_file_name`` (argument or `AutoML` setting) logs to a new file in
    `log_dir`, with ``log_type="all"`` unless the call chose one; a fit with one is followed
    there, and ``log_type="better"`` gets one warning (only improving trials are logged).
    Each record is a trial: id ``record_id``, params the learner, its config and sample
    size, score ``validation_loss``. The user's exceptions propagate unchanged; a failure of
    the reporting becomes ``reporter.warn``. `AutoML.fit` is restored on exit. FLAML is
    imported when it is installed; without it (or its ``[automl]`` extra), nothing is done.

    Parameters
    ----------
    reporter
        Where the searches and their trials go (called from the tailing thread too).
    log_dir
        Where the logs of fits without one of their own go; created when needed.

    Yields
    ------
    None
        Inside the block, `AutoML.fit` is captured.

    Examples
    --------
    >>> with capture_flaml(reporter, tmp_path):  # doctest: +SKIP
    ...     AutoML().fit(X, y, task="classification", time_budget=10)
    """
    module = _automl_module(reporter)
    cls: Any = getattr(module, "AutoML", None)
    original = None if cls is None else cls.__dict__.get("fit")
    if not callable(original):
        yield
        return
    capture = _Capture(reporter, log_dir)
    cls.fit = capture.fit(original)
    try:
        yield
    finally:
        cls.fit = original
