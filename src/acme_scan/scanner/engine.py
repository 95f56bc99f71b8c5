"""The analysis engine: one walk of a module's `ast` in execution order, shared by recognisers.

The engine knows Python, not orchestrators. It parses (`_parse`), tracks what every name is
bound to through imports, assignments, branches, `try`, loops, `with`, `match`, `global`,
class bodies and function bodies (`_symbols`), evaluates constants (`_literals`), and turns
positions and diagnostics into index data. What counts as a flow (or a DAG) is decided by a
**recogniser**: one small module per framework (`scanner/prefect.py`) that subclasses
`Recogniser` and overrides the hooks it needs.

The interface a recogniser sees
-------------------------------
Hooks (all optional; the defaults do nothing), called by `Walker` during its walk:

- `could_define(source: bytes) -> bool`: the byte-level prefilter. A file is parsed only when
  some recogniser says it may define something; it must over-approximate (never drop a find).
- `preferred(symbol) -> bool`: the framework's tools (its decorator, imported as a `Qual`),
  which win when branches bind a name differently (`try: from x import flow` / `except: from
  prefect import flow`). Instances of `_symbols.Tool` are always preferred.
- `relevant(symbol) -> bool`: whether an outer binding of a free name in a function matters
  (then the function's local names are computed to see if it is shadowed).
- `star_import(module) -> Mapping[str, Symbol]`: names `from module import *` binds.
- `function_def(walker, node, scope) -> Symbol | None`: what a `def` binds instead of a plain
  `FunctionRef` (a flow object, say); None keeps the `FunctionRef`.
- `call(walker, node, scope) -> Symbol | None`: the value of a call expression (None: OTHER).
- `assigned(walker, statement, value, target, symbol, scope)`: after `target = value` binds
  the single name `target` to `symbol` (call-form flows are recorded here).
- `context(walker, statement, item, scope) -> Symbol | None`: what a `with` item's context
  expression evaluates to (a DAG, say), before its body runs; the `as` name (a single name)
  is bound to it. None: the expression is not the recogniser's (the name is bound to OTHER).
- `expression_statement(walker, statement, scope)`: a statement that is only an expression
  (`f()`, `DAG(...)`), whose value is thrown away; `walker.expression` evaluates it.
- `module_done(walker, scope)`: the module body has run; `scope.state` holds its final
  bindings (what an entrypoint can load). Function bodies are walked after this.
- `finish(walker) -> list[dict]`: after the walk (module, class bodies, then function
  bodies): the found objects as index JSON data, positions from `walker.start`/`end_line`.

What the walker offers a recogniser: `expression(node, scope) -> Symbol`, `constants(scope)`
(a name resolver for `_literals.literal_value`), `segment(node)` (source text as written),
`report(code, where, message)` (a diagnostic at an anchor: a statement, a `Decorator`, or
else the statement being walked), `start(anchor)` / `end_line(anchor)` (1-based line,
1-based character column), `main_guard` (inside `if __name__ == "__main__":`), `loops`
(how many `for`/`while` bodies enclose the statement in its scope), `anchor` (the simple
statement or `with` being walked), and each
`Scope`'s `kind`, `qualname_prefix`, `in_function`, `unloadable`, `state` and `lookup`.

The walk is iterative where users control the depth without limit (`elif` chains,
attribute and `+` chains); CPython already bounds the rest (nesting of brackets and blocks).
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from acme_scan import codes
from acme_scan._records import EqRecord, FrozenRecord, _set
from acme_scan.codes import Code
from acme_scan.scanner._literals import UNKNOWN, NameResolver, literal_value
from acme_scan.scanner._symbols import (
    OTHER,
    Choice,
    ClassRef,
    Const,
    FunctionNode,
    FunctionRef,
    Made,
    Qual,
    Scope,
    Symbol,
    Tool,
    merge,
    target_names,
)

_TRY = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_FOR = (ast.For, ast.AsyncFor)
_WITH = (ast.With, ast.AsyncWith)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: Functions shorter than this many lines (after the `def` line) are walked untested, and so
#: are bodies of at most `_WALKED_STATEMENTS` statements that hold no block (a docstring and
#: a `return`, say): such a walk costs less than the test.
_WALKED_LINES = 4
_WALKED_STATEMENTS = 3
_BLOCKS = (*_DEFINITIONS, ast.If, *_TRY, *_FOR, ast.While, *_WITH, ast.Match)


class Decorator(FrozenRecord):
    """A decorator as a diagnostic anchor: the `@` line, and the column of its `def`."""

    __slots__ = ("expression", "owner")
    expression: ast.expr
    owner: FunctionNode

    def __init__(self, expression: ast.expr, owner: FunctionNode) -> None:
        _set(self, "expression", expression)
        _set(self, "owner", owner)


Anchor = ast.stmt | Decorator | ast.expr


def diagnostic(code: Code, path: str, line: int, column: int, message: str) -> dict[str, Any]:
    """A diagnostic as index JSON data (the shape of `models.Diagnostic`)."""
    return {
        "path": path,
        "line": line,
        "column": column,
        "code": code.code,
        "severity": code.severity,
        "message": message,
    }


class Source:
    """The module's text, for source segments and character columns of `ast` positions
    (which are UTF-8 byte offsets), split into lines as CPython's tokenizer does."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None
        # In ASCII text a byte offset is a character offset: no line needs re-encoding.
        self._ascii = text.isascii()

    def lines(self) -> list[str]:
        """The text's lines (split at `\r\n`, `\r` and `\n`), split on first use."""
        lines = self._lines
        if lines is None:
            text = self.text
            lines = text.split("\n") if "\r" not in text else _LINE_BREAK.split(text)
            self._lines = lines
        return lines

    def line(self, number: int) -> str:
        lines = self._lines if self._lines is not None else self.lines()
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def column(self, line: int, byte_offset: int) -> int:
        """1-based character column of a UTF-8 byte offset in `line`."""
        if self._ascii:
            return byte_offset + 1
        text = self.line(line)
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="replace")) + 1

    def segment(self, node: ast.AST) -> str:
        """The source text of an expression, as written."""
        try:  # an expression's positions (the end ones may be None)
            first = node.lineno  # type: ignore[attr-defined]
            last = node.end_lineno or first  # type: ignore[attr-defined]
            start = node.col_offset  # type: ignore[attr-defined]
            end = node.end_col_offset  # type: ignore[attr-defined]
        except AttributeError:
            first = getattr(node, "lineno", 0)
            last = getattr(node, "end_lineno", None) or first
            start = getattr(node, "col_offset", 0)
            end = getattr(node, "end_col_offset", None)
        if first == last:
            if self._ascii:
                lines = self._lines if self._lines is not None else self.lines()
                text = lines[first - 1] if 0 < first <= len(lines) else ""
                return text[start:end].strip()
            text = self.line(first)
            if text.isascii():
                return text[start:end].strip()
            return text.encode("utf-8")[start:end].decode("utf-8", "replace").strip()
        lines = [self.line(number) for number in range(first, last + 1)]
        if self._ascii:
            lines[0] = lines[0][start:]
            lines[-1] = lines[-1][:end]
        else:
            lines[0] = lines[0].encode("utf-8")[start:].decode("utf-8", "replace")
            lines[-1] = lines[-1].encode("utf-8")[:end].decode("utf-8", "replace")
        return "\n".join(lines).strip()


