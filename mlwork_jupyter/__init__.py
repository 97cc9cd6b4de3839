"""mlwork-jupyter: `%%mlwork STAGE` cell magics that run and record ML workloads."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import MlworkError, NoActiveRunError

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from mlwork_jupyter.api import (
        current_run,
        deploy,
        evaluate,
        log_artifact,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        monitor,
        serve,
    )

try:
    __version__ = version("mlwork-jupyter")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "MlworkError",
    "NoActiveRunError",
    "__version__",
    "current_run",
    "deploy",
    "evaluate",
    "load_ipython_extension",
    "log_artifact",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "monitor",
    "serve",
    "unload_ipython_extension",
]

# The API is imported on first use, so that importing one layer (`mlwork_jupyter.provenance`,
# the forms, a multi-worker worker) does not load the stages and the store with it.
_API = frozenset(__all__) - {
    "MlworkError",
    "NoActiveRunError",
    "__version__",
    "load_ipython_extension",
    "unload_ipython_extension",
}
_magics: Any = None


def __getattr__(name: str) -> Any:
    """Return an API function (`mlwork.log_param`, ...), importing the API on first use."""
    if name in _API:
        from mlwork_jupyter import api

        return getattr(api, name)
    raise AttributeError(f"module 'mlwork_jupyter' has no attribute {name!r}")


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register `%mlwork` / `%%mlwork` (`%load_ext mlwork_jupyter`); imports no TensorFlow."""
    global _magics  # noqa: PLW0603 - one registration per shell
    from mlwork_jupyter.magics import MlworkMagics

    if _magics is not None and _magics.shell is ipython:
        return
    _magics = MlworkMagics(ipython)
    ipython.register_magics(_magics)
    where = _magics.store_path()
    print(f"mlwork: %%mlwork cells are recorded in {where}; %mlwork help lists the commands")  # noqa: T201


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """Detach the magics' event hooks and close the store (`%unload_ext mlwork_jupyter`)."""
    global _magics  # noqa: PLW0603
    if _magics is not None and _magics.shell is ipython:
        _magics.unregister()
        _magics = None


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Tell JupyterLab where the prebuilt extension lives."""
    return [{"src": "labextension", "dest": "mlwork-jupyter"}]
