"""Snapshot the environment a run executes in: Python, machine, packages, git and seeds."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import unquote, urlsplit, urlunsplit

import xxhash

from mlwork_jupyter.provenance.secrets import known_secrets_version, mask_known_values, mask_text

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "ENV_ALLOWLIST",
    "Snapshot",
    "diff",
    "packages_in_use",
    "set_seeds",
    "snapshot",
]

ENV_ALLOWLIST: Final = (
    "CUDA_DEVICE_ORDER",
    "CUDA_HOME",
    "CUDA_VISIBLE_DEVICES",
    "CUDNN_HOME",
    "KERAS_BACKEND",
    "KERAS_HOME",
    "LANG",
    "LC_ALL",
    "MKL_NUM_THREADS",
    "NVIDIA_VISIBLE_DEVICES",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "PYTHONHASHSEED",
    "TF_CPP_MIN_LOG_LEVEL",
    "TF_CUDNN_DETERMINISTIC",
    "TF_DETERMINISTIC_OPS",
    "TF_ENABLE_ONEDNN_OPTS",
    "TF_FORCE_GPU_ALLOW_GROWTH",
    "TF_GPU_ALLOCATOR",
    "TF_NUM_INTEROP_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_USE_LEGACY_KERAS",
    "TF_XLA_FLAGS",
    "TZ",
    "XLA_FLAGS",
)
"""The only environment variables whose values a snapshot reads (then masks like any text)."""

_GIT_TIMEOUT_S: Final = 3.0
_NVIDIA_SMI_TIMEOUT_S: Final = 5.0
# Editing a tracked file changes neither HEAD nor the index: re-ask git at most this often.
_GIT_MAX_AGE_S: Final = 30.0
_MAX_CACHED_DIRS: Final = 32
_SITE_DIR_NAMES: Final = frozenset({"site-packages", "dist-packages"})
_NORMALIZE: Final = re.compile(r"[-_.]+")
_GIT_ENV: Final = {
    # A read-only `git status` must not rewrite the index: that would look like a change.
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


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


def _normalize(name: str) -> str:
    return _NORMALIZE.sub("-", name).lower()


def _run(argv: list[str], cwd: str | None, timeout: float) -> str | None:
    """Run a fixed command; its stdout, or None on any failure (missing, error, timeout)."""
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **_GIT_ENV},
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "surrogateescape")


def _stamp(path: str) -> tuple[int, int, int]:
    """Return what betrays a change to `path`: mtime, inode (git replaces files), size."""
    try:
        # os.stat, not Path.stat: this runs on every cached snapshot call.
        st = os.stat(path)  # noqa: PTH116
    except (OSError, ValueError):
        return (-1, -1, -1)
    return (st.st_mtime_ns, st.st_ino, st.st_size)


def _clean_url(url: str) -> str:
    """Drop ``user:password@`` from a URL and mask whatever else looks secret in it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return mask_text(url)
    if parts.scheme and "@" in parts.netloc:
        url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return mask_text(url)


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


# --- machine --------------------------------------------------------------------------------


def _python() -> dict[str, Any]:
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }


def _platform() -> dict[str, Any]:
    return {
        "os": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "platform": platform.platform(),
    }


def _cpu() -> dict[str, Any]:
    model: str | None = None
    physical: int | None = None
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    cores: set[tuple[str, str]] = set()
    package = core = ""
    for line in text.splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "model name" and model is None:
            model = value
        elif key == "physical id":
            package = value
        elif key == "core id":
            core = value
            cores.add((package, core))
    if cores:
        physical = len(cores)
    if model is None and sys.platform == "darwin":
        out = _run(["sysctl", "-n", "machdep.cpu.brand_string"], None, 2.0)
        model = out.strip() if out else None
        out = _run(["sysctl", "-n", "hw.physicalcpu"], None, 2.0)
        physical = int(out) if out and out.strip().isdigit() else None
    try:
        available: int | None = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = None
    return {
        "model": model or platform.processor() or platform.machine(),
        "logical_cores": os.cpu_count(),
        "physical_cores": physical,
        "available_cores": available,
    }


