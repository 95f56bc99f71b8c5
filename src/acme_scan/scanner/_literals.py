"""Evaluate literal expressions of an `ast` tree without running any code.

Only what `ast.literal_eval` would accept (plus names that resolve to module constants, string
concatenation and f-strings made of constants) gives a value; everything else is `UNKNOWN`.
Chains a user can make arbitrarily long (`"a" + "b" + ...`) are evaluated iteratively.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any, ClassVar, Final


class _Unknown:
    _instance: ClassVar[_Unknown | None] = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Final = _Unknown()

#: Resolves a bare name to a constant value, or UNKNOWN.
NameResolver = Callable[[str], Any]

_CONSTANT_TYPES = (str, bytes, bool, int, float, complex, type(None))


def _no_names(_: str) -> Any:
    return UNKNOWN


def literal_value(node: ast.expr, resolve: NameResolver = _no_names) -> Any:
    """The value of `node` when it is a literal (JSON types, tuples, sets, bytes), else UNKNOWN."""
    if isinstance(node, ast.Constant):
        value = node.value
        return value if isinstance(value, _CONSTANT_TYPES) else UNKNOWN
    if isinstance(node, ast.Name):
        return resolve(node.id)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = literal_value(node.operand, resolve)
        if isinstance(inner, int | float | complex) and not isinstance(inner, bool):
            return -inner if isinstance(node.op, ast.USub) else inner
        return UNKNOWN
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _concatenation(node, resolve)
    if isinstance(node, ast.JoinedStr):
        return _fstring_value(node, resolve)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items: list[Any] = []
        for element in node.elts:
            value = literal_value(element, resolve)
            if value is UNKNOWN:
                return UNKNOWN
            items.append(value)
        if isinstance(node, ast.Tuple):
            return tuple(items)
        if isinstance(node, ast.Set):
            try:
                return frozenset(items)
            except TypeError:
                return UNKNOWN
        return items
    if isinstance(node, ast.Dict):
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:  # `**mapping`
                return UNKNOWN
            key = literal_value(key_node, resolve)
            value = literal_value(value_node, resolve)
            if key is UNKNOWN or value is UNKNOWN:
                return UNKNOWN
            try:
                result[key] = value
            except TypeError:
                return UNKNOWN
        return result
    return UNKNOWN


def _concatenation(node: ast.BinOp, resolve: NameResolver) -> Any:
    """`a + b + c` of strings: the left spine is walked in a loop, not recursively."""
    operands: list[ast.expr] = []
    current: ast.expr = node
    while isinstance(current, ast.BinOp) and isinstance(current.op, ast.Add):
        operands.append(current.right)
        current = current.left
    operands.append(current)
    parts: list[str] = []
    for operand in reversed(operands):
        value = literal_value(operand, resolve)
        if not isinstance(value, str):
            return UNKNOWN
        parts.append(value)
    return "".join(parts)


def _fstring_value(node: ast.JoinedStr, resolve: NameResolver) -> Any:
    parts: list[str] = []
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            parts.append(part.value)
            continue
        if not isinstance(part, ast.FormattedValue) or part.format_spec is not None:
            return UNKNOWN
        if part.conversion not in (-1, ord("s"), ord("r")):
            return UNKNOWN
        value = literal_value(part.value, resolve)
        if not isinstance(value, str | int) or isinstance(value, bool):
            return UNKNOWN
        # `{expr=}` is a text part `expr=` and a FormattedValue converted with repr().
        parts.append(repr(value) if part.conversion == ord("r") else str(value))
    return "".join(parts)


def to_json(value: Any) -> Any:
    """`value` as JSON data (tuples and sets become lists), or UNKNOWN when it has no JSON form."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**64 else UNKNOWN
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return UNKNOWN
    if isinstance(value, float):
        return value if math.isfinite(value) else UNKNOWN
    if isinstance(value, list | tuple):
        items = [to_json(item) for item in value]
        return UNKNOWN if any(item is UNKNOWN for item in items) else items
    if isinstance(value, frozenset):
        items = [to_json(item) for item in value]
        if any(item is UNKNOWN for item in items):
            return UNKNOWN
        try:
            return sorted(items)
        except TypeError:
            return UNKNOWN
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for original, item in value.items():
            # pydantic serialises integer mapping keys as strings
            key = str(original) if type(original) is int else original
            if not isinstance(key, str):
                return UNKNOWN
            converted = to_json(item)
            if converted is UNKNOWN:
                return UNKNOWN
            result[key] = converted
        return result
    return UNKNOWN
