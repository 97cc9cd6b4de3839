"""Versioned exports: a Keras model as `.keras` + SavedModel, a scikit-learn one as skops.

`export_model` writes ``MODELS_DIR/NAME/VERSION/`` with the model files, `schema.json` (the
input schema) and `export.json` (kind, files and sizes, signatures, framework versions). The
folder is built beside its final place and renamed into it, so it appears complete or not at
all, and an existing version is never written over.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import platform
import shutil
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.ml.serving.layout import (
    EXPORT_FILE,
    SCHEMA_FILE,
    DeployError,
    Export,
    check_name,
)
from mlwork_jupyter.ml.serving.writers import write_keras, write_sklearn
from mlwork_jupyter.provenance.fingerprint import fingerprint_file

if TYPE_CHECKING:
    import os

__all__ = ["export_model", "model_kind"]

_FRAMEWORKS = {
    "keras": ("tensorflow", "keras", "numpy"),
    "sklearn": ("scikit-learn", "skops", "numpy", "pandas", "scipy"),
}


def model_kind(model: Any) -> str:
    """Return ``"keras"`` or ``"sklearn"``, or raise a one-line error naming what is supported."""
    keras = sys.modules.get("keras")
    if keras is not None and isinstance(model, keras.Model):
        return "keras"
    base = getattr(sys.modules.get("sklearn.base"), "BaseEstimator", None)
    if base is not None and isinstance(model, base) and hasattr(model, "predict"):
        return "sklearn"
    got = f"{type(model).__module__}.{type(model).__qualname__}"
    raise DeployError(
        "deploy supports Keras models (keras.Model) and fitted scikit-learn estimators or "
        f"pipelines with predict; got {got}"
    )


def _frameworks(kind: str) -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in _FRAMEWORKS[kind]:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[dist] = importlib.metadata.version(dist)
    return found


def _files(folder: Path, main: str) -> tuple[dict[str, Any], int]:
    files: dict[str, Any] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        files[path.relative_to(folder).as_posix()] = {"bytes": path.stat().st_size}
    files[main]["xxh3"] = fingerprint_file(folder / main).digest
    return files, sum(f["bytes"] for f in files.values())


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _check_version(version: object) -> int:
    if (
        isinstance(version, bool)
        or not isinstance(version, int | str)
        or not str(version).isdigit()
        or int(version) < 1
    ):
        raise DeployError(f"version must be a positive integer, got {version!r}")
    return int(version)


def _exists(number: int, name: str) -> str:
    return (
        f"version {number} of {name!r} exists and is never overwritten; "
        "leave version= out to write the next one"
    )


def _publish(staging: Path, folder: Path, info: dict[str, Any], version: int | None) -> int:
    """Rename `staging` to the next free version (or `version`); never replace one."""
    while True:
        taken = [int(p.name) for p in folder.iterdir() if p.name.isdigit()]
        number = version if version is not None else max(taken, default=0) + 1
        if number in taken:
            raise DeployError(_exists(number, folder.name))
        _write_json(staging / EXPORT_FILE, {**info, "version": number})
        try:
            staging.rename(folder / str(number))
        except OSError:  # another kernel took that number between our look and the rename
            if version is not None or not (folder / str(number)).exists():
                raise
            continue
        return number


def export_model(
    model: Any,
    models_dir: str | os.PathLike[str],
    name: str,
    version: int | None = None,
    example: Any = None,
    *,
    schema: Any = None,
    trust: list[str] | tuple[str, ...] = (),
) -> Export:
    """Export `model` as version `version` (default: the next) of `name` under `models_dir`.

    Parameters
    ----------
    model
        A Keras model, or a fitted scikit-learn estimator or pipeline.
    models_dir
        The folder of all models (``<store_dir>/models``).
    name
        The model's name: letters, digits, ``.``, ``_``, ``-``.
    version
        A version number that must not exist yet; None for the next integer.
    example
        A few rows of the model's input (DataFrame, array, dict of arrays): the schema.
    schema
        A schema instead of an example: `schema.json`'s form or a ``{column: dtype}`` mapping
        (a data record's), e.g. from the training run's lineage.
    trust
        Type names, beyond scikit-learn, NumPy and SciPy, that the skops file may hold.

    Returns
    -------
    Export
        The written version.

    Examples
    --------
    >>> try:
    ...     export_model([1, 2], "/tmp/models", "bad")
    ... except DeployError as exc:
    ...     print(exc)
    deploy supports Keras models (keras.Model) and fitted scikit-learn ...; got builtins.list
    """
    kind = model_kind(model)
    name = check_name(name)
    wanted = None if version is None else _check_version(version)
    folder = Path(models_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    if wanted is not None and (folder / str(wanted)).exists():
        raise DeployError(_exists(wanted, name))
    staging = folder / f".staging-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        if kind == "keras":
            found, details = write_keras(model, staging, example, schema)
            main = "model.keras"
        else:
            found, details = write_sklearn(model, staging, example, schema, list(trust))
            main = "model.skops"
        _write_json(staging / SCHEMA_FILE, found.to_json())
        files, size = _files(staging, main)
        info = {
            "format": "mlwork-export/1",
            "name": name,
            "kind": kind,
            "created": datetime.now(UTC).isoformat(),
            "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
            **details,
            "files": files,
            "size_bytes": size,
            "frameworks": _frameworks(kind),
        }
        number = _publish(staging, folder, info, wanted)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    path = folder / str(number)
    info = json.loads((path / EXPORT_FILE).read_text(encoding="utf-8"))
    return Export(
        name=name, version=number, path=path, kind=kind, schema=found.to_json(), info=info
    )
