"""The Prefect recogniser: what is a flow, and what Prefect computes for it.

A `Recogniser` (see `engine`) for Prefect 3: `@flow` / `@flow(...)` under every spelling that
binds `prefect.flow`, the call forms `flow(fn)`, `flow(...)(fn)`, `Flow(fn, ...)` and
`x.with_options(...)`, and for each flow its name, description, keyword arguments,
parameters and parameter schema as Prefect would compute them at import, with a diagnostic
wherever Prefect would raise or the answer cannot be known statically.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

from acme_scan import codes
from acme_scan._hashes import blake2b
from acme_scan._records import EqRecord, FrozenRecord, _set
from acme_scan.scanner._docstrings import function_docstring, parameter_descriptions
from acme_scan.scanner._literals import UNKNOWN, NameResolver, literal_value, to_json
from acme_scan.scanner._schema import (
    SchemaContext,
    annotation_schema,
    enum_members,
    enum_values,
)
from acme_scan.scanner._symbols import (
    OTHER,
    Choice,
    ClassRef,
    FunctionNode,
    FunctionRef,
    Made,
    Qual,
    Scope,
    Symbol,
    Tool,
)
from acme_scan.scanner.engine import Anchor, Decorator, Recogniser, Walker

#: Qualified names of Prefect's flow decorator.
FLOW_DECORATORS = frozenset({"prefect.flow", "prefect.flows.flow"})
#: Modules whose `import *` binds `flow` to Prefect's decorator (prefect.__all__ has it;
#: prefect.flows has no __all__, so every public name is exported).
STAR_FLOW_MODULES = frozenset({"prefect", "prefect.flows"})
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
_BANNED = frozenset(BANNED_NAME_CHARACTERS)

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
    # `from prefect import` first: the usual spelling, usually near the top.
    return _matches(_FROM_PREFECT, b"from", source) or _matches(_IMPORT_PREFECT, b"import", source)


def _matches(pattern: re.Pattern[bytes], word: bytes, source: bytes) -> bool:
    """`pattern.search(source)`, for a pattern that starts with `\\bWORD`: tried only where
    WORD is written (`match` at a position still sees the byte before it)."""
    index = source.find(word)
    while index >= 0:
        if pattern.match(source, index):
            return True
        index = source.find(word, index + 1)
    return False


class Value(FrozenRecord):
    """A keyword argument or default: JSON value, source text, and its Python value aside."""

    __slots__ = ("dynamic", "raw", "source", "value")
    _compare = ("value", "source", "dynamic")  # `raw` is not compared
    value: Any
    source: str
    dynamic: bool
    raw: Any

    def __init__(self, value: Any, source: str, dynamic: bool, raw: Any = UNKNOWN) -> None:
        _set(self, "value", value)
        _set(self, "source", source)
        _set(self, "dynamic", dynamic)
        _set(self, "raw", raw)

    def data(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "dynamic": self.dynamic}


Kwargs = tuple[tuple[str, Value], ...]


class FlowDecorator(Tool):
    """Prefect's flow decorator, possibly already called with keyword arguments."""

    __slots__ = ("kwargs", "star_kwargs")
    kwargs: Kwargs
    star_kwargs: bool

    def __init__(self, kwargs: Kwargs = (), star_kwargs: bool = False) -> None:
        _set(self, "kwargs", kwargs)
        _set(self, "star_kwargs", star_kwargs)


class FlowSpec(FrozenRecord):
    """What is known of a flow object while walking: its function and its keyword arguments."""

    function: FunctionNode | ast.Lambda | None
    function_name: str | None
    kwargs: Kwargs
    star_kwargs: bool
    is_method: bool
    name: str | None
    description: str | None
    parameters: tuple[dict[str, Any], ...]
    parameter_schema: dict[str, Any] | None

    def __init__(
        self,
        function: FunctionNode | ast.Lambda | None,
        function_name: str | None,
        kwargs: Kwargs,
        star_kwargs: bool,
        is_method: bool,
        name: str | None = None,
        description: str | None = None,
        parameters: tuple[dict[str, Any], ...] = (),
        parameter_schema: dict[str, Any] | None = None,
    ) -> None:
        _set(self, "function", function)
        _set(self, "function_name", function_name)
        _set(self, "kwargs", kwargs)
        _set(self, "star_kwargs", star_kwargs)
        _set(self, "is_method", is_method)
        _set(self, "name", name)
        _set(self, "description", description)
        _set(self, "parameters", parameters)
        _set(self, "parameter_schema", parameter_schema)


