"""Capture of Keras `Model.fit`: every fit in a block reports to a `Reporter` through a callback.

Naming: the first fit of a capture reports bare names (``loss``, ``val_loss``, ``epochs``);
fit number k >= 2 prefixes every metric and parameter name with ``fitk/`` (``fit2/loss``),
so two fits in one cell give two series. Epoch metrics use the 1-based epoch as step; batch
metrics (kind ``"batch"``, at most one report per ``batch_interval_s``) use the 1-based
global batch number within the fit. Each epoch also reports ``epoch_seconds``. When an
``EarlyStopping`` callback watched the fit, its outcome is reported after the fit as the
parameter ``early_stopping`` (``monitor``, 1-based ``stopped_epoch``, ``best_epoch`` and
``restored_epoch``; None where it did not stop or restore).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import itertools
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import error_line
from mlwork_jupyter.ml.reporter import Progress
from mlwork_jupyter.provenance.record import json_safe

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from mlwork_jupyter.ml.reporter import Reporter, Status

__all__ = [
    "FitRecorder",
    "KerasCapture",
    "callback_class",
    "capture_keras_fit",
    "model_summary",
    "recorder_for",
]

_DEFAULT_BATCH_SIZE = 32


def _name_of(value: Any) -> Any:
    """Return a loss or metric as its name (strings kept, containers mapped)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {str(k): _name_of(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_name_of(v) for v in value]
    name = getattr(value, "name", None) or getattr(value, "__name__", None)
    return str(name) if name else type(value).__name__


def _is_array_like(x: Any) -> bool:
    if isinstance(x, list | tuple):
        return bool(x) and all(hasattr(v, "shape") for v in x)
    if isinstance(x, dict):
        return bool(x) and all(hasattr(v, "shape") for v in x.values())
    return hasattr(x, "shape") and not hasattr(x, "element_spec")


def _shape_text(layer: Any) -> str:
    try:
        shape = layer.output.shape
    except Exception:  # subclassed models' layers have no symbolic output
        return "?"
    return str(tuple(shape)) if shape is not None else "?"


def model_summary(model: Any) -> str:
    """Return a compact plain-text summary: one line per layer, then parameter counts.

    Cheaper than `Model.summary` (no rich rendering), which matters inside `fit`.
    """
    rows = [("layer", "type", "output shape", "params")]
    for layer in getattr(model, "layers", []):
        try:
            count = str(layer.count_params())
        except Exception:  # unbuilt layers cannot count
            count = "?"
        rows.append((str(layer.name), type(layer).__name__, _shape_text(layer), count))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f'Model: "{model.name}" ({type(model).__name__})']
    lines.extend(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3]
        for row in rows
    )
    trainable = sum(int(math.prod(w.shape)) for w in model.trainable_weights)
    total = model.count_params()
    lines.append(
        f"Total params: {total} (trainable {trainable}, non-trainable {total - trainable})"
    )
    return "\n".join(lines)


def _float32_as_written(value: Any) -> Any:
    """Return a float held in float32 as its shortest form: 1e-3, not 0.0010000000474974513."""
    if not isinstance(value, float) or not math.isfinite(value):
        return value
    import numpy as np

    single = np.float32(value)
    return float(str(single)) if float(single) == value else value


def _optimizer_params(optimizer: Any) -> dict[str, Any]:
    if optimizer is None:
        return {}
    found: dict[str, Any] = {"optimizer": type(optimizer).__name__}
    try:
        config = json_safe(optimizer.get_config())
    except Exception:  # a custom optimizer without a config
        return found
    if isinstance(config, dict):
        config = {k: _float32_as_written(v) for k, v in config.items()}
        found["optimizer_config"] = config
        if isinstance(config.get("learning_rate"), float | int):
            found["learning_rate"] = config["learning_rate"]
    return found


@dataclass
class _FitArguments:
    """What the `fit` call itself says (the callback cannot see it)."""

    batch_size: int | None
    validation_split: float
    validation_data: bool
    initial_epoch: int


