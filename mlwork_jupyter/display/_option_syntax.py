"""The JavaScript-style ``[options] {key: value}`` text after ``@param``: tokenizer and parser."""

from __future__ import annotations

import math
from typing import Any, Final

from mlwork_jupyter.errors import MlworkError

_PUNCT: Final = "[]{},:"
_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}


class OptionSyntaxError(MlworkError, ValueError):
    """The text after ``@param`` is not a list and/or a JavaScript-style object."""


def _word(word: str) -> tuple[str, Any]:
    if word in {"true", "false"}:
        return "const", word == "true"
    if word == "null":
        return "const", None
    if word[0] in "+-.0123456789":
        try:
            number: int | float = int(word) if word.lstrip("+-").isdigit() else float(word)
        except ValueError:
            raise OptionSyntaxError(f"{word!r} is not a number") from None
        if not math.isfinite(number):
            raise OptionSyntaxError(f"{word!r} is not a finite number")
        return "const", number
    return "word", word


def _tokens(text: str) -> list[tuple[str, Any]]:
    """Split a JavaScript-style option text into ``(kind, value)`` tokens."""
    out: list[tuple[str, Any]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
        elif char in _PUNCT:
            out.append(("punct", char))
            i += 1
        elif char in "\"'":
            j, chars = i + 1, []
            while j < len(text) and text[j] != char:
                if text[j] == "\\" and j + 1 < len(text):
                    j += 1
                    chars.append(_ESCAPES.get(text[j], text[j]))
                else:
                    chars.append(text[j])
                j += 1
            if j >= len(text):
                raise OptionSyntaxError(f"unterminated string {text[i : i + 20]!r}")
            out.append(("const", "".join(chars)))
            i = j + 1
        else:
            j = i
            while j < len(text) and not text[j].isspace() and text[j] not in _PUNCT + "\"'":
                j += 1
            out.append(_word(text[i:j]))
            i = j
    return out


class _Parser:
    """Recursive descent over `_tokens`: lists, objects (bare or quoted keys), scalars."""

    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.duplicates: list[str] = []

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        token = self.peek()
        if token is None:
            raise OptionSyntaxError("unexpected end of the options")
        self.pos += 1
        return token

    def value(self) -> Any:
        kind, value = self.take()
        if (kind, value) == ("punct", "["):
            return self.sequence()
        if (kind, value) == ("punct", "{"):
            return self.mapping()
        if kind == "punct":
            raise OptionSyntaxError(f"unexpected {value!r}")
        return value  # a bare word reads as a string, as `{type: string}` means

    def sequence(self) -> list[Any]:
        items: list[Any] = []
        while self.peek() != ("punct", "]"):
            items.append(self.value())
            if self.peek() != ("punct", "]"):
                self.expect(",")
        self.take()
        return items

    def mapping(self) -> dict[str, Any]:
        items: dict[str, Any] = {}
        while self.peek() != ("punct", "}"):
            kind, key = self.take()
            if kind == "punct" or not isinstance(key, str):
                raise OptionSyntaxError(f"expected a key, got {key!r}")
            self.expect(":")
            if key in items:
                self.duplicates.append(key)
            items[key] = self.value()
            if self.peek() != ("punct", "}"):
                self.expect(",")
        self.take()
        return items

    def expect(self, punct: str) -> None:
        token = self.take()
        if token != ("punct", punct):
            raise OptionSyntaxError(f"expected {punct!r}, got {token[1]!r}")


def parse_options(text: str) -> tuple[list[Any] | None, dict[str, Any], list[str]]:
    """Read ``[options] {object}`` (each optional) after ``@param``; return both and warnings."""
    parser = _Parser(_tokens(text))
    choices = mapping = None
    if parser.peek() == ("punct", "["):
        parser.take()
        choices = parser.sequence()
    if parser.peek() == ("punct", "{"):
        parser.take()
        mapping = parser.mapping()
    extra = parser.peek()
    if extra is not None:
        raise OptionSyntaxError(f"unexpected {extra[1]!r} after the options")
    warnings = [f"duplicate key {key!r}: the last one counts" for key in parser.duplicates]
    return choices, mapping or {}, warnings


def strip_options(text: str) -> str:
    """Drop a trailing ``{display-mode: "form"}`` object from a ``# @title`` text."""
    for at, char in enumerate(text):
        if char == "{":
            try:
                parse_options(text[at:])
            except OptionSyntaxError:
                continue
            return text[:at].rstrip()
    return text
