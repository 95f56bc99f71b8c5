"""LibCST's tree lowered to the `ast` tree CPython builds, positions included.

The contract, checked by tests against CPython itself: for every module both parse,
`ast.dump(lower(libcst.parse_module(src), src), include_attributes=True) ==
ast.dump(ast.parse(src), include_attributes=True)`; for syntax newer than the running
interpreter, the dump equals the newer interpreter's own. Positions are CPython's: 1-based
lines, UTF-8 byte column offsets, parentheses excluded except a tuple's own and a generator
expression's; identifiers NFKC-normalised (PEP 3131).

Nodes this interpreter's `ast` lacks (`TypeAlias`, `TypeVar`, `ParamSpec`, `TypeVarTuple`
before 3.12, and the `type_params` field of functions and classes) are built as look-alike
classes with the newer interpreter's name and fields, so the analysis and `ast.dump` see them;
such a tree cannot be compiled by this interpreter (nor needs to be).
"""

from __future__ import annotations

import ast
import re
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_RUNNING = sys.version_info[:2]
_TYPE_PARAM_BASE: type[ast.AST] = getattr(ast, "type_param", None) or type(
    "type_param",
    (ast.AST,),
    {
        "_fields": (),
        "_attributes": ("lineno", "col_offset", "end_lineno", "end_col_offset"),
        "__module__": "ast",
    },
)
_CLASSES: dict[tuple[str, tuple[str, ...]], type[ast.AST]] = {}


_OPTIONAL = ("bound", "default_value")


def node_class(name: str, base: type[ast.AST], fields: tuple[str, ...]) -> type[ast.AST]:
    """The `ast` class `name` with exactly `fields` (a newer Python's shape of it).

    The running interpreter's own class when it has that shape; else a look-alike with that
    name and those fields, a subclass of the running interpreter's class when it has one (so
    isinstance checks hold) or of `base`.
    """
    existing: type[ast.AST] | None = getattr(ast, name, None)
    if existing is not None and existing._fields == fields:
        return existing
    key = (name, fields)
    if key not in _CLASSES:
        parent = existing if existing is not None else base
        namespace: dict[str, Any] = {"_fields": fields, "__module__": "ast"}
        # Optional fields default to None, so `ast.dump` omits them as CPython's classes do.
        namespace.update({field: None for field in fields if field in _OPTIONAL})
        _CLASSES[key] = type(name, (parent,), namespace)
    return _CLASSES[key]


class _Shapes:
    """Node classes as the target Python version builds them."""

    def __init__(self, target: tuple[int, int]) -> None:
        self.target = target
        self.new_fstrings = target >= (3, 12)
        self.type_params = target >= (3, 12)
        defaults = ("default_value",) if target >= (3, 13) else ()
        base = _TYPE_PARAM_BASE
        self.type_var: Any = node_class("TypeVar", base, ("name", "bound", *defaults))
        self.param_spec: Any = node_class("ParamSpec", base, ("name", *defaults))
        self.type_var_tuple: Any = node_class("TypeVarTuple", base, ("name", *defaults))
        self.type_alias: Any = node_class("TypeAlias", ast.stmt, ("name", "type_params", "value"))
        self.try_star: Any = node_class("TryStar", ast.stmt, ast.Try._fields)

    def generic(self, cls: type[ast.AST]) -> type[ast.AST]:
        """`cls` (a function or class definition) with a `type_params` field."""
        fields = cls._fields if "type_params" in cls._fields else (*cls._fields, "type_params")
        return node_class(cls.__name__, cls, fields)


_BINARY: dict[type[cst.CSTNode], type[ast.operator]] = {
    cst.Add: ast.Add,
    cst.Subtract: ast.Sub,
    cst.Multiply: ast.Mult,
    cst.MatrixMultiply: ast.MatMult,
    cst.Divide: ast.Div,
    cst.Modulo: ast.Mod,
    cst.Power: ast.Pow,
    cst.LeftShift: ast.LShift,
    cst.RightShift: ast.RShift,
    cst.BitOr: ast.BitOr,
    cst.BitXor: ast.BitXor,
    cst.BitAnd: ast.BitAnd,
    cst.FloorDivide: ast.FloorDiv,
}
_AUGMENTED: dict[type[cst.CSTNode], type[ast.operator]] = {
    cst.AddAssign: ast.Add,
    cst.SubtractAssign: ast.Sub,
    cst.MultiplyAssign: ast.Mult,
    cst.MatrixMultiplyAssign: ast.MatMult,
    cst.DivideAssign: ast.Div,
    cst.ModuloAssign: ast.Mod,
    cst.PowerAssign: ast.Pow,
    cst.LeftShiftAssign: ast.LShift,
    cst.RightShiftAssign: ast.RShift,
    cst.BitOrAssign: ast.BitOr,
    cst.BitXorAssign: ast.BitXor,
    cst.BitAndAssign: ast.BitAnd,
    cst.FloorDivideAssign: ast.FloorDiv,
}
_UNARY: dict[type[cst.CSTNode], type[ast.unaryop]] = {
    cst.Minus: ast.USub,
    cst.Plus: ast.UAdd,
    cst.BitInvert: ast.Invert,
    cst.Not: ast.Not,
}
_COMPARE: dict[type[cst.CSTNode], type[ast.cmpop]] = {
    cst.Equal: ast.Eq,
    cst.NotEqual: ast.NotEq,
    cst.LessThan: ast.Lt,
    cst.LessThanEqual: ast.LtE,
    cst.GreaterThan: ast.Gt,
    cst.GreaterThanEqual: ast.GtE,
    cst.In: ast.In,
    cst.NotIn: ast.NotIn,
    cst.Is: ast.Is,
    cst.IsNot: ast.IsNot,
}
_CONSTANT_NAMES = {"True": True, "False": False, "None": None}

