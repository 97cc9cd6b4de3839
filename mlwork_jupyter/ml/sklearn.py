"""Capture of scikit-learn `fit` calls: estimator class, parameters and duration."""

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

__all__ = ["FitInfo", "capture_fits"]


@dataclass(frozen=True, slots=True)
class FitInfo:
    """One outermost `fit` of an estimator, as it finished."""

    estimator: str
    params: dict[str, Any]
    duration_s: float
    ok: bool


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


@contextlib.contextmanager
def capture_fits(report: Callable[[FitInfo], None]) -> Iterator[None]:  # noqa: C901
    """Report every outermost estimator `fit` made on the main thread inside the block.

    Every class deriving from `sklearn.base.BaseEstimator` that defines its own `fit` gets a
    wrapper for the duration of the block, classes defined during the block included; nested
    fits (a pipeline's steps, a forest's trees, a search's candidates) are not reported
    separately. Everything is restored on exit, whatever happened inside.
    Without scikit-learn imported, this does nothing.
    """
    base_module = sys.modules.get("sklearn.base")
    if base_module is None:
        yield
        return
    base: type = base_module.BaseEstimator
    depth = threading.local()
    patched: dict[type, Any] = {}

    def wrap(cls: type) -> None:
        original = cls.__dict__.get("fit")
        if original is None or cls in patched or not callable(original):
            return

        @functools.wraps(original)
        def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
            level = getattr(depth, "level", 0)
            if level or threading.current_thread() is not threading.main_thread():
                return original(self, *args, **kwargs)
            depth.level = 1
            start = time.perf_counter()
            ok = False
            try:
                result = original(self, *args, **kwargs)
                ok = True
                return result
            finally:
                depth.level = 0
                _report(self, time.perf_counter() - start, ok=ok)

        patched[cls] = original
        cls.fit = fit  # type: ignore[attr-defined]

    def _report(estimator: Any, duration: float, *, ok: bool) -> None:
        try:
            params = estimator.get_params(deep=False)
        except Exception:
            params = {}
        cls = type(estimator)
        report(FitInfo(f"{cls.__module__}.{cls.__qualname__}", params, duration, ok))

    original_init_subclass = base.__dict__.get("__init_subclass__")

    def init_subclass(cls: type, **kwargs: Any) -> None:
        if original_init_subclass is not None:
            original_init_subclass.__func__(cls, **kwargs)
        else:
            super(base, cls).__init_subclass__(**kwargs)  # type: ignore[arg-type]
        wrap(cls)

    for cls in [base, *_subclasses(base)]:
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
            cls.fit = original  # type: ignore[attr-defined]
