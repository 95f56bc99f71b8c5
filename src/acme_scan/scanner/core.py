"""The pure scanning core: module source in, flows and diagnostics out.

`scan_source` touches no filesystem, clock, network or Prefect, and never imports, execs or
evals the code it reads: LibCST parses the text, and a walk in execution order tracks what
each name is bound to (see `_symbols`), so `flow` is Prefect's decorator exactly where Python
would say so.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import libcst as cst

from acme_scan import codes
from acme_scan.codes import Code
from acme_scan.models import Diagnostic, Flow, FlowForm, ModuleScan, Parameter, Value
from acme_scan.scanner._docstrings import function_docstring, parameter_descriptions
from acme_scan.scanner._literals import UNKNOWN, literal_value, to_json
from acme_scan.scanner._positions import Anchor, Positions, positions_for
from acme_scan.scanner._schema import default_json, enum_members, enum_values, type_schema
from acme_scan.scanner._source import DecodeFailure, decode_source
from acme_scan.scanner._symbols import (
    OTHER,
    STAR_FLOW_MODULES,
    Choice,
    ClassRef,
    Const,
    FlowDecorator,
    FlowObject,
    FunctionRef,
    Qual,
    Scope,
    Symbol,
    as_flow_decorator,
    dotted,
    is_flow_decorator,
    merge,
    target_names,
)

#: `Flow.__init__(fn, name, version, ...)`: its parameters after `fn`, in order.
FLOW_INIT_ORDER = (
    "name",
    "version",
    "flow_run_name",
    "retries",
    "retry_delay_seconds",
    "task_runner",
    "description",
    "timeout_seconds",
    "validate_parameters",
    "persist_result",
    "result_storage",
    "result_serializer",
    "cache_result_in_memory",
    "log_prints",
    "on_completion",
    "on_failure",
    "on_cancellation",
    "on_crashed",
    "on_running",
)
#: Keyword arguments `prefect.flow` (and `Flow.with_options`) accept (prefect 3.x).
FLOW_KEYWORDS = frozenset(FLOW_INIT_ORDER)
#: The Flow class itself (`Flow(fn, ...)` makes a flow too).
FLOW_CLASSES = frozenset({"prefect.Flow", "prefect.flows.Flow"})
#: Decorators that, applied to a flow, leave the flow in place.
_KEEPS_THE_FLOW = frozenset({"builtins.staticmethod", "builtins.classmethod"})
#: `with_options` keywords whose default is NotSet, so an explicit None replaces the value.
NOTSET_KEYWORDS = frozenset({"persist_result", "result_storage", "result_serializer", "log_prints"})
RESERVED_PARAMETERS = ("return_state", "wait_for")
BANNED_NAME_CHARACTERS = "/%&><"


# `import ... prefect...` (binds `prefect`, or an alias of `prefect` / `prefect.flows`).
_IMPORT_PREFECT = re.compile(rb"\bimport\b[^\n;#]*(?<![\w.])prefect\b")
# `from prefect import ...` / `from prefect.flows import ...` (whitespace may surround dots).
_FROM_PREFECT = re.compile(rb"\bfrom\s+prefect(?:\s*\.\s*flows)?\s+import\b")


def could_define_flows(source: bytes) -> bool:
    """Whether `source` can possibly bind Prefect's flow decorator (the prefilter).

    A flow needs Prefect's decorator, and the only ways to bind it are `import prefect`
    (possibly `prefect.x`, possibly aliased, possibly among other modules), `import
    prefect.flows as x`, `from prefect import ...` and `from prefect.flows import ...`.
    The two patterns above over-approximate these statements on the raw bytes (line
    continuations are joined first; source encodings are ASCII-compatible per PEP 263), so a
    file they do not match cannot define a flow and need not be parsed.
    """
    if b"prefect" not in source or (b"flow" not in source and b"Flow" not in source):
        return False
    if b"\\" in source:
        source = source.replace(b"\\\r\n", b" ").replace(b"\\\n", b" ")
    return bool(_IMPORT_PREFECT.search(source) or _FROM_PREFECT.search(source))


def scan_source(source: bytes, path: str, *, prefilter: bool = True) -> ModuleScan:
    """Scan one module's bytes; `path` is its POSIX path relative to the project root."""
    if prefilter and not could_define_flows(source):
        return ModuleScan(path=path, status="skipped")
    text = decode_source(source)
    if isinstance(text, DecodeFailure):
        diagnostic = _diagnostic(codes.UNDECODABLE, path, text.line, text.column, text.message)
        return ModuleScan(path=path, status="failed", diagnostics=(diagnostic,))
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        line, column, message = _syntax_error_location(text, exc)
        diagnostic = _diagnostic(codes.SYNTAX_ERROR, path, line, column, message)
        return ModuleScan(path=path, status="failed", diagnostics=(diagnostic,))
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        message = f"cannot parse: {type(exc).__name__}: {exc}"
        diagnostic = _diagnostic(codes.SYNTAX_ERROR, path, 0, 0, message)
        return ModuleScan(path=path, status="failed", diagnostics=(diagnostic,))
    return _ModuleScanner(module, text, path).scan()