def is_flow_decorator(symbol: Symbol) -> bool:
    return isinstance(symbol, FlowDecorator) or (
        isinstance(symbol, Qual) and symbol.name in FLOW_DECORATORS
    )


#: Prefect's decorator not yet called (immutable: one instance serves every use).
_PLAIN_DECORATOR = FlowDecorator()


def as_flow_decorator(symbol: Symbol) -> FlowDecorator:
    return symbol if isinstance(symbol, FlowDecorator) else _PLAIN_DECORATOR


class _Found(EqRecord):
    __slots__ = (
        "anchor",
        "binding",
        "decorator",
        "form",
        "loadable",
        "order",
        "qualname",
        "scope",
        "spec",
    )
    spec: FlowSpec
    qualname: str
    form: str
    anchor: Anchor
    decorator: Anchor | None
    loadable: bool
    scope: Scope
    binding: str
    order: int

    def __init__(
        self,
        spec: FlowSpec,
        qualname: str,
        form: str,
        anchor: Anchor,
        decorator: Anchor | None,
        loadable: bool,
        scope: Scope,
        binding: str,
        order: int = 0,
    ) -> None:
        self.spec = spec
        self.qualname = qualname
        self.form = form
        self.anchor = anchor
        self.decorator = decorator
        self.loadable = loadable
        self.scope = scope
        self.binding = binding
        self.order = order