def _memory_bytes() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def _nvidia_smi() -> list[dict[str, Any]]:
    binary = shutil.which("nvidia-smi")
    if binary is None:
        return []
    query = "--query-gpu=name,memory.total,driver_version"
    out = _run([binary, query, "--format=csv,noheader,nounits"], None, _NVIDIA_SMI_TIMEOUT_S)
    gpus: list[dict[str, Any]] = []
    for line in (out or "").splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) != 3:  # noqa: PLR2004 - the three queried columns
            continue
        name, memory_mib, driver = fields
        memory = int(memory_mib) * 2**20 if memory_mib.isdigit() else None
        gpus.append(
            {"source": "nvidia-smi", "name": name, "memory_bytes": memory, "driver": driver}
        )
    return gpus


def _tensorflow() -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Devices and CUDA build info, only from a TensorFlow the user has already imported."""
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return [], None
    devices: list[dict[str, Any]] = []
    cuda: dict[str, Any] | None = None
    try:
        for device in tf.config.list_physical_devices():
            if device.device_type == "CPU":
                continue
            entry: dict[str, Any] = {
                "source": "tensorflow",
                "name": str(device.name),
                "type": str(device.device_type),
            }
            details = tf.config.experimental.get_device_details(device)
            if details.get("device_name"):
                entry["model"] = str(details["device_name"])
            if details.get("compute_capability"):
                entry["compute_capability"] = ".".join(map(str, details["compute_capability"]))
            devices.append(entry)
    except Exception:  # a half-initialised TensorFlow must not break the snapshot
        devices = []
    try:
        info = tf.sysconfig.get_build_info()
        cuda = {
            "tensorflow": str(getattr(tf, "__version__", "")),
            "is_cuda_build": bool(info.get("is_cuda_build", False)),
            "cuda_version": info.get("cuda_version"),
            "cudnn_version": info.get("cudnn_version"),
        }
    except Exception:
        cuda = None
    return devices, cuda


# --- packages -------------------------------------------------------------------------------


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


_ENV_KEYS: Final = tuple(os.fsencode(name) for name in ENV_ALLOWLIST)


def _env_key() -> tuple[object, ...]:
    """Return the allow-listed variables' raw values, to notice a change."""
    raw = getattr(os.environ, "_data", None)
    if os.name == "posix" and isinstance(raw, dict):
        # os.environ.get costs ~2 us per missing name (it raises KeyError inside); its bytes
        # store answers in ~0.1 us. Only allow-listed names are looked up either way.
        return tuple(map(raw.get, _ENV_KEYS))
    return tuple(os.environ.get(name) for name in ENV_ALLOWLIST)