@dataclass
class FitRecorder:
    """The state of one captured fit; the Keras callback forwards its hooks here.

    Not for direct use: `capture_keras_fit` creates one per `fit` call.
    """

    reporter: Reporter
    index: int
    arguments: _FitArguments
    batch_interval_s: float = 0.25
    prefix: str = field(init=False)
    epochs: int | None = field(init=False, default=None)
    steps: int | None = field(init=False, default=None)
    _start: float = field(init=False, default=0.0)
    _epoch_start: float = field(init=False, default=0.0)
    _next_batch_report: float = field(init=False, default=0.0)
    _epoch: int = field(init=False, default=0)
    _epochs_done: int = field(init=False, default=0)
    _batches_before: int = field(init=False, default=0)
    _last_batch: int = field(init=False, default=-1)
    _broken: bool = field(init=False, default=False)
    _finished: bool = field(init=False, default=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _watched: list[Any] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        """Set the name prefix of this fit."""
        self.prefix = "" if self.index == 1 else f"fit{self.index}/"

    def _guard(self, action: Callable[[], None]) -> None:
        """Run a report; a failing reporter disables this fit's capture, never the fit."""
        if self._broken:
            return
        try:
            action()
        except Exception as exc:
            self._broken = True
            with contextlib.suppress(Exception):
                self.reporter.warn(f"Keras fit capture stopped: {type(exc).__name__}: {exc}")

    def _names(self, values: Mapping[str, Any]) -> dict[str, float]:
        out: dict[str, float] = {}
        for key, value in values.items():
            try:
                out[self.prefix + key] = float(value)
            except (TypeError, ValueError):
                continue  # a non-scalar log entry (a per-class array) is not a series
        return out

    # --- hooks ------------------------------------------------------------------------------

    def train_begin(self, model: Any, params: Mapping[str, Any]) -> None:
        """Record parameters and the model description; start the clocks."""
        self._start = time.monotonic()
        self._next_batch_report = self._start + self.batch_interval_s
        self.epochs = params.get("epochs")
        self.steps = params.get("steps")
        self._epoch = self.arguments.initial_epoch
        self._guard(lambda: self.reporter.params(self._params(model)))
        self._guard(lambda: self.reporter.status("running"))

    def _params(self, model: Any) -> dict[str, Any]:
        args = self.arguments
        found: dict[str, Any] = {"epochs": self.epochs, "steps_per_epoch": self.steps}
        if args.batch_size is not None:
            found["batch_size"] = args.batch_size
        if args.initial_epoch:
            found["initial_epoch"] = args.initial_epoch
        if args.validation_split:
            found["validation_split"] = args.validation_split
        if args.validation_data:
            found["validation_data"] = True
        found.update(_optimizer_params(getattr(model, "optimizer", None)))
        found["loss"] = json_safe(_name_of(getattr(model, "loss", None)))
        try:
            metrics = model.get_compile_config().get("metrics")
        except Exception:  # not compiled through compile(), or a custom config
            metrics = None
        if metrics:
            found["metrics"] = json_safe(_name_of(metrics))
        found["model"] = f"{type(model).__name__} {model.name!r}"
        with contextlib.suppress(Exception):
            found["param_count"] = int(model.count_params())
            found["model_summary"] = model_summary(model)
        found = {k: v for k, v in found.items() if v is not None}
        found["fit"] = self.index
        return {self.prefix + k: v for k, v in found.items()}

    def epoch_begin(self, epoch: int) -> None:
        """Note the epoch's start."""
        self._epoch = epoch
        self._epoch_start = time.monotonic()

    def batch_end(self, batch: int, logs: Mapping[str, Any] | None) -> None:
        """Note the batch; report its values if `batch_interval_s` has passed since the last."""
        self._last_batch = batch
        now = time.monotonic()
        if now < self._next_batch_report or self._broken:
            return
        with self._lock:
            if now < self._next_batch_report:
                return
            self._next_batch_report = now + self.batch_interval_s
        values = self._names(logs or {})
        step = self._batches_before + batch + 1
        if values:
            self._guard(lambda: self.reporter.metrics(values, step, "batch"))
        self._guard(lambda: self.reporter.progress(self._progress(now, batch + 1)))

    def epoch_end(self, epoch: int, logs: Mapping[str, Any] | None) -> None:
        """Report the epoch's values (``val_*`` included), its duration and progress."""
        now = time.monotonic()
        self._epochs_done += 1
        self._batches_before += self._last_batch + 1
        done_steps = self._last_batch + 1
        self._last_batch = -1
        values = self._names(logs or {})
        values[self.prefix + "epoch_seconds"] = round(now - self._epoch_start, 6)
        self._guard(lambda: self.reporter.metrics(values, epoch + 1, "epoch"))
        self._guard(lambda: self.reporter.progress(self._progress(now, done_steps, ended=True)))

    def _progress(self, now: float, step: int, *, ended: bool = False) -> Progress:
        elapsed = now - self._start
        eta: float | None = None
        first = self.arguments.initial_epoch
        if self.epochs is not None:
            epochs_left = self.epochs - first
            if self.steps:
                done = self._epochs_done * self.steps + (0 if ended else step)
                total = epochs_left * self.steps
                if done:
                    eta = elapsed / done * max(total - done, 0)
            elif self._epochs_done:
                eta = elapsed / self._epochs_done * max(epochs_left - self._epochs_done, 0)
        return Progress(
            fit=self.index,
            epoch=self._epoch + 1,
            epochs=self.epochs,
            step=step,
            steps=self.steps,
            elapsed_s=round(elapsed, 3),
            eta_s=None if eta is None else round(eta, 3),
        )

    def watch(self, callbacks: Any) -> None:
        """Keep the fit's ``EarlyStopping`` callbacks, to report their outcome at the end."""
        import keras

        inner = getattr(callbacks, "callbacks", callbacks)
        found = inner if isinstance(inner, list | tuple) else [inner]
        early = keras.callbacks.EarlyStopping
        self._watched = [c for c in found if isinstance(c, early)]

    def _early_stopping(self) -> dict[str, Any] | None:
        """Return what the fit's (first) EarlyStopping did, epochs 1-based; None without one."""
        if not self._watched:
            return None
        callback = self._watched[0]
        stopped = int(getattr(callback, "stopped_epoch", 0) or 0)
        best = getattr(callback, "best_epoch", None)
        best_epoch = None if best is None or not self._epochs_done else int(best) + 1
        restored = bool(getattr(callback, "restore_best_weights", False)) and (
            getattr(callback, "best_weights", None) is not None
        )
        return {
            "monitor": str(getattr(callback, "monitor", "")) or None,
            "stopped_epoch": stopped + 1 if stopped > 0 else None,
            "best_epoch": best_epoch,
            "restored_epoch": best_epoch if restored else None,
        }

    def finish(self, status: Status, detail: str | None = None) -> None:
        """Report the fit's final status once (from the `fit` wrapper, on every exit path)."""
        if self._finished:
            return
        self._finished = True
        early = self._early_stopping()
        if early is not None:
            self._guard(lambda: self.reporter.params({self.prefix + "early_stopping": early}))
        if (
            status == "ok"
            and self.epochs is not None
            and self._epochs_done < (self.epochs - self.arguments.initial_epoch)
        ):
            detail = detail or f"stopped early after epoch {self._epoch + 1} of {self.epochs}"
        self._guard(lambda: self.reporter.status(status, detail))


def recorder_for(reporter: Reporter, *, batch_interval_s: float = 0.25) -> FitRecorder:
    """Return a recorder for a callback that sees only the hooks, not the `fit` call."""
    arguments = _FitArguments(
        batch_size=None, validation_split=0.0, validation_data=False, initial_epoch=0
    )
    return FitRecorder(reporter, 1, arguments, batch_interval_s)


def _shared_copy(callback: Any, memo: dict[int, Any]) -> Any:
    """Copy a callback that reports to the same recorder (which holds a lock: no deep copy).

    keras-tuner deep-copies the callbacks given to `search` for every trial.
    """
    clone = copy.copy(callback)
    memo[id(callback)] = clone
    return clone


@functools.cache
def callback_class() -> type:
    """Return the Keras callback that forwards `fit`'s hooks to a `FitRecorder`.

    Defined on first use, so that importing this module is cheap. It is the base of the
    callback `capture_keras_fit` appends and of the stand-alone `LivePanel`, the way Keras'
    `MonitorCallback` serves `EarlyStopping` and `ReduceLROnPlateau`: a subclass sets
    `recorder` (None forwards nothing) and adds what it owns around the hooks.
    """
    import keras

    class FitCallback(keras.callbacks.Callback):  # type: ignore[misc]
        """Forwards `fit`'s hooks to `self.recorder`."""

        # Our batch hook is thread-safe, so backends that dispatch batch callbacks on a
        # worker thread (JAX, torch) keep doing so.
        async_safe = True

        def __init__(self, recorder: FitRecorder | None = None) -> None:
            super().__init__()
            self.recorder = recorder

        __deepcopy__ = _shared_copy

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            del logs
            if self.recorder is not None:
                self.recorder.train_begin(self.model, self.params or {})

        def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            del logs
            if self.recorder is not None:
                self.recorder.epoch_begin(epoch)

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            if self.recorder is not None:
                self.recorder.batch_end(batch, logs)

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if self.recorder is not None:
                self.recorder.epoch_end(epoch, logs)

    return FitCallback


@dataclass
class KerasCapture:
    """What `capture_keras_fit` yields: the fits captured so far and the models they trained."""

    fits: int = 0
    models: list[Any] = field(default_factory=list)


def _with_callback(callbacks: Any, ours: Any, model: Any) -> tuple[Any, Callable[[], None]]:
    """Return the callbacks to pass with ours appended, and how to undo any in-place change."""
    if callbacks is None:
        return [ours], lambda: None
    if isinstance(callbacks, list | tuple):
        return [*callbacks, ours], lambda: None
    inner = getattr(callbacks, "callbacks", None)
    if isinstance(inner, list):  # a CallbackList: Keras uses it as given, so add to it
        ours.set_model(model)
        ours.set_params(getattr(callbacks, "params", None) or {})
        inner.append(ours)

        def undo() -> None:
            with contextlib.suppress(ValueError):
                inner.remove(ours)

        return callbacks, undo
    return [callbacks, ours], lambda: None  # a single callback object


def _arguments(bound: inspect.BoundArguments) -> _FitArguments:
    args = bound.arguments
    batch_size = args.get("batch_size")
    if batch_size is None and _is_array_like(args.get("x")):
        batch_size = _DEFAULT_BATCH_SIZE
    return _FitArguments(
        batch_size=json_safe(batch_size),
        validation_split=float(args.get("validation_split") or 0.0),
        validation_data=args.get("validation_data") is not None,
        initial_epoch=int(args.get("initial_epoch") or 0),
    )


@contextlib.contextmanager
def capture_keras_fit(
    reporter: Reporter,
    *,
    batch_interval_s: float = 0.25,
    route: Callable[[], tuple[Reporter, int] | None] | None = None,
    quiet: bool = False,
) -> Iterator[KerasCapture]:
    """Capture every `keras.Model.fit` called inside the block (imports Keras).

    For the block's duration `keras.Model.fit` is wrapped: each call gets a callback appended
    after the user's own (``callbacks`` may be None, a list, a `CallbackList` or a single
    callback) that reports parameters at train begin, every epoch's logs, per-batch logs at
    most once per `batch_interval_s`, progress with an ETA, and the fit's final status. The
    original `fit` is restored on every exit path. See the module docstring for names.

    Parameters
    ----------
    reporter
        Where the fits report.
    batch_interval_s
        Least time between two batch reports of one fit.
    route
        Asked at each fit's start: a ``(reporter, index)`` pair sends that fit elsewhere (a
        tune trial's own run) and leaves it out of the capture's count and models.
    quiet
        Pass ``verbose=0`` to a `fit` called without ``verbose`` (a live panel shows the
        progress); an explicit ``verbose`` is always kept.

    Yields
    ------
    KerasCapture
        Counts the fits captured.

    Examples
    --------
    >>> with capture_keras_fit(reporter) as capture:  # doctest: +SKIP
    ...     model.fit(x, y, epochs=3)
    """
    import keras

    model_class: Any = keras.Model
    had_own = "fit" in model_class.__dict__
    own = model_class.__dict__.get("fit")
    original = model_class.fit
    signature = inspect.signature(original)
    counter = itertools.count(1)
    capture = KerasCapture()
    fit_callback = callback_class()

    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError:
            return original(self, *args, **kwargs)  # Keras' own error for a bad call
        if quiet and "verbose" not in bound.arguments:
            bound.arguments["verbose"] = 0
        target = None if route is None else route()
        if target is None:
            capture.fits = index = next(counter)
            if not any(m is self for m in capture.models):
                capture.models.append(self)
            fit_reporter = reporter
        else:
            fit_reporter, index = target
        recorder = FitRecorder(fit_reporter, index, _arguments(bound), batch_interval_s)
        ours = fit_callback(recorder)
        recorder.watch(bound.arguments.get("callbacks"))
        bound.arguments["callbacks"], undo = _with_callback(
            bound.arguments.get("callbacks"), ours, self
        )
        try:
            result = original(*bound.args, **bound.kwargs)
        except KeyboardInterrupt:
            recorder.finish("interrupted", "KeyboardInterrupt")
            raise
        except BaseException as exc:
            recorder.finish("error", error_line(exc))
            raise
        finally:
            undo()
        recorder.finish("ok")
        return result

    model_class.fit = fit
    try:
        yield capture
    finally:
        if had_own:
            model_class.fit = own
        else:
            del model_class.fit