class PrefectRecogniser(Recogniser):
    """Prefect flows (see the module docstring)."""

    name = "prefect"

    def __init__(self) -> None:
        self.found: list[_Found] = []

    # -- engine hooks ------------------------------------------------------------------------

    def could_define(self, source: bytes) -> bool:
        return could_define_flows(source)

    def preferred(self, symbol: Symbol) -> bool:
        return isinstance(symbol, Qual) and symbol.name in FLOW_DECORATORS

    def relevant(self, symbol: Symbol) -> bool:
        return isinstance(symbol, Qual) and symbol.name.startswith("prefect")

    def star_import(self, module: str | None) -> Mapping[str, Symbol]:
        return {"flow": Qual(f"{module}.flow")} if module in STAR_FLOW_MODULES else {}

    def function_def(self, walker: Walker, node: FunctionNode, scope: Scope) -> Symbol | None:
        if not node.decorator_list:
            return None
        decorator_node: Decorator | None = None
        flow_decorator: FlowDecorator | None = None
        failed = False
        for expression in node.decorator_list:
            decorator = Decorator(expression, node)
            walker.anchor = decorator
            if isinstance(expression, ast.Call):
                callee = walker.expression(expression.func, scope)
                if not is_flow_decorator(callee):
                    continue
                kwargs, star, positional = self.arguments(walker, expression, scope)
                if positional:
                    walker.report(
                        codes.POSITIONAL_NAME,
                        decorator,
                        f"`@{walker.segment(expression.func)}(...)` takes keyword "
                        "arguments only: write "
                        f"`name={walker.segment(_unstarred(positional[0]))}` (a TypeError at "
                        "import as written)",
                    )
                    failed = True
                    continue
                base = as_flow_decorator(callee)
                flow_decorator = FlowDecorator(base.kwargs + kwargs, base.star_kwargs or star)
                decorator_node = decorator
            else:
                symbol = walker.expression(expression, scope)
                if isinstance(symbol, Qual) and symbol.name in FLOW_CLASSES:
                    symbol = _PLAIN_DECORATOR
                if is_flow_decorator(symbol):
                    flow_decorator = as_flow_decorator(symbol)
                    decorator_node = decorator
        if failed:
            return OTHER
        if flow_decorator is None or decorator_node is None:
            return None
        if node.decorator_list[0] is not decorator_node.expression:
            self._check_outer_decorators(walker, node, decorator_node, scope)
        spec = self.flow_spec(
            walker, node, scope, flow_decorator.kwargs, flow_decorator.star_kwargs, decorator_node
        )
        if spec is None:
            return OTHER
        qualname = scope.qualname_prefix + node.name
        self.found.append(
            _Found(  # spec, qualname, form, anchor, decorator, loadable, scope, binding, order
                spec,
                qualname,
                "decorator",
                node,
                decorator_node,
                not scope.unloadable and not walker.main_guard,
                scope,
                node.name,
                len(self.found),
            )
        )
        self._loadability(walker, scope, node, qualname)
        return Made(spec)

    def call(self, walker: Walker, node: ast.Call, scope: Scope) -> Symbol | None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "with_options"
            and isinstance(base := walker.expression(func.value, scope), Made)
            and isinstance(base.spec, FlowSpec)
        ):
            return self.with_options(walker, node, base.spec, scope)
        callee = walker.expression(func, scope)
        is_class = isinstance(callee, Qual) and callee.name in FLOW_CLASSES
        if not is_class and not is_flow_decorator(callee):
            return None
        decorator = as_flow_decorator(callee) if not is_class else _PLAIN_DECORATOR
        kwargs, star, positional = self.arguments(walker, node, scope)
        if is_class and len(positional) > 1:
            # Flow(fn, name, version, ...): positional parameters after `fn`, in order.
            extra = positional[1:]
            if len(extra) > len(FLOW_INIT_ORDER) or any(isinstance(a, ast.Starred) for a in extra):
                return None
            named = tuple(
                (keyword, self.value(walker, arg, scope))
                for keyword, arg in zip(FLOW_INIT_ORDER, extra, strict=False)
            )
            kwargs = named + kwargs
            positional = positional[:1]
        kwargs = decorator.kwargs + kwargs
        star = decorator.star_kwargs or star
        if not positional:
            return None if is_class else FlowDecorator(kwargs, star)
        if len(positional) > 1 or isinstance(positional[0], ast.Starred):
            return None
        target = positional[0]
        if literal_value(target) is not UNKNOWN:
            walker.report(
                codes.POSITIONAL_NAME,
                node,
                f"`{walker.segment(func)}(...)` takes the function to turn into a flow, not "
                f"`{walker.segment(target)}` (a TypeError at import): pass `name=` for a name",
            )
            return None
        if isinstance(target, ast.Lambda):
            spec = self.flow_spec(walker, target, scope, kwargs, star, node)
            return None if spec is None else Made(spec)
        function = (
            walker.expression(target, scope)
            if isinstance(target, ast.Name | ast.Attribute)
            else OTHER
        )
        if isinstance(function, FunctionRef):
            spec = self.flow_spec(walker, function.node, function.scope, kwargs, star, node)
        elif isinstance(function, Made):
            return None
        else:
            spec = self.foreign_flow_spec(walker, node, target, kwargs, star, scope)
        return None if spec is None else Made(spec)

    def assigned(
        self,
        walker: Walker,
        statement: ast.stmt,
        value: ast.expr,
        target: str,
        symbol: Symbol,
        scope: Scope,
    ) -> None:
        """A call-form flow (`x = flow(fn)`); `g = some_flow` is another name, not a flow."""
        if not (
            isinstance(symbol, Made)
            and isinstance(symbol.spec, FlowSpec)
            and isinstance(value, ast.Call)
        ):
            return
        is_with_options = isinstance(value.func, ast.Attribute) and (
            value.func.attr == "with_options"
        )
        self.found.append(
            _Found(  # spec, qualname, form, anchor, decorator, loadable, scope, binding, order
                symbol.spec,
                scope.qualname_prefix + target,
                "with_options" if is_with_options else "call",
                statement,
                value,
                not scope.unloadable and not walker.main_guard,
                scope,
                target,
                len(self.found),
            )
        )
        self._loadability(walker, scope, statement, target)

    def module_done(self, walker: Walker, scope: Scope) -> None:
        """A flow is loadable by its entrypoint only if its name still holds it once the module
        (or class body) has run: a later `def`, assignment or `del` makes it unreachable."""
        for found in self.found:
            if not found.loadable:
                continue
            final = found.scope.state.get(found.binding)
            if isinstance(final, Made) and final.spec is found.spec:
                continue
            if isinstance(final, Choice) and any(o.spec is found.spec for o in final.options):
                walker.report(
                    codes.CONDITIONAL_FLOW,
                    found.anchor,
                    f"flow `{found.qualname}` is defined differently in several branches "
                    "(`if`/`else`, `try`/`except`): which definition Prefect loads from "
                    "the entrypoint depends on run-time conditions",
                )
                continue
            found.loadable = False
            walker.report(
                codes.NOT_LOADABLE,
                found.anchor,
                f"flow `{found.qualname}` is rebound later in this module (by a `def`, an "
                "assignment or `del`), so its entrypoint does not load it; rename one of them",
            )

    def finish(self, walker: Walker) -> list[dict[str, Any]]:
        if not self.found:
            return []
        # `order` is unique, so the sort never compares two items.
        ordered = sorted((*walker.start(f.anchor), f.order, f) for f in self.found)
        seen: dict[str, int] = {}
        flows: list[dict[str, Any]] = []
        path = walker.path
        prefix = f"{path}:"
        for line, column, _, item in ordered:
            spec = item.spec
            qualname = item.qualname
            entrypoint = key = prefix + qualname
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            if occurrence:
                key = f"{key}#{occurrence}"
            decorator = item.decorator
            anchor = item.anchor
            # (what `walker.start_line` and `walker.end_line` give, without two calls a flow)
            if isinstance(anchor, Decorator):
                end_line = anchor.expression.end_lineno or anchor.expression.lineno
            else:
                end_line = anchor.end_lineno or anchor.lineno
            flows.append(
                {
                    "id": blake2b(key.encode(), digest_size=8).hexdigest(),
                    "name": spec.name,
                    "function": spec.function_name or qualname.rsplit(".", 1)[-1],
                    "qualname": qualname,
                    "path": path,
                    "entrypoint": entrypoint if item.loadable else None,
                    "form": item.form,
                    "line": line,
                    "column": column,
                    "decorator_line": (
                        None
                        if decorator is None
                        else decorator.expression.lineno
                        if isinstance(decorator, Decorator)
                        else decorator.lineno
                    ),
                    "end_line": end_line,
                    "is_async": isinstance(spec.function, ast.AsyncFunctionDef),
                    "is_method": spec.is_method,
                    "description": spec.description,
                    "kwargs": (
                        {keyword: value.data() for keyword, value in spec.kwargs}
                        if spec.kwargs
                        else {}
                    ),
                    "parameters": list(spec.parameters),
                    "parameter_schema": spec.parameter_schema,
                    "deployable": item.loadable,
                }
            )
        return flows

    # -- flows -------------------------------------------------------------------------------

    def _loadability(self, walker: Walker, scope: Scope, node: Anchor, what: str) -> None:
        if scope.in_function:
            walker.report(
                codes.NOT_LOADABLE,
                node,
                f"flow `{what}` is defined inside a function: Prefect cannot load it from an "
                "entrypoint; move it to module level to deploy it",
            )
        elif walker.main_guard or scope.unloadable:
            walker.report(
                codes.NOT_LOADABLE,
                node,
                f'flow `{what}` is defined under `if __name__ == "__main__":`, which does not '
                "run when Prefect loads the module; move it to module level to deploy it",
            )

    def _check_outer_decorators(
        self, walker: Walker, node: FunctionNode, flow_decorator: Decorator, scope: Scope
    ) -> None:
        """Decorators above the flow decorator apply last: what they return is what the
        entrypoint loads (`staticmethod`/`classmethod` keep the flow)."""
        for expression in node.decorator_list:
            if expression is flow_decorator.expression:
                return
            target = expression.func if isinstance(expression, ast.Call) else expression
            symbol = walker.expression(target, scope)
            if isinstance(symbol, Qual) and symbol.name in _KEEPS_THE_FLOW:
                continue
            walker.report(
                codes.WRAPPED_FLOW,
                Decorator(expression, node),
                f"`@{walker.segment(expression)}` is applied to the flow "
                f"`{node.name}` and may replace it: the entrypoint loads whatever it "
                "returns; put `@flow` outermost to be sure",
            )

    def arguments(
        self, walker: Walker, call: ast.Call, scope: Scope
    ) -> tuple[Kwargs, bool, list[ast.expr]]:
        """Keyword arguments resolved to Values, whether `**kwargs` is passed, positionals."""
        kwargs: list[tuple[str, Value]] = []
        star = False
        for keyword in call.keywords:
            if keyword.arg is None:
                star = True
            else:
                kwargs.append((keyword.arg, self.value(walker, keyword.value, scope)))
        return tuple(kwargs), star, list(call.args)

    def value(self, walker: Walker, node: ast.expr, scope: Scope) -> Value:
        """A keyword argument's Value; its Python value is kept aside for type checks."""
        source = walker.segment(node)
        raw = literal_value(node, walker.constants(scope))
        json_value = UNKNOWN if raw is UNKNOWN else to_json(raw)
        if json_value is UNKNOWN:
            return Value(None, source, True, raw)
        return Value(json_value, source, False, raw)

    def check_keywords(self, walker: Walker, kwargs: Kwargs, where: Anchor) -> bool:
        for keyword, _ in kwargs:
            if keyword not in FLOW_KEYWORDS:
                import difflib  # only for a mistake: 2 ms at start-up

                close = difflib.get_close_matches(keyword, sorted(FLOW_KEYWORDS), n=1)
                hint = (
                    f"did you mean `{close[0]}`?"
                    if close
                    else f"accepted: {', '.join(sorted(FLOW_KEYWORDS))}"
                )
                walker.report(
                    codes.UNKNOWN_KEYWORD,
                    where,
                    f"flow() got an unexpected keyword argument `{keyword}` (a TypeError at "
                    f"import); {hint}",
                )
                return False
        return True

    def resolve_name(
        self,
        walker: Walker,
        kwargs: dict[str, Value],
        fallback: str | None,
        star: bool,
        where: Anchor,
    ) -> tuple[bool, str | None]:
        """(ok, name) as Prefect computes it.

        `Flow.__init__` raises TypeError for a `name` that is not None and not a string,
        then takes `name or fn.__name__.replace("_", "-")` (a lambda's `<lambda>` becomes
        `unknown-lambda`) and rejects banned characters.
        """
        given = kwargs.get("name")
        raw = given.raw if given is not None else None
        if given is not None and raw is UNKNOWN:
            walker.report(
                codes.DYNAMIC_NAME,
                where,
                f"flow name `{given.source}` cannot be known statically; use a string literal "
                "or a module-level string constant",
            )
            return True, None
        if raw is not None and not isinstance(raw, str):
            assert given is not None
            walker.report(
                codes.INVALID_NAME,
                where,
                f"flow name must be a string, got `{given.source}` (a TypeError at import)",
            )
            return False, None
        if raw:
            assert isinstance(raw, str)
            return self._valid_name(walker, raw, where)
        if star and given is None:
            walker.report(
                codes.DYNAMIC_NAME,
                where,
                "flow arguments passed with `**` may set its name; it cannot be known "
                "statically: pass `name=` explicitly",
            )
            return True, None
        if fallback is None:
            return True, None
        return True, fallback.replace("_", "-").replace("<lambda>", "unknown-lambda")

    def _valid_name(self, walker: Walker, name: str, where: Anchor) -> tuple[bool, str | None]:
        banned = sorted(_BANNED.intersection(name))
        if banned:
            walker.report(
                codes.INVALID_NAME,
                where,
                f"flow name {name!r} contains {', '.join(repr(c) for c in banned)}, which "
                "Prefect rejects (InvalidNameError at import): it must not contain / % & < >",
            )
            return False, None
        return True, name

    def flow_spec(
        self,
        walker: Walker,
        function: FunctionNode | ast.Lambda,
        function_scope: Scope,
        kwargs: Kwargs,
        star: bool,
        where: Anchor,
    ) -> FlowSpec | None:
        if not self.check_keywords(walker, kwargs, where):
            return None
        merged = dict(kwargs)
        function_name = function.name if not isinstance(function, ast.Lambda) else "<lambda>"
        ok, name = self.resolve_name(walker, merged, function_name, star, where)
        if not ok:
            return None
        constants = walker.constants(function_scope)
        signature = _signature(function)
        parameters, literals = _parameters(walker, signature, constants)
        reserved = [p["name"] for p in parameters if p["name"] in RESERVED_PARAMETERS]
        if reserved:
            walker.report(
                codes.RESERVED_PARAMETER,
                where,
                f"flow parameter `{reserved[0]}` is reserved by Prefect "
                "(ReservedArgumentError at import): rename it",
            )
            return None
        docstring = None if isinstance(function, ast.Lambda) else function_docstring(function)
        description = _description(merged.get("description"), docstring, star)
        schema = _parameter_schema(signature, parameters, literals, function_scope, docstring)
        return FlowSpec(
            function=function,
            function_name=function_name,
            kwargs=tuple(sorted(merged.items())),  # unique keys: no Value is compared
            star_kwargs=star,
            is_method=function_scope.kind == "class" and not isinstance(function, ast.Lambda),
            name=name,
            description=description,
            parameters=tuple(parameters),
            parameter_schema=schema,
        )

    def foreign_flow_spec(
        self,
        walker: Walker,
        call: ast.Call,
        target: ast.expr,
        kwargs: Kwargs,
        star: bool,
        scope: Scope,
    ) -> FlowSpec | None:
        if not self.check_keywords(walker, kwargs, call):
            return None
        merged = dict(kwargs)
        walker.report(
            codes.UNKNOWN_FUNCTION,
            call,
            f"`{walker.segment(target)}` is not a function defined in this module: its "
            "signature, docstring and (without `name=`) its flow name are unknown statically",
        )
        ok, name = self.resolve_name(walker, merged, None, star, call)
        if not ok:
            return None
        given = merged.get("description")
        description = given.value if given and isinstance(given.value, str) else None
        return FlowSpec(
            function=None,
            function_name=None,
            kwargs=tuple(sorted(merged.items())),  # unique keys: no Value is compared
            star_kwargs=star,
            is_method=scope.kind == "class",
            name=name,
            description=description or None,
        )

    def with_options(self, walker: Walker, call: ast.Call, base: FlowSpec, scope: Scope) -> Symbol:
        """`Flow.with_options(...)`: a copy with some options replaced, as Prefect merges them.

        `name` and `description` fall back when falsy (`name or self.name`); keywords whose
        default is NotSet (`persist_result`, `result_storage`, `result_serializer`,
        `log_prints`) take None as a value; the others fall back when None.
        """
        kwargs, star, positional = self.arguments(walker, call, scope)
        if positional or not self.check_keywords(walker, kwargs, call):
            return OTHER
        merged = dict(base.kwargs)
        for keyword, value in kwargs:
            raw = value.raw
            if keyword in ("name", "description") and not value.dynamic and not raw:
                continue
            if raw is None and keyword not in NOTSET_KEYWORDS:
                continue
            merged[keyword] = value
        values = dict(kwargs)
        name = base.name
        given = values.get("name")
        given_raw = given.raw if given is not None else None
        if star or (given is not None and (given_raw is UNKNOWN or given_raw)):
            ok, resolved = self.resolve_name(walker, values, None, star, call)
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
            kwargs=tuple(sorted(merged.items())),  # unique keys: no Value is compared
            star_kwargs=base.star_kwargs or star,
            is_method=base.is_method,
            name=name,
            description=description,
            parameters=base.parameters,
            parameter_schema=base.parameter_schema,
        )
        return Made(spec)