class Recogniser:
    """Base of a framework recogniser: every hook is a no-op (see the module docstring).

    One instance serves one walk: `Walker` calls `fresh()` to get it.
    """

    #: Short name of the framework (`prefect`).
    name = ""

    def fresh(self) -> Recogniser:
        """A new instance for one module's walk (recognisers keep per-module state)."""
        return type(self)()

    def could_define(self, source: bytes) -> bool:
        return False

    def preferred(self, symbol: Symbol) -> bool:
        return False

    def relevant(self, symbol: Symbol) -> bool:
        return False

    def star_import(self, module: str | None) -> Mapping[str, Symbol]:
        return {}

    def function_def(self, walker: Walker, node: FunctionNode, scope: Scope) -> Symbol | None:
        return None

    def call(self, walker: Walker, node: ast.Call, scope: Scope) -> Symbol | None:
        return None

    def assigned(
        self,
        walker: Walker,
        statement: ast.stmt,
        value: ast.expr,
        target: str,
        symbol: Symbol,
        scope: Scope,
    ) -> None:
        return None

    def context(
        self, walker: Walker, statement: ast.With | ast.AsyncWith, item: ast.withitem, scope: Scope
    ) -> Symbol | None:
        return None

    def expression_statement(self, walker: Walker, statement: ast.Expr, scope: Scope) -> None:
        return None

    def module_done(self, walker: Walker, scope: Scope) -> None:
        """The module body ran (function bodies not yet): `scope.state` is its final state."""
        return None

    def finish(self, walker: Walker) -> list[dict[str, Any]]:
        return []