def _syntax_error_location(text: str, exc: cst.ParserSyntaxError) -> tuple[int, int, str]:
    """Line, column and message of a syntax error, as precise as can be had.

    LibCST's native parser sometimes reports the token after the error; CPython's compiler
    (`ast.parse` only builds a tree: nothing is executed) pinpoints it when it knows the
    syntax. Newer syntax than this interpreter knows keeps LibCST's location.
    """
    try:
        ast.parse(text)
    except SyntaxError as error:
        if error.lineno:
            return error.lineno, error.offset or 0, _syntax_message(error.msg)
    except (ValueError, RecursionError, MemoryError):
        pass
    return exc.raw_line, exc.raw_column + 1, _syntax_message(exc.message)


def _syntax_message(detail: str) -> str:
    """`invalid syntax: DETAIL`, without repeating CPython's bare "invalid syntax"."""
    detail = detail.strip()
    return "invalid syntax" if detail in ("", "invalid syntax") else f"invalid syntax: {detail}"


def _compiled_tree(text: str, path: str) -> ast.Module | Diagnostic | None:
    """CPython's tree of `text` after a full compile (never executed), or why it fails.

    LibCST accepts some modules CPython refuses to compile (a repeated argument, `return`
    outside a function, a late `from __future__` import, a null byte, ...): those cannot be
    imported, so they define no flow. None when this interpreter does not know the syntax
    (newer than itself), which LibCST parsed.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escape sequences and the like
        try:
            tree = ast.parse(text, filename=path)
        except SyntaxError as error:
            if error.msg.startswith(_NEWER_SYNTAX):
                return None
            return _compile_error(path, error)
        except ValueError as error:  # a null byte
            return _diagnostic(codes.SYNTAX_ERROR, path, 1, 0, f"invalid source: {error}")
        except (RecursionError, MemoryError):
            return None
        try:
            compile(tree, path, "exec", dont_inherit=True)
        except SyntaxError as error:
            return _compile_error(path, error)
        except (ValueError, RecursionError, MemoryError):
            return tree
    return tree


# Messages with which CPython rejects syntax it may simply be too old for.
_NEWER_SYNTAX = ("invalid syntax", "expected", "cannot")


def _compile_error(path: str, error: SyntaxError) -> Diagnostic:
    return _diagnostic(
        codes.SYNTAX_ERROR,
        path,
        error.lineno or 0,
        error.offset or 0,
        f"invalid syntax: {error.msg} (the module cannot be imported)",
    )


def _diagnostic(code: Code, path: str, line: int, column: int, message: str) -> Diagnostic:
    return Diagnostic(
        path=path,
        line=line,
        column=column,
        code=code.code,
        severity=code.severity,
        message=message,
    )


@dataclass(frozen=True)
class FlowSpec:
    """What is known of a flow object while walking: its function and its keyword arguments."""

    function: cst.FunctionDef | cst.Lambda | None
    function_name: str | None
    kwargs: tuple[tuple[str, Value], ...]
    star_kwargs: bool
    is_method: bool
    name: str | None = None
    description: str | None = None
    parameters: tuple[Parameter, ...] = ()
    parameter_schema: dict[str, Any] | None = None


@dataclass
class _Found:
    spec: FlowSpec
    qualname: str
    form: FlowForm
    anchor: Anchor
    decorator: Anchor | None
    loadable: bool
    scope: Scope
    binding: str
    order: int = 0


@dataclass
class _Pending:
    code: Code
    node: Anchor
    message: str


@dataclass
class _ModuleScanner:
    module: cst.Module
    text: str
    path: str
    found: list[_Found] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    deferred: list[tuple[Sequence[cst.BaseStatement | cst.BaseSmallStatement], Scope]] = field(
        default_factory=list
    )
    main_guard: int = 0
    anchor: Anchor | None = None
    raw: dict[int, Any] = field(default_factory=dict)
    walrus: bool = False

    # -- driver ------------------------------------------------------------------------------

    def scan(self) -> ModuleScan:
        self.walrus = ":=" in self.text
        module_scope = Scope(kind="module", parent=None, qualname_prefix="")
        self.block(self.module.body, module_scope)
        self._check_final_bindings()
        while self.deferred:
            body, scope = self.deferred.pop(0)
            self.block(body, scope)
        if not self.found and not self.pending:
            return ModuleScan(path=self.path, status="parsed")
        tree = _compiled_tree(self.text, self.path)
        if isinstance(tree, Diagnostic):
            return ModuleScan(path=self.path, status="failed", diagnostics=(tree,))
        positions = positions_for(self.module, tree, self.text)
        flows = self._flows(positions)
        diagnostics = [
            _diagnostic(item.code, self.path, *positions.start(item.node), item.message)
            for item in self.pending
        ]
        diagnostics.sort(key=lambda d: (d.line, d.column, d.code, d.message))
        return ModuleScan(
            path=self.path, status="parsed", flows=tuple(flows), diagnostics=tuple(diagnostics)
        )

    def _flows(self, positions: Positions) -> list[Flow]:
        ordered = sorted(self.found, key=lambda f: (*positions.start(f.anchor), f.order))
        seen: dict[str, int] = {}
        flows: list[Flow] = []
        for item in ordered:
            spec = item.spec
            key = f"{self.path}:{item.qualname}"
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            if occurrence:
                key = f"{key}#{occurrence}"
            line, column = positions.start(item.anchor)
            flows.append(
                Flow(
                    id=hashlib.blake2b(key.encode(), digest_size=8).hexdigest(),
                    name=spec.name,
                    function=spec.function_name or item.qualname.rsplit(".", 1)[-1],
                    qualname=item.qualname,
                    path=self.path,
                    entrypoint=f"{self.path}:{item.qualname}" if item.loadable else None,
                    form=item.form,
                    line=line,
                    column=column,
                    decorator_line=(positions.start(item.decorator)[0] if item.decorator else None),
                    end_line=positions.end_line(item.anchor),
                    is_async=isinstance(spec.function, cst.FunctionDef)
                    and spec.function.asynchronous is not None,
                    is_method=spec.is_method,
                    description=spec.description,
                    kwargs=dict(spec.kwargs),
                    parameters=list(spec.parameters),
                    parameter_schema=spec.parameter_schema,
                    deployable=item.loadable,
                )
            )
        return flows

    def _check_final_bindings(self) -> None:
        """A flow is loadable by its entrypoint only if its name still holds it once the module
        (or class body) has run: a later `def`, assignment or `del` makes it unreachable."""
        for found in self.found:
            if not found.loadable:
                continue
            final = found.scope.state.get(found.binding)
            if isinstance(final, FlowObject) and final.spec is found.spec:
                continue
            if isinstance(final, Choice) and any(o.spec is found.spec for o in final.options):
                self.pending.append(
                    _Pending(
                        codes.CONDITIONAL_FLOW,
                        found.anchor,
                        f"flow `{found.qualname}` is defined differently in several branches "
                        "(`if`/`else`, `try`/`except`): which definition Prefect loads from "
                        "the entrypoint depends on run-time conditions",
                    )
                )
                continue
            found.loadable = False
            self.pending.append(
                _Pending(
                    codes.NOT_LOADABLE,
                    found.anchor,
                    f"flow `{found.qualname}` is rebound later in this module (by a `def`, an "
                    "assignment or `del`), so its entrypoint does not load it; rename one of them",
                )
            )

    def report(self, code: Code, node: cst.CSTNode, message: str) -> None:
        """Record a diagnostic at `node` if it is an anchor, else at the current anchor."""
        if not isinstance(node, cst.FunctionDef | cst.Decorator | cst.BaseSmallStatement):
            assert self.anchor is not None
            node = self.anchor
        self.pending.append(_Pending(code, node, message))

    # -- statements --------------------------------------------------------------------------

    def block(
        self, body: Sequence[cst.BaseStatement | cst.BaseSmallStatement], scope: Scope
    ) -> None:
        for statement in body:
            self.statement(statement, scope)

    def statement(self, node: cst.BaseStatement | cst.BaseSmallStatement, scope: Scope) -> None:
        if self.walrus and not isinstance(node, cst.FunctionDef | cst.ClassDef):
            self.named_expressions(node, scope)
        if isinstance(node, cst.SimpleStatementLine | cst.SimpleStatementSuite):
            for small in node.body:
                self.small(small, scope)
        elif isinstance(node, cst.FunctionDef):
            self.function_def(node, scope)
        elif isinstance(node, cst.ClassDef):
            self.class_def(node, scope)
        elif isinstance(node, cst.If):
            self.if_statement(node, scope)
        elif isinstance(node, cst.Try | cst.TryStar):
            self.try_statement(node, scope)
        elif isinstance(node, cst.For):
            for name in target_names(node.target):
                scope.bind(name, OTHER)
            self.branches(scope, [node.body.body], node.orelse, may_skip=True)
        elif isinstance(node, cst.While):
            self.branches(scope, [node.body.body], node.orelse, may_skip=True)
        elif isinstance(node, cst.With):
            for item in node.items:
                if item.asname is not None:
                    for name in target_names(item.asname.name):
                        scope.bind(name, OTHER)
            self.block(node.body.body, scope)
        elif isinstance(node, cst.Match):
            for case in node.cases:
                _bind_pattern(case.pattern, scope)
            self.branches(scope, [case.body.body for case in node.cases], None, may_skip=True)
        elif isinstance(node, cst.BaseSmallStatement):
            self.small(node, scope)

    def named_expressions(self, node: cst.CSTNode, scope: Scope) -> None:
        """Bind the targets of `:=` in a statement's own expressions (not in nested blocks)."""
        scanner = self

        class Walrus(cst.CSTVisitor):
            def visit_NamedExpr(self, named: cst.NamedExpr) -> None:
                for name in target_names(named.target):
                    scope.bind(name, scanner.expression(named.value, scope))

            def visit_IndentedBlock(self, block: cst.IndentedBlock) -> bool:
                return False

            def visit_Lambda(self, lam: cst.Lambda) -> bool:
                return False

        node.visit(Walrus())

    def branches(
        self,
        scope: Scope,
        bodies: Sequence[Sequence[cst.BaseStatement | cst.BaseSmallStatement]],
        orelse: cst.BaseStatement | cst.Else | cst.If | None,
        *,
        may_skip: bool,
    ) -> None:
        """Run each body from the current state and merge the outcomes (branch semantics)."""
        start = dict(scope.state)
        outcomes: list[dict[str, Symbol]] = []
        for body in bodies:
            scope.state = dict(start)
            self.block(body, scope)
            outcomes.append(scope.state)
        if orelse is not None:
            scope.state = dict(start)
            if isinstance(orelse, cst.If):
                self.if_statement(orelse, scope)
            elif isinstance(orelse, cst.Else):
                self.block(orelse.body.body, scope)
            outcomes.append(scope.state)
        elif may_skip:
            outcomes.append(start)
        scope.state = merge(outcomes)

    def if_statement(self, node: cst.If, scope: Scope) -> None:
        if _is_type_checking(node.test, scope):
            # `if TYPE_CHECKING:` never runs: only its `else` does.
            if isinstance(node.orelse, cst.If):
                self.if_statement(node.orelse, scope)
            elif isinstance(node.orelse, cst.Else):
                self.block(node.orelse.body.body, scope)
            return
        guarded = _is_main_guard(node.test)
        start = dict(scope.state)
        self.main_guard += guarded
        self.block(node.body.body, scope)
        self.main_guard -= guarded
        body_state = scope.state
        scope.state = dict(start)
        if isinstance(node.orelse, cst.If):
            self.if_statement(node.orelse, scope)
        elif isinstance(node.orelse, cst.Else):
            self.block(node.orelse.body.body, scope)
        scope.state = merge([body_state, scope.state])

    def try_statement(self, node: cst.Try | cst.TryStar, scope: Scope) -> None:
        self.block(node.body.body, scope)
        if node.orelse is not None:
            self.block(node.orelse.body.body, scope)
        success = scope.state
        outcomes = [success]
        for handler in node.handlers:
            scope.state = dict(success)
            if handler.name is not None:
                for name in target_names(handler.name.name):
                    scope.bind(name, OTHER)
            self.block(handler.body.body, scope)
            outcomes.append(scope.state)
        scope.state = merge(outcomes)
        if node.finalbody is not None:
            self.block(node.finalbody.body.body, scope)

    def small(self, node: cst.BaseSmallStatement, scope: Scope) -> None:
        self.anchor = node
        if isinstance(node, cst.Import):
            for alias in node.names:
                name = dotted(alias.name)
                if alias.asname is not None:
                    for bound in target_names(alias.asname.name):
                        scope.bind(bound, Qual(name))
                else:
                    top = name.split(".")[0]
                    scope.bind(top, Qual(top))
        elif isinstance(node, cst.ImportFrom):
            self.import_from(node, scope)
        elif isinstance(node, cst.Assign):
            symbol = self.assigned(node, node.value, scope, node.targets[0].target)
            for target in node.targets:
                names = target_names(target.target)
                single = isinstance(target.target, cst.Name) and len(node.targets) == 1
                for name in names:
                    scope.bind(name, symbol if single else OTHER)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                symbol = self.assigned(node, node.value, scope, node.target)
                for name in target_names(node.target):
                    scope.bind(name, symbol if isinstance(node.target, cst.Name) else OTHER)
        elif isinstance(node, cst.AugAssign):
            for name in target_names(node.target):
                scope.bind(name, OTHER)
        elif isinstance(node, cst.Del):
            for name in target_names(node.target):
                scope.unbind(name)
        elif isinstance(node, cst.Global) and scope.kind == "function":
            scope.declared_globals.update(item.name.value for item in node.names)

    def import_from(self, node: cst.ImportFrom, scope: Scope) -> None:
        module = None if node.relative or node.module is None else dotted(node.module)
        if isinstance(node.names, cst.ImportStar):
            if module in STAR_FLOW_MODULES:
                scope.bind("flow", Qual(f"{module}.flow"))
            return
        for alias in node.names:
            imported = dotted(alias.name)
            bound = target_names(alias.asname.name) if alias.asname else [imported]
            symbol: Symbol = Qual(f"{module}.{imported}") if module else OTHER
            for name in bound:
                scope.bind(name, symbol)

    def assigned(
        self,
        statement: cst.BaseSmallStatement,
        value: cst.BaseExpression,
        scope: Scope,
        target: cst.BaseExpression,
    ) -> Symbol:
        """The symbol an assignment binds, recording call-form flows (`x = flow(fn)`)."""
        symbol = self.expression(value, scope)
        # `g = some_flow` is another name for an existing flow, not a new one.
        if (
            isinstance(symbol, FlowObject)
            and isinstance(target, cst.Name)
            and isinstance(value, cst.Call)
        ):
            spec: FlowSpec = symbol.spec
            form: FlowForm = "with_options" if _is_with_options(value) else "call"
            self.found.append(
                _Found(
                    spec=spec,
                    qualname=scope.qualname_prefix + target.value,
                    form=form,
                    anchor=statement,
                    decorator=value,
                    loadable=not scope.unloadable and not self.main_guard,
                    scope=scope,
                    binding=target.value,
                    order=len(self.found),
                )
            )
            self._loadability(scope, statement, target.value)
        return symbol

    def _loadability(self, scope: Scope, node: cst.CSTNode, what: str) -> None:
        if scope.in_function:
            self.report(
                codes.NOT_LOADABLE,
                node,
                f"flow `{what}` is defined inside a function: Prefect cannot load it from an "
                "entrypoint; move it to module level to deploy it",
            )
        elif self.main_guard or scope.unloadable:
            self.report(
                codes.NOT_LOADABLE,
                node,
                f'flow `{what}` is defined under `if __name__ == "__main__":`, which does not '
                "run when Prefect loads the module; move it to module level to deploy it",
            )

    # -- definitions -------------------------------------------------------------------------

    def function_def(self, node: cst.FunctionDef, scope: Scope) -> None:
        decorator_node: cst.Decorator | None = None
        flow_decorator: FlowDecorator | None = None
        failed = False
        for decorator in node.decorators:
            self.anchor = decorator
            expression = decorator.decorator
            if isinstance(expression, cst.Call):
                callee = self.expression(expression.func, scope)
                if not is_flow_decorator(callee):
                    continue
                kwargs, star, positional = self.arguments(expression.args, scope)
                if positional:
                    self.report(
                        codes.POSITIONAL_NAME,
                        decorator,
                        f"`@{_code(self.module, expression.func)}(...)` takes keyword "
                        "arguments only: write "
                        f"`name={_code(self.module, positional[0].value)}` (a TypeError at "
                        "import as written)",
                    )
                    failed = True
                    continue
                base = as_flow_decorator(callee)
                flow_decorator = FlowDecorator(base.kwargs + kwargs, base.star_kwargs or star)
                decorator_node = decorator
            else:
                symbol = self.expression(expression, scope)
                if isinstance(symbol, Qual) and symbol.name in FLOW_CLASSES:
                    symbol = FlowDecorator()
                if is_flow_decorator(symbol):
                    flow_decorator = as_flow_decorator(symbol)
                    decorator_node = decorator
        bound: Symbol = FunctionRef(node, scope)
        if flow_decorator is not None and decorator_node is not None and not failed:
            self._check_outer_decorators(node, decorator_node, scope)
            spec = self.flow_spec(
                node,
                scope,
                flow_decorator.kwargs,
                flow_decorator.star_kwargs,
                decorator_node,
            )
            if spec is not None:
                qualname = scope.qualname_prefix + node.name.value
                self.found.append(
                    _Found(
                        spec=spec,
                        qualname=qualname,
                        form="decorator",
                        anchor=node,
                        decorator=decorator_node,
                        loadable=not scope.unloadable and not self.main_guard,
                        scope=scope,
                        binding=node.name.value,
                        order=len(self.found),
                    )
                )
                self._loadability(scope, node, qualname)
                bound = FlowObject(spec)
            else:
                bound = OTHER
        elif failed:
            bound = OTHER
        scope.bind(node.name.value, bound)
        inner = Scope(
            kind="function",
            parent=scope,
            qualname_prefix=f"{scope.qualname_prefix}{node.name.value}.<locals>.",
            node=node,
            in_function=True,
            unloadable=True,
        )
        self.deferred.append((node.body.body, inner))

    def _check_outer_decorators(
        self, node: cst.FunctionDef, flow_decorator: cst.Decorator, scope: Scope
    ) -> None:
        """Decorators above the flow decorator apply last: what they return is what the
        entrypoint loads (`staticmethod`/`classmethod` keep the flow)."""
        for decorator in node.decorators:
            if decorator is flow_decorator:
                return
            expression = decorator.decorator
            target = expression.func if isinstance(expression, cst.Call) else expression
            symbol = self.expression(target, scope)
            if isinstance(symbol, Qual) and symbol.name in _KEEPS_THE_FLOW:
                continue
            self.report(
                codes.WRAPPED_FLOW,
                decorator,
                f"`@{_code(self.module, expression)}` is applied to the flow "
                f"`{node.name.value}` and may replace it: the entrypoint loads whatever it "
                "returns; put `@flow` outermost to be sure",
            )

    def class_def(self, node: cst.ClassDef, scope: Scope) -> None:
        inner = Scope(
            kind="class",
            parent=scope,
            qualname_prefix=f"{scope.qualname_prefix}{node.name.value}.",
            node=node,
            in_function=scope.in_function,
            unloadable=scope.unloadable or bool(self.main_guard),
        )
        guard = self.main_guard
        self.main_guard = 0
        self.block(node.body.body, inner)
        self.main_guard = guard
        scope.bind(node.name.value, ClassRef(inner))

    # -- expressions -------------------------------------------------------------------------

    def expression(self, node: cst.BaseExpression, scope: Scope) -> Symbol:
        if isinstance(node, cst.Name):
            return scope.lookup(node.value)
        if isinstance(node, cst.Attribute):
            base = self.expression(node.value, scope)
            if isinstance(base, Qual):
                return Qual(f"{base.name}.{node.attr.value}")
            if isinstance(base, ClassRef):
                return base.scope.state.get(node.attr.value, OTHER)
            return OTHER
        if isinstance(node, cst.Call):
            return self.call(node, scope)
        value = literal_value(node, _constants(scope))
        if value is not UNKNOWN:
            return Const(value)
        return OTHER

    def call(self, node: cst.Call, scope: Scope) -> Symbol:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "with_options"
            and isinstance(base := self.expression(func.value, scope), FlowObject)
        ):
            return self.with_options(node, base.spec, scope)
        callee = self.expression(func, scope)
        is_class = isinstance(callee, Qual) and callee.name in FLOW_CLASSES
        if not is_class and not is_flow_decorator(callee):
            return OTHER
        decorator = as_flow_decorator(callee) if not is_class else FlowDecorator()
        kwargs, star, positional = self.arguments(node.args, scope)
        if is_class and len(positional) > 1:
            # Flow(fn, name, version, ...): positional parameters after `fn`, in order.
            extra = positional[1:]
            if len(extra) > len(FLOW_INIT_ORDER) or any(arg.star for arg in extra):
                return OTHER
            named = tuple(
                (keyword, self.value(arg.value, scope))
                for keyword, arg in zip(FLOW_INIT_ORDER, extra, strict=False)
            )
            kwargs = named + kwargs
            positional = positional[:1]
        kwargs = decorator.kwargs + kwargs
        star = decorator.star_kwargs or star
        if not positional:
            return OTHER if is_class else FlowDecorator(kwargs, star)
        if len(positional) > 1 or positional[0].star:
            return OTHER
        target = positional[0].value
        if literal_value(target) is not UNKNOWN:
            self.report(
                codes.POSITIONAL_NAME,
                node,
                f"`{_code(self.module, func)}(...)` takes the function to turn into a flow, not "
                f"`{_code(self.module, target)}` (a TypeError at import): pass `name=` for a name",
            )
            return OTHER
        if isinstance(target, cst.Lambda):
            spec = self.flow_spec(target, scope, kwargs, star, node)
            return OTHER if spec is None else FlowObject(spec)
        function = self.expression(target, scope) if isinstance(target, cst.Name) else OTHER
        if isinstance(target, cst.Attribute):
            function = self.expression(target, scope)
        if isinstance(function, FunctionRef):
            spec = self.flow_spec(function.node, function.scope, kwargs, star, node)
        elif isinstance(function, FlowObject):
            return OTHER
        else:
            spec = self.foreign_flow_spec(node, target, kwargs, star, scope)
        return OTHER if spec is None else FlowObject(spec)

    def arguments(
        self, args: Sequence[cst.Arg], scope: Scope
    ) -> tuple[tuple[tuple[str, Value], ...], bool, list[cst.Arg]]:
        """Keyword arguments resolved to Values, whether `**kwargs` is passed, positionals."""
        kwargs: list[tuple[str, Value]] = []
        star = False
        positional: list[cst.Arg] = []
        for arg in args:
            if arg.keyword is not None:
                kwargs.append((arg.keyword.value, self.value(arg.value, scope)))
            elif arg.star == "**":
                star = True
            else:
                positional.append(arg)
        return tuple(kwargs), star, positional

    def value(self, node: cst.BaseExpression, scope: Scope) -> Value:
        """A keyword argument's Value; its Python value is kept aside for type checks."""
        source = _code(self.module, node)
        raw = literal_value(node, _constants(scope))
        json_value = UNKNOWN if raw is UNKNOWN else to_json(raw)
        if json_value is UNKNOWN:
            result = Value(value=None, source=source, dynamic=True)
            if raw is not UNKNOWN:
                self.raw[id(result)] = raw
            return result
        result = Value(value=json_value, source=source, dynamic=False)
        self.raw[id(result)] = raw
        return result

    # -- flows -------------------------------------------------------------------------------

    def check_keywords(
        self, kwargs: tuple[tuple[str, Value], ...], where: cst.CSTNode, allowed: frozenset[str]
    ) -> bool:
        for keyword, _ in kwargs:
            if keyword not in allowed:
                close = difflib.get_close_matches(keyword, sorted(allowed), n=1)
                hint = (
                    f"did you mean `{close[0]}`?"
                    if close
                    else f"accepted: {', '.join(sorted(allowed))}"
                )
                self.report(
                    codes.UNKNOWN_KEYWORD,
                    where,
                    f"flow() got an unexpected keyword argument `{keyword}` (a TypeError at "
                    f"import); {hint}",
                )
                return False
        return True

    def resolve_name(
        self, kwargs: dict[str, Value], fallback: str | None, star: bool, where: cst.CSTNode
    ) -> tuple[bool, str | None]:
        """(ok, name) as Prefect computes it.

        `Flow.__init__` raises TypeError for a `name` that is not None and not a string,
        then takes `name or fn.__name__.replace("_", "-")` (a lambda's `<lambda>` becomes
        `unknown-lambda`) and rejects banned characters.
        """
        given = kwargs.get("name")
        raw = self.raw.get(id(given), UNKNOWN) if given is not None else None
        if given is not None and raw is UNKNOWN:
            self.report(
                codes.DYNAMIC_NAME,
                where,
                f"flow name `{given.source}` cannot be known statically; use a string literal "
                "or a module-level string constant",
            )
            return True, None
        if raw is not None and not isinstance(raw, str):
            assert given is not None
            self.report(
                codes.INVALID_NAME,
                where,
                f"flow name must be a string, got `{given.source}` (a TypeError at import)",
            )
            return False, None
        if raw:
            assert isinstance(raw, str)
            return self._valid_name(raw, where)
        if star and given is None:
            self.report(
                codes.DYNAMIC_NAME,
                where,
                "flow arguments passed with `**` may set its name; it cannot be known "
                "statically: pass `name=` explicitly",
            )
            return True, None
        if fallback is None:
            return True, None
        return True, fallback.replace("_", "-").replace("<lambda>", "unknown-lambda")

    def _valid_name(self, name: str, where: cst.CSTNode) -> tuple[bool, str | None]:
        banned = sorted({char for char in name if char in BANNED_NAME_CHARACTERS})
        if banned:
            self.report(
                codes.INVALID_NAME,
                where,
                f"flow name {name!r} contains {', '.join(repr(c) for c in banned)}, which "
                "Prefect rejects (InvalidNameError at import): it must not contain / % & < >",
            )
            return False, None
        return True, name

    def flow_spec(
        self,
        function: cst.FunctionDef | cst.Lambda,
        function_scope: Scope,
        kwargs: tuple[tuple[str, Value], ...],
        star: bool,
        where: cst.CSTNode,
    ) -> FlowSpec | None:
        if not self.check_keywords(kwargs, where, FLOW_KEYWORDS):
            return None
        merged = dict(kwargs)
        function_name = function.name.value if isinstance(function, cst.FunctionDef) else "<lambda>"
        ok, name = self.resolve_name(merged, function_name, star, where)
        if not ok:
            return None
        constants = _constants(function_scope)
        parameters = _parameters(self.module, function, constants)
        reserved = [p.name for p in parameters if p.name in RESERVED_PARAMETERS]
        if reserved:
            self.report(
                codes.RESERVED_PARAMETER,
                where,
                f"flow parameter `{reserved[0]}` is reserved by Prefect "
                "(ReservedArgumentError at import): rename it",
            )
            return None
        docstring = function_docstring(function) if isinstance(function, cst.FunctionDef) else None
        description = _description(merged.get("description"), docstring, star)
        schema = _parameter_schema(function, parameters, function_scope, docstring)
        return FlowSpec(
            function=function,
            function_name=function_name,
            kwargs=tuple(sorted(merged.items())),
            star_kwargs=star,
            is_method=function_scope.kind == "class" and isinstance(function, cst.FunctionDef),
            name=name,
            description=description,
            parameters=tuple(parameters),
            parameter_schema=schema,
        )

    def foreign_flow_spec(
        self,
        call: cst.Call,
        target: cst.BaseExpression,
        kwargs: tuple[tuple[str, Value], ...],
        star: bool,
        scope: Scope,
    ) -> FlowSpec | None:
        if not self.check_keywords(kwargs, call, FLOW_KEYWORDS):
            return None
        merged = dict(kwargs)
        self.report(
            codes.UNKNOWN_FUNCTION,
            call,
            f"`{_code(self.module, target)}` is not a function defined in this module: its "
            "signature, docstring and (without `name=`) its flow name are unknown statically",
        )
        ok, name = self.resolve_name(merged, None, star, call)
        if not ok:
            return None
        given = merged.get("description")
        description = given.value if given and isinstance(given.value, str) else None
        return FlowSpec(
            function=None,
            function_name=None,
            kwargs=tuple(sorted(merged.items())),
            star_kwargs=star,
            is_method=scope.kind == "class",
            name=name,
            description=description or None,
        )

    def with_options(self, call: cst.Call, base: FlowSpec, scope: Scope) -> Symbol:
        """`Flow.with_options(...)`: a copy with some options replaced, as Prefect merges them.

        `name` and `description` fall back when falsy (`name or self.name`); keywords whose
        default is NotSet (`persist_result`, `result_storage`, `result_serializer`,
        `log_prints`) take None as a value; the others fall back when None.
        """
        kwargs, star, positional = self.arguments(call.args, scope)
        if positional or not self.check_keywords(kwargs, call, FLOW_KEYWORDS):
            return OTHER
        merged = dict(base.kwargs)
        for keyword, value in kwargs:
            raw = self.raw.get(id(value), UNKNOWN)
            if keyword in ("name", "description") and not value.dynamic and not raw:
                continue
            if raw is None and keyword not in NOTSET_KEYWORDS:
                continue
            merged[keyword] = value
        values = dict(kwargs)
        name = base.name
        given = values.get("name")
        given_raw = self.raw.get(id(given), UNKNOWN) if given is not None else None
        if star or (given is not None and (given_raw is UNKNOWN or given_raw)):
            ok, resolved = self.resolve_name(values, None, star, call)
            if not ok:
                return OTHER
            name = resolved
        description = base.description
        new_description = values.get("description")
        if new_description is not None and (new_description.dynamic or new_description.value):
            description = new_description.value if isinstance(new_description.value, str) else None
        elif star:
            description = None
        spec = FlowSpec(
            function=base.function,
            function_name=base.function_name,
            kwargs=tuple(sorted(merged.items())),
            star_kwargs=base.star_kwargs or star,
            is_method=base.is_method,
            name=name,
            description=description,
            parameters=base.parameters,
            parameter_schema=base.parameter_schema,
        )
        return FlowObject(spec)


