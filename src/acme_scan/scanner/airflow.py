"""The Airflow recogniser: which DAGs Airflow 3's DagBag registers from a file, and their ids.

A `Recogniser` (see `engine`) for Airflow 3. DagBag imports a file and keeps exactly two
kinds of DAG object (`airflow/dag_processing/importers/python_importer.py`): module-level
globals that are DAGs, and DAGs whose `with` block exited with `auto_register=True` (the
default). What makes DAGs, under every spelling that binds Airflow's names (`airflow.sdk`,
`airflow`, `airflow.models`, `airflow.models.dag`, the deprecated `airflow.decorators`, any
alias or attribute access):

- `DAG(dag_id, **kwargs)`: registered by a `with DAG(...) [as d]:` block, or by a module
  global still bound to it when the module has run (`d = DAG(...)`); a bare `DAG(...)`
  statement, or one kept only in a dict or list, registers nothing;
- `@dag` / `@dag(...)` functions: each call at import makes the DAG in a `with` block, so a
  function never called at module level registers nothing; its dag_id is `dag_id=`, else a
  positional string, else the function name;
- `@asset(schedule=..., ...)` / `@asset.multi(...)` functions: each is a DAG named
  `dag_id=`, else (`@asset`) `name=`, else the function name, registered when decorated.

A construction that raises at import (an invalid dag_id, a positional or unknown argument,
`@asset` without `schedule`) makes DagBag record an import error and keep **no** DAG of the
file: every DAG of such a file is reported with `deployable: false`. What cannot be known
statically (a dag_id computed at run time, a DAG made in a function the module does not
call) gets a diagnostic, and a `null` name where the dag_id is unknown.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

from acme_scan import codes
from acme_scan._hashes import blake2b
from acme_scan._records import FrozenRecord, Record, _set
from acme_scan.codes import Code
from acme_scan.scanner._literals import UNKNOWN, literal_value, to_json
from acme_scan.scanner._symbols import (
    OTHER,
    Choice,
    FunctionNode,
    FunctionRef,
    Made,
    Qual,
    Scope,
    Symbol,
    Tool,
)
from acme_scan.scanner.engine import Anchor, Decorator, Recogniser, Walker

#: The DAG class under every public path (airflow/__init__.py and airflow/models lazy-load it).
DAG_CLASSES = frozenset(
    {
        "airflow.DAG",
        "airflow.sdk.DAG",
        "airflow.models.DAG",
        "airflow.models.dag.DAG",
        "airflow.sdk.definitions.dag.DAG",
    }
)
#: The `@dag` decorator (airflow.decorators.dag is deprecated but works).
DAG_DECORATORS = frozenset(
    {
        "airflow.sdk.dag",
        "airflow.decorators.dag",
        "airflow.models.dag.dag",
        "airflow.sdk.definitions.dag.dag",
    }
)
ASSET_DECORATORS = frozenset(
    {"airflow.sdk.asset", "airflow.sdk.definitions.asset.decorators.asset"}
)
MULTI_ASSET_DECORATORS = frozenset(f"{name}.multi" for name in ASSET_DECORATORS)
#: `DAG.__init__`'s parameters (Airflow 3.3; only `dag_id` is positional).
DAG_KEYWORDS = frozenset(
    [
        "dag_id",
        "description",
        "default_args",
        "start_date",
        "end_date",
        "schedule",
        "template_searchpath",
        "template_undefined",
        "user_defined_macros",
        "user_defined_filters",
        "max_active_tasks",
        "max_active_runs",
        "max_consecutive_failed_dag_runs",
        "dagrun_timeout",
        "deadline",
        "sla_miss_callback",
        "catchup",
        "on_success_callback",
        "on_failure_callback",
        "doc_md",
        "params",
        "access_control",
        "is_paused_upon_creation",
        "jinja_environment_kwargs",
        "render_template_as_native_obj",
        "tags",
        "owner_links",
        "auto_register",
        "fail_fast",
        "allowed_run_types",
        "dag_display_name",
        "task_group",
        "disable_bundle_versioning",
        "rerun_with_latest_version",
    ]
)
#: `asset(...)` / `asset.multi(...)` keywords (attrs, keyword-only; `schedule` required).
_ASSET_FACTORY = [
    "schedule",
    "is_paused_upon_creation",
    "dag_id",
    "dag_display_name",
    "description",
    "params",
    "on_success_callback",
    "on_failure_callback",
    "access_control",
    "owner_links",
    "tags",
]
ASSET_KEYWORDS = frozenset((*_ASSET_FACTORY, "name", "uri", "group", "extra", "watchers"))
MULTI_ASSET_KEYWORDS = frozenset((*_ASSET_FACTORY, "outlets"))
#: `airflow/sdk/definitions/_internal/node.py`: KEY_REGEX and the length limit.
DAG_ID = re.compile(r"^[\w.-]+$")
MAX_DAG_ID_LENGTH = 250
#: The prefilter. Airflow's own safe-mode rule (`might_contain_dag`) imports a file only when
#: its lower-cased bytes hold `airflow` and `dag` or `asset`. Every spelling recognised here
#: names the module `airflow` in an import and `DAG`, `dag` or `asset` in an import or an
#: attribute, all case-sensitive in Python, so the same words as written (no lower-casing,
#: which would copy every file) over-approximate what can define a DAG; and what passes is
#: a subset of what DagBag imports in its default safe mode.
_AIRFLOW = b"airflow"
_NAMES = (b"DAG", b"dag", b"asset")


def could_define_dags(source: bytes) -> bool:
    return _AIRFLOW in source and any(name in source for name in _NAMES)


class Value(FrozenRecord):
    __slots__ = ("dynamic", "source", "value")
    value: Any
    source: str
    dynamic: bool

    def __init__(self, value: Any, source: str, dynamic: bool) -> None:
        _set(self, "value", value)
        _set(self, "source", source)
        _set(self, "dynamic", dynamic)

    def data(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "dynamic": self.dynamic}


class DagDecorator(Tool):
    """`dag(...)` called with its arguments: a decorator that makes `@dag` functions."""

    __slots__ = ("kwargs", "positional", "star")
    kwargs: tuple[tuple[str, Value], ...]
    positional: Value | None
    star: bool

    def __init__(
        self,
        kwargs: tuple[tuple[str, Value], ...] = (),
        positional: Value | None = None,
        star: bool = False,
    ) -> None:
        _set(self, "kwargs", kwargs)
        _set(self, "positional", positional)
        _set(self, "star", star)


class AssetDecorator(Tool):
    """`asset(...)` / `asset.multi(...)` called with its arguments."""

    __slots__ = ("kwargs", "multi", "positional", "star")
    multi: bool
    kwargs: tuple[tuple[str, Value], ...]
    star: bool
    positional: bool

    def __init__(
        self,
        multi: bool,
        kwargs: tuple[tuple[str, Value], ...] = (),
        star: bool = False,
        positional: bool = False,
    ) -> None:
        _set(self, "multi", multi)
        _set(self, "kwargs", kwargs)
        _set(self, "star", star)
        _set(self, "positional", positional)


class DagSpec(Record):
    """One DAG the file may register, while walking and when finishing."""

    __slots__ = (
        "anchor",
        "auto_register",
        "call_problem",
        "called",
        "dag_id",
        "decorator",
        "dynamic",
        "form",
        "function",
        "held",
        "kwargs",
        "main_guard",
        "order",
        "owner",
        "problems",
        "qualname",
        "scope",
        "with_registered",
    )
    form: str  # "dag" (the DAG class), "dag_decorator", "asset"
    dag_id: str | None
    kwargs: dict[str, Value]
    anchor: Anchor
    scope: Scope
    function: FunctionNode | None
    decorator: Decorator | None
    qualname: str | None
    #: Where it was made: inside a function body (runs only if called), in a loop, guarded.
    owner: FunctionNode | None
    main_guard: bool
    #: How it gets registered.
    with_registered: bool
    auto_register: bool | None
    called: bool  # a `@dag` function called at import
    held: bool  # a module global holds it when the module has run
    #: What raises when a `@dag` function is called (it makes its DAG then).
    call_problem: tuple[Code, str] | None
    problems: list[tuple[Code, Anchor, str]]
    dynamic: bool
    order: int

    def __init__(
        self,
        form: str,
        dag_id: str | None,
        kwargs: dict[str, Value],
        anchor: Anchor,
        scope: Scope,
        function: FunctionNode | None = None,
        decorator: Decorator | None = None,
        qualname: str | None = None,
        owner: FunctionNode | None = None,
        main_guard: bool = False,
        with_registered: bool = False,
        auto_register: bool | None = True,
        called: bool = False,
        held: bool = False,
        call_problem: tuple[Code, str] | None = None,
        problems: list[tuple[Code, Anchor, str]] | None = None,
        dynamic: bool = False,
        order: int = 0,
    ) -> None:
        self.form = form
        self.dag_id = dag_id
        self.kwargs = kwargs
        self.anchor = anchor
        self.scope = scope
        self.function = function
        self.decorator = decorator
        self.qualname = qualname
        self.owner = owner
        self.main_guard = main_guard
        self.with_registered = with_registered
        self.auto_register = auto_register
        self.called = called
        self.held = held
        self.call_problem = call_problem
        self.problems = [] if problems is None else problems
        self.dynamic = dynamic
        self.order = order


class _Factory(Record):
    """A `@dag` function: calling it makes (and auto-registers) its DAG."""

    __slots__ = ("spec",)
    spec: DagSpec

    def __init__(self, spec: DagSpec) -> None:
        self.spec = spec


def _is(symbol: Symbol, names: frozenset[str]) -> bool:
    return isinstance(symbol, Qual) and symbol.name in names


class AirflowRecogniser(Recogniser):
    """Airflow 3 DAGs (see the module docstring)."""

    name = "airflow"

    def __init__(self) -> None:
        self.specs: list[DagSpec] = []
        #: Functions the module calls at import (their `with DAG(...)` blocks run).
        self.called_functions: set[int] = set()
        #: A construction raised at import: the whole file registers nothing.
        self.fatal: list[tuple[Code, Anchor, str]] = []

    # -- engine hooks ------------------------------------------------------------------------

    def could_define(self, source: bytes) -> bool:
        return could_define_dags(source)

    def preferred(self, symbol: Symbol) -> bool:
        return _is(symbol, DAG_CLASSES | DAG_DECORATORS | ASSET_DECORATORS)

    def relevant(self, symbol: Symbol) -> bool:
        return self.preferred(symbol)

    def star_import(self, module: str | None) -> Mapping[str, Symbol]:
        if module == "airflow.sdk":
            return {
                "DAG": Qual("airflow.sdk.DAG"),
                "dag": Qual("airflow.sdk.dag"),
                "asset": Qual("airflow.sdk.asset"),
            }
        if module in ("airflow", "airflow.models"):
            return {"DAG": Qual(f"{module}.DAG")}
        return {}

    def function_def(self, walker: Walker, node: FunctionNode, scope: Scope) -> Symbol | None:
        for expression in reversed(node.decorator_list):  # innermost first
            symbol = walker.expression(expression, scope)
            if isinstance(symbol, DagDecorator) or _is(symbol, DAG_DECORATORS):
                decorator = symbol if isinstance(symbol, DagDecorator) else DagDecorator()
                return self._factory(walker, node, scope, decorator, Decorator(expression, node))
            if isinstance(symbol, AssetDecorator) or _is(
                symbol, ASSET_DECORATORS | MULTI_ASSET_DECORATORS
            ):
                self._asset(walker, node, scope, symbol, Decorator(expression, node))
                return OTHER
        return None

    def call(self, walker: Walker, node: ast.Call, scope: Scope) -> Symbol | None:
        callee = walker.expression(node.func, scope)
        if _is(callee, DAG_CLASSES):
            return Made(self._construct(walker, node, scope))
        if _is(callee, DAG_DECORATORS) or isinstance(callee, DagDecorator):
            return self._dag_call(walker, node, scope, callee)
        if _is(callee, ASSET_DECORATORS | MULTI_ASSET_DECORATORS):
            kwargs, star = self._keywords(walker, node, scope)
            return AssetDecorator(
                multi=_is(callee, MULTI_ASSET_DECORATORS),
                kwargs=kwargs,
                star=star,
                positional=bool(node.args),
            )
        if isinstance(callee, AssetDecorator):
            return None  # asset(...)(fn) outside a decorator: not a module function
        factory = _made(callee, _Factory)
        if factory is not None:
            self._factory_called(walker, factory.spec, scope)
            return Made(factory.spec)
        if isinstance(callee, FunctionRef) and not scope.in_function and not walker.main_guard:
            self.called_functions.add(id(callee.node))
        for argument in (*node.args, *(k.value for k in node.keywords)):
            walker.expression(
                argument.value if isinstance(argument, ast.Starred) else argument, scope
            )
        return None

    def context(
        self, walker: Walker, statement: ast.With | ast.AsyncWith, item: ast.withitem, scope: Scope
    ) -> Symbol | None:
        symbol = walker.expression(item.context_expr, scope)
        spec = _made(symbol, DagSpec)
        if spec is None:
            return None
        if spec.auto_register is None:
            spec.problems.append(
                (
                    codes.DYNAMIC_DAG_ID,
                    statement,
                    f"`auto_register` of DAG {spec.dag_id or '?'} is not a constant: whether "
                    "Airflow registers it is known only at run time",
                )
            )
            spec.dynamic = True
        elif spec.auto_register:
            spec.with_registered = True
        return symbol

    def expression_statement(self, walker: Walker, statement: ast.Expr, scope: Scope) -> None:
        if isinstance(statement.value, ast.Call):
            walker.expression(statement.value, scope)

    def module_done(self, walker: Walker, scope: Scope) -> None:
        """Module globals bound to a DAG when the module has run register it."""
        for name, symbol in scope.state.items():
            options = symbol.options if isinstance(symbol, Choice) else (symbol,)
            for option in options:
                if isinstance(option, Made) and isinstance(option.spec, DagSpec):
                    spec = option.spec
                    if spec.form == "dag" and spec.qualname is None:
                        spec.qualname = name
                    spec.held = True

    def finish(self, walker: Walker) -> list[dict[str, Any]]:
        registered_ids: dict[str, DagSpec] = {}
        for code, anchor, message in self.fatal:
            walker.report(code, anchor, message)
        results: list[tuple[DagSpec, bool]] = []
        for spec in sorted(self.specs, key=lambda s: (*walker.start(s.anchor), s.order)):
            for code, anchor, message in spec.problems:
                walker.report(code, anchor, message)
            registered = self._registered(walker, spec)
            if registered and spec.dag_id is not None:
                first = registered_ids.get(spec.dag_id)
                if first is not None:
                    line = walker.start(first.anchor)[0]
                    walker.report(
                        codes.DUPLICATE_DAG_IN_FILE,
                        spec.anchor,
                        f"dag_id {spec.dag_id} is also made on line {line} of this file: "
                        "Airflow keeps only one of them (which one is not reliable); rename one",
                    )
                    registered = False
                else:
                    registered_ids[spec.dag_id] = spec
            results.append((spec, registered and not self.fatal))
        seen: dict[str, int] = {}
        found = []
        for spec, registered in results:
            key = f"{walker.path}:airflow:{spec.form}:{spec.dag_id or spec.qualname or spec.order}"
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            if occurrence:
                key = f"{key}#{occurrence}"
            found.append(self._data(walker, spec, registered, key))
        return found

    # -- what registers ----------------------------------------------------------------------

    def _registered(self, walker: Walker, spec: DagSpec) -> bool:
        """Whether DagBag keeps `spec`, reporting why not when it does not."""
        label = spec.dag_id or spec.qualname or "?"
        if spec.dynamic or spec.dag_id is None:
            return False
        if spec.main_guard:
            walker.report(
                codes.DAG_NOT_REGISTERED,
                spec.anchor,
                f'DAG {label} is made under `if __name__ == "__main__":`, which does not run '
                "when Airflow imports the file: Airflow does not register it",
            )
            return False
        if spec.owner is not None and id(spec.owner) not in self.called_functions:
            walker.report(
                codes.DAG_IN_FUNCTION,
                spec.anchor,
                f"DAG {label} is made inside function `{spec.owner.name}`, which this module "
                "does not call at import: whether Airflow registers it depends on who calls "
                "it; make it at module level",
            )
            return False
        if spec.form == "asset":
            return True
        if spec.form == "dag_decorator":
            if not spec.called:
                walker.report(
                    codes.DAG_NOT_REGISTERED,
                    spec.anchor,
                    f"`@dag` function `{spec.qualname}` is never called at import, so Airflow "
                    f"registers no DAG {label}: call it at module level (`{spec.qualname}()`)",
                )
                return False
            return spec.with_registered or spec.held
        if spec.with_registered or (spec.held and spec.owner is None):
            return True
        reason = (
            "with `auto_register=False`, only a module global keeps it"
            if spec.auto_register is False
            else "a DAG that is neither the context of a `with` block nor held by a module "
            "global is thrown away"
        )
        walker.report(
            codes.DAG_NOT_REGISTERED,
            spec.anchor,
            f"Airflow does not register DAG {label}: {reason}; write `with DAG(...):` or "
            "assign it to a module-level name",
        )
        return False

    def _data(self, walker: Walker, spec: DagSpec, registered: bool, key: str) -> dict[str, Any]:
        path = walker.path
        line, column = walker.start(spec.anchor)
        function = spec.function
        description = spec.kwargs.get("description")
        return {
            "framework": "airflow",
            "id": blake2b(key.encode(), digest_size=8).hexdigest(),
            "name": spec.dag_id,
            "function": function.name if function is not None else None,
            "qualname": spec.qualname,
            "path": path,
            "entrypoint": None,
            "form": spec.form,
            "line": line,
            "column": column,
            "decorator_line": walker.start(spec.decorator)[0] if spec.decorator else None,
            "end_line": walker.end_line(spec.anchor),
            "is_async": isinstance(function, ast.AsyncFunctionDef),
            "is_method": spec.scope.kind == "class",
            "description": (
                description.value
                if description is not None and isinstance(description.value, str)
                else None
            ),
            "kwargs": {keyword: value.data() for keyword, value in sorted(spec.kwargs.items())},
            "parameters": [],
            "parameter_schema": None,
            "deployable": registered,
        }

    # -- constructions -----------------------------------------------------------------------

    def _new(self, spec: DagSpec, walker: Walker, scope: Scope) -> DagSpec:
        spec.owner = _owner(scope)
        spec.main_guard = bool(walker.main_guard) or (scope.unloadable and spec.owner is None)
        spec.order = len(self.specs)
        self.specs.append(spec)
        return spec

    def _problem(
        self, walker: Walker, spec: DagSpec, code: Code, where: Anchor, message: str
    ) -> None:
        """A construction that raises when run: fatal for the file when run at import."""
        if spec.owner is None and not spec.main_guard:
            self.fatal.append((code, where, message))
        else:
            spec.problems.append((code, where, message))
        spec.dynamic = True

    def _construct(self, walker: Walker, node: ast.Call, scope: Scope) -> DagSpec:
        """`DAG(...)`."""
        kwargs, star = self._keywords(walker, node, scope)
        statement = walker.anchor if walker.anchor is not None else node
        spec = self._new(
            DagSpec(form="dag", dag_id=None, kwargs=dict(kwargs), anchor=statement, scope=scope),
            walker,
            scope,
        )
        positional = list(node.args)
        if any(isinstance(a, ast.Starred) for a in positional) or star:
            spec.problems.append(
                (
                    codes.DYNAMIC_DAG_ID,
                    statement,
                    "DAG(...) with `*args` or `**kwargs`: its "
                    "dag_id and arguments are known only at run time",
                )
            )
            spec.dynamic = True
            return spec
        if len(positional) > 1:
            self._problem(
                walker,
                spec,
                codes.DAG_IMPORT_ERROR,
                statement,
                f"DAG() takes only dag_id positionally, not {len(positional)} arguments (a "
                "TypeError at import: the file registers no DAG); pass the rest by keyword",
            )
            return spec
        unknown = sorted(set(spec.kwargs) - DAG_KEYWORDS)
        if unknown:
            self._problem(
                walker,
                spec,
                codes.DAG_IMPORT_ERROR,
                statement,
                f"DAG() got an unexpected keyword argument `{unknown[0]}` (a TypeError at "
                "import: the file registers no DAG)",
            )
            return spec
        if positional:
            if "dag_id" in spec.kwargs:
                self._problem(
                    walker,
                    spec,
                    codes.DAG_IMPORT_ERROR,
                    statement,
                    "DAG() got dag_id both positionally and by keyword (a TypeError at import)",
                )
                return spec
            spec.kwargs["dag_id"] = self._value(walker, positional[0], scope)
        given = spec.kwargs.get("dag_id")
        if given is None:
            self._problem(
                walker,
                spec,
                codes.DAG_IMPORT_ERROR,
                statement,
                "DAG() without a dag_id (a TypeError at import: the file registers no DAG)",
            )
            return spec
        auto = spec.kwargs.get("auto_register")
        if auto is not None:
            spec.auto_register = None if auto.dynamic else bool(auto.value)
        self._set_dag_id(walker, spec, given, statement)
        return spec

    def _set_dag_id(self, walker: Walker, spec: DagSpec, given: Value, where: Anchor) -> None:
        if given.dynamic:
            spec.problems.append(
                (
                    codes.DYNAMIC_DAG_ID,
                    where,
                    f"the dag_id `{given.source}` is computed at run time: it cannot be known "
                    "statically (name: null)",
                )
            )
            spec.dynamic = True
            return
        problem = dag_id_problem(given.value)
        if problem is not None:
            self._problem(walker, spec, codes.INVALID_DAG_ID, where, problem)
            return
        spec.dag_id = given.value

    def _dag_call(
        self, walker: Walker, node: ast.Call, scope: Scope, callee: Symbol
    ) -> Symbol | None:
        """`dag(...)`: a configured decorator, or `dag(fn)` / `dag(...)(fn)`: a `@dag` function."""
        base = callee if isinstance(callee, DagDecorator) else None
        if base is not None:  # dag(...)(fn)
            if len(node.args) != 1 or node.keywords:
                return None
            return self._wrap(walker, node, node.args[0], scope, base)
        kwargs, star = self._keywords(walker, node, scope)
        if len(node.args) == 1 and not kwargs and not isinstance(node.args[0], ast.Starred):
            argument = walker.expression(node.args[0], scope)
            if isinstance(argument, FunctionRef) or isinstance(node.args[0], ast.Lambda):
                return self._wrap(walker, node, node.args[0], scope, DagDecorator())
        positional = self._value(walker, node.args[0], scope) if node.args else None
        return DagDecorator(kwargs=kwargs, positional=positional, star=star or len(node.args) > 1)

    def _wrap(
        self,
        walker: Walker,
        node: ast.Call,
        target: ast.expr,
        scope: Scope,
        decorator: DagDecorator,
    ) -> Symbol | None:
        symbol = walker.expression(target, scope)
        if isinstance(symbol, FunctionRef):
            return self._factory(walker, symbol.node, scope, decorator, None, anchor=walker.anchor)
        if isinstance(target, ast.Lambda):
            return self._factory(walker, None, scope, decorator, None, anchor=walker.anchor)
        return None

    def _factory(
        self,
        walker: Walker,
        node: FunctionNode | None,
        scope: Scope,
        decorator: DagDecorator,
        where: Decorator | None,
        *,
        anchor: Anchor | None = None,
    ) -> Made:
        """A `@dag` function (`node`; None for a lambda)."""
        statement: Anchor | None = anchor if anchor is not None else node
        assert statement is not None
        kwargs = dict(decorator.kwargs)
        spec = self._new(
            DagSpec(
                form="dag_decorator",
                dag_id=None,
                kwargs=kwargs,
                anchor=statement,
                scope=scope,
                function=node,
                decorator=where,
                qualname=(f"{scope.qualname_prefix}{node.name}" if node is not None else None),
            ),
            walker,
            scope,
        )
        if decorator.star:
            spec.problems.append(
                (
                    codes.DYNAMIC_DAG_ID,
                    statement,
                    "`@dag(...)` with `*args`, `**kwargs` or "
                    "several positional arguments: its dag_id is known only at run time",
                )
            )
            spec.dynamic = True
            return Made(_Factory(spec))
        unknown = sorted(set(kwargs) - DAG_KEYWORDS)
        given = kwargs.get("dag_id")
        if given is None and decorator.positional is not None:
            positional = decorator.positional
            if positional.dynamic or (
                isinstance(positional.value, str) and positional.value.strip()
            ):
                given = positional
        if given is None:
            name = node.name if node is not None else "<lambda>"
            given = Value(value=name, source=name, dynamic=False)
        spec.kwargs["dag_id"] = given
        auto = kwargs.get("auto_register")
        if auto is not None:
            spec.auto_register = None if auto.dynamic else bool(auto.value)
        # Errors of the DAG(...) inside the factory happen only when it is called.
        if unknown:
            spec.call_problem = (
                codes.DAG_IMPORT_ERROR,
                f"`@dag` function `{spec.qualname}` passes DAG() the unknown keyword "
                f"`{unknown[0]}`: calling it raises a TypeError at import, so the file "
                "registers no DAG",
            )
        if given.dynamic:
            spec.problems.append(
                (
                    codes.DYNAMIC_DAG_ID,
                    statement,
                    f"the dag_id `{given.source}` is computed at "
                    "run time: it cannot be known statically (name: null)",
                )
            )
            spec.dynamic = True
        else:
            invalid = dag_id_problem(given.value)
            if invalid is not None and spec.call_problem is None:
                spec.call_problem = (codes.INVALID_DAG_ID, invalid)
            spec.dag_id = given.value if invalid is None else None
        return Made(_Factory(spec))

    def _factory_called(self, walker: Walker, spec: DagSpec, scope: Scope) -> None:
        """A `@dag` function called: at import, its DAG is made (and auto-registered)."""
        if scope.in_function or walker.main_guard:
            return
        where = walker.anchor if walker.anchor is not None else spec.anchor
        if spec.call_problem is not None:
            code, message = spec.call_problem
            self.fatal.append((code, where, message))
        spec.called = True
        if spec.auto_register is not False:
            spec.with_registered = True

    def _asset(
        self, walker: Walker, node: FunctionNode, scope: Scope, symbol: Symbol, where: Decorator
    ) -> None:
        decorator = symbol if isinstance(symbol, AssetDecorator) else None
        kwargs = dict(decorator.kwargs) if decorator else {}
        spec = self._new(
            DagSpec(
                form="asset",
                dag_id=None,
                kwargs=kwargs,
                anchor=node,
                scope=scope,
                function=node,
                decorator=where,
                qualname=f"{scope.qualname_prefix}{node.name}",
            ),
            walker,
            scope,
        )
        what = "`asset.multi`" if decorator and decorator.multi else "`asset`"
        if decorator is None:
            self._problem(
                walker,
                spec,
                codes.DAG_IMPORT_ERROR,
                where,
                f"{what} must be called with its arguments (`@asset(schedule=...)`): used bare, "
                "it raises a TypeError at import and the file registers no DAG",
            )
            return
        if decorator.star:
            spec.problems.append(
                (
                    codes.DYNAMIC_DAG_ID,
                    where,
                    f"{what} with `**kwargs`: its dag_id is known only at run time",
                )
            )
            spec.dynamic = True
            return
        allowed = MULTI_ASSET_KEYWORDS if decorator.multi else ASSET_KEYWORDS
        unknown = sorted(set(kwargs) - allowed)
        problem = None
        if decorator.positional:
            problem = f"{what}() takes keyword arguments only (a TypeError at import)"
        elif unknown:
            problem = f"{what}() got an unexpected keyword argument `{unknown[0]}` (a TypeError)"
        elif "schedule" not in kwargs:
            problem = f"{what}() needs `schedule=` (a TypeError at import without it)"
        elif decorator.multi and "outlets" not in kwargs:
            problem = f"{what}() needs `outlets=` (a TypeError at import without it)"
        elif decorator.multi and kwargs["outlets"].value == []:
            problem = f"{what}() with empty `outlets` raises ValueError at import"
        elif scope.kind != "module":
            problem = (
                f"{what} on `{node.name}`, which is not a module-level function: Airflow "
                "raises ValueError (nested function not supported) at import"
            )
        if problem is not None:
            self._problem(
                walker, spec, codes.DAG_IMPORT_ERROR, where, problem + ": the file registers no DAG"
            )
            return
        given = kwargs.get("dag_id")
        if given is None and not decorator.multi:
            given = kwargs.get("name")
        if given is None or (not given.dynamic and not given.value):
            given = Value(value=node.name, source=node.name, dynamic=False)
        self._set_dag_id(walker, spec, given, where)

    # -- values ------------------------------------------------------------------------------

    def _keywords(
        self, walker: Walker, node: ast.Call, scope: Scope
    ) -> tuple[tuple[tuple[str, Value], ...], bool]:
        kwargs: list[tuple[str, Value]] = []
        star = False
        for keyword in node.keywords:
            if keyword.arg is None:
                star = True
            else:
                kwargs.append((keyword.arg, self._value(walker, keyword.value, scope)))
        return tuple(kwargs), star

    def _value(self, walker: Walker, node: ast.expr, scope: Scope) -> Value:
        source = walker.segment(node)
        raw = literal_value(node, walker.constants(scope))
        value = UNKNOWN if raw is UNKNOWN else to_json(raw)
        if value is UNKNOWN:
            return Value(value=None, source=source, dynamic=True)
        return Value(value=value, source=source, dynamic=False)


def dag_id_problem(value: object) -> str | None:
    """Why Airflow rejects a dag_id (`validate_key`), or None when it accepts it."""
    if not isinstance(value, str):
        return f"the dag_id {value!r} is not a string (Airflow raises TypeError at import)"
    if len(value) > MAX_DAG_ID_LENGTH:
        return (
            f"the dag_id is {len(value)} characters long; Airflow accepts at most "
            f"{MAX_DAG_ID_LENGTH} (a ValueError at import: the file registers no DAG)"
        )
    if not DAG_ID.match(value):
        return (
            f"the dag_id {value!r} has characters Airflow rejects: only letters, digits, `_`, "
            "`.` and `-` (a ValueError at import: the file registers no DAG)"
        )
    return None


def _made(symbol: Symbol, kind: type[Any]) -> Any:
    if isinstance(symbol, Made) and isinstance(symbol.spec, kind):
        return symbol.spec
    return None


def _owner(scope: Scope) -> FunctionNode | None:
    """The outermost function whose body makes the object (None at module or class level)."""
    owner = None
    current: Scope | None = scope
    while current is not None:
        if current.kind == "function" and isinstance(
            current.node, ast.FunctionDef | ast.AsyncFunctionDef
        ):
            owner = current.node
        current = current.parent
    return owner
