"""Tokens of OpenQASM 2 source.

Tokenising is the reader's hot loop, so it runs in two passes: a fast `findall` that
yields token texts only, and, only when an error must be reported, a slower scan that
recovers each token's offset (and so its line and column). A token carries its ordinal
number; `Source.error` turns the ordinal into a position.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field

from ..errors import QasmError

_TOKEN_TEXT = (
    r"(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\d+"  # numbers
    r"|[A-Za-z_][A-Za-z0-9_]*"  # identifiers
    r'|"[^"\n]*"'  # strings
    r"|->|==|[;,()\[\]{}+\-*/^]"  # operators
    r"|\S"  # anything else: an error
)
_FAST = re.compile(_TOKEN_TEXT)  # whitespace matches nothing, so findall skips it
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_COMMENT_IN_STRING = re.compile(r'"[^"\n]*(?://|/\*)')
_WITH_COMMENTS = re.compile(_COMMENT.pattern + "|" + _TOKEN_TEXT, re.DOTALL)
_SLOW = re.compile(
    r"""
    (?P<skip>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<open_block>/\*)
  | (?P<open_str>"(?![^"\n]*"))
  | (?P<token>""" + _TOKEN_TEXT + r")",
    re.VERBOSE | re.DOTALL,
)

Token = tuple[str, str, int]
"""(kind, text, ordinal): kind is num, id, str, op, bad or eof."""

_KIND_OF_FIRST = {c: "id" for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"}
_KIND_OF_FIRST.update({c: "num" for c in "0123456789."})
_KIND_OF_FIRST.update({c: "op" for c in ";,()[]{}+-*/^="})
_KIND_OF_FIRST['"'] = "str"
_LONE = {".", '"', "="}  # first characters that are errors when they stand alone


@dataclass
class Source:
    """Program text, with the lazily built indexes that turn token ordinals into positions."""

    text: str
    _line_starts: list[int] | None = None
    _token_offsets: list[int] = field(default_factory=list)

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def offset_of(self, ordinal: int) -> int:
        """Character offset of token number `ordinal` (the end of the text past the last)."""
        if not self._token_offsets:
            self._token_offsets = [m.start() for m in _SLOW.finditer(self.text)
                                   if m.lastgroup == "token"]
        if ordinal < len(self._token_offsets):
            return self._token_offsets[ordinal]
        return len(self.text.rstrip()) if self.text.strip() else 0

    def error(self, message: str, ordinal: int) -> QasmError:
        """A `QasmError` located at token number `ordinal`."""
        line, column = self.position(self.offset_of(ordinal))
        return QasmError(message, line, column)


def tokenize(source: Source) -> list[Token]:
    """All tokens of the source, ending with an `eof` token.

    Raises:
        QasmError: at the first character that starts no token, or at an unterminated
            comment or string.
    """
    texts = _token_texts(source.text)
    table = _KIND_OF_FIRST
    kinds = [table.get(text[0], "bad") for text in texts]
    if "bad" in kinds or not _LONE.isdisjoint(texts) or _unterminated(source.text, texts):
        _raise_first_lexical_error(source)
    tokens = list(zip(kinds, texts, range(len(texts)), strict=True))
    tokens.append(("eof", "", len(tokens)))
    return tokens


def _token_texts(text: str) -> list[str]:
    """Token texts in order, comments dropped (by one C-level substitution when no string
    holds comment marks, which is always so in practice)."""
    if "//" not in text and "/*" not in text:
        return _FAST.findall(text)
    if not _COMMENT_IN_STRING.search(text):
        return _FAST.findall(_COMMENT.sub(" ", text))
    return [t for t in _WITH_COMMENTS.findall(text) if t[:2] not in ("//", "/*")]


def _unterminated(text: str, texts: list[str]) -> bool:
    """Whether an unclosed block comment was split into '/' '*' tokens by the fast pass."""
    return "/*" in text and any(
        a == "/" and b == "*" for a, b in itertools.pairwise(texts))


def _raise_first_lexical_error(source: Source) -> None:
    for match in _SLOW.finditer(source.text):
        kind = match.lastgroup
        offset = match.start()
        if kind == "open_block":
            raise _at(source, offset, "comment opened with '/*' is never closed")
        if kind == "open_str":
            raise _at(source, offset, "string is not closed on the same line")
        text = match.group()
        if kind == "token" and (text in _LONE or text[0] not in _KIND_OF_FIRST):
            char = match.group()[0]
            raise _at(source, offset, f"unexpected character {char!r} (U+{ord(char):04X})")


def _at(source: Source, offset: int, message: str) -> QasmError:
    line, column = source.position(offset)
    return QasmError(message, line, column)
