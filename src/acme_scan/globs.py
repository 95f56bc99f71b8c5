"""Gitignore-style patterns, compiled so that matching takes linear time in the name.

`pathspec` turns each `*` into `[^/]*`, and Python's regular expressions backtrack: a
pattern such as `*a*a*a*a*a*a*a*a*a*a*a*a*b` (in a `.gitignore` or `exclude`) takes seconds
to minutes per file name that does not match. Between two stars of one path segment, the
leftmost match of what lies between them is always as good as any other (the next star
absorbs the difference, and nothing there matches `/`), so each such `*X` is compiled as an
atomic lazy group `(?>[^/]*?X)`: found once, never retried. The patterns match exactly the
same names.

Invalid patterns: `.gitignore` lines git would ignore are ignored (`gitignore_spec`); a
pattern in the settings is an error (`check_patterns`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from acme_scan import _log

if TYPE_CHECKING:
    import pathspec

logger = _log.get(__name__)

_STAR = "[^/]*"


def gitignore_spec(lines: Iterable[str], *, strict: bool = False) -> pathspec.PathSpec[Any]:
    """A `GitIgnoreSpec` of `lines` whose matching never backtracks exponentially.

    Invalid lines raise `ValueError` with `strict`, else are skipped (as git skips them).
    """
    kept: list[str] = []
    for line in lines:
        try:
            _compile([line])
        except ValueError:
            if strict:
                raise
            logger.debug("ignoring an invalid gitignore pattern: %r", line)
            continue
        kept.append(line)
    spec = _compile(kept)
    for pattern in spec.patterns:
        regex = getattr(pattern, "regex", None)
        if isinstance(regex, re.Pattern) and isinstance(regex.pattern, str):
            linear = linear_regex(regex.pattern)
            if linear != regex.pattern:
                pattern.regex = re.compile(linear, regex.flags)
    return spec


def _compile(lines: list[str]) -> pathspec.PathSpec[Any]:
    import pathspec  # only when there are patterns (a warm scan of most projects has none)

    # The "simple" backend matches with each pattern's `regex` (other backends, when
    # installed, would compile their own).
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines, backend="simple")
    except TypeError:  # pragma: no cover - pathspec < 1.0 has one backend
        return pathspec.GitIgnoreSpec.from_lines(lines)


def check_patterns(patterns: Sequence[str]) -> str | None:
    """Why `patterns` (from the settings) are invalid, or None."""
    for pattern in patterns:
        try:
            gitignore_spec([pattern], strict=True)
        except ValueError as exc:
            return f"invalid pattern {pattern!r} ({exc})"
    return None


def linear_regex(source: str) -> str:
    """`source` (a regex pathspec compiled) with `[^/]*X[^/]*` as `(?>[^/]*?X)[^/]*`."""
    tokens = _tokens(source)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == _STAR:
            j = i + 1
            while j < len(tokens) and _fixed(tokens[j]):
                j += 1
            if j > i + 1 and j < len(tokens) and tokens[j] == _STAR:
                out.append(_atomic("[^/]*?" + "".join(tokens[i + 1 : j]), len(out)))
                i = j
                continue
        out.append(token)
        i += 1
    return "".join(out)


def _atomic(body: str, number: int) -> str:
    """`(?>body)`: an atomic group (Python 3.11+), or its classic equivalent before 3.11, a
    lookahead capturing the match and a backreference consuming it (never re-entered)."""
    if sys.version_info < (3, 11):
        name = f"acme_atomic_{number}"
        return f"(?=(?P<{name}>{body}))(?P={name})"
    return f"(?>{body})"


def _tokens(source: str) -> list[str]:
    tokens: list[str] = []
    i = 0
    while i < len(source):
        if source.startswith(_STAR, i):
            tokens.append(_STAR)
            i += len(_STAR)
        elif source[i] == "\\" and i + 1 < len(source):
            tokens.append(source[i : i + 2])
            i += 2
        elif source[i] == "[":
            end = i + 1
            if end < len(source) and source[end] == "^":
                end += 1
            if end < len(source) and source[end] == "]":
                end += 1
            while end < len(source) and source[end] != "]":
                end += 2 if source[end] == "\\" else 1
            tokens.append(source[i : end + 1])
            i = end + 1
        else:
            tokens.append(source[i])
            i += 1
    return tokens


def _fixed(token: str) -> bool:
    """Whether `token` matches exactly one character, never `/`."""
    if token == "[^/]":
        return True
    if token.startswith("["):
        return not token.startswith("[^") and "/" not in token and token.endswith("]")
    if token.startswith("\\"):
        return token[1].isascii() and not token[1].isalnum() and token[1] != "/"
    return len(token) == 1 and token not in "^$()|?*+.{}/"
