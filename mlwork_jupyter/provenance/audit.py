"""Files a cell opens, seen through a Python audit hook on the ``open`` event."""

from __future__ import annotations

import contextlib
import os
import site
import sys
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["FileAccessLog", "install", "watching"]

# Kernel pseudo-files, and the system's own data that libraries read on import (time zones,
# locale and certificate files): never a user's data set.
_SYSTEM_TREES = (
    "/proc/",
    "/sys/",
    "/dev/",
    "/usr/share/zoneinfo/",
    "/usr/share/locale/",
    "/usr/lib/locale/",
    "/etc/ssl/",
    "/etc/localtime",
)
# TensorFlow's autograph writes the Python it generates to temporary files and reads them back
# (`model.export`, `tf.function`): code, not data.
_GENERATED = "__autograph_generated_file"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


@dataclass(slots=True)
class FileAccessLog:
    """Absolute real paths of the files opened while a `watching` block ran.

    Attributes
    ----------
    reads : set of str
        Files opened for reading (``"r"``, ``"r+"``, ``O_RDONLY``, ``O_RDWR``).
    writes : set of str
        Files opened for writing, appending or creating.
    exclude : tuple of str
        Directory prefixes (each ending in a separator) whose files are not recorded.
    """

    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    exclude: tuple[str, ...] = field(default=(), repr=False)


# The hook's whole cost outside a watch is one global load and a truthiness test on this.
_ACTIVE: tuple[FileAccessLog, ...] = ()
_IGNORED: tuple[str, ...] = ()
_INSTALLED = False
_LOCK = threading.Lock()
_GUARD = threading.local()


def _tree(path: str) -> str:
    return os.path.realpath(path).rstrip(os.sep) + os.sep


def _ignored_trees() -> tuple[str, ...]:
    """Interpreter, environment and kernel trees: opening files there is not data access."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    with contextlib.suppress(Exception):
        roots.update(site.getsitepackages())
    with contextlib.suppress(Exception):
        roots.add(site.getusersitepackages())
    # Libraries' settings and caches in the home folder (~/.config/mlflow/telemetry.json,
    # ~/.keras/keras.json) are read on import: configuration, not data.
    home = os.path.expanduser("~")  # noqa: PTH111
    if home not in ("~", os.sep):
        roots.update(os.path.join(home, name) for name in (".config", ".cache", ".keras"))  # noqa: PTH118
    # This package's own files (read when a traceback through it is formatted) are not data.
    roots.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # noqa: PTH100, PTH120
    trees = {_tree(root) for root in roots if root}
    trees.discard(os.sep)  # an interpreter installed at / must not hide every file
    return (*_SYSTEM_TREES, *sorted(trees))


def _access(mode: object, flags: object) -> tuple[bool, bool]:
    """Return (read, write) from builtin ``open``'s mode or ``os.open``'s flags."""
    if isinstance(mode, str):
        write = any(c in mode for c in "wax+")
        return ("r" in mode or "+" in mode or not write), write
    if not isinstance(flags, int):
        return True, False
    access = flags & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
    return access != os.O_WRONLY, bool(flags & _WRITE_FLAGS)


def _record(args: tuple[object, ...]) -> None:
    path, mode, flags = (*args, None, None, None)[:3]
    if not isinstance(path, str | bytes | os.PathLike):
        return  # an int is an already open descriptor: its opening was the access
    if isinstance(flags, int) and flags & _O_DIRECTORY:
        return
    # Modules read by the import system are code, not data (and every import would show).
    if sys._getframe(2).f_code.co_filename.startswith("<frozen importlib"):  # noqa: SLF001
        return
    name = os.fsdecode(os.fspath(path))
    if name.endswith(".pyc") or _GENERATED in name:
        return
    real = os.path.realpath(name)
    # os.path, not pathlib: this runs on every open in the process while a watch is on.
    if (real + os.sep).startswith(_IGNORED) or os.path.isdir(real):  # noqa: PTH112
        return
    read, write = _access(mode, flags)
    for log in _ACTIVE:
        if log.exclude and (real + os.sep).startswith(log.exclude):
            continue
        if read:
            log.reads.add(real)
        if write:
            log.writes.add(real)


def _hook(event: str, args: tuple[object, ...]) -> None:
    if not _ACTIVE or event != "open":
        return
    if getattr(_GUARD, "busy", False):
        return
    _GUARD.busy = True
    try:
        _record(args)
    except Exception:  # noqa: S110 - an audit hook that raises would break the user's open()
        pass
    finally:
        _GUARD.busy = False


def install() -> None:
    """Add the audit hook to this process, once (audit hooks cannot be removed).

    The hook returns at once unless a `watching` block is active, so installing it early
    (at ``%load_ext``) costs nothing measurable.
    """
    global _INSTALLED, _IGNORED  # noqa: PLW0603 - one hook per process, by design
    with _LOCK:
        if _INSTALLED:
            return
        _IGNORED = _ignored_trees()
        sys.addaudithook(_hook)
        _INSTALLED = True


@contextlib.contextmanager
def watching(exclude: Iterable[str] = ()) -> Iterator[FileAccessLog]:
    """Record the files opened, by any thread, while the block runs.

    Seen: builtin ``open`` (and everything built on it: pandas ``read_csv``/``to_csv``,
    ``numpy.load``, ``pathlib``) and ``os.open``. Not seen: files opened by C/C++ libraries
    directly (e.g. Arrow's Parquet reader), and ``os.open`` relative to a ``dir_fd``
    (resolved against the working directory instead). Ignored: file descriptors,
    directories, ``/proc``, ``/sys``, ``/dev``, time zone, locale and certificate files, the
    interpreter's and environment's trees
    (``sys.prefix``, ``sys.base_prefix``, ``sys.exec_prefix``, site-packages), ``*.pyc``,
    modules read by the import system, and paths under any ``exclude`` prefix.

    Watches may nest or overlap (one per cell is the intended use): every active log
    receives every event, whichever thread caused it.

    Parameters
    ----------
    exclude : iterable of str
        Directory prefixes to ignore (the record store's own directory).

    Yields
    ------
    FileAccessLog
        Filled while the block runs; final once it exits.

    Examples
    --------
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp, watching() as log:
    ...     with open(os.path.join(tmp, "x.txt"), "w") as f:
    ...         _ = f.write("1")
    ...     len(log.writes)
    1
    """
    global _ACTIVE  # noqa: PLW0603 - the hook's fast path reads one global
    install()
    log = FileAccessLog(exclude=tuple(_tree(prefix) for prefix in exclude))
    with _LOCK:
        _ACTIVE = (*_ACTIVE, log)
    try:
        yield log
    finally:
        with _LOCK:
            _ACTIVE = tuple(other for other in _ACTIVE if other is not log)