def _unstarred(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Starred) else node


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


def _signature(
    function: FunctionNode | ast.Lambda,
) -> list[tuple[ast.arg, ast.expr | None, str]]:
    """(parameter, default, kind) in signature order."""
    arguments = function.args
    posonly = arguments.posonlyargs
    positional = [*posonly, *arguments.args] if posonly else arguments.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(arguments.defaults))
    defaults.extend(arguments.defaults)
    result: list[tuple[ast.arg, ast.expr | None, str]] = []
    if posonly:
        only = len(posonly)
        for index, param in enumerate(positional):
            kind = "positional_only" if index < only else "positional_or_keyword"
            result.append((param, defaults[index], kind))
    else:
        for param, default in zip(positional, defaults, strict=False):
            result.append((param, default, "positional_or_keyword"))
    if arguments.vararg is not None:
        result.append((arguments.vararg, None, "var_positional"))
    if arguments.kwonlyargs or arguments.kw_defaults:
        for param, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
            result.append((param, default, "keyword_only"))
    if arguments.kwarg is not None:
        result.append((arguments.kwarg, None, "var_keyword"))
    return result


Signature = list[tuple[ast.arg, ast.expr | None, str]]


def _parameters(
    walker: Walker, signature: Signature, constants: NameResolver
) -> tuple[list[dict[str, Any]], list[Any]]:
    """The flow's parameters as index data, and each one's default as a literal value
    (UNKNOWN when it has none or it is not a literal)."""
    result: list[dict[str, Any]] = []
    literals: list[Any] = []
    segment = walker.source.segment
    for param, default_node, kind in signature:
        default = None
        value: Any = UNKNOWN
        if default_node is not None:
            source = segment(default_node)
            value = literal_value(default_node, constants)
            json_value = UNKNOWN if value is UNKNOWN else to_json(value)
            default = (
                {"value": None, "source": source, "dynamic": True}
                if json_value is UNKNOWN
                else {"value": json_value, "source": source, "dynamic": False}
            )
        literals.append(value)
        annotation = segment(param.annotation) if param.annotation is not None else None
        required = default is None and kind not in {"var_positional", "var_keyword"}
        result.append(
            {
                "name": param.arg,
                "kind": kind,
                "annotation": annotation,
                "default": default,
                "required": required,
            }
        )
    return result, literals


