"""Mask secrets in code, parameters and messages before anything enters a record."""

from __future__ import annotations

import os
import re
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Final

import xxhash

if TYPE_CHECKING:
    from collections.abc import Callable

    from detect_secrets.plugins.base import BasePlugin
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

__all__ = [
    "MASK",
    "known_secrets_version",
    "mask_known_values",
    "mask_text",
    "mask_value",
    "register_secret",
]

MASK: Final = "[secret]"
"""What replaces a secret: short, obviously redacted, and still valid inside a string literal."""

# Environment variables whose *name* matches are treated as secrets by value (never stored).
_SECRET_ENV_NAME: Final = re.compile(
    r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|PRIVATE", re.IGNORECASE
)
_MIN_ENV_SECRET_LEN: Final = 6
_MIN_REGISTERED_LEN: Final = 4

_CACHE_MAX_ENTRIES: Final = 4096
_CACHE_MAX_CHARS: Final = 8_000_000
_MAX_DEPTH: Final = 64
_CYCLE: Final = "[...]"

# A bare (unquoted) value is tested as if it were quoted, which is how detect-secrets' entropy
# plugins see values; the run boundaries follow their base64 and hex alphabets.
_BARE_BASE64: Final = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_BARE_HEX: Final = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{20,}(?![0-9A-Za-z])")
# detect-secrets reports only a private key's header; the key material is the block body.
_PEM_BEGIN: Final = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----")
_PEM_END: Final = re.compile(r"-----END [A-Z0-9 ]*-----")
# Continues a token past a detector's match; "." and "-" only inside it ("x.y", not "KEY-----").
_TOKEN_TAIL: Final = re.compile(r"(?:[A-Za-z0-9_+/=]|[.-](?=[A-Za-z0-9]))*")
_TOKEN_HEAD: Final = re.compile(r"(?:[A-Za-z0-9_]|(?<=[A-Za-z0-9])-)+\Z")
# Every keyword the detector looks for contains one of these: a cheap test before its regexes.
_KEYWORD_HINTS: Final = ("key", "pass", "pwd", "secret", "contras")
_TRIM_CHARS: Final = " \t\"'=:"
# Their first capture group is only the token's prefix ("ghp"): the secret is the whole match.
_WHOLE_MATCH_DETECTORS: Final = frozenset({"GitHubTokenDetector", "GitLabTokenDetector"})

_Span = tuple[int, int]


