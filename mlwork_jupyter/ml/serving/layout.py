"""Where exports live: ``MODELS_DIR/NAME/VERSION/``, their versions, and reading one back.

A version folder is complete or absent: an export is written into a hidden folder beside it
and renamed into place, so a server or a second kernel never reads half an export.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.errors import MlworkError

if TYPE_CHECKING:
    import os

__all__ = [
    "EXPORT_FILE",
    "SCHEMA_FILE",
    "DeployError",
    "Export",
    "check_name",
    "load_export",
    "resolve_version",
    "versions",
]

EXPORT_FILE = "export.json"
SCHEMA_FILE = "schema.json"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class DeployError(MlworkError, ValueError):
    """A model, name, version or option that cannot be exported, quantized or served."""


@dataclass(frozen=True, slots=True)
class Export:
    """One exported model version on disk.

    Attributes
    ----------
    name, version
        The model's name and its integer version.
    path
        ``MODELS_DIR/NAME/VERSION``.
    kind
        ``"keras"`` or ``"sklearn"``.
    schema
        The input schema (`schema.json`).
    info
        The export's description (`export.json`): files, sizes, signatures, frameworks.
    """

    name: str
    version: int
    path: Path
    kind: str
    schema: dict[str, Any]
    info: dict[str, Any]

    @property
    def models_dir(self) -> Path:
        """The folder holding every model's versions."""
        return self.path.parent.parent


def check_name(name: object) -> str:
    """Return `name` if it can be a folder and a URL segment; else raise a one-line error."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise DeployError(
            f"model name {name!r} cannot be used: use letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit, at most 128 characters)"
        )
    return name


def versions(models_dir: str | os.PathLike[str], name: str) -> list[int]:
    """Return the exported versions of `name`, oldest first (none: an empty list)."""
    folder = Path(models_dir) / check_name(name)
    if not folder.is_dir():
        return []
    return sorted(
        int(p.name) for p in folder.iterdir() if p.name.isdigit() and (p / EXPORT_FILE).is_file()
    )


def resolve_version(
    models_dir: str | os.PathLike[str], name: str, version: int | str | None = None
) -> int:
    """Return `version` if it was exported, the latest if None; else a one-line error."""
    found = versions(models_dir, name)
    if not found:
        raise DeployError(
            f"no exported model named {name!r} under {models_dir}; "
            "export it first with mlwork.deploy(model, name)"
        )
    if version is None:
        return found[-1]
    try:
        wanted = int(version)
    except (TypeError, ValueError):
        raise DeployError(f"version must be an integer, got {version!r}") from None
    if wanted not in found:
        listed = ", ".join(map(str, found))
        raise DeployError(f"model {name!r} has no version {wanted}; its versions: {listed}")
    return wanted


def load_export(
    models_dir: str | os.PathLike[str], name: str, version: int | str | None = None
) -> Export:
    """Read back an export (the latest version when `version` is None)."""
    number = resolve_version(models_dir, name, version)
    path = Path(models_dir) / name / str(number)
    try:
        info = json.loads((path / EXPORT_FILE).read_text(encoding="utf-8"))
        schema = json.loads((path / SCHEMA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DeployError(f"export {path} cannot be read ({exc}); export the model again") from exc
    return Export(
        name=name, version=number, path=path, kind=str(info["kind"]), schema=schema, info=info
    )