class _Pending(EqRecord):
    __slots__ = ("anchor", "code", "message")
    code: Code
    anchor: Anchor
    message: str

    def __init__(self, code: Code, anchor: Anchor, message: str) -> None:
        self.code = code
        self.anchor = anchor
        self.message = message


class Walker(EqRecord):
    """Walks one module for one recogniser; see the module docstring for what it offers."""

    __slots__ = (
        "anchor",
        "calls",
        "deferred",
        "loops",
        "main_guard",
        "mattering",
        "path",
        "pending",
        "recogniser",
        "scopes",
        "source",
        "tree",
        "walrus",
        "walrus_lines",
    )
    tree: ast.Module
    source: Source
    path: str
    recogniser: Recogniser
    main_guard: int
    loops: int
    anchor: Anchor | None
    pending: list[_Pending]
    deferred: list[tuple[Sequence[ast.stmt], Scope]]
    walrus: bool
    #: The lines `:=` is written on (when `walrus`), in order.
    walrus_lines: list[int]
    calls: dict[ast.Call, Symbol]
    #: `matter(scope)` of the scopes asked about, by `id`.
    mattering: dict[int, frozenset[str]]
    #: Every scope made (`new_scope`), for `run` to release.
    scopes: list[Scope]

    def __init__(
        self,
        tree: ast.Module,
        source: Source,
        path: str,
        recogniser: Recogniser,
        main_guard: int = 0,
        loops: int = 0,
        anchor: Anchor | None = None,
        pending: list[_Pending] | None = None,
        deferred: list[tuple[Sequence[ast.stmt], Scope]] | None = None,
        walrus: bool = False,
        walrus_lines: list[int] | None = None,
        calls: dict[ast.Call, Symbol] | None = None,
    ) -> None:
        self.tree = tree
        self.source = source
        self.path = path
        self.recogniser = recogniser
        self.main_guard = main_guard
        self.loops = loops
        self.anchor = anchor
        self.pending = [] if pending is None else pending
        self.deferred = [] if deferred is None else deferred
        self.walrus = walrus
        self.walrus_lines = [] if walrus_lines is None else walrus_lines
        self.calls = {} if calls is None else calls
        self.mattering = {}
        self.scopes = []

    # -- driver ------------------------------------------------------------------------------

    def run(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(found objects, diagnostics) as index JSON data."""
        self.walrus = ":=" in self.source.text
        if self.walrus:
            self.walrus_lines = [
                number for number, line in enumerate(self.source.lines(), start=1) if ":=" in line
            ]
        try:
            module_scope = self.new_scope("module", None, "")
            self.block(self.tree.body, module_scope)
            self.recogniser.module_done(self, module_scope)
            self.run_deferred()
            found = self.recogniser.finish(self)
        finally:
            self.release()
        diagnostics = [
            diagnostic(item.code, self.path, *self.start(item.anchor), item.message)
            for item in self.pending
        ]
        return found, diagnostics

    def release(self) -> None:
        """Break the reference cycles a walk makes, so that the module's tree and all that
        was made from it are freed as soon as the walk's results are (by reference counts),
        not by a later garbage collection that first has to trace them: a scope's symbols
        name the scope they were defined in, and its `relevant` is a method of the
        recogniser, whose findings name the scopes."""
        for scope in self.scopes:
            scope.state = {}
            scope.relevant = None
        self.scopes = []

    def run_deferred(self) -> None:
        """Walk function bodies (after the module ran, as Python would call them), except
        those whose walk can find nothing (`may_find`)."""
        done = 0
        while done < len(self.deferred):  # bodies may defer nested functions' bodies
            body, scope = self.deferred[done]
            done += 1
            node = scope.node
            if (
                node is None
                or node.end_lineno is None
                or node.end_lineno - node.lineno < _WALKED_LINES
                or (
                    len(body) <= _WALKED_STATEMENTS
                    and not any(isinstance(statement, _BLOCKS) for statement in body)
                )
                or self.may_find(scope)
            ):
                self.block(body, scope)
        self.deferred.clear()

    def may_find(self, scope: Scope) -> bool:
        """Whether walking the body of the function of `scope` can find or report anything.

        A function body's walk binds names in its own scope only, unless it declares a
        `global`; everything the recogniser finds or reports is reached from a name. So the
        walk is needed only when the function's text (its `def` line to its end: nested
        decorators included) declares a `global`, passes the recogniser's prefilter (it
        could import the framework itself), or holds a name whose binding in an enclosing
        scope matters (`matter`). Names are found as substrings, so words in strings and
        comments count too: that only walks more. Non-ASCII text is always walked
        (identifiers are NFKC-normalised, the text is not). `run_deferred` asks only about
        functions of `_WALKED_LINES` or more whose bodies are not a few simple statements
        (`_WALKED_STATEMENTS`): a shorter walk costs less than the test.
        """
        node = scope.node
        parent = scope.parent
        if node is None or parent is None or node.end_lineno is None:
            return True
        text = "\n".join(self.source.lines()[node.lineno - 1 : node.end_lineno])
        if not text.isascii():
            return True
        if "global" in text:
            self.mattering.clear()  # the walk may rebind module names
            return True
        if self.recogniser.could_define(text.encode("ascii")):
            return True
        return any(name in text for name in self.matter(parent))

    def matter(self, scope: Scope) -> frozenset[str]:
        """The names whose binding matters to a function nested in `scope`, as they are now:
        bound (in `scope` or a scope around it, class bodies skipped as Python skips them
        for free names) to the framework's tools, a made object or a choice of them, or a
        class whose body binds one. Kept until a walk may rebind module names."""
        key = id(scope)
        known = self.mattering.get(key)
        if known is not None:
            return known
        outer = frozenset() if scope.parent is None else self.matter(scope.parent)
        result = outer
        if scope.kind != "class":
            classes: dict[int, bool] = {}
            own = {name for name, s in scope.state.items() if self._matters(s, classes)}
            if not own <= outer:
                result = outer | own
        self.mattering[key] = result
        return result

    def _matters(self, symbol: Symbol, classes: dict[int, bool]) -> bool:
        """Whether `symbol` matters (see `matter`); `classes` holds the answer for each class
        already looked into (False while it is: a class cannot hold itself)."""
        if isinstance(symbol, Tool | Made | Choice):
            return True
        if isinstance(symbol, ClassRef):
            key = id(symbol.scope)
            known = classes.get(key)
            if known is None:
                classes[key] = False
                known = classes[key] = any(
                    self._matters(inner, classes) for inner in symbol.scope.state.values()
                )
            return known
        recogniser = self.recogniser
        return recogniser.relevant(symbol) or recogniser.preferred(symbol)

    def new_scope(
        self,
        kind: Any,
        parent: Scope | None,
        prefix: str,
        node: FunctionNode | ast.ClassDef | None = None,
        *,
        in_function: bool = False,
        unloadable: bool = False,
    ) -> Scope:
        scope = Scope(kind, parent, prefix, node, in_function, unloadable, self.recogniser.relevant)
        self.scopes.append(scope)
        return scope

    # -- positions and diagnostics -----------------------------------------------------------

    def start(self, anchor: Anchor) -> tuple[int, int]:
        """(line, column), 1-based, of a statement, a decorator's `@` line or an expression."""
        if isinstance(anchor, Decorator):
            owner = anchor.owner
            return anchor.expression.lineno, self.source.column(owner.lineno, owner.col_offset)
        return anchor.lineno, self.source.column(anchor.lineno, anchor.col_offset)

    def start_line(self, anchor: Anchor) -> int:
        """`start(anchor)[0]`."""
        if isinstance(anchor, Decorator):
            return anchor.expression.lineno
        return anchor.lineno

    def end_line(self, anchor: Anchor) -> int:
        if isinstance(anchor, Decorator):
            return anchor.expression.end_lineno or anchor.expression.lineno
        return anchor.end_lineno or anchor.lineno

    def segment(self, node: ast.AST) -> str:
        return self.source.segment(node)

    def report(self, code: Code, where: Anchor, message: str) -> None:
        """A diagnostic at `where` if it is a statement or a decorator, else at the statement
        (or decorator) being walked."""
        if not isinstance(where, ast.stmt | Decorator):
            assert self.anchor is not None
            where = self.anchor
        self.pending.append(_Pending(code, where, message))

    def constants(self, scope: Scope) -> NameResolver:
        def resolve(name: str) -> Any:
            symbol = scope.lookup(name)
            return symbol.value if isinstance(symbol, Const) else UNKNOWN

        return resolve

    # -- statements --------------------------------------------------------------------------

    def block(self, body: Sequence[ast.stmt], scope: Scope) -> None:
        for statement in body:
            self.statement(statement, scope)

    def statement(self, node: ast.stmt, scope: Scope) -> None:
        if self.walrus and not isinstance(node, _DEFINITIONS) and self.may_hold_walrus(node):
            self.named_expressions(node, scope)
        handler = _STATEMENTS.get(type(node))
        if handler is not None:
            handler(self, node, scope)
        else:
            self.any_statement(node, scope)

    def any_statement(self, node: ast.stmt, scope: Scope) -> None:
        """`statement` by isinstance (for a node of a class `_STATEMENTS` does not name)."""
        if isinstance(node, _FUNCTIONS):
            self.function_def(node, scope)
        elif isinstance(node, ast.ClassDef):
            self.class_def(node, scope)
        elif isinstance(node, ast.If):
            self.if_statement(node, scope)
        elif isinstance(node, _TRY):
            self.try_statement(node, scope)
        elif isinstance(node, _FOR):
            self.for_statement(node, scope)
        elif isinstance(node, ast.While):
            self.loop(node, scope)
        elif isinstance(node, _WITH):
            self.with_statement(node, scope)
        elif isinstance(node, ast.Match):
            self.match_statement(node, scope)
        else:
            self.small(node, scope)

    def may_hold_walrus(self, node: ast.stmt | ast.expr) -> bool:
        """Whether `:=` is written on a line of `node` (else it holds no named expression:
        the operator is one token, on one line)."""
        last = node.end_lineno
        if last is None:
            return True
        lines = self.walrus_lines
        index = bisect_left(lines, node.lineno)
        return index < len(lines) and lines[index] <= last

    def for_statement(self, node: ast.For | ast.AsyncFor, scope: Scope) -> None:
        for name in target_names(node.target):
            scope.bind(name, OTHER)
        self.loop(node, scope)

    def with_statement(self, node: ast.With | ast.AsyncWith, scope: Scope) -> None:
        for item in node.items:
            self.anchor = node
            symbol = self.recogniser.context(self, node, item, scope)
            if item.optional_vars is not None:
                single = isinstance(item.optional_vars, ast.Name) and symbol is not None
                for name in target_names(item.optional_vars):
                    scope.bind(name, symbol if single and symbol is not None else OTHER)
        self.block(node.body, scope)

    def match_statement(self, node: ast.Match, scope: Scope) -> None:
        for case in node.cases:
            _bind_pattern(case.pattern, scope)
        self.branches(scope, [case.body for case in node.cases], None)

    def loop(self, node: ast.For | ast.AsyncFor | ast.While, scope: Scope) -> None:
        """A loop: its body (counted in `loops`) and its `else`, as branches."""
        self.loops += 1
        try:
            self.branches(scope, [node.body], node.orelse or None)
        finally:
            self.loops -= 1

    def named_expressions(self, node: ast.AST, scope: Scope) -> None:
        """Bind the targets of `:=` in a statement's own expressions (not in nested blocks
        or lambdas), in source order."""
        stack: list[ast.AST]
        if isinstance(node, ast.expr):  # an `elif` test: itself a named expression, maybe
            stack = [node]
        else:
            stack = [
                child for child in ast.iter_child_nodes(node) if not isinstance(child, ast.stmt)
            ]
            stack.reverse()
        while stack:
            current = stack.pop()
            if isinstance(current, ast.Lambda | ast.stmt):
                continue
            if isinstance(current, ast.NamedExpr):
                for name in target_names(current.target):
                    scope.bind(name, self.expression(current.value, scope))
            children = list(ast.iter_child_nodes(current))
            children.reverse()
            stack.extend(children)

    def branches(
        self,
        scope: Scope,
        bodies: Sequence[Sequence[ast.stmt]],
        orelse: Sequence[ast.stmt] | None,
    ) -> None:
        """Run each body from the current state and merge the outcomes (branch semantics);
        without an `else`, the state where no body ran is an outcome too."""
        start = dict(scope.state)
        outcomes: list[dict[str, Symbol]] = []
        for body in bodies:
            scope.state = dict(start)
            self.block(body, scope)
            outcomes.append(scope.state)
        if orelse is not None:
            scope.state = dict(start)
            self.block(orelse, scope)
            outcomes.append(scope.state)
        else:
            outcomes.append(start)
        scope.state = merge(outcomes, self.recogniser.preferred)

    def if_statement(self, node: ast.If, scope: Scope) -> None:
        """`if`/`elif`/`else`, the chain walked in a loop (it may be thousands long)."""
        start = scope.state
        outcomes: list[dict[str, Symbol]] = []
        current = node
        while True:
            scope.state = start
            if current is not node and self.walrus and self.may_hold_walrus(current.test):
                self.named_expressions(current.test, scope)
            if not _is_type_checking(current.test, scope):  # `if TYPE_CHECKING:` never runs
                guarded = _is_main_guard(current.test)
                scope.state = dict(start)
                self.main_guard += guarded
                self.block(current.body, scope)
                self.main_guard -= guarded
                outcomes.append(scope.state)
            orelse = current.orelse
            if len(orelse) == 1 and isinstance(orelse[0], ast.If):
                current = orelse[0]
                continue
            scope.state = dict(start)
            self.block(orelse, scope)
            outcomes.append(scope.state)
            break
        scope.state = merge(outcomes, self.recogniser.preferred)

    def try_statement(self, node: ast.Try, scope: Scope) -> None:
        self.block(node.body, scope)
        self.block(node.orelse, scope)
        success = scope.state
        outcomes = [success]
        for handler in node.handlers:
            scope.state = dict(success)
            if handler.name is not None:
                scope.bind(handler.name, OTHER)
            self.block(handler.body, scope)
            outcomes.append(scope.state)
        scope.state = merge(outcomes, self.recogniser.preferred)
        self.block(node.finalbody, scope)

    def small(self, node: ast.stmt, scope: Scope) -> None:
        """A simple statement, by isinstance (`_STATEMENTS` dispatches the usual ones)."""
        if isinstance(node, ast.Import):
            self.import_statement(node, scope)
        elif isinstance(node, ast.ImportFrom):
            self.import_from_statement(node, scope)
        elif isinstance(node, ast.Assign):
            self.assign(node, scope)
        elif isinstance(node, ast.AnnAssign):
            self.ann_assign(node, scope)
        elif isinstance(node, ast.AugAssign):
            self.aug_assign(node, scope)
        elif isinstance(node, ast.Delete):
            self.delete(node, scope)
        elif isinstance(node, ast.Expr):
            self.expression_statement(node, scope)
        elif isinstance(node, ast.Global):
            self.global_statement(node, scope)
        else:
            self.anchor = node

    def other_statement(self, node: ast.stmt, scope: Scope) -> None:
        """`return`, `pass`, `raise`...: nothing is bound; the anchor moves on."""
        self.anchor = node

    def import_statement(self, node: ast.Import, scope: Scope) -> None:
        self.anchor = node
        for alias in node.names:
            if alias.asname is not None:
                scope.bind(alias.asname, Qual(alias.name))
            else:
                top = alias.name.split(".")[0]
                scope.bind(top, Qual(top))

    def import_from_statement(self, node: ast.ImportFrom, scope: Scope) -> None:
        self.anchor = node
        self.import_from(node, scope)

    def assign(self, node: ast.Assign, scope: Scope) -> None:
        self.anchor = node
        targets = node.targets
        symbol = self.assigned(node, node.value, scope, targets[0])
        single = len(targets) == 1 and isinstance(targets[0], ast.Name)
        for target in targets:
            for name in target_names(target):
                scope.bind(name, symbol if single else OTHER)

    def ann_assign(self, node: ast.AnnAssign, scope: Scope) -> None:
        self.anchor = node
        if node.value is not None:
            symbol = self.assigned(node, node.value, scope, node.target)
            for name in target_names(node.target):
                scope.bind(name, symbol if isinstance(node.target, ast.Name) else OTHER)

    def aug_assign(self, node: ast.AugAssign, scope: Scope) -> None:
        self.anchor = node
        for name in target_names(node.target):
            scope.bind(name, OTHER)

    def delete(self, node: ast.Delete, scope: Scope) -> None:
        self.anchor = node
        for target in node.targets:
            for name in target_names(target):
                scope.unbind(name)

    def expression_statement(self, node: ast.Expr, scope: Scope) -> None:
        self.anchor = node
        self.recogniser.expression_statement(self, node, scope)

    def global_statement(self, node: ast.Global, scope: Scope) -> None:
        self.anchor = node
        if scope.kind == "function":
            scope.declared_globals.update(node.names)

    def import_from(self, node: ast.ImportFrom, scope: Scope) -> None:
        module = None if node.level or node.module is None else node.module
        if len(node.names) == 1 and node.names[0].name == "*":
            for name, star in self.recogniser.star_import(module).items():
                scope.bind(name, star)
            return
        for alias in node.names:
            imported: Symbol = Qual(f"{module}.{alias.name}") if module else OTHER
            scope.bind(alias.asname or alias.name, imported)

    def assigned(
        self, statement: ast.stmt, value: ast.expr, scope: Scope, target: ast.expr
    ) -> Symbol:
        symbol = self.expression(value, scope)
        if isinstance(target, ast.Name):
            self.recogniser.assigned(self, statement, value, target.id, symbol, scope)
        return symbol

    # -- definitions -------------------------------------------------------------------------

    def function_def(self, node: FunctionNode, scope: Scope) -> None:
        bound = self.recogniser.function_def(self, node, scope)
        scope.bind(node.name, FunctionRef(node, scope) if bound is None else bound)
        inner = self.new_scope(
            "function",
            scope,
            f"{scope.qualname_prefix}{node.name}.<locals>.",
            node,
            in_function=True,
            unloadable=True,
        )
        self.deferred.append((node.body, inner))

    def class_def(self, node: ast.ClassDef, scope: Scope) -> None:
        inner = self.new_scope(
            "class",
            scope,
            f"{scope.qualname_prefix}{node.name}.",
            node,
            in_function=scope.in_function,
            unloadable=scope.unloadable or bool(self.main_guard),
        )
        guard = self.main_guard
        self.main_guard = 0
        self.block(node.body, inner)
        self.main_guard = guard
        scope.bind(node.name, ClassRef(inner))

    # -- expressions -------------------------------------------------------------------------

    def expression(self, node: ast.expr, scope: Scope) -> Symbol:
        """What an expression evaluates to, as far as discovery cares."""
        if isinstance(node, ast.Name):
            return scope.lookup(node.id)
        if isinstance(node, ast.Attribute):
            attributes: list[str] = []
            root: ast.expr = node
            while isinstance(root, ast.Attribute):
                attributes.append(root.attr)
                root = root.value
            symbol = self.expression(root, scope)
            for attribute in reversed(attributes):
                if isinstance(symbol, Qual):
                    symbol = Qual(f"{symbol.name}.{attribute}")
                elif isinstance(symbol, ClassRef):
                    symbol = symbol.scope.state.get(attribute, OTHER)
                else:
                    return OTHER
            return symbol
        if isinstance(node, ast.Call):
            return self.call(node, scope)
        value = literal_value(node, self.constants(scope))
        if value is not UNKNOWN:
            return Const(value)
        return OTHER

    def call(self, node: ast.Call, scope: Scope) -> Symbol:
        """A call's value, from the recogniser; evaluated once per call node.

        Calls nested through their callee (`f()()()`, `a().b().c()`) are evaluated innermost
        first in a loop, so a chain of any length costs no recursion.
        """
        known = self.calls.get(node)
        if known is not None:
            return known
        inner: list[ast.Call] = []
        current = node.func
        while isinstance(current, ast.Call | ast.Attribute):
            if isinstance(current, ast.Call):
                if current in self.calls:
                    break
                inner.append(current)
                current = current.func
            else:
                current = current.value
        for call in reversed(inner):
            self.calls[call] = self._call(call, scope)
        result = self._call(node, scope)
        self.calls[node] = result
        return result

    def _call(self, node: ast.Call, scope: Scope) -> Symbol:
        result = self.recogniser.call(self, node, scope)
        return OTHER if result is None else result


