"""What a name is bound to, as far as flow discovery cares, and Python's scoping rules.

A module is walked statement by statement in execution order, so a later rebinding shadows
an earlier import exactly where Python would. Function bodies run after the module has
finished executing, so their free names resolve against the module's final state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import libcst as cst

#: Qualified names of Prefect's flow decorator.
FLOW_DECORATORS = frozenset({"prefect.flow", "prefect.flows.flow"})
#: Modules whose `import *` binds `flow` to Prefect's decorator (prefect.__all__ has it;
#: prefect.flows has no __all__, so every public name is exported).
STAR_FLOW_MODULES = frozenset({"prefect", "prefect.flows"})


class Symbol:
    """Base of what a name can be bound to."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Other(Symbol):
    """Bound to something irrelevant to flow discovery."""


OTHER = Other()


@dataclass(frozen=True, slots=True)
class Qual(Symbol):
    """A module or an object imported from one, by qualified name (`typing.List`)."""

    name: str


@dataclass(frozen=True, slots=True)
class FlowDecorator(Symbol):
    """Prefect's flow decorator, possibly already called with keyword arguments.

    `kwargs` holds (keyword, models.Value) pairs resolved where the call was made.
    """

    kwargs: tuple[tuple[str, Any], ...] = ()
    star_kwargs: bool = False


@dataclass(frozen=True, slots=True)
class FunctionRef(Symbol):
    """A function defined by a `def` statement in the scanned module."""

    node: cst.FunctionDef
    scope: Scope


@dataclass(frozen=True, slots=True)
class ClassRef(Symbol):
    """A class defined by a `class` statement in the scanned module (its body's scope)."""

    scope: Scope


@dataclass(frozen=True, slots=True)
class FlowObject(Symbol):
    """A flow object (from a decorator, `flow(fn)` or `with_options`)."""

    spec: Any  # scanner.core.FlowSpec; Any avoids an import cycle


@dataclass(frozen=True, slots=True)
class Const(Symbol):
    """A constant: the name was last assigned a literal."""

    value: Any


def is_flow_decorator(symbol: Symbol) -> bool:
    return isinstance(symbol, FlowDecorator) or (
        isinstance(symbol, Qual) and symbol.name in FLOW_DECORATORS
    )


def as_flow_decorator(symbol: Symbol) -> FlowDecorator:
    return symbol if isinstance(symbol, FlowDecorator) else FlowDecorator()


@dataclass(frozen=True, slots=True)
class Choice(Symbol):
    """Different flow objects bound to one name by different branches (`if`/`else`,
    `try`/`except`): which one exists depends on run-time conditions."""

    options: tuple[FlowObject, ...]


def _rank(symbol: Symbol) -> int:
    if is_flow_decorator(symbol):
        return 0
    if isinstance(symbol, FlowObject | Choice):
        return 1
    if isinstance(symbol, Qual):
        return 2
    return 3


def merge(states: Iterable[dict[str, Symbol]]) -> dict[str, Symbol]:
    """State after one of several branches ran.

    Prefect's decorator wins when any branch binds it (`try: from elsewhere import flow` /
    `except ImportError: from prefect import flow` means Prefect's flow where the other is
    missing); different flow objects bound to one name become a `Choice`; then any imported
    name; else OTHER.
    """
    states = list(states)
    names: set[str] = set()
    for state in states:
        names.update(state)
    result: dict[str, Symbol] = {}
    for name in names:
        values = [state[name] for state in states if name in state]
        first = values[0]
        if all(value == first for value in values) and len(values) == len(states):
            result[name] = first
            continue
        best = min(values, key=_rank)
        if _rank(best) == 1:
            options: list[FlowObject] = []
            for value in values:
                for option in value.options if isinstance(value, Choice) else (value,):
                    if isinstance(option, FlowObject) and option not in options:
                        options.append(option)
            result[name] = options[0] if len(options) == 1 else Choice(tuple(options))
        elif _rank(best) == 3:
            result[name] = OTHER
        else:
            result[name] = best
    return result


ScopeKind = Literal["module", "class", "function"]


