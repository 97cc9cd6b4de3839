"""Find secrets' spans in text with detect-secrets' default plugins and filters."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from detect_secrets.plugins.base import BasePlugin
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

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

Span = tuple[int, int]


class Scanner:
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

    def line_spans(self, line: str, previous_line: str) -> list[Span]:
        """Return the spans of every secret detect-secrets finds in one line."""
        spans: list[Span] = []
        self._regex_spans(line, spans)
        self._keyword_spans(line, spans)
        self._entropy_spans(line, spans)
        for plugin in self.other:
            for secret in plugin.analyze_string(line):
                spans.extend(find_all(line, secret))
        if spans and self._allowlisted(line, previous_line):
            return []
        return spans

    def _regex_spans(self, line: str, spans: list[Span]) -> None:
        for plugin, patterns, whole in self.regex:
            for pattern in patterns:
                for match in pattern.finditer(line):
                    span = _regex_span(match, line, whole=whole)
                    if span and not self._rejected(line[span[0] : span[1]], line, plugin):
                        spans.append(span)

    def _keyword_spans(self, line: str, spans: list[Span]) -> None:
        lowered = line.lower()
        if not any(hint in lowered for hint in _KEYWORD_HINTS):
            return
        found: list[Span] = []
        for plugin, pattern, group in self.keyword:
            for match in pattern.finditer(line):
                start, end = match.span(group)
                if start < end and not self._rejected(line[start:end], line, plugin):
                    found.append((start, end))
        # `password = get_password()` names a secret without holding one.
        if found and not self._heuristic.is_indirect_reference(line):
            spans.extend(found)

    def _entropy_spans(self, line: str, spans: list[Span]) -> None:
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


def _regex_span(match: re.Match[str], line: str, *, whole: bool) -> Span | None:
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


def find_all(text: str, needle: str) -> list[Span]:
    spans: list[Span] = []
    if not needle:
        return spans
    index = text.find(needle)
    while index >= 0:
        spans.append((index, index + len(needle)))
        index = text.find(needle, index + 1)
    return spans


def pem_spans(text: str) -> list[Span]:
    spans: list[Span] = []
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