#: `Walker.statement`'s handler of each statement class (a node of another class, a subclass
#: say, goes through `Walker.any_statement`).
_STATEMENTS: dict[type[ast.stmt], Callable[[Walker, Any, Scope], None]] = {
    ast.FunctionDef: Walker.function_def,
    ast.AsyncFunctionDef: Walker.function_def,
    ast.ClassDef: Walker.class_def,
    ast.If: Walker.if_statement,
    **dict.fromkeys(_TRY, Walker.try_statement),
    ast.For: Walker.for_statement,
    ast.AsyncFor: Walker.for_statement,
    ast.While: Walker.loop,
    ast.With: Walker.with_statement,
    ast.AsyncWith: Walker.with_statement,
    ast.Match: Walker.match_statement,
    ast.Import: Walker.import_statement,
    ast.ImportFrom: Walker.import_from_statement,
    ast.Assign: Walker.assign,
    ast.AnnAssign: Walker.ann_assign,
    ast.AugAssign: Walker.aug_assign,
    ast.Delete: Walker.delete,
    ast.Expr: Walker.expression_statement,
    ast.Global: Walker.global_statement,
    **dict.fromkeys(
        (ast.Return, ast.Pass, ast.Break, ast.Continue, ast.Raise, ast.Assert, ast.Nonlocal),
        Walker.other_statement,
    ),
}


