"""Snapshot the environment a run executes in: Python, machine, packages, git and seeds."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import xxhash

from mlwork_jupyter.provenance._env_vars import ENV_ALLOWLIST, env_vars, env_vars_key
from mlwork_jupyter.provenance._gitinfo import git_facts
from mlwork_jupyter.provenance._machine import (
    cpu_facts,
    memory_bytes,
    nvidia_smi_gpus,
    platform_facts,
    python_facts,
    tensorflow_devices,
)
from mlwork_jupyter.provenance._packages import distributions, scan_top_levels
from mlwork_jupyter.provenance._snapshot_diff import diff
from mlwork_jupyter.provenance._used_modules import imported_modules, value_modules
from mlwork_jupyter.provenance.secrets import known_secrets_version, mask_known_values

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "ENV_ALLOWLIST",
    "Snapshot",
    "diff",
    "imported_modules",
    "packages_in_use",
    "set_seeds",
    "snapshot",
    "value_modules",
]

# Editing a tracked file changes neither HEAD nor the index: re-ask git at most this often.
_GIT_MAX_AGE_S: Final = 30.0
_MAX_CACHED_DIRS: Final = 32
_SITE_DIR_NAMES: Final = frozenset({"site-packages", "dist-packages"})


@dataclass(frozen=True)
class Snapshot:
    """One environment, identified by the hash of its content.

    Attributes
    ----------
    hash : str
        32 hex digits: xxh3-128 of the canonical JSON (sorted keys, compact) of `data`.
    data : dict[str, Any]
        JSON-able: ``python``, ``platform``, ``cpu``, ``memory_bytes``, ``accelerators``,
        ``cuda``, ``packages``, ``package_origins``, ``env_vars``, ``git``, ``seeds``.
        Shared by every caller of `snapshot`: treat it as read-only.

    """

    hash: str
    data: dict[str, Any]


def _stamp(path: str) -> tuple[int, int, int]:
    """Return what betrays a change to `path`: mtime, inode (git replaces files), size."""
    try:
        # os.stat, not Path.stat: this runs on every cached snapshot call.
        st = os.stat(path)  # noqa: PTH116
    except (OSError, ValueError):
        return (-1, -1, -1)
    return (st.st_mtime_ns, st.st_ino, st.st_size)


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.sys_path: tuple[str, ...] = ()
        self.site_dirs: tuple[str, ...] = ()
        self.machine: dict[str, Any] | None = None
        self.accelerators_key: bool | None = None
        self.accelerators: dict[str, Any] = {}
        self.packages_key: object = None
        self.packages: dict[str, Any] = {}
        self.git: dict[str, _Git] = {}
        self.seeds: dict[str, int] = {}
        self.seeds_version = 0
        self.snaps: dict[str, tuple[object, Snapshot]] = {}
        self.top_level_key: object = None
        self.top_level: dict[str, list[str]] = {}
        self.in_use_key: object = None
        self.in_use: dict[str, str] = {}


_CACHE: Final = _Cache()


def _site_dirs() -> tuple[str, ...]:
    path = tuple(sys.path)
    if path != _CACHE.sys_path:
        _CACHE.site_dirs = tuple(p for p in path if Path(p).name in _SITE_DIR_NAMES)
        _CACHE.sys_path = path
    return _CACHE.site_dirs


def _packages_key() -> tuple[tuple[str, ...], tuple[tuple[int, int, int], ...]]:
    """Cheap signature of the installed packages: installing or removing one touches its dir."""
    dirs = _site_dirs()
    return dirs, tuple(_stamp(d) for d in dirs)


@dataclass
class _Git:
    info: dict[str, Any] | None
    watched: tuple[str, ...]
    key: tuple[tuple[int, int, int], ...]
    taken: float


_NO_GIT: Final = _Git(None, (), (), 0.0)


def _safe(collect: Callable[[], Any], default: Any) -> Any:
    """Run one collector; an unexpected failure gives `default`, never an error in a cell."""
    try:
        return collect()
    except Exception:
        return default


def _parts(packages_key: object, tensorflow_loaded: bool) -> dict[str, Any]:  # noqa: FBT001
    """Return the machine, accelerator and package parts, each recomputed only when stale."""
    if _CACHE.machine is None:
        _CACHE.machine = {
            "python": _safe(python_facts, {}),
            "platform": _safe(platform_facts, {}),
            "cpu": _safe(cpu_facts, {}),
            "memory_bytes": _safe(memory_bytes, None),
        }
    if _CACHE.accelerators_key != tensorflow_loaded:
        devices, cuda = _safe(tensorflow_devices, ([], None))
        _CACHE.accelerators = {
            "accelerators": devices + _safe(nvidia_smi_gpus, []),
            "cuda": cuda,
        }
        _CACHE.accelerators_key = tensorflow_loaded
    if _CACHE.packages_key != packages_key:
        packages, origins = _safe(distributions, ({}, {}))
        _CACHE.packages = {"packages": packages, "package_origins": origins}
        _CACHE.packages_key = packages_key
    return {**_CACHE.machine, **_CACHE.accelerators, **_CACHE.packages}


def _git_for(cwd: str, now: float) -> _Git:
    """Return the git facts for `cwd`, asking git again when its files changed or time passed."""
    cached = _CACHE.git.get(cwd)
    if cached is not None and now - cached.taken < _GIT_MAX_AGE_S:
        key = tuple(_stamp(p) for p in cached.watched)
        if key == cached.key:
            return cached
    info, watched = _safe(lambda: git_facts(cwd), (None, ()))
    fresh = _Git(info, watched, tuple(map(_stamp, watched)), now)
    if len(_CACHE.git) >= _MAX_CACHED_DIRS and cwd not in _CACHE.git:
        _CACHE.git.pop(next(iter(_CACHE.git)))
    _CACHE.git[cwd] = fresh
    return fresh


def _digest(data: dict[str, Any]) -> str:
    canonical = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return xxhash.xxh3_128_hexdigest(canonical.encode("utf-8", "surrogatepass"))


def snapshot(cwd: str | os.PathLike[str] | None = None) -> Snapshot:
    """Return the environment of this process, computed once and refreshed when it changes.

    The cached snapshot is returned as long as the site-packages directories on ``sys.path``
    keep their mtimes (installing or removing a package changes them), TensorFlow's presence in
    ``sys.modules``, the allow-listed environment variables, the seeds, git's HEAD, index and
    current ref are unchanged, and git was asked less than 30 s ago (editing a tracked file
    changes none of git's files). Only values of `ENV_ALLOWLIST` variables are read, and every
    string passes the secret masking. Never raises: a part that cannot be read is None or empty.

    Parameters
    ----------
    cwd : str or os.PathLike, optional
        Directory whose git repository is described; the working directory by default.

    Returns
    -------
    Snapshot
        The same object as the previous call when nothing changed.

    Examples
    --------
    >>> snap = snapshot()
    >>> snap is snapshot(), len(snap.hash)
    (True, 32)

    """
    try:
        # os.getcwd, not Path.cwd: this runs on every cached call.
        where = os.fspath(cwd) if cwd is not None else os.getcwd()  # noqa: PTH109
    except OSError:  # the working directory was deleted
        where = ""
    with _CACHE.lock:
        packages_key = _packages_key()
        tensorflow_loaded = "tensorflow" in sys.modules
        env_key = env_vars_key()
        git = _git_for(where, time.monotonic()) if where else _NO_GIT
        secrets = known_secrets_version()
        key = (
            packages_key,
            tensorflow_loaded,
            env_key,
            git.key,
            git.taken,
            _CACHE.seeds_version,
            secrets,
        )
        previous = _CACHE.snaps.get(where)
        if previous is not None and previous[0] == key:
            return previous[1]
        data = {
            **_parts(packages_key, tensorflow_loaded),
            "env_vars": env_vars(),
            "git": git.info,
            "seeds": dict(sorted(_CACHE.seeds.items())),
        }
        masked = mask_known_values(data)
        data = masked if isinstance(masked, dict) else data
        digest = _digest(data)
        snap = (
            previous[1]
            if previous is not None and previous[1].hash == digest
            else Snapshot(digest, data)
        )
        if len(_CACHE.snaps) >= _MAX_CACHED_DIRS and where not in _CACHE.snaps:
            _CACHE.snaps.pop(next(iter(_CACHE.snaps)))
        _CACHE.snaps[where] = (key, snap)
        return snap


def set_seeds(**seeds: int) -> None:
    """Record the random seeds in use; later snapshots carry them (and so a new hash).

    Parameters
    ----------
    **seeds : int
        Seed per generator, e.g. ``python=0, numpy=0, tensorflow=0``; merged with earlier ones.

    Raises
    ------
    TypeError
        If a seed is not an int.

    Examples
    --------
    >>> set_seeds(python=42, numpy=42)

    """
    for name, value in seeds.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"seed {name!r} must be an int, got {value!r}")
    with _CACHE.lock:
        merged = {**_CACHE.seeds, **seeds}
        if merged != _CACHE.seeds:
            _CACHE.seeds = merged
            _CACHE.seeds_version += 1


def _top_level_map() -> dict[str, list[str]]:
    """Return top-level module -> distributions, as ``packages_distributions()`` has it, cached.

    Read again only when a site-packages directory changed (a package was installed).
    """
    key = _packages_key()
    if key != _CACHE.top_level_key:
        _CACHE.top_level = scan_top_levels()
        _CACHE.top_level_key = key
    return _CACHE.top_level


def _distributions_of(
    modules: Iterable[str], top_level: dict[str, list[str]], versions: dict[str, str]
) -> dict[str, str]:
    used: dict[str, str] = {}
    for module in modules:
        for dist in top_level.get(module, ()):
            version = versions.get(dist)
            if version is not None:
                used[dist] = version
    return dict(sorted(used.items()))


def packages_in_use(snap: Snapshot, modules: Iterable[str] | None = None) -> dict[str, str]:
    """Return the installed distributions that provide `modules`, or every imported module.

    Parameters
    ----------
    snap : Snapshot
        Supplies the versions (its ``packages``).
    modules : iterable of str, optional
        Top-level module names, such as a cell's (`imported_modules`, `value_modules`); a
        name no installed distribution provides (the standard library) is left out. Without
        them, every top-level module imported right now counts, a kernel's own included.

    Returns
    -------
    dict[str, str]
        Normalized distribution name to version, sorted by name.

    Examples
    --------
    >>> packages_in_use(snapshot(), imported_modules("import json, numpy as np"))["numpy"] != ""
    True
    >>> import numpy
    >>> "numpy" in packages_in_use(snapshot())
    True

    """
    with _CACHE.lock:
        top_level = _top_level_map()
        versions: dict[str, str] = snap.data.get("packages") or {}
        if modules is not None:
            return _distributions_of(modules, top_level, versions)
        # Modules are seldom unloaded: the count of loaded modules tells when to look again.
        key = (snap.hash, id(top_level), len(sys.modules))
        if key != _CACHE.in_use_key:
            loaded = [m for m in list(sys.modules) if "." not in m]
            _CACHE.in_use = _distributions_of(loaded, top_level, versions)
            _CACHE.in_use_key = key
        return dict(_CACHE.in_use)
