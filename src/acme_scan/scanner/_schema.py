"""The parameter schema Prefect would store for a flow, computed from its source.

Prefect builds `parameter_openapi_schema` with pydantic from the evaluated signature. For the
annotations below the JSON Schema pydantic produces is fixed, so it is reproduced here; any
other annotation (a user class, a forward reference that cannot be resolved) gives an untyped
property, which is what Prefect falls back to when it cannot build a schema either.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from acme_scan.scanner._literals import UNKNOWN, NameResolver, literal_value, to_json
from acme_scan.scanner._parse import warnings_ignored
from acme_scan.scanner._symbols import ClassRef, Qual, Symbol

#: Resolve a Name/Attribute annotation to a symbol in the flow's scope.
Resolver = Callable[[ast.expr], Symbol]

_SCALARS: dict[str, dict[str, Any]] = {
    "builtins.int": {"type": "integer"},
    "builtins.float": {"type": "number"},
    "builtins.str": {"type": "string"},
    "builtins.bool": {"type": "boolean"},
    "builtins.bytes": {"format": "binary", "type": "string"},
    "builtins.list": {"items": {}, "type": "array"},
    "typing.List": {"items": {}, "type": "array"},
    "builtins.dict": {"additionalProperties": True, "type": "object"},
    "typing.Dict": {"additionalProperties": True, "type": "object"},
    "builtins.set": {"items": {}, "type": "array", "uniqueItems": True},
    "typing.Set": {"items": {}, "type": "array", "uniqueItems": True},
    "builtins.object": {},
    "typing.Any": {},
    "builtins.tuple": {"items": {}, "type": "array"},
    "typing.Tuple": {"items": {}, "type": "array"},
    "builtins.frozenset": {"items": {}, "type": "array", "uniqueItems": True},
    "typing.FrozenSet": {"items": {}, "type": "array", "uniqueItems": True},
    "typing.Sequence": {"items": {}, "type": "array"},
    "collections.abc.Sequence": {"items": {}, "type": "array"},
    "typing.Mapping": {"additionalProperties": True, "type": "object"},
    "collections.abc.Mapping": {"additionalProperties": True, "type": "object"},
    "decimal.Decimal": {"anyOf": [{"type": "number"}, {"type": "string"}]},
    "datetime.datetime": {"format": "date-time", "type": "string"},
    "datetime.date": {"format": "date", "type": "string"},
    "datetime.time": {"format": "time", "type": "string"},
    "datetime.timedelta": {"format": "duration", "type": "string"},
    "uuid.UUID": {"format": "uuid", "type": "string"},
    "pathlib.Path": {"format": "path", "type": "string"},
}
_LISTS = frozenset({"builtins.list", "typing.List", "typing.Sequence", "collections.abc.Sequence"})
_SETS = frozenset({"builtins.set", "typing.Set", "builtins.frozenset", "typing.FrozenSet"})
_DICTS = frozenset({"builtins.dict", "typing.Dict", "typing.Mapping", "collections.abc.Mapping"})
_TUPLES = frozenset({"builtins.tuple", "typing.Tuple"})
_ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
_OPTIONAL = frozenset({"typing.Optional"})
_UNION = frozenset({"typing.Union"})
_LITERAL = frozenset({"typing.Literal", "typing_extensions.Literal"})
_JSON_TYPES: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


class SchemaContext:
    """A resolver that also collects the `definitions` enums are referenced from (one serves
    every annotation of a signature)."""

    __slots__ = ("definitions", "lookup")

    def __init__(self, lookup: Resolver, definitions: dict[str, Any]) -> None:
        self.lookup = lookup
        self.definitions = definitions

    def __call__(self, node: ast.expr) -> Symbol:
        return self.lookup(node)


def annotation_schema(node: ast.expr, context: SchemaContext) -> dict[str, Any] | None:
    """The JSON Schema pydantic gives annotation `node`, or None when it is not known.

    Enums defined in the scanned module are referenced as Prefect does
    (`{"$ref": "#/definitions/Name"}`), their schema added to `context.definitions`.
    """
    return _schema(node, context, nested=False)


def _member(node: ast.expr, resolve: Resolver) -> dict[str, Any] | None:
    """A type inside a container or union: an unknown class there is `Any` ({})."""
    return _schema(node, resolve, nested=True)


_NAMES = (ast.Name, ast.Attribute)
_SLICES = (ast.Slice, ast.Starred)


def _schema(node: ast.expr, resolve: Resolver, *, nested: bool) -> dict[str, Any] | None:
    # The node kinds below are disjoint: the most common (a name) is tested first.
    if isinstance(node, _NAMES):
        symbol = resolve(node)
        if isinstance(symbol, Qual):
            scalar = _SCALARS.get(symbol.name)
            if scalar is not None:
                return dict(scalar)
        enum = enum_members(symbol)
        if enum is not None and isinstance(resolve, SchemaContext):
            name, schema = enum
            resolve.definitions[name] = schema
            return {"$ref": f"#/definitions/{name}"}
        if nested and _is_user_class(symbol):
            return {}
        return None
    if isinstance(node, ast.Subscript):
        value = node.value
        base = resolve(value) if isinstance(value, _NAMES) else None
        if not isinstance(base, Qual):
            return None
        index = node.slice
        # `X[a, b]` and `X[(a, b)]` are the same subscript; `X[()]` is one empty tuple.
        args = index.elts if isinstance(index, ast.Tuple) and index.elts else [index]
        for arg in args:
            if isinstance(arg, _SLICES):
                return None
        return _generic(base.name, args, resolve)
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitOr):
            members = _flatten_or(node)
            return _union([_member(member, resolve) for member in members])
        return None
    if isinstance(node, ast.Constant):
        constant = node.value
        if isinstance(constant, str):
            parsed = _parse_annotation(constant)
            return None if parsed is None else _schema(parsed, resolve, nested=nested)
        if constant is None:
            return {"type": "null"}
    return None


def _parse_annotation(text: str) -> ast.expr | None:
    """A string annotation's expression, as `typing.get_type_hints` would compile it."""
    with warnings_ignored():
        try:
            return ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None