class _Scanner:
    """detect-secrets' default plugins and filters, called directly for speed and for spans."""

    def __init__(self) -> None:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.filters import allowlist, heuristic
        from detect_secrets.plugins.base import RegexBasedDetector
        from detect_secrets.plugins.high_entropy_strings import (
            Base64HighEntropyString,
            HexHighEntropyString,
            HighEntropyStringsPlugin,
        )
        from detect_secrets.plugins.keyword import (
            QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
            KeywordDetector,
        )
        from detect_secrets.util.code_snippet import get_code_snippet

        self._heuristic = heuristic
        self._allowlist = allowlist
        self._snippet = get_code_snippet
        self.regex: list[tuple[BasePlugin, list[re.Pattern[str]], bool]] = []
        self.entropy: list[HighEntropyStringsPlugin] = []
        self.keyword: list[tuple[BasePlugin, re.Pattern[str], int]] = []
        self.other: list[BasePlugin] = []
        self.bare: list[tuple[re.Pattern[str], HighEntropyStringsPlugin]] = []
        # The same plugin set as `detect_secrets.settings.default_settings()`, with defaults.
        classes: list[type[BasePlugin]] = list(get_mapping_from_secret_type_to_class().values())
        for cls in classes:
            plugin = cls()
            if isinstance(plugin, RegexBasedDetector):
                whole = type(plugin).__name__ in _WHOLE_MATCH_DETECTORS
                self.regex.append((plugin, list(plugin.denylist), whole))
            elif isinstance(plugin, HighEntropyStringsPlugin):
                self.entropy.append(plugin)
                if isinstance(plugin, Base64HighEntropyString):
                    self.bare.append((_BARE_BASE64, plugin))
                elif isinstance(plugin, HexHighEntropyString):
                    self.bare.append((_BARE_HEX, plugin))
            elif isinstance(plugin, KeywordDetector):
                self.keyword.extend(
                    (plugin, pattern, group)
                    for pattern, group in QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP.items()
                )
            else:
                self.other.append(plugin)

    def _rejected(self, secret: str, line: str, plugin: BasePlugin) -> bool:
        """Apply detect-secrets' default false-positive filters to one finding."""
        h = self._heuristic
        return bool(
            h.is_sequential_string(secret)
            or h.is_potential_uuid(secret)
            or h.is_templated_secret(secret)
            or h.is_prefixed_with_dollar_sign(secret)
            or h.is_not_alphanumeric_string(secret)
            or h.is_likely_id_string(secret, line, plugin)
        )

    def _high_entropy(self, plugin: HighEntropyStringsPlugin, secret: str) -> bool:
        limit = float(plugin.entropy_limit)
        # Shannon entropy never exceeds log2(len): skip the per-character count when it cannot.
        if len(secret) <= 2**limit:
            return False
        return float(plugin.calculate_shannon_entropy(secret)) > limit

    def line_spans(self, line: str, previous_line: str) -> list[_Span]:
        """Return the spans of every secret detect-secrets finds in one line."""
        spans: list[_Span] = []
        self._regex_spans(line, spans)
        self._keyword_spans(line, spans)
        self._entropy_spans(line, spans)
        for plugin in self.other:
            for secret in plugin.analyze_string(line):
                spans.extend(_find_all(line, secret))
        if spans and self._allowlisted(line, previous_line):
            return []
        return spans

    def _regex_spans(self, line: str, spans: list[_Span]) -> None:
        for plugin, patterns, whole in self.regex:
            for pattern in patterns:
                for match in pattern.finditer(line):
                    span = _regex_span(match, line, whole=whole)
                    if span and not self._rejected(line[span[0] : span[1]], line, plugin):
                        spans.append(span)

    def _keyword_spans(self, line: str, spans: list[_Span]) -> None:
        lowered = line.lower()
        if not any(hint in lowered for hint in _KEYWORD_HINTS):
            return
        found: list[_Span] = []
        for plugin, pattern, group in self.keyword:
            for match in pattern.finditer(line):
                start, end = match.span(group)
                if start < end and not self._rejected(line[start:end], line, plugin):
                    found.append((start, end))
        # `password = get_password()` names a secret without holding one.
        if found and not self._heuristic.is_indirect_reference(line):
            spans.extend(found)

    def _entropy_spans(self, line: str, spans: list[_Span]) -> None:
        for plugin in self.entropy:  # quoted strings, as detect-secrets scans code
            for match in plugin.regex.finditer(line):
                start, end = match.span(2)
                secret = line[start:end]
                if self._high_entropy(plugin, secret) and not self._rejected(secret, line, plugin):
                    spans.append((start, end))
        for regex, plugin in self.bare:  # and bare values, as if they were quoted
            for match in regex.finditer(line):
                secret = match.group()
                if self._high_entropy(plugin, secret) and not self._rejected(secret, line, plugin):
                    spans.append(match.span())

    def _allowlisted(self, line: str, previous_line: str) -> bool:
        """Honour detect-secrets' `pragma: allowlist secret` comments, its documented opt-out."""
        if "allowlist" not in line and "allowlist" not in previous_line:
            return False
        context = self._snippet(lines=[previous_line, line], line_number=2)
        return bool(self._allowlist.is_line_allowlisted("cell.py", line, context))


def _regex_span(match: re.Match[str], line: str, *, whole: bool) -> _Span | None:
    """Locate a regex detector's secret in its match and widen it to the whole token."""
    if not whole and match.lastindex and match.group(1):
        start, end = match.span(1)
    else:
        start, end = match.span()
        while start < end and line[start] in _TRIM_CHARS:
            start += 1
        while end > start and line[end - 1] in _TRIM_CHARS:
            end -= 1
    if start >= end:
        return None
    # A detector's pattern may end early (the JWT signature, a longer key): mask the rest too.
    tail = _TOKEN_TAIL.match(line, end)
    if tail is not None:
        end = tail.end()
    head = _TOKEN_HEAD.search(line, max(0, start - 256), start)
    if head is not None:
        start = head.start()
    return start, end


def _find_all(text: str, needle: str) -> list[_Span]:
    spans: list[_Span] = []
    if not needle:
        return spans
    index = text.find(needle)
    while index >= 0:
        spans.append((index, index + len(needle)))
        index = text.find(needle, index + 1)
    return spans


