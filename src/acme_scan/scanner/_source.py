"""Turn a module's bytes into text the way the Python interpreter would (PEP 263, BOM)."""

from __future__ import annotations

import codecs
import io
import tokenize

from acme_scan._records import FrozenRecord, _set


class DecodeFailure(FrozenRecord):
    """Why the bytes are not valid source text, and where (1-based line, 0 if unknown)."""

    __slots__ = ("column", "line", "message")
    line: int
    column: int
    message: str

    def __init__(self, line: int, column: int, message: str) -> None:
        _set(self, "line", line)
        _set(self, "column", column)
        _set(self, "message", message)


def decode_source(source: bytes) -> str | DecodeFailure:
    """Decode `source` with its PEP 263 declaration (default UTF-8), strictly.

    Returns the text, or a `DecodeFailure` saying which line is undecodable.
    """
    if not source.startswith(codecs.BOM_UTF8) and b"coding" not in _first_two_lines(source):
        # No BOM and no PEP 263 cookie (it needs `coding` in one of the first two lines):
        # `detect_encoding` would answer UTF-8, so valid UTF-8 is decoded straight away.
        try:
            return source.decode("utf-8")
        except UnicodeDecodeError:
            pass  # the full path below says where, as `detect_encoding` would
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    except SyntaxError as exc:  # unknown codec in the cookie, or a BOM/cookie conflict
        return DecodeFailure(getattr(exc, "lineno", None) or 1, 0, str(exc.msg or exc))
    try:
        text = source.decode(encoding)
    except UnicodeDecodeError as exc:
        line = source.count(b"\n", 0, exc.start) + 1
        column = exc.start - (source.rfind(b"\n", 0, exc.start) + 1) + 1
        return DecodeFailure(
            line,
            column,
            f"cannot decode byte {source[exc.start]:#04x} as {encoding} ({exc.reason}); "
            "save the file as UTF-8 or declare its encoding (PEP 263)",
        )
    except LookupError as exc:
        return DecodeFailure(1, 0, f"unknown encoding: {exc}")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _first_two_lines(source: bytes) -> bytes:
    """The first two lines as `detect_encoding` reads them (split at `\n` only)."""
    end = source.find(b"\n")
    if end >= 0:
        end = source.find(b"\n", end + 1)
    return source if end < 0 else source[:end]