def _flatten_or(node: ast.expr) -> list[ast.expr]:
    """Members of `a | b | c` (left-nested), iteratively."""
    members: list[ast.expr] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.BinOp) and isinstance(current.op, ast.BitOr):
            stack.append(current.right)
            stack.append(current.left)
        else:
            members.append(current)
    return members


_ENUM_BASES = frozenset({"enum.Enum", "enum.IntEnum", "enum.StrEnum"})


def enum_members(symbol: Symbol) -> tuple[str, dict[str, Any]] | None:
    """(name, schema) of an Enum class defined in the scanned module, as pydantic builds it,
    when its members are all string or all integer literals; else None."""
    if not isinstance(symbol, ClassRef):
        return None
    node = symbol.scope.node
    if not isinstance(node, ast.ClassDef) or symbol.scope.parent is None:
        return None
    outer = symbol.scope.parent
    bases = []
    for value in node.bases:
        if isinstance(value, ast.Name):
            bases.append(outer.lookup(value.id))
        elif isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
            root = outer.lookup(value.value.id)
            bases.append(Qual(f"{root.name}.{value.attr}") if isinstance(root, Qual) else root)
    if len(bases) != 1 or not isinstance(bases[0], Qual) or bases[0].name not in _ENUM_BASES:
        return None
    values = list(enum_values(node).values())
    if not values:
        return None
    kinds = {type(value) for value in values}
    if kinds not in ({str}, {int}):
        return None
    json_type = "string" if kinds == {str} else "integer"
    return node.name, {"enum": values, "title": node.name, "type": json_type}


def enum_values(node: ast.ClassDef) -> dict[str, Any]:
    """Member name -> literal value of an Enum class body (members whose value is not a
    literal make the enum unknown: an empty result)."""
    members: dict[str, Any] = {}
    for statement in node.body:
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            continue
        target = statement.targets[0]
        if not isinstance(target, ast.Name) or target.id.startswith("_"):
            continue
        value = literal_value(statement.value)
        if value is UNKNOWN or isinstance(value, bool):
            return {}
        members[target.id] = value
    return members


