"""Turn a module's bytes into text the way the Python interpreter would (PEP 263, BOM)."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DecodeFailure:
    """Why the bytes are not valid source text, and where (1-based line, 0 if unknown)."""

    line: int
    column: int
    message: str


def decode_source(source: bytes) -> str | DecodeFailure:
    """Decode `source` with its PEP 263 declaration (default UTF-8), strictly.

    Returns the text, or a `DecodeFailure` saying which line is undecodable.
    """
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