def _is_type_checking(test: ast.expr, scope: Scope) -> bool:
    """`TYPE_CHECKING` / `typing.TYPE_CHECKING` (from typing or typing_extensions)."""
    symbol: Symbol
    if isinstance(test, ast.Name):
        symbol = scope.lookup(test.id)
    elif isinstance(test, ast.Attribute) and isinstance(test.value, ast.Name):
        base = scope.lookup(test.value.id)
        symbol = Qual(f"{base.name}.{test.attr}") if isinstance(base, Qual) else OTHER
    else:
        return False
    return isinstance(symbol, Qual) and symbol.name in (
        "typing.TYPE_CHECKING",
        "typing_extensions.TYPE_CHECKING",
    )


def _is_main_guard(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    strings = [s for s in sides if literal_value(s) == "__main__"]
    return len(names) == 1 and len(strings) == 1


def _bind_pattern(pattern: ast.pattern, scope: Scope) -> None:
    for node in ast.walk(pattern):
        if isinstance(node, ast.MatchAs | ast.MatchStar) and node.name is not None:
            scope.bind(node.name, OTHER)
        elif isinstance(node, ast.MatchMapping) and node.rest is not None:
            scope.bind(node.rest, OTHER)


__all__ = [
    "Anchor",
    "Decorator",
    "Recogniser",
    "Source",
    "Walker",
    "codes",
    "diagnostic",
]
