"""What a name is bound to, as far as discovery cares, and Python's scoping rules.

A module is walked statement by statement in execution order, so a later rebinding shadows
an earlier import exactly where Python would. Function bodies run after the module has
finished executing, so their free names resolve against the module's final state.

The symbols here are the engine's, shared by every recogniser: `Qual` (an import, by
qualified name), `Const`, `FunctionRef`, `ClassRef`, `Made` (an object a recogniser made: a
flow, a DAG) and `Choice` (several of those, bound by different branches). A recogniser adds
its own `Tool` subclasses (a decorator already called with arguments, say).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, Literal

from acme_scan._records import FrozenRecord, Record, _set

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class Symbol:
    """Base of what a name can be bound to."""

    __slots__ = ()


class Other(FrozenRecord, Symbol):
    """Bound to something irrelevant to discovery."""

    __slots__ = ()


OTHER = Other()


class Qual(FrozenRecord, Symbol):
    """A module or an object imported from one, by qualified name (`typing.List`)."""

    __slots__ = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        _set(self, "name", name)


class Tool(FrozenRecord, Symbol):
    """Base of a recogniser's own symbols for the framework's tools (a decorator already
    called with some arguments, say). Tools win a merge of branches."""

    __slots__ = ()


class FunctionRef(FrozenRecord, Symbol):
    """A function defined by a `def` statement in the scanned module."""

    __slots__ = ("node", "scope")
    node: FunctionNode
    scope: Scope

    def __init__(self, node: FunctionNode, scope: Scope) -> None:
        _set(self, "node", node)
        _set(self, "scope", scope)


class ClassRef(FrozenRecord, Symbol):
    """A class defined by a `class` statement in the scanned module (its body's scope)."""

    __slots__ = ("scope",)
    scope: Scope

    def __init__(self, scope: Scope) -> None:
        _set(self, "scope", scope)


class Made(FrozenRecord, Symbol):
    """An object a recogniser made (a flow object); `spec` is the recogniser's own value."""

    __slots__ = ("spec",)
    spec: Any

    def __init__(self, spec: Any) -> None:
        _set(self, "spec", spec)


class Const(FrozenRecord, Symbol):
    """A constant: the name was last assigned a literal."""

    __slots__ = ("value",)
    value: Any

    def __init__(self, value: Any) -> None:
        _set(self, "value", value)


class Choice(FrozenRecord, Symbol):
    """Different made objects bound to one name by different branches (`if`/`else`,
    `try`/`except`): which one exists depends on run-time conditions."""

    __slots__ = ("options",)
    options: tuple[Made, ...]

    def __init__(self, options: tuple[Made, ...]) -> None:
        _set(self, "options", options)


#: Whether a symbol is one of the framework's tools (ranks first in a merge).
Preferred = Callable[[Symbol], bool]


def _rank(symbol: Symbol, preferred: Preferred) -> int:
    if isinstance(symbol, Tool) or preferred(symbol):
        return 0
    if isinstance(symbol, Made | Choice):
        return 1
    if isinstance(symbol, Qual):
        return 2
    return 3


def merge(states: Iterable[dict[str, Symbol]], preferred: Preferred) -> dict[str, Symbol]:
    """State after one of several branches ran.

    The framework's tool wins when any branch binds it (`try: from elsewhere import flow` /
    `except ImportError: from prefect import flow` means Prefect's flow where the other is
    missing); different made objects bound to one name become a `Choice`; then any imported
    name; else OTHER.
    """
    states = list(states)
    if len(states) == 1:
        return states[0]
    count = len(states)
    # Names in the order they are first bound (a recogniser may read the state in order).
    names = dict.fromkeys(chain.from_iterable(states))
    result: dict[str, Symbol] = {}
    for name in names:
        values = [state[name] for state in states if name in state]
        first = values[0]
        if len(values) == count:
            for value in values:
                if value is not first and value != first:
                    break
            else:
                result[name] = first
                continue
        best = min(values, key=lambda value: _rank(value, preferred))
        rank = _rank(best, preferred)
        if rank == 1:
            options: list[Made] = []
            for value in values:
                for option in value.options if isinstance(value, Choice) else (value,):
                    if isinstance(option, Made) and option not in options:
                        options.append(option)
            result[name] = options[0] if len(options) == 1 else Choice(tuple(options))
        elif rank == 3:
            result[name] = OTHER
        else:
            result[name] = best
    return result


ScopeKind = Literal["module", "class", "function"]

#: Whether a free name's outer binding could matter to discovery.
Relevant = Callable[[Symbol], bool]


class Scope(Record):
    """One Python scope: the module, a class body or a function body."""

    __slots__ = (
        "_locals",
        "declared_globals",
        "in_function",
        "kind",
        "node",
        "parent",
        "qualname_prefix",
        "relevant",
        "state",
        "unloadable",
    )
    kind: ScopeKind
    parent: Scope | None
    qualname_prefix: str
    node: FunctionNode | ast.ClassDef | None
    in_function: bool
    unloadable: bool
    relevant: Relevant | None
    state: dict[str, Symbol]
    declared_globals: set[str]
    _locals: frozenset[str] | None

    def __init__(
        self,
        kind: ScopeKind,
        parent: Scope | None,
        qualname_prefix: str,
        node: FunctionNode | ast.ClassDef | None = None,
        in_function: bool = False,
        unloadable: bool = False,
        relevant: Relevant | None = None,
        state: dict[str, Symbol] | None = None,
        declared_globals: set[str] | None = None,
        _locals: frozenset[str] | None = None,
    ) -> None:
        self.kind = kind
        self.parent = parent
        self.qualname_prefix = qualname_prefix
        self.node = node
        self.in_function = in_function
        self.unloadable = unloadable
        self.relevant = relevant
        self.state = {} if state is None else state
        self.declared_globals = set() if declared_globals is None else declared_globals
        self._locals = _locals

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
        if self.kind == "module":
            symbol = self.state.get(name)
            return _builtin(name) if symbol is None else symbol
        return self._lookup(name, first=True)

    def free(self, name: str) -> Symbol:
        """What `name` refers to as a free name of a function nested in this scope (a class
        body is skipped, as Python does)."""
        return self._lookup(name, first=False)

    def _lookup(self, name: str, *, first: bool) -> Symbol:
        if self.kind == "module":
            symbol = self.state.get(name)
            return _builtin(name) if symbol is None else symbol
        if self.kind == "class":
            if first and name in self.state:
                return self.state[name]
            assert self.parent is not None
            return self.parent._lookup(name, first=False)
        if name in self.declared_globals:
            symbol = self.module().state.get(name)
            return _builtin(name) if symbol is None else symbol
        if name in self.state:
            return self.state[name]
        assert self.parent is not None
        outer = self.parent._lookup(name, first=False)
        # A name bound anywhere in a function is local throughout it (read before its
        # binding, it is unbound). The function's local names are collected only when the
        # answer matters.
        if _relevant(outer, self.relevant) and name in self.local_names():
            return OTHER
        return outer

    def local_names(self) -> frozenset[str]:
        if self._locals is None:
            assert isinstance(self.node, ast.FunctionDef | ast.AsyncFunctionDef)
            self._locals = local_names(self.node)
        return self._locals


def _relevant(symbol: Symbol, relevant: Relevant | None) -> bool:
    if isinstance(symbol, Tool | Made | Const):
        return True
    return relevant is not None and relevant(symbol)


#: `builtins.NAME` symbols already made (a Qual is immutable, so one serves every lookup).
_BUILTINS: dict[str, Qual] = {}
#: At most this many are kept (a long-running process scans unbounded sets of names).
_BUILTINS_KEPT = 4096


def _builtin(name: str) -> Symbol:
    symbol = _BUILTINS.get(name)
    if symbol is None:
        symbol = Qual(f"builtins.{name}")
        if len(_BUILTINS) < _BUILTINS_KEPT:
            _BUILTINS[name] = symbol
    return symbol


_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def local_names(function: FunctionNode) -> frozenset[str]:
    """Names `function` binds (so they are local throughout it), nested scopes excluded.

    An iterative walk: a function body can be nested arbitrarily deep.
    """
    bound: set[str] = set()
    declared: set[str] = set()
    arguments = function.args
    for arg in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs):
        bound.add(arg.arg)
    for extra in (arguments.vararg, arguments.kwarg):
        if extra is not None:
            bound.add(extra.arg)
    stack: list[ast.AST] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED_SCOPES):
            if not isinstance(node, ast.Lambda):
                bound.add(node.name)
            continue
        if isinstance(node, _COMPREHENSIONS):
            # Only walrus targets leak out of a comprehension; its loop variables do not.
            for generator in node.generators:
                stack.append(generator.iter)
                stack.extend(generator.ifs)
            if isinstance(node, ast.DictComp):
                stack.extend((node.key, node.value))
            else:
                stack.append(node.elt)
            continue
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
            continue
        if isinstance(node, ast.Global | ast.Nonlocal):
            declared.update(node.names)
            continue
        if isinstance(node, ast.alias):
            if node.name != "*":
                bound.add(node.asname or node.name.split(".")[0])
            continue
        if (isinstance(node, ast.ExceptHandler) and node.name) or (
            isinstance(node, ast.MatchAs | ast.MatchStar) and node.name
        ):
            bound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            bound.add(node.rest)
        stack.extend(ast.iter_child_nodes(node))
    return frozenset(bound - declared)


def target_names(node: ast.expr) -> list[str]:
    """Names bound by an assignment target (`a`, `a, (b, *c)`; attributes bind nothing)."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Tuple | ast.List):
        names: list[str] = []
        for element in node.elts:
            names.extend(target_names(element))
        return names
    if isinstance(node, ast.Starred):
        return target_names(node.value)
    return []


def dotted(node: ast.expr) -> str | None:
    """`a.b.c` of a Name/Attribute chain (iteratively), else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))
