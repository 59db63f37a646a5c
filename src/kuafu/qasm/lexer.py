"""Tokens of OpenQASM 2 source, with byte-exact positions for error messages."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..errors import QasmError

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*)
  | (?P<block>/\*.*?\*/)
  | (?P<open_block>/\*)
  | (?P<real>(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+)
  | (?P<int>\d+)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<str>"[^"\n]*")
  | (?P<open_str>")
  | (?P<op>->|==|[;,()\[\]{}+\-*/^])
  | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)

Token = tuple[str, str, int]
"""(kind, text, offset): kind is real, int, id, str, op or eof; for op the text is the
operator itself."""


@dataclass
class Source:
    """Program text with a lazily built line index, to turn offsets into line/column."""

    text: str
    _line_starts: list[int] | None = None

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def error(self, message: str, offset: int) -> QasmError:
        """A `QasmError` at `offset`."""
        line, column = self.position(offset)
        return QasmError(message, line, column)


def tokenize(source: Source) -> list[Token]:
    """All tokens of the source, ending with an `eof` token.

    Raises:
        QasmError: at the first character that starts no token, or an unterminated
            comment or string.
    """
    tokens: list[Token] = []
    append = tokens.append
    for match in _TOKEN.finditer(source.text):
        kind = match.lastgroup
        if kind in ("ws", "comment", "block"):
            continue
        if kind in ("real", "int", "id", "op", "str"):
            append((kind, match.group(), match.start()))
            continue
        offset = match.start()
        if kind == "open_block":
            raise source.error("comment opened with '/*' is never closed", offset)
        if kind == "open_str":
            raise source.error("string is not closed on the same line", offset)
        char = match.group()
        raise source.error(f"unexpected character {char!r} (U+{ord(char):04X})", offset)
    append(("eof", "", len(source.text)))
    return tokens
