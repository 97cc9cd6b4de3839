"""Capture of scikit-learn estimator calls: `fit` (class, parameters, duration) and `score`."""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["FitInfo", "ScoreInfo", "capture_fits", "capture_scores"]


@dataclass(frozen=True, slots=True)
class FitInfo:
    """One outermost `fit` of an estimator, as it finished."""

    estimator: str
    params: dict[str, Any]
    duration_s: float
    ok: bool


@dataclass(frozen=True, slots=True)
class ScoreInfo:
    """One outermost `score(X, y)` of an estimator that returned a number."""

    estimator: str
    value: float
    rows: int | None


_MIXINS = ("ClassifierMixin", "RegressorMixin", "ClusterMixin", "DensityMixin", "OutlierMixin")


def _subclasses(base: type) -> list[type]:
    seen: list[type] = []
    stack: list[type] = [base]
    while stack:
        children: list[type] = type.__subclasses__(stack.pop())
        for cls in children:
            if cls not in seen:
                seen.append(cls)
                stack.append(cls)
    return seen


def _qualname(estimator: Any) -> str:
    cls = type(estimator)
    return f"{cls.__module__}.{cls.__qualname__}"


@contextlib.contextmanager
def _outermost_calls(  # noqa: C901 - one wrapper, its restore and the subclass hook
    method: str, seen: Callable[[Any, tuple[Any, ...], Any, float, bool], None]
) -> Iterator[None]:
    """Wrap `method` of every `BaseEstimator` class; report each outermost main-thread call.

    Classes defined during the block are wrapped as they are defined. Nested calls (a
    pipeline's steps, a search's candidates) are not reported. `seen` gets the estimator,
    the positional arguments, the result (None on error), the duration and whether it
    returned. Everything is restored on exit. Without scikit-learn imported, nothing is done.
    """
    base_module = sys.modules.get("sklearn.base")
    if base_module is None:
        yield
        return
    base: type = base_module.BaseEstimator
    depth = threading.local()
    patched: dict[type, Any] = {}

    def wrap(cls: type) -> None:
        original = cls.__dict__.get(method)
        if original is None or cls in patched or not callable(original):
            return

        @functools.wraps(original)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            level = getattr(depth, "level", 0)
            if level or threading.current_thread() is not threading.main_thread():
                return original(self, *args, **kwargs)
            depth.level = 1
            start = time.perf_counter()
            result: Any = None
            ok = False
            try:
                result = original(self, *args, **kwargs)
                ok = True
                return result
            finally:
                depth.level = 0
                with contextlib.suppress(Exception):  # reporting never breaks the user's call
                    seen(self, args, result, time.perf_counter() - start, ok)

        patched[cls] = original
        setattr(cls, method, wrapper)

    original_init_subclass = base.__dict__.get("__init_subclass__")

    def init_subclass(cls: type, **kwargs: Any) -> None:
        if original_init_subclass is not None:
            original_init_subclass.__func__(cls, **kwargs)
        else:
            super(base, cls).__init_subclass__(**kwargs)  # type: ignore[arg-type]
        wrap(cls)

    # Mixins that are no estimators define methods too (`ClassifierMixin.score`).
    mixins = [getattr(base_module, name) for name in _MIXINS if hasattr(base_module, name)]
    for cls in [base, *_subclasses(base), *mixins]:
        wrap(cls)
    base.__init_subclass__ = classmethod(init_subclass)  # type: ignore[assignment,arg-type]
    try:
        yield
    finally:
        if original_init_subclass is None:
            del base.__init_subclass__
        else:
            base.__init_subclass__ = original_init_subclass  # type: ignore[method-assign]
        for cls, original in patched.items():
            setattr(cls, method, original)


@contextlib.contextmanager
def capture_fits(report: Callable[[FitInfo], None]) -> Iterator[None]:
    """Report every outermost estimator `fit` made on the main thread inside the block.

    Every class deriving from `sklearn.base.BaseEstimator` that defines its own `fit` gets a
    wrapper for the duration of the block, classes defined during the block included; nested
    fits (a pipeline's steps, a forest's trees, a search's candidates) are not reported
    separately. Everything is restored on exit, whatever happened inside.
    Without scikit-learn imported, this does nothing.
    """

    def seen(estimator: Any, _args: tuple[Any, ...], _result: Any, took: float, ok: bool) -> None:  # noqa: FBT001
        try:
            params = estimator.get_params(deep=False)
        except Exception:
            params = {}
        report(FitInfo(_qualname(estimator), params, took, ok))

    with _outermost_calls("fit", seen):
        yield


@contextlib.contextmanager
def capture_scores(report: Callable[[ScoreInfo], None]) -> Iterator[None]:
    """Report every outermost estimator `score(X, y)` inside the block that returned a number.

    Wrapped and restored as `capture_fits` does; without scikit-learn imported, nothing.
    """

    def seen(estimator: Any, args: tuple[Any, ...], result: Any, _took: float, ok: bool) -> None:  # noqa: FBT001
        if not ok:
            return
        try:
            value = float(result)
        except (TypeError, ValueError):
            return
        rows = len(args[0]) if args and hasattr(args[0], "__len__") else None
        report(ScoreInfo(_qualname(estimator), value, rows))

    with _outermost_calls("score", seen):
        yield
