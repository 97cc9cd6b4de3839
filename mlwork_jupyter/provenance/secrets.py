"""Mask secrets in code, parameters and messages before anything enters a record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mlwork_jupyter.provenance._detectors import find_all, pem_spans
from mlwork_jupyter.provenance._masking_state import MaskingState

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlwork_jupyter.provenance._detectors import Span

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

_MIN_REGISTERED_LEN: Final = 4
_MIN_LEARNED_LEN: Final = 8

_MAX_DEPTH: Final = 64
_CYCLE: Final = "[...]"


def _apply(text: str, spans: list[Span]) -> str:
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


_STATE: Final = MaskingState()


def _literal_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    for literal in _STATE.literals:
        spans.extend(find_all(text, literal))
    return spans


def _mask_uncached(text: str) -> str:
    scanner = _STATE.get_scanner()
    spans = _literal_spans(text)
    if "PRIVATE KEY" in text:
        spans.extend(pem_spans(text))
    offset = 0
    previous = ""
    found: set[str] = set()
    for line in text.split("\n"):
        if line and not line.isspace():
            for start, end in scanner.line_spans(line, previous):
                spans.append((offset + start, offset + end))
                found.add(line[start:end])
        offset += len(line) + 1
        previous = line
    # A value found once (`api_key = "..."`) is a secret wherever it stands: in this text, and
    # in the params, names and messages masked after it (detectors judge by context).
    for secret in found:
        if len(secret) >= _MIN_LEARNED_LEN:
            spans.extend(find_all(text, secret))
            _STATE.register(secret)
    return _apply(text, spans)


def mask_text(text: str) -> str:
    """Replace every secret in `text` with `MASK`, leaving all other characters as they are.

    A secret is what detect-secrets' default plugins find (GitHub, GitLab, AWS, Slack, Stripe,
    JWT and other token formats, private keys, basic-auth passwords in URLs, keyword assignments
    such as ``password = "..."``, high-entropy base64 and hex strings, quoted or bare), with its
    default false-positive filters (UUIDs, sequences, templates, ``*_id`` names, ``x = f(...)``
    references, ``# pragma: allowlist secret``); a value passed to `register_secret`; or the
    value (6 characters or more) of an environment variable whose name contains KEY, TOKEN,
    SECRET, PASSWORD, PASSWD, CREDENTIAL, AUTH or PRIVATE. A value a detector found (8
    characters or more) is masked wherever else it stands, in this text and in what is masked
    later in this process (a `log_param` of the same token). Those values are read from
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
