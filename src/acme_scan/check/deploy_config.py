"""Rules over the per-flow deploy config (`static_flow_deploy_config.yaml`).

The file is a YAML mapping from flow names to mappings of deployment settings; a flow may be
named in its Prefect form (`load-data`) or its acme-portal form (`load_data`). The YAML is
composed into nodes (not just loaded) so every finding has the line and column of the key or
value at fault, and duplicate keys, which YAML loaders drop silently, are seen.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from acme_scan.check import rules
from acme_scan.check.cron import cron_problem
from acme_scan.check.finding import Finding, Location
from acme_scan.check.flows import normalise
from acme_scan.check.rules import Rule
from acme_scan.index.views import FlowLike
from acme_scan.text import MAX_SHOWN, shown

#: The keys of one flow's entry (acme-portal-sdk's deploy configuration format; the SDK's
#: deploy step imports these).
ALLOWED_KEYS = (
    "work_pool_name",
    "work_queue_name",
    "parameters",
    "cron",
    "paused",
    "concurrency_limit",
    "description",
    "triggers",
)
#: Keys shown in acme-portal-sdk 1.x examples that the deploy workflow never reads.
IGNORED_KEYS = ("name", "import_path")
TRIGGER_TYPES = (
    "DeploymentEventTrigger",
    "DeploymentMetricTrigger",
    "DeploymentCompoundTrigger",
    "DeploymentSequenceTrigger",
)
#: The keys of a `concurrency_limit` mapping, and the values of its `collision_strategy`.
CONCURRENCY_KEYS = ("limit", "collision_strategy")
COLLISION_STRATEGIES = ("ENQUEUE", "CANCEL_NEW")
#: Bounds on the YAML itself, checked on the event stream before anything is composed: deeper
#: nesting is refused (PyYAML's composer and constructor recurse), and so are aliases that
#: expand to more values than this ("billion laughs"), which would make every walk over the
#: loaded data, and the JSON sent to Prefect, explode.
MAX_DEPTH = 64
MAX_VALUES = 100_000
_STR_TAG = "tag:yaml.org,2002:str"
#: libyaml's parser when PyYAML was built with it (ten times faster), else the pure one.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


#: Where flows of a (normalised) name were defined before the change being checked.
History = Callable[[str], Sequence[Location]]


@dataclass(frozen=True)
class _Context:
    path: str
    loader: yaml.SafeLoader
    findings: list[Finding]
    history: History | None = None

    def report(self, rule: Rule, node: yaml.Node, message: str, *related: Location) -> None:
        mark = node.start_mark
        self.findings.append(
            Finding(
                path=self.path,
                line=mark.line + 1,
                column=mark.column + 1,
                code=rule.code,
                severity=rule.severity,
                message=message,
                related=tuple(related),
            )
        )

    def value(self, node: yaml.Node) -> Any:
        return self.loader.construct_object(node, deep=True)


@dataclass(frozen=True)
class DeployConfigCheck:
    """The outcome of validating a deploy config: every finding, and the entries it holds.

    `entries` maps each flow name as written (the last of duplicate keys, as YAML loaders
    keep it) to its loaded settings; it is empty when the file is not a loadable mapping.
    Consumers (the SDK's deploy step) use `entries` only when `errors` is empty.
    """

    findings: list[Finding]
    entries: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]


def check_deploy_config(
    text: str, path: str, flows: Sequence[FlowLike], history: History | None = None
) -> list[Finding]:
    """Findings for the deploy config `text` (at root-relative `path`) against `flows`.

    `history`, when given, says where a name missing from `flows` used to be defined; an
    unknown-flow finding then names those places and touches their files.
    """
    return validate_deploy_config(text, path, flows, history).findings


def validate_deploy_config(
    text: str, path: str, flows: Sequence[FlowLike] | None, history: History | None = None
) -> DeployConfigCheck:
    """Validate the deploy config `text` (at `path`, for messages) and load its entries.

    This is the one validator of the file: `acme-scan check` reports its findings, and the
    SDK's deploy and promote steps and `aps check-config` refuse a file with errors, with the
    same messages. `flows` are the project's flows (None: not known, so entries are not
    matched against flows and parameters are not checked against signatures).
    """
    findings: list[Finding] = []
    bounds = _bounds_problem(text, path)
    if bounds is not None:
        return DeployConfigCheck([bounds])
    entries: dict[str, Any] = {}
    loader = _Loader(text)
    try:
        try:
            document = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            findings.append(_yaml_error(path, exc, text))
            return DeployConfigCheck(findings)
        except yaml.YAMLError as exc:
            findings.append(_finding(path, 0, 0, rules.CONFIG_INVALID, f"not valid YAML: {exc}"))
            return DeployConfigCheck(findings)
        if document is None:
            return DeployConfigCheck(findings)  # an empty file: no entries
        context = _Context(path, loader, findings, history)
        try:
            entries = _check_document(context, document, flows)
        except yaml.MarkedYAMLError as exc:  # a value that cannot be constructed
            findings.append(_yaml_error(path, exc, text))
            entries = {}
    finally:
        loader.dispose()
    return DeployConfigCheck(findings, entries)


def _bounds_problem(text: str, path: str) -> Finding | None:
    """An AS301 finding when the YAML nests too deep or its aliases expand too far.

    Read from the event stream (which neither parser builds recursively), so nothing
    unbounded is ever composed: an alias counts as every value of what it refers to.
    """
    frames: list[tuple[str | None, int]] = [(None, 0)]
    sizes: dict[str, int] = {}
    total = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.CollectionStartEvent):
                frames.append((event.anchor, 1))
                if len(frames) - 1 > MAX_DEPTH:
                    return _bounds_finding(
                        path,
                        event,
                        f"the deploy config nests deeper than {MAX_DEPTH} levels: a deploy "
                        "config needs a few (flow, setting, value); flatten it",
                    )
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                anchor, size = frames.pop()
                if anchor is not None:
                    sizes[anchor] = size
            elif isinstance(event, yaml.ScalarEvent):
                size = 1
                if event.anchor is not None:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.AliasEvent):
                size = sizes.get(event.anchor or "", 1)
            else:
                continue
            anchor, count = frames[-1]
            frames[-1] = (anchor, count + size)
            total += size
            if total > MAX_VALUES:
                return _bounds_finding(
                    path,
                    event,
                    f"the deploy config's aliases (`*name`) expand to more than {MAX_VALUES} "
                    "values (a 'billion laughs' document): write the settings out",
                )
    except yaml.YAMLError:
        return None  # reported, with its position, when the document is composed
    return None


def _bounds_finding(path: str, event: yaml.Event, message: str) -> Finding:
    mark = event.start_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    return _finding(path, line, column, rules.CONFIG_INVALID, message)


def _check_document(
    context: _Context, document: yaml.Node, flows: Sequence[FlowLike] | None
) -> dict[str, Any]:
    if isinstance(document, yaml.ScalarNode) and document.tag == "tag:yaml.org,2002:null":
        return {}
    if not isinstance(document, yaml.MappingNode):
        context.report(
            rules.CONFIG_INVALID,
            document,
            "the deploy config must be a mapping of flow names to settings, "
            f"got {_kind(context.value(document))}",
        )
        return {}
    by_name: dict[str, list[FlowLike]] = {}
    for known in flows or ():
        if known.name is not None:
            by_name.setdefault(normalise(known.name), []).append(known)
    dynamic = sum(1 for known in flows or () if known.name is None)
    entries: dict[str, Any] = {}
    for key_node, value_node in _pairs(context, document, "", normalise):
        if not _string_key(context, key_node, "flow name"):
            continue
        name = str(key_node.value)
        if not name.strip():
            context.report(
                rules.CONFIG_WRONG_TYPE,
                key_node,
                f"a flow name must be a non-empty string, got {_kind(name)}",
            )
            continue
        flow = None
        if flows is not None:
            matches = by_name.get(normalise(name), [])
            flow = _deployable(matches)
            if flow is None:
                _unknown_flow(context, key_node, name, matches, by_name, dynamic)
        _check_entry(context, name, value_node, flow)
        entries[name] = context.value(value_node)
    return entries


def _pairs(
    context: _Context, node: yaml.MappingNode, where: str, same: Callable[[str], str] = str
) -> list[tuple[yaml.Node, yaml.Node]]:
    """The effective (key, value) pairs of a mapping, as a YAML loader would keep them.

    Keys written twice are reported (`same` maps keys that count as one, e.g. `-`/`_`
    spellings of a flow name); merge keys (`<<: *anchor`) are applied; the last value of a
    key wins, as in `yaml.safe_load`.
    """
    seen: dict[str, yaml.Node] = {}
    for key_node, _ in node.value:
        if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR_TAG):
            continue
        key = str(key_node.value)
        previous = seen.get(same(key))
        if previous is None:
            seen[same(key)] = key_node
            continue
        mark = previous.start_mark
        if previous.value == key:
            what = f"{where}{key} is given twice"
        else:
            what = f"{where}{key} names the same flow as {shown(previous.value)}"
        context.report(
            rules.CONFIG_DUPLICATE_ENTRY,
            key_node,
            f"{what} (first at line {mark.line + 1}); YAML keeps only the last: merge them",
            Location(context.path, mark.line + 1, mark.column + 1),
        )
    context.loader.flatten_mapping(node)
    effective: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    others: list[tuple[yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR_TAG:
            effective[str(key_node.value)] = (key_node, value_node)
        else:
            others.append((key_node, value_node))
    return [*others, *effective.values()]


def _deployable(matches: Iterable[FlowLike]) -> FlowLike | None:
    return next((flow for flow in matches if flow.deployable), None)


def _unknown_flow(
    context: _Context,
    key_node: yaml.Node,
    name: str,
    matches: Sequence[FlowLike],
    by_name: Mapping[str, list[FlowLike]],
    dynamic: int,
) -> None:
    if matches:
        flow = matches[0]
        context.report(
            rules.CONFIG_UNKNOWN_FLOW,
            key_node,
            f"flow {shown(name)} ({flow.path}:{flow.line}) cannot be deployed: it is not loadable "
            "from an entrypoint (see AS105)",
            Location(flow.path, flow.line, flow.column),
        )
        return
    message = f"no flow named {shown(name)} in the project"
    known = sorted({flow.name for group in by_name.values() for flow in group if flow.name})
    close = difflib.get_close_matches(name, known, n=1) or difflib.get_close_matches(
        normalise(name), [normalise(k) for k in known], n=1
    )
    if close:
        message += f"; did you mean {shown(close[0])}?"
    if dynamic:
        message += f" ({dynamic} flows have names unknown statically, see AS104)"
    before = list(context.history(normalise(name))) if context.history is not None else []
    if before:
        where = ", ".join(f"{location.path}:{location.line}" for location in before)
        message += f" (the committed version defined it at {where}: renamed or removed?)"
    context.report(rules.CONFIG_UNKNOWN_FLOW, key_node, message, *before)


def _string_key(context: _Context, key_node: yaml.Node, what: str) -> bool:
    if isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR_TAG:
        return True
    written = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
    kind = (
        _kind(context.value(key_node)) if isinstance(key_node, yaml.ScalarNode) else "a collection"
    )
    context.report(
        rules.CONFIG_WRONG_TYPE,
        key_node,
        f"{what} `{written}` is read by YAML as {kind}, not a string: quote it ('{written}')",
    )
    return False


def _check_entry(context: _Context, name: str, node: yaml.Node, flow: FlowLike | None) -> None:
    if _null(node):
        return  # `name:` with nothing: the defaults, as an empty mapping
    if not isinstance(node, yaml.MappingNode):
        context.report(
            rules.CONFIG_WRONG_TYPE,
            node,
            f"{name}: an entry must be a mapping of settings ({', '.join(ALLOWED_KEYS)}) "
            "or empty, "
            f"got {_kind(context.value(node))}",
        )
        return
    for key_node, value_node in _pairs(context, node, f"{name}."):
        if not _string_key(context, key_node, f"{name}: key"):
            continue
        key = str(key_node.value)
        if key in IGNORED_KEYS:
            context.report(
                rules.CONFIG_IGNORED_KEY,
                key_node,
                f"{name}.{key} is never read by the deploy workflow (it takes the flow's {key} "
                "from the code): remove it",
            )
            continue
        check = _VALUE_CHECKS.get(key)
        if check is None:
            context.report(
                rules.CONFIG_UNKNOWN_KEY,
                key_node,
                f"{name}: unknown key {shown(key)}; {_did_you_mean(key, ALLOWED_KEYS)}"
                f"allowed: {', '.join(ALLOWED_KEYS)}",
            )
            continue
        check(context, f"{name}.{key}", value_node, flow)


_Check = Callable[["_Context", str, yaml.Node, FlowLike | None], None]


def _wrong(context: _Context, node: yaml.Node, where: str, expected: str) -> None:
    context.report(
        rules.CONFIG_WRONG_TYPE,
        node,
        f"{where} must be {expected}, got {_kind(context.value(node))}",
    )


def _null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _string(*, optional: bool, non_empty: bool = False) -> _Check:
    def check(context: _Context, where: str, node: yaml.Node, flow: FlowLike | None) -> None:
        if optional and _null(node):
            return
        value = context.value(node)
        expected = "a non-empty string" if non_empty else "a string"
        if optional:
            expected += " or null"
        if not isinstance(value, str) or (non_empty and not value.strip()):
            _wrong(context, node, where, expected)

    return check


def _cron(context: _Context, where: str, node: yaml.Node, flow: FlowLike | None) -> None:
    if _null(node):
        return
    value = context.value(node)
    if not isinstance(value, str):
        _wrong(context, node, where, 'a cron string such as "0 12 * * 1-5"')
        return
    problem = cron_problem(value)
    if problem is not None:
        context.report(
            rules.CONFIG_INVALID_CRON, node, f"{where}: invalid cron {shown(value)}: {problem}"
        )


def _paused(context: _Context, where: str, node: yaml.Node, flow: FlowLike | None) -> None:
    if not _null(node) and not isinstance(context.value(node), bool):
        _wrong(context, node, where, "true or false")


def _concurrency_limit(
    context: _Context, where: str, node: yaml.Node, flow: FlowLike | None
) -> None:
    if _null(node):
        return
    if isinstance(node, yaml.MappingNode):
        limit: yaml.Node | None = None
        for key_node, value_node in _pairs(context, node, f"{where}."):
            if not _string_key(context, key_node, f"{where}: key"):
                continue
            key = str(key_node.value)
            if key == "limit":
                limit = value_node
            elif key == "collision_strategy":
                strategy = context.value(value_node)
                if strategy is not None and strategy not in COLLISION_STRATEGIES:
                    _wrong(context, value_node, f"{where}.{key}", _one_of(COLLISION_STRATEGIES))
            else:
                context.report(
                    rules.CONFIG_UNKNOWN_KEY,
                    key_node,
                    f"{where}: unknown key {shown(key)}; {_did_you_mean(key, CONCURRENCY_KEYS)}"
                    f"allowed: {', '.join(CONCURRENCY_KEYS)}",
                )
        if limit is None:
            context.report(
                rules.CONFIG_WRONG_TYPE, node, f"{where}: a mapping needs a positive `limit`"
            )
        elif not _positive(context.value(limit)):
            _wrong(context, limit, f"{where}.limit", "a positive integer")
        return
    if not _positive(context.value(node)):
        _wrong(context, node, where, "a positive integer (or a mapping with a `limit`)")


def _positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _one_of(values: Sequence[str]) -> str:
    return "one of " + ", ".join(values)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def to_json(value: Any, where: str, problems: list[str] | None = None) -> Any:
    """`value` as JSON data, as the deploy step sends it to Prefect.

    YAML dates and timestamps become ISO strings; what JSON cannot carry (non-finite
    numbers, non-string keys, sets, bytes) is appended to `problems` and dropped.
    """
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        _problem(problems, f"{where}: {value!r} is not a JSON number")
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list):
        return [to_json(item, f"{where}[{i}]", problems) for i, item in enumerate(value)]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                _problem(problems, f"{where}: key {shown(key)} is not a string")
                continue
            result[key] = to_json(item, f"{where}.{key}", problems)
        return result
    _problem(problems, f"{where}: {_kind(value)} cannot be sent to Prefect as JSON")
    return None


def _problem(problems: list[str] | None, message: str) -> None:
    if problems is not None:
        problems.append(message)


def _json_value(context: _Context, where: str, node: yaml.Node) -> None:
    problems: list[str] = []
    to_json(context.value(node), where, problems)
    for problem in problems:
        context.report(rules.CONFIG_WRONG_TYPE, node, problem)


def _parameters(context: _Context, where: str, node: yaml.Node, flow: FlowLike | None) -> None:
    if _null(node):
        return
    if not isinstance(node, yaml.MappingNode):
        _wrong(context, node, where, "a mapping of parameter names to values")
        return
    accepted: set[str] | None = None
    if (
        flow is not None
        and flow.parameter_schema is not None
        and not any(p.kind == "var_keyword" for p in flow.parameters)
    ):
        accepted = {p.name for p in flow.parameters if p.kind != "var_positional"}
    for key_node, value_node in _pairs(context, node, f"{where}."):
        if not _string_key(context, key_node, f"{where}: parameter name"):
            continue
        key = str(key_node.value)
        _json_value(context, f"{where}.{key}", value_node)
        if accepted is not None and flow is not None and key not in accepted:
            known = ", ".join(sorted(accepted)) or "none"
            context.report(
                rules.CONFIG_UNKNOWN_PARAMETER,
                key_node,
                f"{where}: flow {shown(flow.name)} ({flow.path}:{flow.line}) has no parameter "
                f"{shown(key)} (parameters: {known})",
                Location(flow.path, flow.line, flow.column),
            )


def _triggers(context: _Context, where: str, node: yaml.Node, flow: FlowLike | None) -> None:
    if _null(node):
        return
    expected = "a mapping from a trigger type (" + ", ".join(TRIGGER_TYPES) + ") to its arguments"
    if not isinstance(node, yaml.MappingNode):
        _wrong(context, node, where, expected)
        return
    for key_node, value_node in _pairs(context, node, f"{where}."):
        if not _string_key(context, key_node, f"{where}: trigger type"):
            continue
        if key_node.value not in TRIGGER_TYPES:
            context.report(
                rules.CONFIG_WRONG_TYPE,
                key_node,
                f"{where}: unknown trigger type {shown(key_node.value)} (known: "
                f"{', '.join(TRIGGER_TYPES)})",
            )
        elif not _null(value_node) and not isinstance(context.value(value_node), dict):
            _wrong(context, value_node, f"{where}.{key_node.value}", "a mapping of arguments")
        else:
            _json_value(context, f"{where}.{key_node.value}", value_node)


_VALUE_CHECKS: dict[str, _Check] = {
    "work_pool_name": _string(optional=False, non_empty=True),
    "work_queue_name": _string(optional=True),
    "parameters": _parameters,
    "cron": _cron,
    "paused": _paused,
    "concurrency_limit": _concurrency_limit,
    "description": _string(optional=True),
    "triggers": _triggers,
}


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({shown(value)})"
    if isinstance(value, float):
        return f"a number ({shown(value)})"
    if isinstance(value, str):
        if not value:
            return "an empty string"
        if not value.strip():
            return f"a blank string ({shown(value)})"
        return f"a string ({shown(value)})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__} ({shown(value)})"


#: What YAML makes of a plain value starting with these characters.
_INDICATORS = {
    "*": "an alias (`*name`)",
    "&": "an anchor (`&name`)",
    "!": "a tag",
    "%": "a directive",
    "@": "a reserved indicator",
    "`": "a reserved indicator",
}


def _yaml_error(path: str, exc: yaml.MarkedYAMLError, text: str = "") -> Finding:
    mark = exc.problem_mark or exc.context_mark
    problem = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    message = f"not valid YAML: {problem}"
    hint = _quote_hint(text, exc)
    if hint is not None:
        message = f"{hint} (YAML: {problem})"
    return _finding(path, line, column, rules.CONFIG_INVALID, message)


def _quote_hint(text: str, exc: yaml.MarkedYAMLError) -> str | None:
    """A plain-words message when a value must be quoted (`cron: */5 * * * *`)."""
    marks = [mark for mark in (exc.context_mark, exc.problem_mark) if mark is not None]
    lines = text.splitlines()
    for mark in marks:
        if not 0 <= mark.line < len(lines):
            continue
        key, colon, value = lines[mark.line].strip().lstrip("- ").partition(": ")
        value = value.strip()
        if not colon or not value or value[0] not in _INDICATORS:
            continue
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        example = f'{key}: "{quoted}"'
        how = f"quote it ({example})" if len(example) <= MAX_SHOWN else "quote it"
        return (
            f"{_short(key)}: the value {shown(value)} starts with {value[0]!r}, which "
            f"YAML reads as {_INDICATORS[value[0]]}: {how}"
        )
    return None


def _short(text: str, limit: int = 40) -> str:
    """`text` unquoted, cut to `limit` characters (a key named in a message)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finding(path: str, line: int, column: int, rule: Rule, message: str) -> Finding:
    return Finding(path, line, column, rule.code, rule.severity, message)
