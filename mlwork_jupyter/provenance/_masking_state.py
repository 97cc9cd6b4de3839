"""The secret values this process knows, the lazily built scanner and the masking cache."""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Final

import xxhash

from mlwork_jupyter.provenance._detectors import Scanner

if TYPE_CHECKING:
    from collections.abc import Callable

# Environment variables whose *name* matches are treated as secrets by value (never stored).
_SECRET_ENV_NAME: Final = re.compile(
    r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|PRIVATE", re.IGNORECASE
)
_MIN_ENV_SECRET_LEN: Final = 6

_CACHE_MAX_ENTRIES: Final = 4096
_CACHE_MAX_CHARS: Final = 8_000_000


class MaskingState:
    """Known literal secrets, the lazily built scanner and the result cache, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.scanner: Scanner | None = None
        self.registered: set[str] = set()
        self.env_keys: tuple[object, ...] | None = None
        self.env_names: tuple[str, ...] = ()
        # Values of secret-named variables: kept in memory only, to compare and to mask.
        self.env_values: tuple[str | None, ...] = ()
        self.literals: tuple[str, ...] = ()
        self.version = 0
        self.cache: OrderedDict[tuple[int, int], str | None] = OrderedDict()
        self.cache_chars = 0

    def refresh_literals(self) -> tuple[str, ...]:
        """Re-read secret-named environment variables; drop cached results when they change."""
        env = os.environ
        keys = _env_keys()
        if keys != self.env_keys:
            self.env_names = tuple(name for name in env if _SECRET_ENV_NAME.search(name))
            self.env_keys = keys
        values = tuple(env.get(name) for name in self.env_names)
        if values != self.env_values:
            self.env_values = values
            self._rebuild_literals()
        return self.literals

    def _rebuild_literals(self) -> None:
        env = {v for v in self.env_values if v is not None and len(v) >= _MIN_ENV_SECRET_LEN}
        self.literals = tuple(sorted(env | self.registered, key=len, reverse=True))
        self.version += 1
        self.cache.clear()
        self.cache_chars = 0

    def register(self, value: str) -> None:
        if value not in self.registered:
            self.registered.add(value)
            self._rebuild_literals()

    def get_scanner(self) -> Scanner:
        if self.scanner is None:
            self.scanner = Scanner()
        return self.scanner

    def cached(self, kind: int, text: str, compute: Callable[[str], str]) -> str:
        key = (kind, _digest(text))
        with self.lock:
            self.refresh_literals()
            if key in self.cache:
                self.cache.move_to_end(key)
                hit = self.cache[key]
                return text if hit is None else hit
            result = compute(text)
            stored = None if result == text else result
            self.cache[key] = stored
            self.cache_chars += len(stored or "")
            while self.cache and (
                len(self.cache) > _CACHE_MAX_ENTRIES or self.cache_chars > _CACHE_MAX_CHARS
            ):
                _, dropped = self.cache.popitem(last=False)
                self.cache_chars -= len(dropped or "")
            return result


def _env_keys() -> tuple[object, ...]:
    """Return the environment's variable names as stored, to notice one added or removed."""
    raw = getattr(os.environ, "_data", None)
    if isinstance(raw, dict):
        # Its bytes store: ~0.5 us for the whole tuple, where decoding every name costs ~10 us.
        return tuple(raw)
    return tuple(os.environ)


def _digest(text: str) -> int:
    try:
        return int(xxhash.xxh3_128_intdigest(text.encode()))
    except UnicodeEncodeError:
        return int(xxhash.xxh3_128_intdigest(text.encode("utf-8", "surrogatepass")))