def _pem_spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for begin in _PEM_BEGIN.finditer(text):
        # Without its footer a header is likely code that looks for keys: leave the rest to
        # the line scan (whose bare high-entropy check still catches key material).
        end = _PEM_END.search(text, begin.end())
        if end is None:
            continue
        body_start, body_stop = begin.end(), end.start()
        # Keep the line breaks around the body so the header and footer stay on their own lines.
        while body_start < body_stop and text[body_start] in "\r\n":
            body_start += 1
        while body_stop > body_start and text[body_stop - 1] in "\r\n":
            body_stop -= 1
        if body_start < body_stop:
            spans.append((body_start, body_stop))
    return spans


def _apply(text: str, spans: list[_Span]) -> str:
    if not spans:
        return text
    spans.sort()
    parts: list[str] = []
    position = 0
    current_start, current_end = spans[0]
    for start, end in spans[1:]:
        if start <= current_end:
            current_end = max(current_end, end)
            continue
        parts.extend((text[position:current_start], MASK))
        position = current_end
        current_start, current_end = start, end
    parts.extend((text[position:current_start], MASK, text[current_end:]))
    return "".join(parts)


class _State:
    """Known literal secrets, the lazily built scanner and the result cache, behind one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.scanner: _Scanner | None = None
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

    def get_scanner(self) -> _Scanner:
        if self.scanner is None:
            self.scanner = _Scanner()
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


_STATE: Final = _State()


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


def _literal_spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for literal in _STATE.literals:
        spans.extend(_find_all(text, literal))
    return spans


def _mask_uncached(text: str) -> str:
    scanner = _STATE.get_scanner()
    spans = _literal_spans(text)
    if "PRIVATE KEY" in text:
        spans.extend(_pem_spans(text))
    offset = 0
    previous = ""
    for line in text.split("\n"):
        if line and not line.isspace():
            spans.extend((offset + s, offset + e) for s, e in scanner.line_spans(line, previous))
        offset += len(line) + 1
        previous = line
    return _apply(text, spans)


def mask_text(text: str) -> str:
    """Replace every secret in `text` with `MASK`, leaving all other characters as they are.

    A secret is what detect-secrets' default plugins find (GitHub, GitLab, AWS, Slack, Stripe,
    JWT and other token formats, private keys, basic-auth passwords in URLs, keyword assignments
    such as ``password = "..."``, high-entropy base64 and hex strings, quoted or bare), with its
    default false-positive filters (UUIDs, sequences, templates, ``*_id`` names, ``x = f(...)``
    references, ``# pragma: allowlist secret``); a value passed to `register_secret`; or the
    value (6 characters or more) of an environment variable whose name contains KEY, TOKEN,
    SECRET, PASSWORD, PASSWD, CREDENTIAL, AUTH or PRIVATE. Those values are read from
    ``os.environ`` and held in this process's memory only, to compare; they are never stored.
    Text is scanned line by line; results are cached by the text's xxh3-128 hash (bounded LRU),
    so unchanged code is not scanned again. detect-secrets is imported on the first call.

    Parameters
    ----------
    text : str
        Code, a parameter value or a message.

    Returns
    -------
    str
        `text` with each secret's span replaced by `MASK`.

    Examples
    --------
    >>> mask_text('token = "ghp_' + 36 * "x" + '"  # CI')
    'token = "[secret]"  # CI'

    """
    if not text:
        return text
    return _STATE.cached(0, text, _mask_uncached)


def _mask_assignment(key: str, value: str) -> str:
    """Mask `value` as if the code said ``key = "value"``, for keyword and context detectors."""
    if '"' in value or "\n" in value or not key.strip():
        return value
    prefix = f'{key} = "'

    def compute(line: str) -> str:
        scanner = _STATE.get_scanner()
        stop = len(line) - 1
        spans = [
            (max(s, len(prefix)) - len(prefix), min(e, stop) - len(prefix))
            for s, e in scanner.line_spans(line, "")
            if e > len(prefix) and s < stop
        ]
        return prefix + _apply(value, spans) + '"'

    line = f'{prefix}{value}"'
    masked = _STATE.cached(1, line, compute)
    return value if masked == line else masked[len(prefix) : -1]


def _mask_in(value: object, depth: int, path: set[int], text: Callable[[str], str]) -> object:
    if isinstance(value, str):
        return text(value)
    if not isinstance(value, (list, tuple, dict)):
        return value
    if depth >= _MAX_DEPTH or id(value) in path:
        return _CYCLE
    path.add(id(value))
    try:
        if isinstance(value, dict):
            return _mask_dict(value, depth, path, text)
        return _mask_sequence(value, depth, path, text)
    finally:
        path.discard(id(value))


def _mask_dict(
    value: dict[object, object], depth: int, path: set[int], text: Callable[[str], str]
) -> dict[object, object]:
    items: dict[object, object] = {}
    for key, item in value.items():
        new_key = _mask_in(key, depth + 1, path, text)
        new_item = _mask_in(item, depth + 1, path, text)
        if text is mask_text and isinstance(key, str) and isinstance(new_item, str):
            new_item = _mask_assignment(key, new_item)
        items[new_key] = new_item
    unchanged = len(items) == len(value) and all(
        k in value and value[k] is v for k, v in items.items()
    )
    return value if unchanged else items


def _mask_sequence(
    value: list[object] | tuple[object, ...],
    depth: int,
    path: set[int],
    text: Callable[[str], str],
) -> object:
    masked = [_mask_in(item, depth + 1, path, text) for item in value]
    if all(new is old for new, old in zip(masked, value, strict=True)):
        return value
    if isinstance(value, list):
        return masked
    if hasattr(value, "_fields"):  # a named tuple keeps its type
        named: Callable[..., object] = type(value)
        return named(*masked)
    return tuple(masked)


def mask_value(value: object) -> object:
    """Mask secrets in a string or in any nesting of lists, tuples and dicts (keys and values).

    Strings go through `mask_text`; a string value under a string key is also checked as the
    assignment ``key = "value"``, so ``{"password": "hunter2xyz"}`` is masked like the code is.
    Other types are returned unchanged. The input is never modified: containers with a secret
    come back as new lists, tuples (named tuples keep their type) and plain dicts, the others as
    the same object. A container that contains itself is cut at the repetition with ``"[...]"``.

    Parameters
    ----------
    value : object
        A parameter value, a params dict, a message.

    Returns
    -------
    object
        The masked copy, or `value` itself when there was nothing to mask.

    Examples
    --------
    >>> mask_value({"db": {"password": "hunter2xyz"}, "epochs": 20})
    {'db': {'password': '[secret]'}, 'epochs': 20}

    """
    return _mask_in(value, 0, set(), mask_text)


def _mask_literals_only(text: str) -> str:
    with _STATE.lock:
        literals = _STATE.refresh_literals()
        if not any(literal in text for literal in literals):
            return text
        return _apply(text, _literal_spans(text))


def mask_known_values(value: object) -> object:
    """Mask only registered secrets and secret-named environment values, without detectors.

    For data whose high-entropy strings are not secrets (commit ids, content hashes), such as an
    environment snapshot: the same recursion as `mask_value`, without detect-secrets.

    Parameters
    ----------
    value : object
        A string or a nesting of lists, tuples and dicts.

    Returns
    -------
    object
        The masked copy, or `value` itself when no known secret occurs in it.

    """
    return _mask_in(value, 0, set(), _mask_literals_only)


def known_secrets_version() -> int:
    """Return a number that changes whenever the set of known secret values changes.

    Known values are those given to `register_secret` and the secret-named environment
    variables' values; a cache of masked data is stale when this number moved.

    Returns
    -------
    int
        Increases on every change; cheap to call (a few dictionary look-ups).

    """
    with _STATE.lock:
        _STATE.refresh_literals()
        return _STATE.version


def register_secret(value: str) -> None:
    """Mask `value` wherever it appears from now on, in this process.

    Parameters
    ----------
    value : str
        A value known to be secret (a password parameter, a token read from a vault). Values
        shorter than 4 characters are ignored: masking every occurrence of them would shred text.

    Raises
    ------
    TypeError
        If `value` is not a string.

    """
    if not isinstance(value, str):
        raise TypeError(f"register_secret expects a str, got {type(value).__name__}")
    if len(value) < _MIN_REGISTERED_LEN:
        return
    with _STATE.lock:
        _STATE.register(value)
