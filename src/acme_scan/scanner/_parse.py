"""Source text to an `ast` tree: CPython's parser first, LibCST for syntax it lacks.

`ast.parse` only builds a tree (it never executes anything) and is the fast path. A module the
running interpreter rejects may use syntax newer than itself (PEP 695 generics and `type`
aliases or PEP 701 f-strings on Python 3.11): LibCST, which knows newer grammars, parses it and
`_lower` turns its tree into the `ast` tree CPython's newer parser would build, so the one
analysis runs on it. LibCST is never asked to parse input CPython rejected for its depth (too
many nested brackets, a too complex expression, a recursion or memory limit): its native
parser can overflow its stack on such input. A module neither accepts is an AS001 with
CPython's message and location.
"""

from __future__ import annotations

import ast
import contextlib
import sys
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

from acme_scan import _log, codes
from acme_scan._records import FrozenRecord, _set
from acme_scan.scanner.engine import diagnostic

logger = _log.get(__name__)

#: CPython messages that reject input for its depth, size or bytes, not its grammar.
_NOT_GRAMMAR = (
    "null bytes",
    "too many nested",
    "too complex",
    "too many levels of indentation",
    "too many statically nested blocks",
    "maximum recursion depth",
    "stack overflow",
    "parser stack",
)


class Parsed(FrozenRecord):
    """A module's tree; `lowered` when it came from LibCST (syntax newer than this Python)."""

    __slots__ = ("lowered", "tree")
    tree: ast.Module
    lowered: bool

    def __init__(self, tree: ast.Module, lowered: bool) -> None:
        _set(self, "tree", tree)
        _set(self, "lowered", lowered)


class _Warnings:
    #: True while `warnings_ignored` holds: the parser's warnings are already ignored.
    ignored: ClassVar[bool] = False


@contextlib.contextmanager
def warnings_ignored() -> Iterator[None]:
    """Every warning ignored while the block runs: for a run of `parse` calls (a worker's
    chunk of files), one `catch_warnings` instead of one a file (each costs ~4 us: 2-3 % of
    a cold scan of small modules). Only for a block that runs no caller's code."""
    if _Warnings.ignored:
        yield
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _Warnings.ignored = True
        try:
            yield
        finally:
            _Warnings.ignored = False


def parse(text: str, path: str) -> Parsed | dict[str, Any]:
    """The module's `ast` tree, or an AS001 diagnostic (index JSON data)."""
    if _Warnings.ignored:  # a worker's chunk: not even the context manager's ~1.5 us
        return _parse(text, path)
    with warnings_ignored():  # invalid escape sequences and the like
        return _parse(text, path)


def _parse(text: str, path: str) -> Parsed | dict[str, Any]:
    try:
        return Parsed(_cpython_parse(text, path), lowered=False)
    except SyntaxError as error:
        # What is needed of the error, not the error: kept past this block, it and its
        # traceback (which holds this frame) would be a reference cycle.
        rejected, newer = _rejected(error, path)
    except ValueError as error:  # a null byte (before Python 3.12)
        return diagnostic(codes.SYNTAX_ERROR, path, 1, 0, f"invalid source: {error}")
    except (RecursionError, MemoryError) as error:
        message = (
            f"cannot parse: {type(error).__name__}: {error} (too deeply nested for "
            "Python's parser; the module cannot be imported either)"
        )
        return diagnostic(codes.SYNTAX_ERROR, path, 0, 0, message)
    if not newer:
        return rejected  # not newer syntax: LibCST must not be asked
    tree = _parse_with_libcst(text)
    return rejected if tree is None else Parsed(tree, lowered=True)


def _rejected(error: SyntaxError, path: str) -> tuple[dict[str, Any], bool]:
    """CPython's refusal as an AS001 diagnostic, and whether newer syntax may explain it
    (not an indentation error, nor a limit of the parser such as nesting depth)."""
    message = str(error.msg)
    rejected = diagnostic(
        codes.SYNTAX_ERROR, path, error.lineno or 0, error.offset or 0, syntax_message(message)
    )
    limited = isinstance(error, IndentationError) or any(limit in message for limit in _NOT_GRAMMAR)
    return rejected, not limited


#: The file name given to CPython's parser and compiler. On a syntax error CPython opens the
#: file it was told the text came from, to show the error's line (and columns follow what
#: it reads); no file can be named "", so the result never depends on what lies at the
#: scanned path in the current directory.
_NO_FILE = ""


def _cpython_parse(text: str, path: str) -> ast.Module:
    return ast.parse(text, filename=_NO_FILE)


def _parse_with_libcst(text: str) -> ast.Module | None:
    """LibCST's tree of `text` lowered to `ast`, or None when LibCST rejects it too."""
    try:
        import libcst as cst

        from acme_scan.scanner._lower import lower
    except ImportError:  # pragma: no cover - libcst is a dependency
        return None
    try:
        module = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError, MemoryError, ValueError, TypeError):
        return None
    try:
        # Syntax this interpreter lacks is at least Python 3.12's: build that version's tree.
        return lower(module, text, max(sys.version_info[:2], (3, 12)))
    except (RecursionError, MemoryError):
        return None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # A LibCST node with no `ast` counterpart in the versions lowered to (say, a
        # Python 3.14 template string): the module stays an AS001 with CPython's message.
        logger.debug("cannot lower LibCST's tree to ast: %s", exc)
        return None


def compile_error(tree: ast.Module, path: str, *, lowered: bool) -> dict[str, Any] | None:
    """Why CPython refuses to compile a parsed module (never executed), or None.

    Some errors only surface when compiling: a repeated argument, `return` outside a function,
    a late `from __future__` import. Such a module cannot be imported, so it defines nothing.
    A lowered tree may hold nodes this interpreter cannot compile; those are not checked.
    """
    with warnings_ignored():
        try:
            compile(tree, _NO_FILE, "exec", dont_inherit=True)
        except SyntaxError as error:
            return diagnostic(
                codes.SYNTAX_ERROR,
                path,
                error.lineno or 0,
                error.offset or 0,
                f"{syntax_message(str(error.msg))} (the module cannot be imported)",
            )
        except (ValueError, TypeError, RecursionError, MemoryError):
            if not lowered:
                return None
    return None


def syntax_message(detail: str) -> str:
    """`invalid syntax: DETAIL`, without repeating CPython's bare "invalid syntax"."""
    detail = detail.strip()
    return "invalid syntax" if detail in ("", "invalid syntax") else f"invalid syntax: {detail}"
