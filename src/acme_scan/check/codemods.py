"""LibCST codemods for the fixable flow rules: each finds its call and answers text edits.

The file is parsed here, with LibCST, only when one of its findings is being fixed; the
call is found from the finding's position (a decorator or call starting there), never from
the scanner's own trees. Edits cover the few characters that change (a keyword's name, the
quotes' content, a `name=` inserted), so comments, formatting and everything else stay as
they are.

- AS101 `@flow("x")` -> `@flow(name="x")`: safe for a string literal, else unsafe.
- AS106 `@flow(retires=3)` -> `@flow(retries=3)`, when exactly one accepted keyword is close
  (difflib ratio >= `CUTOFF`): safe.
- AS102 `name="a/b"` -> `name="a-b"` (each of `/ % & < >` becomes `-`), for a plain literal:
  safe, unsafe when the new name is another flow's.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from acme_scan.check.config_fixes import CUTOFF
from acme_scan.check.finding import Finding
from acme_scan.check.fix import Edit, Fix, Project, Source
from acme_scan.scanner.prefect import FLOW_KEYWORDS

#: The characters Prefect refuses in flow names, and what a fix puts instead.
BANNED = "/%&<>"
REPLACEMENT = "-"


class _Parsed:
    """One file's LibCST module and the positions of its calls (built once per text)."""

    def __init__(self, text: str) -> None:
        self.module = cst.parse_module(text)
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        self.source = Source(text)

    def calls_at(self, line: int, column: int) -> Iterator[cst.Call]:
        """Calls starting at 1-based (line, column), or decorated by a decorator there."""
        for node, where in self.positions.items():
            if where.start.line != line or where.start.column != column - 1:
                continue
            if isinstance(node, cst.Decorator) and isinstance(node.decorator, cst.Call):
                yield node.decorator
            elif isinstance(node, cst.Call):
                yield node

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        where: CodeRange = self.positions[node]
        return (
            self.source.offset(where.start.line, where.start.column),
            self.source.offset(where.end.line, where.end.column),
        )


_CACHE: dict[int, tuple[str, _Parsed]] = {}


def _parsed(text: str) -> _Parsed:
    key = hash(text)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] == text:
        return cached[1]
    parsed = _Parsed(text)
    _CACHE.clear()  # one file at a time: plan_fixes goes file by file
    _CACHE[key] = (text, parsed)
    return parsed


def _candidates(text: str, finding: Finding) -> tuple[_Parsed, list[cst.Call]] | str:
    try:
        parsed = _parsed(text)
    except cst.ParserSyntaxError:
        return "the file does not parse"
    calls = list(parsed.calls_at(finding.line, finding.column))
    if not calls:
        return "no decorator or call at the reported position (was the file changed?)"
    return parsed, calls


def fix_positional_name(text: str, finding: Finding, project: Project) -> Fix | str:
    """AS101: the positional argument of `@flow(...)` becomes `name=`."""
    found = _candidates(text, finding)
    if isinstance(found, str):
        return found
    parsed, calls = found
    for call in calls:
        positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
        if not positional:
            continue
        if len(positional) > 1 or any(arg.star for arg in call.args):
            return "more than one positional argument: which is the name is not certain"
        if any(arg.keyword is not None and arg.keyword.value == "name" for arg in call.args):
            return "the call also passes name=: remove one of them by hand"
        value = positional[0].value
        start, _ = parsed.span(value)
        literal = isinstance(value, cst.SimpleString | cst.ConcatenatedString)
        return Fix(
            (Edit(start, start, "name="),),
            "safe" if literal else "unsafe",
            f"pass {parsed.module.code_for_node(value)} as name=",
        )
    return "no positional argument at the reported position"


def fix_unknown_keyword(text: str, finding: Finding, project: Project) -> Fix | str:
    """AS106: a misspelt keyword with exactly one close accepted keyword is renamed."""
    found = _candidates(text, finding)
    if isinstance(found, str):
        return found
    parsed, calls = found
    for call in calls:
        given = {arg.keyword.value for arg in call.args if arg.keyword is not None}
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value in FLOW_KEYWORDS:
                continue
            word = arg.keyword.value
            close = difflib.get_close_matches(word, sorted(FLOW_KEYWORDS), n=2, cutoff=CUTOFF)
            if len(close) != 1:
                return f"`{word}` has no single close keyword of flow()" + (
                    f" ({', '.join(close)})" if close else ""
                )
            if close[0] in given:
                return f"`{close[0]}` is passed already: remove `{word}` by hand"
            start, end = parsed.span(arg.keyword)
            return Fix((Edit(start, end, close[0]),), "safe", f"rename `{word}` to `{close[0]}`")
    return "no unknown keyword at the reported position"


def fix_invalid_name(text: str, finding: Finding, project: Project) -> Fix | str:
    """AS102: the banned characters of a literal `name=` become `-`."""
    found = _candidates(text, finding)
    if isinstance(found, str):
        return found
    parsed, calls = found
    for call in calls:
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value != "name":
                continue
            value = arg.value
            if not isinstance(value, cst.SimpleString):
                return "the name is not a single string literal"
            evaluated = value.evaluated_value
            if not isinstance(evaluated, str) or not any(c in BANNED for c in evaluated):
                return "the name is not a string with / % & < >"
            prefix_length = len(value.prefix) + len(value.quote)
            body = value.value[prefix_length : len(value.value) - len(value.quote)]
            if body != evaluated:
                return "the literal has escapes: rename the flow by hand"
            new = "".join(REPLACEMENT if c in BANNED else c for c in body)
            start, end = parsed.span(value)
            collides = new in project.flow_names or new.replace("-", "_") in {
                name.replace("-", "_") for name in project.flow_names
            }
            return Fix(
                (Edit(start + prefix_length, end - len(value.quote), new),),
                "unsafe" if collides else "safe",
                f"rename the flow to {new!r}"
                + (" (another flow has that name)" if collides else ""),
            )
    return "no name= at the reported position"
