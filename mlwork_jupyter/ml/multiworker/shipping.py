"""How a cell travels to the workers and its values come back: cloudpickle, models as files.

Values are pickled with cloudpickle (functions and classes defined in the notebook travel by
value); a Keras model anywhere inside a value is saved as a ``.keras`` file beside the pickle
and referred to by name, so it loads on the other side (inside the strategy scope, on a
worker) and two values that held one model hold one model again. Modules are not pickled: the
worker imports them by name.
"""

from __future__ import annotations

import io
import marshal
import pickle
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import MlworkError, error_line

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "JOB_FILE",
    "Job",
    "ModelFiles",
    "ShippingError",
    "dumps",
    "loads",
    "pack_job",
]

JOB_FILE = "job.pkl"


class ShippingError(MlworkError, TypeError):
    """A namespace value the cell reads cannot be sent to the workers."""

    def _render_traceback_(self) -> list[str]:
        """Show one line in IPython, like a usage error: the traceback would be ours."""
        return [f"{type(self).__name__}: {self}"]


def _is_keras_model(value: object) -> bool:
    keras = sys.modules.get("keras")  # never import Keras just to ask
    return keras is not None and isinstance(value, keras.Model)


class ModelFiles:
    """Keras models saved as ``.keras`` files in `folder`, once each, and loaded once each.

    Pickled values refer to models by file name, so a model reached from two values (``model``
    and ``history.model``) is one model again after loading.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._saved: dict[int, tuple[object, str]] = {}
        self._loaded: dict[str, object] = {}

    def save(self, model: Any) -> str:
        """Save `model` (once) and return its file name."""
        known = self._saved.get(id(model))
        if known is not None:
            return known[1]
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{len(self._saved)}-{getattr(model, 'name', 'model')}.keras"
        model.save(self.folder / name)
        self._saved[id(model)] = (model, name)
        return name

    def load(self, name: str) -> Any:
        """Load the model saved as `name` (once; later calls return the same object)."""
        if name not in self._loaded:
            import keras

            self._loaded[name] = keras.saving.load_model(self.folder / Path(name).name)
        return self._loaded[name]


def dumps(value: object, files: ModelFiles) -> bytes:
    """Pickle `value` with cloudpickle; Keras models inside it go to `files`."""
    import cloudpickle  # type: ignore[import-untyped]

    class _Pickler(cloudpickle.CloudPickler):  # type: ignore[misc]
        def persistent_id(self, obj: object) -> tuple[str, str] | None:
            return ("keras-model", files.save(obj)) if _is_keras_model(obj) else None

    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def loads(data: bytes, files: ModelFiles) -> Any:
    """Unpickle what `dumps` wrote, loading its Keras models from `files`."""

    class _Unpickler(pickle.Unpickler):
        def persistent_load(self, pid: Any) -> Any:
            kind, name = pid
            if kind != "keras-model":
                raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
            return files.load(name)

    return _Unpickler(io.BytesIO(data)).load()


@dataclass(slots=True)
class Job:
    """A cell as the workers run it: compiled code, its source, and the values it reads.

    Attributes
    ----------
    code, last_expr
        The compiled body and last expression, marshalled (same Python on every worker).
    filename, source
        The cell's file name and source, so worker tracebacks show the cell's lines.
    values
        Pickled namespace values by name (see `dumps`).
    modules
        Names bound to modules, by module name: the workers import them.
    returns
        Names the chief sends back: those the cell assigns, and shipped Keras models (a
        `fit` trains them in place).
    mixed_precision
        Apply the mixed-precision policy on the workers' GPUs.
    """

    code: bytes
    last_expr: bytes | None
    filename: str
    source: str
    values: dict[str, bytes] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)
    returns: tuple[str, ...] = ()
    mixed_precision: bool = False

    def write(self, folder: Path) -> None:
        """Write the job to `folder`."""
        (folder / JOB_FILE).write_bytes(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))

    @staticmethod
    def read(folder: Path) -> Job:
        """Read the job `write` left in `folder`."""
        job = pickle.loads((folder / JOB_FILE).read_bytes())  # noqa: S301 - our own file
        if not isinstance(job, Job):
            raise TypeError(f"{folder / JOB_FILE} holds no mlwork job")
        return job


def pack_job(
    folder: Path,
    code: types.CodeType,
    last_expr: types.CodeType | None,
    *,
    source: str,
    namespace: Mapping[str, Any],
    reads: Iterable[str],
    stores: Iterable[str] = (),
    mixed_precision: bool = False,
) -> Job:
    """Build and write the job of a cell; raise `ShippingError` for values that cannot go.

    Parameters
    ----------
    folder
        The job folder (shipped models go to its ``ship/``).
    code, last_expr
        The compiled cell, as the kernel would execute it.
    source
        The source the code was compiled from (line numbers as in `code`).
    namespace
        The user's namespace.
    reads, stores
        The names the cell loads (shipped when bound) and assigns (sent back, with the shipped
        Keras models).
    mixed_precision
        Apply the mixed-precision policy on the workers.
    """
    files = ModelFiles(folder / "ship")
    job = Job(
        code=marshal.dumps(code),
        last_expr=None if last_expr is None else marshal.dumps(last_expr),
        filename=code.co_filename,
        source=source,
        mixed_precision=mixed_precision,
    )
    returns = set(stores)
    failed: list[str] = []
    for name in sorted(set(reads)):
        if name not in namespace:
            continue  # a builtin, or bound by the cell itself
        value = namespace[name]
        if isinstance(value, types.ModuleType):
            job.modules[name] = value.__name__
            continue
        try:
            job.values[name] = dumps(value, files)
        except Exception as exc:
            failed.append(f"`{name}` ({type(value).__name__}: {error_line(exc)})")
        if _is_keras_model(value):
            returns.add(name)
    if failed:
        raise ShippingError(
            f"cannot send {', '.join(failed)} to the workers; create it inside the cell, "
            "or make it picklable with cloudpickle"
        )
    job.returns = tuple(sorted(returns))
    job.write(folder)
    return job