Resolve = Callable[[ast.expr], Symbol]


def _enum_default(node: ast.expr, resolve: Resolve) -> Any:
    """`Color.RED` for an Enum of the module: the member's value (pydantic's JSON default)."""
    if not isinstance(node, ast.Attribute):
        return UNKNOWN
    owner = resolve(node.value)
    if not isinstance(owner, ClassRef) or enum_members(owner) is None:
        return UNKNOWN
    assert isinstance(owner.scope.node, ast.ClassDef)
    return enum_values(owner.scope.node).get(node.attr, UNKNOWN)


_EMPTY_CONTAINERS: dict[str, Any] = {
    "builtins.set": [],
    "builtins.frozenset": [],
    "builtins.list": [],
    "builtins.tuple": [],
    "builtins.dict": {},
}
_PATHS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"})


def _call_default(node: ast.expr, resolve: Resolve) -> Any:
    """Defaults pydantic serialises from a call: `set()` and other empty containers,
    `Path("literal")` (its normalised string)."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name | ast.Attribute):
        return UNKNOWN
    callee = resolve(node.func)
    if not isinstance(callee, Qual):
        return UNKNOWN
    if callee.name in _EMPTY_CONTAINERS and not node.args and not node.keywords:
        empty = _EMPTY_CONTAINERS[callee.name]
        return [] if isinstance(empty, list) else {}
    if callee.name in _PATHS and len(node.args) == 1 and not node.keywords:
        text = literal_value(node.args[0])
        if isinstance(text, str):
            return str(PurePosixPath(text))
    return UNKNOWN


class _ScopeContext(SchemaContext):
    """Resolves a Name/Attribute annotation in the flow's scope (and collects enums)."""

    __slots__ = ("scope",)

    def __init__(self, scope: Scope, definitions: dict[str, Any]) -> None:
        # `lookup` stays unset: `__call__` is the lookup.
        self.definitions = definitions
        self.scope = scope

    def __call__(self, node: ast.expr) -> Symbol:
        if isinstance(node, ast.Name):
            return self.scope.lookup(node.id)
        if isinstance(node, ast.Attribute):
            base = self(node.value)
            return Qual(f"{base.name}.{node.attr}") if isinstance(base, Qual) else OTHER
        return OTHER


