"""A deployed model's training profile: the monitor's default reference.

When `mlwork.deploy` exports a model that a train run of this kernel produced, the tables
that run read (``X_train`` and the like, known by their row hashes) are looked up in the
namespace; the largest one whose rows still hash as they did in training is summarised by
`reference_profile` into ``MODELS_DIR/NAME/VERSION/reference_profile.json``. `mlwork.monitor`
with a deployment and no ``reference=`` compares with that profile.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mlwork_jupyter.ml.monitoring import MonitorInputError

if TYPE_CHECKING:
    from pathlib import Path

    from mlwork_jupyter.stages.training_data import TrainingRows

__all__ = ["PROFILE_FILE", "load_training_profile", "store_training_profile"]

PROFILE_FILE = "reference_profile.json"


def _namespace() -> dict[str, Any]:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return {}
    shell = get_ipython()
    return dict(getattr(shell, "user_ns", None) or {})


def training_table(rows: TrainingRows, namespace: dict[str, Any]) -> tuple[str, Any] | None:
    """Return the largest table of `namespace` whose row hashes equal those the train run read."""
    import numpy as np

    from mlwork_jupyter.ml.evaluation import row_hashes

    found: list[tuple[int, str, Any]] = []
    for name, hashes in rows.hashes.items():
        value = namespace.get(name)
        shape = getattr(value, "shape", None)
        if not isinstance(shape, tuple) or len(shape) != 2 or shape[0] != len(hashes):  # noqa: PLR2004
            continue
        try:
            same = bool(np.array_equal(row_hashes(value), hashes))
        except Exception:  # noqa: S112 - an exotic table: not shown to be the training data
            continue
        if same:
            found.append((len(hashes), name, value))
    if not found:
        return None
    _, name, value = max(found, key=lambda item: item[0])
    return name, value


def store_training_profile(rows: TrainingRows | None, export_dir: Path) -> str | None:
    """Write the profile of the model's training table beside its export; return the table's name.

    None when no such table is at hand (no train run of this kernel, or the tables changed).
    """
    if rows is None:
        return None
    found = training_table(rows, _namespace())
    if found is None:
        return None
    from mlwork_jupyter.ml.monitoring import reference_profile

    name, value = found
    profile = reference_profile(value)
    profile["source"] = {"run": rows.run_id, "run_name": rows.run_name, "table": name}
    (export_dir / PROFILE_FILE).write_text(json.dumps(profile, allow_nan=False))
    return name


def load_training_profile(export_dir: Path, name: str, version: int) -> dict[str, Any]:
    """Return the stored training profile of a deployed version, or raise the one-line error."""
    path = export_dir / PROFILE_FILE
    if not path.is_file():
        raise MonitorInputError(
            f"deployment {name!r} version {version} has no stored training profile (it was not "
            "deployed from a train run of this kernel); pass reference= (the training data)"
        )
    profile: dict[str, Any] = json.loads(path.read_text())
    return profile