def _origin(info_dir: Path) -> str | None:
    try:
        direct = json.loads((info_dir / "direct_url.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = direct.get("url") if isinstance(direct, dict) else None
    if not isinstance(url, str):
        return None
    dir_info = direct.get("dir_info") or {}
    vcs_info = direct.get("vcs_info") or {}
    if dir_info.get("editable") and url.startswith("file:"):
        return "editable:" + unquote(urlsplit(url).path)
    if vcs_info.get("vcs"):
        commit = vcs_info.get("commit_id")
        return f"url:{vcs_info['vcs']}+{_clean_url(url)}" + (f"@{commit}" if commit else "")
    return "url:" + _clean_url(url)


def _read_name_version(info_dir: Path) -> tuple[str, str]:
    try:
        from importlib import metadata  # ~13 ms to import: only for the rare odd entry

        meta = metadata.PathDistribution(info_dir).metadata
        return str(meta["Name"] or ""), str(meta["Version"] or "")
    except Exception:  # a broken or half-removed distribution is left out
        return "", ""


def _distributions() -> tuple[dict[str, str], dict[str, str]]:
    """Every installed distribution (first on sys.path wins, as for imports) and its origin."""
    packages: dict[str, str] = {}
    origins: dict[str, str] = {}
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                names = [e.name for e in listing if e.name.endswith((".dist-info", ".egg-info"))]
        except (OSError, ValueError):
            continue
        for dir_name in sorted(names):
            info_dir = Path(entry or ".", dir_name)
            stem, _, suffix = dir_name.rpartition(".")
            name, _, version = stem.partition("-")
            # dist-info names are "{name}-{version}" with "-" escaped: no metadata read needed.
            if suffix != "dist-info" or not version or "-" in version:
                name, version = _read_name_version(info_dir)
            if not name or not version:
                continue
            key = _normalize(name)
            if key in packages:
                continue
            packages[key] = version
            origin = _origin(info_dir)
            if origin:
                origins[key] = origin
    return dict(sorted(packages.items())), dict(sorted(origins.items()))


# --- git ------------------------------------------------------------------------------------


@dataclass
class _Git:
    info: dict[str, Any] | None
    watched: tuple[str, ...]
    key: tuple[tuple[int, int, int], ...]
    taken: float


_NO_GIT: Final = _Git(None, (), (), 0.0)


def _git_watched(git_dir: str, common_dir: str) -> tuple[str, ...]:
    # A commit moves the current branch's ref (loose: a commit always writes it) and the index.
    watched = [str(Path(git_dir, "HEAD")), str(Path(git_dir, "index"))]
    try:
        head = Path(git_dir, "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        head = ""
    if head.startswith("ref:"):
        watched.append(str(Path(common_dir, head[4:].strip())))
    return tuple(watched)


def _git(cwd: str) -> tuple[dict[str, Any] | None, tuple[str, ...]]:
    """Return git facts about the repository holding `cwd` (or None), and files that show change."""

    def git(*args: str) -> str | None:
        return _run(["git", *args], cwd, _GIT_TIMEOUT_S)

    out = git("rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir")
    lines = out.splitlines() if out else []
    if len(lines) != 3:  # noqa: PLR2004 - the three paths asked for
        return None, ()
    root, git_dir, common_dir = lines
    common_dir = str(Path(cwd, common_dir))
    watched = _git_watched(git_dir, common_dir)
    commit = (git("rev-parse", "-q", "--verify", "HEAD^{commit}") or "").strip() or None
    branch = (git("symbolic-ref", "-q", "--short", "HEAD") or "").strip() or None
    # Untracked files do not count, as for `git describe --dirty`; None: git could not tell.
    status = git("status", "--porcelain=v1", "-z", "--untracked-files=no")
    dirty = None if status is None else bool(status)
    diff_hash = None
    if status:
        changes = git(
            "diff", "HEAD" if commit else "--cached", "--binary", "--no-ext-diff", "--no-textconv"
        )
        blob = (status + "\0" + (changes or "")).encode("utf-8", "surrogateescape")
        diff_hash = xxhash.xxh3_128_hexdigest(blob)
    remotes: dict[str, str] = {}
    for line in (git("config", "--get-regexp", r"^remote\..*\.url$") or "").splitlines():
        key, _, url = line.partition(" ")
        remotes[key.removeprefix("remote.").removesuffix(".url")] = _clean_url(url.strip())
    info = {
        "root": root,
        "commit": commit,
        "branch": branch,
        "dirty": dirty,
        "diff_hash": diff_hash,
        "remotes": dict(sorted(remotes.items())),
    }
    return info, watched


# --- cache ----------------------------------------------------------------------------------


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
            "python": _safe(_python, {}),
            "platform": _safe(_platform, {}),
            "cpu": _safe(_cpu, {}),
            "memory_bytes": _safe(_memory_bytes, None),
        }
    if _CACHE.accelerators_key != tensorflow_loaded:
        devices, cuda = _safe(_tensorflow, ([], None))
        _CACHE.accelerators = {
            "accelerators": devices + _safe(_nvidia_smi, []),
            "cuda": cuda,
        }
        _CACHE.accelerators_key = tensorflow_loaded
    if _CACHE.packages_key != packages_key:
        packages, origins = _safe(_distributions, ({}, {}))
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
    info, watched = _safe(lambda: _git(cwd), (None, ()))
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
        env_key = _env_key()
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
        env_vars = {
            name: mask_text(value)
            for name in ENV_ALLOWLIST
            if (value := os.environ.get(name)) is not None
        }
        data = {
            **_parts(packages_key, tensorflow_loaded),
            "env_vars": env_vars,
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


def _record_top_levels(info_dir: str) -> set[str]:
    """Infer top-level modules from a RECORD file, as importlib.metadata does without one."""
    tops: set[str] = set()
    try:
        with Path(info_dir, "RECORD").open(encoding="utf-8", errors="replace") as record:
            for line in record:
                first, slash, _ = line.partition(",")[0].partition("/")
                if not slash:  # a module file at the top: "six.py", "_cffi.cpython-311-....so"
                    if not first.endswith((".py", ".so", ".pyd")):
                        continue
                    first = first.split(".", 1)[0]
                if first and first not in {"..", "__pycache__"} and "." not in first:
                    tops.add(first)
    except OSError:
        pass
    return tops


def _scan_top_levels() -> dict[str, list[str]]:
    """Map top-level module names to the distributions that provide them.

    The same answer as ``importlib.metadata.packages_distributions()`` (``top_level.txt``, else
    the RECORD), ten times faster: it reads those two files directly.
    """
    mapping: dict[str, set[str]] = {}
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as listing:
                names = [e.name for e in listing if e.name.endswith((".dist-info", ".egg-info"))]
        except (OSError, ValueError):
            continue
        for dir_name in names:
            info_dir = str(Path(entry or ".", dir_name))
            dist = _normalize(dir_name.rpartition(".")[0].partition("-")[0])
            try:
                declared = Path(info_dir, "top_level.txt").read_text(encoding="utf-8")
                tops = {line.strip() for line in declared.splitlines() if line.strip()}
            except (OSError, UnicodeDecodeError):
                tops = _record_top_levels(info_dir)
            for top in tops:
                mapping.setdefault(top, set()).add(dist)
    return {module: sorted(dists) for module, dists in mapping.items()}


def _top_level_map() -> dict[str, list[str]]:
    key = _packages_key()
    if key != _CACHE.top_level_key:
        _CACHE.top_level = _scan_top_levels()
        _CACHE.top_level_key = key
    return _CACHE.top_level


def packages_in_use(snap: Snapshot) -> dict[str, str]:
    """Return the installed distributions whose top-level modules are imported right now.

    Parameters
    ----------
    snap : Snapshot
        Supplies the versions (its ``packages``).

    Returns
    -------
    dict[str, str]
        Normalized distribution name to version, sorted by name.

    Examples
    --------
    >>> import numpy
    >>> "numpy" in packages_in_use(snapshot())
    True

    """
    with _CACHE.lock:
        top_level = _top_level_map()
        # Modules are seldom unloaded: the count of loaded modules tells when to look again.
        key = (snap.hash, id(top_level), len(sys.modules))
        if key != _CACHE.in_use_key:
            versions: dict[str, str] = snap.data.get("packages") or {}
            used: dict[str, str] = {}
            for module in list(sys.modules):
                if "." in module:
                    continue
                for dist in top_level.get(module, ()):
                    version = versions.get(dist)
                    if version is not None:
                        used[dist] = version
            _CACHE.in_use = dict(sorted(used.items()))
            _CACHE.in_use_key = key
        return dict(_CACHE.in_use)


def _walk(prefix: str, a: object, b: object, out: list[tuple[str, object, object]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(a.keys() | b.keys(), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            _walk(path, a.get(key), b.get(key), out)
    elif a != b:
        out.append((prefix, a, b))


def diff(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, object, object]]:
    """List what changed between two snapshots' data, one entry per changed leaf.

    Nested dicts are walked into; any other value (lists included) is a leaf. A key present on
    one side only, or whose value stops being a dict, is reported once with its whole value and
    None on the missing side.

    Parameters
    ----------
    a, b : dict[str, Any]
        Old and new ``Snapshot.data``.

    Returns
    -------
    list[tuple[str, object, object]]
        ``(dotted key, old, new)``, sorted by key.

    Examples
    --------
    >>> diff({"packages": {"numpy": "2.3.0"}}, {"packages": {"numpy": "2.4.6", "keras": "3.12"}})
    [('packages.keras', None, '3.12'), ('packages.numpy', '2.3.0', '2.4.6')]

    """
    out: list[tuple[str, object, object]] = []
    _walk("", a, b, out)
    return out