def _parameter_schema(
    signature: Signature,
    parameters: list[dict[str, Any]],
    literals: list[Any],
    scope: Scope,
    docstring: str | None,
) -> dict[str, Any]:
    """Prefect's `parameter_schema(fn)` as a plain dict (`ParameterSchema.model_dump()`).

    `literals` are the defaults' literal values (`_parameters`), in the flow's scope.
    """
    descriptions = parameter_descriptions(docstring)
    properties: dict[str, Any] = {}
    definitions: dict[str, Any] = {}
    required: list[str] = []
    resolve = _ScopeContext(scope, definitions)
    for position, ((param, default_node, kind), info, literal) in enumerate(
        zip(signature, parameters, literals, strict=True)
    ):
        name = info["name"]
        if name in {"self", "cls"}:
            continue
        schema: dict[str, Any] | None = None
        if param.annotation is not None:
            schema = annotation_schema(param.annotation, resolve)
        prop: dict[str, Any]
        if kind == "var_positional":
            prop = {"items": dict(schema) if schema else {}, "type": "array", "default": []}
        elif kind == "var_keyword":
            prop = {
                "additionalProperties": dict(schema) if schema else True,
                "type": "object",
                "default": {},
            }
        else:
            prop = dict(schema) if schema else {}
            if default_node is not None:
                default = _enum_default(default_node, resolve)
                if default is UNKNOWN:
                    default = _call_default(default_node, resolve)
                if default is UNKNOWN and literal is not UNKNOWN:
                    default = to_json(literal)  # `default_json` of the default
                if default is not UNKNOWN:
                    prop["default"] = default
        prop["title"] = name
        prop["position"] = position
        if name in descriptions:
            prop["description"] = descriptions[name]
        properties[name] = prop
        if info["required"]:
            required.append(name)
    return {
        "title": "Parameters",
        "type": "object",
        "properties": properties,
        "required": required,
        "definitions": definitions,
    }


__all__ = ["PrefectRecogniser", "could_define_flows"]