def _constants(scope: Scope) -> Any:
    def resolve(name: str) -> Any:
        symbol = scope.lookup(name)
        return symbol.value if isinstance(symbol, Const) else UNKNOWN

    return resolve


def _code(module: cst.Module, node: cst.CSTNode) -> str:
    return module.code_for_node(node).strip()


def _is_with_options(node: cst.BaseExpression) -> bool:
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "with_options"
    )


def _is_type_checking(test: cst.BaseExpression, scope: Scope) -> bool:
    """`TYPE_CHECKING` / `typing.TYPE_CHECKING` (from typing or typing_extensions)."""
    if isinstance(test, cst.Name):
        symbol = scope.lookup(test.value)
    elif isinstance(test, cst.Attribute) and isinstance(test.value, cst.Name):
        base = scope.lookup(test.value.value)
        symbol = Qual(f"{base.name}.{test.attr.value}") if isinstance(base, Qual) else OTHER
    else:
        return False
    return isinstance(symbol, Qual) and symbol.name in (
        "typing.TYPE_CHECKING",
        "typing_extensions.TYPE_CHECKING",
    )


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    sides = [test.left, target.comparator]
    names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
    strings = [s for s in sides if literal_value(s) == "__main__"]
    return len(names) == 1 and len(strings) == 1