def _is_user_class(symbol: Symbol) -> bool:
    """A name bound to a class of the module or something imported (not a builtin/typing)."""
    if isinstance(symbol, Qual):
        return not symbol.name.startswith(("builtins.", "typing.", "typing_extensions."))
    return True


def _union(members: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """`anyOf` as pydantic builds it: nested unions flattened, duplicates dropped, null last."""
    if any(member is None for member in members):
        return None
    flat: list[dict[str, Any]] = []
    for member in members:
        assert member is not None
        inner = member.get("anyOf") if set(member) == {"anyOf"} else None
        flat.extend(inner if isinstance(inner, list) else [member])
    unique: list[dict[str, Any]] = []
    for member in flat:
        if member not in unique:
            unique.append(member)
    null = {"type": "null"}
    if null in unique:
        unique = [member for member in unique if member != null] + [null]
    if len(unique) == 1:
        return unique[0]
    return {"anyOf": unique}


def _generic(base: str, args: list[ast.expr], resolve: Resolver) -> dict[str, Any] | None:
    if base in _LISTS and len(args) == 1:
        items = _member(args[0], resolve)
        return None if items is None else {"items": items, "type": "array"}
    if base in _SETS and len(args) == 1:
        items = _member(args[0], resolve)
        return None if items is None else {"items": items, "type": "array", "uniqueItems": True}
    if base in _TUPLES:
        return _tuple(args, resolve)
    if base in _DICTS and len(args) == 2:
        key = _member(args[0], resolve)
        value = _member(args[1], resolve)
        if key not in ({"type": "string"}, {"type": "integer"}) or value is None:
            return None
        return {"additionalProperties": value if value else True, "type": "object"}
    if base in _OPTIONAL and len(args) == 1:
        return _union([_member(args[0], resolve), {"type": "null"}])
    if base in _UNION and args:
        flat: list[ast.expr] = []
        for arg in args:
            flat.extend(_flatten_or(arg))
        return _union([_member(arg, resolve) for arg in flat])
    if base in _ANNOTATED and args:
        # Plain literal metadata (strings, numbers) does not change the schema; anything
        # else (Field(...), constraints) might.
        if all(literal_value(arg) is not UNKNOWN for arg in args[1:]):
            return _schema(args[0], resolve, nested=False)  # enums go to the same definitions
        return None
    if base in _LITERAL and args:
        return _literal(args)
    return None


def _tuple(args: list[ast.expr], resolve: Resolver) -> dict[str, Any] | None:
    if not args:
        return {"items": {}, "type": "array"}
    if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
        items = _member(args[0], resolve)
        return None if items is None else {"items": items, "type": "array"}
    if len(args) == 1 and isinstance(args[0], ast.Tuple) and not args[0].elts:
        return {"maxItems": 0, "minItems": 0, "type": "array"}
    members = [_member(arg, resolve) for arg in args]
    if any(member is None for member in members):
        return None
    return {
        "maxItems": len(members),
        "minItems": len(members),
        "prefixItems": members,
        "type": "array",
    }


def _literal(args: list[ast.expr]) -> dict[str, Any] | None:
    values = [literal_value(arg) for arg in args]
    if any(v is UNKNOWN or (v is not None and type(v) not in _JSON_TYPES) for v in values):
        return None
    kinds = {type(value) for value in values}
    if len(kinds) != 1 or None in values:
        return {"enum": values}
    json_type = _JSON_TYPES[next(iter(kinds))]
    if len(values) == 1:
        return {"const": values[0], "type": json_type}
    return {"enum": values, "type": json_type}


def default_json(node: ast.expr, resolve: NameResolver) -> Any:
    """The JSON form pydantic gives a literal default (constants resolved), or UNKNOWN."""
    value = literal_value(node, resolve)
    if value is UNKNOWN:
        return UNKNOWN
    return to_json(value)
