"""Docstrings as Prefect sees them: `inspect.getdoc` cleaning and Google `Args:` sections.

Prefect describes parameters from the Google-style parameter sections of the flow's docstring
(parsed by griffe). This module reproduces the part of griffe's Google parser that Prefect
uses, so a statically computed parameter schema carries the same descriptions.
"""

from __future__ import annotations

import ast
import inspect
import re

_SECTION = re.compile(r"^(?P<type>[\w][\s\w-]*):(\s+(?P<title>[^\s].*))?\s*$", re.IGNORECASE)
_PARAMETER_SECTIONS = frozenset({"args", "arguments", "params", "parameters"})


def function_docstring(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The cleaned docstring of `node` as `inspect.getdoc` returns it, or None."""
    if not node.body:
        return None
    first = node.body[0]
    if not isinstance(first, ast.Expr) or not isinstance(first.value, ast.Constant):
        return None
    text = first.value.value
    if not isinstance(text, str):
        return None
    if "\n" not in text:
        # One line: `inspect.cleandoc` strips its leading whitespace (spaces only from
        # Python 3.13 on, so other whitespace after the spaces is left to it).
        line = text.expandtabs().lstrip(" ")
        if not line or not line[0].isspace():
            return line
    return inspect.cleandoc(text)


def _is_empty(line: str) -> bool:
    return not line or line.isspace()


def parameter_descriptions(docstring: str | None) -> dict[str, str]:
    """Map parameter names to descriptions from Google-style `Args:` sections (as griffe does).

    Prefect hands `inspect.getdoc(fn)` to griffe, which cleans it once more
    (`inspect.cleandoc(text.rstrip())`). A well-formed section title (`Word:` after a blank
    line, followed by an indented block) consumes its block whatever its kind, so a
    parameter section's items are only read where griffe reads them; a parameter section
    with no items is dropped and the last non-empty one wins.
    """
    result: dict[str, str] = {}
    if not docstring or ":" not in docstring:  # no `Title:` line, so no section
        return result
    text = docstring.rstrip()
    lines = text.split("\n")
    if not _clean(text, lines):
        text = inspect.cleandoc(text)
        lines = text.split("\n")
    fences = "```" in text
    offset = 0
    in_code_block = False
    while offset < len(lines):
        line = lines[offset]
        if fences and line.lstrip(" ").startswith("```"):
            in_code_block = not in_code_block
        elif not in_code_block and ":" in line and (match := _SECTION.match(line)):
            has_next = offset < len(lines) - 1
            has_next2 = offset < len(lines) - 2
            blank_above = offset == 0 or _is_empty(lines[offset - 1])
            blank_below = has_next and _is_empty(lines[offset + 1])
            blank_below2 = has_next2 and _is_empty(lines[offset + 2])
            indented_below = has_next and not blank_below and lines[offset + 1].startswith(" ")
            indented_below2 = has_next2 and not blank_below2 and lines[offset + 2].startswith(" ")
            well_formed = (indented_below or indented_below2) and blank_above
            if well_formed and indented_below2 and blank_below:
                well_formed = False
            if well_formed:
                items, offset = _block_items(lines, offset + 1)
                if match.group("type").lower() in _PARAMETER_SECTIONS:
                    section = _parameters(items)
                    if section:
                        result = section
        offset += 1
    return result


def _clean(text: str, lines: list[str]) -> bool:
    """Whether `inspect.cleandoc(text)` is `text` itself, under every Python from 3.10 on
    (`text` is right-stripped and split at `\\n` into `lines`): no tab to expand, a first
    line that starts with no whitespace, and no margin to remove (one line, or another line
    that starts with no whitespace). A docstring `function_docstring` cleaned is usually so."""
    return (
        bool(text)
        and "\t" not in text
        and not text[0].isspace()
        and (len(lines) == 1 or any(line and not line[0].isspace() for line in lines[1:]))
    )


def _parameters(items: list[list[str]]) -> dict[str, str]:
    section: dict[str, str] = {}
    for item in items:
        if ":" not in item[0]:
            continue
        name_with_type, description = item[0].split(":", 1)
        text = "\n".join([description.lstrip(), *item[1:]]).rstrip("\n")
        if "(" in name_with_type and name_with_type.endswith(")"):
            name_with_type = name_with_type.split("(", 1)[0].strip()
        section[name_with_type] = text
    return section


def _block_items(lines: list[str], offset: int) -> tuple[list[list[str]], int]:
    if offset >= len(lines):
        return [], offset
    while offset < len(lines) and _is_empty(lines[offset]):
        offset += 1
    if offset >= len(lines):
        return [], offset - 1
    indent = len(lines[offset]) - len(lines[offset].lstrip())
    if indent == 0:
        return [], offset - 1
    items: list[list[str]] = []
    current = [lines[offset][indent:]]
    offset += 1
    while offset < len(lines):
        line = lines[offset]
        if _is_empty(line):
            current.append("")
        elif line.startswith(indent * 2 * " "):
            current.append(line[indent * 2 :])
        elif line.startswith((indent + 1) * " "):
            current.append(line.lstrip())
        elif line.startswith(indent * " "):
            items.append(current)
            current = [line[indent:]]
        else:
            break
        offset += 1
    items.append(current)
    return items, offset - 1