Ctx = type[ast.expr_context]


def lower(module: cst.Module, text: str, target: tuple[int, int] | None = None) -> ast.Module:
    """The `ast.Module` CPython `target` (default: the running one) builds for `text`, from
    LibCST's tree of it."""
    return _Lowering(module, text, _Shapes(target or _RUNNING)).module()


def _identifier(name: str) -> str:
    return name if name.isascii() else unicodedata.normalize("NFKC", name)


class _Lowering:
    def __init__(self, module: cst.Module, text: str, shapes: _Shapes) -> None:
        self.shapes = shapes
        self.cst_module = module
        self.positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        self.lines = _LINE_BREAK.split(text)
        self.text = text
        self._line_starts: list[int] | None = None

    # -- positions ---------------------------------------------------------------------------

    def byte(self, line: int, column: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return column
        return len(text[:column].encode("utf-8"))

    def range(self, node: cst.CSTNode) -> CodeRange:
        return self.positions[node]

    def at(self, target: ast.AST, start: tuple[int, int], end: tuple[int, int]) -> Any:
        target.lineno = start[0]  # type: ignore[attr-defined]
        target.col_offset = self.byte(*start)  # type: ignore[attr-defined]
        target.end_lineno = end[0]  # type: ignore[attr-defined]
        target.end_col_offset = self.byte(*end)  # type: ignore[attr-defined]
        return target

    def located(self, target: ast.AST, node: cst.CSTNode) -> Any:
        where = self.range(node)
        return self.at(
            target, (where.start.line, where.start.column), (where.end.line, where.end.column)
        )

    def span(self, target: ast.AST, first: cst.CSTNode, last: cst.CSTNode) -> Any:
        start, end = self.range(first), self.range(last)
        return self.at(
            target, (start.start.line, start.start.column), (end.end.line, end.end.column)
        )

    @staticmethod
    def start_of(node: ast.AST) -> tuple[int, int, int, int]:
        return (
            node.lineno,  # type: ignore[attr-defined]
            node.col_offset,  # type: ignore[attr-defined]
            node.end_lineno,  # type: ignore[attr-defined]
            node.end_col_offset,  # type: ignore[attr-defined]
        )

    def ends_with(self, target: ast.stmt, body: Sequence[ast.stmt]) -> Any:
        last = body[-1]
        target.end_lineno = last.end_lineno
        target.end_col_offset = last.end_col_offset
        return target

    # -- module and statements ---------------------------------------------------------------

    def module(self) -> ast.Module:
        return ast.Module(body=self.body(self.cst_module.body), type_ignores=[])

    def body(self, statements: Sequence[cst.BaseStatement | cst.BaseSmallStatement]) -> list[Any]:
        result: list[Any] = []
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                result.extend(self.small(small) for small in statement.body)
            elif isinstance(statement, cst.BaseSmallStatement):
                result.append(self.small(statement))
            else:
                assert isinstance(statement, cst.BaseCompoundStatement)
                result.append(self.compound(statement))
        return result

    def suite(self, suite: cst.BaseSuite) -> list[Any]:
        if isinstance(suite, cst.SimpleStatementSuite):
            return [self.small(small) for small in suite.body]
        assert isinstance(suite, cst.IndentedBlock)
        return self.body(suite.body)

    def small(self, node: cst.BaseSmallStatement) -> Any:
        result = self._small(node)
        return self.located(result, node)

    def _small(self, node: cst.BaseSmallStatement) -> ast.stmt:
        if isinstance(node, cst.Expr):
            return ast.Expr(value=self.expr(node.value))
        if isinstance(node, cst.Assign):
            return ast.Assign(
                targets=[self.expr(target.target, ast.Store) for target in node.targets],
                value=self.expr(node.value),
                type_comment=None,
            )
        if isinstance(node, cst.AnnAssign):
            simple = int(isinstance(node.target, cst.Name) and not node.target.lpar)
            return ast.AnnAssign(
                target=self.expr(node.target, ast.Store),
                annotation=self.expr(node.annotation.annotation),
                value=None if node.value is None else self.expr(node.value),
                simple=simple,
            )
        if isinstance(node, cst.AugAssign):
            return ast.AugAssign(
                target=self.expr(node.target, ast.Store),
                op=_AUGMENTED[type(node.operator)](),
                value=self.expr(node.value),
            )
        if isinstance(node, cst.Pass):
            return ast.Pass()
        if isinstance(node, cst.Break):
            return ast.Break()
        if isinstance(node, cst.Continue):
            return ast.Continue()
        if isinstance(node, cst.Return):
            return ast.Return(value=None if node.value is None else self.expr(node.value))
        if isinstance(node, cst.Raise):
            return ast.Raise(
                exc=None if node.exc is None else self.expr(node.exc),
                cause=None if node.cause is None else self.expr(node.cause.item),
            )
        if isinstance(node, cst.Assert):
            return ast.Assert(
                test=self.expr(node.test), msg=None if node.msg is None else self.expr(node.msg)
            )
        if isinstance(node, cst.Del):
            target = node.target
            if isinstance(target, cst.Tuple) and not target.lpar:
                return ast.Delete(targets=[self.expr(e.value, ast.Del) for e in target.elements])
            return ast.Delete(targets=[self.expr(target, ast.Del)])
        if isinstance(node, cst.Import):
            return ast.Import(names=[self.alias(alias) for alias in node.names])
        if isinstance(node, cst.ImportFrom):
            if isinstance(node.names, cst.ImportStar):
                names = [self.located(ast.alias(name="*", asname=None), node.names)]
            else:
                names = [self.alias(alias) for alias in node.names]
            module = None if node.module is None else self.dotted(node.module)
            return ast.ImportFrom(module=module, names=names, level=len(node.relative))
        if isinstance(node, cst.Global):
            return ast.Global(names=[_identifier(item.name.value) for item in node.names])
        if isinstance(node, cst.Nonlocal):
            return ast.Nonlocal(names=[_identifier(item.name.value) for item in node.names])
        if isinstance(node, cst.TypeAlias):
            return self.shapes.type_alias(  # type: ignore[no-any-return]
                name=self.expr(node.name, ast.Store),
                type_params=self.type_params(node.type_parameters),
                value=self.expr(node.value),
            )
        raise TypeError(f"cannot lower {type(node).__name__}")

    def alias(self, node: cst.ImportAlias) -> Any:
        asname = None
        if node.asname is not None:
            assert isinstance(node.asname.name, cst.Name)
            asname = _identifier(node.asname.name.value)
        result = ast.alias(name=self.dotted(node.name), asname=asname)
        last = node.asname.name if node.asname is not None else node.name
        return self.span(result, node.name, last)

    def dotted(self, node: cst.BaseExpression) -> str:
        parts: list[str] = []
        while isinstance(node, cst.Attribute):
            parts.append(_identifier(node.attr.value))
            node = node.value
        assert isinstance(node, cst.Name)
        parts.append(_identifier(node.value))
        return ".".join(reversed(parts))

    def compound(self, node: cst.BaseCompoundStatement) -> Any:
        if isinstance(node, cst.If):
            return self.if_statement(node)
        result = self._compound(node)
        self.located(result, node)
        return self.ends_with(result, self._last_body(result))

    @staticmethod
    def _last_body(node: ast.stmt) -> list[ast.stmt]:
        for name in ("finalbody", "orelse", "handlers", "cases", "body"):
            value = getattr(node, name, None)
            if value:
                last = value[-1]
                if isinstance(last, ast.ExceptHandler | ast.match_case):
                    return last.body
                return value  # type: ignore[no-any-return]
        raise ValueError("a compound statement without a body")

    def if_statement(self, node: cst.If) -> Any:
        # An `elif` chain is nested `orelse`; walked in a loop (it can be very long).
        chain: list[tuple[cst.If, ast.If]] = []
        current: cst.If | None = node
        while current is not None:
            lowered = ast.If(test=self.expr(current.test), body=self.suite(current.body), orelse=[])
            self.located(lowered, current)
            if chain:
                chain[-1][1].orelse = [lowered]
            chain.append((current, lowered))
            orelse = current.orelse
            if isinstance(orelse, cst.If):
                current = orelse
                continue
            if isinstance(orelse, cst.Else):
                lowered.orelse = self.suite(orelse.body)
            current = None
        for _, lowered in reversed(chain):
            self.ends_with(lowered, lowered.orelse or lowered.body)
        return chain[0][1]

    def _compound(self, node: cst.BaseCompoundStatement) -> Any:
        if isinstance(node, cst.FunctionDef):
            cls = ast.AsyncFunctionDef if node.asynchronous is not None else ast.FunctionDef
            fields: dict[str, Any] = {
                "name": _identifier(node.name.value),
                "args": self.parameters(node.params),
                "body": self.suite(node.body),
                "decorator_list": [self.expr(d.decorator) for d in node.decorators],
                "returns": None if node.returns is None else self.expr(node.returns.annotation),
                "type_comment": None,
            }
            return self.generic(cls, fields, node.type_parameters)
        if isinstance(node, cst.ClassDef):
            bases, keywords = self.arguments([*node.bases, *node.keywords])
            fields = {
                "name": _identifier(node.name.value),
                "bases": bases,
                "keywords": keywords,
                "body": self.suite(node.body),
                "decorator_list": [self.expr(d.decorator) for d in node.decorators],
            }
            return self.generic(ast.ClassDef, fields, node.type_parameters)
        if isinstance(node, cst.For):
            cls_for = ast.AsyncFor if node.asynchronous is not None else ast.For
            return cls_for(
                target=self.expr(node.target, ast.Store),
                iter=self.expr(node.iter),
                body=self.suite(node.body),
                orelse=[] if node.orelse is None else self.suite(node.orelse.body),
                type_comment=None,
            )
        if isinstance(node, cst.While):
            return ast.While(
                test=self.expr(node.test),
                body=self.suite(node.body),
                orelse=[] if node.orelse is None else self.suite(node.orelse.body),
            )
        if isinstance(node, cst.With):
            cls_with = ast.AsyncWith if node.asynchronous is not None else ast.With
            items = [
                ast.withitem(
                    context_expr=self.expr(item.item),
                    optional_vars=(
                        None if item.asname is None else self.expr(item.asname.name, ast.Store)
                    ),
                )
                for item in node.items
            ]
            return cls_with(items=items, body=self.suite(node.body), type_comment=None)
        if isinstance(node, cst.Try | cst.TryStar):
            if isinstance(node, cst.TryStar):
                cls_try: Any = self.shapes.try_star
            else:
                cls_try = ast.Try
            return cls_try(
                body=self.suite(node.body),
                handlers=[self.handler(handler) for handler in node.handlers],
                orelse=[] if node.orelse is None else self.suite(node.orelse.body),
                finalbody=[] if node.finalbody is None else self.suite(node.finalbody.body),
            )
        if isinstance(node, cst.Match):
            return ast.Match(
                subject=self.expr(node.subject),
                cases=[
                    ast.match_case(
                        pattern=self.pattern(case.pattern),
                        guard=None if case.guard is None else self.expr(case.guard),
                        body=self.suite(case.body),
                    )
                    for case in node.cases
                ],
            )
        raise TypeError(f"cannot lower {type(node).__name__}")

    def generic(
        self,
        cls: type[ast.AST],
        fields: dict[str, Any],
        type_parameters: cst.TypeParameters | None,
    ) -> Any:
        params = self.type_params(type_parameters)
        if params or self.shapes.type_params:
            cls = self.shapes.generic(cls)
            fields["type_params"] = params
        return cls(**fields)

    def handler(self, node: cst.ExceptHandler | cst.ExceptStarHandler) -> Any:
        name = None
        if node.name is not None:
            assert isinstance(node.name.name, cst.Name)
            name = _identifier(node.name.name.value)
        result = ast.ExceptHandler(
            type=None if node.type is None else self.expr(node.type),
            name=name,
            body=self.suite(node.body),
        )
        self.located(result, node)
        last = result.body[-1]
        result.end_lineno = last.end_lineno
        result.end_col_offset = last.end_col_offset
        return result

    def type_params(self, node: cst.TypeParameters | None) -> list[Any]:
        if node is None:
            return []
        result: list[Any] = []
        for parameter in node.params:
            param = parameter.param
            name = _identifier(param.name.value)
            default = getattr(parameter, "default", None)
            if isinstance(param, cst.TypeVar):
                bound = None if param.bound is None else self.expr(param.bound)
                lowered = self.shapes.type_var(name=name, bound=bound)
                last: cst.CSTNode = param.name if param.bound is None else _outer(param.bound, -1)
            elif isinstance(param, cst.TypeVarTuple):
                lowered = self.shapes.type_var_tuple(name=name)
                last = param.name
            else:
                lowered = self.shapes.param_spec(name=name)
                last = param.name
            if "default_value" in type(lowered)._fields:
                value = None if default is None else self.expr(default)
                lowered.default_value = value
                if default is not None:
                    last = _outer(default, -1)
            self.span(lowered, param, last)
            result.append(lowered)
        return result

    # -- parameters and arguments ------------------------------------------------------------

    def parameters(self, node: cst.Parameters) -> ast.arguments:
        posonly = [self.arg(param) for param in node.posonly_params]
        params = [self.arg(param) for param in node.params]
        defaults = [
            self.expr(param.default)
            for param in (*node.posonly_params, *node.params)
            if param.default is not None
        ]
        vararg = self.arg(node.star_arg) if isinstance(node.star_arg, cst.Param) else None
        kwonly = [self.arg(param) for param in node.kwonly_params]
        kw_defaults = [
            None if param.default is None else self.expr(param.default)
            for param in node.kwonly_params
        ]
        kwarg = None if node.star_kwarg is None else self.arg(node.star_kwarg)
        return ast.arguments(
            posonlyargs=posonly,
            args=params,
            vararg=vararg,
            kwonlyargs=kwonly,
            kw_defaults=kw_defaults,
            kwarg=kwarg,
            defaults=defaults,
        )

    def arg(self, node: cst.Param) -> Any:
        annotation = None if node.annotation is None else self.expr(node.annotation.annotation)
        result = ast.arg(arg=_identifier(node.name.value), annotation=annotation, type_comment=None)
        last: cst.CSTNode = node.annotation if node.annotation is not None else node.name
        return self.span(result, node.name, last)

    def arguments(self, args: Sequence[cst.Arg]) -> tuple[list[Any], list[Any]]:
        positional: list[Any] = []
        keywords: list[Any] = []
        for arg in args:
            if arg.keyword is not None:
                keyword = ast.keyword(
                    arg=_identifier(arg.keyword.value), value=self.expr(arg.value)
                )
                keywords.append(self.span(keyword, arg.keyword, arg))
            elif arg.star == "**":
                keyword = ast.keyword(arg=None, value=self.expr(arg.value))
                keywords.append(self.located(keyword, arg))
            elif arg.star == "*":
                starred = ast.Starred(value=self.expr(arg.value), ctx=ast.Load())
                positional.append(self.located(starred, arg))
            else:
                positional.append(self.expr(arg.value))
        return positional, keywords

    # -- expressions -------------------------------------------------------------------------

    def expr(self, node: cst.BaseExpression, ctx: Ctx = ast.Load) -> Any:
        result = self._expr(node, ctx)
        if getattr(result, "lineno", None) is None:
            self.located(result, node)
        return result

    def _expr(self, node: cst.BaseExpression, ctx: Ctx) -> ast.expr:
        if isinstance(node, cst.Name):
            if node.value in _CONSTANT_NAMES:
                return ast.Constant(value=_CONSTANT_NAMES[node.value], kind=None)
            return ast.Name(id=_identifier(node.value), ctx=ctx())
        if isinstance(node, cst.Attribute):
            return ast.Attribute(
                value=self.expr(node.value), attr=_identifier(node.attr.value), ctx=ctx()
            )
        if isinstance(node, cst.Call):
            args, keywords = self.arguments(node.args)
            if (
                len(node.args) == 1
                and isinstance(node.args[0].value, cst.GeneratorExp)
                and not node.args[0].value.lpar
                and not node.args[0].keyword
                and not node.args[0].star
            ):
                # The sole generator argument's parentheses are the call's.
                generator = args[0]
                func_end = self.range(node.func).end
                opening = self._find("(", func_end.line, func_end.column)
                call_end = self.range(node).end
                self.at(generator, opening, (call_end.line, call_end.column))
            return ast.Call(func=self.expr(node.func), args=args, keywords=keywords)
        if isinstance(node, cst.Subscript):
            return ast.Subscript(value=self.expr(node.value), slice=self.slice(node), ctx=ctx())
        if isinstance(node, cst.BinaryOperation):
            return self.binary(node)
        if isinstance(node, cst.UnaryOperation):
            return ast.UnaryOp(op=_UNARY[type(node.operator)](), operand=self.expr(node.expression))
        if isinstance(node, cst.BooleanOperation):
            return self.boolean(node)
        if isinstance(node, cst.Comparison):
            return ast.Compare(
                left=self.expr(node.left),
                ops=[_COMPARE[type(target.operator)]() for target in node.comparisons],
                comparators=[self.expr(target.comparator) for target in node.comparisons],
            )
        if isinstance(node, cst.IfExp):
            return ast.IfExp(
                test=self.expr(node.test), body=self.expr(node.body), orelse=self.expr(node.orelse)
            )
        if isinstance(node, cst.Lambda):
            return ast.Lambda(args=self.parameters(node.params), body=self.expr(node.body))
        if isinstance(node, cst.Integer | cst.Float | cst.Imaginary):
            return ast.Constant(value=ast.literal_eval(node.value), kind=None)
        if isinstance(node, cst.SimpleString):
            kind = "u" if "u" in node.prefix.lower() else None
            return ast.Constant(value=node.evaluated_value, kind=kind)
        if isinstance(node, cst.ConcatenatedString | cst.FormattedString):
            return self.strings(node)
        if isinstance(node, cst.Ellipsis):
            return ast.Constant(value=Ellipsis, kind=None)
        if isinstance(node, cst.Tuple):
            result = ast.Tuple(elts=self.elements(node.elements, ctx), ctx=ctx())
            if node.lpar:
                self.span(result, node.lpar[-1], node.rpar[0])
            return result
        if isinstance(node, cst.List):
            return ast.List(elts=self.elements(node.elements, ctx), ctx=ctx())
        if isinstance(node, cst.Set):
            return ast.Set(elts=self.elements(node.elements, ast.Load))
        if isinstance(node, cst.Dict):
            keys: list[Any] = []
            values: list[Any] = []
            for element in node.elements:
                if isinstance(element, cst.DictElement):
                    keys.append(self.expr(element.key))
                else:
                    keys.append(None)
                values.append(self.expr(element.value))
            return ast.Dict(keys=keys, values=values)
        if isinstance(node, cst.GeneratorExp):
            result_gen = ast.GeneratorExp(
                elt=self.expr(node.elt), generators=self.fors(node.for_in)
            )
            if node.lpar:
                self.span(result_gen, node.lpar[-1], node.rpar[0])
            return result_gen
        if isinstance(node, cst.ListComp):
            return ast.ListComp(elt=self.expr(node.elt), generators=self.fors(node.for_in))
        if isinstance(node, cst.SetComp):
            return ast.SetComp(elt=self.expr(node.elt), generators=self.fors(node.for_in))
        if isinstance(node, cst.DictComp):
            return ast.DictComp(
                key=self.expr(node.key),
                value=self.expr(node.value),
                generators=self.fors(node.for_in),
            )
        if isinstance(node, cst.Await):
            return ast.Await(value=self.expr(node.expression))
        if isinstance(node, cst.Yield):
            if isinstance(node.value, cst.From):
                return ast.YieldFrom(value=self.expr(node.value.item))
            return ast.Yield(value=None if node.value is None else self.expr(node.value))
        if isinstance(node, cst.NamedExpr):
            return ast.NamedExpr(
                target=self.expr(node.target, ast.Store), value=self.expr(node.value)
            )
        if isinstance(node, cst.StarredElement):
            return ast.Starred(value=self.expr(node.value, ctx), ctx=ctx())
        raise TypeError(f"cannot lower {type(node).__name__}")

    def _find(self, char: str, line: int, column: int) -> tuple[int, int]:
        """The first `char` at or after (line, column): only blanks may come before it."""
        while line <= len(self.lines):
            found = self.lines[line - 1].find(char, column)
            if found >= 0:
                return line, found
            line, column = line + 1, 0
        raise ValueError(f"no {char!r} after line {line}")

    def elements(self, elements: Sequence[cst.BaseElement], ctx: Ctx) -> list[Any]:
        result: list[Any] = []
        for element in elements:
            if isinstance(element, cst.StarredElement):
                starred = ast.Starred(value=self.expr(element.value, ctx), ctx=ctx())
                result.append(self.located(starred, element))
            else:
                result.append(self.expr(element.value, ctx))
        return result

    def fors(self, node: cst.CompFor) -> list[Any]:
        result: list[Any] = []
        current: cst.CompFor | None = node
        while current is not None:
            result.append(
                ast.comprehension(
                    target=self.expr(current.target, ast.Store),
                    iter=self.expr(current.iter),
                    ifs=[self.expr(condition.test) for condition in current.ifs],
                    is_async=int(current.asynchronous is not None),
                )
            )
            current = current.inner_for_in
        return result

    def slice(self, node: cst.Subscript) -> Any:
        elements = node.slice
        lowered = [self.slice_element(element) for element in elements]
        if len(elements) == 1 and isinstance(elements[0].comma, cst.MaybeSentinel):
            return lowered[0]
        result = ast.Tuple(elts=lowered, ctx=ast.Load())
        last = elements[-1]
        end = self.range(last).end
        if not isinstance(last.comma, cst.MaybeSentinel):
            end = self.range(last.comma).end
        start = self.range(elements[0]).start
        return self.at(result, (start.line, start.column), (end.line, end.column))

    def slice_element(self, element: cst.SubscriptElement) -> Any:
        inner = element.slice
        if isinstance(inner, cst.Index):
            if inner.star is not None:
                starred = ast.Starred(value=self.expr(inner.value), ctx=ast.Load())
                return self.span(starred, inner, inner.value)
            return self.expr(inner.value)
        assert isinstance(inner, cst.Slice)
        result = ast.Slice(
            lower=None if inner.lower is None else self.expr(inner.lower),
            upper=None if inner.upper is None else self.expr(inner.upper),
            step=None if inner.step is None else self.expr(inner.step),
        )
        # From the first bound or colon to the step, else a second colon, else the upper bound.
        first = _outer(inner.lower, 0) if inner.lower is not None else inner.first_colon
        last: cst.CSTNode = inner.first_colon
        if inner.step is not None:
            last = _outer(inner.step, -1)
        elif isinstance(inner.second_colon, cst.Colon):
            last = inner.second_colon
        elif inner.upper is not None:
            last = _outer(inner.upper, -1)
        return self.span(result, first, last)

    def binary(self, node: cst.BinaryOperation) -> ast.expr:
        # Left-nested chains (`a + b + c + ...`) lowered in a loop.
        spine: list[cst.BinaryOperation] = []
        current: cst.BaseExpression = node
        while isinstance(current, cst.BinaryOperation) and (current is node or not current.lpar):
            spine.append(current)
            current = current.left
        result: Any = self.expr(current)
        for operation in reversed(spine):
            result = ast.BinOp(
                left=result,
                op=_BINARY[type(operation.operator)](),
                right=self.expr(operation.right),
            )
            if operation is not node:
                self.located(result, operation)
        return result  # type: ignore[no-any-return]

    def boolean(self, node: cst.BooleanOperation) -> ast.expr:
        """`a and b and c` is one BoolOp in CPython's tree; LibCST nests it to the left."""
        operator = type(node.operator)
        values: list[cst.BaseExpression] = []
        current: cst.BaseExpression = node
        while (
            isinstance(current, cst.BooleanOperation)
            and type(current.operator) is operator
            and (current is node or not current.lpar)
        ):
            values.append(current.right)
            current = current.left
        values.append(current)
        values.reverse()
        op = ast.And() if operator is cst.And else ast.Or()
        return ast.BoolOp(op=op, values=[self.expr(value) for value in values])

    def pattern(self, node: Any) -> Any:
        result = self._pattern(node)
        if getattr(result, "lineno", None) is None:
            self.located(result, node)
        return result

    def _pattern(self, node: Any) -> ast.pattern:
        if isinstance(node, cst.MatchSingleton):
            return ast.MatchSingleton(value=_CONSTANT_NAMES[node.value.value])
        if isinstance(node, cst.MatchValue):
            return ast.MatchValue(value=self.expr(node.value))
        if isinstance(node, cst.MatchAs):
            name = None if node.name is None else _identifier(node.name.value)
            pattern = None if node.pattern is None else self.pattern(node.pattern)
            return ast.MatchAs(pattern=pattern, name=name)
        if isinstance(node, cst.MatchStar):
            star = ast.MatchStar(name=None if node.name is None else _identifier(node.name.value))
            start = self.range(node).start
            if node.name is not None:
                end = self.range(node.name).end
                return self.at(star, (start.line, start.column), (end.line, end.column))  # type: ignore[no-any-return]
            line, column = self._find("_", start.line, start.column)
            return self.at(star, (start.line, start.column), (line, column + 1))  # type: ignore[no-any-return]
        if isinstance(node, cst.MatchOr):
            return ast.MatchOr(
                patterns=[self.pattern(element.pattern) for element in node.patterns]
            )
        if isinstance(node, cst.MatchList | cst.MatchTuple):
            patterns = [
                self.pattern(element if isinstance(element, cst.MatchStar) else element.value)
                for element in node.patterns
            ]
            result = ast.MatchSequence(patterns=patterns)
            if isinstance(node, cst.MatchTuple) and node.lpar:
                self.span(result, node.lpar[-1], node.rpar[0])
            return result
        if isinstance(node, cst.MatchMapping):
            return ast.MatchMapping(
                keys=[self.expr(element.key) for element in node.elements],
                patterns=[self.pattern(element.pattern) for element in node.elements],
                rest=None if node.rest is None else _identifier(node.rest.value),
            )
        if isinstance(node, cst.MatchClass):
            return ast.MatchClass(
                cls=self.expr(node.cls),
                patterns=[self.pattern(element.value) for element in node.patterns],
                kwd_attrs=[_identifier(element.key.value) for element in node.kwds],
                kwd_patterns=[self.pattern(element.pattern) for element in node.kwds],
            )
        raise TypeError(f"cannot lower {type(node).__name__}")

    # -- strings -----------------------------------------------------------------------------

    def strings(self, node: cst.ConcatenatedString | cst.FormattedString) -> ast.expr:
        parts: list[cst.BaseString] = []
        stack: list[cst.BaseExpression] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.ConcatenatedString):
                stack.append(current.right)
                stack.append(current.left)
            else:
                assert isinstance(current, cst.SimpleString | cst.FormattedString)
                parts.append(current)
        if not any(isinstance(part, cst.FormattedString) for part in parts):
            values: list[Any] = [part.evaluated_value for part in parts]  # type: ignore[attr-defined]
            first = parts[0]
            assert isinstance(first, cst.SimpleString)
            kind = "u" if "u" in first.prefix.lower() else None
            joined: Any = values[0]
            for value in values[1:]:
                joined = joined + value
            return ast.Constant(value=joined, kind=kind)
        values_out: list[Any] = []
        for part in parts:
            if isinstance(part, cst.SimpleString):
                self._text(values_out, part.evaluated_value, part)  # type: ignore[arg-type]
            else:
                assert isinstance(part, cst.FormattedString)
                self.fstring_parts(values_out, part)
        result = ast.JoinedStr(values=values_out)
        self.located(result, node)
        if not self.shapes.new_fstrings:
            _spread(result, result)
        return result

    def _extend(self, node: ast.AST, end: tuple[int, int]) -> None:
        node.end_lineno = end[0]  # type: ignore[attr-defined]
        node.end_col_offset = self.byte(*end)  # type: ignore[attr-defined]

    def _text(
        self,
        values: list[Any],
        text: str,
        where: cst.CSTNode | None,
        start: tuple[int, int] | None = None,
    ) -> None:
        if not text:
            return
        if values and isinstance(values[-1], ast.Constant):
            previous: ast.Constant = values[-1]
            previous.value = str(previous.value) + text
            if where is not None:
                end = self.range(where).end
                values[-1].end_lineno = end.line
                values[-1].end_col_offset = self.byte(end.line, end.column)
            return
        constant = ast.Constant(value=text, kind=None)
        if where is not None:
            self.located(constant, where)
        elif start is not None:
            self.at(constant, start, start)
        values.append(constant)

    def fstring_parts(self, values: list[Any], node: cst.FormattedString) -> None:
        raw = "r" in node.prefix.lower()
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                text = part.value
                if not raw:
                    text = _unescape(text)
                self._text(values, text.replace("{{", "{").replace("}}", "}"), part)
                continue
            assert isinstance(part, cst.FormattedStringExpression)
            if part.equal is not None:
                # `{expr=}`: the source text of `{`...`=` is a constant, then repr() by default.
                source = (
                    self.cst_module.code_for_node(part.whitespace_before_expression)
                    + self.cst_module.code_for_node(part.expression)
                    + self.cst_module.code_for_node(part.whitespace_after_expression)
                    + self.cst_module.code_for_node(part.equal)
                )
                opening, equal = self.range(part).start, self.range(part.equal).end
                self._text(values, source, None, (opening.line, opening.column + 1))
                self._extend(values[-1], (equal.line, equal.column))
            conversion = -1 if part.conversion is None else ord(part.conversion)
            if part.equal is not None and part.conversion is None and part.format_spec is None:
                conversion = ord("r")
            spec = None
            if part.format_spec is not None:
                spec_values: list[Any] = []
                for piece in part.format_spec:
                    if isinstance(piece, cst.FormattedStringText):
                        self._text(spec_values, piece.value, piece)
                    else:
                        holder = cst.FormattedString(parts=[piece], start='f"', end='"')
                        self.fstring_parts(spec_values, holder)
                spec = ast.JoinedStr(values=spec_values)
                if part.format_spec:
                    first = self.range(part.format_spec[0]).start
                    last = self.range(part.format_spec[-1]).end
                    self.at(spec, (first.line, first.column - 1), (last.line, last.column))
                    if self.shapes.target == (3, 12) and not isinstance(
                        spec_values[-1], ast.Constant
                    ):  # 3.12 ends a spec that ends with a field with an empty constant
                        empty = ast.Constant(value="", kind=None)
                        spec_values.append(
                            self.at(empty, (last.line, last.column), (last.line, last.column))
                        )
                else:
                    self.located(spec, part)
                if not self.shapes.new_fstrings:  # before 3.12: the position of this f-string token
                    _spread(spec, self.located(ast.Constant(value=""), node), deep=True)
            value = self.expr(part.expression)
            if (
                not self.shapes.new_fstrings
                and isinstance(value, ast.Tuple)
                and not value_parens(part.expression)
            ):  # before 3.12 a field was parsed as `(expr)`: a bare tuple spans the parentheses
                value.col_offset -= 1
                value.end_col_offset = (value.end_col_offset or 0) + 1
            formatted = ast.FormattedValue(value=value, conversion=conversion, format_spec=spec)
            values.append(self.located(formatted, part))


def value_parens(node: cst.BaseExpression) -> bool:
    return bool(node.lpar)


def _outer(node: cst.BaseExpression, side: int) -> cst.CSTNode:
    """`node` with its parentheses: its outermost `(` (side 0) or `)` (side -1)."""
    parens = node.lpar if side == 0 else node.rpar
    return parens[side] if parens else node


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


_POSITION = ("lineno", "col_offset", "end_lineno", "end_col_offset")


def _spread(node: ast.JoinedStr, where: ast.AST, *, deep: bool = False) -> None:
    """Before Python 3.12 the parts of an f-string have the whole string's position, and a
    format spec (with its parts) the position of the f-string token holding it."""
    if deep:
        for attribute in _POSITION:
            setattr(node, attribute, getattr(where, attribute))
    for value in node.values:
        for attribute in _POSITION:
            setattr(value, attribute, getattr(where, attribute))
