"""Evaluate literal expressions of a LibCST tree without running any code.

Only what `ast.literal_eval` would accept (plus names that resolve to module constants, string
concatenation and f-strings made of constants) gives a value; everything else is `UNKNOWN`.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any, Final

import libcst as cst


class _Unknown:
    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Final = _Unknown()
_EMPTY = cst.Module(body=[])

#: Resolves a bare name to a constant value, or UNKNOWN.
NameResolver = Callable[[str], Any]


def _no_names(_: str) -> Any:
    return UNKNOWN


def literal_value(node: cst.BaseExpression, resolve: NameResolver = _no_names) -> Any:
    """The value of `node` when it is a literal (JSON types, tuples, sets, bytes), else UNKNOWN."""
    if isinstance(node, cst.SimpleString):
        return string_value(node)
    if isinstance(node, cst.ConcatenatedString):
        value = node.evaluated_value
        return UNKNOWN if value is None else value
    if isinstance(node, cst.Integer):
        try:
            return int(node.value.replace("_", ""), 0)
        except ValueError:
            return UNKNOWN
    if isinstance(node, cst.Float):
        try:
            return float(node.value.replace("_", ""))
        except ValueError:
            return UNKNOWN
    if isinstance(node, cst.Imaginary):
        try:
            return complex(node.value.replace("_", "").replace("J", "j"))
        except ValueError:
            return UNKNOWN
    if isinstance(node, cst.Name):
        if node.value == "True":
            return True
        if node.value == "False":
            return False
        if node.value == "None":
            return None
        return resolve(node.value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus | cst.Plus):
        inner = literal_value(node.expression, resolve)
        if isinstance(inner, int | float | complex) and not isinstance(inner, bool):
            return -inner if isinstance(node.operator, cst.Minus) else inner
        return UNKNOWN
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left = literal_value(node.left, resolve)
        right = literal_value(node.right, resolve)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        return UNKNOWN
    if isinstance(node, cst.FormattedString):
        return _fstring_value(node, resolve)
    if isinstance(node, cst.List | cst.Tuple | cst.Set):
        items: list[Any] = []
        for element in node.elements:
            if not isinstance(element, cst.Element):
                return UNKNOWN
            value = literal_value(element.value, resolve)
            if value is UNKNOWN:
                return UNKNOWN
            items.append(value)
        if isinstance(node, cst.Tuple):
            return tuple(items)
        if isinstance(node, cst.Set):
            try:
                return frozenset(items)
            except TypeError:
                return UNKNOWN
        return items
    if isinstance(node, cst.Dict):
        result: dict[Any, Any] = {}
        for item in node.elements:
            if not isinstance(item, cst.DictElement):
                return UNKNOWN
            key = literal_value(item.key, resolve)
            value = literal_value(item.value, resolve)
            if key is UNKNOWN or value is UNKNOWN:
                return UNKNOWN
            try:
                result[key] = value
            except TypeError:
                return UNKNOWN
        return result
    return UNKNOWN


def string_value(node: cst.SimpleString) -> Any:
    """The value of a string literal; a fast path for the common escape-free case."""
    prefix = node.prefix.lower()
    if "b" not in prefix and "u" not in prefix and ("\\" not in node.value or "r" in prefix):
        quote = node.quote
        return node.value[len(prefix) + len(quote) : -len(quote)]
    value = node.evaluated_value
    return UNKNOWN if value is None else value


def _fstring_value(node: cst.FormattedString, resolve: NameResolver) -> Any:
    prefix = node.prefix.lower()
    if "b" in prefix:
        return UNKNOWN
    # A text part is valid source inside a plain string with the same prefix and quotes.
    opening = node.start.replace("f", "").replace("F", "")
    parts: list[str] = []
    for part in node.parts:
        if isinstance(part, cst.FormattedStringText):
            try:
                text = ast.literal_eval(opening + part.value + node.end)
            except (ValueError, SyntaxError):
                return UNKNOWN
            if not isinstance(text, str):
                return UNKNOWN
            parts.append(text.replace("{{", "{").replace("}}", "}"))
            continue
        if not isinstance(part, cst.FormattedStringExpression):
            return UNKNOWN
        if part.format_spec or part.conversion not in (None, "s", "r"):
            return UNKNOWN
        value = literal_value(part.expression, resolve)
        if not isinstance(value, str | int) or isinstance(value, bool):
            return UNKNOWN
        if part.equal is not None:
            # `{expr=}`: the expression's text as written, `=`, then repr() by default.
            parts.append(
                _EMPTY.code_for_node(part.whitespace_before_expression)
                + _EMPTY.code_for_node(part.expression)
                + _EMPTY.code_for_node(part.whitespace_after_expression)
                + _EMPTY.code_for_node(part.equal).replace(" ", "", 0)
            )
            parts.append(str(value) if part.conversion == "s" else repr(value))
            continue
        parts.append(repr(value) if part.conversion == "r" else str(value))
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
