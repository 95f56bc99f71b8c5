"""Source positions of the few nodes the index reports, computed cheaply.

LibCST's `PositionProvider` computes positions for every node by generating the module's
code again, which costs as much as parsing. The positions needed here (statements, function
definitions, decorators, assigned values) are also in the tree CPython's own parser builds
(`ast.parse`: it parses, it never executes), about ten times faster. The two trees have the
same statements in the same order, so they are aligned statement by statement. When the
running interpreter cannot parse the file (syntax newer than itself) LibCST's provider is
used; both give identical answers (tested).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence
from typing import Protocol

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

#: `try` statements of the running Python's `ast` (`try`/`except*` is 3.11+).
if sys.version_info >= (3, 11):
    _TRY_NODES = (ast.Try, ast.TryStar)
else:  # pragma: no cover - Python 3.10
    _TRY_NODES = (ast.Try,)

Anchor = cst.FunctionDef | cst.Decorator | cst.BaseSmallStatement | cst.BaseExpression


class Positions(Protocol):
    def start(self, node: Anchor) -> tuple[int, int]:
        """(line, column), 1-based, of a def, a decorator's `@`, a statement or a value."""
        ...

    def end_line(self, node: Anchor) -> int:
        """Last line of a def or a statement, 1-based."""
        ...


def positions_for(module: cst.Module, tree: ast.Module | None, text: str) -> Positions:
    """Positions from CPython's `tree` of `text` (the module's source), else from LibCST."""
    if tree is None:
        return _CstPositions(module)
    aligned = _AstPositions(text)
    try:
        aligned.body(module.body, tree.body)
    except _Misaligned:
        return _CstPositions(module)
    return aligned


class _CstPositions:
    def __init__(self, module: cst.Module) -> None:
        self._positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)

    def start(self, node: Anchor) -> tuple[int, int]:
        position = self._positions[node].start
        return position.line, position.column + 1

    def end_line(self, node: Anchor) -> int:
        return self._positions[node].end.line


class _Misaligned(Exception):
    pass


class _AstPositions:
    def __init__(self, text: str) -> None:
        self._lines = text.splitlines(keepends=True)
        self._starts: dict[int, tuple[int, int]] = {}
        self._ends: dict[int, int] = {}

    def start(self, node: Anchor) -> tuple[int, int]:
        return self._starts[id(node)]

    def end_line(self, node: Anchor) -> int:
        return self._ends[id(node)]

    def _column(self, line: int, byte_offset: int) -> int:
        """1-based character column from ast's UTF-8 byte offset."""
        text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace")) + 1

    def _record(self, node: cst.CSTNode, stmt: ast.stmt | ast.expr) -> None:
        self._starts[id(node)] = (stmt.lineno, self._column(stmt.lineno, stmt.col_offset))
        self._ends[id(node)] = stmt.end_lineno or stmt.lineno

    def body(self, cst_body: Sequence[cst.BaseStatement], ast_body: list[ast.stmt]) -> None:
        queue = list(ast_body)
        queue.reverse()
        for statement in cst_body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._small(small, queue)
            else:
                if not queue:
                    raise _Misaligned
                self._compound(statement, queue.pop())
        if queue:
            raise _Misaligned

    def _suite(self, suite: cst.BaseSuite, ast_body: list[ast.stmt]) -> None:
        if isinstance(suite, cst.SimpleStatementSuite):
            queue = list(ast_body)
            queue.reverse()
            for small in suite.body:
                self._small(small, queue)
            if queue:
                raise _Misaligned
        else:
            assert isinstance(suite, cst.IndentedBlock)
            self.body(suite.body, ast_body)

    def _small(self, small: cst.BaseSmallStatement, queue: list[ast.stmt]) -> None:
        if not queue:
            raise _Misaligned
        stmt = queue.pop()
        self._record(small, stmt)
        if isinstance(small, cst.Assign | cst.AnnAssign) and small.value is not None:
            value = getattr(stmt, "value", None)
            if not isinstance(value, ast.expr):
                raise _Misaligned
            self._record(small.value, value)

    def _compound(self, node: cst.BaseStatement, stmt: ast.stmt) -> None:
        if isinstance(node, cst.FunctionDef):
            if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                raise _Misaligned
            self._record(node, stmt)
            if len(node.decorators) != len(stmt.decorator_list):
                raise _Misaligned
            column = self._column(stmt.lineno, stmt.col_offset)
            for decorator, expression in zip(node.decorators, stmt.decorator_list, strict=True):
                self._starts[id(decorator)] = (expression.lineno, column)
            self._suite(node.body, stmt.body)
        elif isinstance(node, cst.ClassDef):
            if not isinstance(stmt, ast.ClassDef):
                raise _Misaligned
            self._suite(node.body, stmt.body)
        elif isinstance(node, cst.If):
            if not isinstance(stmt, ast.If):
                raise _Misaligned
            self._suite(node.body, stmt.body)
            if isinstance(node.orelse, cst.If):
                if len(stmt.orelse) != 1:
                    raise _Misaligned
                self._compound(node.orelse, stmt.orelse[0])
            elif isinstance(node.orelse, cst.Else):
                self._suite(node.orelse.body, stmt.orelse)
        elif isinstance(node, cst.For | cst.While):
            if not isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
                raise _Misaligned
            self._suite(node.body, stmt.body)
            if node.orelse is not None:
                self._suite(node.orelse.body, stmt.orelse)
        elif isinstance(node, cst.With):
            if not isinstance(stmt, ast.With | ast.AsyncWith):
                raise _Misaligned
            self._suite(node.body, stmt.body)
        elif isinstance(node, cst.Try | cst.TryStar):
            if not isinstance(stmt, _TRY_NODES):
                raise _Misaligned
            self._suite(node.body, stmt.body)
            if len(node.handlers) != len(stmt.handlers):
                raise _Misaligned
            handlers: list[cst.ExceptHandler | cst.ExceptStarHandler] = list(node.handlers)
            for handler, ast_handler in zip(handlers, stmt.handlers, strict=True):
                self._suite(handler.body, ast_handler.body)
            if node.orelse is not None:
                self._suite(node.orelse.body, stmt.orelse)
            if node.finalbody is not None:
                self._suite(node.finalbody.body, stmt.finalbody)
        elif isinstance(node, cst.Match):
            if not isinstance(stmt, ast.Match) or len(node.cases) != len(stmt.cases):
                raise _Misaligned
            for case, ast_case in zip(node.cases, stmt.cases, strict=True):
                self._suite(case.body, ast_case.body)
        else:
            raise _Misaligned