def _bind_pattern(pattern: cst.MatchPattern, scope: Scope) -> None:
    class Capture(cst.CSTVisitor):
        def visit_MatchAs(self, node: cst.MatchAs) -> None:
            if node.name is not None:
                scope.bind(node.name.value, OTHER)

        def visit_MatchStar(self, node: cst.MatchStar) -> None:
            if node.name is not None:
                scope.bind(node.name.value, OTHER)

    pattern.visit(Capture())


def _description(given: Value | None, docstring: str | None, star: bool) -> str | None:
    """`description or inspect.getdoc(fn)`."""
    if given is not None:
        if given.dynamic:
            return None
        if given.value:
            return given.value if isinstance(given.value, str) else None
    elif star:
        return None
    return docstring


def _parameters(
    module: cst.Module, function: cst.FunctionDef | cst.Lambda, constants: Any
) -> list[Parameter]:
    params = function.params
    result: list[Parameter] = []

    def add(param: cst.Param, kind: Any) -> None:
        default = None
        if param.default is not None:
            source = _code(module, param.default)
            value = literal_value(param.default, constants)
            json_value = UNKNOWN if value is UNKNOWN else to_json(value)
            default = (
                Value(value=None, source=source, dynamic=True)
                if json_value is UNKNOWN
                else Value(value=json_value, source=source, dynamic=False)
            )
        annotation = (
            _code(module, param.annotation.annotation) if param.annotation is not None else None
        )
        required = default is None and kind not in ("var_positional", "var_keyword")
        result.append(
            Parameter(
                name=param.name.value,
                kind=kind,
                annotation=annotation,
                default=default,
                required=required,
            )
        )

    for param in params.posonly_params:
        add(param, "positional_only")
    for param in params.params:
        add(param, "positional_or_keyword")
    if isinstance(params.star_arg, cst.Param):
        add(params.star_arg, "var_positional")
    for param in params.kwonly_params:
        add(param, "keyword_only")
    if params.star_kwarg is not None:
        add(params.star_kwarg, "var_keyword")
    return result