@dataclass(eq=False)
class Scope:
    """One Python scope: the module, a class body or a function body."""

    kind: ScopeKind
    parent: Scope | None
    qualname_prefix: str
    node: cst.FunctionDef | cst.ClassDef | None = None
    in_function: bool = False
    unloadable: bool = False
    state: dict[str, Symbol] = field(default_factory=dict)
    declared_globals: set[str] = field(default_factory=set)
    _locals: frozenset[str] | None = None

    def module(self) -> Scope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope

    def bind(self, name: str, symbol: Symbol) -> None:
        if name in self.declared_globals:
            self.module().state[name] = symbol
        else:
            self.state[name] = symbol

    def unbind(self, name: str) -> None:
        if name in self.declared_globals:
            self.module().state.pop(name, None)
        else:
            self.state.pop(name, None)

    def lookup(self, name: str) -> Symbol:
        """What `name` refers to at the current point of execution in this scope."""
        return self._lookup(name, first=True)

    def _lookup(self, name: str, *, first: bool) -> Symbol:
        if self.kind == "module":
            return self.state.get(name, _builtin(name))
        if self.kind == "class":
            if first and name in self.state:
                return self.state[name]
            assert self.parent is not None
            return self.parent._lookup(name, first=False)
        if name in self.declared_globals:
            return self.module().state.get(name, _builtin(name))
        if name in self.state:
            return self.state[name]
        assert self.parent is not None
        outer = self.parent._lookup(name, first=False)
        # A name bound anywhere in a function is local throughout it (read before its
        # binding, it is unbound). Computing the function's local names costs a full visit,
        # so it is done only when the answer matters.
        if _relevant(outer) and name in self.local_names():
            return OTHER
        return outer

    def local_names(self) -> frozenset[str]:
        if self._locals is None:
            self._compute_locals()
        assert self._locals is not None
        return self._locals

    def _compute_locals(self) -> None:
        assert isinstance(self.node, cst.FunctionDef)
        collector = _LocalNames()
        self.node.params.visit(collector)
        self.node.body.visit(collector)
        self._locals = frozenset(collector.bound - collector.globals - collector.nonlocals)


def _relevant(symbol: Symbol) -> bool:
    """Whether a free name's outer binding could matter to flow discovery."""
    if isinstance(symbol, FlowDecorator | FlowObject | Const):
        return True
    return isinstance(symbol, Qual) and symbol.name.startswith("prefect")


def _builtin(name: str) -> Symbol:
    return Qual(f"builtins.{name}")


class _LocalNames(cst.CSTVisitor):
    """Names a function body binds (so they are local throughout it), nested scopes excluded."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.globals: set[str] = set()
        self.nonlocals: set[str] = set()
        self._depth = 0

    def visit_Param(self, node: cst.Param) -> bool:
        if self._depth == 0:
            self.bound.add(node.name.value)
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.bound.add(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.bound.add(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Global(self, node: cst.Global) -> None:
        self.globals.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.nonlocals.update(item.name.value for item in node.names)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.bound.update(target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self.bound.update(target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.bound.update(target_names(node.target))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bound.update(target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self.bound.update(target_names(node.target))

    def visit_AsName(self, node: cst.AsName) -> None:
        self.bound.update(target_names(node.name))

    def visit_Del(self, node: cst.Del) -> None:
        self.bound.update(target_names(node.target))

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            if alias.asname is None:
                self.bound.add(_dotted(alias.name).split(".")[0])

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if alias.asname is None:
                self.bound.add(_dotted(alias.name))

    def visit_MatchAs(self, node: cst.MatchAs) -> None:
        if node.name is not None:
            self.bound.add(node.name.value)

    def visit_MatchStar(self, node: cst.MatchStar) -> None:
        if node.name is not None:
            self.bound.add(node.name.value)

    def visit_CompFor(self, node: cst.CompFor) -> bool:
        return False


def target_names(node: cst.BaseExpression) -> list[str]:
    """Names bound by an assignment target (`a`, `a, (b, *c)`; attributes bind nothing)."""
    if isinstance(node, cst.Name):
        return [node.value]
    if isinstance(node, cst.Tuple | cst.List):
        names: list[str] = []
        for element in node.elements:
            names.extend(target_names(element.value))
        return names
    if isinstance(node, cst.StarredElement):
        return target_names(node.value)
    return []


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    raise TypeError(f"not a dotted name: {node!r}")


dotted = _dotted