def _enum_default(node: cst.BaseExpression, resolve: Callable[[cst.BaseExpression], Symbol]) -> Any:
    """`Color.RED` for an Enum of the module: the member's value (pydantic's JSON default)."""
    if not isinstance(node, cst.Attribute):
        return UNKNOWN
    owner = resolve(node.value)
    if not isinstance(owner, ClassRef) or enum_members(owner) is None:
        return UNKNOWN
    assert isinstance(owner.scope.node, cst.ClassDef)
    return enum_values(owner.scope.node).get(node.attr.value, UNKNOWN)


_EMPTY_CONTAINERS: dict[str, Any] = {
    "builtins.set": [],
    "builtins.frozenset": [],
    "builtins.list": [],
    "builtins.tuple": [],
    "builtins.dict": {},
}
_PATHS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})


def _call_default(node: cst.BaseExpression, resolve: Callable[[cst.BaseExpression], Symbol]) -> Any:
    """Defaults pydantic serialises from a call: `set()` and other empty containers,
    `Path("literal")` (its normalised string)."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Name | cst.Attribute):
        return UNKNOWN
    callee = resolve(node.func)
    if not isinstance(callee, Qual):
        return UNKNOWN
    if callee.name in _EMPTY_CONTAINERS and not node.args:
        empty = _EMPTY_CONTAINERS[callee.name]
        return [] if isinstance(empty, list) else {}
    if callee.name in _PATHS and len(node.args) == 1 and node.args[0].keyword is None:
        text = literal_value(node.args[0].value)
        if isinstance(text, str) and not node.args[0].star:
            return str(PurePosixPath(text))
    return UNKNOWN


def _all_params(function: cst.FunctionDef | cst.Lambda) -> list[cst.Param]:
    params = function.params
    result = [*params.posonly_params, *params.params]
    if isinstance(params.star_arg, cst.Param):
        result.append(params.star_arg)
    result.extend(params.kwonly_params)
    if params.star_kwarg is not None:
        result.append(params.star_kwarg)
    return result


def _parameter_schema(
    function: cst.FunctionDef | cst.Lambda,
    parameters: list[Parameter],
    scope: Scope,
    docstring: str | None,
) -> dict[str, Any]:
    """Prefect's `parameter_schema(fn)` as a plain dict (`ParameterSchema.model_dump()`)."""
    descriptions = parameter_descriptions(docstring)

    def resolve(node: cst.BaseExpression) -> Symbol:
        if isinstance(node, cst.Name):
            return scope.lookup(node.value)
        if isinstance(node, cst.Attribute):
            base = resolve(node.value)
            return Qual(f"{base.name}.{node.attr.value}") if isinstance(base, Qual) else OTHER
        return OTHER

    properties: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    required: list[str] = []
    for position, (param, info) in enumerate(zip(_all_params(function), parameters, strict=True)):
        if info.name in ("self", "cls"):
            continue
        schema: dict[str, Any] | None = None
        if param.annotation is not None:
            schema = type_schema(param.annotation.annotation, resolve, definitions)
        prop: dict[str, Any] = dict(schema) if schema else {}
        if info.kind == "var_positional":
            prop = {"items": dict(schema) if schema else {}, "type": "array", "default": []}
        elif info.kind == "var_keyword":
            prop = {
                "additionalProperties": dict(schema) if schema else True,
                "type": "object",
                "default": {},
            }
        elif param.default is not None:
            default = _enum_default(param.default, resolve)
            if default is UNKNOWN:
                default = _call_default(param.default, resolve)
            if default is UNKNOWN:
                default = default_json(param.default, _constants(scope))
            if default is not UNKNOWN:
                prop["default"] = default
        prop["title"] = info.name
        prop["position"] = position
        if info.name in descriptions:
            prop["description"] = descriptions[info.name]
        properties[info.name] = prop
        if info.required:
            required.append(info.name)
    return {
        "title": "Parameters",
        "type": "object",
        "properties": properties,
        "required": required,
        "definitions": definitions,
    }
